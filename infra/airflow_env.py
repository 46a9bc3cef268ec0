"""The environment every Airflow process of a local dtimon installation runs with.

Airflow reads its configuration from `AIRFLOW__*` variables and connections from
`AIRFLOW_CONN_*`; this module derives both from `Settings` so the CLI, the tests and
`make up` start Airflow the same way. A value the user already exported wins.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

from core.settings import DEFAULT_PROVINCE_CODE, PROJECT_ROOT, ConfigError, Settings, SourceSettings
from core.warehouse_url import DEFAULT_PORT, PgUrl
from infra.sandbox_certificates import with_local_certificates
from ingestion.origins import url_origin
from ingestion.sources import SOURCES, Source

WAREHOUSE_CONN_ID = "dtimon_warehouse"
#: The simple auth manager's one user (role admin), and the file Airflow keeps passwords in.
ADMIN_USER = "admin"
PASSWORDS_FILE = "simple_auth_manager_passwords.json.generated"
DEFAULT_API_PORT = 8080
AIRFLOW_PORT_VARIABLE = "DTIMON_AIRFLOW_PORT"


def airflow_port(env: Mapping[str, str] | None = None) -> int:
    """The API server's port: DTIMON_AIRFLOW_PORT, default 8080."""
    env = os.environ if env is None else env
    raw = env.get(AIRFLOW_PORT_VARIABLE) or str(DEFAULT_API_PORT)
    if not raw.isdigit():
        raise ConfigError(f"{AIRFLOW_PORT_VARIABLE}={raw!r} is not a port number")
    return int(raw)


def source_conn_id(source: str) -> str:
    """The Airflow connection of a registered source: `dtimon_<source>`."""
    return f"dtimon_{source}"


def source_settings(settings: Settings, source: Source) -> SourceSettings:
    """`DTIMON_<SOURCE>_*` of a registered source (its sandbox port offset comes from the registry);
    a sandboxed source that declares `ClientCertificate` gets dtimon's local certificates for the
    settings the operator left unset."""
    offset = source.sandbox.port_offset if source.sandbox else 0
    scale = source.sandbox.scale if source.sandbox else None
    return with_local_certificates(
        settings, source, settings.source(source.name, port_offset=offset, scale=scale)
    )


def sqlalchemy_url(url: str) -> str:
    """Airflow's metadata URL for a libpq URL (`postgresql://` → `postgresql+psycopg2://`)."""
    return PgUrl.parse(url).sqlalchemy()


def postgres_conn(url: str) -> str:
    """An Airflow connection (JSON form) for a libpq URL; libpq options go into `extra`."""
    parts = PgUrl.parse(url)
    conn: dict[str, object] = {
        "conn_type": "postgres",
        "host": parts.host,
        "port": parts.port or DEFAULT_PORT,
        "login": parts.user,
        "password": parts.password,
        "schema": parts.database,
    }
    if parts.options:
        conn["extra"] = parts.option
    return json.dumps(conn)


def source_conn(settings: Settings, config: SourceSettings) -> str:
    """An Airflow HTTP connection (JSON form) for one source's endpoint, credentials and origin."""
    extra: dict[str, str] = {"origin": source_origin(settings, config)}
    if config.token:
        extra["token"] = config.token
    for name in ("client_cert", "client_key", "ca_cert"):  # mutual TLS: file paths
        if value := getattr(config, name):
            extra[name] = value
    conn: dict[str, object] = {
        "conn_type": "http",
        "host": config.url,
        "login": config.username,
        "password": config.password,
        "extra": extra,
    }
    return json.dumps(conn)


def connections(settings: Settings) -> dict[str, str]:
    """`AIRFLOW_CONN_*` variables: the warehouse and one per registered source."""
    conns = {f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": postgres_conn(settings.warehouse_url)}
    for source in SOURCES.values():
        conn_id = source_conn_id(source.name)
        conns[f"AIRFLOW_CONN_{conn_id.upper()}"] = source_conn(settings, source_settings(settings, source))
    return conns


def source_origin(settings: Settings, config: SourceSettings) -> str:
    """What fills a source: its real endpoint, or what its sandbox serves.

    Stable for the same configuration (the sandbox's port is not part of it), and recorded
    by the first ingest in ops.source_origins: another origin is refused later.
    """
    if config.configured_url:
        return url_origin(config.configured_url)
    if settings.sandbox_data_dir:
        return f"sandbox data folder {settings.sandbox_data_dir}"
    origin = f"sandbox seed {settings.sandbox_seed} scale {config.sandbox_scale:g}"
    # another province is another origin; the shipped one's keeps the origin it always had
    if settings.province_code != DEFAULT_PROVINCE_CODE:
        origin += f" province {settings.province_code}"
    return origin


def airflow_env(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A full process environment for Airflow commands: `base` (default: os.environ) plus ours."""
    env = dict(os.environ if base is None else base)
    api_port = airflow_port(env)
    venv_bin = str(Path(sys.executable).parent)
    ours = {
        "AIRFLOW_HOME": str(settings.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url(settings.airflow_db_url),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        # every server on 127.0.0.1 only (the default is 0.0.0.0); its port beside the API's
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(api_port + 4),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # task logs are their owner's only (Airflow's defaults are 0o775 and 0o664)
        "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FOLDER_PERMISSIONS": "0o700",
        "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FILE_PERMISSIONS": "0o600",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        **connections(settings),
        "DTIMON_HOME": str(settings.home),
        "DTIMON_ENV": settings.environment,
        "NO_PROXY": "127.0.0.1,localhost",
        "PATH": venv_bin + os.pathsep + env.get("PATH", ""),
    }
    for key, value in ours.items():
        if key == "PATH" or key not in env:
            env[key] = value
    return env


def passwords_file(settings: Settings) -> Path:
    """Where Airflow's simple auth manager reads its users' passwords (JSON, user → password)."""
    return settings.airflow_home / PASSWORDS_FILE


def ensure_admin_password(settings: Settings) -> str:
    """The Airflow admin's password, generated here into its 0600 file if it has none yet.

    Airflow would generate one itself and write it to the api-server's log; with the password
    already in the file it does neither.
    """
    path = passwords_file(settings)
    try:
        passwords = json.loads(path.read_text() or "{}")
    except FileNotFoundError:
        passwords = {}
    except ValueError as exc:
        raise ConfigError(f"{path} is not JSON ({exc}): delete it and run `make up` again") from exc
    if ADMIN_USER not in passwords:
        passwords[ADMIN_USER] = secrets.token_urlsafe(16)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(passwords) + "\n")
    return str(passwords[ADMIN_USER])
