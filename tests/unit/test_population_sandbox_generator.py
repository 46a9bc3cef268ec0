"""The population database sandbox's generator: determinism, laziness, volumes, the records'
times and fields, colliding request ids, the officers, the one-stop lookups mirrored, and the
monthly statistics (growing, revised later, the communes before and after 1 July 2025)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import orjson
import pytest

from core.admin_units import units_of_province
from ingestion.sandbox.generator import generate_province, province_setting
from ingestion.sandbox.population.generator import (
    FAULTS,
    UNKNOWN_MEMBERS,
    GeneratedPopulation,
    generate_population,
    officer_account,
    system_account,
)
from ingestion.sandbox.population.replay import opmon_key

SEED, SCALE = 11, 0.1
START, END = date(2025, 6, 28), date(2025, 7, 4)  # across 1 July 2025
WORKING_DAY = date(2025, 7, 2)
FIELDS = [
    "monitoringDataTs", "securityServerInternalIp", "securityServerType", "requestInTs", "requestOutTs",
    "responseInTs", "responseOutTs", "clientXRoadInstance", "clientMemberClass", "clientMemberCode",
    "clientSubsystemCode", "serviceXRoadInstance", "serviceMemberClass", "serviceMemberCode",
    "serviceSubsystemCode", "serviceCode", "serviceVersion", "restMethod", "restPath", "statusCode",
    "representedPartyClass", "representedPartyCode", "messageId", "messageUserId", "messageIssue",
    "messageProtocolVersion", "xRequestId", "clientSecurityServerAddress", "serviceSecurityServerAddress",
    "requestSize", "requestMimeSize", "requestAttachmentCount", "responseSize", "responseMimeSize",
    "responseAttachmentCount", "succeeded", "faultCode", "faultString", "serviceType", "xRoadVersion",
]  # fmt: skip


@pytest.fixture(scope="module")
def population() -> GeneratedPopulation:
    return generate_population(SEED, SCALE, START, END)


@pytest.fixture(scope="module")
def records(population: GeneratedPopulation) -> list[dict]:
    return [orjson.loads(r) for day in population.days() for r in population.part(day, "opmon").records]


def test_the_same_arguments_give_the_same_bytes() -> None:
    first, second = (generate_population(5, 0.05, date(2025, 9, 1), date(2025, 9, 4)) for _ in range(2))
    for day in (date(2025, 9, 3), date(2025, 9, 1)):  # in another order than the first
        assert first.part(day, "opmon") == second.part(day, "opmon")
    assert first.figures("202509") == second.figures("202509")
    other = generate_population(6, 0.05, date(2025, 9, 1), date(2025, 9, 4))
    assert other.part(date(2025, 9, 3), "opmon") != first.part(date(2025, 9, 3), "opmon")


def test_nothing_is_drawn_at_start_and_a_day_only_when_asked() -> None:
    population = generate_population(SEED, SCALE, date(2025, 6, 3), date(2025, 10, 1))
    assert population.generated == [] and population.built == [] and population.lookups is None
    day = date(2025, 9, 10)
    population.part(day, "opmon")
    assert population.generated == [day - timedelta(days=1), day], "a day's calls may end after midnight"
    assert population.lookups is not None, "the one-stop dossiers are generated at the first day"
    population.part(day, "opmon")
    assert len(population.built) == 1 and len(population.generated) == 2, "a built part is cached"
    assert population.figures("202509") and len(population.generated) == 2, "statistics need no day"


def test_volumes_are_proportional_to_the_scale() -> None:
    counts = {}
    for scale in (0.05, 0.2):
        population = generate_population(SEED, scale, WORKING_DAY, WORKING_DAY + timedelta(days=1))
        counts[scale] = len(population.part(WORKING_DAY, "opmon").records)
    assert 110 <= counts[0.05] <= 170 and 3.3 <= counts[0.2] / counts[0.05] <= 4.7


def test_every_record_has_the_d5_fields_and_consistent_millisecond_times(records: list[dict]) -> None:
    assert records
    for record in records:
        assert list(record) == FIELDS
        times = [record[name] for name in ("requestInTs", "requestOutTs", "responseInTs", "responseOutTs")]
        assert times == sorted(times) and all(isinstance(t, int) and t > 10**12 for t in times)
        assert record["monitoringDataTs"] == record["responseOutTs"] // 1000
        assert record["restPath"] == f"/apiCSDLDanCu/{record['serviceCode']}"
        assert record["succeeded"] == (record["faultCode"] is None) == (record["faultString"] is None)
        if record["faultCode"] == FAULTS[2][0]:
            assert record["responseInTs"] - record["requestOutTs"] >= 30_000, "timeouts at 30 s"
    latencies = sorted(r["responseInTs"] - r["requestOutTs"] for r in records if r["succeeded"])
    assert 300 <= latencies[len(latencies) // 2] <= 550
    assert 0.005 <= sum(not r["succeeded"] for r in records) / len(records) <= 0.05
    services = Counter(r["serviceCode"] for r in records)
    assert services["ChiaSeThongTinCongDan"] and services["XacThucThongTinCongDan"]


def test_a_day_is_in_served_order_and_within_the_span(population: GeneratedPopulation) -> None:
    for day in population.days():
        part = population.part(day, "opmon")
        assert part.keys == sorted(part.keys)
        assert part.keys == [opmon_key(orjson.loads(r)) for r in part.records]
        first = datetime(day.year, day.month, day.day) - timedelta(hours=7) - datetime(1970, 1, 1)
        assert all(first.total_seconds() <= key[0] < first.total_seconds() + 86400 for key in part.keys)


def test_request_ids_collide_within_a_second_and_the_second_call_is_refused(records: list[dict]) -> None:
    by_id: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for record in records:
        by_id[(record["messageId"], record["clientMemberCode"])].append(record)
    collided = [calls for calls in by_id.values() if len(calls) > 1]
    assert collided, "a prefix plus the second collides"
    assert sum(len(calls) for calls in collided) / len(records) < 0.03
    for calls in collided:
        calls.sort(key=lambda r: r["requestInTs"])
        assert calls[0]["requestInTs"] // 1000 == calls[-1]["requestInTs"] // 1000
        assert all(r["faultCode"] == "Server.ServerProxy.ServiceFailed.DATA_INCORRECT" for r in calls[1:])
    keys = [(r["messageId"], r["clientMemberCode"], r["requestInTs"]) for r in records]
    assert len(set(keys)) == len(keys), "(messageId, client, requestInTs) tells them apart"


def test_callers_are_the_province_agencies_and_their_desk_officers(records: list[dict]) -> None:
    setting = province_setting(SEED, SCALE, START, END)
    known = {agency.code for agency in setting.agencies}
    officers = {officer_account(a, name) for a in setting.agencies for name, _, _ in a.desk}
    systems = {system_account("46")} | {account for _, _, account in UNKNOWN_MEMBERS}
    assert {r["messageUserId"] for r in records} <= officers | systems
    assert len({r["messageUserId"] for r in records} & officers) > 20
    unknown = [r for r in records if r["clientMemberCode"] not in known]
    assert unknown and len(unknown) / len(records) < 0.04
    assert {r["clientSubsystemCode"] for r in records} > {"DVC", "QLVB"}
    for record in records:
        prefix, subsystem, second = record["messageId"].split("_")
        assert subsystem == record["clientSubsystemCode"] and len(second) == 14
        local = datetime.strptime(second, "%Y%m%d%H%M%S") - timedelta(hours=7)
        assert int((local - datetime(1970, 1, 1)).total_seconds()) == record["requestInTs"] // 1000


def test_the_one_stop_lookups_are_in_the_log(population: GeneratedPopulation, records: list[dict]) -> None:
    province = generate_province(SEED, SCALE, START, END)
    codes = {a["TENDONVI"]: a["MADONVI"] for a in province.agencies}
    lookups = {}
    for version in province.dossiers:
        for entry in version["DSKetNoiCSDL"]:
            assert ("MaYeuCau" in entry) == (entry["MaCSDL"] == "1")
            if version["_version"] == "1" and "MaYeuCau" in entry:
                lookups[(entry["MaYeuCau"], codes[version["DonViXuLy"]])] = version
    logged = {(r["messageId"], r["clientMemberCode"]) for r in records if r["clientSubsystemCode"] == "DVC"}
    found = [key for key in lookups if key in logged]
    assert len(lookups) > 50 and 0.88 <= len(found) / len(lookups) <= 0.99, "≈ 5 % are not mediated"
    for message_id, _ in found:
        version = next(v for (m, _), v in lookups.items() if m == message_id)
        assert message_id[-14:] >= version["NgayNopHoSo"], "a few seconds after submission"


def test_statistics_grow_month_on_month_and_revisions_come_later() -> None:
    population = generate_population(SEED, SCALE, date(2025, 2, 1), date(2025, 10, 1))
    finals: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    revised = []
    for month in population.months():
        figures = population.figures(month)
        assert [(f["MaXa"], f["NgayCapNhat"]) for f in figures] == sorted(
            (f["MaXa"], f["NgayCapNhat"]) for f in figures
        )
        last_day = (date(int(month[:4]), int(month[4:]), 1) + timedelta(days=32)).replace(day=1) - timedelta(
            days=1
        )
        final_stamp = f"{last_day:%Y%m%d}230000"
        by_commune: dict[str, list[dict]] = defaultdict(list)
        for figure in figures:
            assert figure["SoTaiKhoanMuc1"] + figure["SoTaiKhoanMuc2"] <= figure["SoDanCu"]
            by_commune[figure["MaXa"]].append(figure)
        for commune, versions in by_commune.items():
            final = next(v for v in versions if v["NgayCapNhat"] == final_stamp)
            finals[commune].append((final["SoDanCu"], final["SoTaiKhoanMuc1"], final["SoTaiKhoanMuc2"]))
            later = [v for v in versions if v["NgayCapNhat"] > final_stamp]
            for revision in later:
                days_after = (datetime.strptime(revision["NgayCapNhat"][:8], "%Y%m%d").date() - last_day).days
                assert 3 <= days_after <= 10
                assert (revision["SoDanCu"], revision["SoTaiKhoanMuc2"]) != (
                    final["SoDanCu"],
                    final["SoTaiKhoanMuc2"],
                )
                revised.append(revision)
    assert revised, "≈ 5 % of the communes get a revised figure"
    for series in finals.values():
        for earlier, later in zip(series, series[1:], strict=False):
            assert later[1] >= earlier[1] and later[2] > earlier[2], "VNeID accounts grow"
    assert {f["vendor"] for m in population.months() for f in population.figures(m)} == {"mic", "gtel"}


def test_statistics_use_the_communes_in_force_each_month(population: GeneratedPopulation) -> None:
    old = {u.code for u in units_of_province("46", date(2025, 6, 30)) if u.level == "commune"}
    new = {u.code for u in units_of_province("46", date(2025, 7, 1)) if u.level == "commune"}
    assert old != new
    assert {f["MaXa"] for f in population.figures("202506")} == old
    assert {f["MaXa"] for f in population.figures("202507")} == new
    assert population.figures("202505") == [], "a month outside the span has none"
    june = [f for f in population.figures("202506") if f["NgayCapNhat"] == "20250630230000"]
    july = [f for f in population.figures("202507") if f["NgayCapNhat"] == "20250701000000"]
    residents = sum(f["SoDanCu"] for f in june), sum(f["SoDanCu"] for f in july)
    assert abs(residents[0] - residents[1]) < residents[0] * 0.001, "the merged communes add up"
    assert min(f["NgayCapNhat"] for f in population.figures("202506")) == "20250628000000", "from --start"
    assert max(f["NgayCapNhat"] for f in population.figures("202507")) == "20250703000000", "before --end"
