"""Creates the `ops` and `raw` tables ingestion writes to (idempotent DDL in ingestion/sql/)."""

from __future__ import annotations

from pathlib import Path

import psycopg

SQL_DIR = Path(__file__).parent / "sql"


def ensure_schema(conn: psycopg.Connection, sources: tuple[str, ...] = ("onestop",)) -> None:
    """Create ops tables and the raw tables of `sources`. Safe to call on every run."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('dtimon.ensure_schema'))")
        conn.execute((SQL_DIR / "ops.sql").read_text())
        for source in sources:
            conn.execute((SQL_DIR / f"{source}.sql").read_text())
