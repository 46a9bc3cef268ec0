"""Metabase as code: every question runs on the real `bi`, and provisioning is idempotent against
a local server that implements the documented API (fake_metabase).

`bi` is published from hand-written marts with the contract's columns (bi_fixtures). The
questions run as the BI login, with their template tags substituted the way Metabase does
(an optional `[[ … ]]` clause is kept only when all its variables have values).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from bi_fixtures import AGENCIES, CAMERAS, COMMUNES, PROVINCE, UNKNOWN_MEMBER, build_bi
from fake_metabase import FakeMetabase, FakeMetabaseServer

from core.settings import Settings
from publishing.bi_login import LOGIN_ROLE, apply_bi_password
from publishing.metabase import definitions, provision
from publishing.metabase.client import MetabaseClient, MetabaseError
from publishing.metabase.definitions import Question, Tag
from publishing.metabase.metadata import bi_relations

OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def render_native(question: Question, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The SQL Metabase runs for `values`, with the variables as bound parameters."""
    tags: dict[str, Tag] = {tag.name: tag for tag in question.tags}
    given = {name: value for name, value in values.items() if name in tags and value is not None}
    for tag in tags.values():
        if tag.name not in given and tag.default is not None:
            given[tag.name] = tag.default

    def optional(match: re.Match[str]) -> str:
        names = VARIABLE.findall(match.group(1))
        return match.group(1) if all(name in given for name in names) else ""

    text = OPTIONAL.sub(optional, question.sql)
    missing = set(VARIABLE.findall(text)) - set(given)
    assert not missing, f"{question.key}: required variables without a value: {missing}"
    assert set(VARIABLE.findall(question.sql)) == set(tags), f"{question.key}: tags and SQL disagree"
    return VARIABLE.sub(lambda m: f"%({m.group(1)})s", text.replace("%", "%%")), given


@pytest.fixture(scope="module")
def warehouse(module_warehouse_url: str) -> Iterator[str]:
    with psycopg.connect(module_warehouse_url, autocommit=True) as conn:
        build_bi(conn)
    yield module_warehouse_url


@pytest.fixture(scope="module")
def login(warehouse: str) -> Iterator[psycopg.Connection]:
    # roles other than the owner need a password on the embedded server (scram-sha-256)
    password = secrets.token_urlsafe(16)
    with psycopg.connect(warehouse, autocommit=True) as conn:
        apply_bi_password(conn, {"DTIMON_BI_PASSWORD": password})
    with psycopg.connect(warehouse, user=LOGIN_ROLE, password=password, autocommit=True) as conn:
        yield conn


ALL_FILTERS = {
    "period": date(2025, 9, 1),
    "unit": AGENCIES[0][0],
    "framework": "766",
    "indicator": "766-2.1",
}


def _filters_for(question: Question) -> dict[str, Any]:
    values = dict(ALL_FILTERS)
    if "level" in {tag.name for tag in question.tags}:
        values["unit"] = PROVINCE[0]  # the default level's unit
    if question.key == "eid_by_commune":
        values["unit"] = COMMUNES[0][1]  # its unit is a commune (code or name)
    if question.key == "publication_history":
        values["period"] = date.today()  # the fixture's publications were made today
    for tag in question.tags:
        if tag.pinned:  # a generated trend question: its own indicator
            row = next(r for r in definitions.read_catalogue() if r["indicator_id"] == tag.default)
            values["framework"] = row["framework"]
            del values[tag.name]
    return values


QUESTIONS = definitions.build().questions


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.key for q in QUESTIONS])
def test_every_question_returns_rows_on_bi_as_the_bi_login(
    login: psycopg.Connection, question: Question
) -> None:
    unfiltered, params = render_native(question, {})
    assert login.execute(unfiltered, params).fetchall(), f"{question.key} unfiltered"
    filtered, params = render_native(question, _filters_for(question))
    rows = login.execute(filtered, params).fetchall()
    assert rows, f"{question.key} with every filter set"


