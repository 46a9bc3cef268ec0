"""The embedded PostgreSQL server (the `pgserver` wheel) and database provisioning.

pgserver ships real PostgreSQL binaries but only listens on a Unix socket and, as root,
must run the server as an unprivileged user. We use it for `initdb` and its binaries, then
drive `pg_ctl` ourselves so the server also listens on 127.0.0.1:<port> and every client
(psycopg, SQLAlchemy, dbt, Airflow) can use one plain URL.
"""

from __future__ import annotations

import logging
import os
import pwd
import stat
import subprocess
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

from core.settings import AIRFLOW_DB, WAREHOUSE_DB, ConfigError, Settings, mask_url
from core.warehouse_url import PgUrl

log = logging.getLogger(__name__)

SYSTEM_USER = "pgserver"


def _bin() -> Path:
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime dir it does not need here; without
        # XDG_RUNTIME_DIR (CI, containers) that prints a warning on every command.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from pgserver._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root: as root, run it as an unprivileged user."""
    return SYSTEM_USER if os.geteuid() == 0 else None


def _pg(cmd: str, args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    user = _run_as()
    return subprocess.run(
        [str(_bin() / cmd), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        user=user,
        cwd="/",
    )


def _prepare_root_permissions(pgdata: Path) -> None:
    _bin()  # imports pgserver quietly
    from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(pgdata)
    ensure_prefix_permissions(_bin())
    ensure_folder_permissions(_bin(), stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(_bin().parent / "lib", stat.S_IRGRP | stat.S_IROTH)
    user = pwd.getpwnam(SYSTEM_USER)
    os.chown(pgdata, user.pw_uid, user.pw_gid)


def initdb(pgdata: Path) -> None:
    """Create the cluster in `pgdata` if it does not exist yet."""
    if (pgdata / "PG_VERSION").exists():
        return
    pgdata.mkdir(parents=True, exist_ok=True)
    if _run_as():
        _prepare_root_permissions(pgdata)
    log.info("initialising embedded PostgreSQL in %s", pgdata)
    res = _pg(
        "initdb",
        ["-D", str(pgdata), "--auth=trust", "--encoding=utf8", "--locale=C.UTF-8", "-U", "postgres"],
    )
    if res.returncode != 0:
        raise RuntimeError(f"initdb failed in {pgdata}:\n{res.stderr.strip()}")


#: Who may connect, and how: the owner (`postgres`, the superuser the platform runs as) from
#: this machine without a password; every other role with a SCRAM-SHA-256 password; nothing
#: from elsewhere (the server also listens on 127.0.0.1 only).
PG_HBA = """\
# Written by dtimon (infra/postgres.py) at every start: edits here are replaced.
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       postgres                 trust
host    all       postgres  127.0.0.1/32   trust
local   all       all                      scram-sha-256
host    all       all       127.0.0.1/32   scram-sha-256
"""


def write_hba(pgdata: Path) -> bool:
    """Install dtimon's pg_hba.conf; True when it changed (a running server must reload)."""
    path = pgdata / "pg_hba.conf"
    try:
        if path.read_text() == PG_HBA:
            return False
    except OSError:
        pass
    stat_before = path.stat() if path.exists() else None
    path.write_text(PG_HBA)
    path.chmod(0o600)
    if stat_before is not None:
        os.chown(path, stat_before.st_uid, stat_before.st_gid)
    return True


def is_running(pgdata: Path) -> bool:
    if not (pgdata / "PG_VERSION").exists():
        return False
    return _pg("pg_ctl", ["-D", str(pgdata), "status"]).returncode == 0


def start(settings: Settings) -> bool:
    """Start the embedded server on 127.0.0.1:<pg_port>. Returns False if it was already up."""
    if not settings.embedded:
        raise ConfigError("DTIMON_WAREHOUSE_URL is set: dtimon does not manage that server")
    pgdata = settings.pgdata
    initdb(pgdata)
    changed = write_hba(pgdata)
    if is_running(pgdata):
        if changed:
            _pg("pg_ctl", ["-D", str(pgdata), "reload"])
        return False
    options = f"-h 127.0.0.1 -p {settings.pg_port} -k {pgdata} -c max_connections=200 -c fsync=off"
    res = _pg(
        "pg_ctl",
        ["-D", str(pgdata), "-l", str(pgdata / "server.log"), "-o", options, "-w", "-t", "60", "start"],
        timeout=90,
    )
    if res.returncode != 0:
        tail = ""
        logfile = pgdata / "server.log"
        if logfile.exists():
            tail = "\n".join(logfile.read_text(errors="replace").splitlines()[-15:])
        raise RuntimeError(
            f"embedded PostgreSQL did not start on port {settings.pg_port} "
            f"(is the port taken? set DTIMON_PG_PORT):\n{res.stderr.strip()}\n{tail}"
        )
    log.info("embedded PostgreSQL listening on 127.0.0.1:%s", settings.pg_port)
    return True


def stop(settings: Settings) -> bool:
    """Stop the embedded server. Returns False if it was not running."""
    if not is_running(settings.pgdata):
        return False
    res = _pg("pg_ctl", ["-D", str(settings.pgdata), "-m", "fast", "-w", "stop"])
    if res.returncode != 0:
        raise RuntimeError(f"could not stop embedded PostgreSQL:\n{res.stderr.strip()}")
    return True


def ensure_database(server_url: str, name: str) -> bool:
    """Create database `name` on the server if missing. Returns True if it was created."""
    try:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
            if exists:
                return False
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
            return True
    except psycopg.OperationalError as exc:
        raise ConfigError(f"cannot reach PostgreSQL at {mask_url(server_url)}: {exc}") from exc


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def ensure_server(settings: Settings, *, airflow: bool = True) -> None:
    """Make the warehouse (and, unless Airflow is configured otherwise, its metadata) database exist.

    Starts the embedded server when no DTIMON_WAREHOUSE_URL is set.
    """
    if settings.embedded:
        start(settings)
    ensure_database(
        settings.server_url, WAREHOUSE_DB if settings.embedded else _db_name(settings.warehouse_url)
    )
    if airflow and not os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        ensure_database(settings.server_url, AIRFLOW_DB)


def _db_name(url: str) -> str:
    name = PgUrl.parse(url).database
    if not name:
        raise ConfigError(f"DTIMON_WAREHOUSE_URL={mask_url(url)} names no database")
    return name
