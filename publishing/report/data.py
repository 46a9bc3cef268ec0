"""What the report reads: the live publication's `bi` views, read as one consistent state.

A report is of one period kind (month, quarter or year: ind_values' period_kind). Indicator figures
are that kind's rows of `bi.ind_values` at every level, scope and view, with the catalogue's
direction and Decision 766 scoring beside them; each unit's framework total and band are that
kind's rows of `bi.ind_framework_totals` (computed there, never here); the agencies' tiers come
from `bi.dim_agency`, the procedures with the most late dossiers per agency from
`bi.ind_766_2_1_late_dossiers`, when they are published; why an indicator is not computed from the
catalogue's `not_computed_because` and its names from `bi.not_computed_reasons`.

The views are locked in ACCESS SHARE mode first, in one statement, so a publish cannot
re-point them while the report reads (publish takes them all at once and retries), and the
publication row read afterwards is the one the views show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from core.vietnamese import sort_key
from publishing.report.bands import Band, load_seed
from publishing.report.frameworks import Framework, read_published
from publishing.report.labels import BilingualName
from publishing.report.periods import MONTHS_IN, PERIOD_KINDS, check_kind, period_id

VALUES = "ind_values"
#: The rows that make a period published (over alias `v`): the units as they were, everything they handled.
MAIN_ROWS = "v.period_kind = %s and v.scope = 'area' and v.view = 'historical'"
CATALOGUE = "indicator_catalogue"
RESTATEMENTS = "restatements"
BANDS = "rating_bands"
TOTALS = "ind_framework_totals"
AGENCIES = "dim_agency"
ADMIN_UNITS = "dim_admin_unit"
LATE = "ind_766_2_1_late_dossiers"
REASONS = "not_computed_reasons"
#: How many periods (the period and those before it) the trend charts cover, per kind.
TREND_PERIODS = {"month": 12, "quarter": 8, "year": 5}
#: How many procedures per agency the late-dossiers section lists (those with the most).
LATE_TOP = 3


class NothingPublished(RuntimeError):
    """There is no live publication with indicator values to report on."""


@dataclass(frozen=True)
class Indicator(BilingualName):
    indicator_id: str
    framework: str
    code: str
    name_vi: str
    name_en: str
    unit: str
    level: str
    direction: str
    full_score_at: Decimal | None
    max_points: Decimal | None
    confirmed: bool
    note: str | None
    not_computed_because: str | None = None  # a code of bi.not_computed_reasons; None: computed


@dataclass(frozen=True)
class Reason(BilingualName):
    """Why a catalogue indicator is not computed (a row of bi.not_computed_reasons)."""

    reason: str
    name_vi: str
    name_en: str
    display_order: int


@dataclass(frozen=True)
class Value:
    """A month row of ind_values, with its indicator's direction and scoring from the catalogue."""

    indicator_id: str
    framework: str
    period_start: date
    level: str  # agency | commune | district | province
    scope: str  # area | tier
    view: str  # historical | current
    unit_id: str
    unit_name: str | None
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    value_unit: str
    direction: str | None
    target: Decimal | None
    target_confirmed: bool | None
    met: bool | None
    full_score_at: Decimal | None
    max_points: Decimal | None
    points: Decimal | None
    status: str
    period_as_of: datetime | None
    origin: str = "computed"  # computed | entered (by the department, in a submission file)


#: Where each field of Value comes from: the catalogue (alias `c`) or ind_values (`v`).
_FROM_CATALOGUE = ("direction", "full_score_at", "max_points")


@dataclass(frozen=True)
class Total:
    """A month row of ind_framework_totals: a unit's points earned out of those measured, and its
    band (None below the framework's min_measured_points)."""

    framework: str
    level: str
    unit_id: str
    earned: Decimal
    measured: Decimal
    scale: Decimal
    min_measured_points: Decimal
    score: Decimal | None
    is_rated: bool
    band: str | None
    status: str


@dataclass(frozen=True)
class Restatement:
    publication_id: int
    previous_publication_id: int | None
    indicator_id: str
    period_kind: str
    period_start: date
    level: str
    scope: str
    view: str
    unit_id: str
    change: str
    old_value: Decimal | None
    new_value: Decimal | None
    old_numerator: Decimal | None
    new_numerator: Decimal | None
    old_denominator: Decimal | None
    new_denominator: Decimal | None
    method_changed: bool  # recomputed by a new rule, not restated by new data
    recorded_at: datetime


@dataclass(frozen=True)
class LateProcedure:
    """One of an agency's procedures with the most late dossiers in the period (766-2.1's verdict)."""

    agency_id: str
    agency_name: str | None
    agency_late: int  # the agency's late dossiers, every procedure
    procedure_id: str | None
    procedure_name: str | None
    late: int
    still_open: int  # late and not yet settled at the period's as_of
    max_working_days_over: Decimal | None


