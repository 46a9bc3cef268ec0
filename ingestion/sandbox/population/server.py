"""The population database interface's HTTP API on the shared sandbox core: the OAuth2 token,
the operational-monitoring log (X-Road model: `recordsFrom`/`recordsTo`, `nextRecordsFrom`, the
last minute never served) and the monthly statistics per commune (LGSP style: SOAP XML in a JSON
string). Bearer tokens, a rate limit per token. The contract is in README.md.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hmac
import math
import re
import ssl
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import orjson

from ingestion.sandbox.days import local_epoch, local_moment
from ingestion.sandbox.faults import FaultSwitch, malform
from ingestion.sandbox.population.replay import GTEL_NAMESPACE, MIC_NAMESPACE, OPMON, Population
from ingestion.sandbox.province import LOCAL_TZ, format_stamp, to_local_naive
from ingestion.sandbox.service import DROP, App, Request, Response, Service, TokenStore

DEFAULT_LIMIT, MAX_LIMIT = 1000, 10_000
DEFAULT_RATE = 20.0
DEFAULT_TOKEN_TTL = 3600
#: records are served up to now − this many seconds (X-Road's default offset 60 s, minus one)
RECENT_SECONDS = 61
MAX_EPOCH = 32_503_680_000  # 3000-01-01
SOAP_NAMESPACE = "http://schemas.xmlsoap.org/soap/envelope/"
STATISTICS_PATH = "/apiCSDLDanCu/ThongKeDanCu"
_INTEGER = re.compile(r"-?\d{1,12}")
_MONTH = re.compile(r"\d{4}(0[1-9]|1[0-2])")

Clock = datetime | Callable[[], datetime] | None


def local_now() -> datetime:
    """The wall clock as a naive local datetime (Asia/Ho_Chi_Minh)."""
    return datetime.now(LOCAL_TZ).replace(tzinfo=None)


def _clock(now: Clock) -> Callable[[], datetime]:
    """`now` as a zero-argument callable returning a naive local datetime."""
    if now is None:
        return local_now
    if isinstance(now, datetime):
        fixed = to_local_naive(now)
        return lambda: fixed
    return lambda: to_local_naive(now())


class RateLimit:
    """At most `rate` requests in any second per key (sliding window, monotonic clock)."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> int | None:
        """None when the request may go (it is counted), else the seconds to wait (≥ 1)."""
        if self.rate is None:
            return None
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: q for k, q in self._seen.items() if q and q[-1] > now - 1}
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - 1:
                seen.popleft()
            if len(seen) >= self.rate:
                return max(1, math.ceil(seen[0] + 1 - now))
            seen.append(now)
            return None


