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
- `field_vanished` (fail) and `field_emptier` (warn): for each plain field of a windowed
  entity's declared records (nested list items too: `read_fields`), the share of its values that
  are NULL, absent or blank on a local day, against the median share over the entity's last
  VOLUME_HISTORY_DAYS covered days of the same kind (working or not) before it; a field empty in every one of at least
  EMPTY_MIN_VALUES values where that median is below EMPTY_VANISHED_BELOW fails (renamed or no
  longer filled at the source), a share more than EMPTY_RISE above the median warns; with fewer
  than VOLUME_MIN_DAYS such days it is not judged. Judged are the days loaded since the live
  publication was staged, like the volume;
- `source_stale` (warn): a source whose latest freshness check (ops.source_freshness, recorded
  by the build from `dbt source freshness` against its `warn_after`) did not pass: its newest
  load is too old or it has none. Its indicators are provisional; the others publish as usual.
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
from ingestion.privacy import PersonalFields

VOLUME_HISTORY_DAYS = 28
VOLUME_MIN_DAYS = 7
VOLUME_LOW = Decimal("0.5")
VOLUME_HIGH = Decimal("2")
#: A field's empty share: fails at 100 % of at least EMPTY_MIN_VALUES values where its median is
#: below EMPTY_VANISHED_BELOW; warns more than EMPTY_RISE (a share, 0.25 = 25 points) above it.
EMPTY_MIN_VALUES = 10
EMPTY_VANISHED_BELOW = Decimal("0.5")
EMPTY_RISE = Decimal("0.25")
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


def empty_verdict(empty: int, values: int, history: list[Decimal]) -> str | None:
    """`fail`, `warn` or None for a day where `empty` of a field's `values` are NULL, absent or
    blank, given the field's empty shares on earlier covered days, newest first."""
    recent = history[:VOLUME_HISTORY_DAYS]
    if len(recent) < VOLUME_MIN_DAYS or values < EMPTY_MIN_VALUES:
        return None
    typical = Decimal(str(median(recent)))
    if empty == values and typical < EMPTY_VANISHED_BELOW:
        return "fail"
    return "warn" if Decimal(empty) / values - typical > EMPTY_RISE else None


#: A field of a record: its name, or the path of a field of a nested list's items
#: (("DanhSachLePhi", "Gia") is DanhSachLePhi[].Gia).
FieldPath = tuple[str, ...]


def read_fields(policy: PersonalFields) -> tuple[FieldPath, ...]:
    """The plain fields of a record's declarations (the allow-list of `policy`: not personal, not
    free text), nested list items' fields as paths; a list itself is not one (empty is normal)."""
    hidden = {*policy.fields, *policy.free_text}
    found: list[FieldPath] = [
        (name,) for name in sorted(policy.known or ()) if name not in hidden and name not in policy.nested
    ]
    for name, items in sorted(policy.nested.items()):
        if isinstance(items, PersonalFields):
            found += [(name, *path) for path in read_fields(items)]
    return tuple(found)


@dataclass(frozen=True)
class RawEntity:
    source: str
    entity: str
    windowed: bool
    raw_table: str  # schema.table
    #: the fields whose empty share is judged (`read_fields` of its declarations)
    fields: tuple[FieldPath, ...] = ()


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


