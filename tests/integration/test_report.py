"""The index report rendered from a real `bi`: every figure on the page, by hand.

`report_fixtures.build_bi` publishes hand-written values (twice, so the second publication
restates some); the expected text below is written out, not computed with the report's
own formatting helper.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import psycopg
import pytest
import report_fixtures as rf
from report_html import by_testid, rows, section, visible_text

from publishing.report import render_report
from publishing.report.data import NothingPublished, read_snapshot
from publishing.report.render import render_all, render_html


@pytest.fixture(scope="module")
def published(module_warehouse_url: str) -> tuple[str, int]:
    return module_warehouse_url, rf.build_bi(module_warehouse_url)


@pytest.fixture(scope="module")
def page(published: tuple[str, int], tmp_path_factory: pytest.TempPathFactory) -> str:
    url, _ = published
    path = render_report(url, tmp_path_factory.mktemp("report"))
    assert path.name == "dtimon-report-2025-09.html"  # the latest published month by default
    return path.read_text(encoding="utf-8")


def test_header_names_the_period_its_status_and_the_publication(
    page: str, published: tuple[str, int]
) -> None:
    _, publication_id = published
    assert '<html lang="vi">' in page
    assert visible_text(by_testid(page, "period")) == "Tháng 9/2025"
    assert visible_text(by_testid(page, "period"), "en") == "Sep 2025"
    assert visible_text(by_testid(page, "period-status")) == "Tạm tính — dữ liệu đến 15/09/2025"
    assert visible_text(by_testid(page, "publication-id")) == str(publication_id)
    assert f"pub_{publication_id:06d}" in visible_text(by_testid(page, "publication"), "en")
    assert visible_text(by_testid(page, "kpi-met")) == "2 / 3"  # 766-3.3 and NQ17-01 met, 766-2.1 not
    # of the fixture's catalogue: 5 computed (766-4.2 without values) and every uncomputed seed row
    assert visible_text(by_testid(page, "kpi-measured")) == f"4 / {5 + len(_uncomputed_seed_rows())}"
    assert visible_text(by_testid(page, "kpi-score")) == "24,87 / 26 điểm"  # 18,87 + 6 of 20 + 6
    assert visible_text(by_testid(page, "kpi-band")) == "chưa đủ dữ liệu"  # 26 < 60 measured points
    assert visible_text(by_testid(page, "kpi-agencies")) == "2"


def test_province_summary_against_targets_with_the_trend(page: str) -> None:
    summary = section(page, "summary")
    on_time = rows(summary, "data-indicator", "766-2.1")[0]
    assert visible_text(on_time) == (
        "766-2.1 Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn 1.017 1.078 94,34 % ≥ 95,00 %* Không đạt 1/2 cơ quan đạt 88,00 % ▲ +6,34 điểm %"
    )
    assert visible_text(on_time, "en") == (
        "766-2.1 Dossiers settled early or on time 1,017 1,078 94.34 % ≥ 95.00 %* Not met 1 of 2 agencies met 88.00 % ▲ +6.34 pp"
    )
    assert 'class="trend good"' in on_time
    assert visible_text(rows(summary, "data-indicator", "766-3.3")[0]).endswith(
        "39 78 50,00 % ≥ 50,00 % Đạt 1/1 cơ quan đạt 40,00 % ▲ +10,00 điểm %"
    )
    duration = rows(summary, "data-indicator", "766-2.2")[0]
    assert visible_text(duration).endswith("170 40 4,3 ngày — Chưa có chỉ tiêu 5,0 ngày ▼ -0,8 ngày")
    assert 'class="trend good"' in duration  # shorter settlement time is better
    assert visible_text(rows(summary, "data-indicator", "NQ17-01")[0]).endswith(
        "10 40 25,00 % ≥ 20,00 % Đạt 1/1 cơ quan đạt — —"
    )
    assert "* Chỉ tiêu giả định" in visible_text(summary)
    # grouped by framework, in catalogue order
    order = re.findall(r'<tr data-indicator="([^"]+)"', summary)
    assert order == ["766-2.1", "766-2.2", "766-3.3", "NQ17-01"]


def test_766_points_and_rating_per_agency(page: str) -> None:
    scores = section(page, "scores-766")
    province = visible_text(re.search(r'<tr class="fw">.*?</tr>', scores, flags=re.S).group(0))
    # 26 and 20 points measured, below the 60 a band needs: no score on the scale, no band, no rank
    assert province == "Toàn tỉnh 18,87 6,00 24,87 26 — chưa đủ dữ liệu"
    ranked = [visible_text(r) for r in re.findall(r"<tr data-unit=.*?</tr>", scores, flags=re.S)]
    assert ranked == [
        "— Sở Xây dựng 19,00 — 19,00 20 — chưa đủ dữ liệu",
        "— Sở Tư pháp 17,18 6,00 23,18 26 — chưa đủ dữ liệu",
    ]
    legend = visible_text(scores)
    assert (
        "Xuất sắc từ 90 điểm; Tốt* từ 80 điểm; Khá* từ 70 điểm; Trung bình* từ 50 điểm; Yếu từ 0 điểm"
        in legend
    )
    assert "chỉ khi đo được từ 60 điểm trở lên (dưới mức đó: chưa đủ dữ liệu)" in legend
    assert 'data-chart="score"' not in scores  # no rated total, no bars


def test_per_agency_tables_with_numerator_and_denominator(page: str) -> None:
    agencies = section(page, "agencies")
    justice = re.search(
        r'<div class="agency" data-unit="000.00.01.H57">.*?</table>', agencies, flags=re.S
    ).group(0)
    assert visible_text(rows(justice, "data-indicator", "766-2.1")[0]).endswith(
        "67 78 85,90 % ≥ 95,00 %* Không đạt 17,18 / 20"
    )
    assert "Tổng điểm 766: 23,18 / 26 điểm chưa đủ dữ liệu" in visible_text(justice)
    construction = re.search(
        r'<div class="agency" data-unit="000.00.02.H57">.*?</table>', agencies, flags=re.S
    ).group(0)
    assert visible_text(rows(construction, "data-indicator", "766-2.1")[0], "en").endswith(
        "950 1,000 95.00 % ≥ 95.00 %* Met 19.00 / 20"
    )
    # zero denominator: not applicable and not assessed, never 0 %
    assert visible_text(rows(construction, "data-indicator", "766-3.3")[0]).endswith(
        "0 0 Không áp dụng ≥ 50,00 % Không đánh giá —"
    )


@pytest.fixture(scope="module")
def june(published: tuple[str, int], tmp_path_factory: pytest.TempPathFactory) -> str:
    url, _ = published
    return render_report(url, tmp_path_factory.mktemp("june"), date(2025, 6, 1)).read_text(encoding="utf-8")


def _lines(table: str, indicator_id: str, lang: str = "vi") -> list[str]:
    return [visible_text(r, lang) for r in rows(table, "data-indicator", indicator_id)]


def test_before_the_merger_the_units_are_grouped_by_level_with_both_scopes(june: str) -> None:
    details = section(june, "agencies")
    # no agency has June values; districts exist only before July 2025
    assert re.findall(r'<h3 class="level" data-level="(\w+)">', details) == [
        "province",
        "district",
        "commune",
    ]
    assert _lines(by_testid(details, "historical-province"), "766-2.1") == [
        "766-2.1 Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn Toàn tỉnh 900 1.000 90,00 % ≥ 95,00 %* Không đạt",
        "Cơ quan cấp tỉnh 600 640 93,75 % ≥ 90,00 % Đạt",
    ]
    district = by_testid(details, "historical-district")
    assert visible_text(district).startswith(
        "Mã Chỉ số Phạm vi Tử số Mẫu số Kết quả Chỉ tiêu Đánh giá quận Thuận Hóa 480"
    )
    assert _lines(district, "766-2.1")[1:] == ["UBND cấp huyện 100 120 83,33 % ≥ 80,00 % Đạt"]
    assert _lines(district, "766-2.1")[0].endswith(
        "Toàn huyện (cả các xã) 300 360 83,33 % — Chưa có chỉ tiêu"
    )
    assert _lines(district, "766-2.1", "en")[1] == "District People's Committee 100 120 83.33 % ≥ 80.00 % Met"
    communes = by_testid(details, "historical-commune")
    assert re.findall(r'<tbody class="unit" data-unit="(\d+)"', communes) == ["19753", "19754"]
    # a commune's whole area is its committee's: one line, with the commune target
    assert [line.split(" Toàn xã ")[1] for line in _lines(communes, "766-2.1")] == [
        "(UBND cấp xã) 120 140 85,71 % ≥ 60,00 % Đạt",
        "(UBND cấp xã) 80 100 80,00 % ≥ 60,00 % Đạt",
    ]


def test_today_s_units_roll_june_up_through_the_crosswalk(june: str) -> None:
    today = section(june, "current-units")
    assert visible_text(by_testid(today, "current-note")).startswith(
        "Số liệu của kỳ này (trước ngày 01/07/2025) được cộng dồn lên các đơn vị hành chính hiện nay"
    )
    # the province did not change: said once, not shown twice
    assert visible_text(by_testid(today, "current-note")).endswith(
        "Tỉnh không thay đổi: số liệu cấp tỉnh như mục 4."
    )
    assert 'data-testid="current-province"' not in today
    communes = by_testid(today, "current-commune")
    assert re.findall(r'<tbody class="unit" data-unit="(\d+)"', communes) == ["19753"]
    assert "phường Thuận Hóa 19753" in visible_text(communes)
    assert visible_text(by_testid(communes, "predecessors")) == (
        "cộng dồn từ: phường Phú Hội (19753), phường Phú Nhuận (19754)"
    )
    # Phú Hội 120/140 + Phú Nhuận 80/100
    assert _lines(communes, "766-2.1")[0].endswith("Toàn xã (UBND cấp xã) 200 240 83,33 % ≥ 60,00 % Đạt")
    assert "Districts no longer exist" in visible_text(today, "en")


def test_after_the_merger_there_is_no_district_and_the_communes_are_today_s(page: str) -> None:
    details = section(page, "agencies")
    assert re.findall(r'<h3 class="level" data-level="(\w+)">', details) == ["province", "agency", "commune"]
    assert _lines(by_testid(details, "historical-province"), "766-2.1")[1] == (
        "Cơ quan cấp tỉnh 867 918 94,44 % ≥ 90,00 % Đạt"
    )
    assert "phường Thuận Hóa 19753" in visible_text(by_testid(details, "historical-commune"))
    # the units of September are today's: the section says so instead of repeating section 4
    today = section(page, "current-units")
    assert visible_text(by_testid(today, "current-note")).startswith(
        "Từ ngày 01/07/2025 các đơn vị ở mục 4 đã là các đơn vị hành chính hiện nay"
    )
    assert 'data-testid="current-commune"' not in today


def test_no_technical_identifier_in_the_vietnamese_view(page: str, published: tuple[str, int]) -> None:
    _, publication_id = published
    vi = visible_text(page)
    for identifier in (f"pub_{publication_id:06d}", "schema", "dbt_project", ".csv", "dtimon", "N/A"):
        assert identifier not in vi, identifier
    assert f"pub_{publication_id:06d}" in visible_text(page, "en")


def test_coverage_provisional_months_and_unmeasured_indicators(page: str) -> None:
    coverage = section(page, "coverage")
    months = re.findall(r'<tr data-month="([^"]+)" data-status="([^"]+)">', coverage)
    assert months == [
        ("2025-06", "complete"),
        ("2025-07", "absent"),
        ("2025-08", "complete"),
        ("2025-09", "provisional"),
    ]
    assert visible_text(rows(coverage, "data-month", "2025-09")[0]) == "Tháng 9/2025 tạm tính 15/09/2025 4"
    assert visible_text(by_testid(coverage, "not-measured")) == "766-4.2 Tỷ lệ số hóa hồ sơ"


def _uncomputed_seed_rows() -> list[dict[str, str]]:
    with (rf.ROOT / "dbt_project/seeds/indicator_catalogue.csv").open(encoding="utf-8") as handle:
        return [r for r in csv.DictReader(handle) if r["not_computed_because"]]


def test_uncomputed_indicators_are_listed_under_their_reason(page: str) -> None:
    with (rf.ROOT / "dbt_project/seeds/not_computed_reasons.csv").open(encoding="utf-8") as handle:
        reasons = sorted(csv.DictReader(handle), key=lambda r: int(r["display_order"]))
    uncomputed = _uncomputed_seed_rows()
    listed = section(page, "not-computed")
    # every reason with an indicator, in the seed's order, headed by its name in both languages
    used = [r for r in reasons if any(i["not_computed_because"] == r["reason"] for i in uncomputed)]
    assert re.findall(r'<h3 data-reason="([^"]+)">', listed) == [r["reason"] for r in used]
    for reason in used:
        members = [i for i in uncomputed if i["not_computed_because"] == reason["reason"]]
        heading = re.search(rf'<h3 data-reason="{reason["reason"]}">.*?</h3>', listed, flags=re.S).group(0)
        assert visible_text(heading) == f"{reason['name_vi']} ({len(members)})"
        assert visible_text(heading, "en") == f"{reason['name_en']} ({len(members)})"
        table = by_testid(listed, f"not-computed-{reason['reason']}")
        lines = re.findall(r"<tr data-indicator=.*?</tr>", table, flags=re.S)
        assert sorted(visible_text(line) for line in lines) == sorted(
            f"{i['indicator_id']} {i['name_vi']}" for i in members
        )
        assert sorted(visible_text(line, "en") for line in lines) == sorted(
            f"{i['indicator_id']} {i['name_en']}" for i in members
        )
    # an uncomputed indicator is not also "computed without values"
    assert visible_text(by_testid(section(page, "coverage"), "not-measured")) == "766-4.2 Tỷ lệ số hóa hồ sơ"


def test_restatements_of_the_period_only(page: str, published: tuple[str, int]) -> None:
    _, publication_id = published
    restated = section(page, "restatements")
    lines = [visible_text(r) for r in re.findall(r"<tr data-indicator=.*?</tr>", restated, flags=re.S)]
    assert len(lines) == 3  # the restated August value is not September's
    assert lines[0].startswith(
        f"#{publication_id} (Bản trước #{publication_id - 1}) 766-2.1 Sở Tư pháp thay đổi"
    )
    assert "76,92 % (60/78) 85,90 % (67/78)" in lines[0]
    # the province is also restated on today's units (September's units are today's)
    assert (
        "766-2.1 Tỉnh H57 (đơn vị hiện nay) thay đổi 93,69 % (1.010/1.078) 94,34 % (1.017/1.078)" in lines[1]
    )
    assert "766-2.1 Tỉnh H57 thay đổi 93,69 % (1.010/1.078) 94,34 % (1.017/1.078)" in lines[2]


def test_trend_charts_one_per_indicator_in_both_languages(page: str) -> None:
    trends = section(page, "trends")
    figures = re.findall(
        r'<figure class="chart" data-chart="trend" data-indicator="([^"]+)">(.*?)</figure>',
        trends,
        flags=re.S,
    )
    assert [i for i, _ in figures] == ["766-2.1", "766-2.2", "766-3.3", "NQ17-01"]
    for _, figure in figures:
        assert figure.count("<svg") == 2
        assert 'class="mark-line role-mark' in figure and 'class="mark-symbol role-mark' in figure
    vi_axis = re.search(r'<div data-l="vi">(.*?)</div>', figures[0][1], flags=re.S).group(1)
    assert ">T6/2025</text>" in vi_axis and ">T7/2025</text>" in vi_axis and ">80 %</text>" in vi_axis


def test_the_page_is_self_contained(page: str) -> None:
    # links to the report's other pages (same folder) are navigation, never a load
    links = re.findall(r'\bhref="([^"]*)"', page)
    assert links and all(re.fullmatch(r"dtimon-report-[0-9Q-]+\.html|index\.html", link) for link in links)
    assert not re.search(r"\b(src|srcset|action)\s*=", re.sub(r'\bhref="[^"]*"', "", page))
    assert "url(" not in page and "@import" not in page
    addresses = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert addresses <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # namespaces
    assert "default-src 'none'" in page


def test_another_month_another_language_and_a_month_without_values(
    published: tuple[str, int], tmp_path: Path
) -> None:
    url, _ = published
    august = render_report(url, tmp_path, date(2025, 8, 1), lang="en").read_text(encoding="utf-8")
    assert '<html lang="en">' in august
    assert visible_text(by_testid(august, "period-status"), "en") == "Complete month"
    assert visible_text(rows(section(august, "summary"), "data-indicator", "766-3.3")[0], "en").endswith(
        "30 75 40.00 % ≥ 50.00 % Not met — —"
    )
    with pytest.raises(NothingPublished, match="2025-07"):
        render_report(url, tmp_path, date(2025, 7, 1))
    paths = render_all(url, tmp_path)
    # the fixture's year and quarter first (longest kinds first), then the months
    assert [p.name for p in paths] == ["dtimon-report-2025.html", "dtimon-report-2025-Q3.html"] + [
        f"dtimon-report-2025-{m:02d}.html" for m in (6, 8, 9)
    ]
    assert "dtimon-report-2025-09.html" in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_a_new_catalogue_indicator_with_values_appears_with_no_report_change(
    published: tuple[str, int], tmp_path: Path
) -> None:
    url, _ = published
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "insert into marts.ind_values select '766-4.2', '766', 'month', '2025-09-01', 'province', 'area',"
            " 'historical', 'H57', 'Tỉnh H57', 800, 1000, 0.8, 'ratio', 0.8, true, true, null, 'provisional', %s",
            (rf.SEPT_AS_OF,),
        )
        rf.publish_figures_keeping(conn)
    page = render_report(url, tmp_path).read_text(encoding="utf-8")
    line = rows(section(page, "summary"), "data-indicator", "766-4.2")
    assert line and visible_text(line[0]) == "766-4.2 Tỷ lệ số hóa hồ sơ 800 1.000 80,00 % ≥ 80,00 % Đạt — —"
    assert 'data-chart="trend" data-indicator="766-4.2"' in page
    assert "Mọi chỉ số được tính đều có số liệu." in page


def test_the_module_entry_point_reads_the_settings_and_prints_the_link(
    published: tuple[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from publishing.report.__main__ import main

    url, _ = published
    monkeypatch.setenv("DTIMON_WAREHOUSE_URL", url)
    monkeypatch.setenv("DTIMON_ENV", "test")
    assert main(["--out", str(tmp_path), "--period", "2025-08", "--lang", "en"]) == 0
    path = tmp_path / "dtimon-report-2025-08.html"
    assert capsys.readouterr().out.split() == [str(path), path.resolve().as_uri()]
    assert '<html lang="en">' in path.read_text(encoding="utf-8")
    assert main(["--out", str(tmp_path), "--period", "2025-07"]) == 1
    assert "no values for 2025-07" in capsys.readouterr().err


def test_after_publish_renders_every_month_or_says_why_not(
    published: tuple[str, int], warehouse_url: str, tmp_path: Path
) -> None:
    from publishing.report.after_publish import render_after_publish

    url, _ = published
    done = render_after_publish(url, tmp_path / "reports")
    assert [Path(p).name for p in done["reports"]] == [
        "dtimon-report-2025.html",
        "dtimon-report-2025-Q3.html",
        "dtimon-report-2025-06.html",
        "dtimon-report-2025-08.html",
        "dtimon-report-2025-09.html",
    ]
    assert done["latest"].endswith("dtimon-report-2025-09.html")
    assert done["link"] == Path(done["latest"]).as_uri()
    # an empty warehouse (nothing published yet): skipped with the reason, not an error
    skipped = render_after_publish(warehouse_url, tmp_path / "empty")
    assert set(skipped) == {"skipped"} and "nothing is published" in skipped["skipped"]


def test_dtimon_report_as_the_readme_prints_it(
    published: tuple[str, int], warehouse_url: str, tmp_path: Path
) -> None:
    """`.venv/bin/dtimon report`: every published month rendered, the path printed; nothing
    published is one line and a non-zero exit."""
    import os
    import subprocess
    import sys

    dtimon = Path(sys.executable).parent / "dtimon"
    url, _ = published
    env = {**os.environ, "DTIMON_HOME": str(tmp_path), "DTIMON_WAREHOUSE_URL": url}
    done = subprocess.run([str(dtimon), "report"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Index report: ") and "file://" in done.stdout
    assert (tmp_path / "reports" / "index.html").exists()
    pages = sorted(p.name for p in (tmp_path / "reports").glob("dtimon-report-*.html"))
    assert pages
    first = pages[0].removeprefix("dtimon-report-").removesuffix(".html")
    one = subprocess.run([str(dtimon), "report", "--period", first], env=env, capture_output=True, text=True)
    assert one.returncode == 0, one.stderr
    assert one.stdout.startswith(f"Index report of {first}: ") and pages[0] in one.stdout
    unpublished = subprocess.run(
        [str(dtimon), "report", "--period", "1999-01"], env=env, capture_output=True, text=True
    )
    assert unpublished.returncode == 1 and unpublished.stderr.count("\n") == 1
    assert "no values for 1999-01" in unpublished.stderr
    empty = subprocess.run(
        [str(dtimon), "report"],
        env={**env, "DTIMON_WAREHOUSE_URL": warehouse_url},
        capture_output=True,
        text=True,
    )
    assert empty.returncode != 0
    assert len(empty.stderr.strip().splitlines()) == 1 and "Traceback" not in empty.stderr


def test_framework_names_are_read_from_the_published_frameworks_seed(published: tuple[str, int]) -> None:
    url, _ = published
    with psycopg.connect(url, autocommit=True) as conn:
        snapshot = read_snapshot(conn)
        published_names = dict(conn.execute("select framework, name_vi from bi.frameworks").fetchall())
    assert {f.framework: f.name_vi for f in snapshot.frameworks} == published_names
    with rf.ROOT.joinpath("dbt_project/seeds/frameworks.csv").open(encoding="utf-8") as handle:
        seed = {row["framework"]: row["name_vi"] for row in csv.DictReader(handle)}
    assert published_names == seed
    page = render_html(snapshot)
    # the agency table's framework rows carry the seed's names, in its display order
    assert seed["766"] in visible_text(page) and seed["NQ17"] in visible_text(page)
    assert visible_text(page).index(seed["766"]) < visible_text(page).index(seed["NQ17"])


def test_the_total_and_band_are_the_published_totals(published: tuple[str, int], tmp_path: Path) -> None:
    """The report computes no total or band: a province total measured on 60 points and rated
    good in bi.ind_framework_totals reads so in the headline."""
    url, _ = published
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "update marts.ind_framework_totals set earned = 48, measured = 60, score = 80, is_rated = true,"
            " band = 'good' where level = 'province'"
        )
        rf.publish_figures_keeping(conn)
    page = render_report(url, tmp_path).read_text(encoding="utf-8")
    assert visible_text(by_testid(page, "kpi-score")) == "48,00 / 60 điểm"
    assert visible_text(by_testid(page, "kpi-band")) == "Tốt"
    assert visible_text(by_testid(page, "kpi-band"), "en") == "Good"


def test_the_late_section_lists_each_agency_s_procedures_with_the_most_late_dossiers(page: str) -> None:
    late = section(page, "late")
    assert (
        visible_text(re.search(r"<h2>.*?</h2>", late, flags=re.S).group(0)) == "5. Hồ sơ trễ hạn theo cơ quan"
    )
    # agencies with the most late dossiers first; each agency's total = its 766-2.1 denominator − numerator
    agencies = re.findall(r'<tbody class="unit" data-unit="([^"]+)">', late)
    assert agencies == [rf.CONSTRUCTION[1], rf.JUSTICE[1]]
    totals = [
        visible_text(t) for t in re.findall(r'data-testid="late-total">(.*?)</span></td>', late, flags=re.S)
    ]
    assert totals == ["50 hồ sơ trễ hạn", "11 hồ sơ trễ hạn"]  # 1.000 − 950 and 78 − 67
    shown = {
        procedure: visible_text(rows(late, "data-procedure", procedure)[0])
        for procedure in re.findall(r'<tr data-procedure="([^"]*)"', late)
    }
    assert shown == {  # the top 3 of each agency: 1.000004 (1 late) is left out
        "1.000001": "1.000001 Cấp giấy phép xây dựng 30 5 7",
        "1.000002": "1.000002 Cấp chứng chỉ hành nghề hoạt động xây dựng 15 0 7",
        "1.000003": "1.000003 Thẩm định thiết kế xây dựng 4 0 4",
        "2.000001": "2.000001 Cấp phiếu lý lịch tư pháp 6 0 6",
        "2.000002": "2.000002 Chứng thực bản sao từ bản chính 5 0 5",
    }
    assert "Late dossiers per agency" in visible_text(late, "en")


def test_a_quarter_s_and_a_year_s_page_linked_with_the_months(
    published: tuple[str, int], tmp_path: Path
) -> None:
    url, _ = published
    quarter = render_report(url, tmp_path, date(2025, 7, 1), kind="quarter").read_text(encoding="utf-8")
    year = render_report(url, tmp_path, kind="year").read_text(encoding="utf-8")  # the latest year
    september = render_report(url, tmp_path).read_text(encoding="utf-8")
    assert visible_text(by_testid(quarter, "period")) == "Quý III/2025"
    assert visible_text(by_testid(quarter, "period"), "en") == "Q3 2025"
    assert visible_text(by_testid(year, "period")) == "Năm 2025"
    assert '<meta name="dtimon-period" content="2025-Q3">' in quarter
    # the quarter's own values (each dossier once in the quarter), never a sum of its months
    on_time = rows(section(quarter, "summary"), "data-indicator", "766-2.1")[0]
    assert visible_text(on_time).startswith(
        "766-2.1 Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn 2.700 3.000 90,00 %"
    )
    assert "Quý trước" in visible_text(section(quarter, "summary"))
    year_line = visible_text(rows(section(year, "summary"), "data-indicator", "766-2.1")[0])
    assert year_line.startswith("766-2.1 Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn 5.400 6.000 90,00 %")
    # each page links the published pages of the same time: the year, its quarter, its months
    assert (
        visible_text(by_testid(september, "related-pages"))
        == "Cùng thời gian: Năm 2025 · Quý III/2025 · Tất cả các kỳ báo cáo"
    )
    assert visible_text(by_testid(quarter, "related-pages")) == (
        "Cùng thời gian: Năm 2025 · Tháng 8/2025 · Tháng 9/2025 · Tất cả các kỳ báo cáo"
    )
    assert visible_text(by_testid(year, "related-pages")) == (
        "Cùng thời gian: Quý III/2025 · Tháng 6/2025 · Tháng 8/2025 · Tháng 9/2025 · Tất cả các kỳ báo cáo"
    )
    assert 'href="dtimon-report-2025-Q3.html"' in september and 'href="dtimon-report-2025.html"' in quarter
    # no late dossier was published for the quarter: the section says so
    assert visible_text(by_testid(quarter, "no-late")) == "Không có hồ sơ trễ hạn trong kỳ."
    with pytest.raises(NothingPublished, match="2025-Q2"):
        render_report(url, tmp_path, date(2025, 4, 1), kind="quarter")
