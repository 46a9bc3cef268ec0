"""Metabase definitions are consistent, grow with the catalogue, and the post-publish step skips cleanly."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import yaml

from core.settings import PROJECT_ROOT, ConfigError, Settings
from infra.dag_defaults import bi_asset
from publishing import publish
from publishing.metabase import after_publish, definitions
from publishing.metabase.config import MetabaseConfig
from publishing.metabase.metadata import semantic_type
from publishing.metabase.provision import digest, marked, marker

BUILD = definitions.build()
ENV = {"DTIMON_ENV": "test", "DTIMON_WAREHOUSE_URL": "postgresql://owner:pw@db.internal:5432/dtimon"}


def test_every_question_declares_exactly_the_variables_its_sql_uses() -> None:
    for question in BUILD.questions:
        used = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", question.sql))
        assert used == {tag.name for tag in question.tags}, question.key
        assert question.collection in {c.key for c in BUILD.collections}
        assert question.sql.count("[[") == question.sql.count("]]")


def test_dashboards_place_known_questions_without_overlap_and_filter_them() -> None:
    keys = {q.key for q in BUILD.questions}
    for dashboard in BUILD.dashboards:
        cells: set[tuple[int, int]] = set()
        for card in dashboard.cards:
            assert card.question in keys
            assert card.col + card.size_x <= 24, (dashboard.key, card.question)
            area = {(card.row + y, card.col + x) for y in range(card.size_y) for x in range(card.size_x)}
            assert not cells & area, (dashboard.key, card.question)
            cells |= area
        for name in dashboard.filters:  # every filter drives at least one card on its dashboard
            assert any(name in {t.name for t in BUILD.question(c.question).tags} for c in dashboard.cards)


def test_the_required_dashboards_exist_with_their_filters() -> None:
    filters = {d.key: set(d.filters) for d in BUILD.dashboards}
    assert filters["province_scorecard"] == {
        "period",
        "level",
        "scope",
        "view",
        "framework",
        "indicator",
        "unit",
    }
    assert {"scope", "view"} <= filters["indicator_trends"]
    assert filters["agency_766"] == {"period", "period_kind", "unit", "indicator"}
    assert {"period"} <= filters["data_quality"]
    assert filters["operations_centre"] == {"period", "unit"}  # the unit is an agency or a commune
    assert {c.key for c in BUILD.collections} == {"department", "operations_centre", "data_quality"}


def test_no_question_can_sum_area_with_tier_or_historical_with_current() -> None:
    """Every question over ind_values fixes the scope and view in its SQL, or takes them as required
    tags with a default in clauses that always apply; so does the level where figures are read."""
    dimensions = {"level": definitions.LEVELS, "scope": definitions.SCOPES, "view": definitions.VIEWS}
    for question in BUILD.questions:
        if "bi.ind_values" not in question.sql:
            continue
        tags = {tag.name: tag for tag in question.tags}
        always = re.sub(r"\[\[.*?\]\]", "", question.sql, flags=re.S)
        reads_figures = re.search(r"ind\.(value|numerator|met|points)\b", question.sql)
        for name, choices in dimensions.items():
            if name == "level" and not reads_figures:
                continue  # e.g. which months have values: no figure is added up
            fixed = re.search(rf"ind\.{name} (=|in) ", always)
            if name in tags:
                assert tags[name].required and tags[name].default in dict(choices), (question.key, name)
                assert f"ind.{name} = {{{{{name}}}}}" in always, (question.key, name)
            else:
                assert fixed, (question.key, name)


def test_filters_with_a_default_are_required_and_offer_their_choices() -> None:
    for name, spec in definitions.FILTERS.items():
        parameter = spec.parameter("p")
        if spec.default is None:
            assert "default" not in parameter and "required" not in parameter, name
            continue
        assert parameter["required"] is True and parameter["default"] == [spec.default]
        assert parameter["values_source_type"] == "static-list"
        values = parameter["values_source_config"]["values"]
        assert spec.default in [value for value, _ in values]
        assert definitions.TAGS[name].default == spec.default  # the card runs alone as on the dashboard
    assert [v for v, _ in definitions.FILTERS["level"].choices] == ["province", "district", "commune"]


def test_a_new_catalogue_row_gets_a_question_and_a_place_without_new_code() -> None:
    catalogue = definitions.read_catalogue()
    row = {**catalogue[0], "indicator_id": "766-9.9", "framework": "766", "name_vi": "Thử", "name_en": "Test"}
    grown = definitions.build([*catalogue, row])
    question = grown.question("trend__766-9.9")
    assert question.name == "766-9.9 — Thử"
    assert next(t for t in question.tags if t.name == "indicator").default == "766-9.9"
    trends = next(d for d in grown.dashboards if d.key == "indicator_trends")
    assert len(trends.cards) == len(catalogue) + 1
    assert trends.cards[-1].question == "trend__766-9.9"


def test_seed_labels_are_rendered_from_the_seed_and_a_new_row_needs_no_code() -> None:
    """`/* seed name(columns) */` becomes that seed's rows; every use names a seed and its real columns."""
    for question in BUILD.questions:
        raw = (definitions.QUESTIONS_DIR / question.sql_file).read_text()
        for name, columns in definitions.SEED_ROWS.findall(raw):
            rows = definitions.read_seed(name)
            listed = [c.strip() for c in columns.split(",")]
            assert set(listed) - {"seed_row"} <= set(rows[0]), (question.key, name)
            for row in rows:  # each row by its code (the first column listed)
                assert f"('{row[listed[0]]}', " in question.sql, (question.key, row)
        assert not definitions.SEED_ROWS.search(question.sql), question.key
    seeds = {
        "ioc_event_types": [{"event_type": "litter", "name_vi": "Xả rác (O'Brien)", "display_order": ""}]
    }
    rendered = definitions.render_seeds(
        "with t (a, b, c, n) as (\n    /* seed ioc_event_types(event_type, name_vi, display_order, seed_row) */\n)",
        seeds.__getitem__,
    )
    assert (
        rendered
        == "with t (a, b, c, n) as (\n    values\n        ('litter', 'Xả rác (O''Brien)', null, 1)\n)"
    )


