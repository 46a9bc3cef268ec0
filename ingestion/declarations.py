"""Record declarations shared by every source: field kinds, privacy, opaque identifiers.

A source declares each native record once as a msgspec struct (its `*_records` module) whose
fields are annotated with the kinds below. Everything else is derived from that declaration:
the fast path's decode type (`ingestion.records.declared`), the checked path and the fast
path's check (`ingestion.record_checks`), the privacy allow-list (`privacy_policy`) and a blank
or example record (`blank_record`, `example_record`, for tests and replays).

Kinds (surrounding spaces are ignored by every string kind, on both sides; "" or a missing
value is empty):

- `Text`: any string (a number is tolerated and read as its digits);
- `Key`: a non-empty string, the record's natural key (stored as sent: a citizen id there makes
  the record a reject);
- `Code[<seed>]` (`code(seed)`): one of the codes of a code-list seed (`core/code_lists.py`);
- `Integer`: digits, at most 2^31 - 1; `Decimal`: digits with an optional "." or "," part;
- `Boolean`: JSON `true` or `false`;
- `LocalTime`: `yyyyMMddHHmmss` local time; `IsoTime`: ISO 8601 with an offset
  (`2025-09-01T08:30:00+07:00`, `...Z`); `EpochSeconds`: a JSON number (a fraction allowed, as
  Frigate sends); `EpochMillis`: a JSON integer — every time a real one from EARLIEST_YEAR to
  the end of next year;
- `Personal`: names, ids, phone numbers, e-mail and postal addresses of a person
  (pseudonymised before anything else reads the record);
- `FreeText`: text typed by a person (citizen ids, phone numbers, e-mails and the personal
  values of the record, the batch and its case hidden: `ingestion.privacy`);
- an opaque identifier that declares its pattern (`Annotated[Key, UUID]`, `AGENCY_ID` for a
  QCVN 102 agency id, `DOSSIER_CODE`): a value matching the pattern whole is exempt from the
  citizen-id check (`ingestion.personal_text`) — a random UUID's last group may spell one —,
  any other value of that field is checked;
- a list of a nested struct: missing or "" is the empty list.

Privacy by allow-list: a field not declared is pseudonymised and reported in
`ops.unknown_fields`; a citizen id found in a plain field is pseudonymised (in a `Key`, it
makes the record a reject). Every top-level plain field of a `Record` is present in every
record the source sends (possibly empty) unless declared `OPTIONAL`; personal and free-text
fields may be absent (no indicator reads them), and so may fields of nested items.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import msgspec

from core.code_lists import codes
from ingestion.privacy import PersonalFields


class Kind(enum.Enum):
    TEXT = "text"
    KEY = "key"
    CODE = "code"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    LOCAL_TIME = "local_time"
    ISO_TIME = "iso_time"
    EPOCH_SECONDS = "epoch_seconds"
    EPOCH_MILLIS = "epoch_millis"
    COUNT = "count"


#: the JSON type each kind is sent as, where it is not a string (the fast path decodes into it)
WIRE: dict[Kind, Any] = {
    Kind.BOOLEAN: bool,
    Kind.EPOCH_SECONDS: int | float,
    Kind.EPOCH_MILLIS: int,
    Kind.COUNT: int,
}
#: the kinds that hold a time
TIMES = frozenset({Kind.LOCAL_TIME, Kind.ISO_TIME, Kind.EPOCH_SECONDS, Kind.EPOCH_MILLIS})


class Privacy(enum.Enum):
    PLAIN = "plain"
    PERSONAL = "personal"
    FREE_TEXT = "free_text"


@dataclass(frozen=True)
class Opaque:
    """An opaque identifier's form: a value matching `pattern` whole is no citizen id."""

    name: str
    pattern: str

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    def matches(self, value: str) -> bool:
        return self.regex.fullmatch(value) is not None


