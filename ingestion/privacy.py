"""Pseudonymisation of personal data before the first write, and masking of logs.

Citizen identifiers, names and contact details never reach the warehouse in clear: each
personal field of a record is replaced by a keyed hash (HMAC-SHA-256 with a key from
configuration, truncated to 128 bits), so the same person gets the same pseudonym across
sources and loads without the warehouse ever holding the value. Pseudonyms are written
with letters only (`psn:` + 32 letters a–p) so they can never be mistaken for an id number.

The coarse attributes indicators need (birth year, sex, birth-registration province) are
read off a 12-digit citizen id before it is hashed (DOMAIN.md §2, §6).
"""

from __future__ import annotations

import binascii
import hashlib
import logging
import operator
import re
import unicodedata
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from typing import Any

import orjson

from core.settings import ConfigError, Settings
from ingestion.records import attribute, compiled

PREFIX = "psn:"
#: Published, not secret: used only when DTIMON_ENV is demo or test, and says so.
DEMO_KEY = "dtimon-demo-key-not-secret"
_BLOCK = 64  # SHA-256 block size
_HEX_TO_LETTERS = bytes.maketrans(b"0123456789abcdef", b"abcdefghijklmnop")
_PREFIX_BYTES = PREFIX.encode()
#: 9- or 12-digit runs (old and new citizen ids) and 10–11 digit phone numbers.
_ID_RUN = re.compile(r"(?<!\d)(\d{9,12})(?!\d)")


#: a separator between two digits ("0912 345 678", "056-090-001234"): removed before masking
#: (written separator first, then the digit before it: the regex engine scans for the separator)
_DIGIT_SEPARATOR = re.compile(r"[ .\-](?<=\d[ .\-])(?=\d)")
#: personal values shorter than this are not searched for in free text (too many false hits)
MIN_SEARCHED = 4


def mask_text(text: str) -> str:
    """`text` with every run of 9–12 digits (an id or phone number) replaced by ***."""
    return _ID_RUN.sub("***", text)


def normalise(value: str) -> str:
    """One spelling of an identifier or name: Unicode NFC, case-folded, whitespace collapsed.

    Pseudonyms are computed on this, so "Nguyễn Văn An" typed in NFC or NFD, in capitals
    or with doubled spaces is one person with one pseudonym.
    """
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


def spell_text(text: str) -> tuple[str, str]:
    """(the text searched for personal values: normalised, separators between digits removed;
    the text with every id-like digit run, even written with separators, replaced by ***)."""
    joined = _DIGIT_SEPARATOR.sub("", text)
    masked = _ID_RUN.sub("***", joined)
    return normalise(joined), masked if masked != joined else text


def scrub_text(text: str, personal: Sequence[str], spelled: tuple[str, str] | None = None) -> str:
    """Free text without ids or the record's own personal values.

    `personal` are the record's personal values, normalised (`normalise`, separators between
    digits removed). The text is searched in that spelling too (NFC or NFD, any case, any
    spacing); each value found is replaced by *** (the text is then kept in NFC with its
    spaces collapsed), and every id-like digit run, even written with separators, by ***.
    `spelled` is `spell_text(text)` when the caller has it already.
    """
    searched, masked = spelled or spell_text(text)
    for value in personal:
        if value in searched:
            break
    else:
        return masked
    found = [value for value in personal if value in searched]
    joined = " ".join(unicodedata.normalize("NFC", _DIGIT_SEPARATOR.sub("", text)).split())
    for value in found:
        joined = re.sub(re.escape(value).replace(r"\ ", " "), "***", joined, flags=re.IGNORECASE)
    return _ID_RUN.sub("***", joined)


def _digest(inner: Any, outer: Any, value: str) -> bytes:
    """HMAC-SHA-256 of `value` from the key's inner and outer SHA-256 states (RFC 2104)."""
    inner = inner.copy()
    inner.update(value.encode())
    outer = outer.copy()
    outer.update(inner.digest())
    digest: bytes = outer.digest()
    return digest


def _personal_entry(inner: Any, outer: Any, value: str) -> tuple[str, str]:
    """(the pseudonym of the personal string `value`, its searched spelling or "" when it is
    not searched for in free text: shorter than MIN_SEARCHED, or a pseudonym already).

    The pseudonym is `psn:` and the first 128 bits of the HMAC of the value's `normalise`d
    spelling, written in the letters a–p.
    """
    if value.startswith(PREFIX):
        return value, ""  # already pseudonymised (e.g. a replayed export)
    if value.isascii() and value.isdigit():
        normalised = spelled = value  # an id or a phone number: already in both spellings
    else:
        normalised = normalise(value)
        spelled = _DIGIT_SEPARATOR.sub("", normalised)
    hexed = binascii.hexlify(_digest(inner, outer, normalised)[:16])
    pseudonym = (_PREFIX_BYTES + hexed.translate(_HEX_TO_LETTERS)).decode()
    return pseudonym, spelled if len(value) >= MIN_SEARCHED and len(spelled) >= MIN_SEARCHED else ""


