"""The one loader: streamed pages → PostgreSQL `COPY` into `raw`, one transaction per batch.

A batch is one source entity over one interval. In a single transaction the loader
replaces the interval's previous batch (its raw rows are deleted and it is marked
`replaced`), records the new batch in `ops.batches`, streams every page's rows into the raw
table with `COPY`, writes malformed records to `ops.rejects` with their reason, and
advances the watermark. Any failure rolls all of it back — the previous batch stays live,
untouched — and the failure is recorded as a `failed` batch with its error.

Memory is bounded by one page plus the set of natural keys already seen in the batch
(used to drop records a source sends twice within one interval).

A catalogue pulled whole on every run (a snapshot entity, `snapshot=True`) is stored only
where it changed: the pull is copied into a temporary table, then one statement stores the
records whose hash (md5 of the record as stored, `record::text` of the jsonb) differs from
the latest stored version of their key as of the batch's interval end, plus a tombstone
(`is_deleted`, record `{}`) for every key whose latest version is live but is absent from
the pull. `observed_at` is the batch's interval end; the ledger counts what the pull had
(`rows_received`), what was stored (`rows_loaded`), `rows_unchanged` and `rows_deleted`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from core.migrations import Column, Index
from ingestion.privacy import mask_text, masked_logger

log = masked_logger(__name__)

#: Rejects are written between COPY streams once this many are pending (bounds memory).
REJECT_FLUSH = 500


@dataclass(frozen=True)
class Row:
    """One record ready for its raw table: values in `RawTable.columns` order and its natural key."""

    values: tuple[Any, ...]
    key: Hashable


@dataclass(frozen=True)
class Reject:
    """A record that cannot be loaded: its text (personal data already pseudonymised) and why."""

    text: str
    reason: str


@dataclass(frozen=True)
class RawTable:
    """A raw table as its source declares it; the loader adds its own columns (`loader_columns`)."""

    schema: str
    name: str
    columns: tuple[Column, ...]  # the columns a Row fills, in its order (batch_id and loaded_at excluded)
    key: tuple[str, ...] = ()  # the natural key columns; required for a snapshot entity
    indexes: tuple[Index, ...] = ()

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


def load_batch(
    conn: psycopg.Connection,
    table: RawTable,
    key: BatchKey,
    pages: Iterable[Sequence[Row | Reject]],
    *,
    run_id: str | None = None,
    snapshot: bool = False,
    before_commit: Callable[[psycopg.Connection, BatchResult], None] | None = None,
) -> BatchResult:
    """Load `pages` as the batch of `key`, replacing any earlier batch of the same interval.

    `conn` must not be inside a transaction. `pages` is consumed lazily (it may be the HTTP
    pull itself), so the source is read while rows stream into PostgreSQL. `snapshot`: the
    pages are a complete catalogue, stored only where it changed (see the module docstring).
    `before_commit` runs last inside the batch's transaction (e.g. to move a cursor with the batch).
    """
    if snapshot and not table.key:
        raise ValueError(f"{table.qualified}: a snapshot table needs its key columns declared")
    started_wall = time.monotonic()
    started_at = datetime.now(UTC)
    try:
        with conn.transaction():
            result = _load(conn, table, key, pages, run_id, started_at, started_wall, snapshot)
            if before_commit is not None:
                before_commit(conn, result)
    except Exception as exc:
        _record_failure(conn, key, run_id, started_at, exc)
        raise
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


def _load(
    conn: psycopg.Connection,
    table: RawTable,
    key: BatchKey,
    pages: Iterable[Sequence[Row | Reject]],
    run_id: str | None,
    started_at: datetime,
    started_wall: float,
    snapshot: bool,
) -> BatchResult:
    interval = (key.source, key.entity, key.interval_start, key.interval_end)
    if snapshot:  # every interval of a catalogue compares with the same stored versions
        conn.execute("select pg_advisory_xact_lock(hashtext(%s || '/' || %s), 0)", (key.source, key.entity))
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
    replaced = previous[0] if previous else None
    if replaced is not None:
        conn.execute(
            sql.SQL("delete from {} where batch_id = %s").format(sql.Identifier(table.schema, table.name)),
            (replaced,),
        )
        conn.execute("update ops.batches set status = 'replaced' where batch_id = %s", (replaced,))
    batch_id = conn.execute(
        """
        insert into ops.batches (source, entity, interval_start, interval_end, status, run_id, started_at)
        values (%s, %s, %s, %s, 'succeeded', %s, %s)
        returning batch_id
        """,
        (*interval, run_id, started_at),
    ).fetchone()[0]

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
        copy_target = sql.SQL("{} ({})").format(
            sql.Identifier(table.schema, table.name),
            sql.SQL(", ").join(sql.Identifier(c) for c in ("batch_id", *table.column_names)),
        )

    page_count = 0
    with _Sink(conn, copy_target, key, batch_id, with_batch_id=not snapshot) as sink:
        for page in pages:
            page_count += 1
            sink.write_page(page)

    received = sink.loaded
    unchanged = deleted = None
    stored = received
    if snapshot:
        changed, deleted = _store_changes(conn, table, batch_id, key.interval_end)
        stored, unchanged = changed + deleted, received - changed
    conn.execute(
        """
        update ops.batches
        set rows_loaded = %s, rows_rejected = %s, pages = %s, rows_received = %s,
            rows_unchanged = %s, rows_deleted = %s, finished_at = clock_timestamp()
        where batch_id = %s
        """,
        (stored, sink.rejected, page_count, received, unchanged, deleted, batch_id),
    )
    if replaced is not None:
        conn.execute("update ops.batches set replaced_by = %s where batch_id = %s", (batch_id, replaced))
    conn.execute(
        """
        insert into ops.watermarks (source, entity, watermark, batch_id) values (%s, %s, %s, %s)
        on conflict (source, entity) do update
        set watermark = excluded.watermark, batch_id = excluded.batch_id, updated_at = now()
        where ops.watermarks.watermark <= excluded.watermark
        """,
        (key.source, key.entity, key.interval_end, batch_id),
    )
    return BatchResult(
        batch_id=batch_id,
        source=key.source,
        entity=key.entity,
        interval_start=key.interval_start.isoformat(),
        interval_end=key.interval_end.isoformat(),
        rows_loaded=stored,
        rows_rejected=sink.rejected,
        duplicates=sink.duplicates,
        pages=page_count,
        replaced_batch_id=replaced,
        seconds=round(time.monotonic() - started_wall, 3),
        rows_received=received,
        rows_unchanged=unchanged,
        rows_deleted=deleted,
    )


#: The temporary table a snapshot pull is copied into before its changes are stored.
_PULL = "dtimon_snapshot_pull"


def _store_changes(
    conn: psycopg.Connection, table: RawTable, batch_id: int, observed_at: datetime
) -> tuple[int, int]:
    """Store the pulled records that changed and tombstones for the keys that disappeared.

    One statement: `latest` is the newest stored version of every key observed up to this
    batch (the replaced batch's rows are already gone); both inserts read that same state.
    Returns (records stored, tombstones stored).
    """
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
            order by {keys}, observed_at desc, batch_id desc
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


class _Sink:
    """Writes rows through one open `COPY` and rejects in between, deduplicating on the key."""

    def __init__(
        self,
        conn: psycopg.Connection,
        target: sql.Composable,
        key: BatchKey,
        batch_id: int,
        *,
        with_batch_id: bool,
    ) -> None:
        self._conn = conn
        self._key = key
        self._batch_id = batch_id
        self._prefix: tuple[Any, ...] = (batch_id,) if with_batch_id else ()
        self._copy_sql = sql.SQL("copy {} from stdin").format(target)
        self._cursor: psycopg.Cursor | None = None
        self._copy: Any = None
        self._copy_cm: Any = None
        self._pending_rejects: list[Reject] = []
        self._seen: set[Hashable] = set()
        self.loaded = 0
        self.rejected = 0
        self.duplicates = 0

    def write_page(self, page: Sequence[Row | Reject]) -> None:
        for item in page:
            if isinstance(item, Reject):
                self._pending_rejects.append(item)
                continue
            if item.key in self._seen:
                self.duplicates += 1
                continue
            self._seen.add(item.key)
            if self._copy is None:
                self._open()
            self._copy.write_row((*self._prefix, *item.values))
            self.loaded += 1
        if len(self._pending_rejects) >= REJECT_FLUSH:
            self._flush_rejects()

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
        self._close_copy()
        if not self._pending_rejects:
            return
        with self._conn.cursor() as cur:
            cur.executemany(
                "insert into ops.rejects (batch_id, source, entity, record_text, reason) values (%s, %s, %s, %s, %s)",
                [
                    (self._batch_id, self._key.source, self._key.entity, r.text, mask_text(r.reason))
                    for r in self._pending_rejects
                ],
            )
        self.rejected += len(self._pending_rejects)
        for reject in self._pending_rejects[:5]:
            log.warning("rejected %s.%s record: %s", self._key.source, self._key.entity, reject.reason)
        self._pending_rejects.clear()


def _record_failure(
    conn: psycopg.Connection, key: BatchKey, run_id: str | None, started_at: datetime, exc: BaseException
) -> None:
    """Write a `failed` ledger row in its own transaction (the batch itself was rolled back)."""
    error = mask_text(f"{type(exc).__name__}: {exc}")[:2000]
    try:
        conn.rollback()
        with conn.transaction():
            conn.execute(
                """
                insert into ops.batches
                    (source, entity, interval_start, interval_end, status, run_id, error, started_at)
                values (%s, %s, %s, %s, 'failed', %s, %s, %s)
                """,
                (key.source, key.entity, key.interval_start, key.interval_end, run_id, error, started_at),
            )
    except psycopg.Error as ledger_exc:  # the database itself may be what failed
        log.error("could not record the failed batch in ops.batches: %s", ledger_exc)
    log.error(
        "batch %s.%s [%s, %s) failed: %s", key.source, key.entity, key.interval_start, key.interval_end, error
    )
