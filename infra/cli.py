"""`dtimon`: the one command line over the local stack (the Makefile calls it).

dtimon run        set up, pull the demo period through Airflow, build, gate, publish, print the scorecard
dtimon up         keep PostgreSQL, the sandbox and Airflow (UI on 127.0.0.1) running
dtimon down       stop everything `run`/`up` started, by process id
dtimon status     what is running
dtimon scorecard  print the scorecard from what is published in `bi`
dtimon rollback   point `bi` back at the previous publication
dtimon report     render the index report (one HTML page per published month) from `bi`
dtimon metabase   plan|apply the Metabase definitions (publishing/metabase/) against METABASE_URL
dtimon reset-source SOURCE  delete everything ingested from SOURCE (to fill it from another origin)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import psycopg
import requests

from core.settings import PROJECT_ROOT, ConfigError, Settings, SourceSettings, mask_url
from infra import postgres, processes
from infra.airflow_env import airflow_env, source_origin, source_settings
from ingestion.sources import SOURCES, Source

log = logging.getLogger("dtimon")

AIRFLOW_COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def _say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def _settings(demo: bool) -> Settings:
    env = dict(os.environ)
    if demo:
        env.setdefault("DTIMON_ENV", "demo")
    return Settings.from_env(env)


def _http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    return check


def sandbox_process(source: Source) -> str:
    """The process name (pid and log file) of a source's sandbox."""
    return f"sandbox-{source.name}"


def sandbox_argv(settings: Settings, source: Source) -> list[str]:
    """The command that serves `source`'s sandbox (its module's `serve` command)."""
    assert source.sandbox is not None
    config = source_settings(settings, source)
    argv = [sys.executable, "-m", source.sandbox.module, "serve", "--port", str(config.sandbox_port)]
    argv += ["--username", config.username, "--password", config.password]
    if settings.sandbox_data_dir:
        return [*argv, "--data-dir", str(settings.sandbox_data_dir)]
    span_start = date.fromordinal(settings.demo_start.toordinal() - 90)
    return [
        *argv,
        "--seed",
        str(settings.sandbox_seed),
        "--scale",
        str(settings.sandbox_scale),
        "--start",
        span_start.isoformat(),
        "--end",
        settings.demo_end.isoformat(),
    ]


def sandboxed_sources(settings: Settings) -> list[Source]:
    """Registered sources with no configured URL: the ones served by their sandbox."""
    return [source for source in SOURCES.values() if source_settings(settings, source).uses_sandbox]


def start_sandboxes(settings: Settings) -> list[str]:
    """Start the sandbox of every registered source that has no configured URL.

    Returns the process names this call started (already running ones are left alone).
    """
    started = []
    for source in sandboxed_sources(settings):
        if source.sandbox is None:
            raise ConfigError(
                f"source {source.name} has no sandbox: set DTIMON_{source.name.upper()}_URL to its endpoint"
            )
        name = sandbox_process(source)
        if processes.pid_of(settings.run_dir, name):
            continue
        config = source_settings(settings, source)
        processes.start(
            settings.run_dir,
            name,
            sandbox_argv(settings, source),
            os.environ,
            ready=_http_ok(f"{config.sandbox_url}{source.sandbox.health_path}"),
        )
        started.append(name)
    return started


def describe_sources(settings: Settings) -> str:
    """One line naming where every registered source is pulled from."""

    def where(config: SourceSettings) -> str:
        return f"{config.name} {mask_url(config.url)}" + (" (sandbox)" if config.uses_sandbox else "")

    return ", ".join(where(source_settings(settings, source)) for source in SOURCES.values())


def _airflow(settings: Settings, *args: str) -> None:
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "airflow"), *args], env=airflow_env(settings), check=True, capture_output=True
    )


