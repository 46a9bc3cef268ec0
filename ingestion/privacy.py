"""Pseudonymisation of personal data before the first write, and masking of logs.

Citizen identifiers, names and contact details never reach the warehouse in clear: each
personal field of a record is replaced by a keyed hash (HMAC-SHA-256 with a key from
configuration, truncated to 128 bits), so the same person gets the same pseudonym across
sources and loads without the warehouse ever holding the value. Pseudonyms are written
with letters only (`psn:` + 32 letters a–p) so they can never be mistaken for an id number.

The coarse attributes indicators need (birth year, sex, birth-registration province) are
read off a 12-digit citizen id before it is hashed (DOMAIN.md §2, §6). Ids, phone numbers and
e-mails are also recognised by their form anywhere (`ingestion.personal_text`), and free text
is searched for the people of the batch and of the record's case (`scrub_people`).
"""

from __future__ import annotations

import binascii
import hashlib
import logging
import operator
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from typing import Any

import msgspec
import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.settings import ConfigError, Settings
from ingestion.personal_text import (
    citizen_id_pattern,
    holds_citizen_id,
    mask_contacts,
    may_hold_citizen_id,
    replace_contacts,
    whole_citizen_id,
)
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
    """`text` with every citizen id, phone number and e-mail address in any spelling
    (`ingestion.personal_text`), and every other run of 9–12 digits, replaced by ***."""
    return _ID_RUN.sub("***", mask_contacts(text))


def normalise(value: str) -> str:
    """One spelling of an identifier or name: Unicode NFC, case-folded, whitespace collapsed.

    Pseudonyms are computed on this, so "Nguyễn Văn An" typed in NFC or NFD, in capitals
    or with doubled spaces is one person with one pseudonym.
    """
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


def spell_text(text: str, pseudonym: Callable[[str], str] | None = None) -> tuple[str, str, str]:
    """(the text searched for personal values: normalised, without diacritics, separators between
    digits removed;
    the text with its citizen ids, phone numbers and e-mail addresses replaced by their
    `pseudonym` (*** without one) and every other id-like digit run, even written with
    separators, by ***; the text with only the former replaced)."""
    base = replace_contacts(text, pseudonym) if pseudonym is not None else mask_contacts(text)
    joined = _DIGIT_SEPARATOR.sub("", base)
    masked = _ID_RUN.sub("***", joined)
    return without_diacritics(normalise(joined)), masked if masked != joined else base, base


def scrub_text(text: str, personal: Sequence[str], spelled: tuple[str, str, str] | None = None) -> str:
    """Free text without ids, contacts or the record's own personal values.

    `personal` are the record's personal values in their searched spelling (`normalise`d, without
    diacritics, separators between digits removed). The text is searched in that spelling too (NFC
    or NFD, any case, any spacing, with or without diacritics); each value found is replaced by
    *** (the text is then kept in NFC with its spaces collapsed); ids, phone numbers and e-mail
    addresses as `spell_text` replaces them, and every other id-like digit run, even written with
    separators, by ***. `spelled` is `spell_text(text, …)` when the caller has it already.
    """
    searched, masked, base = spelled or spell_text(text)
    for value in personal:
        if value in searched:
            break
    else:
        return masked
    joined = " ".join(unicodedata.normalize("NFC", _DIGIT_SEPARATOR.sub("", base)).split())
    folded = without_diacritics(joined)  # letter for letter: its positions are joined's
    spans = sorted(
        match.span()
        for value in personal
        if value in searched
        for match in re.finditer(re.escape(value).replace(r"\ ", " "), folded, flags=re.IGNORECASE)
    )
    kept, end = [], 0
    for start, stop in spans:
        if start >= end:
            kept.append(joined[end:start] + "***")
            end = stop
        elif stop > end:  # overlapping values: the later one extends the hidden part
            end = stop
    return _ID_RUN.sub("***", "".join(kept) + joined[end:])


def _digest(inner: Any, outer: Any, value: str) -> bytes:
    """HMAC-SHA-256 of `value` from the key's inner and outer SHA-256 states (RFC 2104)."""
    inner = inner.copy()
    inner.update(value.encode())
    outer = outer.copy()
    outer.update(inner.digest())
    digest: bytes = outer.digest()
    return digest


