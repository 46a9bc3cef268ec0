"""Paging loops shared by sources. Each yields whole pages, so memory is bounded by one page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    records: list[Any]
    total: int | None  # records matching the query, when the source says


class PagingError(RuntimeError):
    """The source's paging contradicts itself (e.g. it claims more records than it ever serves)."""


def numbered_pages(
    fetch: Callable[[int], Page], page_size: int, max_pages: int = 100_000
) -> Iterator[list[Any]]:
    """Pages 1, 2, … until a short page, or until `total` records were served.

    A page shorter than `page_size` ends the loop (this covers 0 records and the last
    page); when the source reports `total`, a full last page ends it without asking for an
    empty one. An empty page while `total` says more remain is an error, not an end.
    """
    served = 0
    for number in range(1, max_pages + 1):
        page = fetch(number)
        if page.records:
            yield page.records
        served += len(page.records)
        if page.total is not None:
            if served >= page.total:
                return
            if not page.records:
                raise PagingError(f"page {number} is empty but the source reported {page.total} records")
        elif len(page.records) < page_size:
            return
    raise PagingError(f"more than {max_pages} pages: refusing to loop further")
