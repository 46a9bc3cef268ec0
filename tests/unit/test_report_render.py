"""The report page from an in-memory snapshot: escaping, charts, languages (no database)."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from report_html import by_testid, rows, section, visible_text

from publishing.report.bands import load_seed
from publishing.report.charts import Bar, ChartCache, Point, score_chart, trend_chart
from publishing.report.data import Indicator, LateProcedure, Publication, Snapshot, Total, Value
from publishing.report.frameworks import Framework
from publishing.report.frameworks import load_seed as load_frameworks
from publishing.report.render import competition_ranks, render_html

HOSTILE = '<script>alert("x")</script> & Sở'
AS_OF = datetime(2025, 10, 1, tzinfo=UTC)


def _value(
    level: str, unit_id: str, unit_name: str, numerator: int, denominator: int,
    scope: str = "area", view: str = "historical", month: date = date(2025, 9, 1),
) -> Value:  # fmt: skip
    return Value(
        "766-3.3", "766", month, level, scope, view, unit_id, unit_name,
        Decimal(numerator), Decimal(denominator), Decimal(numerator) / Decimal(denominator),
        "ratio", "higher_is_better", Decimal("0.5"), True, numerator / denominator >= 0.5,
        Decimal("0.5"), Decimal(6), min(Decimal(1), Decimal(numerator) / Decimal(denominator) / Decimal("0.5")) * 6,
        "complete", AS_OF,
    )  # fmt: skip


def _total(level: str, unit_id: str, earned: str, measured: str, band: str | None = None) -> Total:
    """A row of bi.ind_framework_totals as the mart gives it (the score and band computed there)."""
    score = Decimal(earned) / Decimal(measured) * 100
    rated = Decimal(measured) >= 60
    return Total(
        "766",
        level,
        unit_id,
        Decimal(earned),
        Decimal(measured),
        Decimal(100),
        Decimal(60),
        score,
        rated,
        band,
        "complete",
    )


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
        totals=[_total("province", "H57", "3.6", "6"), _total("agency", "A1", "3.6", "6")],
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
    # 30 % of 6 points at full score 50 %: 3,60 of 6 measured, far below the 60 a band needs
    assert visible_text(by_testid(vi, "kpi-score")) == "3,60 / 6 điểm"
    assert visible_text(by_testid(vi, "kpi-score"), "en") == "3.60 / 6 points"
    assert visible_text(by_testid(vi, "kpi-band")) == "chưa đủ dữ liệu"
    assert visible_text(by_testid(vi, "kpi-band"), "en") == "not enough data"
    agency = visible_text(
        re.search(r"<tr data-unit=.*?</tr>", section(vi, "scores-766"), flags=re.S).group(0)
    )
    assert agency.endswith("3,60 6 — chưa đủ dữ liệu")  # no score on the scale, no band from one indicator


def test_a_total_shows_the_band_the_mart_gives_and_a_fractional_measured_exactly() -> None:
    snapshot = _snapshot()
    totals = [_total("province", "H57", "30", "60", "average"), _total("agency", "A1", "53.991", "59.99")]
    page = render_html(Snapshot(**{**snapshot.__dict__, "totals": totals}))
    assert visible_text(by_testid(page, "kpi-score")) == "30,00 / 60 điểm"
    assert visible_text(by_testid(page, "kpi-band")) == "Trung bình"
    agency = visible_text(
        re.search(r"<tr data-unit=.*?</tr>", section(page, "scores-766"), flags=re.S).group(0)
    )
    # 59,99 measured is not 60 (90,00 on the scale): no score shown, no band, no rank
    assert agency.startswith("—") and agency.endswith("53,99 59,99 — chưa đủ dữ liệu")


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


def test_a_chart_drawn_from_the_same_values_is_taken_from_the_cache(tmp_path: Path) -> None:
    cache = ChartCache(tmp_path / "charts")
    months = [date(2025, 8, 1), date(2025, 9, 1)]
    points = [Point(months[0], Decimal("0.4"), False), Point(months[1], Decimal("0.5"), True)]
    first = trend_chart(points, months, "ratio", None, "vi", cache=cache)
    assert first == trend_chart(points, months, "ratio", None, "vi")  # the same as drawn without a cache
    (kept,) = (tmp_path / "charts").glob("*.svg")
    kept.write_text("<svg>kept</svg>", encoding="utf-8")  # what the cache holds is what it gives back
    assert trend_chart(points, months, "ratio", None, "vi", cache=cache) == "<svg>kept</svg>"
    changed = [points[0], Point(months[1], Decimal("0.6"), False)]
    assert trend_chart(changed, months, "ratio", None, "vi", cache=cache) != "<svg>kept</svg>"
    assert (
        trend_chart(points, months, "ratio", None, "en", cache=cache) != "<svg>kept</svg>"
    )  # another language
    assert len(list((tmp_path / "charts").glob("*.svg"))) == 3
    os.utime(kept, (0, 0))  # not used since: pruned
    cache.prune(since=1)
    assert kept.exists() is False and len(list((tmp_path / "charts").glob("*.svg"))) == 2


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


def test_equal_scores_as_printed_share_a_rank() -> None:
    scores = [Decimal("95.001"), Decimal("90.91"), Decimal("90.9149"), Decimal("80"), None]
    assert competition_ranks(scores) == [1, 2, 2, 4, 5]


def test_agencies_in_vietnamese_order_and_tied_scores_share_a_rank() -> None:
    snapshot = _snapshot()
    names = ["Sở Du lịch", "Sở Dân tộc", "Sở Y tế", "Ấp Bắc"]
    agencies = [_value("agency", f"A{n}", name, 30, 100) for n, name in enumerate(names)]
    totals = [_total("agency", f"A{n}", "3.6", "6") for n in range(len(names))]
    rated = [
        Total(
            **{
                **t.__dict__,
                "measured": Decimal(60),
                "earned": Decimal(36),
                "is_rated": True,
                "band": "average",
            }
        )
        for t in totals
    ]
    page = render_html(
        Snapshot(**{**snapshot.__dict__, "values": [snapshot.values[0], *agencies], "totals": rated})
    )
    details = [visible_text(h) for h in re.findall(r"<h4>(.*?)</h4>", section(page, "agencies"), flags=re.S)]
    assert [d.split(" A")[0] for d in details] == ["Ấp Bắc", "Sở Dân tộc", "Sở Du lịch", "Sở Y tế"]
    ranks = re.findall(r'data-testid="rank">(\d+)<', section(page, "scores-766"))
    assert ranks == ["1", "1", "1", "1"]  # every agency scored 36 / 60


def test_units_of_government_grouped_by_level_and_today_s_units_apart() -> None:
    """Before July 2025: a district and its two communes as they were; today one merged commune."""
    june = date(2025, 6, 1)
    rows = [
        _value("province", "H57", "Tỉnh H57", 30, 100, month=june),
        _value("province", "H57", "Tỉnh H57", 20, 50, "tier", month=june),
        _value("district", "480", "quận Thuận Hóa", 8, 20, month=june),
        _value("district", "480", "quận Thuận Hóa", 2, 10, "tier", month=june),
        _value("commune", "19754", "phường Phú Nhuận", 1, 4, month=june),
        _value("commune", "19753", "phường Phú Hội", 3, 6, month=june),
        _value("commune", "19753", "phường Thuận Hóa", 4, 10, view="current", month=june),
        _value("agency", "A1", "UBND phường Phú Hội", 3, 6, month=june),
    ]
    snapshot = Snapshot(
        **{**_snapshot().__dict__, "period": june, "values": rows, "months_published": [june],
           "agency_levels": {"A1": "commune_people_committee"}}
    )  # fmt: skip
    page = render_html(snapshot)
    details = section(page, "agencies")
    levels = re.findall(r'<h3 class="level" data-level="(\w+)">', details)
    assert levels == ["province", "district", "commune"]  # the one agency is a commune's committee
    province = visible_text(by_testid(details, "historical-province"))
    assert "Toàn tỉnh 30 100 30,00 %" in province and "Cơ quan cấp tỉnh 20 50 40,00 %" in province
    district = visible_text(by_testid(details, "historical-district"))
    assert "Toàn huyện (cả các xã) 8 20 40,00 %" in district and "UBND cấp huyện 2 10 20,00 %" in district
    communes = re.findall(r'<tbody class="unit" data-unit="(\w+)"', by_testid(details, "historical-commune"))
    assert communes == ["19753", "19754"]  # Phú Hội before Phú Nhuận
    assert 'data-unit="A1"' not in details  # the commune's committee is its tier, under the communes
    today = section(page, "current-units")
    assert visible_text(by_testid(today, "current-commune")).startswith("Mã Chỉ số Phạm vi")
    assert "phường Thuận Hóa 19753 766-3.3" in visible_text(today)
    assert "cộng dồn lên các đơn vị hành chính hiện nay" in visible_text(by_testid(today, "current-note"))
    assert "rolled up to today's units" in visible_text(today, "en")


def test_no_technical_identifier_in_the_vietnamese_view() -> None:
    page = render_html(_snapshot())
    vi, en = visible_text(page), visible_text(page, "en")
    for identifier in ("pub_000007", "schema", "dbt_project", ".csv", "dtimon", "N/A"):
        assert identifier not in vi, identifier
    assert "pub_000007" in en


def test_a_quarter_s_page_names_its_kind_and_links_its_year_and_months() -> None:
    quarter = date(2025, 7, 1)
    snapshot = replace(
        _snapshot(),
        period=quarter,
        values=[replace(v, period_start=quarter) for v in _snapshot().values],
        months_published=[quarter],
        period_kind="quarter",
        periods_published={"month": [date(2025, 6, 1), date(2025, 9, 1)], "quarter": [quarter], "year": []},
        totals=[],
    )
    page = render_html(snapshot)
    assert visible_text(by_testid(page, "period")) == "Quý III/2025"
    assert "<title>Báo cáo chỉ số chính quyền số — Quý III/2025</title>" in page
    assert visible_text(by_testid(page, "period-status")) == "Đủ quý"
    assert "Quý trước" in visible_text(section(page, "summary"))
    assert "2. Diễn biến qua các quý" in visible_text(section(page, "trends"))
    assert ">Q3/2025</text>" in page  # the trend's axis names quarters
    # June is not in the quarter; no year page exists
    assert (
        visible_text(by_testid(page, "related-pages"))
        == "Cùng thời gian: Tháng 9/2025 · Tất cả các kỳ báo cáo"
    )
    assert "late" not in re.findall(r'<section id="([^"]+)"', page)  # the late dossiers are not published


def test_the_late_section_escapes_names_and_shows_a_missing_procedure_as_a_dash() -> None:
    late = [
        LateProcedure("A1", HOSTILE, 3, "1.000001", HOSTILE, 2, 1, Decimal(4)),
        LateProcedure("A1", HOSTILE, 3, None, None, 1, 0, None),
    ]
    page = render_html(replace(_snapshot(), late=late))
    shown = section(page, "late")
    assert "<script>alert" not in shown
    assert visible_text(rows(shown, "data-procedure", "")[0]) == "— — 1 0 —"
    assert visible_text(by_testid(shown, "late-total")) == "3 hồ sơ trễ hạn"
    empty = render_html(replace(_snapshot(), late=[]))
    assert visible_text(by_testid(empty, "no-late")) == "Không có hồ sơ trễ hạn trong kỳ."


def test_a_sum_of_shares_reads_with_decimals_and_a_count_as_a_whole_number() -> None:
    """766-2.2's numerator is Σ shares of the legal limit: 2 855,87 must not read like a count."""
    shares = replace(_value("province", "H57", "Tỉnh H57", 30, 100), numerator=Decimal("2855.874"))
    snapshot = Snapshot(**{**_snapshot().__dict__, "values": [shares]})
    summary = visible_text(section(render_html(snapshot), "summary"))
    assert "2.855,87 100 " in summary


def test_an_entered_value_is_marked_as_entered_and_a_computed_one_is_not() -> None:
    snapshot = _snapshot()
    province, agency = snapshot.values
    entered = [replace(province, origin="entered"), agency]
    page = render_html(Snapshot(**{**snapshot.__dict__, "values": entered}))
    province_cell = by_testid(section(page, "summary"), "province-value")
    assert visible_text(province_cell) == "30,00 % nhập tay"
    assert visible_text(province_cell, "en") == "30.00 % entered"
    assert visible_text(by_testid(section(page, "agencies"), "agency-value")) == "30,00 %"  # computed
