"""The province is a setting (DTIMON_PROVINCE_CODE): a seed listing two provinces gives the
sandbox the units, names and agencies of the one it names; a code the seed has no units for is
one clear configuration error naming the setting and the seed's provinces (issue 20)."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest

from core.admin_units import (
    CROSSWALK,
    UNITS,
    UnknownProvince,
    admin_units,
    check_province,
    province_codes,
)
from core.code_lists import SEEDS_DIR
from core.settings import DEFAULT_PROVINCE_CODE, ConfigError, Settings
from ingestion.sandbox.generator import Geography, generate_province

OTHER = "48"
# A second province beside the shipped one: a district whose two communes merge into the one
# hosting the seat on 1 July 2025, and a commune that only changes its name; a province with no
# units under it.
OTHER_UNITS = [
    (OTHER, "province", "thành phố Đà Nẵng", "", OTHER, "1997-01-01", "", ""),
    ("490", "district", "quận Hải Châu", OTHER, OTHER, "2020-01-01", "2025-07-01", ""),
    ("20194", "commune", "phường Thạch Thang", "490", OTHER, "2020-01-01", "2025-07-01", "seat"),
    ("20195", "commune", "phường Hải Châu I", "490", OTHER, "2020-01-01", "2025-07-01", "code closed"),
    ("20194", "commune", "phường Hải Châu", OTHER, OTHER, "2025-07-01", "", ""),
    ("20200", "commune", "phường Bình Hiên", "490", OTHER, "2020-01-01", "2025-07-01", "renamed"),
    ("20200", "commune", "phường Hòa Cường", OTHER, OTHER, "2025-07-01", "", ""),
    ("49", "province", "tỉnh Quảng Nam", "", "49", "1997-01-01", "", "no units listed"),
]
OTHER_CROSSWALK = [
    ("490", "2025-07-01", "20194", "district abolished"),
    ("20194", "2025-07-01", "20194", "renamed; keeps the code of the seat"),
    ("20195", "2025-07-01", "20194", "merged into 20194"),
    ("20200", "2025-07-01", "20200", "renamed"),
]


def _append(path: Path, rows: list[tuple[str, ...]]) -> None:
    with path.open("a", newline="", encoding="utf-8") as file:
        csv.writer(file, lineterminator="\n").writerows(rows)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped seeds with OTHER's rows added."""
    folder = tmp_path_factory.mktemp("seeds")
    for name in (UNITS, CROSSWALK):
        shutil.copy(SEEDS_DIR / f"{name}.csv", folder / f"{name}.csv")
    _append(folder / f"{UNITS}.csv", OTHER_UNITS)
    _append(folder / f"{CROSSWALK}.csv", OTHER_CROSSWALK)
    return folder


def test_the_seed_lists_its_provinces_with_units(seeds: Path) -> None:
    assert province_codes(seeds) == [DEFAULT_PROVINCE_CODE, OTHER]
    check_province(OTHER, seeds)
    check_province(DEFAULT_PROVINCE_CODE, seeds)


@pytest.mark.parametrize(
    ("code", "problem"), [("99", "is not a province"), ("49", "has no districts or communes")]
)
def test_a_province_without_units_names_the_seeds(seeds: Path, code: str, problem: str) -> None:
    with pytest.raises(UnknownProvince) as raised:
        check_province(code, seeds)
    assert str(raised.value) == f"{code!r} {problem} in {UNITS}.csv (its provinces with units: 46, 48)"


def test_the_setting_is_checked_against_the_seed() -> None:
    assert Settings.from_env({}).province_code == DEFAULT_PROVINCE_CODE
    with pytest.raises(ConfigError, match=r"^DTIMON_PROVINCE_CODE='99' is not a province .*: 46\)$"):
        Settings.from_env({"DTIMON_PROVINCE_CODE": "99"})


def test_the_geography_is_the_chosen_provinces(seeds: Path) -> None:
    geography = Geography.of(OTHER, seeds)
    assert geography.name == "thành phố Đà Nẵng"
    assert [(u.code, u.name) for u in geography.communes] == [
        ("20194", "phường Hải Châu"),
        ("20200", "phường Hòa Cường"),
    ]
    assert {u.code for u in geography.closing} == {"490", "20194", "20195", "20200"}
    shipped = Geography.of(DEFAULT_PROVINCE_CODE, seeds)
    assert shipped.name == "thành phố Huế"
    assert not {u.province_code for u in shipped.communes + shipped.closing} - {DEFAULT_PROVINCE_CODE}


def test_the_sandbox_generates_the_chosen_province(seeds: Path) -> None:
    province = generate_province(
        4, 0.05, date(2025, 6, 2), date(2025, 7, 15), province_code=OTHER, seeds_dir=seeds
    )
    units = {u.code: u for u in admin_units(seeds) if u.province_code == OTHER}
    agencies = {a["MADONVI"]: a for a in province.agencies}
    assert {a["MADVHC"] for a in agencies.values()} <= set(units)
    names = {a["TENDONVI"] for a in agencies.values()}
    assert {"UBND thành phố Đà Nẵng", "UBND phường Hải Châu", "UBND phường Hòa Cường"} <= names
    # the committees of the units that closed on 1 July: the district, and the commune merged away
    closed = {a["TENDONVI"] for a in agencies.values() if a["MADVHC"] in {"490", "20195"}}
    assert closed == {"UBND quận Hải Châu", "UBND phường Hải Châu I"}
    assert "UBND phường Bình Hiên" not in names  # renamed, not closed: the same committee
    assert not any("Huế" in name for name in names)
    handled = {v["DonViXuLy"] for v in province.dossiers}
    assert handled <= names
    assert "UBND phường Hải Châu I" in handled  # June dossiers of the merged commune
    home = [v["SoGiayToChuHoSo"][:3] for v in province.dossiers if v.get("SoGiayToChuHoSo", "")[:1] == "0"]
    assert home and max(set(home), key=home.count) == f"0{OTHER}"
