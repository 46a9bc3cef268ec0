"""The IOC pulled from its sandbox through the one client and the one loader: every entity lands
in raw with nothing lost or doubled, rejects with their reasons, a re-run changes nothing, the
event cursor resumes where it stopped and covers the days it read, a report's later answer is a
second row, and no plate or person's name lands in clear.

What the sandbox served is read from the sandbox itself (`Ioc.part(day, stream)`: the records
of one local day as served), so every count below is against its own truth.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import psycopg
import pytest

from core.settings import Settings
from ingestion.declarations import spec
from ingestion.http import ApiClient, AuthError, RetryPolicy
from ingestion.localtime import VN_TZ
from ingestion.runner import ingest
from ingestion.sandbox.faults import MODES
from ingestion.sandbox.ioc.generator import GeneratedIoc, generate_ioc
from ingestion.sandbox.ioc.server import IocServer
from ingestion.sources import SOURCES, Endpoint, Resume, Window
from ingestion.sources.ioc import NAME, REOPEN
from ingestion.sources.ioc_records import CameraTransition, FieldReport, FrigateMessage, HikvisionAlert

FAST = RetryPolicy(
    max_attempts=5,
    backoff_base=0.01,
    backoff_max=0.05,
    retry_after_max=0.05,
    read_timeout=1,
    connect_timeout=1,
)
#: a timeout fault (the sandbox answers nothing for 0.4 s) is met sooner
IMPATIENT = RetryPolicy(
    max_attempts=5,
    backoff_base=0.01,
    backoff_max=0.05,
    retry_after_max=0.05,
    read_timeout=0.3,
    connect_timeout=1,
)
SEED, SCALE = 7, 0.02
START, END = date(2025, 8, 20), date(2025, 9, 6)  # the sandbox's activity; END is its clock
DAY = datetime(2025, 9, 3, tzinfo=VN_TZ)
NEXT = DAY + timedelta(days=1)
TOKEN = "t0ken"
#: what fills the source (sandboxes of the same seed and scale on other ports are the same source)
ORIGIN = f"ioc sandbox seed {SEED} scale {SCALE}"
SOURCE = SOURCES[NAME]
#: the entities pulled by time (the catalogues are pulled whole)
STREAMS = {"events": "events", "alerts": "alerts", "camera_status": "status", "reports": "reports"}
SHAPES = {
    "events": FrigateMessage,
    "alerts": HikvisionAlert,
    "camera_status": CameraTransition,
    "reports": FieldReport,
}


@pytest.fixture(scope="module")
def ioc() -> GeneratedIoc:
    return generate_ioc(SEED, SCALE, START, END)


@pytest.fixture
def server(ioc: GeneratedIoc) -> Iterator[IocServer]:
    with IocServer(ioc, password=TOKEN, port=0, log=False) as srv:
        yield srv


def _ingest(
    url: str,
    srv: IocServer,
    entity: str,
    day: datetime = DAY,
    page_size: int = 50,
    token: str = TOKEN,
    policy: RetryPolicy = FAST,
) -> Any:
    return ingest(
        NAME,
        entity,
        day,
        day + timedelta(days=1),
        endpoint=Endpoint(srv.url, "ioc", token, origin=ORIGIN),
        settings=Settings.from_env({"DTIMON_ENV": "test", "DTIMON_PAGE_SIZE": str(page_size)}),
        warehouse_url=url,
        run_id="test",
        policy=policy,
    )


def _rows(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


def _count(url: str, sql: str, *args: Any) -> Any:
    return _rows(url, sql, *args)[0][0]


def _rejects(url: str, entity: str) -> list[str]:
    return [
        r[0]
        for r in _rows(url, "select reason from ops.rejects where source = %s and entity = %s", NAME, entity)
    ]


# --- the sandbox's own truth ----------------------------------------------------------------------


def _days(start: datetime, end: datetime) -> Iterator[date]:
    day = start.astimezone(VN_TZ).date()
    while datetime.combine(day, datetime.min.time(), VN_TZ) < end:
        yield day
        day += timedelta(days=1)


def _epoch(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def served_events(ioc: GeneratedIoc, start: datetime, end: datetime) -> list[tuple[str, datetime]]:
    """(event id, frame time) of the messages the sandbox serves with a frame time in [start, end)."""
    found = []
    for day in _days(start, end):
        for frame, event in ioc.part(day, "events").keys:
            if start.timestamp() <= frame < end.timestamp():
                found.append((event, _epoch(frame)))
    return found


def _leaf(alert: bytes, name: str) -> str:
    found = re.search(f"<{name}>([^<]*)</{name}>".encode(), alert)
    assert found is not None, alert
    return found[1].decode()


def served_alerts(ioc: GeneratedIoc, start: datetime, end: datetime) -> list[tuple[str, datetime, str, str]]:
    """(camera key, time, type, state) of the alerts whose dateTime is in [start, end)."""
    first, last = (moment.astimezone(VN_TZ).replace(tzinfo=None).isoformat() for moment in (start, end))
    found = []
    for day in _days(start, end):
        part = ioc.part(day, "alerts")
        for key, alert in zip(part.keys, part.records, strict=True):
            if first <= key < last:
                camera = f"{_leaf(alert, 'ipAddress')}/{_leaf(alert, 'channelID')}"
                at = datetime.fromisoformat(_leaf(alert, "dateTime"))
                found.append((camera, at, _leaf(alert, "eventType"), _leaf(alert, "eventState")))
    return found


def served_status(ioc: GeneratedIoc, start: datetime, end: datetime) -> list[tuple[str, datetime]]:
    found = []
    for day in _days(start, end):
        for record in ioc.part(day, "status").records:
            transition = orjson.loads(record)
            if start.timestamp() <= transition["at"] < end.timestamp():
                found.append((transition["camera_id"], _epoch(transition["at"])))
    return found


def served_reports(ioc: GeneratedIoc, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    """The reports created on the local days of [start, end), as the sandbox serves them, by id."""
    return {
        str(report["PhanAnhID"]): report
        for day in _days(start, end)
        for report in map(orjson.loads, ioc.part(day, "reports").records)
    }


def stored(url: str, entity: str) -> list[tuple[Any, ...]]:
    """The identities in raw of `entity`, one per row, in the forms of `served_*`."""
    query = {
        "events": f"select event_id, frame_at from raw.{NAME}__events",
        "alerts": f"select camera_key, alert_at, event_type, event_state from raw.{NAME}__alerts",
        "camera_status": f"select camera_id, changed_at from raw.{NAME}__camera_status",
        "reports": f"select report_id from raw.{NAME}__reports",
    }[entity]
    return _rows(url, query)


def served(ioc: GeneratedIoc, entity: str, day: datetime = DAY) -> list[tuple[Any, ...]]:
    """What the sandbox serves for the interval [day, day + 1) of `entity` (reports: created in
    the REOPEN days before it too), in the forms of `stored`."""
    end = day + timedelta(days=1)
    if entity == "events":
        return served_events(ioc, day, end)
    if entity == "alerts":
        return served_alerts(ioc, day, end)
    if entity == "camera_status":
        return served_status(ioc, day, end)
    return [(report,) for report in served_reports(ioc, day - REOPEN, end)]


# --- every entity ---------------------------------------------------------------------------------


def _catalogue(url: str, ioc: GeneratedIoc, entity: str) -> None:
    """The catalogue in raw is the sandbox's list, as flattened (zones joined, dates compact)."""
    if entity == "report_categories":
        categories = _rows(url, f"select category_id from raw.{NAME}__report_categories")
        assert sorted(c for (c,) in categories) == sorted(str(c["ChuyenMucID"]) for c in ioc.categories)
        return
    cameras = dict(_rows(url, f"select camera_id, record from raw.{NAME}__cameras"))
    assert sorted(cameras) == sorted(c["camera_id"] for c in ioc.cameras)
    for camera in ioc.cameras:
        record = cameras[camera["camera_id"]]
        assert record["zones"] == ",".join(camera["zones"])
        assert record["installed"] == camera["installed"].replace("-", "") + "000000"