class _PopulationApp(App):
    def __init__(
        self,
        population: Population,
        username: str,
        password: str,
        token_ttl: float,
        token_calls: int | None,
        rate: float | None,
        now: Clock,
        mode: str,
        log: bool,
    ) -> None:
        self.tokens = TokenStore(token_ttl, uses=token_calls, new=lambda: str(uuid.uuid4()))
        super().__init__(mode=mode, log=log, faults=FaultSwitch(on_token_expiry=self.tokens.revoke_all))
        self.population = population
        self.username = username.encode()
        self.password = password.encode()
        self.now = _clock(now)
        self.limit = RateLimit(rate)
        # path → (method, needs a bearer token, handler)
        self.routes: dict[str, tuple[str, bool, Callable[[Request], Response]]] = {
            "/token": ("POST", False, self._token),
            "/opmon/v1/records": ("GET", True, self._records),
            STATISTICS_PATH: ("POST", True, self._statistics),
        }

    def api(self, request: Request) -> Response | None:
        route = self.routes.get(request.path)
        if route is None:
            return Response(404, {"error": "not_found"})
        method, needs_token, handler = route
        if request.method != method:
            return Response(405, {"error": "method_not_allowed"}, {"Allow": method})
        forced = self.transport_faults()
        if forced is not None:
            return None if forced == DROP else forced
        scheme, _, credential = request.headers.get("Authorization", "").strip().partition(" ")
        key = f"{scheme.lower()} {credential.strip()}" if needs_token else f"client {_basic(request)[0]}"
        wait = self.limit.retry_after(key)
        if wait is not None:
            return Response(429, {"error": "rate_limited"}, {"Retry-After": str(wait)})
        if needs_token and not (scheme.lower() == "bearer" and self.tokens.use(credential.strip())):
            challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            return Response(401, {"error": "invalid_token"}, challenge)
        return handler(request)

    def fault_body(self, status: int) -> Any:
        return {"error": "rate_limited" if status == 429 else "server_error"}

    def health(self) -> dict[str, Any]:
        population = self.population
        lookups = getattr(population, "lookups", None)
        return {
            "status": "ok",
            "mode": self.mode,
            "province": population.province_code or "",
            "start": population.start.isoformat() if population.start else "",
            "clock_end": population.end.isoformat() if population.end else "",
            "now": self.now().isoformat(timespec="seconds"),
            "counts": {
                "days": len(population.days()),
                "months": len(population.months()),
                "parts_built": len(population.built),
                "dossier_lookups": -1 if lookups is None else sum(len(day) for day in lookups.values()),
            },
        }

    # --- token ------------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        username, password = _basic(request)
        user_ok = hmac.compare_digest(username.encode(), self.username)
        password_ok = hmac.compare_digest(password.encode(), self.password)
        if not (user_ok and password_ok):
            return Response(401, {"error": "invalid_client"}, {"WWW-Authenticate": 'Basic realm="lgsp"'})
        form = parse_qs(request.body.decode("utf-8", "replace"))
        if form.get("grant_type") != ["client_credentials"]:
            return Response(400, {"error": "unsupported_grant_type"})
        payload = {
            "access_token": self.tokens.issue(),
            "token_type": "Bearer",
            "expires_in": math.ceil(self.tokens.ttl),
        }
        return Response(200, payload, {"Cache-Control": "no-store"})

    # --- operational monitoring -------------------------------------------------------------

    def _records(self, request: Request) -> Response:
        bounds = []
        for name in ("recordsFrom", "recordsTo"):
            text = _param(request, name)
            if text is None or not _INTEGER.fullmatch(text.strip()):
                return _bad(f"{name} must be an integer (unix seconds)")
            bounds.append(int(text.strip()))
        first, last = bounds
        if first > last:
            return _bad("recordsFrom is after recordsTo")
        limit_text = _param(request, "limit")
        limit = DEFAULT_LIMIT
        if limit_text is not None:
            if not limit_text.strip().isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
                return _bad(f"limit must be 1 to {MAX_LIMIT}")
            limit = int(limit_text)
        client = _param(request, "client")
        if client is not None and (client.count("/") not in (2, 3) or not all(client.split("/"))):
            return _bad("client must be INSTANCE/CLASS/MEMBER[/SUBSYSTEM]")
        # a member matches its every subsystem
        member = None if client is None else client + "/" if client.count("/") == 2 else client
        newest = int(local_epoch(self.now())) - RECENT_SECONDS
        upper = min(last, newest)
        found: list[tuple[int, bytes]] = []
        for day in self._days(first, upper):
            part = self.population.part(day, OPMON)
            keys = part.keys
            for index in range(bisect.bisect_left(keys, (first,)), bisect.bisect_left(keys, (upper + 1,))):
                if member is None or _same_client(keys[index][3], member):
                    found.append((keys[index][0], part.records[index]))
                    if len(found) > limit:
                        break
            if len(found) > limit:
                break
        served = [record for _, record in found[:limit]]
        if len(found) > limit:
            following: int | None = found[limit][0]
        elif upper < last:
            following = upper + 1
        else:
            following = None
        use = self.faults.take_malformed_use()
        if use is not None:
            broken = malform("opmon", [orjson.loads(record) for record in served], use[0], use[1])
            served = [orjson.dumps(record) for record in broken]
        body = (
            b'{"recordsCount":%d,"records":[' % len(served)
            + b",".join(served)
            + b'],"nextRecordsFrom":'
            + (b"null" if following is None else str(following).encode())
            + b"}"
        )
        return Response(200, body)

    def _days(self, first: int, last: int) -> Iterator[date]:
        """The local days of the span that [first, last] (unix seconds) touches."""
        population = self.population
        if population.start is None or population.end is None or first > last:
            return
        low, high = max(first, -MAX_EPOCH), min(last, MAX_EPOCH)
        day = max(population.start, local_moment(low).date())
        stop = min(population.end, local_moment(high).date() + timedelta(days=1))
        while day < stop:
            yield day
            day += timedelta(days=1)

    # --- statistics -------------------------------------------------------------------------

    def _statistics(self, request: Request) -> Response:
        try:
            body = orjson.loads(request.body or b"null")
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            return _lgsp("500", "DATA_INCORRECT")
        province = self.population.province_code
        # MaTinh left out: the provincial gateway answers for its own province
        request_id, asked, month = (
            body.get("MaYeuCau"),
            body.get("MaTinh", province or "-"),
            body.get("Thang"),
        )
        if not all(isinstance(value, str) and value for value in (request_id, asked, month)):
            return _lgsp("500", "DATA_INCORRECT")
        if not _MONTH.fullmatch(month):
            return _lgsp("500", "DATA_INCORRECT")
        if province is not None and asked != province:
            return _lgsp("108", "PROVINCE_ID_INCORRECT")
        clock = format_stamp(self.now())
        newest: dict[str, dict[str, Any]] = {}
        for figure in self.population.figures(month):  # in (MaXa, NgayCapNhat) order
            if figure["NgayCapNhat"] <= clock:
                newest[figure["MaXa"]] = figure
        if not newest:
            return _lgsp("201", "RECORD_NOT_FOUND")
        return _lgsp("0", statistics_xml([newest[commune] for commune in sorted(newest)]))


