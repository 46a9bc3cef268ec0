"""The index report: one self-contained HTML page per month, rendered from `bi`."""

from publishing.report.render import render_all, render_html, render_report

__all__ = ["render_all", "render_html", "render_report"]