class Pseudonymiser:
    """Keyed, deterministic pseudonyms: `pseudonym(v)` is the same for the same key and value.

    One instance serves one batch. Names and ids repeat across a batch, so each distinct
    value's pseudonym and searched spelling, and each free text's spellings, are remembered:
    up to `CACHE_SIZE` of each, the least recently used dropped first, so memory is bounded
    whatever the batch's interval.
    """

    #: Distinct values (and, apart, free texts) remembered, the least recently used dropped
    #: first: at most about 1.5 MiB each (~380 bytes a value), however long the interval. On
    #: the sandbox's month (17,348 distinct values met 6 times each, a dossier's versions days
    #: apart) this computes 34,100 pseudonyms where an unbounded cache computes 17,400 (2.5 µs
    #: each: about 1 µs a row) and keeps one ingest task's peak memory flat from a week to three
    #: months (README, "Benchmark", with 8,192 and 6,000 entries tried).
    CACHE_SIZE = 4096

    def __init__(self, key: str) -> None:
        if not key:
            raise ConfigError("the pseudonymisation key is empty")
        # HMAC (RFC 2104) with the keyed inner and outer SHA-256 states computed once:
        # the same digest as hmac.digest(key, value, "sha256"), at a third of the cost.
        block = key.encode()
        if len(block) > _BLOCK:
            block = hashlib.sha256(block).digest()
        block = block.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        # functools' LRU (C) over functions that do not hold this instance: no reference
        # cycle keeps a finished batch's entries alive next to the next batch's
        #: a personal string → (its pseudonym, its searched spelling or "")
        self._entry: Callable[[str], tuple[str, str]] = lru_cache(maxsize=self.CACHE_SIZE)(
            partial(_personal_entry, self._inner, self._outer)
        )
        #: a free text → `spell_text` of it (summaries and file names repeat)
        self._spelling: Callable[[str], tuple[str, str]] = lru_cache(maxsize=self.CACHE_SIZE)(spell_text)
        self._searched: list[str] = []  # the current record's personal values, normalised
        #: for the last policy that `repeats` met: the walked values → what they became
        self._repeats: PersonalFields | None = None
        self._repeated: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def digest(self, value: str) -> bytes:
        """HMAC-SHA-256 of `value` under the key."""
        return _digest(self._inner, self._outer, value)

    @classmethod
    def from_settings(cls, settings: Settings) -> Pseudonymiser:
        """The configured key; the published demo key only in demo and test environments."""
        if settings.pseudonym_key:
            return cls(settings.pseudonym_key)
        if settings.environment in {"demo", "test"}:
            logging.getLogger(__name__).warning(
                "DTIMON_PSEUDONYM_KEY is not set: using the published demo key (DTIMON_ENV=%s); "
                "pseudonyms are not protected",
                settings.environment,
            )
            return cls(DEMO_KEY)
        raise ConfigError(
            "DTIMON_PSEUDONYM_KEY is not set. Personal data is pseudonymised with this key before it is "
            "stored: set it to a long random secret (keep it out of the repository), or set DTIMON_ENV=demo "
            "to run on simulated data with the published demo key."
        )

    def pseudonym(self, value: str) -> str:
        """The pseudonym of a personal string; a pseudonym already (a replayed export) stays."""
        return self._entry(value)[0]

    def hide(self, value: Any) -> Any:
        """The pseudonym of a personal value, whatever its JSON type; missing values stay missing."""
        if value is None or value == "":
            return value
        if type(value) is not str:
            # a number where a string was promised, or a structure: its text is still personal
            value = str(value) if isinstance(value, int | float) else orjson.dumps(value).decode()
        return self.pseudonym(value)

    def apply(
        self,
        record: MutableMapping[str, Any],
        policy: PersonalFields,
        unknown: dict[str, int] | None = None,
    ) -> MutableMapping[str, Any]:
        """Make `record` safe to store, in place, by `policy`; returns `record`.

        Personal fields become pseudonyms; free-text fields lose id-like digit runs and the
        record's own personal values; with an allow-list (`policy.known`), every field not
        declared is pseudonymised too and counted in `unknown` by its path (`List[].Field`).
        """
        # read before the id is hidden, stored after the walk: the derived key is the loader's,
        # so a value the source sent under it is an undeclared field like any other
        derived = citizen_attributes(record.get(policy.derive_from)) if policy.derive_from else None
        if not policy.has_free_text:
            self._apply(record, policy, None, unknown, "", None)
        else:
            # One walk: the personal values are collected as they are hidden, the free texts are
            # scrubbed after it (they are searched for all of the record's personal values).
            searched = self._searched  # reused: no new object per record
            searched.clear()
            pending: list[tuple[MutableMapping[str, Any], str, str]] = []
            self._apply(record, policy, searched, unknown, "", pending)
            if pending:
                self._scrub(pending, searched, operator.setitem)
        if derived:
            record[policy.derived_key] = derived
        return record

    def apply_declared(self, record: Any, policy: PersonalFields) -> Any:
        """`apply` for a record decoded into its declared shape (`ingestion.records.declared`),
        in place; returns `record`.

        Such a record holds only declared fields, every value a string, a list of declared
        items or absent (UNSET), so the walk reads attributes and looks nothing else up: no
        undeclared field to find, no type to test. It visits the fields in `apply`'s order
        and hides, searches and scrubs them by the same rules, so both give the same record
        (tests/unit/test_declared_path.py compares them). For a policy that `repeats`, a
        combination of values met before in the batch is given what it became then (up to
        `CACHE_SIZE` combinations, all forgotten when full; 0.3 µs less a progress row in the
        loader).
        """
        if policy.repeats:
            if policy is not self._repeats:  # one memo a policy: another policy starts afresh
                self._repeats, self._repeated = policy, {}
            policy.repeated_walk(record, self._repeated, self._walk_declared, self.CACHE_SIZE)
        else:
            self._walk_declared(record, policy)
        return record

    def _walk_declared(self, record: Any, policy: PersonalFields) -> None:
        searched = self._searched
        searched.clear()
        pending: list[tuple[Any, str, str]] = []
        policy.declared_walk(record, searched, pending, self._entry)
        if pending:
            self._scrub(pending, searched, setattr)

    def _scrub(
        self,
        pending: list[tuple[Any, str, str]],
        searched: list[str],
        assign: Callable[[Any, str, str], None],
    ) -> None:
        """Scrub each free text in `pending` (item, name, text) by `scrub_text` — every id-like
        digit run, even written with separators, and each of the record's personal values
        (their searched spellings, `searched`) found in it replaced by *** — and `assign` it
        back (`setattr` or `operator.setitem`). A text's spellings are remembered: texts repeat."""
        spelling = self._spelling
        for item, name, text in pending:
            spelled = spelling(text)
            in_text = spelled[0]
            for value in searched:
                if value in in_text:
                    assign(item, name, scrub_text(text, searched, spelled))
                    break
            else:
                if spelled[1] is not text:
                    assign(item, name, spelled[1])

    def _apply_fields(
        self,
        records: Sequence[Any],
        policy: PersonalFields,
        searched: list[str] | None,
        unknown: dict[str, int] | None,
        prefix: str,
        pending: list[tuple[MutableMapping[str, Any], str, str]] | None,
    ) -> None:
        """The fields of `policy` itself (not its nested lists) in every dict of `records`, in place.

        With `pending` (the record has free text somewhere), each personal value is added to
        `searched` (in its searched spelling) before it is hidden, and each free text is left
        for the caller to scrub, in `pending`; without it, free text only loses its id runs.
        """
        free_text, fields, known = policy.free_text, policy.fields, policy.known
        entry_of, hide = self._entry, self.hide
        for record in records:
            if type(record) is not dict and not isinstance(record, MutableMapping):
                continue  # an item that is not an object holds no fields
            for name in free_text:
                value = record.get(name)
                if value:
                    text = value if type(value) is str else str(value)
                    if pending is not None:
                        pending.append((record, name, text))
                    else:
                        record[name] = mask_text(text)
            for name in fields:
                value = record.get(name)
                if value is None or value == "":
                    continue  # missing stays missing (as `hide` leaves it)
                if type(value) is str:
                    entry = entry_of(value)
                    record[name] = entry[0]
                    if searched is not None and entry[1]:
                        searched.append(entry[1])
                else:
                    record[name] = hide(value)
            if known is not None and not record.keys() <= known:
                for name in [name for name in record if name not in known]:
                    record[name] = hide(record[name])
                    if unknown is not None:
                        path = prefix + name
                        unknown[path] = unknown.get(path, 0) + 1

    def _apply(
        self,
        record: MutableMapping[str, Any],
        policy: PersonalFields,
        searched: list[str] | None,
        unknown: dict[str, int] | None,
        prefix: str,
        pending: list[tuple[MutableMapping[str, Any], str, str]] | None,
    ) -> None:
        self._apply_fields((record,), policy, searched, unknown, prefix, pending)
        hide = self.hide
        for list_name, sub in policy.nested.items():
            items = record.get(list_name)
            if type(items) is not list or not items:
                continue
            if isinstance(sub, PersonalFields):
                inner = f"{prefix}{list_name}[]."
                if sub.only_known:  # nothing to hide unless a field is not declared
                    sub_known = sub.known or frozenset()
                    for item in items:
                        if type(item) is dict and not item.keys() <= sub_known:
                            self._apply(item, sub, searched, unknown, inner, pending)
                    continue
                if sub.nested:
                    for item in items:
                        if type(item) is dict:
                            self._apply(item, sub, searched, unknown, inner, pending)
                else:  # one call for the whole list
                    self._apply_fields(items, sub, searched, unknown, inner, pending)
                continue
            for item in items:
                if type(item) is dict:
                    for name in sub:
                        if name in item:
                            value = item[name]
                            if type(value) is str and value:
                                entry = self._entry(value)
                                item[name] = entry[0]
                                if searched is not None and entry[1]:
                                    searched.append(entry[1])
                            else:
                                item[name] = hide(value)