@pytest.mark.parametrize("entity", [e.name for e in SOURCE.entities])
def test_a_day_lands_as_the_sandbox_serves_it_and_a_rerun_changes_nothing(
    warehouse_url: str, server: IocServer, ioc: GeneratedIoc, entity: str
) -> None:
    first = _ingest(warehouse_url, server, entity)
    if entity in STREAMS:
        truth = served(ioc, entity)
        assert len(truth) > 5
        assert Counter(stored(warehouse_url, entity)) == Counter(truth)  # nothing lost, nothing doubled
        assert (first.rows_loaded, first.rows_rejected) == (len(truth), 0)
    else:
        _catalogue(warehouse_url, ioc, entity)
    assert _rejects(warehouse_url, entity) == []
    rows = _count(warehouse_url, f"select count(*) from raw.{NAME}__{entity}")  # noqa: S608
    again = _ingest(warehouse_url, server, entity)
    assert _count(warehouse_url, f"select count(*) from raw.{NAME}__{entity}") == rows  # noqa: S608
    assert again.rows_rejected == first.rows_rejected == 0


@pytest.mark.parametrize(
    ("scale", "day", "alike"),
    [
        (0.1, date(2025, 8, 20), False),  # two plates read by one camera in one second
        (SCALE, date(2025, 8, 21), True),  # two motion alarms of one camera alike in every element
    ],
)
def test_alerts_of_one_camera_in_one_second_are_kept_unless_alike(
    warehouse_url: str, scale: float, day: date, alike: bool
) -> None:
    ioc = generate_ioc(SEED, scale, START, END)
    start = datetime.combine(day, datetime.min.time(), VN_TZ)
    part = ioc.part(day, "alerts")
    truth = served_alerts(ioc, start, start + timedelta(days=1))
    same = [key for key, n in Counter(truth).items() if n > 1]
    assert len(same) == 1
    copies = [record for record, key in zip(part.records, truth, strict=True) if key == same[0]]
    assert (copies[0] == copies[1]) is alike
    with IocServer(ioc, password=TOKEN, port=0, log=False) as srv:
        result = ingest(
            NAME,
            "alerts",
            start,
            start + timedelta(days=1),
            endpoint=Endpoint(srv.url, "ioc", TOKEN, origin=f"ioc sandbox seed {SEED} scale {scale}"),
            settings=Settings.from_env({"DTIMON_ENV": "test", "DTIMON_PAGE_SIZE": "500"}),
            warehouse_url=warehouse_url,
            run_id="test",
            policy=FAST,
        )
    rows = Counter(stored(warehouse_url, "alerts"))
    assert rows[same[0]] == (1 if alike else 2)  # copies alike are one alert, counted as a duplicate
    assert result.duplicates == (1 if alike else 0)
    assert sum(rows.values()) + result.duplicates == len(truth)


