"""The IOC sandbox's generator: determinism, laziness, volumes, the registry, the quirks and the
replay folder."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingestion.sandbox.generator import province_setting
from ingestion.sandbox.ioc.generator import GeneratedIoc, generate_ioc
from ingestion.sandbox.ioc.replay import STREAMS, export_ioc, load_ioc, local_day_start, local_moment

SEED, SCALE = 11, 0.1
START, END = date(2025, 8, 22), date(2025, 9, 1)  # ten days
VIOLATION_ZONES = {"vach_dung", "lan_nguoc"}
VEHICLES = {"car", "motorcycle", "truck", "bus"}


@pytest.fixture(scope="module")
def ioc() -> GeneratedIoc:
    return generate_ioc(SEED, SCALE, START, END)


def _records(ioc: GeneratedIoc, stream: str) -> list[Any]:
    return [_decode(stream, data) for day in ioc.days() for data in ioc.part(day, stream).records]


def _decode(stream: str, data: bytes) -> Any:
    return ET.fromstring(data) if stream == "alerts" else orjson.loads(data)


def _text(alert: ET.Element, name: str) -> str | None:
    for element in alert.iter():
        if element.tag.rsplit("}", 1)[-1] == name:
            return element.text
    return None


@pytest.fixture(scope="module")
def messages(ioc: GeneratedIoc) -> list[dict]:
    return _records(ioc, "events")


@pytest.fixture(scope="module")
def alerts(ioc: GeneratedIoc) -> list[ET.Element]:
    return _records(ioc, "alerts")


@pytest.fixture(scope="module")
def reports(ioc: GeneratedIoc) -> list[dict]:
    return _records(ioc, "reports")


@pytest.fixture(scope="module")
def transitions(ioc: GeneratedIoc) -> list[dict]:
    return _records(ioc, "status")


def test_the_same_arguments_give_the_same_bytes() -> None:
    first, second = (generate_ioc(5, 0.05, date(2025, 9, 1), date(2025, 9, 4)) for _ in range(2))
    assert first.cameras == second.cameras and first.agencies == second.agencies
    for day in (date(2025, 9, 3), date(2025, 9, 1)):  # in another order than the first
        for stream in STREAMS:
            assert first.part(day, stream) == second.part(day, stream)
    other = generate_ioc(6, 0.05, date(2025, 9, 1), date(2025, 9, 4))
    assert other.part(date(2025, 9, 1), "events") != first.part(date(2025, 9, 1), "events")


def test_a_day_is_drawn_only_when_asked() -> None:
    ioc = generate_ioc(SEED, SCALE, date(2025, 6, 3), date(2025, 10, 1))
    assert ioc.generated == [] and ioc.built == [], "nothing is drawn at start"
    day = date(2025, 9, 10)
    ioc.part(day, "events")
    previous = day - timedelta(days=1)  # its events running past midnight are served on `day`
    assert sorted(set(ioc.generated)) == sorted(
        {("frigate", previous), ("frigate", day), ("status", previous), ("status", day)}
    )
    ioc.part(day, "reports")
    assert ioc.generated[-1] == ("reports", day) and len(ioc.generated) == 5
    ioc.part(day, "events")
    assert len(ioc.generated) == 5 and len(ioc.built) == 2, "a built part is cached"


def test_volumes_at_scale_one_tenth(
    ioc: GeneratedIoc, messages: list[dict], alerts: list, reports: list
) -> None:
    assert len(ioc.all_cameras) == 50 and 40 <= len(ioc.cameras) <= 50
    vendors = Counter(camera["vendor"] for camera in ioc.all_cameras for camera in [camera.record])
    assert vendors == {"frigate": 30, "hikvision": 20}
    days = len(ioc.days())
    events = sum(1 for m in messages if m["type"] == "new")
    incidents = sum(1 for a in alerts if _text(a, "eventState") == "active")
    assert 1600 <= (events + incidents) / days <= 2400
    assert 40 <= len(reports) / days <= 85
    assert 0.12 <= sum(1 for a in alerts if a.tag.startswith("{urn:psialliance-org}")) / len(alerts) <= 0.3


def test_a_tiny_scale_still_has_four_cameras_of_both_vendors() -> None:
    ioc = generate_ioc(1, 0.001, date(2025, 9, 1), date(2025, 9, 3))
    assert len(ioc.cameras) == 4
    assert {camera["vendor"] for camera in ioc.cameras} == {"frigate", "hikvision"}
    assert ioc.part(date(2025, 9, 2), "events").records and ioc.part(date(2025, 9, 2), "alerts").records


def test_the_registry_uses_the_province_setting(ioc: GeneratedIoc) -> None:
    setting = province_setting(SEED, SCALE, START, END)
    agencies = {agency.code for agency in setting.agencies}
    communes = {unit.code for unit in setting.geography.communes}
    clock = END.isoformat()
    for camera in ioc.cameras:
        assert camera["ward_code"] in communes and camera["agency_id"] in agencies
        assert re.fullmatch(r"CAM-46-\d{4}", camera["camera_id"]) and camera["installed"] < clock
        assert (camera["desk_id"] is not None) == ("quay_mot_cua" in camera["zones"])
        assert (camera["vendor"] == "hikvision") == ("channel_id" in camera and "ip_address" in camera)
    hikvision = [(c["ip_address"], c["channel_id"]) for c in ioc.cameras if c["vendor"] == "hikvision"]
    assert len(set(hikvision)) == len(hikvision), "an alert's ipAddress and channelID find one camera"
    later = [c.record for c in ioc.all_cameras if c.record["installed"] >= START.isoformat()]
    assert later and all(c not in ioc.cameras for c in later if c["installed"] >= clock)
    assert {a["UniqueCode"] for a in ioc.agencies} == agencies


def test_events_are_ordered_unique_and_before_the_clock(ioc: GeneratedIoc, messages: list[dict]) -> None:
    clock = local_day_start(END)
    for day in ioc.days():
        keys = ioc.part(day, "events").keys
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        assert all(local_moment(t).date() == day for t, _ in keys)
    assert all(m["after"]["frame_time"] < clock for m in messages)
    camera_ids = {camera["camera_id"] for camera in ioc.cameras}
    assert {m["after"]["camera"] for m in messages} <= camera_ids
    first = messages[0]["after"]
    assert re.fullmatch(r"\d{10}\.\d{6}-[0-9a-f]{6}", first["id"])
    assert float(first["id"].split("-")[0]) == first["start_time"]


def test_every_event_type_can_be_told(messages: list[dict], alerts: list[ET.Element]) -> None:
    kinds: Counter[str] = Counter()
    for message in messages:
        after = message["after"]
        if message["type"] != "end":
            continue
        zones, label = set(after["entered_zones"]), after["label"]
        if label in VEHICLES and zones & VIOLATION_ZONES:
            kinds["traffic_violation"] += 1
        elif label == "person" and "dam_dong" in zones:
            kinds["crowd"] += 1
        elif label == "person" and "khu_vuc_cam" in zones:
            kinds["intrusion"] += 1
        elif label in ("fire", "smoke"):
            kinds["fire_smoke"] += 1
        else:
            kinds["motion"] += 1
    assert set(kinds) == {"traffic_violation", "crowd", "intrusion", "fire_smoke", "motion"}
    assert kinds["fire_smoke"] < kinds["intrusion"] < kinds["motion"]
    types = Counter(_text(a, "eventType") for a in alerts)
    assert set(types) >= {"ANPR", "VMD", "PeopleCounting", "linedetection", "fielddetection", "regionEntrance",
                          "leavePosition", "faceRecognition", "videoloss"}  # fmt: skip
    assert types["fireDetection"] + types["smokeDetection"] > 0
    illegal = {_text(a, "illegalType") for a in alerts if _text(a, "eventType") == "ANPR"}
    assert illegal >= {"none", "red_light", "wrong_lane", "no_helmet", None}  # inactive: no block
    plates = [m["after"]["sub_label"] for m in messages if m["after"]["label"] in ("car", "motorcycle")]
    assert any(plate and re.fullmatch(r"75[A-H]\d?-\d{3}\.\d{2}", plate) for plate in plates)
    staff = [m["after"]["sub_label"] for m in messages if m["after"]["label"] == "person"]
    assert any(name and " " in name for name in staff), "a recognised officer's name (personal data)"


def test_frigate_quirks(messages: list[dict]) -> None:
    by_id: dict[str, list[dict]] = defaultdict(list)
    for message in messages:
        by_id[message["after"]["id"]].append(message)
    clock = local_day_start(END)
    started = [steps for steps in by_id.values() if steps[0]["type"] == "new"]
    never = [s for s in started if s[-1]["type"] != "end" and s[0]["after"]["start_time"] < clock - 4 * 3600]
    assert 0.01 <= len(never) / len(started) <= 0.06
    repeated = [
        (a, b)
        for steps in started
        for a, b in zip(steps, steps[1:], strict=False)
        if a["type"] == b["type"] == "update"
        and {**a["after"], "frame_time": 0} == {**b["after"], "frame_time": 0}
        and a["after"]["frame_time"] != b["after"]["frame_time"]
    ]
    assert repeated, "an update repeating the identical object"
    assert all(s[0]["before"] == s[0]["after"] for s in started)
    assert sum(1 for s in started if len(s) > 3) > len(started) / 2, "several updates per event"
    crossing = [
        s
        for s in started
        if s[-1]["type"] == "end"
        and local_moment(s[0]["after"]["start_time"]).date()
        != local_moment(s[-1]["after"]["end_time"]).date()
    ]
    assert crossing, "events crossing midnight"


def test_hikvision_quirks(ioc: GeneratedIoc, alerts: list[ET.Element]) -> None:
    heartbeats = [a for a in alerts if _text(a, "eventType") == "videoloss"]
    assert heartbeats and all(_text(a, "eventState") == "inactive" for a in heartbeats)
    states = Counter(
        (_text(a, "eventType"), _text(a, "eventState"))
        for a in alerts
        if _text(a, "eventType") != "videoloss"
    )
    active = sum(n for (_, state), n in states.items() if state == "active")
    inactive = sum(n for (_, state), n in states.items() if state == "inactive")
    assert 0.01 <= 1 - inactive / active <= 0.08, "some incidents never get their inactive alert"
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", _text(a, "dateTime") or "") for a in alerts
    )
    registry = {(c["ip_address"], int(c["channel_id"])) for c in ioc.cameras if c["vendor"] == "hikvision"}
    assert {(_text(a, "ipAddress"), int(_text(a, "channelID") or 0)) for a in alerts} <= registry
    skewed = [c for c in ioc.all_cameras if c.skew]
    assert skewed and all(30 <= abs(c.skew) <= 90 for c in skewed)
    assert {_text(a, "name") for a in alerts if _text(a, "eventType") == "faceRecognition"} - {None}
    leave = [a for a in alerts if _text(a, "eventType") == "leavePosition"]
    assert all("07:30:00" <= (_text(a, "dateTime") or "")[11:19] <= "17:00:00" for a in leave)


def test_status_quirks(ioc: GeneratedIoc, transitions: list[dict]) -> None:
    per_day: Counter[tuple[str, date]] = Counter()
    sequences: dict[str, list[str]] = defaultdict(list)
    for record in transitions:
        per_day[(record["camera_id"], local_moment(record["at"]).date())] += record["state"] == "offline"
        sequences[record["camera_id"]].append(record["state"])
    assert max(per_day.values()) >= 8, "a flapping camera"
    repeated = [
        c
        for c, states in sequences.items()
        if any(a == b == "online" for a, b in zip(states, states[1:], strict=False))
    ]
    assert repeated, "online → online"
    assert not any(
        a == b == "offline" for states in sequences.values() for a, b in zip(states, states[1:], strict=False)
    )
    long = [c for c in ioc.all_cameras if c.long_outage]
    assert len(long) == 1 and long[0].long_outage[1] - long[0].long_outage[0] >= timedelta(days=2)
    installed = [c for c in ioc.all_cameras if START <= c.installed.date() < END]
    for camera in installed:  # online at install, nothing before
        own = [r for r in transitions if r["camera_id"] == camera.record["camera_id"]]
        assert own[0]["state"] == "online" and local_moment(own[0]["at"]) == camera.installed


def _parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text.replace("--", "-"), "%Y-%m-%d %H:%M:%S")


def test_report_quirks(ioc: GeneratedIoc, reports: list[dict]) -> None:
    assert any("--" in r["NgayPhanAnh"] for r in reports)
    swapped = [r for r in reports if r["KinhDo"] < 30 < r["ViDo"] < 120]
    assert 0.005 <= len(swapped) / len(reports) <= 0.05
    text = " ".join(r["NoiDungPhanAnh"] for r in reports)
    assert re.search(r"\b\d{3}([. ])\d{3}\1\d{3}\1\d{3}\b", text), "a citizen id written with dots or spaces"
    assert re.search(r"\b0\d{3} ?\d{3} ?\d{3}\b", text), "a phone number"
    answered = [r for r in reports if r["NgayTraLoi"] is not None]
    assert answered and len(answered) < len(reports), "open and answered reports"
    assert {r["NgayXuLy"] is None for r in answered} == {True, False}
    assert all(
        r["NgayXuLy"] is None and r["NoiDungTraLoi"] is None for r in reports if r["NgayTraLoi"] is None
    )
    calendar = ioc.setting.calendar
    late = 0
    for report in answered:
        created, answer = _parse(report["NgayPhanAnh"]), _parse(report["NgayTraLoi"])
        assert created is not None and answer is not None and created < answer < datetime(2025, 9, 1)
        if report["MucDoKhan"] == "khan_cap":
            deadline = created + timedelta(hours=2)
        elif report["MucDoKhan"] == "cao":
            deadline = created + timedelta(hours=24)
        else:
            deadline = datetime.combine(calendar.add_working_days(created.date(), 5), created.time())
        late += answer > deadline
    assert 0.05 <= late / len(answered) <= 0.3
    categories = {c["ChuyenMucID"]: c["MucDoKhan"] for c in ioc.categories}
    assert any(r["MucDoKhan"] != categories[r["ChuyenMucID"]] for r in reports), "a raised urgency"
    codes = {a["UniqueCode"] for a in ioc.agencies}
    assert all(r["MaDinhDanh"] in codes for r in reports)
    ids = [r["PhanAnhID"] for r in reports]
    assert len(set(ids)) == len(ids)


def test_a_later_clock_only_answers_more(ioc: GeneratedIoc) -> None:
    later = generate_ioc(SEED, SCALE, START, END + timedelta(days=10))
    day = END - timedelta(days=2)
    now = [orjson.loads(d) for d in ioc.part(day, "reports").records]
    then = [orjson.loads(d) for d in later.part(day, "reports").records]
    assert [r["PhanAnhID"] for r in now] == [r["PhanAnhID"] for r in then]
    assert all(a == b for a, b in zip(now, then, strict=True) if a["NgayTraLoi"] is not None)
    assert sum(r["NgayTraLoi"] is None for r in then) < sum(r["NgayTraLoi"] is None for r in now)
    assert [c for c in later.cameras if c["installed"] < END.isoformat()] == ioc.cameras != later.cameras
    last = END - timedelta(days=1)
    for stream in (
        "events",
        "alerts",
        "status",
    ):  # the last day: the same (events past the clock are on the next)
        mine, theirs = ioc.part(last, stream), later.part(last, stream)
        assert set(theirs.records) >= set(mine.records)
        assert [r for r in theirs.records if r in set(mine.records)] == mine.records


def test_export_then_load_gives_the_same_parts(tmp_path: Path) -> None:
    ioc = generate_ioc(3, 0.05, date(2025, 9, 1), date(2025, 9, 4))
    export_ioc(ioc, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "agencies.json", "alerts", "cameras.json", "categories.json", "events", "meta.json", "reports", "status",
    ]  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "alerts").iterdir()) == [
        "2025-09-01.xml", "2025-09-02.xml", "2025-09-03.xml",
    ]  # fmt: skip
    ET.parse(tmp_path / "alerts" / "2025-09-02.xml")  # each day's file is one XML document
    loaded = load_ioc(tmp_path)
    assert (loaded.start, loaded.end, loaded.cameras) == (ioc.start, ioc.end, ioc.cameras)
    assert (loaded.categories, loaded.agencies) == (ioc.categories, ioc.agencies)
    for day in ioc.days():
        for stream in STREAMS:
            assert loaded.part(day, stream) == ioc.part(day, stream), (day, stream)
    assert load_ioc(tmp_path / "missing").days() == []
