"""Every registered source declares raw tables the loader and migrate() can use."""

from __future__ import annotations

import pytest

from ingestion.load import BATCH_COLUMNS, SNAPSHOT_COLUMNS
from ingestion.schema import declared_tables, raw_table
from ingestion.sources import SOURCES, Entity

ENTITIES = [(source.name, entity) for source in SOURCES.values() for entity in source.entities]


@pytest.mark.parametrize(("source", "entity"), ENTITIES, ids=[f"{s}.{e.name}" for s, e in ENTITIES])
def test_raw_table_declaration(source: str, entity: Entity) -> None:
    table = entity.table
    names = table.column_names
    assert table.schema == "raw" and table.name.startswith(f"{source}__")
    assert names[-1] == "record" and table.columns[-1].type == "jsonb"
    assert set(table.key) <= set(names)
    loader_names = {c.name for c in (*BATCH_COLUMNS, *SNAPSHOT_COLUMNS)}
    assert not loader_names & set(names), "the loader's columns are not declared by the source"
    if entity.snapshot:
        assert table.key, "a catalogue is compared by key: declare it"
    ddl = raw_table(entity)
    assert [c.name for c in ddl.columns][:2] == ["batch_id", "loaded_at"]
    assert ("record_hash" in [c.name for c in ddl.columns]) is entity.snapshot


def test_onestop_catalogue_columns_match_the_contract() -> None:
    procedures = next(t for t in declared_tables() if t.name == "onestop__procedures")
    assert [(c.name, c.type, c.not_null, c.default) for c in procedures.columns] == [
        ("batch_id", "bigint", True, None),
        ("loaded_at", "timestamptz", True, "now()"),
        ("source_updated_at", "timestamptz", False, None),
        ("ma_tthc", "text", True, None),
        ("record", "jsonb", True, None),
        ("record_hash", "text", True, None),
        ("is_deleted", "boolean", True, "false"),
        ("observed_at", "timestamptz", True, None),
    ]
