"""The two checks of a declared record, both written from its declaration (`ingestion.declarations`).

- The checked path, `check_record`: a record as decoded JSON (a dict) against its shape, field by
  field, tolerating what staging reads the same (surrounding spaces, a number for a string) and
  naming the first problem (`Rejected`, `Absent`).
- The fast path, `plain_check`: a function telling whether a record decoded into the shape's
  strict type (`ingestion.records.declared`) holds every value exactly as `check_record` accepts
  it, with nothing to trim; False sends the record to the checked path.

`tests/unit/test_declared_path.py` proves, for every registered entity, that the fast path only
ever takes what the checked path accepts, with the same row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import msgspec
import orjson

from ingestion.declarations import TIMES, FieldSpec, Kind, spec
from ingestion.load import Row
from ingestion.localtime import is_compact, parse_compact
from ingestion.personal_text import holds_citizen_id
from ingestion.record_rules import (
    EARLIEST_YEAR,
    MAX_KEY_CHARS,
    MAX_RECORD_CHARS,
    MAX_TEXT_CHARS,
    Absent,
    Rejected,
    holds_nul,
    latest_year,
    nul_path,
    oversize_path,
)
from ingestion.records import attribute, compiled, declared

UNSET = msgspec.UNSET
#: the pattern of a decimal (after trimming), written the same way in the staging macros
NUMBER_PATTERN = r"^[0-9]+([.,][0-9]+)?$"
_NUMBER = re.compile(NUMBER_PATTERN)
_EARLIEST = str(EARLIEST_YEAR)
MAX_INTEGER = 2**31 - 1  # a raw table's integer column
MAX_COUNT = 2**63 - 1  # a bigint
CITIZEN_ID_IN_KEY = "holds a citizen id; a natural key is stored as sent, so the record is refused"
_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)


def text(value: Any) -> str:
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


def iso_refusal(value: str) -> str | None:
    """Why `value` is no ISO 8601 time with an offset of a plausible year; None when it is one."""
    if not _ISO.fullmatch(value):
        return "is not an ISO 8601 time with an offset"
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return "is not a real time"
    latest = latest_year()
    if not _EARLIEST <= value[:4] <= latest:
        return f"is outside the plausible years {_EARLIEST}–{latest}"
    return None


@cache
def _epoch_bounds(latest: str) -> tuple[int, int]:
    """[first second of EARLIEST_YEAR, first second after `latest`) in epoch seconds (UTC)."""
    start = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC).timestamp()
    return int(start), int(datetime(int(latest) + 1, 1, 1, tzinfo=UTC).timestamp())


def epoch_bounds(kind: Kind) -> tuple[int, int]:
    """The plausible range [low, high) of an epoch of `kind` (seconds or milliseconds)."""
    low, high = _epoch_bounds(latest_year())
    scale = 1000 if kind is Kind.EPOCH_MILLIS else 1
    return low * scale, high * scale


def _epoch_number(kind: Kind | None, value: Any) -> bool:
    """True for a JSON number an epoch of `kind` may be: seconds an integer or a fraction, milliseconds an integer."""
    return type(value) is int or (kind is Kind.EPOCH_SECONDS and type(value) is float)


def _wired(field: FieldSpec, name: str, value: Any) -> None:
    """A non-empty value of a kind sent as a JSON boolean or number (`declarations.WIRE`)."""
    if field.kind is Kind.BOOLEAN:
        if type(value) is not bool:
            raise Rejected(f"{name}={value!r} is not true or false")
        return
    if field.kind is Kind.COUNT:
        if type(value) is not int or not 0 <= value <= MAX_COUNT:
            raise Rejected(f"{name}={value!r} is not a whole number from 0")
        return
    if not _epoch_number(field.kind, value):
        raise Rejected(
            f"{name}={value!r} is not {'a number' if field.kind is Kind.EPOCH_SECONDS else 'an integer'}"
        )
    low, high = epoch_bounds(field.kind)  # type: ignore[arg-type]
    if not low <= value < high:
        raise Rejected(f"{name}={value!r} is outside the plausible years {_EARLIEST}–{latest_year()}")


def _opaque_id(field: FieldSpec, value: str) -> bool:
    return field.opaque is not None and field.opaque.matches(value)


def check_record(record: Any, shape: type[msgspec.Struct], prefix: str = "") -> dict[str, Any]:
    """`record` holds what `shape` declares; otherwise Rejected with the first problem, named by
    its path (`DanhSachLePhi.Gia=...`). Returns the record."""
    record = _object(record)
    latest = latest_year()
    for field in spec(shape):
        name = f"{prefix}{field.name}"
        if field.present and field.name not in record:
            raise Absent(field.name, f"{name} is absent (every record carries it, possibly empty)")
        if field.items is not None:
            for item in items(record, field.name, name):
                check_record(item, field.items, f"{name}.")
            continue
        value = record.get(field.name)
        kind = field.kind
        if field.wire is not str:
            if value is None or value == "":
                if field.required:
                    raise Rejected(f"{name} is missing or empty")
                continue
            _wired(field, name, value)
            continue
        value_text = text(value)
        if not value_text:
            if field.required:
                raise Rejected(f"{name} is missing or empty")
            continue
        if kind is Kind.LOCAL_TIME:
            if not is_compact(value_text):
                if _is_a_date(value_text):  # a real time, but of a year nobody files a case in
                    _plausible(name, value_text, latest)
                raise Rejected(f"{name}: {value_text!r} is not a yyyyMMddHHmmss time")
            _plausible(name, value_text, latest)
        elif kind is Kind.ISO_TIME:
            if type(value) is not str:
                raise Rejected(f"{name}={value!r} is not an ISO 8601 time with an offset")
            refusal = iso_refusal(value_text)
            if refusal:
                raise Rejected(f"{name}={value_text!r} {refusal}")
        elif kind is Kind.KEY:
            if len(value_text) > MAX_KEY_CHARS:
                raise Rejected(
                    f"{name} is {len(value_text)} characters long, over the key limit of {MAX_KEY_CHARS}"
                )
            # a key is read as it is: it cannot be pseudonymised (an opaque id of its form is no id)
            if holds_citizen_id(value_text) and not _opaque_id(field, value_text):
                raise Rejected(f"{name}: {CITIZEN_ID_IN_KEY}")
        elif kind is Kind.DECIMAL:
            if not _NUMBER.match(value_text):
                raise Rejected(f"{name}={value_text!r} is not a number")
        elif kind is Kind.INTEGER:
            if not (value_text.isascii() and value_text.isdigit()):
                raise Rejected(f"{name}={value!r} is not an integer")
            if len(value_text) > 9 and int(value_text) > MAX_INTEGER:
                raise Rejected(f"{name} is over the largest version (2^31 - 1)")
        elif kind is Kind.CODE:
            allowed = field.allowed or frozenset()
            if value_text not in allowed:
                shown = sorted(allowed, key=lambda c: (len(c), c))
                raise Rejected(f"{name}={value_text!r} is not one of the codes {shown}")
    return record


def items(record: dict[str, Any], field: str, name: str | None = None) -> list[dict[str, Any]]:
    """The items of a nested list (missing or "" is the empty list)."""
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


def stored_form(record: dict[str, Any]) -> bytes:
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


@dataclass(frozen=True)
class DeclaredParse:
    """The fast path of an entity whose records are declared as a msgspec shape.

    The fetch decodes pages straight into `shape` (`ingestion.records.declared` of the
    declaration) wherever they fit it. For such a record, `clean(record, days, times)` (with
    `plausible_times()`, read once a page) is True when every value is exactly what staging
    reads, so that the checked path (`Entity.parse`) would accept it as it is; the record's personal data is then hidden in place, it is encoded as stored,
    and `row(record, stored)` builds its row from it and those JSON bytes. Anything else — a
    record that does not fit the shape, is not clean, or whose stored form is refused —
    takes the checked path as a dict, which gives the reason. Both paths give the same row
    for a record both accept (each source's tests compare them).
    """

    shape: type
    clean: Callable[[Any, frozenset[str], frozenset[str]], bool]
    row: Callable[[Any, bytes], Row]
    #: the declaration the shape is derived from (`ingestion.declarations`)
    record: type | None = None


def time_reader(shape: type[msgspec.Struct], name: str) -> Callable[[Any], datetime | None]:
    """A function reading the top-level time field `name` of a record of `shape` (a dict, or a
    struct decoded into a shape whose attributes are native names) as an aware datetime; None
    for a value that is empty or no plausible time of its kind. Raises ValueError unless `shape`
    declares `name` as a time."""
    field = next((f for f in spec(shape) if f.name == name), None)
    if field is None or field.kind not in TIMES:
        raise ValueError(f"{shape.__name__} declares no time field {name!r}")
    kind = field.kind

    def read(record: Any) -> datetime | None:
        value = record.get(name) if isinstance(record, dict) else getattr(record, name, None)
        if kind in (Kind.EPOCH_SECONDS, Kind.EPOCH_MILLIS):
            low, high = epoch_bounds(kind)
            if not _epoch_number(kind, value) or not low <= value < high:
                return None
            return datetime.fromtimestamp(value / (1000 if kind is Kind.EPOCH_MILLIS else 1), UTC)
        if not isinstance(value, str) or not value.strip():
            return None
        value = value.strip()
        if kind is Kind.ISO_TIME:
            return None if iso_refusal(value) else datetime.fromisoformat(value)
        if not is_compact(value) or not _EARLIEST <= value[:4] <= latest_year():
            return None
        return parse_compact(value)

    return read


# --- the fast path's check ------------------------------------------------------------------

PlainCheck = Callable[..., bool]


def _refused(field: FieldSpec, name: str) -> str:
    """The test of `plain_check` that is True for a non-empty `v` the kind of `field` (read as
    `r.<name>`) refuses; "" when its kind has none."""
    if field.kind is Kind.LOCAL_TIME:
        return "not (len(v) == 14 and v[:8] in days and v[8:] in times)"
    if field.kind is Kind.ISO_TIME:
        return "(v != v.strip() or iso_refusal(v) is not None)"
    if field.kind is Kind.KEY:
        return "(len(v) > MAX_KEY or v != v.strip())"
    if field.kind is Kind.DECIMAL:
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
    return field.kind in (Kind.LOCAL_TIME, Kind.ISO_TIME, Kind.KEY, Kind.INTEGER)


def _wired_tests(field: FieldSpec, name: str, names: dict[str, Any]) -> list[str]:
    """The tests of a field sent as a JSON boolean or integer (decoded as one, or UNSET)."""
    tests = ["v is UNSET"] if field.required or field.present else []
    if field.kind is Kind.COUNT:
        tests.append(f"v is not UNSET and not 0 <= v <= {MAX_COUNT}")
    if field.kind in (Kind.EPOCH_SECONDS, Kind.EPOCH_MILLIS):
        # the bounds of each epoch kind are read once a record (`plain_check`'s first lines)
        names[f"kind_{field.kind.value}"] = field.kind
        low, high = f"low_{field.kind.value}", f"high_{field.kind.value}"
        tests.append(f"v is not UNSET and not ({low} <= v < {high})")
    return tests


@cache
def plain_check(shape: type[msgspec.Struct]) -> PlainCheck | None:
    """A function telling whether `check_record` accepts every value of a record decoded into its
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
    names: dict[str, Any] = {
        "UNSET": UNSET,
        "MAX_KEY": MAX_KEY_CHARS,
        "number": _NUMBER.match,
        "iso_refusal": iso_refusal,
        "epoch_bounds": epoch_bounds,
    }
    for field in spec(shape):
        name = attribute(shape.__name__, field.name)
        if field.items is not None:
            if field.present:
                lines.append(f"    if r.{name} is UNSET: return False")
            nested = plain_check(field.items)
            if nested is not None:
                names[f"check_{name}"] = nested
                lines += [
                    f"    for item in r.{name} or ():",
                    f"        if not check_{name}(item, days, times): return False",
                ]
            continue
        if field.wire is not str:
            tests = _wired_tests(field, name, names)
        else:
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
    epochs = sorted(name.removeprefix("kind_") for name in names if name.startswith("kind_"))
    bounds = [f"    low_{kind}, high_{kind} = epoch_bounds(kind_{kind})" for kind in epochs]
    return compiled(
        [lines[0], *bounds, *lines[1:], "    return True"], names, f"plain check of {shape.__name__}"
    )


def fast_path(
    record: type[msgspec.Struct],
    row: Callable[[Any, bytes], Any],
    *,
    also: Callable[[Any], bool] | None = None,
    loader_fields: tuple[str, ...] = (),
) -> DeclaredParse:
    """The fast path of an entity whose records `record` declares: pages decoded into its strict
    type (`declared`, with the `loader_fields` the loader writes), each record clean when
    `plain_check` says so and, if given, `also(record)` (a rule across fields, e.g. received no
    later than finished); `row(record, stored)` builds its row."""
    check = plain_check(record)
    if also is None:
        clean = check or (lambda r, days, times: True)
    else:
        first = check or (lambda r, days, times: True)

        def clean(r: Any, days: frozenset[str], times: frozenset[str]) -> bool:
            return first(r, days, times) and also(r)

    return DeclaredParse(declared(record, loader_fields), clean, row, record)
