"""Command line of the population database sandbox (the same options as `python -m ingestion.sandbox`).

python -m ingestion.sandbox.population serve --port N [--host H] --username CLIENT_ID --password SECRET
    [--token-ttl SECONDS] [--rate N] [--now ISO-DATETIME]
    [--tls-cert PEM --tls-key PEM [--client-ca PEM]]
    (--data-dir DIR | --seed S --scale F --start D --end D [--province CODE])
python -m ingestion.sandbox.population export --out DIR --seed S --scale F --start D --end D [--province CODE]

`--data-dir DIR` and `--out DIR` name the operator's sandbox data root (DTIMON_SANDBOX_DATA_DIR):
this sandbox reads and writes its sub-folder `population/`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import orjson

from core.admin_units import UnknownProvince
from ingestion.sandbox.cli import (
    add_generation_arguments,
    add_serve_arguments,
    check_serve_arguments,
    serve_until_stopped,
)
from ingestion.sandbox.population.generator import GeneratedPopulation, generate_population
from ingestion.sandbox.population.replay import LoadedPopulation, Population, export_population
from ingestion.sandbox.population.server import DEFAULT_RATE, DEFAULT_TOKEN_TTL, PopulationServer

SUBFOLDER = "population"
SCALE_HELP = "1.0 ≈ 2,600 logged calls a working day (the one-stop dossiers' lookups among them)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(parser, args)
    return _export(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.sandbox.population", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a generated or replayed interface over HTTP")
    add_serve_arguments(serve)
    serve.add_argument(
        "--token-ttl", type=int, default=DEFAULT_TOKEN_TTL, help="token lifetime in seconds (default 3600)"
    )
    serve.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, help="requests a second per token before 429 (default 20)"
    )
    serve.add_argument(
        "--now",
        type=datetime.fromisoformat,
        help="fix the clock (ISO date-time; without an offset: local time); default the wall clock",
    )
    add_generation_arguments(serve, required=False, scale_help=SCALE_HELP)
    export = commands.add_parser(
        "export", help="generate the interface and write every day and month into OUT/population/"
    )
    export.add_argument("--out", type=Path, required=True)
    add_generation_arguments(export, required=True, scale_help=SCALE_HELP)
    return parser


def _generate(args: argparse.Namespace) -> GeneratedPopulation:
    return generate_population(args.seed, args.scale, args.start, args.end, args.province)


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    tls = check_serve_arguments(parser, args)
    if args.token_ttl < 1 or not args.rate > 0:
        parser.error("--token-ttl must be at least 1 and --rate above 0")
    started = time.monotonic()
    population: Population
    try:
        if args.data_dir is not None:
            folder = args.data_dir / SUBFOLDER
            if not folder.is_dir():
                sys.stderr.write(f"sandbox: warning: {folder} is missing: serving an empty interface\n")
            population, mode = LoadedPopulation(folder), "files"
        else:
            population, mode = _generate(args), "generated"
    except (OSError, ValueError, orjson.JSONDecodeError, UnknownProvince) as exc:
        parser.error(str(exc))
    server = PopulationServer(
        population,
        username=args.username,
        password=args.password,
        host=args.host,
        port=args.port,
        token_ttl=args.token_ttl,
        rate=args.rate,
        now=args.now,
        mode=mode,
        log=True,
        tls=tls,
    )
    span = f"{population.start} to {population.end} (exclusive: the clock)" if population.start else "no days"
    sys.stderr.write(
        f"sandbox: {mode} population interface ready in {time.monotonic() - started:.2f}s (province"
        f" {population.province_code or '-'}, {span}; days are built when first asked; client id"
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
        population = _generate(args)
    except UnknownProvince as exc:
        sys.stderr.write(f"export: --province {exc}\n")
        return 2
    export_population(population, args.out / SUBFOLDER)
    sys.stdout.write(
        f"wrote {len(population.days())} days and {len(population.months())} months to"
        f" {args.out / SUBFOLDER} in {time.monotonic() - started:.1f}s\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
