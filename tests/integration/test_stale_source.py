"""One source's trouble stays with its indicators (issue 19 item 6), through the real build step
(`dbt source freshness` recorded per source, then `dbt build`) and the gate.

The one-stop (hand-made September 2025, every day covered), the throwaway X-Road-style source,
registered and declared to dbt for the module, and every other registered source, whose rows are
built from their declarations. A stale source is a warning naming it; only the indicators whose catalogue
`sources` name it turn provisional, everything else stays complete and the candidate passes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import dbt_fixtures as fx
import psycopg
import pytest
from test_dbt_indicators import P1, A, load_reference
from throwaway_source import SOURCE as XROAD
from throwaway_source import with_throwaway_source

import expectations.raw_checks
import infra.dbt
from expectations.dbt_keys import DBT_PROJECT
from expectations.gate import GateResult, validate
from infra import tasks
from ingestion.schema import migrate
from ingestion.sources import SOURCES
from publishing import publish as pub

#: the throwaway source declared to dbt, as its staging YAML would (in a copy of the project)
XROAD_YML = f"""\
sources:
  - name: {XROAD.name}
    schema: raw
    description: Throwaway X-Road-style call log (tests only).
    config:
      loaded_at_field: loaded_at
      freshness:
        warn_after: {{count: 2, period: day}}
    tables:
      - name: calls
        identifier: {XROAD.entity("calls").table.name}
        description: Logged calls.
"""
SEPTEMBER = "2025-09-01"


def _age(conn: psycopg.Connection, source: str, days: int) -> None:
    """Make every raw row of `source` look loaded `days` days ago (a source that stopped delivering)."""
    tables = [
        row[0]
        for row in conn.execute("select raw_table from ops.source_entities where source = %s", (source,))
    ]
    for table in tables:
        conn.execute(f"update {table} set loaded_at = now() - make_interval(days => %s)", (days,))


def _build(conn: psycopg.Connection, url: str, run_id: str) -> GateResult:
    tasks.dbt_build(run_id=run_id, url=url)
    candidate = pub.stage_candidate(conn, run_id=run_id)
    result = validate(url, candidate.publication_id, candidate.schema, list(candidate.relations), run_id)
    pub.reject(conn, candidate.publication_id, "judged only")
    return result


def _statuses(conn: psycopg.Connection) -> dict[str, set[str]]:
    """indicator → the statuses of its September rows."""
    rows = conn.execute(
        "select indicator_id, status from marts.ind_values where period_kind = 'month' and period_start = %s",
        (SEPTEMBER,),
    ).fetchall()
    found: dict[str, set[str]] = {}
    for indicator, status in rows:
        found.setdefault(indicator, set()).add(status)
    return found


def _readers(conn: psycopg.Connection, source: str) -> set[str]:
    """The computed indicators whose catalogue `sources` name `source`."""
    rows = conn.execute(
        "select indicator_id from reference.indicator_catalogue"
        " where measure is not null and %s = any(regexp_split_to_array(btrim(sources), '\\s+'))",
        (source,),
    ).fetchall()
    return {row[0] for row in rows}


@pytest.fixture(scope="module")
def two_sources(
    module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[psycopg.Connection]:
    # dbt runs on a copy of the project holding the throwaway source's YAML: the project itself is
    # read by the other worker's dbt runs at the same time
    project = tmp_path_factory.mktemp("stale") / "dbt_project"
    shutil.copytree(DBT_PROJECT, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (project / "models" / "staging" / f"_{XROAD.name}_test_source.yml").write_text(
        XROAD_YML, encoding="utf-8"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(infra.dbt, "DBT_PROJECT_DIR", project)  # dbt's runs
        patch.setattr(expectations.raw_checks, "DBT_PROJECT", project)  # the gate's freshness limits
        with with_throwaway_source(), psycopg.connect(module_warehouse_url, autocommit=True) as conn:
            migrate(conn)
            with conn.transaction():
                load_reference(conn)
                dossiers = fx.batch(conn, "dossiers", SEPTEMBER, "2025-10-01")
                code = f"{A}-250903-00001"
                fx.insert_dossier(
                    conn,
                    dossiers,
                    fx.dossier(
                        code, 1, updated="2025-09-03 08:00", status="2", channel="1", procedure=P1,
                        received="2025-09-03 08:00",
                    ),
                )  # fmt: skip
                progress = fx.batch(conn, "progress", SEPTEMBER, "2025-10-01")
                fx.batch_others(conn, SEPTEMBER, "2025-10-01")
                fx.insert_progress(conn, progress, code, "2025-09-03 08:00", "2", "Tiếp nhận hồ sơ")
                fx.count_ledger_rows(conn)
            fx.load_sources_without_data(conn)  # the throwaway source: declared data for September
            yield conn


def test_a_stale_source_leaves_the_other_sources_indicators_published(
    two_sources: psycopg.Connection, module_warehouse_url: str
) -> None:
    conn = two_sources
    assert conn.execute("select count(*) from raw.xroad__calls").fetchone()[0] == 30  # a call a day
    _age(conn, XROAD.name, 3)
    result = _build(conn, module_warehouse_url, "xroad-stale")
    latest = dict(
        conn.execute("select source_name, status from staging.stg_ops__source_freshness").fetchall()
    )
    assert latest == dict.fromkeys(SOURCES, "pass") | {XROAD.name: "warn"}  # every other source fresh
    onestop = _readers(conn, "onestop")
    assert onestop and not _readers(conn, XROAD.name) & onestop
    statuses = _statuses(conn)
    assert {indicator: statuses.get(indicator) for indicator in onestop} == dict.fromkeys(
        onestop, {"complete"}
    )
    warnings = " | ".join(result.failed_warning)
    assert f"source_stale: {XROAD.name}" in warnings and "source_stale: onestop" not in warnings
    assert result.success, result.summary()  # the stale source's warning refuses nothing


def test_a_stale_source_makes_the_indicators_that_read_it_provisional(
    two_sources: psycopg.Connection, module_warehouse_url: str
) -> None:
    conn = two_sources
    _age(conn, XROAD.name, 0)
    _age(conn, "onestop", 3)
    result = _build(conn, module_warehouse_url, "onestop-stale")
    onestop = _readers(conn, "onestop")
    statuses = _statuses(conn)
    assert {indicator: statuses.get(indicator) for indicator in onestop} == dict.fromkeys(
        onestop, {"provisional"}
    )
    warnings = " | ".join(result.failed_warning)
    assert "source_stale: onestop" in warnings and f"source_stale: {XROAD.name}" not in warnings
    assert result.success, result.summary()  # provisional figures are published as such
    recorded = conn.execute(
        "select run_id, source, status from ops.source_freshness where run_id = 'onestop-stale' order by source"
    ).fetchall()
    assert recorded == [
        ("onestop-stale", name, "warn" if name == "onestop" else "pass") for name in sorted(SOURCES)
    ]
