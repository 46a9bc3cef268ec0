"""The document exchange's HTTP API (`/vxp/v1/...`) on the shared sandbox core.

`ExchangeServer(exchange, username=..., password=...)` serves one `Exchange`: the queue of
packages (list, fetch, acknowledge), the agency directory and the work files. Every `/vxp/`
call carries the headers `systemid` and `secret`. The contract is in README.md.
"""

from __future__ import annotations

import bisect
import hmac
import math
import ssl
import threading
from collections.abc import Callable
from typing import Any

import orjson

from ingestion.sandbox.documents.exchange import (
    MESSAGE_TYPES,
    Exchange,
    QueueItem,
    format_time,
    parse_date,
)
from ingestion.sandbox.documents.packages import malform_package
from ingestion.sandbox.faults import FaultSwitch, malform
from ingestion.sandbox.service import DROP, App, Request, Response, Service

EDOCS = "/vxp/v1/edocs/"
RECEIVED = "/vxp/v1/edocs/received"
DEFAULT_RECEIVED_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
XML_CONTENT_TYPE = "application/xml"
#: the transport statuses `PUT .../status` accepts (research note a.1); done and fail settle an item
TRANSPORT_STATUSES = (
    "inbox",
    "acceptance",
    "rejection",
    "assignment",
    "processing",
    "done",
    "fail",
    "cancellation",
)
SETTLED = ("done", "fail")
TOKEN_EXPIRY_REFUSED = (
    "token_expiry has no meaning for the document exchange: every call carries its systemid and "
    "secret headers, there is no token to expire (arm 429 or 5xx, or send wrong headers, instead)"
)


class _Queue:
    """The items of one message type in queue order, with their times for date windows."""

    def __init__(self, items: list[QueueItem]) -> None:
        self.items = items
        self._times = [item.created_time for item in items]

    def window(self, first: str | None, last: str | None) -> list[QueueItem]:
        """The items whose created_time's date is within [first, last] (`yyyy/MM/dd`, inclusive)."""
        start = 0 if first is None else bisect.bisect_left(self._times, first)
        stop = len(self.items) if last is None else bisect.bisect_right(self._times, last + "~")
        return self.items[start:stop]


