"""The scorecard department staff read: one block per indicator, province first, each rate with
its numerator/denominator, targets and full-score thresholds (with points) named as such,
numbers in the language's style, "—" for nothing, 100 columns at most."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from publishing.scorecard import WIDTH, Cell, Indicator, Row, Total, render, summary

ON_TIME = Indicator(
    "766-2.1", "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn", "Dossiers settled early or on time"
)
ONLINE = Indicator("766-3.3", "Tỷ lệ hồ sơ nộp trực tuyến", "Dossiers submitted online")
SETTLED_ONLINE = Indicator("NQ17-01", "Tỷ lệ hồ sơ giải quyết trực tuyến", "Dossiers settled online")
DURATION = Indicator("766-2.2", "Thời gian giải quyết trung bình", "Average settlement time", "duration")
HIGHER, LOWER = "higher_is_better", "lower_is_better"
LONG_NAME = "Ban Quản lý Khu kinh tế, công nghiệp tỉnh Thừa Thiên Huế và các khu chức năng"


def _rows(covered_until: date | None = None) -> list[Row]:
    d = Decimal

    def online(num: int, den: int, points: str) -> Cell:
        # 766-3.3: the Decision's full score (10 points here) at 50 %, used as the target too
        value = d(num) / d(den)
        return Cell(ONLINE, d(num), d(den), value, d("0.50"), True, value >= d("0.5"), covered_until,
                    HIGHER, d("0.50"), d(10), d(points))  # fmt: skip

    agency = Row(
        date(2025, 9, 1),
        "000.00.12.H57",
        "Sở Tư pháp",
        {
            "766-2.1": Cell(ON_TIME, d(9), d(10), d("0.9"), d("0.95"), False, False, covered_until, HIGHER),
            "766-3.3": online(67, 78, "10"),
            "NQ17-01": Cell(SETTLED_ONLINE, d(0), d(0), None, d("0.20"), False, None, covered_until, HIGHER),
            # lower is better: 3.5 days against 5 is met
            "766-2.2": Cell(DURATION, d(35), d(10), d("3.5"), d(5), False, True, covered_until, LOWER),
        },
    )
    province = Row(
        date(2025, 9, 1),
        "000.00.00.H57",
        "UBND tỉnh Thừa Thiên Huế",
        {
            "766-2.1": Cell(
                ON_TIME, d(1300), d(1400), d(13) / d(14), d("0.95"), False, False, covered_until, HIGHER
            ),
            "766-3.3": online(1234, 2000, "6.17"),
        },
        "province",
    )
    long = Row(date(2025, 9, 1), "000.00.14.H57", LONG_NAME, {"766-3.3": online(1, 4, "0")})
    return [agency, long, province]  # the province comes first whatever the order given


def _block(text: str, indicator_id: str) -> list[str]:
    return next(b for b in text.split("\n\n") if b.startswith(indicator_id)).splitlines()


def _line(block: list[str], code: str) -> str:
    return next(line for line in block if f"({code})" in line)


def test_vietnamese_scorecard() -> None:
    text = render(_rows(), "vi")
    lines = text.splitlines()
    assert lines[0] == "Bảng điểm theo cơ quan — tháng 09/2025"
    on_time = _block(text, "766-2.1")
    assert on_time[0] == "766-2.1  Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn"
    assert on_time[1] == "  Chỉ tiêu: ≥ 95,00 %*"
    assert on_time[2].split() == ["Đơn", "vị", "Kết", "quả", "Tử", "số/Mẫu", "số", "Đánh", "giá", "Điểm"]
    province, agency = on_time[4], _line(on_time, "000.00.12.H57")
    assert province.split()[:2] == ["Toàn", "tỉnh:"]  # the province row first
    assert "(000.00.00.H57)" in province
    # 1300/1400 = 92,857 % → 92,86 %, thousands with a dot
    assert re.search(r"92,86 % +1\.300/1\.400 +Không đạt +—$", province), province
    assert re.search(r"Sở Tư pháp \(000\.00\.12\.H57\) +90,00 % +9/10 +Không đạt +—$", agency), agency
    # a zero denominator is no value ("—"), never 0 % and never N/A
    settled = _block(text, "NQ17-01")
    line = _line(settled, "000.00.12.H57")
    assert re.search(r"Sở Tư pháp \(000\.00\.12\.H57\) +— +0/0 +— +—$", line), line
    duration = _block(text, "766-2.2")
    assert duration[1] == "  Chỉ tiêu: ≤ 5,0 ngày*"
    assert re.search(r"3,5 ngày +35/10 +Đạt +—$", _line(duration, "000.00.12.H57"))
    assert text.rstrip().endswith("(sửa trong dbt_project/seeds/indicator_targets.csv)")


def test_full_score_threshold_is_a_threshold_with_points_not_a_target() -> None:
    online = _block(render(_rows(), "vi"), "766-3.3")
    assert online[1] == "  Ngưỡng đạt điểm tối đa: ≥ 50,00 % (10 điểm)"
    assert "Chỉ tiêu" not in "\n".join(online)
    # 67/78 = 85,897 % → 85,90 %, beside its own numerator and denominator
    line = _line(online, "000.00.12.H57")
    assert re.search(r"\(000\.00\.12\.H57\) +85,90 % +67/78 +Đạt ngưỡng +10,00$", line), line
    assert re.search(r"61,70 % +1\.234/2\.000 +Đạt ngưỡng +6,17$", online[4]), online[4]
    line = _line(online, "000.00.14.H57")
    assert re.search(r"25,00 % +1/4 +Dưới ngưỡng +0,00$", line), line
    english = _block(render(_rows(), "en"), "766-3.3")
    assert english[1] == "  Full-score threshold: ≥ 50.00 % (10 points)"
    assert re.search(r"85\.90 % +67/78 +reached +10\.00$", _line(english, "000.00.12.H57"))


def test_vietnamese_has_no_english_and_every_line_fits() -> None:
    for lang in ("vi", "en"):
        text = render(_rows(covered_until=date(2025, 9, 7)), lang)
        assert max(len(line) for line in text.splitlines()) <= WIDTH, lang
        assert "N/A" not in text
    vietnamese = render(_rows(covered_until=date(2025, 9, 7)), "vi")
    for word in ("target", "met", "points", "threshold", "Published", "days", "Unit"):
        assert not re.search(rf"\b{word}\b", vietnamese, re.IGNORECASE), word
    assert vietnamese.splitlines()[1] == "Dữ liệu đến hết ngày 07/09/2025, chưa đủ tháng."
    long = next(line for line in _block(vietnamese, "766-3.3") if "000.00.14.H57" in line)
    assert "Ban Quản lý Khu kinh tế" in long and "…" in long  # shortened to fit, its code kept


def test_english_stays_as_good() -> None:
    text = render(_rows(covered_until=date(2025, 9, 7)), "en")
    assert text.splitlines()[:2] == [
        "Scorecard per agency — month 09/2025",
        "Data up to the end of 07/09/2025, month not complete.",
    ]
    on_time = _block(text, "766-2.1")
    assert on_time[0] == "766-2.1  Dossiers settled early or on time"
    assert on_time[1] == "  Target: ≥ 95.00 %*"
    assert re.search(r"Whole province: .*92\.86 % +1,300/1,400 +not met +—$", on_time[4]), on_time[4]
    assert re.search(r"3\.5 days +35/10 +met +—$", _line(_block(text, "766-2.2"), "000.00.12.H57"))


def test_technical_summary_in_both_languages() -> None:
    assert summary(
        "vi", "ingested", source="onestop", entity="dossiers", loaded=1234, batches=30, rejected=2
    ) == ("Đã nạp onestop.dossiers: 1.234 dòng trong 30 lô, 2 bị loại")
    assert summary(
        "en", "ingested", source="onestop", entity="dossiers", loaded=1234, batches=30, rejected=2
    ) == ("Ingested onestop.dossiers: 1,234 rows in 30 batches, 2 rejected")
    assert summary("vi", "done", seconds="51,4") == "Hoàn tất sau 51,4 giây."
    assert "127.0.0.1:55432 " in summary("vi", "left_running", port="55432", data="/x")


def test_nothing_published() -> None:
    assert render([], "vi") == "Chưa có dữ liệu đã công bố trong schema bi cho giai đoạn này."


def test_totals_read_earned_out_of_measured_with_the_published_band_or_not_enough_data() -> None:
    """The totals are printed as bi.ind_framework_totals gives them: 61,20 / 70 rated Tốt; the
    province's 53,99 / 59,99 (just under the 60 measured points) without a band."""
    d, month = Decimal, date(2025, 9, 1)
    totals = [
        Total(month, "agency", "000.00.12.H57", "Sở Tư pháp", "766", d("61.2"), d(70), d(60), "Tốt", "Good"),
        Total(
            month, "province", "000.00.00.H57", "UBND tỉnh", "766", d("53.991"), d("59.99"), d(60), None, None
        ),
    ]
    text = render(_rows(), "vi", totals)
    block = next(b for b in text.split("\n\n") if b.startswith("Tổng điểm 766"))
    lines = block.splitlines()
    assert lines[0] == "Tổng điểm 766: điểm đạt / điểm đo được; xếp loại khi đo được từ 60 điểm"
    assert lines[3].split() == ["Toàn", "tỉnh:", "UBND", "tỉnh", "(000.00.00.H57)", "53,99", "/", "59,99", "điểm", "chưa", "đủ", "dữ", "liệu"]  # fmt: skip
    assert lines[4].split()[-5:] == ["61,20", "/", "70", "điểm", "Tốt"]
    english = render(_rows(), "en", totals)
    assert "53.99 / 59.99 points  not enough data" in english and "61.20 / 70 points  Good" in english
    assert all(len(line) <= WIDTH for line in text.splitlines() + english.splitlines())
