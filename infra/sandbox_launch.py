"""Start a source's sandbox with its credentials from the environment, not the command line.

`python -m infra.sandbox_launch MODULE ARGS...` runs `python -m MODULE ARGS... --username U
--password P` in this process, with U and P read from DTIMON_SANDBOX_USERNAME and
DTIMON_SANDBOX_PASSWORD: the process's command line (what `ps` and /proc show) never holds
the password, while the sandbox's own command line stays as it is.
"""

from __future__ import annotations

import os
import runpy
import sys

USERNAME_VARIABLE = "DTIMON_SANDBOX_USERNAME"
PASSWORD_VARIABLE = "DTIMON_SANDBOX_PASSWORD"


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: python -m infra.sandbox_launch MODULE ARGS...")
    module, *rest = argv
    username = os.environ.pop(USERNAME_VARIABLE, "")
    password = os.environ.pop(PASSWORD_VARIABLE, "")
    if not username or not password:
        raise SystemExit(f"{USERNAME_VARIABLE} and {PASSWORD_VARIABLE} must be set")
    sys.argv = [module, *rest, "--username", username, "--password", password]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