def test_the_operations_centre_dashboard_names_every_event_type_and_urgency_tier() -> None:
    by_type = BUILD.question("camera_incidents_by_type").sql
    assert all(f"'{row['name_vi']}'" in by_type for row in definitions.read_seed("ioc_event_types"))
    by_tier = BUILD.question("field_reports_by_urgency").sql
    assert all(f"'{row['name_vi']}'" in by_tier for row in definitions.read_seed("ioc_report_urgencies"))
    dashboard = next(d for d in BUILD.dashboards if d.key == "operations_centre")
    assert dashboard.collection == "operations_centre"
    assert {BUILD.question(c.question).collection for c in dashboard.cards} == {"operations_centre"}


def test_every_dashboard_is_declared_as_a_dbt_exposure() -> None:
    document = yaml.safe_load(Path(PROJECT_ROOT / "dbt_project" / "models" / "exposures.yml").read_text())
    names = {e["name"] for e in document["exposures"]}
    assert {f"metabase_{d.key}" for d in BUILD.dashboards} <= names
    assert "index_report" in names
    # each depends on every bi relation its questions read (but those publishing adds) and seed they name
    refs = {
        e["name"]: set(re.findall(r"ref\('(\w+)'\)", " ".join(e["depends_on"])))
        for e in document["exposures"]
    }
    for dashboard in BUILD.dashboards:
        read: set[str] = set()
        for card in dashboard.cards:
            raw = (definitions.QUESTIONS_DIR / BUILD.question(card.question).sql_file).read_text()
            read |= set(re.findall(r"\bbi\.(\w+)", raw)) | {n for n, _ in definitions.SEED_ROWS.findall(raw)}
        read -= {publish.RESTATEMENTS, publish.PUBLICATION_HISTORY}
        assert read <= refs[f"metabase_{dashboard.key}"], (
            dashboard.key,
            read - refs[f"metabase_{dashboard.key}"],
        )


def test_the_marker_finds_the_key_and_digest_again() -> None:
    hashed = digest({"name": "x", "n": [1, 2]})
    assert hashed == digest({"n": [1, 2], "name": "x"}) and len(hashed) == 12
    assert marker(marked("Mô tả\n(dtimon: nothing)", "trend__766-2.1", hashed)) == ("trend__766-2.1", hashed)
    assert marker("written by a person") is None


def test_without_metabase_url_the_post_publish_step_logs_one_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        assert after_publish(Settings.from_env(ENV), ENV) is None
    assert [r.getMessage() for r in caplog.records] == [
        "Metabase provisioning skipped: METABASE_URL is not set"
    ]


def test_config_needs_credentials_and_points_metabase_at_the_bi_login() -> None:
    settings = Settings.from_env(ENV)
    with pytest.raises(ConfigError, match="METABASE_API_KEY"):
        MetabaseConfig.from_env(settings, {**ENV, "METABASE_URL": "http://mb:3000"})
    config = MetabaseConfig.from_env(
        settings, {**ENV, "METABASE_URL": "http://mb:3000/", "METABASE_API_KEY": "k"}
    )
    assert (config.url, config.bi_host, config.bi_port, config.bi_database, config.bi_user) == (
        "http://mb:3000", "db.internal", 5432, "dtimon", "dtimon_metabase",
    )  # fmt: skip
    moved = MetabaseConfig.from_env(
        settings, {**ENV, "METABASE_URL": "http://mb", "METABASE_API_KEY": "k", "DTIMON_BI_HOST": "warehouse"}
    )
    assert moved.bi_host == "warehouse"


def test_semantic_types_by_name_unless_dbt_meta_says_otherwise() -> None:
    assert semantic_type("ind_values", "numerator", {}) == "type/Quantity"
    assert semantic_type("dim_agency", "agency_name", {}) == "type/Name"
    assert semantic_type("ind_values", "points", {}) == "type/Score"
    assert semantic_type("ind_values", "value", {}) is None
    assert semantic_type("x", "value", {("x", "value"): "type/Percentage"}) == "type/Percentage"
    assert semantic_type("dim_camera", "latitude", {}) == "type/Latitude"
    assert semantic_type("fct_field_report", "urgency", {}) == "type/Category"


def test_the_published_bi_is_an_asset() -> None:
    assert bi_asset().uri == "dtimon://warehouse/bi"
