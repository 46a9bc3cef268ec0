"""The per-unit scorecard read from `bi` (what `dtimon run` prints for department staff).

Its columns are the catalogue's computed indicators (the rows of `bi.indicator_catalogue` with a
measure), named in the catalogue's words (`name_vi` / `name_en`); the figures are the month rows of
`bi.ind_values` (scope area, view historical), the province first, then its agencies; the number of dossiers
received comes from the dossier facts (`bi.fct_dossier`), not from an indicator's denominator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import psycopg

from publishing.report.formatting import format_number, format_value

#: The printed scorecard fits a terminal this wide.
WIDTH = 100
UNIT_WIDTH = 48
EMPTY = "—"

LABELS = {
    "vi": {
        "title": "Bảng điểm theo cơ quan — tháng {month}",
        "partial": "Dữ liệu đến hết ngày {day}, chưa đủ tháng.",
        "assumed": "* chỉ tiêu giả định, chưa được xác nhận trong văn bản\n  (sửa trong dbt_project/seeds/indicator_targets.csv)",
        "unit": "Đơn vị",
        "province": "Toàn tỉnh",
        "value": "Kết quả",
        "ratio": "Tử số/Mẫu số",
        "verdict": "Đánh giá",
        "points": "Điểm",
        "met": "Đạt",
        "not_met": "Không đạt",
        "reached": "Đạt ngưỡng",
        "below": "Dưới ngưỡng",
        "target": "Chỉ tiêu",
        "threshold": "Ngưỡng đạt điểm tối đa",
        "max_points": "{points} điểm",
        "no_target": "Chưa có chỉ tiêu",
        "total_title": "Tổng điểm {framework}: điểm đạt / điểm đo được; xếp loại khi đo được từ {min} điểm",
        "total": "Tổng điểm",
        "band": "Xếp loại",
        "points_of": "{earned} / {measured} điểm",
        "not_rated": "chưa đủ dữ liệu",
        "empty": "Chưa có dữ liệu đã công bố trong schema bi cho giai đoạn này.",
    },
    "en": {
        "title": "Scorecard per agency — month {month}",
        "partial": "Data up to the end of {day}, month not complete.",
        "assumed": "* assumed target, not confirmed in a source (edit dbt_project/seeds/indicator_targets.csv)",
        "unit": "Unit",
        "province": "Whole province",
        "value": "Value",
        "ratio": "Num./denom.",
        "verdict": "Assessment",
        "points": "Points",
        "met": "met",
        "not_met": "not met",
        "reached": "reached",
        "below": "not reached",
        "target": "Target",
        "threshold": "Full-score threshold",
        "max_points": "{points} points",
        "no_target": "No target",
        "total_title": "{framework} total: points earned / measured; rated from {min} measured points",
        "total": "Total",
        "band": "Rating",
        "points_of": "{earned} / {measured} points",
        "not_rated": "not enough data",
        "empty": "No published data in schema bi for this period.",
    },
}

#: The short technical summary printed after the scorecard, in both languages.
SUMMARY = {
    "vi": {
        "start": "dtimon run: {start} → {end} trên {where}, nguồn: {sources}",
        "embedded": "PostgreSQL nhúng",
        "published": "Đã công bố: bản số {publication} ({schema}) qua schema bi của {warehouse}",
        "restated": "Bản công bố này điều chỉnh {count} số liệu đã công bố trước đó: xem bi.restatements",
        "ingested": "Đã nạp {source}.{entity}: {loaded} dòng trong {batches} lô, {rejected} bị loại",
        "pulled": " (trên {received} dòng nhận được: chỉ lưu thay đổi)",
        "rejects": " (xem ops.rejects)",
        "report": "Báo cáo chỉ số: {page}",
        "all_reports": "Mọi kỳ báo cáo (tháng, quý, năm): {index}",
        "no_report": "Chưa có báo cáo chỉ số tháng {month} trong {folder} (tháng này chưa được công bố)",
        "airflow_log": "Nhật ký Airflow: {path}",
        "gate_warnings": "Kiểm định dữ liệu: {count} cảnh báo (không chặn công bố): xem bi.dq_source_month",
        "alerts": "Cảnh báo (tác vụ lỗi): {path}",
        "no_alerts": "Cảnh báo (tác vụ lỗi): chưa có (sẽ ghi vào {path})",
        "done": "Hoàn tất sau {seconds} giây.",
        "left_running": "PostgreSQL nhúng vẫn chạy trên 127.0.0.1:{port} (dữ liệu: {data}); dừng bằng `make down`.",
    },
    "en": {
        "start": "dtimon run: {start} → {end} on {where}, sources: {sources}",
        "embedded": "embedded PostgreSQL",
        "published": "Published: publication {publication} ({schema}) in schema bi of {warehouse}",
        "restated": "This publication changed {count} already published values: see bi.restatements",
        "ingested": "Ingested {source}.{entity}: {loaded} rows in {batches} batches, {rejected} rejected",
        "pulled": " (of {received} pulled: only changes are stored)",
        "rejects": " (see ops.rejects)",
        "report": "Index report: {page}",
        "all_reports": "Every report (months, quarters, years): {index}",
        "no_report": "No index report for {month} in {folder} (nothing published for it)",
        "airflow_log": "Airflow log: {path}",
        "gate_warnings": "Gate: {count} warnings (not blocking): see bi.dq_source_month",
        "alerts": "Alerts (failed tasks): {path}",
        "no_alerts": "Alerts (failed tasks): none yet (they go to {path})",
        "done": "Done in {seconds} s.",
        "left_running": "The embedded PostgreSQL is still running on 127.0.0.1:{port} (data: {data}); stop it with `make down`.",
    },
}


def summary(lang: str, key: str, **values: object) -> str:
    """One line of the technical summary; numbers are formatted in the language's style."""
    shown = {
        name: format_number(value, lang)
        if isinstance(value, int | Decimal) and not isinstance(value, bool)
        else value
        for name, value in values.items()
    }
    return SUMMARY[lang][key].format(**shown)


