"""The Intelligent Operations Centre: camera events from two vendors, camera availability and
citizen field reports (the wire contract: `ingestion/sandbox/ioc/README.md`).

- `cameras` and `report_categories`: catalogues, pulled whole; their changes are stored.
- `events`: Frigate event messages by a keyset cursor (frame time, event id), from where the
  last pull stopped (the run's interval start on the first pull) up to the interval's end,
  hourly in production; event runs do not trigger the build. One record per message: its type
  and the event as it stood (`after`); the earlier state (`before`) is the previous message,
  and the pixel geometry (`box`, `region`) is not kept.
- `alerts`: Hikvision `EventNotificationAlert`s by the run's interval, searched page by page.
- `camera_status`: online/offline transitions by the run's interval.
- `reports`: per agency, the reports created in the interval and the `REOPEN` days before it,
  in progress and processed: a report's new state is stored once (`Entity.once`), so a report
  answered days after it was made gets a second row.

Every call carries the gateway's static token in the header `token` (`TokenHeader`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from defusedxml import ElementTree as SafeET

from core.migrations import Column, Index
from ingestion.declarations import privacy_policy
from ingestion.http import ApiClient, SourceError
from ingestion.load import RawTable, Row
from ingestion.localtime import VN_TZ, compact_iso
from ingestion.paging import Page, numbered_pages
from ingestion.record_checks import check_record, fast_path, stored_form, text
from ingestion.record_rules import Rejected
from ingestion.sources.base import Cursor, Entity, Resume, Sandbox, Source, TokenHeader, Window
from ingestion.sources.ioc_records import (
    TIME_FORMATS,
    Camera,
    CameraTransition,
    Category,
    FieldReport,
    FrigateMessage,
    HikvisionAlert,
)

NAME = "ioc"
CAMERAS_PATH = "/ioc/v1/cameras"
EVENTS_PATH = "/ioc/v1/events"
STATUS_PATH = "/ioc/v1/camera-status"
ALERTS_PATH = "/ISAPI/ContentMgmt/eventSearch"
CATEGORIES_PATH = "/paht/chuyenmuc"
AGENCIES_PATH = "/paht/donvi"
REPORTS_PATH = "/paht/theodonvi"
#: the largest page every IOC endpoint serves
MAX_PAGE = 500
#: how many days back each run asks again for the reports made then (their answers come later)
REOPEN = timedelta(days=30)
#: the Frigate fields not kept: the previous state (the previous message) and pixel geometry
NOT_KEPT = frozenset({"box", "region", "thumbnail", "snapshot"})
#: the list fields kept as comma-separated names
JOINED = ("zones", "current_zones", "entered_zones")
#: the photo lists of a report and the field keeping how many photos each held
PHOTO_COUNTS = {"DanhSachFileDinhKem": "SoFileDinhKem", "DanhSachFileDinhKem_Kq": "SoFileDinhKem_Kq"}
#: Vietnam's mainland and islands in degrees: a report's point must fall inside, in one order or the other
LATITUDES, LONGITUDES = (8.0, 24.0), (102.0, 110.0)


def local_times(record: dict[str, Any]) -> dict[str, Any]:
    """`record` with each local time of `TIME_FORMATS` as `yyyyMMddHHmmss`; a doubled hyphen
    (`2025--09-03`, a quirk of the report API) is read as one. A value no declared format reads
    is left as sent, for the check to reject."""
    for name, formats in TIME_FORMATS.items():
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            repaired = value.strip().replace("--", "-")
            for form in formats:
                try:
                    record[name] = datetime.strptime(repaired, form).strftime("%Y%m%d%H%M%S")
                    break
                except ValueError:
                    continue
    return record


def _joined(record: dict[str, Any]) -> dict[str, Any]:
    for name in JOINED:
        value = record.get(name)
        if isinstance(value, list):
            record[name] = ",".join(str(item) for item in value)
    return record


def _list(body: Any, path: str, key: str | None = None) -> list[Any]:
    """The records of an answer: the answer itself (a JSON array) or its field `key`."""
    records = body.get(key) if key is not None and isinstance(body, dict) else body
    if not isinstance(records, list):
        raise SourceError(f"{path}: {'the answer' if key is None else repr(key)} is not a list")
    return records


# --- catalogues ---------------------------------------------------------------------------------


def _cameras(client: ApiClient, where: Any, page_size: int) -> Iterator[list[Any]]:
    records = _list(client.get_json(CAMERAS_PATH), CAMERAS_PATH)
    yield [local_times(_joined(r)) if isinstance(r, dict) else r for r in records]


def _categories(client: ApiClient, where: Any, page_size: int) -> Iterator[list[Any]]:
    yield _list(client.get_json(CATEGORIES_PATH), CATEGORIES_PATH, "data")


def _camera_row(record: Camera, stored: bytes) -> Row:
    return Row((record.camera_id, stored), key=record.camera_id)


def _category_row(record: Category, stored: bytes) -> Row:
    return Row((record.ChuyenMucID, stored), key=record.ChuyenMucID)


def parse_camera(record: Any) -> Row:
    record = check_record(record, Camera)
    camera = text(record["camera_id"])
    return Row((camera, stored_form(record)), key=camera)


def parse_category(record: Any) -> Row:
    record = check_record(record, Category)
    category = text(record["ChuyenMucID"])
    return Row((category, stored_form(record)), key=category)


# --- Frigate events -----------------------------------------------------------------------------


def _message(message: Any) -> Any:
    """A Frigate message as one flat record: `type` and the fields of `after` (see NOT_KEPT); a
    message without an event object is left as it came, for its check to reject."""
    if not isinstance(message, dict) or not isinstance(message.get("after"), dict):
        return message
    record = {name: value for name, value in message["after"].items() if name not in NOT_KEPT}
    record["type"] = message.get("type")
    return _joined(record)


def _epoch(value: Any) -> str:
    return datetime.fromtimestamp(value, UTC).isoformat()


def _keyset(message: Any) -> tuple[float, str] | None:
    """(frame time, event id) of a message, where the keyset goes on from; None when unreadable."""
    after = message.get("after") if isinstance(message, dict) else None
    if not isinstance(after, dict):
        return None
    frame, event = after.get("frame_time"), after.get("id")
    if (
        isinstance(frame, bool)
        or not isinstance(frame, int | float)
        or not isinstance(event, str)
        or not event
    ):
        return None
    return float(frame), event


def _events(client: ApiClient, where: Any, page_size: int) -> Iterator[list[Any]]:
    """Messages after the stored (frame time, id), or from the interval's start, up to its end.

    A full page goes on from its last message the keyset can read (its frame time and id): the
    messages after that one are not taken from this page but asked again with the next. Once the
    interval's end is reached, the cursor says so (its end, no id): the next pull starts there.
    """
    assert isinstance(where, Resume) and where.interval is not None
    size = min(page_size, MAX_PAGE)
    before = where.interval.end.timestamp()
    if where.value:
        moment, _, after_id = where.value.partition(" ")
        after: float = float(moment)
    else:
        after, after_id = where.interval.start.timestamp(), ""
    reaches_end = after < before  # a cursor already past the end is not moved back to it
    while after < before:
        params: dict[str, Any] = {"after": repr(after), "before": repr(before), "limit": size}
        if after_id:
            params["after_id"] = after_id
        messages = _list(client.get_json(EVENTS_PATH, params), EVENTS_PATH)
        if len(messages) < size:
            if messages:
                yield [_message(m) for m in messages]
            break
        taken, last = len(messages), None
        while taken and last is None:
            taken -= 1
            last = _keyset(messages[taken])
        if last is None:
            raise SourceError(
                f"{EVENTS_PATH}: a full page without a message whose frame time and id to go on from"
            )
        yield [_message(m) for m in messages[: taken + 1]]
        after, after_id = last
        where.advance(f"{after!r} {after_id}")
    if reaches_end:
        where.advance(f"{before!r} ")  # everything before the end was read: from it, every id
    where.served_until = where.interval.end


def parse_message(record: Any) -> Row:
    record = check_record(record, FrigateMessage)
    event, frame = text(record["id"]), _epoch(record["frame_time"])
    return Row((frame, event, text(record["type"]), stored_form(record)), key=(event, frame))


def _message_row(record: FrigateMessage, stored: bytes) -> Row:
    frame = _epoch(record.frame_time)
    return Row((frame, record.id, record.type, stored), key=(record.id, frame))


# --- Hikvision alerts ---------------------------------------------------------------------------


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def flatten_alert(element: Any) -> dict[str, Any]:
    """An `EventNotificationAlert` as a flat record: leaves by local name, a nested block's
    leaves as `Block_leaf`, and `DetectionRegionList`'s entries as a list of flat items."""
    record: dict[str, Any] = {}
    for child in element:
        name = _local_name(child.tag)
        if len(child) == 0:
            record[name] = (child.text or "").strip()
        elif name == "DetectionRegionList":
            record["DetectionRegionList_DetectionRegionEntry"] = [
                {_local_name(leaf.tag): (leaf.text or "").strip() for leaf in entry} for entry in child
            ]
        else:
            for leaf in child:
                record[f"{name}_{_local_name(leaf.tag)}"] = (leaf.text or "").strip()
    return record


