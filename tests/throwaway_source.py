"""A throwaway second source, declared as a contributor would (README, *Adding a source*): an
X-Road-style call log with a UUID key, epoch-millisecond and ISO 8601 times, a boolean, an
officer declared personal, a free-text note and a nested list. Not registered: tests that
need it beside the registered sources (`with_throwaway_source`) add it for their duration.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import msgspec

from core.migrations import Column, Index
from ingestion.declarations import (
    AGENCY_ID,
    REQUIRED,
    UUID,
    Boolean,
    EpochMillis,
    FreeText,
    Integer,
    IsoTime,
    Key,
    Personal,
    Record,
    Text,
    privacy_policy,
)
from ingestion.load import RawTable, Row
from ingestion.record_checks import check_record, fast_path, stored_form, text
from ingestion.sources import SOURCES, Entity, Sandbox, Source
from ingestion.sources.base import BearerToken

NAME = "xroad"


class Header(msgspec.Struct, kw_only=True):
    """A header the call carried."""

    name: Text = ""
    value: Text = ""
    sender: Personal = ""


class Call(Record, kw_only=True):
    """One logged call between two members."""

    id: Annotated[Key, UUID]
    requestInTs: Annotated[EpochMillis, REQUIRED]
    responseOutTs: EpochMillis = 0
    loggedAt: IsoTime = ""
    clientMember: Annotated[Text, AGENCY_ID] = ""
    serviceCode: Text = ""
    succeeded: Boolean = False
    responseSize: Integer = ""
    officerId: Personal = ""
    note: FreeText = ""
    headers: list[Header] = []


def _parse(record: Any) -> Row:
    record = check_record(record, Call)
    key = text(record["id"])
    return Row((key, int(record["requestInTs"]), stored_form(record)), key=key)


def _row(record: Any, stored: bytes) -> Row:
    return Row((record.id, record.requestInTs, stored), key=record.id)


CALLS_FAST = fast_path(Call, _row)
CALLS_TABLE = RawTable(
    "raw",
    f"{NAME}__calls",
    (Column("call_id", "text"), Column("request_in_ms", "bigint"), Column("record", "jsonb")),
    key=("call_id",),
    indexes=(Index(f"{NAME}__calls_key", ("call_id",)),),
)


def _fetch(client: Any, window: Any, page_size: int) -> Iterator[list[Any]]:
    yield from ()


SOURCE = Source(
    name=NAME,
    description="Throwaway X-Road-style call log (tests only)",
    schedule="@daily",
    auth=BearerToken(),
    sandbox=Sandbox("ingestion.sandbox", port_offset=3),
    entities=(
        Entity(
            "calls",
            CALLS_TABLE,
            _fetch,
            _parse,
            windowed=True,
            personal=privacy_policy(Call),
            declared=CALLS_FAST,
        ),
    ),
)


@contextmanager
def with_throwaway_source() -> Iterator[Source]:
    """The registry with this source added, for the duration."""
    SOURCES[NAME] = SOURCE
    try:
        yield SOURCE
    finally:
        del SOURCES[NAME]
