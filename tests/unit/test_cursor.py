"""How an entity declares its incremental pull: window, snapshot, timestamp, sequence or token cursor."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ingestion.localtime import VN_TZ
from ingestion.sources import Cursor, Entity, Resume, Window
from ingestion.sources.onestop import SOURCE

DAY = datetime(2025, 9, 1, tzinfo=VN_TZ)


def test_a_window_is_the_data_interval_moved_back_by_the_overlap() -> None:
    assert Cursor("window").window(DAY, DAY + timedelta(days=1)) == Window(DAY, DAY + timedelta(days=1))
    late = Cursor("window", overlap=timedelta(hours=2)).window(DAY, DAY + timedelta(days=1))
    assert late == Window(datetime(2025, 8, 31, 22, tzinfo=VN_TZ), DAY + timedelta(days=1))


@pytest.mark.parametrize(
    ("cursor", "stored", "resumes_from"),
    [
        (
            Cursor("timestamp", overlap=timedelta(minutes=5)),
            "2025-09-01T08:00:00+07:00",
            "2025-09-01T07:55:00+07:00",
        ),
        (Cursor("timestamp"), "2025-09-01T08:00:00+07:00", "2025-09-01T08:00:00+07:00"),
        (Cursor("sequence", overlap=50), "1200", "1150"),
        (Cursor("sequence", overlap=50), "20", "0"),
        (Cursor("token"), "eyJwYWdlIjo3fQ", "eyJwYWdlIjo3fQ"),
        (Cursor("sequence", overlap=50), None, None),  # the first pull starts at the beginning
    ],
)
def test_a_cursor_resumes_from_the_stored_value_minus_its_overlap(
    cursor: Cursor, stored: str | None, resumes_from: str | None
) -> None:
    assert cursor.resumes
    assert cursor.resume_from(stored) == resumes_from


@pytest.mark.parametrize(
    ("kind", "overlap", "error"),
    [
        ("sequence", timedelta(minutes=1), TypeError),
        ("timestamp", 5, TypeError),
        ("token", 3, ValueError),
        ("snapshot", timedelta(hours=1), ValueError),
    ],
)
def test_an_overlap_of_the_wrong_kind_is_refused(kind: str, overlap: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        Cursor(kind, overlap=overlap)  # type: ignore[arg-type]


def test_resume_advances_to_the_last_value_it_is_given() -> None:
    resume = Resume("10")
    for value in (12, "", None, datetime(2025, 9, 1, 8, tzinfo=VN_TZ)):
        resume.advance(value)
    assert resume.next_value == "2025-09-01T08:00:00+07:00"


def test_entities_default_to_window_or_snapshot_and_contradictions_are_refused() -> None:
    kinds = {entity.name: entity.pull.kind for entity in SOURCE.entities}
    assert kinds == {
        "dossiers": "window",
        "progress": "window",
        "ratings": "window",
        "feedback": "window",
        "procedures": "snapshot",
        "agencies": "snapshot",
    }
    assert [e.name for e in SOURCE.entities if e.snapshot] == ["procedures", "agencies"]
    dossiers = SOURCE.entity("dossiers")
    queue = Entity(
        "q", dossiers.table, dossiers.fetch, dossiers.parse, windowed=False, cursor=Cursor("token")
    )
    assert not queue.snapshot  # not windowed, yet not a catalogue: never stored by change
    with pytest.raises(ValueError, match="contradicts"):
        Entity("x", dossiers.table, dossiers.fetch, dossiers.parse, windowed=True, cursor=Cursor("sequence"))
