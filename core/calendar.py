"""The one working-day calendar: the holiday seed of the dbt project, read by Python too.

Working days are Monday–Friday, minus the seed's days off (`kind = day_off`), plus its
official make-up working days (`kind = makeup_working_day`, a weekend day worked in exchange
for a day off). dbt reads the same two CSV files (`public_holidays`, `calendar_coverage`) in
`int_calendar__days`; nothing else lists holidays.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"
HOLIDAYS_FILE = "public_holidays.csv"
COVERAGE_FILE = "calendar_coverage.csv"
DAY_OFF = "day_off"
MAKEUP_WORKING_DAY = "makeup_working_day"


@dataclass(frozen=True)
class CalendarDay:
    """One row of the holiday seed."""

    day: date
    name_vi: str
    name_en: str
    kind: str
    confirmed: bool


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise ValueError(f"expected true or false, got {text!r}")
    return value == "true"


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days of the state agencies for the years the seed covers."""

    days: tuple[CalendarDay, ...]
    covered_years: frozenset[int]
    days_off: frozenset[date] = field(init=False, repr=False)
    makeup_working_days: frozenset[date] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "days_off", frozenset(d.day for d in self.days if d.kind == DAY_OFF))
        object.__setattr__(
            self, "makeup_working_days", frozenset(d.day for d in self.days if d.kind == MAKEUP_WORKING_DAY)
        )

    @classmethod
    def from_seeds(cls, seeds_dir: Path = SEEDS_DIR) -> WorkingCalendar:
        with (seeds_dir / HOLIDAYS_FILE).open(newline="", encoding="utf-8") as file:
            days = tuple(
                CalendarDay(
                    day=date.fromisoformat(row["holiday_date"]),
                    name_vi=row["name_vi"],
                    name_en=row["name_en"],
                    kind=row["kind"],
                    confirmed=_flag(row["confirmed"]),
                )
                for row in csv.DictReader(file)
            )
        unknown = sorted({d.kind for d in days} - {DAY_OFF, MAKEUP_WORKING_DAY})
        if unknown:
            raise ValueError(f"{HOLIDAYS_FILE}: unknown kind(s) {unknown}")
        with (seeds_dir / COVERAGE_FILE).open(newline="", encoding="utf-8") as file:
            covered = frozenset(
                int(row["calendar_year"]) for row in csv.DictReader(file) if _flag(row["covered"])
            )
        return cls(days, covered)

    def covers(self, day: date) -> bool:
        """True when the seed lists the holidays of `day`'s year."""
        return day.year in self.covered_years

    def is_working_day(self, day: date) -> bool:
        """Monday–Friday minus days off plus make-up days. Outside the covered years only the
        weekday rule applies (check `covers` where that matters: dbt refuses such years)."""
        if day in self.makeup_working_days:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def next_working_day(self, day: date) -> date:
        """`day` when it is a working day, else the first working day after it: where a reception on
        a day off is counted from, and where a deadline on a day off moves (DOMAIN.md §3.3)."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days(self, first: date, last: date) -> list[date]:
        """The working days in [first, last], in order."""
        return [
            first + timedelta(days=n)
            for n in range((last - first).days + 1)
            if self.is_working_day(first + timedelta(days=n))
        ]


@cache
def working_calendar() -> WorkingCalendar:
    """The calendar of the project's seeds, read once."""
    return WorkingCalendar.from_seeds()
