"""`dtimon run`: set up, pull the period through Airflow, build, gate, publish, print what came of it."""

from __future__ import annotations

import argparse
import time
from datetime import date
from decimal import Decimal

import psycopg

from core.settings import Settings, mask_url
from infra import postgres, processes
from infra.cli.commands.publish import print_scorecard
from infra.cli.common import alert_log_path, check_date_range, load_settings, say
from infra.cli.dagruns import dagrun_log, run_dags
from infra.cli.ports import check_ports, ports_to_start
from infra.cli.sources import (
    check_data_dir,
    check_origin,
    describe_sources,
    preflight,
    simulating,
    start_sandboxes,
)


def cmd_run(args: argparse.Namespace) -> None:
    started = time.monotonic()
    settings = load_settings(demo=True)
    start, end = args.start or settings.demo_start, args.end or settings.demo_end
    check_date_range(start, end)
    check_data_dir(settings)
    check_ports(ports_to_start(settings, airflow=False))
    preflight(settings)
    from publishing.report.formatting import format_number
    from publishing.scorecard import summary

    where = summary(args.lang, "embedded") if settings.embedded else mask_url(settings.warehouse_url)
    say(summary(args.lang, "start", start=start, end=end, where=where, sources=describe_sources(settings)))
    postgres.ensure_server(settings)
    check_origin(settings)
    started_sandboxes = start_sandboxes(simulating(settings, end))
    try:
        run_dags(settings, start, end)
    finally:
        processes.stop_all(settings.run_dir, started_sandboxes)

    say("")
    print_scorecard(settings, start, end, args.lang)
    print_ingestion_summary(settings, start, end, args.lang)
    print_report_path(settings, end, args.lang)
    say(summary(args.lang, "airflow_log", path=dagrun_log(settings)))
    alerts = alert_log_path(settings)
    say(summary(args.lang, "alerts" if alerts.exists() else "no_alerts", path=alerts))
    seconds = Decimal(f"{time.monotonic() - started:.1f}")
    say(summary(args.lang, "done", seconds=format_number(seconds, args.lang, 1)))
    if settings.embedded and postgres.is_running(settings.pgdata):
        say(summary(args.lang, "left_running", port=str(settings.pg_port), data=settings.pgdata))


def print_report_path(settings: Settings, end: date, lang: str) -> None:
    """Where the index report of the run's last month is (the build DAG rendered it)."""
    from publishing.report.render import report_name
    from publishing.scorecard import summary

    last_month = date.fromordinal(end.toordinal() - 1).replace(day=1)
    page = settings.reports_dir / report_name(last_month)
    if page.exists():
        say(summary(lang, "report", page=page.resolve().as_uri()))
        say(summary(lang, "all_reports", index=settings.reports_dir / "index.html"))
    else:
        say(summary(lang, "no_report", month=f"{last_month:%m/%Y}", folder=settings.reports_dir))


def print_ingestion_summary(settings: Settings, start: date, end: date, lang: str) -> None:
    """What the live batches of [start, end) hold, per entity, and where rejected records are."""
    from publishing.scorecard import summary

    with psycopg.connect(settings.warehouse_url) as conn:
        rows = conn.execute(
            """
            select source, entity, count(*), sum(rows_loaded), sum(rows_rejected),
                sum(coalesce(rows_received, rows_loaded))
            from ops.batches
            where status = 'succeeded'
              and interval_start >= %s::date::timestamp at time zone 'Asia/Ho_Chi_Minh'
              and interval_end <= %s::date::timestamp at time zone 'Asia/Ho_Chi_Minh'
            group by source, entity order by source, entity
            """,
            (start, end),
        ).fetchall()
    for source, entity, batches, loaded, rejected, received in rows:
        line = summary(
            lang, "ingested", source=source, entity=entity, loaded=loaded, batches=batches, rejected=rejected
        )
        if rejected:
            line += summary(lang, "rejects")
        if received != loaded:
            line += summary(lang, "pulled", received=received)
        say(line)
