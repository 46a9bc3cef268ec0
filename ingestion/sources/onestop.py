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

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import msgspec
import orjson

from core.code_lists import codes
from core.migrations import Column, Index
from ingestion.http import ApiClient, SourceError
from ingestion.load import RawTable, Row
from ingestion.localtime import BadTimestamp, format_compact, is_compact, parse_compact
from ingestion.paging import Page, numbered_pages
from ingestion.sources.base import (
    EARLIEST_YEAR,
    MAX_KEY_CHARS,
    MAX_RECORD_CHARS,
    MAX_TEXT_CHARS,
    Absent,
    Entity,
    Fetch,
    Rejected,
    Sandbox,
    Source,
    TokenLogin,
    Window,
    latest_year,
    nul_path,
    oversize_path,
)
from ingestion.sources.onestop_records import CHANNELS as CHANNEL_CODES
from ingestion.sources.onestop_records import (
    DOSSIER_STATUSES,
    NUMBER_PATTERN,
    Agency,
    Dossier,
    Kind,
    Procedure,
    Progress,
    Supplement,
    names,
    privacy_policy,
    spec,
)

NAME = "onestop"

# Field lists and code lists come from the record shapes (onestop_records) and the code-list
# seeds (core.code_lists): declared once, read here.
DOSSIER_DATES = tuple(f.name for f in spec(Dossier) if f.kind is Kind.TIME and not f.required)
SUPPLEMENT_DATES = names(Supplement, Kind.TIME)
TEXT_FIELDS = names(Dossier, Kind.TEXT)
PROGRESS_DATES = tuple(f.name for f in spec(Progress) if f.kind is Kind.TIME and not f.required)
PROGRESS_TEXTS = names(Progress, Kind.TEXT)
STATUSES = codes(DOSSIER_STATUSES)
CHANNELS = frozenset({""}) | codes(CHANNEL_CODES)
_NUMBER = re.compile(NUMBER_PATTERN)

DOSSIER_LISTS = tuple(f.name for f in spec(Dossier) if f.items is not None)
DOSSIER_PRESENT = tuple(f.name for f in spec(Dossier) if f.present)
_DOSSIER_PRESENT_SET = frozenset(DOSSIER_PRESENT)
_EARLIEST = str(EARLIEST_YEAR)
MAX_INTEGER = 2**31 - 1  # the raw table's integer column

# Privacy by allow-list: every field declared in the record shapes, nothing else in clear.
DOSSIER_PERSONAL = privacy_policy(Dossier, derive_from="SoGiayToChuHoSo")
PROGRESS_PERSONAL = privacy_policy(Progress)
PROCEDURE_PERSONAL = privacy_policy(Procedure)
AGENCY_PERSONAL = privacy_policy(Agency)


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


def _valid_times(record: dict[str, Any], fields: tuple[str, ...], latest: str) -> bool:
    for field in fields:
        value = record.get(field)
        if value and not (type(value) is str and is_compact(value) and _EARLIEST <= value[:4] <= latest):
            return False
    return True


def _plausible(name: str, text: str, latest: str) -> None:
    """A time of a real case: from EARLIEST_YEAR to the end of next year (business plausibility)."""
    if not _EARLIEST <= text[:4] <= latest:
        raise Rejected(f"{name}={text!r} is outside the plausible years {_EARLIEST}–{latest}")


