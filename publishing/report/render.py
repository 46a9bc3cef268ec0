"""Render one self-contained HTML report per month, quarter and year from the live publication in `bi`.

Nothing in the page is fetched: styles and the language switch are inline, charts are
inline SVG, fonts are the reader's own (a stack present on Windows, macOS and Linux), and a
Content-Security-Policy forbids any request. Every catalogue indicator with values appears
through loops over the catalogue; no indicator is named here.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from core.vietnamese import sort_key
from publishing.report import charts
from publishing.report.bands import Band, bands_of
from publishing.report.data import (
    LATE_TOP,
    TREND_PERIODS,
    Indicator,
    LateProcedure,
    NothingPublished,
    Reason,
    Snapshot,
    Total,
    Value,
    add_months,
    published_periods,
    read_snapshot,
)
from publishing.report.formatting import (
    LANGS,
    LOCAL_TZ,
    format_change,
    format_date,
    format_datetime,
    format_month,
    format_number,
    format_percent,
    format_period,
    format_value,
)
from publishing.report.frameworks import display_order
from publishing.report.labels import LABELS
from publishing.report.periods import MONTHS_IN, PERIOD_KINDS, period_id

TEMPLATES = Path(__file__).parent / "templates"
#: where, beside the reports, the charts already drawn are kept (`charts.ChartCache`)
CHARTS_DIR = ".charts"
#: Colours of the rating bands, best first (the bands themselves are data).
BAND_COLORS = ("#1a7f37", "#4c9a2a", "#c9a227", "#e07b24", "#b3261e", "#7a1a14")


def report_name(period: date, kind: str = "month") -> str:
    """dtimon-report-2025-09.html, dtimon-report-2025-Q3.html, dtimon-report-2025.html."""
    return f"dtimon-report-{period_id(kind, period)}.html"


def _code_key(indicator: Indicator) -> tuple:
    """Natural order of codes within a framework: 2.1 < 2.2 < 10.1."""
    parts = re.split(r"[.\-]", indicator.code)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def _shown_decimals(value: Decimal | int | float | None) -> int:
    """0 for a whole number, else 2: a count never reads "12,00", a sum of shares never as a count."""
    return 0 if value is None or Decimal(str(value)) == Decimal(str(value)).to_integral_value() else 2


def _both(render: Callable[[str], str]) -> Markup:
    """One piece of text in both languages; the page shows the selected one."""
    texts = {lang: render(lang) for lang in LANGS}
    if texts["vi"] == texts["en"]:
        return escape(texts["vi"])
    return Markup("").join(Markup('<span data-l="{}">{}</span>').format(lang, texts[lang]) for lang in LANGS)


def t(key: str, **args: object) -> Markup:
    vi, en = LABELS[key]
    return _both(
        lambda lang: (vi if lang == "vi" else en).format(**{k: _arg(v, lang) for k, v in args.items()})
    )


def total_text(score: Score) -> Markup:
    """A total as staff read it: "61,20 / 70 điểm" (earned / measured, measured exact at the threshold)."""
    unit = LABELS["points_unit"]
    return _both(
        lambda lang: (
            f"{format_number(score.earned, lang, 2)} / {_arg(score.measured, lang)} {unit[LANGS.index(lang)]}"
        )
    )


def _arg(value: object, lang: str) -> object:
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return format_number(value, lang, 0 if Decimal(value) == Decimal(value).to_integral() else 2)
    if isinstance(value, datetime):
        return format_datetime(value, lang)
    if isinstance(value, date):
        return format_date(value, lang)
    return value


@dataclass
class ProvinceLine:
    indicator: Indicator
    current: Value | None
    previous: Value | None
    agencies_met: int = 0
    agencies_assessed: int = 0  # agencies with a value and a target in the period

    @property
    def change(self) -> Decimal | None:
        if not (self.current and self.previous) or None in (self.current.value, self.previous.value):
            return None
        return self.current.value - self.previous.value

    @property
    def trend(self) -> str:
        """up / down / flat / '' (no comparison)."""
        change = self.change
        if change is None:
            return ""
        return "up" if change > 0 else "down" if change < 0 else "flat"

    @property
    def trend_good(self) -> bool | None:
        change = self.change
        if change is None or change == 0:
            return None
        direction = (self.current.direction if self.current else None) or self.indicator.direction
        return (change > 0) == (direction != "lower_is_better")


@dataclass
class Score:
    """A unit's total on a scored framework in the period, as bi.ind_framework_totals gives it:
    points earned out of the points measured, and a band only when enough points are measured."""

    earned: Decimal
    measured: Decimal
    scale: Decimal
    scaled: Decimal | None  # earned ÷ measured × scale
    band: Band | None  # None: not enough points measured (or below every band)
    band_index: int
    rated: bool  # measured reached the framework's min_measured_points


@dataclass
class Unit:
    unit_id: str
    unit_name: str
    values: dict[str, Value] = field(default_factory=dict)
    scores: dict[str, Score] = field(default_factory=dict)


@dataclass
class UnitFigures:
    """A unit of government (province, district, commune) in one view: its rows by indicator and scope."""

    level: str
    unit_id: str
    unit_name: str
    rows: dict[str, dict[str, Value]] = field(default_factory=dict)  # indicator → scope → value

    def lines(self, indicator_id: str) -> list[tuple[str, Value]]:
        """(scope label key, row) per line shown: one line when the whole area is its tier alone
        (a commune with nothing under it), with the tier's target."""
        by_scope = self.rows.get(indicator_id, {})
        area, tier = by_scope.get("area"), by_scope.get("tier")
        if area and tier and (area.numerator, area.denominator) == (tier.numerator, tier.denominator):
            return [(f"scope_{self.level}_same", tier)]
        return [(f"scope_{self.level}_{scope}", by_scope[scope]) for scope in SCOPES if scope in by_scope]

    def figures(self) -> set[tuple]:
        """What the unit shows, to compare two views of it."""
        return {
            (self.level, self.unit_id, indicator_id, scope, v.numerator, v.denominator, v.value)
            for indicator_id, by_scope in self.rows.items()
            for scope, v in by_scope.items()
        }


