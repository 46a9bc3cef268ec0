"""The electronic document exchange (QCVN 102 edXML over the national document axis).

Two queues and one export. Packages (new documents, revocations, updates, replacements) and
status packets are listed as pending queue items, each fetched as edXML, streamed through
`ingestion.edxml.read_package` (attachments hashed on the way, never kept) and acknowledged
`done` once its batch committed, or `fail` with the reason when it could not be read or was
rejected. The work-file export is a paged JSON list per agency, pulled by the run's interval.
The connected system authenticates with its id and secret as headers (`SystemSecret`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from core.migrations import Column, Index
from ingestion.declarations import privacy_policy
from ingestion.edxml import BadPackage, read_package
from ingestion.http import ApiClient, SourceError
from ingestion.load import RawTable, Row
from ingestion.localtime import VN_TZ, compact_iso
from ingestion.paging import Page, numbered_pages
from ingestion.record_checks import check_record, fast_path, stored_form, text
from ingestion.record_rules import Rejected
from ingestion.sources.base import Ack, Acknowledge, Entity, Sandbox, Source, SystemSecret, Window
from ingestion.sources.edoc_records import (
    TIME_FORMATS,
    Package,
    StatusPacket,
    WorkFile,
    list_fields,
)

NAME = "edoc"
RECEIVED_PATH = "/vxp/v1/edocs/received"
PACKAGE_PATH = "/vxp/v1/edocs/{}"
ACK_PATH = "/vxp/v1/edocs/{}/status"
AGENCIES_PATH = "/vxp/v1/agencies"
WORK_FILES_PATH = "/vxp/v1/workfiles"
#: the largest page the axis serves (its listing refuses more)
MAX_PAGE = 500
#: how the axis writes a local time in its listings and exports
STAMP = "%Y/%m/%d %H:%M:%S"


def local_times(record: dict[str, Any]) -> dict[str, Any]:
    """`record` with each local time of `TIME_FORMATS` as `yyyyMMddHHmmss` (nested list items
    too: `List.Field`); a value no declared format reads is left as sent, for the check to reject."""
    for name, value in record.items():
        if isinstance(value, str) and value and name in TIME_FORMATS:
            record[name] = _compact(value, TIME_FORMATS[name])
        elif isinstance(value, list):
            for item in value:
                if not isinstance(item, dict):
                    continue
                for field, inner in item.items():
                    formats = TIME_FORMATS.get(f"{name}.{field}")
                    if formats and isinstance(inner, str) and inner:
                        item[field] = _compact(inner, formats)
    return record


def _compact(value: str, formats: tuple[str, ...]) -> str:
    for form in formats:
        try:
            return datetime.strptime(value.strip(), form).strftime("%Y%m%d%H%M%S")
        except ValueError:
            continue
    return value


def _listing(body: Any, path: str, key: str = "data") -> Page:
    """Check the axis's `{"status": "OK", "ErrorDesc", "total", <key>: [...]}` envelope."""
    if not isinstance(body, dict):
        raise SourceError(f"{path}: answer is not a JSON object")
    if body.get("status") != "OK":
        raise SourceError(f"{path}: status {body.get('status')!r}: {body.get('ErrorDesc', '')}")
    records = body.get(key)
    if not isinstance(records, list):
        raise SourceError(f"{path}: {key!r} is not a list")
    total = body.get("total")
    try:
        total = int(total) if total not in (None, "") else None
    except (TypeError, ValueError):
        raise SourceError(f"{path}: 'total'={total!r} is not a number") from None
    return Page(records, total)


def _last_day(window: Window) -> str:
    """The last local day of `window` as the listing's inclusive `toDate`."""
    return (window.end - timedelta(microseconds=1)).astimezone(VN_TZ).strftime("%Y/%m/%d")


def _due(item: Any, window: Window) -> bool:
    """An item listed before the window's end (one the listing spells badly is taken, to be
    read and rejected with its reason rather than listed for ever)."""
    try:
        created = datetime.strptime(str(item["created_time"]), STAMP).replace(tzinfo=VN_TZ)
    except (KeyError, TypeError, ValueError):
        return True
    return created < window.end


@dataclass(frozen=True)
class UnreadablePackage:
    """A queue item whose package could not be read: a reject with its reason, acknowledged `fail`
    (its fields named as a record's, so the item id and event time are read the same way)."""

    ItemId: str  # noqa: N815
    CreatedTime: str  # noqa: N815
    reason: str


