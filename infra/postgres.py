"""The embedded PostgreSQL server (the `pgserver` wheel) and database provisioning.

pgserver ships real PostgreSQL binaries but only listens on a Unix socket and, as root,
must run the server as an unprivileged user. We use it for its binaries and drive `initdb`
and `pg_ctl` ourselves: the owner (`postgres`) connects over a Unix socket in a short private
folder (`Settings.socket_dir`) with peer authentication; the server also listens on
127.0.0.1:<port>, where every role needs a SCRAM password (the BI login, Metabase).
"""

from __future__ import annotations

import contextlib
import grp
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
from infra.home import PRIVATE_UMASK
from infra.processes import ProcessFailed

log = logging.getLogger(__name__)

#: The account (user and group of the same name) the server runs as when dtimon runs as root.
SYSTEM_USER = "pgserver"
#: Databases of every embedded server that nobody but the owner may connect to.
MAINTENANCE_DBS = ("postgres", "template1")
#: The pg_ident.conf map from the OS user running dtimon to the owner role.
IDENT_MAP = "dtimon"


def _bin() -> Path:
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime dir it does not need here; without
        # XDG_RUNTIME_DIR (CI, containers) that prints a warning on every command.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from pgserver._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


def _admin(argv: list[str]) -> None:
    """Run a user-administration command (as root); ConfigError with its message if it fails."""
    res = subprocess.run(argv, check=False, capture_output=True, text=True)
    if res.returncode != 0:
        raise ConfigError(f"`{' '.join(argv)}` failed: {res.stderr.strip() or res.returncode}")


def ensure_server_account() -> pwd.struct_passwd:
    """As root: the `pgserver` account, in a group of its own and no other.

    pgserver's own `ensure_user_exists`, or an older dtimon, may have left it in root's group;
    it is moved out, so the server (and `COPY ... PROGRAM` run by it) holds no root group.
    """
    try:
        group = grp.getgrnam(SYSTEM_USER)
    except KeyError:
        _admin(["groupadd", "--system", SYSTEM_USER])
        group = grp.getgrnam(SYSTEM_USER)
    try:
        user = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        _admin(
            ["useradd", "--system", "--gid", SYSTEM_USER, "--no-create-home", "--home-dir", "/nonexistent"]
            + ["--shell", "/usr/sbin/nologin", SYSTEM_USER]
        )
        return pwd.getpwnam(SYSTEM_USER)
    other_groups = [g.gr_name for g in grp.getgrall() if SYSTEM_USER in g.gr_mem and g.gr_gid != group.gr_gid]
    if user.pw_gid != group.gr_gid or other_groups:
        log.warning("moving user %s out of groups %s", SYSTEM_USER, [user.pw_gid, *other_groups])
        _admin(["usermod", "--gid", SYSTEM_USER, "--groups", "", SYSTEM_USER])
        user = pwd.getpwnam(SYSTEM_USER)
    return user


def server_account() -> pwd.struct_passwd:
    """Who runs the server: PostgreSQL refuses root, so as root the `pgserver` account, else us."""
    if os.geteuid() == 0:
        return ensure_server_account()
    return pwd.getpwuid(os.geteuid())


