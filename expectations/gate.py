"""The gate: validate a candidate build with Great Expectations (GX Core 1.x) before publishing.

Validation runs as SQL inside PostgreSQL (a GX SQL datasource over the candidate schema;
nothing is pulled into pandas). Every run is stored in `ops.gate_results`, pass or fail. Given
dtimon's home, the run is also kept in the GX project `<home>/gx` and its Data Docs are rebuilt
there (expectations.data_docs); the verdict is the same either way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg import sql

from core.migrations import migrate
from core.warehouse_url import PgUrl
from expectations.raw_checks import CALENDAR, FieldPath, RawEntity, raw_suite, read_fields
from expectations.suites import (
    ACCEPTABLE_FAILURES,
    CRITICAL,
    DQ_RELATION,
    DQ_SHARES,
    Indicator,
    LiveBaseline,
    QualityShare,
    SuiteSpec,
    suites_for,
)
from ingestion.sources import SOURCES

log = logging.getLogger(__name__)

#: The GX config variable the stored datasource names instead of the warehouse URL.
WAREHOUSE_VARIABLE = "DTIMON_WAREHOUSE_URL"
DATASOURCE = "candidate"


class GateFailed(RuntimeError):
    """The candidate failed at least one critical expectation."""


@dataclass(frozen=True)
class GateResult:
    gate_result_id: int
    success: bool
    evaluated: int
    failed_critical: list[str]
    failed_warning: list[str]

    @property
    def refused_for_moves_only(self) -> bool:
        """Refused, and only because values moved beyond fail_move or published values disappeared
        (--accept-moves may publish it)."""
        return bool(self.failed_critical) and all(
            any(name in text for name in ACCEPTABLE_FAILURES) for text in self.failed_critical
        )

    def summary(self) -> str:
        verdict = "passed" if self.success else "FAILED"
        text = f"gate {verdict}: {self.evaluated} expectations, {len(self.failed_critical)} critical failures"
        if self.failed_warning:
            text += f", {len(self.failed_warning)} warnings"
        if self.failed_critical:
            text += ": " + "; ".join(self.failed_critical)
        return text


def _computed_indicators(conn: psycopg.Connection, schema: str) -> list[Indicator]:
    """The indicators the candidate's catalogue computes (rows with a measure) or the department
    enters (reason `entered`); none without a catalogue."""
    if conn.execute("select to_regclass(%s)", (f"{schema}.indicator_catalogue",)).fetchone()[0] is None:
        return []
    # a catalogue from before the reasons has no entered indicator
    has_reason = conn.execute(
        "select 1 from information_schema.columns where table_schema = %s"
        " and table_name = 'indicator_catalogue' and column_name = 'not_computed_because'",
        (schema,),
    ).fetchone()
    entered = sql.SQL("not_computed_because = 'entered'" if has_reason else "false")
    query = sql.SQL(
        "select indicator_id, unit, direction, max_points, aggregate, measure is null from {}"
        " where measure is not null or {} order by indicator_id"
    ).format(sql.Identifier(schema, "indicator_catalogue"), entered)
    return [Indicator(*row) for row in conn.execute(query).fetchall()]


def _quality_shares(conn: psycopg.Connection, schema: str) -> list[QualityShare]:
    """The non-zero shares of the candidate's data-quality mart (none without one)."""
    if conn.execute("select to_regclass(%s)", (f"{schema}.{DQ_RELATION}",)).fetchone()[0] is None:
        return []
    shares: list[QualityShare] = []
    for measure in DQ_SHARES:
        query = sql.SQL(
            "select source_name, entity_name, period_month, {measure} from {table}"
            " where {measure} > 0 order by source_name, entity_name, period_month"
        ).format(measure=sql.Identifier(measure), table=sql.Identifier(schema, DQ_RELATION))
        shares.extend(QualityShare(row[0], row[1], row[2], measure, row[3]) for row in conn.execute(query))
    return shares


