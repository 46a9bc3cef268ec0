"""Referential checks and data-quality figures in the build, on real PostgreSQL with hand-made raw
rows: dossiers naming an agency or procedure missing from its catalogue are published under the
explicit agency member 'unknown' (never under the raw code) and still counted in the province; an
agency level off the code list is 'unknown'; a month whose loader rejected more than 1 % of one
entity's records is provisional, and dq_source_month says why.

Catalogue: agencies A, B, C of test_dbt_indicators plus D (level code X); procedures P1–P4.
September and October 2025 fully covered (dossiers and progress). The dossier batch of September
loaded 4 records and rejected 1 (20.0 %); October's loaded 100 and rejected none.

    id  agency                         procedure  channel  status  received
    Q1  A                              P1         online   9       03 Sep
    Q2  999.99.99.H57 (not in catalogue) P1       online   9       04 Sep
    Q3  A                              9.999999   direct   4       05 Sep   (procedure not in catalogue)
    Q4  none found (local code, unknown name) P1  online   4       08 Sep

766-3.3 (received online / received), September: A 1/2, unknown 2/2 (Q2, Q4), B, C, D 0/0,
province 3/4. Unknown-member dossiers: agency 2 (Q2, Q4), procedure 1 (Q3), either 3 of 4 = 0.75.
The gate refuses the build: 20.0 % rejects and 75.0 % unknown members in September, both above 5 %.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import dbt_fixtures as fx
import psycopg
import pytest
from test_dbt_indicators import P1, PEOPLES_COMMITTEE, PROVINCE, A, load_reference

D = "000.00.16.H57"
STRANGER = "999.99.99.H57"
UNKNOWN_NAME = "Không xác định (mã không có trong danh mục)"


def _load(conn: psycopg.Connection) -> None:
    load_reference(conn)
    agencies = fx.batch(conn, "agencies", "2025-09-02", "2025-09-03")
    fx.insert_agency(conn, agencies, D, "Sở Lạ", "X", PEOPLES_COMMITTEE)
    september = fx.batch(conn, "dossiers", "2025-09-01", "2025-10-01")
    conn.execute(
        "update ops.batches set rows_loaded = 4, rows_rejected = 1 where batch_id = %s", (september,)
    )
    october = fx.batch(conn, "dossiers", "2025-10-01", "2025-11-01")
    conn.execute(
        "update ops.batches set rows_loaded = 100, rows_rejected = 0 where batch_id = %s", (october,)
    )
    progress = fx.batch(conn, "progress", "2025-09-01", "2025-11-01")
    fx.batch_others(conn, "2025-09-01", "2025-11-01")

    def put(code: str, procedure: str, channel: str, status: str, received: str, **fields: str) -> None:
        fx.insert_dossier(
            conn,
            september,
            fx.dossier(
                code, 1, updated=received, status=status, channel=channel, procedure=procedure,
                received=received, **fields,
            ),
        )  # fmt: skip
        fx.insert_progress(conn, progress, code, received, status, "Tiếp nhận")

    put(
        f"{A}-250903-00001",
        P1,
        "2",
        "9",
        "2025-09-03 08:00",
        promised="2025-09-10 17:00",
        ended="2025-09-05 10:00",
    )
    put(
        f"{STRANGER}-250904-00002",
        P1,
        "2",
        "9",
        "2025-09-04 08:00",
        promised="2025-09-10 17:00",
        ended="2025-09-05 10:00",
    )
    put(f"{A}-250905-00003", "9.999999", "1", "4", "2025-09-05 08:00", promised="2025-09-30 17:00")
    put("HS-LOCAL-4", P1, "2", "4", "2025-09-08 08:00", promised="2025-09-30 17:00", agency_name="Cơ quan lạ")


@pytest.fixture(scope="module")
def conn(module_warehouse_url: str) -> Iterator[psycopg.Connection]:
    yield from fx.built(module_warehouse_url, _load)


def _rows(conn: psycopg.Connection, indicator: str, month: str) -> dict[tuple[str, str], tuple]:
    rows = conn.execute(
        "select level, unit_id, unit_name, numerator, denominator, status from marts.ind_values"
        " where indicator_id = %s and period_kind = 'month' and period_start = %s"
        " and scope = 'area' and view = 'historical'",
        (indicator, month),
    ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def test_unknown_agencies_are_one_explicit_member_and_stay_in_the_province(conn: psycopg.Connection) -> None:
    september = _rows(conn, "766-3.3", "2025-09-01")
    assert september[("agency", "unknown")][:3] == (UNKNOWN_NAME, 2, 2)
    assert september[("agency", A)][1:3] == (1, 2)
    assert september[("province", PROVINCE)][1:3] == (3, 4)
    assert not any(unit.startswith("999") for _, unit in september)
    assert all(name is not None for name, *_ in september.values())
    # October: no dossier of an unknown agency received → no unknown row for 766-3.3
    assert ("agency", "unknown") not in _rows(conn, "766-3.3", "2025-10-01")
    # 2/2 online would be "met" with full points: the unknown member is no agency, so it is not
    # assessed (no target, verdict or points) while the province row is
    assessed = dict(
        conn.execute(
            "select level, (target, met, points) from marts.ind_values where indicator_id = '766-2.1'"
            " and period_kind = 'month' and period_start = '2025-09-01' and unit_id in ('unknown', %s)"
            " and scope = 'area' and view = 'historical'",
            (PROVINCE,),
        ).fetchall()
    )
    assert assessed["agency"] == (None, None, None)
    assert assessed["province"][0] is not None and assessed["province"][2] is not None


def test_agency_level_off_the_code_list_is_unknown(conn: psycopg.Connection) -> None:
    assert conn.execute(
        "select agency_level from marts.dim_agency where agency_id = %s", (D,)
    ).fetchone() == ("unknown",)


def test_a_month_with_too_many_rejects_is_provisional(conn: psycopg.Connection) -> None:
    assert {r[3] for r in _rows(conn, "766-3.3", "2025-09-01").values()} == {"provisional"}
    assert {r[3] for r in _rows(conn, "766-3.3", "2025-10-01").values()} == {"complete"}


def test_quality_figures_per_source_entity_and_month(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        """
        select period_month::text, batches, records_received, records_loaded, records_rejected, reject_share,
               dossiers, unknown_agency_dossiers, unknown_procedure_dossiers, unknown_share, covered_days,
               days_in_month, period_status, quality_note
        from marts.dq_source_month
        where source_name = 'onestop' and entity_name = 'dossiers'
        order by period_month
        """
    ).fetchall()
    assert rows == [
        (
            "2025-09-01", 1, 5, 4, 1, Decimal("0.2"), 4, 2, 1, Decimal("0.75"), 30, 30, "provisional",
            "reject share 20.0 % above 1.0 %; unknown agency or procedure 75.0 % above 1.0 %",
        ),
        ("2025-10-01", 1, 100, 100, 0, Decimal("0"), None, None, None, None, 31, 31, "complete", None),
    ]  # fmt: skip
    fct = conn.execute(
        "select dossier_id, is_agency_in_catalogue, is_procedure_in_catalogue from marts.fct_dossier order by 1"
    ).fetchall()
    assert [(row[1], row[2]) for row in fct] == [(True, True), (True, False), (False, True), (False, True)]


def test_the_gate_refuses_this_build_naming_source_entity_month_and_share(
    conn: psycopg.Connection, module_warehouse_url: str
) -> None:
    from expectations.gate import validate
    from publishing import publish as pub

    candidate = pub.stage_candidate(conn, run_id="quality")
    assert "dq_source_month" in candidate.relations
    result = validate(
        module_warehouse_url, candidate.publication_id, candidate.schema, list(candidate.relations), "quality"
    )
    assert not result.success
    failures = " | ".join(result.failed_critical)
    assert (
        "onestop dossiers 2025-09: 20.0 % of records rejected by the loader (refused above 5.0 %)" in failures
    )
    assert (
        "onestop dossiers 2025-09: 75.0 % of dossiers under an unknown agency or procedure (refused above 5.0 %)"
        in failures
    )
    assert "2025-10" not in failures
