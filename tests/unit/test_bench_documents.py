"""The document packages' benchmark (bench/documents.py): its in-memory exchange answers the
packages fetch as the axis does, so the entity's real fetch reads every listed package once.

No timing is asserted: these pin the listing's pages, the chunks and the span's arithmetic.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from bench.documents import CHUNK, ENTITY, MemoryExchange, Packages, end_of, way_parse_only
from ingestion.localtime import VN_TZ
from ingestion.sources import Window
from ingestion.sources.edoc import RECEIVED_PATH


def _listing(doc_id: str, created: str, kind: str = "edoc") -> dict[str, Any]:
    return {
        "DocId": doc_id,
        "from": "000.00.00.H01",
        "to": "000.00.01.H01",
        "messagetype": kind,
        "servicetype": "eDoc",
        "created_time": created,
    }


LISTINGS = [
    _listing("a1", "2025/09/01 08:00:00"),
    _listing("s1", "2025/09/01 09:00:00", "status"),
    _listing("a2", "2025/09/02 10:00:00"),
    _listing("a3", "2025/09/02 23:59:59"),
    _listing("a4", "2025/09/03 07:30:00"),
]


def _ask(
    client: MemoryExchange, page: int, size: int, to_date: str = "2025/09/30", kind: str = "edoc"
) -> Any:
    body = {
        "servicetype": "eDoc",
        "messagetype": kind,
        "toDate": to_date,
        "pageIndex": page,
        "pageSize": size,
    }
    return client.post_json(RECEIVED_PATH, body)


def test_the_listing_pages_one_message_type_with_its_total() -> None:
    client = MemoryExchange(LISTINGS, {})
    pages = [_ask(client, n, 2) for n in (1, 2, 3)]
    assert [[i["DocId"] for i in p["data"]] for p in pages] == [["a1", "a2"], ["a3", "a4"], []]
    assert {p["total"] for p in pages} == {4}
    assert {p["status"] for p in pages} == {"OK"}
    assert [i["DocId"] for i in _ask(client, 1, 10, kind="status")["data"]] == ["s1"]


def test_the_listing_stops_at_to_date_inclusive() -> None:
    client = MemoryExchange(LISTINGS, {})
    answer = _ask(client, 1, 10, to_date="2025/09/02")
    assert [i["DocId"] for i in answer["data"]] == ["a1", "a2", "a3"]
    assert answer["total"] == 3


def test_the_listing_hands_out_copies() -> None:
    client = MemoryExchange(LISTINGS, {})
    _ask(client, 1, 10)["data"][0]["DocId"] = "changed"
    assert _ask(client, 1, 10)["data"][0]["DocId"] == "a1"


def test_the_listing_refuses_another_path_and_a_page_before_the_first() -> None:
    client = MemoryExchange(LISTINGS, {})
    with pytest.raises(ValueError):
        client.post_json("/vxp/v1/agencies", {})
    with pytest.raises(ValueError):
        _ask(client, 0, 10)


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_a_package_is_handed_over_whole_in_chunks(size: int) -> None:
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    client = MemoryExchange([], {"a1": body})
    chunks = client.read_stream("/vxp/v1/edocs/a1", list, accept="application/xml")
    assert b"".join(chunks) == body
    assert all(len(c) == CHUNK for c in chunks[:-1])
    assert all(0 < len(c) <= CHUNK for c in chunks)
    assert len(client.read_stream("/vxp/v1/edocs/a1", list, chunk_size=10)) == -(-size // 10)


def _package(doc_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><edXML><edXMLEnvelope><edXMLHeader><MessageHeader>'
        f"<DocumentId>{doc_id}.doc</DocumentId><Subject>Trích yếu</Subject>"
        "</MessageHeader></edXMLHeader></edXMLEnvelope></edXML>"
    ).encode()


def test_the_entity_fetch_reads_every_listed_package_once_page_by_page() -> None:
    bodies = {i["DocId"]: _package(i["DocId"]) for i in LISTINGS}
    client = MemoryExchange(LISTINGS, bodies)
    window = Window(datetime(2025, 9, 1, tzinfo=VN_TZ), datetime(2025, 10, 1, tzinfo=VN_TZ))
    pages = list(ENTITY.fetch(client, window, 3))  # type: ignore[arg-type]
    assert [len(p) for p in pages] == [3, 1]
    records = [r for p in pages for r in p]
    assert [r["ItemId"] for r in records] == ["a1", "a2", "a3", "a4"]
    assert [r["DocumentId"] for r in records] == ["a1.doc", "a2.doc", "a3.doc", "a4.doc"]
    assert records[0]["CreatedTime"] == "20250901080000"  # `local_times` ran on the listing's stamp


def test_read_package_alone_reads_each_package_and_times_the_big_ones_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listings = [_listing("a1", "2025/09/01 08:00:00"), _listing("a2", "2025/09/01 09:00:00")]
    bodies = {"a1": _package("a1"), "a2": _package("a2") + b" " * 500}
    window = Window(datetime(2025, 9, 1, tzinfo=VN_TZ), datetime(2025, 10, 1, tzinfo=VN_TZ))
    work = Packages(listings, bodies, window)
    big: dict[str, float] = {}
    assert way_parse_only(work, big) == 2
    assert big == {}  # nothing over BIG bytes
    monkeypatch.setattr("bench.documents.BIG", len(bodies["a1"]))
    assert way_parse_only(work, big) == 2
    assert set(big) == {"seconds"} and big["seconds"] > 0  # a2 alone


@pytest.mark.parametrize(
    ("first", "months", "end"),
    [
        (date(2025, 9, 1), 6, date(2026, 3, 1)),
        (date(2025, 9, 1), 4, date(2026, 1, 1)),
        (date(2025, 1, 1), 12, date(2026, 1, 1)),
    ],
)
def test_the_span_ends_on_the_first_of_a_month(first: date, months: int, end: date) -> None:
    assert end_of(first, months) == end