def _live_baseline(conn: psycopg.Connection, publication_id: int, schema: str) -> LiveBaseline | None:
    """The live publication to compare with, and the indicators whose method hash (recorded when
    the candidate was staged, publishing.method) it shares; None before the first publication or
    when its copy is gone."""
    row = conn.execute(
        "select publication_id, schema_name from ops.publications where status = 'published'"
    ).fetchone()
    if row is None or row[0] == publication_id:
        return None
    live_id, live_schema = row
    if conn.execute("select to_regclass(%s)", (f"{live_schema}.indicator_catalogue",)).fetchone()[0] is None:
        return None
    judged = conn.execute(
        """
        select candidate_hash.indicator_id
        from ops.method_hashes as candidate_hash
        inner join ops.method_hashes as live_hash
            on live_hash.indicator_id = candidate_hash.indicator_id and live_hash.method_hash = candidate_hash.method_hash
        where candidate_hash.publication_id = %s and live_hash.publication_id = %s
        order by 1
        """,
        (publication_id, live_id),
    ).fetchall()
    return LiveBaseline(live_schema, schema, tuple(indicator for (indicator,) in judged))


def declared_fields(source: str, entity: str) -> tuple[FieldPath, ...]:
    """The plain fields the registry's declarations give an entity's records (none for an entity
    no longer registered or declaring no allow-list)."""
    registered = SOURCES.get(source)
    if registered is None:
        return ()
    try:
        policy = registered.entity(entity).personal
    except KeyError:
        return ()
    return read_fields(policy) if policy is not None and policy.known is not None else ()


def _raw_suite(conn: psycopg.Connection, publication_id: int) -> SuiteSpec:
    """The checks of what was ingested (expectations.raw_checks), over the registry's entities."""
    entities = [
        RawEntity(*row, fields=declared_fields(row[0], row[1]))
        for row in conn.execute(
            "select source, entity, windowed, raw_table from ops.source_entities order by source, entity"
        ).fetchall()
        if conn.execute("select to_regclass(%s)", (row[3],)).fetchone()[0] is not None
    ]
    live = conn.execute(
        "select created_at from ops.publications where status = 'published' and publication_id <> %s",
        (publication_id,),
    ).fetchone()
    calendar = conn.execute("select to_regclass(%s)", (CALENDAR,)).fetchone()[0] is not None
    return raw_suite(entities, live[0].isoformat() if live else None, calendar)


def _describe(expectation_result: Any) -> str:
    config = expectation_result.expectation_config
    if config.description:  # a query check says what it checks in its description
        kwargs = {"description": config.description}
    else:
        kwargs = {k: v for k, v in config.kwargs.items() if k not in {"batch_id", "value_set"}}
    outcome = expectation_result.result or {}
    observed = outcome.get("unexpected_count") or outcome.get("observed_value")  # a query check's row count
    suffix = f" ({observed} unexpected)" if observed else ""
    info = expectation_result.exception_info or {}
    # flat, or one entry per metric GX computed
    raised = [i for i in (info, *info.values()) if isinstance(i, dict) and i.get("raised_exception")]
    if raised:  # a check that could not run fails; say so, apart from a check that found rows
        message = str(raised[0].get("exception_message") or "").strip()
        suffix += f" (could not run: {message.splitlines()[0] if message else 'error'})"
    return f"{config.type}({', '.join(f'{k}={v}' for k, v in kwargs.items())}){suffix}"


def result_format(key: Sequence[str]) -> dict[str, Any]:
    """What a result keeps of failing rows: their key columns only, never a tested value or a
    sample row (a value could be personal; results go to ops.gate_results and the Data Docs)."""
    return {
        "result_format": "SUMMARY",
        "unexpected_index_column_names": list(key),
        "exclude_unexpected_values": True,
        "include_unexpected_rows": False,
    }


def _replace(factory: Any, name: str) -> None:
    """Delete `name` from a GX store if a previous run left it (each run adds it afresh)."""
    if any(item.name == name for item in factory.all()):
        factory.delete(name)


