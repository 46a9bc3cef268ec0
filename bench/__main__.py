"""`python -m bench` (make bench): the loader against COPY, pandas and dlt, in interleaved rounds.

First the document exchange's packages (`bench.documents`: the loader against COPY FROM STDIN,
six months of the generated exchange at the same scale; `--no-documents` leaves them out), then
the population database's call log (`bench.calls`: the loader against COPY FROM STDIN, two weeks
of the generated log at the same scale; `--no-calls` leaves it out).
Writes `bench/results/<date>.json` and `.md`. Sizes: `--scale` (DTIMON_BENCH_SCALE, sandbox
generator scale, 1.0 ≈ 18,500 dossier versions and ≈ 520 document packages a month, ≈ 21,700
population calls in two weeks), `--months`
(DTIMON_BENCH_MONTHS, the one-stop records only), `--rounds` (DTIMON_BENCH_ROUNDS, at least 5
for a result to keep).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from pathlib import Path

from bench import calls, documents, loader

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", type=float, default=float(env.get("DTIMON_BENCH_SCALE", "1.0")))
    parser.add_argument("--months", type=int, default=int(env.get("DTIMON_BENCH_MONTHS", "1")))
    parser.add_argument("--rounds", type=int, default=int(env.get("DTIMON_BENCH_ROUNDS", "5")))
    parser.add_argument("--page-size", type=int, default=int(env.get("DTIMON_PAGE_SIZE", "200")))
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--documents",
        action=argparse.BooleanOptionalAction,
        default=env.get("DTIMON_BENCH_DOCUMENTS", "1") != "0",
        help="measure the document exchange's packages first (DTIMON_BENCH_DOCUMENTS=0: no)",
    )
    parser.add_argument(
        "--calls",
        action=argparse.BooleanOptionalAction,
        default=env.get("DTIMON_BENCH_CALLS", "1") != "0",
        help="measure the population database's call log (DTIMON_BENCH_CALLS=0: no)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # dlt reports anonymous usage by default; a benchmark sends nothing anywhere
    env.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    sections: list[loader.Section] = []
    if args.documents:
        packages = documents.run(
            scale=args.scale,
            rounds=args.rounds,
            page_size=args.page_size,
            out=sys.stdout,
            ways=documents.BENCH_WAYS,
        )
        sections.append(documents.section(packages))
        gc.collect()  # the packages' bytes are gone before the loader's records are made
    if args.calls:
        log = calls.run(
            scale=args.scale,
            rounds=args.rounds,
            page_size=args.page_size,
            out=sys.stdout,
            ways=calls.BENCH_WAYS,
        )
        sections.append(calls.section(log))
        gc.collect()  # the calls' bytes are gone before the loader's records are made
    loader.run(
        scale=args.scale,
        months=args.months,
        page_size=args.page_size,
        rounds=args.rounds,
        out=sys.stdout,
        results_dir=args.results,
        state_dir=ROOT / ".dtimon" / "bench",
        sections=sections,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
