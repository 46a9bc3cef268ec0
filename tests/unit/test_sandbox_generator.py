"""The sandbox's generated province: determinism, native formats and the dossier life cycle."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.admin_units import REORGANISATION_DATE, admin_units, successors, units_of_province
from core.calendar import working_calendar
from ingestion.sandbox.generator import generate_province
from ingestion.sandbox.province import Province, export_province, gc_paused, load_province, parse_stamp

START, END = date(2025, 6, 3), date(2025, 10, 1)

AGENCY_ID = r"\d{3}\.\d{2}\.\d{2}\.H\d{2}"
DOSSIER_CODE = re.compile(rf"^{AGENCY_ID}-(\d{{6}})-(\d{{5}})$")
LOCAL_CODE = re.compile(r"^[A-Z]+\d{1,10}$")
STAMP = re.compile(r"^\d{14}$")
#: the population-database lookup's request id: a caller prefix, `DVC` and the second (14 digits)
REQUEST_ID = re.compile(r"^H\d{2}\d{4}_DVC_\d{14}$")
CITIZEN_ID = re.compile(r"^(0\d{2})([0-3])(\d{2})\d{6}$")
BIRTH_PROVINCES = {"001", "031", "038", "040", "042", "044", "045", "046", "048", "049", "051", "052", "056"}
BIRTH_PROVINCES |= {"079", "092"}
DATE_FIELDS = {
    "NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi",
    "_updated_at", "NgayBoSung", "NgayTiepNhanBoSung", "NgayHenTraTruoc", "NgayHenTraMoi",
    "ThoiDiemXuLy", "NgayBatDau", "NgayKetThucTheoQuyDinh", "NGAYCAPNHAT",
}  # fmt: skip
ID_FIELDS = {"SoGiayToChuHoSo", "SoDinhDanh"}
# Status transitions between consecutive versions (a re-coding version keeps its status).
ALLOWED_STEPS = {
    (None, "1"), (None, "2"), ("1", "2"), ("1", "3"), ("2", "4"), ("4", "5"), ("5", "4"),
    ("4", "7"), ("4", "8"), ("4", "9"), ("9", "10"), ("9", "4"),
}  # fmt: skip


@pytest.fixture(scope="module")
def province() -> Province:
    return generate_province(7, 0.3, START, END)


@pytest.fixture(scope="module")
def lives(province: Province) -> dict[str, list[dict]]:
    """Versions per dossier, in version order (a re-coded dossier is keyed by its first code)."""
    found: dict[str, list[dict]] = defaultdict(list)
    for version in province.dossiers:
        found[version["MaHoSoKhac"] or version["MaHoSo"]].append(version)
    for versions in found.values():
        versions.sort(key=lambda v: int(v["_version"]))
    return found


@pytest.fixture(scope="module")
def leaves(province: Province) -> list[tuple[str, Any]]:
    """(key, value) of every scalar in every record; list items carry their list's key."""
    found: list[tuple[str, Any]] = []
    stack: list[tuple[str, Any]] = [("", record) for record in _all_records(province)]
    with gc_paused():
        while stack:
            key, value = stack.pop()
            if isinstance(value, dict):
                stack.extend(value.items())
            elif isinstance(value, list):
                stack.extend((key, item) for item in value)
            else:
                found.append((key, value))
    return found


def _all_records(province: Province) -> list[dict]:
    return [*province.agencies, *province.procedures, *province.dossiers, *province.progress]


