"""Secrets kept secret (issue 6 item 7, issue 16 items 4 and 5): no password on a command line,
in a log or in a file another OS user can read; the embedded server takes connections from
this machine only, trusts no role, lets the owner in over its private socket only, and runs
without root's group."""

from __future__ import annotations

import configparser
import grp
import json
import os
import pwd
import socket
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import requests

from core.settings import Settings
from infra import postgres, processes
from infra.airflow_env import ADMIN_USER, PASSWORDS_FILE
from infra.cli.sources import sandbox_argv, sandbox_env, sandbox_process, start_sandboxes
from infra.postgres import IDENT_MAP, PG_HBA, SYSTEM_USER
from ingestion.sources import SOURCES
from tests.free_ports import sandbox_base_port

SECRET = "s3cret-" + uuid.uuid4().hex[:8]
#: Where airflow.cfg keeps keys: (section, option).
SECRET_KEYS = (("core", "fernet_key"), ("api", "secret_key"), ("api_auth", "jwt_secret"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    port = sandbox_base_port()
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


def _as_nobody(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run `argv` as OS user nobody (group nogroup, no other group)."""
    drop = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    return subprocess.run([*drop, *argv], capture_output=True, text=True, timeout=60, cwd="/")


def _postmaster_pid(settings: Settings) -> int:
    return int((settings.pgdata / "postmaster.pid").read_text().splitlines()[0])


@pytest.fixture
def embedded(settings: Settings, pg_server: str) -> Settings:
    if not settings.embedded:
        pytest.skip("an external server's access rules are its administrator's")
    return settings


def test_no_role_is_trusted_and_the_owner_needs_the_socket(embedded: Settings, pg_server: str) -> None:
    assert (embedded.pgdata / "pg_hba.conf").read_text() == PG_HBA
    for line in PG_HBA.splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#"):
            assert "trust" not in fields, line
            if fields[0] == "host":
                assert fields[3:] == ["127.0.0.1/32", "scram-sha-256"], line
            elif fields[2] == "postgres":
                assert fields[3:] == ["peer", f"map={IDENT_MAP}"], line
    with psycopg.connect(pg_server, autocommit=True) as conn:
        assert conn.execute("show listen_addresses").fetchone()[0] == "127.0.0.1"
        assert conn.execute("show unix_socket_permissions").fetchone()[0] == "0700"
        assert conn.execute("show log_error_verbosity").fetchone()[0] == "terse"
        assert conn.execute("select inet_server_addr()").fetchone() == (None,)  # over the socket
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(pg_server, host="127.0.0.1").close()  # the owner over TCP: no password, no entry
    folder = embedded.socket_dir
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / f".s.PGSQL.{embedded.pg_port}").stat().st_mode) == 0o700


def test_other_roles_need_a_password(embedded: Settings, pg_server: str) -> None:
    role = "dtimon_test_" + uuid.uuid4().hex[:8]
    tcp = {"host": "127.0.0.1"}
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"create role {role} login")  # no password
        conn.execute(f"grant connect on database postgres to {role}")
        try:
            with pytest.raises(psycopg.OperationalError, match="password"):
                psycopg.connect(pg_server, user=role, **tcp).close()
            conn.execute(f"alter role {role} password 'right-one'")
            with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
                psycopg.connect(pg_server, user=role, password="wrong", **tcp).close()
            psycopg.connect(pg_server, user=role, password="right-one", **tcp).close()
        finally:
            conn.execute(f"revoke connect on database postgres from {role}")
            conn.execute(f"drop role {role}")


def test_databases_are_closed_to_public_by_processes_starting_together(pg_server: str) -> None:
    """Test workers and tasks start at once: closing one database from many connections at the
    same time must neither fail ("tuple concurrently updated") nor leave it open."""
    name = "dtimon_close_" + uuid.uuid4().hex[:8]
    postgres.ensure_database(pg_server, name)
    try:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f"grant connect, temporary on database {name} to public")
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda _: postgres.close_database(pg_server, name), range(200)))
        with psycopg.connect(pg_server, autocommit=True) as conn:
            opened = conn.execute(
                "select has_database_privilege('public', %s, 'CONNECT'),"
                " has_database_privilege('public', %s, 'TEMPORARY')",
                (name, name),
            ).fetchone()
        assert opened == (False, False)
    finally:
        postgres.drop_database(pg_server, name)


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another OS user needs root")
def test_another_os_user_cannot_log_in_as_the_owner(embedded: Settings, pg_server: str) -> None:
    from infra.postgres import _bin

    psql = [str(_bin() / "psql"), "-w", "-d", "postgres", "-U", "postgres", "-p", str(embedded.pg_port)]
    over_socket = _as_nobody(*psql, "-h", str(embedded.socket_dir), "-c", "select 1")
    assert over_socket.returncode != 0 and "Permission denied" in over_socket.stderr, over_socket.stderr
    over_tcp = _as_nobody(*psql, "-h", "127.0.0.1", "-c", "select 1")
    assert over_tcp.returncode != 0 and "password" in over_tcp.stderr, over_tcp.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="as root the server runs as another account")
def test_the_server_runs_without_root_group(embedded: Settings, pg_server: str) -> None:
    status = Path(f"/proc/{_postmaster_pid(embedded)}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    uids, gids, groups = (fields[key].split() for key in ("Uid", "Gid", "Groups"))
    assert "0" not in uids and "0" not in gids and "0" not in groups, (uids, gids, groups)
    account = pwd.getpwnam(SYSTEM_USER)
    assert account.pw_gid == grp.getgrnam(SYSTEM_USER).gr_gid
    assert [g.gr_name for g in grp.getgrall() if SYSTEM_USER in g.gr_mem] == []
    info = embedded.pgdata.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (account.pw_uid, account.pw_gid, 0o700)


@pytest.fixture(scope="module")
def up(
    tmp_path_factory: pytest.TempPathFactory, background_teardowns: list[subprocess.Popen[bytes]]
) -> Iterator[tuple[Settings, str]]:
    """A home that `dtimon up` really filled (embedded server, sandbox, Airflow, report, dbt docs),
    and what `up` printed; everything is stopped afterwards (`dtimon down` goes on while the next
    module runs: the home, its server and its ports are this fixture's own)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DTIMON_", "AIRFLOW"))}
    env["DTIMON_HOME"] = str(tmp_path_factory.mktemp("up") / ".dtimon")
    for variable in ("PG", "SANDBOX", "AIRFLOW", "REPORT", "DOCS"):
        env[f"DTIMON_{variable}_PORT"] = str(_free_port())
    env["DTIMON_SANDBOX_SCALE"] = "0.02"
    # a report as `make run` leaves one (the report server is healthy once it has an index),
    # open to all as an older dtimon left files: `up` must close it
    reports = Path(env["DTIMON_HOME"]) / "reports"
    reports.mkdir(parents=True)
    (reports / "index.html").write_text("<html></html>")
    for path, mode in ((reports.parent, 0o755), (reports, 0o755), (reports / "index.html", 0o644)):
        path.chmod(mode)
    dtimon = str(Path(sys.executable).parent / "dtimon")
    try:
        done = subprocess.run([dtimon, "up"], env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        yield Settings.from_env(env), done.stdout
    finally:
        down = subprocess.Popen(
            [dtimon, "down"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        background_teardowns.append(down)


def _secrets_of_airflow(settings: Settings) -> list[str]:
    """The admin's password and the keys in airflow.cfg."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(settings.airflow_home / "airflow.cfg")
    keys = [config.get(section, key, fallback="") for section, key in SECRET_KEYS]
    password = json.loads((settings.airflow_home / PASSWORDS_FILE).read_text())[ADMIN_USER]
    return [password, *(key for key in keys if len(key) >= 16)]


def _files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file() and not path.is_symlink()]


def test_every_file_of_the_home_is_its_owners_only(up: tuple[Settings, str]) -> None:
    settings, _ = up
    home = settings.home
    mode = stat.S_IMODE(home.stat().st_mode)
    if os.geteuid() == 0:  # the server's account passes through to its data folder, nothing more
        assert (mode, home.stat().st_gid) == (0o710, grp.getgrnam(SYSTEM_USER).gr_gid)
    else:
        assert mode == 0o700
    folders = [path for path in home.rglob("*") if path.is_dir() and not path.is_symlink()]
    assert settings.airflow_home in folders and settings.run_dir in folders
    assert [
        f"{p} {stat.S_IMODE(p.stat().st_mode):o}" for p in folders if stat.S_IMODE(p.stat().st_mode) != 0o700
    ] == []
    files = _files(home)
    assert [f"{p} {stat.S_IMODE(p.stat().st_mode):o}" for p in files if p.stat().st_mode & 0o077] == []


def _text(path: Path) -> str:
    """A file's text; "" for one the running server removed since the folder was listed."""
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def test_files_holding_secrets_are_found_and_private(up: tuple[Settings, str]) -> None:
    settings, _ = up
    secrets = _secrets_of_airflow(settings)
    assert len(secrets) >= 3  # the password, fernet key, and at least one of the API's keys
    holding = sorted(p for p in _files(settings.home) if any(s in _text(p) for s in secrets))
    assert {settings.airflow_home / PASSWORDS_FILE, settings.airflow_home / "airflow.cfg"} <= set(holding)
    for path in holding:
        assert path.stat().st_mode & 0o077 == 0, path
        for folder in path.parents:
            if folder == settings.home:
                break
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        if os.geteuid() == 0:
            read = _as_nobody("cat", str(path))
            assert read.returncode != 0 and "Permission denied" in read.stderr, path


def test_the_admin_password_is_printed_once_and_logged_nowhere(up: tuple[Settings, str]) -> None:
    settings, printed = up
    password = json.loads((settings.airflow_home / PASSWORDS_FILE).read_text())[ADMIN_USER]
    assert printed.count(password) == 1
    for path in _files(settings.home):
        if path.suffix == ".log" or "logs" in path.parts:
            text = path.read_text(errors="replace")
            assert password not in text and "Password for user" not in text, path
