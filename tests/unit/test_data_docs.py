"""The GX Data Docs pages are made offline: every external URL GX's templates use has a vendored
copy (or is a link dropped), pages are rewritten to it, and any other external URL fails the build."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import great_expectations
import pytest

from expectations import data_docs
from expectations.data_docs import ASSETS_DIR, CDN_ASSETS, GX_IMAGES, ExternalUrl, rewrite_page, rewrite_site

GX_VIEW = Path(great_expectations.__file__).parent / "render" / "view"
URL = re.compile(r"""(?:https?:)?//[a-z0-9][a-z0-9.-]*\.[a-z]{2,}[^\s"'<>)]*""", re.IGNORECASE)


def _gx_template_urls() -> set[str]:
    """Every external URL in the installed GX's page templates and their inline styles."""
    files = [
        *GX_VIEW.joinpath("templates").rglob("*.j2"),
        *GX_VIEW.joinpath("static", "styles").glob("*.css"),
    ]
    urls = {url for path in files for url in URL.findall(path.read_text(encoding="utf-8"))}
    return {url for url in urls if not url.startswith(data_docs.NAMESPACES)}


def test_every_url_of_the_installed_templates_is_known() -> None:
    """A GX upgrade naming a new CDN file fails here before it fails a gate run."""
    unknown = [
        url
        for url in _gx_template_urls()
        if url not in CDN_ASSETS
        and not url.startswith(GX_IMAGES)
        and data_docs._link_host(url) not in data_docs.LINK_HOSTS
    ]
    assert unknown == []
    # the seventeen loaded ones (the templates' S3 prefix is completed by the image's name)
    assert set(CDN_ASSETS) <= _gx_template_urls()


def test_the_vendored_files_are_exactly_the_ones_pages_load() -> None:
    fonts = re.findall(r"url\(\.\./webfonts/([^)]+\.woff2)\)", (ASSETS_DIR / CDN_ASSETS[_fa()]).read_text())
    expected = {Path(path) for path in CDN_ASSETS.values()}
    expected |= {Path("fontawesome-free@6.6.0/webfonts") / font for font in fonts}
    vendored = {
        path.relative_to(ASSETS_DIR)
        for path in ASSETS_DIR.rglob("*")
        if path.is_file() and not path.name.startswith(("LICENSE", "README"))
    }
    assert vendored == expected
    for package in {path.parts[0] for path in vendored}:  # every package with its licence
        assert list((ASSETS_DIR / package).glob("LICENSE*")), package


def _fa() -> str:
    return next(url for url in CDN_ASSETS if "font-awesome" in url)


def _page() -> str:
    """A page as GX writes one: every CDN asset, the logo with its cache-buster, the dark-mode
    logo in an inline style, GX's links and an inline SVG."""
    tags = "\n".join(
        f'<script src="{url}" integrity="sha384-x" crossorigin="anonymous"></script>'
        if url.endswith(".js") or "/npm/vega" in url
        else f'<link rel="stylesheet" href="{url}"/>'
        for url in CDN_ASSETS
    )
    return (
        f"<html><head>{tags}<style>.navbar-brand a {{ background: url('{GX_IMAGES}full_logo_dark.png') 0 0; }}"
        f"</style></head><body><img src='{GX_IMAGES}logo-long.png?d=1234'/>"
        '<a href="https://greatexpectations.io/newsletter?utm_source=datadocs">Subscribe</a>'
        '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>'
        '<a href="../index.html">Home</a></body></html>'
    )


def test_every_external_url_is_replaced_by_its_local_copy() -> None:
    page = rewrite_page(_page(), "../../")
    assert "https://" not in page and "//cdn" not in page and "s3.us-east-2" not in page
    for path in CDN_ASSETS.values():
        assert f'"../../_vendor/{path}"' in page
        assert (ASSETS_DIR / path).is_file()
    assert "src='../../static/images/logo-long.png'" in page
    assert "url('../../static/images/logo-long.png')" in page
    assert "<a >Subscribe</a>" in page  # the link is gone, its text stays
    assert 'xmlns="http://www.w3.org/2000/svg"' in page and 'href="../index.html"' in page
    assert rewrite_page(page, "../../") == page  # nothing left to rewrite


