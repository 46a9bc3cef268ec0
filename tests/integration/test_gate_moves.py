"""The gate compares a build's indicator values with the live publication's (issue 17): a value
of a complete month moving beyond the catalogue's fail_move refuses the build and leaves bi as
it was, beyond warn_move it is published with a warning, a published value that disappears
refuses it; an indicator whose method changed (its measure, catalogue row or dbt lineage:
publishing.method) is not judged, and the publication says so; `publish(..., accepted_moves_by=...)`
(dtimon publish --accept-moves) publishes a build refused only for moves or disappearances and
records who accepted them.

Real Great Expectations on real PostgreSQL, over the small marts of the gate fixtures (766-3.3
and 766-2.1 are ratios with warn_move 10 and fail_move 20 points); the lineage comes from real
dbt manifests of the project and of a copy with an edited intermediate model.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import psycopg
import pytest
from gate_fixtures import MARTS_DDL

from expectations.gate import GateResult, validate
from infra.dbt import DBT_PROJECT_DIR, dbt_environment, dbt_executable
from publishing import publish as pub
from publishing.publish import PublishRefused

IND = "marts.ind_values"
#: The intermediate model the copy of the dbt project edits, and how (one more line of SQL).
EDITED_MODEL = Path("models") / "intermediate" / "int_agency_units.sql"
EDIT = "\n    and agency_versions.agency_id not like '%.H99'\n"


@pytest.fixture
def conn(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        connection.execute(MARTS_DDL)
        yield connection


def _parsed_manifest(project: Path) -> dict[str, Any]:
    """The manifest `dbt parse` writes for the dbt project at `project` (parsing connects nowhere)."""
    env = dbt_environment("postgresql://dtimon@localhost/dtimon") | {
        "DBT_PROJECT_DIR": str(project),
        "DBT_PROFILES_DIR": str(project),
        "DBT_TARGET_PATH": str(project / "target"),
        "DBT_LOG_PATH": str(project / "logs"),
    }
    subprocess.run([str(dbt_executable()), "parse"], cwd=project, env=env, check=True, capture_output=True)
    return dict(json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """dbt's manifests of a copy of the project, before and after an edit of EDITED_MODEL."""
    project = tmp_path_factory.mktemp("dbt") / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    before = _parsed_manifest(project)
    model = project / EDITED_MODEL
    model.write_text(model.read_text(encoding="utf-8").rstrip("\n") + EDIT, encoding="utf-8")
    return before, _parsed_manifest(project)


def _gate(
    conn: psycopg.Connection, url: str, manifest: Mapping[str, Any] | None = None
) -> tuple[GateResult, int]:
    """Stage (with dbt's `manifest`), gate and publish or reject, as infra.tasks does."""
    candidate = pub.stage_candidate(conn, run_id="test", manifest=manifest)
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


def _close_agency_02(conn: psycopg.Connection) -> None:
    """Agency 02 closed on 15 August (its unit merged): its September rows go, as ind_values
    drops them, and the province's 766-2.1 is its one remaining agency's."""
    conn.execute(
        "update marts.dim_agency set valid_to = '2025-08-15', active_until = '2025-08-15', is_current = false"
        " where agency_id = '000.00.02.H57'"
    )
    conn.execute(f"delete from {IND} where unit_id = '000.00.02.H57' and period_kind = 'month'")
    conn.execute(
        f"update {IND} set numerator = 9, denominator = 10, value = 0.9, points = 18"
        " where level = 'province' and indicator_id = '766-2.1'"
    )


def test_a_disappearance_is_refused_then_published_on_an_operators_word(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    assert _gate(conn, warehouse_url)[0].success
    before = _bi_online(conn)
    _close_agency_02(conn)  # the method is the same: its values just vanished
    result, build = _gate(conn, warehouse_url)
    assert not result.success and result.refused_for_moves_only, result.summary()
    assert [text for text in result.failed_critical if "published_value_disappeared" not in text] == []
    assert _bi_online(conn) == before
    pub.publish(conn, build, accepted_moves_by="operator")
    assert "000.00.02.H57" not in dict(_bi_online(conn))
    accepted = conn.execute(
        "select accepted_moves_by from ops.publications where publication_id = %s", (build,)
    ).fetchone()[0]
    assert accepted.startswith("operator at ")
    # bi's history tells the gate refused it and the operator accepted, without naming them
    assert conn.execute(
        "select gate_passed, gate_failed_critical, moves_accepted, method_changed from bi.publication_history"
        " where is_this_publication"
    ).fetchone() == (False, len(result.failed_critical), True, "")
    removed = conn.execute(
        "select count(*) filter (where change = 'removed'), bool_or(method_changed) from bi.restatements"
    ).fetchone()
    assert removed[0] > 0 and removed[1] is False


def test_a_change_of_method_upstream_publishes_what_moved_and_says_so(
    conn: psycopg.Connection, warehouse_url: str, manifests: tuple[dict, dict]
) -> None:
    before, after = manifests
    assert _gate(conn, warehouse_url, before)[0].success
    _close_agency_02(conn)
    _online(conn, 1)  # 766-3.3: 6/10 -> 1/10, 50 points
    refused, _ = _gate(conn, warehouse_url, before)  # the same method: judged, refused
    assert not refused.success and refused.refused_for_moves_only
    result, build = _gate(conn, warehouse_url, after)  # an intermediate model changed: not judged
    assert result.success, result.summary()
    assert not any("moved" in text for text in result.failed_warning)
    assert dict(_bi_online(conn))["000.00.01.H57"] == 1
    computed = [
        indicator
        for (indicator,) in conn.execute(
            "select indicator_id from bi.indicator_catalogue where measure is not null order by 1"
        ).fetchall()
    ]
    assert (
        conn.execute(
            "select method_changed from ops.publications where publication_id = %s", (build,)
        ).fetchone()[0]
        == computed
    )
    assert conn.execute(
        "select method_changed, moves_accepted from bi.publication_history where is_this_publication"
    ).fetchone() == (", ".join(computed), False)
    restated = conn.execute(
        "select change, bool_and(method_changed) from bi.restatements where publication_id = %s group by 1 order by 1",
        (build,),
    ).fetchall()
    assert restated == [("changed", True), ("removed", True)]
