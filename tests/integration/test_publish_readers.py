"""Readers never fail and never see two publications mixed while `bi` is switched.

Reader threads join every `bi` view in a loop (in both orders, the pattern that deadlocked
when views were dropped one at a time) while the main thread publishes and rolls back
repeatedly. Each build stamps every mart with its build number, so a reader that saw two
publications in one query would read two different numbers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest
from passed_gate import publish_passed

from core.migrations import migrate
from publishing import publish as pub

TABLES = ("dim_a", "dim_b", "fct_c")
READERS = 4
PUBLISHES = 12


@pytest.fixture
def conn(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        connection.execute("create schema marts")
        for table in TABLES:
            connection.execute(f"create table marts.{table} (build integer not null)")
        migrate(connection)
        yield connection


def _build_and_publish(conn: psycopg.Connection, build: int) -> None:
    for table in TABLES:
        conn.execute(f"truncate marts.{table}")
        conn.execute(f"insert into marts.{table} values (%s)", (build,))
    publish_passed(conn, f"build-{build}")


QUERIES = (
    "select a.build, b.build, c.build from bi.dim_a a cross join bi.dim_b b cross join bi.fct_c c",
    "select a.build, b.build, c.build from bi.fct_c c cross join bi.dim_b b cross join bi.dim_a a",
)


def test_joining_readers_survive_repeated_publish_and_rollback(
    conn: psycopg.Connection, warehouse_url: str
) -> None:
    _build_and_publish(conn, 0)
    stop = threading.Event()
    errors: list[str] = []
    mixed: list[tuple] = []
    reads = [0] * READERS

    def reader(n: int) -> None:
        with psycopg.connect(warehouse_url, autocommit=True) as rconn:
            while not stop.is_set():
                try:
                    row = rconn.execute(QUERIES[n % 2]).fetchone()
                except psycopg.Error as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                reads[n] += 1
                if row is None or len(set(row)) != 1:
                    mixed.append(row)

    threads = [threading.Thread(target=reader, args=(n,), daemon=True) for n in range(READERS)]
    for thread in threads:
        thread.start()
    try:
        for build in range(1, PUBLISHES + 1):
            _build_and_publish(conn, build)
            if build % 4 == 0 and build < PUBLISHES:
                pub.rollback(conn)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    assert mixed == []
    assert all(count > 0 for count in reads), reads
    assert conn.execute("select build from bi.dim_a").fetchone()[0] == PUBLISHES
