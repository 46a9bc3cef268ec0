"""Shared fixtures: a real PostgreSQL server and a fresh database per test that asks for one.

The server is the embedded one (started on demand under DTIMON_HOME) unless
DTIMON_WAREHOUSE_URL names another server, in which case test databases are created there
(the role needs CREATEDB).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from core.settings import Settings, replace_database
from infra import postgres

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def pg_server(settings: Settings) -> Iterator[str]:
    """URL of the maintenance database on a running server (the embedded one is stopped
    afterwards if this session started it)."""
    started = settings.embedded and postgres.start(settings)
    try:
        yield settings.server_url
    finally:
        if started:
            postgres.stop(settings)


#: One tag per test session, so sessions sharing a server do not meet. Within a session each kind
#: of test database keeps one name (dropped and made anew for each test): dbt's partial parsing
#: survives only while the profile's database name stays the same.
SESSION_TAG = uuid.uuid4().hex[:8]


def _fresh_database(server_url: str, name: str) -> Iterator[str]:
    postgres.drop_database(server_url, name)
    postgres.ensure_database(server_url, name)
    try:
        yield replace_database(server_url, name)
    finally:
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
