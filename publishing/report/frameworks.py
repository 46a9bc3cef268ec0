"""The frameworks indicators belong to (Decision 766, Resolution 17 …): names, issuing document
and display order.

They are data: the seed `dbt_project/seeds/frameworks.csv`, published as `bi.frameworks`. The
report reads the published table and falls back to the seed file for a publication made before
the table existed. Nothing here names a framework.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import psycopg

from core.settings import PROJECT_ROOT
from publishing.report.labels import BilingualName

SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "frameworks.csv"
TABLE = "frameworks"


@dataclass(frozen=True)
class Framework(BilingualName):
    framework: str
    name_vi: str
    name_en: str
    issuing_document: str
    display_order: int


def load_seed(path: Path = SEED) -> list[Framework]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Framework(
                row["framework"],
                row["name_vi"],
                row["name_en"],
                row["issuing_document"],
                int(row["display_order"]),
            )
            for row in csv.DictReader(handle)
        ]


def read_published(conn: psycopg.Connection) -> list[Framework]:
    """The live publication's frameworks (`bi.frameworks`), else the seed's."""
    if conn.execute("select to_regclass(%s)", (f"bi.{TABLE}",)).fetchone()[0] is None:
        return load_seed()
    rows = conn.execute(
        "select framework, name_vi, name_en, issuing_document, display_order from bi.frameworks"
    ).fetchall()
    return [Framework(*row) for row in rows]


def display_order(frameworks: list[Framework], codes: list[str]) -> list[str]:
    """`codes` in the frameworks' display order; a code the seed lacks comes last, by code."""
    position = {f.framework: f.display_order for f in frameworks}
    return sorted(codes, key=lambda code: (code not in position, position.get(code, 0), code))
