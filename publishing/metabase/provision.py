"""`plan` and `apply`: make a Metabase instance hold exactly what `definitions` declares.

Objects dtimon manages carry a marker at the end of their description,
`(dtimon: <key> <digest>)`: the key finds the object again on the next run (Metabase's own
`entity_id` cannot be chosen through the API, and names are for people to change), the
digest is a hash of everything dtimon sets on it. An object whose digest, name, collection
and archived flag already match is left alone, so a second `apply` writes nothing. The
warehouse connection is found by its name (`DATABASE_NAME`).

Endpoints, as documented in metabase/metabase docs/api.json (the OpenAPI document each
instance also serves at /api/docs) and docs/api/*.md:
  GET/POST /api/database, PUT /api/database/:id, GET /api/database/:id/metadata,
  POST /api/database/:id/sync_schema; GET/POST /api/collection, PUT /api/collection/:id,
  GET /api/collection/:id/items?models=dashboard; GET /api/card?f=all, POST /api/card
  (name, dataset_query, display, visualization_settings required), PUT /api/card/:id;
  POST /api/dashboard (name required), PUT /api/dashboard/:id (with `dashcards`: each needs
  id, size_x, size_y, row, col; negative ids create new dashcards, those left out are
  removed); PUT /api/table/:id; PUT /api/field/:id.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg

from core.settings import ConfigError, Settings
from publishing.metabase.client import MetabaseClient
from publishing.metabase.config import DATABASE_NAME, MetabaseConfig
from publishing.metabase.definitions import FILTERS, Definitions, Question, build, stable_uuid
from publishing.metabase.metadata import Relation, bi_relations

log = logging.getLogger(__name__)

MARKER = re.compile(r"\s*\(dtimon: (?P<key>[^ ()]+) (?P<digest>[0-9a-f]{12}|pending)\)\s*$")
PENDING = "pending"


@dataclass(frozen=True)
class Change:
    action: str  # create | update | archive | sync
    model: str  # database | collection | card | dashboard | table
    key: str
    name: str
    details: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        symbol = {"create": "+", "update": "~", "archive": "-", "sync": "*"}[self.action]
        head = f"{symbol} {self.action} {self.model} {self.key} ({self.name})"
        return [head, *(f"    {detail}" for detail in self.details)]


def render(changes: list[Change]) -> str:
    if not changes:
        return "Metabase is up to date: nothing to change."
    return "\n".join(line for change in changes for line in change.lines())


def digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]


def marked(description: str, key: str, hashed: str) -> str:
    return f"{description}\n\n(dtimon: {key} {hashed})"


def marker(description: str | None) -> tuple[str, str] | None:
    match = MARKER.search(description or "")
    return (match.group("key"), match.group("digest")) if match else None


def _data(response: Any) -> list[dict[str, Any]]:
    """List endpoints answer a list, or (newer versions) an object with the list under `data`."""
    if isinstance(response, dict):
        return list(response.get("data") or [])
    return list(response or [])


def _native_query(dataset_query: dict[str, Any] | None) -> str:
    """The SQL of a native query, legacy (`native.query`) or MBQL 5 (`stages[0].native`)."""
    query = dataset_query or {}
    native = query.get("native")
    if isinstance(native, dict):
        return str(native.get("query") or "")
    stages = query.get("stages") or [{}]
    return str(stages[0].get("native") or "")


def _mappable_tags(question: Question) -> set[str]:
    """Tags a dashboard filter may drive: not the ones a question pins to its own value."""
    return {tag.name for tag in question.tags if not tag.pinned}


class Provisioner:
    def __init__(
        self,
        client: MetabaseClient,
        config: MetabaseConfig,
        definitions: Definitions,
        relations: list[Relation],
        *,
        dry_run: bool,
    ) -> None:
        self.client = client
        self.config = config
        self.definitions = definitions
        self.relations = relations
        self.dry_run = dry_run
        self.changes: list[Change] = []

    def run(self) -> list[Change]:
        database_id = self._database()
        collection_ids = self._collections()
        card_ids = self._cards(database_id, collection_ids)
        self._dashboards(collection_ids, card_ids)
        self._metadata(database_id)
        return self.changes

    def _note(self, change: Change) -> bool:
        """Record a change; True when it should also be made (apply, not plan)."""
        self.changes.append(change)
        return not self.dry_run

    # -- the warehouse connection --------------------------------------------------------
    def _database(self) -> int | None:
        config = self.config
        details: dict[str, Any] = {
            "host": config.bi_host,
            "port": config.bi_port,
            "dbname": config.bi_database,
            "user": config.bi_user,
            "ssl": False,
            "schema-filters-type": "inclusion",
            "schema-filters-patterns": "bi",
        }
        secret = {"password": config.bi_password} if config.bi_password else {}
        found = [db for db in _data(self.client.get("/api/database")) if db.get("name") == DATABASE_NAME]
        if not found:
            where = f"{config.bi_user}@{config.bi_host}:{config.bi_port}/{config.bi_database}, schema bi"
            notes = (where,) if secret else (where, "no DTIMON_BI_PASSWORD: connecting without a password")
            if self._note(Change("create", "database", "bi", DATABASE_NAME, notes)):
                body = {"name": DATABASE_NAME, "engine": "postgres", "details": {**details, **secret}}
                return int(self.client.post("/api/database", body)["id"])
            return None
        database = found[0]
        current = database.get("details") or {}
        differs = [f"{k}: {current.get(k)!r} -> {v!r}" for k, v in details.items() if current.get(k) != v]
        if differs and self._note(Change("update", "database", "bi", DATABASE_NAME, tuple(differs))):
            self.client.put(f"/api/database/{database['id']}", {"details": {**current, **details, **secret}})
        return int(database["id"])

    # -- collections ---------------------------------------------------------------------
    def _collections(self) -> dict[str, int | None]:
        existing = {
            found[0]: c
            for c in _data(self.client.get("/api/collection"))
            if isinstance(c, dict) and (found := marker(c.get("description")))
        }
        ids: dict[str, int | None] = {}
        for collection in self.definitions.collections:
            payload = {"name": collection.name, "description": collection.description}
            hashed = digest(payload)
            body = {**payload, "description": marked(collection.description, collection.key, hashed)}
            current = existing.get(collection.key)
            if current is None:
                ids[collection.key] = None
                if self._note(Change("create", "collection", collection.key, collection.name)):
                    ids[collection.key] = int(self.client.post("/api/collection", body)["id"])
                continue
            ids[collection.key] = int(current["id"])
            differs = self._differs(current, hashed, {"name": collection.name})
            if differs and self._note(
                Change("update", "collection", collection.key, collection.name, differs)
            ):
                self.client.put(f"/api/collection/{current['id']}", {**body, "archived": False})
        return ids

    def _differs(self, current: dict[str, Any], hashed: str, wanted: dict[str, Any]) -> tuple[str, ...]:
        found = marker(current.get("description"))
        differs = [f"{k}: {current.get(k)!r} -> {v!r}" for k, v in wanted.items() if current.get(k) != v]
        if current.get("archived"):
            differs.append("archived: restored")
        if found is None or found[1] != hashed:
            differs.append(f"definition: {found[1] if found else 'none'} -> {hashed}")
        return tuple(differs)

    # -- questions -----------------------------------------------------------------------
    def _cards(self, database_id: int | None, collection_ids: dict[str, int | None]) -> dict[str, int | None]:
        existing: dict[str, dict[str, Any]] = {}
        for card in _data(self.client.get("/api/card", {"f": "all"})):
            found = marker(card.get("description"))
            if found and (found[0] not in existing or not card.get("archived")):
                existing[found[0]] = card
        ids: dict[str, int | None] = {}
        for question in self.definitions.questions:
            payload = {
                "name": question.name,
                "type": "question",
                "display": question.display,
                "visualization_settings": question.visualization_settings,
                "collection_id": collection_ids[question.collection],
                "dataset_query": {
                    "type": "native",
                    "database": database_id,
                    "native": {"query": question.sql, "template-tags": question.template_tags()},
                },
            }
            hashed = digest({**payload, "description": question.description})
            body = {**payload, "description": marked(question.description, question.key, hashed)}
            current = existing.pop(question.key, None)
            if current is None:
                ids[question.key] = None
                if self._note(Change("create", "card", question.key, question.name)):
                    ids[question.key] = int(self.client.post("/api/card", body)["id"])
                continue
            ids[question.key] = int(current["id"])
            wanted = {
                "name": question.name,
                "collection_id": payload["collection_id"],
                "display": question.display,
            }
            differs = self._differs(current, hashed, wanted)
            if differs:
                differs += self._sql_diff(current, question)
                if self._note(Change("update", "card", question.key, question.name, differs)):
                    self.client.put(f"/api/card/{current['id']}", {**body, "archived": False})
        for key, card in existing.items():
            if not card.get("archived") and self._note(Change("archive", "card", key, str(card.get("name")))):
                self.client.put(f"/api/card/{card['id']}", {"archived": True})
        return ids

    @staticmethod
    def _sql_diff(current: dict[str, Any], question: Question) -> tuple[str, ...]:
        old = _native_query(current.get("dataset_query")).splitlines()
        new = question.sql.splitlines()
        return tuple(difflib.unified_diff(old, new, "metabase", "definitions", n=1, lineterm=""))

    # -- dashboards ----------------------------------------------------------------------
    def _dashboards(self, collection_ids: dict[str, int | None], card_ids: dict[str, int | None]) -> None:
        existing: dict[str, dict[str, Any]] = {}
        for collection_id in {cid for cid in collection_ids.values() if cid is not None}:
            items = self.client.get(f"/api/collection/{collection_id}/items", {"models": "dashboard"})
            for item in _data(items):
                found = marker(item.get("description"))
                if found and item.get("model", "dashboard") == "dashboard":
                    existing[found[0]] = {**item, "collection_id": collection_id}
        for dashboard in self.definitions.dashboards:
            parameters = [
                FILTERS[name].parameter(stable_uuid(dashboard.key, name)) for name in dashboard.filters
            ]
            dashcards = []
            for n, placed in enumerate(dashboard.cards, start=1):
                card_id = card_ids[placed.question]
                tags = _mappable_tags(self.definitions.question(placed.question))
                dashcards.append(
                    {
                        "id": -n,
                        "card_id": card_id,
                        "row": placed.row,
                        "col": placed.col,
                        "size_x": placed.size_x,
                        "size_y": placed.size_y,
                        "series": [],
                        "visualization_settings": {},
                        "parameter_mappings": [
                            {
                                "parameter_id": stable_uuid(dashboard.key, name),
                                "card_id": card_id,
                                "target": ["variable", ["template-tag", name]],
                            }
                            for name in dashboard.filters
                            if name in tags
                        ],
                    }
                )
            collection_id = collection_ids[dashboard.collection]
            payload = {
                "name": dashboard.name,
                "collection_id": collection_id,
                "parameters": parameters,
                "dashcards": dashcards,
            }
            hashed = digest({**payload, "description": dashboard.description})
            body = {**payload, "description": marked(dashboard.description, dashboard.key, hashed)}
            current = existing.pop(dashboard.key, None)
            if current is None:
                if self._note(Change("create", "dashboard", dashboard.key, dashboard.name)):
                    created = self.client.post(
                        "/api/dashboard",
                        {
                            "name": dashboard.name,
                            "collection_id": collection_id,
                            "parameters": parameters,
                            "description": marked(dashboard.description, dashboard.key, PENDING),
                        },
                    )
                    self.client.put(f"/api/dashboard/{created['id']}", body)
                continue
            differs = self._differs(current, hashed, {"name": dashboard.name})
            if differs and self._note(Change("update", "dashboard", dashboard.key, dashboard.name, differs)):
                self.client.put(f"/api/dashboard/{current['id']}", {**body, "archived": False})
        for key, item in existing.items():
            if self._note(Change("archive", "dashboard", key, str(item.get("name")))):
                self.client.put(f"/api/dashboard/{item['id']}", {"archived": True})

    # -- table and column metadata -------------------------------------------------------
    def _metadata(self, database_id: int | None) -> None:
        if database_id is None:
            self._note(Change("sync", "table", "bi.*", "after the connection is added", ()))
            return
        metadata = self.client.get(f"/api/database/{database_id}/metadata")
        tables = {t["name"]: t for t in metadata.get("tables") or [] if t.get("schema") == "bi"}
        missing = [r.name for r in self.relations if r.name not in tables]
        if missing and self._note(
            Change("sync", "table", "bi.*", "Metabase has not seen these yet", (", ".join(missing),))
        ):
            self.client.post(f"/api/database/{database_id}/sync_schema")
        for relation in self.relations:
            table = tables.get(relation.name)
            if table is None:
                continue
            updates: list[tuple[str, dict[str, Any]]] = []
            details: list[str] = []
            if relation.description and table.get("description") != relation.description:
                updates.append((f"/api/table/{table['id']}", {"description": relation.description}))
                details.append("description")
            fields = {f["name"]: f for f in table.get("fields") or []}
            for column in relation.columns:
                found = fields.get(column.name)
                if found is None:
                    continue
                body: dict[str, Any] = {}
                if column.description and found.get("description") != column.description:
                    body["description"] = column.description
                if column.semantic_type and found.get("semantic_type") != column.semantic_type:
                    body["semantic_type"] = column.semantic_type
                if body:
                    updates.append((f"/api/field/{found['id']}", body))
                    details.append(f"{column.name}: {', '.join(sorted(body))}")
            if updates and self._note(
                Change("update", "table", f"bi.{relation.name}", "metadata", tuple(details))
            ):
                for path, body in updates:
                    self.client.put(path, body)


def _connect(config: MetabaseConfig) -> MetabaseClient:
    assert config.url is not None
    return MetabaseClient(config.url, api_key=config.api_key, user=config.user, password=config.password)


def _run(
    settings: Settings, env: Mapping[str, str] | None, warehouse_url: str | None, *, dry_run: bool
) -> list[Change]:
    url = warehouse_url or settings.warehouse_url
    config = MetabaseConfig.from_env(settings, env, url)
    if not config.configured:
        raise ConfigError("METABASE_URL is not set: there is no Metabase to provision")
    with psycopg.connect(url, autocommit=True) as conn:
        relations = bi_relations(conn)
    client = _connect(config)
    changes = Provisioner(client, config, build(), relations, dry_run=dry_run).run()
    log.info(
        "metabase %s: %d changes, %d writes", "plan" if dry_run else "apply", len(changes), len(client.writes)
    )
    return changes


def plan(
    settings: Settings, env: Mapping[str, str] | None = None, *, warehouse_url: str | None = None
) -> list[Change]:
    """What `apply` would change in Metabase (reads only). `warehouse_url` overrides the settings'
    (inside Airflow it comes from the warehouse connection)."""
    return _run(settings, env, warehouse_url, dry_run=True)


def apply(
    settings: Settings, env: Mapping[str, str] | None = None, *, warehouse_url: str | None = None
) -> list[Change]:
    """Create or update, in Metabase, everything the definitions declare; the changes made."""
    return _run(settings, env, warehouse_url, dry_run=False)


def after_publish(
    settings: Settings, env: Mapping[str, str] | None = None, *, warehouse_url: str | None = None
) -> list[Change] | None:
    """The post-publish step: apply when METABASE_URL is configured, else say in one line that it skipped."""
    if not MetabaseConfig.from_env(settings, env, warehouse_url).configured:
        log.info("Metabase provisioning skipped: METABASE_URL is not set")
        return None
    changes = apply(settings, env, warehouse_url=warehouse_url)
    log.info("Metabase provisioned: %d changes", len(changes))
    return changes
