"""The one HTTP client every source uses.

- timeouts on connect and read, always;
- retries with jittered exponential backoff on 5xx, connection errors and timeouts;
- `Retry-After` honoured on 429 (seconds or an HTTP date), capped;
- auth chosen per source: none, a token login (`TokenAuth`: credentials as JSON or an OAuth2
  client-credentials grant), an expiring bearer
  (`ExpiringTokenAuth`, renewed before it expires), a fixed bearer (`StaticToken`), a client
  certificate (`MutualTLS`), a system id and secret sent as headers (`SystemCredentials`) or a
  fixed token in a header of the source's naming (`HeaderToken`); a token that can be renewed is renewed once when a call answers
  401; a refused TLS handshake fails at once (retrying cannot cure it);
- payloads as JSON (decoded with orjson), text (XML, CSV; decoded with the answer's
  charset), parsed XML, bytes (a body POSTed as it is, too), or a body streamed in chunks to a reader (`read_stream`); nothing personal is logged (paths and statuses only).

Sources describe their endpoints and envelopes in `ingestion/sources/`; this module knows
only transport.
"""

from __future__ import annotations

import random
import ssl
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson
import requests
from requests.adapters import HTTPAdapter

from ingestion.privacy import mask_text, masked_logger

log = masked_logger(__name__)

RETRY_STATUSES = frozenset({500, 502, 503, 504})
T = TypeVar("T")


class SourceError(RuntimeError):
    """The source failed in a way retrying did not fix, or answered something unusable."""


