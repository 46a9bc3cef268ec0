"""What every command shares: the one-line user error, console output and its settings."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

from core.settings import ConfigError, Settings
from core.warehouse_url import PgUrl
from infra.home import secure_home


class UserError(Exception):
    """A mistake the user can fix: printed as one line (no traceback unless --debug), exit 1."""


class Interrupted(UserError):
    """Stopped by a signal once what was running had stopped cleanly: one line, exit 128 + signal."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.exit_code = 128 + signum


def say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def load_settings(demo: bool) -> Settings:
    """The settings from the environment (`demo`: DTIMON_ENV defaults to demo); DTIMON_HOME made private."""
    env = dict(os.environ)
    if demo:
        env.setdefault("DTIMON_ENV", "demo")
    settings = Settings.from_env(env)
    if settings.warehouse_url_override:
        try:
            PgUrl.parse(settings.warehouse_url_override)
        except ConfigError as exc:
            raise ConfigError(
                f"DTIMON_WAREHOUSE_URL: {exc}; expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE "
                "(or unset it to use the embedded PostgreSQL)"
            ) from exc
    secure_home(settings)
    return settings


def check_date_range(start: date, end: date, names: tuple[str, str] = ("--start", "--end")) -> None:
    if start >= end:
        raise UserError(
            f"{names[0]} {start} is not before {names[1]} {end}: {names[1]} is the day after the last day"
        )


def alert_log_path(settings: Settings) -> Path:
    from infra.alerts import alert_log

    return alert_log(settings.home)
