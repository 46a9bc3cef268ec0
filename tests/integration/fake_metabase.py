"""A local stand-in for Metabase's REST API: exactly the endpoints dtimon uses, strict like the real one.

Follows the request shapes in metabase/metabase docs/api.json (the OpenAPI document) and
docs/api/*.md: required fields and their types, unknown ids (404), unauthenticated calls
(401). It is stricter than Metabase in one place, said where it is: a native query must
declare exactly the `{{tags}}` it uses (Metabase saves such a card but fails when it runs).
Every call is recorded, so tests can count writes.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SEMANTIC_TYPES = {
    "type/PK", "type/FK", "type/Name", "type/Title", "type/Category", "type/Quantity", "type/Score",
    "type/Percentage", "type/Description", "type/CreationTimestamp", "type/Comment", "type/Number",
    "type/Latitude", "type/Longitude",
}  # fmt: skip
TAG_TYPES = {"text", "number", "date", "dimension", "card", "snippet", "temporal-unit"}
CARD_TYPES = {"question", "model", "metric"}
MASKED = "**MetabasePass**"


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _bad(field_name: str, message: str) -> ApiError:
    return ApiError(400, json.dumps({"errors": {field_name: message}}))


def _check(
    body: dict[str, Any], name: str, kind: str, *, required: bool = False, nullable: bool = True
) -> None:
    """Validate one field: kind is one of 'nonblank', 'string', 'map', 'list', 'posint', 'bool', 'int'."""
    if name not in body:
        if required:
            raise _bad(name, "value is required")
        return
    value = body[name]
    if value is None:
        if nullable and not required:
            return
        raise _bad(name, "value may not be null")
    ok = {
        "nonblank": isinstance(value, str) and value.strip() != "",
        "string": isinstance(value, str),
        "map": isinstance(value, dict),
        "list": isinstance(value, list),
        "posint": isinstance(value, int) and not isinstance(value, bool) and value > 0,
        "int": isinstance(value, int) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
    }[kind]
    if not ok:
        raise _bad(name, f"value must be {kind}")


@dataclass
class FakeMetabase:
    users: dict[str, str] = field(default_factory=lambda: {"admin@dtimon.test": "metabase-pass"})
    api_keys: set[str] = field(default_factory=lambda: {"mb_test_key"})
    #: tables the warehouse has, as a sync would find them: name → [(column, description)]
    warehouse: dict[str, list[str]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)
    databases: dict[int, dict[str, Any]] = field(default_factory=dict)
    collections: dict[int, dict[str, Any]] = field(default_factory=dict)
    cards: dict[int, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[int, dict[str, Any]] = field(default_factory=dict)
    tables: dict[int, dict[str, Any]] = field(default_factory=dict)
    fields: dict[int, dict[str, Any]] = field(default_factory=dict)
    _next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_id(self) -> int:
        self._next += 1
        return self._next

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.calls if m != "GET" and p != "/api/session"]

    # -- dispatch --------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any, headers: Any) -> Any:
        self.calls.append((method, path))
        if method == "POST" and path == "/api/session":
            if not isinstance(body, dict):
                raise _bad("body", "must be a map")
            _check(body, "username", "nonblank", required=True)
            _check(body, "password", "nonblank", required=True)
            if self.users.get(body["username"]) != body["password"]:
                raise ApiError(401, json.dumps({"errors": {"password": "did not match stored password"}}))
            token = str(uuid.uuid4())
            self.sessions.add(token)
            return {"id": token}
        if (
            headers.get("X-Metabase-Session") not in self.sessions
            and headers.get("X-API-Key") not in self.api_keys
        ):
            raise ApiError(401, "Unauthenticated")
        if method in {"POST", "PUT"} and not isinstance(body, dict):
            raise _bad("body", "must be a JSON object")
        routes = [
            ("GET", r"/api/database/?", self.list_databases),
            ("POST", r"/api/database/?", self.create_database),
            ("PUT", r"/api/database/(\d+)", self.update_database),
            ("GET", r"/api/database/(\d+)/metadata", self.database_metadata),
            ("POST", r"/api/database/(\d+)/sync_schema", self.sync_schema),
            ("GET", r"/api/collection/?", self.list_collections),
            ("POST", r"/api/collection/?", self.create_collection),
            ("PUT", r"/api/collection/(\d+)", self.update_collection),
            ("GET", r"/api/collection/(\d+)/items", self.collection_items),
            ("GET", r"/api/card/?", self.list_cards),
            ("POST", r"/api/card/?", self.create_card),
            ("GET", r"/api/card/(\d+)", self.get_card),
            ("PUT", r"/api/card/(\d+)", self.update_card),
            ("POST", r"/api/dashboard/?", self.create_dashboard),
            ("GET", r"/api/dashboard/(\d+)", self.get_dashboard),
            ("PUT", r"/api/dashboard/(\d+)", self.update_dashboard),
            ("PUT", r"/api/table/(\d+)", self.update_table),
            ("PUT", r"/api/field/(\d+)", self.update_field),
        ]
        for verb, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                args = [int(g) for g in match.groups()]
                return handler(*args, query=query, body=body)
        raise ApiError(404, "API endpoint does not exist.")

    @staticmethod
    def _get(store: dict[int, dict[str, Any]], object_id: int) -> dict[str, Any]:
        if object_id not in store:
            raise ApiError(404, "Not found.")
        return store[object_id]

    def _collection_id(self, body: dict[str, Any]) -> None:
        _check(body, "collection_id", "posint")
        if body.get("collection_id") is not None:
            self._get(self.collections, body["collection_id"])

    # -- databases -------------------------------------------------------------------------
    def _public_db(self, db: dict[str, Any]) -> dict[str, Any]:
        details = dict(db["details"])
        if "password" in details:
            details["password"] = MASKED
        return {**db, "details": details}

    def list_databases(self, **_: Any) -> Any:
        data = [self._public_db(db) for db in self.databases.values()]
        return {"data": data, "total": len(data)}

    def create_database(self, *, body: dict[str, Any], **_: Any) -> Any:
        _check(body, "name", "nonblank", required=True)
        _check(body, "engine", "nonblank", required=True)
        _check(body, "details", "map", required=True)
        if body["engine"] not in {"postgres", "h2", "mysql"}:
            raise _bad("engine", "value must be a valid database engine.")
        db_id = self.new_id()
        self.databases[db_id] = {
            "id": db_id,
            "name": body["name"],
            "engine": body["engine"],
            "details": body["details"],
        }
        self.sync_schema(db_id)  # Metabase syncs a new database's schema on its own
        return self._public_db(self.databases[db_id])

    def update_database(self, db_id: int, *, body: dict[str, Any], **_: Any) -> Any:
        db = self._get(self.databases, db_id)
        _check(body, "name", "nonblank")
        _check(body, "details", "map")
        if body.get("details"):
            details = dict(body["details"])
            if details.get("password") == MASKED:
                details["password"] = db["details"].get("password")
            db["details"] = details
        if body.get("name"):
            db["name"] = body["name"]
        return self._public_db(db)

    def sync_schema(self, db_id: int, **_: Any) -> Any:
        self._get(self.databases, db_id)
        known = {t["name"] for t in self.tables.values() if t["db_id"] == db_id}
        for name, columns in self.warehouse.items():
            if name in known:
                continue
            table_id = self.new_id()
            self.tables[table_id] = {
                "id": table_id,
                "db_id": db_id,
                "schema": "bi",
                "name": name,
                "description": None,
            }
            for column in columns:
                field_id = self.new_id()
                self.fields[field_id] = {
                    "id": field_id, "table_id": table_id, "name": column, "description": None, "semantic_type": None,
                }  # fmt: skip
        return {"status": "ok"}

    def database_metadata(self, db_id: int, **_: Any) -> Any:
        self._get(self.databases, db_id)
        tables = []
        for table in self.tables.values():
            if table["db_id"] == db_id:
                fields = [f for f in self.fields.values() if f["table_id"] == table["id"]]
                tables.append({**table, "fields": fields})
        return {"id": db_id, "tables": tables}

    def update_table(self, table_id: int, *, body: dict[str, Any], **_: Any) -> Any:
        table = self._get(self.tables, table_id)
        _check(body, "description", "string")
        _check(body, "display_name", "nonblank")
        if "visibility_type" in body and body["visibility_type"] not in {
            None,
            "technical",
            "hidden",
            "cruft",
        }:
            raise _bad("visibility_type", "invalid")
        table.update({k: body[k] for k in ("description", "display_name") if k in body})
        return table

    def update_field(self, field_id: int, *, body: dict[str, Any], **_: Any) -> Any:
        found = self._get(self.fields, field_id)
        _check(body, "description", "nonblank")
        _check(body, "display_name", "nonblank")
        if body.get("semantic_type") is not None and body["semantic_type"] not in SEMANTIC_TYPES:
            raise _bad("semantic_type", "value must be a valid field semantic or relation type")
        found.update({k: body[k] for k in ("description", "semantic_type", "display_name") if k in body})
        return found

    # -- collections -----------------------------------------------------------------------
    def list_collections(self, **_: Any) -> Any:
        root = {"id": "root", "name": "Our analytics", "can_write": True}
        return [root, *(c for c in self.collections.values() if not c["archived"])]

    def create_collection(self, *, body: dict[str, Any], **_: Any) -> Any:
        _check(body, "name", "nonblank", required=True)
        _check(body, "description", "nonblank")
        _check(body, "parent_id", "posint")
        if body.get("parent_id") is not None:
            self._get(self.collections, body["parent_id"])
        collection_id = self.new_id()
        self.collections[collection_id] = {
            "id": collection_id, "name": body["name"], "description": body.get("description"), "archived": False,
        }  # fmt: skip
        return self.collections[collection_id]

    def update_collection(self, collection_id: int, *, body: dict[str, Any], **_: Any) -> Any:
        collection = self._get(self.collections, collection_id)
        _check(body, "name", "nonblank")
        _check(body, "description", "nonblank")
        _check(body, "archived", "bool")
        collection.update({k: body[k] for k in ("name", "description", "archived") if k in body})
        return collection

    def collection_items(self, collection_id: int, *, query: dict[str, list[str]], **_: Any) -> Any:
        self._get(self.collections, collection_id)
        models = query.get("models") or ["card", "dashboard", "collection"]
        items = []
        if "dashboard" in models:
            items += [
                {"id": d["id"], "name": d["name"], "description": d["description"], "model": "dashboard"}
                for d in self.dashboards.values()
                if d["collection_id"] == collection_id and not d["archived"]
            ]
        if "card" in models:
            items += [
                {"id": c["id"], "name": c["name"], "description": c["description"], "model": "card"}
                for c in self.cards.values()
                if c["collection_id"] == collection_id and not c["archived"]
            ]
        return {"data": items, "total": len(items)}

    # -- cards -----------------------------------------------------------------------------
    def list_cards(self, *, query: dict[str, list[str]], **_: Any) -> Any:
        f = (query.get("f") or ["all"])[0]
        if f not in {
            "archived",
            "table",
            "using_model",
            "bookmarked",
            "using_segment",
            "all",
            "mine",
            "database",
        }:
            raise _bad("f", "invalid filter")
        return [c for c in self.cards.values() if c["archived"] == (f == "archived")]

    def _check_query(self, dataset_query: dict[str, Any]) -> None:
        _check(dataset_query, "database", "posint", required=True)
        self._get(self.databases, dataset_query["database"])
        if dataset_query.get("type") != "native":
            raise _bad("dataset_query", "only native queries are supported by this fake")
        native = dataset_query.get("native")
        if not isinstance(native, dict):
            raise _bad("dataset_query", "native must be a map")
        _check(native, "query", "nonblank", required=True)
        tags = native.get("template-tags") or {}
        if not isinstance(tags, dict):
            raise _bad("template-tags", "must be a map")
        for name, tag in tags.items():
            for key in ("id", "name", "display-name", "type"):
                _check(tag, key, "nonblank", required=True)
            if tag["name"] != name or tag["type"] not in TAG_TYPES:
                raise _bad("template-tags", f"invalid tag {name}")
        used = set(re.findall(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}", native["query"]))
        if used != set(tags):  # stricter than Metabase, see the module docstring
            raise _bad("template-tags", f"query uses {sorted(used)}, declares {sorted(tags)}")

    def create_card(self, *, body: dict[str, Any], **_: Any) -> Any:
        _check(body, "name", "nonblank", required=True)
        _check(body, "dataset_query", "map", required=True)
        _check(body, "display", "nonblank", required=True)
        _check(body, "visualization_settings", "map", required=True)
        _check(body, "description", "nonblank")
        _check(body, "parameters", "list")
        if body.get("type") is not None and body["type"] not in CARD_TYPES:
            raise _bad("type", "invalid card type")
        self._collection_id(body)
        self._check_query(body["dataset_query"])
        card_id = self.new_id()
        self.cards[card_id] = {
            "id": card_id, "archived": False, "collection_id": body.get("collection_id"),
            "description": body.get("description"), "type": body.get("type") or "question",
            **{k: body[k] for k in ("name", "dataset_query", "display", "visualization_settings")},
        }  # fmt: skip
        return self.cards[card_id]

    def get_card(self, card_id: int, **_: Any) -> Any:
        return self._get(self.cards, card_id)

    def update_card(self, card_id: int, *, body: dict[str, Any], **_: Any) -> Any:
        card = self._get(self.cards, card_id)
        _check(body, "name", "nonblank")
        _check(body, "dataset_query", "map")
        _check(body, "display", "nonblank")
        _check(body, "visualization_settings", "map")
        _check(body, "description", "string")
        _check(body, "archived", "bool")
        self._collection_id(body)
        if body.get("dataset_query"):
            self._check_query(body["dataset_query"])
        fields = ("name", "dataset_query", "display", "visualization_settings", "description", "archived")
        card.update({k: body[k] for k in (*fields, "collection_id") if k in body and body[k] is not None})
        return card

    # -- dashboards ------------------------------------------------------------------------
    @staticmethod
    def _check_parameters(parameters: Any) -> None:
        if parameters is None:
            return
        if not isinstance(parameters, list):
            raise _bad("parameters", "must be a list")
        for parameter in parameters:
            if not isinstance(parameter, dict):
                raise _bad("parameters", "parameter must be a map with :id and :type keys")
            _check(parameter, "id", "nonblank", required=True)
            _check(parameter, "type", "nonblank", required=True)
            _check(parameter, "required", "bool")
            # values source (docs/embedding/sdk/api_markdown/internal/ValuesSourceConfig.md)
            if parameter.get("values_source_type") not in (None, "static-list", "card"):
                raise _bad("values_source_type", "must be static-list or card")
            _check(parameter, "values_source_config", "map")
            values = (parameter.get("values_source_config") or {}).get("values")
            if values is not None and not all(isinstance(v, str | list) for v in values):
                raise _bad("values_source_config", "values must be strings or [value, label] pairs")
            # a filter that always has a value needs one to start with (the UI's "Always require a value")
            if parameter.get("required") and parameter.get("default") in (None, []):
                raise _bad("parameters", f"parameter {parameter['id']} is required but has no default")

    def create_dashboard(self, *, body: dict[str, Any], **_: Any) -> Any:
        _check(body, "name", "nonblank", required=True)
        _check(body, "description", "string")
        self._collection_id(body)
        self._check_parameters(body.get("parameters"))
        dashboard_id = self.new_id()
        self.dashboards[dashboard_id] = {
            "id": dashboard_id, "name": body["name"], "description": body.get("description"),
            "collection_id": body.get("collection_id"), "parameters": body.get("parameters") or [],
            "dashcards": [], "archived": False,
        }  # fmt: skip
        return self.dashboards[dashboard_id]

    def get_dashboard(self, dashboard_id: int, **_: Any) -> Any:
        return self._get(self.dashboards, dashboard_id)

    def update_dashboard(self, dashboard_id: int, *, body: dict[str, Any], **_: Any) -> Any:
        dashboard = self._get(self.dashboards, dashboard_id)
        _check(body, "name", "nonblank")
        _check(body, "description", "string")
        _check(body, "archived", "bool")
        self._collection_id(body)
        self._check_parameters(body.get("parameters"))
        parameters = body["parameters"] if body.get("parameters") is not None else dashboard["parameters"]
        parameter_ids = {p["id"] for p in parameters}
        dashcards = body.get("dashcards")
        new_cards = None
        if dashcards is not None:
            if not isinstance(dashcards, list):
                raise _bad("dashcards", "must be a list")
            ids = [d.get("id") for d in dashcards if isinstance(d, dict)]
            if len(ids) != len(dashcards) or len(set(ids)) != len(ids):
                raise _bad("dashcards", "value must be seq of maps in which ids are unique")
            own = {d["id"] for d in dashboard["dashcards"]}
            new_cards = []
            for dashcard in dashcards:
                _check(dashcard, "id", "int", required=True)
                _check(dashcard, "size_x", "posint", required=True)
                _check(dashcard, "size_y", "posint", required=True)
                for key in ("row", "col"):
                    _check(dashcard, key, "int", required=True)
                    if dashcard[key] < 0:
                        raise _bad(key, "value must be an integer greater or equal to than zero.")
                if dashcard["id"] >= 0 and dashcard["id"] not in own:
                    raise ApiError(404, f"dashcard {dashcard['id']} is not on dashboard {dashboard_id}")
                card = self._get(self.cards, dashcard.get("card_id") or 0)
                tags = card["dataset_query"]["native"].get("template-tags") or {}
                for mapping in dashcard.get("parameter_mappings") or []:
                    _check(mapping, "parameter_id", "nonblank", required=True)
                    if "target" not in mapping:
                        raise _bad("parameter_mappings", "must be a map with :parameter_id and :target keys")
                    if mapping["parameter_id"] not in parameter_ids:
                        raise _bad("parameter_mappings", f"unknown parameter {mapping['parameter_id']}")
                    target = mapping["target"]
                    if (
                        mapping.get("card_id") != card["id"]
                        or target[:1] != ["variable"]
                        or target[1][1] not in tags
                    ):
                        raise _bad("parameter_mappings", f"invalid target {target}")
                new_id = dashcard["id"] if dashcard["id"] >= 0 else self.new_id()
                new_cards.append({**dashcard, "id": new_id, "dashboard_id": dashboard_id})
        for key in ("name", "description", "collection_id", "archived"):
            if key in body and body[key] is not None:
                dashboard[key] = body[key]
        dashboard["parameters"] = parameters
        if new_cards is not None:
            dashboard["dashcards"] = new_cards
        return dashboard


class _Handler(BaseHTTPRequestHandler):
    fake: FakeMetabase

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        return

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
            with self.fake.lock:
                result = self.fake.handle(method, parts.path, parse_qs(parts.query), body, self.headers)
            status, payload = 200, json.dumps(result).encode()
        except ApiError as exc:
            status, payload = exc.status, str(exc).encode()
        except json.JSONDecodeError:
            status, payload = 400, b'{"message": "malformed JSON"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")


class FakeMetabaseServer:
    """`with FakeMetabaseServer(fake) as url:` serves `fake` on 127.0.0.1 in a thread."""

    def __init__(self, fake: FakeMetabase) -> None:
        handler = type("Handler", (_Handler,), {"fake": fake})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