def test_filters_narrow_the_rows_to_what_was_asked(login: psycopg.Connection) -> None:
    build = definitions.build()
    sql, params = render_native(build.question("agency_indicator_points"), ALL_FILTERS)
    rows = login.execute(sql, params).fetchall()
    # agency A, September, 766-2.1 as restated by the second publication: 70 / 85
    assert [(r[0], r[1], r[4], r[5], r[6]) for r in rows] == [
        (date(2025, 9, 1), AGENCIES[0][0], "766-2.1", 70, 85)
    ]
    sql, params = render_native(build.question("restatements"), ALL_FILTERS)
    (row,) = login.execute(sql, params).fetchall()
    assert row[2:9] == (
        "Tháng",
        "766-2.1",
        "Cơ quan",
        AGENCIES[0][0],
        "Toàn địa bàn",
        "Đơn vị như tại kỳ",
        "Thay đổi",
    )
    assert (round(row[9] * 100, 2), round(row[10] * 100, 2)) == (Decimal("85.90"), Decimal("82.35"))
    # frameworks are named from bi.frameworks, and the filter takes the code or the name
    name = login.execute("select name_vi from bi.frameworks where framework = '766'").fetchone()[0]
    question = build.question("province_met_by_framework")
    by_code = login.execute(
        *render_native(question, {**_filters_for(question), "framework": "766"})
    ).fetchall()
    by_name = login.execute(
        *render_native(question, {**_filters_for(question), "framework": name})
    ).fetchall()
    assert by_code == by_name and [r[0] for r in by_code] == [name]
    sql, params = render_native(build.question("agency_dossiers"), {"period": date(2025, 9, 1)})
    # 12 dossiers alternate between the two agencies; every third (n = 0, 3, 6, 9) is not online
    assert sorted(login.execute(sql, params).fetchall()) == [("Sở Tư pháp", 6, 4), ("Sở Y tế", 6, 4)]
    # documents: A sent D1 (electronic, signed) and D2 (paper); B sent D3 and revoked it; a ministry's D4 is not the province's
    sql, params = render_native(build.question("document_flow"), {"period": date(2025, 9, 1)})
    assert sorted(login.execute(sql, params).fetchall()) == [
        ("Sở Tư pháp", 2, 1, 1, 0, 0, 3),
        ("Sở Y tế", 1, 1, 0, 1, 0, 1),
    ]
    sql, params = render_native(build.question("document_handling"), ALL_FILTERS)
    assert login.execute(sql, params).fetchall() == [("Sở Tư pháp", 1, 0, 1, 2.0, 1)]


def test_the_late_dossiers_question_lists_an_agency_s_period_worst_first(login: psycopg.Connection) -> None:
    question = definitions.build().question("agency_late_dossiers")
    for kind, day in (("month", date(2025, 9, 20)), ("quarter", date(2025, 8, 15))):
        sql, params = render_native(question, {"period_kind": kind, "period": day, "unit": AGENCIES[0][1]})
        rows = login.execute(sql, params).fetchall()
        assert [(r[2][-4:], r[8], r[9]) for r in rows] == [
            ("0003", 8, "Chưa giải quyết, đã quá hạn"),
            ("0001", 2, "Trả sau ngày hẹn"),
            ("0002", 1, "Trả sau ngày hẹn"),
            ("0004", None, "Yêu cầu bổ sung quá một lần"),
        ], kind
    sql, params = render_native(question, {"period": date(2025, 9, 1), "unit": AGENCIES[1][0]})
    assert login.execute(sql, params).fetchall() == []  # the other agency was never late


