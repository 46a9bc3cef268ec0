"""Local times as Vietnamese sources send them: Asia/Ho_Chi_Minh, UTC+7, no daylight saving.

Sources send wall-clock times without an offset; everything dtimon stores carries one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import cache

#: Asia/Ho_Chi_Minh has been UTC+7 without daylight saving since 1975: a fixed offset is exact.
VN_TZ = timezone(timedelta(hours=7), "ICT")


@cache
def _valid_days() -> frozenset[str]:
    """Every valid `yyyyMMdd` from 1900 to 2199: validating a date is then one set lookup,
    which matters when a million records carry seven dates each (built once, on first use)."""
    first = date(1900, 1, 1)
    return frozenset(
        (first + timedelta(days=n)).strftime("%Y%m%d") for n in range((date(2200, 1, 1) - first).days)
    )


def is_compact(text: str) -> bool:
    """True when `text` is a valid `yyyyMMddHHmmss` time (years 1900–2199)."""
    return (
        len(text) == 14
        and text[:8] in _valid_days()
        and "00" <= text[8:10] <= "23"
        and "00" <= text[10:12] <= "59"
        and "00" <= text[12:14] <= "59"
        and text[8:].isdigit()
    )


class BadTimestamp(ValueError):
    pass


def parse_compact(text: str) -> datetime:
    """`yyyyMMddHHmmss` local time → aware datetime. Raises BadTimestamp on anything else."""
    if not is_compact(text):
        raise BadTimestamp(f"{text!r} is not a yyyyMMddHHmmss time")
    return datetime(
        int(text[0:4]),
        int(text[4:6]),
        int(text[6:8]),
        int(text[8:10]),
        int(text[10:12]),
        int(text[12:14]),
        tzinfo=VN_TZ,
    )


def format_compact(moment: datetime) -> str:
    """Aware datetime → `yyyyMMddHHmmss` in local time (what the sources expect in queries)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place here: give it a timezone")
    return moment.astimezone(VN_TZ).strftime("%Y%m%d%H%M%S")
