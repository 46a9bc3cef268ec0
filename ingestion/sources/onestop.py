"""The one-stop-shop interface (dossiers as synchronised to the National Public Service Portal).

Native format (INTERFACES.md (b)): every value a string, local times `yyyyMMddHHmmss`,
`""` for missing, `error_code` a number or a string. Dossiers and progress rows are pulled
by update window (the source's window is inclusive at both ends, so consecutive windows
overlap by one second; staging and the batch dedupe handle it). The procedure catalogue and
the agency list are pulled whole on every run.

Parsing validates exactly what staging will cast, so nothing that reaches `raw` can break
dbt; anything else is rejected with the reason. Applicant identifiers, names and contacts
are pseudonymised before parsing, so even a rejected record is stored without them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson

from core.migrations import Column, Index
from ingestion.http import ApiClient, SourceError
from ingestion.load import RawTable, Row
from ingestion.localtime import BadTimestamp, format_compact, is_compact, parse_compact
from ingestion.paging import Page, numbered_pages
from ingestion.privacy import PersonalFields
from ingestion.sources.base import Entity, Fetch, Rejected, Sandbox, Source, TokenLogin, Window

NAME = "onestop"

DOSSIER_DATES = ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi")
SUPPLEMENT_DATES = ("NgayBoSung", "NgayTiepNhanBoSung", "NgayHenTraTruoc", "NgayHenTraMoi")
TEXT_FIELDS = ("MaHoSoKhac", "MaTTHC", "DonViXuLy", "LoaiDoiTuong")
STATUSES = frozenset(str(n) for n in range(1, 11))
CHANNELS = frozenset({"", "1", "2", "3"})

DOSSIER_PERSONAL = PersonalFields(
    fields=("ChuHoSo", "SoGiayToChuHoSo", "MaDoiTuong", "SoDienThoai", "Email", "Fax", "DiaChiChuHoSo"),
    nested={"DinhDanhCHS": ("SoDinhDanh",)},
    free_text=("TrichYeuHoSo", "GhiChu", "ThongTinKhac"),
    derive_from="SoGiayToChuHoSo",
)


def _text(value: Any) -> str:
    """A native value as text: strings as they are, numbers as their digits, missing as ""."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, str):
        return value.strip()
    raise Rejected(f"expected a string, got {type(value).__name__}")


def _required(record: dict[str, Any], field: str) -> str:
    value = _text(record.get(field))
    if not value:
        raise Rejected(f"{field} is missing or empty")
    return value


def _time(record: dict[str, Any], field: str, *, required: bool = False) -> datetime | None:
    value = _text(record.get(field))
    if not value:
        if required:
            raise Rejected(f"{field} is missing or empty")
        return None
    try:
        return parse_compact(value)
    except BadTimestamp as exc:
        raise Rejected(f"{field}: {exc}") from None


def _valid_times(record: dict[str, Any], fields: tuple[str, ...]) -> bool:
    for field in fields:
        value = record.get(field)
        if value and not (type(value) is str and is_compact(value)):
            return False
    return True


def _check_times(record: dict[str, Any], fields: tuple[str, ...]) -> None:
    """Each of `fields` is "" or a valid local time; otherwise Rejected with the first bad field."""
    if not _valid_times(record, fields):
        for field in fields:
            _time(record, field)  # raises with the reason


def _code(record: dict[str, Any], field: str, allowed: frozenset[str]) -> str:
    value = _text(record.get(field))
    if value not in allowed:
        raise Rejected(
            f"{field}={value!r} is not one of the codes {sorted(allowed, key=lambda c: (len(c), c))}"
        )
    return value


def _number(value: Any, field: str) -> None:
    text = _text(value)
    if not text:
        return
    try:
        float(text)
    except ValueError:
        raise Rejected(f"{field}={text!r} is not a number") from None


def _items(record: dict[str, Any], field: str) -> list[dict[str, Any]]:
    value = record.get(field)
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise Rejected(f"{field} is not a list of objects")
    return value


def _object(record: Any) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise Rejected("record is not a JSON object")
    return record


