"""Every mistake a user can make ends as one line on stderr and a non-zero exit (issue 8).

Each case runs the real `dtimon` command in a subprocess, on a DTIMON_HOME of its own, and
checks: exit status 1, exactly one line on stderr (no traceback), and what that line says.
"""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests
from bi_fixtures import build_bi
from dbt_fixtures import batch, insert_agency

from ingestion.schema import migrate
from tests.free_ports import sandbox_base_port

DTIMON = str(Path(sys.executable).parent / "dtimon")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: a home of its own, ports nothing listens on, no DTIMON_* from outside."""
    base = {key: value for key, value in os.environ.items() if not key.startswith(("DTIMON_", "AIRFLOW"))}
    return {
        **base,
        "DTIMON_HOME": str(tmp_path / "home"),
        "DTIMON_PG_PORT": str(_free_port()),
        "DTIMON_SANDBOX_PORT": str(sandbox_base_port()),
        "DTIMON_AIRFLOW_PORT": str(_free_port()),
        "DTIMON_REPORT_PORT": str(_free_port()),
    }


def dtimon(env: dict[str, str], *args: str) -> tuple[int, list[str]]:
    """Run `dtimon ARGS`; its exit status and the non-empty lines it wrote on stderr."""
    done = subprocess.run([DTIMON, *args], env=env, capture_output=True, text=True, timeout=120)
    return done.returncode, [line for line in done.stderr.splitlines() if line.strip()]


def assert_one_line(env: dict[str, str], args: list[str], *expected: str) -> str:
    code, lines = dtimon(env, *args)
    assert code == 1, (code, lines)
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith(("dtimon: ", "dtimon ")) and "Traceback" not in line, line
    assert not line.startswith("dtimon: dtimon"), line  # the program named once
    for text in expected:
        assert text in line, line
    return line


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DTIMON_WAREHOUSE_URL", "localhost:5432", "is not a postgresql:// URL"),
        ("DTIMON_WAREHOUSE_URL", "mysql://u:secret@db.example/x", "is not a postgresql:// URL"),
        ("DTIMON_SANDBOX_SCALE", "x", "DTIMON_SANDBOX_SCALE='x' is not a number"),
        ("DTIMON_LOG_LEVEL", "verbose", "DTIMON_LOG_LEVEL='verbose' is not one of"),
        ("DTIMON_LANG", "fr", "DTIMON_LANG='fr' is not one of vi, en"),
        ("DTIMON_DEMO_START", "2025-13-01", "is not a date"),
        (
            "DTIMON_PROVINCE_CODE",
            "99",
            "DTIMON_PROVINCE_CODE='99' is not a province in admin_units.csv (its provinces with units: 46)",
        ),
    ],
)
def test_bad_environment_values(env: dict[str, str], variable: str, value: str, expected: str) -> None:
    env[variable] = value
    line = assert_one_line(env, ["scorecard"], expected)
    assert "secret" not in line  # a password in a bad URL is masked


def test_traceback_only_with_debug(env: dict[str, str]) -> None:
    env["DTIMON_SANDBOX_SCALE"] = "x"
    code, lines = dtimon(env, "--debug", "scorecard")
    assert code == 1
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[-1] == "dtimon: configuration error: DTIMON_SANDBOX_SCALE='x' is not a number"


def test_bad_arguments(env: dict[str, str]) -> None:
    line = assert_one_line(env, ["scorecard", "--start", "yesterday"], "'yesterday' is not a date")
    assert line.startswith("dtimon scorecard: argument --start:"), line
    assert_one_line(env, ["run", "--start", "2025-10-01", "--end", "2025-09-01"], "is not before --end")
    assert_one_line(env, ["rollback", "--to", "two"], "invalid int value")
    backfill = ["backfill", "onestop", "--from", "2025-09-04", "--to", "2025-09-03"]
    assert_one_line(env, backfill, "--from 2025-09-04 is not before --to 2025-09-03")
    assert_one_line(
        env, ["backfill", "nosuch", "--from", "2025-09-03", "--to", "2025-09-04"], "invalid choice"
    )
    assert_one_line(env, ["publish", "--accept-moves", "two"], "invalid int value")
    assert_one_line(env, ["publish"], "--accept-moves")
    assert_one_line(env, ["frobnicate"], "invalid choice")


def test_stopped_server(env: dict[str, str]) -> None:
    port = env["DTIMON_PG_PORT"]
    env["DTIMON_WAREHOUSE_URL"] = f"postgresql://postgres:pw@127.0.0.1:{port}/dtimon"
    for command in ("scorecard", "rollback"):
        line = assert_one_line(env, [command], "cannot reach the warehouse", "Connection refused")
        assert "pw@" not in line


def test_port_in_use_is_refused_before_anything_starts(env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env["DTIMON_SANDBOX_PORT"] = str(taken.getsockname()[1])
        assert_one_line(env, ["run"], f"port {env['DTIMON_SANDBOX_PORT']} on 127.0.0.1 is in use")
    assert not (Path(env["DTIMON_HOME"]) / "pgdata").exists()  # no server was started


def test_embedded_server_that_cannot_start_says_why_in_one_line(env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env["DTIMON_PG_PORT"] = str(port)
        # `docs --no-serve` checks no port first: the server's own failure must be the one line
        assert_one_line(
            env,
            ["docs", "--no-serve"],
            f"embedded PostgreSQL did not start on 127.0.0.1:{port}",
            "could not create any TCP/IP sockets",
            "Address already in use",
        )


def test_make_lint_with_a_server_that_cannot_start_says_why_in_one_line(env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env["DTIMON_PG_PORT"] = str(taken.getsockname()[1])
        done = subprocess.run(
            [sys.executable, "-m", "infra.lint_sql"], env=env, capture_output=True, text=True, timeout=120
        )
    lines = [line for line in done.stderr.splitlines() if line.strip() and "Address already in use" in line]
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1 and lines[0].startswith("make lint: embedded PostgreSQL did not start"), (
        done.stderr
    )


def test_data_folder_without_agencies(env: dict[str, str], tmp_path: Path) -> None:
    env["DTIMON_SANDBOX_DATA_DIR"] = str(tmp_path)
    assert_one_line(env, ["run"], "has no agencies.json")
    env["DTIMON_SANDBOX_DATA_DIR"] = str(tmp_path / "missing")
    assert_one_line(env, ["run"], "is not a folder")


def test_production_without_pseudonym_key_fails_at_once(env: dict[str, str]) -> None:
    env["DTIMON_ENV"] = "production"
    assert_one_line(env, ["run"], "DTIMON_PSEUDONYM_KEY is not set")
    assert not (Path(env["DTIMON_HOME"]) / "pgdata").exists()


def test_unreachable_source_fails_at_once(env: dict[str, str]) -> None:
    env["DTIMON_ONESTOP_URL"] = f"http://127.0.0.1:{_free_port()}/api"
    assert_one_line(env, ["run"], "source onestop at http://127.0.0.1:", "is unreachable")
    assert not (Path(env["DTIMON_HOME"]) / "pgdata").exists()


@pytest.fixture
def empty_warehouse(warehouse_url: str, env: dict[str, str]) -> dict[str, str]:
    return {**env, "DTIMON_WAREHOUSE_URL": warehouse_url}


@pytest.fixture
def published(warehouse_url: str, env: dict[str, str]) -> Iterator[dict[str, str]]:
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        build_bi(conn)  # two publications
    yield {**env, "DTIMON_WAREHOUSE_URL": warehouse_url}


def test_nothing_published(empty_warehouse: dict[str, str]) -> None:
    assert_one_line(empty_warehouse, ["scorecard"], "nothing is published in bi yet")
    assert_one_line(empty_warehouse, ["rollback"], "nothing is published in bi yet")


def test_rollback_refusals(published: dict[str, str]) -> None:
    assert_one_line(published, ["rollback", "--to", "99"], "refused: publication 99 does not exist")
    code, lines = dtimon(published, "rollback")
    assert code == 0, lines
    assert_one_line(published, ["rollback"], "refused: no earlier publication to roll back to")


def test_accept_moves_refusals(published: dict[str, str]) -> None:
    assert_one_line(published, ["publish", "--accept-moves", "99"], "refused: publication 99 does not exist")
    # a build that passed the gate (now superseded) was not refused for moves: nothing to accept
    assert_one_line(published, ["publish", "--accept-moves", "1"], "refused: publication 1 is superseded")
    # a build the gate refused for another reason (its copy kept or not) stays refused
    url = published["DTIMON_WAREHOUSE_URL"]
    refused = _refused_build(url, moves_only=False)
    assert_one_line(
        published,
        ["publish", "--accept-moves", str(refused)],
        f"refused: publication {refused} was not refused for moves or disappearances only",
    )


def _refused_build(url: str, *, moves_only: bool) -> int:
    """Stage the marts as they are and record a refusing gate verdict (`moves_only`: refused for
    moves or disappearances only, the copy kept), as infra.tasks.gate does."""
    from publishing import publish as pub

    with psycopg.connect(url, autocommit=True) as conn:
        candidate = pub.stage_candidate(conn, run_id="test")
        conn.execute(
            "insert into ops.gate_results (publication_id, schema_name, success, evaluated, failed_critical,"
            " failed_warning, results, refused_for_moves_only) values (%s, %s, false, 1, 1, 0, '{}', %s)",
            (candidate.publication_id, candidate.schema, moves_only),
        )
        pub.reject(conn, candidate.publication_id, "refused", keep_copy=moves_only)
    return candidate.publication_id


def test_accept_moves_publishes_a_build_refused_for_moves_only(published: dict[str, str]) -> None:
    url = published["DTIMON_WAREHOUSE_URL"]
    build = _refused_build(url, moves_only=True)
    code, lines = dtimon(published, "publish", "--accept-moves", str(build))
    assert code == 0, lines
    with psycopg.connect(url) as conn:
        status, accepted = conn.execute(
            "select status, accepted_moves_by from ops.publications where publication_id = %s", (build,)
        ).fetchone()
    assert status == "published" and accepted.startswith(f"{getpass.getuser()} at ")


def test_broken_pipe_is_quiet(published: dict[str, str]) -> None:
    proc = subprocess.Popen(
        [DTIMON, "scorecard"], env=published, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # `| head` that has read enough
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 1
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


def test_malformed_data_file(empty_warehouse: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "province"
    folder.mkdir()
    (folder / "agencies.json").write_text("{not json")
    empty_warehouse["DTIMON_SANDBOX_DATA_DIR"] = str(folder)
    line = assert_one_line(empty_warehouse, ["run"], "sandbox-onestop exited with")
    assert "agencies.json" in line or "line 1" in line, line  # the sandbox's own last log line
    # the sandboxes this run had started before the one that failed are stopped, not left behind
    left = [p for p in Path("/proc").glob("[0-9]*") if str(folder).encode() in _command_line(p)]
    assert left == []


def _command_line(process: Path) -> bytes:
    try:
        return (process / "cmdline").read_bytes()
    except OSError:  # it ended meanwhile, or is not ours to read
        return b""


def test_wrong_source_credentials_fail_at_once(env: dict[str, str], tmp_path: Path) -> None:
    port = _free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "ingestion.sandbox", "serve", "--port", str(port), "--username", "u",
         "--password", "right", "--seed", "1", "--scale", "0.02", "--start", "2025-09-01", "--end", "2025-09-02"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/_sim/health", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        env.update(
            DTIMON_ONESTOP_URL=f"http://127.0.0.1:{port}",
            DTIMON_ONESTOP_USERNAME="u",
            DTIMON_ONESTOP_PASSWORD="wrong",
        )
        line = assert_one_line(env, ["run"], "source onestop at", "refused the login of 'u' (HTTP 401)")
        assert "wrong" not in line
        assert not (Path(env["DTIMON_HOME"]) / "pgdata").exists()
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


def test_a_refused_entries_file_lists_every_bad_line_and_the_good_one_beside_it_is_kept(
    empty_warehouse: dict[str, str], tmp_path: Path
) -> None:
    with psycopg.connect(empty_warehouse["DTIMON_WAREHOUSE_URL"], autocommit=True) as conn:
        migrate(conn)
        insert_agency(
            conn, batch(conn, "agencies", "2025-07-01", "2025-07-02"), "000.00.01.H57", "Sở Tư pháp", "1", ""
        )
    folder = tmp_path / "entries"
    folder.mkdir()
    header = "indicator_id,level,unit_id,period_kind,period_start,numerator,denominator\n"
    (folder / "entries-2025-10-01.csv").write_text(
        header + "766-1.2,agency,000.00.01.H57,month,2025-09-01,3,4\n", encoding="utf-8"
    )
    (folder / "entries-2025-10-05.csv").write_text(
        header
        + "766-1.2,agency,000.00.09.H57,month,2025-09-01,3,4\n"
        + "766-2.1,agency,000.00.01.H57,month,2025-09-15,5,4\n",
        encoding="utf-8",
    )
    empty_warehouse["DTIMON_ENTRIES_DIR"] = str(folder)
    assert_one_line(
        empty_warehouse,
        ["entries"],
        "refused 1 file(s) whole, nothing of it kept (the other files and the earlier submissions stay in force): ",
        "entries-2025-10-05.csv:2: unknown agency 000.00.09.H57; ",
        "entries-2025-10-05.csv:3: indicator 766-2.1 is not entered by the department (it is computed); ",
        "entries-2025-10-05.csv:3: period_start 2025-09-15 is not the first day of a month; ",
        "entries-2025-10-05.csv:3: numerator 5 is greater than denominator 4",
    )
    with psycopg.connect(empty_warehouse["DTIMON_WAREHOUSE_URL"]) as conn:
        kept = conn.execute("select file_name from raw.file_submissions order by 1").fetchall()
    assert kept == [("entries-2025-10-01.csv",)]

    (folder / "entries-2025-10-05.csv").unlink()  # the department takes the bad file back
    done = subprocess.run(
        [DTIMON, "entries"], env=empty_warehouse, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "0 new submission(s) kept, 1 kept before, 0 refused" in done.stdout
