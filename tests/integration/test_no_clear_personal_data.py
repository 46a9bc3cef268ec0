"""Issue 16: no citizen id or name in clear, through the real path (`parse_pages` with the case
look-up, the real loader into PostgreSQL), each case scanning every table of `raw` and `ops`
(rejects included) for the clear values in any case and without diacritics.

- an id written with dots, and after its label, in the re-coded dossier field `MaHoSoKhac`: kept,
  pseudonymised, counted with reason `citizen id`; an id in the natural key: a reject;
- the applicant's name, with and without diacritics, in a progress note of the same dossier
  loaded on another day (another pseudonymiser: found by the dossier's stored pseudonyms);
- a name in `GhiChu` of a record whose `ChuHoSo` was renamed;
- phone numbers and e-mails in any spelling in free text;
- refused records holding a name and an id (a malformed record, a JSON string, a line that is
  no JSON), their originals kept only sealed with the operator's key, out of the BI login's reach.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import orjson
import psycopg
import pytest
from native_records import native_dossier

from core.settings import Settings
from infra.dbt import run_dbt
from ingestion.declarations import blank_record
from ingestion.load import LEAK_REASON, BatchKey, BatchResult, Row, case_people, load_batch
from ingestion.localtime import VN_TZ
from ingestion.personal_text import citizen_id_pattern, holds_citizen_id
from ingestion.privacy import DEMO_KEY, Pseudonymiser, sealer, unseal, without_diacritics
from ingestion.runner import ingest, parse_pages, record_unknown_fields
from ingestion.sandbox.province import Province
from ingestion.sandbox.server import SandboxServer
from ingestion.sources import Endpoint
from ingestion.sources.onestop import SOURCE
from ingestion.sources.onestop_records import Progress

DOSSIERS, PROGRESS = SOURCE.entity("dossiers"), SOURCE.entity("progress")
DAY = datetime(2025, 9, 1, tzinfo=VN_TZ)
CODE = "000.00.12.H57-250901-00001"
NAME = "Trần Thị Bình"
ID = "046068947676"
KEY = "k"


def _dossier(n: int = 1, **change: Any) -> dict[str, Any]:
    return native_dossier(n, ChuHoSo=NAME, SoGiayToChuHoSo=ID, SoDienThoai="0912345678") | change


def _progress(note: str, at: str = "20250903090000", **change: Any) -> dict[str, Any]:
    return (
        blank_record(Progress)
        | {
            "MaHoSo": CODE,
            "ThoiDiemXuLy": at,
            "TrangThai": "2",
            "NguoiXuLy": "Lê Văn Cán",
            "NoiDungXuLy": note,
        }
        | change
    )


@pytest.fixture
def conns(migrated_conn: psycopg.Connection, warehouse_url: str) -> Iterator[tuple[psycopg.Connection, ...]]:
    """The loader's connection and the case look-up's (beside the loader's COPY, as `ingest` does)."""
    with psycopg.connect(warehouse_url, autocommit=True) as lookup:
        yield migrated_conn, lookup


def _load(
    conns: tuple[psycopg.Connection, ...],
    entity: Any,
    records: list[Any],
    day: datetime = DAY,
    seal_key: str | None = None,
) -> BatchResult:
    """One batch of `records` for `day`, with a pseudonymiser of its own (a run of its own)."""
    conn, lookup = conns
    unknown: dict[Any, int] = {}
    pages = parse_pages(
        entity,
        [records[i : i + 3] for i in range(0, len(records), 3)],
        Pseudonymiser(KEY),
        None,
        unknown,
        people=lambda keys: case_people(lookup, "onestop", keys),
        seal=sealer(seal_key) if seal_key else None,
    )
    return load_batch(
        conn,
        entity.table,
        BatchKey("onestop", entity.name, day, day + timedelta(days=1)),
        pages,
        before_commit=lambda c, _: record_unknown_fields(c, "onestop", entity.name, unknown),
    )


def _everything(conn: psycopg.Connection) -> str:
    """Every value of raw and ops as text, but encrypted bytes (a sealed original: random hex
    that may spell anything)."""
    columns = conn.execute(
        "select c.table_schema, c.table_name, string_agg(format('%I::text', c.column_name), ', ')"
        " from information_schema.columns as c join information_schema.tables as t"
        " using (table_schema, table_name)"
        " where c.table_schema in ('raw', 'ops') and t.table_type = 'BASE TABLE' and c.data_type <> 'bytea'"
        " group by 1, 2"
    ).fetchall()
    return "\n".join(
        conn.execute(
            f"select coalesce(string_agg(concat_ws(',', {cols}), chr(10)), '') from \"{s}\".\"{n}\""
        ).fetchone()[0]
        for s, n, cols in columns
    )


def _assert_nowhere(conn: psycopg.Connection, *clear: str) -> None:
    text = _everything(conn)
    folded = without_diacritics(text.casefold())
    for value in clear:
        assert value not in text and without_diacritics(value.casefold()) not in folded, value
    found = citizen_id_pattern().search(text)
    assert found is None, (
        f"a citizen id in raw or ops: {text[max(0, found.start() - 80) : found.end() + 40]!r}"
    )


def psn(value: str) -> str:
    return Pseudonymiser(KEY).pseudonym(value)


def test_an_id_in_the_recoded_field_is_kept_pseudonymised_and_counted(conns) -> None:
    conn = conns[0]
    result = _load(
        conns,
        DOSSIERS,
        [_dossier(1, MaHoSoKhac="046.068.947.676"), _dossier(2, MaHoSoKhac="CCCD-046.068.947.676")],
    )
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    stored = conn.execute("select record ->> 'MaHoSoKhac' from raw.onestop__dossiers order by 1").fetchall()
    assert stored == [(psn(ID),), (psn(ID),)]  # the pseudonym of the applicant's own id
    assert conn.execute("select field_path, reason, records from ops.unknown_fields").fetchall() == [
        ("MaHoSoKhac", "citizen id", 2)
    ]
    _assert_nowhere(conn, "046.068.947.676", ID, NAME)


def test_an_id_in_the_natural_key_makes_a_reject_without_it(conns) -> None:
    conn = conns[0]
    result = _load(conns, DOSSIERS, [_dossier(1), _dossier(2, MaHoSo="HS-046.068.947.676")])
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    [(text, reason)] = conn.execute("select record_text, reason from ops.rejects").fetchall()
    assert reason.startswith("MaHoSo: holds a citizen id") and psn(ID) in text
    _assert_nowhere(conn, "046.068.947.676", ID, NAME)


def test_the_applicants_name_in_a_later_progress_note_of_another_day(conns) -> None:
    conn = conns[0]
    _load(conns, DOSSIERS, [_dossier(1)])
    assert (
        conn.execute("select count(*) from ops.case_people where case_key = %s", (CODE,)).fetchone()[0] == 1
    )
    notes = [
        _progress(f"Đã gọi bà {NAME} bổ sung", "20250903090000"),
        _progress("đã gọi bà TRAN THI BINH, hẹn thứ hai", "20250903100000"),
        _progress("ba tran thi binh đã nộp", "20250903110000"),
    ]
    result = _load(conns, PROGRESS, notes, DAY + timedelta(days=2))
    assert (result.rows_loaded, result.rows_rejected) == (3, 0)
    stored = [
        n for (n,) in conn.execute("select record ->> 'NoiDungXuLy' from raw.onestop__progress order by 1")
    ]
    assert stored == sorted(
        [
            f"Đã gọi bà {psn('trần thị bình')} bổ sung",
            f"đã gọi bà {psn('tran thi binh')}, hẹn thứ hai",
            f"ba {psn('tran thi binh')} đã nộp",
        ]
    )
    _assert_nowhere(conn, NAME, "tran thi binh", "Lê Văn Cán")


def test_a_name_in_the_note_of_a_record_whose_name_field_was_renamed(conns) -> None:
    conn = conns[0]
    renamed = _dossier(1, GhiChu=f"Người nộp: {NAME.upper()}")
    # the name sent under a new field beside the declared one left empty (a rename in every
    # record would fail the batch by name: RenamedField)
    renamed["HoTenChuHoSo"], renamed["ChuHoSo"] = renamed["ChuHoSo"], ""
    other = _dossier(2, ChuHoSo="Võ Minh Khoa", GhiChu="ủy quyền cho vo minh khoa")
    result = _load(conns, DOSSIERS, [renamed, other])
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    assert conn.execute("select field_path, reason from ops.unknown_fields").fetchall() == [
        ("HoTenChuHoSo", "undeclared")
    ]
    _assert_nowhere(conn, NAME, "Võ Minh Khoa")


def test_phones_and_emails_in_any_spelling_in_free_text(conns) -> None:
    conn = conns[0]
    contacts = [
        "0987 654 321",
        "+84 987.654.321",
        "(+84) 987-654-321",
        "0236 3822 123",
        "Binh.Tran@Example.vn",
        "binh.tran (at) example (dot) vn",
    ]
    records = [_dossier(n, TrichYeuHoSo=f"liên hệ {c} giúp") for n, c in enumerate(contacts, 1)]
    result = _load(conns, DOSSIERS, records)
    assert (result.rows_loaded, result.rows_rejected) == (len(contacts), 0)
    texts = {t for (t,) in conn.execute("select record ->> 'TrichYeuHoSo' from raw.onestop__dossiers")}
    assert texts == {
        f"liên hệ {psn('0987654321')} giúp",
        f"liên hệ {psn('02363822123')} giúp",
        f"liên hệ {psn('binh.tran@example.vn')} giúp",
    }
    _assert_nowhere(conn, "987 654 321", "987.654.321", "987-654-321", "0236 3822", "binh.tran", "example")


def test_refused_records_hold_no_clear_value_and_their_originals_only_sealed(
    conns, caplog: pytest.LogCaptureFixture
) -> None:
    conn = conns[0]
    broken = _dossier(2, TrangThaiHoSo="X", GhiChu=f"{NAME} CCCD: 046 068 947 676", MaHoSoKhac=ID)
    as_string = orjson.dumps(_dossier(3, _version="x", GhiChu=f"bà {NAME}")).decode()
    line = f"not json: {NAME}, CCCD-046.068.947.676, gọi 0912.345.678"
    with caplog.at_level(logging.DEBUG):
        result = _load(conns, DOSSIERS, [_dossier(1), broken, as_string, line], seal_key="operator-secret")
    assert (result.rows_loaded, result.rows_rejected) == (1, 3)
    rejects = conn.execute(
        "select reason, record_text, original_sealed from ops.rejects order by reject_id"
    ).fetchall()
    assert rejects[0][0].startswith("TrangThaiHoSo='X'")
    assert [r[0] for r in rejects[1:]] == ["record is not a JSON object"] * 2
    assert orjson.loads(rejects[1][1])["ChuHoSo"] == psn(NAME)  # the JSON string walked as a record
    assert rejects[2][1] == f"not json: {psn('trần thị bình')}, {psn(ID)}, gọi {psn('0912345678')}"
    originals = [unseal("operator-secret", r[2]) for r in rejects]
    assert orjson.loads(originals[0])["GhiChu"] == broken["GhiChu"]
    assert originals[1].decode() == as_string and originals[2].decode() == line
    _assert_nowhere(conn, NAME, "046 068 947 676", "0912.345.678")
    assert NAME not in caplog.text and not holds_citizen_id(caplog.text)
    # the BI login sees schema bi only
    readable = conn.execute(
        "select has_schema_privilege('dtimon_metabase', 'ops', 'usage'),"
        " has_table_privilege('dtimon_metabase', 'ops.rejects', 'select')"
    ).fetchone()
    assert readable == (False, False)


def test_without_the_operators_key_no_original_is_kept(conns) -> None:
    conn = conns[0]
    _load(conns, DOSSIERS, [_dossier(1, TrangThaiHoSo="X")])
    assert conn.execute("select original_sealed from ops.rejects").fetchall() == [(None,)]


def test_the_staging_models_read_the_scrubbed_rows(conns, warehouse_url: str) -> None:
    """What the issue's probe found, loaded as above, then the dbt staging models built on it:
    every row is read, the re-coded field as the id's pseudonym, the note without the name."""
    conn = conns[0]
    first = _dossier(1, MaHoSoKhac="CCCD-046.068.947.676", GhiChu="gọi 0912 345 678")
    renamed = _dossier(2, GhiChu=f"Người nộp: {NAME}")
    # the name sent under a new field beside the declared one left empty (a rename in every
    # record would fail the batch by name: RenamedField)
    renamed["HoTenChuHoSo"], renamed["ChuHoSo"] = renamed["ChuHoSo"], ""
    _load(conns, DOSSIERS, [first, renamed])
    _load(conns, PROGRESS, [_progress(f"Đã gọi bà {without_diacritics(NAME)}")], DAY + timedelta(days=2))
    run_dbt(["seed"], warehouse_url)
    run_dbt(["run", "--select", "+stg_onestop__dossiers", "+stg_onestop__progress"], warehouse_url)
    dossiers = conn.execute(
        "select dossier_id, dossier_alt_code from staging.stg_onestop__dossiers order by 1"
    ).fetchall()
    assert dossiers == [(CODE, psn(ID)), ("000.00.12.H57-250901-00002", None)]
    [(note,)] = conn.execute("select action_description from staging.stg_onestop__progress").fetchall()
    assert note == f"Đã gọi bà {psn('tran thi binh')}"
    text = conn.execute(
        "select coalesce(string_agg(t::text, chr(10)), '') from staging.stg_onestop__dossiers as t"
    ).fetchone()[0]
    assert NAME not in text and not holds_citizen_id(text)


def test_ingest_against_the_sandbox_stores_the_people_and_hides_them_days_later(warehouse_url: str) -> None:
    """`ingest` itself (the look-up on its own connection, the operator's key from settings):
    the dossier's day stores its people, the progress day two days later finds them."""
    day1 = datetime(2025, 9, 1, tzinfo=VN_TZ)
    dossier = _dossier(1, _updated_at="20250901090000")
    note = _progress(f"gọi bà {NAME.lower()} (tran thi binh)", "20250903090000")
    broken = _progress(f"bà {NAME} CCCD {ID}", "20250903100000", TrangThai="X")
    province = Province(
        agencies=[],
        procedures=[],
        dossiers=[dossier],
        progress=[note, broken],
        clock_end=datetime(2025, 10, 1),
    )
    settings = Settings.from_env({"DTIMON_ENV": "test", "DTIMON_REJECTS_KEY": "operator-secret"})
    with SandboxServer(province, username="u", password="p", log=False) as server:
        for entity, day in (("dossiers", day1), ("progress", day1 + timedelta(days=2))):
            result = ingest(
                "onestop",
                entity,
                day,
                day + timedelta(days=1),
                endpoint=Endpoint(server.url, "u", "p"),
                settings=settings,
                warehouse_url=warehouse_url,
            )
            assert result.rows_loaded == 1
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        [(stored,)] = conn.execute("select record ->> 'NoiDungXuLy' from raw.onestop__progress").fetchall()
        demo = Pseudonymiser(DEMO_KEY).pseudonym  # DTIMON_ENV=test: the published key
        assert stored == f"gọi bà {demo('trần thị bình')} ({demo('tran thi binh')})"
        [(sealed,)] = conn.execute("select original_sealed from ops.rejects").fetchall()
        assert orjson.loads(unseal("operator-secret", sealed))["NoiDungXuLy"] == broken["NoiDungXuLy"]
        _assert_nowhere(conn, NAME, "tran thi binh")


def test_the_loaders_last_check_refuses_only_what_the_matcher_calls_an_id(conns) -> None:
    """Rows handed to the loader as they are (nothing pseudonymised them): a 12-digit code that is
    no id by the rule is written; an id in any spelling is a reject, stored masked."""
    conn = conns[0]

    def row(n: int, alt_code: str) -> Row:
        code = f"000.00.12.H57-250901-{n:05d}"
        record = orjson.dumps({"MaHoSo": code, "MaHoSoKhac": alt_code})
        return Row(("2025-09-01T09:00:00+07:00", code, 1, record), (code, 1))

    rows = [row(1, "999068947676"), row(2, "20250903101530"), row(3, "CCCD-046.068.947.676"), row(4, ID)]
    result = load_batch(
        conn, DOSSIERS.table, BatchKey("onestop", "dossiers", DAY, DAY + timedelta(days=1)), [rows]
    )
    assert (result.rows_loaded, result.rows_rejected) == (2, 2)
    rejects = conn.execute("select reason from ops.rejects").fetchall()
    assert rejects == [(f"MaHoSoKhac: {LEAK_REASON}",)] * 2
    _assert_nowhere(conn, "046.068.947.676", ID)


def test_a_reason_quoting_a_value_is_scrubbed_too(conns) -> None:
    """A refused plain value is quoted in the reason: an id there, or a name met in the batch,
    is stored only as its pseudonym."""
    conn = conns[0]
    _load(
        conns, DOSSIERS, [_dossier(1), _dossier(2, TrangThaiHoSo=NAME), _dossier(3, NgayHenTra=f"CCCD {ID}")]
    )
    reasons = [r for (r,) in conn.execute("select reason from ops.rejects order by reject_id")]
    assert reasons[0].startswith(f"TrangThaiHoSo='{psn('trần thị bình')}' is not one of the codes")
    assert reasons[1].startswith(f"NgayHenTra: '{psn(ID)}' is not a yyyyMMddHHmmss time")
    _assert_nowhere(conn, NAME, ID)
