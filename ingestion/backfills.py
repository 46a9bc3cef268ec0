"""Staged backfills: the ledger `ops.backfills` and what happens to a backfill's batches.

`dtimon backfill SOURCE --from D --to D` opens a backfill (one at a time), loads the source's
windowed entities day by day as `staged` batches (`ingestion.load.load_batch(backfill_id=…)`),
which an ordinary build does not read, then runs the build with the backfill named: it reads
the staged batches in place of the live ones of the same intervals. Publishing that build
makes them live in the publish transaction (`publish_backfill`); anything else refuses the whole
backfill (`refuse_backfill`): its raw rows are deleted and the earlier batches stay live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg

from ingestion.load import promote_staged, refuse_staged
from ingestion.localtime import VN_TZ
from ingestion.privacy import mask_text, masked_logger

log = masked_logger(__name__)


class BackfillRefused(RuntimeError):
    """The backfill cannot start or cannot go on (another one is staged, it is not staged …)."""


@dataclass(frozen=True)
class Backfill:
    backfill_id: int
    source: str
    range_start: date
    range_end: date
    status: str


def staged_backfill(conn: psycopg.Connection) -> Backfill | None:
    """The backfill waiting for its build, if any (at most one: a unique index says so)."""
    row = conn.execute(
        "select backfill_id, source, range_start, range_end, status from ops.backfills where status = 'staged'"
    ).fetchone()
    return Backfill(*row) if row else None


#: Session advisory lock (key, backfill id) held by the process running a backfill while it runs.
_RUNNING = "select {}(hashtext('dtimon.backfill'), %s::int)"


def open_backfill(conn: psycopg.Connection, source: str, start: date, end: date) -> int:
    """Record a new staged backfill of `source` over local days [start, end); its id. `conn` holds
    the backfill's lock until it closes, so keep it open while the backfill runs. Refused while
    another backfill is staged and running; one whose process is gone is refused first."""
    other = staged_backfill(conn)
    if (
        other is not None
        and conn.execute(_RUNNING.format("pg_try_advisory_lock"), (other.backfill_id,)).fetchone()[0]
    ):
        conn.execute(_RUNNING.format("pg_advisory_unlock"), (other.backfill_id,))
        refuse_backfill(conn, other.backfill_id, "abandoned: its dtimon backfill ended without finishing")
    with conn.transaction():
        conn.execute("lock table ops.backfills in share row exclusive mode")
        other = staged_backfill(conn)
        if other is not None:
            raise BackfillRefused(
                f"backfill {other.backfill_id} ({other.source} {other.range_start} → {other.range_end}) is "
                "still staged: wait for it to be published or refused"
            )
        backfill_id = conn.execute(
            "insert into ops.backfills (source, range_start, range_end) values (%s, %s, %s) returning backfill_id",
            (source, start, end),
        ).fetchone()[0]
        # held before the row is visible, so no one takes this backfill for a dead one
        conn.execute(_RUNNING.format("pg_advisory_lock"), (backfill_id,))
    return backfill_id


def _staged_batches(conn: psycopg.Connection, backfill_id: int) -> list[int]:
    status = conn.execute(
        "select status from ops.backfills where backfill_id = %s for update", (backfill_id,)
    ).fetchone()
    if status is None or status[0] != "staged":
        raise BackfillRefused(f"backfill {backfill_id} is {status[0] if status else 'unknown'}, not staged")
    return [
        batch_id
        for (batch_id,) in conn.execute(
            "select batch_id from ops.batches where backfill_id = %s and status = 'staged' order by batch_id",
            (backfill_id,),
        )
    ]


def publish_backfill(conn: psycopg.Connection, backfill_id: int, publication_id: int) -> list[int]:
    """Make the backfill's staged batches live, inside the caller's (the publish) transaction: each
    replaces the live batch of its interval, whose raw rows are deleted. Returns the replaced ids."""
    replaced = [promote_staged(conn, batch_id) for batch_id in _staged_batches(conn, backfill_id)]
    conn.execute(
        "update ops.backfills set status = 'published', publication_id = %s, finished_at = now()"
        " where backfill_id = %s",
        (publication_id, backfill_id),
    )
    return [batch_id for batch_id in replaced if batch_id is not None]


def refuse_backfill(conn: psycopg.Connection, backfill_id: int, reason: str) -> int:
    """Refuse the whole backfill, in one transaction: its staged batches become refused (their raw
    rows deleted), the live batches stay. Returns how many batches were refused."""
    reason = mask_text(reason)[:2000]
    with conn.transaction():
        batches = _staged_batches(conn, backfill_id)
        for batch_id in batches:
            refuse_staged(conn, batch_id, f"backfill {backfill_id} refused: {reason}")
        conn.execute(
            "update ops.backfills set status = 'refused', reason = %s, finished_at = now() where backfill_id = %s",
            (reason, backfill_id),
        )
    log.warning("backfill %s refused (%d staged batches dropped): %s", backfill_id, len(batches), reason)
    return len(batches)


def backfill(conn: psycopg.Connection, backfill_id: int) -> tuple[Backfill, int | None]:
    """Backfill `backfill_id` as it stands, and the publication it published as (if it did)."""
    row = conn.execute(
        "select backfill_id, source, range_start, range_end, status, publication_id from ops.backfills"
        " where backfill_id = %s",
        (backfill_id,),
    ).fetchone()
    if row is None:
        raise BackfillRefused(f"backfill {backfill_id} does not exist")
    return Backfill(*row[:5]), row[5]


def failure_reason(conn: psycopg.Connection, backfill_id: int) -> str | None:
    """What went wrong since backfill `backfill_id` started, in one line: the latest failed load of
    its source (a broken day, named by its local date) or failed build step (dbt, the gate), or
    None when nothing says."""
    row = conn.execute(
        """
        with started as (
            select source, created_at from ops.backfills where backfill_id = %(backfill_id)s
        ),
        failures as (
            select batches.finished_at as failed_at,
                format('ingest of %%s.%%s for %%s failed: %%s', batches.source, batches.entity,
                    (batches.interval_start at time zone %(zone)s)::date, batches.error) as reason
            from ops.batches as batches, started
            where batches.source = started.source and batches.status = 'failed'
              and batches.started_at >= started.created_at
            union all
            select runs.finished_at, runs.step || ' failed: ' || coalesce(runs.message, '?')
            from ops.build_runs as runs, started
            where runs.status = 'failed' and runs.started_at >= started.created_at
        )
        select reason from failures order by failed_at desc nulls last limit 1
        """,
        {"backfill_id": backfill_id, "zone": VN_TZ.utcoffset(None)},
    ).fetchone()
    if row is None:
        return None
    first = next((line.strip() for line in row[0].splitlines() if line.strip()), row[0])
    return first if len(first) <= 300 else first[:299] + "…"
