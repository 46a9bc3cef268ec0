"""The one matcher of personal values by form (`ingestion.personal_text`): citizen ids in every
spelling the rule allows and none of the codes the sources send; phone numbers and e-mails."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest

from core.code_lists import code_list, codes
from ingestion.declarations import Privacy, spec
from ingestion.load import looks_like_citizen_id
from ingestion.personal_text import (
    PROVINCE_CODES,
    contacts,
    holds_citizen_id,
    mask_contacts,
    may_hold_citizen_id,
    replace_contacts,
    whole_citizen_id,
)
from ingestion.privacy import mask_text, masked_logger
from ingestion.sandbox.generator import generate_province
from ingestion.sources.onestop_records import Agency, Dossier, Feedback, Procedure, Progress, Rating

ID = "046068947676"


def test_the_seed_holds_the_63_birth_registration_codes() -> None:
    rows = code_list(PROVINCE_CODES)
    assert len(rows) == 63 == len(codes(PROVINCE_CODES))
    assert {"001", "031", "046", "048", "079", "087", "096"} <= codes(PROVINCE_CODES)
    assert all(r["citizen_id_prefix"] == "0" + r["province_code"] for r in rows)
    assert "003" not in codes(PROVINCE_CODES) and "097" not in codes(PROVINCE_CODES)


@pytest.mark.parametrize(
    "written",
    [
        ID,
        "046.068.947.676",
        "046 068 947 676",
        "046-068-947-676",
        "0460 6894 7676",
        "0460.6894.7676",
        "046-068-947676",
        "046 068.947-676",  # one separator between groups, not necessarily the same
        "CCCD-046.068.947.676",
        "cccd: 046068947676",
        "CMND 0460-6894-7676",
        "Số định danh: 046 068 947 676",
        "số định danh - 046068947676",
    ],
)
def test_every_spelling_of_an_id_is_found(written: str) -> None:
    assert holds_citizen_id(written) and holds_citizen_id(f"Hồ sơ của ({written}).")
    assert may_hold_citizen_id(written.encode()) and looks_like_citizen_id(written)
    assert whole_citizen_id(written) == ID
    [(start, end, spelling)] = contacts(f"x {written} y")
    assert (start, end, spelling) == (2, 2 + len(written), ID)  # its label replaced with it


@pytest.mark.parametrize(
    "near_miss",
    [
        "0460689476761",  # 13 digits
        "1046068947676",
        "999068947676",  # no province code 999
        "003068947676",  # 003 is no province code
        "12 046 068 947 676",  # next to another digit group
        "046 068 947 676 5",
        "1-046068947676",
        "046.068.947.676.9",
        "20250903101530",  # a compact local time
        "046 068947676",  # 3-9 is no spelling of the rule
        "04606 8947676",
        "046  068 947 676",  # two separators between groups
        "000.00.12.H57-240305-00123",  # a dossier code
        "2.000815.000.00.00.H55",  # a procedure code
        "1500000000",  # an amount
    ],
)
def test_near_misses_are_not_ids(near_miss: str) -> None:
    assert not holds_citizen_id(near_miss)
    assert not may_hold_citizen_id(near_miss.encode())
    assert whole_citizen_id(near_miss) is None


def test_a_value_holding_more_than_an_id_is_not_one_id() -> None:
    assert whole_citizen_id(f"hồ sơ {ID}") is None and holds_citizen_id(f"hồ sơ {ID}")


def _values(value: Any, personal: set[str], path: str = "") -> list[tuple[str, str]]:
    """Every string value of a generated record, except its personal and free-text fields."""
    if isinstance(value, dict):
        return [
            found
            for name, item in value.items()
            if name not in personal
            for found in _values(item, personal, f"{path}{name}.")
        ]
    if isinstance(value, list):
        return [found for item in value for found in _values(item, personal, path)]
    return [(path, value)] if isinstance(value, str) else []


def _hidden_fields() -> set[str]:
    shapes = [Dossier, Progress, Rating, Feedback, Procedure, Agency]
    hidden: set[str] = set()
    while shapes:
        shape = shapes.pop()
        for field in spec(shape):
            if field.privacy is not Privacy.PLAIN:
                hidden.add(field.name)
            if field.items is not None:
                shapes.append(field.items)
    return hidden


def test_no_code_the_sandbox_generates_is_taken_for_an_id() -> None:
    """Procedure, dossier and agency ids, times, amounts, URLs: every non-personal value of a
    generated province, alone and as the stored record's bytes."""
    province = generate_province(7, 0.05, date(2025, 6, 1), date(2025, 9, 1))
    hidden = _hidden_fields()
    checked = 0
    feeds = (province.dossiers, province.progress, province.ratings, province.feedback)
    for records in (*feeds, province.procedures, province.agencies):
        for record in records:
            for path, value in _values(record, hidden):
                assert not holds_citizen_id(value), (path, value)
                checked += 1
    assert checked > 10_000
    # the personal fields do hold ids: the matcher is not blind to the generator's
    assert any(holds_citizen_id(r["SoGiayToChuHoSo"]) for r in province.dossiers)


@pytest.mark.parametrize(
    ("written", "spelling"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("0912-345-678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("(+84) 912-345-678", "0912345678"),
        ("0236 3822 123", "02363822123"),  # a landline: 0 and 10 digits
        ("an.nguyen@gmail.com", "an.nguyen@gmail.com"),
        ("An.Nguyen@Gmail.COM", "an.nguyen@gmail.com"),
        ("an.nguyen (at) gmail (dot) com", "an.nguyen@gmail.com"),
        ("an.nguyen[at]gmail.com", "an.nguyen@gmail.com"),
        ("an.nguyen @ gmail.com", "an.nguyen@gmail.com"),
    ],
)
def test_phones_and_emails_in_any_spelling_are_found(written: str, spelling: str) -> None:
    text = f"Liên hệ {written}. Cảm ơn"
    [(start, end, found)] = contacts(text)
    assert (text[start:end], found) == (written, spelling)
    assert replace_contacts(text, lambda s: f"<{s}>") == f"Liên hệ <{spelling}>. Cảm ơn"
    assert mask_contacts(text) == "Liên hệ ***. Cảm ơn"


@pytest.mark.parametrize(
    "not_a_contact",
    ["20250903101530", "ngày 03 09 2025 10 15 30", "091234567", "09123456789012", "2.000815.000.00.00.H55"],
)
def test_near_misses_are_not_phones(not_a_contact: str) -> None:
    assert contacts(not_a_contact) == []


def test_logs_mask_ids_in_any_spelling(caplog: pytest.LogCaptureFixture) -> None:
    assert mask_text("CCCD-046.068.947.676, 0460 6894 7676, gọi +84 912 345 678") == "***, ***, gọi ***"
    assert mask_text("an@gmail.com; mã 000.00.12.H57-240305-00123") == "***; mã 000.00.12.H57-240305-00123"
    with caplog.at_level(logging.INFO):
        masked_logger("test").info("record %s: %s", "X-1", "số định danh 046 068 947 676")
    assert "947" not in caplog.text and "X-1" in caplog.text
