"""`dtimon reset-source SOURCE`: delete everything ingested from one source (to fill it from another origin)."""

from __future__ import annotations

import argparse

import psycopg

from infra.cli.common import load_settings, say


def cmd_reset_source(args: argparse.Namespace) -> None:
    from ingestion.origins import reset_source
    from ingestion.schema import migrate
    from ingestion.sources import SOURCES

    if args.source not in SOURCES:
        raise SystemExit(f"unknown source {args.source!r}; registered: {', '.join(sorted(SOURCES))}")
    settings = load_settings(demo=False)
    migrate(settings.warehouse_url)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        deleted = reset_source(conn, args.source)
    for table, count in deleted.items():
        say(f"deleted {count:,} rows from {table}")
    say(
        f"source {args.source} starts afresh: the next ingest records its origin; bi changes at the next build"
    )