# --- paging ---------------------------------------------------------------------------------------


def _client(srv: IocServer) -> ApiClient:
    auth = SOURCE.client_auth(Endpoint(srv.url, "ioc", TOKEN))
    return ApiClient(srv.url, auth=auth, policy=FAST, max_in_flight=SOURCE.max_in_flight)


def _fetched(srv: IocServer, entity: str, window: Window, page_size: int) -> list[tuple[Any, ...]]:
    """What the entity's fetch yields for `window` (the runner's `where`), in the forms of `stored`."""
    fetch = SOURCE.entity(entity).fetch
    where: Any = Resume(None, interval=window) if entity == "events" else window
    with _client(srv) as client:
        records = [record for page in fetch(client, where, page_size) for record in page]
    if entity == "events":
        return [(r["id"], _epoch(r["frame_time"])) for r in records]
    if entity == "alerts":
        return [
            (
                f"{r['ipAddress']}/{r['channelID']}",
                datetime.fromisoformat(r["dateTime"]),
                r["eventType"],
                r["eventState"],
            )
            for r in records
        ]
    if entity == "camera_status":
        return [(r["camera_id"], _epoch(r["at"])) for r in records]
    return [(str(r["PhanAnhID"]),) for r in records]


def _truth(ioc: GeneratedIoc, entity: str, window: Window) -> list[tuple[Any, ...]]:
    if entity == "events":
        return served_events(ioc, window.start, window.end)
    if entity == "alerts":
        return served_alerts(ioc, window.start, window.end)
    if entity == "camera_status":
        return served_status(ioc, window.start, window.end)
    return [(r,) for r in served_reports(ioc, window.start, window.end)]


def _one_record_window(ioc: GeneratedIoc, entity: str) -> Window:
    """A window holding exactly one record of `entity`."""
    day = Window(DAY, NEXT)
    if entity == "reports":  # one created that day, alone in a one-day window of its agency
        truth = served_reports(ioc, DAY, NEXT)
        per_agency = Counter(r["MaDinhDanh"] for r in truth.values())
        assert 1 in per_agency.values()
        return day
    moments = sorted(row[1] for row in _truth(ioc, entity, day))
    for before, moment, after in zip(moments, moments[1:], moments[2:], strict=False):
        if before < moment < after:
            return Window(moment, moment + min(after - moment, timedelta(seconds=1)) / 2)
    raise AssertionError("no lone record")


