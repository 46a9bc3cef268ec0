"""End to end through Airflow: `dtimon run` against the sandbox, twice, on a server given by URL.

This is the path `make run` takes (real Airflow DAG runs, real dbt, real GX, real
PostgreSQL), pointed at fresh databases so it never touches a developer's own state.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest
from e2e_env import dtimon_env
from psycopg import sql

from core.admin_units import admin_units
from core.warehouse_url import PgUrl
from infra.dbt import target_dir
from ingestion.declarations import UUID
from ingestion.sources import SOURCES
from tests.integration.dbt_fixtures import computed_indicators

pytestmark = pytest.mark.e2e

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CITIZEN_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
#: the demo period of the runs: four days (a backfill below re-ingests two of them)
START, END = date(2025, 9, 1), date(2025, 9, 5)
DAYS = (END - START).days
#: the day the second run pulls again
RERUN = date(2025, 9, 4)


@pytest.fixture(scope="module")
def run_env(
    module_warehouse_url: str, module_airflow_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    home = tmp_path_factory.mktemp("dtimon-home")
    return dtimon_env(
        module_warehouse_url,
        module_airflow_db_url,
        home,
        DTIMON_SANDBOX_SCALE="0.3",
        DTIMON_DEMO_START=START.isoformat(),
        DTIMON_DEMO_END=END.isoformat(),
    )


def _run(env: dict[str, str], *args: str) -> str:
    dtimon = Path(sys.executable).parent / "dtimon"
    proc = subprocess.run(
        [str(dtimon), "run", *args], env=env, capture_output=True, text=True, timeout=900, cwd=PROJECT_ROOT
    )
    assert proc.returncode == 0, f"dtimon run failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


def _published(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select v.level, v.unit_id, v.indicator_id, v.period_kind, v.period_start, v.numerator, v.denominator,"
        " v.value, v.value_unit, c.direction, v.target, v.met, v.scope, v.view"
        " from bi.ind_values as v inner join bi.indicator_catalogue as c on c.indicator_id = v.indicator_id"
        " order by v.level, v.unit_id, v.indicator_id, v.period_kind, v.period_start, v.scope, v.view"
    ).fetchall()


def _raw_state(conn: psycopg.Connection) -> dict[str, int]:
    tables = ["onestop__dossiers", "onestop__progress", "onestop__procedures", "onestop__agencies"]
    state = {
        t: conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier("raw", t))).fetchone()[0]
        for t in tables
    }
    state["live_batches"] = conn.execute(
        "select count(*) from ops.batches where status = 'succeeded'"
    ).fetchone()[0]
    return state


@pytest.fixture(scope="module")
def two_runs(run_env: dict[str, str], module_warehouse_url: str) -> dict[str, object]:
    first_out = _run(run_env)
    with psycopg.connect(module_warehouse_url) as conn:
        first = (_published(conn), _raw_state(conn))
    # the same interval again: the period's last day (every DAG and the build run again)
    second_out = _run(run_env, "--start", RERUN.isoformat(), "--end", END.isoformat())
    with psycopg.connect(module_warehouse_url) as conn:
        second = (_published(conn), _raw_state(conn))
    return {"first_out": first_out, "first": first, "second_out": second_out, "second": second}


def test_run_prints_scorecard_and_where_data_is(two_runs: dict) -> None:
    out = two_runs["first_out"]
    assert "Scorecard per agency" in out
    assert "\n766-2.1  " in out and "\n766-3.3  " in out and "\nNQ17-01  " in out
    assert "Full-score threshold: ≥ 50.00 %" in out  # 766-3.3's threshold is not called a target
    assert "in schema bi of" in out
    assert re.search(r"Done in \d+\.\d s", out)
    assert "still running" not in out  # a server given by URL is not ours to mention (embedded: make down)
    assert "Alerts (failed tasks): " in out


def _airflow_rows(module_airflow_db_url: str, query: str) -> list[tuple]:
    with psycopg.connect(module_airflow_db_url) as conn:
        return conn.execute(query).fetchall()


def test_airflow_records_the_runs_truthfully(
    two_runs: dict, run_env: dict[str, str], module_airflow_db_url: str
) -> None:
    """The UI's story of `make run`: real durations, triggered from the CLI, task logs found."""
    runs = _airflow_rows(
        module_airflow_db_url,
        "select dag_id, run_id, state, triggered_by, triggering_user_name,"
        " extract(epoch from end_date - start_date) from dag_run order by id",
    )
    # one run per daily interval (a second `dtimon run` reruns the same interval's run) and the builds
    assert len([r for r in runs if r[0] == "ingest_onestop"]) == DAYS
    assert any(r[0] == "dtimon_build" for r in runs)
    for dag_id, _run_id, state, triggered_by, user, seconds in runs:
        assert state == "success"
        assert (triggered_by, user) == ("CLI", "dtimon run"), dag_id
        assert 0 < seconds < 600, (dag_id, seconds)  # not the ~429 days of start = logical date
    # the second `dtimon run` re-ran its day in that day's run: the first attempt's tries stay in history
    earlier = _airflow_rows(
        module_airflow_db_url,
        "select count(*), min(try_number) from task_instance_history where dag_id = 'ingest_onestop'",
    )
    tries = _airflow_rows(
        module_airflow_db_url,
        "select distinct try_number from task_instance where dag_id = 'ingest_onestop' order by 1",
    )
    assert earlier[0][0] >= 4 and earlier[0][1] == 1 and tries == [(1,), (2,)], (earlier, tries)
    assert len([r for r in runs if r[0] == "dtimon_build"]) == 2  # each build is a run of its own
    dag_id, run_id = next((r[0], r[1]) for r in runs if r[0] == "dtimon_build")
    logs = Path(run_env["DTIMON_HOME"]) / "airflow" / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
    dbt_log = logs / "task_id=dbt_build" / "attempt=1.log"
    assert dbt_log.is_file(), sorted(logs.glob("*"))
    assert "dbt build" in dbt_log.read_text()  # the task's own lines, where the UI reads them


