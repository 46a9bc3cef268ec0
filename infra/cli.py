"""`dtimon`: the one command line over the local stack (the Makefile calls it).

dtimon run        set up, pull the demo period through Airflow, build, gate, publish, print the scorecard
dtimon up         keep PostgreSQL, the sandbox and Airflow (UI on 127.0.0.1) running
dtimon down       stop everything `run`/`up` started, by process id
dtimon status     what is running
dtimon scorecard  print the scorecard from what is published in `bi`
dtimon rollback   point `bi` back at the previous publication
dtimon publish --accept-moves BUILD  publish a build the gate refused only for moves, on your word
dtimon report     render the index report (one HTML page per published month) from `bi`
dtimon metabase   plan|apply the Metabase definitions (publishing/metabase/) against METABASE_URL
dtimon reset-source SOURCE  delete everything ingested from SOURCE (to fill it from another origin)
dtimon backfill SOURCE --from D --to D  re-ingest days staged, build and gate them, publish or refuse as a whole
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import NoReturn

import psycopg
import requests

from core.settings import PROJECT_ROOT, ConfigError, Settings, SourceSettings, mask_url
from core.warehouse_url import PgUrl
from infra import postgres, processes
from infra.airflow_env import airflow_env, ensure_admin_password, source_origin, source_settings
from infra.home import PRIVATE_UMASK, secure_home
from ingestion.sources import SOURCES, Source

log = logging.getLogger("dtimon")

AIRFLOW_COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
LANGS = ("vi", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class UserError(Exception):
    """A mistake the user can fix: printed as one line (no traceback unless --debug), exit 1."""


def _say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def _settings(demo: bool) -> Settings:
    env = dict(os.environ)
    if demo:
        env.setdefault("DTIMON_ENV", "demo")
    settings = Settings.from_env(env)
    if settings.warehouse_url_override:
        try:
            PgUrl.parse(settings.warehouse_url_override)
        except ConfigError as exc:
            raise ConfigError(
                f"DTIMON_WAREHOUSE_URL: {exc}; expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE "
                "(or unset it to use the embedded PostgreSQL)"
            ) from exc
    secure_home(settings)
    return settings


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port (so a server we start can bind it).

    SO_REUSEADDR, as the servers we start set it: connections of a server stopped a moment ago
    (TIME_WAIT) do not make its port look taken.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def check_ports(ports: dict[str, int]) -> None:
    """Refuse, before anything is started, a port another program holds (`ports`: variable → port)."""
    for variable, port in ports.items():
        if not port_free(port):
            raise UserError(
                f"port {port} on 127.0.0.1 is in use by another program: stop it or set {variable} to a free port"
            )


def ports_to_start(settings: Settings, *, airflow: bool) -> dict[str, int]:
    """The ports `run`/`up` will bind, for the components not already running (variable → port)."""
    ports: dict[str, int] = {}
    if settings.embedded and not postgres.is_running(settings.pgdata):
        ports["DTIMON_PG_PORT"] = settings.pg_port
    for source in sandboxed_sources(settings):
        if source.sandbox is not None and not processes.pid_of(settings.run_dir, sandbox_process(source)):
            config = source_settings(settings, source)
            ports[f"DTIMON_{source.name.upper()}_SANDBOX_PORT"] = config.sandbox_port
    if airflow:
        from infra.airflow_env import AIRFLOW_PORT_VARIABLE, airflow_port

        if not processes.pid_of(settings.run_dir, "airflow-api-server"):
            ports[AIRFLOW_PORT_VARIABLE] = airflow_port()
        if not processes.pid_of(settings.run_dir, "report"):
            ports["DTIMON_REPORT_PORT"] = settings.report_port
    return ports


def check_data_dir(settings: Settings) -> None:
    """A replay folder must exist and hold the files `export` writes (agencies.json first)."""
    folder = settings.sandbox_data_dir
    if folder is None:
        return
    if not folder.is_dir():
        raise UserError(
            f"DTIMON_SANDBOX_DATA_DIR={folder} is not a folder: point it at the output of `export`"
        )
    if not (folder / "agencies.json").is_file():
        raise UserError(
            f"DTIMON_SANDBOX_DATA_DIR={folder} has no agencies.json: point it at a folder written by "
            "`python -m ingestion.sandbox export --out DIR ...`"
        )


def check_date_range(start: date, end: date, names: tuple[str, str] = ("--start", "--end")) -> None:
    if start >= end:
        raise UserError(
            f"{names[0]} {start} is not before {names[1]} {end}: {names[1]} is the day after the last day"
        )


def preflight(settings: Settings) -> None:
    """Configuration that would fail every task, checked once before the first DAG run."""
    from ingestion.privacy import Pseudonymiser

    if settings.environment not in {"demo", "test"}:
        Pseudonymiser.from_settings(settings)  # ConfigError in production without a key
    for source in SOURCES.values():
        config = source_settings(settings, source)
        if config.uses_sandbox:
            continue
        check_source(source, config)


def check_source(source: Source, config: SourceSettings) -> None:
    """One request to a configured source: reachable, and (for a token login) the credentials accepted."""
    from ingestion.sources.base import TokenLogin

    prefix = f"DTIMON_{source.name.upper()}_"
    try:
        if isinstance(source.auth, TokenLogin):
            login = {"username": config.username, "password": config.password}
            reply = requests.post(config.url.rstrip("/") + source.auth.path, json=login, timeout=5)
            if reply.status_code in {401, 403}:
                raise UserError(
                    f"source {source.name} at {mask_url(config.url)} refused the login of "
                    f"{config.username!r} (HTTP {reply.status_code}): check {prefix}USERNAME and {prefix}PASSWORD"
                )
        else:
            requests.get(config.url, timeout=5)
    except requests.RequestException as exc:
        raise UserError(
            f"source {source.name} at {mask_url(config.url)} is unreachable ({type(exc).__name__}): "
            f"check {prefix}URL and the network"
        ) from exc


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
    argv = [sys.executable, "-m", "infra.sandbox_launch", source.sandbox.module]
    argv += ["serve", "--port", str(config.sandbox_port)]
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


def sandbox_env(settings: Settings, source: Source) -> dict[str, str]:
    """The sandbox's environment: ours plus its credentials (kept off the command line, which `ps` shows)."""
    from infra.sandbox_launch import PASSWORD_VARIABLE, USERNAME_VARIABLE

    config = source_settings(settings, source)
    return {**os.environ, USERNAME_VARIABLE: config.username, PASSWORD_VARIABLE: config.password}


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
            sandbox_env(settings, source),
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


