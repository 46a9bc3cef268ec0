"""The IOC's HTTP API on the shared sandbox core: the camera registry, Frigate messages (keyset
cursor), Hikvision alerts (ISAPI-style search), camera status transitions and the field reports
(HueCIT style). Every API call carries the header `token: <password>`. The contract is in README.md.
"""

from __future__ import annotations

import bisect
import hmac
import math
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any
from xml.sax.saxutils import escape

import orjson

from ingestion.sandbox.faults import FaultSwitch, malform, malform_xml
from ingestion.sandbox.ioc.replay import Ioc, format_local, local_day_start, local_moment
from ingestion.sandbox.service import DROP, App, Request, Response, Service

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_EPOCH = 32_503_680_000  # 3000-01-01: beyond, not a time this sandbox can place
XML_CONTENT_TYPE = "application/xml"
HIKVISION_NAMESPACE = "http://www.hikvision.com/ver20/XMLSchema"
SEARCH_PATH = "/ISAPI/ContentMgmt/eventSearch"
LOCAL = timezone(timedelta(hours=7))


class _IocApp(App):
    def __init__(self, ioc: Ioc, password: str, mode: str, log: bool) -> None:
        # token_expiry: the token is static, so arming it is accepted and does nothing
        super().__init__(mode=mode, log=log, faults=FaultSwitch())
        self.ioc = ioc
        self.password = password.encode()
        self.routes: dict[str, tuple[str, Callable[[Request], Response]]] = {
            "/ioc/v1/cameras": ("GET", self._cameras),
            "/ioc/v1/events": ("GET", self._events),
            "/ioc/v1/camera-status": ("GET", self._status),
            SEARCH_PATH: ("POST", self._alerts),
            "/paht/chuyenmuc": ("GET", self._categories),
            "/paht/donvi": ("GET", self._agencies),
            "/paht/theodonvi": ("POST", self._reports),
        }

    def api(self, request: Request) -> Response | None:
        route = self.routes.get(request.path)
        if route is None:
            return _fail(404, "not found")
        method, handler = route
        if request.method != method:
            return Response(405, {"error": "method not allowed"}, {"Allow": method})
        forced = self.transport_faults()
        if forced is not None:
            return None if forced == DROP else forced
        token = (request.headers.get("token") or "").encode()
        if not hmac.compare_digest(token, self.password):
            return _fail(401, "invalid token")
        return handler(request)

    def health(self) -> dict[str, Any]:
        ioc = self.ioc
        return {
            "status": "ok",
            "mode": self.mode,
            "start": ioc.start.isoformat() if ioc.start else "",
            "clock_end": format_local(ioc.clock_end) if ioc.clock_end else "",
            "counts": {
                "cameras": len(ioc.cameras),
                "categories": len(ioc.categories),
                "agencies": len(ioc.agencies),
                "days": len(ioc.days()),
                "parts_built": len(ioc.built),
            },
        }

    # --- lists ------------------------------------------------------------------------------

    def _cameras(self, request: Request) -> Response:
        return Response(200, self.ioc.cameras)

    def _categories(self, request: Request) -> Response:
        return Response(200, {"data": self.ioc.categories})

    def _agencies(self, request: Request) -> Response:
        return Response(200, {"data": self.ioc.agencies})

    # --- Frigate messages -------------------------------------------------------------------

    def _events(self, request: Request) -> Response:
        window = _epoch_window(request)
        if isinstance(window, Response):
            return window
        after, before = window
        limit = _count(_param(request, "limit"), "limit", DEFAULT_LIMIT, 1)
        if isinstance(limit, Response):
            return limit
        after_id = _param(request, "after_id")
        if after_id is not None and after is None:
            return _fail(400, "after_id needs after")
        found: list[bytes] = []
        for day in self._days(after, before):
            built = self.ioc.part(day, "events")
            keys = built.keys
            if after is None:
                first = 0
            elif after_id is None:
                first = bisect.bisect_left(keys, (after,))
            else:
                first = bisect.bisect_right(keys, (after, after_id))
            stop = len(keys) if before is None else bisect.bisect_left(keys, (before,))
            found += built.records[first : min(stop, first + limit - len(found))]
            if len(found) >= limit:
                break
        use = self.faults.take_malformed_use()
        if use is not None:
            records = malform("events", [orjson.loads(m) for m in found], use[0], use[1])
            found = [orjson.dumps(record) for record in records]
        return Response(200, b"[" + b",".join(found) + b"]")

    def _days(self, after: float | None, before: float | None) -> Iterator[date]:
        """The days of the span a window [after, before) of epoch seconds may touch."""
        ioc = self.ioc
        if ioc.start is None or ioc.end is None:
            return
        day = ioc.start if after is None else max(ioc.start, local_moment(after).date())
        while day < ioc.end and (before is None or local_day_start(day) < before):
            yield day
            day += timedelta(days=1)

    # --- camera status ----------------------------------------------------------------------

    def _status(self, request: Request) -> Response:
        window = _epoch_window(request)
        if isinstance(window, Response):
            return window
        after, before = window
        limit = _count(_param(request, "limit"), "limit", DEFAULT_LIMIT, 1)
        if isinstance(limit, Response):
            return limit
        offset = _count(_param(request, "offset"), "offset", 0, 0)
        if isinstance(offset, Response):
            return offset
        matching: list[bytes] = []
        for day in self._days(after, before):
            built = self.ioc.part(day, "status")
            times = built.keys
            first = 0 if after is None else bisect.bisect_left(times, after)
            stop = len(times) if before is None else bisect.bisect_left(times, before)
            matching += built.records[first:stop]
        page = matching[offset : offset + limit]
        use = self.faults.take_malformed_use()
        if use is not None:
            records = malform("transitions", [orjson.loads(t) for t in page], use[0], use[1])
            page = [orjson.dumps(record) for record in records]
        body = b'{"total":%d,"transitions":[' % len(matching) + b",".join(page) + b"]}"
        return Response(200, body)

    # --- Hikvision alerts -------------------------------------------------------------------

    def _alerts(self, request: Request) -> Response:
        search = _search(request.body)
        if isinstance(search, Response):
            return search
        search_id, first, last, size, position = search
        matching: list[bytes] = []
        ioc = self.ioc
        if ioc.start is not None and ioc.end is not None:
            day = max(ioc.start, date.fromisoformat(first[:10]))
            while day < ioc.end and day.isoformat() <= last[:10]:
                built = ioc.part(day, "alerts")
                times = built.keys
                matching += built.records[bisect.bisect_left(times, first) : bisect.bisect_left(times, last)]
                day += timedelta(days=1)
        page = matching[position : position + size]
        use = self.faults.take_malformed_use()
        if use is not None:
            page = malform_xml("alerts", page, use[0], use[1])
        more = position + len(page) < len(matching)
        status = "NO MATCHES" if not page else "MORE" if more else "OK"
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<EventSearchResult version="2.0" xmlns="{HIKVISION_NAMESPACE}">\n'
            f"<searchID>{escape(search_id)}</searchID>\n"
            f"<responseStatusStrg>{status}</responseStatusStrg>\n"
            f"<numOfMatches>{len(page)}</numOfMatches>\n"
            f"<totalMatches>{len(matching)}</totalMatches>\n"
            "<matchList>\n"
        )
        body = (
            head.encode()
            + b"".join(alert + b"\n" for alert in page)
            + b"</matchList>\n</EventSearchResult>\n"
        )
        return Response(200, body, content_type=XML_CONTENT_TYPE)

    # --- field reports ----------------------------------------------------------------------

    def _reports(self, request: Request) -> Response:
        try:
            body = orjson.loads(request.body or b"null")
        except orjson.JSONDecodeError:
            return _fail(400, "body is not JSON")
        if not isinstance(body, dict):
            return _fail(400, "body must be a JSON object")
        state = body.get("LoaiXuLy")
        if state not in ("0", "1"):
            return _fail(400, 'LoaiXuLy must be "0" or "1"')
        agency = body.get("MaDinhDanh")
        if not isinstance(agency, str) or not agency:
            return _fail(400, "MaDinhDanh is required")
        bounds: list[date] = []
        for name in ("TuNgay", "DenNgay"):
            value = body.get(name)
            try:
                if not isinstance(value, str) or len(value) != 10:
                    raise ValueError
                bounds.append(date.fromisoformat(value))
            except ValueError:
                return _fail(400, f"{name} must be yyyy-MM-dd")
        if bounds[0] > bounds[1]:
            return _fail(400, "TuNgay is after DenNgay")
        page = _count(body.get("Page"), "Page", 1, 1)
        if isinstance(page, Response):
            return page
        size = _count(body.get("Perpage"), "Perpage", DEFAULT_LIMIT, 1)
        if isinstance(size, Response):
            return size
        wanted = (agency, state == "1")
        matching: list[bytes] = []
        ioc = self.ioc
        if ioc.start is not None and ioc.end is not None:
            day = max(bounds[0], ioc.start)
            while day <= bounds[1] and day < ioc.end:
                built = ioc.part(day, "reports")
                matching += [
                    data for key, data in zip(built.keys, built.records, strict=True) if key == wanted
                ]
                day += timedelta(days=1)
        data = matching[(page - 1) * size : page * size]
        use = self.faults.take_malformed_use()
        if use is not None:
            records = malform("reports", [orjson.loads(d) for d in data], use[0], use[1])
            data = [orjson.dumps(record) for record in records]
        return Response(200, b'{"totalrow":%d,"data":[' % len(matching) + b",".join(data) + b"]}")


