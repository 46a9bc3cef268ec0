"""Pseudonymisation and log masking: deterministic, keyed, letters only, nothing personal left."""

from __future__ import annotations

import hmac
import logging
import re
from types import SimpleNamespace

import pytest

from core.settings import ConfigError, Settings
from ingestion.privacy import (
    DEMO_KEY,
    PersonalFields,
    Pseudonymiser,
    citizen_attributes,
    mask_text,
    masked_logger,
)

CITIZEN_ID = "079190012345"  # 079 HCMC, 1 = female born 1900s, 90 → 1990


def test_pseudonym_is_deterministic_keyed_and_cannot_look_like_an_id() -> None:
    a, b = Pseudonymiser("key-a"), Pseudonymiser("key-b")
    assert a.pseudonym(CITIZEN_ID) == a.pseudonym(CITIZEN_ID)
    assert a.pseudonym(CITIZEN_ID) != b.pseudonym(CITIZEN_ID)
    assert a.pseudonym(CITIZEN_ID) != a.pseudonym("079190012346")
    value = a.pseudonym(CITIZEN_ID)
    assert re.fullmatch(r"psn:[a-p]{32}", value)
    # pseudonymising twice is a no-op (an export replayed through the pipeline)
    assert a.pseudonym(value) == value


@pytest.mark.parametrize("key", ["k", "a-longer-key-" * 10])
def test_digest_is_hmac_sha256(key: str) -> None:
    assert Pseudonymiser(key).digest(CITIZEN_ID) == hmac.digest(key.encode(), CITIZEN_ID.encode(), "sha256")


def test_apply_replaces_personal_fields_nested_ones_and_masks_free_text() -> None:
    record = {
        "MaHoSo": "000.00.12.H57-250905-00123",
        "ChuHoSo": "Trần Thị Bình",
        "SoGiayToChuHoSo": CITIZEN_ID,
        "SoDienThoai": "0912345678",
        "Email": "",
        "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": CITIZEN_ID}, "junk"],
        "TrichYeuHoSo": f"Cấp bản sao cho công dân số {CITIZEN_ID}",
    }
    policy = PersonalFields(
        fields=("ChuHoSo", "SoGiayToChuHoSo", "SoDienThoai", "Email"),
        nested={"DinhDanhCHS": ("SoDinhDanh",)},
        free_text=("TrichYeuHoSo",),
        derive_from="SoGiayToChuHoSo",
    )
    psn = Pseudonymiser("k")
    out = psn.apply(record, policy)
    assert out["MaHoSo"] == "000.00.12.H57-250905-00123"
    assert out["ChuHoSo"] == psn.pseudonym("Trần Thị Bình")
    assert out["SoGiayToChuHoSo"] == out["DinhDanhCHS"][0]["SoDinhDanh"] == psn.pseudonym(CITIZEN_ID)
    assert out["SoDienThoai"].startswith("psn:")
    assert out["Email"] == ""  # nothing to hide stays as sent
    assert out["TrichYeuHoSo"] == f"Cấp bản sao cho công dân số {psn.pseudonym(CITIZEN_ID)}"
    assert out["_applicant"] == {"birth_year": "1990", "sex": "F", "birth_province_code": "079"}
    assert CITIZEN_ID not in repr(out) and "Bình" not in repr(out)


def test_personal_values_of_any_json_type_are_hidden() -> None:
    psn = Pseudonymiser("k")
    record = {"SoGiayToChuHoSo": 79190012345, "ChuHoSo": {"Ho": "Trần", "Ten": "Bình"}, "Email": None}
    psn.apply(record, PersonalFields(fields=("SoGiayToChuHoSo", "ChuHoSo", "Email")))
    assert record["SoGiayToChuHoSo"] == psn.pseudonym("79190012345")
    assert record["ChuHoSo"].startswith("psn:") and record["Email"] is None


@pytest.mark.parametrize(
    ("citizen_id", "expected"),
    [
        ("001085000001", {"birth_year": "1985", "sex": "M", "birth_province_code": "001"}),
        ("056305000001", {"birth_year": "2005", "sex": "F", "birth_province_code": "056"}),
        ("12345678901", None),
        ("0010850000AB", None),
        (None, None),
    ],
)
def test_citizen_attributes(citizen_id: str | None, expected: dict | None) -> None:
    assert citizen_attributes(citizen_id) == expected


