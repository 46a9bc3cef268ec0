"""Ingest DAGs: one per source interface, generated from the source registry.

Each run pulls exactly its data interval (the source's inclusive window end gives the
overlap), loads every entity of the source into `raw` as one batch per entity (re-running
an interval replaces its batches; an entity whose free text names a case's people loads after
the entities that store them), and emits one Airflow Asset per raw table, which the build DAG
is scheduled on. A run whose conf names a `backfill_id` stages its batches for that backfill
(`dtimon backfill`, see ingestion/backfills.py) instead of replacing the live ones.
"""

from __future__ import annotations

from airflow.sdk import dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from infra.dag_defaults import LOCAL_TZ, dag_kwargs, ingest_dag_id, raw_asset
from infra.tasks import backfill_of, ingest
from ingestion.sources import SOURCES


def build_ingest_dag(source: str, entities: list[str], cron: str) -> None:
    @dag(
        dag_id=ingest_dag_id(source),
        schedule=CronDataIntervalTimetable(cron, timezone=LOCAL_TZ),
        **dag_kwargs(tags=["ingest", source], doc_md=__doc__),
    )
    def ingest_dag() -> None:
        loads = {}
        for entity in entities:

            @task(task_id=f"load_{entity}", outlets=[raw_asset(source, entity)])
            def load(entity: str = entity) -> dict:
                context = get_current_context()
                return ingest(
                    source,
                    entity,
                    context["data_interval_start"],
                    context["data_interval_end"],
                    context["run_id"],
                    backfill_of(context["dag_run"].conf),
                )

            loads[entity] = load()
        # free text that names a case's people is scrubbed with the people stored for that case:
        # the entities storing them load first, so the same interval's cases are known
        for entity, upstream in SOURCES[source].loads_after().items():
            for name in upstream:
                loads[name] >> loads[entity]

    ingest_dag()


for _source in SOURCES.values():
    build_ingest_dag(_source.name, [entity.name for entity in _source.entities], _source.schedule)
