"""The gate's checks of what was ingested, before any model read it: what dbt's tests cannot see.

They run as SQL over the batch ledger (`ops.batches`) and the raw tables of the source registry
(`ops.source_entities`), inside PostgreSQL:

- `raw_rows_differ_from_ledger` (fail): each live batch has in raw exactly the rows its ledger
  entry counts (`rows_loaded`);
- `day_volume_zero` (fail) and `day_volume_unusual` (warn): the rows of a windowed entity on a
  local day against the median of the same kind of day (working or not, `int_calendar__days`)
  over its last VOLUME_HISTORY_DAYS covered days; 0 rows where that median is not 0 fails,
  outside VOLUME_LOW..VOLUME_HIGH times it warns, with fewer than VOLUME_MIN_DAYS such days it is
  not judged. Judged are the days loaded since the live publication was staged (all before it);
- `source_stale` (warn): a source whose newest live batch finished longer ago than its dbt
  freshness `warn_after` (the sources' YAML); dbt no longer fails the build on freshness.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from statistics import median
from typing import Any

import great_expectations.expectations as gxe
import yaml

from expectations.dbt_keys import DBT_PROJECT
from expectations.suites import CRITICAL, WARNING, SuiteSpec, sql_literal

VOLUME_HISTORY_DAYS = 28
VOLUME_MIN_DAYS = 7
VOLUME_LOW = Decimal("0.5")
VOLUME_HIGH = Decimal("2")
#: The ledger the raw checks run over (their GX asset).
LEDGER_SCHEMA, LEDGER = "ops", "batches"
CALENDAR = "intermediate.int_calendar__days"
LOCAL_TZ = "Asia/Ho_Chi_Minh"


def volume_verdict(rows: int, history: list[int]) -> str | None:
    """`fail`, `warn` or None for a day of `rows` rows, given the rows of the same kind of day on
    earlier covered days, newest first (only the first VOLUME_HISTORY_DAYS count)."""
    recent = history[:VOLUME_HISTORY_DAYS]
    if len(recent) < VOLUME_MIN_DAYS:
        return None
    typical = Decimal(str(median(recent)))
    if typical == 0:
        return None
    if rows == 0:
        return "fail"
    ratio = Decimal(rows) / typical
    return "warn" if ratio < VOLUME_LOW or ratio > VOLUME_HIGH else None


@dataclass(frozen=True)
class RawEntity:
    source: str
    entity: str
    windowed: bool
    raw_table: str  # schema.table


def _table(qualified: str) -> str:
    schema, name = qualified.split(".", 1)
    return '"' + schema.replace('"', '""') + '"."' + name.replace('"', '""') + '"'


def _ledger_rows(entity: RawEntity) -> gxe.Expectation:
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=(
            "select /* raw_rows_differ_from_ledger */ ledger.* from {batch} as ledger"
            " inner join ops.batch_statuses as statuses on statuses.status = ledger.status"
            f" left join (select batch_id, count(*) as raw_rows from {_table(entity.raw_table)} group by batch_id)"
            " as raw_counts on raw_counts.batch_id = ledger.batch_id"
            f" where statuses.is_live and ledger.source = {sql_literal(entity.source)}"
            f" and ledger.entity = {sql_literal(entity.entity)}"
            " and coalesce(raw_counts.raw_rows, 0) <> ledger.rows_loaded"
        ),
        description=(
            f"raw_rows_differ_from_ledger: {entity.source}.{entity.entity}: every live batch has in"
            f" {entity.raw_table} the rows ops.batches counts"
        ),
        severity=CRITICAL,
    )


def _volume_query(entity: RawEntity, since: str | None, verdict: str) -> str:
    """Days of `entity` whose rows get `verdict` (the SQL of `volume_verdict`)."""
    judged = "true" if since is None else f"day_rows.last_finished > {sql_literal(since)}::timestamptz"
    condition = (
        "day_rows.row_count = 0"
        if verdict == "fail"
        else f"day_rows.row_count > 0 and (day_rows.row_count < {VOLUME_LOW} * history.median_rows"
        f" or day_rows.row_count > {VOLUME_HIGH} * history.median_rows)"
    )
    return (
        f"select /* day_volume_{'zero' if verdict == 'fail' else 'unusual'} */ day_rows.* from ("
        f" select (ledger.interval_start at time zone '{LOCAL_TZ}')::date as local_day,"
        " sum(ledger.rows_loaded) as row_count, max(ledger.finished_at) as last_finished"
        " from {batch} as ledger"
        " inner join ops.batch_statuses as statuses on statuses.status = ledger.status"
        f" where statuses.is_live and ledger.source = {sql_literal(entity.source)}"
        f" and ledger.entity = {sql_literal(entity.entity)}"
        " group by 1) as day_rows"
        f" inner join {CALENDAR} as calendar on calendar.calendar_date = day_rows.local_day"
        " cross join lateral ("
        " select percentile_cont(0.5) within group (order by earlier.row_count) as median_rows,"
        " count(*) as history_days from ("
        f" select (earlier_ledger.interval_start at time zone '{LOCAL_TZ}')::date as local_day,"
        " sum(earlier_ledger.rows_loaded) as row_count"
        " from ops.batches as earlier_ledger"
        " inner join ops.batch_statuses as earlier_statuses on earlier_statuses.status = earlier_ledger.status"
        f" inner join {CALENDAR} as earlier_calendar"
        f" on earlier_calendar.calendar_date = (earlier_ledger.interval_start at time zone '{LOCAL_TZ}')::date"
        f" where earlier_statuses.is_live and earlier_ledger.source = {sql_literal(entity.source)}"
        f" and earlier_ledger.entity = {sql_literal(entity.entity)}"
        " and earlier_calendar.is_working_day = calendar.is_working_day"
        f" and earlier_ledger.interval_start < (day_rows.local_day::timestamp at time zone '{LOCAL_TZ}')"
        f" group by 1 order by 1 desc limit {VOLUME_HISTORY_DAYS}) as earlier) as history"
        f" where {judged} and history.history_days >= {VOLUME_MIN_DAYS} and history.median_rows > 0"
        f" and {condition}"
    )


def _volume(entity: RawEntity, since: str | None) -> list[gxe.Expectation]:
    name = f"{entity.source}.{entity.entity}"
    return [
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=_volume_query(entity, since, "fail"),
            description=f"day_volume_zero: {name}: no rows on a day whose kind has a non-zero median",
            severity=CRITICAL,
        ),
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=_volume_query(entity, since, "warn"),
            description=(
                f"day_volume_unusual: {name}: a day's rows outside {VOLUME_LOW}-{VOLUME_HIGH} times the median"
                f" of the same kind of day over the last {VOLUME_HISTORY_DAYS} covered days"
            ),
            severity=WARNING,
        ),
    ]


def freshness_limits(folder: Path = DBT_PROJECT / "models") -> dict[str, timedelta]:
    """source → its dbt freshness `warn_after`, from the sources' YAML."""
    periods = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
    found: dict[str, timedelta] = {}
    for path in sorted(folder.rglob("*.yml")):
        for source in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("sources") or ():
            freshness: dict[str, Any] = (
                (source.get("config") or {}).get("freshness") or source.get("freshness") or {}
            )
            warn = freshness.get("warn_after")
            if warn:
                found[source["name"]] = warn["count"] * periods[warn["period"]]
    return found


def _stale(source: str, limit: timedelta) -> gxe.Expectation:
    seconds = int(limit.total_seconds())
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=(
            "select /* source_stale */ max(ledger.finished_at) as newest from {batch} as ledger"
            " inner join ops.batch_statuses as statuses on statuses.status = ledger.status"
            f" where statuses.is_live and ledger.source = {sql_literal(source)}"
            f" having max(ledger.finished_at) < now() - make_interval(secs => {seconds})"
        ),
        description=f"source_stale: {source}: newest live batch older than {limit} (dbt freshness warn_after)",
        severity=WARNING,
    )


def raw_suite(entities: list[RawEntity], since: str | None, with_calendar: bool) -> SuiteSpec:
    """The raw checks over the ledger; `since`: when the live publication was staged (None: none
    yet); without the calendar table the volume is not judged."""
    checks: list[gxe.Expectation] = [_ledger_rows(entity) for entity in entities]
    if with_calendar:
        checks += [check for entity in entities if entity.windowed for check in _volume(entity, since)]
    checks += [_stale(source, limit) for source, limit in sorted(freshness_limits().items())]
    return SuiteSpec(LEDGER, checks, ("batch_id",), schema=LEDGER_SCHEMA)
