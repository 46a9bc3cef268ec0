"""Where Metabase is and how it reaches the warehouse, from the environment (nothing committed)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from core.settings import ConfigError, Settings
from core.warehouse_url import DEFAULT_PORT, PgUrl
from publishing.bi_login import LOGIN_ROLE, PASSWORD_ENV

#: The name of the warehouse connection in Metabase: how provisioning finds it again.
DATABASE_NAME = "dtimon bi"


@dataclass(frozen=True)
class MetabaseConfig:
    """`METABASE_URL` and its credentials (an API key, or a user and password), and the
    connection Metabase is given: the BI login on the warehouse, host and port as Metabase
    sees them (`DTIMON_BI_HOST`/`DTIMON_BI_PORT`/`DTIMON_BI_DATABASE`, default: the warehouse's)."""

    url: str | None
    api_key: str | None
    user: str | None
    password: str | None
    bi_host: str
    bi_port: int
    bi_database: str
    bi_user: str
    bi_password: str | None

    @property
    def configured(self) -> bool:
        return bool(self.url)

    @classmethod
    def from_env(
        cls, settings: Settings, env: Mapping[str, str] | None = None, warehouse_url: str | None = None
    ) -> MetabaseConfig:
        env = os.environ if env is None else env
        warehouse = PgUrl.parse(warehouse_url or settings.warehouse_url)
        # the owner's socket folder is no host for Metabase: it logs in over TCP on the same port
        host = "" if warehouse.host.startswith("/") else warehouse.host
        port = env.get("DTIMON_BI_PORT") or str(warehouse.port or DEFAULT_PORT)
        if not port.isdigit():
            raise ConfigError(f"DTIMON_BI_PORT={port!r} is not a port number")
        config = cls(
            url=(env.get("METABASE_URL") or "").rstrip("/") or None,
            api_key=env.get("METABASE_API_KEY") or None,
            user=env.get("METABASE_USER") or None,
            password=env.get("METABASE_PASSWORD") or None,
            bi_host=env.get("DTIMON_BI_HOST") or host or "127.0.0.1",
            bi_port=int(port),
            bi_database=env.get("DTIMON_BI_DATABASE") or warehouse.database,
            bi_user=LOGIN_ROLE,
            bi_password=env.get(PASSWORD_ENV) or None,
        )
        if config.url and not config.api_key and not (config.user and config.password):
            raise ConfigError(
                "METABASE_URL is set: also set METABASE_API_KEY, or METABASE_USER and METABASE_PASSWORD"
            )
        return config
