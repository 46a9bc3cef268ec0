"""A cursor entity's event-time watermark moves in its batch's transaction (and not with a failed
batch), and coverage reads it: a day is covered once the event time loaded is beyond it.

The throwaway source's call log, pulled by a sequence cursor with `requestInTs` as its event
time, from a list of pages (no remote endpoint is needed: the fetch never calls the client).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest

from core.migrations import Column, Index
from core.settings import Settings
from ingestion.declarations import example_record
from ingestion.load import RawTable
from ingestion.localtime import VN_TZ
from ingestion.runner import ingest
from ingestion.sources import SOURCES, Cursor, Endpoint, Resume
from tests import throwaway_source as throwaway

DAY = datetime(2025, 9, 1, tzinfo=VN_TZ)
SERVED: list[list[dict[str, Any]]] = []


def _fetch(client: Any, where: Any, page_size: int) -> Iterator[list[Any]]:
    assert isinstance(where, Resume)
    for page in SERVED:
        yield page
        where.advance(page[-1]["id"])


LIVE = replace(
    throwaway.SOURCE.entity("calls"),
    name="live",
    table=RawTable(
        "raw",
        f"{throwaway.NAME}__live",
        (Column("call_id", "text"), Column("request_in_ms", "bigint"), Column("record", "jsonb")),
        key=("call_id",),
        indexes=(Index(f"{throwaway.NAME}__live_key", ("call_id",)),),
    ),
    fetch=_fetch,
    windowed=False,
    cursor=Cursor("token"),
    event_time="requestInTs",
)


@pytest.fixture
def url(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(SOURCES, throwaway.NAME, replace(throwaway.SOURCE, entities=(LIVE,)))
    return warehouse_url


def _call(n: int, at: datetime) -> dict[str, Any]:
    record = example_record(throwaway.Call)
    return record | {"id": f"00000000-0000-4000-8000-{n:012d}", "requestInTs": int(at.timestamp()) * 1000}


def _run(url: str, day: datetime) -> Any:
    return ingest(
        throwaway.NAME,
        "live",
        day,
        day + timedelta(days=1),
        endpoint=Endpoint("http://127.0.0.1:9", "", ""),
        settings=Settings.from_env({"DTIMON_ENV": "test"}),
        warehouse_url=url,
        run_id="test",
    )


def _span(url: str) -> tuple[datetime | None, datetime | None]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select event_time_from, event_time from ops.watermarks where source = %s and entity = 'live'",
            (throwaway.NAME,),
        ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def test_the_event_time_moves_with_its_batch_and_never_with_a_failed_one(url: str) -> None:
    SERVED[:] = [[_call(1, DAY + timedelta(hours=9)), _call(2, DAY + timedelta(hours=20))]]
    _run(url, DAY)
    assert _span(url) == (DAY + timedelta(hours=9), DAY + timedelta(hours=20))

    # the next pull reaches past the next day, then the load fails: nothing moves
    SERVED[:] = [[_call(3, DAY + timedelta(days=1, hours=2))], [{"id": "", "requestInTs": "x"}]]
    with psycopg.connect(url, autocommit=True) as conn:  # the raw table refuses the batch at commit
        conn.execute(
            f"alter table raw.{throwaway.NAME}__live add constraint no_3 check (call_id not like '%%3')"
        )
    with pytest.raises(psycopg.errors.CheckViolation):
        _run(url, DAY + timedelta(days=1))
    assert _span(url) == (DAY + timedelta(hours=9), DAY + timedelta(hours=20))

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"alter table raw.{throwaway.NAME}__live drop constraint no_3")
    SERVED[:] = [[_call(4, DAY + timedelta(days=2, hours=1)), _call(5, DAY - timedelta(hours=1))]]
    _run(url, DAY + timedelta(days=1))
    assert _span(url) == (DAY - timedelta(hours=1), DAY + timedelta(days=2, hours=1))


def test_the_registry_records_how_each_entity_is_pulled(url: str) -> None:
    SERVED[:] = []
    _run(url, DAY)
    with psycopg.connect(url) as conn:
        modes = dict(conn.execute("select entity, pull_mode from ops.source_entities").fetchall())
    assert modes == {"live": "cursor"} | {e.name: e.pull_mode for s in SOURCES.values() for e in s.entities}
    assert _span(url) == (None, None)  # nothing loaded: no event time, no day covered
