"""The gate's expectation suites, as code.

Each published relation has a suite. Keys and non-null columns come from the dbt models' YAML
(`expectations.dbt_keys`), never from a list kept here. The indicator table `ind_values` (every
period kind) has the indicator contract plus its key; a candidate holding an `ind_*` table whose
YAML declares no grain fails the gate, so a new indicator mart cannot reach BI unchecked. Which
indicators may appear, and the range each value must lie in, come from the indicator catalogue
copied into the candidate (its rows with a `measure` are the computed indicators): a row of an
indicator the catalogue does not compute, or whose unit, verdict, points or value disagree with
the catalogue, is refused. An `aggregate` indicator (a median, a mean per procedure, points) may
have NULL figures and has the rows its measure gives: no 0 / 0 agency rows, no province sum.

The data-quality mart (`dq_source_month`) is checked against the thresholds of the seed
`dq_thresholds.csv` (the one place they are declared, also read by dbt): a source entity-month
whose reject share or unknown-member share is above `refuse_above` fails the gate with a message
naming the source, entity, month and share; a non-zero share at or below it is a warning.

Severity follows GX: CRITICAL blocks publishing, WARNING is reported only.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import great_expectations.expectations as gxe
from great_expectations.expectations.metadata_types import FailureSeverity

from expectations.dbt_keys import DeclaredRelation, declared_relations

CRITICAL = FailureSeverity.CRITICAL
WARNING = FailureSeverity.WARNING

#: The data-quality mart; its shares are checked against DQ_THRESHOLDS_FILE.
DQ_RELATION = "dq_source_month"
#: The dbt seed declaring the data-quality thresholds (dbt reads it too; see its `reason` column).
DQ_THRESHOLDS_FILE = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "dq_thresholds.csv"
#: What each share of the data-quality mart counts, for the gate's messages.
DQ_SHARES: dict[str, str] = {
    "reject_share": "of records rejected by the loader",
    "unknown_share": "of dossiers under an unknown agency or procedure",
}

#: What a value of each catalogue unit may be (SQL over the row; true = malformed). `{max_points}`
#: is the catalogue's maximum (NULL when it sets none).
MALFORMED_BY_UNIT: dict[str, str] = {
    "ratio": "value < 0 or value > 1 or target < 0 or target > 1",
    "count": "value < 0 or value <> trunc(value) or target < 0",
    "duration": "value < 0 or target < 0",
    "seconds": "value < 0 or target < 0",
    "limit_share": "value < 0 or target < 0",
    "points": "value < 0 or value > {max_points} or target < 0",
}
#: What an additive indicator's figures must also satisfy by unit (an aggregate indicator's
#: numerator and denominator are whatever its measure gives, possibly NULL).
ADDITIVE_MALFORMED_BY_UNIT: dict[str, str] = {
    "ratio": "numerator is null or denominator is null or numerator > denominator",
    "duration": "numerator is null or denominator is null or denominator < 0",
    "seconds": "numerator is null or denominator is null or denominator < 0",
    "limit_share": "numerator is null or denominator is null or denominator < 0",
    "count": "numerator is null",
    "points": "numerator is null",
}
#: The comparison `met` follows for each catalogue direction.
MET_BY_DIRECTION: dict[str, str] = {
    "higher_is_better": "value >= target",
    "lower_is_better": "value <= target",
}


#: The agency dimension (in the candidate): every agency valid during a period an additive
#: indicator publishes per agency has its row for that period (ACTIVE_UNIT_MISSING).
AGENCIES = "dim_agency"
ACTIVE_UNIT_MISSING = "active_unit_missing"
LOCAL_TZ = "Asia/Ho_Chi_Minh"

#: The long indicator table (every period kind, level, scope and view) the contract below checks.
LONG_INDICATOR_TABLE = "ind_values"
#: The columns that place a value in time and in the unit hierarchy, besides indicator and unit.
PERIOD_COLUMNS = ("period_kind", "period_start", "scope", "view")
#: How long a period of each kind lasts (PostgreSQL has no interval '1 quarter').
PERIOD_LENGTH = {"month": "1 month", "quarter": "3 months", "year": "1 year"}


#: Names (query comments) of the checks comparing a candidate with the live publication; a build
#: refused by no other critical check (ACCEPTABLE_FAILURES) may be published on an operator's word
#: (--accept-moves).
MOVE_FAILURE = "indicator_moved_beyond_fail_move"
MOVE_WARNING = "indicator_moved_beyond_warn_move"
DISAPPEARED = "published_value_disappeared"
ACCEPTABLE_FAILURES = (MOVE_FAILURE, DISAPPEARED)


def move(unit: str, live: Decimal, candidate: Decimal) -> Decimal | None:
    """How far a value moved, in the unit of the catalogue's warn_move / fail_move: percentage
    points for a ratio, a share of the live value otherwise (None from a live value of 0)."""
    if unit == "ratio":
        return 100 * abs(candidate - live)
    return abs(candidate - live) / abs(live) if live else None


#: The same rule in SQL over a candidate row `candidate_value`, the live row `live_value` and the
#: candidate's catalogue row `catalogue` (NULL when a value is NULL or the live value is 0).
MOVE_SQL = (
    "case when catalogue.unit = 'ratio' then 100 * abs(candidate_value.value - live_value.value)"
    " else abs(candidate_value.value - live_value.value) / nullif(abs(live_value.value), 0) end"
)


@dataclass(frozen=True)
class LiveBaseline:
    """What a candidate's indicator values are compared with: the live publication."""

    live_schema: str  # the schema bi reads
    candidate_schema: str  # whose catalogue gives warn_move and fail_move
    judged: tuple[str, ...]  # indicators whose method hash equals the live publication's


