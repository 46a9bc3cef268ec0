"""The one working-day calendar (the holiday seed) against the `holidays` package's Vietnam.

Compared on what decides a deadline: which weekdays are days off and which weekend days are
worked. Every difference is either fixed in the seed or listed in KNOWN_DIFFERENCES with the
decision that settles it; a new difference (a new package release, an edited seed) fails.
"""

from __future__ import annotations

from datetime import date

import holidays
import pytest

from core.calendar import WorkingCalendar, working_calendar

#: date → how the seed and the package differ there, and the decision that settles it
KNOWN_DIFFERENCES: dict[date, str] = {
    date(2026, 1, 2): (
        "seed: day off (swap), package: working day. Công văn 12729/VPCP-KGVX (25/12/2025): "
        "state employees off Thu 1/1 – Sun 4/1/2026, Fri 2/1 swapped with Sat 10/1"
    ),
    date(2026, 1, 10): "seed: make-up working day, package: weekend. Same swap (12729/VPCP-KGVX)",
    date(2026, 11, 24): (
        "package: Vietnam Culture Day, seed: working day. Resolution 80-NQ/TW (Politburo, Jan 2026) "
        "chose 24/11 as a paid holiday in principle and Resolution 30/NQ-CP (Feb 2026) tasks amending "
        "Labour Code art. 112(1); no amendment in force was found, so it is not a statutory day off "
        "for 2026 (add it to the seed when the amended article takes effect)"
    ),
}


def _package(years: list[int]) -> tuple[set[date], set[date]]:
    """(weekdays off, weekend days worked) by the package."""
    vn = holidays.country_holidays("VN", years=years)
    off = {day for day in vn if day.weekday() < 5}
    worked = {day for day in getattr(vn, "weekend_workdays", set()) if day.year in years}
    return off, worked


def _seed(calendar: WorkingCalendar, years: list[int]) -> tuple[set[date], set[date]]:
    off = {day for day in calendar.days_off if day.weekday() < 5 and day.year in years}
    worked = {day for day in calendar.makeup_working_days if day.year in years}
    return off, worked


def test_seed_agrees_with_the_holidays_package_or_says_why_not() -> None:
    calendar = working_calendar()
    years = sorted(calendar.covered_years)
    assert years, "the seed covers no year"
    seed_off, seed_worked = _seed(calendar, years)
    package_off, package_worked = _package(years)
    differences = (seed_off ^ package_off) | (seed_worked ^ package_worked)
    unexplained = sorted(differences - KNOWN_DIFFERENCES.keys())
    assert not unexplained, f"seed and holidays package differ on {unexplained}: fix the seed or explain"
    stale = sorted(KNOWN_DIFFERENCES.keys() - differences)
    assert not stale, f"listed as differences but the two now agree: {stale}"


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 1), False),  # National Day (adjacent day), a Monday
        (date(2025, 9, 3), True),  # Wednesday
        (date(2025, 9, 6), False),  # Saturday
        (date(2025, 4, 26), True),  # Saturday worked in exchange for Fri 2 May
        (date(2025, 5, 2), False),
        (date(2026, 1, 2), False),
        (date(2026, 1, 10), True),
        (date(2026, 8, 31), False),
        (date(2026, 8, 22), True),
        (date(2026, 11, 24), True),
    ],
)
def test_working_days_follow_the_seed(day: date, working: bool) -> None:
    assert working_calendar().is_working_day(day) is working


def test_working_days_in_a_range() -> None:
    # 29 Aug – 4 Sep 2025: Fri 29 works, 30–31 weekend, 1–2 Sep National Day, 3–4 work.
    assert working_calendar().working_days(date(2025, 8, 29), date(2025, 9, 4)) == [
        date(2025, 8, 29),
        date(2025, 9, 3),
        date(2025, 9, 4),
    ]


def test_every_covered_year_and_only_those() -> None:
    calendar = working_calendar()
    assert {2022, 2023, 2024, 2025, 2026} <= calendar.covered_years
    assert not calendar.covers(date(2021, 6, 1))
    assert {d.day.year for d in calendar.days} <= calendar.covered_years


def test_the_swaps_domain_md_cites_are_confirmed() -> None:
    # DOMAIN.md §4: 2024 29/4 off, 4/5 worked (2450/VPCP-KGVX); 2025 2/5 off, 26/4 worked;
    # 2026 2/1 off, 10/1 worked (12729/VPCP-KGVX) and Tết 14–22/2
    cited = {date(2024, 4, 29), date(2024, 5, 4), date(2025, 5, 2), date(2025, 4, 26), date(2026, 1, 2)}
    cited |= {date(2026, 1, 10)} | {date(2026, 2, day) for day in range(14, 23)}
    confirmed = {d.day for d in working_calendar().days if d.confirmed}
    assert cited <= confirmed


def test_the_next_working_day() -> None:
    calendar = working_calendar()
    assert calendar.next_working_day(date(2025, 8, 30)) == date(2025, 9, 3)  # Sat → past 1–2 Sep
    assert calendar.next_working_day(date(2025, 9, 3)) == date(2025, 9, 3)
    assert calendar.next_working_day(date(2025, 4, 26)) == date(2025, 4, 26)  # a make-up Saturday
