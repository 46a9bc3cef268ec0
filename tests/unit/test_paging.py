"""The paging loop serves every record exactly once: 0, 1, exactly one page, many pages."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ingestion.paging import Page, PagingError, cursor_pages, numbered_pages, read_ahead


def _source(n: int, page_size: int, *, with_total: bool, in_flight: int = 1) -> tuple[list[int], list[int]]:
    records = list(range(n))
    asked: list[int] = []

    def fetch(number: int) -> Page:
        asked.append(number)
        chunk = records[(number - 1) * page_size : number * page_size]
        return Page(chunk, n if with_total else None)

    served = [r for page in numbered_pages(fetch, page_size, in_flight=in_flight) for r in page]
    assert served == records
    return served, sorted(asked)


@pytest.mark.parametrize("in_flight", [1, 3])
@pytest.mark.parametrize("with_total", [True, False])
@pytest.mark.parametrize(
    ("n", "pages_with_total", "pages_without_total"),
    [(0, 1, 1), (1, 1, 1), (10, 1, 2), (11, 2, 2), (35, 4, 4), (40, 4, 5)],
)
def test_every_record_once(
    n: int, pages_with_total: int, pages_without_total: int, with_total: bool, in_flight: int
) -> None:
    """Several pages in flight ask for the same pages and serve the records in the same order."""
    _, asked = _source(n, 10, with_total=with_total, in_flight=in_flight)
    assert asked == list(range(1, (pages_with_total if with_total else pages_without_total) + 1))


def test_source_capping_page_size_is_followed_to_the_end() -> None:
    # the source serves at most 3 per page although 10 were asked: total keeps the loop going
    records = list(range(8))

    def fetch(number: int) -> Page:
        return Page(records[(number - 1) * 3 : number * 3], len(records))

    assert [r for page in numbered_pages(fetch, 10) for r in page] == records
    assert [r for page in numbered_pages(fetch, 10, in_flight=4) for r in page] == records


@pytest.mark.parametrize("in_flight", [1, 3])
def test_total_that_is_never_served_is_an_error(in_flight: int) -> None:
    def fetch(number: int) -> Page:
        return Page([1] if number == 1 else [], 5)

    with pytest.raises(PagingError, match="reported 5"):
        list(numbered_pages(fetch, 10, in_flight=in_flight))


def test_a_page_that_fails_in_flight_fails_the_loop_after_the_pages_before_it() -> None:
    def fetch(number: int) -> Page:
        if number == 3:
            raise RuntimeError("page 3 failed")
        return Page([number], 6)

    served: list[int] = []
    with pytest.raises(RuntimeError, match="page 3 failed"):
        for page in numbered_pages(fetch, 1, in_flight=3):
            served.extend(page)
    assert served == [1, 2]


def test_read_ahead_keeps_the_order_and_raises_an_error_where_it_came() -> None:
    def pages() -> Iterator[list[int]]:
        yield [1]
        yield [2]
        raise RuntimeError("the source went down")

    served: list[list[int]] = []
    with pytest.raises(RuntimeError, match="went down"):
        for page in read_ahead(pages()):
            served.append(page)
    assert served == [[1], [2]]
    assert list(read_ahead(iter([[1], [], [3]]), depth=2)) == [[1], [], [3]]


def test_read_ahead_stops_its_producer_when_the_consumer_stops() -> None:
    produced: list[int] = []
    stopped = threading.Event()

    def pages() -> Iterator[int]:
        try:
            for n in range(1000):
                produced.append(n)
                yield n
        finally:
            stopped.set()

    ahead = read_ahead(pages(), depth=1)
    assert next(ahead) == 0
    ahead.close()
    assert stopped.wait(5)
    assert len(produced) <= 3  # the one taken, the one queued, the one the producer held


@pytest.mark.parametrize(
    ("n", "start", "names_last", "asked", "advanced"),
    [
        (0, None, True, [None], []),
        (1, None, True, [None, "1"], ["1"]),
        (10, None, True, [None, "10"], ["10"]),
        (25, None, True, [None, "10", "20", "25"], ["10", "20", "25"]),
        (25, "20", True, ["20", "25"], ["25"]),
        # a source that names no next cursor on its last page: the loop ends there
        (25, None, False, [None, "10", "20"], ["10", "20"]),
    ],
)
def test_cursor_pages_serve_every_record_once_and_advance_after_each_page(
    n: int, start: str | None, names_last: bool, asked: list[str | None], advanced: list[str]
) -> None:
    """A `nextRecordsFrom` source serving pages of 10 from a record number."""
    calls: list[str | None] = []
    moved: list[str] = []

    def fetch(cursor: str | None) -> tuple[list[int], str | None]:
        calls.append(cursor)
        first = int(cursor or 0)
        records = list(range(first, min(first + 10, n)))
        last = first + 10 >= n
        following = str(first + len(records)) if records and (names_last or not last) else None
        return records, following

    served: list[int] = []
    for page in cursor_pages(fetch, start, moved.append):
        assert len(moved) == len(served) // 10  # the cursor moves only once a page was consumed
        served.extend(page)
    assert served == list(range(int(start or 0), n))
    assert calls == asked
    assert moved == advanced


def test_cursor_pages_refuse_a_cursor_that_does_not_move() -> None:
    with pytest.raises(PagingError, match="same cursor"):
        list(cursor_pages(lambda cursor: ([1], "7"), "7", lambda c: None))