def test_key_is_required_outside_demo_and_test() -> None:
    with pytest.raises(ConfigError, match="DTIMON_PSEUDONYM_KEY is not set"):
        Pseudonymiser.from_settings(Settings.from_env({"DTIMON_ENV": "production"}))
    demo = Pseudonymiser.from_settings(Settings.from_env({"DTIMON_ENV": "demo"}))
    assert demo.pseudonym("x") == Pseudonymiser(DEMO_KEY).pseudonym("x")
    own = Pseudonymiser.from_settings(Settings.from_env({"DTIMON_PSEUDONYM_KEY": "s3cret"}))
    assert own.pseudonym("x") == Pseudonymiser("s3cret").pseudonym("x")


def test_logs_never_show_id_numbers(caplog: pytest.LogCaptureFixture) -> None:
    log = masked_logger("dtimon.test")
    with caplog.at_level(logging.INFO, logger="dtimon.test"):
        log.info("looking up %s for dossier %s", CITIZEN_ID, "000.00.12.H57-250905-00123")
        log.warning("old id 123456789 and phone 0912345678")
    text = caplog.text
    assert CITIZEN_ID not in text and "123456789" not in text and "0912345678" not in text
    assert "000.00.12.H57-250905-00123" in text  # dossier codes and dates stay readable
    assert mask_text("at 20250901083015") == "at 20250901083015"


def test_pseudonyms_stay_the_same_across_versions_of_dtimon() -> None:
    """Stored pseudonyms link a person across loads and years: their text must never change."""
    psn = Pseudonymiser("k")
    assert psn.pseudonym("Nguyễn Văn An") == "psn:kholgpkaecfhaiggpdolidipbdmmecgc"
    assert psn.pseudonym("056090001234") == "psn:lfjomajdnbienaildfbpjlidjchdfjai"


def test_a_batch_remembers_a_bounded_number_of_values_and_gives_the_same_pseudonyms() -> None:
    """Memory is bounded whatever the interval: beyond CACHE_SIZE distinct values (or free
    texts) the least recently used are dropped, and a dropped value hides the same way again."""

    class Small(Pseudonymiser):
        CACHE_SIZE = 3

    policy = PersonalFields(fields=("ChuHoSo", "SoGiayToChuHoSo"), free_text=("TrichYeuHoSo",))
    small, reference = Small("k"), Pseudonymiser("k")
    for _ in range(2):  # the second pass meets every value again after it was dropped
        for number in range(10):
            name, citizen_id = f"Lê Văn {chr(65 + number)}", f"0790900123{number:02d}"
            record = {
                "ChuHoSo": name,
                "SoGiayToChuHoSo": citizen_id,
                "TrichYeuHoSo": f"Hồ sơ số {number} của {name.upper()}",
            }
            out = small.apply(dict(record), policy)
            assert out == reference.apply(dict(record), policy)
            assert out["TrichYeuHoSo"] == f"Hồ sơ số {number} của ***"
            assert out["SoGiayToChuHoSo"] == reference.pseudonym(citizen_id)
    assert small._entry.cache_info().currsize == small._spelling.cache_info().currsize == 3
    assert small._entry.cache_info().misses == 40  # each of 20 values computed again on the second pass


def test_names_in_a_list_are_searched_in_free_text_by_the_same_rule_as_fields() -> None:
    """A value already a pseudonym (a replayed export) stays as it is and is not searched for,
    nor is one shorter than MIN_SEARCHED once its separators go; the others are."""
    psn = Pseudonymiser("k")
    already = psn.pseudonym("Trần Thị Bình")
    record = {
        "Ghi": f"bổ sung bởi Lê Văn Tám, 1 2 3, {already}",
        "DanhSach": [{"Nguoi": "Lê Văn Tám"}, {"Nguoi": "1 2 3"}, {"Nguoi": already}],
    }
    policy = PersonalFields(fields=(), nested={"DanhSach": ("Nguoi",)}, free_text=("Ghi",))
    out = psn.apply(record, policy)
    # (a text where a value was found keeps its digits without their separators: scrub_text)
    assert out["Ghi"] == f"bổ sung bởi ***, 123, {already}"
    assert [item["Nguoi"] for item in out["DanhSach"]] == [
        psn.pseudonym("Lê Văn Tám"),
        psn.pseudonym("1 2 3"),
        already,
    ]