def run_dags(
    settings: Settings,
    start: date,
    end: date,
    *,
    ingest: list[str] | None = None,
    build: bool = True,
    conf: dict[str, int] | None = None,
) -> None:
    """Ingest every daily interval of [start, end) and build, through Airflow, showing progress.

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
        with os.fdopen(read_fd) as progress:
            for line in progress:
                _say(line.rstrip("\n"))
        code = proc.wait()
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


def alert_log_path(settings: Settings) -> Path:
    from infra.alerts import alert_log

    return alert_log(settings.home)


def print_scorecard(settings: Settings, start: date, end: date, lang: str) -> None:
    from publishing.publish import current_publication, restatement_count
    from publishing.scorecard import fetch, render, summary

    with psycopg.connect(settings.warehouse_url) as conn:
        publication = current_publication(conn)
        rows = fetch(conn, start, end) if publication else []
    _say(render(rows, lang))
    if publication:
        _say("")
        _say(
            summary(
                lang,
                "published",
                publication=str(publication[0]),
                schema=publication[1],
                warehouse=mask_url(settings.warehouse_url),
            )
        )
        with psycopg.connect(settings.warehouse_url) as conn:
            restated = restatement_count(conn, publication[0])
            warnings = conn.execute(
                "select failed_warning from ops.gate_results where publication_id = %s"
                " order by validated_at desc limit 1",
                (publication[0],),
            ).fetchone()
        if restated:
            _say(summary(lang, "restated", count=restated))
        if warnings and warnings[0]:
            _say(summary(lang, "gate_warnings", count=warnings[0]))


def print_report_path(settings: Settings, end: date, lang: str) -> None:
    """Where the index report of the run's last month is (the build DAG rendered it)."""
    from publishing.report.render import report_name
    from publishing.scorecard import summary

    last_month = date.fromordinal(end.toordinal() - 1).replace(day=1)
    page = settings.reports_dir / report_name(last_month)
    if page.exists():
        _say(summary(lang, "report", page=page.resolve().as_uri()))
        _say(summary(lang, "all_reports", index=settings.reports_dir / "index.html"))
    else:
        _say(summary(lang, "no_report", month=f"{last_month:%m/%Y}", folder=settings.reports_dir))


