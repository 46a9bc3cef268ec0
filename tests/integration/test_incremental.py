"""Cursor-based pulls and acknowledgements through the runner, on a real PostgreSQL and a real HTTP server.

A small document queue is served over HTTP: `GET /docs?from=N` answers records from
number N and `nextRecordsFrom`; `GET /inbox` answers every pending item and
`POST /inbox/ack` marks items done. The runner pulls them through the one client and
loads them through the one loader; these tests check that the cursor is read back from
`ops.watermarks` (with its overlap), moves only with a committed batch, and that items are
acknowledged only after their batch committed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import psycopg
import pytest

from core.migrations import Column
from core.settings import Settings
from ingestion.http import ApiClient, RetryPolicy
from ingestion.load import RawTable, Row
from ingestion.localtime import VN_TZ
from ingestion.paging import cursor_pages
from ingestion.runner import ingest
from ingestion.sources import (
    SOURCES,
    Ack,
    Acknowledge,
    Cursor,
    Endpoint,
    Entity,
    Rejected,
    Resume,
    Source,
    Window,
)

DAY = datetime(2025, 9, 1, tzinfo=VN_TZ)
FAST = RetryPolicy(max_attempts=2, backoff_base=0.01, read_timeout=5)


class Queue:
    """The simulated document exchange: numbered documents and an inbox of pending items."""

    def __init__(self) -> None:
        self.docs: list[dict[str, Any]] = []
        self.inbox: dict[str, dict[str, Any]] = {}
        self.asked_from: list[str | None] = []
        self.acks: list[list[str]] = []
        self.failures: dict[str, str] = {}  # item → the reason it was acknowledged as failed
        self.on_ack: Any = None
        self.lose_acks = False  # acknowledgements lost on the way: the items are served again

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Any:
        if path == "/docs":
            self.asked_from.append(query.get("from"))
            first = int(query.get("from") or 0)
            page = self.docs[first : first + int(query["page_size"])]
            return {"items": page, "nextRecordsFrom": first + len(page) if page else None}
        if path == "/inbox" and method == "GET":
            return {"items": list(self.inbox.values())}
        if path == "/inbox/ack":
            ack = orjson.loads(body)
            ids = ack["ids"]
            if self.on_ack:
                self.on_ack(ids)
            self.acks.append(ids)
            self.failures |= ack["failed"]
            for item_id in [] if self.lose_acks else ids:
                self.inbox.pop(item_id, None)
            return {"done": len(ids)}
        raise KeyError(path)


@pytest.fixture
def queue() -> Iterator[tuple[Queue, str]]:
    state = Queue()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            payload = orjson.dumps(state.handle(method, parts.path, query, body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _parse(record: Any) -> Row:
    if record.get("explode"):
        raise RuntimeError("the parser crashed")  # not a Rejected: the whole batch fails
    if not record.get("so"):
        raise Rejected("so is missing")
    return Row((None, record["so"], orjson.dumps(record).decode()), key=record["so"])


def _fetch_docs(client: ApiClient, where: Any, page_size: int) -> Iterator[list[Any]]:
    assert isinstance(where, Resume)

    def page(cursor: str | None) -> tuple[list[Any], str | None]:
        body = client.get_json("/docs", {"page_size": page_size, **({"from": cursor} if cursor else {})})
        following = body["nextRecordsFrom"]
        return body["items"], None if following is None else str(following)

    yield from cursor_pages(page, where.value, where.advance)


def _fetch_inbox(client: ApiClient, where: Any, page_size: int) -> Iterator[list[Any]]:
    assert isinstance(where, Window)  # a queue drains what it lists up to the interval's end
    yield client.get_json("/inbox")["items"]


def _send_ack(client: ApiClient, acks: Sequence[Ack]) -> None:
    failed = {ack.item_id: ack.failure for ack in acks if ack.failure is not None}
    client.post("/inbox/ack", {"ids": [ack.item_id for ack in acks], "failed": failed})


def _table(name: str) -> RawTable:
    return RawTable(
        "raw",
        f"exchange__{name}",
        (
            Column("source_updated_at", "timestamptz", not_null=False),
            Column("so", "text"),
            Column("record", "jsonb"),
        ),
        key=("so",),
    )


EXCHANGE = Source(
    name="exchange",
    description="test document exchange",
    schedule="@daily",
    auth=None,
    entities=(
        Entity(
            "docs", _table("docs"), _fetch_docs, _parse, windowed=False, cursor=Cursor("sequence", overlap=1)
        ),
        Entity(
            "inbox",
            _table("inbox"),
            _fetch_inbox,
            _parse,
            windowed=False,
            acknowledge=Acknowledge(item_id=lambda record: record["id"], send=_send_ack, chunk=2),
        ),
    ),
)


@pytest.fixture
def url(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test source registered, with its raw tables, in a fresh warehouse."""
    monkeypatch.setitem(SOURCES, "exchange", EXCHANGE)  # migrate() creates its raw tables
    return warehouse_url


