"""`dtimon docs`: build the dbt docs and serve them with the GX Data Docs on 127.0.0.1."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.settings import Settings
from infra import postgres
from infra.cli.common import UserError, load_settings, say
from infra.cli.ports import check_ports


def build_docs(settings: Settings) -> Path:
    """`dbt docs generate` with the project's profile and variables; returns the folder to serve."""
    from infra.dbt import DbtFailed, run_dbt, target_dir

    try:
        run_dbt(["docs", "generate"], settings.warehouse_url)
    except DbtFailed as exc:
        raise UserError(
            str(exc).splitlines()[0] + " (run with DTIMON_LOG_LEVEL=INFO for dbt's output)"
        ) from exc
    return target_dir()


def cmd_docs(args: argparse.Namespace) -> None:
    settings = load_settings(demo=True)
    port = settings.docs_port
    if not args.no_serve:
        check_ports({"DTIMON_DOCS_PORT": port})
    postgres.ensure_server(settings, airflow=False)
    from ingestion.schema import migrate

    migrate(settings.warehouse_url)
    folder = build_docs(settings)
    say(f"dbt docs built in {folder}")
    from expectations.data_docs import site_dir

    gx_index = site_dir(settings.home) / "index.html"
    gx_state = "" if gx_index.is_file() else " (none yet: each gate run builds them)"
    say(f"GX Data Docs of the gate's runs: {gx_index}{gx_state}")
    if args.no_serve:
        return
    from publishing.report.serve import GX_PREFIX, make_docs_server, serve_until_interrupted

    server = make_docs_server(folder, settings.home, port)
    say(
        f"dbt docs: http://127.0.0.1:{port}/   GX Data Docs: http://127.0.0.1:{port}{GX_PREFIX} (Ctrl-C to stop)"
    )
    serve_until_interrupted(server)
