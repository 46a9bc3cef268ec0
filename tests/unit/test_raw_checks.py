"""The volume rule of the gate's raw checks, with hand-computed numbers."""

from __future__ import annotations

from expectations.raw_checks import VOLUME_HISTORY_DAYS, freshness_limits, raw_suite, volume_verdict

WORKING_DAYS = [100, 90, 110, 100, 95, 105, 100]  # median 100


def test_fewer_than_seven_days_of_the_kind_are_not_judged() -> None:
    assert volume_verdict(0, WORKING_DAYS[:6]) is None
    assert volume_verdict(0, WORKING_DAYS) == "fail"


def test_zero_rows_fail_where_the_median_is_not_zero() -> None:
    assert volume_verdict(0, [0] * 7) is None  # a kind of day with no activity (e.g. Sundays)
    assert volume_verdict(0, [0, 0, 0, 5, 5, 5, 5]) == "fail"  # median 5


def test_outside_half_to_twice_the_median_warns() -> None:
    assert volume_verdict(40, WORKING_DAYS) == "warn"  # 0.4 x
    assert volume_verdict(50, WORKING_DAYS) is None  # 0.5 x: the edge is inside
    assert volume_verdict(200, WORKING_DAYS) is None
    assert volume_verdict(201, WORKING_DAYS) == "warn"


def test_only_the_last_28_covered_days_count() -> None:
    history = [10] * VOLUME_HISTORY_DAYS + [1000] * 40  # older busy days fall outside the window
    assert volume_verdict(10, history) is None
    assert volume_verdict(100, history) == "warn"


def test_freshness_warns_after_the_sources_yaml_and_volume_needs_the_calendar() -> None:
    limits = freshness_limits()
    assert limits and all(limit.total_seconds() > 0 for limit in limits.values())
    from expectations.raw_checks import RawEntity

    entities = [
        RawEntity("s", "daily", True, "raw.s__daily"),
        RawEntity("s", "catalogue", False, "raw.s__catalogue"),
    ]
    names = [e.description.split(":")[0] for e in raw_suite(entities, None, with_calendar=True).expectations]
    assert names.count("raw_rows_differ_from_ledger") == 2
    assert names.count("day_volume_zero") == names.count("day_volume_unusual") == 1  # windowed only
    assert names.count("source_stale") == len(limits)
    without = [e.description for e in raw_suite(entities, None, with_calendar=False).expectations]
    assert not any(text.startswith("day_volume") for text in without)


def test_a_field_empty_in_every_value_of_a_day_fails_where_it_was_mostly_filled() -> None:
    from decimal import Decimal

    from expectations.raw_checks import EMPTY_MIN_VALUES, empty_verdict

    filled = [Decimal("0.1")] * 7  # median 10 % empty
    assert empty_verdict(EMPTY_MIN_VALUES, EMPTY_MIN_VALUES, filled) == "fail"  # vanished
    assert empty_verdict(EMPTY_MIN_VALUES, EMPTY_MIN_VALUES, filled[:6]) is None  # too little history
    assert empty_verdict(5, 5, filled) is None  # too few values to judge
    assert empty_verdict(4, 10, filled) == "warn"  # 40 % against 10 %: 30 points more
    assert empty_verdict(3, 10, filled) is None  # 20 points more
    mostly_empty = [Decimal("0.6")] * 7  # e.g. a refusal date: most dossiers have none
    assert empty_verdict(10, 10, mostly_empty) == "warn"
    assert empty_verdict(10, 10, [Decimal("0.9")] * 7) is None


def test_the_fields_judged_are_the_declared_plain_ones_nested_too() -> None:
    from expectations.raw_checks import read_fields
    from ingestion.sources import SOURCES

    for source in SOURCES.values():
        for entity in source.entities:
            policy = entity.personal
            if policy is None or policy.known is None:
                continue
            fields = read_fields(policy)
            top = {path[0] for path in fields if len(path) == 1}
            assert top == set(policy.known) - {*policy.fields, *policy.free_text, *policy.nested}
            assert not top & {*policy.fields, *policy.free_text}  # nothing personal is read
            for path in fields[len(top) :]:
                items = policy.nested[path[0]]
                assert path[1] in items.known and path[1] not in {*items.fields, *items.free_text}
