"""The gate refuses a build whose data-quality figures are above the thresholds of the seed
dq_thresholds (5 % rejects, 5 % dossiers under an unknown agency or procedure), naming the
source, entity, month and share; a smaller non-zero share is a warning and publishes.

Real Great Expectations on real PostgreSQL, over the small marts of test_gate_publish plus a
hand-written dq_source_month.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from gate_fixtures import MARTS_DDL

from expectations.gate import validate
from publishing import publish as pub

DQ_DDL = """
create table marts.dq_source_month (
    source_name text, entity_name text, period_month date, records_received bigint,
    records_rejected bigint, reject_share numeric, dossiers bigint, unknown_share numeric,
    period_status text default 'complete'
);
"""


@pytest.fixture
def conn(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        connection.execute(MARTS_DDL)
        connection.execute(DQ_DDL)
        yield connection


def _dq(conn: psycopg.Connection, *rows: tuple) -> None:
    conn.execute("delete from marts.dq_source_month")
    for source, entity, month, received, rejected, dossiers, unknown in rows:
        conn.execute(
            "insert into marts.dq_source_month values (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                source,
                entity,
                month,
                received,
                rejected,
                rejected / received if received else None,
                dossiers,
                unknown / dossiers if dossiers else None,
            ),
        )


def _gate(conn: psycopg.Connection, url: str):
    candidate = pub.stage_candidate(conn, run_id="test")
    result = validate(url, candidate.publication_id, candidate.schema, list(candidate.relations), "test")
    if result.success:
        pub.publish(conn, candidate.publication_id)
    else:
        pub.reject(conn, candidate.publication_id, result.summary())
    return result


def test_clean_figures_pass_without_warnings(conn: psycopg.Connection, warehouse_url: str) -> None:
    _dq(
        conn,
        ("onestop", "dossiers", "2025-09-01", 40, 0, 40, 0),
        ("onestop", "agencies", "2025-09-01", 3, 0, None, 0),
    )
    result = _gate(conn, warehouse_url)
    assert result.success and result.failed_warning == []
    assert (
        "dq_source_month"
        in conn.execute(
            "select string_agg(table_name, ',') from information_schema.views where table_schema = 'bi'"
        ).fetchone()[0]
    )


def test_twenty_percent_rejects_fail_the_gate_naming_source_entity_month_and_share(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    # 8 of 40 records rejected = 20.0 % > 5 %
    _dq(
        conn,
        ("onestop", "dossiers", "2025-09-01", 40, 8, 32, 0),
        ("onestop", "progress", "2025-09-01", 50, 0, None, 0),
    )
    result = _gate(conn, warehouse_url)
    assert not result.success
    named = [f for f in result.failed_critical if "reject_share_too_high" in f]
    assert len(named) == 1
    assert (
        "onestop dossiers 2025-09: 20.0 % of records rejected by the loader (refused above 5.0 %)" in named[0]
    )
    assert any("reject_share_above_threshold" in f for f in result.failed_critical)
    assert (
        "20.0 %"
        in conn.execute("select note from ops.publications order by publication_id desc limit 1").fetchone()[
            0
        ]
    )
    assert (
        conn.execute("select count(*) from information_schema.views where table_schema = 'bi'").fetchone()[0]
        == 0
    )


def test_unknown_agencies_above_the_threshold_fail_the_gate(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    # 2 of 20 dossiers name an agency missing from the catalogue = 10.0 % > 5 %
    _dq(conn, ("onestop", "dossiers", "2025-10-01", 20, 0, 20, 2))
    result = _gate(conn, warehouse_url)
    assert not result.success
    assert any(
        "unknown_share_too_high: onestop dossiers 2025-10: 10.0 % of dossiers under an unknown agency or procedure"
        in f
        for f in result.failed_critical
    )


def test_small_shares_are_warnings_and_publish(conn: psycopg.Connection, warehouse_url: str) -> None:
    # 1 of 50 rejected = 2.0 %; 1 of 25 unknown = 4.0 %: both at most 5 %
    _dq(conn, ("onestop", "dossiers", "2025-09-01", 50, 1, 25, 1))
    result = _gate(conn, warehouse_url)
    assert result.success
    assert len(result.failed_warning) == 2
    warnings = " | ".join(result.failed_warning)
    assert "onestop dossiers 2025-09: 2.0 % of records rejected by the loader (at most 5.0 %)" in warnings
    assert "onestop dossiers 2025-09: 4.0 % of dossiers under an unknown agency or procedure" in warnings
