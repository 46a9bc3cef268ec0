"""The loader's last check searches each byte it writes once: a record's stored form searched by
the fast path (`Row.scanned`) is not searched again, everything else is, on a real PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
import psycopg
import pytest
from native_records import native_dossier

import ingestion.load
from ingestion.load import LEAK_REASON, BatchKey, Row, load_batch
from ingestion.localtime import VN_TZ
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.sources.onestop import SOURCE

DOSSIERS = SOURCE.entity("dossiers")
DAY = datetime(2025, 9, 1, tzinfo=VN_TZ)
ID = "046068947676"


@pytest.fixture
def conn(migrated_conn: psycopg.Connection) -> psycopg.Connection:
    return migrated_conn


def _key() -> BatchKey:
    return BatchKey("onestop", "dossiers", DAY, DAY + timedelta(days=1))


def _fast_rows(count: int) -> list[Row]:
    """Rows of clean dossiers through `parse_pages`: the fast path's, their stored forms searched."""
    records = [native_dossier(n) for n in range(1, count + 1)]
    [page] = list(parse_pages(DOSSIERS, [records], Pseudonymiser("k")))
    assert all(type(row) is Row and row.scanned is row.values[3] for row in page)
    return page


def _row(n: int, record: dict[str, Any], code: str | None = None) -> Row:
    """A row as the checked path or a test builds it: nothing says it was searched."""
    code = code or f"000.00.12.H57-250901-{n:05d}"
    return Row(("2025-09-01T09:00:00+07:00", code, 1, orjson.dumps(record)), (code, 1))


def _searched(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """What the sink's last check searches, page by page."""
    searched: list[bytes] = []
    check = ingestion.load._holds_citizen_id

    def spy(data: bytes, opaque: tuple[str, ...] = ()) -> bool:
        searched.append(data)
        return check(data, opaque)

    monkeypatch.setattr(ingestion.load, "_holds_citizen_id", spy)
    return searched


def test_a_page_of_the_fast_path_has_its_other_columns_searched_not_its_records(
    conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _fast_rows(3)
    searched = _searched(monkeypatch)
    result = load_batch(conn, DOSSIERS.table, _key(), [rows])
    assert (result.rows_loaded, result.rows_rejected) == (3, 0)
    [text] = searched
    for row in rows:
        assert row.values[1].encode() in text  # the dossier code: searched
        assert row.values[3] not in text  # the record as stored: searched by the fast path


def test_a_row_not_from_the_fast_path_is_searched_whole_with_its_page(
    conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page mixing the fast path's rows and one that did not go through it: every record of
    the page is searched again, and the id in the latter makes it a reject."""
    rows = [*_fast_rows(2), _row(9, {"MaHoSoKhac": ID})]
    searched = _searched(monkeypatch)
    result = load_batch(conn, DOSSIERS.table, _key(), [rows])
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert all(row.values[3] in searched[0] for row in rows)
    assert conn.execute("select reason from ops.rejects").fetchall() == [(f"MaHoSoKhac: {LEAK_REASON}",)]


def test_a_row_whose_scanned_value_is_not_the_one_written_is_searched(conn: psycopg.Connection) -> None:
    """`scanned` counts only as the very object written: equal bytes elsewhere do not excuse it."""
    [fast] = _fast_rows(1)
    leaking = _row(2, {"MaHoSoKhac": ID})
    equal = bytes(bytearray(leaking.values[3]))
    assert equal == leaking.values[3] and equal is not leaking.values[3]
    rows = [fast, Row(leaking.values, leaking.key, scanned=equal)]
    result = load_batch(conn, DOSSIERS.table, _key(), [rows])
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)


def test_an_id_in_another_column_of_a_searched_row_is_still_refused(conn: psycopg.Connection) -> None:
    """Only the record column is skipped: an id in a key column (which no row builder of the
    fast path would let through) is caught by the last check."""
    [fast] = _fast_rows(1)
    values = (fast.values[0], f"x {ID}", fast.values[2], fast.values[3])
    result = load_batch(conn, DOSSIERS.table, _key(), [[Row(values, fast.key, scanned=fast.values[3])]])
    assert (result.rows_loaded, result.rows_rejected) == (0, 1)
