"""The paging loop serves every record exactly once: 0, 1, exactly one page, many pages."""

from __future__ import annotations

import pytest

from ingestion.paging import Page, PagingError, numbered_pages


def _source(n: int, page_size: int, *, with_total: bool) -> tuple[list[int], list[int]]:
    records = list(range(n))
    asked: list[int] = []

    def fetch(number: int) -> Page:
        asked.append(number)
        chunk = records[(number - 1) * page_size : number * page_size]
        return Page(chunk, n if with_total else None)

    served = [r for page in numbered_pages(fetch, page_size) for r in page]
    assert served == records
    return served, asked


@pytest.mark.parametrize("with_total", [True, False])
@pytest.mark.parametrize(
    ("n", "pages_with_total", "pages_without_total"),
    [(0, 1, 1), (1, 1, 1), (10, 1, 2), (11, 2, 2), (35, 4, 4), (40, 4, 5)],
)
def test_every_record_once(n: int, pages_with_total: int, pages_without_total: int, with_total: bool) -> None:
    _, asked = _source(n, 10, with_total=with_total)
    assert asked == list(range(1, (pages_with_total if with_total else pages_without_total) + 1))


def test_source_capping_page_size_is_followed_to_the_end() -> None:
    # the source serves at most 3 per page although 10 were asked: total keeps the loop going
    records = list(range(8))

    def fetch(number: int) -> Page:
        return Page(records[(number - 1) * 3 : number * 3], len(records))

    assert [r for page in numbered_pages(fetch, 10) for r in page] == records


def test_total_that_is_never_served_is_an_error() -> None:
    def fetch(number: int) -> Page:
        return Page([1] if number == 1 else [], 5)

    with pytest.raises(PagingError, match="reported 5"):
        list(numbered_pages(fetch, 10))
