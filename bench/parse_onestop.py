"""Parse-only micro-benchmark of the one-stop dossier parser (no database, no HTTP).

    .venv/bin/python -m bench.parse_onestop            # 50,000 generated dossier versions
    .venv/bin/python -m bench.parse_onestop --file F   # records from a JSON array file (reused across runs)

Prints the best of five passes in µs per record. The records are generated once (or read from
--file) so that a change to the generator cannot move the figure.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import orjson

from ingestion.sources.onestop import parse_dossier


def _records(path: Path | None, count: int) -> list[dict]:
    if path is not None and path.exists():
        return orjson.loads(path.read_bytes())[:count]
    from ingestion.sandbox.generator import generate_province

    province = generate_province(20250901, 1.0, date(2025, 1, 1), date(2026, 1, 1))
    records = province.dossiers[:count]
    if path is not None:
        path.write_bytes(orjson.dumps(records))
    return records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path)
    parser.add_argument("--count", type=int, default=50_000)
    args = parser.parse_args()
    records = _records(args.file, args.count)
    best = float("inf")
    for _ in range(5):
        # a fresh copy each pass: the parser must not rely on (or leave) state in the dicts
        batch = orjson.loads(orjson.dumps(records))
        started = time.perf_counter()
        for record in batch:
            parse_dossier(record)
        best = min(best, time.perf_counter() - started)
    print(f"{len(records):,} dossiers: best of 5 {best:.3f} s, {best / len(records) * 1e6:.2f} µs/record")


if __name__ == "__main__":
    main()
