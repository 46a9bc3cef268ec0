"""Every `fail` expectation of the gate, caught from bad data injected at the source (issue 17
item 6): records loaded through the real loader (`parse_pages` + `load_batch`), the real
`dbt build`, then the gate, with `bi` left on the last good publication.

One warehouse, three builds: September 2025 (a complete month: 12 dossiers a day of agencies A
and B, half of A's and of B's online, each with one fee) is published; then a build with only
warnings (a thin day, a field blank in half a day's records) is published too; then one build
carries every fault at once and is refused, each check naming its own:

- 3 October: no dossiers at all (day_volume_zero);
- 4 October: the fee's `Gia` renamed in every record (a nested field may be absent, so the
  records load and the field vanishes: field_vanished), `TenLinhVuc` sent empty in every record
  (field_vanished), and one row lost from raw (raw_rows_differ_from_ledger);
- 5 October: a new version of each of A's September online dossiers, now offline: A's 766-3.3
  for September falls from 50 % to 0 % (indicator_moved_beyond_fail_move);
- 6 October: 30 records with an impossible date beside 12 good ones (reject share above 5 %),
  and 20 dossiers of a procedure missing from the catalogue (unknown share above 5 %); the
  document exchange's work-file export sends a day of records with an unreadable update time,
  the operations centre a day of camera transitions with no time, and the population database
  interface a day of commune figures for a month 13 (the same check, named for edoc work_files,
  ioc camera_status and population figures).

The gate's other fail expectations repeat dbt's tests or guard the models' own logic: no record
the loader accepts reaches them through `dbt build`; each is shown on a damaged copy where
GUARDED_BY_MODEL_TESTS says. `test_every_fail_expectation_is_accounted_for` derives the list
from the suites, so a new fail expectation without a test here or there fails.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import dbt_fixtures as fx
import psycopg
import pytest
from gated_build import build_and_gate
from test_dbt_indicators import P1, A, B, load_reference

from expectations.dbt_keys import DBT_PROJECT, declared_relations
from expectations.gate import declared_fields
from expectations.raw_checks import RawEntity, raw_suite
from expectations.suites import CRITICAL, DQ_SHARES, Indicator, LiveBaseline, QualityShare, suites_for
from ingestion.declarations import example_record
from ingestion.entries import COLUMNS, load_entries
from ingestion.load import BatchKey, load_batch
from ingestion.localtime import VN_TZ
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.schema import migrate
from ingestion.sources import SOURCES
from ingestion.sources.edoc_records import WorkFile
from ingestion.sources.ioc_records import CameraTransition
from ingestion.sources.onestop import SOURCE
from ingestion.sources.population_records import CommuneFigures

DOSSIERS = SOURCE.entity("dossiers")
FEE = {"Gia": "0", "MaPhiLePhi": "LP1", "TenPhiLePhi": "Lệ phí", "HinhThucThu": "1", "LoaiPhiLePhi": "1"}
UNKNOWN_PROCEDURE = "9.999999"

#: fail expectations caught here, from data injected at the source
CAUGHT_AT_SOURCE = {
    "day_volume_zero",
    "field_vanished",
    "raw_rows_differ_from_ledger",
    "indicator_moved_beyond_fail_move",
    "reject_share_above_threshold",
    "reject_share_too_high",
    "unknown_share_above_threshold",
    "unknown_share_too_high",
}
#: fail expectations no accepted record reaches through dbt build (dbt's own tests, or the
#: models' logic, hold first), each shown on a damaged copy of the marts where named
GUARDED_BY_MODEL_TESTS = {
    "expect_table_row_count_to_be_between": "test_gate_publish::test_corrupted_build_is_refused_and_bi_unchanged",
    "expect_column_values_to_not_be_null": "test_gate_publish::test_corrupted_build_is_refused_and_bi_unchanged",
    "expect_column_values_to_be_unique": "test_suites (keys from the YAML); dbt unique",
    "expect_compound_columns_to_be_unique": "test_gate_publish::test_corrupted_build_is_refused_and_bi_unchanged",
    "expect_column_values_to_be_between": "dbt expression_is_true numerator >= 0",
    "expect_column_values_to_be_in_set": "dbt accepted_values / relationships",
    "indicator_row_malformed": "test_suites; dbt expression_is_true on ratio and value",
    "met_inconsistent": "dbt expression_is_true on met",
    "points_out_of_range": "test_suites",
    "province_row_missing": "test_dbt_indicators::test_province_row_is_the_sum_of_its_agencies",
    "active_unit_missing": "test_gate_moves::test_an_agency_without_its_row_in_a_published_month_fails",
    # every agency of the dimension keeps a 0 / 0 row and a dossier's agency is its code's prefix:
    # a unit or month the live publication shows cannot vanish through the models
    "published_value_disappeared": "test_gate_moves::test_a_published_unit_that_disappears_fails",
}


def _name(expectation: Any) -> str:
    """A check's name: the comment opening its query, else its GX type."""
    query = getattr(expectation, "unexpected_rows_query", None)
    found = re.search(r"/\* (\w+) \*/", query or "")
    return found.group(1) if found else expectation.expectation_type