def statistics_xml(figures: list[dict[str, Any]]) -> str:
    """The SOAP answer of ThongKeDanCu: one `ThongKe` per figure, in the response's `ns1` (the
    ministry's namespace) or, for a figure of the second vendor, in GTEL's under `qldc`."""
    parts = [
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_NAMESPACE}"><soapenv:Body>',
        f'<ns1:ThongKeDanCuResponse xmlns:ns1="{MIC_NAMESPACE}">',
    ]
    for figure in figures:
        gtel = figure["vendor"] == "gtel"
        prefix = "qldc" if gtel else "ns1"
        parts.append(f'<qldc:ThongKe xmlns:qldc="{GTEL_NAMESPACE}">' if gtel else "<ns1:ThongKe>")
        for name in ("MaXa", "Thang", "SoDanCu", "SoTaiKhoanMuc1", "SoTaiKhoanMuc2", "NgayCapNhat"):
            parts.append(f"<{prefix}:{name}>{figure[name]}</{prefix}:{name}>")
        parts.append(f"</{prefix}:ThongKe>")
    parts.append("</ns1:ThongKeDanCuResponse></soapenv:Body></soapenv:Envelope>")
    return "".join(parts)


def _same_client(found: str, member: str) -> bool:
    """`member` is a whole client `I/C/M/S`, or `I/C/M/`: a member with any subsystem."""
    return found.startswith(member) if member.endswith("/") else found == member


def _lgsp(code: str, message: str) -> Response:
    """LGSP answers everything with HTTP 200 and its own `error_code` [C: research d.3]."""
    return Response(200, {"error_code": code, "message": message})


def _bad(message: str) -> Response:
    return Response(400, {"error": message})


def _param(request: Request, name: str) -> str | None:
    values = request.query.get(name)
    return values[0] if values else None


def _basic(request: Request) -> tuple[str, str]:
    """(client id, secret) of an HTTP Basic `Authorization` header; ("", "") when there is none."""
    scheme, _, encoded = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    username, _, password = decoded.partition(":")
    return username, password


class PopulationServer(Service):
    """Serve a Population over HTTP. A context manager (background thread) or `serve_forever`.

    `now`: the clock of the availability clamp and of the statistics' publication (a datetime,
    naive local or aware, or a zero-argument callable returning one; default the wall clock).
    `token_calls`: revoke a token after that many authenticated calls. `rate`: requests a second
    per token (None: no limit)."""

    def __init__(
        self,
        population: Population,
        *,
        username: str,
        password: str,
        host: str = "127.0.0.1",
        port: int = 0,
        token_ttl: float = DEFAULT_TOKEN_TTL,
        token_calls: int | None = None,
        rate: float | None = DEFAULT_RATE,
        now: Clock = None,
        mode: str = "generated",
        log: bool = True,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        app = _PopulationApp(population, username, password, token_ttl, token_calls, rate, now, mode, log)
        super().__init__(app, host=host, port=port, tls=tls)