@dataclass(frozen=True)
class Publication:
    publication_id: int
    schema_name: str
    published_at: datetime


@dataclass(frozen=True)
class Snapshot:
    """Everything one report shows, as published."""

    publication: Publication
    period: date
    catalogue: list[Indicator]
    values: list[Value]  # the period and the TREND_PERIODS[kind] - 1 periods of its kind before it
    restatements: list[Restatement]  # those of the period's values
    bands: list[Band]
    months_published: list[date]  # every month with values, ascending
    frameworks: list[Framework]  # names and display order (bi.frameworks)
    agency_levels: dict[str, str] = field(default_factory=dict)  # agency id → dim_agency.agency_level
    #: today's commune → the communes of the period it took over (code, name): the crosswalk
    predecessors: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: the period's framework totals of the units as they were (area, historical)
    totals: list[Total] = field(default_factory=list)
    period_kind: str = "month"  # the kind of `period` and of `months_published`
    #: every period with values, per kind, ascending (the pages that exist beside this one)
    periods_published: dict[str, list[date]] = field(default_factory=dict)
    #: per agency, its procedures with the most late dossiers (None: the relation is not published)
    late: list[LateProcedure] | None = None
    #: the reasons an indicator is not computed, in display order
    reasons: list[Reason] = field(default_factory=list)


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute("select to_regclass(%s)", (f"bi.{relation}",)).fetchone()[0] is not None


def _columns(cls: type) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(name) for name in cls.__dataclass_fields__)


def _present(conn: psycopg.Connection, relation: str) -> set[str]:
    return {
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'bi' and table_name = %s",
            (relation,),
        ).fetchall()
    }


def _catalogue_columns(conn: psycopg.Connection) -> sql.Composable:
    """Indicator's columns; a publication made before the catalogue had a reason reads none."""
    present = _present(conn, CATALOGUE)
    return sql.SQL(", ").join(
        sql.Identifier(name) if name in present else sql.SQL("null as {}").format(sql.Identifier(name))
        for name in Indicator.__dataclass_fields__
    )


def _value_columns(conn: psycopg.Connection) -> sql.Composable:
    """Value's columns over ind_values (`v`) and the catalogue (`c`); a publication made before
    values had an origin reads them all as computed."""
    present = _present(conn, VALUES)
    return sql.SQL(", ").join(
        sql.Identifier("c", name)
        if name in _FROM_CATALOGUE
        else sql.Identifier("v", name)
        if name in present
        else sql.SQL("'computed' as {}").format(sql.Identifier(name))
        for name in Value.__dataclass_fields__
    )


def published_periods(conn: psycopg.Connection, kind: str = "month") -> list[date]:
    """Every period of `kind` the live publication has indicator values for, ascending."""
    check_kind(kind)
    if not _exists(conn, VALUES):
        return []
    return [
        start
        for (start,) in conn.execute(
            sql.SQL("select distinct v.period_start from {} as v where {} order by 1").format(
                sql.Identifier("bi", VALUES), sql.SQL(MAIN_ROWS)
            ),
            (kind,),
        ).fetchall()
    ]


def _late_procedures(conn: psycopg.Connection, kind: str, period: date) -> list[LateProcedure]:
    """Per agency (most late first), its LATE_TOP procedures with the most late dossiers."""
    with conn.cursor(row_factory=class_row(LateProcedure)) as cur:
        return cur.execute(
            sql.SQL(
                """
                with by_procedure as (
                    select agency_id, max(agency_name) as agency_name, procedure_id,
                           max(procedure_name) as procedure_name, count(*) as late,
                           count(*) filter (where is_open) as still_open,
                           max(working_days_over) as max_working_days_over
                    from {} where period_kind = %s and period_start = %s
                    group by agency_id, procedure_id
                ),
                ranked as (
                    select *, sum(late) over (partition by agency_id)::integer as agency_late,
                           row_number() over (
                               partition by agency_id order by late desc, procedure_id
                           ) as place
                    from by_procedure
                )
                select {} from ranked where place <= %s
                order by agency_late desc, agency_id, place
                """
            ).format(sql.Identifier("bi", LATE), _columns(LateProcedure)),
            (kind, period, LATE_TOP),
        ).fetchall()


