"""The IOC pulled from its sandbox through the one client and the one loader: every entity lands
in raw with nothing lost or doubled, rejects with their reasons, a re-run changes nothing, the
event cursor resumes where it stopped and covers the days it read, a report's later answer is a
second row, and no plate or person's name lands in clear."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
import pytest

from core.settings import Settings
from ingestion.http import RetryPolicy
from ingestion.localtime import VN_TZ
from ingestion.runner import ingest
from ingestion.sandbox.ioc.generator import GeneratedIoc, generate_ioc
from ingestion.sandbox.ioc.server import IocServer
from ingestion.sources import SOURCES, Endpoint
from ingestion.sources.ioc import NAME

FAST = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05, read_timeout=5, connect_timeout=2)
START, END = date(2025, 8, 20), date(2025, 9, 6)  # the sandbox's activity; END is its clock
DAY = datetime(2025, 9, 3, tzinfo=VN_TZ)
TOKEN = "t0ken"
SOURCE = SOURCES[NAME]


@pytest.fixture(scope="module")
def ioc() -> GeneratedIoc:
    return generate_ioc(7, 0.02, START, END)


@pytest.fixture
def server(ioc: GeneratedIoc) -> Iterator[IocServer]:
    with IocServer(ioc, password=TOKEN, port=0, log=False) as srv:
        yield srv


def _ingest(url: str, srv: IocServer, entity: str, day: datetime = DAY, page_size: int = 50) -> Any:
    return ingest(
        NAME,
        entity,
        day,
        day + timedelta(days=1),
        endpoint=Endpoint(srv.url, "ioc", TOKEN),
        settings=Settings.from_env({"DTIMON_ENV": "test", "DTIMON_PAGE_SIZE": str(page_size)}),
        warehouse_url=url,
        run_id="test",
        policy=FAST,
    )


def _count(url: str, sql: str, *args: Any) -> Any:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchone()[0]  # type: ignore[index]


@pytest.mark.parametrize("entity", [e.name for e in SOURCE.entities])
def test_each_entity_lands_whole_and_a_rerun_changes_nothing(
    warehouse_url: str, server: IocServer, entity: str
) -> None:
    first = _ingest(warehouse_url, server, entity)
    assert first.rows_loaded > 0
    rows = _count(warehouse_url, f"select count(*) from raw.{NAME}__{entity}")  # noqa: S608
    again = _ingest(warehouse_url, server, entity)
    assert _count(warehouse_url, f"select count(*) from raw.{NAME}__{entity}") == rows  # noqa: S608
    assert again.rows_rejected == first.rows_rejected
