"""A small, hand-written `bi` for the index report's tests (integration and browser).

Built the way production builds it: marts tables with the contract's columns, the seeds
the report reads in `reference`, `publishing.publish.stage_candidate`, a passing gate row,
`publish`. Two publications: the first has two September values (and one August value)
that the second restates, so the report has restatements to show.

The expected rendering of every figure is written in the tests that use this, by hand:
  September 2025 (provisional, data up to 15/09/2025), province H57:
    766-2.1 1.017/1.078 = 94,34 % (target ≥ 95,00 %*, not met; August 880/1.000 = 88,00 %: +6,34 điểm %)
    766-3.3 39/78 = 50,00 % (target ≥ 50,00 %, met; August 30/75 = 40,00 %: +10,00 điểm %)
    NQ17-01 10/40 = 25,00 % (target ≥ 20,00 %, met; no August value)
    766-2.2 170/40 = 4,3 (days; August 5,0: -0,8, lower is better)
    766 total (marts.ind_framework_totals, written here as the mart gives it): 18,87 + 6,00 =
    24,87 / 26 điểm → 95,65 on the 100 scale, but 26 < the 60 points a band needs: chưa đủ dữ liệu
  Agencies: Sở Tư pháp 67/78 = 85,90 % on 766-2.1 (17,18 points) + 6 → 23,18 / 26 → 89,15, no band
            Sở Xây dựng 950/1.000 = 95,00 % on 766-2.1 (19 points), 766-3.3 0/0 = N/A → 19 / 20 → 95,00, no band
  Months: 2025-06 complete, 2025-07 absent, 2025-08 complete, 2025-09 provisional.
  Restatements of September: Sở Tư pháp 766-2.1 60/78 = 76,92 % → 67/78 = 85,90 %;
            province 766-2.1 1.010/1.078 = 93,69 % → 1.017/1.078 = 94,34 %.
  766-4.2 is in the catalogue without values ("not measured"); every catalogue row the platform
  does not compute is published too, with its reason (the seeds indicator_catalogue and
  not_computed_reasons as they are).
  Units of government, 766-2.1 (tier rows carry the level target: province 90 %, district 80 %,
  commune 60 %; the province's area row keeps the indicator's 95 %, a lower unit's area has none):
    June 2025 (before the merger), historical: province area 900/1.000 = provincial agencies (tier)
      600/640 + district 480 quận Thuận Hóa (area) 300/360; the district = its committee (tier)
      100/120 + its communes 19753 phường Phú Hội 120/140 and 19754 phường Phú Nhuận 80/100 (each
      commune's area = its tier). Current view: the two communes merged into 19753 phường Thuận Hóa
      200/240 (the sums), the province unchanged.
    September 2025 (after): no district; 19753 phường Thuận Hóa 150/160, province tier 867/918
      (+ 150/160 = the area's 1.017/1.078). From the merger on every province and commune row is
      also in the current view, unchanged.
  dim_agency: the two agencies are departments (Sở); dim_admin_unit: the three communes' versions.
  A quarter row (Q3 2025) and a year row (2025), province 766-2.1, are published too: a monthly
  report never shows them; the quarter's and the year's pages do.
  Late dossiers of September (bi.ind_766_2_1_late_dossiers, LATE_PROCEDURES: each agency's
  denominator − numerator of 766-2.1): Sở Xây dựng 50 — 1.000001 30 (5 still open), 1.000002 15,
  1.000003 4, 1.000004 1 (not in the top 3); Sở Tư pháp 11 — 2.000001 6, 2.000002 5. Working days
  over: 1, 2, …, 7, 1, 2, … within each procedure (most: 7, 7, 4; 6, 5). None in the quarter.
  The catalogue rows come from the seed, with the scoring written here (INDICATORS).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import psycopg
from passed_gate import publish_passed

from core.migrations import migrate

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_IDS = ("766-2.1", "766-2.2", "766-3.3", "766-4.2", "NQ17-01")

DDL = """
create schema if not exists marts;
create schema if not exists reference;
create table marts.ind_values (
    indicator_id text not null, framework text not null, period_kind text not null, period_start date not null,
    level text not null, scope text not null, view text not null, unit_id text not null, unit_name text,
    numerator numeric, denominator numeric, value numeric, value_unit text not null,
    target numeric, target_confirmed boolean, met boolean, points numeric,
    status text not null, period_as_of timestamptz,
    origin text not null default 'computed'
);
create table marts.dim_agency (
    agency_id text not null, agency_name text, agency_level text not null, valid_from timestamptz not null,
    valid_to timestamptz, is_current boolean not null
);
create table marts.dim_admin_unit (
    unit_code text not null, valid_from date not null, valid_to date, unit_level text not null,
    unit_name text not null, current_unit_code text
);
create table reference.indicator_catalogue (
    indicator_id text, framework text, code text, name_vi text, name_en text, unit text, level text,
    direction text, full_score_at numeric, max_points numeric, confirmed boolean, note text,
    not_computed_because text
);
create table reference.not_computed_reasons (
    reason text, name_vi text, name_en text, display_order integer, description text
);
create table marts.ind_framework_totals (
    framework text not null, period_kind text not null, period_start date not null, level text not null,
    scope text not null, view text not null, unit_id text not null, unit_name text,
    indicators_measured bigint not null, earned numeric not null, measured numeric not null,
    scale numeric not null, min_measured_points numeric not null, score numeric, is_rated boolean not null,
    band text, status text not null
);
create table marts.ind_766_2_1_late_dossiers (
    period_kind text not null, period_start date not null, status text not null,
    period_as_of timestamptz not null, agency_id text not null, agency_name text, dossier_id text not null,
    procedure_id text, procedure_name text, received_at timestamptz not null, promised_at timestamptz,
    due_date date, ended_at timestamptz, is_open boolean not null, late_basis text not null,
    time_limit numeric, time_limit_unit text, working_days_over numeric
);
create table reference.frameworks (
    framework text, name_vi text, name_en text, issuing_document text, display_order integer,
    min_measured_points numeric
);
create table reference.rating_bands (
    framework text, band text, name_vi text, name_en text, min_score numeric, scale numeric,
    confirmed boolean, note text
);
"""

PROVINCE = ("province", "H57", "Tỉnh H57")
DISTRICT = ("district", "480", "quận Thuận Hóa")
PHU_HOI = ("commune", "19753", "phường Phú Hội")
PHU_NHUAN = ("commune", "19754", "phường Phú Nhuận")
THUAN_HOA = ("commune", "19753", "phường Thuận Hóa")  # Phú Hội + Phú Nhuận from 1 July 2025, seat's code
MERGER = "2025-07-01"  # districts abolished, communes merged
#: Decision 942's tier targets (the contract: tier rows carry the level target).
TIER_TARGETS = {"province": "0.90", "district": "0.80", "commune": "0.60"}
JUSTICE = ("agency", "000.00.01.H57", "Sở Tư pháp")
CONSTRUCTION = ("agency", "000.00.02.H57", "Sở Xây dựng")
SEPT_AS_OF = datetime.fromisoformat("2025-09-16T00:00:00+07:00")
COMPLETE_AS_OF = {
    "2025-06-01": datetime.fromisoformat("2025-07-01T00:00:00+07:00"),
    "2025-08-01": datetime.fromisoformat("2025-09-01T00:00:00+07:00"),
}
# indicator -> (framework, value_unit, direction, target, target_confirmed, full_score_at, max_points)
INDICATORS = {
    "766-2.1": ("766", "ratio", "higher_is_better", "0.95", False, None, "20"),
    "766-3.3": ("766", "ratio", "higher_is_better", "0.50", True, "0.50", "6"),
    "NQ17-01": ("NQ17", "ratio", "higher_is_better", "0.20", True, None, None),
    "766-2.2": ("766", "duration", "lower_is_better", None, None, None, None),
}


@dataclass(frozen=True)
class Fig:
    indicator_id: str
    unit: tuple[str, str, str]
    month: str
    numerator: int
    denominator: int
    points: str | None = None
    kind: str = "month"  # the period kind; `month` is then its first day
    scope: str = "area"
    view: str = "historical"


def final_figures() -> list[Fig]:
    figures = [
        Fig("766-2.1", PROVINCE, "2025-07-01", 2700, 3000, "18", kind="quarter"),
        Fig("766-2.1", PROVINCE, "2025-01-01", 5400, 6000, "18", kind="year"),
        Fig("766-2.1", PROVINCE, "2025-06-01", 900, 1000, "18"),
        Fig("766-2.1", PROVINCE, "2025-08-01", 880, 1000, "17.60"),
        Fig("766-3.3", PROVINCE, "2025-08-01", 30, 75, "4.80"),
        Fig("766-2.2", PROVINCE, "2025-08-01", 150, 30),
        Fig("766-2.1", PROVINCE, "2025-09-01", 1017, 1078, "18.87"),
        Fig("766-3.3", PROVINCE, "2025-09-01", 39, 78, "6"),
        Fig("NQ17-01", PROVINCE, "2025-09-01", 10, 40),
        Fig("766-2.2", PROVINCE, "2025-09-01", 170, 40),
        Fig("766-2.1", JUSTICE, "2025-09-01", 67, 78, "17.18"),
        Fig("766-3.3", JUSTICE, "2025-09-01", 39, 78, "6"),
        Fig("NQ17-01", JUSTICE, "2025-09-01", 10, 40),
        Fig("766-2.2", JUSTICE, "2025-09-01", 170, 40),
        Fig("766-2.1", CONSTRUCTION, "2025-09-01", 950, 1000, "19"),
        Fig("766-3.3", CONSTRUCTION, "2025-09-01", 0, 0),
        Fig("NQ17-01", CONSTRUCTION, "2025-09-01", 0, 0),
        Fig("766-2.2", CONSTRUCTION, "2025-09-01", 0, 0),
        *unit_figures(),
    ]
    return with_current_view(figures)


def unit_figures() -> list[Fig]:
    """766-2.1 for the units of government, both scopes and views (see the module docstring)."""
    june, september = "2025-06-01", "2025-09-01"
    figures = [
        Fig("766-2.1", PROVINCE, june, 600, 640, scope="tier"),
        Fig("766-2.1", DISTRICT, june, 300, 360),
        Fig("766-2.1", DISTRICT, june, 100, 120, scope="tier"),
        Fig("766-2.1", PROVINCE, june, 900, 1000, view="current"),
        Fig("766-2.1", PROVINCE, june, 600, 640, scope="tier", view="current"),
        Fig("766-2.1", PROVINCE, september, 867, 918, scope="tier"),
    ]
    for scope in ("area", "tier"):
        figures += [
            Fig("766-2.1", PHU_HOI, june, 120, 140, scope=scope),
            Fig("766-2.1", PHU_NHUAN, june, 80, 100, scope=scope),
            Fig("766-2.1", THUAN_HOA, june, 200, 240, scope=scope, view="current"),
            Fig("766-2.1", THUAN_HOA, september, 150, 160, scope=scope),
        ]
    return figures


def with_current_view(figures: list[Fig]) -> list[Fig]:
    """`figures` and, from the merger on, the same month rows in the current view: the units of
    government of those months are today's."""
    return figures + [
        replace(f, view="current")
        for f in figures
        if f.kind == "month" and f.month >= MERGER and f.view == "historical" and f.unit[0] != "agency"
    ]


