"""`python -m infra.lint_sql [sqlfluff lint options]`: lint the dbt models with sqlfluff.

sqlfluff's dbt templater compiles every model, which needs a reachable warehouse: the
configured one (DTIMON_WAREHOUSE_URL) or the embedded server, started here (and stopped
again) if it is down.
The exit code is sqlfluff's: non-zero when a model violates a rule.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from core.errors import ConfigError
from core.settings import Settings
from infra import postgres
from infra.dbt import DBT_PROJECT_DIR, dbt_environment
from infra.processes import ProcessFailed


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    options = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env()
    started = settings.embedded and postgres.start(settings)
    try:
        postgres.ensure_server(settings, airflow=False)
        sqlfluff = Path(sys.executable).parent / "sqlfluff"
        command = [str(sqlfluff), "lint", "models", *options]
        result = subprocess.run(
            command, cwd=DBT_PROJECT_DIR, env=dbt_environment(settings.warehouse_url), check=False
        )
    finally:
        if started:  # leave the machine as we found it
            postgres.stop(settings)
    return result.returncode


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except (ConfigError, ProcessFailed) as exc:  # a server that cannot start: one line, not a traceback
        raise SystemExit(f"make lint: {exc}") from None