@dataclass(frozen=True)
class PersonalFields:
    """Which fields of a source record are personal data.

    `fields` are top-level string fields; `nested` maps a list field to the personal fields
    of its items; `free_text` fields keep their text with id-like digit runs masked;
    `derive_from` names the citizen-id field whose coarse attributes are kept (under
    `derived_key`, a name only the loader writes: a source's value under it is undeclared)
    before it is pseudonymised.
    """

    fields: Sequence[str]
    #: a list field → the personal fields of its items, or the items' own full policy
    nested: Mapping[str, Sequence[str] | PersonalFields] = field(default_factory=dict)
    free_text: Sequence[str] = ()
    derive_from: str | None = None
    derived_key: str = "_applicant"
    #: the allow-list: every field the source declares (personal, free text or plain);
    #: None: no allow-list (only the named personal fields are hidden)
    known: frozenset[str] | None = None
    #: the values of the personal and free-text fields recur together from record to record (a
    #: processing step's officer and its standard text): `Pseudonymiser.apply_declared` then
    #: remembers what each combination became, for the batch. Only for a policy without nested
    #: lists to walk and without `derive_from`: what a combination becomes is then a function
    #: of those values alone.
    repeats: bool = False

    def __post_init__(self) -> None:
        if self.repeats and (
            self.derive_from or self.personal_or_free_nested or not (self.fields or self.free_text)
        ):
            raise ValueError(
                "repeats: only for a policy with personal or free-text fields of its own, "
                "no nested lists to walk and no derived attributes"
            )

    @cached_property
    def personal_nested(self) -> tuple[tuple[str, Sequence[str] | PersonalFields], ...]:
        """The nested lists whose items (or their own nested lists) hold personal fields."""
        return tuple(
            (name, sub)
            for name, sub in self.nested.items()
            if not isinstance(sub, PersonalFields) or sub.fields or sub.personal_nested
        )

    @cached_property
    def personal_or_free_nested(self) -> tuple[tuple[str, PersonalFields], ...]:
        """The nested lists (declared as policies) whose items hold a personal or free-text field,
        at any depth: the only ones a record decoded into its declared shape needs visited."""
        for name, sub in self.nested.items():
            if not isinstance(sub, PersonalFields):  # a bare list of names declares no shape
                raise TypeError(
                    f"nested list {name}: a declared record's items need their own PersonalFields"
                )
        return tuple(
            (name, sub)
            for name, sub in self.nested.items()
            if isinstance(sub, PersonalFields)
            and (sub.fields or sub.has_free_text or sub.personal_or_free_nested)
        )

    @cached_property
    def declared_walk(self) -> Callable[..., None]:
        """The walk of `Pseudonymiser.apply_declared` over a record decoded into its declared shape,
        written for this policy as straight-line code (`ingestion.records.compiled`).

        Called as `walk(record, searched, pending, entry)`: the citizen id's attributes are kept
        (`derive_from`); each free text (non-empty) is appended to `pending` as (record, name,
        text); each personal value is replaced by its pseudonym (`entry` gives it with its
        searched spelling) and its searched spelling, if any, appended to `searched`; then
        the items of every nested list that holds either, in that order — `apply`'s order.
        """
        lines = ["def walk(r, searched, pending, entry):", *self._walk_lines("r", "    ", 1)]
        if len(lines) == 1:
            lines.append("    pass")
        return compiled(lines, {"attributes": citizen_attributes}, "privacy walk")

    @cached_property
    def repeated_walk(self) -> Callable[..., None]:
        """For `repeats`: `walk(record, memo, hide, size)` — the values the record holds in the
        fields the walk hides or scrubs, met before (a key of `memo`), are given what they became
        then; otherwise `hide(record, self)` does the walk and `memo` (emptied once it holds
        `size`) remembers them. Written for this policy as straight-line code."""
        fields = ", ".join(f"r.{attribute('record', n)}" for n in (*self.fields, *self.free_text)) + ","
        return compiled(
            [
                "def walk(r, memo, hide, size):",
                f"    values = ({fields})",
                "    hidden = memo.get(values)",
                "    if hidden is not None:",
                f"        {fields} = hidden",
                "        return",
                "    hide(r, policy)",
                "    if len(memo) >= size:",
                "        memo.clear()",
                f"    memo[values] = ({fields})",
            ],
            {"policy": self},
            "repeated walk",
        )

    def _walk_lines(self, r: str, indent: str, depth: int) -> list[str]:
        """The lines of `declared_walk` for the item named `r`, at `indent`; a nested list's
        items are walked inline (named `i1`, `i2`, … by depth: no call an item)."""
        lines = []
        if self.derive_from:  # the attributes kept from the citizen id, before it is hidden
            lines += [
                f"d = attributes({r}.{attribute('record', self.derive_from)})",
                f"if d: {r}.{attribute('record', self.derived_key)} = d",
            ]
        for name in [attribute("record", n) for n in self.free_text]:
            lines += [f"t = {r}.{name}", f"if t: pending.append(({r}, {name!r}, t))"]
        for name in [attribute("record", n) for n in self.fields]:
            lines += [
                f"v = {r}.{name}",
                "if v:",
                "    e = entry(v)",
                f"    {r}.{name} = e[0]",
                "    if e[1]: searched.append(e[1])",
            ]
        lines = [indent + line for line in lines]
        for name, sub in self.personal_or_free_nested:
            item = f"i{depth}"
            lines.append(f"{indent}for {item} in {r}.{attribute('record', name)} or ():")
            lines += sub._walk_lines(item, indent + "    ", depth + 1) or [f"{indent}    pass"]
        return lines

    @cached_property
    def only_known(self) -> bool:
        """True when the only thing to do to an item is the allow-list (no personal, free text, nesting)."""
        return self.known is not None and not (
            self.fields or self.free_text or self.nested or self.derive_from
        )

    @cached_property
    def has_free_text(self) -> bool:
        """True when this policy or a nested one declares a free-text field."""
        return bool(self.free_text) or any(
            isinstance(sub, PersonalFields) and sub.has_free_text for sub in self.nested.values()
        )


