"""Run DAGs through Airflow in one process: `python -m infra.dagrun ...`.

Each DAG run goes through Airflow's own `dag.test()` path (the engine behind
`airflow dags test`): runs and task instances are recorded in the metadata database,
tasks run with Airflow's context, connections, retries and Asset events — but the
~7 s start-up is paid once instead of once per interval, which makes a month of daily
intervals take seconds. Must run with the environment of `infra.airflow_env`.

Progress lines go to the file descriptor named by DTIMON_PROGRESS_FD (if set), so the
caller can show them while Airflow's own logs go to a log file.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import IO, Any

import pendulum

from infra.dag_defaults import LOCAL_TZ, ingest_dag_id


class DagRunFailed(RuntimeError):
    pass


def _progress_stream() -> IO[str]:
    fd = os.environ.get("DTIMON_PROGRESS_FD")
    if fd:
        return os.fdopen(int(fd), "w", buffering=1)
    return sys.stderr


def daily_intervals(start: date, end: date) -> Iterator[tuple[datetime, datetime]]:
    day = pendulum.datetime(start.year, start.month, start.day, tz=LOCAL_TZ)
    stop = pendulum.datetime(end.year, end.month, end.day, tz=LOCAL_TZ)
    while day < stop:
        yield day, day + timedelta(days=1)
        day = day + timedelta(days=1)


def default_ingest_dags() -> list[str]:
    """The ingest DAG of every registered source."""
    from ingestion.sources import SOURCES

    return [ingest_dag_id(source) for source in SOURCES]


def ensure_migrated() -> None:
    from airflow.utils import db

    try:
        db.check_migrations(timeout=1)
    except TimeoutError:
        db.upgradedb()


def _failed_tasks(dag_run: Any) -> list[str]:
    return [ti.task_id for ti in dag_run.get_task_instances() if ti.state not in ("success", "skipped")]


def run_dag(dag: Any, logical_date: datetime | None, out: IO[str], label: str) -> None:
    started = time.monotonic()
    dag_run = dag.test(logical_date=logical_date)
    elapsed = time.monotonic() - started
    state = str(dag_run.state)
    out.write(f"  {dag.dag_id:<18} {label:<24} {state:<8} {elapsed:5.1f} s\n")
    if state != "success":
        raise DagRunFailed(
            f"{dag.dag_id} {label} ended {state}; failed tasks: {', '.join(_failed_tasks(dag_run)) or '?'}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.dagrun", description=__doc__)
    parser.add_argument(
        "--ingest",
        action="append",
        default=[],
        help="ingest DAG id to run per daily interval (default: every registered source's)",
    )
    parser.add_argument("--build", action="store_true", help="run the build DAG afterwards")
    parser.add_argument("--start", type=date.fromisoformat, required=True)
    parser.add_argument("--end", type=date.fromisoformat, required=True, help="exclusive")
    args = parser.parse_args(argv)
    out = _progress_stream()
    ingest = args.ingest or default_ingest_dags()

    from airflow.dag_processing.dagbag import DagBag

    ensure_migrated()
    dagbag = DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if dagbag.import_errors:
        for path, error in dagbag.import_errors.items():
            out.write(f"DAG import error in {path}:\n{error}\n")
        return 2
    try:
        for dag_id in ingest:
            dag = dagbag.get_dag(dag_id)
            for interval_start, interval_end in daily_intervals(args.start, args.end):
                # A manual run's data interval is the schedule period that ends at its logical date.
                run_dag(dag, interval_end, out, f"{interval_start:%Y-%m-%d}")
        if args.build:
            run_dag(dagbag.get_dag("dtimon_build"), None, out, "build")
    except DagRunFailed as exc:
        out.write(f"FAILED: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
