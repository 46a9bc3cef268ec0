"""The sandbox of the X-Road-style call log (`ingestion/sources/xlog.py`).

`python -m ingestion.sandbox.xlog serve --port P --username U --password P --seed S --scale F
--start D --end D [--tls-cert PEM --tls-key PEM [--client-ca PEM]]` serves generated calls (the
same seed, scale and span give the same calls), or `CallLog(calls, tls=...)` serves given ones in
a test. `GET /xlog/v1/calls?nextRecordsFrom=N&limit=K` answers calls N.. in log order and the
number to ask next (none once the log is read); `/_sim/health` answers once it serves. With a
client CA only members showing a certificate it signed are served (mutual TLS).
"""

from __future__ import annotations

import argparse
import random
import ssl
import threading
import uuid
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from ingestion.localtime import VN_TZ
from ingestion.sandbox.tls import server_context

MEMBERS = ("000.00.12.H57", "000.00.13.H57", "000.00.14.H57")
SERVICES = ("getPersonInfo", "getLandParcel", "getBusinessRegistration")
OFFICERS = ("Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung")


def generate_calls(seed: int, scale: float, start: date, end: date) -> list[dict[str, Any]]:
    """About 50 × scale calls a day over [start, end), in log order."""
    rng = random.Random(seed)
    calls = []
    day = datetime.combine(start, datetime.min.time(), VN_TZ)
    while day.date() < end:
        for _ in range(round(50 * scale)):
            asked = day + timedelta(seconds=rng.randrange(86_400))
            calls.append(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "requestInTs": int(asked.timestamp() * 1000),
                    "responseOutTs": int(asked.timestamp() * 1000) + rng.randrange(20, 5_000),
                    "clientMember": rng.choice(MEMBERS),
                    "serviceCode": rng.choice(SERVICES),
                    "succeeded": rng.random() < 0.9,
                    "officerId": rng.choice(OFFICERS),
                    "note": "",
                }
            )
        day += timedelta(days=1)
    return sorted(calls, key=lambda call: call["requestInTs"])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/_sim/health":
            self._send(200, {"status": "ok", "calls": len(self.server.calls)})
        elif url.path == "/xlog/v1/calls":
            try:
                first = int(query.get("nextRecordsFrom", ["0"])[0])
                limit = int(query.get("limit", ["100"])[0])
            except ValueError:
                self._send(400, {"error": "nextRecordsFrom and limit are numbers"})
                return
            records = self.server.calls[first : first + max(limit, 1)]
            following = str(first + len(records)) if records else None
            self._send(200, {"records": records, "nextRecordsFrom": following})
        else:
            self._send(404, {"error": "not_found"})

    def _send(self, status: int, payload: Any) -> None:
        data = orjson.dumps(payload)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base signature)
        if self.server.log:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, calls: list[dict[str, Any]], tls: ssl.SSLContext | None, log: bool) -> None:
        self.calls, self.log = calls, log
        super().__init__(("127.0.0.1", port), _Handler)
        if tls is not None:  # the handshake runs on the connection's own thread, at its first read
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)


class CallLog:
    """Serve `calls` on a background thread (a context manager); `url` is where."""

    def __init__(
        self, calls: list[dict[str, Any]], *, tls: ssl.SSLContext | None = None, port: int = 0
    ) -> None:
        self._server = _Server(port, calls, tls, log=False)
        host, bound = self._server.server_address[:2]
        self.url = f"{'https' if tls else 'http'}://{host}:{bound}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> CallLog:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m ingestion.sandbox.xlog")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--username", required=True)  # unused: members authenticate by certificate
    serve.add_argument("--password", required=True)
    serve.add_argument("--seed", type=int, default=1)
    serve.add_argument("--scale", type=float, default=1.0)
    serve.add_argument("--start", type=date.fromisoformat, default=date(2025, 9, 1))
    serve.add_argument("--end", type=date.fromisoformat, default=date(2025, 10, 1))
    serve.add_argument("--province", help="unused: the call log is not kept per unit of government")
    serve.add_argument("--data-dir", type=Path, help="not supported: the call log is generated only")
    serve.add_argument("--tls-cert", type=Path)
    serve.add_argument("--tls-key", type=Path)
    serve.add_argument("--client-ca", type=Path)
    args = parser.parse_args()
    if args.data_dir is not None:
        parser.error("the call log sandbox generates its calls; it replays no folder")
    tls = server_context(args.tls_cert, args.tls_key, args.client_ca) if args.tls_cert else None
    server = _Server(args.port, generate_calls(args.seed, args.scale, args.start, args.end), tls, log=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
