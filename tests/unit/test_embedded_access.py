"""The embedded server's access rules, why it did not start, and DTIMON_HOME's modes, without a server."""

from __future__ import annotations

import stat
from pathlib import Path

from infra.home import make_private
from infra.postgres import IDENT_MAP, PG_HBA, pg_ident, start_failure

PORT_TAKEN_LOG = """\
2026-12-07 00:00:01.000 UTC [42] LOG:  starting PostgreSQL 16.2 on x86_64-pc-linux-gnu
2026-12-07 00:00:01.001 UTC [42] LOG:  could not bind IPv4 address "127.0.0.1": Address already in use
2026-12-07 00:00:01.001 UTC [42] HINT:  Is another postmaster already running on port 55432?
2026-12-07 00:00:01.001 UTC [42] WARNING:  could not create listen socket for "127.0.0.1"
2026-12-07 00:00:01.001 UTC [42] FATAL:  could not create any TCP/IP sockets
2026-12-07 00:00:01.002 UTC [42] LOG:  database system is shut down
"""


def test_no_role_is_trusted_and_the_owner_comes_in_by_its_os_user() -> None:
    rules = [line.split() for line in PG_HBA.splitlines() if line and not line.startswith("#")]
    assert all("trust" not in rule for rule in rules)
    assert rules[0] == ["local", "all", "postgres", "peer", f"map={IDENT_MAP}"]
    assert ["host", "all", "all", "127.0.0.1/32", "scram-sha-256"] in rules
    assert pg_ident("root").splitlines()[-1].split() == [IDENT_MAP, "root", "postgres"]


def test_why_the_server_did_not_start_is_one_line() -> None:
    assert start_failure(PORT_TAKEN_LOG, "pg_ctl: could not start server\nExamine the log output.\n") == (
        'could not create any TCP/IP sockets (could not bind IPv4 address "127.0.0.1": Address already in use)'
    )
    assert start_failure("", "\npg_ctl: could not open log file: Permission denied\n") == (
        "pg_ctl: could not open log file: Permission denied"
    )


def test_make_private_closes_folders_and_files_but_not_the_servers_folder(tmp_path: Path) -> None:
    home, server = tmp_path / "home", tmp_path / "home" / "pgdata"
    (home / "run").mkdir(parents=True)
    server.mkdir()
    (home / "run" / "api.log").write_text("x")
    (server / "own.conf").write_text("x")
    (home / "run" / "latest.log").symlink_to("api.log")
    for path, mode in ((home, 0o755), (home / "run", 0o775), (home / "run" / "api.log", 0o644)):
        path.chmod(mode)
    (server / "own.conf").chmod(0o640)
    make_private(home, skip=server)

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert (mode(home), mode(home / "run"), mode(home / "run" / "api.log")) == (0o700, 0o700, 0o600)
    assert mode(server / "own.conf") == 0o640