FAILING_DAG = """
from airflow.sdk import dag, task

from infra.dag_defaults import dag_kwargs, default_args


@dag(dag_id="dtimon_alert_probe", schedule=None,
     **dag_kwargs(tags=["test"], doc_md="probe", default_args=default_args(retries=0)))
def probe():
    @task
    def explode():
        raise RuntimeError("the probe failed on purpose")

    explode()


probe()
"""

RUN_PROBE = """
import os, sys
from airflow.dag_processing.dagbag import DagBag
from infra.dagrun import StopRequest, run_dag

the_dag = DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]).get_dag("dtimon_alert_probe")
try:
    run_dag(the_dag, None, sys.stdout, "probe", StopRequest())
except Exception as exc:
    print("run failed as expected:", exc)
"""


def test_a_failing_task_raises_an_alert(two_runs: dict, run_env: dict[str, str], tmp_path: Path) -> None:
    from core.settings import Settings
    from infra.airflow_env import airflow_env

    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "probe.py").write_text(FAILING_DAG)
    env = airflow_env(Settings.from_env(run_env), base=run_env)
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
    proc = subprocess.run(
        [sys.executable, "-c", RUN_PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
    )
    assert "run failed as expected" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]
    alerts = (Path(run_env["DTIMON_HOME"]) / "run" / "alerts.log").read_text()
    assert "task dtimon_alert_probe.explode failed" in alerts
    assert "the probe failed on purpose" in alerts


