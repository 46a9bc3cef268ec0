"""The one way the platform runs dbt: the venv's `dbt` against a warehouse given by URL.

The connection reaches `dbt_project/profiles.yml` through environment variables (read there
with `env_var()`), so no credential is written to disk; the password travels in a
`DBT_ENV_SECRET_*` variable, which dbt scrubs from its own logs, and is masked here too.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import subprocess
import sys
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT, ConfigError, Settings, mask_url
from core.warehouse_url import DEFAULT_PORT, PgUrl
from infra.processes import interrupt_child

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
#: Lines of dbt output quoted in a DbtFailed message.
TAIL_LINES = 60
PASSWORD_VAR = "DBT_ENV_SECRET_DTIMON_PASSWORD"
#: read by dbt_project.yml into the var `province_code` (DTIMON_PROVINCE_CODE)
PROVINCE_VAR = "DTIMON_DBT_PROVINCE_CODE"
#: Statuses of a node that failed in dbt's results (a warning is not one; a skipped node follows one).
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
#: How much of a failed node's error is quoted: its first lines, then at most this many characters.
ERROR_LINES = 3
ERROR_CHARS = 300
#: Failed nodes named in a one-line description (the rest are counted).
NODES_SHOWN = 3


@dataclass(frozen=True)
class NodeFailure:
    """A node that failed in a dbt run, as dbt's results file records it."""

    resource_type: str  # model, test, seed, snapshot, source, ...
    name: str
    status: str
    message: str  # the first lines of its error, bounded

    def describe(self) -> str:
        return f"dbt {self.resource_type} {self.name} ({self.message})"


def first_lines(text: str, count: int = ERROR_LINES, chars: int = ERROR_CHARS) -> str:
    """The first `count` non-empty lines of `text` on one line (joined by " / "), at most `chars` long."""
    joined = " / ".join([line.strip() for line in text.splitlines() if line.strip()][:count])
    return joined if len(joined) <= chars else joined[: chars - 1] + "…"


def node_failures(results: Mapping[str, Any]) -> list[NodeFailure]:
    """The failed nodes of a dbt results document (target/run_results.json, or sources.json of
    `dbt source freshness`), in dbt's order."""
    failures = []
    for result in results.get("results") or []:
        status = str(result.get("status"))
        if status not in FAILED_STATUSES:
            continue
        unique_id = str(result.get("unique_id") or "?")
        parts = unique_id.split(".")  # <type>.<package>.<name>[.<hash or table>]
        name = ".".join(parts[2:4]) if parts[0] == "source" else (parts[2] if len(parts) > 2 else unique_id)
        if status == "error" and parts[0] == "source" and not result.get("error"):
            message = f"stale: last loaded {result.get('max_loaded_at') or 'never'}"
        else:
            message = str(result.get("message") or result.get("error") or status)
        failures.append(NodeFailure(parts[0], name, status, first_lines(message)))
    return failures


def read_failures(path: Path, since: float) -> tuple[NodeFailure, ...]:
    """The failed nodes in dbt's results file `path`, if dbt wrote it at or after `since` (epoch
    seconds; an older file is an earlier run's), else none."""
    try:
        if path.stat().st_mtime < since:
            return ()
        return tuple(node_failures(json.loads(path.read_text(encoding="utf-8"))))
    except (OSError, ValueError, AttributeError, TypeError):
        log.warning("could not read dbt's results in %s", path, exc_info=True)
        return ()


def read_manifest(path: Path | None = None) -> dict[str, Any]:
    """dbt's manifest at `path`, default the target folder's (written by every dbt command that
    parses the project: every node, its checksum, parents and macros); empty, with a warning,
    when there is none (marts made without dbt)."""
    path = path or target_dir() / "manifest.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        log.warning("no dbt manifest at %s: the method hashes cover the catalogue rows only", path)
        return {}


def describe_failures(failures: Sequence[NodeFailure]) -> str:
    """The failed nodes on one line: the first NODES_SHOWN with their errors, the others counted."""
    shown = "; ".join(failure.describe() for failure in failures[:NODES_SHOWN])
    more = len(failures) - NODES_SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


