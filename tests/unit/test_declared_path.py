"""The loader's fast path: records decoded straight into their declared shapes.

The fast path may only take a record the checked path accepts as it is, and must give the row
the checked path gives (the stored record compared as JSON: key order and spacing are jsonb's
business). Both are run here on the sandbox generator's records and on every field of a record
set to awkward values, one at a time.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from datetime import date
from typing import Any

import msgspec
import orjson
import pytest
from throwaway_source import SOURCE as THROWAWAY

from ingestion.declarations import example_record, spec
from ingestion.http import SourceError
from ingestion.load import Row
from ingestion.personal_text import holds_citizen_id
from ingestion.privacy import Pseudonymiser, without_diacritics
from ingestion.record_rules import plausible_times
from ingestion.records import jsonb_key_order
from ingestion.runner import _as_declared, _fast_path, parse_pages
from ingestion.sandbox.generator import generate_province
from ingestion.sources import SOURCES, Rejected
from ingestion.sources.onestop import SOURCE, decode_page

DOSSIERS, PROGRESS = SOURCE.entity("dossiers"), SOURCE.entity("progress")
#: every registered entity, and the throwaway source's: the declarations make both paths for any source
ENTITIES = [(source.name, e) for source in SOURCES.values() for e in source.entities] + [
    (THROWAWAY.name, e) for e in THROWAWAY.entities
]
ENTITY_IDS = [f"{name}.{entity.name}" for name, entity in ENTITIES]
REJECTED = "rejected"
CITIZEN_ID = "056090001234"
UUID_WITH_ID = f"0b0f7a8e-3c1d-4e5f-9a2b-{CITIZEN_ID}"


@pytest.fixture(scope="module")
def province():
    return generate_province(3, 0.05, date(2025, 8, 1), date(2025, 9, 1))


def fast_row(entity: Any, record: Any) -> Row | None:
    """The row the fast path gives `record`, or None when it leaves it to the checked path."""
    assert entity.declared is not None
    decoded = _as_declared(copy.deepcopy(record), entity.declared.shape)
    if type(decoded) is not entity.declared.shape:
        return None
    row = _fast_path(entity, Pseudonymiser("k"))(decoded, *plausible_times())
    return row if isinstance(row, Row) else None


def checked_row(entity: Any, record: Any) -> Row | str:
    """The row the checked path gives `record` (personal data hidden first), or REJECTED."""
    record = copy.deepcopy(record)
    if isinstance(record, dict):
        Pseudonymiser("k").apply(record, entity.personal, {})
    try:
        return entity.parse(record)
    except Rejected:
        return REJECTED


def as_compared(row: Row) -> tuple[Any, ...]:
    values = tuple(orjson.loads(v) if isinstance(v, bytes) else v for v in row.values)
    return values, row.key


@pytest.mark.parametrize("entity", SOURCE.entities, ids=lambda e: e.name)
def test_every_generated_record_takes_the_fast_path_and_gets_the_checked_row(entity: Any, province) -> None:
    records = getattr(province, entity.name)
    assert records
    for record in records:
        fast = fast_row(entity, record)
        assert fast is not None, record
        checked = checked_row(entity, record)
        assert checked is not REJECTED
        assert as_compared(fast) == as_compared(checked)


@pytest.mark.parametrize("entity", SOURCE.entities, ids=lambda e: e.name)
def test_a_batch_with_one_pseudonymiser_gets_the_checked_rows(entity: Any, province) -> None:
    """The whole batch through `parse_pages` with one pseudonymiser, whose caches (and, for
    progress rows, the combinations it remembers: `repeats`) serve record after record."""
    records = getattr(province, entity.name)
    pages = [
        [_as_declared(copy.deepcopy(r), entity.declared.shape) for r in records[i : i + 50]]
        for i in range(0, len(records), 50)
    ]
    rows = [row for page in parse_pages(entity, pages, Pseudonymiser("k")) for row in page]
    assert [as_compared(row) for row in rows] == [as_compared(checked_row(entity, r)) for r in records]


AWKWARD: list[Any] = [
    "", " ", "  x  ", "5", " 5", "5 ", "0", "5,5", "5.5", "1.", "abc", "9" * 10, "2147483648",
    "20250901083000", "20250230000000", "20250901250000", "19891231235959", "19900101000000",
    "21990101000000", "2025090108300", "202509010830000", " 20250901083000", "\u00a020250901083000",
    "1", "10", "11", " 1", "X" * 201, "X" * 9000, "Nguyễn Văn An", CITIZEN_ID, f"cccd {CITIZEN_ID}",
    "a\x00b", 5, 5.0, 5.5, 0, None, True, False, [], {}, ["x"], [{}], {"a": "b"},
    "046.068.947.676", "CCCD-046.068.947.676", "0460 6894 7676", "999068947676", "gọi 0912 345 678",
    1756690200, 1756690200000, -1, 2**40, 631152000, 631151999999, "1756690200000",
    "2025-09-01T08:30:00+07:00", "2025-09-01T08:30:00Z", "2025-09-01T08:30:00", "2025-09-01",
    " 2025-09-01T08:30:00+07:00", "1989-12-31T23:59:59+07:00", "2025-02-30T00:00:00+07:00",
    "2199-01-01T00:00:00+00:00", UUID_WITH_ID, f"x{UUID_WITH_ID}", UUID_WITH_ID.upper(),
    "000.00.12.H57", "000.00.12.H57-250905-00123", "046.068.947.676-250905-1",
]  # fmt: skip
AWKWARD_ITEMS: list[Any] = [
    None, "", [], ["x"], [{}], [{"Unknown": "x"}], [{"NgayBoSung": "2025"}], [{"NgayBoSung": 5}],
    [{"Gia": "1,5"}], [{"Gia": "abc"}], [{"Gia": 500}], [{"SoDinhDanh": CITIZEN_ID}],
    [{"NoiDungBoSung": "gọi Nguyễn Văn An 0912 345 678", "NguoiYeuCauBoSung": "Nguyễn Văn An"}],
]  # fmt: skip


def _dossier(province) -> dict[str, Any]:
    """A generated dossier version that fills its lists (supplements, fees)."""
    for record in province.dossiers:
        if record.get("DanhSachHoSoBoSung") and record.get("DanhSachLePhi") and record.get("NgayKetThucXuLy"):
            return record
    raise AssertionError("no generated dossier with supplements, fees and an end")


def _variants(record: dict[str, Any], shape: type) -> Iterator[tuple[str, dict[str, Any]]]:
    """`record` with one field (top-level, or of a nested list's first item) set to each awkward
    value or removed, one at a time."""
    for field in spec(shape):
        values = AWKWARD_ITEMS if field.items is not None else AWKWARD
        for value in [*values, msgspec.UNSET]:
            changed = copy.deepcopy(record)
            if value is msgspec.UNSET:
                changed.pop(field.name, None)
            else:
                changed[field.name] = value
            yield field.name, changed
        if field.items is not None and record.get(field.name):
            for name, item in _variants(record[field.name][0], field.items):
                changed = copy.deepcopy(record)
                changed[field.name] = [item, *record[field.name][1:]]
                yield f"{field.name}[].{name}", changed


@pytest.mark.parametrize(("source", "entity"), ENTITIES, ids=ENTITY_IDS)
def test_the_example_record_takes_the_fast_path_and_gets_the_checked_row(source: str, entity: Any) -> None:
    assert entity.declared is not None and entity.declared.record is not None, "declare the records"
    record = example_record(entity.declared.record)
    fast = fast_row(entity, record)
    assert fast is not None
    assert as_compared(fast) == as_compared(checked_row(entity, record))


@pytest.mark.parametrize(("source", "entity"), ENTITIES, ids=ENTITY_IDS)
def test_a_record_the_fast_path_takes_is_one_the_checked_path_accepts_the_same(
    source: str, entity: Any
) -> None:
    """Every field, nested too, set to every awkward value (or removed), one at a time, and an
    undeclared one added."""
    base = example_record(entity.declared.record)
    taken = tried = 0
    for name, record in _variants(base, entity.declared.record):
        tried += 1
        fast = fast_row(entity, record)
        if fast is None:
            continue
        taken += 1
        checked = checked_row(entity, record)
        assert checked is not REJECTED, (name, record.get(name))
        assert as_compared(fast) == as_compared(checked), (name, record.get(name))
    assert 0 < taken < tried  # both paths are exercised
    assert fast_row(entity, base | {"TruongMoi": "x"}) is None  # undeclared: the checked path counts it


@pytest.mark.parametrize(("source", "entity"), ENTITIES, ids=ENTITY_IDS)
def test_declared_fields_are_in_jsonb_key_order(source: str, entity: Any) -> None:
    names = [f.encode_name for f in msgspec.structs.fields(entity.declared.shape)]
    assert names == sorted(names, key=jsonb_key_order)
    assert {f.name for f in spec(entity.declared.record)} <= set(names)


def test_a_uuid_whose_last_group_spells_a_citizen_id_is_a_key_like_any_other() -> None:
    """An opaque identifier of its declared form is no citizen id (about 0.36 % of random UUIDs
    end in 12 digits); the same digits in another form of that key still refuse the record."""
    [calls] = THROWAWAY.entities
    record = example_record(calls.declared.record) | {"id": UUID_WITH_ID}
    checked = checked_row(calls, record)
    assert checked is not REJECTED and checked.key == UUID_WITH_ID
    [[row]] = list(parse_pages(calls, [[copy.deepcopy(record)]], Pseudonymiser("k")))
    assert isinstance(row, Row) and as_compared(row) == as_compared(checked)
    for other in (f"x-{UUID_WITH_ID}", CITIZEN_ID, f"HS-{CITIZEN_ID}"):
        assert checked_row(calls, record | {"id": other}) is REJECTED, other
    # in a plain field declaring no form, the same value is pseudonymised and counted
    unknown: dict[Any, int] = {}
    [[row]] = list(
        parse_pages(calls, [[record | {"serviceCode": UUID_WITH_ID}]], Pseudonymiser("k"), unknown=unknown)
    )
    assert unknown == {("serviceCode", "citizen id"): 1}
    assert orjson.loads(row.values[2])["serviceCode"] != UUID_WITH_ID


def test_a_record_the_checked_path_refuses_never_takes_the_fast_path(province) -> None:
    base = _dossier(province)
    refused = [
        {"NgayTiepNhan": base["NgayKetThucXuLy"][:4] + "9999999999"},  # not a time
        {"NgayTiepNhan": "20991231000000"},  # after the end of processing, and beyond the plausible years
        {"TrangThaiHoSo": "0"},
        {"MaHoSo": "   "},
        {"GhiChu": "a\x00b"},
        {"_version": "99999999999"},
    ]
    for change in refused:
        record = base | change
        assert checked_row(DOSSIERS, record) is REJECTED, change
        assert fast_row(DOSSIERS, record) is None, change


def test_both_privacy_walks_leave_the_same_record() -> None:
    record = {
        "MaHoSo": "000.00.12.H57-250905-00123",
        "ChuHoSo": "Nguyễn Văn An",
        "SoGiayToChuHoSo": CITIZEN_ID,
        "SoDienThoai": "0912 345 678",
        "DiaChiChuHoSo": "Số 12 Lê Lợi, phường Phú Hội",
        "TrichYeuHoSo": "Ông NGUYỄN  VĂN AN (số 056-090-001234) ở Số 12 Lê Lợi, phường Phú Hội",
        "GhiChu": "gọi 0912.345.678",
        "ThongTinKhac": "không có",
        "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": CITIZEN_ID}],
        "DanhSachHoSoBoSung": [
            {"NguoiYeuCauBoSung": "Trần Thị Bình", "NoiDungBoSung": "bà trần thị bình yêu cầu bổ sung"}
        ],
        "TaiLieuNop": [{"TenTepDinhKem": f"cccd_{CITIZEN_ID}.pdf"}],
    }
    policy = DOSSIERS.personal
    as_dict = Pseudonymiser("k").apply(copy.deepcopy(record), policy)
    shape = DOSSIERS.declared.shape
    as_declared = msgspec.to_builtins(
        Pseudonymiser("k").apply_declared(msgspec.convert(record, shape), policy)
    )
    assert as_declared == as_dict
    text = orjson.dumps(as_dict).decode()
    for clear in ("Nguyễn", "NGUYỄN", "Bình", "bình", "345", "Lê Lợi", CITIZEN_ID, "001234"):
        assert clear not in text, clear
    assert as_dict["_applicant"]["birth_province_code"] == "056"


def _page(records: list[Any], **envelope: Any) -> bytes:
    return orjson.dumps({"error_code": "0", "message": "", "total": len(records), "data": records} | envelope)


def test_a_page_is_decoded_into_the_shape_and_an_odd_record_alone_is_left_as_it_came(province) -> None:
    shape = DOSSIERS.declared.shape
    good = province.dossiers[:3]
    page = decode_page(_page(good), "/dvc/v1/hoso", shape)
    assert page.total == 3 and [type(r) for r in page.records] == [shape] * 3
    odd = [good[0], good[1] | {"NewField": "x"}, "not an object", good[2] | {"_version": 3}]
    page = decode_page(_page(odd), "/dvc/v1/hoso", shape)
    assert [type(r) for r in page.records] == [shape, dict, str, dict]
    assert page.records[1]["NewField"] == "x" and page.records[3]["_version"] == 3
    # the odd ones are rejected or hidden on the checked path; nothing is lost
    [parsed] = list(parse_pages(DOSSIERS, [page.records], Pseudonymiser("k"), unknown=(unknown := {})))
    assert [type(item).__name__ for item in parsed] == ["Row", "Row", "Reject", "Row"]
    assert unknown == {"NewField": 1}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>busy</html>", "answer is not JSON"),
        (orjson.dumps({"error_code": "1", "message": "sai token", "data": []}), "error_code '1': sai token"),
        (orjson.dumps({"error_code": 0, "data": {"a": 1}}), "'data' is not a list"),
        (orjson.dumps({"error_code": 0, "total": "many", "data": []}), "'total'='many' is not a number"),
        (orjson.dumps([1, 2]), "answer is not a JSON object"),
    ],
)
def test_a_bad_envelope_is_a_source_error_naming_the_problem(body: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        decode_page(body, "/dvc/v1/hoso", DOSSIERS.declared.shape)


def test_a_record_refused_after_its_personal_data_was_hidden_is_rejected_without_it(province) -> None:
    """A NUL character shows only once the record is encoded, after the fast path hid its
    personal data: the checked path then names the field, and the reject holds no clear value."""
    record = _dossier(province) | {"GhiChu": "gọi Nguyễn Văn An\x00", "ChuHoSo": "Nguyễn Văn An"}
    [[reject]] = list(parse_pages(DOSSIERS, [[record]], Pseudonymiser("k")))
    assert type(reject).__name__ == "Reject"
    assert reject.reason.startswith("GhiChu: holds a NUL character")
    assert "Nguyễn" not in reject.text and record["SoGiayToChuHoSo"] not in reject.text
    assert Pseudonymiser("k").pseudonym("Nguyễn Văn An") in reject.text


@pytest.mark.parametrize("citizen_id", ["", CITIZEN_ID], ids=["no id", "an id"])
def test_a_value_the_source_sends_under_the_loaders_own_key_is_undeclared(province, citizen_id: str) -> None:
    """`_applicant` is written by the loader (attributes read off the citizen id): a source
    sending its own is sending an undeclared field — hidden, counted, never stored in clear."""
    record = _dossier(province) | {"SoGiayToChuHoSo": citizen_id, "_applicant": {"ten": "Nguyễn Văn An"}}
    unknown: dict[str, int] = {}
    [[row]] = list(parse_pages(DOSSIERS, [[record]], Pseudonymiser("k"), unknown=unknown))
    stored = orjson.loads(row.values[3])
    assert unknown == {"_applicant": 1} and "Nguyễn" not in row.values[3].decode()
    if citizen_id:
        assert stored["_applicant"] == {"sex": "M", "birth_year": "1990", "birth_province_code": "056"}
    else:
        assert stored["_applicant"].startswith("psn:")


def test_a_long_record_the_fast_path_refuses_keeps_its_attributes_on_the_checked_path(province) -> None:
    """Longer than one text value may be, yet no value too long: the checked path stores it,
    with its personal data hidden once and its citizen attributes, and counts nothing undeclared."""
    record = _dossier(province) | {
        "GhiChu": "a" * 5000,
        "ThongTinKhac": "b" * 5000,
        "SoGiayToChuHoSo": CITIZEN_ID,
    }
    unknown: dict[str, int] = {}
    [[row]] = list(parse_pages(DOSSIERS, [[record]], Pseudonymiser("k"), unknown=unknown))
    assert isinstance(row, Row) and unknown == {}
    stored = orjson.loads(row.values[3])
    assert stored["_applicant"]["birth_province_code"] == "056"
    assert stored["SoGiayToChuHoSo"] == Pseudonymiser("k").pseudonym(CITIZEN_ID)
    assert as_compared(row) == as_compared(checked_row(DOSSIERS, record))


@pytest.mark.parametrize(
    "written", ["046.068.947.676", "CCCD-046.068.947.676", "0460 6894 7676", "046068947676"]
)
def test_an_id_in_a_plain_field_gives_the_same_row_on_both_paths(province, written: str) -> None:
    """The fast path hands a record whose stored form holds an id to the checked path, which
    pseudonymises the field and counts it: the row is the checked path's."""
    record = _dossier(province) | {"MaHoSoKhac": written}
    unknown: dict = {}
    [[row]] = list(parse_pages(DOSSIERS, [[copy.deepcopy(record)]], Pseudonymiser("k"), unknown=unknown))
    assert isinstance(row, Row) and unknown == {("MaHoSoKhac", "citizen id"): 1}
    assert as_compared(row) == as_compared(checked_row(DOSSIERS, record))
    assert orjson.loads(row.values[3])["MaHoSoKhac"] == Pseudonymiser("k").pseudonym("046068947676")
    assert not holds_citizen_id(row.values[3].decode())


def test_an_id_in_a_natural_key_makes_a_reject_without_the_id(province) -> None:
    record = _dossier(province) | {"MaHoSo": "HS-046.068.947.676"}
    assert fast_row(DOSSIERS, record) is None and checked_row(DOSSIERS, record) is REJECTED
    [[reject]] = list(parse_pages(DOSSIERS, [[record]], Pseudonymiser("k")))
    assert type(reject).__name__ == "Reject" and reject.reason.startswith("MaHoSo: holds a citizen id")
    assert not holds_citizen_id(reject.text) and Pseudonymiser("k").pseudonym("046068947676") in reject.text


def test_names_met_across_the_batch_are_scrubbed_alike_on_both_paths(province) -> None:
    """A later record's free text naming an earlier record's applicant (with and without
    diacritics): the fast path and the checked path (the same entity without its declared
    shape) give the same rows, and neither keeps the name."""
    first, second, third = (copy.deepcopy(r) for r in province.dossiers[:3])
    name = first["ChuHoSo"]
    second["GhiChu"] = f"liên hệ {name} ({name.upper()}), {without_diacritics(name)}"
    third["TrichYeuHoSo"] = f"ủy quyền cho {without_diacritics(name).lower()}"
    checked_only = dataclasses.replace(DOSSIERS, declared=None)
    fast = [r for p in parse_pages(DOSSIERS, [[first, second], [third]], Pseudonymiser("k")) for r in p]
    checked = [
        r for p in parse_pages(checked_only, [[first, second], [third]], Pseudonymiser("k")) for r in p
    ]
    assert [as_compared(r) for r in fast] == [as_compared(r) for r in checked]
    text = b" ".join(r.values[3] for r in fast).decode()
    for clear in (name, name.upper(), without_diacritics(name), without_diacritics(name).lower()):
        assert clear not in text, clear
