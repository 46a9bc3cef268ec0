"""What is published in `bi`: scorecard, rollback, publish --accept-moves, report, metabase."""

from __future__ import annotations

import argparse
import getpass
from datetime import date

import psycopg

from core.settings import Settings, mask_url
from infra.cli.common import UserError, check_date_range, load_settings, say

NOTHING_PUBLISHED = "nothing is published in bi yet: run `make run` (or the dtimon_build DAG) first"


def require_publication(settings: Settings) -> None:
    from publishing.publish import current_publication

    with psycopg.connect(settings.warehouse_url) as conn:
        if current_publication(conn) is None:
            raise UserError(NOTHING_PUBLISHED)


def print_scorecard(settings: Settings, start: date, end: date, lang: str) -> None:
    from publishing.publish import current_publication, restatement_count
    from publishing.scorecard import fetch, fetch_totals, render, summary

    with psycopg.connect(settings.warehouse_url) as conn:
        publication = current_publication(conn)
        rows = fetch(conn, start, end) if publication else []
        totals = fetch_totals(conn, start, end) if publication else []
    say(render(rows, lang, totals))
    if publication:
        say("")
        say(
            summary(
                lang,
                "published",
                publication=str(publication[0]),
                schema=publication[1],
                warehouse=mask_url(settings.warehouse_url),
            )
        )
        with psycopg.connect(settings.warehouse_url) as conn:
            restated = restatement_count(conn, publication[0])
            warnings = conn.execute(
                "select failed_warning from ops.gate_results where publication_id = %s"
                " order by validated_at desc limit 1",
                (publication[0],),
            ).fetchone()
        if restated:
            say(summary(lang, "restated", count=restated))
        if warnings and warnings[0]:
            say(summary(lang, "gate_warnings", count=warnings[0]))


def cmd_scorecard(args: argparse.Namespace) -> None:
    settings = load_settings(demo=False)
    require_publication(settings)
    if args.start and args.end:
        check_date_range(args.start, args.end)
    print_scorecard(settings, args.start or settings.demo_start, args.end or settings.demo_end, args.lang)


def cmd_rollback(args: argparse.Namespace) -> None:
    from publishing.publish import rollback

    settings = load_settings(demo=False)
    require_publication(settings)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        schema = rollback(conn, args.to)
    say(f"bi now reads {schema}")


def cmd_publish(args: argparse.Namespace) -> None:
    """Publish a build the gate refused only because values moved beyond their fail_move or
    published values disappeared; the operator (the OS user) is recorded in
    ops.publications.accepted_moves_by."""
    from publishing.publish import publish

    settings = load_settings(demo=False)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        schema = publish(conn, args.accept_moves, accepted_moves_by=getpass.getuser())
    say(f"bi now reads {schema} (moves and disappearances accepted by {getpass.getuser()})")


def cmd_report(args: argparse.Namespace) -> None:
    from publishing.report.data import NothingPublished
    from publishing.report.render import render_all, render_report

    settings = load_settings(demo=False)
    try:
        if args.period is not None:
            kind, start = args.period
            page = render_report(
                settings.warehouse_url, settings.reports_dir, start, args.lang, kind
            ).resolve()
            say(f"Index report of {page.stem.removeprefix('dtimon-report-')}: {page} ({page.as_uri()})")
            return
        pages = render_all(settings.warehouse_url, settings.reports_dir, args.lang)
    except NothingPublished as exc:
        raise UserError(f"no report: {exc}; run `make run` (or wait for the next build) first") from exc
    latest = pages[-1].resolve()
    say(
        f"Index report: {latest} ({latest.as_uri()}); every month, quarter and year: "
        f"{settings.reports_dir / 'index.html'}"
    )


def cmd_metabase(args: argparse.Namespace) -> None:
    from publishing.metabase.__main__ import main as metabase_main

    code = metabase_main([args.action])
    if code:
        raise SystemExit(code)
