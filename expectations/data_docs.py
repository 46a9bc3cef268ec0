"""The gate's Great Expectations Data Docs, readable with no internet.

Every gate run with a home keeps its suites and validation results in the file-backed GX
project `<home>/gx` (folders 0700, files 0600) and rebuilds the Data Docs site there. GX's page
templates load Bootstrap, jQuery, Font Awesome, vega… from public CDNs and a logo from S3: the
copies vendored in `data_docs_assets/` (see its README) are installed into the site as
`_vendor/`, and every page is rewritten to use them. A page naming any other external URL fails
the build, so nothing a page loads leaves the machine.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: The vendored copies, one folder per npm package@version (licences beside the files).
ASSETS_DIR = Path(__file__).resolve().parent / "data_docs_assets"
#: Where the site keeps them (relative to the site's root).
VENDOR = "_vendor"
#: The GX project inside dtimon's home, and its local Data Docs site inside the project.
PROJECT = "gx"
SITE = Path("uncommitted", "data_docs", "local_site")

#: Every external asset GX 1.x's templates load → its copy under ASSETS_DIR (same bytes as the
#: CDN's; the two carrying an integrity hash are checked by the browser against it).
CDN_ASSETS: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/vega@5": "vega@5.33.1/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite@5.23.0/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed@6.29.0/build/vega-embed.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-free@6.6.0/css/all.min.css"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery@3.7.1/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js@1.12.9/dist/umd/popper.min.js"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap@4.3.1/dist/js/bootstrap.min.js"
    ),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap@4.3.1/dist/css/bootstrap.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table@1.19.1/dist/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table@1.19.1/dist/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker@1.9.0/dist/js/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker@1.9.0/dist/css/bootstrap-datepicker.min.css"
    ),
    # the minified build of the same file (the named one is 880 kB, mostly an inline source map)
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.min.css"
    ),
}
#: GX's logos come from here (the navbar's <img>, and a CSS background in dark mode).
GX_IMAGES = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
#: Their stand-ins among the images GX copies into the site's static/images/ (GX ships no copy of
#: the dark-mode logo: the light one stands in).
GX_IMAGE_COPIES: dict[str, str] = {"logo-long.png": "logo-long.png", "full_logo_dark.png": "logo-long.png"}
#: Hosts of plain links (GX's own site, its newsletter): the link is dropped, its text kept.
LINK_HOSTS = ("greatexpectations.io", "docs.greatexpectations.io")
#: XML namespace names in inline SVG: identifiers, never fetched.
NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/1999/xhtml")

_ATTRIBUTE = re.compile(r"""\b(src|href)(\s*=\s*)(["'])((?:https?:)?//[^"']*)\3""", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\((["']?)((?:https?:)?//[^"')]*)\1\)""", re.IGNORECASE)
_EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9][a-z0-9.-]*\.[a-z]{2,}[^\s"'<>)]*""", re.IGNORECASE)


class ExternalUrl(RuntimeError):
    """A Data Docs page names an external URL with no vendored copy (a new GX template?)."""


def project_dir(home: Path) -> Path:
    return home / PROJECT


def site_dir(home: Path) -> Path:
    """The Data Docs site's root (what `dtimon docs` serves at /gx/)."""
    return project_dir(home) / SITE


def file_context(home: Path, runtime_environment: Mapping[str, str]) -> Any:
    """The file-backed GX project `<home>/gx`, created readable by its owner only. Config
    variables (`${NAME}` in its stored config) are filled from `runtime_environment`."""
    import great_expectations as gx

    project = project_dir(home)
    project.mkdir(mode=0o700, parents=True, exist_ok=True)
    project.chmod(0o700)
    return gx.get_context(
        mode="file", project_root_dir=str(home), runtime_environment=dict(runtime_environment)
    )


def _link_host(url: str) -> str:
    return url.split("//", 1)[1].split("/", 1)[0].split("?", 1)[0].lower()


