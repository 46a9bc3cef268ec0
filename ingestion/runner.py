"""One ingestion run: pull one entity of one source for one interval and load it as a batch.

This is what an ingest DAG task calls; it is also usable on its own (tests, one-off loads).
Pages flow lazily from the HTTP client through pseudonymisation and parsing into the
loader, so nothing larger than a page is held in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import orjson
import psycopg

from core.settings import Settings
from ingestion.http import ApiClient, RetryPolicy, TokenAuth
from ingestion.load import BatchKey, BatchResult, Reject, Row, load_batch
from ingestion.origins import claim, url_origin
from ingestion.privacy import Pseudonymiser, mask_text
from ingestion.schema import migrate
from ingestion.sources import SOURCES, Endpoint, Entity, Rejected, Window


def _reject_text(record: Any, entity: Entity, pseudonymiser: Pseudonymiser) -> str:
    """The rejected record as text, with its personal data pseudonymised like a good one's."""
    if isinstance(record, str):
        try:
            decoded = orjson.loads(record)  # a record sent as a JSON string of an object
        except orjson.JSONDecodeError:
            return mask_text(record)
        if isinstance(decoded, dict) and entity.personal is not None:
            pseudonymiser.apply(decoded, entity.personal)
        record = decoded
    try:
        return mask_text(orjson.dumps(record).decode())
    except TypeError:
        return mask_text(repr(record))


def parse_pages(
    entity: Entity, pages: Iterable[list[Any]], pseudonymiser: Pseudonymiser
) -> Iterator[list[Row | Reject]]:
    """Pseudonymise, then parse, every record of every page; malformed ones become `Reject`s."""
    for page in pages:
        parsed: list[Row | Reject] = []
        for record in page:
            if entity.personal is not None and isinstance(record, dict):
                pseudonymiser.apply(record, entity.personal)
            try:
                parsed.append(entity.parse(record))
            except Rejected as exc:
                parsed.append(Reject(_reject_text(record, entity, pseudonymiser), str(exc)))
        yield parsed


def ingest(
    source: str,
    entity: str,
    interval_start: datetime,
    interval_end: datetime,
    *,
    endpoint: Endpoint,
    settings: Settings,
    warehouse_url: str,
    run_id: str | None = None,
    policy: RetryPolicy | None = None,
) -> BatchResult:
    """Load `source.entity` for [interval_start, interval_end) into raw, replacing that interval's batch."""
    if interval_start.tzinfo is None or interval_end.tzinfo is None:
        raise ValueError("interval bounds must be timezone-aware")
    if interval_end <= interval_start:
        raise ValueError(f"empty interval [{interval_start}, {interval_end})")
    spec = SOURCES[source]
    target = spec.entity(entity)
    pseudonymiser = Pseudonymiser.from_settings(settings)
    window = Window(interval_start, interval_end) if target.windowed else None
    auth = TokenAuth(spec.token_path, endpoint.username, endpoint.password)
    with (
        ApiClient(endpoint.url, auth=auth, policy=policy) as client,
        psycopg.connect(warehouse_url, autocommit=True) as conn,
    ):
        migrate(warehouse_url)
        claim(conn, source, endpoint.origin or url_origin(endpoint.url))
        pages = parse_pages(target, target.fetch(client, window, settings.page_size), pseudonymiser)
        return load_batch(
            conn,
            target.table,
            BatchKey(source, entity, interval_start, interval_end),
            pages,
            run_id=run_id,
            snapshot=not target.windowed,
        )
