"""Issue 6: bad input never stops, fools or leaks — fed through the parser and the real loader.

Each case sends the bad input of the issue's list with good records around it and checks
the outcome written by hand: a reject with its field and reason (the rest loads), a batch
that fails with a message naming the field, nothing personal in clear, the same chosen
version whatever the load order, and a ledger row for every attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from native_records import native_dossier

from ingestion.load import BatchKey, Reject, Row, load_batch
from ingestion.localtime import VN_TZ
from ingestion.privacy import Pseudonymiser
from ingestion.runner import RenamedField, parse_pages, record_unknown_fields
from ingestion.sources.onestop import SOURCE

DOSSIERS = SOURCE.entity("dossiers")
DAY = datetime(2025, 9, 1, tzinfo=VN_TZ)
NAME = "Lê Thị Hoa"
CITIZEN_ID = "056090001234"


def _dossier(n: int, version: int = 1, **change: Any) -> dict[str, Any]:
    return native_dossier(n, version, ChuHoSo=NAME, SoGiayToChuHoSo=CITIZEN_ID) | change


def _key(day: datetime = DAY) -> BatchKey:
    return BatchKey("onestop", "dossiers", day, day + timedelta(days=1))


@pytest.fixture
def conn(migrated_conn: psycopg.Connection) -> psycopg.Connection:
    return migrated_conn


def _load(conn: psycopg.Connection, records: list[Any], unknown: dict[str, int] | None = None, **kw: Any):
    pages = parse_pages(
        DOSSIERS, [records[i : i + 4] for i in range(0, len(records), 4)], Pseudonymiser("k"), None, unknown
    )

    def before_commit(c: psycopg.Connection, _: Any) -> None:
        record_unknown_fields(c, "onestop", "dossiers", unknown or {})

    return load_batch(conn, DOSSIERS.table, kw.pop("key", _key()), pages, before_commit=before_commit, **kw)


def _everything(conn: psycopg.Connection) -> str:
    tables = conn.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema in ('raw', 'ops') and table_type = 'BASE TABLE'"
    ).fetchall()
    return "\n".join(
        conn.execute(f'select coalesce(string_agg(t::text, chr(10)), \'\') from "{s}"."{n}" as t').fetchone()[
            0
        ]
        for s, n in tables
    )


def test_renamed_applicant_fields_never_land_in_clear(
    conn: psycopg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    records = []
    for n in range(6):
        record = _dossier(n)
        record["TenChuHoSo"] = record.pop("ChuHoSo")  # the source renamed the applicant fields
        record["SoCCCD"] = record.pop("SoGiayToChuHoSo")
        records.append(record)
    bad = _dossier(99, TrangThaiHoSo="77")  # a reject carrying the renamed fields too
    bad["TenChuHoSo"], bad["SoCCCD"] = bad.pop("ChuHoSo"), bad.pop("SoGiayToChuHoSo")
    unknown: dict[str, int] = {}
    with caplog.at_level(logging.DEBUG):
        result = _load(conn, [*records, bad], unknown)
    assert (result.rows_loaded, result.rows_rejected) == (6, 1)
    text = _everything(conn) + caplog.text
    assert NAME not in text and CITIZEN_ID not in text
    assert "056090" not in text
    rows = conn.execute(
        "select field_path, records from ops.unknown_fields where source = 'onestop' order by 1"
    ).fetchall()
    assert rows == [("SoCCCD", 7), ("TenChuHoSo", 7)]
    # the renamed field keeps the pseudonym the declared one would have had (one person, one pseudonym)
    stored = conn.execute("select record ->> 'TenChuHoSo' from raw.onestop__dossiers limit 1").fetchone()[0]
    assert stored == Pseudonymiser("k").pseudonym(NAME)


def test_notes_lose_ids_and_the_records_own_personal_values() -> None:
    record = _dossier(
        1, GhiChu="Bà LÊ  THỊ HOA (cccd 056 090 001 234, đt 0912.345.678) nộp thay", SoDienThoai="0912345678"
    )
    [row] = next(parse_pages(DOSSIERS, [[record]], Pseudonymiser("k")))
    assert isinstance(row, Row)
    import orjson

    psn = Pseudonymiser("k")  # an id (with its label) and a phone number become their pseudonyms
    assert orjson.loads(row.values[-1])["GhiChu"] == (
        f"Bà *** ({psn.pseudonym(CITIZEN_ID)}, đt {psn.pseudonym('0912345678')}) nộp thay"
    )


def test_one_person_one_pseudonym_whatever_the_spelling() -> None:
    import unicodedata

    psn = Pseudonymiser("k")
    nfc, nfd = unicodedata.normalize("NFC", NAME), unicodedata.normalize("NFD", NAME)
    assert nfc != nfd
    assert psn.pseudonym(nfc) == psn.pseudonym(nfd) == psn.pseudonym(" lê  THỊ hoa ")


BAD = [
    ({"MaHoSoKhac": "abc\u0000def"}, "MaHoSoKhac: holds a NUL character"),
    ({"MaHoSo": "X" * 20_000}, "MaHoSo is 20000 characters long, over the key limit of 200"),
    ({"TrichYeuHoSo": "y" * 9000}, "TrichYeuHoSo is over the text limit of 8192 characters"),
    ({"NgayNopHoSo": "19000101000000"}, "NgayNopHoSo='19000101000000' is outside the plausible years 1990–"),
    ({"NgayNopHoSo": "19000230000000"}, "NgayNopHoSo: '19000230000000' is not a yyyyMMddHHmmss time"),
    ({"NgayNopHoSo": "19891231235959"}, "NgayNopHoSo='19891231235959' is outside the plausible years 1990–"),
    ({"NgayHenTra": "21000101000000"}, "NgayHenTra='21000101000000' is outside the plausible years"),
    (
        {"NgayTiepNhan": "20250905080000", "NgayKetThucXuLy": "20250903080000"},
        "NgayTiepNhan='20250905080000' is after NgayKetThucXuLy='20250903080000'",
    ),
    ({"TrangThaiHoSo": "77"}, "TrangThaiHoSo='77' is not one of the codes"),
    ({"_version": "99999999999"}, "_version is over the largest version (2^31 - 1)"),
    # an id in a plain field is pseudonymised and kept (test_no_clear_personal_data); in a key, refused
    ({"MaHoSo": f"HS-{CITIZEN_ID}"}, "MaHoSo: holds a citizen id"),
    ({"TaiLieuNop": [{"TenTepDinhKem": "t" * 7000}] * 40}, "over the limit of 262144"),
    (
        {"DanhSachHoSoBoSung": [{"NoiDungBoSung": "x\u0000"}]},
        "DanhSachHoSoBoSung[].NoiDungBoSung: holds a NUL",
    ),
]


def test_each_bad_record_is_one_reject_and_the_rest_loads(conn: psycopg.Connection) -> None:
    records = [_dossier(n) for n in range(5)] + [
        _dossier(100 + i, **change) for i, (change, _) in enumerate(BAD)
    ]
    result = _load(conn, records)
    assert (result.rows_loaded, result.rows_rejected) == (5, len(BAD))
    reasons = [r for (r,) in conn.execute("select reason from ops.rejects order by reject_id")]
    for _, expected in BAD:
        assert sum(expected in reason for reason in reasons) == 1, (expected, reasons)
    assert CITIZEN_ID not in _everything(conn)


def test_a_required_field_absent_from_many_records_fails_the_batch(conn: psycopg.Connection) -> None:
    renamed = []
    for n in range(10):
        record = _dossier(n)
        if n < 5:
            record["NgayNhanHoSo"] = record.pop("NgayTiepNhan")  # renamed at the source
        renamed.append(record)
    with pytest.raises(
        RenamedField, match=r"NgayTiepNhan is absent from 5 of 10 records \(50 %\): renamed at the source\?"
    ):
        _load(conn, renamed)
    assert conn.execute("select status, error like '%%NgayTiepNhan%%' from ops.batches").fetchall() == [
        ("failed", True)
    ]

    few = [_dossier(n) for n in range(60)]
    del few[0]["NgayTiepNhan"]
    result = _load(conn, few)
    assert (result.rows_loaded, result.rows_rejected) == (59, 1)


def _winner(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select ma_ho_so, version, record ->> 'NgayHenTra' from raw.onestop__dossiers order by 1, 2"
    ).fetchall()


def test_duplicates_in_a_batch_keep_the_latest_update_then_the_hash_whatever_the_order(
    conn: psycopg.Connection,
) -> None:
    older = _dossier(1, NgayHenTra="20250910170000", _updated_at="20250901090000")
    newer = _dossier(1, NgayHenTra="20250911170000", _updated_at="20250901100000")
    twin_a = _dossier(2, NgayHenTra="20250912170000")
    twin_b = _dossier(2, NgayHenTra="20250913170000")  # same update time: the content hash decides
    first = _load(conn, [older, newer, twin_a, twin_b])
    chosen = _winner(conn)
    second = _load(conn, [twin_b, newer, twin_a, older])
    assert _winner(conn) == chosen
    assert chosen[0][2] == "20250911170000"
    assert first.duplicates == second.duplicates == 2
    assert conn.execute(
        "select rows_duplicate, rows_loaded from ops.batches order by batch_id"
    ).fetchall() == [
        (2, 2),
        (2, 2),
    ]


def test_a_batch_is_started_before_its_pages_and_a_killed_one_is_abandoned(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    seen: list[tuple] = []

    def pages() -> Iterator[list[Row | Reject]]:
        with psycopg.connect(warehouse_url, autocommit=True) as other:
            seen.extend(other.execute("select status from ops.batches").fetchall())
        yield from parse_pages(DOSSIERS, [[_dossier(1)]], Pseudonymiser("k"))

    load_batch(conn, DOSSIERS.table, _key(), pages())
    assert seen == [("started",)]

    # a process killed mid-batch: its started row stays behind, its connection is gone
    with psycopg.connect(warehouse_url, autocommit=True) as doomed:
        doomed.execute(
            "insert into ops.batches (source, entity, interval_start, interval_end, status, started_at, backend_pid)"
            " values ('onestop', 'dossiers', %s, %s, 'started', now(), pg_backend_pid())",
            (DAY + timedelta(days=1), DAY + timedelta(days=2)),
        )
    # one still running (its backend alive) is not touched
    alive = psycopg.connect(warehouse_url, autocommit=True)
    try:
        alive.execute(
            "insert into ops.batches (source, entity, interval_start, interval_end, status, started_at, backend_pid)"
            " values ('onestop', 'dossiers', %s, %s, 'started', now(), pg_backend_pid())",
            (DAY + timedelta(days=3), DAY + timedelta(days=4)),
        )

        def failing() -> Iterator[list[Row | Reject]]:
            yield from parse_pages(DOSSIERS, [[_dossier(1)]], Pseudonymiser("k"))
            raise ConnectionError("source went away")

        with pytest.raises(ConnectionError):
            load_batch(conn, DOSSIERS.table, _key(DAY + timedelta(days=5)), failing())
        rows = conn.execute("select status, interval_start from ops.batches order by batch_id").fetchall()
    finally:
        alive.close()
    assert [status for status, _ in rows] == ["succeeded", "abandoned", "started", "failed"]
    # the live batch of the first interval is still the one live batch
    assert conn.execute("select count(*) from ops.batches where status = 'succeeded'").fetchone()[0] == 1
