"""dbt on real PostgreSQL: the Resolution 17, Decision 942, Decision 2629 and Resolution 71
indicators the one-stop records feed (NQ17-02, NQ17-04, QD942-03, QD2629-02, -04, -05, NQ71-11.4,
NQ71-11.6), on hand-made rows with every expected figure computed by hand.

One-stop coverage is all of October and November 2025. Agency A implements P1–P4, agency B P4
and P5 (P4 lists both). Catalogue (eligible = DUDIEUKIENTOANTRINH): P1 full-process, eligible,
fee 50 000; P2 partial, eligible, no fee; P3 partial, not eligible, fee 20 000, until 11 Nov when
it becomes full-process and eligible; P4 no online service; P5 full-process, eligible, fee 10 000.

    id  agency proc channel status received settled  fee list  paid digit. e-result synced
    D1  A      P1   online  10     06 Oct   08 Oct   50 000    1    1      link     1
    D2  A      P1   online  9      07 Oct   09 Oct   50 000    3    0      no link  0
    D3  A      P2   online  10     08 Oct   10 Oct   []        0    1      link     0
    D4  A      P3   direct  4      09 Oct   —        20 000    0    0      —        0
    D5  A      P1   direct  10     13 Oct   15 Oct   50 000    0    0      link     1
    D6  A      P2   online  3      (refused at reception: never received)           1
    D8  A      P1   online  9      30 Oct   04 Nov   50 000    1    0      link     1
    D7  A      P3   online  10     12 Nov   14 Nov   20 000    1    1      link     1
    F1  B      P5   online  10     20 Oct   22 Oct   10 000    2    1      link     0

(digit. = HoSoCoThanhPhanSoHoa; paid = DuocThanhToanTrucTuyen, 1 and 2 paid online, 3 requested
and unpaid; synced = TrangThaiDongBoDVC.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import dbt_fixtures as fx
import psycopg
import pytest

A, B = fx.DEPARTMENTS  # Sở Tư pháp, Sở Nội vụ
PROVINCE = "H57"
P1, P2, P3, P4, P5 = "1.000201", "1.000202", "1.000203", "1.000204", "1.000205"
OCTOBER, NOVEMBER, Q4 = "2025-10-01", "2025-11-01", "2025-10-01"
#: the indicators whose formula is a Decision 766 measure's, with that indicator
SAME_FORMULA = {
    "QD2629-04": "766-4.2",
    "QD2629-05": "766-4.3",
    "NQ71-11.4": "766-4.1",
    "NQ71-11.6": "766-3.6",
}
PROCEDURE_LEVEL = ("NQ17-02", "NQ17-04", "QD2629-02")
DOSSIER_LEVEL = ("QD942-03", *SAME_FORMULA)


def _procedure(code: str, fee: str, online_level: str, eligible: str, *agencies: str) -> dict[str, Any]:
    record = fx.procedure(code, f"Thủ tục {code}", [("1", "5", "Ngày làm việc", fee)], online_level)
    return fx.implemented_by(record, *agencies) | {"DUDIEUKIENTOANTRINH": eligible}


class Case(NamedTuple):
    agency: str
    procedure: str
    channel: str
    status: str
    received: str | None
    settled: str | None
    fee: str | None  # the one amount of its fee list; None: an empty list
    paid: str  # DuocThanhToanTrucTuyen
    digitised: str  # HoSoCoThanhPhanSoHoa
    link: bool | None  # a result document with (True) or without (False) a link; None: no result
    synced: str  # TrangThaiDongBoDVC


ROWS: dict[str, tuple] = {
    "D1": (A, P1, "2", "10", "2025-10-06 08:00", "2025-10-08 10:00", "50000", "1", "1", True, "1"),
    "D2": (A, P1, "2", "9", "2025-10-07 08:00", "2025-10-09 10:00", "50000", "3", "0", False, "0"),
    "D3": (A, P2, "2", "10", "2025-10-08 08:00", "2025-10-10 10:00", None, "0", "1", True, "0"),
    "D4": (A, P3, "1", "4", "2025-10-09 08:00", None, "20000", "0", "0", None, "0"),
    "D5": (A, P1, "1", "10", "2025-10-13 08:00", "2025-10-15 10:00", "50000", "0", "0", True, "1"),
    "D6": (A, P2, "2", "3", None, None, None, "0", "1", None, "1"),
    "D8": (A, P1, "2", "9", "2025-10-30 08:00", "2025-11-04 10:00", "50000", "1", "0", True, "1"),
    "D7": (A, P3, "2", "10", "2025-11-12 08:00", "2025-11-14 10:00", "20000", "1", "1", True, "1"),
    "F1": (B, P5, "2", "10", "2025-10-20 08:00", "2025-10-22 10:00", "10000", "2", "1", True, "0"),
}  # fmt: skip
DOSSIERS = {name: Case(*row) for name, row in ROWS.items()}


def _code(name: str) -> str:
    case = DOSSIERS[name]
    return fx.dossier_code(case.agency, case.received or "2025-10-13 08:00", int(name[1:]))


def load(conn: psycopg.Connection) -> None:
    fx.insert_departments(conn)
    catalogue = fx.batch(conn, "procedures", "2025-10-01", "2025-10-02")
    for record in (
        _procedure(P1, "50000", "TOANTRINH", "1", A),
        _procedure(P2, "0", "MOTPHAN", "1", A),
        _procedure(P3, "20000", "MOTPHAN", "0", A),
        _procedure(P4, "0", "", "0", A, B),
        _procedure(P5, "10000", "TOANTRINH", "1", B),
    ):
        fx.insert_procedure(conn, catalogue, record)
    # P3 becomes full-process and eligible, seen by the pull of 10–11 November
    change = fx.batch(conn, "procedures", "2025-11-10", "2025-11-11")
    fx.insert_procedure(conn, change, _procedure(P3, "20000", "TOANTRINH", "1", A))

    dossiers = fx.batch(conn, "dossiers", "2025-10-01", "2025-12-01")
    fx.batch(conn, "progress", "2025-10-01", "2025-12-01")
    fx.batch_others(conn, "2025-10-01", "2025-12-01")
    for name, case in DOSSIERS.items():
        submitted = case.received or "2025-10-13 08:00"  # D6 was submitted, then refused
        record = fx.dossier(
            _code(name), 1, updated=case.settled or submitted, status=case.status, channel=case.channel,
            procedure=case.procedure, received=case.received, ended=case.settled, submitted=submitted,
            agency_name=fx.DEPARTMENTS[case.agency], portal_sync=case.synced,
        ) | {
            "DanhSachLePhi": fx.fees() if case.fee is None else fx.fees(case.fee),
            "DuocThanhToanTrucTuyen": case.paid,
            "HoSoCoThanhPhanSoHoa": case.digitised,
            "DanhSachGiayToKetQua": fx.result_documents(case.link, "3001"),
        }  # fmt: skip
        fx.insert_dossier(conn, dossiers, record)


@pytest.fixture(scope="module")
def conn(module_warehouse_url: str) -> Iterator[psycopg.Connection]:
    yield from fx.built(module_warehouse_url, load)


def _figures(conn: psycopg.Connection, kind: str, start: str) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(level, unit_id, indicator_id) → (numerator, denominator) of agencies and the province."""
    indicators = [*PROCEDURE_LEVEL, *DOSSIER_LEVEL, *SAME_FORMULA.values()]
    rows = conn.execute(
        "select level, unit_id, indicator_id, numerator, denominator from marts.ind_values"
        " where period_kind = %s and period_start = %s and level in ('agency', 'province')"
        " and scope = 'area' and view = 'historical' and indicator_id = any(%s)",
        (kind, start, indicators),
    ).fetchall()
    return {(r[0], r[1], r[2]): (int(r[3]), int(r[4])) for r in rows if r[4] is not None}