def print_ingestion_summary(settings: Settings, start: date, end: date, lang: str) -> None:
    """What the live batches of [start, end) hold, per entity, and where rejected records are."""
    from publishing.scorecard import summary

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
        line = summary(
            lang, "ingested", source=source, entity=entity, loaded=loaded, batches=batches, rejected=rejected
        )
        if rejected:
            line += summary(lang, "rejects")
        if received != loaded:
            line += summary(lang, "pulled", received=received)
        _say(line)


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
    check_date_range(start, end)
    check_data_dir(settings)
    check_ports(ports_to_start(settings, airflow=False))
    preflight(settings)
    from publishing.report.formatting import format_number
    from publishing.scorecard import summary

    where = summary(args.lang, "embedded") if settings.embedded else mask_url(settings.warehouse_url)
    _say(summary(args.lang, "start", start=start, end=end, where=where, sources=describe_sources(settings)))
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
    print_ingestion_summary(settings, start, end, args.lang)
    print_report_path(settings, end, args.lang)
    _say(summary(args.lang, "airflow_log", path=dagrun_log(settings)))
    alerts = alert_log_path(settings)
    _say(summary(args.lang, "alerts" if alerts.exists() else "no_alerts", path=alerts))
    seconds = Decimal(f"{time.monotonic() - started:.1f}")
    _say(summary(args.lang, "done", seconds=format_number(seconds, args.lang, 1)))


def backfill_notes(source: Source) -> list[str]:
    """One line for each entity a backfill does not stage, saying what it does with it instead."""
    notes = []
    for entity in source.entities:
        if entity.pull.resumes or entity.acknowledge is not None:
            notes.append(f"  {entity.name}: its items cannot be read again; rebuilt from raw only")
        elif entity.snapshot:
            notes.append(f"  {entity.name}: a catalogue, pulled as usual (live at once; its history is kept)")
    return notes


def cmd_backfill(args: argparse.Namespace) -> None:
    """Stage the source's days, build and gate them, and publish them or refuse them as a whole."""
    from infra.dag_defaults import ingest_dag_id
    from ingestion.backfills import BackfillRefused, backfill, failure_reason, open_backfill, refuse_backfill
    from publishing.publish import current_publication

    settings = _settings(demo=True)
    check_date_range(args.start, args.end, ("--from", "--to"))
    check_data_dir(settings)
    check_ports(ports_to_start(settings, airflow=False))
    preflight(settings)
    postgres.ensure_server(settings)
    check_origin(settings)
    # this connection holds the backfill's lock while it runs (a killed run's backfill is refused next time)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        try:
            backfill_id = open_backfill(conn, args.source, args.start, args.end)
        except BackfillRefused as exc:
            raise UserError(str(exc)) from None
        _say(f"dtimon backfill {args.source}: {args.start} → {args.end}, staged as backfill {backfill_id}")
        for note in backfill_notes(SOURCES[args.source]):
            _say(note)
        started_sandboxes = start_sandboxes(settings)
        failed: BaseException | None = None
        try:
            run_dags(
                settings,
                args.start,
                args.end,
                ingest=[ingest_dag_id(args.source)],
                conf={"backfill_id": backfill_id},
            )
        except (UserError, KeyboardInterrupt) as exc:
            failed = exc
        finally:
            for name in started_sandboxes:
                processes.stop(settings.run_dir, name)
        _say(f"Airflow log: {dagrun_log(settings)}")
        state, publication_id = backfill(conn, backfill_id)
        if state.status == "published":
            _say(f"backfill {backfill_id} published as publication {publication_id}")
            return
        reason = failure_reason(conn, backfill_id) or (str(failed) if failed else "its build did not publish")
        if state.status == "staged":
            refuse_backfill(conn, backfill_id, reason)
        live = current_publication(conn)
    shown = f"bi still shows publication {live[0]}" if live else "nothing is published"
    raise UserError(f"backfill {backfill_id} refused: {reason} ({shown}; the earlier batches stay live)")


