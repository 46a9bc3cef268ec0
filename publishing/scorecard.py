"""The per-agency scorecard read from `bi` (what `dtimon run` prints for department staff)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import psycopg

INDICATORS = ("766-2.1", "766-3.3", "NQ17-01")
RECEIVED_FROM = "766-3.3"  # its denominator is the number of dossiers received

LABELS = {
    "vi": {
        "title": "Bảng điểm theo cơ quan — tháng {month}",
        "partial": " (dữ liệu đến hết ngày {day}, chưa đủ tháng)",
        "assumed": "* chỉ tiêu giả định, chưa được xác nhận trong văn bản (sửa trong dbt_project/seeds/indicator_targets.csv)",
        "agency": "Cơ quan",
        "received": "Hồ sơ tiếp nhận",
        "766-2.1": "Đúng hạn (766-2.1)",
        "766-3.3": "Nộp trực tuyến (766-3.3)",
        "NQ17-01": "Giải quyết trực tuyến (NQ17-01)",
        "met": "Đạt",
        "not_met": "Không đạt",
        "na": "N/A",
        "target": "chỉ tiêu",
        "empty": "Chưa có dữ liệu đã công bố trong schema bi cho giai đoạn này.",
    },
    "en": {
        "title": "Scorecard per agency — month {month}",
        "partial": " (data up to the end of {day}, month not complete)",
        "assumed": "* assumed target, not confirmed in a source (edit dbt_project/seeds/indicator_targets.csv)",
        "agency": "Agency",
        "received": "Dossiers received",
        "766-2.1": "On time (766-2.1)",
        "766-3.3": "Submitted online (766-3.3)",
        "NQ17-01": "Settled online (NQ17-01)",
        "met": "met",
        "not_met": "not met",
        "na": "N/A",
        "target": "target",
        "empty": "No published data in schema bi for this period.",
    },
}


@dataclass(frozen=True)
class Cell:
    numerator: int
    denominator: int
    rate: Decimal | None
    target: Decimal | None
    target_confirmed: bool | None
    met: bool | None


@dataclass(frozen=True)
class Row:
    month: date
    agency_id: str
    agency_name: str
    cells: dict[str, Cell]
    covered_until: date | None = None  # last day with data when the month is not complete

    @property
    def received(self) -> int:
        cell = self.cells.get(RECEIVED_FROM)
        return cell.denominator if cell else 0


def fetch(conn: psycopg.Connection, start: date, end: date) -> list[Row]:
    rows = conn.execute(
        """
        select period_month, agency_id, agency_name, indicator_id, numerator, denominator, rate, target,
               target_confirmed, met,
               case when not period_is_complete
                    then ((period_as_of at time zone 'Asia/Ho_Chi_Minh') - interval '1 microsecond')::date
               end as covered_until
        from bi.ind_766__agency_month
        where period_month >= date_trunc('month', %s::date) and period_month < %s and indicator_id = any(%s)
        order by period_month, agency_id, indicator_id
        """,
        (start, end, list(INDICATORS)),
    ).fetchall()
    grouped: dict[tuple[date, str], Row] = {}
    for month, agency_id, name, indicator, num, den, rate, target, confirmed, met, covered_until in rows:
        row = grouped.setdefault(
            (month, agency_id), Row(month, agency_id, name or agency_id, {}, covered_until)
        )
        row.cells[indicator] = Cell(int(num), int(den), rate, target, confirmed, met)
    return list(grouped.values())


def _pct(value: Decimal | None, na: str) -> str:
    return na if value is None else f"{float(value) * 100:.2f}%"


def _cell(cell: Cell | None, labels: dict[str, str]) -> str:
    if cell is None:
        return labels["na"]
    verdict = labels["na"] if cell.met is None else labels["met"] if cell.met else labels["not_met"]
    assumed = "*" if cell.target_confirmed is False else ""
    target = (
        "" if cell.target is None else f" / {labels['target']} {_pct(cell.target, labels['na'])}{assumed}"
    )
    return f"{_pct(cell.rate, labels['na'])}{target} {verdict}"


def render(rows: list[Row], lang: str = "vi") -> str:
    labels = LABELS.get(lang, LABELS["vi"])
    if not rows:
        return labels["empty"]
    blocks: list[str] = []
    for month in sorted({row.month for row in rows}):
        month_rows = [r for r in rows if r.month == month]
        header = [labels["agency"], labels["received"], *(labels[i] for i in INDICATORS)]
        table = [header]
        for row in month_rows:
            table.append(
                [
                    f"{row.agency_name} ({row.agency_id})",
                    str(row.received),
                    *(_cell(row.cells.get(i), labels) for i in INDICATORS),
                ]
            )
        widths = [max(len(line[c]) for line in table) for c in range(len(header))]
        title = labels["title"].format(month=f"{month:%m/%Y}")
        covered = month_rows[0].covered_until
        if covered is not None:
            title += labels["partial"].format(day=f"{covered:%d/%m/%Y}")
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
