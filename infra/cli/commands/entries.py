"""`dtimon entries`: keep the department's entered-indicator files (DTIMON_ENTRIES_DIR) in the warehouse."""

from __future__ import annotations

import argparse

import psycopg

from infra.cli.common import UserError, load_settings, say


def cmd_entries(args: argparse.Namespace) -> None:
    from ingestion.entries import load_entries
    from ingestion.schema import migrate

    settings = load_settings(demo=False)
    migrate(settings.warehouse_url)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        result = load_entries(conn, settings.entries_dir)
    refusals = result.refused.splitlines()
    refused_files = sorted({line.split(":", 1)[0] for line in refusals})
    for name in result.loaded:
        say(f"kept {name}")
    say(
        f"{settings.entries_dir}: {len(result.loaded)} new submission(s) kept, {len(result.unchanged)} kept"
        f" before, {len(refused_files)} refused; the latest submission per indicator, unit and period is in"
        " force from the next build"
    )
    if refusals:  # one line, as every dtimon error: each `file:line: reason`, separated by "; "
        raise UserError(
            f"refused {len(refused_files)} file(s) whole, nothing of {'it' if len(refused_files) == 1 else 'them'}"
            " kept (the other files and the earlier submissions stay in force): " + "; ".join(refusals)
        )
