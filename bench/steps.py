"""`python -m bench.steps`: the loader's client work per record, step by step, without a database.

For each windowed one-stop entity, on the sandbox generator's records (`bench.loader`'s
workload), CPU µs a record of each step of the fast path (`ingestion.runner.parse_pages` for
a record decoded into its declared shape):

- `decode`: the pages through the entity's real fetch from memory (`bench.loader.fetched`:
  envelope and records decoded into the declared shape, paging);
- `check`: the shape's plain check (`DeclaredParse.clean`);
- `pseudonymise`: `Pseudonymiser.apply_declared`, with a new pseudonymiser (cold caches, as
  in a batch);
- `search_people`: `Pseudonymiser.scrub_people` (the search across records, no case looked
  up), as the difference between `apply_declared` followed by it and `apply_declared` alone;
- `encode_row`: the record encoded as stored, its size and NUL checked, its search for a
  citizen id, and its row, through the fast path's own code (with a check that passes all);
- `id_search`: of `encode_row`, the search of the stored form for a citizen id alone;
- `copy_text`: the pages' `COPY` text (`ingestion.load._Sink`, its last check for a citizen id
  and the duplicate filter included, written nowhere), from the rows the fast path gives.

Each step is timed on its own over all pages, the best of three passes, with the cyclic
collector off as in a batch. A profile to see where a record's time goes, not a benchmark.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.loader import ENTITIES, CopyText, Workload, build_workload, copy_text_writer, fetched
from bench.pull import PSEUDONYM_KEY
from ingestion.load import Row
from ingestion.personal_text import may_hold_citizen_id
from ingestion.privacy import Pseudonymiser
from ingestion.record_rules import plausible_times
from ingestion.records import ENCODER
from ingestion.runner import _fast_path
from ingestion.sources import Entity


def _best(step: Callable[[], Any], records: int, passes: int = 3) -> float:
    """CPU µs a record of the fastest of `passes` runs of `step`."""
    best = float("inf")
    for _ in range(passes):
        started = time.process_time()
        step()
        best = min(best, time.process_time() - started)
    return 1e6 * best / records


def _stored_row(entity: Entity) -> Callable[[Any, frozenset[str], frozenset[str]], Any]:
    """The fast path's last steps (`ingestion.runner._fast_path` itself, its check and
    pseudonymisation taken out): the record encoded as stored, its size and NUL checked, its row."""
    assert entity.declared is not None
    declared = dataclasses.replace(entity.declared, clean=lambda record, days, times: True)
    return _fast_path(dataclasses.replace(entity, declared=declared, personal=None), Pseudonymiser("unused"))


def entity_steps(entity: Entity, work: Workload) -> dict[str, float]:
    """Step → CPU µs a record of one entity."""
    declared, policy = entity.declared, entity.personal
    assert declared is not None and policy is not None
    records = work.records[entity.name]

    def decode() -> list[list[Any]]:
        return list(fetched(entity, work))

    def pseudonymise(pages: list[list[Any]], search: bool = False) -> None:
        pseudonymiser = Pseudonymiser(PSEUDONYM_KEY)
        hide, scrub = pseudonymiser.apply_declared, pseudonymiser.scrub_people
        for page in pages:
            for record in page:
                hide(record, policy)
                if search:
                    scrub(record, policy, {})

    figures = {"decode": _best(decode, records)}
    pages = decode()
    days, times = plausible_times()
    figures["check"] = _best(lambda: [[declared.clean(r, days, times) for r in p] for p in pages], records)
    fresh = [decode() for _ in range(6)]  # pseudonymising changes a record: each pass its own
    figures["pseudonymise"] = _best(lambda: pseudonymise(fresh.pop()), records)
    searched = _best(lambda: pseudonymise(fresh.pop(), search=True), records)
    figures["search_people"] = searched - figures["pseudonymise"]
    pseudonymise(pages, search=True)
    stored_row = _stored_row(entity)
    figures["encode_row"] = _best(lambda: [[stored_row(r, days, times) for r in p] for p in pages], records)
    stored = [ENCODER.encode(r) for p in pages for r in p]
    figures["id_search"] = _best(lambda: [may_hold_citizen_id(s) for s in stored], records)
    rows = [[row for r in p if type(row := stored_row(r, days, times)) is Row] for p in pages]
    assert sum(map(len, rows)) == records  # every record a row whose stored form was searched

    def copy_text() -> None:
        sink = copy_text_writer(entity, CopyText(keep=False))
        for page in rows:
            sink.write_page(page)

    figures["copy_text"] = _best(copy_text, records)
    figures["records"] = records
    return figures


def steps(scale: float, page_size: int) -> dict[str, dict[str, float]]:
    """Entity → step → CPU µs a record."""
    work, _ = build_workload(scale, 1, page_size)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return {entity.name: entity_steps(entity, work) for entity in ENTITIES}
    finally:
        if collecting:
            gc.enable()


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