def cmd_airflow(args: argparse.Namespace) -> None:
    """`airflow ARGS` with the project's environment (its metadata DB migrated, its DAGs folder)."""
    settings = _settings(demo=True)
    postgres.ensure_server(settings)
    _airflow(settings, "db", "migrate")
    airflow = str(Path(sys.executable).parent / "airflow")
    sys.stdout.flush()
    os.execve(airflow, [airflow, *args.args], airflow_env(settings))


def docs_port(settings: Settings) -> int:
    """Where `dtimon docs` and `make up` serve the dbt docs: DTIMON_DOCS_PORT, default report port + 1."""
    raw = settings.variables.get("DTIMON_DOCS_PORT") or str(settings.report_port + 1)
    if not raw.isdigit():
        raise ConfigError(f"DTIMON_DOCS_PORT={raw!r} is not a port number")
    return int(raw)


def build_docs(settings: Settings) -> Path:
    """`dbt docs generate` with the project's profile and variables; returns the folder to serve."""
    from infra.dbt import DBT_PROJECT_DIR, DbtFailed, run_dbt

    try:
        run_dbt(["docs", "generate"], settings.warehouse_url)
    except DbtFailed as exc:
        raise UserError(
            str(exc).splitlines()[0] + " (run with DTIMON_LOG_LEVEL=INFO for dbt's output)"
        ) from exc
    return DBT_PROJECT_DIR / "target"


def cmd_docs(args: argparse.Namespace) -> None:
    settings = _settings(demo=True)
    port = docs_port(settings)
    if not args.no_serve:
        check_ports({"DTIMON_DOCS_PORT": port})
    postgres.ensure_server(settings, airflow=False)
    from ingestion.schema import migrate

    migrate(settings.warehouse_url)
    folder = build_docs(settings)
    _say(f"dbt docs built in {folder}")
    from expectations.data_docs import site_dir

    gx_index = site_dir(settings.home) / "index.html"
    gx_state = "" if gx_index.is_file() else " (none yet: each gate run builds them)"
    _say(f"GX Data Docs of the gate's runs: {gx_index}{gx_state}")
    if args.no_serve:
        return
    from publishing.report.serve import GX_PREFIX, make_docs_server, serve_until_interrupted

    server = make_docs_server(folder, settings.home, port)
    _say(
        f"dbt docs: http://127.0.0.1:{port}/   GX Data Docs: http://127.0.0.1:{port}{GX_PREFIX} (Ctrl-C to stop)"
    )
    serve_until_interrupted(server)


@dataclass(frozen=True)
class Component:
    """A long-running process of `make up`: how to start it and how to know it is healthy."""

    name: str
    argv: list[str]
    healthy: Callable[[], bool]
    url: str = ""


def _airflow_health(base: str, key: str) -> Callable[[], bool]:
    """Healthy when Airflow's monitor endpoint reports `key` healthy (its latest heartbeat is recent)."""

    def check() -> bool:
        try:
            reply = requests.get(f"{base}/api/v2/monitor/health", timeout=2)
            return reply.status_code == 200 and reply.json().get(key, {}).get("status") == "healthy"
        except (requests.RequestException, ValueError, AttributeError):
            return False

    return check


def airflow_components(settings: Settings, env: Mapping[str, str]) -> list[Component]:
    bin_dir = Path(sys.executable).parent
    airflow = str(bin_dir / "airflow")
    base = env["AIRFLOW__API__BASE_URL"]
    return [
        Component("airflow-api-server", [airflow, "api-server"], _airflow_health(base, "metadatabase"), base),
        # no log server (it would listen on every interface): the UI reads task logs from local files
        Component(
            "airflow-scheduler",
            [airflow, "scheduler", "--skip-serve-logs"],
            _airflow_health(base, "scheduler"),
        ),
        Component(
            "airflow-dag-processor", [airflow, "dag-processor"], _airflow_health(base, "dag_processor")
        ),
        Component(
            "airflow-triggerer",
            [airflow, "triggerer", "--skip-serve-logs"],
            _airflow_health(base, "triggerer"),
        ),
    ]


