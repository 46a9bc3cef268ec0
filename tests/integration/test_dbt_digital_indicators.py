"""dbt on real PostgreSQL: the Decision 766 group 3 and 4 indicators the one-stop records feed
(766-3.1, 3.2, 3.5, 3.6, 4.1–4.5), on hand-made rows with every expected figure computed by hand.

One-stop coverage is all of October and November 2025. Agency A implements P1–P4, agency B P4
and P5 (P4 lists both). Catalogue: P1 full-process, fee 50 000; P2 partial, no fee; P3 no online
service, fee 20 000, until 11 Nov when it becomes partial; P4 partial, fee 100 000; P5 none, no fee.

    id   agency proc channel status received settled  fee list   paid  digit. file flags        e-result store/VNeID/CSDL
    E1   A      P1   online  10     06 Oct   08 Oct   50 000     1     1      SoHoa, KhoDMQG    link     store, VNeID
    E2   A      P1   online  9      07 Oct   09 Oct   50 000     3     0      —                 no link  CSDL 1
    E3   A      P1   direct  4      08 Oct   —        0 (waived) 0     0      deleted file      —        CSDL 7
    E4   A      P3   direct  10     09 Oct   14 Oct   20 000     0     0      —                 link     —
    E5   A      P3   direct  9      10 Oct   15 Oct   [] (none)  0     0      SoHoa             link     —
    E6   A      P2   online  3      (refused at reception: never received)
    E7   A      P4   online  2      20 Oct   —        100 000    2     0      —                 —        VNeID
    E10  A      P1   direct  9      30 Oct   04 Nov   50 000     0     1      —                 no link  —
    E8   A      P2   online  10     03 Nov   05 Nov   []         0     1      —                 link     VNeID
    E9   A      P3   online  4      12 Nov   —        20 000     1     0      —                 —        CSDL 1
    F1   B      P4   direct  10     21 Oct   24 Oct   100 000    0     1      KhoDMQG           link     store

(digit. = HoSoCoThanhPhanSoHoa; paid = DuocThanhToanTrucTuyen, 1 and 2 paid online, 3 requested
and unpaid; CSDL 1 is the population database in onestop_linked_databases, 7 another.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dbt_fixtures as fx
import psycopg
import pytest

A, B = fx.DEPARTMENTS  # Sở Tư pháp, Sở Nội vụ
PROVINCE = "H57"
P1, P2, P3, P4, P5 = "1.000101", "1.000102", "1.000103", "1.000104", "1.000105"
OCTOBER, NOVEMBER, Q4 = "2025-10-01", "2025-11-01", "2025-10-01"
PROCEDURE_LEVEL = ("766-3.1", "766-3.2", "766-3.5")
DOSSIER_LEVEL = ("766-3.6", "766-4.1", "766-4.2", "766-4.3", "766-4.4", "766-4.5")


def _procedure(code: str, fee: str, online_level: str, *agencies: str) -> dict[str, Any]:
    record = fx.procedure(code, f"Thủ tục {code}", [("1", "5", "Ngày làm việc", fee)], online_level)
    return fx.implemented_by(record, *agencies)


def _file(soho: str = "0", store: str = "0", deleted: str = "0") -> dict[str, str]:
    return {
        "TepDinhKemId": "1001",
        "TenTepDinhKem": "Tờ khai.pdf",
        "IsDeleted": deleted,
        "MaThanhPhanHoSo": "TP1",
        "DuongDanTaiTepTin": "https://dichvucong.example/files/1001.pdf",
        "DuocSoHoa": soho,
        "DuocTaiSuDung": "0",
        "DuocLayTuKhoDMQG": store,
    }


@dataclass(frozen=True)
class Case:
    agency: str
    procedure: str
    channel: str
    status: str
    received: str | None
    settled: str | None
    fees: list[dict[str, str]]
    paid: str  # DuocThanhToanTrucTuyen
    digitised: str  # HoSoCoThanhPhanSoHoa
    files: list[dict[str, str]]
    link: bool | None  # a result document with (True) or without (False) a link; None: no result
    vneid: str
    csdl: list[str]


ROWS: dict[str, tuple] = {
    "E1": (A, P1, "2", "10", "2025-10-06 08:00", "2025-10-08 10:00", fx.fees("50000"), "1", "1", [_file("1", "1")], True, "1", []),
    "E2": (A, P1, "2", "9", "2025-10-07 08:00", "2025-10-09 10:00", fx.fees("50000"), "3", "0", [_file()], False, "0", ["1"]),
    "E3": (A, P1, "1", "4", "2025-10-08 08:00", None, fx.fees("0"), "0", "0", [_file("1", "1", deleted="1")], None, "0", ["7"]),
    "E4": (A, P3, "1", "10", "2025-10-09 08:00", "2025-10-14 10:00", fx.fees("20000"), "0", "0", [], True, "0", []),
    "E5": (A, P3, "1", "9", "2025-10-10 08:00", "2025-10-15 10:00", [], "0", "0", [_file("1")], True, "0", []),
    "E6": (A, P2, "2", "3", None, None, [], "1", "1", [], None, "1", ["1"]),
    "E7": (A, P4, "2", "2", "2025-10-20 08:00", None, fx.fees("100000"), "2", "0", [], None, "1", []),
    "E10": (A, P1, "1", "9", "2025-10-30 08:00", "2025-11-04 10:00", fx.fees("50000"), "0", "1", [], False, "0", []),
    "E8": (A, P2, "2", "10", "2025-11-03 08:00", "2025-11-05 10:00", [], "0", "1", [], True, "1", []),
    "E9": (A, P3, "2", "4", "2025-11-12 08:00", None, fx.fees("20000"), "1", "0", [_file()], None, "0", ["1"]),
    "F1": (B, P4, "1", "10", "2025-10-21 08:00", "2025-10-24 10:00", fx.fees("100000"), "0", "1", [_file(store="1")], True, "0", []),
}  # fmt: skip
DOSSIERS = {name: Case(*row) for name, row in ROWS.items()}


def _code(name: str) -> str:
    case = DOSSIERS[name]
    return fx.dossier_code(case.agency, case.received or "2025-10-13 08:00", int(name[1:]))


def load(conn: psycopg.Connection) -> None:
    fx.insert_departments(conn)
    catalogue = fx.batch(conn, "procedures", "2025-10-01", "2025-10-02")
    for record in (
        _procedure(P1, "50000", "TOANTRINH", A),
        _procedure(P2, "0", "MOTPHAN", A),
        _procedure(P3, "20000", "", A),
        _procedure(P4, "100000", "MOTPHAN", A, B),
        _procedure(P5, "0", "", B),
    ):
        fx.insert_procedure(conn, catalogue, record)
    # P3 gets a partial online service, seen by the pull of 10–11 November
    change = fx.batch(conn, "procedures", "2025-11-10", "2025-11-11")
    fx.insert_procedure(conn, change, _procedure(P3, "20000", "MOTPHAN", A))

    dossiers = fx.batch(conn, "dossiers", "2025-10-01", "2025-12-01")
    fx.batch(conn, "progress", "2025-10-01", "2025-12-01")
    fx.batch_others(conn, "2025-10-01", "2025-12-01")
    for name, case in DOSSIERS.items():
        received = case.received or "2025-10-13 08:00"  # E6 was submitted, then refused
        record = fx.dossier(
            _code(name), 1, updated=case.settled or received, status=case.status, channel=case.channel,
            procedure=case.procedure, received=case.received, ended=case.settled, submitted=received,
            agency_name=fx.DEPARTMENTS[case.agency],
        ) | {
            "DanhSachLePhi": case.fees,
            "DuocThanhToanTrucTuyen": case.paid,
            "HoSoCoThanhPhanSoHoa": case.digitised,
            "TaiLieuNop": case.files,
            "DanhSachGiayToKetQua": fx.result_documents(case.link),
            "TaiKhoanDuocXacThucVoiVNeID": case.vneid,
            "DSKetNoiCSDL": [{"MaCSDL": c} for c in case.csdl],
        }  # fmt: skip
        fx.insert_dossier(conn, dossiers, record)


@pytest.fixture(scope="module")
def conn(module_warehouse_url: str) -> Iterator[psycopg.Connection]:
    yield from fx.built(module_warehouse_url, load)


def _figures(conn: psycopg.Connection, kind: str, start: str) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(level, unit_id, indicator_id) → (numerator, denominator) of agencies and the province."""
    rows = conn.execute(
        "select level, unit_id, indicator_id, numerator, denominator from marts.ind_values"
        " where period_kind = %s and period_start = %s and level in ('agency', 'province')"
        " and scope = 'area' and view = 'historical' and indicator_id = any(%s)",
        (kind, start, list(PROCEDURE_LEVEL + DOSSIER_LEVEL)),
    ).fetchall()
    return {(r[0], r[1], r[2]): (int(r[3]), int(r[4])) for r in rows if r[4] is not None}


