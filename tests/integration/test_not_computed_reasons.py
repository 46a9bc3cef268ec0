"""The catalogue says why an indicator is not computed: a measure or a known reason, never both nor neither.

The seeds are loaded as they are and dbt's own tests on them (dbt_project/seeds/_seeds.yml) run;
then one row is broken each way and the same tests refuse it.
"""

from __future__ import annotations

import psycopg
import pytest

from infra.dbt import DbtFailed, run_dbt

SEEDS = "indicator_catalogue not_computed_reasons frameworks"
#: the seeds' own tests only (cautious: a test of a model reading them is not selected)
TESTS = ["test", "--select", SEEDS, "--indirect-selection", "cautious"]


@pytest.fixture(scope="module")
def seeded(module_warehouse_url: str) -> str:
    run_dbt(["seed", "--select", SEEDS], module_warehouse_url)
    return module_warehouse_url


def test_every_seed_row_has_a_measure_or_a_known_reason(seeded: str) -> None:
    run_dbt(TESTS, seeded)
    with psycopg.connect(seeded) as conn:
        unexplained = conn.execute(
            "select count(*) from reference.indicator_catalogue as c"
            " left join reference.not_computed_reasons as r on r.reason = c.not_computed_because"
            " where c.measure is null and r.reason is null"
        ).fetchone()[0]
    assert unexplained == 0


@pytest.mark.parametrize(
    ("assignment", "rows", "failing"),
    [
        ("not_computed_because = 'entered'", "measure is not null", "expression_is_true"),  # both
        ("not_computed_because = null", "measure is null", "expression_is_true"),  # neither
        ("not_computed_because = 'no_such_reason'", "measure is null", "relationships"),  # unknown
    ],
)
def test_a_row_breaking_the_rule_fails_the_seed_tests(
    seeded: str, assignment: str, rows: str, failing: str
) -> None:
    with psycopg.connect(seeded, autocommit=True) as conn:
        conn.execute("create table reference.catalogue_kept as select * from reference.indicator_catalogue")
        try:
            conn.execute(
                f"update reference.indicator_catalogue set {assignment} where indicator_id ="  # noqa: S608
                f" (select min(indicator_id) from reference.indicator_catalogue where {rows})"
            )
            with pytest.raises(DbtFailed, match=failing):
                run_dbt(TESTS, seeded)
        finally:
            conn.execute("truncate reference.indicator_catalogue")
            conn.execute("insert into reference.indicator_catalogue select * from reference.catalogue_kept")
            conn.execute("drop table reference.catalogue_kept")