#: what the pseudonymiser remembers of a personal string (`_personal_entry`)
Entry = tuple[str, str, tuple[tuple[str, str], ...]]


def _personal_entry(inner: Any, outer: Any, value: str) -> Entry:
    """(the pseudonym of the personal string `value`, its searched spelling or "" when it is
    not searched for in free text: shorter than MIN_SEARCHED, or a pseudonym already, and the
    (spelling, first word) of each of that spelling's word runs searched across records
    (`run_spellings`: a name's), computed with it since every value met is looked for in them).

    The pseudonym is `psn:` and the first 128 bits of the HMAC of the value's `normalise`d
    spelling, written in the letters a–p.
    """
    if value.startswith(PREFIX):
        return value, "", ()  # already pseudonymised (e.g. a replayed export)
    if value.isascii() and value.isdigit():
        normalised = spelled = value  # an id or a phone number: already in both spellings
    else:
        normalised = normalise(value)
        spelled = without_diacritics(_DIGIT_SEPARATOR.sub("", normalised))
    pseudonym = _written(_digest(inner, outer, normalised))
    if len(value) < MIN_SEARCHED or len(spelled) < MIN_SEARCHED:
        return pseudonym, "", ()
    return pseudonym, spelled, _run_heads(spelled)


def _written(digest: bytes) -> str:
    """A pseudonym as written: `psn:` and the digest's first 128 bits in the letters a–p."""
    return (_PREFIX_BYTES + binascii.hexlify(digest[:16]).translate(_HEX_TO_LETTERS)).decode()


def _pseudonym(inner: Any, outer: Any, value: str) -> str:
    """The pseudonym of `_personal_entry(value)` alone (a run of words of free text: its
    searched spellings are not needed)."""
    if value.startswith(PREFIX):
        return value
    return _written(_digest(inner, outer, value if value.isascii() and value.isdigit() else normalise(value)))


def _first(entry: Callable[[str], Entry], value: str) -> str:
    """The pseudonym of `value` from a `_personal_entry` function."""
    return entry(value)[0]


#: the reason a field holding a citizen id is counted in ops.unknown_fields
CITIZEN_ID_REASON = "citizen id"
#: a word of free text (letters, digits)
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"[0-9]")
#: word runs searched across records: names are 2–5 words; longer values (addresses) are only
#: searched for in their own record
RUN_WORDS = (2, 5)
#: free texts up to this long have their word runs remembered (`Pseudonymiser._runs`)
RUNS_REMEMBERED_CHARS = 256


def _plain_letters() -> dict[int, str]:
    """Each precomposed Latin letter → its base letter (đ → d too): `without_diacritics`' table."""
    table = {ord("đ"): "d", ord("Đ"): "D"}
    for code in range(0xC0, 0x2000):
        base = unicodedata.normalize("NFD", chr(code))
        if len(base) > 1 and base[0].isascii() and all(unicodedata.combining(c) for c in base[1:]):
            table[code] = base[0]
    return table


_PLAIN_LETTERS = _plain_letters()


def without_diacritics(text: str) -> str:
    """`text` (in NFC) without its diacritics, đ → d too."""
    return text.translate(_PLAIN_LETTERS)


def run_spellings(value: str) -> tuple[str, ...]:
    """The spellings a personal value (normalised) is searched for across records: its words
    joined by one space, with and without diacritics, when it is 2–5 words of letters only (a
    name; an e-mail, a code or an address with its number is found by pattern or not at all
    across records); else none."""
    if _DIGIT.search(value) or "@" in value:  # most personal values of a record: ids, contacts
        return ()
    words = _WORD.findall(value)
    if not RUN_WORDS[0] <= len(words) <= RUN_WORDS[1] or not all(map(str.isalpha, words)):
        return ()
    spelling = " ".join(words)
    plain = without_diacritics(spelling)
    return (spelling,) if plain == spelling else (spelling, plain)