def test_bi_holds_the_indicators_consistent_with_the_facts(two_runs: dict, module_warehouse_url: str) -> None:
    rows, _ = two_runs["first"]
    assert {r[2] for r in rows} >= set(computed_indicators())
    assert len({r[1] for r in rows if r[0] == "agency"}) >= 3  # several agencies
    # agencies, and every level of government in force in 2025: districts (until 30 June) only in
    # the year's rows, September's month and quarter on the communes after the reorganisation
    in_2025 = {u.level for u in admin_units() if u.valid_on(date(2025, 1, 1)) or u.valid_on(date(2025, 9, 1))}
    assert {r[0] for r in rows} == {"agency", *in_2025}
    assert {r[3] for r in rows if r[0] == "district"} == {"year"}
    for _level, _unit, _indicator, _kind, _start, num, den, value, unit, direction, target, met, *_ in rows:
        if unit == "ratio":
            assert 0 <= num <= den
            assert (value is None) == (den == 0)
        if value is not None and target is not None:
            assert met == (value >= target if direction == "higher_is_better" else value <= target)
    with psycopg.connect(module_warehouse_url) as conn:
        received = dict(
            conn.execute(
                "select unit_id, denominator from bi.ind_values where indicator_id = '766-3.3'"
                " and level = 'agency' and period_kind = 'month' and period_start = '2025-09-01'"
            ).fetchall()
        )
        from_facts = dict(
            conn.execute(
                "select agency_id, count(*) from bi.fct_dossier where is_received "
                "and received_at >= '2025-09-01 00:00+07' and received_at < '2025-10-01 00:00+07' group by 1"
            ).fetchall()
        )
        # the demo ingests 1–7 September only: the month is published, and provisional
        statuses = conn.execute(
            "select distinct period_start::text, status from bi.ind_values where period_kind = 'month'"
        ).fetchall()
    assert {k: v for k, v in received.items() if v} == from_facts
    assert statuses == [("2025-09-01", "provisional")]


def test_second_run_changes_nothing(two_runs: dict) -> None:
    first_rows, first_raw = two_runs["first"]
    second_rows, second_raw = two_runs["second"]
    assert second_rows == first_rows
    assert second_raw == first_raw


def test_no_citizen_id_or_name_in_clear_anywhere(two_runs: dict, module_warehouse_url: str) -> None:
    with psycopg.connect(module_warehouse_url) as conn:
        columns = conn.execute(
            """
            select table_schema, table_name, column_name from information_schema.columns
            where table_schema not in ('pg_catalog', 'information_schema')
              and data_type in ('text', 'jsonb', 'json', 'character varying')
              and column_name not in ('record_hash', 'method_hash', 'sha256')  -- hex digests, not ids
            """
        ).fetchall()
        hits = []
        for schema, table, column in columns:
            query = sql.SQL(
                # twelve digits standing alone: inside a hex token (a queue id, a digest) or as a
                # UUID's last group (the declared opaque form) they are no id
                "select {col}::text from {tbl}"
                " where regexp_replace({col}::text, {uuid}, '', 'g') ~ '(^|[^0-9A-Za-z])[0-9]{{12}}([^0-9A-Za-z]|$)'"
                " limit 3"
            ).format(
                col=sql.Identifier(column), tbl=sql.Identifier(schema, table), uuid=sql.Literal(UUID.pattern)
            )
            hits += [(schema, table, column, v[:120]) for (v,) in conn.execute(query).fetchall()]
        assert hits == []
        names = conn.execute(
            "select count(*) from raw.onestop__dossiers where record->>'ChuHoSo' not like 'psn:%'"
        ).fetchone()[0]
        assert names == 0