def validate(
    warehouse_url: str,
    publication_id: int,
    schema: str,
    relations: list[str],
    run_id: str | None = None,
    *,
    home: Path | None = None,
) -> GateResult:
    """Run the suites over `schema`, store the result, and return it (does not raise on failure).
    With `home` (Settings.home) the run is kept in `<home>/gx` and its Data Docs rebuilt."""
    import great_expectations as gx
    from great_expectations.checkpoint.checkpoint import CheckpointResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from expectations import data_docs

    migrate(warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        specs = suites_for(
            relations,
            lambda: _computed_indicators(conn, schema),
            lambda: _quality_shares(conn, schema),
            baseline=_live_baseline(conn, publication_id, schema),
            schema=schema,
        )
        specs.append(_raw_suite(conn, publication_id))

    # the stored datasource names the variable; its value is given to this process only
    url, engine_kwargs = PgUrl.parse(warehouse_url).sqlalchemy_with_host()  # GX wants a host name
    variables = {WAREHOUSE_VARIABLE: url}
    if home is None:
        context = gx.get_context(mode="ephemeral", runtime_environment=variables)
    else:
        context = data_docs.file_context(home, variables)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm bars in task logs
    if DATASOURCE in context.data_sources.all():
        context.data_sources.delete(DATASOURCE)
    datasource = context.data_sources.add_postgres(
        DATASOURCE, connection_string=f"${{{WAREHOUSE_VARIABLE}}}", kwargs=engine_kwargs
    )
    # one run id for every relation; each validation definition runs with its relation's key
    gx_run = RunIdentifier(run_name=f"{schema}__{run_id or 'manual'}", run_time=datetime.now(UTC))
    results = {}
    resources: list[Any] = []
    definitions = []
    for spec in specs:
        name = f"gate__{spec.relation}"
        asset = datasource.add_table_asset(
            name=spec.relation, table_name=spec.relation, schema_name=spec.schema or schema
        )
        batch = asset.add_batch_definition_whole_table(name=f"{spec.relation}__whole")
        _replace(context.validation_definitions, name)
        _replace(context.suites, name)
        suite = context.suites.add(gx.ExpectationSuite(name=name))
        for expectation in spec.expectations:
            suite.add_expectation(expectation)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
        definitions.append(definition)
        validation = definition.run(result_format=result_format(spec.key), run_id=gx_run)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
            run_id=gx_run,
            batch_identifier=validation.batch_id,
        )
        results[key] = validation
        resources += [key, ExpectationSuiteIdentifier(name=name)]
    outcome = CheckpointResult(
        run_id=gx_run,
        run_results=results,
        checkpoint_config=gx.Checkpoint(name="dtimon_gate", validation_definitions=definitions),
        success=all(validation.success for validation in results.values()),
    )
    evaluated = 0
    failed_critical: list[str] = []
    failed_warning: list[str] = []
    for validation in outcome.run_results.values():
        relation = validation.suite_name.removeprefix("gate__")
        for result in validation.results:
            evaluated += 1
            if result.success:
                continue
            text = f"{relation}: {_describe(result)}"
            if result.expectation_config.severity == CRITICAL:
                failed_critical.append(text)
            else:
                failed_warning.append(text)
    success = not failed_critical
    document = orjson.dumps(outcome.describe_dict(), default=str).decode()

    with psycopg.connect(warehouse_url) as conn:
        gate_result_id = conn.execute(
            """
            insert into ops.gate_results
                (publication_id, schema_name, run_id, success, evaluated, failed_critical, failed_warning,
                 results, refused_for_moves_only)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
            returning gate_result_id
            """,
            (
                publication_id,
                schema,
                run_id,
                success,
                evaluated,
                len(failed_critical),
                len(failed_warning),
                document,
                GateResult(0, success, evaluated, failed_critical, failed_warning).refused_for_moves_only,
            ),
        ).fetchone()[0]
    result = GateResult(gate_result_id, success, evaluated, failed_critical, failed_warning)
    if home is not None:  # after the verdict is stored; a page the build cannot make offline raises
        site = data_docs.build(context, home, resources)
        log.info("gate Data Docs: %s", site / "index.html")
    log.info(result.summary())
    for warning in failed_warning:
        log.warning("gate warning: %s", warning)
    return result
