"""`python -m bench.key_order`: what writing records with their keys in jsonb's order saves the server.

The loader encodes each record with its keys in the order PostgreSQL stores a jsonb object's
keys (`ingestion.records.declared`). This loads the same rows both ways — the loader's
`COPY` text through its fast path, and through its checked path alone, whose records keep
the keys in the order the source sent them — in interleaved rounds into a bench database,
checks both left the same rows, and prints the server's CPU a row (the whole server, as
`make bench` counts it) and the wall time of each.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from typing import Any

import orjson
import psycopg
from psycopg import sql

from bench.loader import (
    ENTITIES,
    CopyText,
    Workload,
    _bench_database,
    _checksums,
    _reset,
    _server_root,
    build_workload,
    copy_text_writer,
    fetched,
    server_cpu,
)
from bench.pull import PSEUDONYM_KEY
from core.settings import Settings
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.schema import migrate


def copy_text(work: Workload, *, declared: bool) -> dict[str, list[bytes]]:
    """Entity → the `COPY` text of each page (batch id 1) as the loader writes it: through the
    fast path (`declared`: keys in jsonb's order), or through the checked path only (the
    records as decoded JSON, their keys in the order the source sent them)."""
    out = {}
    for entity in ENTITIES:
        if declared:
            pages = fetched(entity, work)
        else:
            entity = dataclasses.replace(entity, declared=None)
            pages = (orjson.loads(page)["data"] for page in work.pages[entity.name])
        sink = copy_text_writer(entity, kept := CopyText())
        for page in parse_pages(entity, pages, Pseudonymiser(PSEUDONYM_KEY)):
            sink.write_page(page)
        out[entity.name] = kept.blocks
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.key_order", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    work, _ = build_workload(args.scale, 1, 200)
    sorted_text, unsorted_text = copy_text(work, declared=True), copy_text(work, declared=False)
    rows = sum(work.records.values())
    expected: dict[str, Any] = {}
    results: dict[str, list[tuple[float, float]]] = {"jsonb order": [], "source order": []}
    with _bench_database(Settings.from_env()) as url, psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        root = _server_root(conn)
        for _ in range(args.rounds):
            for label, text in (("jsonb order", sorted_text), ("source order", unsorted_text)):
                _reset(conn)
                cpu, started = server_cpu(root), time.perf_counter()
                for entity in ENTITIES:
                    columns = (*entity.table.column_names, "batch_id")
                    query = sql.SQL("copy {} ({}) from stdin").format(
                        sql.Identifier(entity.table.schema, entity.table.name),
                        sql.SQL(", ").join(map(sql.Identifier, columns)),
                    )
                    with conn.transaction(), conn.cursor() as cur, cur.copy(query) as copy:
                        for block in text[entity.name]:
                            copy.write(block)
                seconds, cpu = time.perf_counter() - started, server_cpu(root) - cpu
                sums = _checksums(conn, "loader")
                if sums != expected.setdefault("rows", sums):
                    raise RuntimeError(f"{label} left other rows: {sums} != {expected['rows']}")
                results[label].append((1e6 * cpu / rows, 1e6 * seconds / rows))
    for label, values in results.items():
        server = statistics.median(v[0] for v in values)
        wall = statistics.median(v[1] for v in values)
        sys.stdout.write(
            f"{label:15} server CPU {server:5.1f} µs a row, wall {wall:5.1f} µs a row ({rows:,} rows)\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