def test_october_per_agency_and_province(conn: psycopg.Connection) -> None:
    october = _figures(conn, "month", OCTOBER)
    expected = {
        # remit as of 1 Nov: A has P1 (full), P2 (partial), P3 (partial), P4 (none); B has P4, P5 (full)
        "NQ17-02": ((1, 3), (0, 1)),  # A: P1 (D1, D5, D8 synced); P2's only synced dossier D6 was refused
        "NQ17-04": ((1, 3), (1, 1)),  # A: P1 of P1, P2, P3; B: P5
        "QD2629-02": ((1, 2), (1, 1)),  # A eligible P1, P2: P1 full-process; B: P5
        # A settled D1, D2, D3, D5 (D8 settles in November)
        "QD942-03": ((1, 4), (1, 1)),  # D1; D2 no e-result, D3 partial service, D5 direct; B: F1
        "NQ71-11.4": ((3, 4), (1, 1)),  # D1, D3, D5 (D2's result has no link)
        "QD2629-04": ((2, 4), (1, 1)),  # D1, D3 digitised with an e-result
        # A received D1, D2, D3, D4, D5, D8 (D6 refused at reception)
        "QD2629-05": ((2, 6), (1, 1)),  # D1, D3
        "NQ71-11.6": ((2, 5), (1, 1)),  # D1, D8 paid of D1, D2, D4, D5, D8 (D3's procedure has no fee)
    }
    for indicator, (a, b) in expected.items():
        assert october[("agency", A, indicator)] == a, indicator
        assert october[("agency", B, indicator)] == b, indicator
        assert october[("province", PROVINCE, indicator)] == (a[0] + b[0], a[1] + b[1]), indicator


def test_november_reads_the_catalogue_at_its_end(conn: psycopg.Connection) -> None:
    november = _figures(conn, "month", NOVEMBER)
    expected_a = {
        "NQ17-02": (1, 3),  # P3 (D7); P1 had no dossier received in November
        "NQ17-04": (2, 3),  # P3 is full-process from 11 Nov
        "QD2629-02": (2, 3),  # P3 eligible and full-process from 11 Nov
        "QD942-03": (2, 2),  # D8 (P1), D7 (P3 full-process when received)
        "NQ71-11.4": (2, 2),
        "QD2629-04": (1, 2),  # D7; D8 not digitised
        "QD2629-05": (1, 1),  # D7
        "NQ71-11.6": (1, 1),  # D7
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
    assert quarter[("agency", A, "QD942-03")] == (3, 6)
    # a procedure is counted once per quarter, in the catalogue as of its end (1 Dec)
    assert quarter[("agency", A, "NQ17-02")] == (2, 3)  # P1 (D1), P3 (D7); P2 none synced and received
    assert quarter[("agency", A, "NQ17-04")] == (2, 3)
    assert quarter[("agency", A, "QD2629-02")] == (2, 3)
    assert quarter[("province", PROVINCE, "NQ17-02")] == (2, 4)  # + B: P5 (F1 not synced)


def test_an_indicator_of_the_same_formula_has_the_same_figures(conn: psycopg.Connection) -> None:
    for kind, start in (("month", OCTOBER), ("month", NOVEMBER), ("quarter", Q4)):
        figures = _figures(conn, kind, start)
        for indicator, formula in SAME_FORMULA.items():
            ours = {key[:2]: value for key, value in figures.items() if key[2] == indicator}
            theirs = {key[:2]: value for key, value in figures.items() if key[2] == formula}
            assert ours and ours == theirs, (kind, start, indicator)
