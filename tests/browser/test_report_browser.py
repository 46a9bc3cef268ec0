"""The index report in a real browser: Debian's headless Chromium driven by Playwright.

Opens the rendered file with every network request refused and recorded, checks the
headline figures against `bi`, that every chart drew its marks, that the console stayed
clean, switches to English, prints to A4 PDF and keeps a screenshot and the PDF under
`.dtimon/artifacts/` (git-ignored). Skipped only when /usr/bin/chromium is absent outside
CI; under CI=true a missing browser fails (`infra/install_browser.sh` installs it).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import report_fixtures as rf
from chromium import ARTIFACTS, browser, require_chromium

from publishing.report import render_report

require_chromium()


@pytest.fixture(scope="module")
def report(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    rf.build_bi(module_warehouse_url)
    path = render_report(module_warehouse_url, tmp_path_factory.mktemp("report"))
    return path, module_warehouse_url


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    with browser(tmp_path_factory.mktemp("chromium-profile"), offline=True) as context:
        yield context


def _percent_vi(ratio: Decimal) -> str:
    """The test's own rendering of a ratio in Vietnamese style (not the report's helper)."""
    whole, fraction = f"{ratio * 100:.2f}".split(".")
    return f"{int(whole):,}".replace(",", ".") + "," + fraction + " %"


def _bi_value(url: str, indicator_id: str, unit_level: str, unit_id: str) -> Decimal:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select value from bi.ind_values where indicator_id = %s and level = %s and unit_id = %s"
            " and scope = 'area' and view = 'historical' and period_kind = 'month'"
            " and period_start = '2025-09-01'",
            (indicator_id, unit_level, unit_id),
        ).fetchone()[0]


def _reason_headings(lang: str) -> list[str]:
    """The not-computed section's headings as the seeds give them: each reason with an indicator,
    in display order, with its count (the fixture publishes every uncomputed catalogue row)."""
    seeds = rf.ROOT / "dbt_project" / "seeds"
    with (seeds / "indicator_catalogue.csv").open(encoding="utf-8") as handle:
        codes = [r["not_computed_because"] for r in csv.DictReader(handle) if r["not_computed_because"]]
    with (seeds / "not_computed_reasons.csv").open(encoding="utf-8") as handle:
        reasons = sorted(csv.DictReader(handle), key=lambda r: int(r["display_order"]))
    return [f"{r[f'name_{lang}']} ({codes.count(r['reason'])})" for r in reasons if r["reason"] in codes]


def test_report_in_chromium(report: tuple[Path, str], browser_context: object) -> None:
    path, url = report
    file_url = path.resolve().as_uri()
    requests: list[str] = []
    refused: list[str] = []
    console: list[str] = []
    errors: list[str] = []

    def route(route: object) -> None:
        if route.request.url == file_url:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    browser_context.route("**/*", route)
    page = browser_context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(file_url, wait_until="load")

    # headline figures: the values in bi, in Vietnamese style (hand-written expectations)
    assert round(_bi_value(url, "766-2.1", "province", "H57") * 100, 2) == Decimal("94.34")
    assert round(_bi_value(url, "766-3.3", "province", "H57") * 100, 2) == Decimal("50.00")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.title() == "Báo cáo chỉ số chính quyền số — Tháng 9/2025"
    summary = page.locator('[data-testid="province-summary"]')
    assert (
        summary.locator('tr[data-indicator="766-2.1"] [data-testid="province-value"]').inner_text()
        == "94,34 %"
    )
    assert (
        summary.locator('tr[data-indicator="766-3.3"] [data-testid="province-value"]').inner_text()
        == "50,00 %"
    )
    assert (
        summary.locator('tr[data-indicator="NQ17-01"] [data-testid="province-value"]').inner_text()
        == "25,00 %"
    )
    assert page.locator('[data-testid="kpi-met"]').inner_text() == "2 / 3"
    assert page.locator('[data-testid="kpi-score"]').inner_text() == "24,87 / 26 điểm"
    with psycopg.connect(url) as conn:
        live = conn.execute(
            "select publication_id from ops.publications where status = 'published'"
        ).fetchone()[0]
        ratios = conn.execute(
            "select indicator_id, level, unit_id, value from bi.ind_values where period_kind = 'month'"
            " and period_start = '2025-09-01' and value_unit = 'ratio' and value is not null"
            " and scope = 'area' and view = 'historical' and level in ('province', 'agency')"
        ).fetchall()
    assert page.locator('[data-testid="publication-id"]').inner_text() == str(live)
    # every ratio of the month in bi is on the page as it is in bi
    assert len(ratios) == 7  # 3 province, 3 Sở Tư pháp, 1 Sở Xây dựng (its other ratios are 0/0)
    for indicator_id, unit_level, unit_id, value in ratios:
        if unit_level == "province":
            cell = summary.locator(f'tr[data-indicator="{indicator_id}"] [data-testid="province-value"]')
        else:
            cell = page.locator(
                f'.agency[data-unit="{unit_id}"] tr[data-indicator="{indicator_id}"] [data-testid="agency-value"]'
            )
        assert cell.inner_text() == _percent_vi(value), (indicator_id, unit_id)

    # the units of government: grouped by level, today's units apart; no technical identifier
    assert page.locator("#agencies h3.level:visible").all_inner_texts() == [
        "Cấp tỉnh", "Cơ quan cấp tỉnh", "Cấp xã",
    ]  # fmt: skip
    assert page.locator('[data-testid="current-note"]').is_visible()
    shown = page.locator("body").inner_text()
    assert f"pub_{live:06d}" not in shown and "schema" not in shown and "N/A" not in shown
    assert "Không áp dụng" in shown  # Sở Xây dựng's 0/0

    # every chart drew: an SVG with marks in the language shown
    figures = page.locator("figure.chart")
    assert figures.count() == 4  # four trends; no 766 score chart: no total is rated (26 < 60 points)
    for n in range(figures.count()):
        svg = figures.nth(n).locator("svg:visible")
        assert svg.count() == 1
        box = svg.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50
        assert svg.locator(".role-mark > *").count() > 0
    # English: the other spans show, numbers switch style
    page.click('[data-testid="lang-switch"]')
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title() == "Digital-government index report — Sep 2025"
    assert (
        summary.locator('tr[data-indicator="766-2.1"] [data-testid="province-value"]').inner_text()
        == "94.34 %"
    )
    assert page.locator('[data-testid="period"]').inner_text() == "Sep 2025"
    assert page.get_by_text("Province summary against targets").is_visible()
    assert not page.get_by_text("Tổng hợp cấp tỉnh so với chỉ tiêu").is_visible()
    assert page.locator("#agencies h3.level:visible").all_inner_texts() == [
        "Province", "Provincial agencies", "Communes",
    ]  # fmt: skip
    assert f"pub_{live:06d}" in page.locator("body").inner_text()
    for n in range(figures.count()):
        assert figures.nth(n).locator("svg:visible").count() == 1

    not_computed = page.locator("#not-computed")
    assert not_computed.locator("h3:visible").all_inner_texts() == _reason_headings("en")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-en.png"), full_page=True)
    not_computed.screenshot(path=str(ARTIFACTS / "report-not-computed-en.png"))
    page.click('[data-testid="lang-switch"]')
    assert not_computed.locator("h3:visible").all_inner_texts() == _reason_headings("vi")
    not_computed.screenshot(path=str(ARTIFACTS / "report-not-computed-vi.png"))
    page.screenshot(path=str(ARTIFACTS / "report-vi.png"), full_page=True)
    pdf = page.pdf(path=str(ARTIFACTS / "report-vi.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 5

    assert errors == []
    assert [line for line in console if line.startswith(("error", "warning"))] == []
    assert refused == []
    assert set(requests) == {file_url}
