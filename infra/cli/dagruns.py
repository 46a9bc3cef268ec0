"""DAG runs through Airflow (`python -m infra.dagrun` in a child), their progress on the console and their logs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from core.settings import PROJECT_ROOT, Settings
from infra import processes
from infra.airflow_env import airflow_env
from infra.cli.common import Interrupted, UserError, alert_log_path, say


def airflow(settings: Settings, *args: str) -> None:
    """`airflow ARGS` with the project's environment, quietly (its output only in the exception)."""
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "airflow"), *args], env=airflow_env(settings), check=True, capture_output=True
    )


def run_dags(
    settings: Settings,
    start: date,
    end: date,
    *,
    ingest: list[str] | None = None,
    build: bool = True,
    conf: dict[str, int] | None = None,
) -> None:
    """Ingest every interval of each ingest DAG's schedule in [start, end) and build, through Airflow.

    `ingest`: ingest DAG ids (default: every registered source's); `build`: run the build DAG after;
    `conf`: every DAG run's conf (a backfill's id).
    """
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    logpath = new_dagrun_log(settings)
    read_fd, write_fd = os.pipe()
    env = airflow_env(settings)
    env["DTIMON_PROGRESS_FD"] = str(write_fd)
    argv = [sys.executable, "-m", "infra.dagrun", *(["--build"] if build else [])]
    for dag_id in ingest or []:
        argv += ["--ingest", dag_id]
    argv += ["--start", start.isoformat(), "--end", end.isoformat()]
    if conf:
        argv += ["--conf", json.dumps(conf)]
    with logpath.open("wb") as logfile:
        proc = subprocess.Popen(
            argv, env=env, stdout=logfile, stderr=subprocess.STDOUT, pass_fds=(write_fd,), cwd=PROJECT_ROOT
        )
        os.close(write_fd)
        # a stop asked of this process (not only of its group) reaches the run, which cancels dbt
        with processes.forward_stops(proc) as stops:
            with os.fdopen(read_fd) as progress:
                for line in progress:
                    say(line.rstrip("\n"))
            code = proc.wait()
    if stops:
        name = signal.Signals(stops[0]).name
        raise Interrupted(
            f"stopped by {name}: the run ended its running task and marked it failed (no partial data "
            f"kept); `dtimon run` again resumes. Airflow's log: {logpath}",
            stops[0],
        )
    if code != 0:
        raise UserError(
            f"Airflow run failed (exit {code}): see Airflow's log {logpath} and the alerts in "
            f"{alert_log_path(settings)}"
        )


def dagrun_log(settings: Settings) -> Path:
    """The log of the latest `dtimon run` (`dagrun.log` links to it)."""
    link = processes.log_file(settings.run_dir, "dagrun")
    return link.resolve() if link.is_symlink() else link


def new_dagrun_log(settings: Settings) -> Path:
    """A log file for this run (`run/dagrun-<UTC time>.log`, kept), and `dagrun.log` pointing at it."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = settings.run_dir / f"dagrun-{stamp}.log"
    suffix = 1
    while path.exists():
        suffix += 1
        path = settings.run_dir / f"dagrun-{stamp}-{suffix}.log"
    link = processes.log_file(settings.run_dir, "dagrun")
    link.unlink(missing_ok=True)
    link.symlink_to(path.name)
    return path