def read_snapshot(conn: psycopg.Connection, period: date | None = None, kind: str = "month") -> Snapshot:
    """Read the live publication for `period` of `kind` (default the latest with values)."""
    check_kind(kind)
    if not all(_exists(conn, r) for r in (VALUES, CATALOGUE)):
        raise NothingPublished("bi has no indicator values or catalogue: nothing is published yet")
    with conn.transaction():
        locked = [
            r
            for r in (VALUES, CATALOGUE, RESTATEMENTS, BANDS, TOTALS, AGENCIES, ADMIN_UNITS, LATE, REASONS)
            if _exists(conn, r)
        ]
        conn.execute(
            sql.SQL("lock table {} in access share mode").format(
                sql.SQL(", ").join(sql.Identifier("bi", r) for r in locked)
            )
        )
        row = conn.execute(
            "select publication_id, schema_name, published_at from ops.publications where status = 'published'"
        ).fetchone()
        if row is None:
            raise NothingPublished("ops.publications has no live publication")
        publication = Publication(*row)
        periods_published = {k: published_periods(conn, k) for k in PERIOD_KINDS}
        months = periods_published[kind]
        if not months:
            raise NothingPublished(
                f"publication {publication.publication_id} has no indicator values of a {kind}"
            )
        if period is None:
            period = months[-1]
        period = period.replace(day=1)
        if period not in months:
            raise NothingPublished(
                f"publication {publication.publication_id} has no values for {period_id(kind, period)} "
                f"(it has {period_id(kind, months[0])} … {period_id(kind, months[-1])})"
            )
        with conn.cursor(row_factory=class_row(Indicator)) as cur:
            catalogue = cur.execute(
                sql.SQL("select {} from {}").format(_catalogue_columns(conn), sql.Identifier("bi", CATALOGUE))
            ).fetchall()
        reasons: list[Reason] = []
        if REASONS in locked:
            with conn.cursor(row_factory=class_row(Reason)) as cur:
                reasons = cur.execute(
                    sql.SQL("select {} from {} order by display_order").format(
                        _columns(Reason), sql.Identifier("bi", REASONS)
                    )
                ).fetchall()
        with conn.cursor(row_factory=class_row(Value)) as cur:
            values = cur.execute(
                sql.SQL(
                    "select {} from {} as v inner join {} as c on c.indicator_id = v.indicator_id"
                    " where {} and v.period_start > %s and v.period_start <= %s"
                    " order by v.indicator_id, v.level, v.scope, v.view, v.unit_id, v.period_start"
                ).format(
                    _value_columns(conn),
                    sql.Identifier("bi", VALUES),
                    sql.Identifier("bi", CATALOGUE),
                    sql.SQL("v.period_kind = %s"),
                ),
                (kind, add_months(period, -TREND_PERIODS[kind] * MONTHS_IN[kind]), period),
            ).fetchall()
        restatements: list[Restatement] = []
        if RESTATEMENTS in locked:
            with conn.cursor(row_factory=class_row(Restatement)) as cur:
                restatements = cur.execute(
                    sql.SQL(
                        "select {} from {} where period_kind = %s and period_start = %s"
                        " order by publication_id, indicator_id, level, scope, view, unit_id"
                    ).format(_columns(Restatement), sql.Identifier("bi", RESTATEMENTS)),
                    (kind, period),
                ).fetchall()
        if BANDS in locked:
            bands = [
                Band(*r)
                for r in conn.execute(
                    "select framework, band, name_vi, name_en, min_score, scale, confirmed from bi.rating_bands"
                ).fetchall()
            ]
        else:
            bands = load_seed()
        totals: list[Total] = []
        if TOTALS in locked:
            with conn.cursor(row_factory=class_row(Total)) as cur:
                totals = cur.execute(
                    sql.SQL(
                        "select {} from {} where period_kind = %s and period_start = %s"
                        " and scope = 'area' and view = 'historical' order by framework, level, unit_id"
                    ).format(_columns(Total), sql.Identifier("bi", TOTALS)),
                    (kind, period),
                ).fetchall()
        late = _late_procedures(conn, kind, period) if LATE in locked else None
        frameworks = read_published(conn)
        agency_levels: dict[str, str] = {}
        if AGENCIES in locked:
            agency_levels = dict(
                conn.execute(  # the latest version: a closed committee has no current one
                    "select distinct on (agency_id) agency_id, agency_level from bi.dim_agency"
                    " order by agency_id, valid_from desc"
                ).fetchall()
            )
        predecessors: dict[str, list[tuple[str, str]]] = {}
        if ADMIN_UNITS in locked:
            for current, code, name in conn.execute(
                "select current_unit_code, unit_code, unit_name from bi.dim_admin_unit"
                " where unit_level = 'commune' and current_unit_code is not null"
                " and valid_from <= %s and (valid_to is null or valid_to > %s)",
                (period, period),
            ).fetchall():
                predecessors.setdefault(current, []).append((code, name))
    for units in predecessors.values():
        units.sort(key=lambda unit: sort_key(unit[1]))
    return Snapshot(
        publication,
        period,
        catalogue,
        values,
        restatements,
        bands,
        months,
        frameworks,
        agency_levels,
        predecessors,
        totals,
        kind,
        periods_published,
        late,
        reasons,
    )
