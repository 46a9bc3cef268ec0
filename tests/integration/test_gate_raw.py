"""The gate's raw checks in the real flow (issue 17): records parsed and loaded as the ingest
task does (`parse_pages` + `load_batch`), `dbt build`, then the gate over the candidate.

Dossiers of agency A: 5 a working day from 8 to 19 September 2025 (10 working days, median 5),
none on Monday 22 September (a working day: fails), 1 on 23 September (0.2 x the median: warns).
The hand-made catalogue batches of test_dbt_indicators get their ledger counts; then one raw row
lost from a loaded batch fails the ledger check.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import dbt_fixtures as fx
import psycopg
import pytest
from test_dbt_indicators import P1, A, load_reference

from expectations.gate import GateResult, validate
from ingestion.load import BatchKey, load_batch
from ingestion.localtime import VN_TZ
from ingestion.privacy import Pseudonymiser
from ingestion.runner import RenamedField, parse_pages
from ingestion.schema import migrate
from ingestion.sources.onestop import SOURCE
from publishing import publish as pub

DOSSIERS = SOURCE.entity("dossiers")
ZERO_DAY, LOW_DAY = date(2025, 9, 22), date(2025, 9, 23)


def _day_batch(conn: psycopg.Connection, day: date, count: int) -> None:
    start = datetime(day.year, day.month, day.day, tzinfo=VN_TZ)
    stamp = f"{day:%Y-%m-%d} 09:00"
    records = [
        fx.dossier(
            f"{A}-{day:%y%m%d}-{n:05d}",
            1,
            updated=stamp,
            status="2",
            channel="2",
            procedure=P1,
            received=stamp,
        )
        for n in range(count)
    ]
    load_batch(
        conn,
        DOSSIERS.table,
        BatchKey("onestop", "dossiers", start, start + timedelta(days=1)),
        parse_pages(DOSSIERS, [records], Pseudonymiser("k")),
    )


def _gate(conn: psycopg.Connection, url: str) -> GateResult:
    candidate = pub.stage_candidate(conn, run_id="raw")
    result = validate(url, candidate.publication_id, candidate.schema, list(candidate.relations), "raw")
    if not result.success:
        pub.reject(conn, candidate.publication_id, result.summary())
    return result


@pytest.fixture(scope="module")
def conn(module_warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(module_warehouse_url, autocommit=True) as connection:
        migrate(connection)
        with connection.transaction():
            load_reference(connection)
            # hand-made batches: their ledger counts what they hold, as a load's would
            connection.execute(
                "update ops.batches set rows_loaded = (select count(*) from raw.onestop__procedures as r"
                " where r.batch_id = ops.batches.batch_id) where entity = 'procedures'"
            )
            connection.execute(
                "update ops.batches set rows_loaded = (select count(*) from raw.onestop__agencies as r"
                " where r.batch_id = ops.batches.batch_id) where entity = 'agencies'"
            )
        day = date(2025, 9, 8)
        while day < ZERO_DAY:
            if day.isoweekday() <= 5:
                _day_batch(connection, day, 5)
            day += timedelta(days=1)
        _day_batch(connection, ZERO_DAY, 0)
        _day_batch(connection, LOW_DAY, 1)
        fx.build(module_warehouse_url)
        yield connection


def test_a_working_day_without_rows_fails_and_a_thin_one_warns(
    conn: psycopg.Connection, module_warehouse_url: str
) -> None:
    result = _gate(conn, module_warehouse_url)
    critical, warnings = " | ".join(result.failed_critical), " | ".join(result.failed_warning)
    assert "day_volume_zero: onestop.dossiers" in critical
    assert "day_volume_unusual: onestop.dossiers" in warnings
    assert "raw_rows_differ_from_ledger" not in critical  # the loader's counts are what raw holds
    assert "could not run" not in critical + warnings
    zero = next(text for text in result.failed_critical if "day_volume_zero" in text)
    assert zero.endswith("(1 unexpected)")  # 22 September only
    thin = next(text for text in result.failed_warning if "day_volume_unusual" in text)
    assert thin.endswith("(1 unexpected)")  # 23 September only
    assert conn.execute("select count(*) from ops.publications where status = 'published'").fetchone()[0] == 0


def test_a_batch_missing_rows_in_raw_fails(conn: psycopg.Connection, module_warehouse_url: str) -> None:
    conn.execute(
        "delete from raw.onestop__dossiers where ma_ho_so = (select min(ma_ho_so) from raw.onestop__dossiers)"
    )
    result = _gate(conn, module_warehouse_url)
    assert "raw_rows_differ_from_ledger: onestop.dossiers" in " | ".join(result.failed_critical)


def test_a_renamed_field_that_may_be_empty_fails_its_batch_by_name(conn: psycopg.Connection) -> None:
    """Issue 17: KenhThucHien renamed in a day's versions was stored as an unknown field and moved
    766-3.3 and NQ17-01. Now the batch fails naming it, and nothing of it is live or in raw."""
    day = date(2025, 9, 24)
    start = datetime(day.year, day.month, day.day, tzinfo=VN_TZ)
    records = []
    for n in range(6):
        record = fx.dossier(
            f"{A}-250924-{n:05d}", 1, updated="2025-09-24 09:00", status="2", channel="2", procedure=P1,
            received="2025-09-24 09:00",
        )  # fmt: skip
        record["KenhThucHienMoi"] = record.pop("KenhThucHien")
        records.append(record)
    with pytest.raises(RenamedField, match="KenhThucHien is absent from 6 of 6 records"):
        load_batch(
            conn,
            DOSSIERS.table,
            BatchKey("onestop", "dossiers", start, start + timedelta(days=1)),
            parse_pages(DOSSIERS, [records], Pseudonymiser("k")),
        )
    status = conn.execute(
        "select status from ops.batches where entity = 'dossiers' and interval_start = %s", (start,)
    ).fetchone()[0]
    assert status == "failed"
    assert (
        conn.execute(
            "select count(*) from raw.onestop__dossiers where ma_ho_so like '%%-250924-%%'"
        ).fetchone()[0]
        == 0
    )
