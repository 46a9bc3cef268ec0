"""Command line of the document exchange sandbox (the same options as `python -m ingestion.sandbox`).

python -m ingestion.sandbox.documents serve --port N [--host H] --username U --password P
    [--tls-cert PEM --tls-key PEM [--client-ca PEM]]
    (--data-dir DIR | --seed S --scale F --start D --end D [--province CODE])
python -m ingestion.sandbox.documents export --out DIR --seed S --scale F --start D --end D [--province CODE]

`--data-dir DIR` and `--out DIR` name the operator's sandbox data root (DTIMON_SANDBOX_DATA_DIR):
this sandbox reads and writes its sub-folder `documents/`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

from core.admin_units import UnknownProvince
from ingestion.sandbox.cli import (
    add_generation_arguments,
    add_serve_arguments,
    check_serve_arguments,
    serve_until_stopped,
)
from ingestion.sandbox.documents.exchange import Exchange, export_exchange, format_time, load_exchange
from ingestion.sandbox.documents.generator import generate_exchange
from ingestion.sandbox.documents.server import ExchangeServer

SUBFOLDER = "documents"
SCALE_HELP = "1.0 ≈ 400 documents sent a month"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(parser, args)
    return _export(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.sandbox.documents", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a generated or replayed document exchange over HTTP")
    add_serve_arguments(serve)
    add_generation_arguments(serve, required=False, scale_help=SCALE_HELP)
    export = commands.add_parser("export", help="generate the exchange and write it into OUT/documents/")
    export.add_argument("--out", type=Path, required=True)
    add_generation_arguments(export, required=True, scale_help=SCALE_HELP)
    return parser


def _generate(args: argparse.Namespace) -> Exchange:
    return generate_exchange(args.seed, args.scale, args.start, args.end, args.province)


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    tls = check_serve_arguments(parser, args)
    started = time.monotonic()
    try:
        if args.data_dir is not None:
            folder = args.data_dir / SUBFOLDER
            if not folder.is_dir():
                sys.stderr.write(f"sandbox: warning: {folder} is missing: serving an empty exchange\n")
                exchange = Exchange([], [], [], None)
            else:
                exchange = load_exchange(folder)
            mode = "files"
        else:
            exchange, mode = _generate(args), "generated"
    except (OSError, ValueError, orjson.JSONDecodeError, UnknownProvince) as exc:
        parser.error(str(exc))
    server = ExchangeServer(
        exchange,
        username=args.username,
        password=args.password,
        host=args.host,
        port=args.port,
        mode=mode,
        tls=tls,
    )
    kinds = [item.messagetype for item in exchange.items]
    clock = format_time(exchange.clock_end) if exchange.clock_end is not None else "none"
    sys.stderr.write(
        f"sandbox: {mode} document exchange ready in {time.monotonic() - started:.2f}s"
        f" ({kinds.count('edoc')} edoc items, {kinds.count('status')} status items,"
        f" {len(exchange.workfiles)} work-file versions, {len(exchange.agencies)} agencies,"
        f" clock end {clock}), serving on {server.url}\n"
    )
    sys.stderr.flush()
    serve_until_stopped(server)
    return 0


def _export(args: argparse.Namespace) -> int:
    if not args.scale > 0 or args.end <= args.start:
        sys.stderr.write("export: need --scale > 0 and --end after --start\n")
        return 2
    try:
        exchange = _generate(args)
    except UnknownProvince as exc:
        sys.stderr.write(f"export: --province {exc}\n")
        return 2
    export_exchange(exchange, args.out / SUBFOLDER)
    kinds = [item.messagetype for item in exchange.items]
    sys.stdout.write(
        f"wrote {len(exchange.agencies)} agencies, {kinds.count('edoc')} edoc items,"
        f" {kinds.count('status')} status items, {len(exchange.workfiles)} work-file versions"
        f" to {args.out / SUBFOLDER}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
