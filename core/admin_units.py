"""Units of government and their old → new crosswalk, read from the dbt seeds that declare them.

`admin_units.csv` holds one row per version of a province, district or commune (valid_from
inclusive, valid_to exclusive, empty while in force); `admin_unit_crosswalk.csv` maps every
version that ended to the one unit that took it over. dbt builds `dim_admin_unit` from the same
files and its tests enforce the mapping; the sandbox generates its province from them here. The
seed may list several provinces: the installation's is the setting DTIMON_PROVINCE_CODE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from core.code_lists import SEEDS_DIR, code_list

UNITS = "admin_units"
CROSSWALK = "admin_unit_crosswalk"
#: Decision 19/2025/QĐ-TTg and the end of the district tier (Resolution 202/2025/QH15)
REORGANISATION_DATE = date(2025, 7, 1)


@dataclass(frozen=True)
class AdminUnit:
    code: str
    level: str  # province, district or commune
    name: str
    parent_code: str  # "" for a province
    province_code: str
    valid_from: date
    valid_to: date | None  # exclusive; None while in force

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@cache
def admin_units(seeds_dir: Path = SEEDS_DIR) -> tuple[AdminUnit, ...]:
    """Every version of every unit, in the seed's order."""
    return tuple(
        AdminUnit(
            code=row["unit_code"],
            level=row["unit_level"],
            name=row["unit_name"],
            parent_code=row["parent_code"],
            province_code=row["province_code"],
            valid_from=date.fromisoformat(row["valid_from"]),
            valid_to=_date(row["valid_to"]),
        )
        for row in code_list(UNITS, seeds_dir)
    )


@cache
def successors(seeds_dir: Path = SEEDS_DIR) -> dict[tuple[str, date], str]:
    """(old unit code, the day its version ended) → the code of the unit that took it over."""
    return {
        (row["old_unit_code"], date.fromisoformat(row["old_valid_to"])): row["new_unit_code"]
        for row in code_list(CROSSWALK, seeds_dir)
    }


def unit_on(code: str, day: date, seeds_dir: Path = SEEDS_DIR) -> AdminUnit:
    """The version of unit `code` in force on `day`; LookupError if there is none."""
    for unit in admin_units(seeds_dir):
        if unit.code == code and unit.valid_on(day):
            return unit
    raise LookupError(f"no unit {code} in force on {day} in {UNITS}.csv")


class UnknownProvince(LookupError):
    """A province code with no units under it in the seed."""


def province_codes(seeds_dir: Path = SEEDS_DIR) -> list[str]:
    """The codes of the seed's provinces that have districts or communes, sorted."""
    return sorted({unit.province_code for unit in admin_units(seeds_dir) if unit.level != "province"})


def check_province(code: str, seeds_dir: Path = SEEDS_DIR) -> None:
    """UnknownProvince, naming the seed's provinces, unless `code` is one with units under it."""
    if not any(unit.code == code and unit.level == "province" for unit in admin_units(seeds_dir)):
        problem = "is not a province"
    elif code not in province_codes(seeds_dir):
        problem = "has no districts or communes"
    else:
        return
    available = ", ".join(province_codes(seeds_dir)) or "none"
    raise UnknownProvince(f"{code!r} {problem} in {UNITS}.csv (its provinces with units: {available})")


def units_of_province(province_code: str, day: date, seeds_dir: Path = SEEDS_DIR) -> list[AdminUnit]:
    """The districts and communes of a province in force on `day`."""
    return [
        unit
        for unit in admin_units(seeds_dir)
        if unit.province_code == province_code and unit.level != "province" and unit.valid_on(day)
    ]
