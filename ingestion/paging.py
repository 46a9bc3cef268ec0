"""Paging loops shared by sources. Each yields whole pages, so memory is bounded by a few pages.

- `numbered_pages`: page numbers from 1; once the source reports its total, up to `in_flight`
  pages are requested at once (a source allows it where pages are addressed by number);
- `cursor_pages`: each answer names where the next page starts, so one request at a time;
- `read_ahead`: any page iterator run on a thread of its own, a bounded number of pages ahead,
  so the next page is fetched while the current one is parsed and loaded.
"""

from __future__ import annotations

import math
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


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
    fetch: Callable[[int], Page], page_size: int, max_pages: int = 100_000, *, in_flight: int = 1
) -> Iterator[list[Any]]:
    """Pages 1, 2, … until a short page, or until `total` records were served.

    A page shorter than `page_size` ends the loop (this covers 0 records and the last
    page); when the source reports `total`, a full last page ends it without asking for an
    empty one. An empty page while `total` says more remain is an error, not an end.
    Once a page has reported `total`, the pages it implies are requested up to `in_flight` at
    once (each on a worker thread) and still yielded in order; without a total, one at a time.
    """
    served = 0
    last_known = 1  # the last page number known to exist (from the total, once reported)
    pool = ThreadPoolExecutor(in_flight, thread_name_prefix="page") if in_flight > 1 else None
    ahead: deque[Future[Page]] = deque()
    asked = 0  # the highest page number requested
    finished = False
    try:
        for number in range(1, max_pages + 1):
            if pool is not None:
                while len(ahead) < in_flight and asked < min(max(last_known, number), max_pages):
                    asked += 1
                    ahead.append(pool.submit(fetch, asked))
                page = ahead.popleft().result()
            else:
                page = fetch(number)
            if page.records:
                yield page.records
            served += len(page.records)
            if page.total is not None:
                if served >= page.total:
                    finished = True
                    return
                if not page.records:
                    raise PagingError(f"page {number} is empty but the source reported {page.total} records")
                last_known = number + math.ceil((page.total - served) / len(page.records))
            elif len(page.records) < page_size:
                finished = True
                return
        raise PagingError(f"more than {max_pages} pages: refusing to loop further")
    finally:
        if pool is not None:
            for future in ahead:
                future.cancel()
            # on an error, a request under way is not waited for: its answer is dropped
            pool.shutdown(wait=finished, cancel_futures=True)


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


_DONE = object()


def read_ahead(pages: Iterator[T], depth: int = 1) -> Iterator[T]:
    """The items of `pages`, produced on a thread of their own up to `depth` items ahead of the
    consumer (a bounded queue: memory stays within depth + 2 items).

    An error of `pages` is raised here, where its item would have come; closing this iterator
    (the consumer failed or stopped) stops the producer at its next item.
    """
    items: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in pages:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))
        finally:
            close = getattr(pages, "close", None)
            if close is not None and stop.is_set():
                close()

    producer = threading.Thread(target=produce, name="read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if type(item) is _Failed:
                raise item.error
            yield item
    finally:
        stop.set()
        while not items.empty():  # unblock a producer waiting to put
            items.get_nowait()


@dataclass(frozen=True)
class _Failed:
    error: BaseException
