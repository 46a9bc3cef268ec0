"""Indicators the department enters itself: the file-source kind `entries` (ingestion.file_source).

One CSV per submission, `entries-YYYY-MM-DD.csv` in DTIMON_ENTRIES_DIR (columns documented in
entries/README.md). Only a catalogue indicator whose `not_computed_because` is `entered` may be
entered, for the province or an agency of the one-stop catalogue, per month, quarter or year, as a
numerator and a denominator in whole numbers (0 ≤ numerator ≤ denominator, denominator > 0).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from pathlib import Path

import psycopg
from psycopg import sql

from core.settings import PROJECT_ROOT
from ingestion.file_source import FileKind, LoadResult, first_of_period, load_directory, number

CATALOGUE_SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "indicator_catalogue.csv"
#: the catalogue's reason for an indicator no interface feeds (seed not_computed_reasons)
ENTERED = "entered"
COLUMNS = (
    "indicator_id",
    "level",
    "unit_id",
    "period_kind",
    "period_start",
    "numerator",
    "denominator",
)
KEY = ("indicator_id", "level", "unit_id", "period_kind", "period_start")
LEVELS = ("agency", "province")
#: the province an agency id names (dbt_project/macros/periods.sql, agency_province)
PROVINCE_SUFFIX = re.compile(r"\.([A-Z][0-9]{2})$")
PERIOD_KINDS = ("month", "quarter", "year")
#: the entity of a registered source that is an agency catalogue (its ids are the units an entry names)
AGENCIES_ENTITY = "agencies"


def catalogue_reasons(path: Path = CATALOGUE_SEED) -> dict[str, str]:
    """Indicator id → its not_computed_because ("" for a computed indicator)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {r["indicator_id"]: r["not_computed_because"] for r in csv.DictReader(handle)}


def entries_kind(reasons: Mapping[str, str], units: Mapping[str, frozenset[str]]) -> FileKind:
    """The `entries` kind, checking rows against the catalogue's reasons and the known units
    (level → unit ids)."""

    def check(row: Mapping[str, str]) -> list[str]:
        problems: list[str] = []
        indicator = row["indicator_id"]
        if indicator not in reasons:
            problems.append(f"unknown indicator {indicator}")
        elif reasons[indicator] != ENTERED:
            why = f"its reason is {reasons[indicator]}" if reasons[indicator] else "it is computed"
            problems.append(f"indicator {indicator} is not entered by the department ({why})")
        if row["level"] not in LEVELS:
            problems.append(f"level {row['level']} is not one of {', '.join(LEVELS)}")
        elif row["unit_id"] not in units.get(row["level"], frozenset()):
            problems.append(f"unknown {row['level']} {row['unit_id']}")
        if row["period_kind"] not in PERIOD_KINDS:
            problems.append(f"period_kind {row['period_kind']} is not one of {', '.join(PERIOD_KINDS)}")
        elif first_of_period(row["period_kind"], row["period_start"]) is None:
            problems.append(
                f"period_start {row['period_start']} is not the first day of a {row['period_kind']}"
            )
        numerator, denominator = number(row["numerator"]), number(row["denominator"])
        if numerator is None:
            problems.append(f"numerator {row['numerator']} is not a number")
        elif numerator != int(numerator):
            problems.append(f"numerator {row['numerator']} is not a whole number")
        elif numerator < 0:
            problems.append(f"numerator {row['numerator']} is out of range (below 0)")
        if denominator is None:
            problems.append(f"denominator {row['denominator']} is not a number")
        elif denominator != int(denominator):
            problems.append(f"denominator {row['denominator']} is not a whole number")
        elif denominator <= 0:
            problems.append(f"denominator {row['denominator']} is out of range (not above 0)")
        if numerator is not None and denominator is not None and numerator > denominator > 0:
            problems.append(f"numerator {row['numerator']} is greater than denominator {row['denominator']}")
        return problems

    return FileKind("entries", "entries", COLUMNS, check, key=KEY)


def known_units(conn: psycopg.Connection) -> dict[str, frozenset[str]]:
    """The units an entry may name: every agency a registered source's agency catalogue has held,
    and the provinces their ids name (the suffix dbt's macro agency_province reads: 000.00.01.H57 → H57)."""
    from ingestion.sources import SOURCES

    agencies: set[str] = set()
    for source in SOURCES.values():
        for entity in source.entities:
            table = entity.table
            if entity.name != AGENCIES_ENTITY or len(table.key) != 1:
                continue
            if conn.execute("select to_regclass(%s)", (table.qualified,)).fetchone()[0] is not None:
                query = sql.SQL("select distinct {} from {}").format(
                    sql.Identifier(table.key[0]), sql.Identifier(table.schema, table.name)
                )
                agencies.update(agency for (agency,) in conn.execute(query))
    provinces = {match.group(1) for agency in agencies if (match := PROVINCE_SUFFIX.search(agency))}
    return {"agency": frozenset(agencies), "province": frozenset(provinces)}


def load_entries(conn: psycopg.Connection, directory: Path) -> LoadResult:
    """Keep every acceptable entries file of `directory` not kept yet (the refused ones in the result)."""
    return load_directory(conn, entries_kind(catalogue_reasons(), known_units(conn)), directory)
