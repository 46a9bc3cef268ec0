"""Command line of the one-stop-shop sandbox.

python -m ingestion.sandbox serve --port N [--host H] --username U --password P
    [--token-ttl SECONDS] [--tls-cert PEM --tls-key PEM [--client-ca PEM]]
    (--data-dir DIR | --seed S --scale F --start D --end D [--province CODE])
python -m ingestion.sandbox export --out DIR --seed S --scale F --start D --end D [--province CODE]
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import ssl
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from types import FrameType

from core.admin_units import UnknownProvince
from core.settings import DEFAULT_PROVINCE_CODE
from ingestion.sandbox.generator import generate_province
from ingestion.sandbox.province import Province, export_province, format_stamp, load_province
from ingestion.sandbox.server import SandboxServer
from ingestion.sandbox.tls import server_context


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
    serve.add_argument("--port", type=int, required=True, help="TCP port (0 = any free port)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--username", required=True)
    serve.add_argument("--password", required=True)
    serve.add_argument("--token-ttl", type=int, default=1800, help="token lifetime in seconds")
    serve.add_argument("--data-dir", type=Path, help="replay the files written by `export`")
    serve.add_argument("--tls-cert", type=Path, help="serve https with this certificate (PEM)")
    serve.add_argument("--tls-key", type=Path, help="the key of --tls-cert (PEM)")
    serve.add_argument(
        "--client-ca", type=Path, help="require client certificates signed by this CA (PEM): mutual TLS"
    )
    _generation_arguments(serve, required=False)

    export = commands.add_parser("export", help="generate a province and write it as files")
    export.add_argument("--out", type=Path, required=True)
    _generation_arguments(export, required=True)
    return parser


def _generation_arguments(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--seed", type=int, required=required)
    parser.add_argument(
        "--scale", type=float, required=required, help="1.0 ≈ 4,000 dossiers received a month"
    )
    parser.add_argument("--start", type=date.fromisoformat, required=required, help="first day of activity")
    parser.add_argument(
        "--end", type=date.fromisoformat, required=required, help="simulated clock (exclusive)"
    )
    parser.add_argument(
        "--province",
        default=DEFAULT_PROVINCE_CODE,
        help=f"its code in the admin-unit seed (default {DEFAULT_PROVINCE_CODE}; dtimon passes DTIMON_PROVINCE_CODE)",
    )


def _generate(args: argparse.Namespace) -> Province:
    return generate_province(args.seed, args.scale, args.start, args.end, args.province)


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    generation = [args.seed, args.scale, args.start, args.end]
    if args.data_dir is not None:
        if any(value is not None for value in generation):
            parser.error("--data-dir excludes --seed/--scale/--start/--end")
    elif any(value is None for value in generation):
        parser.error("give --data-dir, or all of --seed, --scale, --start and --end")
    if args.token_ttl < 1:
        parser.error("--token-ttl must be >= 1")
    if (args.tls_cert is None) != (args.tls_key is None) or (args.client_ca and not args.tls_cert):
        parser.error("give --tls-cert and --tls-key together (and --client-ca only with them)")
    try:
        tls = server_context(args.tls_cert, args.tls_key, args.client_ca) if args.tls_cert else None
    except (OSError, ssl.SSLError) as exc:
        parser.error(f"TLS files: {exc}")

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
    signal.signal(signal.SIGTERM, _stop)
    sys.stderr.write(
        f"sandbox: {mode} province ready in {time.monotonic() - started:.2f}s"
        f" ({len(province.dossiers)} dossier versions, {len(province.progress)} progress rows,"
        f" {len(province.ratings)} ratings, {len(province.feedback)} feedback versions,"
        f" clock end {format_stamp(province.clock_end)}), serving on {server.url}\n"
    )
    sys.stderr.flush()
    with contextlib.suppress(KeyboardInterrupt):  # SIGTERM is turned into one by _stop
        server.serve_forever()
    return 0


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


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
