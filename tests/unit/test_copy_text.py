"""The loader's COPY text: values escaped as PostgreSQL's text format requires, and the page-wide
check for a citizen id in any spelling (`ingestion.personal_text`), its last safety net."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from ingestion.load import _copy_bytes, _copy_page, _holds_citizen_id
from ingestion.personal_text import citizen_id_pattern, may_hold_citizen_id

#: a page this long is searched as whole pages are
_CHUNK = 25_000


def test_values_become_copy_text_fields() -> None:
    assert _copy_bytes(b'{"a":"x\\"y"}') == b'{"a":"x\\\\"y"}'  # backslash doubled
    assert _copy_bytes("tab\there\nnew\rcr") == b"tab\\there\\nnew\\rcr"
    assert _copy_bytes("Nguyễn") == "Nguyễn".encode()
    assert _copy_bytes(None) == b"\\N"
    assert _copy_bytes(42) == b"42"
    assert _copy_bytes(True) == b"t"
    at = datetime(2025, 9, 1, 8, 30, tzinfo=timezone(timedelta(hours=7)))
    assert _copy_bytes(at) == b"2025-09-01T08:30:00+07:00"


@pytest.mark.parametrize(
    ("page", "found"),
    [
        (b"056090001234", True),  # the whole text
        (b"056090001234\tx", True),  # at the very start
        (b"0560900012345\tx", False),
        (b"a\t056090001234\t1\n", True),
        (b'{"GhiChu":"cccd 056090001234"}\t7\n', True),
        (b"20250901083000\t7\n", False),  # a 14-digit compact time
        (b"0560900012345\t7\n", False),  # 13 digits
        (b"05609000123\t7\n", False),  # 11 digits
        (b"20250901083000 x 056090001234\n", True),  # a longer run before a 12-digit one
        (b"x 056090001234", True),  # at the very end
        (b"x 0560900012345", False),
        (b"1" * 24 + b" 7", False),  # 24 digits: twice 12 zeros, once 13, yet no run of 12
        (b"", False),
        (b"a\t046.068.947.676\t1\n", True),  # grouped 3-3-3-3
        (b'{"MaHoSoKhac":"CCCD-0460 6894 7676"}\t7\n', True),  # 4-4-4 after its label
        (b"a\t046-068-947676\t1\n", True),  # 3-3-6
        (b"a\t999068947676\t1\n", False),  # 12 digits, no province code: a code, kept
        (b"a\t12 046 068 947 676\t1\n", False),  # next to another digit group
    ],
)
def test_a_citizen_id_is_found_in_a_page(page: bytes, found: bool) -> None:
    assert _holds_citizen_id(page) is found


@pytest.mark.parametrize("offset", [-14, -13, -12, -7, -1, 0, 1, 11, 12])
@pytest.mark.parametrize(("run", "found"), [(b"056090001234", True), (b"20250901083000", False)])
def test_a_run_is_judged_whole_wherever_it_lies_in_a_long_page(offset: int, run: bytes, found: bool) -> None:
    """A run anywhere in a long page is judged whole, neither missed nor seen as a shorter one."""
    filler = '{"TenTTHC":"Cấp giấy phép xây dựng"} 1 22 333\t'.encode()
    page = (filler * (3 * _CHUNK // len(filler)))[: _CHUNK + offset] + b"x" + run + b"\t" + filler * 40
    assert _holds_citizen_id(page) is found
    page_with_digits_around = (b"9" * (_CHUNK + offset)) + b"x" + run + b"x" + b"8" * 30 + b"\n"
    assert _holds_citizen_id(page_with_digits_around) is found


def test_the_page_check_agrees_with_the_matcher_on_random_pages() -> None:
    """Pages of random digit runs (1–15 digits, now and then a citizen id in one of its
    spellings) and other bytes, some cut right after a run: the check of the page's bytes says
    what the matcher says of its text."""
    matcher = citizen_id_pattern()
    spellings = [b"046068947676", b"046.068.947.676", b"0460-6894-7676", b"046 068 947676"]
    rng = random.Random(20251130)
    for _ in range(60):
        parts, size = [], 0
        while size < rng.randint(2 * _CHUNK, 3 * _CHUNK):
            run = b"".join(
                rng.choice(b"0123456789").to_bytes() for _ in range(rng.choice([1, 4, 10, 11, 13, 14, 15]))
            )
            if rng.random() < 0.0005:
                run = rng.choice(spellings)
            part = run + rng.choice([b" ", b"\t", b'","', "ễ".encode(), b"x", b"-"])
            parts.append(part)
            size += len(part)
        page = b"".join(parts)
        if rng.random() < 0.3:
            page = page.rstrip(b' \t",x\xbb\x85\xe1')  # ends with a run
        found = matcher.search(page.decode()) is not None
        assert may_hold_citizen_id(page) is found
        assert _holds_citizen_id(page) is found


def test_a_page_is_written_column_by_column_as_each_value_would_be() -> None:
    """`_copy_page` converts a column at a time; each line is still its values' `_copy_bytes`."""
    at = datetime(2025, 9, 1, 8, 30, tzinfo=timezone(timedelta(hours=7)))
    pages = [
        [("20250901T083000+07", "X-1", 3, b'{"a":"b"}'), ("20250902T083000+07", "X-2", 4, b'{"a":"c"}')],
        [("a\tb", "back\\slash", 1, b'{"a":"x\\"y"}'), ("new\nline", "cr\r", 2, b"{}")],  # escaped
        [(None, "X", None, b"{}"), (at, None, True, "Nguyễn")],  # mixed types in a column
        [(1.5, False, -7, b"")],
        [("X", "Y", 1, b"{}"), (None, 5, None, "Nguyễn")],  # another type after the first value's
    ]
    for rows in pages:
        expected = b"".join(b"\t".join(_copy_bytes(v) for v in row) + b"\t9\n" for row in rows)
        assert _copy_page(rows, b"\t9\n") == expected
