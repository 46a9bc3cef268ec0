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

from ingestion.sandbox.cli import (
    check_serve_arguments,
    export_command,
    serve_and_export_commands,
    serve_until_stopped,
    served_data,
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
    return export_command(args, SUBFOLDER, _generate, export_population, _written)


def _parser() -> argparse.ArgumentParser:
    parser, serve = serve_and_export_commands(
        "python -m ingestion.sandbox.population", __doc__.split("\n")[0], "interface", SUBFOLDER, SCALE_HELP
    )
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
    return parser


def _generate(args: argparse.Namespace) -> GeneratedPopulation:
    return generate_population(args.seed, args.scale, args.start, args.end, args.province)


def _written(population: Population) -> str:
    return f"{len(population.days())} days and {len(population.months())} months"


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    tls = check_serve_arguments(parser, args)
    if args.token_ttl < 1 or not args.rate > 0:
        parser.error("--token-ttl must be at least 1 and --rate above 0")
    started = time.monotonic()
    population: Population
    population, mode = served_data(parser, args, SUBFOLDER, "interface", LoadedPopulation, _generate)
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


if __name__ == "__main__":
    sys.exit(main())
