"""Builders for hand-made one-stop-shop raw rows (native format: every value a string, dates
`yyyyMMddHHmmss` local time, "" when missing) and the batch ledger, written straight into
`raw.*` and `ops.batches` as ingestion would; and data for any registered source built from its
record declarations (`load_declared`), so `dbt source freshness` and coverage see every source."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

from expectations.dbt_keys import DBT_PROJECT
from ingestion.declarations import blank_record, example_record
from ingestion.load import BatchKey, load_batch
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.sources import SOURCES, Source
from ingestion.sources.onestop_records import Dossier
from ingestion.state import EventTimes, store_event_times

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
CATALOGUE_SEED = DBT_PROJECT / "seeds" / "indicator_catalogue.csv"


#: The source whose rows these fixtures write by hand (every other registered source gets rows
#: made from its declarations, which cover no period of their own).
FIXTURE_SOURCE = "onestop"


def computed_indicators(covered: str | None = None) -> tuple[str, ...]:
    """The ids of the indicators the catalogue seed computes (a row with a measure), in its order;
    with `covered`, only those every source of which is that one (the ones a fixture of it values)."""
    with CATALOGUE_SEED.open(encoding="utf-8", newline="") as handle:
        return tuple(
            row["indicator_id"]
            for row in csv.DictReader(handle)
            if row["measure"] and (covered is None or set(row["sources"].split()) == {covered})
        )


def local(text: str) -> datetime:
    """'2025-09-03 08:00' (local time) → aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL)


def native(text: str | None) -> str:
    """'2025-09-03 08:00' → '20250903080000'; None → '' (how the source sends a missing date)."""
    return "" if text is None else local(text).strftime("%Y%m%d%H%M%S")


def batch(
    conn: psycopg.Connection,
    entity: str,
    start: str,
    end: str,
    status: str = "succeeded",
    replaced_by: int | None = None,
    source: str = FIXTURE_SOURCE,
) -> int:
    return conn.execute(
        """
        insert into ops.batches (source, entity, interval_start, interval_end, status, started_at, replaced_by)
        values (%s, %s, %s, %s, %s, %s, %s) returning batch_id
        """,
        (source, entity, local(start), local(end), status, local(start), replaced_by),
    ).fetchone()[0]


#: The windowed entities of the fixture source whose rows the fixtures write by hand; coverage needs
#: every windowed entity, so `batch_others` gives the rest a batch over the same interval.
HAND_WRITTEN = ("dossiers", "progress")


def batch_others(conn: psycopg.Connection, start: str, end: str, status: str = "succeeded") -> dict[str, int]:
    """A batch over [start, end) of every other windowed entity of the fixture source (ratings,
    feedback, …: whatever the registry declares), by entity, for a test to put rows in or not."""
    return {
        entity.name: batch(conn, entity.name, start, end, status)
        for entity in SOURCES[FIXTURE_SOURCE].entities
        if entity.pull_mode == "window" and entity.name not in HAND_WRITTEN
    }


def supplement(
    requested: str,
    supplied: str | None,
    promised_before: str | None,
    promised_after: str | None,
    ident: str = "1",
) -> dict[str, str]:
    return {
        "HoSoBoSungId": ident,
        "NguoiYeuCauBoSung": "Cán bộ một cửa",
        "NoiDungBoSung": "Bổ sung giấy tờ",
        "NgayBoSung": native(requested),
        "NgayTiepNhanBoSung": native(supplied),
        "TrangThaiBoSung": "2" if supplied else "1",
        "NgayHenTraTruoc": native(promised_before),
        "NgayHenTraMoi": native(promised_after),
    }


