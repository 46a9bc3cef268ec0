"""The index report's number style and rating bands (hand-written expectations)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from publishing.report.bands import bands_of, load_seed
from publishing.report.formatting import (
    format_change,
    format_date,
    format_datetime,
    format_month,
    format_number,
    format_percent,
    format_value,
)


@pytest.mark.parametrize(
    ("value", "lang", "decimals", "expected"),
    [
        (1234, "vi", 0, "1.234"),
        (1234, "en", 0, "1,234"),
        (1234567.891, "vi", 2, "1.234.567,89"),
        (1234567.891, "en", 2, "1,234,567.89"),
        (Decimal("999.995"), "vi", 2, "1.000,00"),  # half up, carries into the thousands
        (Decimal("0.125"), "vi", 2, "0,13"),  # half up, not to even
        (Decimal("-0.001"), "vi", 2, "0,00"),  # no negative zero
        (-1234, "vi", 0, "-1.234"),
        (0, "vi", 0, "0"),
        (999, "vi", 0, "999"),
        (None, "vi", 0, "Không áp dụng"),
        (None, "en", 0, "N/A"),
    ],
)
def test_format_number(value: object, lang: str, decimals: int, expected: str) -> None:
    assert format_number(value, lang, decimals) == expected


def test_format_percent_vietnamese_and_english() -> None:
    assert format_percent(Decimal(67) / Decimal(78), "vi") == "85,90 %"
    assert format_percent(Decimal(67) / Decimal(78), "en") == "85.90 %"
    assert format_percent(Decimal(1), "vi") == "100,00 %"
    assert format_percent(Decimal(0), "vi") == "0,00 %"
    assert format_percent(None, "vi") == "Không áp dụng"  # zero denominator: never 0 %
    assert format_percent(None, "en") == "N/A"


def test_format_value_per_measure_unit() -> None:
    assert format_value(Decimal("0.5"), "ratio", "vi") == "50,00 %"
    assert format_value(Decimal(12345), "count", "vi") == "12.345"
    assert format_value(Decimal("4.25"), "duration", "vi") == "4,3 ngày"
    assert format_value(Decimal("4.25"), "duration", "en") == "4.3 days"
    # a share of a legal time limit reads as a percentage of it, over 100 % when beyond it
    assert format_value(Decimal("1.125"), "limit_share", "vi") == "112,50 %"
    assert format_value(Decimal("17.179"), "points", "en") == "17.18"
    assert format_value(None, "count", "en") == "N/A"


def test_format_change_in_percentage_points() -> None:
    assert format_change(Decimal("0.063413"), "ratio", "vi") == "+6,34 điểm %"
    assert format_change(Decimal("-0.1"), "ratio", "en") == "-10.00 pp"
    assert format_change(Decimal("-0.75"), "duration", "vi") == "-0,8 ngày"
    assert format_change(Decimal(0), "ratio", "vi") == "0,00 điểm %"


def test_format_dates() -> None:
    assert format_month(date(2025, 9, 1), "vi") == "Tháng 9/2025"
    assert format_month(date(2025, 9, 1), "en") == "Sep 2025"
    assert format_date(date(2025, 9, 5), "vi") == "05/09/2025"
    assert format_date(date(2025, 9, 5), "en") == "5 Sep 2025"
    # 17:30 UTC is 00:30 the next day in Vietnam
    assert format_datetime(datetime(2025, 9, 15, 17, 30, tzinfo=UTC), "vi") == "16/09/2025 00:30 (UTC+7)"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="fr"):
        format_number(1, "fr")


def test_the_seed_holds_the_766_bands_of_the_domain() -> None:
    bands = bands_of(load_seed(), "766")
    assert [(b.band, b.min_score, b.confirmed) for b in bands] == [
        ("excellent", 90, True),
        ("good", 80, False),
        ("fair", 70, False),
        ("average", 50, False),
        ("weak", 0, True),
    ]
    assert [b.name_vi for b in bands] == ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]
    assert {b.scale for b in bands} == {100}


def test_a_period_of_each_kind_reads_as_staff_write_it() -> None:
    from publishing.report.formatting import format_period

    assert format_period("month", date(2025, 9, 1)) == "Tháng 9/2025"
    assert [format_period("quarter", date(2025, m, 1)) for m in (1, 4, 7, 10)] == [
        "Quý I/2025",
        "Quý II/2025",
        "Quý III/2025",
        "Quý IV/2025",
    ]
    assert format_period("year", date(2025, 1, 1)) == "Năm 2025"
    assert format_period("quarter", date(2025, 4, 1), "en") == "Q2 2025"
    assert format_period("year", date(2025, 1, 1), "en") == "2025"
    assert format_period("quarter", date(2025, 4, 1), short=True) == "Q2/2025"


def test_a_period_on_the_command_line_and_in_a_file_name() -> None:
    from publishing.report.periods import parse_period, period_id

    for text, parsed in (
        ("2025-09", ("month", date(2025, 9, 1))),
        ("2025-Q2", ("quarter", date(2025, 4, 1))),
        ("2025", ("year", date(2025, 1, 1))),
        ("quarter", ("quarter", None)),
    ):
        assert parse_period(text) == parsed
        if parsed[1] is not None:
            assert period_id(*parsed) == text
    for wrong in ("2025-13", "2025-Q5", "25", "week"):
        with pytest.raises(ValueError, match="is not a period"):
            parse_period(wrong)