def first_figures() -> list[Fig]:
    """The first publication: three values the second one restates."""
    replaced = {
        ("766-2.1", JUSTICE[1], "2025-09-01"): Fig("766-2.1", JUSTICE, "2025-09-01", 60, 78, "15.38"),
        ("766-2.1", PROVINCE[1], "2025-09-01"): Fig("766-2.1", PROVINCE, "2025-09-01", 1010, 1078, "18.74"),
        ("766-3.3", PROVINCE[1], "2025-08-01"): Fig("766-3.3", PROVINCE, "2025-08-01", 29, 75, "4.64"),
    }
    return with_current_view(
        [
            replaced.get((f.indicator_id, f.unit[1], f.month), f)
            if (f.scope, f.view) == ("area", "historical")
            else f
            for f in final_figures()
            if f.view == "historical" or f.month < MERGER
        ]
    )


def _row(fig: Fig) -> tuple:
    framework, unit, _, target, confirmed, _, _ = INDICATORS[fig.indicator_id]
    level, unit_id, unit_name = fig.unit
    if fig.scope == "tier":
        target, confirmed = TIER_TARGETS[level], True
    elif level in ("district", "commune"):
        target = None  # the level targets are the tiers'; a lower unit's whole area has none
    value = None if fig.denominator == 0 else Decimal(fig.numerator) / Decimal(fig.denominator)
    met = None if value is None or target is None else value >= Decimal(target)
    provisional = fig.month == "2025-09-01" or fig.kind != "month"
    return (
        fig.indicator_id, framework, fig.kind, fig.month, level, fig.scope, fig.view, unit_id, unit_name,
        fig.numerator, fig.denominator, value, unit,
        target, confirmed if target is not None else None, met, fig.points,
        "provisional" if provisional else "complete",
        SEPT_AS_OF if provisional else COMPLETE_AS_OF[fig.month],
    )  # fmt: skip