def _day_history_query(
    entity: RawEntity,
    since: str | None,
    name: str,
    day_values: str,
    value: str,
    condition: str,
    *,
    per_field: bool = False,
) -> str:
    """Local days of `entity` (and fields, `per_field`: `day_values` has a field_name) whose `value`
    meets `condition` against `history.median_value`: its median over the last
    VOLUME_HISTORY_DAYS covered days of the same kind (working or not) before it. `day_values`
    groups the rows of `read_batches` (batch_id, local_day, rows_loaded) by local day; only the
    batches of the judged days and of each kind's history before them are read."""
    judged = "true" if since is None else f"max(ledger.finished_at) > {sql_literal(since)}::timestamptz"
    same_field = " and earlier_day.field_name = day_stats.field_name" if per_field else ""
    return (
        "with live_batches as (select ledger.batch_id, ledger.finished_at, ledger.rows_loaded,"
        f" (ledger.interval_start at time zone '{LOCAL_TZ}')::date as local_day"
        " from {batch} as ledger"
        " inner join ops.batch_statuses as statuses on statuses.status = ledger.status"
        f" where statuses.is_live and ledger.source = {sql_literal(entity.source)}"
        f" and ledger.entity = {sql_literal(entity.entity)}),"
        " judged_days as (select ledger.local_day from live_batches as ledger"
        f" group by ledger.local_day having {judged}),"
        " history_days as (select ranked.local_day from (select covered.local_day, row_number() over"
        " (partition by calendar.is_working_day order by covered.local_day desc) as recency"
        " from (select distinct live_batches.local_day from live_batches) as covered"
        f" inner join {CALENDAR} as calendar on calendar.calendar_date = covered.local_day"
        " where covered.local_day < (select min(judged_days.local_day) from judged_days)) as ranked"
        f" where ranked.recency <= {VOLUME_HISTORY_DAYS}),"
        " read_batches as (select live_batches.batch_id, live_batches.local_day, live_batches.rows_loaded"
        " from live_batches where live_batches.local_day >= (select min(judged_days.local_day) from judged_days)"
        " or live_batches.local_day in (select history_days.local_day from history_days)),"
        f" day_values as ({day_values}),"
        " day_stats as (select day_values.*, calendar.is_working_day from day_values"
        f" inner join {CALENDAR} as calendar on calendar.calendar_date = day_values.local_day)"
        f" select /* {name} */ day_stats.*, history.median_value, history.history_days"
        " from day_stats inner join judged_days on judged_days.local_day = day_stats.local_day"
        f" cross join lateral (select percentile_cont(0.5) within group (order by earlier.{value})"
        f" as median_value, count(*) as history_days from (select earlier_day.{value}"
        " from day_stats as earlier_day where earlier_day.is_working_day = day_stats.is_working_day"
        f"{same_field} and earlier_day.local_day < day_stats.local_day"
        f" order by earlier_day.local_day desc limit {VOLUME_HISTORY_DAYS}) as earlier) as history"
        f" where history.history_days >= {VOLUME_MIN_DAYS} and {condition}"
    )


