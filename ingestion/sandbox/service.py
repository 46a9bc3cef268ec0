"""The HTTP core every sandbox shares: requests and responses, the `/_sim/` control endpoints,
the transport faults, bearer tokens (`TokenStore`), the threaded server and its lifecycle.

A sandbox writes an `App` (its API: `api(request)`, its `health()`) and serves it with
`Service(app, host=..., port=..., tls=...)`: on a background thread (`with Service(...) as
srv: srv.url`) or in the calling thread (`serve_forever`, used by the command lines).
"""

from __future__ import annotations

import abc
import secrets
import ssl
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

import orjson

from ingestion.sandbox.faults import FaultSwitch

IDLE_CONNECTION_SECONDS = 120
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
#: what `App.transport_faults` returns for the timeout fault: close the connection unanswered
DROP: Literal["drop"] = "drop"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    #: the client showed a certificate the server verified (mutual TLS)
    certified: bool = False


@dataclass
class Response:
    status: int
    #: a JSON value, or bytes sent as they are (with `content_type`)
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_CONTENT_TYPE


class TokenStore:
    """Opaque bearer tokens with a time to live (monotonic clock); revocable all at once. `new`
    makes a token (default: 32 URL-safe characters); `uses`, when set, revokes a token after that
    many calls that `use` it."""

    def __init__(
        self,
        ttl: float,
        *,
        uses: int | None = None,
        new: Callable[[], str] = lambda: secrets.token_urlsafe(24),
    ) -> None:
        self.ttl = ttl
        self.uses = uses
        self._new = new
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}
        self._used: dict[str, int] = {}

    def issue(self) -> str:
        token = self._new()
        now = time.monotonic()
        with self._lock:
            self._expiry = {t: e for t, e in self._expiry.items() if e > now}
            self._used = {t: n for t, n in self._used.items() if t in self._expiry}
            self._expiry[token] = now + self.ttl
        return token

    def valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._expiry.get(token)
        return expiry is not None and expiry > time.monotonic()

    def use(self, token: str) -> bool:
        """Whether `token` is valid, counting one call (the last of `uses` revokes it)."""
        with self._lock:
            expiry = self._expiry.get(token)
            if expiry is None or expiry <= time.monotonic():
                return False
            if self.uses is not None:
                self._used[token] = used = self._used.get(token, 0) + 1
                if used >= self.uses:
                    del self._expiry[token]
            return True

    def revoke_all(self) -> None:
        with self._lock:
            self._expiry.clear()
            self._used.clear()