#: (agency, procedure id, procedure name, late dossiers, of which still open) in September.
LATE_PROCEDURES = (
    (CONSTRUCTION, "1.000001", "Cấp giấy phép xây dựng", 30, 5),
    (CONSTRUCTION, "1.000002", "Cấp chứng chỉ hành nghề hoạt động xây dựng", 15, 0),
    (CONSTRUCTION, "1.000003", "Thẩm định thiết kế xây dựng", 4, 0),
    (CONSTRUCTION, "1.000004", "Cấp giấy phép di dời công trình", 1, 0),
    (JUSTICE, "2.000001", "Cấp phiếu lý lịch tư pháp", 6, 0),
    (JUSTICE, "2.000002", "Chứng thực bản sao từ bản chính", 5, 0),
)


def _late_rows() -> list[tuple]:
    rows = []
    for (_, agency_id, agency_name), procedure_id, procedure_name, late, still_open in LATE_PROCEDURES:
        for n in range(late):
            code = f"{agency_id}-250901-{procedure_id[-1]}{n:04d}"
            ended = None if n < still_open else "2025-09-12 10:00+07"
            rows.append(
                ("month", "2025-09-01", "provisional", SEPT_AS_OF, agency_id, agency_name, code, procedure_id,
                 procedure_name, "2025-09-02 08:00+07", "2025-09-05 17:00+07", "2025-09-05", ended,
                 ended is None, "promised_date", 3, "working_days", n % 7 + 1)
            )  # fmt: skip
    return rows