@pytest.mark.parametrize("entity", list(STREAMS))
@pytest.mark.parametrize("case", ["empty", "one record", "one page", "one page and one", "many pages"])
def test_paging_serves_every_record_once(
    server: IocServer, ioc: GeneratedIoc, entity: str, case: str
) -> None:
    window = Window(DAY, NEXT)
    if entity == "reports":
        window = Window(DAY - REOPEN, NEXT)
    if case == "empty":  # before the sandbox's first day
        window = Window(datetime(2025, 8, 1, tzinfo=VN_TZ), datetime(2025, 8, 2, tzinfo=VN_TZ))
    elif case == "one record":
        window = _one_record_window(ioc, entity)
    truth = _truth(ioc, entity, window)
    if entity == "events" and case in ("one page", "one page and one"):
        window = Window(DAY + timedelta(hours=9), DAY + timedelta(hours=10))  # at most a page (500)
        truth = _truth(ioc, entity, window)
    if entity == "reports":
        # paged per agency and state: the largest of those lists sets the page
        largest = max(
            Counter(r["MaDinhDanh"] for r in served_reports(ioc, window.start, window.end).values()).values(),
            default=0,
        )
    else:
        largest = len(truth)
    size = {
        "empty": 10,
        "one record": 10,
        "one page": largest,  # a full page: the paging must stop without losing or asking past it
        "one page and one": max(1, largest - 1),
        "many pages": 3,
    }[case]
    assert 0 < size <= 500
    if entity != "reports":  # (reports: one in the list of its agency)
        assert {"empty": 0, "one record": 1}.get(case, len(truth)) == len(truth)
    if case == "one page and one":
        assert len(truth) > size
    fetched = _fetched(server, entity, window, size)
    assert Counter(fetched) == Counter(truth)
    if entity != "reports":  # the others are served in time order
        assert fetched == truth


# --- the event cursor -----------------------------------------------------------------------------


def _event_watermark(url: str) -> tuple[datetime, datetime]:
    return _rows(
        url,
        "select event_time_from, event_time from ops.watermarks where source = %s and entity = 'events'",
        NAME,
    )[0]


@pytest.mark.parametrize("page_size", [7, 500])
def test_the_event_cursor_reads_each_message_once_across_days(
    warehouse_url: str, server: IocServer, ioc: GeneratedIoc, page_size: int
) -> None:
    first = _ingest(warehouse_url, server, "events", DAY, page_size)
    day_one = served_events(ioc, DAY, NEXT)
    assert Counter(stored(warehouse_url, "events")) == Counter(day_one)
    # nothing from before the interval: the first pull starts at its start
    assert _count(warehouse_url, f"select min(frame_at) from raw.{NAME}__events") >= DAY
    loaded_from, loaded_past = _event_watermark(warehouse_url)
    assert loaded_from >= DAY and loaded_past == NEXT  # the day is covered
    again = _ingest(warehouse_url, server, "events", DAY, page_size)
    assert again.batch_id == first.batch_id  # a re-run pulls nothing
    assert len(stored(warehouse_url, "events")) == len(day_one)
    following = _ingest(warehouse_url, server, "events", NEXT, page_size)
    both = day_one + served_events(ioc, NEXT, NEXT + timedelta(days=1))
    assert Counter(stored(warehouse_url, "events")) == Counter(both)  # each message once
    assert following.rows_loaded == len(both) - len(day_one) and following.duplicates == 0
    assert _event_watermark(warehouse_url)[1] == NEXT + timedelta(days=1)


# --- faults ---------------------------------------------------------------------------------------


def _named(reason: str, entity: str) -> bool:
    """True when a reject's reason names what was wrong: a field of its shape, or the record whole."""
    fields = {field.name for field in spec(SHAPES[entity])}
    head = reason.split(":")[0].split("=")[0].split()[0]
    return head in fields or reason.startswith(("record is not a JSON object", "unreadable alert"))


@pytest.mark.parametrize("mode", MODES)
def test_after_a_fault_every_record_is_in_raw_once_or_a_reject(
    warehouse_url: str, server: IocServer, ioc: GeneratedIoc, mode: str
) -> None:
    for entity in STREAMS:
        if mode == "malformed":
            server.faults.set(mode, count=10_000, rate=0.05)
        else:
            # a latency fault delays a call without failing it (a status pull is one call)
            server.faults.set(
                mode, count=2 if mode in ("5xx", "429") else 1, seconds=0.4 if mode == "timeout" else 0.05
            )
        result = _ingest(warehouse_url, server, entity, page_size=40, policy=IMPATIENT)
        truth, rows, rejects = (
            served(ioc, entity),
            stored(warehouse_url, entity),
            _rejects(warehouse_url, entity),
        )
        assert not Counter(rows) - Counter(truth), entity  # nothing doubled, nothing invented
        assert len(rows) + len(rejects) == len(truth), entity  # nothing lost
        assert (result.rows_loaded, result.rows_rejected) == (len(rows), len(rejects))
        if mode == "malformed":
            assert rejects, entity
            assert all(_named(reason, entity) for reason in rejects), rejects
        else:
            assert rejects == [], entity
        assert server.faults.active() == [] or mode == "malformed"  # the faults were met
        server.faults.clear()