@dataclass(frozen=True)
class SuiteSpec:
    relation: str
    expectations: Sequence[gxe.Expectation]
    #: the relation's key: what results show of a failing row (see gate.result_format)
    key: Sequence[str] = ()
    #: the relation's schema when it is not the candidate's (the raw checks run over ops)
    schema: str | None = None


@dataclass(frozen=True)
class Indicator:
    """A computed indicator as the catalogue declares it."""

    indicator_id: str
    unit: str
    direction: str
    max_points: Decimal | None = None
    #: its value does not add up: the measure gives each level's value (and any figures)
    aggregate: bool = False
    #: entered by the department (catalogue reason `entered`): published as entered, no province
    #: sum and no row for every agency is expected
    entered: bool = False


@dataclass(frozen=True)
class QualityShare:
    """One non-zero share of a source entity-month in the data-quality mart."""

    source_name: str
    entity_name: str
    period_month: date
    measure: str
    share: Decimal


def dq_refuse_thresholds(path: Path = DQ_THRESHOLDS_FILE) -> dict[str, Decimal]:
    """measure → the share above which the gate refuses a build (the seed's `refuse_above`)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["measure"]: Decimal(row["refuse_above"]) for row in csv.DictReader(handle)}


class UndeclaredRelation(RuntimeError):
    """An indicator mart exists in the candidate but its YAML declares no grain."""


def _declared_expectations(declared: DeclaredRelation) -> list[gxe.Expectation]:
    """What the YAML declares: the key is unique and, with the other non-null columns, never NULL;
    a column with accepted values holds no other."""
    key = declared.key
    checks: list[gxe.Expectation] = [
        gxe.ExpectColumnValuesToNotBeNull(column=column, severity=CRITICAL)
        for column in dict.fromkeys([*key, *declared.not_null])
    ]
    if len(key) == 1:
        checks.append(gxe.ExpectColumnValuesToBeUnique(column=key[0], severity=CRITICAL))
    else:
        checks.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(key), severity=CRITICAL))
    checks += [
        gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values), severity=CRITICAL)
        for column, values in declared.accepted
    ]
    return checks


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _no_rows(
    description: str, where: str, severity: FailureSeverity = CRITICAL
) -> gxe.UnexpectedRowsExpectation:
    """Refuses the candidate (or warns, by `severity`) when a row of the relation satisfies `where`.
    The check's name (the description up to its colon) also opens the query, so the stored gate
    result names it."""
    name = description.split(":", 1)[0]
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=f"select /* {name} */ * from {{batch}} where {where}",
        description=description,
        severity=severity,
    )


def _indicator_expectations(indicator: Indicator) -> list[gxe.Expectation]:
    """The rows of one indicator carry the catalogue's unit and a value in range (an additive one
    also whole figures), `met` follows the catalogue's direction and points stay within its maximum."""
    max_points = "null" if indicator.max_points is None else str(indicator.max_points)
    malformed = MALFORMED_BY_UNIT.get(indicator.unit, "true").format(max_points=max_points)
    if not indicator.aggregate:
        malformed += " or " + ADDITIVE_MALFORMED_BY_UNIT.get(indicator.unit, "true")
    met = MET_BY_DIRECTION.get(indicator.direction, "not met")  # an unknown direction: every verdict refused
    row = f"indicator_id = {sql_literal(indicator.indicator_id)}"
    kind = "aggregate" if indicator.aggregate else "additive"
    return [
        _no_rows(
            f"indicator_row_malformed: {indicator.indicator_id} ({indicator.unit}, {kind})",
            f"{row} and (value_unit is distinct from {sql_literal(indicator.unit)} or {malformed})",
        ),
        _no_rows(
            f"met_inconsistent: {indicator.indicator_id} ({indicator.direction}): met is NULL exactly when"
            " value or target is NULL, else it follows the direction",
            f"{row} and ((met is null) <> (value is null or target is null) or met <> ({met}))",
        ),
        _no_rows(
            f"points_out_of_range: {indicator.indicator_id}: points lie in 0..{max_points} (catalogue max_points)",
            f"{row} and (points < 0 or points > {max_points} or (points is not null and {max_points} is null))",
        ),
    ]


