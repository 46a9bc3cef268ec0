"""The one way the platform runs dbt: the venv's `dbt` against a warehouse given by URL.

The connection reaches `dbt_project/profiles.yml` through environment variables (read there
with `env_var()`), so no credential is written to disk; the password travels in a
`DBT_ENV_SECRET_*` variable, which dbt scrubs from its own logs, and is masked here too.
"""

from __future__ import annotations

import getpass
import logging
import os
import subprocess
import sys
from collections import deque
from collections.abc import Mapping
from pathlib import Path

from core.settings import PROJECT_ROOT, ConfigError, mask_url
from core.warehouse_url import DEFAULT_PORT, PgUrl

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
#: Lines of dbt output quoted in a DbtFailed message.
TAIL_LINES = 60
PASSWORD_VAR = "DBT_ENV_SECRET_DTIMON_PASSWORD"


class DbtFailed(RuntimeError):
    """A dbt command exited non-zero. The message names the command and ends with dbt's last lines."""

    def __init__(self, message: str, returncode: int = 2) -> None:
        super().__init__(message)
        self.returncode = returncode

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
    """The environment for a process that runs dbt (or sqlfluff's dbt templater) on the warehouse."""
    env = dict(os.environ if base is None else base)
    env.update(connection_env(warehouse_url))
    env.update(
        {
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
            "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
            "DBT_TARGET_PATH": str(DBT_PROJECT_DIR / "target"),
            "DBT_LOG_PATH": str(DBT_PROJECT_DIR / "logs"),
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
            # Interrupted (task timeout, SIGTERM turned into an exception): do not leave dbt running.
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            raise
    if returncode != 0:
        output = "\n".join(tail)
        raise DbtFailed(
            f"`{shown}` failed with exit code {returncode} on {mask_url(warehouse_url)}; "
            f"last lines of its output:\n{output}",
            returncode,
        )
    log.info("`%s` succeeded", shown)