class AuthError(SourceError):
    """Credentials were refused, or a fresh token was refused too."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client tries. Defaults suit a government endpoint on a slow link."""

    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    connect_timeout: float = 5.0
    read_timeout: float = 60.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max, base·2^attempt)] (attempt counts from 1)."""
        return rng.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class TokenAuth:
    """Bearer token obtained by POSTing credentials as JSON to `path`, or, with `client_credentials`,
    as an OAuth2 client-credentials grant (RFC 6749 §4.4: the form `grant_type=client_credentials`
    with the credentials in HTTP Basic); the answer names it `token_field`.

    The token is kept until a call answers 401, then fetched again once.
    """

    path: str
    username: str
    password: str = field(repr=False)
    token_field: str = "access_token"
    client_credentials: bool = False


@dataclass(frozen=True)
class ExpiringTokenAuth(TokenAuth):
    """A token login whose answer also says how long the token lives (`expires_field`, seconds).

    The token is renewed `margin` seconds before it expires, and once on a 401.
    """

    expires_field: str = "expires_in"
    margin: float = 30.0


@dataclass(frozen=True)
class StaticToken:
    """A fixed bearer token (issued out of band); a 401 cannot be cured by renewing it."""

    token: str = field(repr=False)


@dataclass(frozen=True)
class MutualTLS:
    """Mutual TLS: the client shows `cert` (PEM file) with its private `key` (PEM file), and the
    server's certificate must chain to `ca` (PEM file; empty: the system's authorities)."""

    cert: str
    key: str = field(repr=False)
    ca: str = ""

    def __post_init__(self) -> None:
        for what, path in (("client certificate", self.cert), ("client key", self.key), ("CA", self.ca)):
            if path and not Path(path).is_file():
                raise AuthError(f"mutual TLS: the {what} file {path} does not exist")
        if not (self.cert and self.key):
            raise AuthError("mutual TLS needs a client certificate and its key")


@dataclass(frozen=True)
class SystemCredentials:
    """A connected system's id and shared secret, sent as the headers `systemid` and `secret` with
    every call (how the national document axis's SDKs authenticate a system)."""

    system_id: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class HeaderToken:
    """A fixed token sent in a header the source names with every call (the HueCIT field-report
    API's `token: …`); a 401 cannot be cured by renewing it."""

    header: str
    token: str = field(repr=False)


Auth = TokenAuth | StaticToken | MutualTLS | SystemCredentials | HeaderToken | None


def retry_after_seconds(
    value: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), else None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


class ApiClient:
    """HTTP with retries and per-source auth. One instance per source and task run."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: Auth = None,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_in_flight: int = 1,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.policy = policy or RetryPolicy()
        self.session = session or requests.Session()
        #: the most requests this source is sent at once (its paging may use them all)
        self.max_in_flight = max_in_flight
        if max_in_flight > 1 and session is None:
            adapter = HTTPAdapter(pool_maxsize=max_in_flight)
            self.session.mount("http://", adapter)
            self.session.mount("https://", adapter)
        #: the CA file of the server's certificate, given with every call (requests lets
        #: REQUESTS_CA_BUNDLE override a session's own); None: the default authorities
        self._verify: str | None = None
        if isinstance(auth, MutualTLS):
            self.session.cert = (auth.cert, auth.key)
            self._verify = auth.ca or None
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._login_lock = threading.Lock()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._clock = clock
        self._token: str | None = auth.token if isinstance(auth, StaticToken) else None
        self._token_expires: float | None = None
        self.requests_sent = 0
        self.logins = 0

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.close()

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._decode_json(self._call("GET", path, params=params), "GET", path)

    def post_json(self, path: str, body: Any) -> Any:
        return self._decode_json(self._call("POST", path, body=body), "POST", path)

    def put_json(self, path: str, body: Any) -> Any:
        return self._decode_json(self._call("PUT", path, body=body), "PUT", path)

    def read_stream(
        self,
        path: str,
        read: Callable[[Iterator[bytes]], T],
        *,
        accept: str = "application/octet-stream",
        chunk_size: int = 64 * 1024,
    ) -> T:
        """GET `path` and hand its body to `read` in chunks as they arrive (a large package is
        never held whole). The request is retried as any other; a body cut short fails the call."""
        response = self._call("GET", path, accept=accept, stream=True)
        with response:
            try:
                return read(response.iter_content(chunk_size))
            except requests.RequestException as exc:
                raise SourceError(f"GET {path}: the answer was cut short: {type(exc).__name__}") from None

    def get_text(
        self, path: str, params: Mapping[str, Any] | None = None, *, accept: str = "text/plain, */*"
    ) -> str:
        """The answer as text, decoded with its declared charset (UTF-8 when it declares none)."""
        response = self._call("GET", path, params=params, accept=accept)
        return response.content.decode(response.encoding or "utf-8", errors="replace")

    def get_bytes(
        self, path: str, params: Mapping[str, Any] | None = None, *, accept: str = "application/octet-stream"
    ) -> bytes:
        """The answer's body as it came (documents, archives, images)."""
        return self._call("GET", path, params=params, accept=accept).content

    def get_xml(self, path: str, params: Mapping[str, Any] | None = None) -> ET.Element:
        """The answer parsed as XML (the root element). Entity declarations are refused by expat's limits."""
        content = self._call("GET", path, params=params, accept="application/xml, text/xml").content
        try:
            return ET.fromstring(content)
        except ET.ParseError as exc:
            raise SourceError(f"GET {path}: answer is not XML: {exc}") from exc

    def post(self, path: str, body: Any, *, accept: str = "application/json") -> bytes:
        """POST a JSON body and return the answer's body (e.g. an acknowledgement)."""
        return self._call("POST", path, body=body, accept=accept).content

    def post_bytes(self, path: str, content: bytes, *, content_type: str, accept: str) -> bytes:
        """POST `content` as it is (an XML search request, say) and return the answer's body."""
        return self._call("POST", path, content=content, content_type=content_type, accept=accept).content

    def get_json_body(self, path: str, params: Mapping[str, Any] | None = None) -> bytes:
        """A JSON answer's body undecoded, for a source that decodes it into its declared shapes
        (`json_body` decodes it the way `get_json` does when that fails)."""
        return self._call("GET", path, params=params).content

    @staticmethod
    def _decode_json(response: requests.Response, method: str, path: str) -> Any:
        return json_body(response.content, f"{method} {path}")

    def _login(self) -> str:
        assert isinstance(self.auth, TokenAuth)
        self.logins += 1
        if self.auth.client_credentials:
            response = self._call(
                "POST",
                self.auth.path,
                content=b"grant_type=client_credentials",
                content_type="application/x-www-form-urlencoded",
                authenticated=False,
                basic=(self.auth.username, self.auth.password),
            )
        else:
            response = self._call(
                "POST",
                self.auth.path,
                body={"username": self.auth.username, "password": self.auth.password},
                authenticated=False,
            )
        answer = self._decode_json(response, "POST", self.auth.path)
        token = answer.get(self.auth.token_field) if isinstance(answer, dict) else None
        if not token:
            raise AuthError(f"{self.auth.path} answered without {self.auth.token_field!r}")
        self._token_expires = None
        if isinstance(self.auth, ExpiringTokenAuth):
            try:
                lifetime = float(answer[self.auth.expires_field])
            except (KeyError, TypeError, ValueError):
                raise AuthError(
                    f"{self.auth.path} answered without a number of seconds in {self.auth.expires_field!r}"
                ) from None
            self._token_expires = self._clock() + max(0.0, lifetime - self.auth.margin)
        return str(token)

    def _bearer(self) -> str | None:
        """The token to send now: logged in lazily, renewed when it is about to expire (once,
        when several requests are in flight)."""
        if not isinstance(self.auth, TokenAuth):
            return self._token
        with self._login_lock:
            expired = self._token_expires is not None and self._clock() >= self._token_expires
            if self._token is None or expired:
                if expired:
                    log.info("token expires; renewing it before the call")
                self._token = self._login()
            return self._token

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        content: bytes | None = None,
        content_type: str = "application/octet-stream",
        accept: str = "application/json",
        authenticated: bool = True,
        stream: bool = False,
        basic: tuple[str, str] | None = None,
    ) -> requests.Response:
        url = f"{self.base_url}{path}"
        authenticated = authenticated and self.auth is not None
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            headers = {"Accept": accept}
            if body is not None:
                headers["Content-Type"] = "application/json"
            elif content is not None:
                headers["Content-Type"] = content_type
            if authenticated and isinstance(self.auth, SystemCredentials):
                headers["systemid"] = self.auth.system_id
                headers["secret"] = self.auth.secret
            elif authenticated and isinstance(self.auth, HeaderToken):
                headers[self.auth.header] = self.auth.token
            elif authenticated:
                headers["Authorization"] = f"Bearer {self._bearer()}"
            try:
                with self._slots:
                    self.requests_sent += 1
                    response = self.session.request(
                        method,
                        url,
                        params=params,
                        data=orjson.dumps(body) if body is not None else content,
                        headers=headers,
                        timeout=(self.policy.connect_timeout, self.policy.read_timeout),
                        verify=self._verify,
                        stream=stream,
                        auth=basic,
                    )
            except requests.exceptions.SSLError as exc:
                raise AuthError(f"{method} {path}: TLS refused: {_tls_reason(exc)}") from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                self._retry_or_raise(attempt, f"{method} {path}: {type(exc).__name__}", None)
                continue

            status = response.status_code
            if status >= 400 and stream:
                response.content  # noqa: B018 - read the short error body, so the connection is reused
            if status == 401 and authenticated and isinstance(self.auth, TokenAuth):
                if refreshed:
                    raise AuthError(f"{method} {path}: 401 even with a fresh token")
                log.info("%s %s: 401, refreshing the token once", method, path)
                self._token = None
                refreshed = True
                attempt -= 1  # a token refresh is not a failed attempt
                continue
            if status == 429:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                self._retry_or_raise(attempt, f"{method} {path}: 429", wait)
                continue
            if status in RETRY_STATUSES:
                self._retry_or_raise(attempt, f"{method} {path}: {status}", None)
                continue
            if status >= 400:
                raise (AuthError if status in (401, 403) else SourceError)(
                    f"{method} {path}: HTTP {status}: {mask_text(response.text[:300])}"
                )
            return response

    def _retry_or_raise(self, attempt: int, what: str, retry_after: float | None) -> None:
        if attempt >= self.policy.max_attempts:
            raise SourceError(f"{what}; gave up after {attempt} attempts")
        if retry_after is not None:
            wait = min(retry_after, self.policy.retry_after_max)
        else:
            wait = self.policy.backoff(attempt, self._rng)
        log.warning("%s; attempt %d of %d, retrying in %.2f s", what, attempt, self.policy.max_attempts, wait)
        self._sleep(wait)


def _tls_reason(exc: BaseException) -> str:
    """Why a TLS handshake failed, in a few words, from the SSL error under requests' wrappers."""
    seen: list[BaseException] = []
    todo: list[object] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or item in seen:
            continue
        seen.append(item)
        if isinstance(item, ssl.SSLCertVerificationError):
            return f"the server's certificate is not trusted ({item.verify_message})"
        if isinstance(item, ssl.SSLEOFError):
            return "the server closed the connection in the handshake (client certificate not trusted?)"
        if isinstance(item, ssl.SSLError) and item.reason:
            return str(item.reason).replace("_", " ").lower()
        todo += [*item.args, getattr(item, "reason", None), item.__cause__, item.__context__]
    return str(exc).splitlines()[0][:200]


def json_body(content: bytes, what: str) -> Any:
    """An answer's body decoded as JSON, or SourceError naming `what` ("GET /path") and its start."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        start = content[:200].decode(errors="replace")
        raise SourceError(f"{what}: answer is not JSON: {mask_text(start)!r}") from exc
