"""What a source is to the rest of dtimon: its entities, how each is pulled and parsed, and where it lands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingestion.http import ApiClient
from ingestion.load import RawTable, Row
from ingestion.privacy import PersonalFields


class Rejected(ValueError):
    """A record that cannot be loaded; the message is the reason stored in ops.rejects."""


@dataclass(frozen=True)
class Window:
    """The data interval a run pulls: [start, end), both aware."""

    start: datetime
    end: datetime


#: Yields the raw pages (lists of decoded JSON records) of one entity; `Window` is None for snapshots.
Fetch = Callable[[ApiClient, "Window | None", int], Iterator[list[Any]]]
#: Turns one decoded record (personal fields already pseudonymised) into a raw-table row.
Parse = Callable[[Any], Row]


@dataclass(frozen=True)
class Entity:
    name: str
    table: RawTable
    fetch: Fetch
    parse: Parse
    windowed: bool  # pulled by data interval (True) or as a full snapshot each run (False)
    personal: PersonalFields | None = None


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    entities: tuple[Entity, ...]
    schedule: str  # cron expression, local time (Asia/Ho_Chi_Minh)
    token_path: str  # where credentials are exchanged for a bearer token

    def entity(self, name: str) -> Entity:
        for entity in self.entities:
            if entity.name == name:
                return entity
        raise KeyError(f"source {self.name!r} has no entity {name!r}")


@dataclass(frozen=True)
class Endpoint:
    """Where a source is and how to log in (from an Airflow connection or settings)."""

    url: str
    username: str
    password: str
    #: What fills the source, recorded in ops.source_origins (default: the URL without credentials).
    #: For the sandbox its data folder or seed and scale, since its URL is the same for all.
    origin: str = ""
