"""Code lists of the sources' native formats, read from the dbt seeds that declare them.

Each code list is one CSV in `dbt_project/seeds/` (with its YAML description there): dbt
models join it, and Python reads the same file here. Nothing else writes the codes. Which
code lists a source has is the source's own business (its module names them).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"


@cache
def code_list(name: str, seeds_dir: Path = SEEDS_DIR) -> tuple[dict[str, str], ...]:
    """The rows of seed `name` (a CSV with a header), as text."""
    with (seeds_dir / f"{name}.csv").open(newline="", encoding="utf-8") as file:
        return tuple(csv.DictReader(file))


def codes(name: str, column: str | None = None) -> frozenset[str]:
    """The codes of seed `name`: its first column unless `column` says which."""
    rows = code_list(name)
    if not rows:
        return frozenset()
    key = column or next(iter(rows[0]))
    return frozenset(row[key] for row in rows)
