"""Configuration of a dtimon installation, read once from the environment.

Every setting has a `DTIMON_*` environment variable; nothing else is read. Code receives a
`Settings` value explicitly (no module-level state), so tests build their own.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from core.admin_units import UnknownProvince, check_province
from core.errors import ConfigError
from core.warehouse_url import PgUrl, mask_url, replace_database

PROJECT_ROOT = Path(__file__).resolve().parents[1]

DEFAULT_PG_PORT = 55432
DEFAULT_SANDBOX_PORT = 8102
#: Sandboxes take DEFAULT_SANDBOX_PORT + their source's offset (-2..7), so 8100-8109; these follow.
DEFAULT_REPORT_PORT = 8110
DEFAULT_DOCS_PORT = 8111
DEFAULT_DEMO_START = date(2025, 9, 1)
DEFAULT_DEMO_END = date(2025, 10, 1)
#: the shipped sandbox province's code in the admin-unit seed (thành phố Huế)
DEFAULT_PROVINCE_CODE = "46"
WAREHOUSE_DB = "dtimon"
AIRFLOW_DB = "airflow"
#: Where the embedded server's Unix socket folder is made: short, so a socket path stays far
#: below PostgreSQL's 107-byte limit however deep the checkout is.
SOCKET_ROOT = Path("/tmp")


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


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a number") from exc


def _province(env: Mapping[str, str]) -> str:
    """DTIMON_PROVINCE_CODE: a province of the admin-unit seed with units under it."""
    code = env.get("DTIMON_PROVINCE_CODE") or DEFAULT_PROVINCE_CODE
    try:
        check_province(code)
    except UnknownProvince as exc:
        raise ConfigError(f"DTIMON_PROVINCE_CODE={exc}") from exc
    return code


__all__ = ["ConfigError", "Settings", "SourceSettings", "mask_url", "replace_database"]

#: Credentials the sandboxes accept when a source's are not configured.
SANDBOX_USERNAME = "dtimon"
SANDBOX_PASSWORD = "sandbox"


def socket_dir_of(pgdata: Path, uid: int) -> Path:
    """The embedded server's private socket folder: one per OS user and data folder,
    `/tmp/dtimon-<uid>-<8 hex of the data folder's path>`."""
    digest = hashlib.sha256(str(pgdata).encode()).hexdigest()[:8]
    return SOCKET_ROOT / f"dtimon-{uid}-{digest}"


def source_prefix(source: str) -> str:
    """`DTIMON_<SOURCE>_`: the prefix of every variable that configures one source."""
    return f"DTIMON_{source.upper()}_"


@dataclass(frozen=True)
class SourceSettings:
    """Where one registered source is and how to log in, from `DTIMON_<SOURCE>_*`.

    With no `DTIMON_<SOURCE>_URL` the source is served by its sandbox on `sandbox_port`.
    """

    name: str
    configured_url: str | None
    username: str
    password: str = field(repr=False)
    token: str = field(repr=False)
    sandbox_port: int
    #: mutual TLS: PEM files of the client certificate, its key and the server's CA
    client_cert: str = ""
    client_key: str = field(default="", repr=False)
    ca_cert: str = ""
    #: the sandbox serves https and requires a client certificate (dtimon made both)
    sandbox_tls: bool = False
    #: the scale its sandbox generates at (`DTIMON_<SOURCE>_SCALE`, else the source's own default,
    #: else DTIMON_SANDBOX_SCALE)
    sandbox_scale: float = 1.0

    @property
    def uses_sandbox(self) -> bool:
        return self.configured_url is None

    @property
    def sandbox_url(self) -> str:
        scheme = "https" if self.sandbox_tls else "http"
        return f"{scheme}://127.0.0.1:{self.sandbox_port}"

    @property
    def url(self) -> str:
        """Base URL to pull: the real endpoint if configured, else the sandbox."""
        return self.configured_url or self.sandbox_url


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
    pseudonym_key: str | None
    environment: str
    demo_start: date
    demo_end: date
    page_size: int
    report_port: int = DEFAULT_REPORT_PORT
    docs_port: int = DEFAULT_DOCS_PORT
    #: DTIMON_REJECTS_KEY: when set, a refused record's original text is kept in ops.rejects,
    #: encrypted with it (AES-GCM); when unset, only its pseudonymised text is kept
    rejects_key: str | None = None
    #: DTIMON_PROVINCE_CODE: the installation's province in the admin-unit seed (its name is the
    #: seed's); the sandbox generates it and dbt receives it as the var `province_code`
    province_code: str = DEFAULT_PROVINCE_CODE
    #: DTIMON_ENTRIES_DIR: the department's entered-indicator submissions (default DTIMON_HOME/entries)
    entries_dir_setting: Path | None = None
    #: every `DTIMON_*` variable, for the settings named after a registered source
    variables: Mapping[str, str] = field(default_factory=dict, repr=False)

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
            sandbox_scale=_float(env, "DTIMON_SANDBOX_SCALE", 1.0),
            sandbox_data_dir=Path(data_dir).resolve() if data_dir else None,
            pseudonym_key=env.get("DTIMON_PSEUDONYM_KEY") or None,
            environment=(env.get("DTIMON_ENV") or "production").lower(),
            demo_start=_date(env, "DTIMON_DEMO_START", DEFAULT_DEMO_START),
            demo_end=_date(env, "DTIMON_DEMO_END", DEFAULT_DEMO_END),
            page_size=_int(env, "DTIMON_PAGE_SIZE", 200),
            report_port=_int(env, "DTIMON_REPORT_PORT", DEFAULT_REPORT_PORT),
            docs_port=_int(env, "DTIMON_DOCS_PORT", DEFAULT_DOCS_PORT),
            rejects_key=env.get("DTIMON_REJECTS_KEY") or None,
            province_code=_province(env),
            entries_dir_setting=Path(env["DTIMON_ENTRIES_DIR"]).resolve()
            if env.get("DTIMON_ENTRIES_DIR")
            else None,
            variables={key: value for key, value in env.items() if key.startswith("DTIMON_")},
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
    def socket_dir(self) -> Path:
        """The embedded server's Unix socket folder (the owner's only way in)."""
        return socket_dir_of(self.pgdata, os.geteuid())

    @property
    def run_dir(self) -> Path:
        """Pid files and logs of the processes `dtimon up` starts."""
        return self.home / "run"

    @property
    def reports_dir(self) -> Path:
        """Where the index report's pages are rendered (one HTML file per month, and index.html)."""
        return self.home / "reports"

    @property
    def entries_dir(self) -> Path:
        """Where the entered-indicator files are (`entries-YYYY-MM-DD.csv`, ingestion.entries)."""
        return self.entries_dir_setting or self.home / "entries"

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
        # the owner logs in over the private socket (peer authentication), never over TCP
        owner = PgUrl(host=str(self.socket_dir), port=self.pg_port, user="postgres", database=WAREHOUSE_DB)
        return owner.render()

    @property
    def airflow_db_url(self) -> str:
        return replace_database(self.warehouse_url, AIRFLOW_DB)

    def accepts_shrink(self, source: str, entity: str) -> bool:
        """True when the operator accepts that a catalogue pull of `source.entity` loses keys:
        `DTIMON_ACCEPT_SHRINK` lists `source.entity` or `source` names, comma-separated."""
        accepted = {n.strip() for n in self.variables.get("DTIMON_ACCEPT_SHRINK", "").split(",") if n.strip()}
        return source in accepted or f"{source}.{entity}" in accepted

    def source(self, name: str, *, port_offset: int = 0, scale: float | None = None) -> SourceSettings:
        """The settings of source `name`: `DTIMON_<NAME>_URL`, `_USERNAME`, `_PASSWORD`, `_TOKEN`,
        `_CLIENT_CERT`, `_CLIENT_KEY`, `_CA_CERT` (mutual TLS), `_SANDBOX_PORT` (default:
        DTIMON_SANDBOX_PORT + `port_offset`, which the source declares), `_SCALE` (its sandbox's
        scale; default: the source's own `scale`, else DTIMON_SANDBOX_SCALE)."""
        prefix = source_prefix(name)
        return SourceSettings(
            name=name,
            configured_url=self.variables.get(prefix + "URL") or None,
            username=self.variables.get(prefix + "USERNAME") or SANDBOX_USERNAME,
            password=self.variables.get(prefix + "PASSWORD") or SANDBOX_PASSWORD,
            token=self.variables.get(prefix + "TOKEN") or "",
            sandbox_port=_int(self.variables, prefix + "SANDBOX_PORT", self.sandbox_port + port_offset),
            client_cert=self.variables.get(prefix + "CLIENT_CERT") or "",
            client_key=self.variables.get(prefix + "CLIENT_KEY") or "",
            ca_cert=self.variables.get(prefix + "CA_CERT") or "",
            sandbox_scale=_float(
                self.variables, prefix + "SCALE", self.sandbox_scale if scale is None else scale
            ),
        )