def _received(lives: dict[str, list[dict]]) -> list[dict]:
    return [v[-1] for v in lives.values() if v[-1]["NgayTiepNhan"]]


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    first = generate_province(11, 0.1, date(2025, 8, 1), date(2025, 9, 1))
    second = generate_province(11, 0.1, date(2025, 8, 1), date(2025, 9, 1))
    assert first == second
    export_province(first, tmp_path / "a")
    export_province(second, tmp_path / "b")
    for name in ("agencies.json", "procedures.json", "dossiers.jsonl", "progress.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_another_seed_gives_other_dossiers() -> None:
    first = generate_province(11, 0.1, date(2025, 8, 1), date(2025, 9, 1))
    other = generate_province(12, 0.1, date(2025, 8, 1), date(2025, 9, 1))
    assert first.dossiers != other.dossiers
    assert first.agencies != other.agencies  # update dates are drawn from the seed too


def test_a_longer_span_keeps_what_a_shorter_one_generated() -> None:
    """Entity-local randomness: moving the clock on only adds records, it reshuffles none."""
    short = generate_province(5, 0.1, date(2025, 8, 1), date(2025, 8, 20))
    long = generate_province(5, 0.1, date(2025, 8, 1), date(2025, 9, 10))
    cut = "20250820000000"
    assert [v for v in long.dossiers if v["_updated_at"] < cut] == short.dossiers
    assert [r for r in long.progress if r["ThoiDiemXuLy"] < cut] == short.progress


def test_every_value_is_a_string(leaves: list[tuple[str, Any]]) -> None:
    assert len(leaves) > 100_000
    assert [(key, value) for key, value in leaves if not isinstance(value, str)] == []


def test_dates_are_local_stamps_or_empty(province: Province, leaves: list[tuple[str, Any]]) -> None:
    stamps = {value for key, value in leaves if key in DATE_FIELDS and value != ""}
    for value in stamps:
        assert STAMP.match(value), value
        parse_stamp(value)
    required = [("_updated_at", province.dossiers), ("NgayNopHoSo", province.dossiers)]
    required += [("ThoiDiemXuLy", province.progress)]
    for key, records in required:
        assert all(STAMP.match(r[key]) for r in records), key


def test_nothing_happens_at_or_after_the_clock_end(province: Province) -> None:
    end = "20251001000000"
    assert province.clock_end == datetime(2025, 10, 1)
    assert max(v["_updated_at"] for v in province.dossiers) < end
    assert max(r["ThoiDiemXuLy"] for r in province.progress) < end
    assert min(v["NgayNopHoSo"] for v in province.dossiers) >= "20250603000000"


def test_code_lists(province: Province) -> None:
    counts = {
        name: Counter(v[name] for v in province.dossiers)
        for name in ("TrangThaiHoSo", "KenhThucHien", "LoaiDoiTuong", "HinhThuc", "DuocThanhToanTrucTuyen")
    }
    assert set(counts["TrangThaiHoSo"]) == {"1", "2", "3", "4", "5", "7", "8", "9", "10"}
    assert set(counts["KenhThucHien"]) == {"1", "2", "3"}
    assert set(counts["LoaiDoiTuong"]) == {"1", "2", "4"}
    assert counts["LoaiDoiTuong"].most_common(1)[0][0] == "1"
    assert set(counts["HinhThuc"]) == {"0", "1"}
    assert set(counts["DuocThanhToanTrucTuyen"]) == {"0", "1", "3"}
    for flag in ("HoSoCoThanhPhanSoHoa", "TaiKhoanDuocXacThucVoiVNeID"):
        assert {v[flag] for v in province.dossiers} == {"0", "1"}
    assert {r["TrangThai"] for r in province.progress} == set(counts["TrangThaiHoSo"])


def test_versions_are_numbered_and_timed_in_order(lives: dict[str, list[dict]]) -> None:
    for versions in lives.values():
        assert [v["_version"] for v in versions] == [str(i) for i in range(1, len(versions) + 1)]
        stamps = [v["_updated_at"] for v in versions]
        assert stamps == sorted(set(stamps)), "updated_at must strictly increase"
    assert 4 <= sum(len(v) for v in lives.values()) / len(lives) <= 6


def test_status_flow(lives: dict[str, list[dict]]) -> None:
    regressions = 0
    for versions in lives.values():
        previous: dict | None = None
        for version in versions:
            before = previous["TrangThaiHoSo"] if previous else None
            step = (before, version["TrangThaiHoSo"])
            recoding = previous is not None and previous["MaHoSo"] != version["MaHoSo"]
            assert step in ALLOWED_STEPS or (recoding and step[0] == step[1]), step
            regressions += step == ("9", "4")
            previous = version
    assert regressions > 0


def test_outcome_shares(lives: dict[str, list[dict]]) -> None:
    final = Counter(v[-1]["TrangThaiHoSo"] for v in lives.values())
    total = len(lives)
    assert 0.01 <= final["3"] / total <= 0.03
    assert 0.005 <= final["1"] / total <= 0.02
    assert 0.01 <= final["7"] / total <= 0.03
    assert 0.003 <= final["8"] / total <= 0.02
    assert final["4"] + final["5"] + final["2"] > 0, "some dossiers are still open at the clock end"


def test_refused_dossiers_are_never_processed(lives: dict[str, list[dict]]) -> None:
    refused = [v for v in lives.values() if any(x["TrangThaiHoSo"] == "3" for x in v)]
    assert refused
    for versions in refused:
        for version in versions:
            assert version["NgayTiepNhan"] == version["NgayHenTra"] == version["NgayKetThucXuLy"] == ""
        assert versions[-1]["TrangThaiHoSo"] == "3"
        assert versions[-1]["NgayTuChoi"] == versions[-1]["_updated_at"]


def test_processing_dates_follow_the_status(province: Province) -> None:
    for version in province.dossiers:
        status = version["TrangThaiHoSo"]
        if status in {"2", "4", "5", "7", "8", "9", "10"}:
            assert version["NgayTiepNhan"], version
            assert version["NgayNopHoSo"] <= version["NgayTiepNhan"]
        ended = version["NgayKetThucXuLy"]
        assert bool(ended) == (status in {"7", "8", "9", "10"}), version
        if ended:
            assert version["NgayTiepNhan"] < ended <= version["_updated_at"]
        if status == "10":
            assert ended <= version["NgayTra"] <= version["_updated_at"]
        if version["KenhThucHien"] == "1" and version["NgayTiepNhan"]:
            assert version["NgayNopHoSo"] == version["NgayTiepNhan"]


def test_reception_is_on_working_days_in_office_hours_or_online_on_a_day_off(
    lives: dict[str, list[dict]], province: Province
) -> None:
    received = _received(lives)
    on_days_off = 0
    for version in received:
        moment = parse_stamp(version["NgayTiepNhan"])
        if working_calendar().is_working_day(moment.date()):
            assert "073000" <= version["NgayTiepNhan"][8:] <= "170000"
        else:  # a few online dossiers are accepted on a day off (DOMAIN.md §3.3)
            assert version["KenhThucHien"] == "2"
            on_days_off += 1
    assert 0.002 <= on_days_off / len(received) <= 0.03
    online_times = {v["NgayNopHoSo"][8:10] for v in province.dossiers if v["KenhThucHien"] == "2"}
    assert "02" in online_times, "online submissions arrive at any hour"


def test_a_day_off_reception_is_promised_from_the_next_working_day(
    lives: dict[str, list[dict]], province: Province
) -> None:
    calendar = working_calendar()
    units = _units(province)
    checked = 0
    for versions in lives.values():
        first = next((v for v in versions if v["NgayTiepNhan"] and v["NgayHenTra"]), None)
        if first is None or units[first["MaTTHC"]] != "Ngày làm việc":
            continue
        received = parse_stamp(first["NgayTiepNhan"]).date()
        if calendar.is_working_day(received):
            continue
        limit = _limits(province)[first["MaTTHC"]]
        expected = calendar.working_days(calendar.next_working_day(received), received + timedelta(days=60))
        assert parse_stamp(first["NgayHenTra"]).date() == expected[limit]
        checked += 1
    assert checked > 0


def _units(province: Province) -> dict[str, str]:
    """MaTTHC → DONVITINH of its (single) time limit."""
    return {p["MATTHC"]: p["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["DONVITINH"] for p in province.procedures}


def _limits(province: Province) -> dict[str, int]:
    return {
        p["MATTHC"]: int(p["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["THOIGIANGIAIQUYET"])
        for p in province.procedures
    }


def test_supplements_move_the_promised_date_by_the_wait_in_the_procedure_unit(province: Province) -> None:
    calendar = working_calendar()
    units = _units(province)
    moved = 0
    for version in province.dossiers:
        requests = version["DanhSachHoSoBoSung"]
        for request in requests:
            if request["TrangThaiBoSung"] == "0":
                assert request["NgayTiepNhanBoSung"] == request["NgayHenTraMoi"] == ""
                continue
            assert request["TrangThaiBoSung"] == "1"
            assert request["NgayBoSung"] < request["NgayTiepNhanBoSung"]
            if request["NgayHenTraTruoc"]:
                requested = parse_stamp(request["NgayBoSung"]).date()
                supplied = parse_stamp(request["NgayTiepNhanBoSung"]).date()
                before = parse_stamp(request["NgayHenTraTruoc"]).date()
                after = parse_stamp(request["NgayHenTraMoi"]).date()
                if units[version["MaTTHC"]] == "Ngày làm việc":  # the working days waited, as working days
                    waited = len(calendar.working_days(requested + timedelta(days=1), supplied))
                    assert len(calendar.working_days(before + timedelta(days=1), after)) == waited
                else:  # calendar days, then off a day off
                    shifted = before + (supplied - requested)
                    assert after == calendar.next_working_day(shifted)
                moved += 1
    assert moved > 0


def test_some_supplement_requests_show_only_as_a_move_into_status_5(lives: dict[str, list[dict]]) -> None:
    listed = unlisted = 0
    for versions in lives.values():
        for previous, version in itertools.pairwise(versions):
            if version["TrangThaiHoSo"] == "5" and previous["TrangThaiHoSo"] != "5":
                grew = len(version["DanhSachHoSoBoSung"]) > len(previous["DanhSachHoSoBoSung"])
                listed += grew
                unlisted += not grew
    assert 0.03 <= unlisted / (listed + unlisted) <= 0.2


def test_shares_of_supplements_missing_deadlines_and_lateness(lives: dict[str, list[dict]]) -> None:
    received = _received(lives)
    supplements = Counter(len(v["DanhSachHoSoBoSung"]) for v in received)
    assert 0.10 <= supplements[1] / len(received) <= 0.20
    assert 0.01 <= supplements[2] / len(received) <= 0.05
    assert 0.015 <= sum(v["NgayHenTra"] == "" for v in received) / len(received) <= 0.05
    finished = [v for v in received if v["TrangThaiHoSo"] in {"9", "10"} and v["NgayHenTra"]]
    late = sum(v["NgayKetThucXuLy"] > v["NgayHenTra"] for v in finished) / len(finished)
    assert 0.05 <= late <= 0.2


def test_an_hours_limit_procedure_is_settled_within_hours_or_late_by_at_most_a_few_days(
    lives: dict[str, list[dict]], province: Province
) -> None:
    """A procedure with a limit in hours (e.g. a certified copy) is handled the same day: most
    finish within the limit, a late one within the next office days, never a days-limit's delay."""
    units = _units(province)
    settled = [
        v for v in _received(lives)
        if units[v["MaTTHC"]] == "Giờ" and v["TrangThaiHoSo"] in {"9", "10"} and v["NgayHenTra"]
    ]  # fmt: skip
    assert settled
    over = [parse_stamp(v["NgayKetThucXuLy"]) - parse_stamp(v["NgayHenTra"]) for v in settled]
    assert sum(delay <= timedelta(0) for delay in over) / len(over) >= 0.5
    assert max(over) < timedelta(days=5)  # the next office day or so, weekends and holidays included


def test_agencies_differ_in_online_and_on_time_shares(lives: dict[str, list[dict]]) -> None:
    per_agency: dict[str, list[dict]] = defaultdict(list)
    for version in _received(lives):
        per_agency[version["DonViXuLy"]].append(version)
    online = {}
    on_time = {}
    for agency, dossiers in per_agency.items():
        if len(dossiers) < 60:
            continue
        online[agency] = sum(v["KenhThucHien"] == "2" for v in dossiers) / len(dossiers)
        finished = [v for v in dossiers if v["TrangThaiHoSo"] in {"9", "10"} and v["NgayHenTra"]]
        on_time[agency] = sum(v["NgayKetThucXuLy"] <= v["NgayHenTra"] for v in finished) / len(finished)
    assert len(online) >= 15
    assert min(online.values()) < 0.3 and max(online.values()) > 0.65
    assert sum(share >= 0.5 for share in online.values()) >= 3
    assert sum(share < 0.5 for share in online.values()) >= 3
    assert min(on_time.values()) < 0.9 and max(on_time.values()) > 0.95


def test_dossier_codes_and_recoding(lives: dict[str, list[dict]], province: Province) -> None:
    agencies = {a["MADONVI"] for a in province.agencies}
    recoded = 0
    for versions in lives.values():
        codes = []
        for version in versions:
            match = DOSSIER_CODE.match(version["MaHoSo"])
            if version["MaHoSoKhac"]:
                assert match and LOCAL_CODE.match(version["MaHoSoKhac"]), version["MaHoSo"]
                assert 10_000 <= int(match.group(2)) <= 99_999
            elif not match:
                assert LOCAL_CODE.match(version["MaHoSo"]), version["MaHoSo"]
            if match:
                assert version["MaHoSo"][:13] in agencies
                if version["NgayTiepNhan"]:
                    assert match.group(1) == version["NgayTiepNhan"][2:8]
            codes.append(version["MaHoSo"])
        if len(set(codes)) > 1:
            recoded += 1
            first_new = next(i for i, v in enumerate(versions) if v["MaHoSoKhac"])
            assert first_new > 0
            assert all(v["MaHoSoKhac"] == versions[0]["MaHoSo"] for v in versions[first_new:])
            assert all(v["MaHoSo"] == versions[0]["MaHoSo"] for v in versions[:first_new])
    assert 0.004 <= recoded / len(lives) <= 0.02


def test_progress_rows_match_the_version_of_their_time(
    province: Province, lives: dict[str, list[dict]]
) -> None:
    versions = {(v["MaHoSo"], v["_updated_at"]): v for v in province.dossiers}
    local_codes = 0
    for row in province.progress:
        version = versions[(row["MaHoSo"], row["ThoiDiemXuLy"])]
        assert row["TrangThai"] == version["TrangThaiHoSo"]
        assert row["NgayKetThucTheoQuyDinh"] == version["NgayHenTra"]
        assert row["NgayBatDau"] <= row["ThoiDiemXuLy"]
        assert row["NguoiXuLy"] and row["NoiDungXuLy"]
        local_codes += not DOSSIER_CODE.match(row["MaHoSo"])
    assert local_codes > 0, "progress rows before re-coding carry the local code"
    recoding_versions = sum(v[0]["MaHoSo"] != v[-1]["MaHoSo"] for v in lives.values())
    assert len(province.progress) == len(province.dossiers) - recoding_versions, "one row per status change"


def test_applicant_identifiers(province: Province) -> None:
    for version in province.dossiers:
        match = CITIZEN_ID.match(version["SoGiayToChuHoSo"])
        assert match and match.group(1) in BIRTH_PROVINCES, version["SoGiayToChuHoSo"]
        assert version["DinhDanhCHS"] == [{"LoaiDinhDanh": "1", "SoDinhDanh": version["SoGiayToChuHoSo"]}]
        assert re.match(r"^0\d{9}$", version["SoDienThoai"])
        assert len(version["ChuHoSo"].split()) >= 3
        if version["KenhThucHien"] == "2":
            assert re.match(r"^TID-[0-9a-f]{10}$", version["MaDoiTuong"])
        else:
            assert version["MaDoiTuong"] == ""
    names = " ".join(v["ChuHoSo"] for v in province.dossiers[:500])
    assert re.search(r"[ăâđêôơưĐáàảãạếềệốồộớờợứừự]", names), "names carry Vietnamese diacritics"
    repeat = Counter(v["SoGiayToChuHoSo"] for v in province.dossiers if v["_version"] == "1")
    assert repeat.most_common(1)[0][1] >= 2, "a citizen may file several dossiers"


def test_no_twelve_digit_run_outside_the_id_fields(leaves: list[tuple[str, Any]]) -> None:
    twelve = re.compile(r"\d{12}")
    for key, value in set(leaves):
        if key in ID_FIELDS or (key in DATE_FIELDS and STAMP.match(value)):
            continue
        if key == "MaYeuCau" and REQUEST_ID.match(value):  # its second is a 14-digit stamp
            continue
        assert not twelve.search(value), (key, value)
    assert any(key == "SoGiayToChuHoSo" and twelve.search(value) for key, value in leaves)


def test_catalogues(province: Province) -> None:
    agencies = {a["MADONVI"]: a for a in province.agencies}
    assert 20 <= len(agencies) <= 70
    assert all(re.match(rf"^{AGENCY_ID}$", code) for code in agencies)
    levels = Counter(a["CAPDONVI"] for a in agencies.values())
    assert levels["1"] == 1 and levels["2"] >= 10 and levels["3"] >= 8
    unit_codes = {unit.code for unit in admin_units()}
    unit_digits = {"3": 5, "4": 3}
    for agency in agencies.values():
        parent = agencies.get(agency["MADONVICHA"])
        assert (parent is None) == (agency["CAPDONVI"] == "1") and (
            parent is None or parent["CAPDONVI"] in "14"
        )
        assert (
            len(agency["MADVHC"]) == unit_digits.get(agency["CAPDONVI"], 2) and agency["MADVHC"] in unit_codes
        )
    assert [a["MADONVI"] for a in province.agencies] == sorted(agencies)

    procedures = province.procedures
    assert 70 <= len(procedures) <= 180
    assert [p["MATTHC"] for p in procedures] == sorted({p["MATTHC"] for p in procedures})
    units = Counter()
    for procedure in procedures:
        assert re.match(r"^[12]\.00\d{4}$", procedure["MATTHC"])
        assert len(procedure["COQUANTHUCHIEN"]) == 1
        assert procedure["COQUANTHUCHIEN"][0]["MADONVI"] in agencies
        assert procedure["MUCDODVC"] in {"TOANTRINH", "MOTPHAN", ""}
        timing = procedure["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]
        units[timing["DONVITINH"]] += 1
        assert timing["THOIGIANGIAIQUYET"].isdigit()
        assert all(fee["MUCPHI"].isdigit() for fee in timing["PHILEPHI"])
    assert units.most_common(1)[0][0] == "Ngày làm việc" and {"Ngày", "Giờ"} <= set(units)
    fees = {p["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["PHILEPHI"][0]["MUCPHI"] for p in procedures}
    assert "0" in fees and len(fees) > 2
    used = {v["MaTTHC"] for v in province.dossiers}
    assert used <= {p["MATTHC"] for p in procedures}


def test_units_closed_on_the_reorganisation_have_agencies_until_then(province: Province) -> None:
    """Every district and every commune merged into another (seed admin_units) has a People's
    Committee that receives dossiers until 30 June 2025 and none after; a span starting after
    the reorganisation has none of them."""
    closing = [
        unit
        for unit in units_of_province("46", REORGANISATION_DATE - timedelta(days=1))
        if unit.valid_to == REORGANISATION_DATE
        and (unit.level == "district" or successors()[(unit.code, unit.valid_to)] != unit.code)
    ]
    assert len([u for u in closing if u.level == "district"]) >= 3 and len(closing) >= 20
    closed_agencies = [a for a in province.agencies if a["MADVHC"] in {unit.code for unit in closing}]
    closed = {a["MADONVI"] for a in closed_agencies}
    closed_names = {a["TENDONVI"] for a in closed_agencies}
    assert len(closed) == len(closed_names) == len(closing)
    reform = f"{REORGANISATION_DATE:%Y%m%d}"
    received = Counter(
        (v["DonViXuLy"] in closed_names, v["NgayTiepNhan"] >= reform)
        for v in province.dossiers
        if v["NgayTiepNhan"]
    )
    assert received[(True, False)] > 0 and received[(True, True)] == 0 and received[(False, True)] > 0
    later = generate_province(3, 0.1, REORGANISATION_DATE, date(2025, 7, 15))
    assert not closed & {a["MADONVI"] for a in later.agencies}


def test_volume_follows_the_scale() -> None:
    july = generate_province(3, 1.0, date(2025, 7, 1), date(2025, 8, 1))
    received = {v["MaHoSoKhac"] or v["MaHoSo"] for v in july.dossiers if v["NgayTiepNhan"]}
    assert 3400 <= len(received) <= 4800
    tiny = generate_province(3, 0.1, date(2025, 7, 1), date(2025, 8, 1))
    assert len({v["DonViXuLy"] for v in tiny.dossiers}) >= 10


def test_export_load_round_trip(province: Province, tmp_path: Path) -> None:
    export_province(province, tmp_path)
    assert load_province(tmp_path, clock_end=province.clock_end) == province


def test_loaded_clock_ends_one_second_after_the_last_record(tmp_path: Path) -> None:
    small = generate_province(2, 0.05, date(2025, 8, 1), date(2025, 8, 15))
    export_province(small, tmp_path)
    loaded = load_province(tmp_path)
    latest = max(
        max(v["_updated_at"] for v in small.dossiers), max(r["ThoiDiemXuLy"] for r in small.progress)
    )
    assert loaded.clock_end == parse_stamp(latest) + timedelta(seconds=1)
    assert loaded.dossiers == small.dossiers and loaded.progress == small.progress


def test_load_keeps_broken_lines_to_serve_and_names_them(province: Province, tmp_path: Path) -> None:
    export_province(Province(province.agencies, province.procedures, [], [], province.clock_end), tmp_path)
    good = '{"MaHoSo": "A", "_version": "1", "_updated_at": "20250901080000"}'
    (tmp_path / "dossiers.jsonl").write_text(
        "\n".join(
            [
                good,
                '{"MaHoSo": "B", "_version": "1", "_updated_at": "2025"}',
                '"just a string"',
                '{"MaHoSo": "C", "_vers',
                good.replace('"A"', '"D"'),
            ]
        )
        + "\n"
    )
    skipped: list[str] = []
    loaded = load_province(tmp_path, skipped=skipped)
    assert [d["MaHoSo"] for d in loaded.dossiers] == ["A", "D"]
    assert [line.split(": ")[0] for line in skipped] == [
        "dossiers.jsonl:2",
        "dossiers.jsonl:3",
        "dossiers.jsonl:4",
    ]
    assert "_updated_at" in skipped[0] and "not a JSON object" in skipped[1] and "not JSON" in skipped[2]
    # kept to be served as they are, at the time of the line before them (no time of their own)
    lines = loaded.unservable["dossiers.jsonl"]
    assert [(u.origin, u.stamp) for u in lines] == [
        ("dossiers.jsonl:2", "20250901080000"),
        ("dossiers.jsonl:3", "20250901080000"),
        ("dossiers.jsonl:4", "20250901080000"),
    ]
    assert lines[1].value == "just a string" and lines[2].value == '{"MaHoSo": "C", "_vers'


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        generate_province(1, 0, START, END)
    with pytest.raises(ValueError):
        generate_province(1, 1.0, END, START)
