"""DTIMON_HOME is private to its owner: it holds Airflow's passwords and keys, logs and data.

dtimon runs with umask 077, so what it and the processes it starts create is 0700/0600;
`secure_home` fixes what an older dtimon (or another umask) left more open.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from core.settings import Settings

#: The umask of dtimon and every process it starts.
PRIVATE_UMASK = 0o077


def make_private(folder: Path, *, skip: Path) -> None:
    """`folder` and the folders in it 0700, its files 0600; symlinks and `skip` are left alone."""
    for parent, dirs, files in os.walk(folder):
        if Path(parent) == skip:
            dirs.clear()
            continue
        os.chmod(parent, 0o700)
        for name in files:
            path = os.path.join(parent, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                os.chmod(path, 0o600)


def secure_home(settings: Settings) -> None:
    """Make DTIMON_HOME private (its data folder is the server's own, 0700 already).

    As root the embedded server's account then gets back its way through to the data folder.
    """
    if not settings.home.is_dir():
        return
    make_private(settings.home, skip=settings.pgdata)
    if settings.embedded and os.geteuid() == 0 and settings.pgdata.is_dir():
        from infra.postgres import open_home_to_server

        open_home_to_server(settings)