def _volume_query(entity: RawEntity, since: str | None, verdict: str) -> str:
    """Days of `entity` whose rows get `verdict` (the SQL of `volume_verdict`)."""
    condition = (
        "day_stats.row_count = 0"
        if verdict == "fail"
        else f"day_stats.row_count > 0 and (day_stats.row_count < {VOLUME_LOW} * history.median_value"
        f" or day_stats.row_count > {VOLUME_HIGH} * history.median_value)"
    )
    day_rows = (
        "select read_batches.local_day, sum(read_batches.rows_loaded) as row_count"
        " from read_batches group by 1"
    )
    name = f"day_volume_{'zero' if verdict == 'fail' else 'unusual'}"
    return _day_history_query(
        entity, since, name, day_rows, "row_count", f"history.median_value > 0 and {condition}"
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


def _field_values(paths: list[FieldPath]) -> str:
    """A subquery over the raw row `raw_row` giving one (field_name, field_value) row per value of
    each path: a top-level field once per record, a nested one once per list item."""
    by_list: dict[FieldPath, list[FieldPath]] = {}
    for path in paths:
        by_list.setdefault(path[:-1], []).append(path)
    selects = []
    for lists, fields in sorted(by_list.items()):
        source, joins = "raw_row.record", []
        for depth, name in enumerate(lists, 1):
            element = f"{source} -> {sql_literal(name)}"
            joins.append(
                f"jsonb_array_elements(case when jsonb_typeof({element}) = 'array'"
                f" then {element} else '[]'::jsonb end) as item_{depth} (item)"
            )
            source = f"item_{depth}.item"
        values = ", ".join(
            f"({sql_literal('[].'.join(path))}, {source} ->> {sql_literal(path[-1])})" for path in fields
        )
        joins.append(f"(values {values}) as field_values (field_name, field_value)")
        selects.append("select field_name, field_value from " + " cross join lateral ".join(joins))
    return "(" + " union all ".join(selects) + ")"


def _empty_query(entity: RawEntity, since: str | None, verdict: str) -> str:
    """Days and fields of `entity` whose empty share gets `verdict` (the SQL of `empty_verdict`)."""
    vanished = (
        f"day_stats.empty_count = day_stats.value_count and history.median_value < {EMPTY_VANISHED_BELOW}"
    )
    condition = (
        vanished
        if verdict == "fail"
        else f"not ({vanished}) and day_stats.empty_share - history.median_value > {EMPTY_RISE}"
    )
    day_shares = (
        "select day_fields.*, day_fields.empty_count::numeric / day_fields.value_count as empty_share from ("
        " select read_batches.local_day, field.field_name, count(*) as value_count,"
        " count(*) filter (where nullif(btrim(field.field_value), '') is null) as empty_count"
        f" from {_table(entity.raw_table)} as raw_row"
        " inner join read_batches on raw_row.batch_id = read_batches.batch_id"
        f" cross join lateral {_field_values(list(entity.fields))} as field group by 1, 2) as day_fields"
    )
    name = "field_vanished" if verdict == "fail" else "field_emptier"
    return _day_history_query(
        entity,
        since,
        name,
        day_shares,
        "empty_share",
        f"day_stats.value_count >= {EMPTY_MIN_VALUES} and {condition}",
        per_field=True,
    )


def _empty_shares(entity: RawEntity, since: str | None) -> list[gxe.Expectation]:
    name = f"{entity.source}.{entity.entity}"
    return [
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=_empty_query(entity, since, "fail"),
            description=(
                f"field_vanished: {name}: a field its records declare is NULL, absent or blank in every"
                f" value of a day where its median share is below {EMPTY_VANISHED_BELOW}"
            ),
            severity=CRITICAL,
        ),
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=_empty_query(entity, since, "warn"),
            description=(
                f"field_emptier: {name}: a field's share of NULL, absent or blank values more than"
                f" {EMPTY_RISE} above its median over the last {VOLUME_HISTORY_DAYS} covered days"
            ),
            severity=WARNING,
        ),
    ]


def freshness_limits(folder: Path | None = None) -> dict[str, timedelta]:
    """source → its dbt freshness `warn_after`, from the sources' YAML (the dbt project's models
    when no folder is given, looked up at call time)."""
    periods = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
    found: dict[str, timedelta] = {}
    for path in sorted((folder or DBT_PROJECT / "models").rglob("*.yml")):
        for source in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("sources") or ():
            freshness: dict[str, Any] = (
                (source.get("config") or {}).get("freshness") or source.get("freshness") or {}
            )
            warn = freshness.get("warn_after")
            if warn:
                found[source["name"]] = warn["count"] * periods[warn["period"]]
    return found


def _stale(source: str, limit: timedelta) -> gxe.Expectation:
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=(
            "select /* source_stale */ latest.status, latest.newest_loaded_at from ("
            " select distinct on (source) status, newest_loaded_at from ops.source_freshness"
            f" where source = {sql_literal(source)} order by source, checked_at desc, source_freshness_id desc"
            ") as latest where latest.status <> 'pass'"
        ),
        description=(
            f"source_stale: {source}: its latest dbt source freshness check did not pass (newest load older"
            f" than {limit}, or none): the indicators that read it are provisional"
        ),
        severity=WARNING,
    )


def raw_suite(entities: list[RawEntity], since: str | None, with_calendar: bool) -> SuiteSpec:
    """The raw checks over the ledger; `since`: when the live publication was staged (None: none
    yet); without the calendar table neither the volume nor the empty shares are judged."""
    checks: list[gxe.Expectation] = [_ledger_rows(entity) for entity in entities]
    if with_calendar:
        checks += [check for entity in entities if entity.windowed for check in _volume(entity, since)]
        checks += [
            check
            for entity in entities
            if entity.windowed and entity.fields
            for check in _empty_shares(entity, since)
        ]
    checks += [_stale(source, limit) for source, limit in sorted(freshness_limits().items())]
    return SuiteSpec(LEDGER, checks, ("batch_id",), schema=LEDGER_SCHEMA)