def test_level_scope_and_view_pick_one_kind_of_row_and_today_s_units_sum_their_predecessors(
    login: psycopg.Connection,
) -> None:
    build = definitions.build()
    scorecard = build.question("province_scorecard")
    june = {"period": date(2025, 6, 1)}
    catalogue = definitions.read_catalogue()
    # by default: the province, whole area, units as they were: one row per indicator
    rows = login.execute(*render_native(scorecard, june)).fetchall()
    assert sorted((r[1], r[3]) for r in rows) == sorted(("H57", c["indicator_id"]) for c in catalogue)

    def figures(**chosen: str) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
        found = login.execute(*render_native(scorecard, {**june, **chosen})).fetchall()
        return {(r[3], r[1]): (r[7], r[8]) for r in found}

    before = figures(level="commune", scope="tier")
    today = figures(level="commune", scope="tier", view="current")
    assert {unit for _, unit in before} == {"19753", "19754"} and {unit for _, unit in today} == {"19753"}
    for row in catalogue:
        merged = [v for (indicator, _), v in before.items() if indicator == row["indicator_id"]]
        numerator, denominator = today[(row["indicator_id"], "19753")]
        assert numerator == sum(n for n, _ in merged)
        if denominator is not None:  # a duration has none
            assert denominator == sum(d for _, d in merged)
    # the district exists in June only; the met-by-framework count follows the same choice
    assert {unit for _, unit in figures(level="district")} == {"480"}
    september = login.execute(
        *render_native(scorecard, {"period": date(2025, 9, 1), "level": "district"})
    ).fetchall()
    assert september == []
    met = build.question("province_met_by_framework")
    counted = login.execute(*render_native(met, {**june, "level": "commune"})).fetchall()
    assert sum(r[1] + r[2] for r in counted) <= 2 * len(catalogue)  # two communes, each indicator once


def test_the_operations_centre_questions_count_cameras_incidents_and_reports(
    login: psycopg.Connection,
) -> None:
    """bi_fixtures' IOC rows: September, then narrowed to agency B's commune by name or to agency A by id."""
    build = definitions.build()
    september = {"period": date(2025, 9, 1)}

    def run(key: str, **values: Any) -> list[tuple]:
        return login.execute(*render_native(build.question(key), {**september, **values})).fetchall()

    # A's cam-01 and cam-02 in Thuận Hóa: 8,280 of 8,640 minutes (cam-02 down 6 hours on 2 Sep); B's cam-03
    # in Phú Xuân, installed 2 Sep and down all 3 Sep: 1,440 of 2,880; the lowest share first
    assert run("camera_availability") == [
        (AGENCIES[1][1], COMMUNES[1][1], 1, 1, Decimal("24.0"), Decimal("48.0"), Decimal("50.00")),
        (AGENCIES[0][1], COMMUNES[0][1], 2, 1, Decimal("138.0"), Decimal("144.0"), Decimal("95.83")),
    ]
    daily = run("camera_availability_daily")
    assert [(r[0].day, r[1], r[3]) for r in daily] == [
        (1, Decimal("100.00"), 0),
        (2, Decimal("91.67"), 1),
        (3, Decimal("66.67"), 1),
    ]  # 31 August is another month
    assert [(r[0].day, r[1]) for r in run("camera_availability_daily", unit=COMMUNES[1][1])] == [
        (2, Decimal("100.00")),
        (3, Decimal("0.00")),
    ]
    # incidents named from seed ioc_event_types, in its display order; false positives are not incidents
    names = {row["event_type"]: row["name_vi"] for row in definitions.read_seed("ioc_event_types")}
    by_type = {r[0]: r[1:] for r in run("camera_incidents_by_type")}
    assert by_type == {
        names["traffic_violation"]: (4, 1, 3, 0, 0),
        names["crowd"]: (1, 1, 0, 0, 0),
        names["intrusion"]: (2, 1, 0, 1, 0),
        names["fire_smoke"]: (1, 1, 0, 0, 1),
    }
    assert [(r[0].day, r[1], r[2]) for r in run("camera_incidents_daily", unit=AGENCIES[0][0])] == [
        (1, names["traffic_violation"], 3),
        (2, names["traffic_violation"], 1),
        (2, names["crowd"], 1),
        (2, names["intrusion"], 2),
    ]
    assert {r[0] for r in run("camera_incidents_daily", unit=CAMERAS[2][4])} == {date(2025, 9, 3)}
    # field reports per urgency tier, in the seed's order, with its deadlines: only the urgent answer
    # deadline is confirmed; the urgent one in time, the high one answered late, a normal one overdue
    # unanswered and another not yet due
    tiers = definitions.read_seed("ioc_report_urgencies")
    rows = run("field_reports_by_urgency")
    assert [r[0] for r in rows] == [t["name_vi"] for t in tiers]
    assert [(r[1].endswith("(giả định)"), r[2].endswith("(giả định)")) for r in rows] == [
        (t["answer_confirmed"] != "true", True) for t in tiers
    ]
    assert [r[3:] for r in rows] == [
        (1, 1, 1, 0, 0, Decimal("100.00"), 1, 1, Decimal("100.00")),
        (1, 1, 0, 1, 0, Decimal("0.00"), 0, 0, None),
        (2, 0, 0, 1, 1, Decimal("0.00"), 0, 0, None),
    ]
    assert run("field_reports_by_agency", unit=AGENCIES[0][0]) == [
        (AGENCIES[0][1], COMMUNES[0][1], 2, 1, 1, Decimal("50.00"), 1, 0, Decimal("100.00"))
    ]
    late = run("field_reports_late")
    assert [(r[0], r[-2], r[-1]) for r in late] == [
        ("PA-03", "Quá hạn, chưa trả lời", "Chưa có ngày xử lý"),
        ("PA-02", "Trả lời trễ hạn", "Chưa có ngày xử lý"),
    ]  # PA-05, answered in time but resolved late, was made in August
    (august,) = login.execute(
        *render_native(build.question("field_reports_late"), {"period": date(2025, 8, 1)})
    ).fetchall()
    assert (august[0], august[-2], august[-1]) == ("PA-05", "Trả lời đúng hạn", "Xử lý xong trễ hạn")
    # a report names its commune as it was then (19753 before the merger of 1 July 2025)
    (june,) = login.execute(
        *render_native(build.question("field_reports_late"), {"period": date(2025, 6, 1)})
    ).fetchall()
    assert june[:3] == ("PA-06", AGENCIES[0][1], "phường Phú Hội")


