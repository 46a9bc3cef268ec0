"""Serve the rendered reports on localhost (what `make up` runs beside Airflow).

`python -m publishing.report.serve [--dir DIR] [--port PORT]`: a read-only static server
bound to 127.0.0.1 over the reports folder (default DTIMON_HOME/reports, port
DTIMON_REPORT_PORT or 8104). The pages need nothing from it but themselves.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from core.settings import Settings

log = logging.getLogger(__name__)


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:",
        )
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def list_directory(self, path: str | os.PathLike[str]):  # type: ignore[override]
        self.send_error(404, "No listing: open index.html")
        return None

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        log.info("%s %s", self.address_string(), format % args)


def make_server(directory: Path, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A server over `directory` (not started); port 0 picks a free one."""
    directory.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_Handler, directory=str(directory))
    return ThreadingHTTPServer((host, port), handler)


def serve_until_interrupted(server: ThreadingHTTPServer) -> None:
    """Serve until Ctrl-C (a normal way to stop, not an error), then close the socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m publishing.report.serve", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--dir", type=Path, help="reports folder (default: DTIMON_HOME/reports)")
    parser.add_argument("--port", type=int, help="port on 127.0.0.1 (default: DTIMON_REPORT_PORT, 8104)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    directory = args.dir or settings.reports_dir
    server = make_server(directory, settings.report_port if args.port is None else args.port)
    log.info("serving %s on http://127.0.0.1:%d/", directory, server.server_address[1])
    serve_until_interrupted(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
