"""Keys, non-null columns and code lists of the published relations, read from the dbt models' YAML.

dbt's YAML is where a model's grain is declared (a `unique` column test or a model-level
`unique_combination_of_columns`), where its `not_null` columns are and the values a column
accepts (`accepted_values`); the gate takes all three from there, so a new mart, a changed grain
or a new level needs no second list in Python. A relation published
empty fails the gate unless its YAML says `meta: {may_be_empty: true}` (a detail that only
exists once something happened, e.g. a dossier settled).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"


@dataclass(frozen=True)
class DeclaredRelation:
    """What a model's or seed's YAML declares about its rows."""

    name: str
    key: tuple[str, ...]  # () when the YAML declares no grain
    not_null: tuple[str, ...]  # columns dbt fails the build on when NULL
    may_be_empty: bool = False  # meta `may_be_empty`: no rows is a valid result, not a broken build
    accepted: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # (column, its accepted_values) dbt blocks on


def _tests(node: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(test name, its arguments) of a node's `data_tests` (or the older `tests`)."""
    for test in node.get("data_tests") or node.get("tests") or ():
        if isinstance(test, str):
            yield test.split(".")[-1], {}
        elif isinstance(test, dict):
            for name, config in test.items():
                yield name.split(".")[-1], config or {}


def _arguments(config: dict[str, Any]) -> dict[str, Any]:
    return config.get("arguments", config)


def _blocking(config: dict[str, Any]) -> bool:
    """A test dbt fails the build on, over every row (no `severity: warn`, no `where`)."""
    settings = config.get("config", {})
    return settings.get("severity", "error") != "warn" and "where" not in settings


def _declared(node: dict[str, Any]) -> DeclaredRelation:
    key: tuple[str, ...] = ()
    for name, config in _tests(node):
        if name == "unique_combination_of_columns":
            key = tuple(_arguments(config)["combination_of_columns"])
    not_null: list[str] = []
    accepted: list[tuple[str, tuple[Any, ...]]] = []
    for column in node.get("columns") or ():
        tests = {name for name, _ in _tests(column)}
        if "unique" in tests and not key:
            key = (column["name"],)
        if any(name == "not_null" and _blocking(config) for name, config in _tests(column)):
            not_null.append(column["name"])
        accepted += [
            (column["name"], tuple(_arguments(config)["values"]))
            for name, config in _tests(column)
            if name == "accepted_values" and _blocking(config)
        ]
    meta = node.get("meta") or (node.get("config") or {}).get("meta") or {}
    return DeclaredRelation(
        node["name"], key, tuple(not_null), bool(meta.get("may_be_empty", False)), tuple(accepted)
    )


def declared_relations(
    folders: Iterable[Path] = (DBT_PROJECT / "models", DBT_PROJECT / "seeds"),
) -> dict[str, DeclaredRelation]:
    """Every model and seed the YAML files under `folders` describe, by name."""
    found: dict[str, DeclaredRelation] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.yml")):
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for node in [*(document.get("models") or ()), *(document.get("seeds") or ())]:
                found[node["name"]] = _declared(node)
    return found