def _whole_second(moment: datetime) -> str:
    """`moment` as the device's local ISO time, a fraction of a second rounded up: an alert's
    `dateTime` is whole seconds, so it is in [start, end) exactly when it is in [⌈start⌉, ⌈end⌉)."""
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment.astimezone(VN_TZ).isoformat(timespec="seconds")


def _search(window: Window, position: int, size: int) -> bytes:
    start, end = _whole_second(window.start), _whole_second(window.end)
    return (
        "<EventSearchDescription><searchID>dtimon</searchID>"
        f"<timeSpan><startTime>{start}</startTime><endTime>{end}</endTime></timeSpan>"
        f"<maxResults>{size}</maxResults><searchResultPosition>{position}</searchResultPosition>"
        "</EventSearchDescription>"
    ).encode()


@dataclass(frozen=True)
class UnreadableAlert:
    """An alert of a search answer that is not well-formed XML: a reject with its reason (its text
    is not kept: it may hold a plate or a name that could not be read to be pseudonymised)."""

    reason: str


#: one `EventNotificationAlert` element of an answer, namespace prefix or not
_ALERT = re.compile(
    rb"<(?:[\w.-]+:)?EventNotificationAlert\b.*?</(?:[\w.-]+:)?EventNotificationAlert\s*>", re.S
)


