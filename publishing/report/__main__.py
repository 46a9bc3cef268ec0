"""`python -m publishing.report --out DIR [--period YYYY-MM|YYYY-Qn|YYYY|KIND] [--lang vi|en] [--all]`.

Reads the warehouse from the environment (`core.settings.Settings.from_env()`), renders the
report from the live publication in `bi` and prints the file's path and its file:// link.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date
from pathlib import Path

from core.settings import ConfigError, Settings
from publishing.report.data import NothingPublished
from publishing.report.periods import parse_period
from publishing.report.render import render_all, render_report


def _period(text: str) -> tuple[str, date | None]:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m publishing.report", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="output folder (default: DTIMON_HOME/reports)")
    parser.add_argument(
        "--period",
        type=_period,
        default=("month", None),
        help="YYYY-MM, YYYY-Qn or YYYY, or month / quarter / year for the latest (default: the latest month)",
    )
    parser.add_argument(
        "--all", action="store_true", help="every published month, quarter and year, plus index.html"
    )
    parser.add_argument(
        "--lang",
        choices=("vi", "en"),
        default=None,
        help="language the page opens in (default DTIMON_LANG or vi)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    lang = args.lang or (os.environ.get("DTIMON_LANG") or "vi").lower()
    out = args.out or settings.home / "reports"
    try:
        if args.all:
            paths = render_all(settings.warehouse_url, out, lang)
        else:
            kind, start = args.period
            paths = [render_report(settings.warehouse_url, out, start, lang, kind)]
    except NothingPublished as exc:
        print(f"no report: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"{path}\n  {path.resolve().as_uri()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