@dataclass(frozen=True)
class Indicator:
    """A computed indicator as the catalogue names it."""

    indicator_id: str
    name_vi: str
    name_en: str
    unit: str = "ratio"

    def label(self, lang: str) -> str:
        return f"{self.name_en if lang == 'en' else self.name_vi} ({self.indicator_id})"


@dataclass(frozen=True)
class Cell:
    indicator: Indicator
    numerator: Decimal | None  # None only for an aggregate indicator whose measure gives none
    denominator: Decimal | None
    value: Decimal | None
    target: Decimal | None
    target_confirmed: bool | None
    met: bool | None
    covered_until: date | None = None  # last day with data when the month is provisional
    direction: str | None = None
    full_score_at: Decimal | None = None  # the value that earns the indicator's full points
    max_points: Decimal | None = None
    points: Decimal | None = None


@dataclass(frozen=True)
class Row:
    month: date
    unit_id: str
    unit_name: str
    cells: dict[str, Cell]
    unit_level: str = "agency"
    received: int = 0  # dossiers received in the month (the province: its agencies' sum)

    @property
    def covered_until(self) -> date | None:
        days = [cell.covered_until for cell in self.cells.values() if cell.covered_until is not None]
        return min(days) if days else None


@dataclass(frozen=True)
class Total:
    """A unit's framework total of a month as bi.ind_framework_totals computes it (never here)."""

    month: date
    level: str
    unit_id: str
    unit_name: str | None
    framework: str
    earned: Decimal
    measured: Decimal
    min_measured_points: Decimal
    band_vi: str | None  # None: too few points measured for a band
    band_en: str | None


def fetch_totals(conn: psycopg.Connection, start: date, end: date) -> list[Total]:
    """The agencies' and the province's framework totals of the months in [start, end)."""
    if conn.execute("select to_regclass('bi.ind_framework_totals')").fetchone()[0] is None:
        return []  # a publication made before totals were published
    rows = conn.execute(
        """
        select t.period_start, t.level, t.unit_id, t.unit_name, t.framework, t.earned, t.measured,
               t.min_measured_points, b.name_vi, b.name_en
        from bi.ind_framework_totals as t
        left join bi.rating_bands as b on b.framework = t.framework and b.band = t.band
        where t.period_kind = 'month' and t.scope = 'area' and t.view = 'historical'
          and t.level in ('agency', 'province')
          and t.period_start >= date_trunc('month', %s::date) and t.period_start < %s
        order by t.period_start, t.framework, t.level = 'agency', t.unit_id
        """,
        (start, end),
    ).fetchall()
    return [Total(*row) for row in rows]


