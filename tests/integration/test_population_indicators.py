"""The population interface's facts and indicators on real parts: hand-made records through the loader
(parse, pseudonymisation, the raw tables) → `dbt build` → the marts and `marts.ind_values`, every
expected number computed by hand below. Agency A (000.00.05.H57) is in the catalogue; U
(000.00.99.H57) is a member code it does not know. Communes X 19753, Y 19813 (from 1 July 2025).

    call  client  message id (MaYeuCau)     service   local request time       latency  outcome
    C1    A/DVC   SXD_DVC_20250902080000    ChiaSe    02 Sep 08:00:00.000      400 ms   succeeded
    C2    A/DVC   SXD_DVC_20250902080000    ChiaSe    02 Sep 08:00:00.300     1000 ms   succeeded (the same id)
    C3    A/DVC   SXD_DVC_20250903090000    XacThuc   03 Sep 09:00:00.000     8000 ms   failed (ServiceFailed)
    C4    A/QLVB  SXD_QLVB_20250910100000   ChiaSe    10 Sep 10:00:00.000      200 ms   succeeded
    C5    U/DVC   KHAC_DVC_20250911110000   ChiaSe    11 Sep 11:00:00.000      600 ms   succeeded
    (C1 is served again by the next pull, as a page cut in its second would: stored once)

DA06-01 September: A 4, the unknown member 1, the province 5. DA06-02: A 3 / 4, the province 4 / 5.
DA06-03 (median, continuous): A over 200, 400, 1000, 8000 → 700 ms = 0.7 s; the province over
200, 400, 600, 1000, 8000 → 0.6 s. DA06-04 (95th): A at rank 0.95 × 3 = 2.85 → 1000 + 0.85 × 7000 =
6950 ms = 6.95 s; the province at 0.95 × 4 = 3.8 → 1000 + 0.8 × 7000 = 6.6 s.

    figures  month  residents  level 2  published
    X        Aug    10 000     3 000    31 Aug
    X        Sep    10 000     3 500    30 Sep, revised 05 Oct to 10 100 / 3 600 (kept)
    Y        Sep     5 000     1 000    30 Sep
    99999    Sep       100        50    30 Sep (a commune the unit seed does not know)

NQ17-06 September: X 3 600 / 10 100, Y 1 000 / 5 000, the province (every commune it was sent)
4 650 / 15 200; August: X and the province 3 000 / 10 000; the third quarter takes each commune's
latest month: the same as September.

    dossier (A, received in Sep)  DSKetNoiCSDL                       766-4.5
    D1                            CSDL 1, MaYeuCau of C1/C2          counted: a call of A succeeded
    D2                            CSDL 1, MaYeuCau of C3             not counted: its call failed
    D3                            CSDL 1, a MaYeuCau the log lacks   not counted: no call
    D4                            CSDL 1, no MaYeuCau                counted on the one-stop's flag
    D5                            none                               not counted

766-4.5 September, A: 2 / 5.
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
from ingestion.sources.population import NAME
from ingestion.sources.population_records import Call, CommuneFigures

A, U, X, Y = "000.00.05.H57", "000.00.99.H57", "19753", "19813"
SOURCE = SOURCES[NAME]
OFFICER = "nguyen.van.binh"
ID_C1, ID_C3 = "SXD_DVC_20250902080000", "SXD_DVC_20250903090000"


def _ms(local: str) -> int:
    return round(fx.local(local).timestamp() * 1000)


def _call(member: str, subsystem: str, message: str, service: str, at: str, latency: int, ok: bool) -> dict:
    start = _ms(at)
    return example_record(Call) | {
        "monitoringDataTs": (start + latency) // 1000,
        "requestInTs": start,
        "requestOutTs": start + 5,
        "responseInTs": start + latency - 5,
        "responseOutTs": start + latency,
        "clientMemberCode": member,
        "clientSubsystemCode": subsystem,
        "serviceCode": service,
        "messageId": message,
        "messageUserId": OFFICER,
        "succeeded": ok,
        "faultCode": "" if ok else "Server.ServerProxy.ServiceFailed",
        "faultString": "" if ok else "Service failed",
        "statusCode": 200 if ok else 500,
    }


SHARE, VERIFY = "ChiaSeThongTinCongDan", "XacThucThongTinCongDan"
C1 = _call(A, "DVC", ID_C1, SHARE, "2025-09-02 08:00:00.000", 400, True)
CALLS = [
    C1,
    _call(A, "DVC", ID_C1, SHARE, "2025-09-02 08:00:00.300", 1000, True),
    _call(A, "DVC", ID_C3, VERIFY, "2025-09-03 09:00:00.000", 8000, False),
    _call(A, "QLVB", "SXD_QLVB_20250910100000", SHARE, "2025-09-10 10:00:00.000", 200, True),
    _call(U, "DVC", "KHAC_DVC_20250911110000", SHARE, "2025-09-11 11:00:00.000", 600, True),
]


def _figures(commune: str, month: str, residents: int, level2: int, published: str) -> dict[str, Any]:
    return example_record(CommuneFigures) | {
        "MaXa": commune,
        "Thang": month,
        "SoDanCu": str(residents),
        "SoTaiKhoanMuc1": str(residents // 2),
        "SoTaiKhoanMuc2": str(level2),
        "NgayCapNhat": fx.native(published),
    }


FIGURES_FIRST = [
    _figures(X, "202508", 10000, 3000, "2025-08-31 23:00"),
    _figures(X, "202509", 10000, 3500, "2025-09-30 23:00"),
    _figures(Y, "202509", 5000, 1000, "2025-09-30 23:00"),
    _figures("99999", "202509", 100, 50, "2025-09-30 23:00"),
]
FIGURES_REVISED = [*FIGURES_FIRST, _figures(X, "202509", 10100, 3600, "2025-10-05 09:00")]

#: dossier → its DSKetNoiCSDL (the population database is code 1)
DOSSIERS: dict[str, list[dict[str, str]]] = {
    "D1": [{"MaCSDL": "1", "MaYeuCau": ID_C1}],
    "D2": [{"MaCSDL": "1", "MaYeuCau": ID_C3}],
    "D3": [{"MaCSDL": "1", "MaYeuCau": "SXD_DVC_20250904100000"}],
    "D4": [{"MaCSDL": "1"}],
    "D5": [],
}


def _code(name: str) -> str:
    return fx.dossier_code(A, "2025-09-15 08:00", int(name[1:]))


def _load(conn: psycopg.Connection, entity: str, start: str, end: str, records: list[dict[str, Any]]) -> Any:
    return fx.load_records(conn, NAME, entity, start, end, records, first_pull=start == "2025-08-01")


def _load_one_stop(conn: psycopg.Connection) -> None:
    batch = fx.batch(conn, "agencies", "2025-08-01", "2025-10-01")
    fx.insert_agency(conn, batch, A, "Sở Xây dựng", "2", "000.00.00.H57")
    dossiers = fx.batch(conn, "dossiers", "2025-09-01", "2025-10-01")
    fx.batch(conn, "progress", "2025-09-01", "2025-10-01")
    fx.batch_others(conn, "2025-09-01", "2025-10-01")
    for name, databases in DOSSIERS.items():
        record = fx.dossier(
            _code(name), 1, updated="2025-09-15 08:00", status="4", channel="1", procedure="1.000101",
            received="2025-09-15 08:00", agency_name="Sở Xây dựng",
        ) | {"DSKetNoiCSDL": databases}  # fmt: skip
        fx.insert_dossier(conn, dossiers, record)


@pytest.fixture(scope="module")
def built(module_warehouse_url: str) -> Iterator[psycopg.Connection]:
    from ingestion.schema import migrate

    with psycopg.connect(module_warehouse_url) as conn:
        migrate(conn)
        with conn.transaction():
            _load_one_stop(conn)
    with psycopg.connect(module_warehouse_url, autocommit=True) as conn:
        _load(conn, "calls", "2025-08-01", "2025-09-11", CALLS[:3])
        _load(conn, "calls", "2025-09-11", "2025-10-01", [C1, *CALLS[3:]])
        _load(conn, "figures", "2025-08-01", "2025-10-01", FIGURES_FIRST)
        _load(conn, "figures", "2025-09-01", "2025-10-06", FIGURES_REVISED)
        fx.load_sources_without_data(conn)
    fx.build(module_warehouse_url)
    with psycopg.connect(module_warehouse_url, autocommit=True) as conn:
        yield conn


def _values(
    conn: psycopg.Connection, indicator: str, kind: str = "month", start: str = "2025-09-01"
) -> dict[tuple[str, str], tuple[Any, Any, Any]]:
    rows = conn.execute(
        "select level, unit_id, numerator, denominator, value from marts.ind_values where indicator_id = %s"
        " and period_kind = %s and period_start = %s and scope = 'area' and view = 'historical'",
        (indicator, kind, start),
    ).fetchall()
    return {
        (level, unit): (numerator, denominator, value) for level, unit, numerator, denominator, value in rows
    }


def test_calls_are_kept_apart_by_message_id_client_and_time(built: psycopg.Connection) -> None:
    calls = built.execute(
        "select request_id, agency_id, client_subsystem_code, latency_ms, is_succeeded"
        " from marts.fct_population_call order by called_at"
    ).fetchall()
    assert calls == [
        (ID_C1, A, "DVC", 400, True),
        (ID_C1, A, "DVC", 1000, True),  # the same message id 300 ms later: another call
        (ID_C3, A, "DVC", 8000, False),
        ("SXD_QLVB_20250910100000", A, "QLVB", 200, True),
        ("KHAC_DVC_20250911110000", None, "DVC", 600, True),  # a member the catalogue does not know
    ]
    assert built.execute("select count(*) from raw.population__calls").fetchone()[0] == 5  # C1 once


def test_call_counts_and_success_rate(built: psycopg.Connection) -> None:
    calls = _values(built, "DA06-01")
    assert calls[("agency", A)][:2] == (4, None)
    assert calls[("agency", "unknown")][:2] == (1, None)
    assert calls[("province", "H57")][:2] == (5, None)
    success = _values(built, "DA06-02")
    assert success[("agency", A)][:2] == (3, 4)
    assert success[("province", "H57")][:2] == (4, 5)


def test_latency_percentiles_are_computed_from_the_calls_at_each_level(built: psycopg.Connection) -> None:
    median, p95 = _values(built, "DA06-03"), _values(built, "DA06-04")
    assert median[("agency", A)][2] == Decimal("0.7")
    assert median[("province", "H57")][2] == Decimal("0.6")  # not the mean of the agencies' medians
    assert p95[("agency", A)][2] == Decimal("6.95")
    assert p95[("province", "H57")][2] == Decimal("6.6")


def test_e_id_share_takes_the_latest_figure_of_each_commune(built: psycopg.Connection) -> None:
    september = _values(built, "NQ17-06")
    assert september[("commune", X)][:2] == (3600, 10100)  # the revision of 5 October
    assert september[("commune", Y)][:2] == (1000, 5000)
    assert ("commune", "99999") not in september
    assert september[("province", "H57")][:2] == (4650, 15200)
    assert _values(built, "NQ17-06", start="2025-08-01")[("province", "H57")][:2] == (3000, 10000)
    quarter = _values(built, "NQ17-06", "quarter", "2025-07-01")
    assert quarter[("province", "H57")][:2] == (4650, 15200)  # stocks: September's, not a sum


def test_population_data_use_joins_the_calls_through_the_request_id(built: psycopg.Connection) -> None:
    checks = dict(
        built.execute(
            "select dossier_id, is_confirmed from intermediate.int_onestop__population_checks"
        ).fetchall()
    )
    assert checks == {_code("D1"): True, _code("D2"): False, _code("D3"): False, _code("D4"): True}
    assert _values(built, "766-4.5")[("agency", A)][:2] == (2, 5)


def test_no_officer_account_is_stored_in_clear(built: psycopg.Connection) -> None:
    stored = " ".join(row[0] for row in built.execute("select record::text from raw.population__calls"))
    assert OFFICER not in stored and "messageUserId" in stored