@pytest.mark.parametrize(
    "html",
    [
        '<script src="https://cdn.jsdelivr.net/npm/d3@7"></script>',
        "<link href='//unpkg.com/leaflet@1.9.4/dist/leaflet.css'>",
        '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/new_logo.png">',
        "<style>@import url(https://fonts.googleapis.com/css2?family=Inter);</style>",
        "<script>fetch('https://example.org/beacon')</script>",
        '<a href="https://example.org/">elsewhere</a>',
    ],
)
def test_an_unknown_external_url_fails_the_build(html: str) -> None:
    with pytest.raises(ExternalUrl):
        rewrite_page(f"<html><head></head><body>{html}</body></html>", "")


def test_rewrite_site_rewrites_every_page_at_its_depth_and_fails_loudly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "static" / "images").mkdir(parents=True)
    (site / "static" / "images" / "logo-long.png").write_bytes(b"png")
    deep = site / "validations" / "gate__dim_agency" / "run" / "20250901T000000Z" / "batch.html"
    deep.parent.mkdir(parents=True)
    for page in (site / "index.html", deep):
        page.write_text(_page(), encoding="utf-8")
    assert rewrite_site(site) == [site / "index.html", deep]
    assert '"_vendor/jquery@3.7.1/dist/jquery.min.js"' in (site / "index.html").read_text()
    assert '"../../../../_vendor/jquery@3.7.1/dist/jquery.min.js"' in deep.read_text()
    assert rewrite_site(site) == []
    (site / "expectations").mkdir()
    (site / "expectations" / "new.html").write_text('<script src="https://cdn.example.com/x.js"></script>')
    with pytest.raises(ExternalUrl, match="cdn.example.com"):
        rewrite_site(site)


def test_a_logo_gx_did_not_copy_into_the_site_fails(tmp_path: Path) -> None:
    with pytest.raises(ExternalUrl, match="logo-long.png"):
        rewrite_page(f'<img src="{GX_IMAGES}logo-long.png">', "", tmp_path)


class _FakeContext:
    """Stands for GX's context: build_data_docs writes one page per resource, as GX does."""

    def __init__(self, site: Path, html: str) -> None:
        self.site, self.html = site, html

    def build_data_docs(self, resource_identifiers: list[str]) -> None:
        (self.site / "static" / "images").mkdir(parents=True, exist_ok=True)
        (self.site / "static" / "images" / "logo-long.png").write_bytes(b"png")
        for name in [*resource_identifiers, "index"]:
            (self.site / f"{name}.html").write_text(self.html, encoding="utf-8")


def test_build_rewrites_new_pages_and_the_ones_a_failed_build_left(tmp_path: Path) -> None:
    site = data_docs.site_dir(tmp_path)
    site.mkdir(parents=True)
    unknown = '<script src="https://cdn.example.com/x.js"></script>'
    with pytest.raises(ExternalUrl):
        data_docs.build(_FakeContext(site, _page() + unknown), tmp_path, ["first"])
    (site / "first.html").write_text(_page(), encoding="utf-8")  # as GX left it: CDN URLs
    old = site / "first.html"
    os.utime(old, (old.stat().st_mtime - 60, old.stat().st_mtime - 60))
    data_docs.build(_FakeContext(site, _page()), tmp_path, ["second"])
    for page in ("first", "second", "index"):
        assert "https://" not in (site / f"{page}.html").read_text(), page
    assert (site / "_vendor" / CDN_ASSETS[_fa()]).is_file()
    assert stat.S_IMODE(data_docs.project_dir(tmp_path).stat().st_mode) == 0o700