def test_the_project_06_questions_count_calls_latencies_failures_and_accounts(
    login: psycopg.Connection,
) -> None:
    """bi_fixtures' Project 06 rows (POPULATION_CALLS, POPULATION_STATS), every number worked out by hand."""
    build = definitions.build()
    september = {"period": date(2025, 9, 1)}

    def run(key: str, **values: Any) -> list[tuple]:
        return login.execute(*render_native(build.question(key), {**september, **values})).fetchall()

    names = {row["service_code"]: row["name_vi"] for row in definitions.read_seed("population_services")}
    share, verify, identity = (
        names["ChiaSeThongTinCongDan"],
        names["XacThucThongTinCongDan"],
        names["XacMinhThongTinNhanThan"] + " (chưa xác nhận)",  # the seed has not confirmed it
    )
    unknown = f"{UNKNOWN_MEMBER} (không có trong danh mục)"
    # (agency, service, calls, succeeded, failed, success %, median s, 95th percentile s); percentile_cont
    # interpolates between the sorted latencies at p × (n − 1); the worst success rate first, then by name.
    # A on 037: 100, 200, 400, 1,000 (R-04's retry, same message id: a call of its own), 3,000 ms (R-04 failed):
    # median the 3rd, 400 ms (the mean would be 940); 95th at 3.8: 1,000 + 0.8 × 2,000 = 2,600 ms.
    # A on 033: 500, 700: median 600; 95th at 0.95: 500 + 0.95 × 200 = 690 ms.
    # B on 037: 300 (00:30 on 1 Sep), 2,000 (failed): median 1,150; 95th: 300 + 0.95 × 1,700 = 1,915 ms.
    assert run("lookups_by_agency") == [
        (unknown, verify, 1, 0, 1, Decimal("0.00"), Decimal("0.050"), Decimal("0.050")),
        (AGENCIES[1][1], share, 2, 1, 1, Decimal("50.00"), Decimal("1.150"), Decimal("1.915")),
        (AGENCIES[0][1], share, 5, 4, 1, Decimal("80.00"), Decimal("0.400"), Decimal("2.600")),
        (AGENCIES[0][1], verify, 2, 2, 0, Decimal("100.00"), Decimal("0.600"), Decimal("0.690")),
        (AGENCIES[1][1], "TraCuuHoKhau", 1, 1, 0, Decimal("100.00"), Decimal("0.600"), Decimal("0.600")),
        (AGENCIES[1][1], identity, 1, 1, 0, Decimal("100.00"), Decimal("0.800"), Decimal("0.800")),
    ]  # a service the seed lacks shows its code
    # the unit is the agency's code or name, or the member code the catalogue does not know
    assert run("lookups_by_agency", unit=AGENCIES[0][1]) == run("lookups_by_agency", unit=AGENCIES[0][0])
    assert [r[:3] for r in run("lookups_by_agency", unit=UNKNOWN_MEMBER)] == [(unknown, verify, 1)]
    # August: one call each (B's at 23:50 on 31 Aug); R-07 at 00:30 on 1 Sep is September's though UTC says 31 Aug
    august = run("lookups_by_agency", period=date(2025, 8, 1))
    assert sorted(r[:3] for r in august) == [(AGENCIES[0][1], share, 1), (AGENCIES[1][1], share, 1)]

    # (day, calls, failed, success %): 1 Sep; 2 Sep ×2 (one failed), R-09 (failed),
    # 3 of 5; 3 Sep, R-08 (failed), R-10: 3 of 4
    assert [(r[0].day, *r[1:]) for r in run("lookups_daily")] == [
        (1, 3, 0, Decimal("100.00")),
        (2, 5, 2, Decimal("60.00")),
        (3, 4, 1, Decimal("75.00")),
    ]
    assert [(r[0].day, *r[1:]) for r in run("lookups_daily", unit=AGENCIES[0][1])] == [
        (1, 2, 0, Decimal("100.00")),
        (2, 3, 1, Decimal("66.67")),  # 2 of 3
        (3, 2, 0, Decimal("100.00")),
    ]
    assert [r[0] for r in run("lookups_daily", period=date(2025, 8, 1))] == [
        date(2025, 8, 15),
        date(2025, 8, 31),
    ]

    # failures per fault code: ServiceFailed hit A and B (R-08, the latest, 09:00 on 3 Sep);
    # the unknown member was refused once
    assert run("lookup_failures") == [
        (
            "Server.ServerProxy.ServiceFailed",
            2,
            2,
            f"{AGENCIES[0][1]}; {AGENCIES[1][1]}",
            datetime(2025, 9, 3, 9),
        ),
        ("Server.ServerProxy.AccessDenied", 1, 1, unknown, datetime(2025, 9, 2, 8)),
    ]
    assert [r[:4] for r in run("lookup_failures", unit=AGENCIES[1][0])] == [
        ("Server.ServerProxy.ServiceFailed", 1, 1, AGENCIES[1][1])
    ]
    assert run("lookup_failures", period=date(2025, 8, 1)) == []

    # accounts per commune, the lowest level-2 share first: Phú Xuân 6,080 / 15,200 = 40 %, Thuận Hóa
    # 12,750 / 20,400 = 62.5 % (revised)
    assert run("eid_by_commune") == [
        (date(2025, 9, 1), COMMUNES[1][1], 15200, 4100, 6080, Decimal("40.00"), "Không"),
        (date(2025, 9, 1), COMMUNES[0][1], 20400, 5100, 12750, Decimal("62.50"), "Có"),
    ]
    # August: Phú Xuân gave no level-2 count (no share, last); 12,000 / 20,000 = 60 %
    assert run("eid_by_commune", period=date(2025, 8, 1)) == [
        (date(2025, 8, 1), COMMUNES[0][1], 20000, 5000, 12000, Decimal("60.00"), "Không"),
        (date(2025, 8, 1), COMMUNES[1][1], 15000, 4000, None, None, "Không"),
    ]
    # June: 19753 under its name before the merger of 1 July 2025, found by that name or its code
    june = [(date(2025, 6, 1), "phường Phú Hội", 10000, 3000, 5000, Decimal("50.00"), "Không")]
    for unit in ("phường Phú Hội", COMMUNES[0][0]):
        assert run("eid_by_commune", period=date(2025, 6, 1), unit=unit) == june
    assert run("eid_by_commune", period=date(2025, 6, 1), unit=COMMUNES[0][1]) == []

    # the province per month, newest first: September 18,830 / 35,600 = 52.89 %; August's share over
    # Thuận Hóa alone, the one commune with a level-2 count (12,000 / 20,000), its residents all counted
    assert login.execute(*render_native(build.question("eid_province"), {})).fetchall() == [
        (date(2025, 9, 1), 2, 35600, 9200, 18830, Decimal("52.89"), 1),
        (date(2025, 8, 1), 2, 35000, 9000, 12000, Decimal("60.00"), 0),
        (date(2025, 6, 1), 1, 10000, 3000, 5000, Decimal("50.00"), 0),
    ]
    assert [r[0] for r in run("eid_province")] == [date(2025, 9, 1)]


