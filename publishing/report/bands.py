"""Rating bands of a framework's total score (Decision 766: excellent ≥ 90 … weak < 50).

The bands are data: the seed `dbt_project/seeds/rating_bands.csv`, published as
`bi.rating_bands`. The report reads the published table and falls back to the seed file
for a publication made before the table existed. Nothing here knows a boundary or rates a
score: a unit's band is computed once, in the mart `ind_framework_totals`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from core.settings import PROJECT_ROOT
from publishing.report.labels import BilingualName

SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "rating_bands.csv"


@dataclass(frozen=True)
class Band(BilingualName):
    framework: str
    band: str
    name_vi: str
    name_en: str
    min_score: Decimal
    scale: Decimal
    confirmed: bool


def load_seed(path: Path = SEED) -> list[Band]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Band(
                row["framework"],
                row["band"],
                row["name_vi"],
                row["name_en"],
                Decimal(row["min_score"]),
                Decimal(row["scale"]),
                row["confirmed"].strip().lower() == "true",
            )
            for row in csv.DictReader(handle)
        ]


def bands_of(bands: Iterable[Band], framework: str) -> list[Band]:
    """The framework's bands, best first."""
    return sorted((b for b in bands if b.framework == framework), key=lambda b: b.min_score, reverse=True)
