"""What one record may hold, for every source: the limits of a value and of a record, the
plausible years of a date, and how a record is refused (`Rejected`, `Absent`).
"""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from typing import Any

from ingestion.localtime import valid_parts


class Rejected(ValueError):
    """A record that cannot be loaded; the message is the reason stored in ops.rejects."""


class Absent(Rejected):
    """A record without a field every record carries; `field` names it (counted per batch)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


#: What one record may hold, declared once for every source: longer is a reject, not a failure.
MAX_KEY_CHARS = 200  # a natural key (dossier code, procedure code, agency code)
MAX_TEXT_CHARS = 8 * 1024  # any one text value
MAX_RECORD_CHARS = 256 * 1024  # the whole record as stored (JSON)
#: Business plausibility of every date: no case before this year, none after the end of next year.
EARLIEST_YEAR = 1990
#: A batch fails (the field was renamed at the source?) when a field every record carries is
#: absent from more than this share of its records, and from at least RENAME_MIN_RECORDS.
RENAME_SHARE = 0.1
RENAME_MIN_RECORDS = 5


def latest_year() -> str:
    """The last plausible year of a date: next year, as four digits.

    Asked once a record: `date.today()` is read again only once the local day it was read on
    is over (a clock read instead of a calendar one: 0.75 µs less a record).
    """
    return _plausible()[1]


def plausible_times() -> tuple[frozenset[str], frozenset[str]]:
    """(every `yyyyMMdd` from EARLIEST_YEAR to the end of `latest_year()`, every `HHmmss`): a
    plausible `yyyyMMddHHmmss` time is 14 characters whose halves are in these (two set
    look-ups a time; read once a page, rebuilt once a day)."""
    return _plausible()[2]


def _plausible() -> list[Any]:
    if time.time() < _calendar[0]:
        return _calendar
    today = date.today()
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time()).timestamp()
    latest, earliest = str(today.year + 1), str(EARLIEST_YEAR)
    days, times = valid_parts()
    plausible = frozenset(day for day in days if earliest <= day[:4] <= latest)
    _calendar[:] = [tomorrow, latest, (plausible, times)]
    return _calendar


#: [the end of the local day it was read on (epoch seconds), latest_year(), plausible_times()]
_calendar: list[Any] = [0.0, "", (frozenset(), frozenset())]


def holds_nul(encoded: bytes) -> bool:
    """True when JSON bytes hold an escaped NUL character (`\\u0000`), which PostgreSQL's jsonb
    and text refuse; a text that only spells it (an escaped backslash, then `u0000`) does not.

    The escape starts with a backslash and most records hold none, so that byte is looked for
    first, as an int (memchr): 70 ns a dossier version, where `b"\\\\" in` costs 300 and the
    search for the escape itself 1.2 µs.
    """
    return _BACKSLASH in encoded and b"\\u0000" in encoded and _NUL_ESCAPE.search(encoded) is not None


_BACKSLASH = ord("\\")
#: `\u0000` after an even number of backslashes (each pair is one escaped backslash)
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def nul_path(value: Any, path: str = "") -> str | None:
    """The path of the first string holding a NUL character, else None."""
    if type(value) is str:
        return path or "value" if "\x00" in value else None
    if type(value) is dict:
        for name, item in value.items():
            found = nul_path(item, f"{path}.{name}" if path else name)
            if found:
                return found
    elif type(value) is list:
        for item in value:
            found = nul_path(item, f"{path}[]")
            if found:
                return found
    return None


def oversize_path(value: Any, limit: int, path: str = "") -> str | None:
    """The path of the first string longer than `limit` characters, else None."""
    if type(value) is str:
        return path or "value" if len(value) > limit else None
    if type(value) is dict:
        for name, item in value.items():
            found = oversize_path(item, limit, f"{path}.{name}" if path else name)
            if found:
                return found
    elif type(value) is list:
        for item in value:
            found = oversize_path(item, limit, f"{path}[]")
            if found:
                return found
    return None
