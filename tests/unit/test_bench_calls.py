"""The population calls' benchmark (bench/calls.py): its in-memory log answers the calls fetch
byte for byte as the sandbox's own handler of `GET /opmon/v1/records` does, so the entity's real
fetch reads every record of the span once (and the rest of a second cut by a page again).

No timing is asserted and no database is needed: these pin the pages, the records the ways read
and the rows the loader's client makes of them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
import pytest

from bench.calls import (
    ENTITY,
    GOAL,
    LABELS,
    RATIO,
    RECENT_SECONDS,
    SEED,
    WAYS,
    CallLog,
    Measurement,
    MemoryLog,
    build_log,
    fetched,
    report_of,
    section,
    way_copy_text,
    way_fetch,
    way_parse,
)
from ingestion.load import Row
from ingestion.localtime import VN_TZ
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.sandbox.population.generator import generate_population
from ingestion.sandbox.population.server import _PopulationApp
from ingestion.sandbox.service import Request
from ingestion.sources import Window
from ingestion.sources.base import Resume
from ingestion.sources.population import RECORDS_PATH

SCALE, FIRST, DAYS = 0.1, date(2025, 9, 3), 2  # two working days: about 560 calls


@pytest.fixture(scope="module")
def work() -> CallLog:
    return build_log(SCALE, DAYS, FIRST)


def _sandbox(work: CallLog, now: datetime) -> _PopulationApp:
    """The sandbox's own app over the same generated span (its handler, not its HTTP)."""
    population = generate_population(SEED, SCALE, FIRST, FIRST + (work.window.end - work.window.start))
    return _PopulationApp(population, "u", "p", 3600, None, None, now, "generated", False)


def _served(app: _PopulationApp, params: dict[str, int]) -> bytes:
    query = {name: [str(value)] for name, value in params.items()}
    response = app._records(Request("GET", RECORDS_PATH, query, {}, b""))
    assert response.status == 200
    return response.payload


