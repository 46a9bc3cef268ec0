"""The privacy promise, field by field: a personal value never lands in clear.

The lists in `personal_fields/` are the test's own knowledge of each source's native format
(`../shared/reference/interfaces-research.md`), kept apart from the declarations in
`ingestion/sources/`: dropping a field from a source's declaration makes its case here fail.
Each case puts a recognisable clear value in one field, sends a good record and a
malformed copy (which must be rejected) through pseudonymisation, parsing and the real
loader into PostgreSQL, and looks for the value in every raw table, in `ops.rejects`, in
the batch ledger, in the batch summary (what the ingest task returns to Airflow's XCom)
and in the logs.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from ingestion.declarations import Kind, example_record, spec
from ingestion.load import BatchKey, load_batch
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.schema import migrate
from ingestion.sources import SOURCES

#: Where each source entity carries personal data: one `personal_fields/<source>.toml` per
#: source (entity → top-level field names, and "List[].Field" for a field of a list's items).
PERSONAL_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    (path.stem, entity): tuple(fields)
    for path in sorted((Path(__file__).parent / "personal_fields").glob("*.toml"))
    for entity, fields in tomllib.loads(path.read_text()).items()
}

ENTITIES = {(source.name, e.name): e for source in SOURCES.values() for e in source.entities}


def _sample(entity: Any) -> dict[str, Any]:
    """A valid record of the entity, built from its declaration (every field of its kind)."""
    return example_record(entity.declared.record)


def _broken(entity: Any) -> tuple[str, str]:
    """How to make a sample malformed (the copy that must land in ops.rejects): a key emptied."""
    [key, *_] = [f.name for f in spec(entity.declared.record) if f.kind is Kind.KEY]
    return key, ""


def _declared_paths(policy: Any, privacy: str) -> set[str]:
    """The paths of the fields `policy` declares personal (`fields`) or free text, nested too."""
    own = set(getattr(policy, privacy))
    for name, sub in policy.nested.items():
        own |= {f"{name}[].{path}" for path in _declared_paths(sub, privacy)}
    return own


SAMPLES = {key: _sample(entity) for key, entity in ENTITIES.items()}
BREAK = {key: _broken(entity) for key, entity in ENTITIES.items()}
FREE_TEXT = {key: tuple(sorted(_declared_paths(e.personal, "free_text"))) for key, e in ENTITIES.items()}

CASES = [(key, path) for key, paths in PERSONAL_FIELDS.items() for path in paths]


def test_every_registered_entity_is_listed_here() -> None:
    assert set(ENTITIES) == set(PERSONAL_FIELDS), (
        "list the personal fields of every source entity in personal_fields/<source>.toml"
    )


@pytest.mark.parametrize("entity_key", sorted(ENTITIES), ids=[f"{s}.{e}" for s, e in sorted(ENTITIES)])
def test_the_declarations_hide_every_field_listed_here(entity_key: tuple[str, str]) -> None:
    """This list is the test's own knowledge; the declarations must declare each one personal."""
    entity = ENTITIES[entity_key]
    assert entity.declared is not None and entity.personal is not None
    assert set(PERSONAL_FIELDS.get(entity_key, ())) <= _declared_paths(entity.personal, "fields")


def _put(record: dict[str, Any], path: str, value: str) -> None:
    if "[]." in path:
        items, field = path.split("[].")
        for item in record[items]:
            item[field] = value
    else:
        record[path] = value


def _database_text(conn: psycopg.Connection) -> str:
    tables = conn.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema in ('raw', 'ops') and table_type = 'BASE TABLE'"
    ).fetchall()
    dumps = [
        conn.execute(
            f'select coalesce(string_agg(t::text, chr(10)), \'\') from "{schema}"."{name}" as t'
        ).fetchone()[0]
        for schema, name in tables
    ]
    return "\n".join(dumps)


