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
from ingestion.declarations import spec
from ingestion.record_checks import plain_check
from ingestion.sandbox.generator import generate_province
from ingestion.sources.onestop_records import (
    AGENCY_LEVELS,
    CHANNELS,
    DOSSIER_STATUSES,
    ONLINE_LEVELS,
    TIME_LIMIT_UNITS,
    Agency,
    Dossier,
    Feedback,
    Identity,
    Procedure,
    Progress,
    Rating,
    Supplement,
)


@pytest.fixture(scope="module")
def province():
    return generate_province(7, 0.05, date(2025, 8, 1), date(2025, 9, 1))


def test_native_records_are_instances_of_the_declared_shapes(province) -> None:
    """The structs are real typed schemas: every generated native record converts to its shape."""
    for shape, records in (
        (Dossier, province.dossiers),
        (Progress, province.progress),
        (Rating, province.ratings),
        (Feedback, province.feedback),
        (Procedure, province.procedures),
        (Agency, province.agencies),
    ):
        assert records
        for record in records:
            msgspec.convert(record, shape)


def test_a_record_missing_a_required_field_is_not_its_shape() -> None:
    with pytest.raises(msgspec.ValidationError, match="TrangThaiHoSo"):
        msgspec.convert({"MaHoSo": "X", "_version": "1", "_updated_at": "20250101000000"}, Dossier)


def test_the_fast_path_takes_its_checks_from_the_shapes() -> None:
    """The fast path's check is written from the declarations: each time, code and key of the
    shape is read and checked by its kind, and nothing it does not declare."""
    check = plain_check(Dossier)
    assert check is not None
    times = ["NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi"]
    for name in [*times, "_updated_at"]:
        assert f"    v = r.{name}\n    " in check.source
        assert check.source.count("v[:8] in days") == len(times) + 1
    assert "if not v or v not in codes_TrangThaiHoSo" in check.source  # required: blank is no code
    assert "if v and v not in codes_KenhThucHien" in check.source
    # a plain text: checked for presence only (every top-level plain field); a personal or
    # free-text one not at all (no indicator reads it: one renamed is hidden as undeclared)
    assert "    v = r.MaHoSoKhac\n    if v is UNSET: return False\n    v = " in check.source
    assert "r.ChuHoSo" not in check.source and "r.GhiChu" not in check.source
    supplement = plain_check(Supplement)
    assert supplement is not None and supplement.source.count("v[:8] in days") == 4
    assert plain_check(Identity) is None  # texts only
    assert "if r.DinhDanhCHS is UNSET: return False" in check.source
    assert "check_DinhDanhCHS" not in check.source and "check_DanhSachHoSoBoSung" in check.source


def test_the_parser_codes_are_the_seed_codes() -> None:
    check = plain_check(Dossier)
    assert check is not None
    namespace = check.__globals__
    assert namespace["codes_TrangThaiHoSo"] == {str(n) for n in range(1, 11)} == codes(DOSSIER_STATUSES)
    assert namespace["codes_KenhThucHien"] == {"1", "2", "3"} == codes(CHANNELS)
    [status] = [field for field in spec(Dossier) if field.name == "TrangThaiHoSo"]
    assert status.required and status.allowed == codes(DOSSIER_STATUSES)


def test_every_code_list_is_a_described_seed() -> None:
    described = {
        seed["name"]: seed for seed in yaml.safe_load(Path(SEEDS_DIR, "_seeds.yml").read_text())["seeds"]
    }
    for name in (DOSSIER_STATUSES, CHANNELS, ONLINE_LEVELS, AGENCY_LEVELS, TIME_LIMIT_UNITS):
        assert code_list(name), name
        assert described[name]["description"], name
        assert set(code_list(name)[0]) == {column["name"] for column in described[name]["columns"]}, name