def _qualified(schema: str, relation: str) -> str:
    return '"' + schema.replace('"', '""') + '"."' + relation.replace('"', '""') + '"'


def move_expectations(relation: str, grain: Sequence[str], baseline: LiveBaseline) -> list[gxe.Expectation]:
    """A value of a period (of any kind) complete in the live publication that moved beyond the
    catalogue's fail_move refuses the build, beyond warn_move warns; a (unit, period) value the live
    publication has and the candidate lost refuses it. Only indicators whose method (measure,
    catalogue row, dbt lineage: publishing.method) is unchanged (`judged`) are compared: a change
    of method moves or removes values on purpose."""
    if not baseline.judged:
        return []
    live = _qualified(baseline.live_schema, relation)
    catalogue = _qualified(baseline.candidate_schema, "indicator_catalogue")
    judged = ", ".join(sql_literal(i) for i in baseline.judged)
    same_key = " and ".join(f"candidate_value.{c} = live_value.{c}" for c in grain)

    def moved(name: str, limit: str, severity: FailureSeverity) -> gxe.UnexpectedRowsExpectation:
        return gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=(
                f"select /* {name} */ candidate_value.* from {{batch}} as candidate_value"
                f" inner join {live} as live_value on {same_key}"
                f" inner join {catalogue} as catalogue on catalogue.indicator_id = candidate_value.indicator_id"
                f" where live_value.status = 'complete' and candidate_value.indicator_id in ({judged})"
                f" and {MOVE_SQL} > catalogue.{limit}"
            ),
            description=(
                f"{name}: a value of a period complete in the live publication moved beyond the catalogue's"
                f" {limit} (points for a ratio, a share of the value otherwise)"
            ),
            severity=severity,
        )

    return [
        moved(MOVE_FAILURE, "fail_move", CRITICAL),
        moved(MOVE_WARNING, "warn_move", WARNING),
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=(
                f"select /* {DISAPPEARED} */ live_value.* from {live} as live_value"
                f" left join {{batch}} as candidate_value on {same_key}"
                f" where candidate_value.indicator_id is null and live_value.indicator_id in ({judged})"
            ),
            description=f"{DISAPPEARED}: every unit and period the live publication shows is still there",
            severity=CRITICAL,
        ),
    ]


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(sql_literal(v) for v in values) if values else "null"


