"""What the day-at-a-time sandboxes share (a camera feed, a call log): a span of local
days whose streams are built on first use and kept in a bounded cache, and local-time helpers.

A `DayParts` has the span (`start`, and `end`: the simulated clock, exclusive; both None for an
empty replay) and `part(d, stream)`: one stream of local day `d` in the order it is served, each
record already as the bytes that are sent. Parts are built on first use (`_build`: a generator
draws the day, a replay reads its file) and kept in a cache of at most `cache_bytes`.
"""

from __future__ import annotations

import abc
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

#: the bytes of built parts kept by default
CACHE_BYTES = 200_000_000
LOCAL_OFFSET = timedelta(hours=7)
_EPOCH = datetime(1970, 1, 1)


def local_day_start(day: date) -> float:
    """Epoch seconds (UTC) of local midnight starting `day` (Asia/Ho_Chi_Minh, UTC+7, no DST)."""
    return (datetime.combine(day, time()) - LOCAL_OFFSET - _EPOCH).total_seconds()


def local_moment(epoch: float) -> datetime:
    """The naive local time of epoch seconds (no wall clock, no time-zone database)."""
    return _EPOCH + LOCAL_OFFSET + timedelta(seconds=epoch)


def local_epoch(moment: datetime) -> float:
    """Epoch seconds of a naive local datetime (the inverse of `local_moment`)."""
    return (moment - LOCAL_OFFSET - _EPOCH).total_seconds()


@dataclass(frozen=True)
class Part:
    """One stream of one local day in served order: each record as the bytes sent, and its sort
    key (what a key is, the sandbox says)."""

    records: list[bytes] = field(default_factory=list)
    keys: list[Any] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(record) for record in self.records)


EMPTY_PART = Part()


class DayParts(abc.ABC):
    """A span of local days served a part at a time. `start`/`end` None: an empty replay."""

    cache_bytes = CACHE_BYTES

    def __init__(self, start: date | None, end: date | None) -> None:
        self.start = start
        self.end = end
        #: the (day, stream) parts built so far, in the order they were built (evicted ones included)
        self.built: list[tuple[date, str]] = []
        self._cache: OrderedDict[tuple[date, str], Part] = OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()

    @property
    def clock_end(self) -> datetime | None:
        return None if self.end is None else datetime.combine(self.end, time())

    def days(self) -> list[date]:
        if self.start is None or self.end is None:
            return []
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]

    def part(self, day: date, stream: str) -> Part:
        """Stream `stream` of day `day`, built on first use (empty outside the span). Built parts
        are kept up to `cache_bytes`, the least recently used evicted first."""
        if self.start is None or self.end is None or not self.start <= day < self.end:
            return EMPTY_PART
        with self._lock:
            found = self._cache.get((day, stream))
            if found is not None:
                self._cache.move_to_end((day, stream))
                return found
            built = self._build(day, stream)
            self.built.append((day, stream))
            self._cache[(day, stream)] = built
            self._cached_bytes += built.size
            while self._cached_bytes > self.cache_bytes and len(self._cache) > 1:
                self._cached_bytes -= self._cache.popitem(last=False)[1].size
            return built

    @abc.abstractmethod
    def _build(self, day: date, stream: str) -> Part:
        """Build one part (a day within the span; called once per cache miss, under the lock)."""
