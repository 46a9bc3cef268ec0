"""The localhost server over the reports folder: files only, no listing, nothing outside it."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from expectations.data_docs import site_dir
from publishing.report.serve import make_docs_server, make_server


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


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_the_report_policy_allows_no_request_at_all(served: tuple[str, Path]) -> None:
    policy = _directives(_get(f"{served[0]}/")[2]["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert not [
        source
        for sources in policy.values()
        for source in sources
        if source not in {"'none'", "'unsafe-inline'", "data:"}
    ]


@pytest.fixture
def docs_served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`dtimon docs`'s server: dbt's target at /, the GX site of a home at /gx/."""
    target = tmp_path / "target"
    target.mkdir()
    (target / "index.html").write_text("<p>dbt docs</p>", encoding="utf-8")
    (target / "manifest.json").write_text("{}", encoding="utf-8")
    site = site_dir(tmp_path / "home")
    (site / "expectations").mkdir(parents=True)
    (site / "index.html").write_text("<p>GX index</p>", encoding="utf-8")
    (site / "expectations" / "gate__dim_agency.html").write_text("<p>suite</p>", encoding="utf-8")
    (tmp_path / "home" / "gx" / "great_expectations.yml").write_text("secret: config", encoding="utf-8")
    server = make_docs_server(target, tmp_path / "home", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_docs_serves_dbt_at_the_root_and_the_data_docs_at_gx(docs_served: tuple[str, Path]) -> None:
    base, _ = docs_served
    assert _get(f"{base}/")[1] == "<p>dbt docs</p>"
    assert _get(f"{base}/manifest.json")[1] == "{}"
    assert _get(f"{base}/gx/")[1] == "<p>GX index</p>"
    assert _get(f"{base}/gx/index.html?d=1")[1] == "<p>GX index</p>"
    assert _get(f"{base}/gx/expectations/gate__dim_agency.html")[1] == "<p>suite</p>"
    assert _get(f"{base}/gx")[1] == "<p>GX index</p>"  # redirected to /gx/
    assert _get(f"{base}/gx?d=1")[1] == "<p>GX index</p>"
    # only the site: not the GX project around it, nor anything else
    assert _get(f"{base}/gx/../../../great_expectations.yml")[0] == 404
    assert _get(f"{base}/gx/%2e%2e/%2e%2e/%2e%2e/great_expectations.yml")[0] == 404
    assert _get(f"{base}/gx/expectations/")[0] == 404


def test_docs_policy_lets_pages_load_their_own_files_and_nothing_else(docs_served: tuple[str, Path]) -> None:
    base, _ = docs_served
    for path in ("/", "/manifest.json", "/gx/", "/gx/expectations/gate__dim_agency.html"):
        status, _, headers = _get(base + path)
        assert status == 200
        policy = _directives(headers["content-security-policy"])
        assert headers["x-content-type-options"] == "nosniff"
        assert policy["default-src"] == ["'self'"]
        assert policy["connect-src"] == ["'self'"]  # dbt's manifest.json and catalog.json
        # no other host, no scheme wildcard, no eval
        sources = {source for sources in policy.values() for source in sources}
        assert sources <= {"'self'", "'unsafe-inline'", "data:", "'none'"}, sources


def test_docs_before_any_gate_run_say_so(tmp_path: Path) -> None:
    (tmp_path / "target").mkdir()
    server = make_docs_server(tmp_path / "target", tmp_path / "home", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{base}/gx/", timeout=5)
        assert error.value.code == 404 and "after its first run" in error.value.read().decode()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert not (tmp_path / "home").exists()  # serving creates nothing in dtimon's home


def test_the_report_server_is_healthy_before_anything_is_published(tmp_path: Path) -> None:
    """`make up` on a warehouse with nothing published: / says so (200), other paths are 404."""
    from publishing.report.serve import NOTHING_PUBLISHED, REPORT_POLICY

    server = make_server(tmp_path / "reports", 0, empty_page=NOTHING_PUBLISHED)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        status, body, headers = _get(base + "/")
        assert (
            status == 200 and "Chưa có số liệu được công bố" in body and "Nothing has been published" in body
        )
        assert headers["content-security-policy"] == REPORT_POLICY
        assert _get(base + "/dtimon-report-2025-09.html")[0] == 404
        (tmp_path / "reports" / "index.html").write_text("<p>index</p>", encoding="utf-8")
        assert _get(base + "/")[1] == "<p>index</p>"  # the rendered report once there is one
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
