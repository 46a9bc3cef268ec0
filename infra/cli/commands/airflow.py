"""`dtimon airflow ARGS`: Airflow's own command line with the project's environment."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from infra import postgres
from infra.airflow_env import airflow_env
from infra.cli.common import load_settings
from infra.cli.dagruns import airflow


def cmd_airflow(args: argparse.Namespace) -> None:
    """`airflow ARGS` with the project's environment (its metadata DB migrated, its DAGs folder)."""
    settings = load_settings(demo=True)
    postgres.ensure_server(settings)
    airflow(settings, "db", "migrate")
    program = str(Path(sys.executable).parent / "airflow")
    sys.stdout.flush()
    os.execve(program, [program, *args.args], airflow_env(settings))