def _run(queue_url: str, url: str, entity: str, day: datetime, page_size: int = 2) -> Any:
    return ingest(
        "exchange",
        entity,
        day,
        day + timedelta(days=1),
        endpoint=Endpoint(queue_url, "", ""),
        settings=Settings.from_env({"DTIMON_ENV": "test", "DTIMON_PAGE_SIZE": str(page_size)}),
        warehouse_url=url,
        run_id="test",
        policy=FAST,
    )


def _state(url: str, entity: str) -> tuple[str | None, list[tuple[str, int]]]:
    with psycopg.connect(url) as conn:
        cursor = conn.execute(
            "select cursor from ops.watermarks where source = 'exchange' and entity = %s", (entity,)
        ).fetchone()
        rows = conn.execute(
            f"select so, batch_id from raw.exchange__{entity} order by batch_id, so"  # noqa: S608
        ).fetchall()
    return (cursor[0] if cursor else None), rows


def test_a_cursor_entity_resumes_from_the_stored_cursor_minus_its_overlap(
    queue: tuple[Queue, str], url: str
) -> None:
    state, queue_url = queue
    state.docs = [{"so": f"VB-{n}"} for n in range(5)]
    first = _run(queue_url, url, "docs", DAY)
    assert state.asked_from == [None, "2", "4", "5"]  # pages of 2 from the start, then the empty answer
    assert first.rows_loaded == 5
    assert _state(url, "docs")[0] == "5"

    state.docs += [{"so": "VB-5"}, {"so": "VB-6"}]
    second = _run(queue_url, url, "docs", DAY + timedelta(days=1))
    # resumes at 5 - overlap 1 = 4: VB-4 is read again, VB-5 and VB-6 are new
    assert state.asked_from[4:] == ["4", "6", "7"]
    assert second.rows_loaded == 3
    cursor, rows = _state(url, "docs")
    assert cursor == "7"
    assert [so for so, batch in rows if batch == second.batch_id] == ["VB-4", "VB-5", "VB-6"]

    # re-running an interval already loaded pulls nothing and reports its batch
    again = _run(queue_url, url, "docs", DAY)
    assert again.batch_id == first.batch_id and again.rows_loaded == 5
    assert len(state.asked_from) == 7
    assert _state(url, "docs")[0] == "7"


def test_a_failed_load_does_not_move_the_cursor(queue: tuple[Queue, str], url: str) -> None:
    state, queue_url = queue
    state.docs = [{"so": "VB-0"}, {"so": "VB-1"}]
    _run(queue_url, url, "docs", DAY)
    assert _state(url, "docs")[0] == "2"
    state.docs += [{"so": "VB-2"}, {"so": "VB-3", "explode": True}]
    with pytest.raises(RuntimeError, match="crashed"):
        _run(queue_url, url, "docs", DAY + timedelta(days=1))
    cursor, rows = _state(url, "docs")
    assert cursor == "2"  # the page of VB-2 was read but its batch rolled back
    assert [so for so, _ in rows] == ["VB-0", "VB-1"]
    state.docs[3] = {"so": "VB-3"}  # the source fixed the record
    retry = _run(queue_url, url, "docs", DAY + timedelta(days=1))
    assert (retry.rows_loaded, _state(url, "docs")[0]) == (3, "4")  # from 2 - 1: VB-1, VB-2, VB-3


