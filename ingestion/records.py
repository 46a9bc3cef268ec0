"""A declared record shape as the loader's fast path decodes it: strictly, in one pass.

A source declares each record once as a msgspec struct (its `*_records` module, with the
kinds of `ingestion.declarations`).
`declared(shape)` derives from it the type a page is decoded into on the fast path:

- every declared field, and nothing else: a field the declaration does not know fails the
  decode (the record then takes the checked path, where the allow-list pseudonymises and
  counts it);
- every scalar field of the JSON type its kind is sent as (a string, or a boolean or an
  integer: `ingestion.declarations.WIRE`), every list field a list of its declared items: a
  number, a null or an object where a string is declared fails the decode the same way;
- a field the record does not carry stays absent (`UNSET`), so the record is stored with
  exactly the keys it came with;
- the fields in jsonb's key order (shorter names first, then byte order): the record is
  encoded in the order PostgreSQL stores a jsonb object's keys, so the server finds each object
  already sorted instead of sorting it (measured: 3 µs a row of server CPU, an eighth of the
  whole load, on the generator's dossiers and progress rows);
- untracked by the cyclic garbage collector (`gc=False`): a decoded record is a tree of
  strings, lists and structs that can hold no reference cycle, freed by reference counting.

The decode validates types only; what the values mean (times, codes, keys) is the source's
check, run on the decoded struct before anything else reads it.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from functools import cache
from typing import Any, get_args, get_origin, get_type_hints

import msgspec
from msgspec import UNSET, UnsetType

#: Encodes a declared record as stored: absent (UNSET) fields omitted, keys in declaration order.
ENCODER = msgspec.json.Encoder()


def jsonb_key_order(name: str) -> tuple[int, bytes]:
    """How jsonb orders an object's keys: by length in bytes, then bytewise (PostgreSQL's
    `lengthCompareJsonbString`)."""
    encoded = name.encode()
    return len(encoded), encoded


@cache
def declared(shape: type[msgspec.Struct], loader_fields: tuple[str, ...] = ()) -> type[msgspec.Struct]:
    """The strict decode type of `shape` (see the module docstring); `loader_fields` are fields
    the loader itself fills (the attributes derived from a citizen id): a record that carries
    one from its source does not fit the shape (it takes the checked path, where that value is
    an undeclared field)."""
    hints = get_type_hints(shape)
    fields: list[tuple[str, Any, Any]] = []
    for info in msgspec.structs.fields(shape):
        hint = hints[info.name]
        if get_origin(hint) is list:
            kind: Any = list[declared(get_args(hint)[0])]  # type: ignore[misc]
        else:
            kind = hint if hint in (bool, int, int | float) else str  # as sent: `ingestion.declarations.WIRE`
        fields.append((info.encode_name, kind | UnsetType, UNSET))
    fields.extend((name, UnsetType, UNSET) for name in loader_fields)  # set after decoding only
    fields.sort(key=lambda field: jsonb_key_order(field[0]))
    return msgspec.defstruct(
        f"Declared{shape.__name__}",
        fields,
        kw_only=True,
        forbid_unknown_fields=True,
        gc=False,
        module=__name__,
    )


def attribute(shape_name: str, field: str) -> str:
    """`field` checked as an attribute name generated code may read (`r.<field>`)."""
    if not field.isidentifier() or keyword.iskeyword(field):
        raise ValueError(f"{shape_name}.{field}: not a name the fast path can read")
    return field


def compiled(lines: list[str], names: dict[str, Any], label: str) -> Callable[..., Any]:
    """The function defined by `lines` (its `def` first), compiled with `names` as its globals;
    its source is kept in its `source` attribute.

    The fast path's per-record steps are written from a shape's declarations as straight-line
    code reading each field by name (`r.MaHoSo`), because they run for every record and a
    loop over field names with `getattr` costs about twice as much. `attribute` guards each name.
    """
    source = "\n".join([*lines, ""])
    namespace = dict(names)
    exec(compile(source, f"<{label}>", "exec"), namespace)  # noqa: S102
    function = namespace[lines[0].split()[1].split("(")[0]]
    function.source = source
    return function