def _dump(record: dict[str, Any]) -> str:
    return orjson.dumps(record).decode()


def _is_clean_dossier(record: dict[str, Any]) -> bool:
    """The common case in one pass, building nothing: every value in its native text form and valid.

    False sends the record down the checked path, which accepts the tolerable (numbers for
    strings, padded codes) and rejects the rest with its reason.
    """
    get = record.get
    code, version, updated = get("MaHoSo"), get("_version"), get("_updated_at")
    status, channel = get("TrangThaiHoSo"), get("KenhThucHien", "")
    if not (
        type(code) is str
        and code
        and type(version) is str
        and version.isdigit()
        and type(updated) is str
        and is_compact(updated)
        and type(status) is str
        and status in STATUSES
        and type(channel) is str
        and channel in CHANNELS
        and _valid_times(record, DOSSIER_DATES)
    ):
        return False
    for field in TEXT_FIELDS:
        value = get(field)
        if value is not None and type(value) is not str:
            return False
    supplements = get("DanhSachHoSoBoSung")
    if supplements:
        if type(supplements) is not list:
            return False
        for supplement in supplements:
            if type(supplement) is not dict or not _valid_times(supplement, SUPPLEMENT_DATES):
                return False
    fees = get("DanhSachLePhi")
    if fees:
        if type(fees) is not list:
            return False
        for fee in fees:
            if type(fee) is not dict:
                return False
            amount = fee.get("Gia")
            if amount and not (type(amount) is str and amount.isdigit()):
                return False
    return True


def parse_dossier(record: Any) -> Row:
    if type(record) is dict and _is_clean_dossier(record):
        code = record["MaHoSo"].strip()
        version = int(record["_version"])
        updated_at = parse_compact(record["_updated_at"])
        return Row((updated_at, code, version, _dump(record)), key=(code, version))
    return _parse_dossier_checked(record)


def _parse_dossier_checked(record: Any) -> Row:
    """Field by field, with the reason of the first problem: the path of anything unusual."""
    record = _object(record)
    code = _required(record, "MaHoSo")
    try:
        version = int(_required(record, "_version"))
    except ValueError:
        raise Rejected(f"_version={record.get('_version')!r} is not an integer") from None
    updated_at = _time(record, "_updated_at", required=True)
    for field in TEXT_FIELDS:
        _text(record.get(field))
    _check_times(record, DOSSIER_DATES)
    _code(record, "TrangThaiHoSo", STATUSES)
    _code(record, "KenhThucHien", CHANNELS)
    for supplement in _items(record, "DanhSachHoSoBoSung"):
        _check_times(supplement, SUPPLEMENT_DATES)
    for fee in _items(record, "DanhSachLePhi"):
        _number(fee.get("Gia"), "DanhSachLePhi.Gia")
    return Row((updated_at, code, version, _dump(record)), key=(code, version))


def parse_progress(record: Any) -> Row:
    record = _object(record)
    code = _required(record, "MaHoSo")
    at = _time(record, "ThoiDiemXuLy", required=True)
    status = _code(record, "TrangThai", STATUSES)
    _check_times(record, ("NgayBatDau", "NgayKetThucTheoQuyDinh"))
    return Row((at, code, _dump(record)), key=(code, record["ThoiDiemXuLy"], status))


def parse_procedure(record: Any) -> Row:
    record = _object(record)
    code = _required(record, "MATTHC")
    updated_at = _time(record, "NGAYCAPNHAT")
    for way in _items(record, "CACHTHUCTHUCHIEN"):
        for timing in _items(way, "THOIGIAN"):
            _number(timing.get("THOIGIANGIAIQUYET"), "THOIGIANGIAIQUYET")
            for fee in _items(timing, "PHILEPHI"):
                _number(fee.get("MUCPHI"), "MUCPHI")
    _items(record, "LINHVUCTHUCHIEN")
    _items(record, "COQUANTHUCHIEN")
    return Row((updated_at, code, _dump(record)), key=code)


