"""The method of each computed indicator, as a hash: it changes when the rule computing the
indicator's values changes, not when the data does.

An indicator's values come from the dbt model `ind_values`. Its method is its catalogue row, its
measure macro (named in the catalogue) and everything upstream of `ind_values` in dbt's manifest:
each model and seed (dbt's checksum of its file) and each project macro they or the measure call
(dbt's `depends_on.macros`, followed through macros). The data (dbt sources) is not part of it,
nor are dbt's own macros; the catalogue seed is covered row by row, so editing one indicator's row
changes that indicator's hash only. A build is staged with these hashes (ops.method_hashes); the
gate judges moves and disappearances only of indicators whose hash equals the live publication's.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

#: The model every indicator's values come from.
INDICATOR_MODEL = "ind_values"
#: The seed of the catalogue, whose rows are hashed one by one instead.
CATALOGUE = "indicator_catalogue"
#: Packages whose macros are dbt's own (an upgrade of dbt is not a change of our method).
DBT_PACKAGES = frozenset({"dbt", "dbt_postgres"})


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _macro_closure(manifest: Mapping[str, Any], roots: Iterable[str]) -> dict[str, str]:
    """The project macros `roots` name and those they call, with a digest of each one's text."""
    macros = manifest.get("macros") or {}
    found: dict[str, str] = {}
    pending = list(roots)
    while pending:
        unique_id = pending.pop()
        macro = macros.get(unique_id)
        if unique_id in found or macro is None or macro.get("package_name") in DBT_PACKAGES:
            continue
        found[unique_id] = _digest(macro.get("macro_sql") or "")
        pending.extend((macro.get("depends_on") or {}).get("macros") or ())
    return found


def lineage(manifest: Mapping[str, Any], model: str = INDICATOR_MODEL) -> dict[str, str]:
    """`model` and every model and seed upstream of it (but the catalogue), and the project macros
    they call: unique id → checksum. Empty when the manifest does not know `model`."""
    nodes = manifest.get("nodes") or {}
    pending = [
        unique_id
        for unique_id, node in nodes.items()
        if node.get("resource_type") == "model" and node.get("name") == model
    ]
    found: dict[str, str] = {}
    macro_roots: list[str] = []
    while pending:
        unique_id = pending.pop()
        node = nodes.get(unique_id)  # a source (the data) is not a node
        if unique_id in found or node is None or node.get("name") == CATALOGUE:
            continue
        found[unique_id] = str((node.get("checksum") or {}).get("checksum"))
        depends_on = node.get("depends_on") or {}
        pending.extend(depends_on.get("nodes") or ())
        macro_roots.extend(depends_on.get("macros") or ())
    return found | _macro_closure(manifest, macro_roots) if found else {}


def method_hashes(manifest: Mapping[str, Any], catalogue: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Indicator id → method hash, for a catalogue given as indicator id → (measure macro name,
    the indicator's catalogue row as text)."""
    shared = lineage(manifest)
    project = (manifest.get("metadata") or {}).get("project_name")
    hashes = {}
    for indicator_id, (measure, row) in catalogue.items():
        own = _macro_closure(manifest, [f"macro.{project}.{measure}"])
        method = {"catalogue_row": row, "lineage": shared | own}
        hashes[indicator_id] = _digest(orjson.dumps(method, option=orjson.OPT_SORT_KEYS).decode())
    return hashes


def record_method_hashes(
    conn: psycopg.Connection, publication_id: int, schema: str, manifest: Mapping[str, Any]
) -> list[str] | None:
    """Store the method hash of each indicator the candidate `schema`'s catalogue computes; return
    the indicators whose hash differs from the live publication's (None without a live one, or
    without a catalogue declaring measures)."""
    declares_measures = conn.execute(
        "select 1 from information_schema.columns where table_schema = %s and table_name = %s"
        " and column_name = 'measure'",
        (schema, CATALOGUE),
    ).fetchone()
    if declares_measures is None:
        return None
    query = sql.SQL(
        "select indicator_id, measure, row_to_json(catalogue)::text from {} as catalogue where measure is not null"
    ).format(sql.Identifier(schema, CATALOGUE))
    catalogue = {
        indicator_id: (measure, row) for indicator_id, measure, row in conn.execute(query).fetchall()
    }
    hashes = method_hashes(manifest, catalogue)
    with conn.cursor() as cur:
        cur.executemany(
            "insert into ops.method_hashes (publication_id, indicator_id, method_hash) values (%s, %s, %s)"
            " on conflict (publication_id, indicator_id) do update set method_hash = excluded.method_hash",
            [(publication_id, indicator_id, digest) for indicator_id, digest in sorted(hashes.items())],
        )
    live = conn.execute(
        "select publication_id from ops.publications where status = 'published' and publication_id <> %s",
        (publication_id,),
    ).fetchone()
    if live is None:
        return None
    changed = [
        indicator_id
        for (indicator_id,) in conn.execute(
            """
            select candidate_hash.indicator_id
            from ops.method_hashes as candidate_hash
            inner join ops.method_hashes as live_hash
                on live_hash.indicator_id = candidate_hash.indicator_id
            where candidate_hash.publication_id = %s and live_hash.publication_id = %s
                and live_hash.method_hash <> candidate_hash.method_hash
            order by 1
            """,
            (publication_id, live[0]),
        ).fetchall()
    ]
    if changed:
        log.warning(
            "the method of %s changed since publication %s: their moves are not judged",
            ", ".join(changed),
            live[0],
        )
    return changed