def _pg(cmd: str, args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL binary as the server's account: its user, its group and no other group."""
    as_other: dict[str, object] = {}
    if os.geteuid() == 0:
        account = server_account()
        as_other = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    return subprocess.run(
        [str(_bin() / cmd), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd="/",
        umask=PRIVATE_UMASK,
        **as_other,  # type: ignore[arg-type]
    )


def _chown_tree(root: Path, account: pwd.struct_passwd) -> None:
    """Give `root` and everything in it to `account` (its user and its own group)."""
    for folder, dirs, files in os.walk(root):
        for name in [folder, *(os.path.join(folder, entry) for entry in dirs + files)]:
            os.lchown(name, account.pw_uid, account.pw_gid)


def open_home_to_server(settings: Settings) -> None:
    """As root, let the server's account reach its data folder and nothing else.

    Every folder above DTIMON_HOME becomes traversable (pgserver's own rule); DTIMON_HOME
    itself is 0710 with the server's group (pass through, no listing; everything in it
    but the data folder stays 0700/0600 root's); the data folder is the account's.
    """
    _bin()  # imports pgserver quietly
    from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions

    account = server_account()
    ensure_prefix_permissions(settings.home)
    ensure_prefix_permissions(_bin())
    ensure_folder_permissions(_bin(), stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(_bin().parent / "lib", stat.S_IRGRP | stat.S_IROTH)
    os.chown(settings.home, 0, account.pw_gid)
    settings.home.chmod(0o710)
    info = settings.pgdata.stat()
    if (info.st_uid, info.st_gid) != (account.pw_uid, account.pw_gid):
        _chown_tree(settings.pgdata, account)


def initdb(settings: Settings) -> None:
    """Create the cluster in the data folder if it does not exist yet."""
    pgdata = settings.pgdata
    pgdata.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.geteuid() == 0:
        open_home_to_server(settings)
    if (pgdata / "PG_VERSION").exists():
        return
    log.info("initialising embedded PostgreSQL in %s", pgdata)
    res = _pg(
        "initdb",
        ["-D", str(pgdata), "--auth-local=peer", "--auth-host=scram-sha-256"]
        + ["--encoding=utf8", "--locale=C.UTF-8", "-U", "postgres"],
    )
    if res.returncode != 0:
        raise ConfigError(f"initdb failed in {pgdata}: {_first_line(res.stderr)}")


#: Who may connect, and how: the owner (`postgres`) only over the private Unix socket, as the
#: OS user running dtimon (peer, map `dtimon`); every role, the owner too, with a SCRAM-SHA-256
#: password over TCP (the server listens on 127.0.0.1 only). No role is trusted.
PG_HBA = f"""\
# Written by dtimon (infra/postgres.py) at every start: edits here are replaced.
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       postgres                 peer map={IDENT_MAP}
local   all       all                      scram-sha-256
host    all       all       127.0.0.1/32   scram-sha-256
"""


def pg_ident(os_user: str) -> str:
    """pg_ident.conf: OS user `os_user` (who runs dtimon, root included) may log in as `postgres`."""
    return (
        "# Written by dtimon (infra/postgres.py) at every start: edits here are replaced.\n"
        "# MAPNAME  SYSTEM-USERNAME  PG-USERNAME\n"
        f"{IDENT_MAP}  {os_user}  postgres\n"
    )


def _write_config(path: Path, text: str, account: pwd.struct_passwd) -> bool:
    """Write one of the server's files (its account's, 0600); True when it changed."""
    try:
        if path.read_text() == text:
            return False
    except OSError:
        pass
    path.write_text(text)
    path.chmod(0o600)
    if os.geteuid() == 0:
        os.chown(path, account.pw_uid, account.pw_gid)
    return True


def write_access_rules(pgdata: Path) -> bool:
    """Install dtimon's pg_hba.conf and pg_ident.conf; True when one changed (a running server must reload)."""
    account = server_account()
    os_user = pwd.getpwuid(os.geteuid()).pw_name
    hba = _write_config(pgdata / "pg_hba.conf", PG_HBA, account)
    ident = _write_config(pgdata / "pg_ident.conf", pg_ident(os_user), account)
    return hba or ident


def is_running(pgdata: Path) -> bool:
    if not (pgdata / "PG_VERSION").exists():
        return False
    return _pg("pg_ctl", ["-D", str(pgdata), "status"]).returncode == 0


def _running_address(pgdata: Path) -> tuple[str, str]:
    """The port and socket folder a running server was started with (lines 4 and 5 of
    postmaster.pid); empty strings when unknown."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return "", ""
    return (lines[3].strip() if len(lines) > 3 else "", lines[4].strip() if len(lines) > 4 else "")


def prepare_socket_dir(folder: Path) -> None:
    """Create the private socket folder (0700, the server account's), or refuse one that is
    not ours: whoever owns it could put a socket of their own there."""
    account = server_account()
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid not in {account.pw_uid, os.geteuid()}:
        raise ConfigError(
            f"{folder} (the embedded server's socket folder) is not a folder of {account.pw_name}: remove it"
        )
    if os.geteuid() == 0:
        os.chown(folder, account.pw_uid, account.pw_gid)
    folder.chmod(0o700)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "no message"


def start_failure(server_log: str, pg_ctl_output: str) -> str:
    """Why the server did not start, in one line: its log's FATAL line (with the failed bind or
    open that led to it), else pg_ctl's own message."""
    lines = [line.strip() for line in server_log.splitlines() if line.strip()]
    fatal = [line.split("FATAL:", 1)[1].strip() for line in lines if "FATAL:" in line]
    if not fatal:
        return _first_line(pg_ctl_output)
    causes = [line.split("LOG:", 1)[1].strip() for line in lines if "LOG:" in line and "could not" in line]
    return f"{fatal[-1]} ({causes[0]})" if causes else fatal[-1]


def _server_options(settings: Settings) -> str:
    return " ".join(
        [
            f"-h 127.0.0.1 -p {settings.pg_port} -k {settings.socket_dir}",
            "-c unix_socket_permissions=0700",
            # errors without DETAIL/CONTEXT: a failed COPY's context would quote the data row
            "-c log_error_verbosity=terse",
            "-c max_connections=200 -c fsync=off",
        ]
    )


def _start_server(settings: Settings) -> bool:
    pgdata = settings.pgdata
    initdb(settings)
    changed = write_access_rules(pgdata)
    if is_running(pgdata):
        if _running_address(pgdata) == (str(settings.pg_port), str(settings.socket_dir)):
            if changed:
                _pg("pg_ctl", ["-D", str(pgdata), "reload"])
            return False
        log.warning(
            "restarting embedded PostgreSQL on port %s with its socket in %s",
            settings.pg_port,
            settings.socket_dir,
        )
        stop(settings)
    prepare_socket_dir(settings.socket_dir)
    logfile = pgdata / "server.log"
    logged = logfile.stat().st_size if logfile.exists() else 0
    res = _pg(
        "pg_ctl",
        ["-D", str(pgdata), "-l", str(logfile), "-o", _server_options(settings), "-w", "-t", "60", "start"],
        timeout=90,
    )
    if res.returncode != 0:
        with logfile.open("rb") as handle:
            handle.seek(logged)
            new_lines = handle.read().decode(errors="replace")
        why = start_failure(new_lines, res.stderr + res.stdout)
        _remove_socket_dir(settings)
        raise ProcessFailed(
            f"embedded PostgreSQL did not start on 127.0.0.1:{settings.pg_port}: {why} (log: {logfile})"
        )
    log.info("embedded PostgreSQL listening on 127.0.0.1:%s and in %s", settings.pg_port, settings.socket_dir)
    return True


def start(settings: Settings) -> bool:
    """Start the embedded server (socket folder and 127.0.0.1:<pg_port>). False if it was already up."""
    if not settings.embedded:
        raise ConfigError("DTIMON_WAREHOUSE_URL is set: dtimon does not manage that server")
    started = _start_server(settings)
    for name in MAINTENANCE_DBS:
        close_database(settings.server_url, name)
    return started


def stop(settings: Settings) -> bool:
    """Stop the embedded server. Returns False if it was not running."""
    if not is_running(settings.pgdata):
        return False
    res = _pg("pg_ctl", ["-D", str(settings.pgdata), "-m", "fast", "-w", "stop"])
    if res.returncode != 0:
        raise ProcessFailed(f"could not stop embedded PostgreSQL: {_first_line(res.stderr)}")
    _remove_socket_dir(settings)
    return True


def _remove_socket_dir(settings: Settings) -> None:
    """Remove the socket folder if empty (the server removes its socket when it stops)."""
    with contextlib.suppress(OSError):
        settings.socket_dir.rmdir()


def close_database(server_url: str, name: str) -> None:
    """Only roles granted CONNECT (and no one TEMPORARY) may use database `name`: PUBLIC has
    both by default. A role that does not own it gets a warning (its administrator's job)."""
    try:
        with psycopg.connect(server_url, connect_timeout=10) as conn, conn.transaction():
            # processes starting together (test workers, tasks) would otherwise update the
            # database's catalogue row at once and fail with "tuple concurrently updated"
            conn.execute("select pg_advisory_xact_lock(hashtext('dtimon.close_database'))")
            opened = conn.execute(
                "select has_database_privilege('public', %s, 'CONNECT')"
                " or has_database_privilege('public', %s, 'TEMPORARY')",
                (name, name),
            ).fetchone()
            if opened and opened[0]:
                conn.execute(
                    sql.SQL("revoke connect, temporary on database {} from public").format(
                        sql.Identifier(name)
                    )
                )
    except psycopg.errors.InsufficientPrivilege:
        log.warning("not the owner of database %s: PUBLIC may still connect to it", name)


def ensure_database(server_url: str, name: str) -> bool:
    """Create database `name` on the server if missing, closed to PUBLIC. True if it was created."""
    try:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        raise ConfigError(f"cannot reach PostgreSQL at {mask_url(server_url)}: {exc}") from exc
    close_database(server_url, name)
    return not exists


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
