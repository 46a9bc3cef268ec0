"""Catalogues (snapshot entities) are stored only when they change, with tombstones for
records that disappear; the ledger still says what each pull had."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest

from infra import tasks
from ingestion.load import BatchKey, BatchResult, CatalogueShrank, load_batch
from ingestion.localtime import VN_TZ
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.schema import migrate
from ingestion.sources.onestop import SOURCE

AGENCIES = SOURCE.entity("agencies")
DAY = datetime(2025, 9, 1, tzinfo=VN_TZ)
TOMBSTONE_HASH = "99914b932bd37a50b983c5e7c90ae93b"  # md5('{}')


def _agency(code: str, name: str | None = None) -> dict[str, Any]:
    return {
        "MADONVI": f"000.00.{code}.H57",
        "TENDONVI": name or f"Sở {code}",
        "CAPDONVI": "2",
        "MADONVICHA": "000.00.00.H57",
        "MADVHC": "46",
        "NGAYCAPNHAT": "20250701080000",
    }


def _pull(
    conn: psycopg.Connection, day: int, records: list[Any], max_shrink: float | None = None
) -> BatchResult:
    start = DAY + timedelta(days=day)
    pages = [records[i : i + 2] for i in range(0, len(records), 2)]
    return load_batch(
        conn,
        AGENCIES.table,
        BatchKey("onestop", "agencies", start, start + timedelta(days=1)),
        parse_pages(AGENCIES, pages, Pseudonymiser("test-key")),
        run_id=f"day{day}",
        snapshot=True,
        max_shrink=max_shrink,
    )


def _stored(conn: psycopg.Connection) -> list[tuple]:
    """(agency suffix, name, is_deleted, day observed) of every stored row."""
    rows = conn.execute(
        """
        select ma_don_vi, record ->> 'TENDONVI', is_deleted, observed_at, record_hash = md5(record::text)
        from raw.onestop__agencies order by observed_at, ma_don_vi
        """
    ).fetchall()
    assert all(hash_ok for *_, hash_ok in rows)
    return [(code[7:9], name, deleted, (at - DAY).days) for code, name, deleted, at, _ in rows]


def _ledger(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select status, rows_received, rows_loaded, rows_unchanged, rows_deleted from ops.batches order by batch_id"
    ).fetchall()


def _latest(conn: psycopg.Connection) -> list[tuple]:
    """The current catalogue as the latest_snapshot macro computes it."""
    rows = conn.execute(
        """
        select ma_don_vi, record ->> 'TENDONVI' from (
            select ma_don_vi, record, is_deleted,
                row_number() over (
                    partition by ma_don_vi order by observed_at desc, loaded_at desc, batch_id desc
                ) as recency
            from raw.onestop__agencies
        ) as snapshots
        where recency = 1 and not is_deleted order by ma_don_vi
        """
    ).fetchall()
    return [(code[7:9], name) for code, name in rows]


@pytest.fixture
def conn(warehouse_url: str) -> Iterator[psycopg.Connection]:
    migrate(warehouse_url)
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        yield connection


def test_an_unchanged_catalogue_pulled_three_times_is_stored_once(conn: psycopg.Connection) -> None:
    catalogue = [_agency("01"), _agency("02"), _agency("03")]
    for day in range(3):
        _pull(conn, day, catalogue)
    assert _stored(conn) == [
        ("01", "Sở 01", False, 1),
        ("02", "Sở 02", False, 1),
        ("03", "Sở 03", False, 1),
    ]
    assert _ledger(conn) == [
        ("succeeded", 3, 3, 0, 0),
        ("succeeded", 3, 0, 3, 0),
        ("succeeded", 3, 0, 3, 0),
    ]


def test_a_changed_record_stores_one_new_version(conn: psycopg.Connection) -> None:
    _pull(conn, 0, [_agency("01"), _agency("02")])
    result = _pull(conn, 1, [_agency("01"), _agency("02", "Sở Nội vụ")])
    assert (result.rows_received, result.rows_loaded, result.rows_unchanged, result.rows_deleted) == (
        2,
        1,
        1,
        0,
    )
    assert _stored(conn) == [
        ("01", "Sở 01", False, 1),
        ("02", "Sở 02", False, 1),
        ("02", "Sở Nội vụ", False, 2),
    ]
    assert _latest(conn) == [("01", "Sở 01"), ("02", "Sở Nội vụ")]


def test_a_disappeared_record_gets_a_tombstone_and_can_come_back(conn: psycopg.Connection) -> None:
    _pull(conn, 0, [_agency("01"), _agency("02"), _agency("03")])
    gone = _pull(conn, 1, [_agency("01"), _agency("03")])
    assert (gone.rows_loaded, gone.rows_unchanged, gone.rows_deleted) == (1, 2, 1)
    tombstone = conn.execute(
        "select record::text, record_hash, source_updated_at from raw.onestop__agencies where is_deleted"
    ).fetchall()
    assert tombstone == [("{}", TOMBSTONE_HASH, None)]
    assert _latest(conn) == [("01", "Sở 01"), ("03", "Sở 03")]

    # still absent: no second tombstone
    again = _pull(conn, 2, [_agency("01"), _agency("03")])
    assert (again.rows_loaded, again.rows_deleted) == (0, 0)

    # back again, unchanged: a new live version after the tombstone
    back = _pull(conn, 3, [_agency("01"), _agency("02"), _agency("03")])
    assert (back.rows_loaded, back.rows_unchanged, back.rows_deleted) == (1, 2, 0)
    assert _stored(conn) == [
        ("01", "Sở 01", False, 1),
        ("02", "Sở 02", False, 1),
        ("03", "Sở 03", False, 1),
        ("02", None, True, 2),
        ("02", "Sở 02", False, 4),
    ]
    assert _latest(conn) == [("01", "Sở 01"), ("02", "Sở 02"), ("03", "Sở 03")]


def test_an_empty_pull_closes_every_record(conn: psycopg.Connection) -> None:
    _pull(conn, 0, [_agency("01"), _agency("02")])
    result = _pull(conn, 1, [])
    assert (result.rows_received, result.rows_loaded, result.rows_deleted) == (0, 2, 2)
    assert _latest(conn) == []


def test_a_rerun_of_the_same_interval_changes_nothing(conn: psycopg.Connection) -> None:
    _pull(conn, 0, [_agency("01"), _agency("02"), _agency("03")])
    _pull(conn, 1, [_agency("01", "Sở Tư pháp"), _agency("03")])
    _pull(conn, 2, [_agency("01", "Sở Tư pháp"), _agency("03")])
    before = _stored(conn)
    assert before == [
        ("01", "Sở 01", False, 1),
        ("02", "Sở 02", False, 1),
        ("03", "Sở 03", False, 1),
        ("01", "Sở Tư pháp", False, 2),
        ("02", None, True, 2),
    ]

    rerun = _pull(conn, 1, [_agency("01", "Sở Tư pháp"), _agency("03")])

    assert _stored(conn) == before
    # the interval's two stored rows are carried to the rerun's batch; both pulled records are unchanged
    assert (rerun.rows_loaded, rerun.rows_unchanged, rerun.rows_deleted) == (2, 2, 0)
    assert rerun.replaced_batch_id is not None
    assert [row[0] for row in _ledger(conn)] == ["succeeded", "replaced", "succeeded", "succeeded"]


def test_rejected_and_duplicate_records_are_not_stored(conn: psycopg.Connection) -> None:
    result = _pull(conn, 0, [_agency("01"), _agency("01"), {"TENDONVI": "no id"}, _agency("02")])
    assert (result.rows_received, result.rows_loaded, result.rows_rejected, result.duplicates) == (2, 2, 1, 1)
    # a reject is not a disappearance: the next day's pull with it rejected again deletes nothing
    result = _pull(conn, 1, [_agency("01"), _agency("02"), {"TENDONVI": "no id"}])
    assert (result.rows_loaded, result.rows_deleted) == (0, 0)


def test_a_rerun_never_erases_history(conn: psycopg.Connection) -> None:
    """Re-running the first interval with a smaller catalogue (accepted) keeps every earlier version."""
    _pull(conn, 0, [_agency("01"), _agency("02"), _agency("03")])
    _pull(conn, 1, [_agency("01"), _agency("02"), _agency("03")])
    rerun = _pull(conn, 0, [_agency("01"), _agency("03", "Sở Xây dựng")])
    assert sorted(_stored(conn), key=str) == [
        ("01", "Sở 01", False, 1),
        ("02", "Sở 02", False, 1),
        ("02", None, True, 1),
        ("03", "Sở 03", False, 1),
        ("03", "Sở Xây dựng", False, 1),
    ]
    assert (rerun.rows_loaded, rerun.rows_deleted) == (5, 1)  # 3 carried, one change, one tombstone
    assert _latest(conn) == [("01", "Sở 01"), ("03", "Sở Xây dựng")]  # the later observation wins


@pytest.mark.parametrize("shrunk", [[], [_agency("01")]], ids=["empty", "lost two of three"])
def test_a_shrinking_catalogue_is_refused_unless_accepted(
    conn: psycopg.Connection, warehouse_url: str, shrunk: list[Any]
) -> None:
    _pull(conn, 0, [_agency("01"), _agency("02"), _agency("03")], max_shrink=0.1)
    before = _stored(conn)
    for day in (0, 1):  # a rerun of the interval or the next one
        with pytest.raises(
            CatalogueShrank, match=r"onestop.agencies: the pull lacks \d of the 3 live records"
        ):
            _pull(conn, day, shrunk, max_shrink=0.1)
        assert _stored(conn) == before
    assert [row[0] for row in _ledger(conn)] == ["succeeded", "failed", "failed"]
    # what `dtimon run` prints of the failed ingest run: each failed batch's reason, one line
    why = tasks.ingest_failure(warehouse_url, "day1")
    assert re.fullmatch(
        r"CatalogueShrank: onestop\.agencies: the pull lacks \d of the 3 live records .*DTIMON_ACCEPT_SHRINK=onestop\.agencies",
        why or "",
    ), why
    assert tasks.ingest_failure(warehouse_url, "day0") == why  # the rerun of day 0 failed alike
    accepted = _pull(conn, 1, shrunk, max_shrink=None)
    assert accepted.rows_deleted == 3 - len(shrunk)


def test_a_small_loss_within_the_share_is_stored(conn: psycopg.Connection) -> None:
    catalogue = [_agency(f"{n:02d}") for n in range(1, 21)]
    _pull(conn, 0, catalogue, max_shrink=0.1)
    result = _pull(conn, 1, catalogue[2:] + [_agency("21")], max_shrink=0.1)  # 2 of 20 lost: 10 %
    assert (result.rows_loaded, result.rows_deleted) == (3, 2)
