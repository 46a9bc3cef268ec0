"""A build as the build DAG runs it, for tests that inject faults and watch the gate."""

from __future__ import annotations

import psycopg

from expectations.gate import GateResult, validate
from infra.dbt import run_dbt
from publishing import publish as pub


def build_and_gate(conn: psycopg.Connection, url: str, run: str) -> GateResult:
    """dbt build, stage, gate, then publish or reject, as the build DAG does."""
    run_dbt(["build"], url)
    candidate = pub.stage_candidate(conn, run_id=run)
    result = validate(url, candidate.publication_id, candidate.schema, list(candidate.relations), run)
    assert not any("could not run" in text for text in result.failed_critical + result.failed_warning)
    if result.success:
        pub.publish(conn, candidate.publication_id)
    else:
        pub.reject(conn, candidate.publication_id, result.summary())
    return result