def web_components(settings: Settings) -> list[Component]:
    """The index report, and the dbt docs with the GX Data Docs at /gx/: two static servers on 127.0.0.1."""
    from infra.dbt import DBT_PROJECT_DIR

    serve = [sys.executable, "-m", "publishing.report.serve"]
    report = f"http://127.0.0.1:{settings.report_port}"
    docs = f"http://127.0.0.1:{docs_port(settings)}"
    target = DBT_PROJECT_DIR / "target"
    return [
        Component("report", [*serve, "--port", str(settings.report_port)], _http_ok(report + "/"), report),
        Component(
            "dbt-docs",
            [*serve, "--docs", "--dir", str(target), "--port", str(docs_port(settings))],
            _http_ok(docs + "/"),
            docs,
        ),
    ]


def wait_healthy(run_dir: Path, components: list[Component], timeout: float, poll: float = 1.0) -> None:
    """Wait until every component's health check passes; if one dies or never gets healthy,
    print its last log lines and raise UserError (the caller exits non-zero)."""
    deadline = time.monotonic() + timeout
    waiting = list(components)
    while waiting:
        for component in list(waiting):
            if component.healthy():
                waiting.remove(component)
            elif processes.pid_of(run_dir, component.name) is None:
                _fail_component(run_dir, component.name, "exited")
        if not waiting:
            return
        if time.monotonic() > deadline:
            _fail_component(run_dir, waiting[0].name, f"not healthy after {timeout:.0f} s")
        time.sleep(poll)


def _fail_component(run_dir: Path, name: str, what: str) -> NoReturn:
    logpath = processes.log_file(run_dir, name)
    tail = processes.last_lines(logpath, 10)
    if tail:
        sys.stderr.write(f"--- last lines of {logpath} ---\n" + "\n".join(tail) + "\n---\n")
    raise UserError(f"{name} {what}: see {logpath}; stop the rest with `make down`")


def cmd_up(args: argparse.Namespace) -> None:
    settings = _settings(demo=True)
    check_data_dir(settings)
    env = airflow_env(settings)
    ports = ports_to_start(settings, airflow=True)
    if not processes.pid_of(settings.run_dir, "dbt-docs"):
        ports["DTIMON_DOCS_PORT"] = docs_port(settings)
    check_ports(ports)
    postgres.ensure_server(settings)
    from ingestion.schema import migrate

    migrate(settings.warehouse_url)
    start_sandboxes(settings)
    _airflow(settings, "db", "migrate")
    # runs a killed `dtimon run` left `running` are failed before the scheduler could resume them
    marked = subprocess.run(
        [sys.executable, "-m", "infra.dagrun", "--fail-abandoned"], env=env, capture_output=True, text=True
    )
    for line in marked.stderr.splitlines():
        if line.startswith("marked ") and not line.startswith("marked 0 "):
            _say(line)
    password = ensure_admin_password(settings)  # before the api-server, which would log one it made
    components = airflow_components(settings, env)
    for component in components:
        processes.start(settings.run_dir, component.name, component.argv, env)
    _say(
        f"Waiting for Airflow at {env['AIRFLOW__API__BASE_URL']} (api-server, scheduler, dag-processor, triggerer) ..."
    )
    wait_healthy(settings.run_dir, components, timeout=240)
    build_docs(settings)
    web = web_components(settings)
    for component in web:
        processes.start(settings.run_dir, component.name, component.argv, os.environ)
    wait_healthy(settings.run_dir, web, timeout=30, poll=0.25)
    _say(f"Airflow UI: {env['AIRFLOW__API__BASE_URL']} (user admin, password {password})")
    _say(f"Index report: {web[0].url}/   dbt docs: {web[1].url}/   GX Data Docs: {web[1].url}/gx/")
    _say(f"Sources: {describe_sources(settings)}")
    _say(f"Warehouse: {mask_url(settings.warehouse_url)}")
    _say(f"Alerts (failed tasks): {alert_log_path(settings)}")
    _say("Stop everything with: make down")