def parse_agency(record: Any) -> Row:
    record = _object(record)
    code = _required(record, "MADONVI")
    updated_at = _time(record, "NGAYCAPNHAT")
    return Row((updated_at, code, _dump(record)), key=code)


def _envelope(body: Any, path: str) -> Page:
    """Check the `{"error_code", "message", "total", "data"}` envelope of a list endpoint."""
    if not isinstance(body, dict):
        raise SourceError(f"{path}: answer is not a JSON object")
    code = body.get("error_code")
    if code not in (0, "0"):
        raise SourceError(f"{path}: error_code {code!r}: {body.get('message', '')}")
    data = body.get("data")
    if not isinstance(data, list):
        raise SourceError(f"{path}: 'data' is not a list")
    total = body.get("total")
    try:
        total = int(total) if total not in (None, "") else None
    except (TypeError, ValueError):
        raise SourceError(f"{path}: 'total'={total!r} is not a number") from None
    return Page(data, total)


def _pull(path: str) -> Fetch:
    def fetch(client: ApiClient, window: Window | None, page_size: int) -> Iterator[list[Any]]:
        params: dict[str, Any] = {"page_size": page_size}
        if window is not None:
            params["updated_from"] = format_compact(window.start)
            params["updated_to"] = format_compact(window.end)

        def page(number: int) -> Page:
            return _envelope(client.get_json(path, {**params, "page": number}), path)

        yield from numbered_pages(page, page_size)

    return fetch


def _table(name: str, *columns: Column, key: tuple[str, ...] = (), indexes: tuple[str, ...] = ()) -> RawTable:
    """A raw table `raw.onestop__<name>`; `indexes` are its key index's name suffix (keyed on `key`)."""
    table = f"{NAME}__{name}"
    return RawTable("raw", table, columns, key, tuple(Index(f"{table}_{i}", key) for i in indexes))


# The raw tables (the loader adds batch_id and loaded_at in front, and the snapshot columns
# record_hash, is_deleted and observed_at to the catalogues). `record` is the native record.
DOSSIERS_TABLE = _table(
    "dossiers",
    Column("source_updated_at", "timestamptz"),
    Column("ma_ho_so", "text"),
    Column("version", "integer"),
    Column("record", "jsonb"),
    key=("ma_ho_so", "version"),
    indexes=("key",),
)
PROGRESS_TABLE = _table(
    "progress",
    Column("source_updated_at", "timestamptz"),
    Column("ma_ho_so", "text"),
    Column("record", "jsonb"),
)
PROCEDURES_TABLE = _table(
    "procedures",
    Column("source_updated_at", "timestamptz", not_null=False),
    Column("ma_tthc", "text"),
    Column("record", "jsonb"),
    key=("ma_tthc",),
)
AGENCIES_TABLE = _table(
    "agencies",
    Column("source_updated_at", "timestamptz", not_null=False),
    Column("ma_don_vi", "text"),
    Column("record", "jsonb"),
    key=("ma_don_vi",),
)


SOURCE = Source(
    name=NAME,
    description="One-stop-shop: administrative dossiers, their progress, the procedure catalogue and agencies",
    schedule="@daily",  # one run per local day [00:00, 24:00), started when the day is over
    auth=TokenLogin("/dvc/v1/token"),
    sandbox=Sandbox("ingestion.sandbox"),
    entities=(
        Entity(
            "dossiers",
            DOSSIERS_TABLE,
            _pull("/dvc/v1/hoso"),
            parse_dossier,
            windowed=True,
            personal=DOSSIER_PERSONAL,
        ),
        Entity(
            "progress",
            PROGRESS_TABLE,
            _pull("/dvc/v1/tiendo"),
            parse_progress,
            windowed=True,
        ),
        Entity(
            "procedures",
            PROCEDURES_TABLE,
            _pull("/dvc/v1/thutuc"),
            parse_procedure,
            windowed=False,
        ),
        Entity(
            "agencies",
            AGENCIES_TABLE,
            _pull("/dvc/v1/coquan"),
            parse_agency,
            windowed=False,
        ),
    ),
)
