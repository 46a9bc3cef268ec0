"""The relations of a schema and their columns, as PostgreSQL's catalogue describes them."""

from __future__ import annotations

from typing import NamedTuple

import psycopg


class CatalogColumn(NamedTuple):
    relation: str
    relation_comment: str | None
    column: str
    type_name: str  # format_type, e.g. "text", "numeric(12,4)"
    column_comment: str | None


def schema_columns(conn: psycopg.Connection, schema: str) -> list[CatalogColumn]:
    """Every column of every view, table and materialised view of `schema`, by relation then position."""
    rows = conn.execute(
        """
        select c.relname, obj_description(c.oid, 'pg_class'), a.attname,
               format_type(a.atttypid, a.atttypmod), col_description(c.oid, a.attnum)
        from pg_class as c
        inner join pg_namespace as n on c.relnamespace = n.oid
        inner join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname = %s and c.relkind in ('v', 'r', 'm')
        order by c.relname, a.attnum
        """,
        (schema,),
    ).fetchall()
    return [CatalogColumn(*row) for row in rows]
