"""Vietnamese alphabetical order: letters of the Vietnamese alphabet first, tones second."""

from __future__ import annotations

from core.vietnamese import sort_key


def test_letters_follow_the_vietnamese_alphabet() -> None:
    names = ["Sở Du lịch", "Sở Y tế", "Sở Dân tộc", "Điện Biên", "Ơn", "On", "Ôn", "Ưu", "Uu", "Dương"]
    assert sorted(names, key=sort_key) == [
        "Dương", "Điện Biên", "On", "Ôn", "Ơn", "Sở Dân tộc", "Sở Du lịch", "Sở Y tế", "Uu", "Ưu",
    ]  # fmt: skip


def test_tones_are_a_secondary_key_in_dictionary_order() -> None:
    assert sorted(["bạ", "bá", "ba", "bã", "bà", "bả"], key=sort_key) == ["ba", "bà", "bả", "bã", "bá", "bạ"]
    assert sorted(["Bà Rịa", "Bạc", "Ba"], key=sort_key) == ["Ba", "Bà Rịa", "Bạc"]  # letters before tones


def test_a_word_ends_before_a_longer_word_and_case_is_ignored() -> None:
    assert sorted(["Anh", "an Cựu", "An"], key=sort_key) == ["An", "an Cựu", "Anh"]
    assert sort_key("Ấp")[:2] == sort_key("ấp")[:2]
    assert sort_key("Ấp")[:2] == sort_key("\u0041\u0302\u0301p")[:2]  # decomposed input sorts the same