# -- provisioning against the fake Metabase -------------------------------------------------


@pytest.fixture
def fake(warehouse: str) -> Iterator[tuple[FakeMetabase, dict[str, str], Settings]]:
    with psycopg.connect(warehouse, autocommit=True) as conn:
        relations = bi_relations(conn)
    metabase = FakeMetabase(warehouse={r.name: [c.name for c in r.columns] for r in relations})
    with FakeMetabaseServer(metabase) as url:
        env = {
            "METABASE_URL": url,
            "METABASE_USER": "admin@dtimon.test",
            "METABASE_PASSWORD": "metabase-pass",
            "DTIMON_BI_PASSWORD": "bi-secret",
            "DTIMON_WAREHOUSE_URL": warehouse,
        }
        yield metabase, env, Settings.from_env(env)


def test_apply_creates_everything_then_a_second_apply_writes_nothing(
    fake: tuple[FakeMetabase, dict[str, str], Settings],
) -> None:
    metabase, env, settings = fake
    build = definitions.build()
    planned = provision.plan(settings, env)
    assert metabase.writes == []  # plan only reads
    assert {(c.action, c.model) for c in planned} >= {("create", "database"), ("create", "card")}
    assert sum(1 for c in planned if c.model == "card") == len(build.questions)

    provision.apply(settings, env)
    assert len(metabase.databases) == 1
    (database,) = metabase.databases.values()
    assert database["details"]["user"] == LOGIN_ROLE and database["details"]["password"] == "bi-secret"
    assert database["details"]["schema-filters-patterns"] == "bi"
    assert sorted(c["name"] for c in metabase.collections.values()) == sorted(
        c.name for c in build.collections
    )
    assert len(metabase.cards) == len(build.questions)
    assert sorted(d["name"] for d in metabase.dashboards.values()) == sorted(d.name for d in build.dashboards)
    # one trend question per catalogue row, on the trend dashboard
    trends = next(d for d in metabase.dashboards.values() if d["name"] == "Xu hướng từng chỉ số")
    assert len(trends["dashcards"]) == len(definitions.read_catalogue())
    # the dashboard filters reach the cards' variables
    scorecard = next(
        d for d in metabase.dashboards.values() if d["name"] == "Bảng điểm chuyển đổi số của tỉnh"
    )
    wanted = {"period", "level", "scope", "view", "framework", "indicator", "unit"}
    assert {p["slug"] for p in scorecard["parameters"]} == wanted
    for dashcard in scorecard["dashcards"]:
        assert {m["target"][1][1] for m in dashcard["parameter_mappings"]} == wanted
    defaults = {p["slug"]: p.get("default") for p in scorecard["parameters"] if p.get("required")}
    assert defaults == {"level": ["province"], "scope": ["area"], "view": ["historical"]}
    # every dashboard sits in its collection, and each card gets every filter it has a variable for
    collections = {c.key: c.name for c in build.collections}
    questions = {q.name: q for q in build.questions}
    for wanted in build.dashboards:
        stored = next(d for d in metabase.dashboards.values() if d["name"] == wanted.name)
        assert metabase.collections[stored["collection_id"]]["name"] == collections[wanted.collection]
        assert [p["slug"] for p in stored["parameters"]] == list(wanted.filters)
        assert len(stored["dashcards"]) == len(wanted.cards)
        for dashcard in stored["dashcards"]:
            question = questions[metabase.cards[dashcard["card_id"]]["name"]]
            variables = {t.name for t in question.tags if not t.pinned} & set(wanted.filters)
            assert {m["target"][1][1] for m in dashcard["parameter_mappings"]} == variables, question.key

    # metadata: dbt's descriptions (persisted as comments) and semantic types reached the fields
    fields = {
        (t["name"], f["name"]): f
        for t in metabase.tables.values()
        for f in metabase.fields.values()
        if f["table_id"] == t["id"]
    }
    numerator = fields[("ind_values", "numerator")]
    assert numerator["description"] == "What is counted (e.g. dossiers on time)."
    assert numerator["semantic_type"] == "type/Quantity"
    assert fields[("dim_agency", "agency_name")]["description"] == "Agency name (Tên cơ quan)."
    assert fields[("publication_history", "gate_passed")]["description"].startswith("Whether the Great")
    tables = {t["name"]: t for t in metabase.tables.values()}
    assert (
        tables["ind_values"]["description"] == "One row per indicator, period, level, scope, view and unit."
    )

    writes = len(metabase.writes)
    assert provision.plan(settings, env) == []
    assert provision.apply(settings, env) == []
    assert len(metabase.writes) == writes  # no POST, PUT or DELETE the second time
    assert provision.render([]) == "Metabase is up to date: nothing to change."


