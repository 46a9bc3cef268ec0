"""A small client for Metabase's REST API (requests; JSON in, JSON out).

Authentication as documented (docs/api/session.md; docs/people-and-groups/api-keys.md):
an API key in the `X-API-Key` header, or `POST /api/session` with `username` and `password`,
whose `id` is then sent as the `X-Metabase-Session` header. Every write is counted, so a
caller (and the tests) can tell that an apply changed nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

log = logging.getLogger(__name__)


class MetabaseError(RuntimeError):
    """Metabase answered with an error status; the message has the method, path and body."""


class MetabaseClient:
    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self.writes: list[tuple[str, str]] = []
        if api_key:
            self.http.headers["X-API-Key"] = api_key
        elif user and password:
            session = self._request(
                "POST", "/api/session", {"username": user, "password": password}, count=False
            )
            self.http.headers["X-Metabase-Session"] = session["id"]
        else:
            raise MetabaseError("no Metabase credentials: an API key, or a user and password")

    def _request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        *,
        count: bool = True,
    ) -> Any:
        response = self.http.request(method, self.url + path, json=body, params=params, timeout=self.timeout)
        if count and method != "GET":
            self.writes.append((method, path))
        if response.status_code >= 400:
            raise MetabaseError(f"{method} {path}: HTTP {response.status_code}: {response.text[:500]}")
        log.debug("%s %s: %s", method, path, response.status_code)
        if not response.content:
            return None
        return response.json()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._request("POST", path, body if body is not None else {})

    def put(self, path: str, body: dict[str, Any]) -> Any:
        return self._request("PUT", path, body)
