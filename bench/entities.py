"""`python -m bench.entities`: the loader against its limit entity by entity — which side binds.

`make bench` loads all entities in one measurement. Here each entity is loaded alone, in
interleaved rounds, both by `COPY FROM STDIN` of its final rows (the limit for a client) and
by the loader through its real code path (the entity's fetch from memory, `parse_pages`,
`load_batch`), each checked to leave the same rows. It prints, per entity and way, the wall
time, the loading process's CPU (`time.process_time()`) and the whole server's CPU, in µs a
row (medians): where the loader's client CPU is above the server's, the client binds that
entity's load; where it is below, the server does.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from bench.loader import (
    ENTITIES,
    _bench_database,
    _checksums,
    _prepare_copy_files,
    _reset,
    _server_root,
    build_workload,
    copy_stdin_entity,
    load_entity,
    server_cpu,
)
from core.settings import Settings
from ingestion.schema import migrate

WAYS = ("COPY FROM STDIN", "loader")


def measure(scale: float, rounds: int) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(entity, way) → median (wall, client CPU, server CPU) in µs a row."""
    work, _ = build_workload(scale, 1, 200)
    gc.collect()
    figures: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="dtimon-bench-"))
    workdir.chmod(0o755)
    try:
        with _bench_database(Settings.from_env()) as url, psycopg.connect(url, autocommit=True) as conn:
            migrate(conn)
            root = _server_root(conn)
            _prepare_copy_files(conn, work, workdir)
            for _ in range(rounds):
                for entity in ENTITIES:
                    rows = work.expected[entity.name][0]
                    for way in WAYS:
                        _reset(conn)
                        gc.collect()
                        server, client, started = server_cpu(root), time.process_time(), time.perf_counter()
                        load = load_entity if way == "loader" else copy_stdin_entity
                        load(conn, entity, work)
                        wall = time.perf_counter() - started
                        client, server = time.process_time() - client, server_cpu(root) - server
                        left = _checksums(conn, "loader")[entity.name]
                        if left != work.expected[entity.name]:
                            raise RuntimeError(f"{way} left other {entity.name} rows: {left}")
                        per_row = (1e6 * wall / rows, 1e6 * client / rows, 1e6 * server / rows)
                        figures.setdefault((entity.name, way), []).append(per_row)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        key: tuple(statistics.median(v[i] for v in values) for i in range(3))  # type: ignore[misc]
        for key, values in figures.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.entities", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    sys.stdout.write(f"{'entity':<12} {'way':<16} µs a row: {'wall':>6} {'client':>7} {'server':>7}\n")
    for (entity, way), (wall, client, server) in measure(args.scale, args.rounds).items():
        sys.stdout.write(f"{entity:<12} {way:<16}           {wall:6.1f} {client:7.1f} {server:7.1f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