def _alert_page(body: bytes) -> tuple[str | None, list[Any]]:
    """(responseStatusStrg, the flat alerts) of one search answer. An answer that is not
    well-formed is read alert by alert: an alert that is not well-formed is an `UnreadableAlert`,
    the others are read; an answer whose envelope cannot be read fails the pull."""
    try:
        root = SafeET.fromstring(body)
    except SafeET.ParseError as exc:
        found = list(_ALERT.finditer(body))
        if not found:
            raise SourceError(f"POST {ALERTS_PATH}: answer is not XML: {exc}") from None
        envelope = body[: found[0].start()] + body[found[-1].end() :]
        try:
            root = SafeET.fromstring(envelope)
        except SafeET.ParseError as exc:
            raise SourceError(f"POST {ALERTS_PATH}: answer is not XML: {exc}") from None
        alerts: list[Any] = []
        for match in found:
            try:
                alerts.append(flatten_alert(SafeET.fromstring(match[0])))
            except SafeET.ParseError as bad:
                alerts.append(UnreadableAlert(f"not well-formed XML: {bad}"))
    else:
        matches = next((c for c in root if _local_name(c.tag) == "matchList"), None)
        alerts = [flatten_alert(a) for a in matches] if matches is not None else []
    status = next((c.text for c in root if _local_name(c.tag) == "responseStatusStrg"), None)
    return status, alerts


