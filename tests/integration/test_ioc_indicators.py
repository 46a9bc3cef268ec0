"""The IOC's facts and indicators on real parts: hand-made records through the loader (parse,
pseudonymisation, the raw tables) → `dbt build` → the marts and `marts.ind_values`, every
expected number computed by hand below. Agency A (a department, 000.00.05.H57) runs both cameras
and handles every report; commune X is 19753 (phường Thuận Hóa), Y 19813 (phường Hương Thủy).

    camera  vendor     commune  installed   status in September (local)
    K1      frigate    X        01 Aug      offline 05 Sep 10:00, online 16:00 (360 min down),
                                            online again 06 Sep (a repeat: nothing), offline
                                            30 Sep 23:00 (60 min down to the month's end)
    K2      hikvision  Y        10 Sep      no transition (up from its installation)

IOC-01 September: K1 (43,200 − 420) / 43,200 = 42,780 / 43,200; K2 21 days × 1,440 = 30,240 /
30,240; A and the province 73,020 / 73,440; commune X 42,780 / 43,200, Y 30,240 / 30,240.

    incident  camera  what                                      type                 end
    F1        K1      car entering vach_dung, 3 Sep 08:00       traffic_violation    end at +20 s
                      (its update sent again in a later pull: one incident)
    F2        K1      person in dam_dong, 4 Sep 10:00           crowd                none: closed by timeout
    F3        K1      fire, 4 Sep 12:00                         fire_smoke           end at +60 s
    H1        K2      ANPR red_light, 12 Sep 08:00              traffic_violation    inactive at +10 s
    --        K2      videoloss heartbeat, 12 Sep 09:00         (dropped)
    H3        K2      leavePosition, 12 Sep 10:00               desk_absence         none: closed by timeout
    H4        K2      VMD, 12 Sep 11:00                         motion               inactive at +30 s

    report  urgency   made (local)     answered         processed       answered in time  resolved in time
    R1      khan_cap  Tue 02 Sep 08:00 02 Sep 09:30     02 Sep 11:00    yes (2 h)         yes (4 h)
    R2      khan_cap  Tue 02 Sep 08:00 02 Sep 10:30     -               no                not judged
    R3      thuong    Sat 06 Sep 09:00 Mon 15 Sep 16:00 Wed 17 Sep 10:00 yes (day 5: 15 Sep) no
    R4      cao       Sat 20 Sep 08:00 -                -               no (due 21 Sep 08:00, passed)
    R5      thuong    Thu 25 Sep 09:00 25 Sep 10:00     -               yes               not judged
    (R2 pulled open first, then answered: two states; R5's coordinates sent swapped)

IOC-02 September, A and commune X: 3 / 5; IOC-03: 1 / 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import dbt_fixtures as fx
import psycopg
import pytest

from ingestion.declarations import example_record
from ingestion.sources import SOURCES
from ingestion.sources.ioc import NAME, local_times
from ingestion.sources.ioc import _report as as_kept
from ingestion.sources.ioc_records import (
    Camera,
    CameraTransition,
    FieldReport,
    FrigateMessage,
)

A, X, Y = "000.00.05.H57", "19753", "19813"
SOURCE = SOURCES[NAME]


def _epoch(local: str) -> float:
    return fx.local(local).timestamp()


def _camera(camera: str, vendor: str, commune: str, installed: str, channel: str = "") -> dict[str, Any]:
    record = example_record(Camera) | {
        "camera_id": camera,
        "vendor": vendor,
        "lat": 16.46,
        "lon": 107.59,
        "ward_code": commune,
        "agency_id": A,
        "zones": "vach_dung,dam_dong",
        "desk_id": "",
        "installed": installed,
        "channel_id": channel.split("/")[1] if channel else "",
        "ip_address": channel.split("/")[0] if channel else "",
    }
    return local_times(record)


def _message(event: str, kind: str, at: str, label: str, start: str, zones: str = "", end: str = "") -> dict:
    return example_record(FrigateMessage) | {
        "type": kind,
        "id": event,
        "camera": "K1",
        "frame_time": _epoch(at),
        "snapshot_time": _epoch(at),
        "label": label,
        "sub_label": "75A-123.45" if label == "car" else None,
        "start_time": _epoch(start),
        "end_time": _epoch(end) if end else None,
        "false_positive": False,
        "current_zones": zones,
        "entered_zones": zones,
    }


F1, F2, F3 = "1756861200.000001-aaaaaa", "1756954800.000002-bbbbbb", "1756962000.000003-cccccc"
MESSAGES = [
    _message(F1, "new", "2025-09-03 08:00:00", "car", "2025-09-03 08:00:00", "vach_dung"),
    _message(F1, "update", "2025-09-03 08:00:05", "car", "2025-09-03 08:00:00", "vach_dung"),
    _message(
        F1, "end", "2025-09-03 08:00:20", "car", "2025-09-03 08:00:00", "vach_dung", "2025-09-03 08:00:20"
    ),
    _message(F2, "new", "2025-09-04 10:00:00", "person", "2025-09-04 10:00:00", "dam_dong"),
    _message(F2, "update", "2025-09-04 10:05:00", "person", "2025-09-04 10:00:00", "dam_dong"),
    _message(F3, "new", "2025-09-04 12:00:00", "fire", "2025-09-04 12:00:00"),
    _message(F3, "end", "2025-09-04 12:01:00", "fire", "2025-09-04 12:00:00", "", "2025-09-04 12:01:00"),
]
REPEATED = [MESSAGES[1]]  # F1's update, sent again in a later pull


def _alert(at: str, kind: str, state: str, **extra: str) -> dict[str, Any]:
    record = {
        "ipAddress": "10.0.0.1",
        "portNo": "80",
        "protocol": "HTTP",
        "macAddress": "44:19:b6:00:00:01",
        "channelID": "1",
        "dateTime": at.replace(" ", "T") + "+07:00",
        "activePostCount": "1",
        "eventType": kind,
        "eventState": state,
        "eventDescription": kind,
        "channelName": "K2",
    }
    return record | extra


ALERTS = [
    _alert(
        "2025-09-12 08:00:00", "ANPR", "active", ANPR_licensePlate="75C-170.76", ANPR_illegalType="red_light"
    ),
    _alert("2025-09-12 08:00:10", "ANPR", "inactive"),
    _alert("2025-09-12 09:00:00", "videoloss", "inactive"),
    _alert("2025-09-12 10:00:00", "leavePosition", "active", confidence="58"),
    _alert("2025-09-12 11:00:00", "VMD", "active"),
    _alert("2025-09-12 11:00:30", "VMD", "inactive"),
]


def _transition(camera: str, state: str, at: str) -> dict[str, Any]:
    return example_record(CameraTransition) | {"camera_id": camera, "state": state, "at": _epoch(at)}


TRANSITIONS = [
    _transition("K1", "offline", "2025-09-05 10:00:00"),
    _transition("K1", "online", "2025-09-05 16:00:00"),
    _transition("K1", "online", "2025-09-06 08:00:00"),
    _transition("K1", "offline", "2025-09-30 23:00:00"),
]


def _report(
    report: str, urgency: str, made: str, answered: str = "", processed: str = "", **extra: Any
) -> dict:
    record = example_record(FieldReport) | {
        "PhanAnhID": report,
        "MucDoKhan": urgency,
        "ChuyenMucID": "",
        "NgayPhanAnh": made,
        "NgayTraLoi": answered or None,
        "NgayXuLy": processed or None,
        "KinhDo": 107.5911,
        "ViDo": 16.4644,
        "MaDinhDanh": A,
        "MaXa": X,
        "DanhSachFileDinhKem": [{"FileName": "PA_1.jpg", "FileName_Thumb": "PA_1_thumb.jpg"}],
        "DanhSachFileDinhKem_Kq": [],
    }
    return as_kept(record | extra)  # as the fetch keeps it: photos counted, the point rounded


R1, R2, R3, R4, R5 = "25090200001", "25090200002", "25090600001", "25092000001", "25092500001"
REPORTS_FIRST = [
    _report(R1, "khan_cap", "2025-09-02 08:00:00", "2025-09-02 09:30:00", "2025-09-02 11:00:00"),
    _report(R2, "khan_cap", "2025-09-02 08:00:00"),
]
REPORTS_LATER = [
    _report(R1, "khan_cap", "2025-09-02 08:00:00", "2025-09-02 09:30:00", "2025-09-02 11:00:00"),
    _report(R2, "khan_cap", "2025-09-02 08:00:00", "2025-09-02 10:30:00"),
    _report(R3, "thuong", "2025-09-06 09:00:00", "2025-09-15 16:00:00", "2025-09-17 10:00:00"),
    _report(R4, "cao", "2025-09-20 08:00:00"),
    _report(R5, "thuong", "2025--09-25 09:00:00", "2025-09-25 10:00:00", KinhDo=16.4644, ViDo=107.5911),
]


def _load(conn: psycopg.Connection, entity: str, start: str, end: str, records: list[dict[str, Any]]) -> Any:
    return fx.load_records(conn, NAME, entity, start, end, records, first_pull=start == "2025-09-01")


@pytest.fixture(scope="module")
def built(module_warehouse_url: str) -> Iterator[psycopg.Connection]:
    from ingestion.schema import migrate

    with psycopg.connect(module_warehouse_url) as conn:
        migrate(conn)
        with conn.transaction():
            batch = fx.batch(conn, "agencies", "2025-08-01", "2025-10-01")
            fx.insert_agency(conn, batch, A, "Sở Xây dựng", "2", "000.00.00.H57")
    with psycopg.connect(module_warehouse_url, autocommit=True) as conn:
        cameras = [
            _camera("K1", "frigate", X, "2025-08-01"),
            _camera("K2", "hikvision", Y, "2025-09-10", "10.0.0.1/1"),
        ]
        _load(conn, "cameras", "2025-09-01", "2025-09-02", cameras)
        _load(conn, "report_categories", "2025-09-01", "2025-09-02", [])
        _load(conn, "events", "2025-09-01", "2025-09-15", MESSAGES)
        _load(conn, "events", "2025-09-15", "2025-10-01", REPEATED)
        _load(conn, "alerts", "2025-09-01", "2025-10-01", ALERTS)
        _load(conn, "camera_status", "2025-09-01", "2025-10-01", TRANSITIONS)
        _load(conn, "reports", "2025-09-01", "2025-09-03", REPORTS_FIRST)
        _load(conn, "reports", "2025-09-03", "2025-10-01", REPORTS_LATER)
        fx.load_sources_without_data(conn)
    fx.build(module_warehouse_url)
    with psycopg.connect(module_warehouse_url, autocommit=True) as conn:
        yield conn


def _values(conn: psycopg.Connection, indicator: str) -> dict[tuple[str, str], tuple[Any, Any]]:
    rows = conn.execute(
        "select level, unit_id, numerator, denominator from marts.ind_values where indicator_id = %s"
        " and period_kind = 'month' and period_start = '2025-09-01' and scope = 'area' and view = 'historical'",
        (indicator,),
    ).fetchall()
    return {(level, unit): (numerator, denominator) for level, unit, numerator, denominator in rows}


def test_availability_counts_minutes_up_from_the_transitions(built: psycopg.Connection) -> None:
    values = _values(built, "IOC-01")
    assert values[("agency", A)] == (Decimal("73020"), Decimal("73440"))
    assert values[("province", "H57")] == (Decimal("73020"), Decimal("73440"))
    assert values[("commune", X)] == (Decimal("42780"), Decimal("43200"))
    assert values[("commune", Y)] == (Decimal("30240"), Decimal("30240"))


def test_both_vendors_land_in_one_event_model(built: psycopg.Connection) -> None:
    events = built.execute(
        "select vendor, camera_id, event_type, sub_type, duration_seconds, is_closed_by_timeout"
        " from audit.fct_camera_event order by started_at"
    ).fetchall()
    assert events == [
        ("frigate", "K1", "traffic_violation", "stop_line", 20, False),  # F1 once, its update sent twice
        ("frigate", "K1", "crowd", None, 300, True),  # F2: closed at its last message, 10:05
        ("frigate", "K1", "fire_smoke", "fire", 60, False),
        ("hikvision", "K2", "traffic_violation", "red_light", 10, False),
        ("hikvision", "K2", "desk_absence", None, 0, True),  # no inactive came; the heartbeat is dropped
        ("hikvision", "K2", "motion", None, 30, False),
    ]
    days = built.execute(
        "select event_date::text, camera_id, event_type, incidents, closed_by_timeout"
        " from marts.fct_camera_event__day order by 1, 2, 3"
    ).fetchall()
    assert days == [
        ("2025-09-03", "K1", "traffic_violation", 1, 0),
        ("2025-09-04", "K1", "crowd", 1, 1),
        ("2025-09-04", "K1", "fire_smoke", 1, 0),
        ("2025-09-12", "K2", "desk_absence", 1, 1),
        ("2025-09-12", "K2", "motion", 1, 0),
        ("2025-09-12", "K2", "traffic_violation", 1, 0),
    ]


def test_field_reports_are_judged_against_their_tier(built: psycopg.Connection) -> None:
    reports = built.execute(
        "select report_id, is_answered_in_time, is_resolved_in_time, state_count, is_coordinates_swapped,"
        " latitude, longitude from marts.fct_field_report order by report_id"
    ).fetchall()
    assert reports == [
        (R1, True, True, 1, False, Decimal("16.464"), Decimal("107.591")),
        (R2, False, None, 2, False, Decimal("16.464"), Decimal("107.591")),  # open, then answered late
        (R3, True, False, 1, False, Decimal("16.464"), Decimal("107.591")),
        (R4, False, None, 1, False, Decimal("16.464"), Decimal("107.591")),
        (R5, True, None, 1, True, Decimal("16.464"), Decimal("107.591")),  # swapped back
    ]
    assert _values(built, "IOC-02")[("agency", A)] == (3, 5)
    assert _values(built, "IOC-02")[("commune", X)] == (3, 5)
    assert _values(built, "IOC-03")[("agency", A)] == (1, 2)


def test_no_plate_or_photo_name_is_stored(built: psycopg.Connection) -> None:
    stored = " ".join(
        row[0]
        for table in ("events", "alerts", "reports")
        for row in built.execute(f"select record::text from raw.ioc__{table}")  # noqa: S608
    )
    assert "75A-123.45" not in stored and "75C-170.76" not in stored and "PA_1" not in stored