def test_every_fail_expectation_is_accounted_for() -> None:
    """The gate's fail expectations, from the suites over every relation the YAML declares, the
    catalogue seed's computed indicators, a refused share of each kind, a live publication and
    every registered entity."""
    with (DBT_PROJECT / "seeds" / "indicator_catalogue.csv").open(encoding="utf-8") as handle:
        computed = [
            Indicator(row["indicator_id"], row["unit"], row["direction"])
            for row in csv.DictReader(handle)
            if row["measure"]
        ]
    shares = [QualityShare("s", "e", date(2025, 9, 1), measure, Decimal(1)) for measure in DQ_SHARES]
    declared = declared_relations()
    baseline = LiveBaseline("live", "candidate", tuple(i.indicator_id for i in computed))
    specs = suites_for(list(declared), lambda: computed, lambda: shares, declared, baseline, "candidate")
    entities = [
        RawEntity(source.name, e.name, e.windowed, e.table.qualified, declared_fields(source.name, e.name))
        for source in SOURCES.values()
        for e in source.entities
    ]
    specs.append(raw_suite(entities, None, with_calendar=True))
    failing = {_name(e) for spec in specs for e in spec.expectations if e.severity == CRITICAL}
    assert failing - CAUGHT_AT_SOURCE - set(GUARDED_BY_MODEL_TESTS) == set(), (
        "a fail expectation without a test"
    )
    assert (CAUGHT_AT_SOURCE | set(GUARDED_BY_MODEL_TESTS)) - failing == set(), "a test of no expectation"


def _dossier(
    code: str,
    version: int,
    day: date,
    *,
    channel: str,
    procedure: str = P1,
    agency: str = A,
    updated: date | None = None,
) -> dict[str, Any]:
    """A dossier received on `day` at 09:00, this version sent on `updated` (default: `day`)."""
    stamp = f"{day:%Y-%m-%d} 09:00"
    record = fx.dossier(
        code, version, updated=f"{updated or day:%Y-%m-%d} 09:30", status="2", channel=channel,
        procedure=procedure, received=stamp,
        agency_name="Sở Tư pháp" if agency == A else "Sở Nội vụ",
    )  # fmt: skip
    return record | {"DanhSachLePhi": [dict(FEE)]}


def _september(day: date) -> list[dict[str, Any]]:
    """12 dossiers: 6 of A, 6 of B, the first three of each online (channel 2)."""
    return [
        _dossier(f"{agency}-{day:%y%m%d}-{n:05d}", 1, day, channel="2" if n < 3 else "1", agency=agency)
        for agency in (A, B)
        for n in range(6)
    ]


def _load_day(conn: psycopg.Connection, day: date, records: list[Any]) -> None:
    """The day's dossier batch, through the loader, and the (empty) batches of the source's other
    windowed entities: the day is covered."""
    start = datetime(day.year, day.month, day.day, tzinfo=VN_TZ)
    windowed = [entity for entity in SOURCE.entities if entity.pull_mode == "window"]
    for entity in windowed:
        pages = [records] if entity is DOSSIERS else []
        load_batch(
            conn,
            entity.table,
            BatchKey("onestop", entity.name, start, start + timedelta(days=1)),
            parse_pages(entity, pages, Pseudonymiser("k")),
        )


def _bi(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select indicator_id, period_kind, period_start, unit_id, numerator, denominator from bi.ind_values"
        " order by 1, 2, 3, 4"
    ).fetchall()


#: a value the department entered (ingestion.entries), published beside the computed ones
ENTERED = ("766-1.2", "agency", A, "month", "2025-09-01", "3", "4")