def test_dossier_flags(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "select dossier_id, is_paid_online, is_fee_waived, has_digitised_components, has_data_store_component,"
        " has_electronic_result, uses_population_data from intermediate.int_onestop__dossier_flags"
    ).fetchall()
    flags = {r[0]: r[1:] for r in rows}
    assert flags[_code("E1")] == (True, False, True, True, True, True)
    assert flags[_code("E2")] == (False, False, False, False, False, True)  # 3 = requested, unpaid
    assert flags[_code("E3")] == (False, True, False, False, False, False)  # waived; deleted file; CSDL 7
    assert flags[_code("E5")] == (False, False, True, False, True, False)  # empty fee list: not waived
    assert flags[_code("E7")] == (True, False, False, False, False, True)  # 2 = paid via a gateway


def test_october_per_agency_and_province(conn: psycopg.Connection) -> None:
    october = _figures(conn, "month", OCTOBER)
    expected = {
        # remit as of 1 Nov: A has P1, P2, P3 (no online service yet), P4; B has P4, P5
        "766-3.1": ((3, 4), (1, 2)),  # A: P1, P2, P4 online; B: P4
        "766-3.2": ((2, 3), (0, 1)),  # A: P1 (E1, E2), P4 (E7); P2's only online dossier E6 was refused
        "766-3.5": ((2, 3), (0, 1)),  # A fee-bearing P1, P3, P4: P1 (E1) and P4 (E7) paid online
        # A received E1, E2, E3, E4, E5, E7, E10 (E6 refused at reception)
        "766-3.6": ((2, 6), (0, 1)),  # E3 waived is out; E5 (no fee list) and E2 (unpaid, 3) are in
        "766-4.1": ((3, 4), (1, 1)),  # A settled E1, E2, E4, E5 (E10 settles in November): E2 no link
        "766-4.2": ((2, 4), (1, 1)),  # E1, E5 digitised with an e-result; E4 not digitised
        "766-4.3": ((3, 7), (1, 1)),  # E1, E5 (a DuocSoHoa file), E10; E3's only such file is deleted
        "766-4.4": ((1, 7), (1, 1)),  # E1; F1
        "766-4.5": ((3, 7), (1, 1)),  # E1 (VNeID, store), E2 (CSDL 1), E7 (VNeID); F1 (store)
    }
    for indicator, (a, b) in expected.items():
        assert october[("agency", A, indicator)] == a, indicator
        assert october[("agency", B, indicator)] == b, indicator
        assert october[("province", PROVINCE, indicator)] == (a[0] + b[0], a[1] + b[1]), indicator