def _dtimon(env: dict[str, str], *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    dtimon = Path(sys.executable).parent / "dtimon"
    return subprocess.run(
        [str(dtimon), *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT
    )


def _leave_a_run_running(module_airflow_db_url: str) -> str:
    """A copy of a recorded ingest run, left `running` as by a `dtimon run` killed mid-way."""
    run_id = "manual__killed_mid_way"
    with psycopg.connect(module_airflow_db_url, autocommit=True) as conn:
        columns = [
            c
            for (c,) in conn.execute(
                "select column_name from information_schema.columns where table_name = 'dag_run'"
                " and table_schema = current_schema() and column_name <> 'id' order by ordinal_position"
            ).fetchall()
        ]
        values = {
            "run_id": "%(run_id)s",
            "state": "'running'",
            "end_date": "null",
            "logical_date": "logical_date + interval '1000 days'",
        }
        select = ", ".join(values.get(c, c) for c in columns)
        conn.execute(
            sql.SQL(
                "insert into dag_run ({}) select " + select.replace("{", "{{").replace("}", "}}") +
                " from dag_run where dag_id = 'ingest_onestop' order by id limit 1"
            ).format(sql.SQL(", ").join(map(sql.Identifier, columns))),
            {"run_id": run_id},
        )  # fmt: skip
    return run_id


def test_readme_commands_run_as_printed(
    two_runs: dict, run_env: dict[str, str], module_airflow_db_url: str, module_warehouse_url: str
) -> None:
    """`dtimon backfill`, `dtimon airflow …` and `dtimon docs` (the README's commands) work as printed."""
    killed = _leave_a_run_running(module_airflow_db_url)
    with psycopg.connect(module_warehouse_url) as conn:
        before = conn.execute("select max(publication_id) from ops.publications").fetchone()[0]
    backfill = _dtimon(run_env, "backfill", "onestop", "--from", "2025-09-03", "--to", "2025-09-04")
    assert backfill.returncode == 0, backfill.stdout[-3000:] + backfill.stderr[-3000:]
    assert "ingest_onestop     2025-09-03" in backfill.stdout
    # staged, built and gated through Airflow, then published with its batches made live
    published = re.search(r"^backfill (\d+) published as publication (\d+)$", backfill.stdout, re.MULTILINE)
    assert published and int(published[2]) > before, backfill.stdout[-3000:]
    with psycopg.connect(module_warehouse_url) as conn:
        ledger = conn.execute(
            "select status, count(*) from ops.batches where backfill_id = %s group by 1", (int(published[1]),)
        ).fetchall()
        entities = SOURCES["onestop"].entities
        windowed = sum(entity.pull_mode == "window" for entity in entities)
        assert ledger == [("succeeded", windowed)]  # the windowed entities; the catalogues pulled as usual
        live = conn.execute(
            "select count(*) from ops.batches where status = 'succeeded' and source = 'onestop'"
            " and interval_start = %s::timestamptz",
            ("2025-09-03T00:00:00+07:00",),
        ).fetchone()[0]
        assert live == len(entities)  # one succeeded batch per entity and interval
    # the run a killed `dtimon run` left `running` is marked failed at the next start
    assert "marked 1 run(s) left running by a killed `dtimon run` as failed" in backfill.stdout
    state = _airflow_rows(
        module_airflow_db_url, f"select state, end_date is not null from dag_run where run_id = '{killed}'"
    )
    assert state == [("failed", True)]
    assert not (PROJECT_ROOT / "airflow.db").exists()  # no stray SQLite database
    listed = _dtimon(run_env, "airflow", "dags", "list", "-o", "plain")
    assert listed.returncode == 0, listed.stderr[-3000:]
    assert "ingest_onestop" in listed.stdout and "dtimon_build" in listed.stdout
    docs = _dtimon(run_env, "docs", "--no-serve")
    assert docs.returncode == 0, docs.stdout[-3000:] + docs.stderr[-3000:]
    target = target_dir()
    assert (target / "index.html").is_file() and (target / "catalog.json").is_file()
    # every gate run of `dtimon run` rebuilt the GX Data Docs in DTIMON_HOME/gx, which `dtimon docs`
    # names; the project stores the warehouse as ${DTIMON_WAREHOUSE_URL}, never the URL itself
    gx = Path(run_env["DTIMON_HOME"]) / "gx"
    assert (
        f"GX Data Docs of the gate's runs: {gx / 'uncommitted/data_docs/local_site/index.html'}\n"
        in docs.stdout
    )
    stored = b"".join(path.read_bytes() for path in gx.rglob("*") if path.is_file())
    url = PgUrl.parse(run_env["DTIMON_WAREHOUSE_URL"])
    for secret in (
        run_env["DTIMON_WAREHOUSE_URL"],
        url.sqlalchemy(),
        *([url.password] if url.password else []),
    ):
        assert secret.encode() not in stored
    assert b"${DTIMON_WAREHOUSE_URL}" in stored