def dossier(
    code: str,
    version: int,
    *,
    updated: str,
    status: str,
    channel: str,
    procedure: str,
    received: str | None,
    promised: str | None = None,
    ended: str | None = None,
    returned: str | None = None,
    refused: str | None = None,
    submitted: str | None = None,
    alt_code: str = "",
    supplements: list[dict[str, str]] | None = None,
    agency_name: str = "Sở Tư pháp",
    portal_sync: str = "1",
) -> dict[str, Any]:
    """A native dossier record (one version); `portal_sync` its portal sync status."""
    return blank_record(Dossier) | {
        "MaHoSo": code,
        "MaHoSoKhac": alt_code,
        "MaTTHC": procedure,
        "TenTTHC": f"Thủ tục {procedure}",
        "MaLinhVuc": "G15-HT",
        "TenLinhVuc": "Hộ tịch",
        "KenhThucHien": channel,
        "ChuHoSo": "psn:9f2c4e1ab07d",
        "SoGiayToChuHoSo": "psn:41d0c3aa95be",
        "LoaiDoiTuong": "1",
        "NgayNopHoSo": native(submitted or received),
        "NgayTiepNhan": native(received),
        "NgayHenTra": native(promised),
        "TrangThaiHoSo": status,
        "NgayKetThucXuLy": native(ended),
        "NgayTra": native(returned),
        "NgayTuChoi": native(refused),
        "DonViXuLy": agency_name,
        "HoSoCoThanhPhanSoHoa": "1",
        "TaiKhoanDuocXacThucVoiVNeID": "0",
        "DuocThanhToanTrucTuyen": "0",
        "TrangThaiDongBoDVC": portal_sync,
        "DanhSachLePhi": [],
        "DanhSachHoSoBoSung": supplements or [],
        "_version": str(version),
        "_updated_at": native(updated),
    }


def insert_dossier(conn: psycopg.Connection, batch_id: int, record: dict[str, Any]) -> None:
    conn.execute(
        "insert into raw.onestop__dossiers (batch_id, source_updated_at, ma_ho_so, version, record) "
        "values (%s, %s, %s, %s, %s)",
        (
            batch_id,
            datetime.strptime(record["_updated_at"], "%Y%m%d%H%M%S").replace(tzinfo=LOCAL),
            record["MaHoSo"],
            int(record["_version"]),
            Jsonb(record),
        ),
    )


def insert_progress(
    conn: psycopg.Connection, batch_id: int, code: str, at: str, status: str, action: str
) -> None:
    record = {
        "MaHoSo": code,
        "NguoiXuLy": "Cán bộ một cửa",
        "ChucDanh": "Chuyên viên",
        "ThoiDiemXuLy": native(at),
        "PhongBanXuLy": "Bộ phận một cửa",
        "NoiDungXuLy": action,
        "TrangThai": status,
        "NgayBatDau": native(at),
        "NgayKetThucTheoQuyDinh": "",
    }
    conn.execute(
        "insert into raw.onestop__progress (batch_id, source_updated_at, ma_ho_so, record) values (%s, %s, %s, %s)",
        (batch_id, local(at), code, Jsonb(record)),
    )


def procedure(
    code: str, name: str, time_options: list[tuple[str, str, str, str]], online_level: str
) -> dict[str, Any]:
    """time_options: (channel KENH, THOIGIANGIAIQUYET, DONVITINH, MUCPHI)."""
    return {
        "MATTHC": code,
        "TENTTHC": name,
        "LINHVUCTHUCHIEN": [{"MALINHVUC": "G15-HT", "TENLINHVUC": "Hộ tịch"}],
        "CAPTHUCHIEN": "Cấp Tỉnh",
        "COQUANTHUCHIEN": [{"MADONVI": "000.00.12.H57", "TENDONVI": "Sở Tư pháp"}],
        "CACHTHUCTHUCHIEN": [
            {
                "KENH": channel,
                "THOIGIAN": [
                    {
                        "THOIGIANGIAIQUYET": limit,
                        "DONVITINH": unit,
                        "PHILEPHI": [{"MAPHILEPHI": "LP1", "MUCPHI": fee, "MOTA": ""}],
                    }
                ],
            }
            for channel, limit, unit, fee in time_options
        ],
        "MUCDODVC": online_level,
        "DUDIEUKIENTOANTRINH": "1" if online_level == "TOANTRINH" else "0",
        "TRANGTHAI": "1",
        "NGAYCAPNHAT": "20250801080000",
    }


#: Two departments under the provincial committee, for fixtures that compare agencies.
DEPARTMENTS = {"000.00.12.H57": "Sở Tư pháp", "000.00.13.H57": "Sở Nội vụ"}


def insert_departments(conn: psycopg.Connection) -> None:
    """DEPARTMENTS as the agencies reference, pulled on 1 October 2025."""
    reference = batch(conn, "agencies", "2025-10-01", "2025-10-02")
    for agency_id, name in DEPARTMENTS.items():
        insert_agency(conn, reference, agency_id, name, "2", "000.00.00.H57")


def implemented_by(record: dict[str, Any], *agency_ids: str) -> dict[str, Any]:
    """A procedure record whose implementing agencies are DEPARTMENTS' `agency_ids`."""
    return record | {"COQUANTHUCHIEN": [{"MADONVI": a, "TENDONVI": DEPARTMENTS[a]} for a in agency_ids]}


