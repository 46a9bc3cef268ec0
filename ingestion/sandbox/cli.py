"""The command-line pieces every sandbox shares: the `serve` and generation options dtimon passes
(`infra/cli/sources.py` `sandbox_argv`), their checks, and serving until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import signal
import ssl
from datetime import date
from pathlib import Path
from types import FrameType

from core.settings import DEFAULT_PROVINCE_CODE
from ingestion.sandbox.service import Service
from ingestion.sandbox.tls import server_context


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """--port, --host, --username, --password, --data-dir and the three --tls-* options."""
    parser.add_argument("--port", type=int, required=True, help="TCP port (0 = any free port)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--data-dir", type=Path, help="replay the files written by `export`")
    parser.add_argument("--tls-cert", type=Path, help="serve https with this certificate (PEM)")
    parser.add_argument("--tls-key", type=Path, help="the key of --tls-cert (PEM)")
    parser.add_argument(
        "--client-ca", type=Path, help="require client certificates signed by this CA (PEM): mutual TLS"
    )


def add_generation_arguments(parser: argparse.ArgumentParser, required: bool, scale_help: str) -> None:
    """--seed, --scale, --start, --end (exclusive: the simulated clock) and --province."""
    parser.add_argument("--seed", type=int, required=required)
    parser.add_argument("--scale", type=float, required=required, help=scale_help)
    parser.add_argument("--start", type=date.fromisoformat, required=required, help="first day of activity")
    parser.add_argument(
        "--end", type=date.fromisoformat, required=required, help="simulated clock (exclusive)"
    )
    parser.add_argument(
        "--province",
        default=DEFAULT_PROVINCE_CODE,
        help=f"its code in the admin-unit seed (default {DEFAULT_PROVINCE_CODE}; dtimon passes DTIMON_PROVINCE_CODE)",
    )


def check_serve_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> ssl.SSLContext | None:
    """Exits with a usage error unless --data-dir or all four generation options are given, and
    the TLS files go together and load; returns the TLS context (None: plain http)."""
    generation = [args.seed, args.scale, args.start, args.end]
    if args.data_dir is not None:
        if any(value is not None for value in generation):
            parser.error("--data-dir excludes --seed/--scale/--start/--end")
    elif any(value is None for value in generation):
        parser.error("give --data-dir, or all of --seed, --scale, --start and --end")
    if (args.tls_cert is None) != (args.tls_key is None) or (args.client_ca and not args.tls_cert):
        parser.error("give --tls-cert and --tls-key together (and --client-ca only with them)")
    try:
        return server_context(args.tls_cert, args.tls_key, args.client_ca) if args.tls_cert else None
    except (OSError, ssl.SSLError) as exc:
        parser.error(f"TLS files: {exc}")


def serve_until_stopped(server: Service) -> None:
    """Serve in this thread until SIGTERM or Ctrl-C."""
    signal.signal(signal.SIGTERM, _stop)
    with contextlib.suppress(KeyboardInterrupt):  # SIGTERM is turned into one by _stop
        server.serve_forever()


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
