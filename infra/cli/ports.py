"""The ports a command will bind on 127.0.0.1, checked before anything is started."""

from __future__ import annotations

import socket

from core.settings import Settings
from infra import postgres, processes
from infra.airflow_env import AIRFLOW_PORT_VARIABLE, airflow_port, source_settings
from infra.cli.common import UserError
from infra.cli.sources import sandbox_process, sandboxed_sources


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
        if not processes.pid_of(settings.run_dir, "airflow-api-server"):
            ports[AIRFLOW_PORT_VARIABLE] = airflow_port()
        if not processes.pid_of(settings.run_dir, "report"):
            ports["DTIMON_REPORT_PORT"] = settings.report_port
    return ports
