"""The gate's indicator checks come from the catalogue: one per computed indicator, a range for
every unit the catalogue allows, and an undeclared indicator mart refused."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from expectations.suites import (
    ADDITIVE_MALFORMED_BY_UNIT,
    CRITICAL,
    MALFORMED_BY_UNIT,
    WARNING,
    Indicator,
    UndeclaredRelation,
    suites_for,
)

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"


def test_every_catalogue_unit_has_a_range_check() -> None:
    with (SEEDS / "indicator_catalogue.csv").open(encoding="utf-8", newline="") as f:
        units = {row["unit"] for row in csv.DictReader(f)}
    assert units <= set(MALFORMED_BY_UNIT) == set(ADDITIVE_MALFORMED_BY_UNIT)
    # the seed's accepted values are the same
    listed = f"values: {list(MALFORMED_BY_UNIT)!r}"
    assert listed in (SEEDS / "_seeds.yml").read_text()


def test_one_check_per_computed_indicator_with_its_unit_and_direction() -> None:
    computed = [
        Indicator("766-2.1", "ratio", "higher_is_better"),
        Indicator("766-2.2", "duration", "lower_is_better"),
    ]
    (spec,) = suites_for(["ind_values"], lambda: computed)
    queries = [e.unexpected_rows_query for e in spec.expectations if hasattr(e, "unexpected_rows_query")]
    per_indicator = [q for q in queries if "indicator_row_malformed" in q]
    assert len(per_indicator) == 2
    duration = next(q for q in per_indicator if "'766-2.2'" in q)
    assert "'duration'" in duration and "denominator is null" in duration
    verdict = next(q for q in queries if "met_inconsistent" in q and "'766-2.2'" in q)
    assert "value <= target" in verdict  # lower is better
    assert "value > 1" not in duration  # a duration is not bounded by 1; a ratio is
    assert "value > 1" in next(q for q in per_indicator if "'766-2.1'" in q)
    value_sets = [
        e.value_set
        for e in spec.expectations
        if getattr(e, "value_set", None) is not None and e.column == "indicator_id"
    ]
    assert value_sets == [["766-2.1", "766-2.2"]]


def test_an_undeclared_indicator_mart_is_refused() -> None:
    with pytest.raises(UndeclaredRelation, match="ind_766__quarter"):
        suites_for(["ind_values", "ind_766__quarter"], lambda: [])


def test_quality_thresholds_come_from_the_seed_and_name_each_share() -> None:
    from datetime import date
    from decimal import Decimal

    from expectations.suites import CRITICAL, WARNING, QualityShare, dq_refuse_thresholds

    assert dq_refuse_thresholds() == {"reject_share": Decimal("0.05"), "unknown_share": Decimal("0.05")}
    shares = [
        QualityShare("onestop", "dossiers", date(2025, 9, 1), "reject_share", Decimal("0.2")),
        QualityShare("onestop", "progress", date(2025, 9, 1), "reject_share", Decimal("0.05")),
    ]
    (spec,) = suites_for(["dq_source_month"], lambda: [], lambda: shares)
    named = {e.description: e.severity for e in spec.expectations if "onestop" in (e.description or "")}
    assert named == {
        "reject_share_too_high: onestop dossiers 2025-09: 20.0 % of records rejected by the loader"
        " (refused above 5.0 %)": CRITICAL,
        "reject_share_not_zero: onestop progress 2025-09: 5.0 % of records rejected by the loader"
        " (at most 5.0 %)": WARNING,
    }


def test_keys_non_null_columns_and_accepted_values_come_from_the_dbt_yaml(tmp_path: Path) -> None:
    from expectations.dbt_keys import declared_relations

    (tmp_path / "_marts.yml").write_text(
        """
models:
  - name: fct_thing
    columns:
      - name: thing_id
        data_tests: [unique, not_null]
      - name: agency_id
        data_tests:
          - not_null:
              config:
                severity: warn
      - name: status_code
        data_tests:
          - not_null
          - accepted_values:
              arguments:
                values: ['open', 'closed']
      - name: channel
        data_tests:
          - accepted_values:
              arguments:
                values: ['1', '2']
              config:
                where: "channel <> ''"
  - name: ind_new__unit_week
    data_tests:
      - unique_combination_of_columns:
          arguments:
            combination_of_columns: [indicator_id, unit_id, period_week]
  - name: ind_undeclared__unit_day
