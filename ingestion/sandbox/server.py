"""The sandbox HTTP server: the one-stop-shop pull API (`/dvc/v1/...`) and `/_sim/...` control.

`SandboxServer` serves one `Province` on a background thread (`with SandboxServer(...) as
srv: srv.url`) or in the calling thread (`serve_forever`, used by the CLI). The contract is
in README.md; the handlers below follow it literally.
"""

from __future__ import annotations

import bisect
import hmac
import secrets
import ssl
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from ingestion.sandbox.faults import FaultSwitch, malform
from ingestion.sandbox.province import (
    DOSSIERS_FILE,
    FEEDBACK_FILE,
    PROGRESS_FILE,
    RATINGS_FILE,
    Province,
    Unservable,
    dossier_order,
    feedback_order,
    format_stamp,
    gc_paused,
    parse_stamp,
    progress_order,
    rating_order,
)

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
IDLE_CONNECTION_SECONDS = 120

MSG_BAD_LOGIN = "Sai tên đăng nhập hoặc mật khẩu"
MSG_SESSION_EXPIRED = "Phiên làm việc hết hạn"
MSG_SYSTEM_ERROR = "Lỗi hệ thống"


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
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)


class TokenStore:
    """Opaque bearer tokens with a time to live (monotonic clock); revocable all at once."""

    def __init__(self, ttl: int) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}

    def issue(self) -> str:
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._expiry = {t: e for t, e in self._expiry.items() if e > now}
            self._expiry[token] = now + self.ttl
        return token

    def valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._expiry.get(token)
        return expiry is not None and expiry > time.monotonic()

    def revoke_all(self) -> None:
        with self._lock:
            self._expiry.clear()


class _Feed:
    """Records in feed order with their timestamp column, for inclusive window queries; a
    replayed line the sandbox cannot order is served as it is after the records of its time,
    its `file:line` in `origins` (by position)."""

    def __init__(
        self,
        records: list[dict],
        stamp_field: str,
        order: Callable[[dict], Any],
        end: str,
        unservable: list[Unservable] = (),  # type: ignore[assignment]
    ) -> None:
        self.records: list[Any] = sorted((r for r in records if r[stamp_field] < end), key=order)
        self._stamps = [r[stamp_field] for r in self.records]
        self.origins: dict[int, str] = {}
        for line in sorted((u for u in unservable if u.stamp < end), key=lambda u: u.stamp):
            position = bisect.bisect_right(self._stamps, line.stamp)
            self.records.insert(position, line.value)
            self._stamps.insert(position, line.stamp)
            self.origins = {i + (i >= position): o for i, o in self.origins.items()}
            self.origins[position] = line.origin

    def window(self, first: str, last: str) -> tuple[int, int]:
        return bisect.bisect_left(self._stamps, first), bisect.bisect_right(self._stamps, last)