def fetch(conn: psycopg.Connection, start: date, end: date) -> list[Row]:
    rows = conn.execute(
        """
        select v.period_start, v.level, v.unit_id, v.unit_name, v.indicator_id, c.name_vi, c.name_en,
               v.value_unit, v.numerator, v.denominator, v.value, v.target, v.target_confirmed, v.met,
               case when v.status = 'provisional'
                    then ((v.period_as_of at time zone 'Asia/Ho_Chi_Minh') - interval '1 microsecond')::date
               end as covered_until,
               c.direction, c.full_score_at, c.max_points, v.points
        from bi.ind_values as v
        join bi.indicator_catalogue as c on c.indicator_id = v.indicator_id
        where c.measure is not null
          and v.period_kind = 'month' and v.scope = 'area' and v.view = 'historical'
          and v.level in ('agency', 'province')
          and v.period_start >= date_trunc('month', %s::date) and v.period_start < %s
        order by v.period_start, v.level = 'agency', v.unit_id, v.indicator_id
        """,
        (start, end),
    ).fetchall()
    grouped: dict[tuple[date, str, str], Row] = {}
    for (
        month, level, unit_id, name, indicator_id, name_vi, name_en, unit,
        num, den, value, target, confirmed, met, covered_until, direction, full_score_at, max_points, points,
    ) in rows:  # fmt: skip
        row = grouped.setdefault((month, level, unit_id), Row(month, unit_id, name or unit_id, {}, level))
        indicator = Indicator(indicator_id, name_vi, name_en, unit)
        row.cells[indicator_id] = Cell(
            indicator, num, den, value, target, confirmed, met, covered_until,
            direction, full_score_at, max_points, points,
        )  # fmt: skip
    received = _received(conn, start, end)
    result = []
    for (month, level, unit_id), row in grouped.items():
        count = (
            sum(n for (m, agency), n in received.items() if m == month)
            if level == "province"
            else received.get((month, unit_id), 0)
        )
        result.append(replace(row, received=count))
    return result


def _received(conn: psycopg.Connection, start: date, end: date) -> dict[tuple[date, str], int]:
    """(local month, agency id) → dossiers received, from the published dossier facts."""
    rows = conn.execute(
        """
        select date_trunc('month', received_at at time zone 'Asia/Ho_Chi_Minh')::date as month,
               coalesce(agency_id, 'unknown'), count(*)
        from bi.fct_dossier
        where is_received
          and received_at >= (date_trunc('month', %s::date)::timestamp at time zone 'Asia/Ho_Chi_Minh')
          and received_at < (%s::date::timestamp at time zone 'Asia/Ho_Chi_Minh')
        group by 1, 2
        """,
        (start, end),
    ).fetchall()
    return {(month, agency): count for month, agency, count in rows}


def _measure(value: Decimal | None, unit: str, lang: str) -> str:
    if value is None:
        return EMPTY
    return format_value(value, unit, lang)  # a duration with its unit word


def _is_threshold(cell: Cell) -> bool:
    """The target is the Decision's full-score threshold itself (not a pass mark of its own)."""
    return cell.full_score_at is not None and cell.target is not None and cell.target == cell.full_score_at


def _verdict(cell: Cell, lang: str) -> str:
    labels = LABELS[lang]
    if cell.met is None:
        return EMPTY
    if _is_threshold(cell):
        return labels["reached"] if cell.met else labels["below"]
    return labels["met"] if cell.met else labels["not_met"]


def _count(value: Decimal, lang: str) -> str:
    return format_number(value, lang, 0 if value == value.to_integral_value() else 1)


def _fraction(cell: Cell, lang: str) -> str:
    if cell.denominator is None or cell.numerator is None:
        return EMPTY
    return f"{_count(Decimal(cell.numerator), lang)}/{_count(Decimal(cell.denominator), lang)}"


def _points(cell: Cell, lang: str) -> str:
    return EMPTY if cell.points is None else format_number(cell.points, lang, 2)


def _bound(cell: Cell) -> str:
    return {"lower_is_better": "≤ ", "higher_is_better": "≥ "}.get(cell.direction or "", "")


def _goal_line(cells: list[Cell], lang: str) -> str:
    """What the indicator is measured against: its target, its full-score threshold (with points), or both."""
    labels = LABELS[lang]
    first = next((c for c in cells if c.target is not None or c.full_score_at is not None), None)
    if first is None:
        return f"  {labels['no_target']}"
    unit = first.indicator.unit
    parts = []
    if first.full_score_at is not None:
        points = (
            f" ({labels['max_points'].format(points=format_number(first.max_points, lang))})"
            if first.max_points is not None
            else ""
        )
        parts.append(
            f"{labels['threshold']}: {_bound(first)}{_measure(first.full_score_at, unit, lang)}{points}"
        )
    if first.target is not None and not _is_threshold(first):
        assumed = "*" if first.target_confirmed is False else ""
        parts.append(f"{labels['target']}: {_bound(first)}{_measure(first.target, unit, lang)}{assumed}")
    return "  " + " · ".join(parts)


def _columns(rows: list[Row]) -> list[Indicator]:
    """The indicators of the rows, each once, in the order they come."""
    seen: dict[str, Indicator] = {}
    for row in rows:
        for indicator_id, cell in row.cells.items():
            seen.setdefault(indicator_id, cell.indicator)
    return list(sorted(seen.values(), key=lambda i: i.indicator_id))