def _fail(status: int, message: str) -> Response:
    return Response(status, {"error": message})


def _param(request: Request, name: str) -> str | None:
    values = request.query.get(name)
    return values[0] if values else None


def _count(value: Any, name: str, default: int, minimum: int) -> int | Response:
    """A number or digit string ≥ minimum (at most MAX_LIMIT for the page sizes), or a 400."""
    if value is None or value == "":
        return default
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        return _fail(400, f"invalid {name}")
    if name in ("limit", "Perpage") and value > MAX_LIMIT:
        return _fail(400, f"{name} above {MAX_LIMIT}")
    return value


def _epoch_window(request: Request) -> tuple[float | None, float | None] | Response:
    bounds: list[float | None] = []
    for name in ("after", "before"):
        text = _param(request, name)
        if text is None or text == "":
            bounds.append(None)
            continue
        try:
            value = float(text)
        except ValueError:
            return _fail(400, f"{name} must be epoch seconds")
        if not math.isfinite(value) or abs(value) > MAX_EPOCH:
            return _fail(400, f"{name} must be epoch seconds")
        bounds.append(value)
    return bounds[0], bounds[1]


def _isapi_error(message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ResponseStatus version="2.0" xmlns="{HIKVISION_NAMESPACE}">\n'
        f"<requestURL>{SEARCH_PATH}</requestURL>\n<statusCode>6</statusCode>\n"
        "<statusString>Invalid Content</statusString>\n<subStatusCode>badParameters</subStatusCode>\n"
        f"<errorMsg>{escape(message)}</errorMsg>\n</ResponseStatus>\n"
    )
    return Response(400, body.encode(), content_type=XML_CONTENT_TYPE)


