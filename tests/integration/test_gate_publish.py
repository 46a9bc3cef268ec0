"""The gate decides, publish obeys: a corrupted candidate never reaches `bi`.

Runs real Great Expectations against real PostgreSQL over small marts written here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import psycopg
import pytest

from expectations.gate import validate
from publishing import publish as pub
from publishing import scorecard

MARTS_DDL = """
create schema marts;
create schema reference;
create table reference.indicator_catalogue (
    indicator_id text, framework text, name_vi text, name_en text, unit text, direction text,
    full_score_at numeric, max_points numeric, sources text, measure text
);
insert into reference.indicator_catalogue values
    ('766-2.1', '766', 'Đúng hạn', 'On time', 'ratio', 'higher_is_better', 1.00, 20, 'onestop', 'measure__766_2_1'),
    ('766-3.3', '766', 'Trực tuyến', 'Online', 'ratio', 'higher_is_better', 0.50, null, 'onestop', 'measure__766_3_3'),
    ('766-2.2', '766', 'Thời gian', 'Time', 'duration', 'lower_is_better', null, null, 'onestop', 'measure__766_2_2'),
    ('766-9.9', '766', 'Chưa tính', 'Not computed', 'ratio', 'higher_is_better', null, null, null, null);
create table reference.indicator_targets (indicator_id text, year_from int, target numeric);
create table marts.dim_agency (agency_id text, valid_from timestamptz, agency_name text);
comment on table marts.dim_agency is 'Agencies';
comment on column marts.dim_agency.agency_name is 'Tên cơ quan';
insert into marts.dim_agency values
    ('000.00.01.H57', '2025-09-01', 'Sở Tư pháp'), ('000.00.02.H57', '2025-09-01', 'Sở Nội vụ');
create table marts.ind_values__unit_month (
    indicator_id text, framework text, period_month date, unit_level text, unit_id text, unit_name text,
    numerator numeric, denominator numeric, value numeric, measure_unit text, direction text,
    target numeric, target_confirmed boolean, met boolean, full_score_at numeric, max_points numeric,
    points numeric, period_status text, period_as_of timestamptz
);
insert into marts.ind_values__unit_month values
    ('766-2.1', '766', '2025-09-01', 'agency', '000.00.01.H57', 'Sở Tư pháp', 9, 10, 0.9, 'ratio',
     'higher_is_better', 0.95, false, false, 1.00, 20, 18, 'complete', '2025-10-01 00:00+07'),
    ('766-2.1', '766', '2025-09-01', 'agency', '000.00.02.H57', 'Sở Nội vụ', 4, 4, 1.0, 'ratio',
     'higher_is_better', 0.95, false, true, 1.00, 20, 20, 'complete', '2025-10-01 00:00+07'),
    ('766-2.1', '766', '2025-09-01', 'province', '000.00.00.H57', 'UBND', 13, 14, 0.9286, 'ratio',
     'higher_is_better', 0.95, false, false, 1.00, 20, 18.57, 'complete', '2025-10-01 00:00+07'),
    ('766-3.3', '766', '2025-09-01', 'agency', '000.00.01.H57', 'Sở Tư pháp', 6, 10, 0.6, 'ratio',
     'higher_is_better', 0.50, true, true, 0.50, null, null, 'complete', '2025-10-01 00:00+07'),
    ('766-3.3', '766', '2025-09-01', 'agency', '000.00.02.H57', 'Sở Nội vụ', 0, 0, null, 'ratio',
     'higher_is_better', 0.50, true, null, 0.50, null, null, 'complete', '2025-10-01 00:00+07'),
    ('766-3.3', '766', '2025-09-01', 'province', '000.00.00.H57', 'UBND', 6, 10, 0.6, 'ratio',
     'higher_is_better', 0.50, true, true, 0.50, null, null, 'complete', '2025-10-01 00:00+07'),
    ('766-2.2', '766', '2025-09-01', 'agency', '000.00.01.H57', 'Sở Tư pháp', 30, 10, 3.0, 'duration',
     'lower_is_better', 5, false, true, null, null, null, 'complete', '2025-10-01 00:00+07'),
    ('766-2.2', '766', '2025-09-01', 'agency', '000.00.02.H57', 'Sở Nội vụ', 0, 0, null, 'duration',
     'lower_is_better', 5, false, null, null, null, null, 'complete', '2025-10-01 00:00+07'),
    ('766-2.2', '766', '2025-09-01', 'province', '000.00.00.H57', 'UBND', 30, 10, 3.0, 'duration',
     'lower_is_better', 5, false, true, null, null, null, 'complete', '2025-10-01 00:00+07');