def _package(client: ApiClient, item: dict[str, Any], lists: frozenset[str]) -> Any:
    """One queue item fetched and read into its flat record, or an `UnreadablePackage`."""
    item_id = str(item.get("DocId") or "")
    created = local_times({"CreatedTime": str(item.get("created_time") or "")})["CreatedTime"]
    if not item_id:
        return UnreadablePackage(item_id, created, "the queue listed an item without a DocId")
    try:
        record = client.read_stream(
            PACKAGE_PATH.format(item_id),
            lambda chunks: read_package(chunks, lists),
            accept="application/xml, text/xml",
        )
    except BadPackage as exc:
        return UnreadablePackage(item_id, created, str(exc))
    return {
        **local_times(record),
        "ItemId": item_id,
        "CreatedTime": created,
    }  # the queue's, whatever the package says


def _queue(messagetype: str, shape: type[msgspec.Struct]):  # type: ignore[no-untyped-def]
    """The fetch of one message type's queue: every pending item listed before the window's end,
    page by page, each package fetched (up to the source's `max_in_flight` at once)."""
    lists = list_fields(shape)

    def fetch(client: ApiClient, window: Window | None, page_size: int) -> Iterator[list[Any]]:
        assert isinstance(window, Window)
        body = {"servicetype": "eDoc", "messagetype": messagetype, "toDate": _last_day(window)}
        size = min(page_size, MAX_PAGE)

        def page(number: int) -> Page:
            answer = client.post_json(RECEIVED_PATH, {**body, "pageIndex": number, "pageSize": size})
            return _listing(answer, RECEIVED_PATH)

        with ThreadPoolExecutor(client.max_in_flight, thread_name_prefix="package") as pool:
            for items in numbered_pages(page, size):
                # an item listed at or after the window's end waits for the next run
                due = [i if isinstance(i, dict) else {} for i in items if _due(i, window)]
                records = list(pool.map(lambda i: _package(client, i, lists), due))
                if records:
                    yield records

    return fetch


def _send_acks(client: ApiClient, acks: Sequence[Ack]) -> None:
    """`done` for each stored item, `fail` with the reason for each reject."""

    def send(ack: Ack) -> None:
        body = {"status": "done"} if ack.failure is None else {"status": "fail", "description": ack.failure}
        answer = client.put_json(ACK_PATH.format(ack.item_id), body)
        if not isinstance(answer, dict) or answer.get("status") != "OK":
            raise SourceError(f"acknowledging {ack.item_id}: {answer!r}")

    with ThreadPoolExecutor(client.max_in_flight, thread_name_prefix="ack") as pool:
        list(pool.map(send, acks))


def _item_id(record: Any) -> str:
    """The queue item's id (a record without one cannot be acknowledged: it is served again)."""
    item = record.ItemId if isinstance(record, UnreadablePackage) else record["ItemId"]
    if not isinstance(item, str) or not item:
        raise KeyError("ItemId")
    return item


def _unreadable(record: Any) -> None:
    if isinstance(record, UnreadablePackage):
        raise Rejected(f"unreadable package: {record.reason}")


def parse_package(record: Any) -> Row:
    _unreadable(record)
    record = check_record(record, Package)
    item, document = text(record["ItemId"]), text(record["DocumentId"])
    return Row((compact_iso(text(record["CreatedTime"])), item, document, stored_form(record)), key=item)


def parse_status(record: Any) -> Row:
    _unreadable(record)
    record = check_record(record, StatusPacket)
    item, document = text(record["ItemId"]), text(record["ResponseFor_DocumentId"])
    return Row((compact_iso(text(record["CreatedTime"])), item, document, stored_form(record)), key=item)


def parse_work_file(record: Any) -> Row:
    record = check_record(record, WorkFile)
    key = (text(record["id"]), text(record["updated"]))
    return Row((compact_iso(key[1]), key[0], stored_form(record)), key=key)


def _package_row(record: Package, stored: bytes) -> Row:
    return Row((compact_iso(record.CreatedTime), record.ItemId, record.DocumentId, stored), key=record.ItemId)


