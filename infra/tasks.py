"""What the DAG tasks do, with Airflow's context turned into plain arguments.

DAG files stay thin: they declare schedules and dependencies and call these functions.
Connections (warehouse, source endpoints) come from Airflow connections, so a production
deployment configures them in Airflow's secrets backend; locally `infra.airflow_env`
provides them as `AIRFLOW_CONN_*` variables.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from core.settings import ConfigError, Settings
from core.warehouse_url import PgUrl
from infra.airflow_env import WAREHOUSE_CONN_ID, source_conn_id
from infra.masking import masked
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
    """URL and credentials of a source from its Airflow HTTP Connection (token, client certificate
    files and origin in `extra`)."""
    host = conn.host or ""
    if "://" not in host:
        host = f"{conn.schema or 'http'}://{host}" + (f":{conn.port}" if conn.port else "")
    extra = conn.extra_dejson if conn.extra else {}
    return Endpoint(
        url=host,
        username=conn.login or "",
        password=conn.password or "",
        token=str(extra.get("token") or ""),
        client_cert=str(extra.get("client_cert") or ""),
        client_key=str(extra.get("client_key") or ""),
        ca_cert=str(extra.get("ca_cert") or ""),
        origin=str(extra.get("origin") or ""),
    )


def source_endpoint(source: str) -> Endpoint:
    """URL and credentials of `source` from its Airflow connection `dtimon_<source>`."""
    from airflow.sdk import Connection

    return endpoint_of_connection(Connection.get(source_conn_id(source)))


@contextmanager
def fail_without_retry(*deterministic: type[BaseException]) -> Iterator[None]:
    """Errors that a retry on the same data would meet again fail the task at once (Airflow's
    AirflowFailException): no retry, the alert goes out with the first attempt's message."""
    from airflow.sdk.exceptions import AirflowFailException

    try:
        yield
    except deterministic as error:
        raise AirflowFailException(f"{type(error).__name__}: {error}") from error


def ingest(
    source: str,
    entity: str,
    interval_start: datetime,
    interval_end: datetime,
    run_id: str,
    backfill_id: int | None = None,
) -> dict[str, Any]:
    """Load one source entity for one data interval (staged for `backfill_id`, when given);
    returns the batch summary (for XCom), empty when the backfill does not pull the entity. A
    renamed field, a shrinking catalogue, a record the database refuses or a second origin fails
    without retry."""
    from ingestion.load import CatalogueShrank
    from ingestion.origins import OriginMismatch
    from ingestion.runner import RenamedField
    from ingestion.runner import ingest as run_ingest

    deterministic = (RenamedField, CatalogueShrank, OriginMismatch, ConfigError)
    with fail_without_retry(*deterministic, psycopg.DataError, psycopg.IntegrityError):
        result = run_ingest(
            source,
            entity,
            interval_start,
            interval_end,
            endpoint=source_endpoint(source),
            settings=Settings.from_env(),
            warehouse_url=warehouse_url(),
            run_id=run_id,
            backfill_id=backfill_id,
        )
    return dataclasses.asdict(result) if result is not None else {}


#: Longest message kept in ops.build_runs (its tail: dbt ends with what failed).
BUILD_MESSAGE_CHARS = 4000