class _App:
    """Request → Response, independent of the socket layer."""

    def __init__(
        self, province: Province, username: str, password: str, token_ttl: int, mode: str, log: bool
    ) -> None:
        self.mode = mode
        self.log_enabled = log
        self.clock_end = format_stamp(province.clock_end)
        self.username = username.encode()
        self.password = password.encode()
        self.tokens = TokenStore(token_ttl)
        self.faults = FaultSwitch(on_token_expiry=self.tokens.revoke_all)
        self.stopping = threading.Event()
        with gc_paused():
            unservable = province.unservable
            self.dossiers = _Feed(
                province.dossiers,
                "_updated_at",
                dossier_order,
                self.clock_end,
                unservable.get(DOSSIERS_FILE, []),
            )
            self.progress = _Feed(
                province.progress,
                "ThoiDiemXuLy",
                progress_order,
                self.clock_end,
                unservable.get(PROGRESS_FILE, []),
            )
            self.ratings = _Feed(
                province.ratings,
                "ThoiGianDanhGia",
                rating_order,
                self.clock_end,
                unservable.get(RATINGS_FILE, []),
            )
            self.feedback = _Feed(
                province.feedback,
                "NgayCapNhat",
                feedback_order,
                self.clock_end,
                unservable.get(FEEDBACK_FILE, []),
            )
        self.procedures = sorted(province.procedures, key=lambda r: r["MATTHC"])
        self.agencies = sorted(province.agencies, key=lambda r: r["MADONVI"])
        # path → (method, needs a bearer token, handler)
        self.routes: dict[str, tuple[str, bool, Callable[[Request], Response]]] = {
            "/dvc/v1/token": ("POST", False, self._token),
            "/dvc/v1/hoso": ("GET", True, lambda r: self._window_page(r, "hoso", self.dossiers)),
            "/dvc/v1/tiendo": ("GET", True, lambda r: self._window_page(r, "tiendo", self.progress)),
            "/dvc/v1/danhgia": ("GET", True, lambda r: self._window_page(r, "danhgia", self.ratings)),
            "/dvc/v1/pakn": ("GET", True, lambda r: self._window_page(r, "pakn", self.feedback)),
            "/dvc/v1/thutuc": ("GET", True, lambda r: self._catalogue_page(r, "thutuc", self.procedures)),
            "/dvc/v1/coquan": ("GET", True, lambda r: self._catalogue_page(r, "coquan", self.agencies)),
        }

    def log(self, line: str) -> None:
        if self.log_enabled:
            sys.stderr.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} sandbox {line}\n")
            sys.stderr.flush()

    def handle(self, request: Request) -> Response | None:
        """The response, or None to close the connection without one (timeout fault)."""
        if request.path.startswith("/_sim/"):
            return self._simulator(request)
        route = self.routes.get(request.path)
        if route is None:
            return _error(404, "not_found")
        method, needs_token, handler = route
        if request.method != method:
            return Response(405, {"error_code": "405", "message": "method_not_allowed"}, {"Allow": method})
        effects = self.faults.take()
        if effects.delay:
            self.stopping.wait(effects.delay)
        if effects.timeout is not None:
            self.stopping.wait(effects.timeout)
            return None
        if effects.retry_after is not None:
            headers = {"Retry-After": str(effects.retry_after)}
            return Response(429, {"error_code": "429", "message": "Quá nhiều yêu cầu"}, headers)
        if effects.server_error is not None:
            return Response(effects.server_error, {"error_code": "500", "message": MSG_SYSTEM_ERROR})
        if needs_token and not self._authorised(request):
            return Response(401, {"error_code": "-1", "message": MSG_SESSION_EXPIRED})
        return handler(request)

    # --- /_sim ----------------------------------------------------------------------------

    def _simulator(self, request: Request) -> Response:
        if request.path == "/_sim/health" and request.method == "GET":
            return Response(200, self._health())
        if request.path != "/_sim/fault":
            return Response(404, {"error": "not_found"})
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

    def _health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "mode": self.mode,
            "clock_end": self.clock_end,
            "counts": {
                "agencies": len(self.agencies),
                "procedures": len(self.procedures),
                "dossier_versions": len(self.dossiers.records),
                "progress": len(self.progress.records),
                "ratings": len(self.ratings.records),
                "feedback": len(self.feedback.records),
            },
        }

    # --- API ------------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        try:
            body = orjson.loads(request.body or b"null")
        except orjson.JSONDecodeError:
            body = None
        username = body.get("username") if isinstance(body, dict) else None
        password = body.get("password") if isinstance(body, dict) else None
        if not (isinstance(username, str) and isinstance(password, str)):
            return Response(401, {"error_code": 401, "message": MSG_BAD_LOGIN})
        user_ok = hmac.compare_digest(username.encode(), self.username)
        password_ok = hmac.compare_digest(password.encode(), self.password)
        if not (user_ok and password_ok):
            return Response(401, {"error_code": 401, "message": MSG_BAD_LOGIN})
        payload = {
            "error_code": 0,
            "message": "",
            "access_token": self.tokens.issue(),
            "token_type": "Bearer",
            "expires_in": self.tokens.ttl,
        }
        return Response(200, payload)

    def _authorised(self, request: Request) -> bool:
        if request.certified:  # mutual TLS: the verified certificate is the credential
            return True
        scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
        return scheme.lower() == "bearer" and self.tokens.valid(token.strip())

    def _window_page(self, request: Request, endpoint: str, feed: _Feed) -> Response:
        paging = _paging(request.query)
        if isinstance(paging, Response):
            return paging
        bounds = []
        for name in ("updated_from", "updated_to"):
            value = _param(request.query, name)
            if value is None:
                return _error(400, f"missing_{name}")
            try:
                parse_stamp(value)
            except ValueError:
                return _error(400, f"invalid_{name}")
            bounds.append(value)
        if bounds[0] > bounds[1]:
            return _error(400, "updated_from_after_updated_to")
        first, stop = feed.window(bounds[0], bounds[1])
        return self._page(endpoint, feed.records, first, stop, *paging, feed.origins)

    def _catalogue_page(self, request: Request, endpoint: str, records: list[dict]) -> Response:
        paging = _paging(request.query)
        if isinstance(paging, Response):
            return paging
        return self._page(endpoint, records, 0, len(records), *paging)

    def _page(
        self,
        endpoint: str,
        records: list[Any],
        first: int,
        stop: int,
        page: int,
        page_size: int,
        origins: dict[int, str] | None = None,
    ) -> Response:
        start = min(stop, first + (page - 1) * page_size)
        end = min(stop, start + page_size)
        data: list[Any] = records[start:end]
        rate = self.faults.take_malformed()
        if rate is not None:
            data = malform(endpoint, data, rate, page)
        payload = {
            "error_code": "0" if page % 2 else 0,  # the real feed mixes both types
            "message": "",
            "total": stop - first,
            "page": page,
            "page_size": page_size,
            "data": data,
        }
        served = {str(i - start): o for i, o in (origins or {}).items() if start <= i < end}
        if served:  # replay only: file:line of the lines served as they are, by position in data
            payload["origins"] = served
        return Response(200, payload)