def _unit(row: Row, lang: str) -> str:
    code = f" ({row.unit_id})"
    name = row.unit_name
    if row.unit_level == "province":
        name = f"{LABELS[lang]['province']}: {name}"
    room = UNIT_WIDTH - len(code)
    if len(name) > room:
        name = name[: room - 1].rstrip() + "…"
    return name + code


def _table(lines: list[list[str]], left: tuple[int, ...] = (0, 3)) -> list[str]:
    """Columns aligned: those in `left` (text) to the left, the others (numbers) to the right."""
    widths = [max(len(line[c]) for line in lines) for c in range(len(lines[0]))]
    out = []
    for n, line in enumerate(lines):
        cells = [text.ljust(widths[c]) if c in left else text.rjust(widths[c]) for c, text in enumerate(line)]
        out.append(("  " + "  ".join(cells)).rstrip())
        if n == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


def _ordered(rows: list[Row]) -> list[Row]:
    """The province first, then the agencies by code."""
    return sorted(rows, key=lambda r: (r.unit_level != "province", r.unit_id))


def _points_of(total: Total, lang: str) -> str:
    """ "61,20 / 70 điểm": whole measured points without decimals (59,99 never reads as 60)."""
    whole = total.measured == total.measured.to_integral()
    return LABELS[lang]["points_of"].format(
        earned=format_number(total.earned, lang, 2),
        measured=format_number(total.measured, lang, 0 if whole else 2),
    )


def _total_blocks(totals: Sequence[Total], lang: str) -> list[str]:
    """One block per framework: each unit's total and band (or not enough data), province first."""
    labels = LABELS[lang]
    blocks = []
    for framework in dict.fromkeys(t.framework for t in totals):
        mine = [t for t in totals if t.framework == framework]
        title = labels["total_title"].format(
            framework=framework, min=format_number(mine[0].min_measured_points, lang)
        )
        table = [[labels["unit"], labels["total"], labels["band"]]]
        for total in sorted(mine, key=lambda t: (t.level != "province", t.unit_id)):
            unit = _unit(
                Row(total.month, total.unit_id, total.unit_name or total.unit_id, {}, total.level), lang
            )
            band = total.band_en if lang == "en" else total.band_vi
            table.append([unit, _points_of(total, lang), band or labels["not_rated"]])
        blocks.append("\n".join([title, *_table(table, left=(0, 2))]))
    return blocks


def render(rows: list[Row], lang: str = "vi", totals: Sequence[Total] = ()) -> str:
    """One block per indicator: what it is measured against, then one line per unit (province first);
    then each framework's totals (bi.ind_framework_totals).

    Every line fits WIDTH columns; numbers in the language's style (`85,90 %`, `1.234`).
    """
    labels = LABELS.get(lang, LABELS["vi"])
    lang = lang if lang in LABELS else "vi"
    if not rows:
        return labels["empty"]
    blocks: list[str] = []
    for month in sorted({row.month for row in rows}):
        month_rows = _ordered([r for r in rows if r.month == month])
        title = labels["title"].format(month=f"{month:%m/%Y}")
        covered = [row.covered_until for row in month_rows if row.covered_until is not None]
        if covered:
            title += "\n" + labels["partial"].format(day=f"{min(covered):%d/%m/%Y}")
        blocks.append(title)
        for indicator in _columns(month_rows):
            cells = [c for r in month_rows if (c := r.cells.get(indicator.indicator_id)) is not None]
            name = indicator.name_en if lang == "en" else indicator.name_vi
            heading = f"{indicator.indicator_id}  {name}"
            if len(heading) > WIDTH:
                heading = heading[: WIDTH - 1] + "…"
            table = [[labels["unit"], labels["value"], labels["ratio"], labels["verdict"], labels["points"]]]
            for row in month_rows:
                cell = row.cells.get(indicator.indicator_id)
                if cell is None:
                    table.append([_unit(row, lang), EMPTY, EMPTY, EMPTY, EMPTY])
                    continue
                table.append(
                    [
                        _unit(row, lang),
                        _measure(cell.value, indicator.unit, lang),
                        _fraction(cell, lang),
                        _verdict(cell, lang),
                        _points(cell, lang),
                    ]
                )
            blocks.append("\n".join([heading, _goal_line(cells, lang), *_table(table)]))
        blocks += _total_blocks([t for t in totals if t.month == month], lang)
    if any(
        c.target_confirmed is False and not _is_threshold(c)
        for r in rows
        for c in r.cells.values()
        if c.target is not None
    ):
        blocks.append(labels["assumed"])
    return "\n\n".join(blocks)