def cmd_down(args: argparse.Namespace) -> None:
    settings = _settings(demo=False)
    for name in processes.running(settings.run_dir):
        processes.stop(settings.run_dir, name)
        _say(f"stopped {name}")
    if settings.embedded and postgres.stop(settings):
        _say("stopped embedded PostgreSQL")


def cmd_status(args: argparse.Namespace) -> None:
    """Liveness from each component's health check (a pid file alone proves nothing)."""
    settings = _settings(demo=False)
    running = processes.running(settings.run_dir)
    if settings.embedded:
        state = "running" if postgres.is_running(settings.pgdata) else "stopped"
        _say(f"{'postgresql (embedded)':<24} {state} on 127.0.0.1:{settings.pg_port}")
    checks: list[Component] = []
    for source in sandboxed_sources(settings):
        if source.sandbox is not None:
            config = source_settings(settings, source)
            url = config.sandbox_url
            checks.append(
                Component(sandbox_process(source), [], _http_ok(url + source.sandbox.health_path), url)
            )
    checks += airflow_components(settings, airflow_env(settings)) + web_components(settings)
    for component in checks:
        pid = running.get(component.name)
        if component.name.startswith("airflow-") and component.name != "airflow-api-server" and not pid:
            # Airflow reports a component healthy until its last heartbeat ages out: the process decides
            state = "stopped"
        elif component.healthy():
            state = "healthy"
        elif pid:
            state = (
                f"NOT HEALTHY (pid {pid} alive; log {processes.log_file(settings.run_dir, component.name)})"
            )
        else:
            state = "stopped"
        where = f" {component.url}" if component.url and state == "healthy" else ""
        _say(f"{component.name:<24} {state}{where}")
    _say(f"{'alerts':<24} {alert_log_path(settings)}")


NOTHING_PUBLISHED = "nothing is published in bi yet: run `make run` (or the dtimon_build DAG) first"


def require_publication(settings: Settings) -> None:
    from publishing.publish import current_publication

    with psycopg.connect(settings.warehouse_url) as conn:
        if current_publication(conn) is None:
            raise UserError(NOTHING_PUBLISHED)


def cmd_scorecard(args: argparse.Namespace) -> None:
    settings = _settings(demo=False)
    require_publication(settings)
    if args.start and args.end:
        check_date_range(args.start, args.end)
    print_scorecard(settings, args.start or settings.demo_start, args.end or settings.demo_end, args.lang)


def cmd_rollback(args: argparse.Namespace) -> None:
    from publishing.publish import rollback

    settings = _settings(demo=False)
    require_publication(settings)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        schema = rollback(conn, args.to)
    _say(f"bi now reads {schema}")


def cmd_publish(args: argparse.Namespace) -> None:
    """Publish a build the gate refused only because values moved beyond their fail_move; the
    operator (the OS user) is recorded in ops.publications.accepted_moves_by."""
    import getpass

    from publishing.publish import publish

    settings = _settings(demo=False)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        schema = publish(conn, args.accept_moves, accepted_moves_by=getpass.getuser())
    _say(f"bi now reads {schema} (moves accepted by {getpass.getuser()})")


def cmd_report(args: argparse.Namespace) -> None:
    from publishing.report.data import NothingPublished
    from publishing.report.render import render_all

    settings = _settings(demo=False)
    try:
        pages = render_all(settings.warehouse_url, settings.reports_dir, args.lang)
    except NothingPublished as exc:
        raise UserError(f"no report: {exc}; run `make run` (or wait for the next build) first") from exc
    latest = pages[-1].resolve()
    _say(f"Index report: {latest} ({latest.as_uri()}); all months: {settings.reports_dir / 'index.html'}")


def cmd_metabase(args: argparse.Namespace) -> None:
    from publishing.metabase.__main__ import main as metabase_main

    code = metabase_main([args.action])
    if code:
        raise SystemExit(code)


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