def _seed(conn: psycopg.Connection) -> None:
    with (ROOT / "dbt_project/seeds/indicator_catalogue.csv").open(encoding="utf-8") as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if r["indicator_id"] in CATALOGUE_IDS or r["not_computed_because"]
        ]
    columns = ("indicator_id", "framework", "code", "name_vi", "name_en", "unit", "level", "direction")

    def scoring(row: dict[str, str]) -> tuple[str | None, str | None]:
        """(full_score_at, max_points): the fixture's own where INDICATORS sets them, else the seed's."""
        if row["indicator_id"] in INDICATORS:
            return INDICATORS[row["indicator_id"]][5:]
        return row["full_score_at"] or None, row["max_points"] or None

    with conn.cursor() as cur:
        cur.executemany(
            "insert into marts.ind_766_2_1_late_dossiers values (" + ", ".join(["%s"] * 18) + ")",
            _late_rows(),
        )
        cur.executemany(  # the crosswalk: Phú Hội (the seat) and Phú Nhuận became Thuận Hóa
            "insert into marts.dim_admin_unit values (%s, %s, %s, 'commune', %s, '19753')",
            [
                (PHU_HOI[1], "2020-01-01", MERGER, PHU_HOI[2]),
                (PHU_NHUAN[1], "2020-01-01", MERGER, PHU_NHUAN[2]),
                (THUAN_HOA[1], MERGER, None, THUAN_HOA[2]),
            ],
        )
        cur.executemany(
            "insert into marts.dim_agency values (%s, %s, 'department', '2020-01-01', null, true)",
            [unit[1:] for unit in (JUSTICE, CONSTRUCTION)],
        )
        cur.executemany(
            "insert into reference.indicator_catalogue values (" + ", ".join(["%s"] * 13) + ")",
            [
                (*(r[c] for c in columns), *scoring(r), r["confirmed"] == "true", r["note"],
                 r["not_computed_because"] or None)
                for r in rows
            ],
        )  # fmt: skip
        with (ROOT / "dbt_project/seeds/not_computed_reasons.csv").open(encoding="utf-8") as handle:
            cur.executemany(
                "insert into reference.not_computed_reasons values (%s, %s, %s, %s, %s)",
                [tuple(r.values()) for r in csv.DictReader(handle)],
            )
        with (ROOT / "dbt_project/seeds/frameworks.csv").open(encoding="utf-8") as handle:
            cur.executemany(
                "insert into reference.frameworks values (%s, %s, %s, %s, %s, %s)",
                [tuple(v or None for v in f.values()) for f in csv.DictReader(handle)],
            )
        with (ROOT / "dbt_project/seeds/rating_bands.csv").open(encoding="utf-8") as handle:
            cur.executemany(
                "insert into reference.rating_bands values (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (b["framework"], b["band"], b["name_vi"], b["name_en"], b["min_score"], b["scale"],
                     b["confirmed"] == "true", b["note"])
                    for b in csv.DictReader(handle)
                ],
            )  # fmt: skip


