"""Ingest DAGs: one per source interface and schedule, generated from the source registry.

Each run pulls exactly its data interval (the source's inclusive window end gives the
overlap), loads every entity on that schedule into `raw` as one batch per entity (re-running
an interval replaces its batches; an entity whose free text names a case's people loads after
the entities that store them), and emits one Airflow Asset per raw table, which the build DAG
is scheduled on. An entity declaring its own schedule gets a DAG of its own
(`ingest_<source>__<schedule>`); the rest share `ingest_<source>`. A source with an
availability lag starts its windowed loads only once the interval's end plus the lag has
passed: a deferrable `TimeDeltaSensor` (`wait_until_served`) waits on the triggerer without
holding a worker slot, the way Airflow waits for a time after the data interval. A run whose
conf names a `backfill_id` stages its batches for that backfill (`dtimon backfill`, see
ingestion/backfills.py) instead of replacing the live ones.
"""

from __future__ import annotations

from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor
from airflow.sdk import dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from infra.dag_defaults import LOCAL_TZ, WAIT_UNTIL_SERVED, dag_kwargs, ingest_dags, raw_asset
from infra.tasks import backfill_of, ingest, run_interval
from ingestion.sources import SOURCES, Source


def build_ingest_dag(source: Source, dag_id: str, entities: list[str], cron: str) -> None:
    @dag(
        dag_id=dag_id,
        schedule=CronDataIntervalTimetable(cron, timezone=LOCAL_TZ),
        **dag_kwargs(tags=["ingest", source.name], doc_md=__doc__),
    )
    def ingest_dag() -> None:
        loads = {}
        for entity in entities:

            @task(task_id=f"load_{entity}", outlets=[raw_asset(source.name, entity)])
            def load(entity: str = entity) -> dict:
                context = get_current_context()
                return ingest(
                    source.name,
                    entity,
                    *run_interval(context),
                    context["run_id"],
                    backfill_of(context["dag_run"].conf),
                )

            loads[entity] = load()
        windowed = [loads[name] for name in entities if source.entity(name).pull_mode == "window"]
        if source.lag and windowed:
            served = TimeDeltaSensor(task_id=WAIT_UNTIL_SERVED, delta=source.lag, deferrable=True)
            served >> windowed
        # free text that names a case's people is scrubbed with the people stored for that case:
        # the entities storing them load first, so the same interval's cases are known
        for entity, upstream in source.loads_after().items():
            if entity in loads:
                for name in upstream:
                    loads[name] >> loads[entity]

    ingest_dag()


for _source in SOURCES.values():
    for _dag_id, (_cron, _entities) in ingest_dags(_source).items():
        build_ingest_dag(_source, _dag_id, _entities, _cron)
