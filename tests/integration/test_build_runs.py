"""Every build step leaves a trace in ops.build_runs: a dbt failure is recorded with dbt's
message (masked, bounded) and its failed nodes (from dbt's run_results.json) before the error
goes on, and a success is recorded too."""

from __future__ import annotations

import contextlib
import re

import dbt_fixtures as fx
import psycopg
import pytest
from airflow.sdk.exceptions import AirflowFailException
from test_dbt_indicators import P1, A, load_dossier_of_an_uncovered_year, load_reference

from infra import tasks
from infra.dbt import DbtFailed
from ingestion.schema import migrate
from ingestion.sources import SOURCES


def _runs(url: str, run_id: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select step, status, finished_at is not null, message from ops.build_runs"
            " where run_id = %s order by build_run_id",
            (run_id,),
        ).fetchall()


def test_a_failing_dbt_build_is_recorded_with_its_message(warehouse_url: str) -> None:
    with psycopg.connect(warehouse_url) as conn:
        migrate(conn)
        with conn.transaction():
            load_reference(conn)
            load_dossier_of_an_uncovered_year(conn)  # the build's calendar test fails
    with pytest.raises(AirflowFailException) as failed:  # a failing test fails again: no retry
        tasks.dbt_build(run_id="run-broken", url=warehouse_url)
    assert isinstance(failed.value.__cause__, DbtFailed) and failed.value.__cause__.returncode == 1
    runs = _runs(warehouse_url, "run-broken")
    assert len(runs) == 2, runs
    (freshness, build) = runs
    assert freshness[:3] == ("dbt source freshness", "succeeded", True) and freshness[3] is None
    step, status, finished, message = build
    assert (step, status, finished) == ("dbt build", "failed", True)
    assert message.startswith("DbtFailed: ") or message.startswith("…")
    assert "assert_holiday_calendar_covers_dossier_years" in message
    assert len(message) <= tasks.BUILD_MESSAGE_CHARS
    # the failing node is named from dbt's run_results.json: in ops, on the console, in the alert
    with psycopg.connect(warehouse_url) as conn:
        (nodes,) = conn.execute(
            "select failed_nodes from ops.build_runs where run_id = 'run-broken' and step = 'dbt build'"
        ).fetchone()
    assert nodes == [
        {
            "resource_type": "test",
            "name": "assert_holiday_calendar_covers_dossier_years",
            "status": "fail",
            "message": "Got 1 result, configured to fail if != 0",
        }
    ]
    line = tasks.build_failure(warehouse_url, "run-broken")
    assert re.fullmatch(
        r"build \d+ failed: dbt test assert_holiday_calendar_covers_dossier_years"
        r" \(Got 1 result, configured to fail if != 0\)",
        line or "",
    ), line
    first_line = str(failed.value.__cause__).splitlines()[0]
    assert first_line.endswith(
        ": dbt test assert_holiday_calendar_covers_dossier_years (Got 1 result, configured to fail if != 0); last lines of its output:"
    ), first_line
    assert tasks.build_failure(warehouse_url, "run-never-failed") is None


def test_a_good_build_is_recorded_as_succeeded(warehouse_url: str) -> None:
    """A good build is recorded, on a warehouse whose seed has an older shape too."""
    with psycopg.connect(warehouse_url) as conn:
        migrate(conn)
        with conn.transaction():
            load_reference(conn)
            dossiers = fx.batch(conn, "dossiers", "2025-09-01", "2025-10-01")
            code = f"{A}-250903-00001"
            fx.insert_dossier(
                conn,
                dossiers,
                fx.dossier(
                    code, 1, updated="2025-09-03 08:00", status="2", channel="1", procedure=P1,
                    received="2025-09-03 08:00",
                ),
            )  # fmt: skip
            progress = fx.batch(conn, "progress", "2025-09-01", "2025-10-01")
            fx.batch_others(conn, "2025-09-01", "2025-10-01")
            fx.insert_progress(conn, progress, code, "2025-09-03 08:00", "2", "Tiếp nhận hồ sơ")
            # a seed as an older version left it (fewer columns): an upgrade's build reloads it whole
            conn.execute("create schema if not exists reference")
            conn.execute("create table reference.indicator_catalogue (indicator_id text)")
    tasks.dbt_build(run_id="run-good", url=warehouse_url)
    assert _runs(warehouse_url, "run-good") == [
        ("dbt source freshness", "succeeded", True, None),
        ("dbt build", "succeeded", True, None),
    ]


def test_a_stale_source_only_warns_and_the_build_goes_on(warehouse_url: str) -> None:
    """Freshness is a warning recorded per source (ops.source_freshness; the gate reports
    source_stale, the indicators reading the source are provisional), never a failed build."""
    with psycopg.connect(warehouse_url) as conn:
        migrate(conn)
        with conn.transaction():
            load_reference(conn)  # no dossier and no progress loaded: the sources are not fresh
    with contextlib.suppress(Exception):  # how the build itself ends is not the point here
        tasks.dbt_build(run_id="run-stale", url=warehouse_url)
    runs = _runs(warehouse_url, "run-stale")
    assert runs[0][:3] == ("dbt source freshness", "succeeded", True)
    assert [run[0] for run in runs] == ["dbt source freshness", "dbt build"]
    with psycopg.connect(warehouse_url) as conn:  # recorded per source: every empty source is stale
        recorded = conn.execute(
            "select source, status, newest_loaded_at from ops.source_freshness where run_id = 'run-stale'"
            " order by source"
        ).fetchall()
    assert recorded == [(name, "warn", None) for name in sorted(SOURCES)]


def test_build_message_is_masked_and_bounded() -> None:
    error = RuntimeError(
        "could not connect to postgresql://dtimon:s3cret@db:5432/w password=hunter2 citizen 079123456789 "
        + "x" * 5000
        + " end"
    )
    message = tasks.build_message(error, ("hunter2",))
    assert len(message) == tasks.BUILD_MESSAGE_CHARS and message.endswith(" end")
    short = tasks.build_message(
        RuntimeError("postgresql://dtimon:s3cret@db:5432/w password=hunter2 id 079123456789")
    )
    assert short == "RuntimeError: postgresql://dtimon:***@db:5432/w password=*** id ############"


def test_a_deadline_build_runs_only_when_something_landed_since_the_live_publication(
    warehouse_url: str,
) -> None:
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        migrate(conn)

        def land(status: str, finished: str) -> None:
            conn.execute(
                "insert into ops.batches (source, entity, interval_start, interval_end, status, started_at,"
                " finished_at) values ('onestop', 'dossiers', %s::timestamptz - interval '1 day', %s, %s, %s, %s)",
                (finished, finished, status, finished, finished),
            )

        land("succeeded", "2025-09-02 05:00+07")
        assert tasks.worth_building("scheduled", warehouse_url)  # nothing published yet
        conn.execute(
            "insert into ops.publications (schema_name, status, created_at)"
            " values ('pub_000001', 'published', '2025-09-02 05:10+07')"
        )
        assert not tasks.worth_building("scheduled", warehouse_url)  # the early build has it all
        for run_type in ("asset_triggered", "manual", "backfill"):
            assert tasks.worth_building(run_type, warehouse_url)
        land("failed", "2025-09-02 05:30+07")  # a failed load brings nothing new
        assert not tasks.worth_building("scheduled", warehouse_url)
        land("succeeded", "2025-09-02 05:40+07")
        assert tasks.worth_building("scheduled", warehouse_url)
