"""Recovery through Airflow: an ingest killed in the middle of its COPY, then `dtimon run` again,
publishes with no hand edit (the killed batch is marked abandoned, which the build accepts); a run
asked to stop stops what it started."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import requests
from e2e_env import dtimon_env

from ingestion.schema import migrate

pytestmark = pytest.mark.e2e

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DTIMON = Path(sys.executable).parent / "dtimon"


@pytest.fixture(scope="module")
def run_env(
    module_warehouse_url: str, module_airflow_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    home = tmp_path_factory.mktemp("dtimon-home")
    return dtimon_env(
        module_warehouse_url,
        module_airflow_db_url,
        home,
        DTIMON_SANDBOX_SCALE="0.2",
        DTIMON_DEMO_START="2025-09-01",
        DTIMON_DEMO_END="2025-09-04",
        DTIMON_PAGE_SIZE="20",
    )


def _copy_in_progress(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        return bool(
            conn.execute(
                "select count(*) from pg_stat_progress_copy where datname = current_database()"
            ).fetchone()[0]
        )


def _start_run(env: dict[str, str], output: int) -> subprocess.Popen[str]:
    """`dtimon run` in a session of its own (its pid is its group's and its session's id)."""
    return subprocess.Popen(
        [str(DTIMON), "run"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=output,
        stderr=output,
        text=True,
        start_new_session=True,
    )


def _kill_mid_copy(env: dict[str, str], url: str) -> None:
    """Start `dtimon run`, slow its source down, and SIGKILL it while a COPY is open."""
    proc = _start_run(env, subprocess.DEVNULL)
    sandbox = f"http://127.0.0.1:{env['DTIMON_SANDBOX_PORT']}"
    deadline = time.monotonic() + 300
    armed = False
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if not armed:
                try:  # every page answers slowly: the loader's COPY stays open between pages
                    requests.post(
                        f"{sandbox}/_sim/fault",
                        json={"mode": "latency", "count": 500, "seconds": 0.3},
                        timeout=2,
                    ).raise_for_status()
                    armed = True
                except requests.RequestException:
                    pass
            elif _copy_in_progress(url):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                return
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail("no COPY was seen in progress before the run ended")


def test_a_killed_ingest_is_followed_by_a_publish_with_no_hand_edit(
    run_env: dict[str, str], module_warehouse_url: str
) -> None:
    _kill_mid_copy(run_env, module_warehouse_url)
    down = subprocess.run(
        [str(DTIMON), "down"], env=run_env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert down.returncode == 0, down.stdout + down.stderr  # the sandbox the killed run left
    with psycopg.connect(module_warehouse_url) as conn:
        assert conn.execute("select count(*) from ops.batches where status = 'started'").fetchone()[0] == 1
    rerun = subprocess.run(
        [str(DTIMON), "run"], env=run_env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900
    )
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    with psycopg.connect(module_warehouse_url) as conn:
        statuses = dict(conn.execute("select status, count(*) from ops.batches group by 1").fetchall())
        published = conn.execute(
            "select count(*) from ops.publications where status = 'published'"
        ).fetchone()[0]
        values = conn.execute("select count(*) from bi.ind_values").fetchone()[0]
    assert statuses.get("abandoned") == 1 and "started" not in statuses
    assert published == 1 and values > 0


def _session_members(sid: int) -> list[str]:
    """The command lines of the processes still in session `sid`."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid:  # after the name: state, ppid, pgrp, session
            members.append(cmdline.strip())
    return members


def _dbt_queries(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "select count(*) from pg_stat_activity where datname = current_database() "
            "and state = 'active' and query like '%\"app\": \"dbt\"%' and pid <> pg_backend_pid()"
        ).fetchone()[0]


def test_a_run_stopped_during_its_build_cancels_dbt_and_leaves_nothing_running(
    run_env: dict[str, str], module_warehouse_url: str
) -> None:
    """`kill PID` of `dtimon run` (not its group): the stop reaches the Airflow run, whose dbt
    cancels its queries; one line, exit 128 + SIGTERM, bi on its last publication."""
    migrate(module_warehouse_url)  # as `dtimon run` does first; the test may run alone
    with psycopg.connect(module_warehouse_url) as conn:
        published = conn.execute("select count(*) from ops.publications").fetchone()[0]
    proc = _start_run(run_env, subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline and not _dbt_queries(module_warehouse_url):
            time.sleep(0.1)
        assert proc.poll() is None, "the run ended before its dbt build was seen"
        os.kill(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 128 + signal.SIGTERM, out[-2000:] + err[-2000:]
        assert err.startswith("dtimon: stopped by SIGTERM") and err.count("\n") == 1, err
        assert _session_members(proc.pid) == []
        assert _dbt_queries(module_warehouse_url) == 0
        with psycopg.connect(module_warehouse_url) as conn:
            assert conn.execute("select count(*) from ops.publications").fetchone()[0] == published
            last_step = conn.execute(
                "select status, message from ops.build_runs order by build_run_id desc limit 1"
            ).fetchone()
        assert last_step[0] == "failed" and last_step[1].startswith("stopped:"), last_step
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