def active_units_expectation(agencies: str, additive: Sequence[str]) -> gxe.UnexpectedRowsExpectation:
    """Every agency of `agencies` (the candidate's dim_agency, schema-qualified) with a version
    valid during a period has a row in every (additive indicator, period) published per agency:
    an agency without dossiers gets 0 / 0 (its value NULL), never no row (a silent hole). An
    aggregate indicator has the rows its measure gives."""
    period_start = f"(agency_periods.period_start::timestamp at time zone '{LOCAL_TZ}')"
    length = " ".join(f"when '{kind}' then interval '{span}'" for kind, span in PERIOD_LENGTH.items())
    period_end = (
        f"((agency_periods.period_start + case agency_periods.period_kind {length} end)::timestamp"
        f" at time zone '{LOCAL_TZ}')"
    )
    period = ("indicator_id", *PERIOD_COLUMNS)
    same_period = " and ".join(f"agency_row.{c} = agency_periods.{c}" for c in period)
    return gxe.UnexpectedRowsExpectation(
        # GX leaves the aliases to a query with a join: {batch} is then the bare subquery.
        unexpected_rows_query=(
            f"select /* {ACTIVE_UNIT_MISSING} */ agency_periods.indicator_id, agency_periods.period_kind,"
            " agency_periods.period_start, agencies.agency_id"
            f" from (select distinct {', '.join(period)} from {{batch}}"
            f" where level = 'agency' and indicator_id in ({_sql_list(additive)})) as agency_periods"
            f" inner join {agencies} as agencies"
            f" on agencies.valid_from < {period_end}"
            f" and (agencies.active_until is null or agencies.active_until > {period_start})"
            " left join {batch} as agency_row"
            f" on agency_row.level = 'agency' and agency_row.unit_id = agencies.agency_id and {same_period}"
            " where agency_row.indicator_id is null"
        ),
        description=(
            f"{ACTIVE_UNIT_MISSING}: every agency valid during a period has a row (0 / 0 without dossiers)"
            " in each period an additive indicator publishes per agency"
        ),
        severity=CRITICAL,
    )


def province_row_expectation(additive: Sequence[str]) -> gxe.UnexpectedRowsExpectation:
    """Every agency row of an additive indicator has its province (the sum) in the same period."""
    same_period = " and ".join(
        f"province_row.{c} = agency_row.{c}" for c in ("indicator_id", *PERIOD_COLUMNS)
    )
    return gxe.UnexpectedRowsExpectation(
        # GX leaves the aliases to a query with a join: {batch} is then the bare subquery.
        unexpected_rows_query=(
            "select /* province_row_missing */ agency_row.* from {batch} as agency_row"
            f" left join {{batch}} as province_row on province_row.level = 'province' and {same_period}"
            f" where agency_row.level = 'agency' and agency_row.indicator_id in ({_sql_list(additive)})"
            " and province_row.indicator_id is null"
        ),
        description="province_row_missing: every agency row of an additive indicator has its province beside it",
        severity=CRITICAL,
    )


def indicator_suite(
    relation: str,
    declared: DeclaredRelation,
    computed: Sequence[Indicator],
    baseline: LiveBaseline | None = None,
    agencies: str | None = None,
) -> SuiteSpec:
    """The contract the indicator table satisfies in every period kind, with the checks of each
    computed indicator and, given the live publication, the checks of moves against it; given the
    agency dimension (`agencies`, schema-qualified), the check that no agency valid in a period
    lacks its row."""
    additive = [i.indicator_id for i in computed if not i.aggregate and not i.entered]
    grain = declared.key
    return SuiteSpec(
        relation,
        [
            gxe.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
            *_declared_expectations(declared),  # period kinds, levels, scopes, views, statuses
            gxe.ExpectColumnValuesToBeBetween(column="numerator", min_value=0, severity=CRITICAL),
            gxe.ExpectColumnValuesToBeInSet(
                column="indicator_id", value_set=[i.indicator_id for i in computed], severity=CRITICAL
            ),
            *(check for indicator in computed for check in _indicator_expectations(indicator)),
            province_row_expectation(additive),
            # Values are NULL only on a zero denominator; many NULLs hint at a broken join.
            gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(
                column="value", min_value=0.5, severity=WARNING
            ),
            *(move_expectations(relation, grain, baseline) if baseline is not None else ()),
            *((active_units_expectation(agencies, additive),) if agencies is not None else ()),
        ],
        tuple(grain),
    )


