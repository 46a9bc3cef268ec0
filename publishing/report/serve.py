"""Serve the rendered reports, or the docs, on localhost (what `make up` runs beside Airflow).

`python -m publishing.report.serve [--dir DIR] [--port PORT]`: a read-only static server
bound to 127.0.0.1 over the reports folder (default DTIMON_HOME/reports, port
DTIMON_REPORT_PORT or 8110). The pages need nothing from it but themselves.

`--docs`: the dbt docs (`--dir`) at / and the gate's GX Data Docs (DTIMON_HOME/gx's site) at
/gx/ (port DTIMON_DOCS_PORT or 8111), under a policy letting a page load its own site's files and nothing from anywhere else.
"""

from __future__ import annotations

import argparse
import functools
import io
import logging
import os
import sys
from collections.abc import Mapping
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO

from core.settings import Settings

log = logging.getLogger(__name__)


#: The reports are self-contained: nothing may be requested, not even from this server.
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
#: The dbt docs fetch their manifest.json and catalog.json; the GX Data Docs load their vendored
#: scripts, styles, fonts and images. Both only from this server; both have inline scripts and styles.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none';"
    " frame-ancestors 'none'"
)
#: Where `--docs` serves the GX Data Docs.
GX_PREFIX = "/gx/"
#: What the report server answers at / before the first publication has been rendered.
NOTHING_PUBLISHED = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Báo cáo chỉ số: chưa có số liệu công bố</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;color:#222}
p{line-height:1.5}.en{color:#555}</style></head>
<body><h1>Chưa có số liệu được công bố</h1>
<p>Báo cáo chỉ số xuất hiện ở đây sau lần công bố đầu tiên (khi luồng dữ liệu đã nạp
và kiểm định xong một ngày).</p>
<p class="en" lang="en">Nothing has been published yet: the index report appears here after
the first publication.</p></body></html>
""".encode()


class _Handler(SimpleHTTPRequestHandler):
    def __init__(
        self,
        *args: object,
        policy: str,
        mounts: Mapping[str, Path],
        empty_page: bytes | None = None,
        **kwargs: object,
    ) -> None:
        self.policy = policy
        self.mounts = mounts
        self.empty_page = empty_page
        super().__init__(*args, **kwargs)  # handles the request: attributes first

    def _mount(self, path: str) -> tuple[str, Path, str] | None:
        """The mount a request path falls under, if any: its prefix, its folder and the path
        inside it (query and fragment dropped, as the base class drops them)."""
        bare = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, folder in self.mounts.items():
            if bare == prefix.rstrip("/") or bare.startswith(prefix):
                return prefix, folder, "/" + bare[len(prefix) :]
        return None

    def translate_path(self, path: str) -> str:
        """A path under a mount's prefix is looked up in that mount's folder."""
        mount = self._mount(path)
        if mount is None:
            return super().translate_path(path)
        self.directory = str(mount[1])  # one handler per request: nothing shared
        return super().translate_path(mount[2])

    def send_head(self) -> BinaryIO | None:
        """A mount whose folder does not exist yet gets a 404 saying why; / before anything was
        rendered gets `empty_page` (a healthy server with nothing to show yet)."""
        bare = self.path.split("?", 1)[0].split("#", 1)[0]
        if (
            self.empty_page is not None
            and bare in ("/", "/index.html")
            and not (Path(self.directory) / "index.html").is_file()
        ):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(self.empty_page)))
            self.end_headers()
            return io.BytesIO(self.empty_page)
        mount = self._mount(self.path)
        if mount is not None and not mount[1].is_dir():
            self.send_error(
                404, f"Nothing at {mount[0]} yet (the gate's Data Docs appear after its first run)"
            )
            return None
        return super().send_head()

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", self.policy)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def list_directory(self, path: str | os.PathLike[str]):  # type: ignore[override]
        self.send_error(404, "No listing: open index.html")
        return None

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        log.info("%s %s", self.address_string(), format % args)


def make_server(
    directory: Path,
    port: int,
    host: str = "127.0.0.1",
    *,
    policy: str = REPORT_POLICY,
    mounts: Mapping[str, Path] | None = None,
    empty_page: bytes | None = None,
) -> ThreadingHTTPServer:
    """A server over `directory` (not started), and over each `mounts` folder at its prefix
    ("/gx/"); every reply carries `policy`; `empty_page` answers / while `directory` has no
    index.html. Port 0 picks a free one."""
    directory.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(
        _Handler, directory=str(directory), policy=policy, mounts=dict(mounts or {}), empty_page=empty_page
    )
    return ThreadingHTTPServer((host, port), handler)


def make_docs_server(dbt_docs: Path, home: Path, port: int) -> ThreadingHTTPServer:
    """The dbt docs at / and the GX Data Docs of dtimon's `home` at /gx/ (what `dtimon docs` and
    `make up` serve)."""
    from expectations.data_docs import site_dir

    return make_server(dbt_docs, port, policy=DOCS_POLICY, mounts={GX_PREFIX: site_dir(home)})


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
    parser.add_argument(
        "--port",
        type=int,
        help="port on 127.0.0.1 (default: DTIMON_REPORT_PORT, 8110; with --docs DTIMON_DOCS_PORT, 8111)",
    )
    parser.add_argument(
        "--docs", action="store_true", help="serve the dbt docs of --dir at / and the GX Data Docs at /gx/"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    default_port = settings.docs_port if args.docs else settings.report_port
    port = default_port if args.port is None else args.port
    if args.docs:
        if args.dir is None:
            parser.error("--docs needs --dir (the dbt docs folder)")
        directory = args.dir
        server = make_docs_server(directory, settings.home, port)
    else:
        directory = args.dir or settings.reports_dir
        server = make_server(directory, port, empty_page=NOTHING_PUBLISHED)
    log.info("serving %s on http://127.0.0.1:%d/", directory, server.server_address[1])
    serve_until_interrupted(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