def _queries(work: CallLog) -> list[dict[str, int]]:
    first, last = work.seconds[0], work.seconds[-1]
    middle = work.seconds[len(work.seconds) // 2]
    return [
        {"recordsFrom": first, "recordsTo": last, "limit": 200},
        {"recordsFrom": first - 86400, "recordsTo": last + 86400, "limit": 10_000},
        {"recordsFrom": middle, "recordsTo": last, "limit": 7},
        {"recordsFrom": middle, "recordsTo": middle, "limit": 1},
        {"recordsFrom": middle, "recordsTo": middle + 3600},  # the default limit
        {"recordsFrom": last + 1, "recordsTo": last + 100, "limit": 100},  # nothing there
    ]


def test_the_memory_log_serves_the_sandboxs_bytes(work: CallLog) -> None:
    app = _sandbox(work, datetime(2026, 1, 1))  # long after the span: nothing held back
    log = MemoryLog(work.records, work.seconds)
    for params in _queries(work):
        assert log.body(params) == _served(app, params), params


def test_the_memory_log_holds_back_the_last_minute_as_the_sandbox_does(work: CallLog) -> None:
    now = work.seconds[len(work.seconds) // 3] + 30  # a busy hour of the first day
    app = _sandbox(work, datetime.fromtimestamp(now, VN_TZ).replace(tzinfo=None))
    log = MemoryLog(work.records, work.seconds, now=now)
    for params in _queries(work):
        assert log.body(params) == _served(app, params), params
    answer = orjson.loads(
        log.body({"recordsFrom": work.seconds[0], "recordsTo": now + 3600, "limit": 10_000})
    )
    assert answer["nextRecordsFrom"] == now - RECENT_SECONDS + 1
    assert all(r["monitoringDataTs"] <= now - RECENT_SECONDS for r in answer["records"])


def test_a_cut_second_is_served_again_on_the_next_page() -> None:
    records = [orjson.dumps({"monitoringDataTs": s, "n": n}) for n, s in enumerate([10, 10, 11, 11, 11, 12])]
    log = MemoryLog(records, [10, 10, 11, 11, 11, 12])
    first = log.get_json(RECORDS_PATH, {"recordsFrom": 10, "recordsTo": 12, "limit": 3})
    assert [r["n"] for r in first["records"]] == [0, 1, 2]
    assert first["recordsCount"] == 3 and first["nextRecordsFrom"] == 11
    second = log.get_json(RECORDS_PATH, {"recordsFrom": 11, "recordsTo": 12, "limit": 3})
    assert [r["n"] for r in second["records"]] == [2, 3, 4] and second["nextRecordsFrom"] == 12
    last = log.get_json(RECORDS_PATH, {"recordsFrom": 12, "recordsTo": 12, "limit": 3})
    assert [r["n"] for r in last["records"]] == [5] and last["nextRecordsFrom"] is None
    assert log.asked == 3


@pytest.mark.parametrize(
    "params",
    [
        {"recordsTo": 5},
        {"recordsFrom": 6, "recordsTo": 5},
        {"recordsFrom": 1, "recordsTo": 5, "limit": 0},
        {"recordsFrom": 1, "recordsTo": 5, "limit": 10_001},
        {"recordsFrom": "1", "recordsTo": 5},
    ],
)
def test_the_memory_log_refuses_what_the_sandbox_answers_400(params: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        MemoryLog([], []).body(params)
    with pytest.raises(ValueError):
        MemoryLog([], []).get_json("/opmon/v1/other", {"recordsFrom": 1, "recordsTo": 2})


def test_the_generated_log_is_in_served_order_and_whole(work: CallLog) -> None:
    records = [orjson.loads(r) for r in work.records]
    assert work.seconds == [r["monitoringDataTs"] for r in records]
    assert work.seconds == sorted(work.seconds)
    start, end = work.window.start.timestamp(), work.window.end.timestamp()
    assert start <= work.seconds[0] and work.seconds[-1] < end
    assert 400 < work.count < 800
    keys = {
        (r["messageId"], r["clientMemberCode"], r["clientSubsystemCode"], r["requestInTs"]) for r in records
    }
    assert len(keys) == work.count  # the loader's key tells every call apart


@pytest.mark.parametrize("page_size", [50, 200, 10_000])
def test_the_entity_fetch_reads_the_whole_log_through_the_memory_log(work: CallLog, page_size: int) -> None:
    where = Resume(None, interval=work.window)
    pages = list(fetched(work, page_size, where))
    served = [orjson.dumps(r) for page in pages for r in page]
    assert all(len(page) <= page_size for page in pages)
    # every record once, in order; a page's first records may repeat the last second of the page before
    distinct = list(dict.fromkeys(served))
    assert len(distinct) == work.count
    assert where.served_until == work.window.end
    assert where.next_value == str(int(work.window.end.timestamp()))


def test_the_ways_without_a_database_read_every_record_and_make_every_row(work: CallLog) -> None:
    served = way_fetch(work, 50)
    assert served >= work.count
    assert way_parse(work, 50) == served  # no reject: the generated log is clean
    assert way_copy_text(work, 50) == served  # the duplicates are resolved in SQL, after COPY
    rows = [
        item
        for page in parse_pages(ENTITY, fetched(work, 50), Pseudonymiser("bench-key"))
        for item in page
        if isinstance(item, Row)
    ]
    assert len({row.key for row in rows}) == work.count
    accounts = {orjson.loads(row.values[-1])["messageUserId"] for row in rows}
    assert accounts and all(account.startswith("psn:") for account in accounts)  # pseudonymised


def test_the_report_pairs_the_rounds_and_prints_the_goal() -> None:
    window = Window(datetime(2025, 9, 1, tzinfo=VN_TZ), datetime(2025, 9, 15, tzinfo=VN_TZ))
    work = CallLog([b"{}"] * 10, [0] * 10, window, expected=(1000, "x"), served=1002, pages=6)
    measurements = [
        Measurement(r, way, 1000, seconds, 0.01, 0.02)
        for r, (copy, loader) in enumerate([(0.10, 0.125), (0.10, 0.10), (0.20, 0.25)], start=1)
        for way, seconds in (("copy_stdin", copy), ("loader", loader))
    ]
    result = report_of(
        measurements,
        work,
        scale=1.0,
        days=14,
        rounds=3,
        page_size=200,
        started_at=datetime.now(),
        loads=[1.0] * 3,
    )
    assert result["loader_vs_copy_limit"] == pytest.approx(0.8)
    assert result["paired_ratios"]["loader_vs_copy_limit"]["max"] == pytest.approx(1.0)
    assert result["meets_goal"] is False and result["goal"] == GOAL == 0.85
    part = section(result)
    assert part.key == "population_calls" and RATIO in part.ratios
    assert f"goal ≥ {GOAL}" in part.ratios[RATIO][0] and f"goal ≥ {GOAL}" in part.markdown
    assert set(WAYS) == set(LABELS)
