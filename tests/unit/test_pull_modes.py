"""The four ways of pulling, the event time a cursor or queue entity covers by, the availability
lag and per-entity schedules: the rules stated in `ingestion.sources.base`, on hand-made times."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from airflow.timetables.interval import CronDataIntervalTimetable

from core.settings import Settings
from infra.dag_defaults import LOCAL_TZ, daily_assets, ingest_dag_id, ingest_dags, is_daily
from infra.dagrun import interval_label, schedule_intervals
from ingestion.localtime import VN_TZ
from ingestion.record_checks import time_reader
from ingestion.runner import NotServedYet, ingest
from ingestion.sources import Acknowledge, Cursor, Endpoint
from ingestion.state import EventTimes
from tests import throwaway_source as throwaway

CALLS = throwaway.SOURCE.entity("calls")
MS = 1_000


def _cursor(**changes: object) -> object:
    return replace(CALLS, windowed=False, cursor=Cursor("sequence"), **changes)


def test_every_entity_is_pulled_one_of_four_ways() -> None:
    assert CALLS.pull_mode == "window"
    assert replace(CALLS, windowed=False).pull_mode == "snapshot"
    assert _cursor().pull_mode == "cursor"
    queue = replace(CALLS, windowed=False, acknowledge=Acknowledge(lambda r: r["id"], lambda c, ids: None))
    assert queue.pull_mode == "queue"


def test_the_event_time_is_a_declared_time_of_a_cursor_or_queue_entity() -> None:
    assert _cursor(event_time="requestInTs").event_time == "requestInTs"
    with pytest.raises(ValueError, match="declares no time field 'serviceCode'"):
        _cursor(event_time="serviceCode")
    with pytest.raises(ValueError, match="only a cursor or queue entity"):
        replace(CALLS, event_time="requestInTs")
    with pytest.raises(ValueError, match="field of its declared record"):
        _cursor(event_time="requestInTs", declared=None)


def test_an_event_time_is_read_from_a_dict_or_a_declared_struct_by_its_kind() -> None:
    millis = time_reader(throwaway.Call, "requestInTs")
    moment = datetime(2025, 9, 1, 8, 30, tzinfo=VN_TZ)
    epoch = int(moment.timestamp()) * MS
    assert millis({"requestInTs": epoch}) == moment
    struct = CALLS.declared.shape(id="x", requestInTs=epoch)  # type: ignore[union-attr]
    assert millis(struct) == moment
    assert millis({"requestInTs": epoch // MS}) is None  # seconds: no plausible milliseconds
    assert millis({"requestInTs": "1756690200000"}) is None and millis({}) is None
    iso = time_reader(throwaway.Call, "loggedAt")
    assert iso({"loggedAt": " 2025-09-01T08:30:00+07:00 "}) == moment
    assert iso({"loggedAt": "2025-09-01T08:30:00"}) is None  # no offset


def test_event_times_span_the_pull_and_ignore_what_is_no_time_or_after_it_started() -> None:
    until = datetime(2025, 9, 3, tzinfo=VN_TZ)
    times = EventTimes(time_reader(throwaway.Call, "requestInTs"), until)

    def at(day: int, hour: int) -> dict[str, int]:
        return {"requestInTs": int(datetime(2025, 9, day, hour, tzinfo=VN_TZ).timestamp()) * MS}

    pages = [[at(1, 10), at(1, 9), {"requestInTs": "soon"}], [at(2, 23), at(4, 0)]]
    assert list(times.track(pages)) == pages  # pages pass through unchanged
    assert times.first == datetime(2025, 9, 1, 9, tzinfo=VN_TZ)
    assert times.last == datetime(2025, 9, 2, 23, tzinfo=VN_TZ)  # 4 September is after the pull


def test_a_window_is_pulled_only_once_its_end_plus_the_lag_has_passed() -> None:
    source = replace(throwaway.SOURCE, lag=timedelta(minutes=30))
    end = datetime(2025, 9, 2, tzinfo=VN_TZ)
    assert not source.serves(end, end + timedelta(minutes=29))
    assert source.serves(end, end + timedelta(minutes=30))
    assert throwaway.SOURCE.serves(end, end)  # no lag: as soon as the interval is over
    with pytest.raises(ValueError, match="negative"):
        replace(throwaway.SOURCE, lag=timedelta(minutes=-1))


def test_ingest_refuses_a_window_the_source_cannot_serve_yet() -> None:
    lagging = replace(throwaway.SOURCE, lag=timedelta(hours=1))
    now = datetime.now(UTC)
    with throwaway.with_throwaway_source():
        throwaway.SOURCES[throwaway.NAME] = lagging
        with pytest.raises(NotServedYet, match=r"served whole only from .* \(availability lag 1:00:00\)"):
            ingest(
                throwaway.NAME,
                "calls",
                now - timedelta(days=1),
                now - timedelta(minutes=10),
                endpoint=Endpoint("http://127.0.0.1:9", "", ""),
                settings=Settings.from_env({"DTIMON_ENV": "test"}),
                warehouse_url="postgresql://nobody@127.0.0.1:9/none",  # refused before any connection
            )


def test_an_entity_on_its_own_schedule_gets_an_ingest_dag_of_its_own() -> None:
    hourly = _cursor(name="live_calls", event_time="requestInTs", schedule="@hourly")
    source = replace(throwaway.SOURCE, entities=(CALLS, hourly))
    assert ingest_dags(source) == {
        ingest_dag_id(throwaway.NAME): ("@daily", ["calls"]),  # the common case keeps its id
        f"ingest_{throwaway.NAME}__hourly": ("@hourly", ["live_calls"]),
    }
    assert ingest_dag_id("x", "*/15 * * * *") == "ingest_x__x_15_x_x_x_x"
    assert [a.name for a in daily_assets([source])] == [CALLS.table.qualified]


def test_a_daily_cron_fires_once_a_day() -> None:
    assert is_daily("@daily") and is_daily("30 1 * * *")
    assert not is_daily("@hourly") and not is_daily("0 */6 * * *") and not is_daily("0 1 * * 1")


@pytest.mark.parametrize(("cron", "count"), [("@daily", 2), ("@hourly", 48), ("0 */6 * * *", 8)])
def test_dtimon_run_runs_each_interval_of_a_dags_schedule(cron: str, count: int) -> None:
    timetable = CronDataIntervalTimetable(cron, timezone=LOCAL_TZ)
    intervals = list(schedule_intervals(timetable, date(2025, 9, 1), date(2025, 9, 3)))
    assert len(intervals) == count
    assert intervals[0][0] == datetime(2025, 9, 1, tzinfo=VN_TZ)
    assert intervals[-1][1] == datetime(2025, 9, 3, tzinfo=VN_TZ)
    assert all(a[1] == b[0] for a, b in zip(intervals, intervals[1:], strict=False))


@pytest.mark.parametrize(
    ("cron", "first", "last"),
    [("@daily", "2025-09-01", "2025-09-02"), ("@hourly", "2025-09-01 00:00", "2025-09-02 23:00")],
)
def test_progress_lines_name_each_interval_by_its_local_start(cron: str, first: str, last: str) -> None:
    timetable = CronDataIntervalTimetable(cron, timezone=LOCAL_TZ)
    labels = [
        interval_label(a, b) for a, b in schedule_intervals(timetable, date(2025, 9, 1), date(2025, 9, 3))
    ]
    assert (labels[0], labels[-1]) == (first, last)
    assert len(set(labels)) == len(labels)