def build_message(error: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """What a failed build step says, safe for ops (`masked`), bounded to its last
    BUILD_MESSAGE_CHARS characters."""
    if isinstance(error, KeyboardInterrupt):
        return "stopped: the run was asked to stop (a signal) while this step ran"
    text = masked(f"{type(error).__name__}: {error}", secrets)
    if len(text) > BUILD_MESSAGE_CHARS:
        text = "…" + text[-(BUILD_MESSAGE_CHARS - 1) :]
    return text


@contextmanager
def recorded_step(url: str, step: str, run_id: str | None) -> Iterator[None]:
    """Record a build step in ops.build_runs: running before it starts, then succeeded, or failed
    with its masked message before the error goes on. A failure to record is logged, never raised
    in place of the step's own outcome."""
    from core.migrations import migrate

    secret = PgUrl.parse(url).password or ""
    build_run_id: int | None = None
    try:
        migrate(url)
        with psycopg.connect(url, autocommit=True) as conn:
            build_run_id = conn.execute(
                "insert into ops.build_runs (run_id, step) values (%s, %s) returning build_run_id",
                (run_id, step),
            ).fetchone()[0]
    except psycopg.Error:
        log.exception("could not record the start of %s in ops.build_runs", step)

    def finish(status: str, message: str | None, failed_nodes: list[dict[str, str]] | None = None) -> None:
        nodes = Jsonb(failed_nodes) if failed_nodes else None
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                if build_run_id is None:
                    conn.execute(
                        "insert into ops.build_runs (run_id, step, status, finished_at, message, failed_nodes)"
                        " values (%s, %s, %s, now(), %s, %s)",
                        (run_id, step, status, message, nodes),
                    )
                else:
                    conn.execute(
                        "update ops.build_runs set status = %s, finished_at = now(), message = %s,"
                        " failed_nodes = %s where build_run_id = %s",
                        (status, message, nodes, build_run_id),
                    )
        except psycopg.Error:
            log.exception("could not record the end of %s in ops.build_runs", step)

    try:
        yield
    except BaseException as error:
        finish("failed", build_message(error, (secret,)), failed_nodes(error, (secret,)))
        raise
    finish("succeeded", None)


def failed_nodes(error: BaseException, secrets: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """The dbt nodes a failed step names (a DbtFailed's, from dbt's results), safe for ops."""
    from infra.dbt import DbtFailed

    if not isinstance(error, DbtFailed):
        return []
    return [
        {
            "resource_type": failure.resource_type,
            "name": failure.name,
            "status": failure.status,
            "message": masked(failure.message, secrets),
        }
        for failure in error.failures
    ]


def build_failure(url: str, run_id: str) -> str | None:
    """The last failed build step of `run_id` in one line, naming its failed dbt nodes
    ("build 7 failed: dbt test <name> (<its error>)"), or None when no step failed."""
    from infra.dbt import NodeFailure, describe_failures, first_lines

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select build_run_id, step, message, failed_nodes from ops.build_runs"
            " where run_id = %s and status = 'failed' order by build_run_id desc limit 1",
            (run_id,),
        ).fetchone()
    if row is None:
        return None
    build_run_id, step, message, nodes = row
    if nodes:
        what = describe_failures([NodeFailure(**node) for node in nodes])
    else:
        what = f"{step}: {first_lines(message or '?', count=1)}"
    return f"build {build_run_id} failed: {what}"


def ingest_failure(url: str, run_id: str) -> str | None:
    """The failed batches of an ingest run in one line, each by the first line of its error
    ("CatalogueShrank: <source>.<entity>: the pull lacks …; …"), or None when none failed."""
    from infra.dbt import first_lines

    with psycopg.connect(url) as conn:
        errors = [
            error
            for (error,) in conn.execute(
                "select error from ops.batches where run_id = %s and status = 'failed' order by batch_id",
                (run_id,),
            )
        ]
    return "; ".join(first_lines(error or "?", count=1) for error in errors) or None


#: the conf key that moves a run's data interval's start back (`run_interval`)
INTERVAL_START = "interval_start"


def run_interval(context: Any) -> tuple[datetime, datetime]:
    """A DAG run's data interval: Airflow's, its start moved back to the conf's `interval_start`
    when given (`dtimon run` runs a DAG of cursor entities once per simulated day: the whole day)."""
    start, end = context["data_interval_start"], context["data_interval_end"]
    wider = (context["dag_run"].conf or {}).get(INTERVAL_START)
    if wider:
        start = min(start, datetime.fromisoformat(wider))
    return start, end


def backfill_of(conf: dict[str, Any] | None) -> int | None:
    """The backfill a DAG run works for: its conf's `backfill_id` (None for an ordinary run)."""
    value = (conf or {}).get("backfill_id")
    return None if value is None else int(value)


def landed_since_live_publication(url: str) -> bool:
    """Whether a live batch finished after the live publication was staged (True with none yet)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            """
            select
                live.created_at is null
                or exists (
                    select 1
                    from ops.batches as ledger
                    inner join ops.batch_statuses as statuses on statuses.status = ledger.status
                    where statuses.is_live and ledger.finished_at > live.created_at
                )
            from (select max(created_at) as created_at from ops.publications where status = 'published') as live
            """
        ).fetchone()
    return bool(row and row[0])


def worth_building(run_type: str, url: str | None = None) -> bool:
    """A deadline (scheduled) build runs only if something landed since the live publication: on
    a day every source landed early, the Asset-triggered build already published it. Asset,
    manual and backfill runs always build."""
    if run_type != "scheduled":
        return True
    if landed_since_live_publication(url or warehouse_url()):
        return True
    log.info("nothing landed since the live publication: the deadline build has nothing to do")
    return False


def load_entered(run_id: str | None = None, url: str | None = None) -> None:
    """Keep the department's new entered-indicator files (DTIMON_ENTRIES_DIR) before dbt reads
    them; a refused file is a warning (its lines in the log): the build goes on with the
    submissions already kept."""
    from ingestion.entries import load_entries

    url = url or warehouse_url()
    with recorded_step(url, "entered indicators", run_id), psycopg.connect(url, autocommit=True) as conn:
        result = load_entries(conn, Settings.from_env().entries_dir)
    if result.loaded:
        log.info("entered indicators: kept %s", ", ".join(result.loaded))
    if result.refused:
        log.warning("entered indicators: refused, the earlier submissions stay in force:\n%s", result.refused)


def dbt_build(run_id: str | None = None, url: str | None = None, backfill_id: int | None = None) -> None:
    """Check and record each source's freshness (a stale source is a warning, infra.freshness),
    then build and test every model (seeds, models, tests in DAG order); with `backfill_id`,
    staging reads that backfill's staged batches in place of the live ones of their intervals
    (dbt var `backfill_id`). Each step is recorded in ops.build_runs, a failure with dbt's message."""
    from infra.dbt import DbtFailed, run_dbt
    from infra.freshness import check_and_record

    url = url or warehouse_url()
    build = ["build"] if backfill_id is None else ["build", "--vars", f"{{backfill_id: {int(backfill_id)}}}"]
    try:
        with recorded_step(url, "dbt source freshness", run_id):
            check_and_record(url, run_id)
        with recorded_step(url, "dbt build", run_id):
            run_dbt(build, url)
    except DbtFailed as error:
        if not error.deterministic:
            raise
        with fail_without_retry(DbtFailed):
            raise


def stage_candidate(run_id: str) -> dict[str, Any]:
    """Freeze the marts the build made, with the method of each indicator read from dbt's manifest."""
    from infra.dbt import read_manifest
    from publishing.publish import stage_candidate as stage

    with psycopg.connect(warehouse_url(), autocommit=True) as conn:
        candidate = stage(conn, run_id=run_id, manifest=read_manifest())
    return {
        "publication_id": candidate.publication_id,
        "schema": candidate.schema,
        "relations": list(candidate.relations),
        "row_counts": candidate.row_counts,
    }


def gate(candidate: dict[str, Any], run_id: str, url: str | None = None) -> dict[str, Any]:
    """Validate the candidate. Whatever stops it — a failed expectation or an exception inside the
    gate — the candidate is rejected (its copy dropped, bi untouched) and the task fails."""
    from expectations.gate import GateFailed, validate
    from publishing.publish import reject

    url = url or warehouse_url()
    with recorded_step(url, "gate", run_id):
        try:
            result = validate(
                url,
                candidate["publication_id"],
                candidate["schema"],
                candidate["relations"],
                run_id,
                home=Settings.from_env().home,  # keeps the run and its Data Docs in .dtimon/gx
            )
        except BaseException as error:
            with psycopg.connect(url, autocommit=True) as conn:
                reject(conn, candidate["publication_id"], "the gate could not run: " + build_message(error))
            raise
        if not result.success:
            # a build refused only for moves or disappearances keeps its copy: `dtimon publish --accept-moves` may publish it
            with psycopg.connect(url, autocommit=True) as conn:
                reject(
                    conn,
                    candidate["publication_id"],
                    result.summary(),
                    keep_copy=result.refused_for_moves_only,
                )
            raise GateFailed(result.summary())
    return {"gate_result_id": result.gate_result_id, "evaluated": result.evaluated}


def publish(candidate: dict[str, Any], backfill_id: int | None = None) -> str:
    """Publish the candidate (and make backfill `backfill_id`'s staged batches live with it)."""
    from publishing.publish import publish as do_publish

    with psycopg.connect(warehouse_url(), autocommit=True) as conn:
        return do_publish(conn, candidate["publication_id"], backfill_id=backfill_id)


def render_report() -> dict[str, Any]:
    """Render the index report of the live publication (every month, quarter and year, and index.html)."""
    from publishing.report.after_publish import render_after_publish

    return render_after_publish(warehouse_url(), Settings.from_env().reports_dir)


def metabase_sync() -> int | None:
    """Provision Metabase from its definitions when METABASE_URL is set (else one log line)."""
    from publishing.metabase import after_publish

    changes = after_publish(Settings.from_env(), warehouse_url=warehouse_url())
    return None if changes is None else len(changes)
