"""Configuration of a dtimon installation, read once from the environment.

Every setting has a `DTIMON_*` environment variable; nothing else is read. Code receives a
`Settings` value explicitly (no module-level state), so tests build their own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parents[1]

DEFAULT_PG_PORT = 55432
DEFAULT_SANDBOX_PORT = 8102
DEFAULT_DEMO_START = date(2025, 9, 1)
DEFAULT_DEMO_END = date(2025, 10, 1)
WAREHOUSE_DB = "dtimon"
AIRFLOW_DB = "airflow"


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _date(env: Mapping[str, str], name: str, default: date) -> date:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a date (expected YYYY-MM-DD)") from exc


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not an integer") from exc


def replace_database(url: str, database: str) -> str:
    """Return `url` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def mask_url(url: str) -> str:
    """A URL safe to print: the password, if any, replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Build with `Settings.from_env()`."""

    home: Path
    warehouse_url_override: str | None
    pg_port: int
    sandbox_port: int
    sandbox_seed: int
    sandbox_scale: float
    sandbox_data_dir: Path | None
    onestop_url: str | None
    onestop_username: str
    onestop_password: str
    pseudonym_key: str | None
    environment: str
    demo_start: date
    demo_end: date
    page_size: int
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("DTIMON_HOME") or PROJECT_ROOT / ".dtimon").resolve()
        data_dir = env.get("DTIMON_SANDBOX_DATA_DIR")
        settings = cls(
            home=home,
            warehouse_url_override=env.get("DTIMON_WAREHOUSE_URL") or None,
            pg_port=_int(env, "DTIMON_PG_PORT", DEFAULT_PG_PORT),
            sandbox_port=_int(env, "DTIMON_SANDBOX_PORT", DEFAULT_SANDBOX_PORT),
            sandbox_seed=_int(env, "DTIMON_SANDBOX_SEED", 20250901),
            sandbox_scale=float(env.get("DTIMON_SANDBOX_SCALE") or 1.0),
            sandbox_data_dir=Path(data_dir).resolve() if data_dir else None,
            onestop_url=env.get("DTIMON_ONESTOP_URL") or None,
            onestop_username=env.get("DTIMON_ONESTOP_USERNAME") or "dtimon",
            onestop_password=env.get("DTIMON_ONESTOP_PASSWORD") or "sandbox",
            pseudonym_key=env.get("DTIMON_PSEUDONYM_KEY") or None,
            environment=(env.get("DTIMON_ENV") or "production").lower(),
            demo_start=_date(env, "DTIMON_DEMO_START", DEFAULT_DEMO_START),
            demo_end=_date(env, "DTIMON_DEMO_END", DEFAULT_DEMO_END),
            page_size=_int(env, "DTIMON_PAGE_SIZE", 200),
        )
        if settings.demo_end <= settings.demo_start:
            raise ConfigError("DTIMON_DEMO_END must be after DTIMON_DEMO_START")
        if settings.environment not in {"demo", "production", "test"}:
            raise ConfigError(f"DTIMON_ENV={settings.environment!r}: use demo, test or production")
        return settings

    @property
    def embedded(self) -> bool:
        """True when dtimon runs its own PostgreSQL (no DTIMON_WAREHOUSE_URL)."""
        return self.warehouse_url_override is None

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def run_dir(self) -> Path:
        """Pid files and logs of the processes `dtimon up` starts."""
        return self.home / "run"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def server_url(self) -> str:
        """URL of the maintenance database (`postgres`) on the warehouse server."""
        return replace_database(self.warehouse_url, "postgres")

    @property
    def warehouse_url(self) -> str:
        if self.warehouse_url_override:
            return self.warehouse_url_override
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/{WAREHOUSE_DB}"

    @property
    def airflow_db_url(self) -> str:
        return replace_database(self.warehouse_url, AIRFLOW_DB)

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def source_url(self) -> str:
        """Base URL of the one-stop-shop API: the real endpoint if configured, else the sandbox."""
        return self.onestop_url or self.sandbox_url
