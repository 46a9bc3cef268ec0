"""Entered-indicator files kept in the warehouse (ingestion.entries over ingestion.file_source):
every accepted file once, with its name, sha256 and date; a refused file loads nothing and the
submissions before it stay as they were; loading the same directory twice changes nothing."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from dbt_fixtures import batch, insert_agency

from ingestion.entries import COLUMNS, ENTERED, catalogue_reasons, load_entries
from ingestion.schema import migrate

ENTERED_ID = min(i for i, reason in catalogue_reasons().items() if reason == ENTERED)
AGENCY = "000.00.01.H57"


@pytest.fixture
def conn(warehouse_url: str) -> psycopg.Connection:
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        migrate(connection)
        catalogue = batch(connection, "agencies", "2025-07-01", "2025-07-02")
        insert_agency(connection, catalogue, AGENCY, "Sở Tư pháp", "1", "")
        yield connection


def _write(directory: Path, day: str, rows: list[tuple[str, ...]]) -> Path:
    path = directory / f"entries-{day}.csv"
    path.write_text("\n".join([",".join(COLUMNS), *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    return path


def _kept(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select s.file_name, s.submitted_on::text, s.row_count, length(s.sha256), r.line, r.fields ->> 'numerator'"
        " from raw.file_submissions as s inner join raw.file_submission_rows as r using (submission_id)"
        " order by s.submission_id, r.line"
    ).fetchall()


def test_accepted_files_are_kept_once_and_a_refused_one_changes_nothing(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    _write(tmp_path, "2025-10-05", [(ENTERED_ID, "agency", AGENCY, "month", "2025-09-01", "3", "4")])
    _write(tmp_path, "2025-10-20", [(ENTERED_ID, "province", "H57", "year", "2025-01-01", "7", "8")])
    first = load_entries(conn, tmp_path)
    assert first.loaded == ("entries-2025-10-05.csv", "entries-2025-10-20.csv") and first.refused == ""
    kept = _kept(conn)
    assert kept == [
        ("entries-2025-10-05.csv", "2025-10-05", 1, 64, 2, "3"),
        ("entries-2025-10-20.csv", "2025-10-20", 1, 64, 2, "7"),
    ]

    # a later submission with one bad line among good ones: refused whole, the others stay
    _write(
        tmp_path,
        "2025-11-02",
        [
            (ENTERED_ID, "agency", AGENCY, "month", "2025-09-01", "4", "4"),
            (ENTERED_ID, "agency", "000.00.99.H57", "month", "2025-09-01", "5", "4"),
        ],
    )
    second = load_entries(conn, tmp_path)
    assert second.loaded == ()
    assert second.unchanged == ("entries-2025-10-05.csv", "entries-2025-10-20.csv")
    assert second.refused.splitlines() == [
        "entries-2025-11-02.csv:3: unknown agency 000.00.99.H57",
        "entries-2025-11-02.csv:3: numerator 5 is greater than denominator 4",
    ]
    assert _kept(conn) == kept

    # corrected, it is kept beside the earlier ones (every submission is kept)
    _write(tmp_path, "2025-11-02", [(ENTERED_ID, "agency", AGENCY, "month", "2025-09-01", "4", "4")])
    third = load_entries(conn, tmp_path)
    assert third.loaded == ("entries-2025-11-02.csv",) and third.refused == ""
    assert _kept(conn) == [*kept, ("entries-2025-11-02.csv", "2025-11-02", 1, 64, 2, "4")]
    assert load_entries(conn, tmp_path).loaded == ()  # the same files again: nothing new
    assert len(_kept(conn)) == 3
