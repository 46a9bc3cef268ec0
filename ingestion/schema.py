"""The warehouse's migrations plus the raw tables every registered source declares.

`migrate(warehouse)` is `core.migrations.migrate` with the source registry's declarations:
each entity's raw table (the loader's columns `batch_id`, `loaded_at`, then the columns the
source declares, then — for a catalogue pulled whole — the snapshot columns `record_hash`,
`is_deleted`, `observed_at`) and its row in `ops.source_entities`. This is the one place raw
DDL comes from.
"""

from __future__ import annotations

import psycopg

from core import migrations
from core.migrations import Index, SourceEntity, Table
from ingestion.load import BATCH_COLUMNS, SNAPSHOT_COLUMNS
from ingestion.sources import SOURCES, Entity


def raw_table(entity: Entity) -> Table:
    """The full DDL declaration of an entity's raw table."""
    declared = entity.table
    columns = (*BATCH_COLUMNS, *declared.columns)
    indexes = (Index(f"{declared.name}_batch", ("batch_id",)), *declared.indexes)
    if entity.snapshot:
        columns += SNAPSHOT_COLUMNS
        indexes += (Index(f"{declared.name}_latest", (*declared.key, "observed_at")),)
    return Table(declared.schema, declared.name, columns, indexes)


def declared_tables() -> list[Table]:
    return [raw_table(entity) for source in SOURCES.values() for entity in source.entities]


def source_entities() -> list[SourceEntity]:
    return [
        SourceEntity(source.name, entity.name, entity.windowed, entity.table.qualified, entity.pull_mode)
        for source in SOURCES.values()
        for entity in source.entities
    ]


def migrate(warehouse: str | psycopg.Connection) -> list[str]:
    """Apply pending migrations, create/extend every registered raw table, record the entities."""
    return migrations.migrate(warehouse, tables=declared_tables(), source_entities=source_entities())