def _alerts(client: ApiClient, where: Any, page_size: int) -> Iterator[list[Any]]:
    """The interval's alerts, page after page while the device answers MORE."""
    assert isinstance(where, Window)
    size, position = min(page_size, MAX_PAGE), 0
    while True:
        body = client.post_bytes(
            ALERTS_PATH,
            _search(where, position, size),
            content_type="application/xml",
            accept="application/xml",
        )
        status, alerts = _alert_page(body)
        if alerts:
            yield alerts
        position += len(alerts)
        if status != "MORE":
            if status not in ("OK", "NO MATCHES"):
                raise SourceError(f"POST {ALERTS_PATH}: responseStatusStrg {status!r}")
            return
        if not alerts:
            raise SourceError(f"POST {ALERTS_PATH}: MORE with an empty page at position {position}")


def parse_alert(record: Any) -> Row:
    if isinstance(record, UnreadableAlert):
        raise Rejected(f"unreadable alert: {record.reason}")
    record = check_record(record, HikvisionAlert)
    return _alert_row_of(
        text(record["dateTime"]),
        text(record["ipAddress"]),
        text(record["channelID"]),
        text(record["eventType"]),
        text(record["eventState"]),
        stored_form(record),
    )


def _alert_row(record: HikvisionAlert, stored: bytes) -> Row:
    return _alert_row_of(
        record.dateTime, record.ipAddress, record.channelID, record.eventType, record.eventState, stored
    )


def _alert_row_of(at: str, address: str, channel: str, kind: str, state: str, stored: bytes) -> Row:
    # an alert has no id: two reads of one camera in the same second (two plates) are two records;
    # only copies alike in every element are one (`ALERTS_TABLE.identity`)
    moment, camera = datetime.fromisoformat(at).isoformat(), f"{address}/{channel}"
    return Row((moment, camera, kind, state, stored), key=(camera, moment, kind, state))


# --- camera status --------------------------------------------------------------------------------


def _camera_status(client: ApiClient, where: Any, page_size: int) -> Iterator[list[Any]]:
    assert isinstance(where, Window)
    size = min(page_size, MAX_PAGE)
    bounds = {"after": repr(where.start.timestamp()), "before": repr(where.end.timestamp())}

    def page(number: int) -> Page:
        body = client.get_json(STATUS_PATH, {**bounds, "limit": size, "offset": (number - 1) * size})
        total = body.get("total") if isinstance(body, dict) else None
        return Page(_list(body, STATUS_PATH, "transitions"), total if isinstance(total, int) else None)

    yield from numbered_pages(page, size, in_flight=client.max_in_flight)


def _transition_row(record: CameraTransition, stored: bytes) -> Row:
    at = _epoch(record.at)
    return Row((at, record.camera_id, record.state, stored), key=(record.camera_id, at))


def parse_transition(record: Any) -> Row:
    record = check_record(record, CameraTransition)
    camera, at = text(record["camera_id"]), _epoch(record["at"])
    return Row((at, camera, text(record["state"]), stored_form(record)), key=(camera, at))


# --- field reports --------------------------------------------------------------------------------


