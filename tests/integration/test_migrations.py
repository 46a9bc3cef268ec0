"""Versioned migrations on a real PostgreSQL: applied once and recorded, a re-run is a no-op,
concurrent runs do not race, a warehouse built by the old ensure_schema DDL adopts them, and
the raw tables come from the sources' declarations."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from core.migrations import MIGRATIONS_DIR, migration_ids
from ingestion.declarations import blank_record
from ingestion.load import BatchKey, load_batch
from ingestion.localtime import VN_TZ
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.schema import migrate
from ingestion.sources import SOURCES
from ingestion.sources.onestop import SOURCE
from ingestion.sources.onestop_records import Procedure

#: What ingestion/sql/ops.sql, onestop.sql (catalogues), publications.sql and gate_results.sql
#: created before versioned migrations (trimmed to the tables and columns that matter here).
OLD_DDL = """
create schema ops;
create schema raw;
create schema bi;
create table ops.batches (
    batch_id bigint generated always as identity primary key,
    source text not null, entity text not null,
    interval_start timestamptz not null, interval_end timestamptz not null,
    status text not null check (status in ('succeeded', 'replaced', 'failed')),
    rows_loaded integer not null default 0, rows_rejected integer not null default 0,
    pages integer not null default 0, run_id text, error text,
    started_at timestamptz not null, finished_at timestamptz not null default now(),
    replaced_by bigint references ops.batches (batch_id)
);
create unique index batches_one_live_per_interval
    on ops.batches (source, entity, interval_start, interval_end) where status = 'succeeded';
create table ops.watermarks (
    source text not null, entity text not null, watermark timestamptz not null,
    batch_id bigint not null references ops.batches (batch_id),
    updated_at timestamptz not null default now(), primary key (source, entity)
);
create table ops.rejects (
    reject_id bigint generated always as identity primary key,
    batch_id bigint not null references ops.batches (batch_id) on delete cascade,
    source text not null, entity text not null, record_text text not null, reason text not null,
    rejected_at timestamptz not null default now()
);
create table ops.publications (
    publication_id bigint generated always as identity primary key,
    schema_name text not null unique, status text not null, run_id text,
    relations text [] not null default '{}', row_counts jsonb not null default '{}',
    created_at timestamptz not null default now(), published_at timestamptz, note text
);
create table ops.gate_results (
    gate_result_id bigint generated always as identity primary key,
    publication_id bigint not null, schema_name text not null, run_id text,
    success boolean not null, evaluated integer not null, failed_critical integer not null,
    failed_warning integer not null, results jsonb not null,
    validated_at timestamptz not null default now()
);
create table raw.onestop__procedures (
    batch_id bigint not null, loaded_at timestamptz not null default now(),
    source_updated_at timestamptz, ma_tthc text not null, record jsonb not null
);
create index onestop__procedures_batch on raw.onestop__procedures (batch_id);
create table raw.onestop__progress (
    batch_id bigint not null, loaded_at timestamptz not null default now(),
    source_updated_at timestamptz not null, ma_ho_so text not null, record jsonb not null,
    kept_by_hand text
);
"""

DAY = datetime(2025, 9, 1, tzinfo=VN_TZ)
PROCEDURES = SOURCE.entity("procedures")


def _applied(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("select migration_id from ops._yoyo_migration order by 1").fetchall()]


def _apply_log_count(conn: psycopg.Connection) -> int:
    return conn.execute("select count(*) from ops._yoyo_log where operation = 'apply'").fetchone()[0]


def _columns(conn: psycopg.Connection, table: str) -> list[str]:
    schema, name = table.split(".")
    rows = conn.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s "
        "order by ordinal_position",
        (schema, name),
    ).fetchall()
    return [r[0] for r in rows]


def test_migrations_are_applied_once_and_recorded(warehouse_url: str) -> None:
    assert migration_ids()[:2] == ["0001_baseline", "0002_source_identity"]
    assert migrate(warehouse_url) == migration_ids()
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        assert _applied(conn) == migration_ids()
        assert _apply_log_count(conn) == len(migration_ids())
        for table in (
            "ops.batches",
            "ops.watermarks",
            "ops.rejects",
            "ops.publications",
            "ops.gate_results",
            "ops.source_entities",
            "ops.source_origins",
        ):
            assert conn.execute("select to_regclass(%s)", (table,)).fetchone()[0] is not None, table
        assert conn.execute("select 1 from pg_roles where rolname = 'dtimon_bi_reader'").fetchone()
        for source in SOURCES.values():
            for entity in source.entities:
                # the loader's columns, the declared ones, then a catalogue's snapshot columns
                snapshot = ["record_hash", "is_deleted", "observed_at"] if entity.snapshot else []
                declared = [c.name for c in entity.table.columns]
                assert _columns(conn, entity.table.qualified) == [
                    "batch_id",
                    "loaded_at",
                    *declared,
                    *snapshot,
                ]
        assert conn.execute(
            "select source, entity, windowed, raw_table from ops.source_entities order by source, entity"
        ).fetchall() == sorted(
            (source.name, e.name, e.windowed, e.table.qualified)
            for source in SOURCES.values()
            for e in source.entities
        )

    # a re-run applies nothing and records nothing new
    assert migrate(warehouse_url) == []
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        assert _applied(conn) == migration_ids()
        assert _apply_log_count(conn) == len(migration_ids())


def _together(count: int, work: Callable[[int], object]) -> list[BaseException]:
    """Run `work(i)` on `count` threads released at once; the errors they raised."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        start.wait()
        try:
            work(index)
        except BaseException as exc:  # surfaced by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_migrations_do_not_race(warehouse_url: str) -> None:
    assert _together(4, lambda _: migrate(warehouse_url)) == []
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        assert _apply_log_count(conn) == len(migration_ids())
        assert conn.execute("select count(*) from ops.source_entities").fetchone()[0] == sum(
            len(s.entities) for s in SOURCES.values()
        )