def _dbt_folder(variable: str, default: str) -> Path:
    """dbt's own `variable` if set (relative to the dbt project, as dbt reads it), else `default` there."""
    return DBT_PROJECT_DIR / (os.environ.get(variable) or default)


def target_dir() -> Path:
    """Where dbt writes its artifacts (manifest, results, docs): DBT_TARGET_PATH, default
    dbt_project/target. Processes that run dbt at the same time each need their own."""
    return _dbt_folder("DBT_TARGET_PATH", "target")


def log_dir() -> Path:
    """Where dbt writes dbt.log: DBT_LOG_PATH, default dbt_project/logs."""
    return _dbt_folder("DBT_LOG_PATH", "logs")


def results_file(args: Sequence[str]) -> Path:
    """Where dbt writes the results of `dbt <args>`."""
    name = "sources.json" if list(args[:2]) == ["source", "freshness"] else "run_results.json"
    return target_dir() / name


class DbtFailed(RuntimeError):
    """A dbt command exited non-zero. The message names the command and the failed nodes (from dbt's
    results file, in `failures`), then ends with dbt's last lines."""

    def __init__(self, message: str, returncode: int = 2, failures: Sequence[NodeFailure] = ()) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.failures = tuple(failures)

    @property
    def deterministic(self) -> bool:
        """dbt's exit code 1 is a handled error (a failing test, a model or compile error): running
        again on the same data fails again. 2 is an unhandled one (a lost connection): worth a retry."""
        return self.returncode == 1


def dbt_executable() -> Path:
    return Path(sys.executable).parent / "dbt"


def connection_env(warehouse_url: str) -> dict[str, str]:
    """The variables profiles.yml reads, from a libpq URL `postgresql://user:pass@host:port/db`."""
    parts = PgUrl.parse(warehouse_url)
    if not parts.database:
        raise ConfigError(f"{mask_url(warehouse_url)} names no database")
    return {
        "DTIMON_DBT_HOST": parts.host or "localhost",
        "DTIMON_DBT_PORT": str(parts.port or DEFAULT_PORT),
        "DTIMON_DBT_USER": parts.user or getpass.getuser(),
        "DTIMON_DBT_DBNAME": parts.database,
        "DTIMON_DBT_SSLMODE": parts.option.get("sslmode", "prefer"),
        PASSWORD_VAR: parts.password,
    }


def dbt_environment(warehouse_url: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a process that runs dbt (or sqlfluff's dbt templater) on the warehouse,
    with the project's vars that come from settings."""
    env = dict(os.environ if base is None else base)
    env.update(connection_env(warehouse_url))
    env.update(
        {
            PROVINCE_VAR: Settings.from_env(env).province_code,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
            "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
            "DBT_TARGET_PATH": str(target_dir()),
            "DBT_LOG_PATH": str(log_dir()),
            "DBT_USE_COLORS": "false",
        }
    )
    return env


def _masked(line: str, secret: str) -> str:
    return line.replace(secret, "***") if secret else line


def run_dbt(args: list[str], warehouse_url: str) -> None:
    """Run `dbt <args>` on the warehouse, streaming its output to the log; raise DbtFailed on failure."""
    env = dbt_environment(warehouse_url)
    secret = env[PASSWORD_VAR]
    shown = " ".join(["dbt", *args])
    command = [
        str(dbt_executable()),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    log.info("running `%s` on %s", shown, mask_url(warehouse_url))
    started = time.time()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    with subprocess.Popen(
        command,
        cwd=DBT_PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
    ) as process:
        try:
            assert process.stdout is not None
            for raw_line in process.stdout:
                line = _masked(raw_line.rstrip("\n"), secret)
                log.info("%s", line)
                tail.append(line)
            returncode = process.wait()
        except BaseException:
            # Interrupted (a stop asked, a task timeout): do not leave dbt or its queries running.
            interrupt_child(process)
            raise
    if returncode != 0:
        output = "\n".join(tail)
        failures = read_failures(results_file(args), started)
        failed = f": {_masked(describe_failures(failures), secret)}" if failures else ""
        raise DbtFailed(
            f"`{shown}` failed with exit code {returncode} on {mask_url(warehouse_url)}{failed}; "
            f"last lines of its output:\n{output}",
            returncode,
            failures,
        )
    log.info("`%s` succeeded", shown)
