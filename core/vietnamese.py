"""Vietnamese alphabetical order: the one sort key for names (agencies, units) in reports.

Letters follow the Vietnamese alphabet (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư
v x y; f j w z, found in foreign names, in their Latin places); tones are a secondary key in
dictionary order (none, huyền, hỏi, ngã, sắc, nặng), so "Sở Dân tộc" sorts before "Sở Du lịch".
"""

from __future__ import annotations

import unicodedata

ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
#: A base letter and a combining mark that together make a letter of its own.
_WITH_MARK = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê", ("o", "\u0302"): "ô",
              ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}  # fmt: skip
#: Tone marks in dictionary order (no mark is 0).
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
#: Letters rank after a space (a word boundary: "An" < "An Cựu" < "Anh") and after digits and punctuation.
_LETTERS = 0x110000
_RANK = {letter: _LETTERS + n for n, letter in enumerate(ALPHABET)}
_LETTER = {rank: letter for letter, rank in _RANK.items()}


def sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    """Key for `sorted`: letters in Vietnamese order, then tones, then the text itself."""
    letters: list[int] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFD", text.casefold()):
        if char in _TONES and tones:
            tones[-1] = _TONES[char]
        elif letters and (marked := _WITH_MARK.get((_LETTER.get(letters[-1]), char))):
            letters[-1] = _RANK[marked]
        elif unicodedata.combining(char):
            continue
        else:
            letters.append(0 if char.isspace() else _RANK.get(char, ord(char)))
            tones.append(0)
    return tuple(letters), tuple(tones), text
