"""Charts as inline SVG: Vega-Altair specs rendered offline by vl-convert (no fetch allowed).

Every chart is rendered once per language (axis labels and number style differ) and the
page shows the one of the language selected. A `ChartCache` keeps each SVG by a digest of what it
was drawn from (and of this module and the two libraries): every build renders every published
period again, and a period whose values did not change gets its charts back without drawing them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib.metadata import version
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert

from publishing.report.formatting import format_month_short

#: d3-format locales: Vietnamese groups thousands with a dot and uses a decimal comma.
FORMAT_LOCALES = {
    "vi": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"], "percent": " %"},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""], "percent": " %"},
}
FONT = "DejaVu Sans, Noto Sans, Liberation Sans, Arial, sans-serif"
INK = "#1b3a5c"
TARGET = "#b3261e"
STATUS_TEXT = {
    "vi": {"complete": "đủ kỳ", "provisional": "tạm tính", "target": "chỉ tiêu"},
    "en": {"complete": "complete period", "provisional": "provisional", "target": "target"},
}


@cache
def _drawing_code() -> str:
    """What else decides an SVG besides a chart's inputs: this module's code and the libraries'."""
    source = Path(__file__).read_bytes()
    return hashlib.sha256(source + f"{alt.__version__} {version('vl-convert-python')}".encode()).hexdigest()


@dataclass(frozen=True)
class ChartCache:
    """SVGs already drawn, one file each under `folder` named by the digest of their inputs; None:
    every chart is drawn. `prune(since)` removes the files no render used since then."""

    folder: Path | None = None

    def svg(self, inputs: object, draw: Callable[[], str]) -> str:
        if self.folder is None:
            return draw()
        digest = hashlib.sha256(repr((_drawing_code(), inputs)).encode()).hexdigest()
        path = self.folder / f"{digest}.svg"
        try:
            kept = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            pass
        else:
            os.utime(path)  # used by this render: kept by `prune`
            return kept
        drawn = draw()
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(drawn, encoding="utf-8")
        partial.replace(path)
        return drawn

    def prune(self, since: float) -> None:
        """Remove the SVGs no render has used since `since` (a `time.time()`)."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.glob("*.svg"):
            if path.stat().st_mtime < since:
                path.unlink(missing_ok=True)


#: draws every chart (a report rendered alone, a test)
NO_CACHE = ChartCache()


@dataclass(frozen=True)
class Point:
    month: date
    value: Decimal | None
    provisional: bool


def _svg(chart: alt.TopLevelMixin, lang: str) -> str:
    spec = chart.configure(font=FONT).configure_view(stroke=None).to_dict(validate=False)
    svg = vl_convert.vegalite_to_svg(spec, format_locale=FORMAT_LOCALES[lang], allowed_base_urls=[])
    # the page gives each chart its size; keep the aspect ratio from the viewBox
    return svg.replace('<rect width="', '<rect class="chart-bg" width="', 1)


def trend_chart(
    points: Sequence[Point],
    months: Sequence[date],
    measure_unit: str,
    target: Decimal | None,
    lang: str,
    label: Callable[[date, str], str] = format_month_short,
    cache: ChartCache = NO_CACHE,
) -> str:
    """A line of the province's value over `months` (periods of one kind, each named by `label`;
    gaps where no value), target dashed."""
    labels = [label(m, lang) for m in months]
    inputs = ("trend", tuple(points), tuple(months), tuple(labels), measure_unit, target, lang)
    return cache.svg(inputs, lambda: _trend(points, months, labels, measure_unit, target, lang))


def _trend(
    points: Sequence[Point],
    months: Sequence[date],
    labels: Sequence[str],
    measure_unit: str,
    target: Decimal | None,
    lang: str,
) -> str:
    status = STATUS_TEXT[lang]
    by_month = {p.month: p for p in points}
    # a month without a value is a row with a null value: the line breaks there
    frame = pd.DataFrame(
        [
            {
                "month": name,
                "value": float(p.value) if p and p.value is not None else None,
                "status": status["provisional" if p and p.provisional else "complete"],
            }
            for m, name in zip(months, labels, strict=True)
            for p in [by_month.get(m)]
        ],
        columns=["month", "value", "status"],
    )
    ratio = measure_unit == "ratio"
    y_scale = alt.Scale(domain=[0, 1]) if ratio else alt.Scale(zero=True)
    crowded = len(months) > 5  # slanted month labels beyond half a year
    x = alt.X(
        "month:O",
        sort=labels,
        scale=alt.Scale(domain=labels),
        title=None,
        axis=alt.Axis(labelAngle=-45 if crowded else 0, labelAlign="right" if crowded else "center"),
    )
    y = alt.Y(
        "value:Q", scale=y_scale, title=None, axis=alt.Axis(format=".0%" if ratio else ",~r", tickCount=5)
    )
    base = alt.Chart(frame)
    line = base.mark_line(color=INK, strokeWidth=2, invalid="break-paths-show-domains").encode(x=x, y=y)
    dots = (
        base.transform_filter("isValid(datum.value)")
        .mark_point(size=60, strokeWidth=2, color=INK, opacity=1)
        .encode(
            x=x,
            y=y,
            fill=alt.Fill(
                "status:N",
                scale=alt.Scale(domain=[status["complete"], status["provisional"]], range=[INK, "white"]),
                legend=alt.Legend(title=None, orient="bottom", direction="horizontal", symbolStrokeColor=INK),
            ),
        )
    )
    layers: list[alt.Chart] = [line, dots]
    if target is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"target": [float(target)]}))
            .mark_rule(color=TARGET, strokeDash=[5, 3], strokeWidth=1.5)
            .encode(y=alt.Y("target:Q", scale=y_scale))
        )
    chart = alt.layer(*layers).properties(width=300, height=130)
    return _svg(chart, lang)


@dataclass(frozen=True)
class Bar:
    unit_name: str
    score: Decimal
    band: str


def score_chart(bars: Sequence[Bar], band_names: Sequence[str], band_colors: Sequence[str], lang: str) -> str:
    """Horizontal bars of a scaled framework score per unit, coloured by rating band."""
    frame = pd.DataFrame(
        [{"unit": b.unit_name, "score": float(b.score), "band": b.band} for b in bars],
        columns=["unit", "score", "band"],
    )
    chart = (
        alt.Chart(frame)
        .mark_bar(height=14)
        .encode(
            y=alt.Y("unit:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("score:Q", scale=alt.Scale(domain=[0, 100]), title=None, axis=alt.Axis(format=",~r")),
            color=alt.Color(
                "band:N",
                scale=alt.Scale(domain=list(band_names), range=list(band_colors)),
                legend=alt.Legend(title=None, orient="bottom", direction="horizontal"),
            ),
        )
        .properties(width=520, height=alt.Step(20))
    )
    return _svg(chart, lang)
