"""The per-unit scorecard read from `bi` (what `dtimon run` prints for department staff).

Its columns are the catalogue's computed indicators (the rows of `bi.indicator_catalogue` with a
measure), named in the catalogue's words (`name_vi` / `name_en`); the figures come from
`bi.ind_values__unit_month`, the province first, then its agencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import psycopg

RECEIVED_FROM = "766-3.3"  # its denominator is the number of dossiers received

LABELS = {
    "vi": {
        "title": "Bảng điểm theo cơ quan — tháng {month}",
        "partial": " (dữ liệu đến hết ngày {day}, chưa đủ tháng)",
        "assumed": "* chỉ tiêu giả định, chưa được xác nhận trong văn bản (sửa trong dbt_project/seeds/indicator_targets.csv)",
        "agency": "Cơ quan",
        "province": "Toàn tỉnh",
        "received": "Hồ sơ tiếp nhận",
        "met": "Đạt",
        "not_met": "Không đạt",
        "na": "N/A",
        "target": "chỉ tiêu",
        "duration": "ngày",
        "points": "điểm",
        "empty": "Chưa có dữ liệu đã công bố trong schema bi cho giai đoạn này.",
    },
    "en": {
        "title": "Scorecard per agency — month {month}",
        "partial": " (data up to the end of {day}, month not complete)",
        "assumed": "* assumed target, not confirmed in a source (edit dbt_project/seeds/indicator_targets.csv)",
        "agency": "Agency",
        "province": "Whole province",
        "received": "Dossiers received",
        "met": "met",
        "not_met": "not met",
        "na": "N/A",
        "target": "target",
        "duration": "days",
        "points": "points",
        "empty": "No published data in schema bi for this period.",
    },
}


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
    numerator: Decimal
    denominator: Decimal | None
    value: Decimal | None
    target: Decimal | None
    target_confirmed: bool | None
    met: bool | None
    covered_until: date | None = None  # last day with data when the month is provisional


@dataclass(frozen=True)
class Row:
    month: date
    unit_id: str
    unit_name: str
    cells: dict[str, Cell]
    unit_level: str = "agency"

    @property
    def received(self) -> int:
        cell = self.cells.get(RECEIVED_FROM)
        return int(cell.denominator or 0) if cell else 0

    @property
    def covered_until(self) -> date | None:
        days = [cell.covered_until for cell in self.cells.values() if cell.covered_until is not None]
        return min(days) if days else None


def fetch(conn: psycopg.Connection, start: date, end: date) -> list[Row]:
    rows = conn.execute(
        """
        select v.period_month, v.unit_level, v.unit_id, v.unit_name, v.indicator_id, c.name_vi, c.name_en,
               v.measure_unit, v.numerator, v.denominator, v.value, v.target, v.target_confirmed, v.met,
               case when v.period_status = 'provisional'
                    then ((v.period_as_of at time zone 'Asia/Ho_Chi_Minh') - interval '1 microsecond')::date
               end as covered_until
        from bi.ind_values__unit_month as v
        join bi.indicator_catalogue as c on c.indicator_id = v.indicator_id
        where c.measure is not null
          and v.period_month >= date_trunc('month', %s::date) and v.period_month < %s
        order by v.period_month, v.unit_level = 'agency', v.unit_id, v.indicator_id
        """,
        (start, end),
    ).fetchall()
    grouped: dict[tuple[date, str, str], Row] = {}
    for (
        month, level, unit_id, name, indicator_id, name_vi, name_en, unit,
        num, den, value, target, confirmed, met, covered_until,
    ) in rows:  # fmt: skip
        row = grouped.setdefault((month, level, unit_id), Row(month, unit_id, name or unit_id, {}, level))
        indicator = Indicator(indicator_id, name_vi, name_en, unit)
        row.cells[indicator_id] = Cell(indicator, num, den, value, target, confirmed, met, covered_until)
    return list(grouped.values())


def _measure(value: Decimal | None, unit: str, labels: dict[str, str]) -> str:
    if value is None:
        return labels["na"]
    if unit == "ratio":
        return f"{float(value) * 100:.2f}%"
    if unit == "count":
        return f"{int(value)}"
    return f"{float(value):.2f} {labels.get(unit, '')}".rstrip()


def _cell(cell: Cell | None, labels: dict[str, str]) -> str:
    if cell is None:
        return labels["na"]
    unit = cell.indicator.unit
    verdict = labels["na"] if cell.met is None else labels["met"] if cell.met else labels["not_met"]
    assumed = "*" if cell.target_confirmed is False else ""
    target = (
        "" if cell.target is None else f" / {labels['target']} {_measure(cell.target, unit, labels)}{assumed}"
    )
    return f"{_measure(cell.value, unit, labels)}{target} {verdict}"


def _columns(rows: list[Row]) -> list[Indicator]:
    """The indicators of the rows, each once, in the order they come."""
    seen: dict[str, Indicator] = {}
    for row in rows:
        for indicator_id, cell in row.cells.items():
            seen.setdefault(indicator_id, cell.indicator)
    return list(seen.values())


def _unit(row: Row, labels: dict[str, str]) -> str:
    name = f"{row.unit_name} ({row.unit_id})"
    return f"{labels['province']}: {name}" if row.unit_level == "province" else name


def render(rows: list[Row], lang: str = "vi") -> str:
    labels = LABELS.get(lang, LABELS["vi"])
    if not rows:
        return labels["empty"]
    blocks: list[str] = []
    for month in sorted({row.month for row in rows}):
        month_rows = [r for r in rows if r.month == month]
        columns = _columns(month_rows)
        header = [labels["agency"], labels["received"], *(i.label(lang) for i in columns)]
        table = [header]
        for row in month_rows:
            table.append(
                [
                    _unit(row, labels),
                    str(row.received),
                    *(_cell(row.cells.get(i.indicator_id), labels) for i in columns),
                ]
            )
        widths = [max(len(line[c]) for line in table) for c in range(len(header))]
        title = labels["title"].format(month=f"{month:%m/%Y}")
        covered = [row.covered_until for row in month_rows if row.covered_until is not None]
        if covered:
            title += labels["partial"].format(day=f"{min(covered):%d/%m/%Y}")
        lines = [title]
        for n, line in enumerate(table):
            lines.append(
                "  ".join(
                    text.ljust(widths[c]) if c != 1 else text.rjust(widths[c]) for c, text in enumerate(line)
                )
            )
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        blocks.append("\n".join(lines))
    if any(c.target_confirmed is False for r in rows for c in r.cells.values()):
        blocks.append(labels["assumed"])
    return "\n\n".join(blocks)
