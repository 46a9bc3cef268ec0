"""The gate decides, publish obeys: a corrupted candidate never reaches `bi`.

Runs real Great Expectations against real PostgreSQL over small marts written here.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from expectations.gate import validate
from publishing import publish as pub

MARTS_DDL = """
create schema marts;
create schema reference;
create table reference.indicator_catalogue (indicator_id text, name_vi text);
insert into reference.indicator_catalogue values ('766-2.1', 'Đúng hạn'), ('766-3.3', 'Trực tuyến');
create table reference.indicator_targets (indicator_id text, year_from int, target numeric);
create table marts.dim_agency (agency_id text, valid_from timestamptz, agency_name text);
comment on table marts.dim_agency is 'Agencies';
comment on column marts.dim_agency.agency_name is 'Tên cơ quan';
insert into marts.dim_agency values
    ('000.00.01.H57', '2025-09-01', 'Sở Tư pháp'), ('000.00.02.H57', '2025-09-01', 'Sở Nội vụ');
create table marts.ind_766__agency_month (
    period_month date, agency_id text, indicator_id text,
    numerator bigint, denominator bigint, rate numeric, target numeric, met boolean
);
insert into marts.ind_766__agency_month values
    ('2025-09-01', '000.00.01.H57', '766-2.1', 9, 10, 0.9, 0.95, false),
    ('2025-09-01', '000.00.01.H57', '766-3.3', 6, 10, 0.6, 0.5, true),
    ('2025-09-01', '000.00.02.H57', '766-3.3', 0, 0, null, 0.5, null),
    ('2025-09-01', '000.00.02.H57', '766-2.1', 4, 4, 1.0, 0.95, true);
"""


@pytest.fixture
def conn(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        connection.execute(MARTS_DDL)
        yield connection


def _build_and_publish(conn: psycopg.Connection, url: str) -> tuple[bool, pub.Candidate]:
    candidate = pub.stage_candidate(conn, run_id="test")
    result = validate(url, candidate.publication_id, candidate.schema, list(candidate.relations), "test")
    if result.success:
        pub.publish(conn, candidate.publication_id)
    else:
        pub.reject(conn, candidate.publication_id, result.summary())
    return result.success, candidate


def _bi_rows(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select agency_id, indicator_id, numerator, denominator from bi.ind_766__agency_month order by 1, 2"
    ).fetchall()


def test_good_build_is_published_with_docs_and_reader_role(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    ok, candidate = _build_and_publish(conn, warehouse_url)
    assert ok
    assert len(_bi_rows(conn)) == 4
    assert conn.execute("select obj_description('bi.dim_agency'::regclass)").fetchone()[0] == "Agencies"
    status = conn.execute(
        "select status from ops.publications where publication_id = %s", (candidate.publication_id,)
    ).fetchone()[0]
    assert status == "published"
    # the read-only role sees bi and nothing else
    conn.execute("set role dtimon_bi_reader")
    try:
        assert conn.execute("select count(*) from bi.dim_agency").fetchone()[0] == 2
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from marts.dim_agency")
    finally:
        conn.execute("reset role")


@pytest.mark.parametrize(
    ("corruption", "expected"),
    [
        ("update marts.ind_766__agency_month set numerator = 11 where numerator = 9", "column_pair"),
        ("update marts.ind_766__agency_month set rate = 1.5 where rate = 0.9", "rate"),
        ("update marts.ind_766__agency_month set indicator_id = 'XX-9' where numerator = 9", "indicator_id"),
        (
            "insert into marts.ind_766__agency_month values "
            "('2025-09-01', '000.00.01.H57', '766-2.1', 1, 1, 1, 0.95, true)",
            "compound_columns",
        ),
        ("update marts.ind_766__agency_month set agency_id = null where numerator = 6", "not_be_null"),
        ("delete from marts.ind_766__agency_month", "row_count"),
    ],
)
def test_corrupted_build_is_refused_and_bi_unchanged(
    conn: psycopg.Connection, warehouse_url: str, corruption: str, expected: str
) -> None:
    ok, _ = _build_and_publish(conn, warehouse_url)
    assert ok
    before = _bi_rows(conn)
    conn.execute(corruption)

    ok, candidate = _build_and_publish(conn, warehouse_url)

    assert not ok
    assert _bi_rows(conn) == before
    stored = conn.execute(
        "select success, failed_critical, results::text from ops.gate_results where publication_id = %s",
        (candidate.publication_id,),
    ).fetchone()
    assert stored[0] is False and stored[1] >= 1
    assert expected in stored[2]
    assert (
        conn.execute(
            "select status from ops.publications where publication_id = %s", (candidate.publication_id,)
        ).fetchone()[0]
        == "rejected"
    )
    with pytest.raises(pub.PublishRefused):
        pub.publish(conn, candidate.publication_id)


def test_publish_without_gate_result_is_refused(conn: psycopg.Connection) -> None:
    candidate = pub.stage_candidate(conn)
    with pytest.raises(pub.PublishRefused, match="no passing gate result"):
        pub.publish(conn, candidate.publication_id)
    assert (
        conn.execute("select count(*) from information_schema.views where table_schema = 'bi'").fetchone()[0]
        == 0
    )


def test_rollback_restores_previous_publication(conn: psycopg.Connection, warehouse_url: str) -> None:
    _build_and_publish(conn, warehouse_url)
    first = _bi_rows(conn)
    conn.execute("delete from marts.ind_766__agency_month where agency_id = '000.00.02.H57'")
    ok, _ = _build_and_publish(conn, warehouse_url)
    assert ok and len(_bi_rows(conn)) == 2
    pub.rollback(conn)
    assert _bi_rows(conn) == first


def test_undeclared_indicator_mart_fails_the_gate(conn: psycopg.Connection, warehouse_url: str) -> None:
    conn.execute("create table marts.ind_new__agency_month as table marts.ind_766__agency_month")
    candidate = pub.stage_candidate(conn)
    with pytest.raises(RuntimeError, match="ind_new__agency_month"):
        validate(warehouse_url, candidate.publication_id, candidate.schema, list(candidate.relations))