class _ExchangeApp(App):
    def __init__(self, exchange: Exchange, username: str, password: str, mode: str, log: bool) -> None:
        super().__init__(
            mode=mode, log=log, faults=FaultSwitch(refused={"token_expiry": TOKEN_EXPIRY_REFUSED})
        )
        self.username = username.encode()
        self.password = password.encode()
        self.clock_end = "" if exchange.clock_end is None else format_time(exchange.clock_end)
        listed = [item for item in exchange.items if not self.clock_end or item.created_time < self.clock_end]
        self.queues = {
            kind: _Queue([item for item in listed if item.messagetype == kind]) for kind in MESSAGE_TYPES
        }
        self.by_id = {item.doc_id: item for item in listed if item.doc_id is not None}
        self.agencies = sorted(exchange.agencies, key=lambda record: str(record.get("code", "")))
        # agency → its work-file versions in (updated, id) order, and (position, origin) of the
        # replay lines served as they are
        self.workfiles: dict[str, list[Any]] = {}
        self.workfile_times: dict[str, list[str]] = {}
        self.workfile_origins: dict[str, dict[int, str]] = {}
        for record in exchange.workfiles:
            self.workfiles.setdefault(record["agency"], []).append(record)
            self.workfile_times.setdefault(record["agency"], []).append(record["updated"])
        for value, agency, stamp, origin in exchange.unplaced_workfiles:
            times = self.workfile_times.setdefault(agency, [])
            position = bisect.bisect_right(times, stamp)
            times.insert(position, stamp)
            self.workfiles.setdefault(agency, []).insert(position, value)
            origins = self.workfile_origins.get(agency, {})
            origins = {i + (i >= position): o for i, o in origins.items()}
            origins[position] = origin
            self.workfile_origins[agency] = origins
        self.acks: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    # --- dispatch ---------------------------------------------------------------------------

    def api(self, request: Request) -> Response | None:
        route = self._route(request.path)
        if route is None:
            return _fail(404, "not found")
        method, handler = route
        if request.method != method:
            return Response(405, {"status": "FAIL", "ErrorDesc": "method not allowed"}, {"Allow": method})
        forced = self.transport_faults()
        if forced is not None:
            return None if forced == DROP else forced
        if not self._authorised(request):
            return _fail(401, "invalid system")
        return handler(request)

    def _route(self, path: str) -> tuple[str, Callable[[Request], Response]] | None:
        if path == RECEIVED:
            return "POST", self._received
        if path == "/vxp/v1/agencies":
            return "GET", self._agencies
        if path == "/vxp/v1/workfiles":
            return "GET", self._workfiles
        if path.startswith(EDOCS):
            rest = path[len(EDOCS) :]
            if rest.endswith("/status") and rest.count("/") == 1:
                doc_id = rest.removesuffix("/status")
                return "PUT", lambda request: self._acknowledge(request, doc_id)
            if rest and "/" not in rest:
                return "GET", lambda request: self._fetch(rest)
        return None

    def _authorised(self, request: Request) -> bool:
        system = request.headers.get("systemid") or ""
        secret = request.headers.get("secret") or ""
        system_ok = hmac.compare_digest(system.encode(), self.username)
        secret_ok = hmac.compare_digest(secret.encode(), self.password)
        return system_ok and secret_ok

    def fault_body(self, status: int) -> Any:
        return {"status": "FAIL", "ErrorDesc": "Quá nhiều yêu cầu" if status == 429 else "Lỗi hệ thống"}

    # --- /_sim ------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        with self._lock:
            settled = set(self.acks)
        return {
            "status": "ok",
            "mode": self.mode,
            "clock_end": self.clock_end,
            "counts": {
                "agencies": len(self.agencies),
                "edoc": len(self.queues["edoc"].items),
                "status": len(self.queues["status"].items),
                "pending_edoc": sum(1 for i in self.queues["edoc"].items if i.doc_id not in settled),
                "pending_status": sum(1 for i in self.queues["status"].items if i.doc_id not in settled),
                "workfiles": sum(len(records) for records in self.workfiles.values()),
            },
        }

    def simulator_extra(self, request: Request) -> Response | None:
        if request.path != "/_sim/acks":
            return None
        if request.method == "GET":
            with self._lock:
                return Response(200, dict(self.acks))
        if request.method == "DELETE":  # every item pending again (tests)
            with self._lock:
                self.acks.clear()
            return Response(200, {})
        return Response(405, {"error": "method_not_allowed"}, {"Allow": "GET, DELETE"})

    # --- API --------------------------------------------------------------------------------

    def _received(self, request: Request) -> Response:
        try:
            body = orjson.loads(request.body or b"null")
        except orjson.JSONDecodeError:
            return _fail(400, "body is not JSON")
        if not isinstance(body, dict):
            return _fail(400, "body must be a JSON object")
        kind = body.get("messagetype")
        if kind not in MESSAGE_TYPES:
            return _fail(400, "messagetype must be edoc or status")
        if body.get("servicetype", "eDoc") != "eDoc":
            return _fail(400, "servicetype must be eDoc")
        window = _window(body.get("fromDate"), body.get("toDate"))
        if isinstance(window, Response):
            return window
        paging = _paging(body.get("pageIndex"), body.get("pageSize"), DEFAULT_RECEIVED_PAGE_SIZE)
        if isinstance(paging, Response):
            return paging
        page, size = paging
        with self._lock:
            pending = [item for item in self.queues[kind].window(*window) if item.doc_id not in self.acks]
        served = pending[(page - 1) * size : page * size]
        payload: dict[str, Any] = {
            "status": "OK",
            "ErrorDesc": "",
            "total": len(pending),
            "data": [item.listing for item in served],
        }
        origins = {str(i): item.origin for i, item in enumerate(served) if item.origin}
        if origins:  # replay only: file:line of the lines served as they are
            payload["origins"] = origins
        return Response(200, payload)

    def _fetch(self, doc_id: str) -> Response:
        item = self.by_id.get(doc_id)
        if item is None or item.package is None:
            return _fail(404, f"no package {doc_id}")
        try:
            data = item.package()
        except OSError as exc:  # replay: its file is missing or unreadable
            return _fail(404, str(exc))
        use = self.faults.take_malformed_use()
        if use is not None:
            rate, number = use
            broken_before = math.floor((number - 1) * rate + 0.5)
            broken_now = math.floor(number * rate + 0.5)
            if broken_now > broken_before:  # spread evenly: round(rate × count) of the armed fetches
                way, data = malform_package(data, broken_now - 1)
                self.log(f"malformed fault: package {doc_id} served {way}")
        return Response(200, data, content_type=XML_CONTENT_TYPE)

    def _acknowledge(self, request: Request, doc_id: str) -> Response:
        item = self.by_id.get(doc_id)
        if item is None:
            return _fail(404, f"no package {doc_id}")
        try:
            body = orjson.loads(request.body or b"null")
        except orjson.JSONDecodeError:
            return _fail(400, "body is not JSON")
        status = body.get("status") if isinstance(body, dict) else None
        if status not in TRANSPORT_STATUSES:
            return _fail(400, f"status must be one of {', '.join(TRANSPORT_STATUSES)}")
        description = body.get("description", "")
        if not isinstance(description, str):
            return _fail(400, "description must be a string")
        if status in SETTLED:
            with self._lock:
                self.acks[doc_id] = {"status": status, "description": description}
        return Response(200, {"status": "OK", "ErrorDesc": ""})

    def _agencies(self, request: Request) -> Response:
        paging = _paging(_param(request, "page"), _param(request, "page_size"), DEFAULT_PAGE_SIZE)
        if isinstance(paging, Response):
            return paging
        page, size = paging
        data = self.agencies[(page - 1) * size : page * size]
        return Response(200, {"status": "OK", "total": len(self.agencies), "agencies": data})

    def _workfiles(self, request: Request) -> Response:
        agency = _param(request, "agency")
        if not agency:
            return _fail(400, "agency is required")
        window = _window(_param(request, "fromDate"), _param(request, "toDate"))
        if isinstance(window, Response):
            return window
        paging = _paging(_param(request, "pageIndex"), _param(request, "pageSize"), DEFAULT_PAGE_SIZE)
        if isinstance(paging, Response):
            return paging
        page, size = paging
        records = self.workfiles.get(agency, [])
        times = self.workfile_times.get(agency, [])
        first = 0 if window[0] is None else bisect.bisect_left(times, window[0])
        stop = len(records) if window[1] is None else bisect.bisect_right(times, window[1] + "~")
        start = min(stop, first + (page - 1) * size)
        end = min(stop, start + size)
        data: list[Any] = records[start:end]
        rate = self.faults.take_malformed()
        if rate is not None:
            data = malform("workfiles", data, rate, page)
        payload: dict[str, Any] = {"status": "OK", "total": stop - first, "data": data}
        origins = self.workfile_origins.get(agency, {})
        served = {str(i - start): o for i, o in origins.items() if start <= i < end}
        if served:  # replay only
            payload["origins"] = served
        return Response(200, payload)