def _reports(client: ApiClient, where: Any, page_size: int) -> Iterator[list[Any]]:
    """Every agency's reports made in the window (moved back REOPEN days), in progress and processed:
    one query per agency and state, up to the source's `max_in_flight` at once, yielded in order."""
    assert isinstance(where, Window)
    first = where.start.astimezone(VN_TZ).strftime("%Y-%m-%d")
    last = (where.end - timedelta(microseconds=1)).astimezone(VN_TZ).strftime("%Y-%m-%d")
    size = min(page_size, MAX_PAGE)
    agencies = _list(client.get_json(AGENCIES_PATH), AGENCIES_PATH, "data")
    codes = sorted({str(a["UniqueCode"]) for a in agencies if isinstance(a, dict) and a.get("UniqueCode")})

    def pages(query: tuple[str, str]) -> list[list[Any]]:
        agency, state = query

        def page(number: int) -> Page:
            body = {"LoaiXuLy": state, "MaDinhDanh": agency, "TuNgay": first, "DenNgay": last}
            answer = client.post_json(REPORTS_PATH, {**body, "Page": str(number), "Perpage": str(size)})
            total = answer.get("totalrow") if isinstance(answer, dict) else None
            try:
                count = int(total) if total not in (None, "") else None
            except (TypeError, ValueError):
                raise SourceError(f"{REPORTS_PATH}: 'totalrow'={total!r} is not a number") from None
            return Page(_list(answer, REPORTS_PATH, "data"), count)

        return list(numbered_pages(page, size))

    queries = [(agency, state) for agency in codes for state in ("0", "1")]
    with ThreadPoolExecutor(client.max_in_flight, thread_name_prefix="reports") as pool:
        for answered in pool.map(pages, queries):
            for records in answered:
                yield [_report(r) for r in records]


def _inside(latitude: float, longitude: float) -> bool:
    return LATITUDES[0] <= latitude <= LATITUDES[1] and LONGITUDES[0] <= longitude <= LONGITUDES[1]


def _report(record: Any) -> Any:
    """A report as it is kept: times read by their declared formats, the point rounded to 3
    decimals (about 100 m: a citizen's exact spot is not kept) and the photo lists replaced by
    their counts (a photo's name is never kept)."""
    if not isinstance(record, dict):
        return record
    for name in ("ViDo", "KinhDo"):
        value = record.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            record[name] = f"{value:.3f}"
    for photos, count in PHOTO_COUNTS.items():
        if photos in record:
            value = record.pop(photos)
            record[count] = str(len(value)) if isinstance(value, list) else value
    return local_times(record)


def _point_ok(record: Any) -> bool:
    """The report has no point, or one that is a point in Vietnam in one order or the other."""
    latitude, longitude = getattr(record, "ViDo", ""), getattr(record, "KinhDo", "")
    return _point_refusal(str(latitude), str(longitude)) is None


def _point_refusal(latitude: str, longitude: str) -> str | None:
    """Why (ViDo, KinhDo) is no point in Vietnam either way round; None when it is one (staging
    swaps a pair sent the wrong way round) or there is none."""
    if not latitude.strip() and not longitude.strip():
        return None
    try:
        y, x = float(latitude.replace(",", ".")), float(longitude.replace(",", "."))
    except ValueError:
        return f"ViDo={latitude!r}, KinhDo={longitude!r}: not a pair of numbers"
    if _inside(y, x) or _inside(x, y):
        return None
    return (
        f"ViDo={latitude}, KinhDo={longitude}: neither order is a point in Vietnam"
        f" ({LATITUDES[0]:g}–{LATITUDES[1]:g}° N, {LONGITUDES[0]:g}–{LONGITUDES[1]:g}° E)"
    )


def parse_report(record: Any) -> Row:
    if isinstance(record, dict):  # first: a negative degree is an impossible point, not "not a number"
        refusal = _point_refusal(text(record.get("ViDo")), text(record.get("KinhDo")))
        if refusal is not None:
            raise Rejected(refusal)
    record = check_record(record, FieldReport)
    report = text(record["PhanAnhID"])
    state = "/".join(text(record.get(f)) for f in ("NgayTraLoi", "NgayXuLy"))
    return Row(
        (compact_iso(text(record["NgayPhanAnh"])), report, state, stored_form(record)), key=(report, state)
    )


