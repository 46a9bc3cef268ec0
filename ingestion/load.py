"""The one loader: streamed pages → PostgreSQL `COPY` into `raw`, one transaction per batch.

A batch is one source entity over one interval. In a single transaction the loader
replaces the interval's previous batch (it is marked `replaced`; its raw rows are deleted, or,
for a catalogue, carried into the new batch: a re-run never erases a version), records the new batch in `ops.batches`, streams every page's rows into the raw
table with `COPY`, writes malformed records to `ops.rejects` with their reason, and
advances the watermark. Any failure rolls all of it back — the previous batch stays live,
untouched — and the failure is recorded as a `failed` batch with its error. A backfill's batch
is loaded `staged` instead (`backfill_id`): it replaces nothing and moves no watermark until its
backfill publishes (`promote_staged`: the same replacement, later) or is refused (`refuse_staged`).

Each page becomes one block of `COPY` text, built in bytes a column at a time and written with one call; the
cyclic garbage collector is off during a batch (records hold no cycles and are freed page
by page). Memory is bounded by one page plus a fixed-size filter of the natural keys seen
in the batch: when it says a key may have come before, the batch's copies of a record are
resolved (and counted) in SQL at the end.

A catalogue pulled whole on every run (a snapshot entity, `snapshot=True`) is stored only
where it changed: the pull is copied into a temporary table, then one statement stores the
records whose hash (md5 of the record as stored, `record::text` of the jsonb) differs from
the latest stored version of their key as of the batch's interval end, plus a tombstone
(`is_deleted`, record `{}`) for every key whose latest version is live but is absent from
the pull. `observed_at` is the batch's interval end; the ledger counts what the pull had
(`rows_received`), the rows the batch holds (`rows_loaded`: what it stored, plus what it carried
from the batch it replaced), `rows_unchanged` and `rows_deleted`. A pull that would lose all the
live keys, or more than `max_shrink` of them, is refused (`CatalogueShrank`).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any, NamedTuple

import orjson
import psycopg
from psycopg import sql

from core.migrations import Column, Index
from ingestion.personal_text import holds_citizen_id, may_hold_citizen_id
from ingestion.privacy import mask_text, masked_logger

log = masked_logger(__name__)

#: Rejects are written between COPY streams once this many are pending (bounds memory).
REJECT_FLUSH = 500
#: The people of cases (`People`) likewise: a few a dossier, so a flush (a COPY restarted) every
#: few thousand dossiers, a few MiB pending at most.
PEOPLE_FLUSH = 20_000


def looks_like_citizen_id(value: str, opaque: tuple[str, ...] = ()) -> bool:
    """True when `value` holds a citizen id in any spelling (`ingestion.personal_text`), other
    than a whole value of one of the `opaque` identifier forms.

    The last check before a row is written: personal fields are pseudonyms of letters and every
    other value had its ids pseudonymised by then, so a match is a leak the pseudonymiser missed.
    """
    return holds_citizen_id(value, opaque)


class Row(NamedTuple):
    """One record ready for its raw table: values in `RawTable.columns` order and its natural key.

    Values are None, str, bytes (already JSON or text, e.g. orjson's output), int, float,
    bool or datetime; the loader writes them as PostgreSQL's COPY text.
    """

    values: tuple[Any, ...]
    key: Hashable
    #: the value of `values` (the record as stored) that the fast path has searched for a citizen
    #: id with the last check's matcher already: the sink does not search it again (`_Sink`)
    scanned: bytes | None = None


class Reject(NamedTuple):
    """A record that cannot be loaded: its text (personal data already pseudonymised) and why;
    `original`: its text as received, encrypted (only when the operator keeps originals);
    `origin`: where it came from when the source says (a replayed file's `file:line`)."""

    text: str
    reason: str
    original: bytes | None = None
    origin: str | None = None


class People(NamedTuple):
    """The pseudonyms of the people of cases met in a page (`case_keys[i]` ↔ `pseudonyms[i]`),
    stored in ops.case_people so that a later record of the case has them hidden."""

    case_keys: list[str]
    pseudonyms: list[str]


def case_people(conn: psycopg.Connection, source: str, keys: Iterable[str]) -> dict[str, frozenset[str]]:
    """The pseudonyms stored for the people of each case of `keys` (one query), by case key."""
    found: dict[str, set[str]] = {}
    keys = list(keys)
    if keys:
        for key, pseudonym in conn.execute(
            "select case_key, pseudonym from ops.case_people where source = %s and case_key = any(%s)",
            (source, keys),
        ):
            found.setdefault(key, set()).add(pseudonym)
    return {key: frozenset(values) for key, values in found.items()}


@dataclass(frozen=True)
class RawTable:
    """A raw table as its source declares it; the loader adds its own columns (`loader_columns`)."""

    schema: str
    name: str
    columns: tuple[Column, ...]  # the columns a Row fills, in its order (batch_id and loaded_at excluded)
    key: tuple[str, ...] = ()  # the natural key columns; required for a snapshot entity
    indexes: tuple[Index, ...] = ()
    #: SQL expressions over the columns that identify one record (default: `key`): copies of a
    #: record inside one pull are duplicates, and one of them is kept (see `prefer`)
    identity: tuple[str, ...] = ()
    #: SQL order of preference among copies of one record, best first, before the final
    #: tie-break on the record's content hash (md5 of `record::text`, highest first): the
    #: source's own version or update time, never the order copies arrived in
    prefer: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


#: Columns the loader writes in front of every raw table's declared ones.
BATCH_COLUMNS = (
    Column("batch_id", "bigint"),
    Column("loaded_at", "timestamptz", default="now()"),
)
#: Columns the loader writes after a snapshot (catalogue) table's declared ones. The backfills
#: adopt rows stored before catalogues were stored by change.
SNAPSHOT_COLUMNS = (
    Column("record_hash", "text", backfill="md5(existing.record::text)"),
    Column("is_deleted", "boolean", default="false"),
    Column(
        "observed_at",
        "timestamptz",
        backfill="coalesce((select b.interval_end from ops.batches as b"
        " where b.batch_id = existing.batch_id), existing.loaded_at)",
    ),
)


@dataclass(frozen=True)
class BatchKey:
    source: str
    entity: str
    interval_start: datetime
    interval_end: datetime


@dataclass(frozen=True)
class BatchResult:
    batch_id: int
    source: str
    entity: str
    interval_start: str
    interval_end: str
    rows_loaded: int  # rows written to raw (for a snapshot: changed records plus tombstones)
    rows_rejected: int
    duplicates: int
    pages: int
    replaced_batch_id: int | None
    seconds: float
    rows_received: int = 0  # valid distinct records the pull delivered
    rows_unchanged: int | None = None  # snapshot only
    rows_deleted: int | None = None  # snapshot only: tombstones written


class BatchFailed(RuntimeError):
    """Loading a batch failed; nothing of it was written (the failure is in ops.batches)."""


class CatalogueShrank(RuntimeError):
    """A catalogue pull lost more of the live keys than the entity allows: refused as suspicious."""


def load_batch(
    conn: psycopg.Connection,
    table: RawTable,
    key: BatchKey,
    pages: Iterable[Sequence[Row | Reject | People]],
    *,
    run_id: str | None = None,
    snapshot: bool = False,
    max_shrink: float | None = None,
    before_commit: Callable[[psycopg.Connection, BatchResult], None] | None = None,
    backfill_id: int | None = None,
    opaque: tuple[str, ...] = (),
    once: bool = False,
) -> BatchResult:
    """Load `pages` as the batch of `key`, replacing any earlier batch of the same interval.

    `conn` must not be inside a transaction. `pages` is consumed lazily (it may be the HTTP
    pull itself), so the source is read while rows stream into PostgreSQL. `snapshot`: the
    pages are a complete catalogue, stored only where it changed (see the module docstring).
    `before_commit` runs last inside the batch's transaction (e.g. to move a cursor with the batch).
    `max_shrink`: a snapshot pull that would lose more than this share of the live keys (or all of
    them) fails the batch (`CatalogueShrank`); None accepts any pull.
    `backfill_id`: the batch is loaded `staged` for that backfill and replaces nothing yet: it
    becomes live with `promote_staged` (when the backfill publishes) or `refused` (`refuse_staged`).
    `opaque`: the forms of the entity's opaque identifiers, whose whole values the last check
    does not take for citizen ids (`ingestion.personal_text.holds_citizen_id`).
    `once`: a record whose key a live batch of the entity already holds is not stored again (a
    queue serves an item again when its acknowledgement was lost); it counts as a duplicate.
    """
    if once and not table.key:
        raise ValueError(f"{table.qualified}: a record stored once needs its key columns declared")
    if snapshot and backfill_id is not None:
        raise ValueError(f"{table.qualified}: a catalogue is not staged (its pull never erases history)")
    if snapshot and not table.key:
        raise ValueError(f"{table.qualified}: a snapshot table needs its key columns declared")
    started_wall = time.monotonic()
    started_at = datetime.now(UTC)
    batch_id = _start(conn, key, run_id, started_at)
    # The cyclic collector off for the batch: records are trees without cycles, freed by their
    # reference counts page after page, so memory stays bounded by the page while the collector
    # would otherwise walk every live object again and again (a fifth of the loader's time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        with conn.transaction():
            result = _load(
                conn,
                table,
                key,
                batch_id,
                pages,
                started_wall,
                snapshot,
                max_shrink,
                backfill_id,
                opaque,
                once,
            )
            if before_commit is not None:
                before_commit(conn, result)
    except BaseException as exc:
        _record_failure(conn, key, batch_id, exc)
        raise
    finally:
        if collecting:
            gc.enable()
    log.info(
        "batch %s %s.%s [%s, %s): %d rows%s, %d rejected, %d duplicates, %d pages in %.1f s%s",
        result.batch_id,
        key.source,
        key.entity,
        result.interval_start,
        result.interval_end,
        result.rows_loaded,
        f" of {result.rows_received} ({result.rows_unchanged} unchanged, {result.rows_deleted} deleted)"
        if snapshot
        else "",
        result.rows_rejected,
        result.duplicates,
        result.pages,
        result.seconds,
        f" (replaced batch {result.replaced_batch_id})" if result.replaced_batch_id else "",
    )
    return result


def abandon_stale(conn: psycopg.Connection, source: str, entity: str) -> int:
    """Mark `abandoned` the started batches of `source.entity` whose loading process is gone.

    A started batch belongs to the PostgreSQL backend that committed it (`backend_pid`); when
    that backend no longer exists the process was killed (or lost its connection) before it
    could record the outcome. Live batches and attempts still running are left alone.
    """
    with conn.transaction():
        cur = conn.execute(
            """
            update ops.batches as b
            set status = 'abandoned', finished_at = clock_timestamp(),
                error = 'abandoned: the loading process ended without finishing'
            where b.source = %s and b.entity = %s and b.status = 'started'
              and not exists (
                  select from pg_stat_activity as a
                  where a.pid = b.backend_pid and a.backend_start <= b.started_at
              )
            """,
            (source, entity),
        )
        count = cur.rowcount
    if count:
        log.warning(
            "%s.%s: %d batch(es) left started by a killed process marked abandoned", source, entity, count
        )
    return count


def _start(conn: psycopg.Connection, key: BatchKey, run_id: str | None, started_at: datetime) -> int:
    """Commit the batch's ledger row as `started` (after abandoning stale ones); its id."""
    abandon_stale(conn, key.source, key.entity)
    with conn.transaction():
        return conn.execute(
            """
            insert into ops.batches
                (source, entity, interval_start, interval_end, status, run_id, started_at, backend_pid)
            values (%s, %s, %s, %s, 'started', %s, %s, pg_backend_pid())
            returning batch_id
            """,
            (key.source, key.entity, key.interval_start, key.interval_end, run_id, started_at),
        ).fetchone()[0]


def _load(
    conn: psycopg.Connection,
    table: RawTable,
    key: BatchKey,
    batch_id: int,
    pages: Iterable[Sequence[Row | Reject | People]],
    started_wall: float,
    snapshot: bool,
    max_shrink: float | None = None,
    backfill_id: int | None = None,
    opaque: tuple[str, ...] = (),
    once: bool = False,
) -> BatchResult:
    if snapshot:  # every interval of a catalogue compares with the same stored versions
        conn.execute("select pg_advisory_xact_lock(hashtext(%s || '/' || %s), 0)", (key.source, key.entity))
    # a staged batch replaces nothing until its backfill publishes (`promote_staged`)
    replaced = None if backfill_id is not None else _live_batch(conn, key)
    carried = 0
    if replaced is not None:
        carried = _replace(conn, sql.Identifier(table.schema, table.name), replaced, batch_id, carry=snapshot)

    if snapshot:
        conn.execute(
            sql.SQL("create temp table {} on commit drop as select {} from {} with no data").format(
                sql.Identifier(_PULL),
                sql.SQL(", ").join(map(sql.Identifier, table.column_names)),
                sql.Identifier(table.schema, table.name),
            )
        )
        copy_target = sql.SQL("{} ({})").format(
            sql.Identifier(_PULL), sql.SQL(", ").join(map(sql.Identifier, table.column_names))
        )
    else:
        copy_target = sql.SQL("{} ({})").format(  # batch_id last: each line ends with the same suffix
            sql.Identifier(table.schema, table.name),
            sql.SQL(", ").join(sql.Identifier(c) for c in (*table.column_names, "batch_id")),
        )

    page_count = 0
    with _Sink(conn, copy_target, key, batch_id, with_batch_id=not snapshot, opaque=opaque) as sink:
        for page in pages:
            page_count += 1
            sink.write_page(page)

    duplicates = 0
    if sink.maybe_duplicates:  # exact: the copies beyond the preferred one, counted as deleted
        duplicates = _keep_preferred_copies(conn, table, batch_id, in_pull=snapshot)
    if once:
        duplicates += _drop_stored_before(conn, table, key, batch_id)
    received = sink.written - duplicates
    unchanged = deleted = None
    stored = received
    if snapshot:
        changed, deleted = _store_changes(conn, table, key, batch_id, max_shrink)
        # the batch's rows: the versions carried from the batch it replaced and what it stored
        stored, unchanged = carried + changed + deleted, received - changed
    conn.execute(
        """
        update ops.batches
        set status = %s, backfill_id = %s, rows_loaded = %s, rows_rejected = %s, pages = %s,
            rows_received = %s, rows_unchanged = %s, rows_deleted = %s, rows_duplicate = %s,
            finished_at = clock_timestamp()
        where batch_id = %s
        """,
        (
            "succeeded" if backfill_id is None else "staged",
            backfill_id,
            *(stored, sink.rejected, page_count, received, unchanged, deleted, duplicates, batch_id),
        ),
    )
    if backfill_id is None:
        _advance_watermark(conn, key, batch_id)
    return BatchResult(
        batch_id=batch_id,
        source=key.source,
        entity=key.entity,
        interval_start=key.interval_start.isoformat(),
        interval_end=key.interval_end.isoformat(),
        rows_loaded=stored,
        rows_rejected=sink.rejected,
        duplicates=duplicates,
        pages=page_count,
        replaced_batch_id=replaced,
        seconds=round(time.monotonic() - started_wall, 3),
        rows_received=received,
        rows_unchanged=unchanged,
        rows_deleted=deleted,
    )


def _live_batch(conn: psycopg.Connection, key: BatchKey) -> int | None:
    """Lock the interval of `key` (until the transaction ends) and its live batch; that batch's id."""
    interval = (key.source, key.entity, key.interval_start, key.interval_end)
    conn.execute(
        "select pg_advisory_xact_lock(hashtext(%s || '/' || %s), hashtext(%s::text || '/' || %s::text))",
        interval,
    )
    previous = conn.execute(
        """
        select batch_id from ops.batches
        where source = %s and entity = %s and interval_start = %s and interval_end = %s
          and status = 'succeeded'
        for update
        """,
        interval,
    ).fetchone()
    return previous[0] if previous else None


def _replace(
    conn: psycopg.Connection, raw: sql.Composable, replaced: int, batch_id: int, *, carry: bool
) -> int:
    """Mark batch `replaced` replaced by `batch_id` and delete its raw rows — or, with `carry` (a
    catalogue: its rows are versions of its history, which a re-run never erases), move them to
    `batch_id`, which then stores only what differs from them. Returns the rows carried."""
    carried = 0
    if carry:
        query = sql.SQL("update {} set batch_id = %s where batch_id = %s").format(raw)
        carried = conn.execute(query, (batch_id, replaced)).rowcount
    else:  # a window's rows are the pull's: replaced by the new pull
        conn.execute(sql.SQL("delete from {} where batch_id = %s").format(raw), (replaced,))
    conn.execute(
        "update ops.batches set status = 'replaced', replaced_by = %s where batch_id = %s",
        (batch_id, replaced),
    )
    return carried


def _advance_watermark(conn: psycopg.Connection, key: BatchKey, batch_id: int) -> None:
    conn.execute(
        """
        insert into ops.watermarks (source, entity, watermark, batch_id) values (%s, %s, %s, %s)
        on conflict (source, entity) do update
        set watermark = excluded.watermark, batch_id = excluded.batch_id, updated_at = now()
        where ops.watermarks.watermark <= excluded.watermark
        """,
        (key.source, key.entity, key.interval_end, batch_id),
    )


def _staged(conn: psycopg.Connection, batch_id: int) -> tuple[BatchKey, sql.Composable]:
    """The interval of staged batch `batch_id` (row locked) and its raw table."""
    row = conn.execute(
        """
        select b.source, b.entity, b.interval_start, b.interval_end, e.raw_table, b.status
        from ops.batches as b
        inner join ops.source_entities as e on e.source = b.source and e.entity = b.entity
        where b.batch_id = %s
        for update of b
        """,
        (batch_id,),
    ).fetchone()
    if row is None or row[5] != "staged":
        raise ValueError(f"batch {batch_id} is not staged ({row[5] if row else 'no such batch'})")
    schema, _, name = row[4].partition(".")
    return BatchKey(*row[:4]), sql.Identifier(schema, name)


def promote_staged(conn: psycopg.Connection, batch_id: int) -> int | None:
    """Make staged batch `batch_id` live, inside the caller's transaction, exactly as a reload
    does: the interval's live batch is replaced (its raw rows deleted) and the watermark moves.
    Returns the id of the batch it replaced."""
    key, raw = _staged(conn, batch_id)
    replaced = _live_batch(conn, key)
    if replaced is not None:
        _replace(conn, raw, replaced, batch_id, carry=False)
    conn.execute("update ops.batches set status = 'succeeded' where batch_id = %s", (batch_id,))
    _advance_watermark(conn, key, batch_id)
    return replaced


def refuse_staged(conn: psycopg.Connection, batch_id: int, reason: str) -> None:
    """Mark staged batch `batch_id` refused with `reason` and delete its raw rows (the interval's
    live batch stays live), inside the caller's transaction."""
    _, raw = _staged(conn, batch_id)
    conn.execute(sql.SQL("delete from {} where batch_id = %s").format(raw), (batch_id,))
    conn.execute(
        "update ops.batches set status = 'refused', error = %s where batch_id = %s",
        (mask_text(reason)[:2000], batch_id),
    )


#: The temporary table a snapshot pull is copied into before its changes are stored.
_PULL = "dtimon_snapshot_pull"


def _keep_preferred_copies(conn: psycopg.Connection, table: RawTable, batch_id: int, *, in_pull: bool) -> int:
    """Delete all but the preferred copy of every record the pull sent more than once.

    Every copy was written; the one kept is the first in the table's declared preference
    (`RawTable.prefer`: the source's version or update time), then the highest content hash,
    so the choice never depends on the order the copies arrived in. Returns the rows deleted.
    """
    identity = table.identity or table.key
    if not identity:
        raise ValueError(f"{table.qualified}: declare identity (or key) to resolve duplicates")
    order = [*table.prefer, "md5(record::text) desc"]
    target = sql.Identifier(_PULL) if in_pull else sql.Identifier(table.schema, table.name)
    where = sql.SQL("") if in_pull else sql.SQL("where batch_id = %(batch_id)s")
    query = sql.SQL(
        """
        delete from {target} as t using (
            select ctid as row_ref, row_number() over (partition by {identity} order by {order}) as rank
            from {target} {where}
        ) as ranked
        where t.ctid = ranked.row_ref and ranked.rank > 1
        """
    ).format(
        target=target,
        identity=sql.SQL(", ").join(sql.SQL(e) for e in identity),
        order=sql.SQL(", ").join(sql.SQL(e) for e in order),
        where=where,
    )
    return conn.execute(query, {"batch_id": batch_id}).rowcount


def _drop_stored_before(conn: psycopg.Connection, table: RawTable, key: BatchKey, batch_id: int) -> int:
    """Delete this batch's rows whose key a live batch of the same entity already holds; their count."""
    query = sql.SQL(
        """
        delete from {target} as t
        where t.batch_id = %(batch_id)s and exists (
            select from {target} as earlier
            join ops.batches as b on b.batch_id = earlier.batch_id
            join ops.batch_statuses as s on s.status = b.status and s.is_live
            where earlier.batch_id <> %(batch_id)s and b.source = %(source)s and b.entity = %(entity)s
                and {same_key}
        )
        """
    ).format(
        target=sql.Identifier(table.schema, table.name),
        same_key=sql.SQL(" and ").join(
            sql.SQL("earlier.{c} = t.{c}").format(c=sql.Identifier(c)) for c in table.key
        ),
    )
    return conn.execute(query, {"batch_id": batch_id, "source": key.source, "entity": key.entity}).rowcount


def _store_changes(
    conn: psycopg.Connection, table: RawTable, key: BatchKey, batch_id: int, max_shrink: float | None
) -> tuple[int, int]:
    """Store the pulled records that changed and tombstones for the keys that disappeared.

    One statement: `latest` is the newest stored version of every key observed up to this
    batch (a replaced batch's versions included: they were carried into this one); both
    inserts read that same state. A pull that would lose more than `max_shrink` of the live
    keys, or all of them, raises `CatalogueShrank` first. Returns (records stored, tombstones stored).
    """
    observed_at = key.interval_end
    if max_shrink is not None:
        _refuse_shrink(conn, table, key, max_shrink)
    keys = sql.SQL(", ").join(map(sql.Identifier, table.key))
    on_key = sql.SQL(" and ").join(
        sql.SQL("pulled.{0} = latest.{0}").format(sql.Identifier(k)) for k in table.key
    )
    on_pull = sql.SQL(" and ").join(
        sql.SQL("pull.{0} = latest.{0}").format(sql.Identifier(k)) for k in table.key
    )
    columns = sql.SQL(", ").join(map(sql.Identifier, table.column_names))
    pulled_columns = sql.SQL(", ").join(
        sql.SQL("pulled.{}").format(sql.Identifier(c)) for c in table.column_names
    )
    latest_keys = sql.SQL(", ").join(sql.SQL("latest.{}").format(sql.Identifier(k)) for k in table.key)
    query = sql.SQL(
        """
        with latest as (
            select distinct on ({keys}) {keys}, record_hash, is_deleted
            from {raw}
            where observed_at <= %(observed_at)s
            order by {keys}, observed_at desc, loaded_at desc, batch_id desc
        ),
        pulled as (
            select {columns}, md5(record::text) as record_hash from {pull}
        ),
        changed as (
            insert into {raw} (batch_id, {columns}, record_hash, is_deleted, observed_at)
            select %(batch_id)s, {pulled_columns}, pulled.record_hash, false, %(observed_at)s
            from pulled left join latest on {on_key}
            where latest.is_deleted is distinct from false or latest.record_hash <> pulled.record_hash
            returning 1
        ),
        gone as (
            insert into {raw} (batch_id, {keys}, record, record_hash, is_deleted, observed_at)
            select %(batch_id)s, {latest_keys}, '{{}}', md5('{{}}'), true, %(observed_at)s
            from latest
            where not latest.is_deleted and not exists (select from {pull} as pull where {on_pull})
            returning 1
        )
        select (select count(*) from changed), (select count(*) from gone)
        """
    ).format(
        keys=keys,
        raw=sql.Identifier(table.schema, table.name),
        pull=sql.Identifier(_PULL),
        columns=columns,
        pulled_columns=pulled_columns,
        latest_keys=latest_keys,
        on_key=on_key,
        on_pull=on_pull,
    )
    changed, gone = conn.execute(query, {"batch_id": batch_id, "observed_at": observed_at}).fetchone()
    conn.execute(sql.SQL("drop table {}").format(sql.Identifier(_PULL)))
    return changed, gone


def _refuse_shrink(conn: psycopg.Connection, table: RawTable, key: BatchKey, max_shrink: float) -> None:
    """Raise CatalogueShrank when the pull would lose (tombstone) all the keys live as of the batch's
    interval end, or more than `max_shrink` of them."""
    keys = sql.SQL(", ").join(map(sql.Identifier, table.key))
    on_key = sql.SQL(" and ").join(
        sql.SQL("pull.{0} = latest.{0}").format(sql.Identifier(k)) for k in table.key
    )
    live, lost = conn.execute(
        sql.SQL(
            """
            with latest as (
                select distinct on ({keys}) {keys}, is_deleted from {raw} where observed_at <= %s
                order by {keys}, observed_at desc, loaded_at desc, batch_id desc
            )
            select count(*), count(*) filter (where not exists (select from {pull} as pull where {on_key}))
            from latest where not is_deleted
            """
        ).format(
            keys=keys, raw=sql.Identifier(table.schema, table.name), pull=sql.Identifier(_PULL), on_key=on_key
        ),
        (key.interval_end,),
    ).fetchone()
    if live and (lost == live or lost > max_shrink * live):
        raise CatalogueShrank(
            f"{key.source}.{key.entity}: the pull lacks {lost} of the {live} live records "
            f"({100 * lost / live:.0f} %, more than the {100 * max_shrink:.0f} % allowed): refused as "
            f"suspicious; if the catalogue really shrank, rerun with DTIMON_ACCEPT_SHRINK={key.source}.{key.entity}"
        )


LEAK_REASON = "holds a citizen id the pseudonymiser did not hide; refused"


def _leak_path(text: str, opaque: tuple[str, ...] = ()) -> str:
    """Where in a JSON record the citizen id is (its path), or "a value"."""
    try:
        record = orjson.loads(text)
    except orjson.JSONDecodeError:
        return "a value"

    def walk(value: Any, path: str) -> str | None:
        if type(value) is str:
            return path if looks_like_citizen_id(value, opaque) else None
        items = (
            value.items()
            if type(value) is dict
            else ((None, v) for v in value)
            if type(value) is list
            else ()
        )
        for name, item in items:
            found = walk(item, f"{path}.{name}" if name is not None and path else name or f"{path}[]")
            if found:
                return found
        return None

    return walk(record, "") or "a value"


#: COPY text format: these bytes of a value are written escaped (PostgreSQL, COPY, "Text Format").
_COPY_ESCAPES = ((b"\\", b"\\\\"), (b"\t", b"\\t"), (b"\n", b"\\n"), (b"\r", b"\\r"))
#: Bits of the filter that spots possible duplicate keys in a batch (fixed memory: 4 MiB; two bits a key).
_SEEN_BITS = 1 << 25


def _copy_bytes(value: Any) -> bytes:
    """One value as a field of PostgreSQL's COPY text format."""
    kind = type(value)
    if kind is bytes or kind is str:
        data = value if kind is bytes else value.encode()
        if b"\\" in data or b"\t" in data or b"\n" in data or b"\r" in data:
            for raw, escaped in _COPY_ESCAPES:
                data = data.replace(raw, escaped)
        return data
    if value is None:
        return b"\\N"
    if kind is int:
        return b"%d" % value
    if kind is datetime:
        return value.isoformat().encode()
    if kind is bool:
        return b"t" if value else b"f"
    return _copy_bytes(str(value))


def _copy_column(values: tuple[Any, ...]) -> list[bytes] | tuple[bytes, ...]:
    """One column of a page as COPY text fields (`_copy_bytes` of each value), a column at a time.

    A column of text is joined whole — which also tells that every value is text: joining
    refuses anything else — and searched once for the bytes COPY escapes: only a column where
    one occurs, or that holds another type, is converted value by value (a JSON record holds no
    tab or newline, and a backslash only where it escapes a quote, a backslash or a control
    character). An integer column is written without looking at each value's type again.
    """
    kind = type(values[0])
    if kind is bytes or kind is str:
        try:
            joined = b"".join(values) if kind is bytes else "".join(values).encode()
        except TypeError:  # a value of another type (None, a number) among them
            pass
        else:
            if not (b"\\" in joined or b"\t" in joined or b"\n" in joined or b"\r" in joined):
                return values if kind is bytes else list(map(str.encode, values))
    elif kind is int and all(type(v) is int for v in values):
        return [b"%d" % v for v in values]
    return [_copy_bytes(v) for v in values]


def _copy_page(rows: list[tuple[Any, ...]], end: bytes) -> bytes:
    """Rows of values as one block of COPY text, each line ending with `end` (any fields the
    loader appends, such as the batch id, and the newline): each line's fields joined by tabs and
    the lines by `end`, with an empty last one for the last `end` (no formatting a row, no copy
    of the page to append it)."""
    return _joined_page(_copy_columns(rows), end)


def _copy_columns(rows: list[tuple[Any, ...]]) -> list[list[bytes] | tuple[bytes, ...]]:
    """The columns of rows of values as COPY text fields (`_copy_column`)."""
    return [_copy_column(column) for column in zip(*rows, strict=True)]


def _joined_page(columns: list[list[bytes] | tuple[bytes, ...]], end: bytes) -> bytes:
    """`_copy_page` of the columns of fields `_copy_columns` gives."""
    return end.join([*map(b"\t".join, zip(*columns, strict=True)), b""])


def _scanned_column(rows: list[Row]) -> int | None:
    """The column whose value every row of a page says the fast path has searched already (the
    very object written: `Row.scanned`), or None (a row from the checked path among them).
    Escaping a field for COPY adds backslashes and letters only, never a digit or a separator,
    so a value searched before it was escaped holds no id after."""
    scanned = rows[0].scanned
    if scanned is None:
        return None
    at = next((i for i, value in enumerate(rows[0].values) if value is scanned), None)
    if at is None or not all(row.values[at] is row.scanned for row in rows):
        return None
    return at


def _unscanned_text(columns: list[list[bytes] | tuple[bytes, ...]], scanned: int) -> bytes:
    """The COPY text fields of every column but `scanned`, separated by tabs (which neither end
    nor join a citizen id's spelling, as in the page's text)."""
    return b"\t".join(chain.from_iterable(c for i, c in enumerate(columns) if i != scanned))


def _holds_citizen_id(data: bytes, opaque: tuple[str, ...] = ()) -> bool:
    """True when `data` (a page of COPY text at once) holds a citizen id in any spelling (the
    matcher read in bytes: no decoding of the page)."""
    return may_hold_citizen_id(data, opaque)


def _leak(values: tuple[Any, ...], opaque: tuple[str, ...] = ()) -> str | None:
    """The first text value (str or bytes) of a row that looks like it holds a citizen id."""
    for value in values:
        if type(value) is bytes:
            if _holds_citizen_id(value, opaque):
                return value.decode(errors="replace")
        elif type(value) is str and looks_like_citizen_id(value, opaque):
            return value
    return None


class _Sink:
    """Writes each page's rows as one block of an open `COPY`, and rejects in between.

    A page becomes COPY text once, in bytes, and is written with one call. The last check
    before a row is written — no citizen id in any value — runs on the whole page's text at
    once, but for a column every row of the page says the fast path has searched already with
    the same matcher (`Row.scanned`, the record as stored): each byte written is searched once.
    Only a page where it finds one is checked row by row, every value, so
    that the row is rejected with its reason and the others are written. Possible duplicate
    keys are spotted by a fixed-size filter of their hashes: a batch where one may exist has
    its copies resolved (and counted exactly) in SQL at the end.
    """

    def __init__(
        self,
        conn: psycopg.Connection,
        target: sql.Composable,
        key: BatchKey,
        batch_id: int,
        *,
        with_batch_id: bool,
        opaque: tuple[str, ...] = (),
    ) -> None:
        self._conn = conn
        self._opaque = opaque
        self._key = key
        self._batch_id = batch_id
        self._end = b"\t%d\n" % batch_id if with_batch_id else b"\n"
        self._copy_sql = sql.SQL("copy {} from stdin").format(target)
        self._cursor: psycopg.Cursor | None = None
        self._copy: Any = None
        self._copy_cm: Any = None
        self._pending_rejects: list[Reject] = []
        self._pending_people: tuple[list[str], list[str]] = ([], [])
        self._seen = bytearray(_SEEN_BITS // 8)
        self.written = 0
        self.rejected = 0
        self.maybe_duplicates = False

    def write_page(self, page: Sequence[Row | Reject | People]) -> None:
        rows = [item for item in page if type(item) is Row]
        if len(rows) < len(page):
            for item in page:
                if type(item) is Reject:
                    self._pending_rejects.append(item)
                elif type(item) is People:
                    self._pending_people[0].extend(item.case_keys)
                    self._pending_people[1].extend(item.pseudonyms)
        if rows:
            columns = _copy_columns([row[0] for row in rows])
            data = _joined_page(columns, self._end)
            scanned = _scanned_column(rows)
            searched = data if scanned is None else _unscanned_text(columns, scanned)
            if _holds_citizen_id(searched, self._opaque):
                rows = self._without_leaks(rows)
                data = self._encode(rows)
            if rows:
                self._note_keys(rows)
                if self._copy is None:
                    self._open()
                self._copy.write(data)
                self.written += len(rows)
        if len(self._pending_rejects) >= REJECT_FLUSH or len(self._pending_people[0]) >= PEOPLE_FLUSH:
            self._flush_rejects()

    def _encode(self, rows: list[Row]) -> bytes:
        return _copy_page([row[0] for row in rows], self._end)

    def _without_leaks(self, rows: list[Row]) -> list[Row]:
        kept = []
        for row in rows:
            leak = _leak(row.values, self._opaque)
            if leak is None:
                kept.append(row)
            else:
                path = _leak_path(leak, self._opaque)
                self._pending_rejects.append(Reject(mask_text(leak), f"{path}: {LEAK_REASON}"))
        return kept

    def _note_keys(self, rows: list[Row]) -> None:
        seen, mask = self._seen, _SEEN_BITS - 1
        found = False
        for row in rows:
            h = hash(row[1])
            a, b = h & mask, (h >> 25) & mask
            bit_a, bit_b = 1 << (a & 7), 1 << (b & 7)
            if seen[a >> 3] & bit_a and seen[b >> 3] & bit_b:
                found = True
            seen[a >> 3] |= bit_a
            seen[b >> 3] |= bit_b
        if found:
            self.maybe_duplicates = True

    def __enter__(self) -> _Sink:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self._flush_rejects()
        else:
            # abort an open COPY so the surrounding transaction can roll back cleanly
            self._close_copy(exc_type, exc, tb)

    def _open(self) -> None:
        self._cursor = self._conn.cursor()
        self._copy_cm = self._cursor.copy(self._copy_sql)
        self._copy = self._copy_cm.__enter__()

    def _close_copy(self, exc_type: Any = None, exc: Any = None, tb: Any = None) -> None:
        """End the open COPY: complete it, or abort it when an exception is given."""
        if self._copy_cm is not None:
            self._copy_cm.__exit__(exc_type, exc, tb)
            self._copy_cm = self._copy = None
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None

    def _flush_rejects(self) -> None:
        """Write the pending rejects and people of cases (between COPY streams)."""
        self._close_copy()
        keys, pseudonyms = self._pending_people
        if keys:
            self._conn.execute(
                """
                insert into ops.case_people (source, entity, case_key, pseudonym)
                select %s, %s, k, p from unnest(%s::text[], %s::text[]) as t (k, p)
                on conflict do nothing
                """,
                (self._key.source, self._key.entity, keys, pseudonyms),
            )
            keys.clear()
            pseudonyms.clear()
        if not self._pending_rejects:
            return
        with self._conn.cursor() as cur:
            cur.executemany(
                "insert into ops.rejects (batch_id, source, entity, record_text, reason, original_sealed, origin)"
                " values (%s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        self._batch_id,
                        self._key.source,
                        self._key.entity,
                        r.text,
                        mask_text(r.reason),
                        r.original,
                        r.origin,
                    )
                    for r in self._pending_rejects
                ],
            )
        self.rejected += len(self._pending_rejects)
        for reject in self._pending_rejects[:5]:
            log.warning("rejected %s.%s record: %s", self._key.source, self._key.entity, reject.reason)
        self._pending_rejects.clear()


def _record_failure(conn: psycopg.Connection, key: BatchKey, batch_id: int, exc: BaseException) -> None:
    """Turn the started ledger row into `failed` with the error (the batch itself was rolled back)."""
    error = mask_text(f"{type(exc).__name__}: {exc}")[:2000]
    try:
        conn.rollback()
        with conn.transaction():
            conn.execute(
                """
                update ops.batches
                set status = 'failed', error = %s, finished_at = clock_timestamp(), backend_pid = null
                where batch_id = %s and status = 'started'
                """,
                (error, batch_id),
            )
    except psycopg.Error as ledger_exc:  # the database itself may be what failed: abandoned next run
        log.error("could not record the failed batch in ops.batches: %s", ledger_exc)
    log.error(
        "batch %s.%s [%s, %s) failed: %s", key.source, key.entity, key.interval_start, key.interval_end, error
    )
