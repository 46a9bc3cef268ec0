"""Source freshness judged per source, as a warning: `dbt source freshness` checks each source
table against its `warn_after` (the sources' YAML); what it found is recorded per source in
ops.source_freshness and never fails the build. The build marks the indicators reading a source
whose latest check did not pass provisional (marts.ind_values), the gate warns naming it
(`source_stale`), and every other source's indicators publish as usual."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from infra.dbt import DbtFailed, results_file

log = logging.getLogger(__name__)

#: dbt's freshness statuses, best first: a source takes the worst of its tables'.
STATUSES = ("pass", "warn", "error", "runtime error")
FRESHNESS = ["source", "freshness"]


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    status: str
    newest_loaded_at: datetime | None  # None: nothing loaded yet

    @property
    def stale(self) -> bool:
        return self.status != "pass"


def _loaded_at(result: dict[str, Any]) -> datetime | None:
    text = result.get("max_loaded_at")
    # dbt reports an empty table as loaded at 0001-01-01
    return datetime.fromisoformat(text) if text and not text.startswith("0001-") else None


def source_verdicts(sources_json: dict[str, Any]) -> list[SourceFreshness]:
    """One verdict per source from dbt's sources.json: its tables' worst status, its newest load."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for result in sources_json.get("results") or ():
        # unique_id: source.<project>.<source>.<table>
        tables.setdefault(result["unique_id"].split(".")[2], []).append(result)
    verdicts = []
    for source, results in sorted(tables.items()):
        status = max((r["status"] for r in results), key=STATUSES.index)
        loads = [at for r in results if (at := _loaded_at(r)) is not None]
        verdicts.append(SourceFreshness(source, status, max(loads, default=None)))
    return verdicts


def check_and_record(url: str, run_id: str | None) -> list[SourceFreshness]:
    """Run `dbt source freshness`, record each source's verdict in ops.source_freshness and return
    them. A stale or empty source (dbt's warn or error) is only recorded; an unhandled dbt error
    (exit 2, e.g. a lost connection) is raised for a retry."""
    from infra.dbt import run_dbt  # looked up at call time, so a test can put a failing dbt in its place

    started = time.time()
    try:
        run_dbt(FRESHNESS, url)
    except DbtFailed as error:
        if not error.deterministic:
            raise
        log.warning("dbt source freshness found stale sources or failed to check some: %s", error)
    sources_json = results_file(FRESHNESS)
    if not sources_json.exists() or sources_json.stat().st_mtime < started:  # none, or an earlier run's
        log.warning("dbt source freshness wrote no %s: no source verdict recorded", sources_json.name)
        return []
    verdicts = source_verdicts(json.loads(sources_json.read_text(encoding="utf-8")))
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        for verdict in verdicts:
            conn.execute(
                "insert into ops.source_freshness (run_id, source, status, newest_loaded_at) values (%s, %s, %s, %s)",
                (run_id, verdict.source, verdict.status, verdict.newest_loaded_at),
            )
    for verdict in verdicts:
        if verdict.stale:
            log.warning(
                "source %s is stale (%s, newest load %s)",
                verdict.source,
                verdict.status,
                verdict.newest_loaded_at,
            )
    return verdicts
