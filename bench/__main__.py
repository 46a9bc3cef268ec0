"""`python -m bench` (make bench): run every benchmark and print the ratios."""

from __future__ import annotations

import argparse
import logging
import sys

from bench import loader


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--records", type=int, default=300_000, help="dossier records to load (default 300000)"
    )
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--http-records", type=int, default=50_000, help="records for the pull through HTTP")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    loader.run(records=args.records, page_size=args.page_size, http_records=args.http_records, out=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
