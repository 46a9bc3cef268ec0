"""Which endpoint or data folder filled each source, so data from two origins never mixes.

The first ingest of a source records its origin in `ops.source_origins` (the endpoint URL
without credentials, or what the sandbox serves: its data folder, or its seed and scale).
An ingest pointed at another origin is refused with one line naming both and how to start
afresh. `reset_source` is that fresh start for one source: its raw rows, batches,
watermarks, rejects and origin are deleted (marts and `bi` follow at the next build).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from ingestion.sources import SOURCES


class OriginMismatch(RuntimeError):
    """The warehouse's data of a source came from another origin than this ingest's."""


def url_origin(url: str) -> str:
    """A URL as an origin: no credentials, query or trailing slash."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def refusal(source: str, recorded: str, origin: str) -> str:
    return (
        f"refused: source {source!r} in this warehouse was filled from {recorded}, but this ingest "
        f"points at {origin}; to start afresh run `make clean` (embedded warehouse) "
        f"or `dtimon reset-source {source}`"
    )


def claim(conn: psycopg.Connection, source: str, origin: str) -> None:
    """Record `origin` as what fills `source`, or raise OriginMismatch if another one filled it.

    A source with no succeeded batch (nothing loaded yet, or only failures) adopts the new
    origin.
    """
    with conn.transaction():
        conn.execute(
            """
            insert into ops.source_origins as known (source, origin) values (%s, %s)
            on conflict (source) do update set origin = excluded.origin, first_loaded_at = now()
            where known.origin <> excluded.origin
              and not exists (
                  select from ops.batches as b where b.source = excluded.source and b.status = 'succeeded'
              )
            """,
            (source, origin),
        )
        recorded = conn.execute(
            "select origin from ops.source_origins where source = %s", (source,)
        ).fetchone()[0]
    if recorded != origin:
        raise OriginMismatch(refusal(source, recorded, origin))


def recorded_origin(conn: psycopg.Connection, source: str) -> str | None:
    row = conn.execute("select origin from ops.source_origins where source = %s", (source,)).fetchone()
    return row[0] if row else None


def reset_source(conn: psycopg.Connection, source: str) -> dict[str, int]:
    """Delete everything ingested from `source` (one transaction); returns rows deleted per table."""
    spec = SOURCES[source]
    deleted: dict[str, int] = {}
    with conn.transaction():
        for entity in spec.entities:
            table = entity.table
            if conn.execute("select to_regclass(%s)", (table.qualified,)).fetchone()[0] is None:
                continue
            cur = conn.execute(sql.SQL("delete from {}").format(sql.Identifier(table.schema, table.name)))
            deleted[table.qualified] = cur.rowcount
        for table in ("ops.watermarks", "ops.rejects", "ops.batches", "ops.source_origins"):
            schema, name = table.split(".")
            cur = conn.execute(
                sql.SQL("delete from {} where source = %s").format(sql.Identifier(schema, name)), (source,)
            )
            deleted[table] = cur.rowcount
    return deleted