def _run_heads(value: str) -> tuple[tuple[str, str], ...]:
    """(spelling, its first word) of each spelling of `run_spellings(value)`."""
    words = value.split(" ")
    if value.isascii() and all(words) and "".join(words).isalpha():
        # words of plain letters one space apart (a name without diacritics): its only spelling
        return ((value, words[0]),) if RUN_WORDS[0] <= len(words) <= RUN_WORDS[1] else ()
    return tuple((s, s.partition(" ")[0]) for s in run_spellings(value))


class TextRuns:
    """The runs of 2–5 consecutive words of a free text (words separated by spaces only), each
    as (start, end, spelling normalised, spelling without diacritics), positions in `text`: the
    free text in NFC."""

    __slots__ = ("_met_found", "_met_stamp", "_pseudonyms", "heads", "spans", "text")
    heads: dict[str, list[tuple[int, int, str, str]]]

    def __init__(self, text: str) -> None:
        if not unicodedata.is_normalized("NFC", text):  # a run is replaced in the text in NFC
            text = unicodedata.normalize("NFC", text)
        self.text = text
        folded = text.casefold()
        spans: list[tuple[int, int, str, str]] = []
        #: the runs by their first word, in both spellings: a run can be a value met only if its
        #: first word is one of theirs (tested first, on a few words)
        self.heads = {}
        low, high = RUN_WORDS
        if len(folded) == len(text):
            # the usual text: normalised and case-folded at once, a run read off as a slice
            plain_text = without_diacritics(folded)  # letter for letter: the same positions
            bounds = [m.span() for m in _WORD.finditer(folded)]
            for i in range(len(bounds) - 1):
                start, single = bounds[i][0], True  # single: the words are one space apart
                first = len(spans)
                for j in range(i + 1, min(i + high, len(bounds))):
                    gap = folded[bounds[j - 1][1] : bounds[j][0]]
                    if not gap.isspace():
                        break
                    single = single and gap == " "
                    if j - i + 1 >= low:
                        end = bounds[j][1]
                        if single:
                            spans.append((start, end, folded[start:end], plain_text[start:end]))
                        else:
                            spelling = " ".join(folded[start:end].split())
                            spans.append((start, end, spelling, without_diacritics(spelling)))
                if len(spans) > first:  # the runs from word i: its two spellings are their heads
                    word, plain = folded[start : bounds[i][1]], plain_text[start : bounds[i][1]]
                    self.heads.setdefault(word, []).extend(spans[first:])
                    if plain != word:
                        self.heads.setdefault(plain, []).extend(spans[first:])
        else:  # case-folding changed a length (ß → ss): the words one by one
            words = [(m.start(), m.end(), normalise(m.group())) for m in _WORD.finditer(text)]
            plain = [without_diacritics(w[2]) for w in words]
            for i in range(len(words) - 1):
                for j in range(i + 1, min(i + high, len(words))):
                    if not text[words[j - 1][1] : words[j][0]].isspace():
                        break
                    if j - i + 1 >= low:
                        spelling = " ".join([w[2] for w in words[i : j + 1]])
                        spans.append((words[i][0], words[j][1], spelling, " ".join(plain[i : j + 1])))
            for span in spans:
                for spelling in {span[2].partition(" ")[0], span[3].partition(" ")[0]}:
                    self.heads.setdefault(spelling, []).append(span)
        self.spans = spans
        self._pseudonyms: list[tuple[str, str]] | None = None
        self._met_stamp = -1
        self._met_found: list[tuple[int, int, str, str]] = []

    def spelled(self, met: Mapping[str, Any], heads: Iterable[str]) -> list[tuple[int, int, str, str]]:
        """The runs spelled as one of `met`, among those starting with one of `heads`."""
        return [
            span for head in heads for span in self.heads.get(head, ()) if span[2] in met or span[3] in met
        ]

    def spelled_as_met(
        self, met: Mapping[str, Any], heads: Mapping[str, Any], stamp: int
    ) -> list[tuple[int, int, str, str]]:
        """`spelled(met, …)` of the runs starting with one of `heads` (the first words of `met`),
        remembered with `stamp`, which names the state of `met`: asked again with the same stamp
        (no value met since), the text gives the same runs without comparing them again."""
        if self._met_stamp != stamp:
            self._met_stamp = stamp
            self._met_found = (
                []
                if heads.keys().isdisjoint(self.heads)
                else self.spelled(met, self.heads.keys() & heads.keys())
            )
        return self._met_found

    def pseudonymised(
        self, known: frozenset[str], pseudonym: Callable[[str], str]
    ) -> list[tuple[int, int, str, str]]:
        """The runs whose pseudonym (of either spelling) is one of `known` (computed once a text)."""
        if self._pseudonyms is None:
            self._pseudonyms = [
                (pseudonym(s[2]), pseudonym(s[3]) if s[3] != s[2] else "") for s in self.spans
            ]
        return [s for s, (a, b) in zip(self.spans, self._pseudonyms, strict=True) if a in known or b in known]

    def replaced(self, found: list[tuple[int, int, str, str]], pseudonym: Callable[[str], str]) -> str:
        """The text with the runs `found` replaced by their pseudonyms, the longest first where they overlap."""
        parts, at = [], 0
        for start, end, spelling, _ in sorted(found, key=lambda s: (s[0], s[0] - s[1])):
            if start >= at:
                parts += [self.text[at:start], pseudonym(spelling)]
                at = end
        return "".join([*parts, self.text[at:]])


