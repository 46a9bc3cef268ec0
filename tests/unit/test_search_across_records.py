"""The search across records (`Pseudonymiser.scrub_people`) after the work it remembers: a free
text's runs compared once with the values met, and again only when a value was met since; a run's
pseudonym computed without the entry's spellings; a text's runs indexed by their first word; a
name's word runs read without a regular expression."""

from __future__ import annotations

import random

import pytest

from ingestion.privacy import (
    PersonalFields,
    Pseudonymiser,
    TextRuns,
    _personal_entry,
    _pseudonym,
    _run_heads,
    normalise,
    run_spellings,
    without_diacritics,
)

POLICY = PersonalFields(
    fields=("ChuHoSo",),
    free_text=("GhiChu",),
    known=frozenset({"MaHoSo", "ChuHoSo", "GhiChu"}),
    case_key="MaHoSo",
    case_people=True,
)
NOTE = "đã gọi ông Nguyễn Văn Đạt về hồ sơ"


def _scrubbed(psn: Pseudonymiser, case: str, name: str, note: str) -> str:
    record = {"MaHoSo": case, "ChuHoSo": name, "GhiChu": note}
    psn.apply(record, POLICY)
    psn.scrub_people(record, POLICY, {})
    return record["GhiChu"]


def test_a_text_compared_before_a_name_was_met_is_compared_again_after() -> None:
    """The same text (one remembered `TextRuns`) keeps the name before it is met, loses it after,
    and keeps losing it while other names are met."""
    psn = Pseudonymiser("k")
    assert _scrubbed(psn, "A", "Lê Thị Hoa", NOTE) == NOTE  # not met yet: kept
    assert _scrubbed(psn, "B", "Lê Thị Hoa", NOTE) == NOTE  # no value met since: the same answer
    _scrubbed(psn, "C", "Nguyễn Văn Đạt", "")
    hidden = f"đã gọi ông {psn.pseudonym('nguyễn văn đạt')} về hồ sơ"
    assert _scrubbed(psn, "D", "Lê Thị Hoa", NOTE) == hidden
    assert _scrubbed(psn, "E", "Phạm Minh Long", NOTE) == hidden  # a name added: compared again


def test_the_memory_of_a_text_is_one_pseudonymisers() -> None:
    """Another batch (another pseudonymiser) has met no name: its texts start afresh."""
    first = Pseudonymiser("k")
    _scrubbed(first, "A", "Nguyễn Văn Đạt", "")
    assert _scrubbed(first, "B", "Lê Thị Hoa", NOTE) != NOTE
    assert _scrubbed(Pseudonymiser("k"), "B", "Lê Thị Hoa", NOTE) == NOTE


@pytest.mark.parametrize(
    "value", ["nguyen van dat", "nguyễn văn đạt", "NGUYỄN  Văn Đạt", "0912345678", "psn:abcdef", "x y"]
)
def test_a_runs_pseudonym_is_its_entrys(value: str) -> None:
    psn = Pseudonymiser("k")
    assert _pseudonym(psn._inner, psn._outer, value) == _personal_entry(psn._inner, psn._outer, value)[0]
    assert psn._run_pseudonym(value) == psn.pseudonym(value)


def test_a_texts_runs_are_indexed_by_the_first_word_of_either_spelling() -> None:
    """`TextRuns.heads` holds each run under the first word of each of its spellings, in order."""
    words = ["Nguyễn", "văn", "An", "hồ", "sơ", "ĐĂNG", "ký", "Straße", "x1", "đạt,", "Lê", "ß", "—", "Hoa"]
    gaps = [" ", " ", "  ", ", ", "\n", "\t", ""]
    rng = random.Random(7)
    for _ in range(2000):
        text = "".join(rng.choice(words) + rng.choice(gaps) for _ in range(rng.randint(0, 10)))
        runs = TextRuns(text)
        expected: dict[str, list[tuple[int, int, str, str]]] = {}
        for span in runs.spans:
            for head in {span[2].partition(" ")[0], span[3].partition(" ")[0]}:
                expected.setdefault(head, []).append(span)
        assert runs.heads == expected, text


def test_an_entrys_word_runs_are_its_run_spellings() -> None:
    """`_run_heads` (a name of plain letters read directly) gives what `run_spellings` gives,
    for values as entries spell them and as they come."""
    parts = [
        "Nguyễn",
        "Văn",
        "An",
        "nguyen",
        "van",
        "LE",
        "ß",
        "İ",
        "ǅ",
        "x1",
        "12",
        "3-4",
        "a_b",
        "@",
        ".",
        "中文",
    ]
    rng = random.Random(5)
    for n in range(20_000):
        value = rng.choice([" ", "", "  ", "\n"]).join(rng.choice(parts) for _ in range(rng.randint(0, 7)))
        if n % 2:
            value = without_diacritics(normalise(value))
        expected = tuple((s, s.partition(" ")[0]) for s in run_spellings(value))
        assert _run_heads(value) == expected, value