""",
        encoding="utf-8",
    )
    declared = declared_relations([tmp_path])
    assert (declared["fct_thing"].key, declared["fct_thing"].not_null) == (
        ("thing_id",),
        ("thing_id", "status_code"),
    )
    (thing, indicator) = suites_for(["fct_thing", "ind_new__unit_week"], lambda: [], declared=declared)
    assert thing.key == ("thing_id",) and indicator.key == ("indicator_id", "unit_id", "period_week")
    null_checks = {
        e.column for e in thing.expectations if type(e).__name__ == "ExpectColumnValuesToNotBeNull"
    }
    assert null_checks == {"thing_id", "status_code"}  # agency_id warns in dbt: not a gate failure
    in_set = {
        e.column: e.value_set for e in thing.expectations if type(e).__name__ == "ExpectColumnValuesToBeInSet"
    }
    assert in_set == {"status_code": ["open", "closed"]}  # channel's test covers some rows only
    with pytest.raises(UndeclaredRelation, match="ind_undeclared__unit_day"):
        suites_for(["ind_undeclared__unit_day"], lambda: [], declared=declared)


def test_every_published_mart_has_a_suite_keyed_as_its_yaml_says() -> None:
    from expectations.dbt_keys import declared_relations

    declared = declared_relations()
    marts = [name for name in declared if name.startswith(("dim_", "fct_", "ind_"))]
    specs = suites_for(marts, lambda: [], declared=declared)
    assert {spec.relation: spec.key for spec in specs} == {name: declared[name].key for name in marts}


@pytest.mark.parametrize(
    ("unit", "live", "candidate", "expected"),
    [
        # issue 17: 766-3.3 published 28/141 where the truth was 60/141: 22.7 points
        ("ratio", "0.425531914893617", "0.198581560283688", "22.6950354609929"),
        ("ratio", "0.9", "0.75", "15.00"),  # 15 points: above warn_move 10, below fail_move 20
        ("duration", "3.0", "4.0", "0.3333333333333333333333333333"),  # a third of the value
        ("duration", "3.0", "6.5", "1.166666666666666666666666667"),
        ("count", "0", "5", None),  # a share of nothing: not judged
    ],
)
def test_a_move_is_in_points_for_a_ratio_and_relative_otherwise(
    unit: str, live: str, candidate: str, expected: str | None
) -> None:
    from decimal import Decimal

    from expectations.suites import move

    found = move(unit, Decimal(live), Decimal(candidate))
    assert found == (None if expected is None else Decimal(expected))


def test_moves_are_judged_only_for_unchanged_measures_against_the_live_publication() -> None:
    from expectations.suites import MOVE_FAILURE, MOVE_WARNING, LiveBaseline

    computed = [
        Indicator("766-2.1", "ratio", "higher_is_better"),
        Indicator("766-3.3", "ratio", "higher_is_better"),
    ]
    baseline = LiveBaseline("pub_000001", "pub_000002", ("766-2.1",))  # 766-3.3's measure changed
    (spec,) = suites_for(["ind_values"], lambda: computed, baseline=baseline)
    queries = {
        q.split("*/")[0]: (q, e.severity)
        for e in spec.expectations
        if (q := getattr(e, "unexpected_rows_query", None))
    }
    failure, severity = next(v for k, v in queries.items() if MOVE_FAILURE in k)
    assert severity == CRITICAL and "in ('766-2.1')" in failure and "766-3.3" not in failure
    assert '"pub_000001"."ind_values"' in failure and "catalogue.fail_move" in failure
    assert "live_value.status = 'complete'" in failure
    assert next(v for k, v in queries.items() if MOVE_WARNING in k)[1] == WARNING
    assert any("published_value_disappeared" in k for k in queries)
    # before the first publication, or with every measure changed: nothing to compare
    (first,) = suites_for(["ind_values"], lambda: computed)
    assert not any(MOVE_FAILURE in str(getattr(e, "unexpected_rows_query", "")) for e in first.expectations)


def test_an_aggregate_indicator_may_lack_figures_zero_rows_and_a_province_sum() -> None:
    computed = [
        Indicator("X-A", "ratio", "higher_is_better"),
        Indicator("X-M", "duration", "lower_is_better", aggregate=True),
        Indicator("X-P", "points", "higher_is_better", max_points=Decimal("10"), aggregate=True),
    ]
    (spec,) = suites_for(["ind_values"], lambda: computed)
    queries = [q for e in spec.expectations if (q := getattr(e, "unexpected_rows_query", None))]

    def malformed(indicator: str) -> str:
        return next(q for q in queries if "indicator_row_malformed" in q and f"'{indicator}'" in q)

    assert "denominator is null" in malformed("X-A")
    assert "denominator is null" not in malformed("X-M")
    assert "value > 10" in malformed("X-P")
    province = next(q for q in queries if "province_row_missing" in q)
    assert "in ('X-A')" in province  # an aggregate indicator's province row is its measure's
    for column in ("period_kind", "period_start", "scope", "view"):
        assert f"province_row.{column} = agency_row.{column}" in province


def test_the_labelled_levels_scopes_and_views_are_those_ind_values_declares() -> None:
    """The YAML's accepted values are the code list; Metabase and the report only label them."""
    from expectations.dbt_keys import declared_relations
    from publishing.metabase import definitions
    from publishing.report.render import UNIT_LEVELS

    accepted = dict(declared_relations()["ind_values"].accepted)
    units = set(accepted["level"]) - {"agency"}  # agencies are picked by name, not by level
    assert {code for code, _ in definitions.LEVELS} == units == set(UNIT_LEVELS)
    assert {code for code, _ in definitions.SCOPES} == set(accepted["scope"])
    assert {code for code, _ in definitions.VIEWS} == set(accepted["view"])
