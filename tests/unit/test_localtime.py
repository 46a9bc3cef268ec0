"""Local times of the sources (`yyyyMMddHHmmss`, Asia/Ho_Chi_Minh) to aware datetimes and back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ingestion.localtime import (
    FIRST_YEAR,
    LAST_YEAR,
    VN_TZ,
    BadTimestamp,
    format_compact,
    parse_compact,
    valid_parts,
)


def test_parse_gives_an_explicit_plus_seven_offset() -> None:
    parsed = parse_compact("20250901083015")
    assert parsed == datetime(2025, 9, 1, 1, 30, 15, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(
    "text", ["", "2025090108301", "202509010830150", "2025-09-01 08:30", "20251345990000", "20250230120000"]
)
def test_parse_rejects_malformed(text: str) -> None:
    with pytest.raises(BadTimestamp):
        parse_compact(text)


def test_format_converts_to_local_time_and_refuses_naive() -> None:
    assert format_compact(datetime(2025, 8, 31, 17, 0, tzinfo=UTC)) == "20250901000000"
    assert format_compact(datetime(2025, 9, 1, tzinfo=VN_TZ)) == "20250901000000"
    with pytest.raises(ValueError):
        format_compact(datetime(2025, 9, 1))


def test_the_valid_parts_are_every_calendar_day_and_second_of_a_day() -> None:
    """`valid_parts` against the calendar itself: every date FIRST_YEAR–LAST_YEAR, every second."""
    days, times = valid_parts()
    first, last = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
    expected_days = {(first + timedelta(days=n)).strftime("%Y%m%d") for n in range((last - first).days + 1)}
    assert days == expected_days
    midnight = datetime(2025, 1, 1)
    assert times == {(midnight + timedelta(seconds=n)).strftime("%H%M%S") for n in range(86_400)}
    assert "20240229" in days and "20250229" not in days and "21000229" not in days
