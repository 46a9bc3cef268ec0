"""`python -m bench.steps`: the loader's client work per record, step by step, without a database.

For each windowed one-stop entity, on the sandbox generator's records (`bench.loader`'s
workload): CPU µs a record to decode the pages' JSON, to pseudonymise (`Pseudonymiser.apply`),
to validate and parse (`entity.parse`), and to build the `COPY` text of the pages
(`ingestion.load._Sink`, the final 12-digit check included, written nowhere). Each step is
timed on its own, the second of two passes (the first warms the caches), with the cyclic
collector off as in a batch. A profile to see where a record's time goes, not a benchmark.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from typing import Any

import orjson
from psycopg import sql

from bench.loader import ENTITIES, PULL_END, PULL_START, build_workload
from bench.pull import PSEUDONYM_KEY
from ingestion.load import BatchKey, _Sink
from ingestion.privacy import Pseudonymiser


class _Nowhere:
    def write(self, data: bytes) -> None:
        pass


def steps(scale: float, page_size: int) -> dict[str, dict[str, float]]:
    """Entity → step → CPU µs a record."""
    work, _ = build_workload(scale, 1, page_size)
    result: dict[str, dict[str, float]] = {}
    collecting = gc.isenabled()
    gc.disable()
    try:
        for entity in ENTITIES:
            for _ in range(2):
                pseudonymiser = Pseudonymiser(PSEUDONYM_KEY)
                started = time.process_time()
                pages: list[list[Any]] = [orjson.loads(page)["data"] for page in work.pages[entity.name]]
                decoded = time.process_time()
                for page in pages:
                    for record in page:
                        pseudonymiser.apply(record, entity.personal, {})
                hidden = time.process_time()
                parsed = [[entity.parse(record) for record in page] for page in pages]
                checked = time.process_time()
                key = BatchKey("onestop", entity.name, PULL_START, PULL_END)
                sink = _Sink(None, sql.SQL(""), key, 1, with_batch_id=True)  # type: ignore[arg-type]
                sink._copy = _Nowhere()
                for page in parsed:
                    sink.write_page(page)
                written = time.process_time()
            records = sum(map(len, pages))
            result[entity.name] = {
                "decode": 1e6 * (decoded - started) / records,
                "pseudonymise": 1e6 * (hidden - decoded) / records,
                "validate_parse": 1e6 * (checked - hidden) / records,
                "copy_text": 1e6 * (written - checked) / records,
                "records": records,
            }
    finally:
        if collecting:
            gc.enable()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.steps", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--page-size", type=int, default=200)
    args = parser.parse_args(argv)
    for entity, figures in steps(args.scale, args.page_size).items():
        shown = ", ".join(f"{step} {value:.1f}" for step, value in figures.items() if step != "records")
        sys.stdout.write(f"{entity} ({figures['records']:,.0f} records), CPU µs a record: {shown}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