#: Levels of government, top down; district rows exist only for periods before 1 July 2025.
UNIT_LEVELS = ("province", "district", "commune")
SCOPES = ("area", "tier")
#: Agencies that are the People's Committee of a lower tier (dim_agency.agency_level) → that tier:
#: their figures are the tier rows of their unit, shown there when the period has that level.
COMMITTEE_LEVELS = {"district_people_committee": "district", "commune_people_committee": "commune"}
#: The day districts were abolished and communes merged (Resolution 202/2025/QH15).
MERGER_DAY = date(2025, 7, 1)
#: Ranks compare the score as printed (two decimals): what reads equal ranks equal.
RANK_QUANTUM = Decimal("0.01")


def competition_ranks(scores: Sequence[Decimal | None]) -> list[int]:
    """1, 2, 2, 4 for scores sorted best first: equal scores share the best rank."""
    shown = [s.quantize(RANK_QUANTUM) if s is not None else None for s in scores]
    ranks: list[int] = []
    for n, score in enumerate(shown):
        ranks.append(ranks[-1] if n and score == shown[n - 1] else n + 1)
    return ranks


def units_of(values: Iterable[Value], view: str, period: date) -> dict[str, list[UnitFigures]]:
    """The period's units of government in `view`, per level, in Vietnamese alphabetical order."""
    found: dict[tuple[str, str], UnitFigures] = {}
    for value in values:
        if value.view != view or value.period_start != period or value.level not in UNIT_LEVELS:
            continue
        unit = found.setdefault(
            (value.level, value.unit_id),
            UnitFigures(value.level, value.unit_id, value.unit_name or value.unit_id),
        )
        unit.rows.setdefault(value.indicator_id, {})[value.scope] = value
    return {
        level: sorted(
            (u for u in found.values() if u.level == level), key=lambda u: (sort_key(u.unit_name), u.unit_id)
        )
        for level in UNIT_LEVELS
    }