def run_dags(settings: Settings, start: date, end: date) -> None:
    """Ingest every daily interval of [start, end) and build, through Airflow, showing progress."""
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    logpath = processes.log_file(settings.run_dir, "dagrun")
    read_fd, write_fd = os.pipe()
    env = airflow_env(settings)
    env["DTIMON_PROGRESS_FD"] = str(write_fd)
    argv = [sys.executable, "-m", "infra.dagrun", "--build"]  # every registered source's ingest DAG
    argv += ["--start", start.isoformat(), "--end", end.isoformat()]
    with logpath.open("wb") as logfile:
        proc = subprocess.Popen(
            argv, env=env, stdout=logfile, stderr=subprocess.STDOUT, pass_fds=(write_fd,), cwd=PROJECT_ROOT
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as progress:
            for line in progress:
                _say(line.rstrip("\n"))
        code = proc.wait()
    if code != 0:
        raise SystemExit(f"Airflow run failed (exit {code}); Airflow's log: {logpath}")


def print_scorecard(settings: Settings, start: date, end: date, lang: str) -> None:
    from publishing.publish import current_publication, restatement_count
    from publishing.scorecard import fetch, render

    with psycopg.connect(settings.warehouse_url) as conn:
        publication = current_publication(conn)
        rows = fetch(conn, start, end) if publication else []
    _say(render(rows, lang))
    if publication:
        _say(
            f"\nPublished: schema bi (publication {publication[0]}, data in {publication[1]}) "
            f"of {mask_url(settings.warehouse_url)}"
        )
        with psycopg.connect(settings.warehouse_url) as conn:
            restated = restatement_count(conn, publication[0])
        if restated:
            _say(f"This publication changed {restated} already published values: see bi.restatements")


def print_report_path(settings: Settings, end: date) -> None:
    """Where the index report of the run's last month is (the build DAG rendered it)."""
    from publishing.report.render import report_name

    last_month = date.fromordinal(end.toordinal() - 1).replace(day=1)
    page = settings.reports_dir / report_name(last_month)
    if page.exists():
        _say(
            f"Index report: {page} ({page.resolve().as_uri()}); all months: {settings.reports_dir / 'index.html'}"
        )
    else:
        _say(f"No index report for {last_month:%m/%Y} in {settings.reports_dir} (nothing published for it)")


def print_ingestion_summary(settings: Settings, start: date, end: date) -> None:
    """What the live batches of [start, end) hold, per entity, and where rejected records are."""
    with psycopg.connect(settings.warehouse_url) as conn:
        rows = conn.execute(
            """
            select source, entity, count(*), sum(rows_loaded), sum(rows_rejected),
                sum(coalesce(rows_received, rows_loaded))
            from ops.batches
            where status = 'succeeded'
              and interval_start >= %s::date::timestamp at time zone 'Asia/Ho_Chi_Minh'
              and interval_end <= %s::date::timestamp at time zone 'Asia/Ho_Chi_Minh'
            group by source, entity order by source, entity
            """,
            (start, end),
        ).fetchall()
    for source, entity, batches, loaded, rejected, received in rows:
        where = " (see ops.rejects)" if rejected else ""
        pulled = f" (of {received:,} pulled: only changes are stored)" if received != loaded else ""
        _say(
            f"Ingested {source}.{entity}: {loaded:,} rows{pulled} in {batches} batches, "
            f"{rejected:,} rejected{where}"
        )


def check_origin(settings: Settings) -> None:
    """Migrate the warehouse and refuse, in one line, a source that another origin filled."""
    from ingestion.origins import OriginMismatch, claim
    from ingestion.schema import migrate

    migrate(settings.warehouse_url)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        try:
            for source in SOURCES.values():
                claim(conn, source.name, source_origin(settings, source_settings(settings, source)))
        except OriginMismatch as exc:
            raise SystemExit(str(exc)) from None


def cmd_run(args: argparse.Namespace) -> None:
    started = time.monotonic()
    settings = _settings(demo=True)
    start, end = args.start or settings.demo_start, args.end or settings.demo_end
    where = "embedded PostgreSQL" if settings.embedded else mask_url(settings.warehouse_url)
    _say(f"dtimon run: {start} → {end} on {where}, sources: {describe_sources(settings)}")
    postgres.ensure_server(settings)
    check_origin(settings)
    started_sandboxes = start_sandboxes(settings)
    try:
        run_dags(settings, start, end)
    finally:
        for name in started_sandboxes:
            processes.stop(settings.run_dir, name)
    _say("")
    print_scorecard(settings, start, end, args.lang)
    print_ingestion_summary(settings, start, end)
    print_report_path(settings, end)
    _say(f"Airflow log: {processes.log_file(settings.run_dir, 'dagrun')}")
    _say(f"Done in {time.monotonic() - started:.1f} s.")


def cmd_up(args: argparse.Namespace) -> None:
    settings = _settings(demo=True)
    postgres.ensure_server(settings)
    start_sandboxes(settings)
    _airflow(settings, "db", "migrate")
    env = airflow_env(settings)
    bin_dir = Path(sys.executable).parent
    for component in AIRFLOW_COMPONENTS:
        processes.start(settings.run_dir, f"airflow-{component}", [str(bin_dir / "airflow"), component], env)
    base = env["AIRFLOW__API__BASE_URL"]
    _say(f"Waiting for Airflow at {base} ...")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not _http_ok(f"{base}/api/v2/monitor/health")():
        time.sleep(1)
    _say(f"Airflow UI: {base} (user admin, password {_airflow_admin_password(settings)})")
    _say(f"Sources: {describe_sources(settings)}")
    _say(f"Warehouse: {mask_url(settings.warehouse_url)}")
    _say("Stop everything with: make down")


def _airflow_admin_password(settings: Settings) -> str:
    """The password Airflow's simple auth manager generated for `admin` (kept in AIRFLOW_HOME)."""
    path = settings.airflow_home / "simple_auth_manager_passwords.json.generated"
    try:
        return str(json.loads(path.read_text())["admin"])
    except (OSError, KeyError, ValueError):
        return f"(see {path})"


def cmd_down(args: argparse.Namespace) -> None:
    settings = _settings(demo=False)
    for name in processes.running(settings.run_dir):
        processes.stop(settings.run_dir, name)
        _say(f"stopped {name}")
    if settings.embedded and postgres.stop(settings):
        _say("stopped embedded PostgreSQL")


def cmd_status(args: argparse.Namespace) -> None:
    settings = _settings(demo=False)
    for name, pid in processes.running(settings.run_dir).items():
        _say(f"{name:<24} pid {pid}")
    if settings.embedded:
        state = "running" if postgres.is_running(settings.pgdata) else "stopped"
        _say(f"{'postgresql (embedded)':<24} {state} on 127.0.0.1:{settings.pg_port}")


def cmd_scorecard(args: argparse.Namespace) -> None:
    settings = _settings(demo=False)
    print_scorecard(settings, args.start or settings.demo_start, args.end or settings.demo_end, args.lang)


def cmd_rollback(args: argparse.Namespace) -> None:
    from publishing.publish import rollback

    settings = _settings(demo=False)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        schema = rollback(conn, args.to)
    _say(f"bi now reads {schema}")


def cmd_report(args: argparse.Namespace) -> None:
    from publishing.report.after_publish import render_after_publish

    settings = _settings(demo=False)
    summary = render_after_publish(settings.warehouse_url, settings.reports_dir, args.lang)
    if "skipped" in summary:
        raise SystemExit(f"no report: {summary['skipped']}")
    _say(f"Index report: {summary['latest']} ({summary['link']}); all months: {summary['index']}")


def cmd_metabase(args: argparse.Namespace) -> None:
    from publishing.metabase import apply, plan, render

    settings = _settings(demo=False)
    _say(render((apply if args.action == "apply" else plan)(settings)))


def cmd_reset_source(args: argparse.Namespace) -> None:
    from ingestion.origins import reset_source
    from ingestion.schema import migrate
    from ingestion.sources import SOURCES

    if args.source not in SOURCES:
        raise SystemExit(f"unknown source {args.source!r}; registered: {', '.join(sorted(SOURCES))}")
    settings = _settings(demo=False)
    migrate(settings.warehouse_url)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        deleted = reset_source(conn, args.source)
    for table, count in deleted.items():
        _say(f"deleted {count:,} rows from {table}")
    _say(
        f"source {args.source} starts afresh: the next ingest records its origin; bi changes at the next build"
    )


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(
        level=os.environ.get("DTIMON_LOG_LEVEL", "WARNING"), format="%(levelname)s %(name)s: %(message)s"
    )
    parser = argparse.ArgumentParser(
        prog="dtimon", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, helptext in (
        ("run", cmd_run, "run the main job end to end on the demo period"),
        ("up", cmd_up, "start PostgreSQL, the sandbox and Airflow and leave them running"),
        ("down", cmd_down, "stop what run/up started"),
        ("status", cmd_status, "show what is running"),
        ("scorecard", cmd_scorecard, "print the published scorecard"),
        ("rollback", cmd_rollback, "point bi back at an earlier publication"),
        ("reset-source", cmd_reset_source, "delete everything ingested from one source"),
        ("report", cmd_report, "render the index report from what is published"),
        ("metabase", cmd_metabase, "plan or apply the Metabase definitions"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.set_defaults(func=func)
        if name == "metabase":
            p.add_argument("action", choices=("plan", "apply"))
        if name == "report":
            p.add_argument("--lang", choices=("vi", "en"), default=os.environ.get("DTIMON_LANG", "vi"))
        if name in {"run", "scorecard"}:
            p.add_argument("--start", type=date.fromisoformat, help="first day (default DTIMON_DEMO_START)")
            p.add_argument(
                "--end", type=date.fromisoformat, help="day after the last (default DTIMON_DEMO_END)"
            )
            p.add_argument("--lang", choices=("vi", "en"), default=os.environ.get("DTIMON_LANG", "vi"))
        if name == "reset-source":
            p.add_argument("source", choices=sorted(SOURCES), help="a registered source")
        if name == "rollback":
            p.add_argument("--to", type=int, help="publication id (default: the previous one)")
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except ConfigError as exc:
        raise SystemExit(f"configuration error: {exc}") from exc


if __name__ == "__main__":
    main()