@pytest.fixture(scope="module")
def conn(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[psycopg.Connection]:
    entries = tmp_path_factory.mktemp("entries")
    (entries / "entries-2025-10-05.csv").write_text(
        f"{','.join(COLUMNS)}\n{','.join(ENTERED)}\n", encoding="utf-8"
    )
    with psycopg.connect(module_warehouse_url, autocommit=True) as connection:
        migrate(connection)
        with connection.transaction():
            load_reference(connection)
            assert load_entries(connection, entries).loaded == ("entries-2025-10-05.csv",)
            for entity in ("procedures", "agencies"):  # hand-made batches: the ledger counts what they hold
                connection.execute(
                    f"update ops.batches set rows_loaded = (select count(*) from raw.onestop__{entity} as r"
                    " where r.batch_id = ops.batches.batch_id) where entity = %s",
                    (entity,),
                )
        day = date(2025, 9, 1)
        while day < date(2025, 10, 1):
            _load_day(connection, day, _september(day))
            day += timedelta(days=1)
        fx.load_sources_without_data(connection)  # every other registered source: its declared rows
        yield connection


def test_a_clean_build_publishes_then_warnings_do_not_block(
    conn: psycopg.Connection, module_warehouse_url: str
) -> None:
    first = build_and_gate(conn, module_warehouse_url, "clean")
    assert first.success and not first.failed_critical, first.summary()
    _load_day(conn, date(2025, 10, 1), _september(date(2025, 10, 1))[:4])  # 4 against a median of 12
    half_blank = _september(date(2025, 10, 2))
    for record in half_blank[:6]:
        record["LoaiDoiTuong"] = ""  # 50 % blank where it never was
    _load_day(conn, date(2025, 10, 2), half_blank)
    second = build_and_gate(conn, module_warehouse_url, "warnings")
    assert second.success, second.summary()
    warned = " | ".join(second.failed_warning)
    assert "day_volume_unusual: onestop.dossiers" in warned and "field_emptier: onestop.dossiers" in warned
    live = conn.execute("select count(*) from ops.publications where status = 'published'").fetchone()[0]
    assert live == 1 and _bi(conn)
    # the entered value passed the gate and is published as entered
    entered = conn.execute(
        "select indicator_id, level, unit_id, period_kind, period_start::text, numerator::text,"
        " denominator::text from bi.ind_values where origin = 'entered'"
    ).fetchall()
    assert entered == [ENTERED]


def test_every_fault_injected_at_the_source_is_caught_and_bi_is_unchanged(
    conn: psycopg.Connection, module_warehouse_url: str
) -> None:
    before = _bi(conn)
    assert before, "runs after the clean and the warning builds"
    _load_day(conn, date(2025, 10, 3), [])
    renamed = _september(date(2025, 10, 4))
    for record in renamed:
        record["DanhSachLePhi"] = [{("GiaMoi" if k == "Gia" else k): v for k, v in FEE.items()}]
        record["TenLinhVuc"] = ""
    _load_day(conn, date(2025, 10, 4), renamed)
    conn.execute("delete from raw.onestop__dossiers where ma_ho_so = %s", (f"{B}-251004-00005",))
    offline = [
        _dossier(f"{A}-{day:%y%m%d}-{n:05d}", 2, day, channel="1", updated=date(2025, 10, 5))
        for day in (date(2025, 9, 1) + timedelta(days=d) for d in range(30))
        for n in range(3)
    ]
    _load_day(conn, date(2025, 10, 5), offline)
    bad_dates = [
        _dossier(f"{A}-251006-9{n:04d}", 1, date(2025, 10, 6), channel="1") | {"NgayHenTra": "20251332000000"}
        for n in range(30)
    ]
    unknown = [
        _dossier(f"{A}-251006-8{n:04d}", 1, date(2025, 10, 6), channel="1", procedure=UNKNOWN_PROCEDURE)
        for n in range(20)
    ]
    _load_day(conn, date(2025, 10, 6), _september(date(2025, 10, 6)) + bad_dates + unknown)
    # the document exchange's export: a day of work files whose update time no declared format reads;
    # the operations centre: a day of camera transitions whose time is no epoch; the population
    # database interface: a day of commune figures for a thirteenth month
    start = datetime(2025, 10, 6, tzinfo=VN_TZ)
    unreadable = {
        ("edoc", "work_files"): [
            example_record(WorkFile) | {"id": f"x{n}", "updated": "2025/13/45 99:00:00"} for n in range(12)
        ],
        ("ioc", "camera_status"): [
            example_record(CameraTransition) | {"camera_id": f"K{n}", "at": "soon"} for n in range(12)
        ],
        ("population", "figures"): [
            example_record(CommuneFigures) | {"MaXa": f"1{n:04d}", "Thang": "202513"} for n in range(12)
        ],
    }
    for (source, entity), records in unreadable.items():
        target = SOURCES[source].entity(entity)
        load_batch(
            conn,
            target.table,
            BatchKey(source, entity, start, start + timedelta(days=1)),
            parse_pages(target, [records], Pseudonymiser("k")),
        )

    result = build_and_gate(conn, module_warehouse_url, "faults")
    assert not result.success
    caught = {name for name in CAUGHT_AT_SOURCE if any(f"{name}" in text for text in result.failed_critical)}
    assert caught == CAUGHT_AT_SOURCE, result.summary()
    vanished = next(text for text in result.failed_critical if "field_vanished" in text)
    assert vanished.endswith("(2 unexpected)")  # DanhSachLePhi[].Gia and TenLinhVuc on 4 October
    for source, entity in unreadable:
        refused = f"reject_share_too_high: {source} {entity} 2025-10"
        assert any(refused in text for text in result.failed_critical), refused
    assert _bi(conn) == before
