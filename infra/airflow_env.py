"""The environment every Airflow process of a local dtimon installation runs with.

Airflow reads its configuration from `AIRFLOW__*` variables and connections from
`AIRFLOW_CONN_*`; this module derives both from `Settings` so the CLI, the tests and
`make up` start Airflow the same way. A value the user already exported wins.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from core.settings import PROJECT_ROOT, Settings
from ingestion.origins import url_origin

WAREHOUSE_CONN_ID = "dtimon_warehouse"
ONESTOP_CONN_ID = "dtimon_onestop"
DEFAULT_API_PORT = 8080


def sqlalchemy_url(url: str) -> str:
    """Airflow's metadata URL for a libpq URL (`postgresql://` → `postgresql+psycopg2://`)."""
    scheme, rest = url.split("://", 1)
    if scheme in {"postgresql", "postgres"}:
        scheme = "postgresql+psycopg2"
    return f"{scheme}://{rest}"


def _postgres_conn(url: str) -> str:
    parts = urlsplit(url)
    return json.dumps(
        {
            "conn_type": "postgres",
            "host": parts.hostname or "",
            "port": parts.port or 5432,
            "login": parts.username or "",
            "password": parts.password or "",
            "schema": parts.path.lstrip("/"),
        }
    )


def source_origin(settings: Settings) -> str:
    """What fills the one-stop-shop source: the real endpoint, or what the sandbox serves.

    Stable for the same configuration (the sandbox's port is not part of it), and recorded
    by the first ingest in ops.source_origins: another origin is refused later.
    """
    if settings.onestop_url:
        return url_origin(settings.onestop_url)
    if settings.sandbox_data_dir:
        return f"sandbox data folder {settings.sandbox_data_dir}"
    return f"sandbox seed {settings.sandbox_seed} scale {settings.sandbox_scale:g}"


def airflow_env(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A full process environment for Airflow commands: `base` (default: os.environ) plus ours."""
    env = dict(os.environ if base is None else base)
    api_port = int(env.get("DTIMON_AIRFLOW_PORT") or DEFAULT_API_PORT)
    venv_bin = str(Path(sys.executable).parent)
    ours = {
        "AIRFLOW_HOME": str(settings.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url(settings.airflow_db_url),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": _postgres_conn(settings.warehouse_url),
        f"AIRFLOW_CONN_{ONESTOP_CONN_ID.upper()}": json.dumps(
            {
                "conn_type": "http",
                "host": settings.source_url,
                "login": settings.onestop_username,
                "password": settings.onestop_password,
                "extra": {"origin": source_origin(settings)},
            }
        ),
        "DTIMON_HOME": str(settings.home),
        "DTIMON_ENV": settings.environment,
        "NO_PROXY": "127.0.0.1,localhost",
        "PATH": venv_bin + os.pathsep + env.get("PATH", ""),
    }
    for key, value in ours.items():
        if key == "PATH" or key not in env:
            env[key] = value
    return env
