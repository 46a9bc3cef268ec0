"""Every port dtimon binds by default is distinct: PostgreSQL, Airflow, every registered
source's sandbox, the report and the docs (derived from the registry and the settings)."""

from __future__ import annotations

from collections import Counter

from core.settings import Settings
from infra.airflow_env import airflow_env, source_settings
from ingestion.sources import SOURCES


def default_ports() -> dict[str, int]:
    """What each component listens on with no DTIMON_* variable set (component → port)."""
    settings = Settings.from_env({})
    airflow = airflow_env(settings, base={})
    ports = {
        "embedded PostgreSQL": settings.pg_port,
        "Airflow API": int(airflow["AIRFLOW__API__PORT"]),
        "Airflow scheduler health check": int(
            airflow["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT"]
        ),
        "index report": settings.report_port,
        "docs": settings.docs_port,
    }
    for source in SOURCES.values():
        if source.sandbox is not None:
            ports[f"sandbox of {source.name}"] = source_settings(settings, source).sandbox_port
    return ports


def test_every_default_port_is_distinct() -> None:
    ports = default_ports()
    shared = {port for port, count in Counter(ports.values()).items() if count > 1}
    assert not shared, {name: port for name, port in ports.items() if port in shared}
