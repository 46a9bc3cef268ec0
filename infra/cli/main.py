"""`dtimon ARGS`: parse with the command table, run the command, and end every mistake a user
can make as one line on stderr and exit 1 (a traceback only with --debug or DTIMON_DEBUG=1)."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn

import psycopg

from core.settings import ConfigError
from infra import processes
from infra.cli import command_table
from infra.cli.common import Interrupted, UserError
from infra.home import PRIVATE_UMASK

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (what is wrong, and `--help` for the rest)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see {self.prog} --help)", self.prog)


class _UsageError(UserError):
    """A bad argument, told under the (sub)command's own name: `dtimon run: argument --start: …`."""

    def __init__(self, message: str, prog: str) -> None:
        super().__init__(message)
        self.prog = prog


def _handler(path: str) -> Callable[[argparse.Namespace], None]:
    module, function = path.split(":")
    handler: Callable[[argparse.Namespace], None] = getattr(importlib.import_module(module), function)
    return handler


def parser() -> argparse.ArgumentParser:
    """The parser of every command in the command table."""
    top = _Parser(
        prog="dtimon", description=command_table.__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    top.add_argument("--debug", action="store_true", help="show tracebacks (also DTIMON_DEBUG=1)")
    sub = top.add_subparsers(dest="command", required=True)
    for command in command_table.COMMANDS:
        p = sub.add_parser(command.name, help=command.help)
        p.set_defaults(handler=command.handler)
        for arg in command.args:
            kwargs = dict(arg.kwargs)
            if arg.env_default:
                variable, fallback = arg.env_default
                kwargs["default"] = os.environ.get(variable) or fallback
            p.add_argument(*arg.flags, **kwargs)
    return top


def _env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = os.environ.get(name) or default
    value = raw.upper() if name == "DTIMON_LOG_LEVEL" else raw
    if value not in choices:
        raise UserError(f"{name}={raw!r} is not one of {', '.join(choices)}")
    return value


def _fail(message: str, exc: BaseException, debug: bool, prog: str = "dtimon") -> int:
    if debug:
        traceback.print_exception(exc)
    sys.stderr.write(f"{prog}: {message}\n")
    sys.stderr.flush()
    return 1


def main(argv: list[str] | None = None) -> None:
    """Run one command; every mistake a user can make ends as one line on stderr and exit 1."""
    argv = list(sys.argv[1:] if argv is None else argv)
    os.umask(PRIVATE_UMASK)  # for dtimon and every process it starts
    debug = "--debug" in argv or os.environ.get("DTIMON_DEBUG", "") not in {"", "0"}
    if "--debug" in argv and argv[:1] != ["airflow"]:
        argv.remove("--debug")
    raise SystemExit(_main(argv, debug))


def _main(argv: list[str], debug: bool) -> int:
    from publishing.publish import PublishRefused

    try:
        level = _env_choice("DTIMON_LOG_LEVEL", LOG_LEVELS, "WARNING")
        _env_choice("DTIMON_LANG", command_table.LANGS, "vi")
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
        args = parser().parse_args(argv)
        _handler(args.handler)(args)
    except BrokenPipeError:
        # the reader went away (`dtimon scorecard | head`): nothing more to say to it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except _UsageError as exc:
        return _fail(str(exc), exc, debug, exc.prog)
    except Interrupted as exc:
        _fail(str(exc), exc, debug)
        return exc.exit_code
    except UserError as exc:
        return _fail(str(exc), exc, debug)
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", exc, debug)
    except PublishRefused as exc:
        return _fail(f"refused: {exc}", exc, debug)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _fail(
            f"cannot reach the warehouse ({first}): start it with `make up` or check DTIMON_WAREHOUSE_URL",
            exc,
            debug,
        )
    except psycopg.Error as exc:
        return _fail(f"warehouse error: {str(exc).strip().splitlines()[0]}", exc, debug)
    except processes.ProcessFailed as exc:
        return _fail(str(exc), exc, debug)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            return _fail(exc.code, exc, debug)
        return int(exc.code or 0)
    except KeyboardInterrupt:
        return 130
    return 0
