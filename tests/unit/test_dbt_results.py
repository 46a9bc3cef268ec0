"""The failed nodes of a dbt run, read from its results file (target/run_results.json, or
sources.json for `dbt source freshness`), named on one line."""

from __future__ import annotations

import json
import os
from pathlib import Path

from infra.dbt import NODES_SHOWN, NodeFailure, describe_failures, node_failures, read_failures, results_file

RUN_RESULTS = {
    "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"},
    "results": [
        {"unique_id": "model.dtimon.stg_onestop__dossiers", "status": "success", "message": "SELECT 3"},
        {
            "unique_id": "test.dtimon.accepted_values_stg_x__status.4f2a1b",
            "status": "fail",
            "message": "Got 3 results, configured to fail if != 0",
            "failures": 3,
        },
        {"unique_id": "test.dtimon.not_null_stg_x__id.9c1d", "status": "warn", "message": "Got 1 result"},
        {
            "unique_id": "model.dtimon.int_dossier_facts",
            "status": "error",
            "message": "Database Error in model int_dossier_facts (models/int.sql)\n"
            '  column "received_at" does not exist\n  LINE 4: ...\n  compiled code at target/run/x.sql',
        },
        {"unique_id": "model.dtimon.ind_values", "status": "skipped", "message": None},
    ],
}


def test_the_failed_and_errored_nodes_are_named_with_their_first_lines() -> None:
    assert node_failures(RUN_RESULTS) == [
        NodeFailure(
            "test", "accepted_values_stg_x__status", "fail", "Got 3 results, configured to fail if != 0"
        ),
        NodeFailure(
            "model",
            "int_dossier_facts",
            "error",
            'Database Error in model int_dossier_facts (models/int.sql) / column "received_at" does not exist'
            " / LINE 4: ...",
        ),
    ]


def test_a_source_freshness_failure_names_the_source_table() -> None:
    sources = {
        "results": [
            {"unique_id": "source.dtimon.onestop.dossiers", "status": "error", "max_loaded_at": "2025-09-01"},
            {
                "unique_id": "source.dtimon.onestop.progress",
                "status": "runtime error",
                "error": "no such table",
            },
            {"unique_id": "source.dtimon.onestop.agencies", "status": "pass"},
        ]
    }
    assert [failure.describe() for failure in node_failures(sources)] == [
        "dbt source onestop.dossiers (stale: last loaded 2025-09-01)",
        "dbt source onestop.progress (no such table)",
    ]


def test_one_line_names_the_first_nodes_and_counts_the_rest() -> None:
    failures = [NodeFailure("test", f"t{n}", "fail", "Got 1 result") for n in range(NODES_SHOWN + 2)]
    line = describe_failures(failures)
    assert "\n" not in line and line.endswith("; and 2 more")
    assert line.startswith("dbt test t0 (Got 1 result); dbt test t1 (Got 1 result); ")
    assert line.count("dbt test ") == NODES_SHOWN
    long = node_failures({"results": [{"unique_id": "model.p.m", "status": "error", "message": "x" * 1000}]})
    assert len(long[0].message) == 300 and long[0].message.endswith("…")


def test_a_results_file_older_than_the_run_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "run_results.json"
    path.write_text(json.dumps(RUN_RESULTS))
    written = path.stat().st_mtime
    assert [failure.name for failure in read_failures(path, since=written)] == [
        "accepted_values_stg_x__status",
        "int_dossier_facts",
    ]
    os.utime(path, (written - 60, written - 60))  # an earlier run's file
    assert read_failures(path, since=written) == ()
    assert read_failures(tmp_path / "missing.json", since=0) == ()
    path.write_text("{not json")
    assert read_failures(path, since=0) == ()


def test_each_command_reads_the_file_dbt_writes_for_it() -> None:
    assert results_file(["build"]).name == "run_results.json"
    assert results_file(["source", "freshness"]).name == "sources.json"
