"""Shared fixtures: a real PostgreSQL server and a fresh database per test that asks for one.

The server is the embedded one (started on demand under DTIMON_HOME) unless
DTIMON_WAREHOUSE_URL names another server, in which case test databases are created there
(the role needs CREATEDB).

Under pytest-xdist (`make test` runs two workers) the controller starts the embedded server once
for every worker and stops it at the end; each worker's dbt keeps its own target and log folders.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from core.settings import Settings, replace_database
from infra import postgres

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: The embedded server the xdist controller started for its workers (stopped when it ends).
STARTED_FOR_WORKERS = pytest.StashKey[Settings]()


def pytest_configure(config: pytest.Config) -> None:
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker:
        # dbt processes running at once must not share artifacts or partial-parse state
        for variable, default in (("DBT_TARGET_PATH", "target"), ("DBT_LOG_PATH", "logs")):
            os.environ[variable] = f"{os.environ.get(variable) or default}/{worker}"
    elif getattr(config.option, "dist", "no") != "no":
        from tests.xdist_scheduling import ModulePlugin

        config.pluginmanager.register(ModulePlugin())
        settings = Settings.from_env()
        if settings.embedded and postgres.start(settings):
            config.stash[STARTED_FOR_WORKERS] = settings


def pytest_unconfigure(config: pytest.Config) -> None:
    settings = config.stash.get(STARTED_FOR_WORKERS, None)
    if settings is not None:
        postgres.stop(settings)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def pg_server(settings: Settings) -> Iterator[str]:
    """URL of the maintenance database on a running server (the embedded one is stopped
    afterwards if this session started it; under xdist the controller did)."""
    started = settings.embedded and postgres.start(settings)
    try:
        yield settings.server_url
    finally:
        if started:
            postgres.stop(settings)


#: One tag per test session, so sessions sharing a server do not meet. Within a session each kind
#: of test database keeps one name (dropped and made anew for each test) and its own dbt target
#: folder: dbt's partial parsing survives only while the profile's database name stays the same.
SESSION_TAG = uuid.uuid4().hex[:8]


def _fresh_database(server_url: str, name: str) -> Iterator[str]:
    postgres.drop_database(server_url, name)
    postgres.ensure_database(server_url, name)
    # dbt reparses the whole project when the profile's database changes: each database name keeps
    # its own target folder (and partial-parse state) while it is in use
    outer = os.environ.get("DBT_TARGET_PATH")
    os.environ["DBT_TARGET_PATH"] = f"{outer or 'target'}/{name}"
    try:
        yield replace_database(server_url, name)
    finally:
        if outer is None:
            os.environ.pop("DBT_TARGET_PATH", None)
        else:
            os.environ["DBT_TARGET_PATH"] = outer
        if not os.environ.get("DTIMON_KEEP_TEST_DB"):
            postgres.drop_database(server_url, name)


@pytest.fixture
def warehouse_url(pg_server: str) -> Iterator[str]:
    """A new, empty database for one test, dropped afterwards."""
    yield from _fresh_database(pg_server, f"dtimon_test_{SESSION_TAG}")


@pytest.fixture(scope="module")
def module_warehouse_url(pg_server: str) -> Iterator[str]:
    """A new, empty database shared by the tests of one module."""
    yield from _fresh_database(pg_server, f"dtimon_test_{SESSION_TAG}_module")


@pytest.fixture(scope="module")
def module_airflow_db_url(pg_server: str) -> Iterator[str]:
    """A new, empty database for Airflow's metadata, shared by the tests of one module."""
    yield from _fresh_database(pg_server, f"dtimon_test_airflow_{SESSION_TAG}")


@pytest.fixture
def migrated_conn(warehouse_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to a fresh warehouse with every migration and raw table applied."""
    from ingestion.schema import migrate

    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        migrate(connection)
        yield connection


@pytest.fixture(scope="session")
def background_teardowns() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Clean-up commands a module leaves running when it ends, so the next module starts at once:
    `dtimon down` of a home no other test uses spends ~30 s waiting for processes to exit. Each
    is waited for (at most 300 s, then killed and reported) when this worker's session ends."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    late = []
    for process in started:
        try:
            process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            process.kill()
            late.append(" ".join(map(str, process.args)))
    assert late == [], f"clean-up still running after 300 s: {late}"