def test_the_declared_walk_reaches_lists_within_lists_as_apply_does() -> None:
    """The walk written for a declared shape inlines nested lists at any depth (`i1`, `i2`, …)
    and leaves each item as `apply` leaves the same record as dicts."""
    policy = PersonalFields(
        fields=("ChuHoSo",),
        free_text=("GhiChu",),
        nested={
            "Buoc": PersonalFields(
                fields=("CanBo",),
                nested={"YKien": PersonalFields(fields=("NguoiGui",), free_text=("NoiDung",))},
            )
        },
    )

    def record() -> dict:
        return {
            "ChuHoSo": "Lê Thị Hoa",
            "GhiChu": "gọi Lê Thị Hoa",
            "Buoc": [
                {
                    "CanBo": "Phan Văn Đức",
                    "YKien": [{"NguoiGui": "Võ An", "NoiDung": "ông Phan Văn Đức đã nhận"}],
                },
                {"CanBo": "", "YKien": []},
            ],
        }

    def as_items(value: object) -> object:
        if isinstance(value, dict):
            return SimpleNamespace(**{k: as_items(v) for k, v in value.items()})
        return [as_items(v) for v in value] if isinstance(value, list) else value

    def as_dicts(value: object) -> object:
        if isinstance(value, SimpleNamespace):
            return {k: as_dicts(v) for k, v in vars(value).items()}
        return [as_dicts(v) for v in value] if isinstance(value, list) else value

    psn = Pseudonymiser("k")
    expected = psn.apply(record(), policy)
    walked = psn.apply_declared(as_items(record()), policy)
    assert as_dicts(walked) == expected
    assert expected["Buoc"][0]["YKien"][0]["NguoiGui"] == psn.pseudonym("Võ An")
    assert expected["Buoc"][0]["YKien"][0]["NoiDung"] == "ông *** đã nhận"
    assert "i2" in policy.declared_walk.source


def test_a_policy_that_repeats_gives_each_combination_what_the_walk_gives_it() -> None:
    """`repeats`: a combination of officer and text met before in the batch is given what it
    became then, without computing it again; every record ends as the plain walk leaves it,
    and the memory of combinations is emptied once full."""
    plain = PersonalFields(
        fields=("CanBo",), free_text=("NoiDung",), known=frozenset({"Ma", "CanBo", "NoiDung"})
    )
    repeated = PersonalFields(fields=plain.fields, free_text=plain.free_text, known=plain.known, repeats=True)
    combinations = [
        ("Phan Văn Đức", "ông Phan Văn Đức đã nhận, gọi 0912 345 678"),
        ("Võ An", "Tiếp nhận hồ sơ"),
        ("", "Hệ thống tự động chuyển"),
        ("Phan Văn Đức", "Tiếp nhận hồ sơ"),
    ]

    def records() -> list[SimpleNamespace]:
        return [
            SimpleNamespace(Ma=f"X-{n}", CanBo=officer, NoiDung=text)
            for n, (officer, text) in enumerate(combinations * 3)
        ]

    expected = [vars(Pseudonymiser("k").apply_declared(r, plain)) for r in records()]
    psn = Pseudonymiser("k")
    computed: list[str] = []
    walk = psn._walk_declared
    psn._walk_declared = lambda record, policy: (computed.append(record.CanBo), walk(record, policy))  # type: ignore[method-assign]
    assert [vars(psn.apply_declared(r, repeated)) for r in records()] == expected
    assert len(computed) == len(combinations)  # each combination walked once
    # the officer's own name masked; the phone number, whoever's, replaced by its pseudonym
    assert expected[0]["NoiDung"] == f"ông *** đã nhận, gọi {psn.pseudonym('0912345678')}"

    psn.CACHE_SIZE = 2  # type: ignore[misc]
    psn._repeats = None  # a batch of another policy in between starts afresh
    computed.clear()
    assert [vars(psn.apply_declared(r, repeated)) for r in records()] == expected
    assert len(computed) > len(combinations)  # forgotten when full, computed again


