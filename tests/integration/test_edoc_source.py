"""The document exchange pulled from its sandbox through the one client and the one loader: every
item listed before the run's end is acknowledged, and each acknowledged item is in `raw` exactly
once or in `ops.rejects` with the reason it was acknowledged `fail` with; a redelivered item is
stored once; a batch that rolls back acknowledges nothing; officers' names never land in clear."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
import pytest

from core.settings import Settings
from ingestion.declarations import spec
from ingestion.edxml import BadPackage, read_package
from ingestion.http import ApiClient, RetryPolicy, SystemCredentials
from ingestion.localtime import VN_TZ
from ingestion.runner import ingest
from ingestion.sandbox.documents.exchange import Exchange
from ingestion.sandbox.documents.generator import generate_exchange
from ingestion.sandbox.documents.server import ExchangeServer
from ingestion.sandbox.faults import MODES
from ingestion.sources import SOURCES, Endpoint, Window
from ingestion.sources.edoc import NAME
from ingestion.sources.edoc_records import Package, StatusPacket, list_fields

FAST = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05, read_timeout=5, connect_timeout=2)
START, END = date(2025, 8, 25), date(2025, 9, 6)  # the sandbox's activity; END is its clock
LAST_DAY = datetime(2025, 9, 5, tzinfo=VN_TZ)
QUEUES = {"packages": ("edoc", Package), "statuses": ("status", StatusPacket)}
USER, SECRET = "vxp.test.01", "s3cret"


@pytest.fixture(scope="module")
def exchange() -> Exchange:
    return generate_exchange(seed=11, scale=0.3, start=START, end=END)


@pytest.fixture
def server(exchange: Exchange) -> Iterator[ExchangeServer]:
    with ExchangeServer(exchange, username=USER, password=SECRET, port=0, log=False) as srv:
        yield srv


def _ingest(url: str, srv: ExchangeServer, entity: str, day: datetime = LAST_DAY, page_size: int = 40) -> Any:
    return ingest(
        NAME,
        entity,
        day,
        day + timedelta(days=1),
        endpoint=Endpoint(srv.url, USER, SECRET),
        settings=Settings.from_env({"DTIMON_ENV": "test", "DTIMON_PAGE_SIZE": str(page_size)}),
        warehouse_url=url,
        run_id="test",
        policy=FAST,
    )


def _items(exchange: Exchange, messagetype: str) -> set[str]:
    return {item.doc_id for item in exchange.items if item.messagetype == messagetype and item.doc_id}


def _stored(url: str, entity: str) -> tuple[list[str], list[str]]:
    """(the item ids in raw, one per row; the rejects' reasons)."""
    with psycopg.connect(url) as conn:
        rows = [r[0] for r in conn.execute(f"select item_id from raw.{NAME}__{entity}")]  # noqa: S608
        rejects = conn.execute(
            "select reason from ops.rejects where source = %s and entity = %s", (NAME, entity)
        ).fetchall()
    return rows, sorted(r[0] for r in rejects)


@pytest.mark.parametrize("entity", list(QUEUES))
def test_every_listed_item_is_acknowledged_and_in_raw_once_or_a_reject(
    warehouse_url: str, server: ExchangeServer, exchange: Exchange, entity: str
) -> None:
    messagetype = QUEUES[entity][0]
    server.faults.set("malformed", count=10_000, rate=0.05)  # one package in twenty unreadable
    result = _ingest(warehouse_url, server, entity)
    listed = _items(exchange, messagetype)
    acks = {item: ack for item, ack in server.acks.items() if item in listed}
    assert set(acks) == listed  # nothing listed before the end is left unacknowledged
    rows, rejects = _stored(warehouse_url, entity)
    assert len(rows) == len(set(rows))  # each once
    failed = {item: ack["description"] for item, ack in acks.items() if ack["status"] == "fail"}
    assert set(rows) == set(acks) - set(failed)
    # a reject is acknowledged fail with its reason (its text may mask an id: compared by reason)
    assert failed and sorted(failed.values()) == rejects
    fields = {field.name for field in spec(QUEUES[entity][1])}
    # each names what was wrong: the package could not be read, or which field
    assert all(
        r.startswith("unreadable package:") or r.split(":")[0].split()[0] in fields for r in rejects
    ), rejects
    assert (result.rows_loaded, result.rows_rejected) == (len(rows), len(rejects))
    with psycopg.connect(warehouse_url) as conn:
        loaded_past = conn.execute(
            "select event_time from ops.watermarks where source = %s and entity = %s", (NAME, entity)
        ).fetchone()[0]
    assert loaded_past == LAST_DAY + timedelta(
        days=1
    )  # drained up to the interval's end: its last day is covered


def test_an_item_served_again_is_stored_once_and_a_rerun_pulls_nothing(
    warehouse_url: str, server: ExchangeServer, exchange: Exchange
) -> None:
    first = _ingest(warehouse_url, server, "packages")
    again = _ingest(warehouse_url, server, "packages")  # the same interval: its batch, not re-read
    assert again.batch_id == first.batch_id
    server._exchange_app.acks.clear()  # the acknowledgements were lost: everything is served again
    following = _ingest(warehouse_url, server, "packages", LAST_DAY + timedelta(days=1))
    assert following.rows_loaded == 0 and following.duplicates == first.rows_loaded
    rows, _ = _stored(warehouse_url, "packages")
    assert len(rows) == len(set(rows)) == first.rows_loaded


def test_a_batch_that_rolls_back_acknowledges_nothing(
    warehouse_url: str, server: ExchangeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = SOURCES[NAME]
    packages = source.entity("packages")
    assert packages.declared is not None
    calls = iter(range(10_000))
    row = packages.declared.row

    def crashes_on_the_fifth(record: Any, stored: bytes) -> Any:
        if next(calls) == 5:
            raise RuntimeError("the parser crashed")
        return row(record, stored)

    broken = dataclasses.replace(
        packages, declared=dataclasses.replace(packages.declared, row=crashes_on_the_fifth)
    )
    entities = tuple(broken if e.name == "packages" else e for e in source.entities)
    monkeypatch.setitem(SOURCES, NAME, dataclasses.replace(source, entities=entities))
    with pytest.raises(RuntimeError, match="crashed"):
        _ingest(warehouse_url, server, "packages")
    assert server.acks == {}
    assert _stored(warehouse_url, "packages")[0] == []


@pytest.mark.parametrize("page_size", [1, 7, "all", "all+1"])
def test_the_queue_is_drained_whatever_the_page_size(
    server: ExchangeServer, exchange: Exchange, page_size: int | str
) -> None:
    due = _items(exchange, "edoc")
    size = {"all": len(due), "all+1": len(due) + 1}.get(str(page_size), page_size)
    fetch = SOURCES[NAME].entity("packages").fetch
    window = Window(LAST_DAY, LAST_DAY + timedelta(days=1))
    with ApiClient(server.url, auth=SystemCredentials(USER, SECRET), policy=FAST) as client:
        seen = [record["ItemId"] for page in fetch(client, window, int(size)) for record in page]
        before = Window(LAST_DAY - timedelta(days=30), datetime(2025, 8, 1, tzinfo=VN_TZ))
        assert list(fetch(client, before, int(size))) == []  # nothing listed before activity began
    assert sorted(seen) == sorted(due)


def test_no_officer_name_lands_in_clear(
    warehouse_url: str, server: ExchangeServer, exchange: Exchange
) -> None:
    names: set[str] = set()
    for item in exchange.items:
        if item.package is None:
            continue
        shape = Package if item.messagetype == "edoc" else StatusPacket
        try:
            record = read_package([item.package()], list_fields(shape))
        except BadPackage:
            continue
        for field in ("SignerInfo_FullName", "TraceHeaderList_Bussiness_StaffInfo_Staff", "StaffInfo_Staff"):
            if record.get(field):
                names.add(record[field])
    assert len(names) > 10
    for entity in QUEUES:
        _ingest(warehouse_url, server, entity)
    with psycopg.connect(warehouse_url) as conn:
        stored = conn.execute(
            f"select string_agg(record::text, '') from (select record from raw.{NAME}__packages"  # noqa: S608
            f" union all select record from raw.{NAME}__statuses"
            " union all select to_jsonb(r) from ops.rejects as r) as everything"
        ).fetchone()[0]
    assert not [name for name in names if name in stored]


@pytest.mark.parametrize("mode", [m for m in MODES if m not in ("malformed", "token_expiry")])
def test_a_transport_fault_is_retried_and_every_item_still_stored_once(
    warehouse_url: str, server: ExchangeServer, exchange: Exchange, mode: str
) -> None:
    server.faults.set(mode, count=3, seconds=2.0 if mode == "timeout" else 0.1)
    policy = RetryPolicy(
        max_attempts=5, backoff_base=0.01, backoff_max=0.05, read_timeout=1, connect_timeout=1
    )
    ingest(
        NAME,
        "packages",
        LAST_DAY,
        LAST_DAY + timedelta(days=1),
        endpoint=Endpoint(server.url, USER, SECRET),
        settings=Settings.from_env({"DTIMON_ENV": "test", "DTIMON_PAGE_SIZE": "40"}),
        warehouse_url=warehouse_url,
        run_id="test",
        policy=policy,
    )
    rows, rejects = _stored(warehouse_url, "packages")
    assert sorted(rows) == sorted(_items(exchange, "edoc")) and rejects == []
    assert server.faults.active() == []  # the faults were met