def keyed_suite(relation: str, declared: DeclaredRelation) -> SuiteSpec:
    """The YAML's key, non-null and accepted-values checks; an empty relation fails unless
    declared `may_be_empty`."""
    return SuiteSpec(
        relation,
        [
            *(
                ()
                if declared.may_be_empty
                else (gxe.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),)
            ),
            *_declared_expectations(declared),
        ],
        declared.key,
    )


def _percent(share: Decimal) -> str:
    return f"{100 * share:.1f} %"


def quality_suite(
    relation: str,
    shares: Sequence[QualityShare],
    refuse_above: dict[str, Decimal],
    declared: DeclaredRelation,
) -> SuiteSpec:
    """Key checks, then per share kind one catch-all refusal above its threshold, and one check
    per non-zero share of a source entity-month naming it (refused above the threshold, else a
    warning), so the gate's message says which source, entity, month and share."""
    checks: list[gxe.Expectation] = _declared_expectations(declared)
    for measure, limit in sorted(refuse_above.items()):
        checks.append(
            _no_rows(
                f"{measure}_above_threshold: a share {DQ_SHARES.get(measure, measure)} above {_percent(limit)}",
                f"{measure} > {limit}",
            )
        )
    for share in shares:
        limit = refuse_above.get(share.measure)
        refused = limit is not None and share.share > limit
        verdict = "refused above" if refused else "at most"
        name = f"{share.measure}_{'too_high' if refused else 'not_zero'}"
        checks.append(
            _no_rows(
                f"{name}: {share.source_name} {share.entity_name} {share.period_month:%Y-%m}:"
                f" {_percent(share.share)} {DQ_SHARES.get(share.measure, share.measure)}"
                f" ({verdict} {_percent(limit) if limit is not None else 'no threshold'})",
                f"source_name = {sql_literal(share.source_name)} and entity_name = {sql_literal(share.entity_name)}"
                f" and period_month = {sql_literal(share.period_month.isoformat())}"
                f" and {share.measure} > {limit if refused else 0}",
                CRITICAL if refused else WARNING,
            )
        )
    return SuiteSpec(relation, checks, declared.key)


def suites_for(
    relations: Sequence[str],
    computed: Callable[[], Sequence[Indicator]],
    quality: Callable[[], Sequence[QualityShare]] = tuple,
    declared: Mapping[str, DeclaredRelation] | None = None,
    baseline: LiveBaseline | None = None,
    schema: str | None = None,
) -> list[SuiteSpec]:
    """The suites to run over a candidate holding `relations`; `computed` reads the catalogue,
    `quality` the non-zero shares of the data-quality mart, `declared` what the dbt YAML says
    of each relation (read from dbt_project when not given), `baseline` the live publication
    the indicator values are compared with (none before the first publication), `schema` the
    candidate's (its agency dimension is what every agency row is checked against)."""
    declared = declared_relations() if declared is None else declared
    specs: list[SuiteSpec] = []
    undeclared = [r for r in relations if r.startswith("ind_") and not (r in declared and declared[r].key)]
    if undeclared:
        raise UndeclaredRelation(
            f"indicator marts whose dbt YAML declares no grain (unique_combination_of_columns): {', '.join(undeclared)}"
        )
    indicators = list(computed())
    agencies = _qualified(schema, AGENCIES) if schema is not None and AGENCIES in relations else None
    for relation in relations:
        found = declared.get(relation)
        if found is None or not found.key:
            continue  # a relation the gate makes itself (restatements, publication history)
        if relation == LONG_INDICATOR_TABLE:
            specs.append(indicator_suite(relation, found, indicators, baseline, agencies))
        elif relation == DQ_RELATION:
            specs.append(quality_suite(relation, list(quality()), dq_refuse_thresholds(), found))
        else:
            specs.append(keyed_suite(relation, found))
    return specs
