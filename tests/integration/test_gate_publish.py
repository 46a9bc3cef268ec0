"""The gate decides, publish obeys: a corrupted candidate never reaches `bi`.

Runs real Great Expectations against real PostgreSQL over small marts written here.
"""

from __future__ import annotations

import stat
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import psycopg
import pytest
from gate_fixtures import MARTS_DDL
from psycopg import sql

from core.warehouse_url import PgUrl
from expectations import data_docs
from expectations.gate import validate
from publishing import publish as pub
from publishing import scorecard

IND = "marts.ind_values"
A1 = "unit_id = '000.00.01.H57'"


@pytest.fixture
def conn(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        connection.execute(MARTS_DDL)
        yield connection


def _build_and_publish(
    conn: psycopg.Connection, url: str, home: Path | None = None
) -> tuple[bool, pub.Candidate]:
    candidate = pub.stage_candidate(conn, run_id="test")
    result = validate(
        url, candidate.publication_id, candidate.schema, list(candidate.relations), "test", home=home
    )
    if result.success:
        pub.publish(conn, candidate.publication_id)
    else:
        pub.reject(conn, candidate.publication_id, result.summary())
    return result.success, candidate


def _bi_rows(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select period_kind, period_start, unit_id, indicator_id, numerator, denominator from bi.ind_values"
        " order by 1, 2, 3, 4"
    ).fetchall()


def test_good_build_is_published_with_docs_and_reader_role(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    ok, candidate = _build_and_publish(conn, warehouse_url)
    assert ok
    assert len(_bi_rows(conn)) == 13  # the aggregate's NULL figures and its lone province row pass
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
        # the row's unit disagrees with the catalogue
        (
            f"update {IND} set value_unit = 'count' where indicator_id = '766-2.1'",
            "indicator_row_malformed",
        ),
        # an aggregate indicator's figures may be NULL, its value still lies in its unit's range
        (f"update {IND} set value = -2.5 where indicator_id = '766-2.9'", "indicator_row_malformed"),
        # an indicator the catalogue does not declare, or declares without computing it
        (f"update {IND} set indicator_id = 'XX-9' where indicator_id = '766-3.3'", "indicator_id"),
        (f"update {IND} set indicator_id = '766-9.9' where indicator_id = '766-3.3'", "indicator_id"),
        # 3.0 days against a target of 5, lower is better: met, not "not met"
        (f"update {IND} set met = false where {A1} and indicator_id = '766-2.2'", "met_inconsistent"),
        (f"update {IND} set points = 25 where {A1} and indicator_id = '766-2.1'", "points_out_of_range"),
        (
            f"delete from {IND} where level = 'province' and indicator_id = '766-3.3' and period_kind = 'month'",
            "province_row_missing",
        ),
        # every period kind is judged: the quarter's province and an agency valid in the quarter
        (f"delete from {IND} where level = 'province' and period_kind = 'quarter'", "province_row_missing"),
        (
            f"delete from {IND} where period_kind = 'quarter' and unit_id = '000.00.02.H57'",
            "active_unit_missing",
        ),
        (f"update {IND} set status = 'final' where {A1}", '"column": "status"'),
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
    # a late dossier: 766-2.2 of agency 01 and the province move by 10 % (below warn_move)
    conn.execute(
        f"update {IND} set numerator = 33, value = 3.3"
        " where indicator_id = '766-2.2' and unit_id in ('000.00.01.H57', '000.00.00.H57')"
    )
    ok, _ = _build_and_publish(conn, warehouse_url)
    assert ok and _bi_rows(conn) != first
    pub.rollback(conn)
    assert _bi_rows(conn) == first


def test_rollback_to_a_copy_older_than_what_bi_shows_is_refused(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    """A copy built before an upgrade added a column (or a table) would break today's readers."""
    _, first = _build_and_publish(conn, warehouse_url)
    _build_and_publish(conn, warehouse_url)
    live = _bi_rows(conn)
    conn.execute(sql.SQL("alter table {}.ind_values drop column points").format(sql.Identifier(first.schema)))
    with pytest.raises(
        pub.PublishRefused, match=rf"publication {first.publication_id} .* \(ind_values\.points\)"
    ):
        pub.rollback(conn)
    assert _bi_rows(conn) == live


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

    def broken(*args: object, **kwargs: object) -> None:
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
    conn.execute("create table marts.ind_new__agency_month as table marts.ind_values")
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
    # these hand-made marts have no ind_framework_totals (as a publication made before it): no totals
    assert scorecard.fetch_totals(conn, date(2025, 9, 1), date(2025, 10, 1)) == []


def test_gate_keeps_offline_data_docs_without_secrets_or_values(
    conn: psycopg.Connection, warehouse_url: str, tmp_path: Path
) -> None:
    """With a home, each run's suites and results are kept in <home>/gx with its Data Docs: pages
    loading nothing from outside, owner-only files, the URL and password absent, and a failing
    row shown by its key, never by its value."""
    role, password = f"gx_{uuid.uuid4().hex[:8]}", "Pw-" + uuid.uuid4().hex
    conn.execute(sql.SQL("create role {} login superuser password {}").format(sql.Identifier(role), password))
    try:
        url = PgUrl.parse(warehouse_url)
        with_password = replace(url, user=role, password=password, host=url.host or "127.0.0.1").render()
        conn.execute(
            f"update {IND} set status = 'VALUE-NOT-SHOWN'"
            f" where {A1} and indicator_id = '766-3.3' and period_kind = 'month'"
        )
        candidate = pub.stage_candidate(conn, run_id="docs")
        result = validate(
            with_password,
            candidate.publication_id,
            candidate.schema,
            list(candidate.relations),
            "docs",
            home=tmp_path,
        )
    finally:
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))
    assert not result.success and "status" in " ".join(result.failed_critical)
    # a second run in the same project replaces the suites and keeps both runs' results
    conn.execute(f"update {IND} set status = 'complete'")
    assert _build_and_publish(conn, warehouse_url, tmp_path)[0]

    project = data_docs.project_dir(tmp_path)
    site = data_docs.site_dir(tmp_path)
    pages = sorted(site.rglob("*.html"))
    assert (site / "index.html") in pages
    # a validation result page and a suite page per relation
    for relation in ("dim_agency", "indicator_catalogue", "ind_values"):
        runs = {
            page.parts[-3]
            for page in pages
            if f"gate__{relation}" in str(page) and "validations" in page.parts
        }
        assert runs == {f"{candidate.schema}__docs", "pub_000002__test"}, relation
        assert (site / "expectations" / f"gate__{relation}.html").is_file(), relation
    files = [path for path in project.rglob("*") if path.is_file()]
    texts = {path: path.read_bytes() for path in files}
    for secret in (password, with_password, PgUrl.parse(with_password).sqlalchemy(), "VALUE-NOT-SHOWN"):
        assert not [path for path, data in texts.items() if secret.encode() in data], secret
    assert b"${DTIMON_WAREHOUSE_URL}" in (project / "great_expectations.yml").read_bytes()
    assert stat.S_IMODE(project.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}
    assert {stat.S_IMODE(path.stat().st_mode) for path in project.rglob("*") if path.is_dir()} == {0o700}
    # the page counts the failing row; the stored results name it by its key
    page = next(p for p in pages if "gate__ind_values" in str(p) and "validations" in p.parts)
    assert "1 unexpected values found" in page.read_text(encoding="utf-8")
    assert [path for path, data in texts.items() if path.suffix == ".json" and b"000.00.01.H57" in data]
    stored = conn.execute(
        "select results::text from ops.gate_results where publication_id = %s", (candidate.publication_id,)
    ).fetchone()[0]
    assert "VALUE-NOT-SHOWN" not in stored and "000.00.01.H57" in stored
    for page in pages:  # every page offline: rewriting it again finds nothing left to rewrite
        depth = len(page.relative_to(site).parts) - 1
        html = page.read_text(encoding="utf-8")
        assert data_docs.rewrite_page(html, "../" * depth, site) == html
        assert "https://" not in html
