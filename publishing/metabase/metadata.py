"""What Metabase should say about every `bi` table and column: dbt's descriptions and a semantic type.

The descriptions are dbt's own: `persist_docs` writes them as PostgreSQL comments, publish
copies them onto the `bi` views, and they are read back here from the catalogue (so a column
publishing adds, like `bi.restatements`, is described too). Semantic types come from a
column's dbt `meta` (`metabase.semantic_type`, the key dbt-metabase reads) in the model or
seed YAML when given, else from the column's name by the rules below. They are pushed with
`PUT /api/table/:id` (`description`) and `PUT /api/field/:id` (`description`,
`semantic_type`), as documented in docs/api/table.md and docs/api/field.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
import yaml

from core.settings import PROJECT_ROOT
from publishing.catalog import schema_columns

DBT_DIR = PROJECT_ROOT / "dbt_project"

#: Name rules, first match wins: (regex on the column name, Metabase semantic type).
SEMANTIC_RULES: tuple[tuple[str, str], ...] = (
    (
        r"^(indicator_id|unit_id|agency_id|procedure_id|dossier_id|parent_agency_id|camera_id|report_id|"
        r"category_id|commune_code|agency_unit_code|desk_id)$",
        "type/Category",
    ),
    (r"^latitude$", "type/Latitude"),
    (r"^longitude$", "type/Longitude"),
    (r"(^|_)name(_vi|_en)?$", "type/Name"),
    (r"^full_score_at$", "type/Percentage"),
    (
        r"^(numerator|denominator|old_numerator|new_numerator|old_denominator|new_denominator)$",
        "type/Quantity",
    ),
    (r"(_count|_values)$", "type/Quantity"),
    (r"^(points|max_points|earned|measured|score|min_measured_points)$", "type/Score"),
    (
        r"^(framework|value_unit|direction|period_kind|period_status|scope|view|status|change|level|unit|"
        r"agency_level|online_level|channel_code|time_limit_unit|band|vendor|event_type|urgency)$",
        "type/Category",
    ),
    (r"^(note|description|source)$", "type/Description"),
)


@dataclass(frozen=True)
class Column:
    name: str
    description: str | None
    semantic_type: str | None


@dataclass(frozen=True)
class Relation:
    name: str
    description: str | None
    columns: tuple[Column, ...]


def yaml_semantic_types(dbt_dir: Path = DBT_DIR) -> dict[tuple[str, str], str]:
    """(model or seed, column) → semantic type, from `meta: {metabase.semantic_type: …}` in dbt YAML."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted([*dbt_dir.glob("models/**/*.yml"), *dbt_dir.glob("seeds/*.yml")]):
        document = yaml.safe_load(path.read_text()) or {}
        for kind in ("models", "seeds"):
            for node in document.get(kind) or []:
                for column in node.get("columns") or []:
                    meta = {**(column.get("meta") or {}), **((column.get("config") or {}).get("meta") or {})}
                    semantic = meta.get("metabase.semantic_type")
                    if semantic:
                        found[(node["name"], column["name"])] = semantic
    return found


def semantic_type(relation: str, column: str, overrides: dict[tuple[str, str], str]) -> str | None:
    if (relation, column) in overrides:
        return overrides[(relation, column)]
    for pattern, semantic in SEMANTIC_RULES:
        if re.search(pattern, column):
            return semantic
    return None


def bi_relations(conn: psycopg.Connection, schema: str = "bi") -> list[Relation]:
    """Every view and table of `bi` with its description and its columns' descriptions."""
    overrides = yaml_semantic_types()
    relations: dict[str, tuple[str | None, list[Column]]] = {}
    for table, table_comment, column, _, column_comment in schema_columns(conn, schema):
        _, columns = relations.setdefault(table, (table_comment, []))
        columns.append(Column(column, column_comment, semantic_type(table, column, overrides)))
    return [Relation(name, comment, tuple(columns)) for name, (comment, columns) in relations.items()]
