"""`dtimon`: the one command line over the local stack (the Makefile calls it).

dtimon run        set up, pull the demo period through Airflow, build, gate, publish, print the scorecard
dtimon up         keep PostgreSQL, the sandbox and Airflow (UI on 127.0.0.1) running
dtimon down       stop everything `run`/`up` started, by process id
dtimon status     what is running
dtimon scorecard  print the scorecard from what is published in `bi`
dtimon rollback   point `bi` back at the previous publication
dtimon publish --accept-moves BUILD  publish a build the gate refused only for moved or vanished values, on your word
dtimon report [--period P]  render the index report (a page per published month, quarter and year) from `bi`
dtimon metabase   plan|apply the Metabase definitions (publishing/metabase/) against METABASE_URL
dtimon reset-source SOURCE  delete everything ingested from SOURCE (to fill it from another origin)
dtimon backfill SOURCE --from D --to D  re-ingest days staged, build and gate them, publish or refuse as a whole
dtimon entries    keep the department's entered-indicator files (DTIMON_ENTRIES_DIR) in the warehouse
"""
# The docstring above is `dtimon --help`'s description; the table below is every command.

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ingestion.sources import SOURCES

LANGS = ("vi", "en")


def day(text: str) -> date:
    """An argument's YYYY-MM-DD date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def month(text: str) -> date:
    """An argument's YYYY-MM month (its first day)."""
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month (expected YYYY-MM)") from None


def report_period(text: str) -> tuple[str, date | None]:
    """An argument's report period: YYYY-MM, YYYY-Qn, YYYY, or a kind alone (its latest)."""
    from publishing.report.periods import parse_period  # only when the report command is parsed

    try:
        return parse_period(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


@dataclass(frozen=True)
class Arg:
    """One argument: argparse's flags and keywords; `env_default` (variable, fallback) read when parsing."""

    flags: tuple[str, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    env_default: tuple[str, str] | None = None


@dataclass(frozen=True)
class Command:
    """One `dtimon` command; `handler` ("module:function") is imported only when the command runs."""

    name: str
    help: str
    handler: str
    args: tuple[Arg, ...] = ()


ARG_START = Arg(("--start",), {"type": day, "help": "first day (default DTIMON_DEMO_START)"})
ARG_END = Arg(("--end",), {"type": day, "help": "day after the last (default DTIMON_DEMO_END)"})
ARG_LANG = Arg(("--lang",), {"choices": LANGS}, env_default=("DTIMON_LANG", "vi"))
ARG_SOURCE = Arg(("source",), {"choices": sorted(SOURCES), "help": "a registered source"})

COMMANDS_MODULE = "infra.cli.commands"

COMMANDS: tuple[Command, ...] = (
    Command(
        "run",
        "run the main job end to end on the demo period",
        f"{COMMANDS_MODULE}.run:cmd_run",
        (ARG_START, ARG_END, ARG_LANG),
    ),
    Command(
        "up",
        "start PostgreSQL, the sandbox and Airflow and leave them running",
        f"{COMMANDS_MODULE}.services:cmd_up",
    ),
    Command("down", "stop what run/up started", f"{COMMANDS_MODULE}.services:cmd_down"),
    Command("status", "show what is running", f"{COMMANDS_MODULE}.services:cmd_status"),
    Command(
        "scorecard",
        "print the published scorecard",
        f"{COMMANDS_MODULE}.publish:cmd_scorecard",
        (ARG_START, ARG_END, ARG_LANG),
    ),
    Command(
        "rollback",
        "point bi back at an earlier publication",
        f"{COMMANDS_MODULE}.publish:cmd_rollback",
        (Arg(("--to",), {"type": int, "help": "publication id (default: the previous one)"}),),
    ),
    Command(
        "publish",
        "publish a build the gate refused only because published values moved or disappeared (--accept-moves BUILD)",
        f"{COMMANDS_MODULE}.publish:cmd_publish",
        (
            Arg(
                ("--accept-moves",),
                {
                    "type": int,
                    "required": True,
                    "metavar": "BUILD",
                    "help": "publication id the gate refused only for moves beyond fail_move or disappeared"
                    " values (recorded with your user name); any other refusal stands",
                },
            ),
        ),
    ),
    Command(
        "reset-source",
        "delete everything ingested from one source",
        f"{COMMANDS_MODULE}.reset_source:cmd_reset_source",
        (ARG_SOURCE,),
    ),
    Command(
        "report",
        "render the index report from what is published (every month, quarter and year, or --period)",
        f"{COMMANDS_MODULE}.publish:cmd_report",
        (
            ARG_LANG,
            Arg(
                ("--period",),
                {
                    "type": report_period,
                    "help": "one published period: YYYY-MM, YYYY-Qn or YYYY, or month, quarter or year for"
                    " the latest of that kind (default: every period)",
                },
            ),
        ),
    ),
    Command(
        "metabase",
        "plan or apply the Metabase definitions",
        f"{COMMANDS_MODULE}.publish:cmd_metabase",
        (Arg(("action",), {"choices": ("plan", "apply")}),),
    ),
    Command(
        "backfill",
        "re-ingest one source's days, staged, and publish them if the gate passes",
        f"{COMMANDS_MODULE}.backfill:cmd_backfill",
        (
            ARG_SOURCE,
            Arg(("--from",), {"dest": "start", "type": day, "required": True, "help": "first day"}),
            Arg(("--to",), {"dest": "end", "type": day, "required": True, "help": "day after the last"}),
        ),
    ),
    Command(
        "entries",
        "keep the department's entered-indicator files (DTIMON_ENTRIES_DIR); a file with a bad row is refused whole",
        f"{COMMANDS_MODULE}.entries:cmd_entries",
    ),
    Command(
        "airflow",
        "run an `airflow` command with the project's environment",
        f"{COMMANDS_MODULE}.airflow:cmd_airflow",
        (Arg(("args",), {"nargs": argparse.REMAINDER, "help": "arguments for `airflow`"}),),
    ),
    Command(
        "docs",
        "build the dbt docs and serve them with the GX Data Docs on 127.0.0.1",
        f"{COMMANDS_MODULE}.docs:cmd_docs",
        (Arg(("--no-serve",), {"action": "store_true", "help": "build only"}),),
    ),
)
