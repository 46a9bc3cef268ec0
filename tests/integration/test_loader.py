"""The loader on a real PostgreSQL: idempotent re-runs, rejects kept, failures leave nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import orjson
import psycopg
import pytest
from native_records import native_dossier

from ingestion.load import BatchKey, Reject, Row, load_batch
from ingestion.localtime import VN_TZ
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.sources.onestop import SOURCE

DOSSIERS = SOURCE.entity("dossiers")
DAY = datetime(2025, 9, 1, tzinfo=VN_TZ)
CITIZEN_ID = "056090001234"


def _dossier(n: int, version: int = 1, **change: Any) -> dict[str, Any]:
    """A version whose update time depends on `n` (the load order does not follow the keys)."""
    return native_dossier(n, version, _updated_at=f"202509010{8 + n % 2}{n % 60:02d}00") | change


def _pages(records: list[Any], size: int = 3) -> Iterator[list[Row | Reject]]:
    chunks = [records[i : i + size] for i in range(0, len(records), size)]
    return parse_pages(DOSSIERS, chunks, Pseudonymiser("test-key"))


def _key(day: datetime = DAY) -> BatchKey:
    return BatchKey("onestop", "dossiers", day, day + timedelta(days=1))


@pytest.fixture
def conn(migrated_conn: psycopg.Connection) -> psycopg.Connection:
    return migrated_conn


def _raw(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select batch_id, ma_ho_so, version from raw.onestop__dossiers order by ma_ho_so, version"
    ).fetchall()


def _batches(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select batch_id, status, rows_loaded, replaced_by from ops.batches order by 1"
    ).fetchall()


def test_rerun_of_an_interval_replaces_its_batch_and_changes_nothing(conn: psycopg.Connection) -> None:
    records = [_dossier(n) for n in range(7)]
    first = load_batch(conn, DOSSIERS.table, _key(), _pages(records), run_id="r1")
    assert (first.rows_loaded, first.rows_rejected, first.pages) == (7, 0, 3)
    before = [(code, version) for _, code, version in _raw(conn)]

    second = load_batch(conn, DOSSIERS.table, _key(), _pages(records), run_id="r2")

    assert second.replaced_batch_id == first.batch_id
    assert [(code, version) for _, code, version in _raw(conn)] == before
    assert {batch for batch, _, _ in _raw(conn)} == {second.batch_id}
    assert _batches(conn) == [
        (first.batch_id, "replaced", 7, second.batch_id),
        (second.batch_id, "succeeded", 7, None),
    ]
    watermark = conn.execute("select watermark, batch_id from ops.watermarks").fetchone()
    assert watermark == (DAY + timedelta(days=1), second.batch_id)


def test_other_intervals_are_left_alone(conn: psycopg.Connection) -> None:
    load_batch(conn, DOSSIERS.table, _key(DAY), _pages([_dossier(1)]))
    load_batch(conn, DOSSIERS.table, _key(DAY + timedelta(days=1)), _pages([_dossier(1, version=2)]))
    load_batch(conn, DOSSIERS.table, _key(DAY), _pages([_dossier(1)]))
    assert [(code[-5:], version) for _, code, version in _raw(conn)] == [("00001", 1), ("00001", 2)]
    # re-loading an earlier day does not move the watermark back
    assert conn.execute("select watermark from ops.watermarks").fetchone()[0] == DAY + timedelta(days=2)


def test_malformed_records_go_to_rejects_with_their_reason(conn: psycopg.Connection) -> None:
    records = [
        _dossier(1),
        _dossier(2, TrangThaiHoSo="X"),
        "not an object",
        _dossier(3, NgayHenTra="2025-09-10"),
    ]
    result = load_batch(conn, DOSSIERS.table, _key(), _pages(records))
    assert (result.rows_loaded, result.rows_rejected) == (1, 3)
    rejects = conn.execute(
        "select batch_id, source, entity, reason, record_text from ops.rejects order by reject_id"
    ).fetchall()
    assert [r[3] for r in rejects] == [
        "TrangThaiHoSo='X' is not one of the codes ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']",
        "record is not a JSON object",
        "NgayHenTra: '2025-09-10' is not a yyyyMMddHHmmss time",
    ]
    assert {(r[0], r[1], r[2]) for r in rejects} == {(result.batch_id, "onestop", "dossiers")}
    assert '"MaHoSo":"000.00.12.H57-250901-00002"' in rejects[0][4]
    for *_, text in rejects:
        assert CITIZEN_ID not in text and "Thị Hoa" not in text  # (a field name ends in SoHoa)
    assert conn.execute("select rows_rejected from ops.batches").fetchone()[0] == 3


def test_a_crash_in_the_middle_of_a_batch_leaves_nothing(conn: psycopg.Connection) -> None:
    good = load_batch(conn, DOSSIERS.table, _key(), _pages([_dossier(n) for n in range(4)]))
    before = _raw(conn)

    def exploding() -> Iterator[list[Row | Reject]]:
        pages = _pages([_dossier(n, version=2) for n in range(9)] + [_dossier(9, TrangThaiHoSo="X")])
        yield next(pages)
        yield next(pages)  # rows of two pages are already streaming into COPY
        raise ConnectionError("source went away mid-batch")

    with pytest.raises(ConnectionError):
        load_batch(conn, DOSSIERS.table, _key(), exploding(), run_id="r-crash")

    assert _raw(conn) == before  # the previous batch is still live and whole
    assert conn.execute("select count(*) from ops.rejects").fetchone()[0] == 0
    statuses = conn.execute("select batch_id, status, run_id, error from ops.batches order by 1").fetchall()
    assert statuses[0][:2] == (good.batch_id, "succeeded")
    assert statuses[1][1:3] == ("failed", "r-crash")
    assert "source went away mid-batch" in statuses[1][3]
    assert conn.execute("select batch_id from ops.watermarks").fetchone()[0] == good.batch_id


def test_records_sent_twice_in_one_interval_are_loaded_once(conn: psycopg.Connection) -> None:
    records = [_dossier(1), _dossier(2), _dossier(1), _dossier(1, version=2)]
    result = load_batch(conn, DOSSIERS.table, _key(), _pages(records, size=2))
    assert (result.rows_loaded, result.duplicates) == (3, 1)


@pytest.mark.parametrize("count", [0, 1, 500, 1234])
def test_every_record_of_every_page_lands(conn: psycopg.Connection, count: int) -> None:
    records = [_dossier(n) for n in range(count)]
    result = load_batch(conn, DOSSIERS.table, _key(), _pages(records, size=500))
    assert result.rows_loaded == count == len(_raw(conn))
    assert result.pages == -(-count // 500)


def test_records_reach_the_server_with_their_keys_in_jsonb_order(migrated_conn: psycopg.Connection) -> None:
    """The fast path encodes a record's keys in the order jsonb stores them (nested objects too),
    so PostgreSQL has nothing to sort; its own key order must be the declared one."""
    key = BatchKey("onestop", "dossiers", DAY, DAY + timedelta(days=1))
    record = _dossier(1) | {"DanhSachLePhi": [{"Gia": "5000", "MaPhiLePhi": "LP", "TenPhiLePhi": "Lệ phí"}]}
    load_batch(migrated_conn, DOSSIERS.table, key, _pages([record]))
    stored = migrated_conn.execute("select record::text from raw.onestop__dossiers").fetchone()[0]
    [row] = next(_pages([record]))
    assert isinstance(row, Row)
    sent = row.values[3].decode()
    assert _key_order(stored) == _key_order(sent)
    assert orjson.loads(stored) == orjson.loads(sent)


def _key_order(text: str) -> list[Any]:
    """Every object's keys in the order the JSON text writes them, nested objects included."""
    return json.loads(text, object_pairs_hook=lambda pairs: [(k, v) for k, v in pairs])
