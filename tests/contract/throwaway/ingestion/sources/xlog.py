"""X-Road-style call log: every call between members of the data exchange, in the order the
security server logged it (a sequence cursor, `nextRecordsFrom`), with epoch-millisecond times,
a UUID key and the officer who made the call (personal). Members authenticate by client
certificate; the log serves a call a minute after it ended (the availability lag).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any

from core.migrations import Column, Index
from ingestion.declarations import (
    AGENCY_ID,
    OPTIONAL,
    REQUIRED,
    UUID,
    Boolean,
    EpochMillis,
    FreeText,
    Key,
    Personal,
    Record,
    Text,
    privacy_policy,
)
from ingestion.load import RawTable, Row
from ingestion.paging import cursor_pages
from ingestion.record_checks import check_record, fast_path, stored_form, text
from ingestion.sources.base import ClientCertificate, Cursor, Entity, Resume, Sandbox, Source

NAME = "xlog"
CALLS_PATH = "/xlog/v1/calls"


class Call(Record, kw_only=True):
    """One logged call: which member asked which service, when, and whether it succeeded."""

    id: Annotated[Key, UUID]
    requestInTs: Annotated[EpochMillis, REQUIRED]
    responseOutTs: Annotated[EpochMillis, OPTIONAL] = 0  # none while unanswered
    clientMember: Annotated[Text, AGENCY_ID] = ""
    serviceCode: Text = ""
    succeeded: Boolean = False
    officerId: Personal = ""
    note: FreeText = ""


def _parse(record: Any) -> Row:
    record = check_record(record, Call)
    key = text(record["id"])
    return Row((key, int(record["requestInTs"]), stored_form(record)), key=key)


def _row(record: Call, stored: bytes) -> Row:
    return Row((record.id, record.requestInTs, stored), key=record.id)


def _fetch(client: Any, resume: Resume | None, page_size: int) -> Iterator[list[Any]]:
    """Calls from the stored sequence number on, each answer naming the next one to ask."""
    assert isinstance(resume, Resume)

    def page(cursor: str | None) -> tuple[list[Any], str | None]:
        answer = client.get_json(CALLS_PATH, {"nextRecordsFrom": cursor or "0", "limit": page_size})
        return answer["records"], answer.get("nextRecordsFrom")

    yield from cursor_pages(page, resume.value, resume.advance)


CALLS_TABLE = RawTable(
    "raw",
    f"{NAME}__calls",
    (Column("call_id", "text"), Column("request_in_ms", "bigint"), Column("record", "jsonb")),
    key=("call_id",),
    indexes=(Index(f"{NAME}__calls_key", ("call_id",)),),
)

SOURCE = Source(
    name=NAME,
    description="X-Road-style call log of the data exchange",
    schedule="@daily",
    auth=ClientCertificate(),
    sandbox=Sandbox("ingestion.sandbox.xlog", port_offset=5),
    lag=timedelta(minutes=1),
    entities=(
        Entity(
            "calls",
            CALLS_TABLE,
            _fetch,
            _parse,
            windowed=False,
            cursor=Cursor("sequence"),
            event_time="requestInTs",
            personal=privacy_policy(Call),
            declared=fast_path(Call, _row),
        ),
    ),
)