def test_a_warehouse_built_by_the_old_ddl_adopts_the_migrations(warehouse_url: str) -> None:
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute(OLD_DDL)
        # the old loader stored the whole catalogue every day: two days, the same two procedures
        for day in (0, 1):
            start = DAY + timedelta(days=day)
            batch = conn.execute(
                "insert into ops.batches (source, entity, interval_start, interval_end, status, rows_loaded, "
                "started_at) values ('onestop', 'procedures', %s, %s, 'succeeded', 2, now()) returning batch_id",
                (start, start + timedelta(days=1)),
            ).fetchone()[0]
            for code in ("1.000001", "1.000002"):
                conn.execute(
                    "insert into raw.onestop__procedures (batch_id, ma_tthc, record) values (%s, %s, %s)",
                    (
                        batch,
                        code,
                        Jsonb(blank_record(Procedure) | {"MATTHC": code, "TENTTHC": f"Thủ tục {code}"}),
                    ),
                )

    assert migrate(warehouse_url) == migration_ids()

    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        # the catalogue's rows were given their hash and the end of their batch's interval
        rows = conn.execute(
            "select ma_tthc, record_hash = md5(record::text), is_deleted, observed_at "
            "from raw.onestop__procedures order by observed_at, ma_tthc"
        ).fetchall()
        assert rows == [
            ("1.000001", True, False, DAY + timedelta(days=1)),
            ("1.000002", True, False, DAY + timedelta(days=1)),
            ("1.000001", True, False, DAY + timedelta(days=2)),
            ("1.000002", True, False, DAY + timedelta(days=2)),
        ]
        # an existing table keeps what it had; missing declared tables are created
        assert "kept_by_hand" in _columns(conn, "raw.onestop__progress")
        assert conn.execute("select to_regclass('raw.onestop__agencies')").fetchone()[0] is not None
        assert "rows_unchanged" in _columns(conn, "ops.batches")

        # the next pull compares with the adopted rows: one procedure changed, one unchanged
        records = [
            blank_record(Procedure) | {"MATTHC": "1.000001", "TENTTHC": "Thủ tục 1.000001"},
            blank_record(Procedure) | {"MATTHC": "1.000002", "TENTTHC": "Thủ tục 1.000002 (sửa đổi)"},
        ]
        start = DAY + timedelta(days=2)
        result = load_batch(
            conn,
            PROCEDURES.table,
            BatchKey("onestop", "procedures", start, start + timedelta(days=1)),
            parse_pages(PROCEDURES, [records], Pseudonymiser("test-key")),
            snapshot=True,
        )
        assert (result.rows_received, result.rows_loaded, result.rows_unchanged) == (2, 1, 1)


def _role_blocks() -> list[tuple[str, str]]:
    """Every migration's `do $$ … $$` block that creates a role, with the file it is in."""
    blocks = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        for block in re.findall(r"do \$\$.*?\$\$;", path.read_text(), flags=re.S):
            if re.search(r"create role \w+", block):
                blocks.append((path.name, block))
    return blocks


def test_role_blocks_survive_warehouses_of_one_server_migrating_together(warehouse_url: str) -> None:
    """Roles are cluster-wide: the workers of one server migrating their own warehouses at once
    race to create them. Each block, on fresh role names, run by 8 sessions started 0.1 s apart,
    each holding its transaction open as a migration does. A pause between a block's check and
    its `create role` makes both ways of losing happen: the winner commits after the loser's
    create (unique_violation) or between its check and its create (duplicate_object)."""
    blocks = _role_blocks()
    assert blocks, "the migrations create the BI roles"
    for name, block in blocks:
        roles = sorted(set(re.findall(r"create role (\w+)", block)))
        fresh = {role: f"{role}_{uuid.uuid4().hex[:8]}" for role in roles}
        for role, new in fresh.items():
            block = re.sub(rf"\b{role}\b", new, block)
        block = re.sub(r"(create role \w+)", r"perform pg_sleep(0.3); \1", block)

        def run(index: int, block: str = block) -> None:
            time.sleep(0.1 * index)
            with psycopg.connect(warehouse_url, autocommit=True) as conn, conn.transaction():
                conn.execute(block)
                conn.execute("select pg_sleep(0.2)")  # committed with the rest of its file, later

        errors = _together(8, run)
        with psycopg.connect(warehouse_url, autocommit=True) as conn:
            made = {
                r[0]
                for r in conn.execute(
                    "select rolname from pg_roles where rolname = any(%s)", (list(fresh.values()),)
                )
            }
            for new in sorted(fresh.values(), reverse=True):
                conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(new)))
        assert [str(e) for e in errors] == [], name
        assert made == set(fresh.values()), name