class App(abc.ABC):
    """Request → Response, independent of the socket layer: `/_sim/health`, `/_sim/fault` (and
    the sandbox's own `/_sim/` paths, `simulator_extra`), everything else to `api`."""

    def __init__(self, *, mode: str, log: bool, faults: FaultSwitch) -> None:
        self.mode = mode
        self.log_enabled = log
        self.faults = faults
        self.stopping = threading.Event()

    def log(self, line: str) -> None:
        if self.log_enabled:
            sys.stderr.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} sandbox {line}\n")
            sys.stderr.flush()

    def handle(self, request: Request) -> Response | None:
        """The response, or None to close the connection without one (timeout fault)."""
        if request.path.startswith("/_sim/"):
            return self._simulator(request)
        return self.api(request)

    @abc.abstractmethod
    def api(self, request: Request) -> Response | None:
        """The sandbox's own endpoints (None: close the connection unanswered)."""

    @abc.abstractmethod
    def health(self) -> dict[str, Any]:
        """The body of `GET /_sim/health`."""

    def simulator_extra(self, request: Request) -> Response | None:
        """A sandbox's further `/_sim/` endpoints; None: not one of them (404)."""
        return None

    def fault_body(self, status: int) -> Any:
        """The body of a 429 or 5xx answered by a fault (the native error envelope)."""
        return {"error": "too_many_requests" if status == 429 else "server_error"}

    def transport_faults(self) -> Response | Literal["drop"] | None:
        """Consume one use of each armed transport fault, in the documented order (latency, then
        timeout, 429, 5xx): the answer it forces, DROP for a timeout, or None to answer normally."""
        effects = self.faults.take()
        if effects.delay:
            self.stopping.wait(effects.delay)
        if effects.timeout is not None:
            self.stopping.wait(effects.timeout)
            return DROP
        if effects.retry_after is not None:
            return Response(429, self.fault_body(429), {"Retry-After": str(effects.retry_after)})
        if effects.server_error is not None:
            return Response(effects.server_error, self.fault_body(effects.server_error))
        return None

    def _simulator(self, request: Request) -> Response:
        if request.path == "/_sim/health" and request.method == "GET":
            return Response(200, self.health())
        if request.path != "/_sim/fault":
            extra = self.simulator_extra(request)
            return extra if extra is not None else Response(404, {"error": "not_found"})
        if request.method == "GET":
            return Response(200, {"faults": self.faults.active()})
        if request.method == "DELETE":
            self.faults.clear()
            return Response(200, {"status": "ok", "faults": []})
        if request.method == "POST":
            try:
                self.faults.set_from_request(orjson.loads(request.body or b"null"))
            except (ValueError, TypeError) as exc:
                return Response(400, {"error": str(exc)})
            return Response(200, {"status": "ok", "faults": self.faults.active()})
        return Response(405, {"error": "method_not_allowed"}, {"Allow": "GET, POST, DELETE"})


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: App, tls: ssl.SSLContext | None = None) -> None:
        self.app = app
        super().__init__(address, _Handler)
        if tls is not None:  # the handshake runs on the connection's own thread, at its first read
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line for a refused TLS handshake or a dropped connection, not a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ssl.SSLError, ConnectionError)):
            self.app.log(f"{client_address[0]} connection refused: {error}")
        else:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "dtimon-sandbox/1"
    timeout = IDLE_CONNECTION_SECONDS
    server: _HTTPServer

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._respond()

    def do_POST(self) -> None:  # noqa: N802
        self._respond()

    def do_DELETE(self) -> None:  # noqa: N802
        self._respond()

    def do_PUT(self) -> None:  # noqa: N802
        self._respond()

    def _respond(self) -> None:
        app = self.server.app
        started = time.monotonic()
        url = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        body = self.rfile.read(length) if length > 0 else b""
        certified = isinstance(self.connection, ssl.SSLSocket) and bool(self.connection.getpeercert())
        request = Request(self.command, url.path, parse_qs(url.query), self.headers, body, certified)
        try:
            if length >= 0:
                response = app.handle(request)
            else:
                response = Response(400, {"error_code": "400", "message": "invalid_content_length"})
        except Exception:  # a bug must not kill the connection thread silently
            app.log(traceback.format_exc().rstrip())
            response = Response(500, {"error_code": "500", "message": "internal_error"})
        elapsed = (time.monotonic() - started) * 1000
        if response is None:
            self.close_connection = True
            app.log(f'{self.client_address[0]} "{self.requestline}" closed-without-answer {elapsed:.0f}ms')
            return
        payload = response.payload
        data = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        # logged before the body leaves: a client that stops the server on its answer still finds the line
        app.log(
            f'{self.client_address[0]} "{self.requestline}" {response.status} {len(data)}B {elapsed:.0f}ms'
        )
        self.send_response_only(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base signature)
        self.server.app.log(f"{self.client_address[0]} {format % args}")


class Service:
    """Serve an `App` over HTTP(S). A context manager (background thread) or `serve_forever`."""

    def __init__(
        self, app: App, *, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
    ) -> None:
        self._app = app
        self._tls = tls  # `ingestion.sandbox.tls.server_context`: https, client certificates if it says
        self._address = (host, port)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url = ""

    @property
    def faults(self) -> FaultSwitch:
        return self._app.faults

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (binds the socket if not yet bound)."""
        if not self._url:
            self._bind()
        return self._url

    def start(self) -> Self:
        """Serve on a background thread; returns self."""
        httpd = self._bind()
        if self._thread is None:
            self._thread = threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="sandbox", daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (KeyboardInterrupt/SystemExit)."""
        try:
            self._bind().serve_forever(poll_interval=0.2)
        finally:
            self._close()

    def stop(self) -> None:
        self._app.stopping.set()
        if self._httpd is not None and self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _bind(self) -> _HTTPServer:
        if self._httpd is None:
            self._httpd = _HTTPServer(self._address, self._app, self._tls)
            host, port = self._httpd.server_address[:2]
            self._url = f"{'https' if self._tls else 'http'}://{host}:{port}"
        return self._httpd

    def _close(self) -> None:
        self._app.stopping.set()
        if self._httpd is not None:
            self._httpd.server_close()
            self._httpd = None
        self._thread = None
