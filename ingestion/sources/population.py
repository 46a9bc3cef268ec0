"""The national population database interface, as the province sees it through its integration
platform (the wire contract: `ingestion/sandbox/population/README.md`). No citizen record is read.

- `calls`: the operational-monitoring log (X-Road model) of every call provincial systems made
  to the population database, by the seconds it was logged (`recordsFrom`/`recordsTo`), from
  where the last pull stopped (the interval's start on the first) up to the interval's end,
  page after page through `nextRecordsFrom`. The log never serves its last minute: the source's
  lag, and a day is covered only once the log has served past it. Message ids collide under
  load, so a call's key is (message id, client, request time); a page re-serves the rest of the
  second it was cut in, stored once.
- `figures`: residents and VNeID accounts per commune and month, asked month by month for the
  months the interval touches and the `REVISED` days before it (figures are revised after the
  month ends): each version of a figure is stored once (`Entity.once`), staging keeps the latest.

Calls go with an OAuth2 bearer from the client-credentials grant at `/token`, renewed before it
expires and once on a 401; the log answers 429 above its rate, honoured by the one client.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from defusedxml import ElementTree as SafeET

from core.migrations import Column, Index
from ingestion.declarations import privacy_policy
from ingestion.http import ApiClient, SourceError
from ingestion.load import RawTable, Row
from ingestion.localtime import VN_TZ, compact_iso
from ingestion.record_checks import check_record, fast_path, stored_form, text
from ingestion.record_rules import Rejected
from ingestion.sources.base import Cursor, Entity, Resume, Sandbox, Source, TokenLogin, Window
from ingestion.sources.population_records import Call, CommuneFigures

NAME = "population"
TOKEN_PATH = "/token"
RECORDS_PATH = "/opmon/v1/records"
FIGURES_PATH = "/apiCSDLDanCu/ThongKeDanCu"
#: the most records the log serves in one answer
MAX_PAGE = 10_000
#: how long after a call the log serves it: its last minute and a second are held back
SERVED_AFTER = timedelta(seconds=61)
#: how many days back each run asks again for the figures of the months then (revised later)
REVISED = timedelta(days=45)
#: LGSP's answer codes: 0 served, 201 nothing published for that month yet
SERVED, NOT_PUBLISHED = "0", "201"


# --- the call log -------------------------------------------------------------------------------


def _blank_nulls(record: Any) -> Any:
    """A record with its JSON nulls as "" (no value, as the common rules read both)."""
    if not isinstance(record, dict):
        return record
    return {name: "" if value is None else value for name, value in record.items()}


def _calls(client: ApiClient, where: Any, page_size: int) -> Iterator[list[Any]]:
    """The calls logged from the stored second (or the interval's start) up to the interval's end.

    A full page goes on from the answer's `nextRecordsFrom` (the second it was cut in, served
    again: the calls of it already handed over are not handed over twice); a short page with `nextRecordsFrom` says the log moved `recordsTo` back (its last
    minute): the pull stops there, and the next starts there. Everything logged before the
    second the pull stopped at was served (`served_until`).
    """
    assert isinstance(where, Resume) and where.interval is not None
    size = min(page_size, MAX_PAGE)
    start = int(where.value) if where.value else math.floor(where.interval.start.timestamp())
    last = math.ceil(where.interval.end.timestamp()) - 1  # recordsTo is inclusive
    handed: set[tuple[Any, ...]] = set()  # the calls of the second a full page was cut in, handed over
    while start <= last:
        answer = client.get_json(RECORDS_PATH, {"recordsFrom": start, "recordsTo": last, "limit": size})
        records = answer.get("records") if isinstance(answer, dict) else None
        following = answer.get("nextRecordsFrom") if isinstance(answer, dict) else None
        if not isinstance(records, list):
            raise SourceError(f"{RECORDS_PATH}: 'records' is not a list")
        if following is not None and (isinstance(following, bool) or not isinstance(following, int)):
            raise SourceError(f"{RECORDS_PATH}: nextRecordsFrom={following!r} is not a second")
        fresh = [_blank_nulls(r) for r in records if not handed or _call_key(r) not in handed]
        if fresh:
            yield fresh
        if following is None:
            start = last + 1
            break
        if len(records) < size:  # the log moved recordsTo back: it serves the rest later
            start = max(start, following)
            break
        if following <= start:
            raise SourceError(
                f"{RECORDS_PATH}: more than {size} calls logged in the second {start}: raise the page size"
            )
        start = following
        handed = {_call_key(r) for r in records if isinstance(r, dict) and r.get("monitoringDataTs") == start}
        where.advance(start)
    where.advance(start)
    where.served_until = datetime.fromtimestamp(start, UTC)


def _call_key(record: Any) -> tuple[Any, ...]:
    """What tells one served call from another (a malformed one is its own: it is never dropped)."""
    if not isinstance(record, dict):
        return (id(record),)
    names = ("messageId", "clientMemberCode", "clientSubsystemCode", "requestInTs", "monitoringDataTs")
    return tuple(str(record.get(name)) for name in names)


def _client(member: Any, subsystem: Any) -> str:
    """The calling system: its member code and subsystem (`000.00.12.H57/DVC`)."""
    return f"{text(member)}/{text(subsystem) if isinstance(subsystem, str) else ''}"


def _millis(value: int) -> str:
    return datetime.fromtimestamp(value / 1000, UTC).isoformat(timespec="milliseconds")


def parse_call(record: Any) -> Row:
    record = check_record(record, Call)
    message, at = text(record["messageId"]), _millis(record["requestInTs"])
    caller = _client(record["clientMemberCode"], record.get("clientSubsystemCode"))
    return Row((at, message, caller, stored_form(record)), key=(message, caller, at))


def _call_row(record: Call, stored: bytes) -> Row:
    at, caller = _millis(record.requestInTs), _client(record.clientMemberCode, record.clientSubsystemCode)
    return Row((at, record.messageId, caller, stored), key=(record.messageId, caller, at))


# --- the monthly figures ------------------------------------------------------------------------


def _months(window: Window) -> list[str]:
    """The months (yyyyMM, local time) the window touches, in order."""
    first = window.start.astimezone(VN_TZ).date().replace(day=1)
    last = (window.end - timedelta(microseconds=1)).astimezone(VN_TZ).date()
    months, month = [], first
    while month <= last:
        months.append(f"{month:%Y%m}")
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def figures_of(message: str, month: str) -> list[dict[str, str]]:
    """The `ThongKe` elements of the SOAP envelope an answer wraps in its `message`, each as a flat
    record by local name (either vendor's namespace)."""
    try:
        root = SafeET.fromstring(message.encode())
    except SafeET.ParseError as exc:
        raise SourceError(f"{FIGURES_PATH} {month}: the message is not XML: {exc}") from None
    return [
        {_local_name(leaf.tag): (leaf.text or "").strip() for leaf in element}
        for element in root.iter()
        if _local_name(element.tag) == "ThongKe"
    ]


def _figures(client: ApiClient, where: Any, page_size: int) -> Iterator[list[Any]]:
    """Every commune's figures for each month the window (moved back REVISED days) touches."""
    assert isinstance(where, Window)
    for month in _months(where):
        # the province is the one the platform serves (MaTinh left out: the LGSP's own)
        answer = client.post_json(FIGURES_PATH, {"MaYeuCau": f"DTIMON_{uuid.uuid4().hex}", "Thang": month})
        if not isinstance(answer, dict):
            raise SourceError(f"{FIGURES_PATH} {month}: the answer is not an object")
        status, message = text(answer.get("error_code")), answer.get("message")
        if status == NOT_PUBLISHED:
            continue
        if status != SERVED or not isinstance(message, str):
            raise SourceError(f"{FIGURES_PATH} {month}: error_code {status}: {str(message)[:200]}")
        records = figures_of(message, month)
        if records:
            yield records


def _month_refusal(month: str) -> str | None:
    try:
        day = date(int(month[:4]), int(month[4:]), 1) if len(month) == 6 and month.isdigit() else None
    except ValueError:
        day = None
    return None if day is not None else f"Thang={month!r} is not a yyyyMM month"


def _month_ok(record: Any) -> bool:
    return _month_refusal(str(getattr(record, "Thang", ""))) is None


def parse_figures(record: Any) -> Row:
    record = check_record(record, CommuneFigures)
    refusal = _month_refusal(text(record["Thang"]))
    if refusal is not None:
        raise Rejected(refusal)
    commune, month, published = text(record["MaXa"]), text(record["Thang"]), text(record["NgayCapNhat"])
    return Row((month, commune, compact_iso(published), stored_form(record)), key=(commune, month, published))


def _figures_row(record: CommuneFigures, stored: bytes) -> Row:
    published = record.NgayCapNhat
    return Row(
        (record.Thang, record.MaXa, compact_iso(published), stored),
        key=(record.MaXa, record.Thang, published),
    )


def _table(name: str, *columns: Column, key: tuple[str, ...]) -> RawTable:
    table = f"{NAME}__{name}"
    return RawTable("raw", table, columns, key, (Index(f"{table}_key", key),))


# The raw tables (the loader adds batch_id and loaded_at in front). `record` is the record as sent.
CALLS_TABLE = _table(
    "calls",
    Column("request_in_at", "timestamptz"),
    Column("message_id", "text"),
    Column("client", "text"),
    Column("record", "jsonb"),
    key=("message_id", "client", "request_in_at"),
)
FIGURES_TABLE = _table(
    "figures",
    Column("month", "text"),
    Column("commune_code", "text"),
    Column("published_at", "timestamptz"),
    Column("record", "jsonb"),
    key=("commune_code", "month", "published_at"),
)

SOURCE = Source(
    name=NAME,
    description="National population database interface (call log, residents and VNeID accounts per commune)",
    schedule="@daily",
    auth=TokenLogin(TOKEN_PATH, expires_field="expires_in", client_credentials=True),
    sandbox=Sandbox("ingestion.sandbox.population", port_offset=2),
    lag=SERVED_AFTER,
    entities=(
        Entity(
            "calls",
            CALLS_TABLE,
            _calls,
            parse_call,
            windowed=False,
            cursor=Cursor("sequence"),
            once=True,
            personal=privacy_policy(Call),
            declared=fast_path(Call, _call_row),
            event_time="requestInTs",
        ),
        Entity(
            "figures",
            FIGURES_TABLE,
            _figures,
            parse_figures,
            windowed=True,
            cursor=Cursor("window", overlap=REVISED),
            once=True,
            personal=privacy_policy(CommuneFigures),
            declared=fast_path(CommuneFigures, _figures_row, also=_month_ok),
        ),
    ),
)
