"""Versioned warehouse migrations, plus the tables declared in code (the sources' raw tables).

`migrate(warehouse)` brings a warehouse up to date, in one place for every caller (ingest
tasks, the build's publish and gate steps, the CLI, tests, benchmarks):

1. Applies the pending files of `core/migrations/` (`NNNN_<topic>.sql`, applied in name
   order, each in its own transaction) with yoyo-migrations. What was applied is recorded
   in yoyo's tables in schema `ops` (`ops._yoyo_migration`, `ops._yoyo_log`). A migration
   is applied once; when nothing is pending the call is two queries (no yoyo import).
2. Creates the declared `tables` that do not exist yet and adds declared columns missing
   from existing ones (a table that exists is otherwise left alone), and upserts
   `ops.source_entities` from `source_entities`. Declarations come from above (the source
   registry passes them: `ingestion.schema.migrate`), so this module names no source.

Concurrent calls are serialised with a session advisory lock, so tasks starting together
never race on DDL. The first migration is written with `if not exists`, so a warehouse
created by the earlier `ensure_schema` DDL adopts it unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Schema of yoyo's own bookkeeping tables.
YOYO_SCHEMA = "ops"
YOYO_TABLE = "_yoyo_migration"
#: pg_advisory_lock key serialising every migrate() on a warehouse ('dtimon.migrate').
LOCK_KEY = 0x6474696D6F6E


@dataclass(frozen=True)
class Column:
    """A declared column. `default` and `backfill` are SQL expressions.

    `backfill` fills the rows already in an existing table when the column is added to it
    (it may refer to the table's other columns as `existing.<column>`); a NOT NULL column
    without a default or a backfill can only be added to an empty table.
    """

    name: str
    type: str
    not_null: bool = True
    default: str | None = None
    backfill: str | None = None

    def definition(self) -> sql.Composable:
        parts: list[sql.Composable] = [sql.Identifier(self.name), sql.SQL(self.type)]
        if self.not_null:
            parts.append(sql.SQL("not null"))
        if self.default is not None:
            parts.append(sql.SQL("default " + self.default))
        return sql.SQL(" ").join(parts)


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    indexes: tuple[Index, ...] = ()
    comment: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class SourceEntity:
    """One row of `ops.source_entities`."""

    source: str
    entity: str
    windowed: bool
    raw_table: str
    pull_mode: str = "window"  # window, snapshot, cursor or queue (`Entity.pull_mode`)


@dataclass(frozen=True)
class CodeListTable:
    """A table of the warehouse holding a code-list seed's rows (`core.code_lists`), synced at every
    migrate, and the foreign key through which a column accepts exactly those codes."""

    seed: str
    schema: str
    table: str
    key: str
    #: (schema, table, column) whose values must be codes of the list
    referenced_by: tuple[str, str, str]

    @property
    def constraint(self) -> str:
        return f"{self.referenced_by[1]}_{self.referenced_by[2]}_fk"


#: The warehouse's own code lists (ops.batches.status is one of the seed batch_statuses).
CODE_LISTS = (
    CodeListTable("batch_statuses", "ops", "batch_statuses", "status", ("ops", "batches", "status")),
)


def migration_ids() -> list[str]:
    """The versioned migrations shipped with this code, in the order they apply."""
    return sorted(p.stem for p in MIGRATIONS_DIR.glob("*.sql") if not p.name.endswith(".rollback.sql"))


def migrate(
    warehouse: str | psycopg.Connection,
    *,
    tables: Iterable[Table] = (),
    source_entities: Iterable[SourceEntity] = (),
) -> list[str]:
    """Apply pending migrations, then the declared tables; returns the ids of migrations applied.

    `warehouse` is a libpq URL/conninfo or an open connection (only its connection
    parameters are used: the work is done on connections of its own).
    """
    conninfo = warehouse if isinstance(warehouse, str) else _conninfo_of(warehouse)
    tables, source_entities = tuple(tables), tuple(source_entities)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(YOYO_SCHEMA)))
            pending = [m for m in migration_ids() if m not in _applied(conn)]
            if pending:
                _apply(conninfo)
                log.info("applied migrations %s", ", ".join(pending))
            with conn.transaction():
                for code_list in CODE_LISTS:
                    _sync_code_list(conn, code_list)
            if tables or source_entities:
                with conn.transaction():
                    for table in tables:
                        _sync_table(conn, table)
                    _upsert_source_entities(conn, source_entities)
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (LOCK_KEY,))
    return pending


def _conninfo_of(conn: psycopg.Connection) -> str:
    return make_conninfo(conn.info.dsn, password=conn.info.password or None)


def _applied(conn: psycopg.Connection) -> set[str]:
    qualified = f"{YOYO_SCHEMA}.{YOYO_TABLE}"
    if conn.execute("select to_regclass(%s)", (qualified,)).fetchone()[0] is None:
        return set()
    query = sql.SQL("select migration_id from {}").format(sql.Identifier(YOYO_SCHEMA, YOYO_TABLE))
    return {row[0] for row in conn.execute(query).fetchall()}


def _apply(conninfo: str) -> None:
    """Apply what yoyo finds pending, on a connection of its own whose search_path is `ops`."""
    from yoyo import read_migrations
    from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend
    from yoyo.connections import parse_uri

    class Backend(PostgresqlPsycopgBackend):
        def connect(self, dburi: Any) -> psycopg.Connection:
            self.schema = YOYO_SCHEMA  # init_connection sets the search_path to it
            return psycopg.connect(conninfo, autocommit=True)

    backend = Backend(parse_uri("postgresql+psycopg:///dtimon"), YOYO_TABLE)
    try:
        backend.init_database()
        migrations = read_migrations(str(MIGRATIONS_DIR))
        with backend.lock():
            backend.apply_migrations(backend.to_apply(migrations))
    finally:
        backend.connection.close()


def _sync_code_list(conn: psycopg.Connection, code_list: CodeListTable) -> None:
    """Make the code list's table hold the seed's rows (a code no longer listed is dropped unless a
    row still uses it), and the referencing column's foreign key exist."""
    from core.code_lists import code_list as seed_rows

    table = sql.Identifier(code_list.schema, code_list.table)
    key = sql.Identifier(code_list.key)
    rows = [dict(row) for row in seed_rows(code_list.seed)]
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in rows[0])
    conn.execute(
        sql.SQL(
            "insert into {table} ({columns}) select {columns} from json_populate_recordset(null::{table}, %s)"
            " on conflict ({key}) do update set ({columns}) = row({excluded})"
        ).format(
            table=table,
            columns=columns,
            key=key,
            excluded=sql.SQL(", ").join(sql.SQL("excluded.") + sql.Identifier(c) for c in rows[0]),
        ),
        (orjson.dumps(rows).decode(),),
    )
    schema, referencing, column = code_list.referenced_by
    referencing_table, referencing_column = sql.Identifier(schema, referencing), sql.Identifier(column)
    conn.execute(
        sql.SQL(
            "delete from {table} as listed where listed.{key} <> all(%s)"
            " and not exists (select from {referencing} as used where used.{column} = listed.{key})"
        ).format(table=table, key=key, referencing=referencing_table, column=referencing_column),
        ([row[code_list.key] for row in rows],),
    )
    if conn.execute("select 1 from pg_constraint where conname = %s", (code_list.constraint,)).fetchone():
        return
    conn.execute(
        sql.SQL(
            "alter table {referencing} add constraint {name} foreign key ({column}) references {table} ({key})"
        ).format(
            referencing=referencing_table,
            name=sql.Identifier(code_list.constraint),
            column=referencing_column,
            table=table,
            key=key,
        )
    )