@pytest.mark.parametrize(("entity_key", "path"), CASES, ids=[f"{s}.{e}:{p}" for (s, e), p in CASES])
def test_a_personal_field_never_lands_in_clear(
    entity_key: tuple[str, str], path: str, warehouse_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    source_name, entity_name = entity_key
    entity = SOURCES[source_name].entity(entity_name)
    clear = "Đặng Thị Sentinel-" + path.replace("[].", "-")  # no digit run: log masking cannot hide it
    good = copy.deepcopy(SAMPLES[entity_key])
    _put(good, path, clear)
    bad = copy.deepcopy(good)
    field, broken = BREAK[entity_key]
    bad[field] = broken  # malformed: this copy must land in ops.rejects
    key = BatchKey(
        source_name, entity_name, datetime(2025, 9, 5, tzinfo=UTC), datetime(2025, 9, 6, tzinfo=UTC)
    )

    with caplog.at_level(logging.DEBUG), psycopg.connect(warehouse_url, autocommit=True) as conn:
        migrate(conn)
        pages = parse_pages(entity, [[good, bad]], Pseudonymiser("test-key"))
        result = load_batch(conn, entity.table, key, pages, run_id="privacy-test", snapshot=entity.snapshot)
        stored = _database_text(conn)

    assert (result.rows_loaded, result.rows_rejected) == (1, 1), "both paths (stored, rejected) were taken"
    summary = orjson.dumps(dataclasses.asdict(result)).decode()
    for where, text in (("raw/ops tables", stored), ("batch summary", summary), ("logs", caplog.text)):
        assert clear not in text, f"{path} reached {where} in clear"


def _load_and_scan(
    entity_key: tuple[str, str], good: dict[str, Any], warehouse_url: str, caplog: pytest.LogCaptureFixture
) -> str:
    source_name, entity_name = entity_key
    entity = SOURCES[source_name].entity(entity_name)
    bad = copy.deepcopy(good)
    field, broken = BREAK[entity_key]
    bad[field] = broken
    key = BatchKey(
        source_name, entity_name, datetime(2025, 9, 5, tzinfo=UTC), datetime(2025, 9, 6, tzinfo=UTC)
    )
    with caplog.at_level(logging.DEBUG), psycopg.connect(warehouse_url, autocommit=True) as conn:
        migrate(conn)
        result = load_batch(
            conn,
            entity.table,
            key,
            parse_pages(entity, [[good, bad]], Pseudonymiser("k")),
            snapshot=entity.snapshot,
        )
        assert (result.rows_loaded, result.rows_rejected) == (1, 1)
        return _database_text(conn) + caplog.text + orjson.dumps(dataclasses.asdict(result)).decode()


FREE_CASES = [(key, path) for key, paths in FREE_TEXT.items() for path in paths]


@pytest.mark.parametrize(("entity_key", "path"), FREE_CASES, ids=[f"{s}.{e}:{p}" for (s, e), p in FREE_CASES])
def test_a_free_text_field_loses_the_records_own_personal_values(
    entity_key: tuple[str, str], path: str, warehouse_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    good = copy.deepcopy(SAMPLES[entity_key])
    person = "Nguyễn Văn An"  # every personal value of the sample (`example_record`)
    # another spelling of the record's own name (capitals, doubled space), its id with spaces
    _put(good, path, f"Ông {person.upper().replace(' ', '  ')} nộp, số 056 090 001 234, gọi 0912 345 678")
    text = _load_and_scan(entity_key, good, warehouse_url, caplog)
    entity = SOURCES[entity_key[0]].entity(entity_key[1])
    # a name is known only as a personal value of the record (a record with none has no name to hide)
    names = (person, person.upper()) if entity.personal is not None and entity.personal.fields else ()
    for clear in (*names, "056090001234", "056 090 001 234", "0912 345 678"):
        assert clear not in text and clear.casefold() not in text.casefold(), f"{clear!r} via {path}"
    psn = Pseudonymiser("k")  # the id and the phone number, whoever's, become their pseudonyms
    assert f"nộp, số {psn.pseudonym('056090001234')}, gọi {psn.pseudonym('0912345678')}" in text


@pytest.mark.parametrize("entity_key", list(SAMPLES), ids=[f"{s}.{e}" for s, e in SAMPLES])
def test_an_undeclared_field_never_lands_in_clear(
    entity_key: tuple[str, str], warehouse_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    good = copy.deepcopy(SAMPLES[entity_key])
    clear = "Đặng Thị Sentinel-Undeclared"
    good["HoTenNguoiNop"] = clear  # a field the source started sending, declared nowhere
    lists = [f.name for f in spec(ENTITIES[entity_key].declared.record) if f.items is not None]
    good[lists[0] if lists else "ChiTiet"] = [{"NguoiKy": clear}]  # a declared list's item, or undeclared
    text = _load_and_scan(entity_key, good, warehouse_url, caplog)
    assert clear not in text
