"""Command line of the IOC sandbox (the same options as `python -m ingestion.sandbox`).

python -m ingestion.sandbox.ioc serve --port N [--host H] --username U --password TOKEN
    [--tls-cert PEM --tls-key PEM [--client-ca PEM]]
    (--data-dir DIR | --seed S --scale F --start D --end D [--province CODE])
python -m ingestion.sandbox.ioc export --out DIR --seed S --scale F --start D --end D [--province CODE]

`--data-dir DIR` and `--out DIR` name the operator's sandbox data root (DTIMON_SANDBOX_DATA_DIR):
this sandbox reads and writes its sub-folder `ioc/`.
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
from ingestion.sandbox.ioc.generator import GeneratedIoc, generate_ioc
from ingestion.sandbox.ioc.replay import Ioc, LoadedIoc, export_ioc
from ingestion.sandbox.ioc.server import IocServer

SUBFOLDER = "ioc"
SCALE_HELP = "1.0 ≈ 500 cameras and 20,000 camera events a day"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(parser, args)
    return _export(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.sandbox.ioc", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a generated or replayed IOC over HTTP")
    add_serve_arguments(serve)
    add_generation_arguments(serve, required=False, scale_help=SCALE_HELP)
    export = commands.add_parser("export", help="generate the IOC and write every day into OUT/ioc/")
    export.add_argument("--out", type=Path, required=True)
    add_generation_arguments(export, required=True, scale_help=SCALE_HELP)
    return parser


def _generate(args: argparse.Namespace) -> GeneratedIoc:
    return generate_ioc(args.seed, args.scale, args.start, args.end, args.province)


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    tls = check_serve_arguments(parser, args)
    started = time.monotonic()
    ioc: Ioc
    try:
        if args.data_dir is not None:
            folder = args.data_dir / SUBFOLDER
            if not folder.is_dir():
                sys.stderr.write(f"sandbox: warning: {folder} is missing: serving an empty IOC\n")
            ioc, mode = LoadedIoc(folder), "files"
        else:
            ioc, mode = _generate(args), "generated"
    except (OSError, ValueError, orjson.JSONDecodeError, UnknownProvince) as exc:
        parser.error(str(exc))
    server = IocServer(
        ioc,
        username=args.username,
        password=args.password,
        host=args.host,
        port=args.port,
        mode=mode,
        tls=tls,
    )
    span = f"{ioc.start} to {ioc.end} (exclusive: the clock)" if ioc.start else "no days"
    sys.stderr.write(
        f"sandbox: {mode} IOC ready in {time.monotonic() - started:.2f}s ({len(ioc.cameras)} cameras,"
        f" {len(ioc.agencies)} report agencies, {span}; days are built when first asked; username"
        f" {args.username}), serving on {server.url}\n"
    )
    sys.stderr.flush()
    serve_until_stopped(server)
    return 0


def _export(args: argparse.Namespace) -> int:
    if not args.scale > 0 or args.end <= args.start:
        sys.stderr.write("export: need --scale > 0 and --end after --start\n")
        return 2
    started = time.monotonic()
    try:
        ioc = _generate(args)
    except UnknownProvince as exc:
        sys.stderr.write(f"export: --province {exc}\n")
        return 2
    export_ioc(ioc, args.out / SUBFOLDER)
    sys.stdout.write(
        f"wrote {len(ioc.cameras)} cameras and {len(ioc.days())} days to {args.out / SUBFOLDER}"
        f" in {time.monotonic() - started:.1f}s\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