def _sync_table(conn: psycopg.Connection, table: Table) -> None:
    ident = sql.Identifier(table.schema, table.name)
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(table.schema)))
    existing = {
        row[0]
        for row in conn.execute(
            """
            select a.attname from pg_attribute a
            where a.attrelid = to_regclass(%s) and a.attnum > 0 and not a.attisdropped
            """,
            (f"{table.schema}.{table.name}",),
        ).fetchall()
    }
    if not existing:
        conn.execute(
            sql.SQL("create table if not exists {} ({})").format(
                ident, sql.SQL(", ").join(c.definition() for c in table.columns)
            )
        )
        if table.comment:
            conn.execute(sql.SQL("comment on table {} is {}").format(ident, sql.Literal(table.comment)))
    else:
        for column in table.columns:
            if column.name not in existing:
                _add_column(conn, table, column)
    for index in table.indexes:
        # checked first: `create index if not exists` would wait for a running load's lock
        if conn.execute("select to_regclass(%s)", (f"{table.schema}.{index.name}",)).fetchone()[0]:
            continue
        conn.execute(
            sql.SQL("create index if not exists {} on {} ({})").format(
                sql.Identifier(index.name), ident, sql.SQL(", ").join(map(sql.Identifier, index.columns))
            )
        )


def _add_column(conn: psycopg.Connection, table: Table, column: Column) -> None:
    ident = sql.Identifier(table.schema, table.name)
    col = sql.Identifier(column.name)
    if column.backfill is None or column.default is not None:
        conn.execute(sql.SQL("alter table {} add column {}").format(ident, column.definition()))
    else:
        nullable = Column(column.name, column.type, not_null=False)
        conn.execute(sql.SQL("alter table {} add column {}").format(ident, nullable.definition()))
        conn.execute(
            sql.SQL("update {} as existing set {} = {}").format(ident, col, sql.SQL(column.backfill))
        )
        if column.not_null:
            conn.execute(sql.SQL("alter table {} alter column {} set not null").format(ident, col))
    log.info("added column %s to %s", column.name, table.qualified)


def _upsert_source_entities(conn: psycopg.Connection, entities: tuple[SourceEntity, ...]) -> None:
    if not entities:
        return
    with conn.cursor() as cur:
        cur.executemany(
            """
            insert into ops.source_entities (source, entity, windowed, raw_table, pull_mode)
            values (%s, %s, %s, %s, %s)
            on conflict (source, entity) do update
            set windowed = excluded.windowed, raw_table = excluded.raw_table, pull_mode = excluded.pull_mode
            where (ops.source_entities.windowed, ops.source_entities.raw_table, ops.source_entities.pull_mode)
                is distinct from (excluded.windowed, excluded.raw_table, excluded.pull_mode)
            """,
            [(e.source, e.entity, e.windowed, e.raw_table, e.pull_mode) for e in entities],
        )
