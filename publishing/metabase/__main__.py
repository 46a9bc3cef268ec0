"""`python -m publishing.metabase plan|apply`: show or make the changes Metabase needs."""

from __future__ import annotations

import argparse
import logging
import sys

from core.settings import ConfigError, Settings
from publishing.metabase.client import MetabaseError
from publishing.metabase.provision import apply, plan, render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m publishing.metabase", description=__doc__)
    parser.add_argument("command", choices=["plan", "apply"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        changes = plan(settings) if args.command == "plan" else apply(settings)
    except (ConfigError, MetabaseError) as exc:
        sys.stderr.write(f"metabase {args.command}: {exc}\n")
        return 2
    sys.stdout.write(render(changes) + "\n")
    if args.command == "plan" and changes:
        sys.stdout.write(f"{len(changes)} changes; `apply` makes them.\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
