"""The command-line pieces every sandbox shares: the `serve` and generation options dtimon passes
(`infra/cli/sources.py` `sandbox_argv`), their checks, serving until SIGTERM or Ctrl-C, and the
`serve`/`export` commands of the day-at-a-time sandboxes (what they serve, how they export it)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import ssl
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import FrameType
from typing import TypeVar

import orjson

from core.admin_units import UnknownProvince
from core.settings import DEFAULT_PROVINCE_CODE
from ingestion.sandbox.service import Service
from ingestion.sandbox.tls import server_context

T = TypeVar("T")


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


def serve_and_export_commands(
    prog: str, description: str, what: str, subfolder: str, scale_help: str
) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The parser of a day-at-a-time sandbox (`serve` a generated or replayed `what`, `export` it into
    OUT/`subfolder`/) and its `serve` sub-parser, for a sandbox's own serve options."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help=f"serve a generated or replayed {what} over HTTP")
    add_serve_arguments(serve)
    add_generation_arguments(serve, required=False, scale_help=scale_help)
    export = commands.add_parser("export", help=f"generate the {what} and write it into OUT/{subfolder}/")
    export.add_argument("--out", type=Path, required=True)
    add_generation_arguments(export, required=True, scale_help=scale_help)
    return parser, serve


def served_data(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    subfolder: str,
    what: str,
    load: Callable[[Path], T],
    generate: Callable[[argparse.Namespace], T],
) -> tuple[T, str]:
    """What `serve` serves and how it got it ("files" from `--data-dir`/`subfolder`, an empty `what`
    with one warning line when that folder is missing; else "generated"); a bad option or file is
    the parser's usage error."""
    try:
        if args.data_dir is not None:
            folder = args.data_dir / subfolder
            if not folder.is_dir():
                sys.stderr.write(f"sandbox: warning: {folder} is missing: serving an empty {what}\n")
            return load(folder), "files"
        return generate(args), "generated"
    except (OSError, ValueError, orjson.JSONDecodeError, UnknownProvince) as exc:
        parser.error(str(exc))


def export_command(
    args: argparse.Namespace,
    subfolder: str,
    generate: Callable[[argparse.Namespace], T],
    export: Callable[[T, Path], None],
    describe: Callable[[T], str],
) -> int:
    """`export`: generate, write into OUT/`subfolder`/, say what was written (`describe`) and how long
    it took; a bad option is one line and exit 2."""
    if not args.scale > 0 or args.end <= args.start:
        sys.stderr.write("export: need --scale > 0 and --end after --start\n")
        return 2
    started = time.monotonic()
    try:
        data = generate(args)
    except UnknownProvince as exc:
        sys.stderr.write(f"export: --province {exc}\n")
        return 2
    export(data, args.out / subfolder)
    sys.stdout.write(
        f"wrote {describe(data)} to {args.out / subfolder} in {time.monotonic() - started:.1f}s\n"
    )
    return 0