def _fail(status: int, description: str) -> Response:
    return Response(status, {"status": "FAIL", "ErrorDesc": description})


def _param(request: Request, name: str) -> str | None:
    values = request.query.get(name)
    return values[0] if values else None


def _window(first: Any, last: Any) -> tuple[str | None, str | None] | Response:
    """(fromDate, toDate) as given (`yyyy/MM/dd`, either may be missing), or a 400."""
    bounds: list[str | None] = []
    for name, value in (("fromDate", first), ("toDate", last)):
        if value is None or value == "":
            bounds.append(None)
            continue
        if not isinstance(value, str):
            return _fail(400, f"{name} must be yyyy/MM/dd")
        try:
            parse_date(value)
        except ValueError:
            return _fail(400, f"{name} must be yyyy/MM/dd")
        bounds.append(value)
    if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        return _fail(400, "fromDate is after toDate")
    return bounds[0], bounds[1]


def _paging(page: Any, size: Any, default_size: int) -> tuple[int, int] | Response:
    """(page, size) from numbers or digit strings, pages from 1; a 400 otherwise."""
    parsed = []
    for name, value, default in (("page", page, 1), ("page size", size, default_size)):
        if value is None:
            parsed.append(default)
            continue
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return _fail(400, f"invalid {name}")
        parsed.append(value)
    if parsed[1] > MAX_PAGE_SIZE:
        return _fail(400, f"page size above {MAX_PAGE_SIZE}")
    return parsed[0], parsed[1]


class ExchangeServer(Service):
    """Serve an Exchange over HTTP. A context manager (background thread) or `serve_forever`."""

    def __init__(
        self,
        exchange: Exchange,
        *,
        username: str,
        password: str,
        host: str = "127.0.0.1",
        port: int = 0,
        mode: str = "generated",
        log: bool = True,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._exchange_app = _ExchangeApp(exchange, username, password, mode, log)
        super().__init__(self._exchange_app, host=host, port=port, tls=tls)

    @property
    def acks(self) -> dict[str, dict[str, str]]:
        """DocId → {"status": done|fail, "description"} (what `GET /_sim/acks` answers)."""
        with self._exchange_app._lock:
            return dict(self._exchange_app.acks)