# --- field reports answered later ------------------------------------------------------------------


def test_a_report_answered_after_its_first_pull_gets_a_second_row(warehouse_url: str) -> None:
    before = generate_ioc(SEED, SCALE, START, NEXT.date())  # clock: the end of DAY
    after = generate_ioc(SEED, SCALE, START, NEXT.date() + timedelta(days=2))  # later: answers came
    with IocServer(before, password=TOKEN, port=0, log=False) as srv:
        _ingest(warehouse_url, srv, "reports", DAY)
    with IocServer(after, password=TOKEN, port=0, log=False) as srv:
        _ingest(warehouse_url, srv, "reports", NEXT)
    first = served_reports(before, DAY - REOPEN, NEXT)
    second = served_reports(after, NEXT - REOPEN, NEXT + timedelta(days=1))
    answered = {
        r for r in first if first[r]["NgayTraLoi"] is None and r in second and second[r]["NgayTraLoi"]
    }
    assert answered  # open when first pulled, answered by the second pull
    rows = Counter(r for (r,) in stored(warehouse_url, "reports"))
    assert set(rows) == set(first) | set(second)
    assert {r for r, n in rows.items() if n == 2} == answered
    assert all(n in (1, 2) for n in rows.values())
    states = _rows(
        warehouse_url,
        f"select record->>'NgayTraLoi' from raw.{NAME}__reports where report_id = %s order by loaded_at",
        min(answered),
    )
    assert states[0][0] in (None, "") and states[1][0]


# --- credentials and privacy -------------------------------------------------------------------


def test_a_wrong_token_is_one_clear_error_and_nothing_is_written(
    warehouse_url: str, server: IocServer
) -> None:
    for entity in SOURCE.entities:
        with pytest.raises(AuthError, match="401"):
            _ingest(warehouse_url, server, entity.name, token="wrong")
        assert _count(warehouse_url, f"select count(*) from raw.{NAME}__{entity.name}") == 0  # noqa: S608
    assert _count(warehouse_url, "select count(*) from ops.batches where status = 'succeeded'") == 0
    assert _count(warehouse_url, "select count(*) from ops.rejects") == 0


def _clear_names(ioc: GeneratedIoc) -> set[str]:
    """The plates and people's names the sandbox served on DAY (Frigate sub labels, Hikvision
    plates and recognised faces)."""
    names = set()
    for message in ioc.part(DAY.date(), "events").records:
        for state in ("before", "after"):
            label = orjson.loads(message)[state]["sub_label"]
            if label:
                names.add(label)
    for alert in ioc.part(DAY.date(), "alerts").records:
        for tag in ("licensePlate", "name"):
            found = re.search(f"<{tag}>([^<]*)</{tag}>".encode(), alert)
            if found:
                names.add(found[1].decode())
    return names


def test_no_plate_or_name_lands_in_clear(warehouse_url: str, server: IocServer, ioc: GeneratedIoc) -> None:
    names = _clear_names(ioc)
    assert any(re.fullmatch(r"[0-9]{2}[A-Z][0-9]?-[0-9]{3}\.[0-9]{2}", n) for n in names)
    assert any(" " in n for n in names)  # a person's full name
    server.faults.set("malformed", count=10_000, rate=0.1)  # rejects keep their text: searched too
    for entity in ("events", "alerts"):
        _ingest(warehouse_url, server, entity, page_size=100)
    assert _rejects(warehouse_url, "events") and _rejects(warehouse_url, "alerts")
    text = _count(
        warehouse_url,
        f"select string_agg(t, '') from (select record::text as t from raw.{NAME}__events"  # noqa: S608
        f" union all select record::text from raw.{NAME}__alerts"
        " union all select to_jsonb(r)::text from ops.rejects as r"
        " union all select to_jsonb(u)::text from ops.unknown_fields as u) as everything",
    )
    assert not [name for name in names if name in text]
    # and the test could fail: plates and names reached raw and the rejects, pseudonymised
    assert '"sub_label": "psn:' in text
    assert '"ANPR_licensePlate": "psn:' in text or '"FaceRecognition_name": "psn:' in text
    rejected = _rows(warehouse_url, "select record_text from ops.rejects where entity = 'alerts'")
    assert any('"ANPR_licensePlate":"psn:' in r or '"FaceRecognition_name":"psn:' in r for (r,) in rejected)
