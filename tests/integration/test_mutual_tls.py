"""Mutual TLS: a source declared with `ClientCertificate` pulls from a sandbox that requires
client certificates; without a certificate, or with one the sandbox does not trust, the pull
fails at once with one clear line and writes nothing. Certificates are made at test time; under
`dtimon up` dtimon makes them for a sandboxed source's sandbox and client."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import dbt_fixtures as fx
import psycopg
import pytest
import requests
from airflow.models.connection import Connection

from core.settings import Settings
from infra import processes
from infra.airflow_env import source_conn, source_conn_id, source_settings
from infra.cli.sources import sandbox_process, start_sandboxes
from infra.tasks import endpoint_of_connection
from ingestion.http import ApiClient, AuthError, MutualTLS, RetryPolicy
from ingestion.localtime import VN_TZ
from ingestion.runner import ingest
from ingestion.sandbox.server import SandboxServer
from ingestion.sandbox.tls import server_context
from ingestion.sources import SOURCES, ClientCertificate, Endpoint
from tests import throwaway_source
from tests.integration.test_cli_errors import _free_port
from tests.integration.test_ingest_sandbox import _province, _spread
from tests.tls_certificates import Certificates, certificates

DAY = datetime(2025, 9, 1, tzinfo=VN_TZ)
FAST = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05, read_timeout=2, connect_timeout=2)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def sandbox(certs: Certificates) -> Iterator[SandboxServer]:
    tls = server_context(certs.server_cert, certs.server_key, client_ca=certs.ca)
    with SandboxServer(_province(_spread(25)), username="u", password="p", log=False, tls=tls) as server:
        yield server


@pytest.fixture
def certified_source(monkeypatch: pytest.MonkeyPatch) -> str:
    """The one-stop source as if it authenticated by client certificate (for this test only)."""
    name = fx.FIXTURE_SOURCE
    monkeypatch.setitem(SOURCES, name, dataclasses.replace(SOURCES[name], auth=ClientCertificate()))
    return name


def _ingest(source: str, server: SandboxServer, url: str, cert: Path | None, key: Path | None, ca: Path):
    endpoint = Endpoint(
        server.url, "", "", client_cert=str(cert or ""), client_key=str(key or ""), ca_cert=str(ca)
    )
    return ingest(
        source,
        "dossiers",
        DAY,
        DAY + timedelta(days=1),
        endpoint=endpoint,
        settings=Settings.from_env({"DTIMON_ENV": "test", "DTIMON_PAGE_SIZE": "10"}),
        warehouse_url=url,
        run_id="test",
        policy=FAST,
    )


def _raw_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select count(*) from raw.onestop__dossiers").fetchone()[0]


def test_a_pull_over_mutual_tls_loads_every_record(
    sandbox: SandboxServer, certs: Certificates, certified_source: str, warehouse_url: str
) -> None:
    assert sandbox.url.startswith("https://")
    result = _ingest(certified_source, sandbox, warehouse_url, certs.client_cert, certs.client_key, certs.ca)
    assert result.rows_loaded == 25 and _raw_count(warehouse_url) == 25


def test_without_a_trusted_client_certificate_the_call_fails_at_once_in_one_line(
    sandbox: SandboxServer, certs: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certs.ca))  # the server is trusted; the client shows nothing
    with (
        ApiClient(sandbox.url, auth=None, policy=FAST, sleep=sleeps.append) as client,
        pytest.raises(AuthError) as refused,
    ):
        client.get_json("/_sim/health")
    stranger = MutualTLS(str(certs.stranger_cert), str(certs.stranger_key), str(certs.ca))
    with (
        ApiClient(sandbox.url, auth=stranger, policy=FAST, sleep=sleeps.append) as client,
        pytest.raises(AuthError) as untrusted,
    ):
        client.get_json("/_sim/health")
    for error in (refused.value, untrusted.value):
        message = str(error)
        assert "\n" not in message and message.startswith("GET /_sim/health: TLS refused")
    assert sleeps == []  # not retried: a handshake refused once is refused again


def test_a_pull_without_its_certificate_fails_and_writes_nothing(
    sandbox: SandboxServer, certs: Certificates, certified_source: str, warehouse_url: str
) -> None:
    with pytest.raises(AuthError, match="^mutual TLS needs a client certificate and its key$"):
        _ingest(certified_source, sandbox, warehouse_url, None, None, certs.ca)
    with pytest.raises(AuthError, match="TLS refused"):
        _ingest(certified_source, sandbox, warehouse_url, certs.stranger_cert, certs.stranger_key, certs.ca)
    assert _raw_count(warehouse_url) == 0


def test_the_client_refuses_a_server_its_ca_did_not_sign(sandbox: SandboxServer, certs: Certificates) -> None:
    own = MutualTLS(str(certs.client_cert), str(certs.client_key), str(certs.stranger_cert))
    with (
        ApiClient(sandbox.url, auth=own, policy=FAST) as client,
        pytest.raises(AuthError, match="TLS refused"),
    ):
        client.get_json("/_sim/health")


def test_dtimon_starts_a_certified_sandbox_with_its_own_certificates_and_the_client_pulls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    certified = dataclasses.replace(throwaway_source.SOURCE, auth=ClientCertificate())
    monkeypatch.setitem(SOURCES, certified.name, certified)
    env = {
        "DTIMON_HOME": str(tmp_path),
        "DTIMON_SANDBOX_SCALE": "0.02",
        "DTIMON_DEMO_START": "2025-09-01",
        "DTIMON_DEMO_END": "2025-09-02",
        f"DTIMON_{certified.name.upper()}_SANDBOX_PORT": str(_free_port()),
    }
    env |= {f"DTIMON_{name.upper()}_URL": "https://x.example" for name in SOURCES if name != certified.name}
    settings = Settings.from_env(env)
    started = start_sandboxes(settings)
    try:
        assert started == [sandbox_process(certified)]
        # the client as an Airflow task gets it: settings -> connection -> endpoint
        form = source_conn(settings, source_settings(settings, certified))
        endpoint = endpoint_of_connection(Connection.from_json(form, conn_id=source_conn_id(certified.name)))
        auth = MutualTLS(endpoint.client_cert, endpoint.client_key, endpoint.ca_cert)
        with ApiClient(endpoint.url, auth=auth, policy=FAST) as client:
            page = client.get_json("/dvc/v1/coquan", {"page": 1, "page_size": 5})
        assert page["data"] and len(page["data"]) <= 5
        with pytest.raises(requests.exceptions.SSLError):  # no client certificate: refused
            requests.get(endpoint.url + "/_sim/health", verify=endpoint.ca_cert, timeout=5)
    finally:
        for name in started:
            processes.stop(settings.run_dir, name)
