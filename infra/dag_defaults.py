"""Defaults every dtimon DAG shares, so conventions are set in one place (and tested)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pendulum
from airflow.sdk import Asset

from infra.alerts import on_failure

if TYPE_CHECKING:
    from ingestion.sources import Source

LOCAL_TZ = "Asia/Ho_Chi_Minh"
OWNER = "dtimon-data-platform"
START_DATE = pendulum.datetime(2025, 1, 1, tz=LOCAL_TZ)


def default_args(**overrides: Any) -> dict[str, Any]:
    """Task defaults: an owner, retries with exponential backoff, a bounded run time, an alert on failure."""
    args: dict[str, Any] = {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        "execution_timeout": timedelta(hours=1),
        "on_failure_callback": on_failure,
    }
    args.update(overrides)
    return args


def dag_kwargs(*, tags: list[str], doc_md: str, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for `@dag`: one active run at a time, no implicit catch-up, tagged."""
    kwargs: dict[str, Any] = {
        "start_date": START_DATE,
        "catchup": False,
        "max_active_runs": 1,
        "default_args": default_args(),
        "tags": ["dtimon", *tags],
        "doc_md": doc_md,
    }
    kwargs.update(overrides)
    return kwargs


#: the task of an ingest DAG that waits until a lagging source serves the whole interval
WAIT_UNTIL_SERVED = "wait_until_served"


def ingest_dag_id(source: str, schedule: str | None = None) -> str:
    """The ingest DAG of a registered source: `ingest_<source>` on the source's schedule, and
    `ingest_<source>__<schedule spelled in letters, digits and _>` for entities on their own."""
    if schedule is None:
        return f"ingest_{source}"
    spelled = re.sub(r"[^0-9a-z]+", "_", schedule.lower().replace("*", "x")).strip("_")
    return f"ingest_{source}__{spelled}"


#: cron presets Airflow accepts that run once a day
_DAILY_PRESETS = {"@daily": "0 0 * * *", "@midnight": "0 0 * * *"}


def is_daily(cron: str) -> bool:
    """True for a cron that fires once every day (at one minute of one hour)."""
    fields = _DAILY_PRESETS.get(cron, cron).split()
    return len(fields) == 5 and fields[0].isdigit() and fields[1].isdigit() and fields[2:] == ["*"] * 3


def daily_assets(sources: Iterable[Source]) -> list[Asset]:
    """The raw-table Assets of every entity pulled once a day: what the daily build waits for."""
    return [
        raw_asset(source.name, entity.name)
        for source in sources
        for entity in source.entities
        if is_daily(source.schedule_of(entity.name))
    ]


def ingest_dags(source: Source) -> dict[str, tuple[str, list[str]]]:
    """The ingest DAGs of `source`, one per schedule: dag id → (cron, its entities)."""
    return {
        ingest_dag_id(source.name, None if schedule == source.schedule else schedule): (schedule, entities)
        for schedule, entities in source.schedules().items()
    }


def raw_asset(source: str, entity: str) -> Asset:
    """The Asset an ingest task emits when it has loaded `raw.<source>__<entity>`."""
    return Asset(name=f"raw.{source}__{entity}", uri=f"dtimon://warehouse/raw/{source}__{entity}")


def gate_asset() -> Asset:
    """The Asset the gate emits when it passed a candidate: what publishing waits on."""
    return Asset(name="gate.passed", uri="dtimon://warehouse/gate/passed")


def bi_asset() -> Asset:
    """The Asset the build DAG emits when it has published `bi`: what Metabase and the report read.

    Lineage in Airflow thus reaches the BI side: raw tables → dtimon_build → bi → (Metabase
    provisioning, the index report), each scheduled on or emitting these Assets.
    """
    return Asset(name="bi", uri="dtimon://warehouse/bi")
