"""The one-stop record shapes (msgspec structs) and the code lists: declared once, used everywhere."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msgspec
import pytest
import yaml

from core.code_lists import (
    SEEDS_DIR,
    code_list,
    codes,
)
from ingestion.sandbox.generator import generate_province
from ingestion.sources import onestop
from ingestion.sources.onestop_records import (
    AGENCY_LEVELS,
    CHANNELS,
    DOSSIER_STATUSES,
    ONLINE_LEVELS,
    TIME_LIMIT_UNITS,
    Agency,
    Dossier,
    Procedure,
    Progress,
    spec,
)


@pytest.fixture(scope="module")
def province():
    return generate_province(7, 0.05, date(2025, 8, 1), date(2025, 9, 1))


def test_native_records_are_instances_of_the_declared_shapes(province) -> None:
    """The structs are real typed schemas: every generated native record converts to its shape."""
    for shape, records in (
        (Dossier, province.dossiers),
        (Progress, province.progress),
        (Procedure, province.procedures),
        (Agency, province.agencies),
    ):
        assert records
        for record in records:
            msgspec.convert(record, shape)


def test_a_record_missing_a_required_field_is_not_its_shape() -> None:
    with pytest.raises(msgspec.ValidationError, match="TrangThaiHoSo"):
        msgspec.convert({"MaHoSo": "X", "_version": "1", "_updated_at": "20250101000000"}, Dossier)


def test_the_parser_takes_its_field_lists_from_the_shapes() -> None:
    assert onestop.DOSSIER_DATES == (
        "NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi",
    )  # fmt: skip
    assert onestop.SUPPLEMENT_DATES == (
        "NgayBoSung",
        "NgayTiepNhanBoSung",
        "NgayHenTraTruoc",
        "NgayHenTraMoi",
    )
    assert onestop.TEXT_FIELDS[:7] == (
        "MaHoSoKhac", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "DonViXuLy", "LoaiDoiTuong",
    )  # fmt: skip
    assert {"ChuHoSo", "SoGiayToChuHoSo", "TrichYeuHoSo"} <= set(onestop.TEXT_FIELDS)  # every field declared
    [status] = [field for field in spec(Dossier) if field.name == "TrangThaiHoSo"]
    assert status.required and status.allowed == onestop.STATUSES


def test_the_parser_codes_are_the_seed_codes() -> None:
    assert onestop.STATUSES == {str(n) for n in range(1, 11)} == codes(DOSSIER_STATUSES)
    assert onestop.CHANNELS == {"", "1", "2", "3"} == codes(CHANNELS) | {""}


def test_every_code_list_is_a_described_seed() -> None:
    described = {
        seed["name"]: seed for seed in yaml.safe_load(Path(SEEDS_DIR, "_seeds.yml").read_text())["seeds"]
    }
    for name in (DOSSIER_STATUSES, CHANNELS, ONLINE_LEVELS, AGENCY_LEVELS, TIME_LIMIT_UNITS):
        assert code_list(name), name
        assert described[name]["description"], name
        assert set(code_list(name)[0]) == {column["name"] for column in described[name]["columns"]}, name
