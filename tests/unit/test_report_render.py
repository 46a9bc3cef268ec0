"""The report page from an in-memory snapshot: escaping, charts, languages (no database)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from report_html import by_testid, visible_text

from publishing.report.bands import load_seed
from publishing.report.charts import Bar, Point, score_chart, trend_chart
from publishing.report.data import Indicator, Publication, Snapshot, Value
from publishing.report.frameworks import Framework
from publishing.report.frameworks import load_seed as load_frameworks
from publishing.report.render import render_html

HOSTILE = '<script>alert("x")</script> & Sở'
AS_OF = datetime(2025, 10, 1, tzinfo=UTC)


def _value(level: str, unit_id: str, unit_name: str, numerator: int, denominator: int) -> Value:
    return Value(
        "766-3.3", "766", date(2025, 9, 1), level, unit_id, unit_name,
        Decimal(numerator), Decimal(denominator), Decimal(numerator) / Decimal(denominator),
        "ratio", "higher_is_better", Decimal("0.5"), True, numerator / denominator >= 0.5,
        Decimal("0.5"), Decimal(6), min(Decimal(1), Decimal(numerator) / Decimal(denominator) / Decimal("0.5")) * 6,
        "complete", AS_OF,
    )  # fmt: skip


def _snapshot() -> Snapshot:
    indicator = Indicator(
        "766-3.3", "766", "3.3", "Tỷ lệ hồ sơ nộp trực tuyến", "Dossiers submitted online", "ratio",
        "agency", "higher_is_better", Decimal("0.5"), None, True, None,
    )  # fmt: skip
    return Snapshot(
        Publication(7, "pub_000007", datetime(2025, 10, 2, 3, 0, tzinfo=UTC)),
        date(2025, 9, 1),
        [indicator],
        [_value("province", "H57", "Tỉnh H57", 30, 100), _value("agency", "A1", HOSTILE, 30, 100)],
        [],
        load_seed(),
        [date(2025, 9, 1)],
        load_frameworks(),
    )


def test_names_from_the_data_are_escaped_everywhere() -> None:
    page = render_html(_snapshot())
    assert "<script>alert" not in page
    assert page.count("<script>") == 1  # the page's own language switch
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Sở" in page


def test_the_page_opens_in_the_language_asked_with_both_inside() -> None:
    vi, en = render_html(_snapshot(), "vi"), render_html(_snapshot(), "en")
    assert '<html lang="vi">' in vi and '<html lang="en">' in en
    assert visible_text(by_testid(vi, "period")) == "Tháng 9/2025"
    assert visible_text(by_testid(vi, "period"), "en") == "Sep 2025"
    # 30 % of 6 points at full score 50 %: 3,60 of 6 measured → 60,00 on the 100 scale: Trung bình
    assert visible_text(by_testid(vi, "kpi-score")) == "60,00"
    assert "Trung bình" in visible_text(vi) and "Average" in visible_text(vi, "en")


def test_trend_chart_breaks_the_line_on_a_month_without_value() -> None:
    months = [date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1)]
    points = [Point(months[0], Decimal("0.4"), False), Point(months[2], Decimal("0.5"), True)]
    svg = trend_chart(points, months, "ratio", Decimal("0.5"), "vi")
    labels = re.findall(r">([^<]+)</text>", svg)
    assert labels[:3] == ["T7/2025", "T8/2025", "T9/2025"]
    assert "40 %" in labels and "100 %" in labels and "tạm tính" in labels
    line = re.search(r'class="mark-line role-mark[^"]*"[^>]*>(.*?)</g>', svg, flags=re.S).group(1)
    assert line.count("<path") == 1 and line.count("M") == 2  # two pieces: July, then September
    assert (
        len(re.findall(r"<path", re.search(r'class="mark-symbol role-mark.*?</g>', svg, flags=re.S).group(0)))
        == 2
    )


def test_score_chart_escapes_unit_names() -> None:
    svg = score_chart([Bar(HOSTILE, Decimal(90), "Tốt")], ["Tốt"], ["#000"], "en")
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_framework_names_come_from_the_frameworks_seed() -> None:
    seed = {f.framework: f for f in load_frameworks()}
    page = render_html(_snapshot())
    assert seed["766"].name_vi in visible_text(page)
    assert seed["766"].name_en in visible_text(page, "en")
    renamed = Framework("766", "Bộ chỉ số thử", "Trial framework", "Văn bản thử", 1)
    snapshot = _snapshot()
    page = render_html(Snapshot(**{**snapshot.__dict__, "frameworks": [renamed]}))
    assert "Bộ chỉ số thử" in visible_text(page) and "Trial framework" in visible_text(page, "en")
    assert seed["766"].name_vi not in visible_text(page)