def _env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = os.environ.get(name) or default
    value = raw.upper() if name == "DTIMON_LOG_LEVEL" else raw
    if value not in choices:
        raise UserError(f"{name}={raw!r} is not one of {', '.join(choices)}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (what is wrong, and `--help` for the rest)."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{self.prog}: {message} (see {self.prog} --help)")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dtimon", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show tracebacks (also DTIMON_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", required=True)
    lang_default = os.environ.get("DTIMON_LANG") or "vi"
    for name, func, helptext in (
        ("run", cmd_run, "run the main job end to end on the demo period"),
        ("up", cmd_up, "start PostgreSQL, the sandbox and Airflow and leave them running"),
        ("down", cmd_down, "stop what run/up started"),
        ("status", cmd_status, "show what is running"),
        ("scorecard", cmd_scorecard, "print the published scorecard"),
        ("rollback", cmd_rollback, "point bi back at an earlier publication"),
        ("publish", cmd_publish, "publish a build the gate refused only for moves (--accept-moves BUILD)"),
        ("reset-source", cmd_reset_source, "delete everything ingested from one source"),
        ("report", cmd_report, "render the index report from what is published"),
        ("metabase", cmd_metabase, "plan or apply the Metabase definitions"),
        (
            "backfill",
            cmd_backfill,
            "re-ingest one source's days, staged, and publish them if the gate passes",
        ),
        ("airflow", cmd_airflow, "run an `airflow` command with the project's environment"),
        ("docs", cmd_docs, "build the dbt docs and serve them with the GX Data Docs on 127.0.0.1"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.set_defaults(func=func)
        if name == "metabase":
            p.add_argument("action", choices=("plan", "apply"))
        if name == "report":
            p.add_argument("--lang", choices=LANGS, default=lang_default)
        if name in {"run", "scorecard"}:
            p.add_argument("--start", type=_day, help="first day (default DTIMON_DEMO_START)")
            p.add_argument("--end", type=_day, help="day after the last (default DTIMON_DEMO_END)")
            p.add_argument("--lang", choices=LANGS, default=lang_default)
        if name == "reset-source":
            p.add_argument("source", choices=sorted(SOURCES), help="a registered source")
        if name == "rollback":
            p.add_argument("--to", type=int, help="publication id (default: the previous one)")
        if name == "publish":
            p.add_argument(
                "--accept-moves",
                type=int,
                required=True,
                metavar="BUILD",
                help="publication id the gate refused",
            )
        if name == "backfill":
            p.add_argument("source", choices=sorted(SOURCES), help="a registered source")
            p.add_argument("--from", dest="start", type=_day, required=True, help="first day")
            p.add_argument("--to", dest="end", type=_day, required=True, help="day after the last")
        if name == "airflow":
            p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for `airflow`")
        if name == "docs":
            p.add_argument("--no-serve", action="store_true", help="build only")
    return parser


def _fail(message: str, exc: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exception(exc)
    sys.stderr.write(f"dtimon: {message}\n")
    sys.stderr.flush()
    return 1


def main(argv: list[str] | None = None) -> None:
    """Run one command; every mistake a user can make ends as one line on stderr and exit 1."""
    argv = list(sys.argv[1:] if argv is None else argv)
    os.umask(PRIVATE_UMASK)  # for dtimon and every process it starts
    debug = "--debug" in argv or os.environ.get("DTIMON_DEBUG", "") not in {"", "0"}
    if "--debug" in argv and argv[:1] != ["airflow"]:
        argv.remove("--debug")
    raise SystemExit(_main(argv, debug))


def _main(argv: list[str], debug: bool) -> int:
    from publishing.publish import PublishRefused

    try:
        level = _env_choice("DTIMON_LOG_LEVEL", LOG_LEVELS, "WARNING")
        _env_choice("DTIMON_LANG", LANGS, "vi")
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
        args = _parser().parse_args(argv)
        args.func(args)
    except BrokenPipeError:
        # the reader went away (`dtimon scorecard | head`): nothing more to say to it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except UserError as exc:
        return _fail(str(exc), exc, debug)
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", exc, debug)
    except PublishRefused as exc:
        return _fail(f"refused: {exc}", exc, debug)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _fail(
            f"cannot reach the warehouse ({first}): start it with `make up` or check DTIMON_WAREHOUSE_URL",
            exc,
            debug,
        )
    except psycopg.Error as exc:
        return _fail(f"warehouse error: {str(exc).strip().splitlines()[0]}", exc, debug)
    except processes.ProcessFailed as exc:
        return _fail(str(exc), exc, debug)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            return _fail(exc.code, exc, debug)
        return int(exc.code or 0)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    main()