def _status_row(record: StatusPacket, stored: bytes) -> Row:
    item = record.ItemId
    return Row((compact_iso(record.CreatedTime), item, record.ResponseFor_DocumentId, stored), key=item)


def _work_file_row(record: WorkFile, stored: bytes) -> Row:
    return Row((compact_iso(record.updated), record.id, stored), key=(record.id, record.updated))


def _work_files(client: ApiClient, window: Window | None, page_size: int) -> Iterator[list[Any]]:
    """Every agency's work-file versions updated within the window (the export is per agency)."""
    assert isinstance(window, Window)
    first = window.start.astimezone(VN_TZ).strftime("%Y/%m/%d")
    dates = {"fromDate": first, "toDate": _last_day(window)}
    size = min(page_size, MAX_PAGE)

    def agencies(number: int) -> Page:
        answer = client.get_json(AGENCIES_PATH, {"page": number, "page_size": MAX_PAGE})
        return _listing(answer, AGENCIES_PATH, key="agencies")

    codes = sorted(
        {str(a["code"]) for page in numbered_pages(agencies, MAX_PAGE) for a in page if a.get("code")}
    )
    for agency in codes:

        def page(number: int, agency: str = agency) -> Page:
            params = {"agency": agency, **dates, "pageIndex": number, "pageSize": size}
            return _listing(client.get_json(WORK_FILES_PATH, params), WORK_FILES_PATH)

        for records in numbered_pages(page, size, in_flight=client.max_in_flight):
            yield [local_times(r) if isinstance(r, dict) else r for r in _within(records, window)]


def _within(records: Iterable[Any], window: Window) -> list[Any]:
    """The versions updated inside [start, end) (the export filters by whole days); one whose
    update time is not a string is kept, for its check to reject."""
    start, end = (moment.astimezone(VN_TZ).strftime(STAMP) for moment in (window.start, window.end))

    def inside(record: Any) -> bool:
        updated = record.get("updated") if isinstance(record, dict) else None
        return not isinstance(updated, str) or start <= updated < end  # this spelling sorts as text

    return [record for record in records if inside(record)]


def _table(name: str, *columns: Column, key: tuple[str, ...]) -> RawTable:
    table = f"{NAME}__{name}"
    return RawTable("raw", table, columns, key, (Index(f"{table}_key", key),))


# The raw tables (the loader adds batch_id and loaded_at in front). `record` is the flat record.
PACKAGES_TABLE = _table(
    "packages",
    Column("created_at", "timestamptz"),
    Column("item_id", "text"),
    Column("document_id", "text"),
    Column("record", "jsonb"),
    key=("item_id",),
)
STATUSES_TABLE = _table(
    "statuses",
    Column("created_at", "timestamptz"),
    Column("item_id", "text"),
    Column("document_id", "text"),
    Column("record", "jsonb"),
    key=("item_id",),
)
WORK_FILES_TABLE = _table(
    "work_files",
    Column("updated_at", "timestamptz"),
    Column("work_file_id", "text"),
    Column("record", "jsonb"),
    key=("work_file_id", "updated_at"),
)

ACKNOWLEDGE = Acknowledge(item_id=_item_id, send=_send_acks)

SOURCE = Source(
    name=NAME,
    description="Electronic document exchange (edXML packages, status packets, work files)",
    schedule="@daily",
    auth=SystemSecret(),
    sandbox=Sandbox("ingestion.sandbox.documents", port_offset=-1),
    max_in_flight=4,
    entities=(
        Entity(
            "packages",
            PACKAGES_TABLE,
            _queue("edoc", Package),
            parse_package,
            windowed=False,
            acknowledge=ACKNOWLEDGE,
            event_time="CreatedTime",
            personal=privacy_policy(Package),
            declared=fast_path(Package, _package_row),
        ),
        Entity(
            "statuses",
            STATUSES_TABLE,
            _queue("status", StatusPacket),
            parse_status,
            windowed=False,
            acknowledge=ACKNOWLEDGE,
            event_time="CreatedTime",
            personal=privacy_policy(StatusPacket),
            declared=fast_path(StatusPacket, _status_row),
        ),
        Entity(
            "work_files",
            WORK_FILES_TABLE,
            _work_files,
            parse_work_file,
            windowed=True,
            personal=privacy_policy(WorkFile),
            declared=fast_path(WorkFile, _work_file_row),
        ),
    ),
)