def test_only_a_flat_policy_can_repeat() -> None:
    with pytest.raises(ValueError, match="repeats"):
        PersonalFields(fields=("SoCCCD",), derive_from="SoCCCD", repeats=True)
    with pytest.raises(ValueError, match="repeats"):
        PersonalFields(fields=(), nested={"Buoc": PersonalFields(fields=("CanBo",))}, repeats=True)
    with pytest.raises(ValueError, match="repeats"):
        PersonalFields(fields=(), repeats=True)


def test_an_id_in_a_plain_field_is_pseudonymised_and_counted_but_a_key_is_left_to_refuse() -> None:
    policy = PersonalFields(fields=("ChuHoSo",), free_text=("GhiChu",), keys=frozenset({"MaHoSo"}))
    psn = Pseudonymiser("k")
    unknown: dict = {}
    record = {
        "MaHoSo": "X-046068947676",
        "MaHoSoKhac": "CCCD-046.068.947.676",
        "TenTTHC": "Hồ sơ của 0460 6894 7676 và thêm",
        "DonViXuLy": "000.00.12.H57",
        "Ds": [{"Ma": "046-068-947-676"}],
        "GhiChu": "số 046 068 947 676",
    }
    psn.apply(record, policy, unknown)
    assert record["MaHoSo"] == "X-046068947676"  # the parser refuses it: a key is stored as sent
    assert record["MaHoSoKhac"] == record["Ds"][0]["Ma"] == psn.pseudonym("046068947676")
    assert record["TenTTHC"] == psn.pseudonym("Hồ sơ của 0460 6894 7676 và thêm")
    assert record["DonViXuLy"] == "000.00.12.H57"
    assert record["GhiChu"] == f"số {psn.pseudonym('046068947676')}"
    assert unknown == {
        ("MaHoSoKhac", "citizen id"): 1,
        ("TenTTHC", "citizen id"): 1,
        ("Ds[].Ma", "citizen id"): 1,
    }


def test_a_12_digit_code_that_is_no_id_is_kept() -> None:
    record = {"MaHoSoKhac": "999068947676", "Ma": "20250903101530", "GhiChu": "mã 999068947676"}
    Pseudonymiser("k").apply(record, PersonalFields(fields=(), free_text=("GhiChu",)), unknown := {})
    assert record["MaHoSoKhac"] == "999068947676" and record["Ma"] == "20250903101530" and unknown == {}
    assert record["GhiChu"] == "mã ***"  # free text: any 9–12 digit run still masked


DOSSIER_POLICY = PersonalFields(
    fields=("ChuHoSo", "SoDienThoai"),
    free_text=("GhiChu",),
    known=frozenset({"MaHoSo", "ChuHoSo", "SoDienThoai", "GhiChu"}),
    case_key="MaHoSo",
    case_people=True,
)
NOTE_POLICY = PersonalFields(fields=("CanBo",), free_text=("NoiDung",), case_key="MaHoSo")


def test_free_text_loses_the_names_met_in_the_batch_with_or_without_diacritics() -> None:
    psn = Pseudonymiser("k")
    first = {"MaHoSo": "A", "ChuHoSo": "Nguyễn Văn Đạt", "GhiChu": ""}
    psn.apply(first, DOSSIER_POLICY)
    psn.scrub_people(first, DOSSIER_POLICY, {})
    note = {
        "MaHoSo": "B",
        "CanBo": "Lê Thị Hoa",
        "NoiDung": "Đã gọi ông NGUYEN VAN DAT, rồi ông Nguyễn  Văn Đạt.",
    }
    psn.apply(note, NOTE_POLICY)
    psn.scrub_people(note, NOTE_POLICY, {})
    assert note["NoiDung"] == (
        f"Đã gọi ông {psn.pseudonym('nguyen van dat')}, rồi ông {psn.pseudonym('nguyễn văn đạt')}."
    )
    assert {case for case, _ in psn.take_people()} == {"A"}  # only a dossier's people are stored