@dataclass
class FrameworkScores:
    framework: str
    bands: list[Band]
    province: Score | None
    agencies: list[tuple[Unit, Score]]  # best first
    ranks: list[int | None]  # competition ranks of `agencies`; None: not rated
    indicators: list[Indicator]  # the framework's scored indicators with points
    chart: dict[str, str]
    province_points: dict[str, Decimal | None]
    min_measured_points: Decimal  # the measured points a band needs


@dataclass
class Chart:
    indicator: Indicator
    svg: dict[str, str]
    target: Decimal | None


@dataclass
class LateAgency:
    """An agency's late dossiers in the period (766-2.1's verdict) and its procedures with the most."""

    agency_id: str
    agency_name: str
    late: int
    procedures: list[LateProcedure]


def late_agencies(rows: Sequence[LateProcedure]) -> list[LateAgency]:
    """The late-dossier rows grouped by agency, in the order read (most late first)."""
    grouped: dict[str, LateAgency] = {}
    for row in rows:
        agency = grouped.setdefault(
            row.agency_id, LateAgency(row.agency_id, row.agency_name or row.agency_id, row.agency_late, [])
        )
        agency.procedures.append(row)
    return list(grouped.values())


@dataclass
class NotComputedGroup:
    """The catalogue indicators not computed for one reason."""

    reason: Reason
    indicators: list[Indicator]


def not_computed_groups(catalogue: Sequence[Indicator], reasons: Sequence[Reason]) -> list[NotComputedGroup]:
    """The uncomputed indicators (catalogue order) under their reason (the reasons' order); a code
    the published reasons do not name is shown as itself, after them."""
    groups = {r.reason: NotComputedGroup(r, []) for r in reasons}
    for indicator in catalogue:
        code = indicator.not_computed_because
        if code is not None:
            groups.setdefault(code, NotComputedGroup(Reason(code, code, code, len(groups) + 1), []))
            groups[code].indicators.append(indicator)
    return [g for g in groups.values() if g.indicators]


@dataclass
class PageLink:
    """Another page of the report about the same time: the period containing this one, or within it."""

    kind: str
    start: date
    file: str


def related_pages(kind: str, period: date, published: dict[str, list[date]]) -> list[PageLink]:
    """The published periods of the other kinds that contain `period` or lie within it, longest first."""
    end = add_months(period, MONTHS_IN[kind])
    links: list[PageLink] = []
    for other in reversed(PERIOD_KINDS):
        if other == kind:
            continue
        span = MONTHS_IN[other]
        for start in published.get(other, []):
            contains = start <= period < add_months(start, span) if span > MONTHS_IN[kind] else False
            within = period <= start < end if span < MONTHS_IN[kind] else False
            if contains or within:
                links.append(PageLink(other, start, report_name(start, other)))
    return links


@dataclass
class MonthCoverage:
    month: date
    status: str  # complete | provisional | absent
    covered_until: date | None  # last local day with data of a provisional month
    indicators: int


def _covered_until(value: Value) -> date | None:
    """Last local day with data of a provisional month."""
    if value.status != "provisional" or value.period_as_of is None:
        return None
    return (value.period_as_of.astimezone(LOCAL_TZ) - timedelta(microseconds=1)).date()


def _score(total: Total, bands: Sequence[Band]) -> Score:
    """A published total, with its band's display data (bands best first)."""
    band = next((b for b in bands if b.band == total.band), None)
    index = bands.index(band) if band else len(bands) - 1
    return Score(total.earned, total.measured, total.scale, total.score, band, index, total.is_rated)


