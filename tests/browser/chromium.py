"""Debian's headless Chromium for the browser tests: where it is, how it is launched, where the
screenshots go. Skipped only when /usr/bin/chromium is absent outside CI; under CI=true a
missing browser fails (`infra/install_browser.sh` installs it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright import sync_api

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / ".dtimon" / "artifacts"
LAUNCH_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip the calling test module without the browser, or fail it under CI=true."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{CHROMIUM} is missing on CI: .ci/run must call infra/install_browser.sh", pytrace=False)
    pytest.skip(
        f"{CHROMIUM} is absent (install it with infra/install_browser.sh, as CI does)",
        allow_module_level=True,
    )


@contextmanager
def browser(profile: Path, **options: object) -> Iterator[sync_api.BrowserContext]:
    """A Chromium context with a fresh profile (`--user-data-dir`), closed afterwards."""
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=LAUNCH_FLAGS,
            viewport={"width": 1100, "height": 1500},
            **options,
        )
        try:
            yield context
        finally:
            context.close()
