"""Build DAG: the department's entered-indicator files → dbt build → freeze candidate → Great Expectations gate → publish to `bi` →
index report and Metabase.

One build per local day, after the day's daily Assets: it is scheduled on all the raw-table
Assets of entities pulled once a day (`AssetAll`), so it starts when the last of them has
landed since the previous build — not once per source landing, and not for an entity pulled
more often (its rows wait for the next daily build). A source that never lands does not hold the
others back: the build also runs at BUILD_DEADLINE local time (`AssetOrTimeSchedule`), and the
late source's indicators are then provisional (stale) or absent (not covered); a deadline run
finding nothing landed since the live publication skips its tasks (`new_data`). Nothing reaches
`bi` unless dbt's tests and the gate passed: a failure stops the run before publish, leaving BI
on the last good publication (the failed candidate is rejected, its copy dropped, and its gate
result stays in `ops`). The gate owns the `gate.passed` Asset, which `publish` reads; `publish` emits
the `bi` Asset; the report and the Metabase provisioning run only after it succeeded.
A run whose conf names a `backfill_id` builds from that backfill's staged batches and, if it
publishes, makes them live in the publish transaction (`dtimon backfill`).
"""

from __future__ import annotations

from airflow.sdk import AssetAll, dag, get_current_context, task
from airflow.timetables.assets import AssetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable

from infra import tasks
from infra.dag_defaults import LOCAL_TZ, bi_asset, dag_kwargs, daily_assets, gate_asset
from ingestion.sources import SOURCES

#: the day's build runs by this local time even if some source has not landed
BUILD_DEADLINE = "0 6 * * *"
# One build a day: once every daily entity of every source has landed since the last build, or
# at the deadline with what has landed.
BUILD_TRIGGER = AssetAll(*daily_assets(SOURCES.values()))
BUILD_SCHEDULE = AssetOrTimeSchedule(
    timetable=CronTriggerTimetable(BUILD_DEADLINE, timezone=LOCAL_TZ), assets=BUILD_TRIGGER
)


@dag(
    dag_id="dtimon_build",
    schedule=BUILD_SCHEDULE,
    **dag_kwargs(tags=["build", "dbt", "gate", "publish"], doc_md=__doc__),
)
def dtimon_build() -> None:
    @task.short_circuit(retries=1)
    def new_data() -> bool:
        return tasks.worth_building(str(get_current_context()["dag_run"].run_type))

    @task(retries=1)
    def load_entries() -> None:
        tasks.load_entered(run_id=get_current_context()["run_id"])

    @task(retries=1)
    def dbt_build() -> None:
        context = get_current_context()
        tasks.dbt_build(run_id=context["run_id"], backfill_id=tasks.backfill_of(context["dag_run"].conf))

    @task(retries=0)
    def stage_candidate() -> dict:
        return tasks.stage_candidate(get_current_context()["run_id"])

    @task(retries=0, outlets=[gate_asset()])
    def gate(candidate: dict) -> dict:
        return tasks.gate(candidate, get_current_context()["run_id"])

    @task(retries=0, inlets=[gate_asset()], outlets=[bi_asset()])
    def publish(candidate: dict) -> str:
        return tasks.publish(candidate, tasks.backfill_of(get_current_context()["dag_run"].conf))

    @task(retries=1)
    def index_report() -> dict:
        return tasks.render_report()

    @task(retries=2)
    def metabase() -> int | None:
        return tasks.metabase_sync()

    candidate = stage_candidate()
    checked = gate(candidate)
    new_data() >> load_entries() >> dbt_build() >> candidate
    published = publish(candidate)
    checked >> published
    published >> [index_report(), metabase()]


dtimon_build()
