"""One ingest task in its own process, as a DAG task runs it: `ingestion.runner.ingest` over HTTP.

    python -m bench.pull --sandbox URL --warehouse URL --start ISO --end ISO --page-size N

Pulls the one-stop dossiers and progress of [start, end) from the sandbox and loads them
(pseudonymisation included), then prints one JSON line: rows loaded, wall seconds, this
process's CPU and its memory (`VmRSS` before the pull, `VmHWM` and `ru_maxrss` after). Its
peak memory at two interval sizes shows whether it is bounded by the page or by the interval.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

import orjson

from core.settings import Settings
from ingestion.runner import ingest
from ingestion.sources import Endpoint

ENTITIES = ("dossiers", "progress")
PSEUDONYM_KEY = "bench-key"  # the same key as the in-memory ways: identical pseudonyms, identical rows


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pull")
    parser.add_argument("--sandbox", required=True)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--start", type=datetime.fromisoformat, required=True)
    parser.add_argument("--end", type=datetime.fromisoformat, required=True)
    parser.add_argument("--page-size", type=int, required=True)
    args = parser.parse_args(argv)
    settings = Settings.from_env(
        {"DTIMON_PSEUDONYM_KEY": PSEUDONYM_KEY, "DTIMON_PAGE_SIZE": str(args.page_size)}
    )
    endpoint = Endpoint(args.sandbox, "bench", "bench")
    rss_before = _status_kib("VmRSS")
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    rows = 0
    for entity in ENTITIES:
        result = ingest(
            "onestop",
            entity,
            args.start,
            args.end,
            endpoint=endpoint,
            settings=settings,
            warehouse_url=args.warehouse,
        )
        rows += result.rows_loaded
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "rows": rows,
        "seconds": seconds,
        "client_cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "rss_before_kib": rss_before,
        "vm_hwm_kib": _status_kib("VmHWM"),
        "ru_maxrss_kib": after.ru_maxrss,
    }
    sys.stdout.write(orjson.dumps(report).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
