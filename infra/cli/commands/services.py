"""`dtimon up`, `down` and `status`: the local stack kept running, stopped by process id, and checked."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import requests

from core.settings import Settings, mask_url
from infra import postgres, processes
from infra.airflow_env import airflow_env, ensure_admin_password, source_settings
from infra.cli.commands.docs import build_docs
from infra.cli.common import alert_log_path, load_settings, say
from infra.cli.dagruns import airflow
from infra.cli.ports import check_ports, ports_to_start
from infra.cli.sources import (
    check_data_dir,
    describe_sources,
    sandbox_health,
    sandbox_process,
    sandboxed_sources,
    start_sandboxes,
)
from infra.cli.supervision import Component, http_ok, wait_healthy


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
    program = str(bin_dir / "airflow")
    base = env["AIRFLOW__API__BASE_URL"]
    return [
        Component("airflow-api-server", [program, "api-server"], _airflow_health(base, "metadatabase"), base),
        # no log server (it would listen on every interface): the UI reads task logs from local files
        Component(
            "airflow-scheduler",
            [program, "scheduler", "--skip-serve-logs"],
            _airflow_health(base, "scheduler"),
        ),
        Component(
            "airflow-dag-processor", [program, "dag-processor"], _airflow_health(base, "dag_processor")
        ),
        Component(
            "airflow-triggerer",
            [program, "triggerer", "--skip-serve-logs"],
            _airflow_health(base, "triggerer"),
        ),
    ]


def web_components(settings: Settings) -> list[Component]:
    """The index report, and the dbt docs with the GX Data Docs at /gx/: two static servers on 127.0.0.1."""
    from infra.dbt import target_dir

    serve = [sys.executable, "-m", "publishing.report.serve"]
    report = f"http://127.0.0.1:{settings.report_port}"
    docs = f"http://127.0.0.1:{settings.docs_port}"
    target = target_dir()
    return [
        Component("report", [*serve, "--port", str(settings.report_port)], http_ok(report + "/"), report),
        Component(
            "dbt-docs",
            [*serve, "--docs", "--dir", str(target), "--port", str(settings.docs_port)],
            http_ok(docs + "/"),
            docs,
        ),
    ]


def cmd_up(args: argparse.Namespace) -> None:
    settings = load_settings(demo=True)
    check_data_dir(settings)
    env = airflow_env(settings)
    ports = ports_to_start(settings, airflow=True)
    if not processes.pid_of(settings.run_dir, "dbt-docs"):
        ports["DTIMON_DOCS_PORT"] = settings.docs_port
    check_ports(ports)
    postgres.ensure_server(settings)
    from ingestion.schema import migrate

    migrate(settings.warehouse_url)
    start_sandboxes(settings)
    airflow(settings, "db", "migrate")
    # runs a killed `dtimon run` left `running` are failed before the scheduler could resume them
    marked = subprocess.run(
        [sys.executable, "-m", "infra.dagrun", "--fail-abandoned"], env=env, capture_output=True, text=True
    )
    for line in marked.stderr.splitlines():
        if line.startswith("marked ") and not line.startswith("marked 0 "):
            say(line)
    password = ensure_admin_password(settings)  # before the api-server, which would log one it made
    components = airflow_components(settings, env)
    for component in components:
        processes.start(settings.run_dir, component.name, component.argv, env)
    say(
        f"Waiting for Airflow at {env['AIRFLOW__API__BASE_URL']} (api-server, scheduler, dag-processor, triggerer) ..."
    )
    wait_healthy(settings.run_dir, components, timeout=240)
    build_docs(settings)
    web = web_components(settings)
    for component in web:
        processes.start(settings.run_dir, component.name, component.argv, os.environ)
    wait_healthy(settings.run_dir, web, timeout=30, poll=0.25)
    say(f"Airflow UI: {env['AIRFLOW__API__BASE_URL']} (user admin, password {password})")
    say(f"Index report: {web[0].url}/   dbt docs: {web[1].url}/   GX Data Docs: {web[1].url}/gx/")
    say(f"Sources: {describe_sources(settings)}")
    say(f"Warehouse: {mask_url(settings.warehouse_url)}")
    say(f"Alerts (failed tasks): {alert_log_path(settings)}")
    say("Stop everything with: make down")


def cmd_down(args: argparse.Namespace) -> None:
    settings = load_settings(demo=False)
    for name in processes.stop_all(settings.run_dir, list(processes.running(settings.run_dir))):
        say(f"stopped {name}")
    if settings.embedded and postgres.stop(settings):
        say("stopped embedded PostgreSQL")


def cmd_status(args: argparse.Namespace) -> None:
    """Liveness from each component's health check (a pid file alone proves nothing)."""
    settings = load_settings(demo=False)
    running = processes.running(settings.run_dir)
    if settings.embedded:
        state = "running" if postgres.is_running(settings.pgdata) else "stopped"
        say(f"{'postgresql (embedded)':<24} {state} on 127.0.0.1:{settings.pg_port}")
    checks: list[Component] = []
    for source in sandboxed_sources(settings):
        if source.sandbox is not None:
            config = source_settings(settings, source)
            url = config.sandbox_url
            checks.append(Component(sandbox_process(source), [], sandbox_health(settings, source), url))
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
        say(f"{component.name:<24} {state}{where}")
    say(f"{'alerts':<24} {alert_log_path(settings)}")
