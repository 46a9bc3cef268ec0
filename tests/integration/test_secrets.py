"""Secrets kept secret (issue 6 item 7): no password on a command line or in a world-readable
file; the embedded server takes connections from this machine only, and every role but the
owner needs a password."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

import psycopg
import pytest
import requests

from core.settings import Settings
from infra import processes
from infra.cli import sandbox_argv, sandbox_env, sandbox_process, secure_file, start_sandboxes
from infra.postgres import PG_HBA
from ingestion.sources import SOURCES

SECRET = "s3cret-" + uuid.uuid4().hex[:8]


def _settings(tmp_path: Path, port: int) -> Settings:
    return Settings.from_env(
        {
            "DTIMON_HOME": str(tmp_path),
            "DTIMON_ENV": "test",
            "DTIMON_SANDBOX_PORT": str(port),
            "DTIMON_ONESTOP_PASSWORD": SECRET,
            "DTIMON_SANDBOX_SCALE": "0.02",
            "DTIMON_DEMO_START": "2025-09-01",
            "DTIMON_DEMO_END": "2025-09-03",
        }
    )


def test_sandbox_password_is_in_its_environment_not_its_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = _settings(tmp_path, port)
    source = SOURCES["onestop"]
    assert SECRET not in " ".join(sandbox_argv(settings, source))
    assert SECRET in sandbox_env(settings, source).values()
    monkeypatch.setattr(os, "environ", {**os.environ, "DTIMON_HOME": str(tmp_path)})
    started = start_sandboxes(settings)
    try:
        pid = processes.pid_of(settings.run_dir, sandbox_process(source))
        assert started and pid
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode()  # what `ps` shows
        assert "serve" in cmdline and SECRET not in cmdline
        # the sandbox did get the credentials: it accepts them and refuses others
        base = f"http://127.0.0.1:{port}"
        assert requests.get(base + source.sandbox.health_path, timeout=5).status_code == 200
        login = {"username": "dtimon", "password": SECRET}
        assert requests.post(base + "/dvc/v1/token", json=login, timeout=5).status_code == 200
        login["password"] = "sandbox"
        assert requests.post(base + "/dvc/v1/token", json=login, timeout=5).status_code == 401
    finally:
        for name in started:
            processes.stop(settings.run_dir, name)


def test_files_with_secrets_are_private(tmp_path: Path) -> None:
    path = tmp_path / "simple_auth_manager_passwords.json.generated"
    path.write_text('{"admin": "x"}')
    path.chmod(0o644)
    secure_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_embedded_server_local_only_and_passwords_for_other_roles(settings: Settings, pg_server: str) -> None:
    if not settings.embedded:
        pytest.skip("an external server's access rules are its administrator's")
    assert (settings.pgdata / "pg_hba.conf").read_text() == PG_HBA
    for line in PG_HBA.splitlines():
        fields = line.split()
        if fields and fields[0] == "host":
            assert fields[3] == "127.0.0.1/32", line
            assert fields[4] == ("trust" if fields[2] == "postgres" else "scram-sha-256"), line
    role = "dtimon_test_" + uuid.uuid4().hex[:8]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        assert conn.execute("show listen_addresses").fetchone()[0] == "127.0.0.1"
        conn.execute(f"create role {role} login")  # no password
        try:
            with pytest.raises(psycopg.OperationalError, match="password"):
                psycopg.connect(pg_server, user=role).close()
            conn.execute(f"alter role {role} password 'right-one'")
            with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
                psycopg.connect(pg_server, user=role, password="wrong").close()
            psycopg.connect(pg_server, user=role, password="right-one").close()
        finally:
            conn.execute(f"drop role {role}")