def _check(record: Any, shape: type[msgspec.Struct], prefix: str = "") -> dict[str, Any]:
    """`record` holds what `shape` declares (see onestop_records); otherwise Rejected with the
    first problem, named by its path (`DanhSachLePhi.Gia=...`)."""
    record = _object(record)
    latest = latest_year()
    for field in spec(shape):
        name = f"{prefix}{field.name}"
        if field.present and field.name not in record:
            raise Absent(field.name, f"{name} is absent (every record carries it, possibly empty)")
        if field.items is not None:
            for item in _items(record, field.name, name):
                _check(item, field.items, f"{name}.")
            continue
        value = record.get(field.name)
        text = _text(value)
        if not text:
            if field.required:
                raise Rejected(f"{name} is missing or empty")
            continue
        kind = field.kind
        if kind is Kind.TIME:
            if not is_compact(text):
                raise Rejected(f"{name}: {text!r} is not a yyyyMMddHHmmss time")
            _plausible(name, text, latest)
        elif kind is Kind.KEY:
            if len(text) > MAX_KEY_CHARS:
                raise Rejected(
                    f"{name} is {len(text)} characters long, over the key limit of {MAX_KEY_CHARS}"
                )
        elif kind is Kind.NUMBER:
            if not _NUMBER.match(text):
                raise Rejected(f"{name}={text!r} is not a number")
        elif kind is Kind.INTEGER:
            if not (text.isascii() and text.isdigit()):
                raise Rejected(f"{name}={value!r} is not an integer")
            if len(text) > 9 and int(text) > MAX_INTEGER:
                raise Rejected(f"{name} is over the largest version (2^31 - 1)")
        elif kind is Kind.CODE:
            allowed = field.allowed or frozenset()
            if text not in allowed:
                shown = sorted(allowed, key=lambda c: (len(c), c))
                raise Rejected(f"{name}={text!r} is not one of the codes {shown}")
    return record


def _items(record: dict[str, Any], field: str, name: str | None = None) -> list[dict[str, Any]]:
    value = record.get(field)
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise Rejected(f"{name or field} is not a list of objects")
    return value


def _object(record: Any) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise Rejected("record is not a JSON object")
    return record


def _dump(record: dict[str, Any]) -> bytes:
    """The record as stored (JSON bytes, written as they are), or Rejected when one of its values
    cannot or should not be stored."""
    encoded = orjson.dumps(record)
    if b"\\u0000" in encoded:  # PostgreSQL's jsonb and text refuse NUL
        raise Rejected(f"{nul_path(record) or 'a field name'}: holds a NUL character (\\u0000)")
    if len(encoded) > MAX_TEXT_CHARS:
        characters = len(encoded.decode())
        if characters > MAX_RECORD_CHARS:
            raise Rejected(f"record is {characters} characters long, over the limit of {MAX_RECORD_CHARS}")
        path = oversize_path(record, MAX_TEXT_CHARS)
        if path:
            raise Rejected(f"{path} is over the text limit of {MAX_TEXT_CHARS} characters")
    return encoded


def _in_order(record: dict[str, Any]) -> None:
    """Received no later than finished (both compact local times, so they compare as text)."""
    received, finished = _text(record.get("NgayTiepNhan")), _text(record.get("NgayKetThucXuLy"))
    if received and finished and received > finished:
        raise Rejected(f"NgayTiepNhan={received!r} is after NgayKetThucXuLy={finished!r}")


def _is_clean_dossier(record: dict[str, Any]) -> bool:
    """The common case in one pass, building nothing: every value in its native text form and valid.

    False sends the record down the checked path, which accepts the tolerable (numbers for
    strings, padded codes) and rejects the rest with its reason.
    """
    get = record.get
    code, version, updated = get("MaHoSo"), get("_version"), get("_updated_at")
    status, channel = get("TrangThaiHoSo"), get("KenhThucHien", "")
    received, finished = get("NgayTiepNhan"), get("NgayKetThucXuLy")
    latest = latest_year()
    if not (
        type(code) is str
        and code
        and len(code) <= MAX_KEY_CHARS
        and type(version) is str
        and version.isdigit()
        and len(version) <= 9
        and type(updated) is str
        and is_compact(updated)
        and _EARLIEST <= updated[:4] <= latest
        and type(status) is str
        and status in STATUSES
        and type(channel) is str
        and channel in CHANNELS
        and _valid_times(record, DOSSIER_DATES, latest)
        and not (received and finished and received > finished)
    ):
        return False
    if not record.keys() >= _DOSSIER_PRESENT_SET:
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
            if type(supplement) is not dict or not _valid_times(supplement, SUPPLEMENT_DATES, latest):
                return False
    fees = get("DanhSachLePhi")
    if fees:
        if type(fees) is not list:
            return False
        for fee in fees:
            if type(fee) is not dict:
                return False
            amount = fee.get("Gia")
            if amount and not (type(amount) is str and amount.isascii() and amount.isdigit()):
                return False
    for field in DOSSIER_LISTS:
        items = get(field)
        if items and type(items) is not list:
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
    record = _check(record, Dossier)
    _in_order(record)
    code = _text(record["MaHoSo"])
    version = int(_text(record["_version"]))
    updated_at = parse_compact(_text(record["_updated_at"]))
    return Row((updated_at, code, version, _dump(record)), key=(code, version))


