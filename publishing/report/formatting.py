"""Numbers as the report shows them: the one place that turns a value into text.

Vietnamese style groups thousands with a dot and separates decimals with a comma
(`1.234`, `85,90 %`); English uses `1,234` and `85.90 %`. Rounding is for display only
(half up, as people round by hand); a missing value (a zero denominator) is "Không áp dụng"
in Vietnamese and `N/A` in English.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

LANGS = ("vi", "en")
#: A value that cannot be computed (a zero denominator), per language.
NA = {"vi": "Không áp dụng", "en": "N/A"}
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
#: Thousands and decimal separators per language.
_SEPARATORS = {"vi": (".", ","), "en": (",", ".")}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Decimals shown per measure unit of the indicator catalogue.
_DECIMALS = {"ratio": 2, "count": 0, "duration": 1, "seconds": 2, "points": 2}
#: Words after a number per measure unit and language (a duration is in working days).
_UNIT_WORDS = {"duration": {"vi": " ngày", "en": " days"}, "seconds": {"vi": " giây", "en": " s"}}

Number = Decimal | int | float


def _check(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: use one of {LANGS}")


def format_number(value: Number | None, lang: str = "vi", decimals: int = 0, signed: bool = False) -> str:
    """`1234.5` → `1.234,5` (vi) / `1,234.5` (en), rounded half up to `decimals`."""
    _check(lang)
    if value is None:
        return NA[lang]
    quantum = Decimal(1).scaleb(-decimals)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never "-0,00"
    sign = "-" if rounded < 0 else ("+" if signed and rounded > 0 else "")
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    thousands, decimal_mark = _SEPARATORS[lang]
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = thousands.join(groups)
    if decimals > 0:
        text += decimal_mark + fraction
    return sign + text


def format_percent(ratio: Number | None, lang: str = "vi", decimals: int = 2) -> str:
    """A ratio as a percentage: `0.859` → `85,90 %` (vi) / `85.90 %` (en)."""
    if ratio is None:
        return NA[lang]
    return format_number(Decimal(str(ratio)) * 100, lang, decimals) + " %"


def format_value(value: Number | None, measure_unit: str, lang: str = "vi") -> str:
    """An indicator value in its catalogue unit (ratio, count, duration, seconds, limit_share or points);
    a share of a legal time limit reads as a percentage of it (may exceed 100 %)."""
    if measure_unit in ("ratio", "limit_share"):
        return format_percent(value, lang)
    if value is None:
        return NA[lang]
    return format_number(value, lang, _DECIMALS.get(measure_unit, 2)) + _unit_word(measure_unit, lang)


def _unit_word(measure_unit: str, lang: str) -> str:
    return _UNIT_WORDS.get(measure_unit, {}).get(lang, "")


def format_change(change: Number | None, measure_unit: str, lang: str = "vi") -> str:
    """A change between two periods: ratios in percentage points, others in their unit."""
    if change is None:
        return NA[lang]
    if measure_unit in ("ratio", "limit_share"):
        unit = " điểm %" if lang == "vi" else " pp"
        return format_number(Decimal(str(change)) * 100, lang, 2, signed=True) + unit
    return format_number(change, lang, _DECIMALS.get(measure_unit, 2), signed=True) + _unit_word(
        measure_unit, lang
    )


def format_month(month: date, lang: str = "vi") -> str:
    """`2025-09-01` → `Tháng 9/2025` (vi) / `Sep 2025` (en)."""
    _check(lang)
    if lang == "vi":
        return f"Tháng {month.month}/{month.year}"
    return f"{_MONTHS_EN[month.month - 1]} {month.year}"


def format_month_short(month: date, lang: str = "vi") -> str:
    """`2025-09-01` → `T9/2025` (vi) / `Sep 2025` (en): axis labels."""
    _check(lang)
    return f"T{month.month}/{month.year}" if lang == "vi" else f"{_MONTHS_EN[month.month - 1]} {month.year}"


_ROMAN = ("I", "II", "III", "IV")


def format_period(kind: str, start: date, lang: str = "vi", short: bool = False) -> str:
    """A report period as staff read it: `Tháng 9/2025`, `Quý III/2025`, `Năm 2025` (vi) / `Sep 2025`,
    `Q3 2025`, `2025` (en); `short` for axis labels (`T9/2025`, `Q3/2025`, `2025`)."""
    _check(lang)
    if kind == "month":
        return format_month_short(start, lang) if short else format_month(start, lang)
    if kind == "quarter":
        quarter = (start.month - 1) // 3
        if lang == "vi":
            return f"Q{quarter + 1}/{start.year}" if short else f"Quý {_ROMAN[quarter]}/{start.year}"
        return f"Q{quarter + 1} {start.year}"
    if kind == "year":
        return f"{start.year}" if short or lang == "en" else f"Năm {start.year}"
    raise ValueError(f"period kind {kind!r}: use month, quarter or year")


def format_date(day: date, lang: str = "vi") -> str:
    """`2025-09-15` → `15/09/2025` (vi) / `15 Sep 2025` (en)."""
    _check(lang)
    if lang == "vi":
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def format_datetime(moment: datetime, lang: str = "vi") -> str:
    """An aware time in the province's local time: `30/11/2026 10:57 (UTC+7)`."""
    local = moment.astimezone(LOCAL_TZ)
    return f"{format_date(local.date(), lang)} {local:%H:%M} (UTC+7)"
