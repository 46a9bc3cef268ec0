"""The environment of a `dtimon` command in an end-to-end test: the warehouse and Airflow's
database given by URL (fresh test databases), a DTIMON_HOME of its own and free ports, so a
test never touches a developer's own state."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from infra.airflow_env import sqlalchemy_url
from tests.free_ports import sandbox_base_port


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dtimon_env(warehouse_url: str, airflow_db_url: str, home: Path, **settings: str) -> dict[str, str]:
    """This process's environment without its Airflow and dtimon settings, plus these and `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DTIMON_"))}
    env.update(
        {
            "DTIMON_HOME": str(home),
            "DTIMON_WAREHOUSE_URL": warehouse_url,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url(airflow_db_url),
            "DTIMON_SANDBOX_PORT": str(sandbox_base_port()),
            "DTIMON_AIRFLOW_PORT": str(free_port()),
            "DTIMON_LANG": "en",
            **settings,
        }
    )
    return env