def _local(url: str, to_root: str, site: Path | None) -> str:
    """The site-relative copy of an asset URL a page loads; ExternalUrl when there is none."""
    if url in CDN_ASSETS:
        return f"{to_root}{VENDOR}/{CDN_ASSETS[url]}"
    image = (
        GX_IMAGE_COPIES.get(url.removeprefix(GX_IMAGES).split("?", 1)[0])
        if url.startswith(GX_IMAGES)
        else None
    )
    if image and (site is None or (site / "static" / "images" / image).is_file()):
        return f"{to_root}static/images/{image}"
    raise ExternalUrl(f"no vendored copy of {url} (add it to expectations/data_docs_assets)")


def rewrite_page(html: str, to_root: str, site: Path | None = None) -> str:
    """`html` with every CDN asset pointed at its vendored copy, GX's logos at the site's own copy
    and links to GX's site dropped; `to_root` leads from the page to the site's root ("" or
    "../…"). Raises ExternalUrl if any other external URL remains (or, given `site`, if the
    logo's copy is not in it)."""

    def attribute(match: re.Match[str]) -> str:
        name, equals, quote, url = match.groups()
        if name.lower() == "href" and _link_host(url) in LINK_HOSTS:
            return ""  # an <a> without href: the text stays, nothing to follow
        return f"{name}{equals}{quote}{_local(url, to_root, site)}{quote}"

    def css_url(match: re.Match[str]) -> str:
        quote, url = match.groups()
        return f"url({quote}{_local(url, to_root, site)}{quote})"

    rewritten = _CSS_URL.sub(css_url, _ATTRIBUTE.sub(attribute, html))
    left = [url for url in _EXTERNAL.findall(rewritten) if not url.startswith(NAMESPACES)]
    if left:
        raise ExternalUrl(f"external URL outside an attribute the build rewrites: {left[0]}")
    return rewritten


def install_assets(site: Path) -> None:
    """Copy the vendored assets (and their licences) into the site's `_vendor/`."""
    shutil.copytree(ASSETS_DIR, site / VENDOR, ignore=shutil.ignore_patterns("README.md"), dirs_exist_ok=True)


def rewrite_site(site: Path, since: float = 0.0) -> list[Path]:
    """Rewrite the site's HTML pages written at or after `since` (a time.time(); default every
    page) in place (see rewrite_page); the pages changed. Older pages were rewritten by the
    build that wrote them."""
    changed: list[Path] = []
    for page in sorted(site.rglob("*.html")):
        if VENDOR in page.relative_to(site).parts or page.stat().st_mtime < since:
            continue
        html = page.read_text(encoding="utf-8")
        depth = len(page.relative_to(site).parts) - 1
        rewritten = rewrite_page(html, "../" * depth, site)
        if rewritten != html:
            page.write_text(rewritten, encoding="utf-8")
            changed.append(page)
    return changed


def restrict(root: Path) -> None:
    """Folders 0700 and files 0600 under `root` (GX writes with the process's umask)."""
    root.chmod(0o700)
    for folder, folders, files in os.walk(root):
        for name in folders:
            os.chmod(os.path.join(folder, name), 0o700)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o600)


def build(context: Any, home: Path, resources: Iterable[Any]) -> Path:
    """Render the pages of `resources` (suite and validation result identifiers) and the index,
    make the site offline and owner-only; returns the site's root."""
    site = site_dir(home)
    # pages older than the last build that completed were made offline by it (a build that
    # failed leaves its pages to the next one)
    stamp = site.parent / ".offline-since"
    since = stamp.stat().st_mtime - 1 if stamp.exists() else 0.0  # 1 s: coarse file timestamps
    started = time.time()
    context.build_data_docs(resource_identifiers=list(resources))
    install_assets(site)
    rewrite_site(site, since=since)
    stamp.touch()
    os.utime(stamp, (started, started))
    restrict(project_dir(home))
    return site