def citizen_attributes(citizen_id: Any) -> dict[str, str] | None:
    """Birth year, sex and birth-registration province of a 12-digit citizen id, else None.

    Position 4 encodes century and sex (0/1: 1900s male/female, 2/3: 2000s, …), positions
    5–6 the year within the century, positions 1–3 the province code.
    """
    if (
        type(citizen_id) is not str
        or len(citizen_id) != 12
        or not (citizen_id.isascii() and citizen_id.isdigit())
    ):
        return None
    sex, birth_year = _BIRTH[citizen_id[3:6]]
    return {"sex": sex, "birth_year": birth_year, "birth_province_code": citizen_id[:3]}  # jsonb's key order


#: positions 4–6 of a citizen id (century and sex, year in the century) → (sex, birth year):
#: a thousand entries, read instead of computed once a record
_BIRTH = {
    f"{century_sex}{year:02d}": ("F" if century_sex % 2 else "M", str(1900 + 100 * (century_sex // 2) + year))
    for century_sex in range(10)
    for year in range(100)
}


class MaskingAdapter(logging.LoggerAdapter):
    """A logger whose messages pass through `mask_text` (ids and phone numbers never reach logs)."""

    def log(self, level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            text = str(msg) % args if args else str(msg)
            kwargs.setdefault("stacklevel", 3)  # report the caller of .info()/.warning(), not this
            self.logger.log(level, mask_text(text), **kwargs)


def masked_logger(name: str) -> MaskingAdapter:
    return MaskingAdapter(logging.getLogger(name), {})
