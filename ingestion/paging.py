"""Paging loops shared by sources. Each yields whole pages, so memory is bounded by one page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    records: list[Any]
    total: int | None  # records matching the query, when the source says


class TracedRecords(list[Any]):
    """A page's records with where some of them came from, by position (`origins`): the
    `file:line` of a line the replay sandbox served as it is. A reject of such a record keeps it."""

    origins: dict[int, str]

    @classmethod
    def of(cls, records: list[Any], origins: dict[int, str]) -> TracedRecords:
        traced = cls(records)
        traced.origins = origins
        return traced


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


def cursor_pages(
    fetch: Callable[[str | None], tuple[list[Any], str | None]],
    start: str | None,
    advance: Callable[[str], None],
    max_pages: int = 100_000,
) -> Iterator[list[Any]]:
    """Pages from cursor `start`, each answer naming where the next one starts (`nextRecordsFrom`).

    `fetch(cursor)` returns a page and the next cursor. The loop ends on an empty page or an
    answer that names no next cursor; a next cursor equal to the one asked is an error (the
    source would serve the same page for ever). `advance(cursor)` is called once a page has
    been consumed, so the stored cursor never runs ahead of what was loaded.
    """
    cursor = start
    for _ in range(max_pages):
        records, following = fetch(cursor)
        if records:
            yield records
        if following not in (None, ""):
            if following == cursor:
                raise PagingError(f"the source answered cursor {cursor!r} with the same cursor")
            advance(str(following))
        if not records or following in (None, ""):
            return
        cursor = str(following)
    raise PagingError(f"more than {max_pages} pages: refusing to loop further")
