"""A published month that changes says so: every publication lists the published values it changed.

Publishing is exercised on hand-written marts (the long indicator table's contract) against
the real PostgreSQL; the gate's verdict is recorded directly, since what is tested here is
what publish does with a passed candidate.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
from passed_gate import publish_passed

from core.migrations import migrate
from publishing import publish as pub

VALUES_DDL = """
create schema marts;
create table marts.ind_values (
    indicator_id text, period_kind text, period_start date, level text, scope text, view text, unit_id text,
    numerator numeric, denominator numeric, value numeric
);
"""


@pytest.fixture
def conn(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        connection.execute(VALUES_DDL)
        migrate(connection)
        yield connection


def _publish(conn: psycopg.Connection, rows: list[tuple]) -> int:
    """Replace the mart with `rows` (indicator, level, unit, month or (kind, start), numerator,
    denominator), stage it, record a passing gate, publish; the publication id."""
    conn.execute("truncate marts.ind_values")
    with conn.cursor() as cur:
        cur.executemany(
            "insert into marts.ind_values values (%s, %s, %s, %s, 'area', 'historical', %s, %s, %s, %s)",
            [
                (
                    indicator,
                    *(period if isinstance(period, tuple) else ("month", period)),
                    level,
                    unit,
                    numerator,
                    denominator,
                    None if denominator == 0 else Decimal(numerator) / Decimal(denominator),
                )
                for indicator, level, unit, period, numerator, denominator in rows
            ],
        )
    return publish_passed(conn)


SEPTEMBER = [
    ("766-2.1", "agency", "000.00.01.H57", "2025-09-01", 67, 78),
    ("766-2.1", "province", "H57", "2025-09-01", 90, 100),
    ("766-3.3", "agency", "000.00.01.H57", "2025-09-01", 6, 10),
]


def _restatements(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select publication_id, indicator_id, unit_id, period_start::text, change,"
        " old_numerator, new_numerator, old_denominator, new_denominator"
        " from bi.restatements where period_kind = 'month' order by 1, 2, 3"
    ).fetchall()


def test_first_publication_restates_nothing(conn: psycopg.Connection) -> None:
    first = _publish(conn, SEPTEMBER)
    assert _restatements(conn) == []
    assert pub.restatement_count(conn, first) == 0


def test_same_values_again_restate_nothing_and_a_new_month_is_not_a_restatement(
    conn: psycopg.Connection,
) -> None:
    _publish(conn, SEPTEMBER)
    second = _publish(conn, [*SEPTEMBER, ("766-2.1", "agency", "000.00.01.H57", "2025-10-01", 5, 5)])
    assert pub.restatement_count(conn, second) == 0
    assert _restatements(conn) == []


def test_a_backfill_that_changes_a_published_month_is_listed_in_bi(conn: psycopg.Connection) -> None:
    _publish(conn, SEPTEMBER)
    # backfilling August brought 7 more carried-over dossiers into September, 4 of them late:
    # the agency's 766-2.1 goes from 67/78 (85.90 %) to 70/85 (82.35 %); its 766-3.3 is gone
    backfilled = [
        ("766-2.1", "agency", "000.00.01.H57", "2025-09-01", 70, 85),
        ("766-2.1", "province", "H57", "2025-09-01", 90, 100),
    ]
    second = _publish(conn, backfilled)
    assert pub.restatement_count(conn, second) == 2
    assert _restatements(conn) == [
        (second, "766-2.1", "000.00.01.H57", "2025-09-01", "changed", 67, 70, 78, 85),
        (second, "766-3.3", "000.00.01.H57", "2025-09-01", "removed", 6, None, 10, None),
    ]
    old_value, new_value = conn.execute(
        "select old_value, new_value from bi.restatements where indicator_id = '766-2.1'"
    ).fetchone()
    assert round(old_value * 100, 2) == Decimal("85.90")
    assert round(new_value * 100, 2) == Decimal("82.35")
    # the history stays visible after later publications, and the reader role can read it
    third = _publish(conn, backfilled)
    assert pub.restatement_count(conn, third) == 0
    assert len(_restatements(conn)) == 2
    conn.execute("set role dtimon_bi_reader")
    try:
        assert conn.execute("select count(*) from bi.restatements").fetchone()[0] == 2
    finally:
        conn.execute("reset role")


def test_rollback_shows_the_history_of_the_publication_bi_reads(conn: psycopg.Connection) -> None:
    _publish(conn, SEPTEMBER)
    _publish(conn, [("766-2.1", "agency", "000.00.01.H57", "2025-09-01", 70, 85)])
    assert len(_restatements(conn)) == 3  # one changed, two removed
    pub.rollback(conn)
    assert _restatements(conn) == []


def test_a_quarter_is_a_value_of_its_own_beside_its_first_month(conn: psycopg.Connection) -> None:
    quarter = ("quarter", "2025-07-01")
    _publish(conn, [*SEPTEMBER, ("766-2.1", "province", "H57", quarter, 250, 300)])
    # the quarter is restated (a late dossier of July), the July month row is new: no restatement
    second = _publish(
        conn,
        [
            *SEPTEMBER,
            ("766-2.1", "province", "H57", quarter, 251, 301),
            ("766-2.1", "province", "H57", "2025-07-01", 80, 90),
        ],
    )
    assert pub.restatement_count(conn, second) == 1
    assert conn.execute(
        "select period_kind, period_start::text, level, scope, view, old_numerator, new_numerator"
        " from bi.restatements"
    ).fetchall() == [("quarter", "2025-07-01", "province", "area", "historical", 250, 251)]
