"""The gate's expectation suites, as code.

Each published relation has a suite. Indicator marts (`ind_*`) share one contract — the
columns every indicator model carries — plus the key of their grain, declared here. A
candidate holding an `ind_*` table with no declared grain fails the gate, so a new
indicator mart cannot reach BI unchecked.

Severity follows GX: CRITICAL blocks publishing, WARNING is reported only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import great_expectations.expectations as gxe
from great_expectations.expectations.metadata_types import FailureSeverity

CRITICAL = FailureSeverity.CRITICAL
WARNING = FailureSeverity.WARNING

#: Grain (unique key) of every indicator mart.
INDICATOR_GRAINS: dict[str, tuple[str, ...]] = {
    "ind_766__agency_month": ("agency_id", "period_month", "indicator_id"),
}

#: Keys of the other published relations.
RELATION_KEYS: dict[str, tuple[str, ...]] = {
    "dim_agency": ("agency_id", "valid_from"),
    "dim_procedure": ("procedure_id", "valid_from"),
    "fct_dossier": ("dossier_id",),
    "indicator_catalogue": ("indicator_id",),
}


@dataclass(frozen=True)
class SuiteSpec:
    relation: str
    expectations: Sequence[gxe.Expectation]


class UndeclaredRelation(RuntimeError):
    """An indicator mart exists in the candidate but has no declared grain."""


def _key_expectations(key: Sequence[str]) -> list[gxe.Expectation]:
    checks: list[gxe.Expectation] = [
        gxe.ExpectColumnValuesToNotBeNull(column=column, severity=CRITICAL) for column in key
    ]
    if len(key) == 1:
        checks.append(gxe.ExpectColumnValuesToBeUnique(column=key[0], severity=CRITICAL))
    else:
        checks.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(key), severity=CRITICAL))
    return checks


def indicator_suite(relation: str, grain: Sequence[str], known_ids: Sequence[str]) -> SuiteSpec:
    """The contract every indicator mart satisfies."""
    return SuiteSpec(
        relation,
        [
            gxe.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
            *_key_expectations(grain),
            gxe.ExpectColumnValuesToNotBeNull(column="numerator", severity=CRITICAL),
            gxe.ExpectColumnValuesToNotBeNull(column="denominator", severity=CRITICAL),
            gxe.ExpectColumnValuesToBeBetween(column="numerator", min_value=0, severity=CRITICAL),
            gxe.ExpectColumnValuesToBeBetween(column="rate", min_value=0, max_value=1, severity=CRITICAL),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="denominator", column_B="numerator", or_equal=True, severity=CRITICAL
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="indicator_id", value_set=list(known_ids), severity=CRITICAL
            ),
            gxe.ExpectColumnValuesToBeBetween(column="target", min_value=0, max_value=1, severity=CRITICAL),
            # Rates are NULL only on a zero denominator; many NULLs hint at a broken join.
            gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(
                column="rate", min_value=0.5, severity=WARNING
            ),
        ],
    )


def keyed_suite(relation: str, key: Sequence[str]) -> SuiteSpec:
    return SuiteSpec(
        relation,
        [gxe.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL), *_key_expectations(key)],
    )


def suites_for(relations: Sequence[str], known_ids: Callable[[], Sequence[str]]) -> list[SuiteSpec]:
    """The suites to run over a candidate holding `relations`."""
    specs: list[SuiteSpec] = []
    undeclared = [r for r in relations if r.startswith("ind_") and r not in INDICATOR_GRAINS]
    if undeclared:
        raise UndeclaredRelation(
            f"indicator marts without a declared grain in expectations/suites.py: {', '.join(undeclared)}"
        )
    ids = list(known_ids())
    for relation in relations:
        if relation in INDICATOR_GRAINS:
            specs.append(indicator_suite(relation, INDICATOR_GRAINS[relation], ids))
        elif relation in RELATION_KEYS:
            specs.append(keyed_suite(relation, RELATION_KEYS[relation]))
    return specs
