"""One ingestion run: pull one entity of one source for one interval and load it as a batch.

This is what an ingest DAG task calls; it is also usable on its own (tests, one-off loads).
Pages flow lazily from the HTTP client through pseudonymisation and parsing into the
loader, so nothing larger than a page is held in memory.

How the entity is pulled comes from its declared cursor (the four ways and their re-run rules:
`ingestion.sources.base`): a windowed entity pulls the run's data interval (moved back by its
overlap), and only once the source serves all of it (its end + the source's lag; earlier is
refused, `NotServedYet`); a snapshot pulls everything; a cursor-based entity resumes from the
cursor stored in `ops.watermarks` (moved back by its overlap) and stores the new one with the
batch, and a cursor or queue entity the span of event times it loaded. Items of an entity that declares an
acknowledgement are acknowledged only after the batch committed. Neither a cursor-based
pull nor an acknowledged one can read an interval's items again, so re-running an interval
that already holds a live batch of such an entity reports that batch and pulls nothing
(replacing it would delete what the source no longer serves).

A backfill (`backfill_id`) loads a windowed entity as a `staged` batch (`ingestion.backfills`);
a catalogue is pulled as usual (its pull never erases history); a cursor-based or acknowledged
entity is not pulled at all: the backfill rebuilds it from what raw holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec
import orjson
import psycopg

from core.settings import Settings
from ingestion.http import ApiClient, RetryPolicy
from ingestion.load import BatchKey, BatchResult, People, Reject, Row, case_people, load_batch
from ingestion.origins import claim, url_origin
from ingestion.paging import read_ahead
from ingestion.personal_text import holds_citizen_id, may_hold_citizen_id
from ingestion.privacy import Pseudonymiser, masked_logger, sealer, value_of
from ingestion.record_rules import (
    MAX_TEXT_CHARS,
    RENAME_MIN_RECORDS,
    RENAME_SHARE,
    Absent,
    holds_nul,
    plausible_times,
)
from ingestion.records import ENCODER
from ingestion.schema import migrate
from ingestion.sources import SOURCES, Ack, Endpoint, Entity, Rejected, Resume, Window
from ingestion.state import EventTimes, loaded_batch, read_watermark, store_cursor, store_event_times

log = masked_logger(__name__)


#: the type of a function that looks up the people of cases by key (`ingestion.load.case_people`)
CasePeople = Callable[[Iterable[str]], Mapping[str, frozenset[str]]]
_NOBODY: Mapping[str, frozenset[str]] = {}
#: the reason of an undeclared field in ops.unknown_fields (the other: `CITIZEN_ID_REASON`)
UNDECLARED = "undeclared"


def _reject_text(record: Any, entity: Entity, pseudonymiser: Pseudonymiser) -> str:
    """The rejected record as text, with its personal data hidden like a good one's: personal
    fields pseudonymised (a dict record has been walked already; a JSON string of an object, or
    the objects of a list, are walked here), and the whole text scrubbed as free text
    (`Pseudonymiser.scrub_loose`: citizen ids, even in a key, phone numbers, e-mails, the batch's
    personal values) — a line that is no JSON at all included."""
    if isinstance(record, str):
        try:
            record = orjson.loads(record)  # a record sent as a JSON string of an object
        except orjson.JSONDecodeError:
            return pseudonymiser.scrub_loose(record)
        if isinstance(record, dict) and entity.personal is not None:
            pseudonymiser.apply(record, entity.personal)
    if type(record) is list and entity.personal is not None:
        for item in record:
            if isinstance(item, dict):
                pseudonymiser.apply(item, entity.personal)
    try:
        text = orjson.dumps(record).decode()
    except TypeError:
        text = repr(record)
    return pseudonymiser.scrub_loose(text)


def _original(record: Any) -> bytes:
    """`record` as received, in bytes (to be sealed)."""
    if isinstance(record, str):
        return record.encode()
    if isinstance(record, msgspec.Struct):
        return ENCODER.encode(record)
    try:
        return orjson.dumps(record)
    except TypeError:
        return repr(record).encode()


def _note_item_id(entity: Entity, record: Any, item_ids: list[Ack]) -> bool:
    """Append the acknowledgement of `record` (stored; personal data hidden) to `item_ids`: True
    when it has an id."""
    if entity.acknowledge is None:
        return False
    try:
        item_ids.append(Ack(entity.acknowledge.item_id(record)))
    except (KeyError, TypeError, AttributeError, IndexError):
        log.warning("%s record without an item id: not acknowledged (served again)", entity.name)
        return False
    return True


def _as_declared(record: dict[str, Any], shape: type) -> Any:
    """`record` converted to its declared shape, or as it is when it does not fit."""
    try:
        return msgspec.convert(record, shape)
    except msgspec.ValidationError:
        return record


#: What the fast path answers for a clean record whose stored form it refuses (a NUL
#: character, longer than one text value may be): its personal data is hidden already.
HIDDEN = object()


def _fast_path(entity: Entity, pseudonymiser: Pseudonymiser) -> Callable[..., Any]:
    """The fast path of `entity` (`DeclaredParse`) as a function of a record decoded into its
    declared shape, `plausible_times()` (read once a page) and the people of the page's cases
    (`case_people`, by case key): its row; None when it is not clean (untouched: the checked
    path takes it as it came); HIDDEN when its stored form is refused or holds a citizen id
    (in a plain field: the checked path pseudonymises it and counts the field; in a key: it
    refuses the record) — the checked path then takes it as it is (its personal data hidden,
    its free text scrubbed, its citizen attributes kept) and names the value. A row's stored
    form is its `Row.scanned`: searched here, it is not searched again by the loader's last check.
    """
    declared, policy = entity.declared, entity.personal
    assert declared is not None
    clean, make_row, encode, new_row = declared.clean, declared.row, ENCODER.encode, tuple.__new__
    hide, scrub = pseudonymiser.apply_declared, pseudonymiser.scrub_people

    def row_of(
        record: Any,
        days: frozenset[str],
        times: frozenset[str],
        people: Mapping[str, frozenset[str]] = _NOBODY,
    ) -> Any:
        if not clean(record, days, times):
            return None
        if policy is not None:
            hide(record, policy)
            scrub(record, policy, people)
        stored = encode(record)
        if len(stored) > MAX_TEXT_CHARS or holds_nul(stored) or may_hold_citizen_id(stored):
            return HIDDEN
        row = make_row(record, stored)
        return new_row(Row, (row[0], row[1], stored))  # searched: the sink does not search it again

    return row_of


class NotServedYet(RuntimeError):
    """A window pulled before its source can serve all of it (its end + the source's lag)."""


class RenamedField(RuntimeError):
    """A field every record carries is absent from a large share of a batch: the batch fails."""


def parse_pages(
    entity: Entity,
    pages: Iterable[list[Any]],
    pseudonymiser: Pseudonymiser,
    item_ids: list[Ack] | None = None,
    unknown: dict[Any, int] | None = None,
    people: CasePeople | None = None,
    seal: Callable[[bytes], bytes] | None = None,
) -> Iterator[list[Row | Reject | People]]:
    """Pseudonymise, then parse, every record of every page; malformed ones become `Reject`s.

    With `item_ids`, the acknowledgement of every record is appended to it as it passes (a reject's
    carries its reason, so the source is told it failed);
    with `unknown`, the fields the source's declarations do not know are counted by path, and
    the plain fields that held a citizen id by (path, CITIZEN_ID_REASON). With `people` (the
    look-up of `case_people`, one call a page), free text is also scrubbed of the stored people
    of the record's case; each page ends with the people of the cases it met (`People`), to
    store. With `seal`, a reject keeps its original text sealed by it (`sealer`).
    A few records without a field every record carries are rejects; when it is absent from
    more than RENAME_SHARE of the batch's records the batch fails (`RenamedField`).
    """
    records = 0
    absent: dict[str, int] = {}
    declared, policy = entity.declared, entity.personal
    shape = declared.shape if declared is not None else None
    row_of = _fast_path(entity, pseudonymiser) if declared is not None else None
    case_key = policy.case_key if policy is not None else None
    encode = ENCODER.encode
    for page in pages:
        parsed: list[Row | Reject | People] = []
        records += len(page)
        days, times = plausible_times()
        known = _NOBODY
        if people is not None and case_key:
            # a key holding a citizen id (a reject to be) is not sent to the warehouse either
            keys = {key for record in page if (key := value_of(record, case_key))}
            opaque = policy.opaque_patterns if policy is not None else ()
            known = people([key for key in keys if not holds_citizen_id(key, opaque)])
        origins = getattr(page, "origins", None)  # a replayed file's file:line, by position
        for position, record in enumerate(page):
            hidden = False
            original = None
            if declared is not None:
                if type(record) is dict:  # handed over decoded (a test, a replay): the same fast path
                    record = _as_declared(record, declared.shape)
                if type(record) is shape:
                    if seal is not None:
                        original = encode(record)
                    row = row_of(record, days, times, known)  # type: ignore[misc]
                    if row is not None and row is not HIDDEN:
                        if item_ids is not None:
                            _note_item_id(entity, msgspec.to_builtins(record), item_ids)
                        parsed.append(row)
                        continue
                    hidden = row is HIDDEN
                    record = msgspec.to_builtins(record)  # the checked path below names the problem
            if seal is not None and original is None:
                original = _original(record)
            if policy is not None and isinstance(record, dict):
                if hidden:  # walked and scrubbed already; ids left in plain fields hidden now
                    pseudonymiser.hide_ids(record, policy, unknown)
                else:
                    pseudonymiser.apply(record, policy, unknown)
                    pseudonymiser.scrub_people(record, policy, known)
            noted = item_ids is not None and _note_item_id(entity, record, item_ids)
            try:
                parsed.append(entity.parse(record))
            except (Absent, Rejected) as exc:
                if isinstance(exc, Absent):
                    absent[exc.field] = absent.get(exc.field, 0) + 1
                sealed = seal(original) if seal is not None and original is not None else None
                # the reason may quote a value: scrubbed like the record's text
                reason = pseudonymiser.scrub_loose(str(exc))
                origin = origins.get(position) if origins else None
                parsed.append(Reject(_reject_text(record, entity, pseudonymiser), reason, sealed, origin))
                if noted:
                    assert item_ids is not None
                    item_ids[-1] = item_ids[-1]._replace(failure=reason)
        taken = pseudonymiser.take_people()
        if taken and people is not None:
            parsed.append(People([case for case, _ in taken], [pseudonym for _, pseudonym in taken]))
        yield parsed
    for field, count in absent.items():
        if count >= RENAME_MIN_RECORDS and count > RENAME_SHARE * records:
            raise RenamedField(
                f"{entity.name}: required field {field} is absent from {count} of {records} records "
                f"({100 * count / records:.0f} %): renamed at the source?"
            )


def record_unknown_fields(
    conn: psycopg.Connection, source: str, entity: str, unknown: dict[Any, int]
) -> None:
    """Upsert the fields a batch reported into ops.unknown_fields (count added, last seen now): a
    path (undeclared field) or (path, reason) (`CITIZEN_ID_REASON`: a plain field held an id)."""
    if not unknown:
        return
    found = sorted(((k, UNDECLARED) if type(k) is str else k, count) for k, count in unknown.items())
    with conn.cursor() as cur:
        cur.executemany(
            """
            insert into ops.unknown_fields (source, entity, field_path, reason, records)
            values (%s, %s, %s, %s, %s)
            on conflict (source, entity, field_path, reason) do update
            set last_seen = now(), records = ops.unknown_fields.records + excluded.records
            """,
            [(source, entity, path, reason, count) for (path, reason), count in found],
        )
    log.warning(
        "%s.%s: fields stored pseudonymised: %s",
        source,
        entity,
        ", ".join(f"{path} ({reason}, {count})" for (path, reason), count in found),
    )


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
    backfill_id: int | None = None,
) -> BatchResult | None:
    """Load `source.entity` for [interval_start, interval_end) into raw, replacing that interval's batch
    (or, for backfill `backfill_id`, staged beside it). None: a backfill does not pull this entity."""
    if interval_start.tzinfo is None or interval_end.tzinfo is None:
        raise ValueError("interval bounds must be timezone-aware")
    if interval_end <= interval_start:
        raise ValueError(f"empty interval [{interval_start}, {interval_end})")
    spec = SOURCES[source]
    target = spec.entity(entity)
    key = BatchKey(source, entity, interval_start, interval_end)
    pseudonymiser = Pseudonymiser.from_settings(settings)
    pull = target.pull
    started = datetime.now(UTC)
    if pull.kind == "window" and not spec.serves(interval_end, started):
        raise NotServedYet(
            f"{source}.{entity}: [{interval_start.isoformat()}, {interval_end.isoformat()}) is served "
            f"whole only from {(interval_end + spec.lag).isoformat()} (availability lag {spec.lag})"
        )
    if backfill_id is not None and (pull.resumes or target.acknowledge is not None):
        log.info(
            "%s.%s: its items cannot be re-read; backfill %s rebuilds it from raw only",
            source,
            entity,
            backfill_id,
        )
        return None
    with (
        ApiClient(
            endpoint.url, auth=spec.client_auth(endpoint), policy=policy, max_in_flight=spec.max_in_flight
        ) as client,
        psycopg.connect(warehouse_url, autocommit=True) as conn,
        # the people of cases are looked up beside the batch's COPY, on a connection of their own
        psycopg.connect(warehouse_url, autocommit=True) as lookup,
    ):
        migrate(warehouse_url)
        claim(conn, source, endpoint.origin or url_origin(endpoint.url))
        if pull.resumes or target.acknowledge is not None:
            # what was read (and acknowledged) cannot be read again: keep the interval's batch
            earlier = loaded_batch(conn, key)
            if earlier is not None:
                log.info(
                    "%s.%s: interval already loaded by batch %s; its items cannot be re-read",
                    source,
                    entity,
                    earlier.batch_id,
                )
                return earlier
        where: Window | Resume | None = None
        if pull.kind == "window":
            where = pull.window(interval_start, interval_end)
        elif target.acknowledge is not None:  # a queue drains what it lists up to the interval's end
            where = Window(interval_start, interval_end)
        elif pull.resumes:
            stored = read_watermark(conn, source, entity)
            where = Resume(
                pull.resume_from(stored.cursor if stored else None),
                interval=Window(interval_start, interval_end),
            )
        item_ids: list[Ack] | None = [] if target.acknowledge is not None else None
        unknown: dict[Any, int] = {}
        fetched = target.fetch(client, where, settings.page_size)
        read_time = target.event_times()
        times = EventTimes(read_time, started) if read_time is not None else None
        pages = parse_pages(
            target,
            # the next page is fetched while this one is parsed and copied
            read_ahead(times.track(fetched) if times is not None else fetched),
            pseudonymiser,
            item_ids,
            unknown,
            people=lambda keys: case_people(lookup, source, keys),
            seal=sealer(settings.rejects_key) if settings.rejects_key else None,
        )

        def move_cursor(conn: psycopg.Connection, result: BatchResult) -> None:
            record_unknown_fields(conn, source, entity, unknown)
            if isinstance(where, Resume):
                store_cursor(conn, source, entity, where.next_value)
            if times is not None:
                if target.acknowledge is not None:  # nothing listed before the interval's end is left
                    times.drained(interval_end)
                elif isinstance(where, Resume) and where.served_until is not None:
                    times.drained(min(where.served_until, interval_end))
                    if where.value is None:  # a first pull reads from the interval's start
                        times.began(interval_start)
                store_event_times(conn, source, entity, times)

        result = load_batch(
            conn,
            target.table,
            key,
            pages,
            run_id=run_id,
            snapshot=target.snapshot,
            max_shrink=None if settings.accepts_shrink(source, entity) else target.max_shrink,
            before_commit=move_cursor,
            backfill_id=None if target.snapshot else backfill_id,
            opaque=target.personal.opaque_patterns if target.personal is not None else (),
            once=target.stored_once,
        )
        if target.acknowledge is not None and item_ids:
            acknowledge(client, target, item_ids)
        return result


def acknowledge(client: ApiClient, entity: Entity, item_ids: list[Ack]) -> None:
    """Tell the source these items are stored (after the batch committed: in raw, or a reject in
    ops.rejects whose acknowledgement says it failed and why), in chunks."""
    assert entity.acknowledge is not None
    chunk = entity.acknowledge.chunk
    for offset in range(0, len(item_ids), chunk):
        entity.acknowledge.send(client, item_ids[offset : offset + chunk])
    failed = sum(ack.failure is not None for ack in item_ids)
    log.info("acknowledged %d %s items (%d as failed)", len(item_ids), entity.name, failed)