def test_a_changed_definition_is_updated_in_place_and_plan_shows_the_difference(
    fake: tuple[FakeMetabase, dict[str, str], Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    metabase, env, settings = fake
    provision.apply(settings, env)
    ids = {c["name"]: c["id"] for c in metabase.cards.values()}
    original = definitions.build

    def changed(catalogue: list[dict[str, str]] | None = None) -> definitions.Definitions:
        built = original(catalogue)
        questions = tuple(
            replace(q, name="Bảng điểm tỉnh (mới)", sql_file="province_met_by_framework.sql")
            if q.key == "province_scorecard"
            else q
            for q in built.questions
        )
        return replace(built, questions=questions)

    monkeypatch.setattr(provision, "build", changed)
    planned = provision.plan(settings, env)
    text = provision.render(planned)
    assert "~ update card province_scorecard (Bảng điểm tỉnh (mới))" in text
    assert "name: 'Bảng điểm tỉnh theo mục tiêu' -> 'Bảng điểm tỉnh (mới)'" in text
    assert '+    , count(*) filter (where ind.met) as "Đạt"' in text  # the SQL diff
    # the dashboard showing the card is unchanged (same card id): only the card changes
    assert [(c.action, c.model, c.key) for c in planned] == [("update", "card", "province_scorecard")]

    before = len(metabase.writes)
    provision.apply(settings, env)
    assert metabase.writes[before:] == [("PUT", f"/api/card/{ids['Bảng điểm tỉnh theo mục tiêu']}")]
    assert metabase.cards[ids["Bảng điểm tỉnh theo mục tiêu"]]["name"] == "Bảng điểm tỉnh (mới)"
    assert len(metabase.cards) == len(ids)  # updated in place, nothing created
    assert provision.apply(settings, env) == []


def test_a_new_catalogue_row_gets_its_question_and_a_dropped_one_is_archived(
    fake: tuple[FakeMetabase, dict[str, str], Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    metabase, env, settings = fake
    provision.apply(settings, env)
    catalogue = definitions.read_catalogue()
    new_row = {
        **catalogue[0],
        "indicator_id": "NQ17-99",
        "name_vi": "Chỉ số thử",
        "name_en": "Test indicator",
    }
    original = definitions.build
    monkeypatch.setattr(provision, "build", lambda _=None: original([*catalogue[1:], new_row]))
    changes = {(c.action, c.model, c.key) for c in provision.apply(settings, env)}
    assert ("create", "card", "trend__NQ17-99") in changes
    assert ("archive", "card", f"trend__{catalogue[0]['indicator_id']}") in changes
    assert ("update", "dashboard", "indicator_trends") in changes
    assert provision.apply(settings, env) == []


def test_the_fake_rejects_what_metabase_rejects(fake: tuple[FakeMetabase, dict[str, str], Settings]) -> None:
    metabase, env, _ = fake
    url = env["METABASE_URL"]
    assert requests.get(f"{url}/api/card", timeout=5).status_code == 401
    with pytest.raises(MetabaseError, match="401"):
        MetabaseClient(url, user="admin@dtimon.test", password="wrong")
    client = MetabaseClient(url, api_key="mb_test_key")
    with pytest.raises(MetabaseError, match="400"):
        client.post(
            "/api/card", {"name": "x", "dataset_query": {}, "visualization_settings": {}}
        )  # no display
    with pytest.raises(MetabaseError, match="400"):
        client.post("/api/collection", {"name": 7})
    with pytest.raises(MetabaseError, match="404"):
        client.put("/api/card/999", {"name": "x"})
    with pytest.raises(MetabaseError, match="400"):
        client.post("/api/dashboard", {"description": "no name"})
    dashboard = client.post("/api/dashboard", {"name": "d"})
    with pytest.raises(MetabaseError, match="400"):  # a filter that always has a value, but none to start
        client.put(
            f"/api/dashboard/{dashboard['id']}",
            {"parameters": [{"id": "p", "type": "string/=", "required": True}]},
        )
    with pytest.raises(MetabaseError, match="400"):  # a dashcard without its size
        client.put(
            f"/api/dashboard/{dashboard['id']}", {"dashcards": [{"id": -1, "card_id": 1, "row": 0, "col": 0}]}
        )


def test_the_command_line_plans_then_applies(
    fake: tuple[FakeMetabase, dict[str, str], Settings],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from publishing.metabase.__main__ import main

    metabase, env, _ = fake
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["plan"]) == 0
    out = capsys.readouterr().out
    assert "+ create database bi (dtimon bi)" in out
    assert "+ create card trend__766-2.1 (766-2.1 — " in out
    assert out.rstrip().endswith("changes; `apply` makes them.")
    assert metabase.writes == []
    assert main(["apply"]) == 0
    capsys.readouterr()
    assert main(["plan"]) == 0
    assert capsys.readouterr().out == "Metabase is up to date: nothing to change.\n"
    monkeypatch.setenv("METABASE_PASSWORD", "wrong")
    assert main(["plan"]) == 2
    assert "HTTP 401" in capsys.readouterr().err


def test_dtimon_metabase_plan_as_the_readme_prints_it(
    fake: tuple[FakeMetabase, dict[str, str], Settings], tmp_path: Path
) -> None:
    """`.venv/bin/dtimon metabase plan` (README, Connect Metabase): the real command line."""
    metabase, env, _ = fake
    dtimon = Path(sys.executable).parent / "dtimon"
    run_env = {**os.environ, **env, "DTIMON_HOME": str(tmp_path)}
    planned = subprocess.run([str(dtimon), "metabase", "plan"], env=run_env, capture_output=True, text=True)
    assert planned.returncode == 0, planned.stderr
    assert "+ create database bi (dtimon bi)" in planned.stdout
    assert metabase.writes == []
    refused = subprocess.run(
        [str(dtimon), "metabase", "plan"],
        env={**run_env, "METABASE_PASSWORD": "wrong"},
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0 and "HTTP 401" in refused.stderr and "Traceback" not in refused.stderr


def test_the_points_question_reads_the_published_totals(login: psycopg.Connection) -> None:
    """Agency A's September total in bi.ind_framework_totals is 61,20 / 70 rated good; B's 20 / 26
    has too few points measured for a band."""
    sql, params = render_native(
        definitions.build().question("agency_points_rating"), {"period": date(2025, 9, 1)}
    )
    rows = {r[2]: (r[4], r[5], r[7]) for r in login.execute(sql, params).fetchall()}
    assert rows == {
        AGENCIES[0][0]: (Decimal("61.20"), 70, "Tốt"),
        AGENCIES[1][0]: (Decimal(20), 26, "chưa đủ dữ liệu"),
    }