def fees(*amounts: str) -> list[dict[str, str]]:
    """A dossier's fee list (DanhSachLePhi), one fee per amount."""
    return [
        {"TenPhiLePhi": "Lệ phí", "MaPhiLePhi": "LP1", "HinhThucThu": "1", "Gia": a, "LoaiPhiLePhi": "2"}
        for a in amounts
    ]


def result_documents(link: bool | None, document_id: str = "2001") -> list[dict[str, str]]:
    """A dossier's result list (DanhSachGiayToKetQua): one document with (True) or without (False)
    a file link; None: no result."""
    if link is None:
        return []
    url = f"https://dichvucong.example/ketqua/{document_id}.pdf" if link else ""
    return [
        {
            "TenGiayTo": "Kết quả",
            "MaThanhPhanHoSo": "KQ1",
            "GiayToId": document_id,
            "DuongDanTepTinKetQua": url,
            "MaGiayToKetQua": "KQ-1",
        }
    ]


def dossier_code(agency_id: str, day: str, number: int) -> str:
    """A dossier code as the one-stop shapes it: agency, yyMMdd of `day` ('2025-10-06 …'), number."""
    return f"{agency_id}-{day[2:10].replace('-', '')}-{number:05d}"


def _insert_state(
    conn: psycopg.Connection,
    table: str,
    key_column: str,
    batch_id: int,
    key: str,
    record: dict[str, Any],
    updated: datetime | None,
    observed: str | None,
    deleted: bool,
) -> None:
    """One stored catalogue state (a tombstone when `deleted`), as the loader stores a change;
    observed_at is the batch's interval end unless `observed` says."""
    conn.execute(
        f"""
        insert into {table} (batch_id, source_updated_at, {key_column}, record, record_hash, is_deleted, observed_at)
        select %(batch)s, %(updated)s, %(key)s, %(record)s, md5(%(record)s::jsonb::text), %(deleted)s,
               coalesce(%(observed)s, (select interval_end from ops.batches where batch_id = %(batch)s))
        """,
        {
            "batch": batch_id,
            "updated": updated,
            "key": key,
            "record": Jsonb({} if deleted else record),
            "deleted": deleted,
            "observed": local(observed) if observed else None,
        },
    )


def insert_procedure(
    conn: psycopg.Connection,
    batch_id: int,
    record: dict[str, Any],
    *,
    observed: str | None = None,
    deleted: bool = False,
) -> None:
    _insert_state(
        conn,
        "raw.onestop__procedures",
        "ma_tthc",
        batch_id,
        record["MATTHC"],
        record,
        None if deleted else local("2025-08-01 08:00"),
        observed,
        deleted,
    )


def agency(agency_id: str, name: str, level: str, parent: str, admin_unit: str = "46") -> dict[str, Any]:
    """A native agency record."""
    return {
        "MADONVI": agency_id,
        "TENDONVI": name,
        "CAPDONVI": level,
        "MADONVICHA": parent,
        "MADVHC": admin_unit,
        "NGAYCAPNHAT": "20250701080000",
    }


def insert_agency(
    conn: psycopg.Connection,
    batch_id: int,
    agency_id: str,
    name: str,
    level: str,
    parent: str,
    *,
    observed: str | None = None,
    deleted: bool = False,
    admin_unit: str = "46",
) -> None:
    _insert_state(
        conn,
        "raw.onestop__agencies",
        "ma_don_vi",
        batch_id,
        agency_id,
        agency(agency_id, name, level, parent, admin_unit),
        None if deleted else local("2025-07-01 08:00"),
        observed,
        deleted,
    )


def count_ledger_rows(conn: psycopg.Connection) -> None:
    """Give hand-made batches the row counts the loader would have recorded (`rows_loaded`), so
    the gate's ledger check sees what raw holds."""
    tables = conn.execute("select source, entity, raw_table from ops.source_entities").fetchall()
    for source, entity, table in tables:
        conn.execute(
            f"update ops.batches as b set rows_loaded = (select count(*) from {table} as r where r.batch_id = b.batch_id)"
            " where b.source = %s and b.entity = %s and b.rows_loaded = 0",
            (source, entity),
        )


