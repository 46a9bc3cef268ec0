"""The scorecard department staff read: catalogue names, targets, verdicts by direction, units,
N/A, the province row, partial months, assumed targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from publishing.scorecard import Cell, Indicator, Row, render

ON_TIME = Indicator(
    "766-2.1", "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn", "Dossiers settled early or on time"
)
ONLINE = Indicator("766-3.3", "Tỷ lệ hồ sơ nộp trực tuyến", "Dossiers submitted online")
SETTLED_ONLINE = Indicator("NQ17-01", "Tỷ lệ hồ sơ giải quyết trực tuyến", "Dossiers settled online")
DURATION = Indicator("766-2.2", "Thời gian giải quyết trung bình", "Average settlement time", "duration")


def _rows(covered_until: date | None = None) -> list[Row]:
    d = Decimal
    return [
        Row(
            date(2025, 9, 1),
            "000.00.00.H57",
            "UBND thành phố Huế",
            {
                "766-2.1": Cell(ON_TIME, d(13), d(14), d(13) / d(14), d("0.95"), False, False, covered_until),
                "766-3.3": Cell(ONLINE, d(6), d(10), d("0.6"), d("0.50"), True, True, covered_until),
            },
            "province",
        ),
        Row(
            date(2025, 9, 1),
            "000.00.12.H57",
            "Sở Tư pháp",
            {
                "766-2.1": Cell(ON_TIME, d(9), d(10), d("0.9"), d("0.95"), False, False, covered_until),
                "766-3.3": Cell(ONLINE, d(6), d(10), d("0.6"), d("0.50"), True, True, covered_until),
                "NQ17-01": Cell(SETTLED_ONLINE, d(0), d(0), None, d("0.20"), False, None, covered_until),
                # lower is better: 3.5 days against 5 is met
                "766-2.2": Cell(DURATION, d(35), d(10), d("3.5"), d(5), False, True, covered_until),
            },
        ),
    ]


def test_vietnamese_scorecard_shows_received_rates_targets_and_verdicts() -> None:
    text = render(_rows(), "vi")
    lines = text.splitlines()
    assert lines[0] == "Bảng điểm theo cơ quan — tháng 09/2025"
    # the columns are the catalogue's indicators, named in Vietnamese
    assert "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn (766-2.1)" in lines[1]
    assert "Thời gian giải quyết trung bình (766-2.2)" in lines[1]
    line = next(line for line in lines if line.startswith("Sở Tư pháp"))
    assert "(000.00.12.H57)" in line and " 10 " in line
    assert "90.00% / chỉ tiêu 95.00%* Không đạt" in line
    assert "60.00% / chỉ tiêu 50.00% Đạt" in line
    assert "N/A / chỉ tiêu 20.00%* N/A" in line  # zero denominator: never 0 %
    assert "3.50 ngày / chỉ tiêu 5.00 ngày* Đạt" in line
    province = lines[3]
    assert province.startswith("Toàn tỉnh: UBND thành phố Huế (000.00.00.H57)")
    assert "92.86% / chỉ tiêu 95.00%* Không đạt" in province
    assert text.rstrip().endswith("(sửa trong dbt_project/seeds/indicator_targets.csv)")


def test_partial_month_is_said_and_english_is_available() -> None:
    text = render(_rows(covered_until=date(2025, 9, 7)), "en")
    assert text.splitlines()[0] == (
        "Scorecard per agency — month 09/2025 (data up to the end of 07/09/2025, month not complete)"
    )
    assert "Dossiers settled early or on time (766-2.1)" in text.splitlines()[1]
    assert "90.00% / target 95.00%* not met" in text
    assert "3.50 days / target 5.00 days* met" in text


def test_nothing_published() -> None:
    assert render([], "vi") == "Chưa có dữ liệu đã công bố trong schema bi cho giai đoạn này."