def test_november_reads_the_catalogue_at_its_end(conn: psycopg.Connection) -> None:
    november = _figures(conn, "month", NOVEMBER)
    expected_a = {
        "766-3.1": (4, 4),  # P3 is partial from 11 Nov
        "766-3.2": (2, 4),  # P2 (E8), P3 (E9)
        "766-3.5": (1, 3),  # P3 (E9)
        "766-3.6": (1, 1),  # E9; E8's procedure has no fee
        "766-4.1": (1, 2),  # settled E8 (link), E10 (no link)
        "766-4.2": (1, 2),  # E8
        "766-4.3": (1, 2),  # E8
        "766-4.4": (0, 2),
        "766-4.5": (2, 2),  # E8 (VNeID), E9 (CSDL 1)
    }
    for indicator, figures in expected_a.items():
        assert november[("agency", A, indicator)] == figures, indicator


def test_a_quarter_is_a_period_of_its_own(conn: psycopg.Connection) -> None:
    october, november = _figures(conn, "month", OCTOBER), _figures(conn, "month", NOVEMBER)
    quarter = _figures(conn, "quarter", Q4)
    # a dossier is counted once, by its own date: the quarter is its months' sum
    for key, figures in quarter.items():
        if key[2] in DOSSIER_LEVEL:
            months = [m.get(key, (0, 0)) for m in (october, november)]
            assert figures == (sum(m[0] for m in months), sum(m[1] for m in months)), key
    assert quarter[("agency", A, "766-3.6")] == (3, 7)
    # a procedure is counted once per quarter, in the catalogue as of its end (1 Dec)
    assert quarter[("agency", A, "766-3.1")] == (4, 4)
    assert quarter[("agency", A, "766-3.2")] == (4, 4)  # P1 (E1), P2 (E8), P3 (E9), P4 (E7)
    assert quarter[("agency", A, "766-3.5")] == (3, 3)  # P1 (E1), P3 (E9), P4 (E7)
    assert quarter[("province", PROVINCE, "766-3.1")] == (5, 6)  # + B: P4 of P4, P5