def _param(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _paging(query: dict[str, list[str]]) -> tuple[int, int] | Response:
    parsed = []
    for name, default in (("page", 1), ("page_size", DEFAULT_PAGE_SIZE)):
        raw = _param(query, name)
        if raw is None:
            parsed.append(default)
            continue
        try:
            value = int(raw.strip())
        except ValueError:
            return _error(400, f"invalid_{name}")
        if value < 1:
            return _error(400, f"invalid_{name}")
        parsed.append(value)
    if parsed[1] > MAX_PAGE_SIZE:
        return _error(400, "page_size_too_large")
    return parsed[0], parsed[1]


def _error(status: int, message: str) -> Response:
    return Response(status, {"error_code": str(status), "message": message})


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: _App, tls: ssl.SSLContext | None = None) -> None:
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
            response = app.handle(request) if length >= 0 else _error(400, "invalid_content_length")
        except Exception:  # a bug must not kill the connection thread silently
            app.log(traceback.format_exc().rstrip())
            response = Response(500, {"error_code": "500", "message": "internal_error"})
        elapsed = (time.monotonic() - started) * 1000
        if response is None:
            self.close_connection = True
            app.log(f'{self.client_address[0]} "{self.requestline}" closed-without-answer {elapsed:.0f}ms')
            return
        data = orjson.dumps(response.payload)
        # logged before the body leaves: a client that stops the server on its answer still finds the line
        app.log(
            f'{self.client_address[0]} "{self.requestline}" {response.status} {len(data)}B {elapsed:.0f}ms'
        )
        self.send_response_only(response.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base signature)
        self.server.app.log(f"{self.client_address[0]} {format % args}")


class SandboxServer:
    """Serve a Province over HTTP. A context manager (background thread) or `serve_forever`."""

    def __init__(
        self,
        province: Province,
        *,
        username: str,
        password: str,
        host: str = "127.0.0.1",
        port: int = 0,
        token_ttl: int = 1800,
        mode: str = "generated",
        log: bool = True,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._app = _App(province, username, password, token_ttl, mode, log)
        self._tls = tls  # `ingestion.sandbox.tls.server_context`: https, client certificates if it says
        self._address = (host, port)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url = ""

    @property
    def faults(self) -> FaultSwitch:
        return self._app.faults

    @property
    def clock_end(self) -> datetime:
        return parse_stamp(self._app.clock_end)

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (binds the socket if not yet bound)."""
        if not self._url:
            self._bind()
        return self._url

    def start(self) -> SandboxServer:
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

    def __enter__(self) -> SandboxServer:
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