def test_items_are_acknowledged_only_after_their_batch_committed(queue: tuple[Queue, str], url: str) -> None:
    state, queue_url = queue
    state.inbox = {i: {"id": i, "so": f"VB-{i}"} for i in ("a", "b", "c")}
    state.inbox["d"] = {"id": "d"}  # malformed: kept in ops.rejects, so stored too

    def committed_before_ack(ids: list[str]) -> None:
        # another connection already sees the stored items when the source is told
        with psycopg.connect(url) as conn:
            stored = conn.execute("select count(*) from raw.exchange__inbox").fetchone()[0]
            rejected = conn.execute("select count(*) from ops.rejects where entity = 'inbox'").fetchone()[0]
        assert (stored, rejected) == (3, 1)

    state.on_ack = committed_before_ack
    result = _run(queue_url, url, "inbox", DAY)
    assert (result.rows_loaded, result.rows_rejected) == (3, 1)
    assert state.acks == [["a", "b"], ["c", "d"]]  # in chunks of 2
    assert state.failures == {"d": "so is missing"}  # the reject is acknowledged as failed, with why
    assert state.inbox == {}

    # a re-run of the interval keeps its batch: the acknowledged items cannot be served again
    state.on_ack = None
    state.inbox = {"e": {"id": "e", "so": "VB-e"}}
    again = _run(queue_url, url, "inbox", DAY)
    assert (again.batch_id, again.rows_loaded) == (result.batch_id, 3)
    assert [so for so, _ in _state(url, "inbox")[1]] == ["VB-a", "VB-b", "VB-c"]
    assert set(state.inbox) == {"e"} and len(state.acks) == 2  # e waits for the next interval
    following = _run(queue_url, url, "inbox", DAY + timedelta(days=1))
    assert following.rows_loaded == 1 and state.acks[-1] == ["e"] and state.inbox == {}


def test_nothing_is_acknowledged_when_the_load_fails(queue: tuple[Queue, str], url: str) -> None:
    state, queue_url = queue
    state.inbox = {"a": {"id": "a", "so": "VB-a"}, "b": {"id": "b", "so": "VB-b", "explode": True}}
    with pytest.raises(RuntimeError, match="crashed"):
        _run(queue_url, url, "inbox", DAY)
    assert state.acks == []
    assert set(state.inbox) == {"a", "b"}  # the source serves both again
    assert _state(url, "inbox")[1] == []
    with psycopg.connect(url) as conn:
        assert conn.execute("select status from ops.batches").fetchall() == [("failed",)]


def test_an_item_served_again_after_its_acknowledgement_was_lost_is_stored_once(
    queue: tuple[Queue, str], url: str
) -> None:
    state, queue_url = queue
    state.lose_acks = True
    state.inbox = {i: {"id": i, "so": f"VB-{i}"} for i in ("a", "b")}
    first = _run(queue_url, url, "inbox", DAY)
    state.inbox["c"] = {"id": "c", "so": "VB-c"}  # a and b are served again beside c
    second = _run(queue_url, url, "inbox", DAY + timedelta(days=1))
    assert (first.rows_loaded, second.rows_loaded, second.duplicates) == (2, 1, 2)
    assert [(so, batch) for so, batch in _state(url, "inbox")[1]] == [
        ("VB-a", first.batch_id),
        ("VB-b", first.batch_id),
        ("VB-c", second.batch_id),
    ]
    assert [item for chunk in state.acks[1:] for item in chunk] == ["a", "b", "c"]  # acknowledged again
