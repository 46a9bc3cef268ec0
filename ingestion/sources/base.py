"""What a source is to the rest of dtimon: its entities, how each is pulled and parsed, and where it lands.

A source declares here everything the platform derives from it: its entities (raw table,
fetch, parse, personal fields, how it is pulled incrementally, whether items are
acknowledged), how the client logs in, its schedule and its sandbox. The registry
(`ingestion/sources/__init__.py`) lists the sources; nothing else names one.

Every entity is pulled one of four ways (`Entity.pull_mode`), each with its re-run rule:

- `window`: the run's data interval (Airflow's), pulled only once the source can serve all of
  it (interval end + `Source.lag`); re-running an interval replaces its batch;
- `snapshot`: a catalogue pulled whole every run; only its changes are stored (and a key it no
  longer holds is tombstoned), so re-running stores nothing new;
- `cursor`: resumes from the cursor stored in `ops.watermarks` (`Cursor` timestamp, sequence
  or token);
- `queue`: items the source serves until they are acknowledged (`Acknowledge`).

A cursor or a queue never re-reads: re-running an interval reports its batch and pulls nothing,
and a backfill rebuilds such an entity from what `raw` holds. A window covers the days its live
batches span; a cursor or queue covers a day once the event time it has loaded past
(`Entity.event_time`, kept in `ops.watermarks`) is beyond that day — or once the queue drained,
or the cursor's fetch read (`Resume.served_until`), everything before the interval's end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

from ingestion.http import (
    ApiClient,
    Auth,
    ExpiringTokenAuth,
    HeaderToken,
    MutualTLS,
    StaticToken,
    SystemCredentials,
    TokenAuth,
)
from ingestion.load import RawTable, Row
from ingestion.privacy import PersonalFields
from ingestion.record_checks import DeclaredParse, time_reader


@dataclass(frozen=True)
class Window:
    """The data interval a run pulls: [start, end), both aware."""

    start: datetime
    end: datetime


@dataclass
class Resume:
    """What a cursor-based pull resumes from, and where the fetch says the next pull should start.

    `value` is the stored cursor (already moved back by the entity's overlap), None on the
    first pull. The fetch calls `advance()` with each newer cursor it learns (a record's
    update time, the source's `nextRecordsFrom`); the last one is stored with the batch.
    `interval` is the run's data interval: a fetch that can may start a first pull at its start
    and stop at its end, and then says so (`served_until`): everything with an event time
    before it was loaded, so the days before it are covered.
    """

    value: str | None
    next_value: str | None = None
    interval: Window | None = None
    served_until: datetime | None = None

    def advance(self, value: str | int | datetime | None) -> None:
        if value is None or value == "":
            return
        self.next_value = value.isoformat() if isinstance(value, datetime) else str(value)


#: Yields the raw pages (lists of decoded records) of one entity. The second argument is
#: the run's `Window` for a windowed entity, a `Resume` for a cursor-based one, None for a snapshot.
Fetch = Callable[[ApiClient, "Window | Resume | None", int], Iterator[list[Any]]]
#: Turns one decoded record (personal fields already pseudonymised) into a raw-table row.
Parse = Callable[[Any], Row]

CursorKind = Literal["window", "snapshot", "timestamp", "sequence", "token"]
#: The four ways an entity is pulled (see the module's docstring for their re-run rules).
PullMode = Literal["window", "snapshot", "cursor", "queue"]


@dataclass(frozen=True)
class Cursor:
    """How an entity is pulled incrementally.

    - `window`: the run's data interval (the Airflow data interval), its start moved back by
      `overlap` (a timedelta) so late-arriving records are re-read;
    - `snapshot`: everything, every run (catalogues);
    - `timestamp`: resumes from the stored cursor (an ISO time, e.g. the newest `updated_at`
      seen), moved back by `overlap` (a timedelta);
    - `sequence`: resumes from a stored integer (a record number, `nextRecordsFrom`), moved
      back by `overlap` records;
    - `token`: resumes from an opaque token the source returned; no overlap is possible.

    The cursor of `timestamp`/`sequence`/`token` entities is kept in `ops.watermarks.cursor`
    and moves in the same transaction as the batch that read up to it.
    """

    kind: CursorKind
    overlap: timedelta | int = 0

    def __post_init__(self) -> None:
        if self.kind in ("window", "timestamp") and not (
            isinstance(self.overlap, timedelta) or not self.overlap
        ):
            raise TypeError(f"{self.kind} overlap must be a timedelta")
        if self.kind == "sequence" and (isinstance(self.overlap, timedelta) or self.overlap < 0):
            raise TypeError("sequence overlap must be a number of records")
        if self.kind in ("snapshot", "token") and self.overlap:
            raise ValueError(f"a {self.kind} cursor cannot re-read an overlap")

    @property
    def resumes(self) -> bool:
        """True when the pull starts from stored state rather than from the run's interval."""
        return self.kind in ("timestamp", "sequence", "token")

    def window(self, start: datetime, end: datetime) -> Window:
        overlap = self.overlap if isinstance(self.overlap, timedelta) else timedelta(0)
        return Window(start - overlap, end)

    def resume_from(self, stored: str | None) -> str | None:
        """The value a pull starts from, given the stored cursor (None: from the beginning)."""
        if stored is None or not self.overlap:
            return stored
        if self.kind == "timestamp":
            assert isinstance(self.overlap, timedelta)
            return (datetime.fromisoformat(stored) - self.overlap).isoformat()
        if self.kind == "sequence":
            assert isinstance(self.overlap, int)
            return str(max(0, int(stored) - self.overlap))
        return stored


WINDOW = Cursor("window")
SNAPSHOT = Cursor("snapshot")


class Ack(NamedTuple):
    """One item to acknowledge: stored in raw (`failure` None), or a reject and why it failed."""

    item_id: str
    failure: str | None = None


@dataclass(frozen=True)
class Acknowledge:
    """Tells a queue-like source which items are stored, so it stops serving them.

    Runs only after the batch's transaction committed, for every item stored in it (loaded
    into raw, or kept in ops.rejects with its reason); if the load fails nothing is
    acknowledged and the source serves the items again.
    """

    item_id: Callable[[Any], str]  # the id to acknowledge, from a decoded record
    send: Callable[[ApiClient, Sequence[Ack]], None]  # acknowledge these (e.g. `done`, or `fail` and why)
    chunk: int = 100


@dataclass(frozen=True)
class Entity:
    name: str
    table: RawTable
    fetch: Fetch
    parse: Parse
    windowed: bool  # pulled by data interval (True) or not (a snapshot or a cursor-based pull)
    personal: PersonalFields | None = None
    cursor: Cursor | None = None  # default: WINDOW if windowed, else SNAPSHOT
    acknowledge: Acknowledge | None = None
    declared: DeclaredParse | None = None  # the fast path, when the records are declared as a shape
    #: a snapshot (catalogue) pull that would lose more than this share of the live keys — or all
    #: of them — is refused as suspicious unless the operator accepts it (DTIMON_ACCEPT_SHRINK)
    max_shrink: float = 0.1
    #: the native name of the time field of its declared record that says when each item happened:
    #: how far a cursor or queue entity has loaded (without it such an entity covers no day)
    event_time: str | None = None
    #: its own schedule (cron, local time), when not the source's: an ingest DAG of its own
    schedule: str | None = None
    #: a record whose key a live batch already holds is not stored again: a pull that re-reads
    #: what it stored (a window moved back to ask again for open items) stores each new state once
    once: bool = False

    def __post_init__(self) -> None:
        if self.cursor is not None and (self.cursor.kind == "window") != self.windowed:
            raise ValueError(
                f"entity {self.name}: windowed={self.windowed} contradicts cursor {self.cursor.kind}"
            )
        if self.event_time is not None:
            if self.pull_mode not in ("cursor", "queue"):
                raise ValueError(f"entity {self.name}: only a cursor or queue entity declares an event time")
            self.event_times()  # raises unless a time field of its declared record

    def event_times(self) -> Callable[[Any], datetime | None] | None:
        """Reads the event time of one of its records (`event_time`); None when it declares none."""
        if self.event_time is None:
            return None
        if self.declared is None or self.declared.record is None:
            raise ValueError(f"entity {self.name}: its event time must be a field of its declared record")
        return time_reader(self.declared.record, self.event_time)

    @property
    def pull_mode(self) -> PullMode:
        """How this entity is pulled: window, snapshot (a catalogue), cursor or queue."""
        if self.acknowledge is not None:
            return "queue"
        if self.pull.resumes:
            return "cursor"
        return self.pull.kind  # type: ignore[return-value]  # window or snapshot

    @property
    def stored_once(self) -> bool:
        """True when a record whose key a live batch holds is not stored again: a queue's item served
        again after a lost acknowledgement, or an entity declared `once`."""
        return self.once or self.acknowledge is not None

    @property
    def pull(self) -> Cursor:
        """How this entity is pulled (its declared cursor, or the default for `windowed`)."""
        return self.cursor or (WINDOW if self.windowed else SNAPSHOT)

    @property
    def snapshot(self) -> bool:
        """True for a catalogue pulled whole every run (not windowed, not cursor-based, not a queue).

        A snapshot is stored only where it changed, and a key missing from it is tombstoned;
        a queue (an entity with an acknowledgement step) serves each item once, so it is not.
        """
        return self.pull.kind == "snapshot" and self.acknowledge is None


@dataclass(frozen=True)
class TokenLogin:
    """Log in by POSTing the username and password to `path`; a 401 fetches a new token once."""

    path: str
    token_field: str = "access_token"
    #: when set, the answer's field with the token's lifetime in seconds (renewed before expiry)
    expires_field: str | None = None
    #: an OAuth2 client-credentials grant (the username and password as client id and secret)
    #: instead of the credentials as JSON
    client_credentials: bool = False


@dataclass(frozen=True)
class BearerToken:
    """A fixed bearer token from the source's settings (`DTIMON_<SOURCE>_TOKEN`)."""


@dataclass(frozen=True)
class ClientCertificate:
    """Mutual TLS (as X-Road members authenticate): the client certificate, its key and the CA of
    the server's certificate are files named by the source's settings (`DTIMON_<SOURCE>_CLIENT_CERT`,
    `_CLIENT_KEY`, `_CA_CERT`)."""


@dataclass(frozen=True)
class SystemSecret:
    """A system id and secret sent as headers with every call (the document axis's connected
    systems): the source's username and password settings (`DTIMON_<SOURCE>_USERNAME`, `_PASSWORD`)."""


@dataclass(frozen=True)
class TokenHeader:
    """A fixed token sent in the header `header` with every call (the HueCIT field-report API's
    `token`): the source's password setting (`DTIMON_<SOURCE>_PASSWORD`)."""

    header: str


#: How a source's client authenticates: a token login, a fixed bearer, a client certificate,
#: a system id and secret, a token in a header, or None (open endpoint).
AuthSpec = TokenLogin | BearerToken | ClientCertificate | SystemSecret | TokenHeader | None


@dataclass(frozen=True)
class Sandbox:
    """The simulator that stands in for a source when no `DTIMON_<SOURCE>_URL` is set.

    `module` is run as `python -m <module> serve --port P --username U --password P` plus
    either `--data-dir DIR` or `--seed S --scale F --start D --end D --province CODE`, and answers
    `health_path` with 200 once it serves. Each source's sandbox listens on
    DTIMON_SANDBOX_PORT + `port_offset` (or `DTIMON_<SOURCE>_SANDBOX_PORT`). Offsets are
    one per source, from -2 to 7 (8100-8109 by default, below the report and docs ports):
    documents -1, one-stop 0, operations centre 1, national-database lookups 2; tests/unit/test_default_ports.py
    checks them.
    """

    module: str
    port_offset: int = 0
    health_path: str = "/_sim/health"
    #: the scale it generates at when `DTIMON_<SOURCE>_SCALE` is unset (None: DTIMON_SANDBOX_SCALE),
    #: for a source whose volume is not the one-stop's (camera events)
    scale: float | None = None


@dataclass(frozen=True)
class Endpoint:
    """Where a source is and how to log in (from an Airflow connection or settings)."""

    url: str
    username: str
    password: str = field(repr=False)
    token: str = field(default="", repr=False)
    #: mutual TLS: PEM files of the client certificate, its key and the server's CA
    client_cert: str = ""
    client_key: str = field(default="", repr=False)
    ca_cert: str = ""
    #: What fills the source, recorded in ops.source_origins (default: the URL without credentials).
    #: For the sandbox its data folder or seed and scale, since its URL is the same for all.
    origin: str = ""


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    entities: tuple[Entity, ...]
    schedule: str  # cron expression, local time (Asia/Ho_Chi_Minh)
    auth: AuthSpec
    sandbox: Sandbox | None = None
    #: how long after an interval ends the source serves all of it: a window is pulled no earlier
    #: than its end + lag (the ingest DAG waits for it, deferred; `ingest` refuses an earlier pull)
    lag: timedelta = timedelta(0)
    #: the most requests the source may be sent at once (its rate limit); a paging by page
    #: number requests that many pages ahead (`ingestion.paging.numbered_pages`)
    max_in_flight: int = 1

    def __post_init__(self) -> None:
        if self.lag < timedelta(0):
            raise ValueError(f"source {self.name}: a negative availability lag")
        for entity, upstream in self.loads_after().items():
            apart = [name for name in upstream if self.schedule_of(name) != self.schedule_of(entity)]
            if apart:
                raise ValueError(
                    f"source {self.name}: {entity} loads after {', '.join(apart)}, so shares their schedule"
                )

    def schedule_of(self, entity: str) -> str:
        """The cron (local time) `entity` is pulled on: its own, or the source's."""
        return self.entity(entity).schedule or self.schedule

    def schedules(self) -> dict[str, list[str]]:
        """schedule → the entities pulled on it, the source's own schedule first (one ingest DAG each)."""
        grouped: dict[str, list[str]] = {self.schedule: []}
        for entity in self.entities:
            grouped.setdefault(entity.schedule or self.schedule, []).append(entity.name)
        return {schedule: names for schedule, names in grouped.items() if names}

    def serves(self, window_end: datetime, now: datetime) -> bool:
        """True when the source can serve all of a window ending at `window_end` (end + lag <= now)."""
        return window_end + self.lag <= now

    def loads_after(self) -> dict[str, list[str]]:
        """entity → the entities it must load after in one interval: free text naming a case's
        people is scrubbed with the people stored for that case (`case_key`), so the entities
        whose records store them (`case_people`) load first."""
        storing = [e.name for e in self.entities if e.personal is not None and e.personal.case_people]
        return {
            e.name: storing
            for e in self.entities
            if storing and e.personal is not None and e.personal.case_key and not e.personal.case_people
        }

    def entity(self, name: str) -> Entity:
        for entity in self.entities:
            if entity.name == name:
                return entity
        raise KeyError(f"source {self.name!r} has no entity {name!r}")

    def client_auth(self, endpoint: Endpoint) -> Auth:
        """The HTTP client's auth for this source at `endpoint`."""
        if isinstance(self.auth, TokenLogin):
            if self.auth.expires_field:
                return ExpiringTokenAuth(
                    self.auth.path,
                    endpoint.username,
                    endpoint.password,
                    self.auth.token_field,
                    self.auth.client_credentials,
                    expires_field=self.auth.expires_field,
                )
            return TokenAuth(
                self.auth.path,
                endpoint.username,
                endpoint.password,
                self.auth.token_field,
                self.auth.client_credentials,
            )
        if isinstance(self.auth, BearerToken):
            return StaticToken(endpoint.token)
        if isinstance(self.auth, ClientCertificate):
            return MutualTLS(endpoint.client_cert, endpoint.client_key, endpoint.ca_cert)
        if isinstance(self.auth, SystemSecret):
            return SystemCredentials(endpoint.username, endpoint.password)
        if isinstance(self.auth, TokenHeader):
            return HeaderToken(self.auth.header, endpoint.password)
        return None
