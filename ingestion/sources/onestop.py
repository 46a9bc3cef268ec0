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
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar

import msgspec
import orjson

from core.migrations import Column, Index
from ingestion.http import ApiClient, SourceError, json_body
from ingestion.load import RawTable, Row
from ingestion.localtime import (
    BadTimestamp,
    compact_iso,
    format_compact,
    is_compact,
    parse_compact,
)
from ingestion.paging import Page, TracedRecords, numbered_pages
from ingestion.personal_text import holds_citizen_id
from ingestion.records import attribute, compiled, declared
from ingestion.sources.base import (
    EARLIEST_YEAR,
    MAX_KEY_CHARS,
    MAX_RECORD_CHARS,
    MAX_TEXT_CHARS,
    Absent,
    DeclaredParse,
    Entity,
    Fetch,
    Rejected,
    Sandbox,
    Source,
    TokenLogin,
    Window,
    holds_nul,
    latest_year,
    nul_path,
    oversize_path,
)
from ingestion.sources.onestop_records import (
    NUMBER_PATTERN,
    Agency,
    Dossier,
    FieldSpec,
    Kind,
    Procedure,
    Progress,
    privacy_policy,
    spec,
)

NAME = "onestop"
T = TypeVar("T")
UNSET = msgspec.UNSET

_NUMBER = re.compile(NUMBER_PATTERN)
_EARLIEST = str(EARLIEST_YEAR)
MAX_INTEGER = 2**31 - 1  # the raw table's integer column
CITIZEN_ID_IN_KEY = "holds a citizen id; a natural key is stored as sent, so the record is refused"

# Privacy by allow-list: every field declared in the record shapes, nothing else in clear.
# A dossier's people are stored by its code, so that any later record of it (a progress step,
# another version) has them hidden from its free text.
DOSSIER_PERSONAL = privacy_policy(Dossier, derive_from="SoGiayToChuHoSo", case_key="MaHoSo", case_people=True)
#: a step's officer and text recur (801 combinations in the sandbox's 15,244 steps of a month)
PROGRESS_PERSONAL = privacy_policy(Progress, repeats=True, case_key="MaHoSo")
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


def _plausible(name: str, text: str, latest: str) -> None:
    """A time of a real case: from EARLIEST_YEAR to the end of next year (business plausibility)."""
    if not _EARLIEST <= text[:4] <= latest:
        raise Rejected(f"{name}={text!r} is outside the plausible years {_EARLIEST}–{latest}")