def _report_row(record: FieldReport, stored: bytes) -> Row:
    state = "/".join(v if isinstance(v, str) else "" for v in (record.NgayTraLoi, record.NgayXuLy))
    return Row(
        (compact_iso(record.NgayPhanAnh), record.PhanAnhID, state, stored), key=(record.PhanAnhID, state)
    )


def _table(name: str, *columns: Column, key: tuple[str, ...], identity: tuple[str, ...] = ()) -> RawTable:
    table = f"{NAME}__{name}"
    return RawTable("raw", table, columns, key, (Index(f"{table}_key", key),), identity)


# The raw tables (the loader adds batch_id and loaded_at in front, and the snapshot columns to the
# catalogues). `record` is the flat record.
CAMERAS_TABLE = _table("cameras", Column("camera_id", "text"), Column("record", "jsonb"), key=("camera_id",))
CATEGORIES_TABLE = _table(
    "report_categories", Column("category_id", "text"), Column("record", "jsonb"), key=("category_id",)
)
EVENTS_TABLE = _table(
    "events",
    Column("frame_at", "timestamptz"),
    Column("event_id", "text"),
    Column("message_type", "text"),
    Column("record", "jsonb"),
    key=("event_id", "frame_at"),
)
ALERTS_TABLE = _table(
    "alerts",
    Column("alert_at", "timestamptz"),
    Column("camera_key", "text"),
    Column("event_type", "text"),
    Column("event_state", "text"),
    Column("record", "jsonb"),
    key=("camera_key", "alert_at", "event_type", "event_state"),
    identity=("camera_key", "alert_at", "event_type", "event_state", "md5(record::text)"),
)
STATUS_TABLE = _table(
    "camera_status",
    Column("changed_at", "timestamptz"),
    Column("camera_id", "text"),
    Column("camera_state", "text"),
    Column("record", "jsonb"),
    key=("camera_id", "changed_at"),
)
REPORTS_TABLE = _table(
    "reports",
    Column("created_at", "timestamptz"),
    Column("report_id", "text"),
    Column("state", "text"),
    Column("record", "jsonb"),
    key=("report_id", "state"),
)

SOURCE = Source(
    name=NAME,
    description="Intelligent Operations Centre (camera events, camera availability, citizen field reports)",
    schedule="@daily",
    auth=TokenHeader("token"),
    sandbox=Sandbox("ingestion.sandbox.ioc", port_offset=1, scale=0.1),
    max_in_flight=4,
    entities=(
        Entity(
            "cameras",
            CAMERAS_TABLE,
            _cameras,
            parse_camera,
            windowed=False,
            personal=privacy_policy(Camera),
            declared=fast_path(Camera, _camera_row),
        ),
        Entity(
            "report_categories",
            CATEGORIES_TABLE,
            _categories,
            parse_category,
            windowed=False,
            personal=privacy_policy(Category),
            declared=fast_path(Category, _category_row),
        ),
        Entity(
            "events",
            EVENTS_TABLE,
            _events,
            parse_message,
            windowed=False,
            cursor=Cursor("token"),
            personal=privacy_policy(FrigateMessage),
            declared=fast_path(FrigateMessage, _message_row),
            event_time="frame_time",
            schedule="@hourly",
        ),
        Entity(
            "alerts",
            ALERTS_TABLE,
            _alerts,
            parse_alert,
            windowed=True,
            personal=privacy_policy(HikvisionAlert),
            declared=fast_path(HikvisionAlert, _alert_row),
        ),
        Entity(
            "camera_status",
            STATUS_TABLE,
            _camera_status,
            parse_transition,
            windowed=True,
            personal=privacy_policy(CameraTransition),
            declared=fast_path(CameraTransition, _transition_row),
        ),
        Entity(
            "reports",
            REPORTS_TABLE,
            _reports,
            parse_report,
            windowed=True,
            cursor=Cursor("window", overlap=REOPEN),
            once=True,
            personal=privacy_policy(FieldReport),
            declared=fast_path(FieldReport, _report_row, also=_point_ok),
        ),
    ),
)