def load_declared(conn: psycopg.Connection, source: Source, start: datetime, end: datetime) -> None:
    """Give every entity of `source` data built from its declarations, through the loader as an
    ingest would (`conn` outside a transaction): its example record in one batch per local day of
    [start, end) for a windowed entity, in one batch over the span for any other (a catalogue
    stored as a snapshot). A cursor or queue entity with an event time is read over the span as
    a pull that drained it would have: its event times span [start, end), so its days are covered."""
    for entity in source.entities:
        if entity.declared is None:
            continue
        record = example_record(entity.declared.record)
        if entity.pull_mode == "window":
            days = int((end - start) / timedelta(days=1))
            spans = [(start + timedelta(days=n), start + timedelta(days=n + 1)) for n in range(days)]
        else:
            spans = [(start, end)]
        for span_start, span_end in spans:
            load_batch(
                conn,
                entity.table,
                BatchKey(source.name, entity.name, span_start, span_end),
                parse_pages(entity, [[dict(record)]], Pseudonymiser("k")),
                snapshot=entity.snapshot,
                opaque=entity.personal.opaque_patterns if entity.personal is not None else (),
            )
        read = entity.event_times()
        if read is not None:
            times = EventTimes(read, end)
            times.began(start)
            times.drained(end)
            with conn.transaction():
                store_event_times(conn, source.name, entity.name, times)


def load_records(
    conn: psycopg.Connection,
    source: str,
    entity: str,
    start: str,
    end: str,
    records: list[dict[str, Any]],
    *,
    first_pull: bool = False,
) -> Any:
    """Hand-made native `records` of `source.entity` through the loader (parse, pseudonymisation, the
    raw table) as the batch of [start, end) (local days; `conn` outside a transaction). A cursor or
    queue entity's event times are stored as a pull that read up to `end` does, from `start` on its
    `first_pull`. The batch's result."""
    target = SOURCES[source].entity(entity)
    result = load_batch(
        conn,
        target.table,
        BatchKey(source, entity, local(start), local(end)),
        parse_pages(target, [[dict(r) for r in records]], Pseudonymiser("k")),
        opaque=target.personal.opaque_patterns if target.personal is not None else (),
        once=target.stored_once,
        snapshot=target.snapshot,
    )
    read = target.event_times()
    if read is not None:
        times = EventTimes(read, datetime.now(LOCAL))
        list(times.track([records]))
        times.drained(local(end))
        if first_pull:
            times.began(local(start))
        with conn.transaction():
            store_event_times(conn, source, entity, times)
    return result


def load_sources_without_data(conn: psycopg.Connection) -> None:
    """Every registered source with no batch yet gets declared data over the days the loaded
    sources' windows span (none when nothing windowed is loaded)."""
    span = conn.execute(
        "select min(interval_start), max(interval_end) from ops.batches as b"
        " inner join ops.source_entities as e on (e.source, e.entity) = (b.source, b.entity)"
        " where e.pull_mode = 'window'"
    ).fetchone()
    if span is None or span[0] is None:
        return
    start = span[0].astimezone(LOCAL).replace(hour=0, minute=0, second=0, microsecond=0)
    end = span[1].astimezone(LOCAL).replace(hour=0, minute=0, second=0, microsecond=0)
    loaded = {row[0] for row in conn.execute("select distinct source from ops.batches")}
    for source in SOURCES.values():
        if source.name not in loaded:
            load_declared(conn, source, start, end)


#: What a fixture's build leaves out: the generic column tests (not_null, unique, …) and dbt's unit
#: tests, two thirds of a build's time. They run in test_dbt_indicators' full build and in every
#: pipeline build; a fixture's build keeps the models, the seeds and the singular rule checks.
FIXTURE_BUILD_EXCLUDES = ("test_type:generic", "resource_type:unit_test")


def build(url: str) -> None:
    """`dbt build` of the models, seeds and singular tests (not FIXTURE_BUILD_EXCLUDES) at `url`."""
    from infra.dbt import run_dbt

    run_dbt(["build", "--exclude", *FIXTURE_BUILD_EXCLUDES], url)


def built(url: str, load: Callable[[psycopg.Connection], None]) -> Iterator[psycopg.Connection]:
    """Migrate the warehouse at `url`, `load` hand-made rows in one transaction, give every other
    registered source declared data (`load_sources_without_data`), `build`, then yield an
    autocommit connection to read the models."""
    from ingestion.schema import migrate

    with psycopg.connect(url) as connection:
        migrate(connection)
        with connection.transaction():
            load(connection)
    with psycopg.connect(url, autocommit=True) as connection:
        load_sources_without_data(connection)
    build(url)
    with psycopg.connect(url, autocommit=True) as connection:
        yield connection