def _search(body: bytes) -> tuple[str, str, str, int, int] | Response:
    """(searchID, first, last, maxResults, searchResultPosition) of an EventSearchDescription,
    the window as local `yyyy-MM-ddTHH:mm:ss` (whole seconds, rounded up), or a 400."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return _isapi_error("body is not well-formed XML")
    texts: dict[str, str] = {}
    for element in root.iter():
        texts.setdefault(element.tag.rsplit("}", 1)[-1], (element.text or "").strip())
    if root.tag.rsplit("}", 1)[-1] != "EventSearchDescription":
        return _isapi_error("expected an EventSearchDescription")
    bounds = []
    for name in ("startTime", "endTime"):
        try:
            moment = datetime.fromisoformat(texts[name])
        except (KeyError, ValueError):
            return _isapi_error(f"{name} must be an ISO 8601 time")
        if moment.tzinfo is not None:
            moment = moment.astimezone(LOCAL).replace(tzinfo=None)
        if moment.microsecond:
            moment = moment.replace(microsecond=0) + timedelta(seconds=1)
        bounds.append(moment.isoformat())
    numbers = []
    for name, default in (("maxResults", DEFAULT_LIMIT), ("searchResultPosition", 0)):
        text = texts.get(name, "")
        if text and not text.isdigit():
            return _isapi_error(f"{name} must be a number")
        numbers.append(int(text) if text else default)
    if not 1 <= numbers[0] <= MAX_LIMIT:
        return _isapi_error(f"maxResults must be 1 to {MAX_LIMIT}")
    return texts.get("searchID", ""), bounds[0], bounds[1], numbers[0], numbers[1]


class IocServer(Service):
    """Serve an Ioc over HTTP. A context manager (background thread) or `serve_forever`."""

    def __init__(
        self,
        ioc: Ioc,
        *,
        password: str,
        username: str = "",
        host: str = "127.0.0.1",
        port: int = 0,
        mode: str = "generated",
        log: bool = True,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.username = username  # accepted and only logged: the API knows only the token
        super().__init__(_IocApp(ioc, password, mode, log), host=host, port=port, tls=tls)
