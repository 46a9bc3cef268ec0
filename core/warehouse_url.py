"""The one conversion between a PostgreSQL URL and its parts.

`postgresql://user:pass@host:port/db?sslmode=require` is how a warehouse is named in
settings; Airflow connections, dbt's profile variables and SQLAlchemy want its parts or a
variant of it. Everything that takes a URL apart or puts one together goes through
`PgUrl`, so user names and passwords with special characters (`@ : / % #`), a missing
port, a host or database given as a query parameter and libpq options survive every hop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from core.errors import ConfigError

SCHEMES = frozenset({"postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"})
DEFAULT_PORT = 5432
#: Query parameters that name a part of the connection rather than a libpq option.
_PART_PARAMS = ("host", "port", "user", "password", "dbname")


def mask_url(url: str) -> str:
    """Any URL (PostgreSQL or HTTP) safe to print: the password, if any, replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit((parts.scheme, f"{user}:***@{hostinfo}", parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class PgUrl:
    """A PostgreSQL connection's parts; `str()` never shows the password (use `render()`)."""

    host: str = ""
    port: int | None = None
    user: str = ""
    password: str = field(default="", repr=False)
    database: str = ""
    #: libpq options (`sslmode`, `connect_timeout`, …) in the order given
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, url: str) -> PgUrl:
        """Parts of a libpq URL; the password and user are percent-decoded. ConfigError if malformed."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise ConfigError(f"{mask_url(url)} is not a postgresql:// URL")
        query = parse_qsl(parts.query, keep_blank_values=True)
        given = {key: value for key, value in query if key in _PART_PARAMS}
        try:
            port = parts.port
        except ValueError as exc:
            raise ConfigError(f"{mask_url(url)} has an invalid port") from exc
        if port is None and given.get("port"):
            if not given["port"].isdigit():
                raise ConfigError(f"{mask_url(url)} has an invalid port")
            port = int(given["port"])
        return cls(
            host=parts.hostname or given.get("host", ""),
            port=port,
            user=unquote(parts.username or "") or given.get("user", ""),
            password=unquote(parts.password or "") or given.get("password", ""),
            database=unquote(parts.path.lstrip("/")) or given.get("dbname", ""),
            options=tuple((key, value) for key, value in query if key not in _PART_PARAMS),
        )

    @classmethod
    def from_parts(
        cls,
        *,
        host: str | None,
        port: int | None,
        user: str | None,
        password: str | None,
        database: str | None,
        options: Mapping[str, str] | None = None,
    ) -> PgUrl:
        return cls(
            host=host or "",
            port=port or None,
            user=user or "",
            password=password or "",
            database=database or "",
            options=tuple((options or {}).items()),
        )

    def render(self, scheme: str = "postgresql") -> str:
        """The URL, with user and password percent-encoded (a round trip through `parse` is exact)."""
        auth = ""
        if self.user or self.password:
            auth = quote(self.user, safe="")
            if self.password:
                auth += ":" + quote(self.password, safe="")
            auth += "@"
        options = list(self.options)
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port else ""
        if host.startswith("/"):  # a Unix socket directory travels as a parameter, its port too
            options[:0] = [("host", host), *([("port", str(self.port))] if self.port else [])]
            host = port = ""
        path = "/" + quote(self.database, safe="") if self.database else ""
        return urlunsplit((scheme, f"{auth}{host}{port}", path, urlencode(options, safe="/"), ""))

    def masked(self) -> str:
        return mask_url(self.render())

    def __str__(self) -> str:
        return self.masked()

    def with_database(self, database: str) -> PgUrl:
        return replace(self, database=database)

    @property
    def option(self) -> dict[str, str]:
        """The libpq options as a dict (the last value wins)."""
        return dict(self.options)

    def sqlalchemy(self) -> str:
        """The URL SQLAlchemy (Airflow's metadata database) takes: driver psycopg2."""
        return self.render("postgresql+psycopg2")

    def sqlalchemy_with_host(self) -> tuple[str, dict[str, Any]]:
        """For tools that insist on a host name in the URL (Great Expectations' PostgresDatasource):
        a socket folder is replaced by `localhost` there and given back in create_engine's kwargs."""
        if not self.host.startswith("/"):
            return self.sqlalchemy(), {}
        return replace(self, host="localhost").sqlalchemy(), {"connect_args": {"host": self.host}}


def replace_database(url: str, database: str) -> str:
    """`url` pointing at another database on the same server."""
    return PgUrl.parse(url).with_database(database).render()
