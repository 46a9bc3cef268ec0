"""The sandbox HTTP server: the one-stop-shop pull API (`/dvc/v1/...`) and `/_sim/...` control.

`SandboxServer` serves one `Province` on a background thread (`with SandboxServer(...) as
srv: srv.url`) or in the calling thread (`serve_forever`, used by the CLI). The contract is
in README.md; the handlers below follow it literally.
"""

from __future__ import annotations

import bisect
import hmac
import ssl
from collections.abc import Callable
from datetime import datetime
from typing import Any

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
from ingestion.sandbox.service import DROP, App, Request, Response, Service, TokenStore

__all__ = ["Request", "Response", "SandboxServer", "TokenStore"]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500

MSG_BAD_LOGIN = "Sai tên đăng nhập hoặc mật khẩu"
MSG_SESSION_EXPIRED = "Phiên làm việc hết hạn"
MSG_SYSTEM_ERROR = "Lỗi hệ thống"


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


class _App(App):
    """The one-stop-shop pull API (`/dvc/v1/...`)."""

    def __init__(
        self, province: Province, username: str, password: str, token_ttl: int, mode: str, log: bool
    ) -> None:
        self.tokens = TokenStore(token_ttl)
        super().__init__(mode=mode, log=log, faults=FaultSwitch(on_token_expiry=self.tokens.revoke_all))
        self.clock_end = format_stamp(province.clock_end)
        self.username = username.encode()
        self.password = password.encode()
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

    def api(self, request: Request) -> Response | None:
        """The response, or None to close the connection without one (timeout fault)."""
        route = self.routes.get(request.path)
        if route is None:
            return _error(404, "not_found")
        method, needs_token, handler = route
        if request.method != method:
            return Response(405, {"error_code": "405", "message": "method_not_allowed"}, {"Allow": method})
        forced = self.transport_faults()
        if forced is not None:
            return None if forced == DROP else forced
        if needs_token and not self._authorised(request):
            return Response(401, {"error_code": "-1", "message": MSG_SESSION_EXPIRED})
        return handler(request)

    def fault_body(self, status: int) -> Any:
        if status == 429:
            return {"error_code": "429", "message": "Quá nhiều yêu cầu"}
        return {"error_code": "500", "message": MSG_SYSTEM_ERROR}

    # --- /_sim ----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
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


class SandboxServer(Service):
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
        self._province_app = _App(province, username, password, token_ttl, mode, log)
        super().__init__(self._province_app, host=host, port=port, tls=tls)

    @property
    def clock_end(self) -> datetime:
        return parse_stamp(self._province_app.clock_end)
