"""Parsing the IOC's native records, each quirk of the wire contract (`ingestion/sandbox/ioc/README.md`):
Frigate messages flattened, Hikvision alerts of both namespaces, the field reports' doubled
hyphen, coordinates and photos. The samples are what the sandbox serves; the broken ones are
written by hand."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest
from defusedxml import ElementTree as SafeET

from ingestion.localtime import VN_TZ
from ingestion.record_rules import Rejected
from ingestion.sandbox.ioc.generator import NAMESPACE, OLD_NAMESPACE, GeneratedIoc, generate_ioc
from ingestion.sources import Resume, Window
from ingestion.sources.ioc import (
    NOT_KEPT,
    UnreadableAlert,
    _alert_page,
    _events,
    _message,
    flatten_alert,
    local_times,
    parse_alert,
    parse_message,
    parse_report,
)
from ingestion.sources.ioc import _report as as_kept

START, END = date(2025, 8, 20), date(2025, 9, 6)
DAYS = [START + timedelta(days=n) for n in range((END - START).days)]


@pytest.fixture(scope="module")
def ioc() -> GeneratedIoc:
    return generate_ioc(7, 0.02, START, END)


def _first(records: Iterator[Any], test: Callable[[Any], bool]) -> Any:
    found = next((record for record in records if test(record)), None)
    assert found is not None, "the sandbox served no such record"
    return found


def _messages(ioc: GeneratedIoc) -> Iterator[dict[str, Any]]:
    for day in DAYS[10:]:
        yield from map(orjson.loads, ioc.part(day, "events").records)


def _alerts(ioc: GeneratedIoc) -> Iterator[bytes]:
    for day in DAYS[10:]:
        yield from ioc.part(day, "alerts").records
    larger = generate_ioc(7, 0.1, START, END)  # every kind of Hikvision camera
    for day in DAYS[10:]:
        yield from larger.part(day, "alerts").records


def _reports(ioc: GeneratedIoc) -> Iterator[dict[str, Any]]:
    for day in DAYS:
        yield from map(orjson.loads, ioc.part(day, "reports").records)


# --- Frigate messages -------------------------------------------------------------------------------


def test_a_message_is_its_type_and_the_event_as_it_stood(ioc: GeneratedIoc) -> None:
    message = _first(
        _messages(ioc),
        lambda m: (
            m["type"] == "update" and m["after"]["entered_zones"] and m["after"]["box"] != m["before"]["box"]
        ),
    )
    record = _message(copy.deepcopy(message))
    after = message["after"]
    assert record["type"] == "update"
    assert set(record) == (set(after) - NOT_KEPT) | {"type"}  # `before` is the previous message
    assert not {"box", "region", "before", "after"} & set(record)
    assert record["entered_zones"] == ",".join(after["entered_zones"])
    assert record["current_zones"] == ",".join(after["current_zones"])
    assert all(record[f] == after[f] for f in ("id", "camera", "frame_time", "label", "top_score", "area"))
    row = parse_message(record)
    frame = datetime.fromtimestamp(after["frame_time"], UTC)  # epoch seconds as a float, to the microsecond
    assert frame.microsecond and row.values[0] == frame.isoformat()
    assert row.values[1:3] == (after["id"], "update") and row.key == (after["id"], frame.isoformat())
    stored = orjson.loads(row.values[3])
    assert "box" not in stored and stored["entered_zones"] == record["entered_zones"]


def test_a_message_of_an_event_not_ended_has_no_end_time(ioc: GeneratedIoc) -> None:
    new = _first(_messages(ioc), lambda m: m["type"] == "new")
    assert new["after"]["end_time"] is None and new["after"]["current_zones"] == []
    stored = orjson.loads(parse_message(_message(new)).values[3])
    assert stored["end_time"] is None and stored["current_zones"] == ""
    ended = _first(_messages(ioc), lambda m: m["type"] == "end")
    stored = orjson.loads(parse_message(_message(ended)).values[3])
    assert stored["end_time"] == ended["after"]["end_time"] and isinstance(stored["end_time"], float)


def test_a_message_without_its_event_is_a_reject_naming_what_is_wrong(ioc: GeneratedIoc) -> None:
    message = _first(_messages(ioc), lambda m: m["type"] == "end")
    assert _message({"type": "end"}) == {"type": "end"}  # left as it came, for the check to refuse
    with pytest.raises(Rejected, match="id"):
        parse_message(_message({"type": "end"}))
    bad_time = copy.deepcopy(message)
    bad_time["after"]["frame_time"] = "2025-13-45T99:00:00+07:00"
    with pytest.raises(Rejected, match="^frame_time="):
        parse_message(_message(bad_time))
    with pytest.raises(Rejected, match="^type='X'"):
        parse_message(_message({**message, "type": "X"}))
    with pytest.raises(Rejected, match="not a JSON object"):
        parse_message(_message(orjson.dumps(message).decode()))


class _Pages:
    """A client answering the events endpoint from a list of pages, noting what it was asked."""

    def __init__(self, *pages: list[Any]) -> None:
        self.pages, self.asked = list(pages), []

    def get_json(self, path: str, params: dict[str, Any]) -> Any:
        self.asked.append(dict(params))
        return self.pages.pop(0)


def _frigate(frame: float, event: str) -> dict[str, Any]:
    return {"type": "update", "after": {"id": event, "frame_time": frame}}


def test_the_event_keyset_goes_on_from_the_last_readable_message_and_past_the_end() -> None:
    interval = Window(datetime(2025, 9, 3, tzinfo=VN_TZ), datetime(2025, 9, 4, tzinfo=VN_TZ))
    t = interval.start.timestamp()
    unreadable = {"type": "update", "after": {"id": "", "frame_time": t + 3}}
    client = _Pages(
        [_frigate(t + 1, "a"), _frigate(t + 2, "b"), unreadable],  # full: goes on from b
        [unreadable, _frigate(t + 4, "c"), _frigate(t + 5, "d")],  # full: goes on from d
        [_frigate(t + 6, "e")],  # short: the last
    )
    where = Resume(None, interval=interval)
    pages = list(_events(client, where, 3))  # type: ignore[arg-type]
    assert [[r["id"] for r in page] for page in pages] == [["a", "b"], ["", "c", "d"], ["e"]]
    assert client.asked[0] == {"after": repr(t), "before": repr(interval.end.timestamp()), "limit": 3}
    assert (client.asked[1]["after"], client.asked[1]["after_id"]) == (repr(t + 2), "b")
    assert (client.asked[2]["after"], client.asked[2]["after_id"]) == (repr(t + 5), "d")
    # read up to the end: the next pull starts there, whatever the last message was
    assert where.next_value == f"{interval.end.timestamp()!r} " and where.served_until == interval.end
    later = Resume(where.next_value, interval=Window(interval.end, interval.end + timedelta(days=1)))
    client = _Pages([])
    assert list(_events(client, later, 3)) == []  # type: ignore[arg-type]
    assert client.asked[0]["after"] == repr(interval.end.timestamp()) and "after_id" not in client.asked[0]
    # an earlier interval pulled after a later one does not move the cursor back
    past = Resume(where.next_value, interval=Window(interval.start - timedelta(days=1), interval.start))
    assert list(_events(_Pages(), past, 3)) == [] and past.next_value is None  # type: ignore[arg-type]


# --- Hikvision alerts -------------------------------------------------------------------------------


def _flat(alert: bytes) -> dict[str, Any]:
    return flatten_alert(SafeET.fromstring(alert))


@pytest.mark.parametrize("namespace", [NAMESPACE, OLD_NAMESPACE])
@pytest.mark.parametrize(
    "event_type", ["ANPR", "PeopleCounting", "faceRecognition", "linedetection", "videoloss"]
)
def test_an_alert_of_either_namespace_is_flattened_by_local_name(
    ioc: GeneratedIoc, namespace: str, event_type: str
) -> None:
    def wanted(alert: bytes) -> bool:
        return f"<eventType>{event_type}</eventType>".encode() in alert and (
            event_type == "videoloss" or b"<eventState>active</eventState>" in alert
        )

    # a camera's namespace is fixed (a fifth of them the older one): the alert as the other would send it
    alert = re.sub(rb'xmlns="[^"]*"', f'xmlns="{namespace}"'.encode(), _first(_alerts(ioc), wanted), count=1)
    assert f'xmlns="{namespace}"'.encode() in alert
    record = _flat(alert)
    assert not any("{" in name for name in record)  # no namespace in a field's name
    leaves = dict(re.findall(rb"<(\w+)>([^<]*)</\1>", alert))
    for name in ("ipAddress", "channelID", "dateTime", "eventType", "eventState", "channelName"):
        assert record[name] == leaves[name.encode()].decode()
    blocks = {
        "ANPR": (
            "ANPR",
            ("licensePlate", "confidenceLevel", "plateColor", "vehicleType", "direction", "illegalType"),
        ),
        "PeopleCounting": ("PeopleCounting", ("peopleNumber", "threshold")),
        "faceRecognition": ("FaceRecognition", ("name", "similarity", "faceLibType")),
    }
    if event_type in blocks:
        block, names = blocks[event_type]
        for name in names:
            assert record[f"{block}_{name}"] == leaves[name.encode()].decode()
    if event_type == "linedetection":
        assert record["DetectionRegionList_DetectionRegionEntry"] == [
            {"regionID": "1", "detectionTarget": "human"}
        ]
    row = parse_alert(record)
    at = datetime.fromisoformat(record["dateTime"])
    assert row.values[:4] == (
        at.isoformat(),
        f"{record['ipAddress']}/{record['channelID']}",
        event_type,
        record["eventState"],
    )
    assert orjson.loads(row.values[4]) == record


def test_an_answer_with_an_alert_not_well_formed_keeps_the_others(ioc: GeneratedIoc) -> None:
    alerts = list(ioc.part(DAYS[12], "alerts").records[:3])
    broken = alerts[1].replace(b"</dateTime>", b"", 1)
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<EventSearchResult version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">\n'
        b"<searchID>x</searchID>\n<responseStatusStrg>MORE</responseStatusStrg>\n<matchList>\n"
        + b"\n".join((alerts[0], broken, alerts[2]))
        + b"\n</matchList>\n</EventSearchResult>\n"
    )
    status, records = _alert_page(body)
    assert status == "MORE" and len(records) == 3
    assert records[0] == _flat(alerts[0]) and records[2] == _flat(alerts[2])
    assert isinstance(records[1], UnreadableAlert)
    with pytest.raises(Rejected, match="^unreadable alert: not well-formed XML"):
        parse_alert(records[1])
    with pytest.raises(Rejected, match="^dateTime="):
        parse_alert({**_flat(alerts[0]), "dateTime": "2025-13-45T99:00:00+07:00"})
    with pytest.raises(Rejected, match="^channelID is missing"):
        parse_alert({**_flat(alerts[0]), "channelID": ""})


# --- field reports ------------------------------------------------------------------------------------


def _report(ioc: GeneratedIoc, test: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return _first(_reports(ioc), test)


def _inside(report: dict[str, Any]) -> bool:
    return 8 <= report["ViDo"] <= 24 and 102 <= report["KinhDo"] <= 110


def test_a_report_is_kept_with_its_point_rounded_and_its_photos_counted(ioc: GeneratedIoc) -> None:
    report = _report(
        ioc,
        lambda r: _inside(r) and r["NgayTraLoi"] and r["DanhSachFileDinhKem"] and r["DanhSachFileDinhKem_Kq"],
    )
    names = [
        p[f] for key in ("DanhSachFileDinhKem", "DanhSachFileDinhKem_Kq") for p in report[key] for f in p
    ]
    row = parse_report(as_kept(copy.deepcopy(report)))
    stored = orjson.loads(row.values[3])
    assert (stored["ViDo"], stored["KinhDo"]) == (f"{report['ViDo']:.3f}", f"{report['KinhDo']:.3f}")
    assert stored["SoFileDinhKem"] == str(len(report["DanhSachFileDinhKem"]))
    assert stored["SoFileDinhKem_Kq"] == str(len(report["DanhSachFileDinhKem_Kq"]))
    assert "DanhSachFileDinhKem" not in stored and "DanhSachFileDinhKem_Kq" not in stored
    assert names and not [name for name in names if name.encode() in row.values[3]]  # never stored
    created = datetime.strptime(report["NgayPhanAnh"].replace("--", "-"), "%Y-%m-%d %H:%M:%S")
    assert row.values[0] == created.replace(tzinfo=VN_TZ).isoformat(sep=" ").replace("+07:00", "+07")
    assert row.values[1] == str(report["PhanAnhID"])
    answered = stored["NgayTraLoi"]
    assert row.values[2] == f"{answered}/{stored['NgayXuLy'] or ''}" and row.key == (
        row.values[1],
        row.values[2],
    )


def test_an_open_report_and_its_answer_are_two_states(ioc: GeneratedIoc) -> None:
    report = _report(ioc, lambda r: _inside(r) and r["NgayTraLoi"] is None)
    row = parse_report(as_kept(copy.deepcopy(report)))
    assert row.values[2] == "/"  # open
    answered = {**report, "NgayTraLoi": "2025-09-05 10:00:00", "NoiDungTraLoi": "Đã xử lý."}
    assert parse_report(local_times(answered)).values[2] == "20250905100000/"


def test_a_doubled_hyphen_is_read_as_one(ioc: GeneratedIoc) -> None:
    report = _report(ioc, lambda r: "--" in r["NgayPhanAnh"] or "--" in (r["NgayTraLoi"] or ""))
    record = local_times(copy.deepcopy(report))
    for field in ("NgayPhanAnh", "NgayTraLoi"):
        if report[field]:
            assert record[field] == report[field].replace("--", "-").replace("-", "").replace(
                " ", ""
            ).replace(":", "")
    parse_report(record)
    assert local_times({"NgayXuLy": "2025--09-03 08:15:00"})["NgayXuLy"] == "20250903081500"


@pytest.mark.parametrize("field", ["NgayPhanAnh", "NgayTraLoi"])
def test_an_unreadable_date_is_a_reject_naming_its_field(ioc: GeneratedIoc, field: str) -> None:
    report = _report(ioc, _inside)
    broken = local_times({**report, field: "2025-13-45 99:00:00"})
    assert broken[field] == "2025-13-45 99:00:00"  # left as sent, for the check to refuse
    with pytest.raises(Rejected, match=f"^{field}: '2025-13-45 99:00:00' is not a yyyyMMddHHmmss time"):
        parse_report(broken)


def test_a_swapped_point_is_kept_as_sent(ioc: GeneratedIoc) -> None:
    report = _report(ioc, lambda r: 102 <= r["ViDo"] <= 110 and 8 <= r["KinhDo"] <= 24)  # staging swaps it
    stored = orjson.loads(parse_report(as_kept(copy.deepcopy(report))).values[3])
    assert (stored["ViDo"], stored["KinhDo"]) == (f"{report['ViDo']:.3f}", f"{report['KinhDo']:.3f}")


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (0.0, 0.0),
        (16.46371, 207.59092),
        (-16.46371, 107.59092),
        (16.46371, -107.59092),
        (107.59092, -16.46371),
        (30.0, 120.0),
    ],
)
def test_an_impossible_point_is_a_reject_with_its_reason(
    ioc: GeneratedIoc, latitude: float, longitude: float
) -> None:
    report = {**_report(ioc, _inside), "ViDo": latitude, "KinhDo": longitude}
    with pytest.raises(Rejected, match=r"^ViDo=.*, KinhDo=.*: neither order is a point in Vietnam"):
        parse_report(as_kept(report))


def test_the_sandbox_sends_each_kind_of_point(ioc: GeneratedIoc) -> None:
    impossible = generate_ioc(7, 0.1, START, END).part(date(2025, 8, 26), "reports").records
    report = _first(map(orjson.loads, impossible), lambda r: r["ViDo"] < 0)  # a negative latitude served
    with pytest.raises(Rejected, match="neither order is a point in Vietnam"):
        parse_report(as_kept(report))
    assert parse_report(local_times({**report, "ViDo": "", "KinhDo": ""})).values[1]  # no point: kept
    with pytest.raises(Rejected, match="not a pair of numbers"):
        parse_report(local_times({**report, "ViDo": "abc"}))


def test_a_report_sent_as_strings_takes_the_fast_path_and_gets_the_checked_row(ioc: GeneratedIoc) -> None:
    """The generic test's example report has no point in Vietnam (its decimals are 1.5): here, one
    that has, its photos listed, takes the fast path and is stored as the checked path stores it."""
    from ingestion.privacy import Pseudonymiser
    from ingestion.record_rules import plausible_times
    from ingestion.runner import _as_declared, _fast_path
    from ingestion.sources import SOURCES

    reports = SOURCES["ioc"].entity("reports")
    assert reports.declared is not None and reports.personal is not None
    sent = _report(ioc, lambda r: _inside(r) and r["NgayTraLoi"] and r["DanhSachFileDinhKem"])
    as_strings = {
        name: str(value) if isinstance(value, int | float) else value
        for name, value in as_kept(copy.deepcopy(sent)).items()
    }
    for name in ("NgayTraLoi", "NoiDungTraLoi", "NgayXuLy"):
        as_strings[name] = as_strings[name] or ""
    decoded = _as_declared(copy.deepcopy(as_strings), reports.declared.shape)
    assert type(decoded) is reports.declared.shape
    fast = _fast_path(reports, Pseudonymiser("k"))(decoded, *plausible_times())
    checked_record = copy.deepcopy(as_strings)
    Pseudonymiser("k").apply(checked_record, reports.personal, {})
    checked = parse_report(checked_record)
    assert fast.values[:3] == checked.values[:3] and fast.key == checked.key
    assert orjson.loads(fast.values[3]) == orjson.loads(checked.values[3])
    assert orjson.loads(fast.values[3])["SoFileDinhKem"] == str(len(sent["DanhSachFileDinhKem"]))
    outside = _as_declared({**as_strings, "ViDo": "1.5", "KinhDo": "1.5"}, reports.declared.shape)
    assert (
        _fast_path(reports, Pseudonymiser("k"))(outside, *plausible_times()) is None
    )  # checked path refuses it
