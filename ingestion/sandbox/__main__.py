"""Command line of the one-stop-shop sandbox.

python -m ingestion.sandbox serve --port N [--host H] --username U --password P
    [--token-ttl SECONDS] [--tls-cert PEM --tls-key PEM [--client-ca PEM]]
    (--data-dir DIR | --seed S --scale F --start D --end D [--province CODE])
python -m ingestion.sandbox export --out DIR --seed S --scale F --start D --end D [--province CODE]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from core.admin_units import UnknownProvince
from ingestion.sandbox.cli import (
    add_generation_arguments,
    add_serve_arguments,
    check_serve_arguments,
    serve_until_stopped,
)
from ingestion.sandbox.generator import generate_province
from ingestion.sandbox.province import Province, export_province, format_stamp, load_province
from ingestion.sandbox.server import SandboxServer

SCALE_HELP = "1.0 ≈ 4,000 dossiers received a month"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(parser, args)
    return _export(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingestion.sandbox", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve a generated or file-backed province over HTTP")
    add_serve_arguments(serve)
    serve.add_argument("--token-ttl", type=int, default=1800, help="token lifetime in seconds")
    add_generation_arguments(serve, required=False, scale_help=SCALE_HELP)

    export = commands.add_parser("export", help="generate a province and write it as files")
    export.add_argument("--out", type=Path, required=True)
    add_generation_arguments(export, required=True, scale_help=SCALE_HELP)
    return parser


def _generate(args: argparse.Namespace) -> Province:
    return generate_province(args.seed, args.scale, args.start, args.end, args.province)


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    tls = check_serve_arguments(parser, args)
    if args.token_ttl < 1:
        parser.error("--token-ttl must be >= 1")

    started = time.monotonic()
    try:
        if args.data_dir is not None:
            province, mode = load_province(args.data_dir), "files"
        else:
            province, mode = _generate(args), "generated"
    except (OSError, ValueError, UnknownProvince) as exc:
        parser.error(str(exc))
    server = SandboxServer(
        province,
        username=args.username,
        password=args.password,
        host=args.host,
        port=args.port,
        token_ttl=args.token_ttl,
        mode=mode,
        tls=tls,
    )
    sys.stderr.write(
        f"sandbox: {mode} province ready in {time.monotonic() - started:.2f}s"
        f" ({len(province.dossiers)} dossier versions, {len(province.progress)} progress rows,"
        f" {len(province.ratings)} ratings, {len(province.feedback)} feedback versions,"
        f" clock end {format_stamp(province.clock_end)}), serving on {server.url}\n"
    )
    sys.stderr.flush()
    serve_until_stopped(server)
    return 0


def _export(args: argparse.Namespace) -> int:
    if not args.scale > 0 or args.end <= args.start:
        sys.stderr.write("export: need --scale > 0 and --end after --start\n")
        return 2
    try:
        province = _generate(args)
    except UnknownProvince as exc:
        sys.stderr.write(f"export: --province {exc}\n")
        return 2
    export_province(province, args.out)
    sys.stdout.write(
        f"wrote {len(province.agencies)} agencies, {len(province.procedures)} procedures,"
        f" {len(province.dossiers)} dossier versions, {len(province.progress)} progress rows,"
        f" {len(province.ratings)} ratings, {len(province.feedback)} feedback versions to {args.out}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
