"""What the DAG tasks do, with Airflow's context turned into plain arguments.

DAG files stay thin: they declare schedules and dependencies and call these functions.
Connections (warehouse, source endpoints) come from Airflow connections, so a production
deployment configures them in Airflow's secrets backend; locally `infra.airflow_env`
provides them as `AIRFLOW_CONN_*` variables.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from typing import Any

import psycopg

from core.settings import Settings
from core.warehouse_url import PgUrl
from infra.airflow_env import WAREHOUSE_CONN_ID, source_conn_id
from ingestion.sources import Endpoint

log = logging.getLogger(__name__)


def url_of_connection(conn: Any) -> str:
    """libpq URL of an Airflow postgres Connection (its `extra` carries libpq options)."""
    extra = conn.extra_dejson if conn.extra else {}
    return PgUrl.from_parts(
        host=conn.host,
        port=conn.port,
        user=conn.login,
        password=conn.password,
        database=conn.schema,
        options={str(k): str(v) for k, v in extra.items()},
    ).render()


def warehouse_url(conn_id: str = WAREHOUSE_CONN_ID) -> str:
    """libpq URL of the warehouse from the Airflow connection `conn_id`."""
    from airflow.sdk import Connection

    return url_of_connection(Connection.get(conn_id))


def endpoint_of_connection(conn: Any) -> Endpoint:
    """URL and credentials of a source from its Airflow HTTP Connection (token and origin in `extra`)."""
    host = conn.host or ""
    if "://" not in host:
        host = f"{conn.schema or 'http'}://{host}" + (f":{conn.port}" if conn.port else "")
    extra = conn.extra_dejson if conn.extra else {}
    return Endpoint(
        url=host,
        username=conn.login or "",
        password=conn.password or "",
        token=str(extra.get("token") or ""),
        origin=str(extra.get("origin") or ""),
    )


def source_endpoint(source: str) -> Endpoint:
    """URL and credentials of `source` from its Airflow connection `dtimon_<source>`."""
    from airflow.sdk import Connection

    return endpoint_of_connection(Connection.get(source_conn_id(source)))


def ingest(
    source: str, entity: str, interval_start: datetime, interval_end: datetime, run_id: str
) -> dict[str, Any]:
    """Load one source entity for one data interval; returns the batch summary (for XCom)."""
    from ingestion.runner import ingest as run_ingest

    result = run_ingest(
        source,
        entity,
        interval_start,
        interval_end,
        endpoint=source_endpoint(source),
        settings=Settings.from_env(),
        warehouse_url=warehouse_url(),
        run_id=run_id,
    )
    return dataclasses.asdict(result)


def dbt_build() -> None:
    """Check source freshness, then build and test every model (seeds, models, tests in DAG order)."""
    from infra.dbt import run_dbt

    url = warehouse_url()
    run_dbt(["source", "freshness"], url)
    run_dbt(["build"], url)


def stage_candidate(run_id: str) -> dict[str, Any]:
    from publishing.publish import stage_candidate as stage

    with psycopg.connect(warehouse_url(), autocommit=True) as conn:
        candidate = stage(conn, run_id=run_id)
    return {
        "publication_id": candidate.publication_id,
        "schema": candidate.schema,
        "relations": list(candidate.relations),
        "row_counts": candidate.row_counts,
    }


def gate(candidate: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Validate the candidate; on failure reject it (bi untouched) and fail the task."""
    from expectations.gate import GateFailed, validate
    from publishing.publish import reject

    url = warehouse_url()
    result = validate(url, candidate["publication_id"], candidate["schema"], candidate["relations"], run_id)
    if not result.success:
        with psycopg.connect(url, autocommit=True) as conn:
            reject(conn, candidate["publication_id"], result.summary())
        raise GateFailed(result.summary())
    return {"gate_result_id": result.gate_result_id, "evaluated": result.evaluated}


def publish(candidate: dict[str, Any]) -> str:
    from publishing.publish import publish as do_publish

    with psycopg.connect(warehouse_url(), autocommit=True) as conn:
        return do_publish(conn, candidate["publication_id"])


def render_report() -> dict[str, Any]:
    """Render the index report of the live publication (every month, and index.html)."""
    from publishing.report.after_publish import render_after_publish

    return render_after_publish(warehouse_url(), Settings.from_env().reports_dir)


def metabase_sync() -> int | None:
    """Provision Metabase from its definitions when METABASE_URL is set (else one log line)."""
    from publishing.metabase import after_publish

    changes = after_publish(Settings.from_env(), warehouse_url=warehouse_url())
    return None if changes is None else len(changes)
