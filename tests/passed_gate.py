"""Publishing a candidate the gate passed, for tests of what publishing does after the gate.

The gate's own behaviour is tested in tests/integration/test_gate_publish.py; tests of the
publish path, the report, Metabase and the BI login record a passing verdict directly.
"""

from __future__ import annotations

import psycopg

from publishing import publish as pub


def publish_passed(
    conn: psycopg.Connection, run_id: str = "test", *, evaluated: int = 1, failed_warning: int = 0
) -> int:
    """Stage the marts as they are, record a passing gate verdict, publish; the publication id."""
    candidate = pub.stage_candidate(conn, run_id=run_id)
    conn.execute(
        "insert into ops.gate_results (publication_id, schema_name, success, evaluated, failed_critical,"
        " failed_warning, results) values (%s, %s, true, %s, 0, %s, '{}')",
        (candidate.publication_id, candidate.schema, evaluated, failed_warning),
    )
    pub.publish(conn, candidate.publication_id)
    return candidate.publication_id
