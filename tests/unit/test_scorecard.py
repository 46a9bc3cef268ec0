"""The scorecard department staff read: targets, verdicts, N/A, partial months, assumed targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from publishing.scorecard import Cell, Row, render


def _rows(covered_until: date | None = None) -> list[Row]:
    return [
        Row(
            date(2025, 9, 1),
            "000.00.12.H57",
            "Sở Tư pháp",
            {
                "766-2.1": Cell(9, 10, Decimal("0.9"), Decimal("0.95"), False, False),
                "766-3.3": Cell(6, 10, Decimal("0.6"), Decimal("0.50"), True, True),
                "NQ17-01": Cell(0, 0, None, Decimal("0.20"), False, None),
            },
            covered_until,
        )
    ]


def test_vietnamese_scorecard_shows_received_rates_targets_and_verdicts() -> None:
    text = render(_rows(), "vi")
    assert text.splitlines()[0] == "Bảng điểm theo cơ quan — tháng 09/2025"
    line = next(line for line in text.splitlines() if line.startswith("Sở Tư pháp"))
    assert "(000.00.12.H57)" in line and " 10 " in line
    assert "90.00% / chỉ tiêu 95.00%* Không đạt" in line
    assert "60.00% / chỉ tiêu 50.00% Đạt" in line
    assert "N/A / chỉ tiêu 20.00%* N/A" in line  # zero denominator: never 0 %
    assert text.rstrip().endswith("(sửa trong dbt_project/seeds/indicator_targets.csv)")


def test_partial_month_is_said_and_english_is_available() -> None:
    text = render(_rows(covered_until=date(2025, 9, 7)), "en")
    assert text.splitlines()[0] == (
        "Scorecard per agency — month 09/2025 (data up to the end of 07/09/2025, month not complete)"
    )
    assert "90.00% / target 95.00%* not met" in text


def test_nothing_published() -> None:
    assert render([], "vi") == "Chưa có dữ liệu đã công bố trong schema bi cho giai đoạn này."