def test_free_text_loses_the_people_stored_for_its_case_found_by_pseudonym() -> None:
    """Another day: the batch never met the name, the case's stored pseudonyms name it."""
    earlier = Pseudonymiser("k")
    dossier = {"MaHoSo": "A", "ChuHoSo": "Trần Thị Bình", "GhiChu": "x"}
    earlier.apply(dossier, DOSSIER_POLICY)
    earlier.scrub_people(dossier, DOSSIER_POLICY, {})
    stored = earlier.take_people()
    people = {"A": frozenset(p for case, p in stored if case == "A")}
    # one pseudonym, of the spelling without diacritics: a run is compared in both its spellings
    assert people["A"] == {earlier.pseudonym("tran thi binh")}
    later = Pseudonymiser("k")
    for text, spelling in [
        ("gặp bà Trần Thị Bình", "trần thị bình"),
        ("gặp bà tran thi binh", "tran thi binh"),
    ]:
        note = {"MaHoSo": "A", "CanBo": "", "NoiDung": text}
        later.scrub_people(note, NOTE_POLICY, people)
        assert note["NoiDung"] == f"gặp bà {later.pseudonym(spelling)}"
        other = {"MaHoSo": "B", "CanBo": "", "NoiDung": text}  # another case's note keeps it
        later.scrub_people(other, NOTE_POLICY, people)
        assert other["NoiDung"] == text


def test_a_renamed_name_field_is_searched_for_in_the_records_free_text() -> None:
    psn = Pseudonymiser("k")
    record = {"MaHoSo": "A", "ChuHoSoMoi": "Phạm Văn Long", "GhiChu": "ông Phạm Văn Long nộp"}
    psn.apply(record, DOSSIER_POLICY, unknown := {})
    assert record["ChuHoSoMoi"] == psn.pseudonym("Phạm Văn Long") and unknown == {"ChuHoSoMoi": 1}
    assert "Phạm" not in record["GhiChu"] and "Long" not in record["GhiChu"]


def test_the_batch_memory_of_names_is_bounded() -> None:
    psn = Pseudonymiser("k")
    for n in range(2 * Pseudonymiser.CACHE_SIZE + 10):
        record = {"MaHoSo": str(n), "ChuHoSo": f"Nguyễn Văn {n:05d}x", "GhiChu": "x"}
        psn.apply(record, DOSSIER_POLICY)
        psn.scrub_people(record, DOSSIER_POLICY, {})
        psn.take_people()
    assert (
        len(psn._met) <= 2 * Pseudonymiser.CACHE_SIZE
        and len(psn._people_seen) <= 4 * Pseudonymiser.CACHE_SIZE
    )


def test_sealed_originals_open_only_with_the_key() -> None:
    from cryptography.exceptions import InvalidTag

    from ingestion.privacy import sealer, unseal

    sealed = sealer("operator-secret")(b'{"ChuHoSo":"Nguyen Van An"}')
    assert b"Nguyen" not in sealed and sealed != sealer("operator-secret")(b'{"ChuHoSo":"Nguyen Van An"}')
    assert unseal("operator-secret", sealed) == b'{"ChuHoSo":"Nguyen Van An"}'
    with pytest.raises(InvalidTag):
        unseal("another", sealed)


def test_word_runs_are_spelled_alike_whatever_the_texts_normal_form() -> None:
    import unicodedata

    from ingestion.privacy import TextRuns

    text = "Gặp ông NGUYỄN  Văn Đạt, rồi bà Lê\tThị Hoa."
    nfc, nfd = TextRuns(text), TextRuns(unicodedata.normalize("NFD", text))
    assert [s[2:] for s in nfc.spans] == [s[2:] for s in nfd.spans]
    assert ("nguyễn văn đạt", "nguyen van dat") in [s[2:] for s in nfc.spans]
    assert ("lê thị hoa", "le thi hoa") in [s[2:] for s in nfc.spans]
    assert not any("đạt rồi" in s[2] for s in nfc.spans)  # a comma ends a run


def test_a_records_own_values_are_found_in_its_free_text_without_diacritics() -> None:
    """An address or a name typed without diacritics (a phone keyboard) is the same value."""
    psn = Pseudonymiser("k")
    record = {
        "MaHoSo": "A",
        "DiaChiChuHoSo": "Số 169 Chi Lăng, phường An Cựu, thành phố Huế",
        "ChuHoSo": "Đặng Quang Hùng",
        "GhiChu": "Gửi về so 169 chi lang, phuong an cuu, thanh pho hue cho DANG QUANG HUNG.",
    }
    psn.apply(record, DOSSIER_POLICY)
    assert "chi lang" not in record["GhiChu"].lower() and "dang quang" not in record["GhiChu"].lower()
    assert record["GhiChu"].startswith("Gửi về ") and record["GhiChu"].endswith(".")