"""
IND = "marts.ind_values__unit_month"
A1 = "unit_id = '000.00.01.H57'"


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
        "select unit_id, indicator_id, numerator, denominator from bi.ind_values__unit_month order by 1, 2"
    ).fetchall()


def test_good_build_is_published_with_docs_and_reader_role(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    ok, candidate = _build_and_publish(conn, warehouse_url)
    assert ok
    assert len(_bi_rows(conn)) == 9
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
        (
            f"update {IND} set numerator = 11 where {A1} and indicator_id = '766-2.1'",
            "indicator_row_malformed",
        ),
        (f"update {IND} set value = 1.5 where {A1} and indicator_id = '766-2.1'", "indicator_row_malformed"),
        # a duration may exceed 1 (not a ratio) but never be negative
        (f"update {IND} set value = -1 where {A1} and indicator_id = '766-2.2'", "indicator_row_malformed"),
        # the row's unit or direction disagrees with the catalogue
        (
            f"update {IND} set measure_unit = 'count' where indicator_id = '766-2.1'",
            "indicator_row_malformed",
        ),
        (
            f"update {IND} set direction = 'higher_is_better' where indicator_id = '766-2.2'",
            "indicator_row_malformed",
        ),
        # an indicator the catalogue does not declare, or declares without computing it
        (f"update {IND} set indicator_id = 'XX-9' where indicator_id = '766-3.3'", "indicator_id"),
        (f"update {IND} set indicator_id = '766-9.9' where indicator_id = '766-3.3'", "indicator_id"),
        # 3.0 days against a target of 5, lower is better: met, not "not met"
        (f"update {IND} set met = false where {A1} and indicator_id = '766-2.2'", "met_inconsistent"),
        (f"update {IND} set points = 25 where {A1} and indicator_id = '766-2.1'", "points_out_of_range"),
        (
            f"delete from {IND} where unit_level = 'province' and indicator_id = '766-3.3'",
            "province_row_missing",
        ),
        (f"update {IND} set period_status = 'final' where {A1}", "period_status"),
        (
            f"insert into {IND} select * from {IND} where {A1} and indicator_id = '766-2.1'",
            "compound_columns",
        ),
        (f"update {IND} set unit_id = null where {A1} and indicator_id = '766-3.3'", "not_be_null"),
        (f"delete from {IND}", "row_count"),
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
    conn.execute("delete from marts.ind_values__unit_month where unit_id = '000.00.02.H57'")
    ok, _ = _build_and_publish(conn, warehouse_url)
    assert ok and len(_bi_rows(conn)) == 6
    pub.rollback(conn)
    assert _bi_rows(conn) == first


def _times(conn: psycopg.Connection) -> dict[int, tuple]:
    rows = conn.execute(
        "select publication_id, status, published_at, live_since, pruned_at, note from ops.publications"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_rollback_keeps_published_at_and_records_its_own_time(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    _, first = _build_and_publish(conn, warehouse_url)
    _, second = _build_and_publish(conn, warehouse_url)
    before = _times(conn)
    pub.rollback(conn)
    after = _times(conn)
    assert after[first.publication_id][0] == "published"
    assert after[first.publication_id][1] == before[first.publication_id][1]  # first published, unchanged
    assert after[first.publication_id][2] > before[second.publication_id][2]  # live again since now
    assert after[second.publication_id][:2] == ("rolled_back", before[second.publication_id][1])


def test_pruning_is_noted_once_and_a_pruned_copy_is_refused_in_one_line(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    ids = [
        _build_and_publish(conn, warehouse_url)[1].publication_id for _ in range(pub.KEEP_PUBLICATIONS + 3)
    ]
    times = _times(conn)
    pruned = [i for i in ids if times[i][3] is not None]
    assert pruned == ids[:2]  # the live one and the five before it are kept
    assert all(times[i][4] == "copy pruned" for i in pruned)
    with pytest.raises(pub.PublishRefused, match=f"publication {ids[0]} cannot be restored") as refused:
        pub.rollback(conn, ids[0])
    assert "\n" not in str(refused.value) and f"restorable: {ids[2]}" in str(refused.value)
    assert _times(conn)[ids[-1]][0] == "published"  # bi left as it was


def test_a_gate_that_raises_leaves_no_candidate(
    conn: psycopg.Connection, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra import tasks

    _build_and_publish(conn, warehouse_url)
    live = _bi_rows(conn)
    candidate = pub.stage_candidate(conn, run_id="test")

    def broken(*args: object) -> None:
        raise ConnectionResetError("the server closed the connection unexpectedly")

    monkeypatch.setattr("expectations.gate.validate", broken)
    with pytest.raises(ConnectionResetError):
        tasks.gate({"publication_id": candidate.publication_id, "schema": candidate.schema,
                    "relations": list(candidate.relations)}, "test", url=warehouse_url)  # fmt: skip
    status, note = conn.execute(
        "select status, note from ops.publications where publication_id = %s", (candidate.publication_id,)
    ).fetchone()
    assert status == "rejected" and "the gate could not run: ConnectionResetError" in note
    assert conn.execute("select to_regnamespace(%s)", (candidate.schema,)).fetchone()[0] is None
    assert _bi_rows(conn) == live


def test_undeclared_indicator_mart_fails_the_gate(conn: psycopg.Connection, warehouse_url: str) -> None:
    conn.execute("create table marts.ind_new__agency_month as table marts.ind_values__unit_month")
    candidate = pub.stage_candidate(conn)
    with pytest.raises(RuntimeError, match="ind_new__agency_month"):
        validate(warehouse_url, candidate.publication_id, candidate.schema, list(candidate.relations))


def test_scorecard_reads_the_published_values_and_the_catalogue(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    ok, _ = _build_and_publish(conn, warehouse_url)
    assert ok
    rows = scorecard.fetch(conn, date(2025, 9, 1), date(2025, 10, 1))
    assert [(r.unit_level, r.unit_id) for r in rows] == [
        ("province", "000.00.00.H57"),
        ("agency", "000.00.01.H57"),
        ("agency", "000.00.02.H57"),
    ]
    agency = rows[1]
    assert list(agency.cells) == ["766-2.1", "766-2.2", "766-3.3"]  # computed ones only, not 766-9.9
    assert agency.cells["766-2.2"].indicator == scorecard.Indicator(
        "766-2.2", "Thời gian", "Time", "duration"
    )
    assert agency.received == 10
    text = scorecard.render(rows, "en")
    block = next(b for b in text.split("\n\n") if b.startswith("766-2.2  Time"))
    assert "Target: " in block and "5.0 days*" in block
    assert any(
        line.split()[-4:] == ["days", "30/10", "met", "—"] and "3.0" in line for line in block.splitlines()
    )
