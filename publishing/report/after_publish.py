"""The report step of the build: called after a successful publish (build DAG, `dtimon run`).

Kept apart from the rendering so the orchestration layer has one small call to make and a
JSON-serialisable summary to pass on (an XCom, a log line, the CLI's printout).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from publishing.report.data import NothingPublished
from publishing.report.render import render_all

log = logging.getLogger(__name__)


def render_after_publish(warehouse_url: str, out_dir: Path, lang: str = "vi") -> dict[str, Any]:
    """Render every year, quarter and month of the live publication plus `index.html` into `out_dir`
    ("latest" is the latest month's page).

    Returns `{"reports": [paths…], "latest": path, "link": file:// URL, "index": path}`, or
    `{"skipped": reason}` when nothing is published yet (logged, not raised: a build with
    no indicator values is not a report failure).
    """
    try:
        paths = render_all(warehouse_url, out_dir, lang)
    except NothingPublished as exc:
        log.warning("index report skipped: %s", exc)
        return {"skipped": str(exc)}
    latest = paths[-1].resolve()
    log.info("index report: %d page(s) rendered, latest month %s", len(paths), latest)
    return {
        "reports": [str(p.resolve()) for p in paths],
        "latest": str(latest),
        "link": latest.as_uri(),
        "index": str((out_dir / "index.html").resolve()),
    }
