"""Each source's freshness verdict from dbt's sources.json: the worst status of its tables, its
newest load (none for an empty source)."""

from __future__ import annotations

from datetime import UTC, datetime

from infra.freshness import source_verdicts


def _result(table: str, status: str, loaded: str | None) -> dict:
    result = {"unique_id": f"source.dtimon.{table}", "status": status}
    if loaded is not None:
        result["max_loaded_at"] = loaded
    return result


def test_a_source_takes_its_worst_table_and_newest_load() -> None:
    verdicts = source_verdicts(
        {
            "results": [
                _result("onestop.dossiers", "pass", "2025-10-02T01:00:00+00:00"),
                _result("onestop.progress", "warn", "2025-09-28T01:00:00+00:00"),
                _result("calls.log", "pass", "2025-10-02T02:00:00+00:00"),
                _result("empty.items", "warn", "0001-01-01T00:00:00+00:00"),  # dbt's "nothing loaded"
                _result("broken.items", "runtime error", None),
            ]
        }
    )
    found = {v.source: (v.status, v.newest_loaded_at, v.stale) for v in verdicts}
    assert found == {
        "onestop": ("warn", datetime(2025, 10, 2, 1, tzinfo=UTC), True),
        "calls": ("pass", datetime(2025, 10, 2, 2, tzinfo=UTC), False),
        "empty": ("warn", None, True),
        "broken": ("runtime error", None, True),
    }
    assert source_verdicts({"results": []}) == []
