"""Report periods: the kinds a page can be of, and how a period is written (no database, no heavy
imports: the command line parses `--period` with it)."""

from __future__ import annotations

import re
from datetime import date

#: The period kinds of ind_values a report page can be of, shortest first, and the months each spans.
PERIOD_KINDS = ("month", "quarter", "year")
MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}


def check_kind(kind: str) -> None:
    if kind not in PERIOD_KINDS:
        raise ValueError(f"period kind {kind!r}: use one of {', '.join(PERIOD_KINDS)}")


def period_id(kind: str, start: date) -> str:
    """How a period is written on the command line and in file names: 2025-09, 2025-Q3, 2025."""
    check_kind(kind)
    if kind == "month":
        return f"{start:%Y-%m}"
    if kind == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}"


def parse_period(text: str) -> tuple[str, date | None]:
    """`2025-09` → a month, `2025-Q3` → a quarter, `2025` → a year (kind, first day); a kind alone
    (`quarter`) → that kind's latest published period (kind, None)."""
    if text.strip().lower() in PERIOD_KINDS:
        return text.strip().lower(), None
    match = re.fullmatch(r"(\d{4})(?:-(?:(\d{2})|[Qq]([1-4])))?", text.strip())
    if match is None or (match[2] and not 1 <= int(match[2]) <= 12):
        raise ValueError(
            f"{text!r} is not a period (expected YYYY-MM, YYYY-Qn, YYYY, month, quarter or year)"
        )
    year = int(match[1])
    if match[2]:
        return "month", date(year, int(match[2]), 1)
    if match[3]:
        return "quarter", date(year, 3 * int(match[3]) - 2, 1)
    return "year", date(year, 1, 1)
