"""The docs `dtimon docs` serves, in Debian's headless Chromium: the dbt docs at / (built by
`dtimon docs`'s own function on a migrated warehouse) and the GX Data Docs at /gx/ (built by a
real gate run over a small candidate). Each shows its content, logs no console error and requests
nothing from a host other than 127.0.0.1; screenshots go to `.dtimon/artifacts/`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from chromium import ARTIFACTS, browser, require_chromium
from gate_fixtures import MARTS_DDL

from core.settings import Settings
from expectations.data_docs import ASSETS_DIR
from expectations.gate import validate
from infra.cli.commands.docs import build_docs
from ingestion.schema import migrate
from publishing import publish as pub
from publishing.report.serve import make_docs_server

require_chromium()


@pytest.fixture(scope="module")
def docs_url(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`dtimon docs`'s server over freshly built dbt docs and one gate run's Data Docs."""
    home = tmp_path_factory.mktemp("home")
    with psycopg.connect(module_warehouse_url, autocommit=True) as conn:
        migrate(conn)  # as `dtimon docs` does before dbt: the raw tables dbt's sources name
        conn.execute(MARTS_DDL)
        candidate = pub.stage_candidate(conn, run_id="docs")
    validate(
        module_warehouse_url,
        candidate.publication_id,
        candidate.schema,
        list(candidate.relations),
        "docs",
        home=home,
    )
    settings = Settings.from_env({"DTIMON_WAREHOUSE_URL": module_warehouse_url, "DTIMON_HOME": str(home)})
    target = build_docs(settings)
    server = make_docs_server(target, home, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class Watched:
    """A page with every request, console message and page error recorded; requests to any host
    but 127.0.0.1 are refused (and recorded)."""

    def __init__(self, context: object) -> None:
        self.requests: list[str] = []
        self.elsewhere: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.missing: list[str] = []
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "response", lambda r: self.missing.append(f"{r.status} {r.url}") if r.status >= 400 else None
        )

    def _console(self, message: object) -> None:
        where = message.location.get("url", "") if message.text.startswith("Failed to load resource") else ""
        self.console.append(f"{message.type}: {message.text} {where}".rstrip())

    def _route(self, route: object) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            route.abort()

    def assert_clean(self, known_missing: tuple[str, ...] = ()) -> None:
        """Nothing refused, no page error, no console error or warning, no 404 but `known_missing`
        (paths on this server a page is known to ask for in vain)."""
        missing = [
            url for url in self.missing if not urlsplit(url.split(" ", 1)[1]).path.startswith(known_missing)
        ]
        assert missing == []
        assert self.errors == []
        problems = [line for line in self.console if line.startswith(("error", "warning"))]
        assert [
            line for line in problems if not urlsplit(line.rsplit(" ", 1)[-1]).path.startswith(known_missing)
        ] == []
        assert self.elsewhere == []
        assert {urlsplit(url).hostname for url in self.requests} == {"127.0.0.1"}


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Watched]:
    with browser(tmp_path / "chromium-profile") as context:
        yield Watched(context)


def test_dbt_docs_show_a_models_description(docs_url: str, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{docs_url}/#!/model/model.dtimon.fct_dossier", wait_until="networkidle")
    page.get_by_text("One row per administrative-procedure dossier").first.wait_for(timeout=20_000)
    assert page.locator("text=fct_dossier").first.is_visible()
    assert f"{docs_url}/manifest.json" in {url.split("?")[0] for url in watched.requests}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dbt-docs.png"))
    # dbt-docs' own quirks, on this server: its icon link left as `${require(…favicon.ico)}`, and
    # an SVG <use xlink:href="{{ … }}"> the browser fetches before AngularJS fills it in
    watched.assert_clean(known_missing=("/favicon.ico", "/$%7Brequire(", "/%7B%7B"))


def test_gx_data_docs_show_the_gates_suites_and_results(docs_url: str, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{docs_url}/gx/", wait_until="networkidle")
    assert page.title() == "Data Docs created by Great Expectations"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gx-data-docs-index.png"))
    # the index lists the run's validation results and suites, styled by the vendored Bootstrap
    for relation in ("dim_agency", "indicator_catalogue", "ind_values"):
        assert page.get_by_role("cell", name=relation, exact=True).is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.navbar')).display") == "flex"
    assert page.evaluate("typeof jQuery === 'function' && typeof vegaEmbed === 'function'")
    assert page.evaluate("document.fonts.check('900 16px \"Font Awesome 6 Free\"')")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gx-data-docs-index.png"))

    page.goto(f"{docs_url}/gx/expectations/gate__ind_values.html", wait_until="networkidle")
    content = page.locator("body").inner_text()
    for expectation in (
        "values must belong to this set: agency commune district province",
        "values must never be null",
        "province_row_missing",
    ):
        assert expectation in content
    page.screenshot(path=str(ARTIFACTS / "gx-data-docs-suite.png"), full_page=True)

    page.goto(f"{docs_url}/gx/", wait_until="networkidle")
    page.get_by_role("cell", name="ind_values", exact=True).click()  # a row opens its result
    page.wait_for_url("**/validations/gate__ind_values/**")
    page.wait_for_load_state("networkidle")
    assert "Expectation Validation Result" in page.locator("body").inner_text()
    page.screenshot(path=str(ARTIFACTS / "gx-data-docs-validation.png"))
    watched.assert_clean()
    vendored = [url for url in watched.requests if "/gx/_vendor/" in url]
    packages = {path.name for path in ASSETS_DIR.iterdir() if path.is_dir()}
    assert {url.split("/_vendor/")[1].split("/")[0] for url in vendored} == packages  # each one loaded
