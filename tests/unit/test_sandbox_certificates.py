"""A sandboxed source that declares `ClientCertificate` gets dtimon's local certificates: its
sandbox is started with the TLS flags, its client (settings, Airflow connection) uses them, the
files are made once, owner-only, in the dtimon home, and what the operator sets wins."""

from __future__ import annotations

import dataclasses
import json
import stat
from pathlib import Path

import pytest

from core.settings import Settings
from infra.airflow_env import source_conn, source_settings
from infra.cli.sources import sandbox_argv, sandbox_env, sandbox_health
from infra.sandbox_certificates import certificates_folder, local_certificates
from infra.sandbox_launch import PASSWORD_VARIABLE
from ingestion.sandbox.tls import Certificates, make_certificates
from ingestion.sources import ClientCertificate
from tests import throwaway_source

CERTIFIED = dataclasses.replace(throwaway_source.SOURCE, auth=ClientCertificate())
PREFIX = f"DTIMON_{CERTIFIED.name.upper()}_"


def _settings(home: Path, **variables: str) -> Settings:
    return Settings.from_env({"DTIMON_HOME": str(home), **variables})


def _flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sandbox_gets_tls_flags_and_owner_only_certificates(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "home")
    argv = sandbox_argv(settings, CERTIFIED)
    files = Certificates.at(certificates_folder(settings, CERTIFIED.name))
    assert (_flag(argv, "--tls-cert"), _flag(argv, "--tls-key"), _flag(argv, "--client-ca")) == (
        str(files.server_cert),
        str(files.server_key),
        str(files.ca),
    )
    assert files.usable()
    folder = certificates_folder(settings, CERTIFIED.name)
    assert _mode(folder) == _mode(folder.parent) == 0o700
    written = sorted(folder.iterdir())
    assert written and all(_mode(path) == 0o600 for path in written)
    assert sandbox_env(settings, CERTIFIED)[PASSWORD_VARIABLE]  # credentials still off the command line

    ca = files.ca.read_bytes()
    sandbox_argv(settings, CERTIFIED)
    assert files.ca.read_bytes() == ca  # made once


def test_the_client_uses_the_local_certificates_over_https(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    config = source_settings(settings, CERTIFIED)
    files = Certificates.at(certificates_folder(settings, CERTIFIED.name))
    assert config.url.startswith("https://127.0.0.1:")
    assert (config.client_cert, config.client_key, config.ca_cert) == (
        str(files.client_cert),
        str(files.client_key),
        str(files.ca),
    )
    extra = json.loads(source_conn(settings, config))["extra"]
    assert (extra["client_cert"], extra["client_key"], extra["ca_cert"]) == (
        config.client_cert,
        config.client_key,
        config.ca_cert,
    )


def test_what_the_operator_sets_wins(tmp_path: Path) -> None:
    settings = _settings(tmp_path, **{PREFIX + "CLIENT_CERT": "/etc/dtimon/own.pem"})
    config = source_settings(settings, CERTIFIED)
    assert config.client_cert == "/etc/dtimon/own.pem"
    assert config.client_key == str(Certificates.at(certificates_folder(settings, CERTIFIED.name)).client_key)


@pytest.mark.parametrize(
    ("source", "variables"),
    [(throwaway_source.SOURCE, {}), (CERTIFIED, {PREFIX + "URL": "https://x.example"})],
    ids=["no client certificate", "configured endpoint"],
)
def test_other_sources_get_no_local_certificates(tmp_path: Path, source, variables: dict[str, str]) -> None:
    settings = _settings(tmp_path, **variables)
    config = source_settings(settings, source)
    assert not config.sandbox_tls and not config.client_cert
    if config.uses_sandbox:
        assert "--tls-cert" not in sandbox_argv(settings, source)
    assert not certificates_folder(settings, source.name).exists()


def test_expired_certificates_are_made_again(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    old = make_certificates(certificates_folder(settings, CERTIFIED.name), days=0)
    ca = old.ca.read_bytes()
    assert not old.usable()
    assert local_certificates(settings, CERTIFIED).usable() and old.ca.read_bytes() != ca


def test_a_sandbox_never_started_is_not_healthy(tmp_path: Path) -> None:
    settings = _settings(tmp_path, **{PREFIX + "SANDBOX_PORT": "1"})
    assert sandbox_health(settings, CERTIFIED)() is False  # no certificate files yet: no crash
