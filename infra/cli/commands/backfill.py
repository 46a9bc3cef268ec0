"""`dtimon backfill SOURCE --from D --to D`: re-ingest days staged, build and gate them, publish or refuse as a whole."""

from __future__ import annotations

import argparse

import psycopg

from infra import postgres, processes
from infra.cli.common import UserError, check_date_range, load_settings, say
from infra.cli.dagruns import dagrun_log, run_dags
from infra.cli.ports import check_ports, ports_to_start
from infra.cli.sources import check_data_dir, check_origin, preflight, simulating, start_sandboxes
from ingestion.sources import SOURCES, Source


def backfill_notes(source: Source) -> list[str]:
    """One line for each entity a backfill does not stage, saying what it does with it instead."""
    notes = []
    for entity in source.entities:
        if entity.pull.resumes or entity.acknowledge is not None:
            notes.append(f"  {entity.name}: its items cannot be read again; rebuilt from raw only")
        elif entity.snapshot:
            notes.append(f"  {entity.name}: a catalogue, pulled as usual (live at once; its history is kept)")
    return notes


def cmd_backfill(args: argparse.Namespace) -> None:
    """Stage the source's days, build and gate them, and publish them or refuse them as a whole."""
    from infra.dag_defaults import ingest_dags
    from ingestion.backfills import BackfillRefused, backfill, failure_reason, open_backfill, refuse_backfill
    from publishing.publish import current_publication

    settings = load_settings(demo=True)
    check_date_range(args.start, args.end, ("--from", "--to"))
    check_data_dir(settings)
    check_ports(ports_to_start(settings, airflow=False))
    preflight(settings)
    postgres.ensure_server(settings)
    check_origin(settings)
    # this connection holds the backfill's lock while it runs (a killed run's backfill is refused next time)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        try:
            backfill_id = open_backfill(conn, args.source, args.start, args.end)
        except BackfillRefused as exc:
            raise UserError(str(exc)) from None
        say(f"dtimon backfill {args.source}: {args.start} → {args.end}, staged as backfill {backfill_id}")
        for note in backfill_notes(SOURCES[args.source]):
            say(note)
        started_sandboxes = start_sandboxes(simulating(settings, args.end))
        failed: BaseException | None = None
        try:
            run_dags(
                settings,
                args.start,
                args.end,
                ingest=list(ingest_dags(SOURCES[args.source])),
                conf={"backfill_id": backfill_id},
            )
        except (UserError, KeyboardInterrupt) as exc:
            failed = exc
        finally:
            processes.stop_all(settings.run_dir, started_sandboxes)
        say(f"Airflow log: {dagrun_log(settings)}")
        state, publication_id = backfill(conn, backfill_id)
        if state.status == "published":
            say(f"backfill {backfill_id} published as publication {publication_id}")
            return
        reason = failure_reason(conn, backfill_id) or (str(failed) if failed else "its build did not publish")
        if state.status == "staged":
            refuse_backfill(conn, backfill_id, reason)
        live = current_publication(conn)
    shown = f"bi still shows publication {live[0]}" if live else "nothing is published"
    raise UserError(f"backfill {backfill_id} refused: {reason} ({shown}; the earlier batches stay live)")