def value_of(record: Any, name: str) -> str | None:
    """The text of field `name` of a dict or declared record, or None (for anything else too)."""
    value = record.get(name) if isinstance(record, dict) else getattr(record, name, None)
    return value.strip() or None if type(value) is str else None


def _free_texts(record: Any, policy: PersonalFields) -> Iterator[tuple[Any, str, str]]:
    """(item, name, text) of every non-empty free text of a dict or declared record, nested too."""
    is_dict = isinstance(record, dict)
    for name in policy.free_text:
        text = record.get(name) if is_dict else getattr(record, name, None)
        if type(text) is str and text:
            yield record, name, text
    for name, sub in policy.nested.items():
        if isinstance(sub, PersonalFields) and sub.has_free_text:
            items = record.get(name) if is_dict else getattr(record, name, None)
            for item in items if type(items) is list else ():
                if isinstance(item, dict) if is_dict else isinstance(item, msgspec.Struct):
                    yield from _free_texts(item, sub)


def _assign(item: Any, name: str, value: str) -> None:
    if isinstance(item, dict):
        item[name] = value
    else:
        setattr(item, name, value)


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
    #: months (bench/README.md, *Memory*, with 8,192 and 6,144 entries tried).
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
        #: a personal string → (its pseudonym, its searched spelling or "", its word runs)
        self._entry: Callable[[str], Entry] = lru_cache(maxsize=self.CACHE_SIZE)(
            partial(_personal_entry, self._inner, self._outer)
        )
        #: a free text → `spell_text` of it, contacts pseudonymised (summaries and file names repeat)
        self._spelling: Callable[[str], tuple[str, str, str]] = lru_cache(maxsize=self.CACHE_SIZE)(
            partial(spell_text, pseudonym=partial(_first, self._entry))
        )
        #: a free text → its runs of 2–5 words (`TextRuns`), for the search across records
        self._runs: Callable[[str], TextRuns] = lru_cache(maxsize=self.CACHE_SIZE // 4)(TextRuns)
        #: the run spellings of the personal values met so far in the batch, and their first
        #: words (both emptied when full)
        self._met: dict[str, None] = {}
        self._met_heads: dict[str, None] = {}
        #: how many run spellings were added to `_met`: a stamp of its state for `TextRuns.spelled_as_met`
        self._met_added = 0
        #: a run of words → its pseudonym, for the people of a case: noted from personal values and
        #: searched for in free text (runs repeat across texts; kept apart from `_entry`, whose
        #: entries they would push out)
        self._run_pseudonym: Callable[[str], str] = lru_cache(maxsize=2 * self.CACHE_SIZE)(
            partial(_pseudonym, self._inner, self._outer)
        )
        #: (case key, pseudonym) of the people of the cases met, to store (`take_people`)
        self._people: list[tuple[str, str]] = []
        self._people_seen: set[tuple[str, str]] = set()
        self._searched: list[Entry] = []  # the entries of the current record's searched values
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
        unknown: dict[Any, int] | None = None,
    ) -> MutableMapping[str, Any]:
        """Make `record` safe to store, in place, by `policy`; returns `record`.

        Personal fields become pseudonyms; free-text fields lose ids, phone numbers and e-mails
        (their pseudonyms), other id-like digit runs and the record's own personal values (***);
        with an allow-list (`policy.known`), every field not declared is pseudonymised too and
        counted in `unknown` by its path (`List[].Field`); last, a plain field holding a
        citizen id is pseudonymised (`hide_ids`). The search across records is `scrub_people`.
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
        self.hide_ids(record, policy, unknown)
        return record

    def hide_ids(
        self,
        record: MutableMapping[str, Any],
        policy: PersonalFields,
        unknown: dict[Any, int] | None = None,
    ) -> None:
        """Replace, in place, every value of `record` that holds a citizen id in any spelling by its
        pseudonym (an id on its own: the pseudonym of its 12 digits, as in a personal field), and
        count its path in `unknown` under (path, CITIZEN_ID_REASON). Natural keys (`policy.keys`)
        are left for the parser to refuse. Personal fields are pseudonyms and free text scrubbed
        by then, so only plain fields can still hold one."""
        try:
            encoded = orjson.dumps(record)
        except TypeError:
            encoded = repr(record).encode()
        if may_hold_citizen_id(encoded):
            self._hide_ids(record, policy, unknown, "")

    def _hide_ids(
        self, value: Any, policy: PersonalFields | None, unknown: dict[Any, int] | None, path: str
    ) -> None:
        """`hide_ids` below `value` (a dict or a list), whose path is `path` (`List[].`), declared by
        `policy` (None: undeclared, every value is checked)."""
        if type(value) is list:
            named: Iterable[tuple[Any, Any]] = enumerate(value)
        elif isinstance(value, dict):
            named = list(value.items())
        else:
            return
        keys = policy.keys if policy is not None and type(value) is not list else frozenset()
        opaque = policy.opaque if policy is not None and type(value) is not list else {}
        for name, item in named:
            if type(item) is str:
                if name in keys or not citizen_id_pattern().search(item):
                    continue
                form = opaque.get(name)
                if form is not None and form.fullmatch(item):  # an opaque id of its declared form
                    continue
                value[name] = self.pseudonym(whole_citizen_id(item) or item)
                if unknown is not None:
                    found = (path + name if type(name) is str else path.rstrip("."), CITIZEN_ID_REASON)
                    unknown[found] = unknown.get(found, 0) + 1
            elif type(item) is list:
                self._hide_ids(
                    item,
                    _items_policy(policy, name),
                    unknown,
                    f"{path}{name}[]." if type(name) is str else path,
                )
            elif isinstance(item, dict):
                inner = policy if type(value) is list else None  # an item of a declared list, or undeclared
                self._hide_ids(item, inner, unknown, f"{path}{name}." if type(name) is str else path)

    def scrub_people(self, record: Any, policy: PersonalFields, people: Mapping[str, frozenset[str]]) -> None:
        """The search across records, after `apply` or `apply_declared` walked `record` (a dict or
        a declared record), in place.

        The record's personal values (their runs of 2–5 words, with and without diacritics) are
        remembered for the batch and, for a policy with `case_people`, noted as the people of its
        case (`take_people`). Then each run of 2–5 words of its free texts that spells a personal
        value met in the batch, or whose pseudonym is one of `people[case]` (the case's people as
        stored, whatever day), is replaced by its pseudonym.
        """
        if not policy.has_free_text:  # `_searched` is this record's only after a walk with free text
            return
        met, heads = self._met, self._met_heads
        # the case is read only to note its people or to look its stored people up
        case = (
            value_of(record, policy.case_key) if policy.case_key and (policy.case_people or people) else None
        )
        noted = policy.case_people and case
        for entry in self._searched:
            for spelling, head in entry[2]:
                if spelling not in met:
                    if len(met) >= 2 * self.CACHE_SIZE:
                        met.clear()
                        heads.clear()
                    met[spelling] = None
                    heads[head] = None
                    self._met_added += 1
                if noted:
                    self._note_person((case, self._run_pseudonym(spelling)), policy.opaque_patterns)
        known = people.get(case, frozenset()) if case else frozenset()
        if isinstance(record, dict):
            texts = list(_free_texts(record, policy))
        else:
            texts = []
            policy.free_text_walk(record, texts)
        stamp = self._met_added
        for item, name, text in texts:
            # a text's runs are remembered when it is short (standard texts repeat; a long note's
            # runs would hold megabytes), and with them the runs spelled as a value met
            runs = self._runs(text) if len(text) <= RUNS_REMEMBERED_CHARS else TextRuns(text)
            if not runs.spans:
                continue
            found = runs.spelled_as_met(met, heads, stamp)
            if known:
                found = [*found, *runs.pseudonymised(known, self._run_pseudonym)]
            if found:
                _assign(item, name, runs.replaced(found, self.pseudonym))

    def scrub_loose(self, text: str) -> str:
        """`text` (a refused record's text, JSON or not) scrubbed as free text: citizen ids (even
        in a key), phone numbers and e-mails replaced by their pseudonyms, other id-like digit
        runs by ***, and the personal values met in the batch (runs of 2–5 words) by their
        pseudonyms. Its separators stay as they are (no digits joined)."""
        text = _ID_RUN.sub("***", replace_contacts(text, self.pseudonym))
        runs = TextRuns(text)
        found = runs.spelled(self._met, runs.heads.keys() & self._met_heads.keys())
        return runs.replaced(found, self.pseudonym) if found else text

    def _note_person(self, person: tuple[str, str], opaque: tuple[str, ...]) -> None:
        """Note (case key, pseudonym) to store, once a batch (up to a bounded number remembered),
        unless the case key holds a citizen id (not one of the `opaque` identifier forms): the
        parser refuses such a record, and its people are not stored under that key."""
        if person not in self._people_seen:
            if len(self._people_seen) >= 4 * self.CACHE_SIZE:
                self._people_seen.clear()
            self._people_seen.add(person)
            if not holds_citizen_id(person[0], opaque):
                self._people.append(person)

    def take_people(self) -> list[tuple[str, str]]:
        """The (case key, pseudonym) noted since the last call (`scrub_people`), to store."""
        taken, self._people = self._people, []
        return taken

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
            self._searched.clear()  # a remembered combination adds no value of its own
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
        searched: list[Entry],
        assign: Callable[[Any, str, str], None],
    ) -> None:
        """Scrub each free text in `pending` (item, name, text) by `scrub_text` — every id-like
        digit run, even written with separators, and each of the record's personal values
        (their searched spellings, in the entries `searched`) found in it replaced by *** — and
        `assign` it back (`setattr` or `operator.setitem`). A text's spellings are remembered:
        texts repeat."""
        spelling = self._spelling
        for item, name, text in pending:
            spelled = spelling(text)
            in_text = spelled[0]
            for entry in searched:
                if entry[1] in in_text:
                    assign(item, name, scrub_text(text, [e[1] for e in searched], spelled))
                    break
            else:
                if spelled[1] is not text:
                    assign(item, name, spelled[1])

    def _apply_fields(
        self,
        records: Sequence[Any],
        policy: PersonalFields,
        searched: list[Entry] | None,
        unknown: dict[Any, int] | None,
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
                        searched.append(entry)
                else:
                    record[name] = hide(value)
            if known is not None and not record.keys() <= known:
                for name in [name for name in record if name not in known]:
                    value = record[name]
                    if type(value) is str and value and searched is not None:
                        # an undeclared (perhaps renamed) field's value is searched for like a personal one
                        entry = entry_of(value)
                        record[name] = entry[0]
                        if entry[1]:
                            searched.append(entry)
                    else:
                        record[name] = hide(value)
                    if unknown is not None:
                        path = prefix + name
                        unknown[path] = unknown.get(path, 0) + 1

    def _apply(
        self,
        record: MutableMapping[str, Any],
        policy: PersonalFields,
        searched: list[Entry] | None,
        unknown: dict[Any, int] | None,
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
                                    searched.append(entry)
                            else:
                                item[name] = hide(value)


def _items_policy(policy: PersonalFields | None, name: Any) -> PersonalFields | None:
    """The policy of the items of list field `name` of a record declared by `policy`, if declared."""
    if policy is None or type(name) is not str:
        return None
    sub = policy.nested.get(name)
    return sub if isinstance(sub, PersonalFields) else None


@dataclass(frozen=True)
class PersonalFields:
    """Which fields of a source record are personal data.

    `fields` are top-level string fields; `nested` maps a list field to the personal fields
    of its items; `free_text` fields keep their text, scrubbed (`Pseudonymiser.apply`);
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
    #: the natural-key fields: never rewritten (a citizen id there makes the record a reject)
    keys: frozenset[str] = frozenset()
    #: the field naming the case (dossier) a record belongs to: its free text is searched for the
    #: people stored for that case (`Pseudonymiser.scrub_people`)
    case_key: str | None = None
    #: the record's personal values are the people of its case (stored for later records)
    case_people: bool = False
    #: opaque identifiers: field → its declared form; a value of that form whole is no citizen id
    opaque: Mapping[str, re.Pattern[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.repeats and (
            self.derive_from or self.personal_or_free_nested or not (self.fields or self.free_text)
        ):
            raise ValueError(
                "repeats: only for a policy with personal or free-text fields of its own, "
                "no nested lists to walk and no derived attributes"
            )

    @cached_property
    def opaque_patterns(self) -> tuple[str, ...]:
        """The forms of the opaque identifiers declared here and in the nested lists' items."""
        found = {form.pattern: None for form in self.opaque.values()}
        for sub in self.nested.values():
            if isinstance(sub, PersonalFields):
                found |= dict.fromkeys(sub.opaque_patterns)
        return tuple(found)

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

    @cached_property
    def free_text_walk(self) -> Callable[..., None]:
        """`walk(record, texts)` appends (item, name, text) of every non-empty free text of a
        record decoded into its declared shape to `texts`, nested too (`_free_texts` for such a
        record, written for this policy as straight-line code)."""
        lines = ["def walk(r, texts):", *self._text_lines("r", "    ", 1)]
        if len(lines) == 1:
            lines.append("    pass")
        return compiled(lines, {}, "free texts")

    def _text_lines(self, r: str, indent: str, depth: int) -> list[str]:
        lines = []
        for name in [attribute("record", n) for n in self.free_text]:
            lines += [f"{indent}t = {r}.{name}", f"{indent}if t: texts.append(({r}, {name!r}, t))"]
        for name, sub in self.nested.items():
            if isinstance(sub, PersonalFields) and sub.has_free_text:
                item = f"i{depth}"
                lines.append(f"{indent}for {item} in {r}.{attribute('record', name)} or ():")
                lines += sub._text_lines(item, indent + "    ", depth + 1)
        return lines

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
                "    if e[1]: searched.append(e)",
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


def _aes_key(key: str) -> bytes:
    """The 256-bit AES key of a configured secret (its SHA-256)."""
    return hashlib.sha256(key.encode()).digest()


def sealer(key: str) -> Callable[[bytes], bytes]:
    """A function sealing bytes with AES-256-GCM under `key` (DTIMON_REJECTS_KEY): a random
    12-byte nonce, then the ciphertext and its tag. Only `unseal` with the key reads it."""
    if not key:
        raise ConfigError("the rejects key is empty")
    aead = AESGCM(_aes_key(key))

    def seal(data: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + aead.encrypt(nonce, data, None)

    return seal


def unseal(key: str, sealed: bytes) -> bytes:
    """The bytes `sealer(key)` sealed (an operator reading a refused record's original)."""
    return AESGCM(_aes_key(key)).decrypt(sealed[:12], sealed[12:], None)


class MaskingAdapter(logging.LoggerAdapter):
    """A logger whose messages pass through `mask_text` (ids and phone numbers never reach logs)."""

    def log(self, level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            text = str(msg) % args if args else str(msg)
            kwargs.setdefault("stacklevel", 3)  # report the caller of .info()/.warning(), not this
            self.logger.log(level, mask_text(text), **kwargs)


def masked_logger(name: str) -> MaskingAdapter:
    return MaskingAdapter(logging.getLogger(name), {})