UUID = Opaque("UUID", r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
#: QCVN 102:2016 agency id, `NNN.NN.NN.ANN` (e.g. `000.00.12.H57`)
AGENCY_ID = Opaque("QCVN 102 agency id", r"[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}")
#: a dossier code, `<agency id>-<yyMMdd>-<sequence>` (e.g. `000.00.12.H57-250905-00123`)
DOSSIER_CODE = Opaque("dossier code", AGENCY_ID.pattern + r"-[0-9]{6}-[0-9]{1,6}")
#: a request id of a lookup in a national database (`MaYeuCau`): the calling system's prefix and the
#: second it was made (its digit run is a time), sometimes a sequence number (`THA_DVC_20250905083012`)
REQUEST_ID = Opaque("request id", r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*_[0-9]{14}(_[0-9]{1,6})?")


def _kind(kind: Kind, code_list: str | None = None, privacy: Privacy = Privacy.PLAIN) -> msgspec.Meta:
    extra: dict[str, Any] = {"kind": kind, "privacy": privacy}
    if code_list:
        extra["code_list"] = code_list
    return msgspec.Meta(extra=extra)


_NOT_EMPTY = msgspec.Meta(min_length=1)

Text = Annotated[str, _kind(Kind.TEXT)]
Key = Annotated[str, _NOT_EMPTY, _kind(Kind.KEY)]
Integer = Annotated[str, _kind(Kind.INTEGER)]
Decimal = Annotated[str, _kind(Kind.DECIMAL)]
Boolean = Annotated[bool, _kind(Kind.BOOLEAN)]
LocalTime = Annotated[str, _kind(Kind.LOCAL_TIME)]
RequiredLocalTime = Annotated[str, _NOT_EMPTY, _kind(Kind.LOCAL_TIME)]
IsoTime = Annotated[str, _kind(Kind.ISO_TIME)]
EpochSeconds = Annotated[int | float, _kind(Kind.EPOCH_SECONDS)]
EpochMillis = Annotated[int, _kind(Kind.EPOCH_MILLIS)]
#: a whole number from 0 sent as a JSON integer (a size, an HTTP status); `Integer` is sent as a string
Count = Annotated[int, _kind(Kind.COUNT)]
Personal = Annotated[str, _kind(Kind.TEXT, privacy=Privacy.PERSONAL)]
FreeText = Annotated[str, _kind(Kind.TEXT, privacy=Privacy.FREE_TEXT)]
#: marks a top-level field a record may leave out (the source does not always send it)
OPTIONAL = msgspec.Meta(extra={"optional": True})
#: marks a field of another kind (an epoch, a boolean) that every record must fill
REQUIRED = msgspec.Meta(extra={"required": True})


def example(value: Any) -> msgspec.Meta:
    """A field's example value, for a kind whose own example a rule of its record refuses (a point)."""
    return msgspec.Meta(extra={"example": value})


def code(seed: str) -> Any:
    """The kind of a field holding one of the codes of code-list seed `seed`."""
    return Annotated[str, _kind(Kind.CODE, seed)]


class Record(msgspec.Struct, kw_only=True):
    """A top-level record shape: each of its fields is present in every record unless `OPTIONAL`."""


@dataclass(frozen=True)
class FieldSpec:
    """One declared field: its name in the native record and what it must hold."""

    name: str
    kind: Kind | None  # None for a nested list
    required: bool
    allowed: frozenset[str] | None = None  # codes of a Code field
    items: type[msgspec.Struct] | None = None  # struct of a nested list's items
    privacy: Privacy = Privacy.PLAIN
    present: bool = False  # every record carries it (possibly empty): top-level, not OPTIONAL
    opaque: Opaque | None = None  # the form of an opaque identifier exempt from the id check
    example: Any = None  # a plain value it declares for example records (else its kind's)

    @property
    def wire(self) -> type:
        """The JSON type the value is sent as (the fast path decodes into it)."""
        return WIRE.get(self.kind, str) if self.kind is not None else list


def _extras(hint: Any) -> list[Any]:
    return list(get_args(hint)[1:]) if get_origin(hint) is Annotated else []


@cache
def spec(shape: type[msgspec.Struct]) -> tuple[FieldSpec, ...]:
    """The declared fields of `shape`, in declaration order."""
    hints = get_type_hints(shape, include_extras=True)
    record = issubclass(shape, Record)
    found = []
    for info in msgspec.structs.fields(shape):
        hint = hints[info.name]
        extras = _extras(hint)
        metas = [getattr(meta, "extra", None) or {} for meta in extras]
        present = record and not any(meta.get("optional") for meta in metas)
        listed = get_args(hint)[0] if extras else hint
        if get_origin(listed) is list:
            found.append(
                FieldSpec(info.encode_name, None, info.required, items=get_args(listed)[0], present=present)
            )
            continue
        kind, allowed, privacy = None, None, Privacy.PLAIN
        required = info.required or any(meta.get("required") for meta in metas)
        opaque = next((meta for meta in extras if isinstance(meta, Opaque)), None)
        for meta, extra in zip(extras, metas, strict=True):
            if "kind" in extra:
                kind = extra["kind"]
                privacy = extra.get("privacy", Privacy.PLAIN)
                if "code_list" in extra:
                    allowed = codes(extra["code_list"])
            if getattr(meta, "min_length", None):
                required = True
        if kind is None:
            raise TypeError(f"{shape.__name__}.{info.name} declares no kind")
        if opaque is not None and kind not in (Kind.TEXT, Kind.KEY):
            raise TypeError(f"{shape.__name__}.{info.name}: only a text or a key is an opaque identifier")
        # personal and free-text fields feed no indicator: one renamed is hidden as an undeclared field
        present = present and privacy is Privacy.PLAIN
        example = next((meta["example"] for meta in metas if "example" in meta), None)
        found.append(
            FieldSpec(
                info.encode_name,
                kind,
                required,
                allowed,
                privacy=privacy,
                present=present,
                opaque=opaque,
                example=example,
            )
        )
    return tuple(found)


@cache
def privacy_policy(
    shape: type[msgspec.Struct],
    derive_from: str | None = None,
    derived_key: str = "_applicant",
    *,
    repeats: bool = False,
    case_key: str | None = None,
    case_people: bool = False,
) -> PersonalFields:
    """The allow-list of `shape`: its personal and free-text fields, every declared name, nested
    too, its natural-key fields and its opaque identifiers (`repeats`, `case_key`,
    `case_people`: see `PersonalFields`)."""
    fields = spec(shape)
    return PersonalFields(
        fields=tuple(f.name for f in fields if f.privacy is Privacy.PERSONAL),
        nested={f.name: privacy_policy(f.items) for f in fields if f.items is not None},
        free_text=tuple(f.name for f in fields if f.privacy is Privacy.FREE_TEXT),
        derive_from=derive_from,
        derived_key=derived_key,
        known=frozenset(f.name for f in fields),
        repeats=repeats,
        keys=frozenset(f.name for f in fields if f.kind is Kind.KEY),
        case_key=case_key,
        case_people=case_people,
        opaque={f.name: f.opaque.regex for f in fields if f.opaque is not None},
    )


def names(shape: type[msgspec.Struct], kind: Kind) -> tuple[str, ...]:
    """Native names of the fields of `shape` of one kind."""
    return tuple(f.name for f in spec(shape) if f.kind is kind)


def opaque_ids(shape: type[msgspec.Struct]) -> tuple[Opaque, ...]:
    """The forms of the opaque identifiers `shape` declares, nested too."""
    found: dict[str, Opaque] = {}
    for f in spec(shape):
        if f.opaque is not None:
            found[f.opaque.pattern] = f.opaque
        elif f.items is not None:
            found |= {o.pattern: o for o in opaque_ids(f.items)}
    return tuple(found.values())


def _empty(field: FieldSpec) -> Any:
    return [] if field.items is not None else "" if field.wire is str else None


def blank_record(shape: type[msgspec.Struct]) -> dict[str, Any]:
    """A record of `shape` carrying every field it must carry, each empty ("" , [] or null): what
    a hand-written record (a test, a replay) starts from."""
    return {f.name: _empty(f) for f in spec(shape) if f.present}


#: a plain value of each kind, as the source sends it (a time of 1 September 2025, 08:30 local)
EXAMPLES: dict[Kind, Any] = {
    Kind.TEXT: "x",
    Kind.KEY: "K-1",
    Kind.INTEGER: "1",
    Kind.DECIMAL: "1.5",
    Kind.BOOLEAN: True,
    Kind.LOCAL_TIME: "20250901083000",
    Kind.ISO_TIME: "2025-09-01T08:30:00+07:00",
    Kind.EPOCH_SECONDS: 1756690200,
    Kind.EPOCH_MILLIS: 1756690200000,
    Kind.COUNT: 1,
}
_OPAQUE_EXAMPLES = {
    UUID.pattern: "0b0f7a8e-3c1d-4e5f-9a2b-6c8d0e2f4a1b",
    AGENCY_ID.pattern: "000.00.12.H57",
    DOSSIER_CODE.pattern: "000.00.12.H57-250905-00123",
    REQUEST_ID.pattern: "THA_DVC_20250905083012",
}


def example_record(shape: type[msgspec.Struct]) -> dict[str, Any]:
    """A record of `shape` with every field filled with a plain value of its kind (the first of a
    code list's codes; personal and free text as a name and a sentence naming it), each list
    with one example item: a record both paths accept."""
    record: dict[str, Any] = {}
    for f in spec(shape):
        if f.items is not None:
            record[f.name] = [example_record(f.items)]
        elif f.kind is Kind.CODE:
            record[f.name] = min(f.allowed or {""}, key=lambda c: (len(c), c))
        elif f.privacy is Privacy.PERSONAL:
            record[f.name] = "Nguyễn Văn An"
        elif f.privacy is Privacy.FREE_TEXT:
            record[f.name] = "ghi chú của Nguyễn Văn An"
        elif f.example is not None:
            record[f.name] = f.example
        elif f.opaque is not None:
            record[f.name] = _OPAQUE_EXAMPLES.get(f.opaque.pattern, EXAMPLES[f.kind])
        else:
            assert f.kind is not None
            record[f.name] = EXAMPLES[f.kind]
    return record
