"""Staged backfills on real PostgreSQL: a backfill's batches are invisible to an ordinary build,
become live only in the publish transaction of the backfill's own build, and are refused whole
otherwise, leaving raw and bi as they were."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import dbt_fixtures as fx
import psycopg
import pytest
from gate_fixtures import MARTS_DDL
from test_dbt_indicators import P1, A, load_reference

from infra.dbt import run_dbt
from ingestion.backfills import BackfillRefused, failure_reason, open_backfill, refuse_backfill
from ingestion.declarations import blank_record
from ingestion.load import BatchKey, Row, load_batch
from ingestion.localtime import VN_TZ
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.schema import migrate
from ingestion.sources.onestop import SOURCE
from ingestion.sources.onestop_records import Dossier
from publishing import publish as pub

DOSSIERS = SOURCE.entity("dossiers")
DAY = datetime(2025, 9, 3, tzinfo=VN_TZ)
KEY = BatchKey("onestop", "dossiers", DAY, DAY + timedelta(days=1))


def _ids(conn: psycopg.Connection, relation: str) -> list[str]:
    return [r[0] for r in conn.execute(f"select dossier_id from {relation} order by 1").fetchall()]


def _marts(conn: psycopg.Connection) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select indicator_id, unit_id, period_kind, period_start, numerator, denominator from marts.ind_values"
        " order by 1, 2, 3, 4"
    ).fetchall()


def _put(conn: psycopg.Connection, dossiers: int, progress: int, code: str) -> None:
    received = "2025-09-03 08:00"
    fx.insert_dossier(
        conn,
        dossiers,
        fx.dossier(code, 1, updated=received, status="2", channel="2", procedure=P1, received=received),
    )
    fx.insert_progress(conn, progress, code, received, "2", "Tiếp nhận")


def test_staged_batches_are_read_only_by_their_backfills_build(warehouse_url: str) -> None:
    live, staged = f"{A}-250903-00001", f"{A}-250903-00002"
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        migrate(conn)
        with conn.transaction():
            load_reference(conn)
            dossiers = fx.batch(conn, "dossiers", "2025-09-01", "2025-10-01")
            progress = fx.batch(conn, "progress", "2025-09-01", "2025-10-01")
            fx.batch_others(conn, "2025-09-01", "2025-10-01")
            _put(conn, dossiers, progress, live)
    fx.build(warehouse_url)
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        before = _ids(conn, "staging.stg_onestop__dossiers"), _marts(conn)
        assert before[0] == [live] and before[1]
        # the backfill restages September: the live dossier again and one more
        backfill_id = open_backfill(conn, "onestop", date(2025, 9, 1), date(2025, 10, 1))
        with conn.transaction():
            batches = [
                fx.batch(conn, e, "2025-09-01", "2025-10-01", status="staged")
                for e in ("dossiers", "progress")
            ]
            conn.execute(
                "update ops.batches set backfill_id = %s where batch_id = any(%s)", (backfill_id, batches)
            )
            _put(conn, *batches, live)
            _put(conn, *batches, staged)

    run_dbt(["run"], warehouse_url)  # an ordinary build (its models; tested above): as they were
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        assert (_ids(conn, "staging.stg_onestop__dossiers"), _marts(conn)) == before

    run_dbt(["run", "--vars", f"{{backfill_id: {backfill_id}}}"], warehouse_url)
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        # the staged batches in place of the live ones of their interval (not beside them)
        assert _ids(conn, "staging.stg_onestop__dossier_versions") == [live, staged]
        assert _marts(conn) != before[1]


@pytest.fixture
def conn(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        connection.execute(MARTS_DDL)
        migrate(connection)
        yield connection


def _record(n: int) -> dict[str, Any]:
    return blank_record(Dossier) | {
        "MaHoSo": f"{A}-250903-{n:05d}",
        "MaTTHC": P1,
        "KenhThucHien": "2",
        "NgayTiepNhan": "20250903080000",
        "NgayHenTra": "20250910170000",
        "TrangThaiHoSo": "4",
        "_version": "1",
        "_updated_at": "20250903080000",
    }


def _load(conn: psycopg.Connection, numbers: range, backfill_id: int | None = None) -> int:
    pages: Iterator[list[Any]] = parse_pages(DOSSIERS, [[_record(n) for n in numbers]], Pseudonymiser("k"))
    rows: Iterator[list[Row]] = pages  # type: ignore[assignment]
    return load_batch(conn, DOSSIERS.table, KEY, rows, backfill_id=backfill_id).batch_id


def _published(conn: psycopg.Connection, success: bool, backfill_id: int | None = None) -> int:
    """Stage a candidate, record a gate verdict for it, and publish it (or reject it)."""
    candidate = pub.stage_candidate(conn, run_id="test")
    conn.execute(
        "insert into ops.gate_results (publication_id, schema_name, success, evaluated, failed_critical,"
        " failed_warning, results) values (%s, %s, %s, 1, %s, 0, '{}')",
        (candidate.publication_id, candidate.schema, success, 0 if success else 1),
    )
    if success:
        pub.publish(conn, candidate.publication_id, backfill_id=backfill_id)
    else:
        pub.reject(conn, candidate.publication_id, "gate failed")
    return candidate.publication_id


def _raw(conn: psycopg.Connection) -> list[tuple[Any, ...]]:
    return conn.execute("select batch_id, ma_ho_so from raw.onestop__dossiers order by 1, 2").fetchall()


def _ledger(conn: psycopg.Connection) -> list[tuple[Any, ...]]:
    return conn.execute("select batch_id, status, replaced_by from ops.batches order by 1").fetchall()


def test_a_refused_backfill_leaves_raw_and_bi_as_they_were(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    live = _load(conn, range(1, 3))
    first = _published(conn, True)
    raw, bi = _raw(conn), pub.current_publication(conn)
    backfill_id = open_backfill(conn, "onestop", date(2025, 9, 3), date(2025, 9, 4))
    with (
        psycopg.connect(warehouse_url, autocommit=True) as other,  # another operator, meanwhile
        pytest.raises(BackfillRefused, match=f"backfill {backfill_id} .* is still staged"),
    ):
        open_backfill(other, "onestop", date(2025, 9, 5), date(2025, 9, 6))
    staged = _load(conn, range(1, 6), backfill_id)
    assert len(_raw(conn)) == 2 + 5  # staged beside the live rows, nothing replaced yet
    assert _ledger(conn) == [(live, "succeeded", None), (staged, "staged", None)]

    rejected = _published(conn, False, backfill_id)  # the gate refused the backfill's build
    with pytest.raises(pub.PublishRefused):
        pub.publish(conn, rejected, backfill_id=backfill_id)
    conn.execute(
        "insert into ops.build_runs (step, status, message) values ('gate', 'failed', 'GateFailed: 2 of 9\nmore')"
    )
    assert failure_reason(conn, backfill_id) == "gate failed: GateFailed: 2 of 9"  # what the operator reads
    assert refuse_backfill(conn, backfill_id, "gate failed") == 1

    assert _raw(conn) == raw and pub.current_publication(conn) == bi == (first, bi[1])
    assert _ledger(conn) == [(live, "succeeded", None), (staged, "refused", None)]
    assert conn.execute("select status, reason from ops.backfills").fetchall() == [("refused", "gate failed")]
    open_backfill(conn, "onestop", date(2025, 9, 5), date(2025, 9, 6))  # the next one may start


def test_a_backfill_whose_process_died_is_refused_by_the_next(
    warehouse_url: str, conn: psycopg.Connection
) -> None:
    with psycopg.connect(warehouse_url, autocommit=True) as killed:
        dead = open_backfill(killed, "onestop", date(2025, 9, 3), date(2025, 9, 4))
        _load(killed, range(1, 3), dead)
        pid = killed.info.backend_pid
    while conn.execute("select from pg_stat_activity where pid = %s", (pid,)).fetchone():  # exiting
        time.sleep(0.01)
    following = open_backfill(conn, "onestop", date(2025, 9, 3), date(2025, 9, 4))
    assert conn.execute("select backfill_id, status from ops.backfills order by 1").fetchall() == [
        (dead, "refused"),
        (following, "staged"),
    ]
    assert _raw(conn) == []  # the dead backfill's staged rows are gone


def test_a_passing_backfill_publishes_once_and_its_batches_replace_the_live_ones(
    conn: psycopg.Connection,
) -> None:
    live = _load(conn, range(1, 3))
    first = _published(conn, True)
    backfill_id = open_backfill(conn, "onestop", date(2025, 9, 3), date(2025, 9, 4))
    staged = _load(conn, range(1, 6), backfill_id)

    second = _published(conn, True, backfill_id)

    assert pub.current_publication(conn)[0] == second != first
    assert _ledger(conn) == [(live, "replaced", staged), (staged, "succeeded", None)]
    assert {batch for batch, _ in _raw(conn)} == {staged}  # the replaced batch's rows are gone
    assert conn.execute("select status, publication_id from ops.backfills").fetchall() == [
        ("published", second)
    ]
    with pytest.raises(BackfillRefused, match="is published, not staged"):  # published once
        refuse_backfill(conn, backfill_id, "too late")
    # and the interval reloads as usual afterwards (one succeeded batch per interval)
    again = _load(conn, range(1, 3))
    assert _ledger(conn)[-2:] == [(staged, "replaced", again), (again, "succeeded", None)]
    rollback_to = pub.rollback(conn)
    assert rollback_to == f"pub_{first:06d}"  # the previous publication stays restorable


def test_a_broken_day_refuses_the_whole_range(conn: psycopg.Connection) -> None:
    live = _load(conn, range(1, 3))
    raw = _raw(conn)
    backfill_id = open_backfill(conn, "onestop", date(2025, 9, 3), date(2025, 9, 5))
    first_day = _load(conn, range(1, 6), backfill_id)

    def broken() -> Iterator[list[Any]]:
        yield from parse_pages(DOSSIERS, [[_record(9)]], Pseudonymiser("k"))
        raise ConnectionError("the source went away")

    next_day = BatchKey("onestop", "dossiers", KEY.interval_end, KEY.interval_end + timedelta(days=1))
    with pytest.raises(ConnectionError):
        load_batch(conn, DOSSIERS.table, next_day, broken(), backfill_id=backfill_id)
    reason = failure_reason(conn, backfill_id)
    assert (
        reason
        and reason.startswith("ingest of onestop.dossiers for 2025-09-04 failed")
        and "the source went away" in reason
    )

    refuse_backfill(conn, backfill_id, reason)  # what dtimon backfill does when a day fails
    assert _raw(conn) == raw  # the good day's staged rows are gone too: the range is refused whole
    assert _ledger(conn)[:2] == [(live, "succeeded", None), (first_day, "refused", None)]