def build_context(
    snapshot: Snapshot, generated_at: datetime, chart_cache: charts.ChartCache = charts.NO_CACHE
) -> dict[str, object]:
    period, kind = snapshot.period, snapshot.period_kind
    previous_month = add_months(period, -MONTHS_IN[kind])
    frameworks_order: list[str] = []
    catalogue = sorted(snapshot.catalogue, key=lambda i: (i.framework, _code_key(i)))
    # the units as they were, everything they handled: what the summary, scores and trends show
    main = [v for v in snapshot.values if v.scope == "area" and v.view == "historical"]
    by_indicator: dict[str, list[Value]] = defaultdict(list)
    for value in main:
        by_indicator[value.indicator_id].append(value)
    measured = [i for i in catalogue if by_indicator.get(i.indicator_id)]
    # computed indicators without values; those not computed are listed under their reason
    not_measured = [
        i for i in catalogue if not by_indicator.get(i.indicator_id) and i.not_computed_because is None
    ]
    for indicator in measured:
        if indicator.framework not in frameworks_order:
            frameworks_order.append(indicator.framework)
    frameworks_order = display_order(snapshot.frameworks, frameworks_order)
    named = {f.framework: f for f in snapshot.frameworks}

    def find(indicator_id: str, level: str, month: date) -> list[Value]:
        return [v for v in by_indicator[indicator_id] if v.level == level and v.period_start == month]

    province_lines: dict[str, list[ProvinceLine]] = defaultdict(list)
    for indicator in measured:
        current = find(indicator.indicator_id, "province", period)
        previous = find(indicator.indicator_id, "province", previous_month)
        assessed = [v.met for v in find(indicator.indicator_id, "agency", period) if v.met is not None]
        province_lines[indicator.framework].append(
            ProvinceLine(
                indicator,
                current[0] if current else None,
                previous[0] if previous else None,
                sum(assessed),
                len(assessed),
            )
        )

    # agencies of the period, with their values by indicator
    units: dict[str, Unit] = {}
    for value in main:
        if value.level == "agency" and value.period_start == period:
            unit = units.setdefault(value.unit_id, Unit(value.unit_id, value.unit_name or value.unit_id))
            unit.values[value.indicator_id] = value
    agencies = sorted(units.values(), key=lambda u: (sort_key(u.unit_name), u.unit_id))
    historical_units = units_of(snapshot.values, "historical", period)
    current_units = units_of(snapshot.values, "current", period)
    # after the merger the units of the period are today's: the section then only says so;
    # a province that did not change is not shown twice either
    unchanged = {
        level: {f for u in current_units[level] for f in u.figures()}
        == {f for u in historical_units[level] for f in u.figures()}
        for level in UNIT_LEVELS
    }
    current_as_historical = all(unchanged.values())
    # a lower tier's committee is detailed with its unit when the period has that level
    provincial_agencies = [
        u
        for u in agencies
        if not historical_units.get(COMMITTEE_LEVELS.get(snapshot.agency_levels.get(u.unit_id, ""), ""))
    ]

    # scored frameworks: those whose values of the period carry points and that have bands
    scores: list[FrameworkScores] = []
    for framework in frameworks_order:
        bands = bands_of(snapshot.bands, framework)
        scored_ids = [
            i
            for i in measured
            if i.framework == framework
            and any(v.points is not None for v in by_indicator[i.indicator_id] if v.period_start == period)
        ]
        if not bands or not scored_ids:
            continue
        province_values = [v for i in scored_ids for v in find(i.indicator_id, "province", period)]
        totals = [t for t in snapshot.totals if t.framework == framework]
        province_score = next((_score(t, bands) for t in totals if t.level == "province"), None)
        ranked: list[tuple[Unit, Score]] = []
        for total in totals:
            unit = units.get(total.unit_id) if total.level == "agency" else None
            if unit is not None:
                unit.scores[framework] = score = _score(total, bands)
                ranked.append((unit, score))
        # rated totals first, best first; those with too few points measured after them, unranked
        ranked.sort(
            key=lambda pair: (
                not pair[1].rated,
                -(pair[1].scaled or Decimal(-1)),
                sort_key(pair[0].unit_name),
            )
        )
        rated = [score.scaled for _, score in ranked if score.rated]
        ranks: list[int | None] = [*competition_ranks(rated), *([None] * (len(ranked) - len(rated)))]
        chart = {}
        charted = [(u, s) for u, s in ranked if s.band is not None]  # an unrated total has no bar
        if charted:
            colors = [BAND_COLORS[min(n, len(BAND_COLORS) - 1)] for n in range(len(bands))]
            for lang in LANGS:
                chart[lang] = charts.score_chart(
                    [charts.Bar(u.unit_name, s.scaled or Decimal(0), s.band.name(lang)) for u, s in charted],
                    [b.name(lang) for b in bands],
                    colors,
                    lang,
                )
        province_points = {v.indicator_id: v.points for v in province_values}
        scores.append(
            FrameworkScores(
                framework,
                bands,
                province_score,
                ranked,
                ranks,
                scored_ids,
                chart,
                province_points,
                totals[0].min_measured_points if totals else Decimal(0),
            )
        )

    # trends: the province's value per period of the kind, one chart per indicator with province values
    window = [add_months(period, -n * MONTHS_IN[kind]) for n in range(TREND_PERIODS[kind] - 1, -1, -1)]
    trend_charts: list[Chart] = []
    for indicator in measured:
        series = [v for v in by_indicator[indicator.indicator_id] if v.level == "province"]
        if not series:
            continue
        first = min(v.period_start for v in series)
        months = [m for m in window if m >= first]
        points = [charts.Point(v.period_start, v.value, v.status == "provisional") for v in series]
        latest = max(series, key=lambda v: v.period_start)
        svg = {
            lang: charts.trend_chart(
                points,
                months,
                latest.value_unit,
                latest.target,
                lang,
                lambda start, lang: format_period(kind, start, lang, short=True),
                chart_cache,
            )
            for lang in LANGS
        }
        trend_charts.append(Chart(indicator, svg, latest.target))

    # coverage: every month from the first published one in the window to the period
    coverage: list[MonthCoverage] = []
    in_window = [m for m in snapshot.months_published if m in window]
    for month in [m for m in window if in_window and m >= in_window[0]]:
        rows = [v for v in main if v.period_start == month]
        if not rows:
            coverage.append(MonthCoverage(month, "absent", None, 0))
            continue
        provisional = [v for v in rows if v.status == "provisional"]
        until = min((d for v in provisional if (d := _covered_until(v))), default=None)
        coverage.append(
            MonthCoverage(
                month,
                "provisional" if provisional else "complete",
                until,
                len({v.indicator_id for v in rows}),
            )
        )
    period_rows = [v for v in main if v.period_start == period]
    provisional_rows = [v for v in period_rows if v.status == "provisional"]
    covered_until = min((d for v in provisional_rows if (d := _covered_until(v))), default=None)

    with_target = [
        line
        for lines in province_lines.values()
        for line in lines
        if line.current and line.current.met is not None
    ]
    names = {i.indicator_id: i for i in catalogue}
    unit_names = {(v.level, v.unit_id): v.unit_name for v in snapshot.values}
    province_names = [v.unit_name for v in period_rows if v.level == "province" and v.unit_name]
    return {
        "period": period,
        "province_name": province_names[0] if province_names else None,
        "period_kind": kind,
        "period_id": period_id(kind, period),
        "late_top": LATE_TOP,
        "titles": {
            lang: f"{LABELS['title'][n]} — {format_period(kind, period, lang)}"
            for n, lang in enumerate(LANGS)
        },
        # a label with a variant for the page's kind ("previous_quarter") uses it
        "k": lambda key: f"{key}_{kind}" if f"{key}_{kind}" in LABELS else key,
        "related": related_pages(kind, period, snapshot.periods_published),
        "late_agencies": None if snapshot.late is None else late_agencies(snapshot.late),
        "band_colors": BAND_COLORS,
        "previous_month": previous_month,
        "publication": snapshot.publication,
        "generated_at": generated_at,
        "frameworks": frameworks_order,
        "fw_label": lambda fw: _both(named[fw].name) if fw in named else escape(fw),
        "province_lines": province_lines,
        "agencies": agencies,
        "provincial_agencies": provincial_agencies,
        "historical_units": historical_units,
        "current_units": current_units,
        "current_as_historical": current_as_historical,
        "province_unchanged": unchanged["province"],
        "predecessors": snapshot.predecessors,
        "scopes": SCOPES,
        "measured": measured,
        "not_measured": not_measured,
        "not_computed": not_computed_groups(catalogue, snapshot.reasons),
        "catalogue_size": len(catalogue),
        "scores": scores,
        "trend_charts": trend_charts,
        "coverage": coverage,
        "provisional": bool(provisional_rows),
        "covered_until": covered_until,
        "met_count": sum(1 for line in with_target if line.current.met),
        "target_count": len(with_target),
        "restatements": snapshot.restatements,
        "indicator_names": names,
        "unit_names": unit_names,
        "any_assumed_target": any(
            v.target_confirmed is False for v in snapshot.values if v.period_start == period
        ),
        "merger_day": MERGER_DAY,
    }


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        t=t,
        value=lambda v, unit: _both(lambda lang: format_value(v, unit, lang)),
        # a count as a whole number; a sum of shares (766-2.2's numerator) with its decimals
        number=lambda v, decimals=None: _both(
            lambda lang: format_number(v, lang, _shown_decimals(v) if decimals is None else decimals)
        ),
        total_text=total_text,
        # whole points without decimals, others to 2 (59,99 measured never reads as 60)
        measured_points=lambda v: _both(lambda lang: _arg(v, lang)),
        percent=lambda v: _both(lambda lang: format_percent(v, lang)),
        change=lambda v, unit: _both(lambda lang: format_change(v, unit, lang)),
        month=lambda m: _both(lambda lang: format_month(m, lang)),
        period_label=lambda kind, start: _both(lambda lang: format_period(kind, start, lang)),
        day=lambda d: _both(lambda lang: format_date(d, lang)),
        moment=lambda m: _both(lambda lang: format_datetime(m, lang)),
        name=lambda item: _both(item.name),
        # a value the department entered (a submission file), not computed from the sources
        entered_mark=lambda v: (
            Markup(' <span class="badge entered" data-testid="entered">{}</span>').format(t("entered"))
            if v.origin == "entered"
            else ""
        ),
        svg=lambda text: Markup(text),  # rendered by vl-convert from our own data; trusted
    )
    return env


