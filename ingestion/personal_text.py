"""Personal values recognised by their form: citizen ids in any spelling, phone numbers, e-mails.

One matcher for every path: the pseudonymiser (free text and plain fields, fast and checked
path), the parsers (a natural key holding an id), the loader's last check and log masking.

A citizen id is 12 digits whose first three are a birth-registration province code (the
`citizen_id_province_codes` seed), written contiguous or grouped 3-3-3-3, 4-4-4 or 3-3-6 with
one space, dot or dash between groups, optionally after `CCCD`, `CMND` or `số định danh` (any
case, then `:`, `-` or spaces), and not adjacent to another digit group (a digit, or a
separator then a digit, on either side). Other 12-digit codes (times, amounts, dossier codes)
are not ids by this rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from core.code_lists import codes

#: the seed of the province codes that open a citizen id
PROVINCE_CODES = "citizen_id_province_codes"

_SEP = r"[ .\-]"
#: a phone number: 0 or +84 then 9–10 digits, any of these separators between them
_PHONE = re.compile(
    r"(?<![0-9+])(?:\(\s*\+\s*84\s*\)|\+\s*84|0)(?:[ .\-()]{0,3}[0-9]){9,10}(?![0-9])(?![ .\-()]{1,3}[0-9])"
)
#: an e-mail address, `@` also written (at) or [at] and a dot of the domain (dot) or [dot]; the
#: local part starts a word (so each word is tried once)
_EMAIL = re.compile(
    r"(?<![\w.+\-])[\w.+\-]+\s*(?:@|[(\[]at[)\]])\s*[A-Za-z0-9\-]+"
    r"(?:(?:\.|\s*[(\[]dot[)\]]\s*)[A-Za-z0-9\-]+)+(?![\w@])",
    re.IGNORECASE,
)
#: the label that may precede an id (`CCCD`, `CMND`, `số định danh`, then `:`, `-` or spaces),
#: searched for in the few characters before an id found
_LABEL = re.compile(r"(?:cccd|cmnd|số\s+định\s+danh)(?:\s*[:\-]\s*|\s+)$", re.IGNORECASE)
_LABEL_CHARS = 24


def _trie(codes: set[str]) -> str:
    """An expression matching exactly `codes` (digit strings of one length), nested by digit:
    a flat alternation of 63 codes is tried one after the other at every candidate, this one
    reads a digit at each step."""
    if all(len(code) == 1 for code in codes):
        return f"[{''.join(sorted(codes))}]" if len(codes) > 1 else next(iter(codes))
    by_first: dict[str, set[str]] = {}
    for code in codes:
        by_first.setdefault(code[0], set()).add(code[1:])
    return "(?:" + "|".join(f"{first}{_trie(rest)}" for first, rest in sorted(by_first.items())) + ")"


def _id_expression(provinces: frozenset[str]) -> str:
    """The id without its label: 12 digits in one of the spellings, the first three a province
    code, no digit group next to it. Written to start with a literal digit where every code
    shares it (all do: 001–096), so that the regular-expression engine skips to it."""
    heads = {code[0] for code in provinces}
    rest = (
        rf"(?:[0-9]{{9}}|{_SEP}[0-9]{{3}}{_SEP}[0-9]{{3}}{_SEP}[0-9]{{3}}"
        rf"|[0-9]{_SEP}[0-9]{{4}}{_SEP}[0-9]{{4}}|{_SEP}[0-9]{{3}}{_SEP}[0-9]{{6}})(?![0-9])(?!{_SEP}[0-9])"
    )
    if len(heads) == 1:
        head = heads.pop()
        tails = _trie({code[1:] for code in provinces})
        return rf"{head}(?<![0-9]{head})(?<![0-9]{_SEP}{head}){tails}{rest}"
    return rf"(?<![0-9])(?<![0-9]{_SEP}){_trie(set(provinces))}{rest}"


@cache
def citizen_id_pattern() -> re.Pattern[str]:
    """The citizen-id matcher (without the label: `contacts` extends a match over it)."""
    return re.compile(_id_expression(codes(PROVINCE_CODES)))


@cache
def citizen_id_bytes_pattern() -> re.Pattern[bytes]:
    """`citizen_id_pattern` over UTF-8 bytes (a stored record, a page of COPY text)."""
    return re.compile(_id_expression(codes(PROVINCE_CODES)).encode())


@cache
def _opaque_ids(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """A whole value of one of `patterns` (an opaque identifier's declared form): all of a
    string, a JSON string (between its quotes) or a COPY text field (between tabs)."""
    return re.compile(r'(?<![^"\t\n])(?:' + "|".join(patterns) + r')(?![^"\t\n])')


@cache
def _opaque_ids_bytes(patterns: tuple[str, ...]) -> re.Pattern[bytes]:
    return re.compile(_opaque_ids(patterns).pattern.encode())


def holds_citizen_id(text: str, opaque: tuple[str, ...] = ()) -> bool:
    """True when `text` holds a citizen id in any spelling; a whole value of one of the `opaque`
    patterns (an opaque identifier's form, e.g. a UUID whose last group is 12 digits) is none."""
    if citizen_id_pattern().search(text) is None:
        return False
    return not opaque or citizen_id_pattern().search(_opaque_ids(opaque).sub("", text)) is not None


def may_hold_citizen_id(data: bytes, opaque: tuple[str, ...] = ()) -> bool:
    """True when UTF-8 or COPY text `data` holds a citizen id (the same rule, read in bytes)."""
    if citizen_id_bytes_pattern().search(data) is None:
        return False
    return (
        not opaque or citizen_id_bytes_pattern().search(_opaque_ids_bytes(opaque).sub(b"", data)) is not None
    )


def citizen_id_digits(written: str) -> str:
    """The digits of an id or phone number as written (separators dropped)."""
    return "".join(c for c in written if "0" <= c <= "9")


def whole_citizen_id(value: str) -> str | None:
    """The digits of `value` when all of it is one citizen id (its label allowed), else None."""
    value = value.strip()
    match = citizen_id_pattern().search(value)
    if match is None or match.end() != len(value):
        return None
    before = value[: match.start()]
    if before and not _LABEL.fullmatch(before):
        return None
    return citizen_id_digits(match.group())


def contacts(text: str) -> list[tuple[int, int, str]]:
    """(start, end, spelling) of every citizen id (with its label), phone number and e-mail
    address in `text`, in order. The spelling is what its pseudonym is computed on: the id's 12
    digits; the phone number in its national form 0…; the address case-folded, unspaced."""
    found = []
    if "0" in text or "+" in text:  # an id or phone number starts with 0 (codes 001–096) or +84
        for match in citizen_id_pattern().finditer(text):
            start = match.start()
            label = _LABEL.search(text, max(start - _LABEL_CHARS, 0), start)
            found.append((label.start() if label else start, match.end(), citizen_id_digits(match.group())))
        taken = [(start, end) for start, end, _ in found]
        for match in _PHONE.finditer(text):
            if not any(start < match.end() and match.start() < end for start, end in taken):
                digits = citizen_id_digits(match.group())
                spelling = "0" + digits[2:] if match.group().lstrip("( ").startswith("+") else digits
                found.append((match.start(), match.end(), spelling))
    if "@" in text or "at]" in text or "at)" in text or "AT" in text:
        for match in _EMAIL.finditer(text):
            email = re.sub(r"\s+", "", match.group()).casefold()
            email = re.sub(r"[(\[]dot[)\]]", ".", re.sub(r"[(\[]at[)\]]", "@", email))
            found.append((match.start(), match.end(), email))
    found.sort()
    return found


def _replaced(text: str, found: list[tuple[int, int, str]], by: Callable[[str], str]) -> str:
    if not found:
        return text
    parts, at = [], 0
    for start, end, spelling in found:
        if start >= at:
            parts += [text[at:start], by(spelling)]
            at = end
    return "".join([*parts, text[at:]])


def replace_contacts(text: str, pseudonym: Callable[[str], str]) -> str:
    """`text` with every citizen id (with its label), phone number and e-mail address replaced by
    `pseudonym` of its spelling (`contacts`); `text` itself when there is none."""
    return _replaced(text, contacts(text), pseudonym)


def mask_contacts(text: str) -> str:
    """`text` with every citizen id, phone number and e-mail address replaced by ***."""
    return _replaced(text, contacts(text), lambda _: "***")
