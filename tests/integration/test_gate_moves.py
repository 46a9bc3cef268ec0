"""The gate compares a build's indicator values with the live publication's (issue 17): a value
of a complete month moving beyond the catalogue's fail_move refuses the build and leaves bi as
it was, beyond warn_move it is published with a warning; an indicator whose measure or catalogue
row changed is not judged; `publish(..., accepted_moves_by=...)` (dtimon publish --accept-moves)
publishes a build refused only for moves and records who accepted them.

Real Great Expectations on real PostgreSQL, over the small marts of the gate fixtures (766-3.3
and 766-2.1 are ratios with warn_move 10 and fail_move 20 points).
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from gate_fixtures import MARTS_DDL

from expectations.gate import GateResult, validate
from publishing import publish as pub
from publishing.publish import PublishRefused

IND = "marts.ind_values"


@pytest.fixture
def conn(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        connection.execute(MARTS_DDL)
        yield connection


def _gate(conn: psycopg.Connection, url: str) -> tuple[GateResult, int]:
    """Stage, gate and publish or reject, as infra.tasks.gate does."""
    candidate = pub.stage_candidate(conn, run_id="test")
    result = validate(url, candidate.publication_id, candidate.schema, list(candidate.relations), "test")
    assert not any("could not run" in text for text in result.failed_critical + result.failed_warning)
    if result.success:
        pub.publish(conn, candidate.publication_id)
    else:
        pub.reject(conn, candidate.publication_id, result.summary(), keep_copy=result.refused_for_moves_only)
    return result, candidate.publication_id


def _online(conn: psycopg.Connection, numerator: int) -> None:
    """766-3.3 of agency 01 and of the province in September: `numerator` of 10 dossiers online."""
    conn.execute(
        f"update {IND} set numerator = %s, value = %s / 10.0, met = %s / 10.0 >= target"
        " where indicator_id = '766-3.3' and unit_id in ('000.00.01.H57', '000.00.00.H57')"
        " and period_kind = 'month'",
        (numerator, numerator, numerator),
    )


def _bi_online(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select unit_id, numerator from bi.ind_values"
        " where indicator_id = '766-3.3' and period_kind = 'month' order by 1"
    ).fetchall()


def test_a_move_beyond_fail_move_is_refused_then_published_on_an_operators_word(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    first, _ = _gate(conn, warehouse_url)
    assert first.success
    before = _bi_online(conn)
    _online(conn, 3)  # 6/10 -> 3/10: 30 points
    result, build = _gate(conn, warehouse_url)
    assert not result.success and result.refused_for_moves_only
    assert any("indicator_moved_beyond_fail_move" in text for text in result.failed_critical)
    assert _bi_online(conn) == before
    status, accepted = conn.execute(
        "select status, accepted_moves_by from ops.publications where publication_id = %s", (build,)
    ).fetchone()
    assert (status, accepted) == ("rejected", None)
    with pytest.raises(PublishRefused, match="is rejected"):  # not without the operator's word
        pub.publish(conn, build)
    pub.publish(conn, build, accepted_moves_by="operator")
    assert dict(_bi_online(conn))["000.00.01.H57"] == 3
    status, accepted = conn.execute(
        "select status, accepted_moves_by from ops.publications where publication_id = %s", (build,)
    ).fetchone()
    assert status == "published" and accepted.startswith("operator at ")


def test_a_move_beyond_warn_move_is_published_with_a_warning(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    assert _gate(conn, warehouse_url)[0].success
    _online(conn, 4)  # 6/10 -> 4/10: 20 points, beyond warn_move 10, not beyond fail_move 20
    result, build = _gate(conn, warehouse_url)
    assert result.success
    assert any("indicator_moved_beyond_warn_move" in text for text in result.failed_warning)
    assert dict(_bi_online(conn))["000.00.01.H57"] == 4
    with pytest.raises(PublishRefused, match="expected one of"):  # nothing left to accept
        pub.publish(conn, build, accepted_moves_by="operator")


def test_a_changed_measure_is_not_judged_as_a_move(conn: psycopg.Connection, warehouse_url: str) -> None:
    assert _gate(conn, warehouse_url)[0].success
    _online(conn, 1)  # 50 points, but the catalogue row of 766-3.3 changed with it
    conn.execute(
        "update reference.indicator_catalogue set name_en = 'Online (new rule)' where indicator_id = '766-3.3'"
    )
    result, _ = _gate(conn, warehouse_url)
    assert result.success, result.summary()
    assert not any("moved" in text for text in result.failed_warning)
    assert dict(_bi_online(conn))["000.00.01.H57"] == 1


def test_a_published_unit_that_disappears_fails(conn: psycopg.Connection, warehouse_url: str) -> None:
    assert _gate(conn, warehouse_url)[0].success
    before = _bi_online(conn)
    conn.execute(f"delete from {IND} where unit_id = '000.00.02.H57'")
    result, _ = _gate(conn, warehouse_url)
    assert not result.success and not result.refused_for_moves_only
    assert any("published_value_disappeared" in text for text in result.failed_critical)
    assert _bi_online(conn) == before


def test_an_agency_without_its_row_in_a_published_month_fails(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    """A hole the live publication cannot show (the first build): an agency of the dimension,
    valid in September, has no row for one indicator's September."""
    conn.execute(f"delete from {IND} where unit_id = '000.00.02.H57' and indicator_id = '766-2.2'")
    result, _ = _gate(conn, warehouse_url)
    assert not result.success
    missing = [text for text in result.failed_critical if "active_unit_missing" in text]
    assert len(missing) == 1 and missing[0].endswith("(1 unexpected)")
    assert conn.execute("select to_regclass('bi.ind_values')").fetchone()[0] is None


def test_an_agency_closed_before_the_month_needs_no_row(conn: psycopg.Connection, warehouse_url: str) -> None:
    conn.execute(
        "update marts.dim_agency set valid_to = '2025-08-15', active_until = '2025-08-15', is_current = false"
        " where agency_id = '000.00.02.H57'"
    )
    # it was valid in the quarter (until 15 August): its quarter rows stay
    conn.execute(f"delete from {IND} where unit_id = '000.00.02.H57' and period_kind = 'month'")
    conn.execute(
        f"update {IND} set numerator = 9, denominator = 10, value = 0.9, points = 18"
        " where level = 'province' and indicator_id = '766-2.1'"
    )
    result, _ = _gate(conn, warehouse_url)
    assert not any("active_unit_missing" in text for text in result.failed_critical), result.summary()
