"""Run DAGs through Airflow in one process: `python -m infra.dagrun ...`.

Each DAG run goes through Airflow's own `dag.test()` path (the engine behind
`airflow dags test`): runs and task instances are recorded in the metadata database,
tasks run with Airflow's context, connections, retries and Asset events — but the
~7 s start-up is paid once instead of once per interval, which makes a month of daily
intervals take seconds. Must run with the environment of `infra.airflow_env`.

Progress lines go to the file descriptor named by DTIMON_PROGRESS_FD (if set), so the
caller can show them while Airflow's own logs go to a log file.

So that the Airflow UI tells the truth about these runs, each is recorded as what it is:
started when it really started (not at its logical date), triggered from the CLI by
`dtimon run` (not a `dag_test` user), and each task's log written where the UI reads it
(`<AIRFLOW_HOME>/logs/dag_id=…/run_id=…/task_id=…/attempt=N.log`, JSON lines as Airflow
writes them). A run left `running` by a killed `dtimon run` is marked failed at the next start.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pendulum

from infra.dag_defaults import LOCAL_TZ, ingest_dags
from infra.processes import STOP_SIGNALS

#: Who the runs recorded by this module say triggered them (Airflow's "triggering user").
TRIGGERING_USER = "dtimon run"
#: Runs this module recorded before it named itself (Airflow's own dag.test default).
LEGACY_USERS = (TRIGGERING_USER, "dag_test")


class DagRunFailed(RuntimeError):
    pass


class StopRequest:
    """A stop asked by a signal: the task running when it comes is interrupted (KeyboardInterrupt:
    its dbt is cancelled, its batch rolled back), and no task starts after it.

    Only the first signal interrupts; later ones (a terminal's Ctrl-C reaches `dtimon run` and this
    process both, and `dtimon run` forwards it) are ignored so that the clean-up finishes.
    """

    def __init__(self) -> None:
        self.signum: int | None = None

    def install(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: object) -> None:
        if self.signum is None:
            self.signum = signum
            raise KeyboardInterrupt

    def check(self) -> None:
        """Raise once a stop was asked (dag.test turns a task's own KeyboardInterrupt into a failed try)."""
        if self.signum is not None:
            raise KeyboardInterrupt


class JsonLines(logging.Formatter):
    """One JSON object per record, the shape Airflow's task log reader parses (timestamp, level, event)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        if record.exc_info:
            entry["error_detail"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def task_log_path(ti: Any) -> Path:
    """Where Airflow's UI reads the log of `ti`'s current try (its configured file template)."""
    from airflow.configuration import conf
    from airflow.utils.log.file_task_handler import FileTaskHandler

    base = Path(conf.get("logging", "base_log_folder")).expanduser()
    return base / FileTaskHandler(str(base))._render_filename(ti, ti.try_number)


@contextlib.contextmanager
def task_log(ti: Any) -> Iterator[Path]:
    """Everything logged while `ti` runs also goes to its task log file."""
    path = task_log_path(ti)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonLines())
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
        handler.close()


def _logging_run_task(original: Callable[..., Any], stop: StopRequest) -> Callable[..., Any]:
    def run_task(*, ti: Any, task: Any, **kwargs: Any) -> Any:
        stop.check()
        with task_log(ti):
            result = original(ti=ti, task=task, **kwargs)
        stop.check()
        return result

    return run_task


@contextlib.contextmanager
def task_logs_for_the_ui(stop: StopRequest) -> Iterator[None]:
    """Make `dag.test` write each task's log where the UI reads it (it only logs to stdout), and
    start no task once a stop was asked."""
    import airflow.sdk.definitions.dag as sdk_dag

    original = sdk_dag._run_task
    sdk_dag._run_task = _logging_run_task(original, stop)
    try:
        yield
    finally:
        sdk_dag._run_task = original


@contextlib.contextmanager
def reruns_keep_their_history() -> Iterator[None]:
    """Make `dag.test` keep what a day's earlier attempt left in Airflow's history.

    `dag.test` clears the task instances of a run at the same logical date (each finished try
    is kept in Airflow's task-instance history), then deletes that run — its tries with it —
    and creates a new one. Here the run is started again instead, so its tasks' next tries
    follow the earlier ones in the UI; a run with no logical date (the build) is always a new
    run, never one that replaces an earlier build.
    """
    import airflow.models.dagrun as dagrun_module
    from airflow.utils.state import DagRunState
    from sqlalchemy import select

    original = dagrun_module.get_or_create_dagrun

    def get_or_restart(*, dag: Any, logical_date: datetime | None, session: Any, **kwargs: Any) -> Any:
        if logical_date is None:
            run = dag.create_dagrun(
                run_id=kwargs["run_id"], logical_date=None, data_interval=kwargs["data_interval"],
                run_after=kwargs["run_after"], conf=kwargs["conf"], run_type=DagRunType.MANUAL,
                state=DagRunState.RUNNING, triggered_by=kwargs["triggered_by"],
                triggering_user_name=kwargs["triggering_user_name"], start_date=kwargs["start_date"],
                session=session,
            )  # fmt: skip
            session.commit()
            return run
        DagRun = dagrun_module.DagRun
        run = session.scalar(
            select(DagRun).where(DagRun.dag_id == dag.dag_id, DagRun.logical_date == logical_date)
        )
        if run is None:
            return original(dag=dag, logical_date=logical_date, session=session, **kwargs)
        run.state = DagRunState.RUNNING
        run.start_date, run.end_date, run.conf = kwargs["start_date"], None, kwargs["conf"]
        run.dag = dag  # what create_dagrun would have attached
        session.commit()
        return run

    from airflow.utils.types import DagRunType

    dagrun_module.get_or_create_dagrun = get_or_restart
    try:
        yield
    finally:
        dagrun_module.get_or_create_dagrun = original


def record_truthfully(dag_run: Any, started: datetime) -> None:
    """The run started at `started` (dag.test records its logical date), triggered by `dtimon run`."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunTriggeredByType

    with create_session() as session:
        session.query(DagRun).filter(DagRun.id == dag_run.id).update(
            {
                DagRun.start_date: started,
                DagRun.triggered_by: DagRunTriggeredByType.CLI,
                DagRun.triggering_user_name: TRIGGERING_USER,
            },
            synchronize_session=False,
        )


def fail_abandoned_runs(dag_ids: list[str]) -> int:
    """Mark failed the runs (and their unfinished tasks) a killed `dtimon run` left `running`.

    Only runs this module recorded: the scheduler's own runs are the scheduler's business.
    """
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, TaskInstanceState

    now = datetime.now(UTC)
    unfinished = [s.value for s in TaskInstanceState if s not in (TaskInstanceState.SUCCESS,
                  TaskInstanceState.FAILED, TaskInstanceState.SKIPPED, TaskInstanceState.UPSTREAM_FAILED,
                  TaskInstanceState.REMOVED)]  # fmt: skip
    with create_session() as session:
        runs = (
            session.query(DagRun)
            .filter(
                DagRun.dag_id.in_(dag_ids),
                DagRun.state == DagRunState.RUNNING,
                DagRun.triggering_user_name.in_(LEGACY_USERS),
            )
            .all()
        )
        for run in runs:
            session.query(TaskInstance).filter(
                TaskInstance.dag_id == run.dag_id,
                TaskInstance.run_id == run.run_id,
                (TaskInstance.state.in_(unfinished)) | (TaskInstance.state.is_(None)),
            ).update(
                {TaskInstance.state: TaskInstanceState.FAILED, TaskInstance.end_date: now},
                synchronize_session=False,
            )
            run.state = DagRunState.FAILED
            run.end_date = now
        return len(runs)


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


def schedule_intervals(timetable: Any, start: date, end: date) -> Iterator[tuple[datetime, datetime]]:
    """The data intervals `timetable` schedules inside the local days [start, end), in order."""
    from airflow.timetables.base import TimeRestriction

    first = pendulum.datetime(start.year, start.month, start.day, tz=LOCAL_TZ)
    stop = pendulum.datetime(end.year, end.month, end.day, tz=LOCAL_TZ)
    restriction = TimeRestriction(earliest=first, latest=stop, catchup=True)
    last = None
    while True:
        info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        if info is None or info.data_interval.end > stop:
            return
        yield info.data_interval.start, info.data_interval.end
        last = info.data_interval


def ingest_plan() -> dict[str, bool]:
    """Every registered ingest DAG → whether it pulls cursor or queue entities only (run once per
    simulated day: they read what is new, not an interval) rather than once per interval of its schedule."""
    from ingestion.sources import SOURCES

    return {
        dag_id: all(source.entity(name).pull_mode in ("cursor", "queue") for name in entities)
        for source in SOURCES.values()
        for dag_id, (_, entities) in ingest_dags(source).items()
    }


def default_ingest_dags() -> list[str]:
    """The ingest DAGs of every registered source."""
    return list(ingest_plan())


def run_intervals(dag: Any, start: date, end: date) -> Iterator[tuple[datetime, datetime]]:
    """The intervals `dtimon run` runs ingest DAG `dag` for over [start, end): each of its schedule's,
    or each simulated day for a DAG of cursor or queue entities."""
    if ingest_plan().get(dag.dag_id, False):
        return daily_intervals(start, end)
    return schedule_intervals(dag.timetable, start, end)


def interval_label(start: datetime, end: datetime) -> str:
    """How the progress line names an interval: its local start day, with the time when shorter
    than a day (Airflow hands later intervals in UTC, a local day starting at 17:00 the day before)."""
    local = pendulum.instance(start).in_timezone(LOCAL_TZ)
    return f"{local:%Y-%m-%d}" if end - start >= timedelta(days=1) else f"{local:%Y-%m-%d %H:%M}"


def ensure_migrated() -> None:
    from airflow.utils import db

    try:
        db.check_migrations(timeout=1)
    except TimeoutError:
        db.upgradedb()


def _failed_tasks(dag_run: Any) -> list[str]:
    return [ti.task_id for ti in dag_run.get_task_instances() if ti.state not in ("success", "skipped")]


def _why_it_failed(run_id: str) -> str | None:
    """What the warehouse says of the run's failure: its failed build step (the failed dbt
    nodes) in ops.build_runs, else its failed batches' errors in ops.batches; None if nothing."""
    import psycopg

    from core.settings import Settings
    from infra.tasks import build_failure, ingest_failure

    url = Settings.from_env().warehouse_url
    try:
        return build_failure(url, run_id) or ingest_failure(url, run_id)
    except psycopg.Error:
        logging.getLogger(__name__).warning("could not read ops.build_runs or ops.batches", exc_info=True)
        return None


def run_dag(
    dag: Any,
    logical_date: datetime | None,
    out: IO[str],
    label: str,
    stop: StopRequest,
    conf: dict[str, Any] | None = None,
) -> None:
    started = time.monotonic()
    wall_start = datetime.now(UTC)
    with task_logs_for_the_ui(stop), reruns_keep_their_history():
        dag_run = dag.test(logical_date=logical_date, run_conf=conf)
    record_truthfully(dag_run, wall_start)
    elapsed = time.monotonic() - started
    state = str(dag_run.state)
    out.write(f"  {dag.dag_id:<18} {label:<24} {state:<8} {elapsed:5.1f} s\n")
    if state != "success":
        failed = f"failed tasks: {', '.join(_failed_tasks(dag_run)) or '?'}"
        why = _why_it_failed(dag_run.run_id)
        raise DagRunFailed(f"{why}; {failed}" if why else f"{dag.dag_id} {label} ended {state}; {failed}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.dagrun", description=__doc__)
    parser.add_argument(
        "--ingest",
        action="append",
        default=[],
        help="ingest DAG id to run per interval of its schedule (default: every registered source's)",
    )
    parser.add_argument("--build", action="store_true", help="run the build DAG afterwards")
    parser.add_argument("--start", type=date.fromisoformat)
    parser.add_argument("--end", type=date.fromisoformat, help="exclusive")
    parser.add_argument("--conf", type=json.loads, help="the conf of every run, as JSON (a backfill's id)")
    parser.add_argument(
        "--fail-abandoned", action="store_true", help="only mark runs a killed run left `running` as failed"
    )
    args = parser.parse_args(argv)
    out = _progress_stream()
    ingest = args.ingest or default_ingest_dags()
    if args.fail_abandoned:
        ensure_migrated()
        abandoned = fail_abandoned_runs([*ingest, "dtimon_build"])
        out.write(f"marked {abandoned} run(s) left running by a killed `dtimon run` as failed\n")
        return 0
    if args.start is None or args.end is None:
        parser.error("--start and --end are required")

    from airflow.dag_processing.dagbag import DagBag

    stop = StopRequest()
    stop.install()
    ensure_migrated()
    dagbag = DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if dagbag.import_errors:
        for path, error in dagbag.import_errors.items():
            out.write(f"DAG import error in {path}:\n{error}\n")
        return 2
    abandoned = fail_abandoned_runs([*ingest, "dtimon_build"])
    if abandoned:
        out.write(f"marked {abandoned} run(s) left running by a killed `dtimon run` as failed\n")
    try:
        for dag_id in ingest:
            dag = dagbag.get_dag(dag_id)
            from infra.tasks import INTERVAL_START

            daily_cursor = ingest_plan().get(dag_id, False)
            for interval_start, interval_end in run_intervals(dag, args.start, args.end):
                # A manual run's data interval is the schedule period that ends at its logical date;
                # a DAG of cursor or queue entities run once per simulated day is given the whole day
                conf = {
                    **(args.conf or {}),
                    **({INTERVAL_START: interval_start.isoformat()} if daily_cursor else {}),
                }
                label = interval_label(interval_start, interval_end)
                run_dag(dag, interval_end, out, label, stop, conf or None)
        if args.build:
            run_dag(dagbag.get_dag("dtimon_build"), None, out, "build", stop, args.conf)
    except DagRunFailed as exc:
        out.write(f"FAILED: {exc}\n")
        return 1
    except KeyboardInterrupt:
        # the interrupted run is failed now, not at the next start; its batch rolled back
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        fail_abandoned_runs([*ingest, "dtimon_build"])
        out.write("STOPPED: the running task was interrupted and its DAG run marked failed\n")
        return 128 + (stop.signum or signal.SIGINT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
