"""DAG conventions, enforced: every DAG imports, is owned, tagged, retried, one run at a time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow.timetables.base import TimeRestriction
from airflow.timetables.interval import CronDataIntervalTimetable
from airflow.timetables.trigger import CronTriggerTimetable

from core.settings import Settings
from dags.build import BUILD_DEADLINE
from infra.airflow_env import airflow_env
from infra.dag_defaults import (
    LOCAL_TZ,
    START_DATE,
    WAIT_UNTIL_SERVED,
    daily_assets,
    ingest_dag_id,
    ingest_dags,
    raw_asset,
)
from ingestion.sources import SOURCES, Cursor
from tests import throwaway_source as throwaway


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with _dagbag(tmp_path_factory) as bag:
        yield bag


@contextmanager
def _dagbag(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("dtimon-home")
    settings = Settings.from_env({"DTIMON_HOME": str(home)})
    saved = dict(os.environ)
    os.environ.update(airflow_env(settings, base={}))
    # parsing DAGs needs no metadata database: keep this test off any server
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home}/airflow.db"
    try:
        from airflow.dag_processing.dagbag import DagBag

        yield DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_every_dag_file_imports(dagbag: Any) -> None:
    assert dagbag.import_errors == {}
    every = {dag_id for source in SOURCES.values() for dag_id in ingest_dags(source)}
    assert {*map(ingest_dag_id, SOURCES), *every, "dtimon_build"} <= set(dagbag.dag_ids)


def test_dag_conventions(dagbag: Any) -> None:
    for dag_id in dagbag.dag_ids:
        dag = dagbag.dags[dag_id]
        assert dag.max_active_runs == 1, dag_id
        assert "dtimon" in dag.tags and len(dag.tags) >= 2, dag_id
        assert dag.doc_md, dag_id
        assert not dag.catchup, dag_id
        for task in dag.tasks:
            assert task.owner == "dtimon-data-platform", (dag_id, task.task_id)
            assert task.execution_timeout is not None, (dag_id, task.task_id)


@pytest.mark.parametrize("source", SOURCES.values(), ids=lambda s: s.name)
def test_ingest_tasks_retry_and_emit_one_asset_per_raw_table(dagbag: Any, source: Any) -> None:
    for dag_id, (_, entities) in ingest_dags(source).items():
        dag = dagbag.dags[dag_id]
        assert dag.timetable.summary  # an interval timetable: runs have real data intervals
        loads = [task for task in dag.tasks if task.task_id != WAIT_UNTIL_SERVED]
        assert sorted(task.task_id for task in loads) == sorted(f"load_{name}" for name in entities)
        for task in loads:
            assert task.retries >= 1
            entity = source.entity(task.task_id.removeprefix("load_"))
            assert [a.name for a in task.outlets] == [entity.table.qualified]


def test_entities_naming_a_case_load_after_those_storing_its_people(dagbag: Any) -> None:
    ordered = 0
    for source in SOURCES.values():
        for entity, upstream in source.loads_after().items():
            dag = dagbag.dags[_dag_of(source, entity)]
            assert {f"load_{u}" for u in upstream} <= dag.get_task(f"load_{entity}").upstream_task_ids
            ordered += 1
    assert ordered  # the one-stop's progress notes name their dossiers' people


def test_build_publishes_only_after_the_gate(dagbag: Any) -> None:
    dag = dagbag.dags["dtimon_build"]
    publish = dag.get_task("publish")
    assert publish.trigger_rule == "all_success"
    assert publish.upstream_task_ids == {"gate", "stage_candidate"}
    assert dag.get_task("gate").upstream_task_ids == {"stage_candidate"}
    assert dag.get_task("stage_candidate").upstream_task_ids == {"dbt_build"}
    assert dag.get_task("dbt_build").upstream_task_ids == {"load_entries"}
    assert dag.get_task("load_entries").upstream_task_ids == {"new_data"}
    assert dag.get_task("new_data").task_type == "_ShortCircuitDecoratedOperator"
    assert dag.get_task("dbt_build").retries >= 1
    assert [a.name for a in dag.get_task("gate").outlets] == ["gate.passed"]
    assert [a.name for a in publish.inlets] == ["gate.passed"]
    assert Path(dag.fileloc).parent.name == "dags"
    ingests = [dagbag.dags[dag_id] for source in SOURCES.values() for dag_id in ingest_dags(source)]
    emitted = {a.name for ingest in ingests for t in ingest.tasks for a in t.outlets}
    assert emitted == {e.table.qualified for source in SOURCES.values() for e in source.entities}
    # one build a day, once every entity pulled daily has landed (all of them, not any one) ...
    assert type(dag.timetable.asset_condition).__name__.removeprefix("Serialized") == "AssetAll"
    assert _asset_names(dag.timetable.asset_condition) == {a.name for a in daily_assets(SOURCES.values())}
    # ... or by the day's deadline, local time, so a source that never lands holds back no other
    assert type(dag.timetable).__name__ == "AssetOrTimeSchedule"
    deadline = dag.timetable.timetable
    assert deadline.summary == CronTriggerTimetable(BUILD_DEADLINE, timezone=LOCAL_TZ).summary
    assert str(deadline._timezone.name) == LOCAL_TZ
    after = deadline.next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(START_DATE, None, catchup=False)
    )
    assert after is not None and after.run_after.in_timezone(LOCAL_TZ).hour == int(BUILD_DEADLINE.split()[1])
    # the scheduler reads the serialized DAG: the deadline survives it
    from airflow.serialization.serialized_objects import DagSerialization

    stored = DagSerialization.from_dict(DagSerialization.to_dict(dag)).timetable
    assert (type(stored).__name__, stored.timetable.summary) == ("AssetOrTimeSchedule", BUILD_DEADLINE)


def _dag_of(source: Any, entity: str) -> str:
    return next(dag_id for dag_id, (_, names) in ingest_dags(source).items() if entity in names)


def _asset_names(condition: Any) -> set[str]:
    """Every asset named in an asset condition (Asset, AssetAll, AssetAny, nested)."""
    if hasattr(condition, "objects"):
        return set().union(*(_asset_names(c) for c in condition.objects))
    return {condition.name}


def test_every_task_alerts_on_failure(dagbag: Any) -> None:
    from infra.alerts import on_failure

    for dag_id in dagbag.dag_ids:
        for task in dagbag.dags[dag_id].tasks:
            callbacks = task.on_failure_callback
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            assert on_failure in callbacks, (dag_id, task.task_id)


def test_entities_on_their_own_schedule_get_their_own_dag_and_a_lag_is_waited_for(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    calls = throwaway.SOURCE.entity("calls")
    live = replace(
        calls, name="live_calls", windowed=False, cursor=Cursor("sequence"), event_time="requestInTs",
        schedule="@hourly",
    )  # fmt: skip
    source = replace(throwaway.SOURCE, lag=timedelta(minutes=20), entities=(calls, live))
    with throwaway.with_throwaway_source():
        SOURCES[source.name] = source
        with _dagbag(tmp_path_factory) as bag:  # parsed with the source registered
            pass
        assert bag.import_errors == {}
        dags = ingest_dags(source)
        assert len(dags) == 2 and ingest_dag_id(source.name) in dags
        for dag_id, (cron, entities) in dags.items():
            dag = bag.dags[dag_id]
            assert dag.timetable.summary == CronDataIntervalTimetable(cron, timezone=LOCAL_TZ).summary
            windowed = [name for name in entities if source.entity(name).pull_mode == "window"]
            if windowed:  # the windowed loads wait, deferred, until the source serves the interval
                wait = dag.get_task(WAIT_UNTIL_SERVED)
                assert wait.delta == source.lag and wait.deferrable
                assert {f"load_{name}" for name in windowed} == wait.downstream_task_ids
            else:  # a cursor reads what is new: nothing to wait for
                assert WAIT_UNTIL_SERVED not in dag.task_ids
        build = bag.dags["dtimon_build"]
        assert _asset_names(build.timetable.asset_condition) == {
            a.name for a in daily_assets(SOURCES.values())
        }
        assert raw_asset(source.name, live.name).name not in _asset_names(build.timetable.asset_condition)