def render_html(
    snapshot: Snapshot,
    lang: str = "vi",
    generated_at: datetime | None = None,
    chart_cache: charts.ChartCache = charts.NO_CACHE,
) -> str:
    """The report page for `snapshot`, opening in `lang` (the other language is one click away)."""
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: use one of {LANGS}")
    context = build_context(snapshot, generated_at or datetime.now(UTC), chart_cache)
    return _environment().get_template("report.html.j2").render(lang=lang, **context)


def render_report(
    warehouse_url: str, out_dir: Path, period: date | None = None, lang: str = "vi", kind: str = "month"
) -> Path:
    """Write the report of `period` of `kind` (default: the latest published one) into `out_dir`,
    its charts drawn or taken from those drawn before (`CHARTS_DIR` there)."""
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        snapshot = read_snapshot(conn, period, kind)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / report_name(snapshot.period, kind)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(
        render_html(snapshot, lang, chart_cache=charts.ChartCache(out_dir / CHARTS_DIR)), encoding="utf-8"
    )
    tmp.replace(path)
    return path


def render_all(warehouse_url: str, out_dir: Path, lang: str = "vi") -> list[Path]:
    """Every published year's, quarter's and month's report plus `index.html` listing them (what
    runs after a publish); the paths by kind, longest first, so the latest month's page is last."""
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        periods = {kind: published_periods(conn, kind) for kind in PERIOD_KINDS}
    if not periods["month"]:
        raise NothingPublished("bi has no indicator values: nothing is published yet")
    kinds = list(reversed(PERIOD_KINDS))
    started = time.time()
    paths = [
        render_report(warehouse_url, out_dir, start, lang, kind) for kind in kinds for start in periods[kind]
    ]
    charts.ChartCache(out_dir / CHARTS_DIR).prune(started)  # the charts of values no longer published
    index = (
        _environment()
        .get_template("index.html.j2")
        .render(
            lang=lang,
            label=lambda kind, start: format_period(kind, start, "vi"),
            groups=[
                (kind, [(start, report_name(start, kind)) for start in reversed(periods[kind])])
                for kind in PERIOD_KINDS  # months first: the page staff open most
            ],
        )
    )
    (out_dir / "index.html").write_text(index, encoding="utf-8")
    return paths
