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

from ingestion.sandbox.cli import (
    check_serve_arguments,
    export_command,
    serve_and_export_commands,
    serve_until_stopped,
    served_data,
)
from ingestion.sandbox.ioc.generator import GeneratedIoc, generate_ioc
from ingestion.sandbox.ioc.replay import Ioc, LoadedIoc, export_ioc
from ingestion.sandbox.ioc.server import IocServer

SUBFOLDER = "ioc"
SCALE_HELP = "1.0 ≈ 500 cameras and 20,000 camera events a day"


def main(argv: Sequence[str] | None = None) -> int:
    parser = serve_and_export_commands(
        "python -m ingestion.sandbox.ioc", __doc__.split("\n")[0], "IOC", SUBFOLDER, SCALE_HELP
    )[0]
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(parser, args)
    return export_command(args, SUBFOLDER, _generate, export_ioc, _written)


def _generate(args: argparse.Namespace) -> GeneratedIoc:
    return generate_ioc(args.seed, args.scale, args.start, args.end, args.province)


def _written(ioc: Ioc) -> str:
    return f"{len(ioc.cameras)} cameras and {len(ioc.days())} days"


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    tls = check_serve_arguments(parser, args)
    started = time.monotonic()
    ioc: Ioc
    ioc, mode = served_data(parser, args, SUBFOLDER, "IOC", LoadedIoc, _generate)
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


if __name__ == "__main__":
    sys.exit(main())
