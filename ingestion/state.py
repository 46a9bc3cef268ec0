"""Incremental state read back from `ops.watermarks`, and the cursor and event time a batch moves.

The loader writes a watermark (the highest interval end loaded) with every batch; a
cursor-based entity also stores where its next pull resumes, and a cursor or queue entity
the span of event times it has loaded (what its coverage is judged by), in the same
transaction as the batch that read up to it, so a failed load never moves them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from ingestion.load import BatchKey, BatchResult


@dataclass(frozen=True)
class Watermark:
    """The stored incremental state of one source entity."""

    watermark: datetime  # highest interval end loaded
    cursor: str | None  # where a cursor-based pull resumes
    batch_id: int


def read_watermark(conn: psycopg.Connection, source: str, entity: str) -> Watermark | None:
    """The state stored for `source.entity`, or None before its first successful batch."""
    row = conn.execute(
        "select watermark, cursor, batch_id from ops.watermarks where source = %s and entity = %s",
        (source, entity),
    ).fetchone()
    return Watermark(row[0], row[1], row[2]) if row else None


def store_cursor(conn: psycopg.Connection, source: str, entity: str, cursor: str | None) -> None:
    """Move the cursor of `source.entity`; call inside the batch's transaction (after its watermark)."""
    if cursor is None:
        return
    conn.execute(
        "update ops.watermarks set cursor = %s, updated_at = now() where source = %s and entity = %s",
        (cursor, source, entity),
    )


@dataclass
class EventTimes:
    """The earliest and latest event time of the records a pull passes through `track`.

    A time after `until` (when the pull started) cannot have been loaded past: it is ignored,
    like a value that is no plausible time (`read` answers None), so neither moves coverage.
    """

    read: Callable[[Any], datetime | None]
    until: datetime
    first: datetime | None = None
    last: datetime | None = None

    def track(self, pages: Iterable[list[Any]]) -> Iterator[list[Any]]:
        for page in pages:
            for record in page:
                moment = self.read(record)
                if moment is None or moment > self.until:
                    continue
                if self.first is None or moment < self.first:
                    self.first = moment
                if self.last is None or moment > self.last:
                    self.last = moment
            yield page

    def began(self, moment: datetime) -> None:
        """Everything with an event time from `moment` on was loaded (a cursor's first pull, read from
        its interval's start): the earliest time loaded moves back there."""
        if moment <= self.until and (self.first is None or moment < self.first):
            self.first = moment

    def drained(self, moment: datetime) -> None:
        """Everything with an event time before `moment` was loaded (a queue listed in time order,
        drained up to its interval's end): the latest time loaded past moves there."""
        if moment <= self.until and (self.last is None or moment > self.last):
            self.last = moment


def store_event_times(conn: psycopg.Connection, source: str, entity: str, times: EventTimes) -> None:
    """Widen the event-time span of `source.entity` by a batch's; call inside the batch's transaction."""
    if times.last is None:
        return
    conn.execute(
        """
        update ops.watermarks
        set event_time_from = least(event_time_from, %s), event_time = greatest(event_time, %s)
        where source = %s and entity = %s
        """,
        (times.first, times.last, source, entity),
    )


def loaded_batch(conn: psycopg.Connection, key: BatchKey) -> BatchResult | None:
    """The live batch of exactly this interval, if one succeeded (what a cursor-based re-run reports)."""
    row = conn.execute(
        """
        select batch_id, rows_loaded, rows_rejected, pages,
               extract(epoch from finished_at - started_at)::float8
        from ops.batches
        where source = %s and entity = %s and interval_start = %s and interval_end = %s
          and status = 'succeeded'
        """,
        (key.source, key.entity, key.interval_start, key.interval_end),
    ).fetchone()
    if row is None:
        return None
    return BatchResult(
        batch_id=row[0],
        source=key.source,
        entity=key.entity,
        interval_start=key.interval_start.isoformat(),
        interval_end=key.interval_end.isoformat(),
        rows_loaded=row[1],
        rows_rejected=row[2],
        duplicates=0,
        pages=row[3],
        replaced_batch_id=None,
        seconds=round(row[4], 3),
    )
