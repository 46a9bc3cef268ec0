"""Epoch times as the declarations read them: seconds a JSON integer or a fraction (Frigate's
float seconds), milliseconds an integer; the same verdict on the checked and the fast path."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
import pytest

from ingestion.declarations import EpochMillis, EpochSeconds, Key, Record
from ingestion.localtime import VN_TZ
from ingestion.record_checks import check_record, plain_check, time_reader
from ingestion.record_rules import Rejected, plausible_times
from ingestion.records import declared

MOMENT = datetime(2025, 9, 1, 8, 30, tzinfo=VN_TZ)


class Sighting(Record, kw_only=True):
    id: Key
    seen: EpochSeconds
    logged: EpochMillis


def _fast_path_accepts(record: dict) -> bool:
    decoded = msgspec.json.decode(msgspec.json.encode(record), type=declared(Sighting))
    check = plain_check(Sighting)
    assert check is not None
    return check(decoded, *plausible_times())


@pytest.mark.parametrize("seen", [MOMENT.timestamp(), MOMENT.timestamp() + 0.25, int(MOMENT.timestamp())])
def test_seconds_may_carry_a_fraction_and_both_paths_accept_them(seen: float) -> None:
    record = {"id": "a", "seen": seen, "logged": int(MOMENT.timestamp()) * 1000}
    assert check_record(dict(record), Sighting)["seen"] == seen
    assert _fast_path_accepts(record)
    assert time_reader(Sighting, "seen")(record) == MOMENT + timedelta(seconds=seen - int(MOMENT.timestamp()))


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("seen", True, "seen=True is not a number"),
        ("seen", "1756690200", "seen='1756690200' is not a number"),
        ("seen", 1_000.5, "outside the plausible years"),
        ("logged", 1756690200000.5, "is not an integer"),
    ],
)
def test_what_is_no_epoch_of_its_kind_is_refused_on_both_paths(
    field: str, value: object, reason: str
) -> None:
    record = {"id": "a", "seen": MOMENT.timestamp(), "logged": int(MOMENT.timestamp()) * 1000, field: value}
    with pytest.raises(Rejected, match=reason):
        check_record(dict(record), Sighting)
    try:
        accepted = _fast_path_accepts(record)
    except msgspec.ValidationError:
        accepted = False  # the fast path's decode refuses it: the checked path gives the reason
    assert not accepted
    assert time_reader(Sighting, field)(record) is None