#: September's 766 totals (area, historical) per publication, by hand: (unit, earned, measured,
#: indicators with a value); 26 and 20 measured points are below 60: no band.
FIRST_TOTALS = ((PROVINCE, "24.74", "26", 2), (JUSTICE, "21.38", "26", 2), (CONSTRUCTION, "19", "20", 1))
FINAL_TOTALS = ((PROVINCE, "24.87", "26", 2), (JUSTICE, "23.18", "26", 2), (CONSTRUCTION, "19", "20", 1))


def _total_row(unit: tuple[str, str, str], earned: str, measured: str, indicators: int) -> tuple:
    level, unit_id, unit_name = unit
    score = Decimal(earned) / Decimal(measured) * 100
    return (
        "766", "month", "2025-09-01", level, "area", "historical", unit_id, unit_name, indicators,
        Decimal(earned), Decimal(measured), 100, 60, score, False, None, "provisional",
    )  # fmt: skip


def publish_figures(conn: psycopg.Connection, figures: list[Fig], totals: tuple = FINAL_TOTALS) -> int:
    """Replace the marts with `figures` and `totals`, stage, record a passing gate, publish; the publication id."""
    conn.execute("truncate marts.ind_values, marts.ind_framework_totals")
    with conn.cursor() as cur:
        cur.executemany(
            "insert into marts.ind_values values (" + ", ".join(["%s"] * 19) + ")",
            [_row(f) for f in figures],
        )
        cur.executemany(
            "insert into marts.ind_framework_totals values (" + ", ".join(["%s"] * 17) + ")",
            [_total_row(*t) for t in totals],
        )
    return publish_figures_keeping(conn)


def publish_figures_keeping(conn: psycopg.Connection) -> int:
    """Publish the marts as they are now (after a test changed them); the publication id."""
    return publish_passed(conn, "report-test")


def build_bi(warehouse_url: str) -> int:
    """Publish the first then the final figures; the live publication's id."""
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute(DDL)
        migrate(conn)
        _seed(conn)
        publish_figures(conn, first_figures(), FIRST_TOTALS)
        return publish_figures(conn, final_figures(), FINAL_TOTALS)