def _is_a_date(text: str) -> bool:
    """`text` is a real `yyyyMMddHHmmss` time of any year (`is_compact` knows 1976–2199 only)."""
    if not (len(text) == 14 and text.isascii() and text.isdigit()):
        return False
    try:
        datetime.strptime(text, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


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
                if _is_a_date(text):  # a real time, but of a year nobody files a case in
                    _plausible(name, text, latest)
                raise Rejected(f"{name}: {text!r} is not a yyyyMMddHHmmss time")
            _plausible(name, text, latest)
        elif kind is Kind.KEY:
            if len(text) > MAX_KEY_CHARS:
                raise Rejected(
                    f"{name} is {len(text)} characters long, over the key limit of {MAX_KEY_CHARS}"
                )
            if holds_citizen_id(text):  # a key is read as it is: it cannot be pseudonymised
                raise Rejected(f"{name}: {CITIZEN_ID_IN_KEY}")
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
    if holds_nul(encoded):
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


def parse_dossier(record: Any) -> Row:
    """The checked path, field by field, with the reason of the first problem."""
    record = _check(record, Dossier)
    _in_order(record)
    code = _text(record["MaHoSo"])
    version = int(_text(record["_version"]))
    updated_at = compact_iso(_text(record["_updated_at"]))
    return Row((updated_at, code, version, _dump(record)), key=(code, version))


def parse_progress(record: Any) -> Row:
    record = _check(record, Progress)
    code = _text(record["MaHoSo"])
    at = compact_iso(_text(record["ThoiDiemXuLy"]))
    status = _text(record["TrangThai"])
    return Row((at, code, _dump(record)), key=(code, record["ThoiDiemXuLy"], status))


# --- the fast path: records decoded straight into their declared shapes --------------------


PlainCheck = Callable[..., bool]


def _refused(field: FieldSpec, name: str) -> str:
    """The test of `plain_check` that is True for a non-empty `v` the kind of `field` (read as
    `r.<name>`) refuses; "" when its kind has none."""
    if field.kind is Kind.TIME:
        return "not (len(v) == 14 and v[:8] in days and v[8:] in times)"
    if field.kind is Kind.KEY:
        return "(len(v) > MAX_KEY or v != v.strip())"
    if field.kind is Kind.NUMBER:
        return "(not (v.isascii() and v.isdigit()) and not number(v))"
    if field.kind is Kind.INTEGER:
        return "not (len(v) <= 9 and v.isascii() and v.isdigit())"
    if field.kind is Kind.CODE:
        return f"v not in codes_{name}"
    return ""


def _refuses_blank(field: FieldSpec) -> bool:
    """True when `_refused(field)` refuses every blank value (spaces only) by itself."""
    if field.kind is Kind.CODE:
        return all(code.strip() for code in field.allowed or ())
    return field.kind in (Kind.TIME, Kind.KEY, Kind.INTEGER)


@cache
def plain_check(shape: type[msgspec.Struct]) -> PlainCheck | None:
    """A function telling whether `_check` accepts every value of a record decoded into its
    declared shape exactly as it is — no value to trim, no number standing for a string,
    nothing it would refuse; None when the shape has nothing to check. It is called with the
    record and `plausible_times()`, read once a page by the caller.

    False is not a verdict: the record then takes the checked path, which accepts the
    tolerable and gives the reason for the rest. The function is written from the shape's
    declarations (`spec`) as straight-line code (`ingestion.records.compiled`; measured: 3.1
    against 4.4 µs a dossier version for a loop over the fields). A required field whose kind
    refuses a blank value by itself (a time, a key, an integer, a code none of whose values is
    blank) is tested once, `not v or` its kind's test, without a `strip()` of its own.
    """
    lines = ["def check(r, days, times):"]
    names: dict[str, Any] = {"UNSET": UNSET, "MAX_KEY": MAX_KEY_CHARS, "number": _NUMBER.match}
    for field in spec(shape):
        name = attribute(shape.__name__, field.name)
        if field.items is not None:
            if field.present:
                lines.append(f"    if r.{name} is UNSET: return False")
            items = plain_check(field.items)
            if items is not None:
                names[f"check_{name}"] = items
                lines += [
                    f"    for item in r.{name} or ():",
                    f"        if not check_{name}(item, days, times): return False",
                ]
            continue
        refused = _refused(field, name)  # the kind's test: True for a value it refuses, blank or not
        if field.kind is Kind.CODE:
            names[f"codes_{name}"] = field.allowed or frozenset()
        if field.required and refused and _refuses_blank(field):
            tests = [f"not v or {refused}"]
        else:
            tests = ["not (v and v.strip())"] if field.required else []
            if field.present:
                tests.append("v is UNSET")
            if refused:
                tests.append(f"v and {refused}")
        if tests:
            lines.append(f"    v = r.{name}")
            lines += [f"    if {test}: return False" for test in tests]
    if len(lines) == 1:
        return None
    return compiled([*lines, "    return True"], names, f"plain check of {shape.__name__}")


DOSSIER_SHAPE = declared(Dossier, (DOSSIER_PERSONAL.derived_key,))
PROGRESS_SHAPE = declared(Progress)
_DOSSIER_PLAIN = plain_check(Dossier)
_PROGRESS_PLAIN = plain_check(Progress)


def _plain_dossier(record: Any, days: frozenset[str], times: frozenset[str]) -> bool:
    assert _DOSSIER_PLAIN is not None
    if not _DOSSIER_PLAIN(record, days, times):
        return False
    received, finished = record.NgayTiepNhan, record.NgayKetThucXuLy
    return not (received and finished and received > finished)


#: `Row` built from its two fields without the named tuple's Python-level `__new__`
#: (0.12 µs less a row, on the fast path's two rows below)
_new_row = tuple.__new__


def _dossier_row(record: Any, stored: bytes) -> Row:
    """The row of a plain dossier version (its key has nothing to trim: `plain_check`)."""
    code, version = record.MaHoSo, int(record._version)
    return _new_row(Row, ((compact_iso(record._updated_at), code, version, stored), (code, version)))


def _progress_row(record: Any, stored: bytes) -> Row:
    """The row of a plain progress record (its key has nothing to trim: `plain_check`)."""
    code, at = record.MaHoSo, record.ThoiDiemXuLy
    return _new_row(Row, ((compact_iso(at), code, stored), (code, at, record.TrangThai)))


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
    origins = body.get("origins")  # the replay sandbox: file:line of lines served as they are
    if isinstance(origins, dict) and origins:
        data = TracedRecords.of(data, {int(i): str(o) for i, o in origins.items() if str(i).isdigit()})
    return Page(data, total)


class _Envelope(msgspec.Struct, Generic[T]):
    """The envelope of a list endpoint as the fast path decodes it (`_envelope` checks it)."""

    data: list[T]
    error_code: Any = None
    message: Any = ""
    total: Any = None
    origins: Any = None


@cache
def _page_decoders(
    shape: type | None,
) -> tuple[msgspec.json.Decoder, msgspec.json.Decoder, msgspec.json.Decoder]:
    """(a page of `shape` records, a page of records undecoded, one `shape` record)."""
    return (
        msgspec.json.Decoder(_Envelope[shape] if shape is not None else _Envelope[Any]),
        msgspec.json.Decoder(_Envelope[msgspec.Raw]),
        msgspec.json.Decoder(shape if shape is not None else Any),
    )


def decode_page(body: bytes, path: str, shape: type | None = None) -> Page:
    """A list endpoint's answer: its records decoded into `shape` (their declared shape)
    wherever they fit it, as dicts (or whatever JSON they are) where they do not.

    The whole page is decoded in one pass when every record fits; otherwise each record is
    decoded on its own, so one odd record leaves the others on the fast path.
    """
    whole, undecoded, one = _page_decoders(shape)
    try:
        envelope = whole.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        try:
            envelope = undecoded.decode(body)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return _envelope(json_body(body, f"GET {path}"), path)  # its checks name the problem
        records = []
        for raw in envelope.data:
            try:
                records.append(one.decode(raw))
            except (msgspec.ValidationError, msgspec.DecodeError):
                records.append(msgspec.json.decode(raw))
        envelope.data = records
    return _envelope(
        {
            "error_code": envelope.error_code,
            "message": envelope.message,
            "total": envelope.total,
            "data": envelope.data,
            "origins": envelope.origins,
        },
        path,
    )


def _pull(path: str, shape: type | None = None) -> Fetch:
    def fetch(client: ApiClient, window: Window | None, page_size: int) -> Iterator[list[Any]]:
        params: dict[str, Any] = {"page_size": page_size}
        if window is not None:
            params["updated_from"] = format_compact(window.start)
            params["updated_to"] = format_compact(window.end)

        def page(number: int) -> Page:
            return decode_page(client.get_json_body(path, {**params, "page": number}), path, shape)

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
            _pull("/dvc/v1/hoso", DOSSIER_SHAPE),
            parse_dossier,
            windowed=True,
            personal=DOSSIER_PERSONAL,
            declared=DeclaredParse(DOSSIER_SHAPE, _plain_dossier, _dossier_row),
        ),
        Entity(
            "progress",
            PROGRESS_TABLE,
            _pull("/dvc/v1/tiendo", PROGRESS_SHAPE),
            parse_progress,
            windowed=True,
            personal=PROGRESS_PERSONAL,
            declared=DeclaredParse(PROGRESS_SHAPE, _PROGRESS_PLAIN, _progress_row),
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
