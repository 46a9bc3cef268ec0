"""The call log's records: what is loaded from a call, what is refused, and the sandbox's paging."""

from __future__ import annotations

import copy
from datetime import date

import orjson
import pytest

from ingestion.declarations import example_record
from ingestion.privacy import Pseudonymiser
from ingestion.record_rules import Rejected
from ingestion.runner import parse_pages
from ingestion.sandbox.xlog import generate_calls
from ingestion.sources.xlog import SOURCE, Call

CALLS = SOURCE.entity("calls")


def test_a_call_is_loaded_by_its_uuid_and_epoch_milliseconds() -> None:
    record = example_record(Call) | {
        "id": "0b0f7a8e-3c1d-4e5f-9a2b-056090001234",
        "requestInTs": 1756684800123,
    }
    row = CALLS.parse(copy.deepcopy(record))
    assert row.key == record["id"]  # a UUID whose last group is digits is not a citizen id
    assert row.values[:2] == (record["id"], 1756684800123)


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", "056090001234"), ("id", ""), ("requestInTs", "2025-09-01"), ("requestInTs", 10**17)],
)
def test_a_call_with_a_bad_key_or_time_is_refused_with_a_reason(field: str, value: object) -> None:
    record = example_record(Call) | {field: value}
    with pytest.raises(Rejected) as refused:
        CALLS.parse(record)
    assert str(refused.value)


def test_the_officer_is_pseudonymised_before_parsing() -> None:
    record = example_record(Call) | {"officerId": "Trần Thị Bình"}
    [[row]] = parse_pages(CALLS, [[record]], Pseudonymiser("k"))
    stored = orjson.loads(row.values[2])
    assert stored["officerId"] == Pseudonymiser("k").pseudonym("Trần Thị Bình")


def test_generated_calls_are_the_same_for_the_same_seed_and_in_log_order() -> None:
    calls = generate_calls(7, 0.2, date(2025, 9, 1), date(2025, 9, 3))
    assert calls == generate_calls(7, 0.2, date(2025, 9, 1), date(2025, 9, 3)) and len(calls) == 20
    assert [c["requestInTs"] for c in calls] == sorted(c["requestInTs"] for c in calls)
    assert all(CALLS.parse(copy.deepcopy(call)).key == call["id"] for call in calls)
