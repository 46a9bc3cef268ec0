"""The localhost server over the reports folder: files only, no listing, nothing outside it."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from publishing.report.serve import make_server


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "index.html").write_text("<p>index</p>", encoding="utf-8")
    (reports / "dtimon-report-2025-09.html").write_text("<p>Tháng 9/2025</p>", encoding="utf-8")
    (reports / "sub").mkdir()
    (tmp_path / "secret.txt").write_text("outside", encoding="utf-8")
    server = make_server(reports, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", reports
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _get(url: str) -> tuple[int, str, dict[str, str]]:
    """Status, body and headers (names lower-cased)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return (
                response.status,
                response.read().decode("utf-8"),
                {k.lower(): v for k, v in response.headers.items()},
            )
    except urllib.error.HTTPError as exc:
        return exc.code, "", {k.lower(): v for k, v in exc.headers.items()}


def test_serves_the_reports_on_localhost(served: tuple[str, Path]) -> None:
    base, _ = served
    status, body, headers = _get(f"{base}/dtimon-report-2025-09.html")
    assert status == 200 and body == "<p>Tháng 9/2025</p>"
    assert headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in headers["content-security-policy"]
    assert _get(f"{base}/")[1] == "<p>index</p>"


def test_no_listing_and_nothing_outside_the_folder(served: tuple[str, Path]) -> None:
    base, _ = served
    assert _get(f"{base}/sub/")[0] == 404
    assert _get(f"{base}/../secret.txt")[0] == 404
    assert _get(f"{base}/%2e%2e/secret.txt")[0] == 404
