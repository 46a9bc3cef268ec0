"""Ratings and feedback (PAKN) of the one-stop source: a malformed record is a reject with its
reason, and the people in them never reach a row in clear."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ingestion.declarations import blank_record
from ingestion.load import Row
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.sources import Rejected
from ingestion.sources.onestop import SOURCE, parse_feedback, parse_rating
from ingestion.sources.onestop_records import Feedback, Rating

RATING: dict[str, Any] = blank_record(Rating) | {
    "MaHoSo": "000.00.12.H57-250905-00123",
    "ThoiGianDanhGia": "20250915090000",
    "DanhGia": "KHÔNG HÀI LÒNG",
    "LoaiDanhGia": "1",
    "NguoiDanhGia": "Trần Thị Bích",
    "NoiDungDanhGia": "Bà Trần Thị Bích phải đi lại ba lần",
}
FEEDBACK: dict[str, Any] = blank_record(Feedback) | {
    "MaPAKN": "PAKN-000.00.12.H57-250904-12345",
    "NgayCapNhat": "20250908100000",
    "TrangThai": "2",
    "MaHoSo": "000.00.12.H57-250905-00123",
    "MaDonVi": "000.00.12.H57",
    "NguoiGui": "Lê Văn Nam",
    "SoGiayToNguoiGui": "046090001234",
    "SoDienThoai": "0912345678",
    "NoiDung": "Tôi là Lê Văn Nam, CCCD 046 090 001 234, đề nghị trả lời",
    "NgayTiepNhan": "20250904090000",
    "NgayTuChoi": "20250908100000",
}


def test_a_rating_is_keyed_on_its_dossier_and_time() -> None:
    row = parse_rating(copy.deepcopy(RATING))
    assert row.key == ("000.00.12.H57-250905-00123", "20250915090000")
    assert row.values[0] == "2025-09-15 09:00:00+07"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"DanhGia": "RAT HAI LONG"}, "DanhGia='RAT HAI LONG' is not one of the codes"),
        ({"DanhGia": ""}, "DanhGia is missing or empty"),
        ({"ThoiGianDanhGia": "15/09/2025"}, "ThoiGianDanhGia: '15/09/2025' is not a yyyyMMddHHmmss time"),
        ({"MaHoSo": ""}, "MaHoSo is missing or empty"),
    ],
)
def test_a_malformed_rating_is_rejected_with_its_reason(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        parse_rating(copy.deepcopy(RATING) | change)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"TrangThai": "9"}, "TrangThai='9' is not one of the codes"),
        ({"NgayTraLoi": "20251345990000"}, "NgayTraLoi"),
        ({"NgayCapNhat": ""}, "NgayCapNhat is missing or empty"),
    ],
)
def test_a_malformed_feedback_item_is_rejected_with_its_reason(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        parse_feedback(copy.deepcopy(FEEDBACK) | change)


@pytest.mark.parametrize(("entity", "record"), [("ratings", RATING), ("feedback", FEEDBACK)])
def test_raters_and_petitioners_never_land_in_clear(entity: str, record: dict[str, Any]) -> None:
    pages = list(parse_pages(SOURCE.entity(entity), [[copy.deepcopy(record)]], Pseudonymiser("k")))
    [[row]] = pages
    assert isinstance(row, Row)
    stored = row.values[-1].decode()
    for clear in ("Trần Thị Bích", "Lê Văn Nam", "046090001234", "046 090 001 234", "0912345678"):
        assert clear not in stored
    assert "psn:" in stored


def test_a_malformed_rating_in_a_page_is_one_reject_with_its_reason() -> None:
    bad = copy.deepcopy(RATING) | {"DanhGia": "TUYỆT VỜI"}
    [page] = list(parse_pages(SOURCE.entity("ratings"), [[copy.deepcopy(RATING), bad]], Pseudonymiser("k")))
    row, reject = page
    assert isinstance(row, Row)
    assert reject.reason.startswith("DanhGia='TUYỆT VỜI' is not one of the codes")
    assert "Trần Thị Bích" not in reject.text
