"""The gate: validate a candidate build with Great Expectations (GX Core 1.x) before publishing.

Validation runs as SQL inside PostgreSQL (a GX SQL datasource over the candidate schema;
nothing is pulled into pandas). Every run is stored in `ops.gate_results`, pass or fail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from psycopg import sql

from core.migrations import migrate
from core.warehouse_url import PgUrl
from expectations.suites import CRITICAL, DQ_RELATION, DQ_SHARES, Indicator, QualityShare, suites_for

log = logging.getLogger(__name__)


class GateFailed(RuntimeError):
    """The candidate failed at least one critical expectation."""


@dataclass(frozen=True)
class GateResult:
    gate_result_id: int
    success: bool
    evaluated: int
    failed_critical: list[str]
    failed_warning: list[str]

    def summary(self) -> str:
        verdict = "passed" if self.success else "FAILED"
        text = f"gate {verdict}: {self.evaluated} expectations, {len(self.failed_critical)} critical failures"
        if self.failed_warning:
            text += f", {len(self.failed_warning)} warnings"
        if self.failed_critical:
            text += ": " + "; ".join(self.failed_critical)
        return text


def _computed_indicators(conn: psycopg.Connection, schema: str) -> list[Indicator]:
    """The indicators the candidate's catalogue computes (rows with a measure); none without one."""
    if conn.execute("select to_regclass(%s)", (f"{schema}.indicator_catalogue",)).fetchone()[0] is None:
        return []
    query = sql.SQL(
        "select indicator_id, unit, direction from {} where measure is not null order by indicator_id"
    ).format(sql.Identifier(schema, "indicator_catalogue"))
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


def _describe(expectation_result: Any) -> str:
    config = expectation_result.expectation_config
    if config.description:  # a query check says what it checks in its description
        kwargs = {"description": config.description}
    else:
        kwargs = {k: v for k, v in config.kwargs.items() if k not in {"batch_id", "value_set"}}
    observed = (expectation_result.result or {}).get("unexpected_count")
    suffix = f" ({observed} unexpected)" if observed else ""
    return f"{config.type}({', '.join(f'{k}={v}' for k, v in kwargs.items())}){suffix}"


def validate(
    warehouse_url: str,
    publication_id: int,
    schema: str,
    relations: list[str],
    run_id: str | None = None,
) -> GateResult:
    """Run the suites over `schema`, store the result, and return it (does not raise on failure)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    migrate(warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        specs = suites_for(
            relations,
            lambda: _computed_indicators(conn, schema),
            lambda: _quality_shares(conn, schema),
        )

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm bars in task logs
    url, engine_kwargs = PgUrl.parse(warehouse_url).sqlalchemy_with_host()  # GX wants a host name
    datasource = context.data_sources.add_postgres("candidate", connection_string=url, kwargs=engine_kwargs)
    definitions = []
    for spec in specs:
        asset = datasource.add_table_asset(name=spec.relation, table_name=spec.relation, schema_name=schema)
        batch = asset.add_batch_definition_whole_table(name=f"{spec.relation}__whole")
        suite = context.suites.add(gx.ExpectationSuite(name=f"gate__{spec.relation}"))
        for expectation in spec.expectations:
            suite.add_expectation(expectation)
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(name=f"gate__{spec.relation}", data=batch, suite=suite)
            )
        )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="dtimon_gate",
            validation_definitions=definitions,
            result_format={"result_format": "SUMMARY"},
        )
    )
    outcome = checkpoint.run()

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
                (publication_id, schema_name, run_id, success, evaluated, failed_critical, failed_warning, results)
            values (%s, %s, %s, %s, %s, %s, %s, %s)
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
            ),
        ).fetchone()[0]
    result = GateResult(gate_result_id, success, evaluated, failed_critical, failed_warning)
    log.info(result.summary())
    for warning in failed_warning:
        log.warning("gate warning: %s", warning)
    return result