def _is_clean_progress(record: dict[str, Any]) -> bool:
    """The common case of a progress row in one pass: what `_check` accepts as it is, nothing else."""
    get = record.get
    code, at, status = get("MaHoSo"), get("ThoiDiemXuLy"), get("TrangThai")
    latest = latest_year()
    if not (
        type(code) is str
        and code.strip()
        and len(code.strip()) <= MAX_KEY_CHARS
        and type(at) is str
        and is_compact(at)
        and _EARLIEST <= at[:4] <= latest
        and type(status) is str
        and status in STATUSES
        and _valid_times(record, PROGRESS_DATES, latest)
    ):
        return False
    for field in PROGRESS_TEXTS:
        value = get(field)
        if value is not None and type(value) is not str:
            return False
    return True


def parse_progress(record: Any) -> Row:
    if not (type(record) is dict and _is_clean_progress(record)):
        record = _check(record, Progress)
    code = _text(record["MaHoSo"])
    at = parse_compact(_text(record["ThoiDiemXuLy"]))
    status = _text(record["TrangThai"])
    return Row((at, code, _dump(record)), key=(code, record["ThoiDiemXuLy"], status))


def parse_procedure(record: Any) -> Row:
    record = _check(record, Procedure)
    code = _text(record["MATTHC"])
    return Row((_time(record, "NGAYCAPNHAT"), code, _dump(record)), key=code)


def parse_agency(record: Any) -> Row:
    record = _check(record, Agency)
    code = _text(record["MADONVI"])
    return Row((_time(record, "NGAYCAPNHAT"), code, _dump(record)), key=code)


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


def _table(
    name: str,
    *columns: Column,
    key: tuple[str, ...] = (),
    indexes: tuple[str, ...] = (),
    identity: tuple[str, ...] = (),
    prefer: tuple[str, ...] = (),
) -> RawTable:
    """A raw table `raw.onestop__<name>`; `indexes` are its key index's name suffix (keyed on `key`)."""
    table = f"{NAME}__{name}"
    return RawTable(
        "raw", table, columns, key, tuple(Index(f"{table}_{i}", key) for i in indexes), identity, prefer
    )


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
    prefer=("source_updated_at desc",),
)
PROGRESS_TABLE = _table(
    "progress",
    Column("source_updated_at", "timestamptz"),
    Column("ma_ho_so", "text"),
    Column("record", "jsonb"),
    identity=("ma_ho_so", "source_updated_at", "btrim(record ->> 'TrangThai')"),
)
PROCEDURES_TABLE = _table(
    "procedures",
    Column("source_updated_at", "timestamptz", not_null=False),
    Column("ma_tthc", "text"),
    Column("record", "jsonb"),
    key=("ma_tthc",),
    prefer=("source_updated_at desc nulls last",),
)
AGENCIES_TABLE = _table(
    "agencies",
    Column("source_updated_at", "timestamptz", not_null=False),
    Column("ma_don_vi", "text"),
    Column("record", "jsonb"),
    key=("ma_don_vi",),
    prefer=("source_updated_at desc nulls last",),
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
            personal=PROGRESS_PERSONAL,
        ),
        Entity(
            "procedures",
            PROCEDURES_TABLE,
            _pull("/dvc/v1/thutuc"),
            parse_procedure,
            windowed=False,
            personal=PROCEDURE_PERSONAL,
        ),
        Entity(
            "agencies",
            AGENCIES_TABLE,
            _pull("/dvc/v1/coquan"),
            parse_agency,
            windowed=False,
            personal=AGENCY_PERSONAL,
        ),
    ),
)
