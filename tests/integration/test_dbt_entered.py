"""Indicators the department enters, through the real loader and `dbt build`: the submission in
force per indicator, unit and period becomes a row of ind_values like a computed value (points,
framework totals), marked `entered`; a refused submission leaves the earlier one in force.

Hand-made submissions (Sở Tư pháp 000.00.12.H57, Sở Nội vụ 000.00.13.H57; 766-1.2 and 766-5.1
are entered, full score at 100 % for 4 points each, no target):
  entries-2025-10-05.csv: 766-1.2 Sở Tư pháp September 3/4; 766-1.2 province H57 Q3 7/8;
                          766-5.1 Sở Nội vụ September 1/2
  entries-2025-10-20.csv: 766-1.2 Sở Tư pháp September 4/4 (in force over the 5 October one)
  entries-2025-10-25.csv: 766-5.1 Sở Nội vụ September 2/2, and a line for an unknown agency:
                          refused whole, so Sở Nội vụ stays at 1/2
Expected: Sở Tư pháp 766-1.2 September 4/4 = 1, 4 points; Sở Nội vụ 766-5.1 September 1/2 = 0.5,
2 points; province 766-1.2 Q3 7/8 = 0.875, 3.5 points; each complete as of the period's end.
Sở Tư pháp's September 766 total: 4 earned / 4 measured (no dossier: no computed value).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import dbt_fixtures as fx
import psycopg
import pytest

from infra.dbt import run_dbt
from ingestion.entries import COLUMNS, load_entries

JUSTICE, HOME_AFFAIRS = "000.00.12.H57", "000.00.13.H57"
SUBMISSIONS = {
    "2025-10-05": [
        ("766-1.2", "agency", JUSTICE, "month", "2025-09-01", "3", "4"),
        ("766-1.2", "province", "H57", "quarter", "2025-07-01", "7", "8"),
        ("766-5.1", "agency", HOME_AFFAIRS, "month", "2025-09-01", "1", "2"),
    ],
    "2025-10-20": [("766-1.2", "agency", JUSTICE, "month", "2025-09-01", "4", "4")],
    "2025-10-25": [
        ("766-5.1", "agency", HOME_AFFAIRS, "month", "2025-09-01", "2", "2"),
        ("766-5.1", "agency", "000.00.99.H57", "month", "2025-09-01", "2", "2"),
    ],
}


@pytest.fixture(scope="module")
def refusal() -> list[str]:
    """What load_entries refused while the fixture loaded."""
    return []


@pytest.fixture(scope="module")
def conn(
    module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory, refusal: list[str]
) -> Iterator[psycopg.Connection]:
    directory = tmp_path_factory.mktemp("entries")
    for day, rows in SUBMISSIONS.items():
        lines = [",".join(COLUMNS), *(",".join(row) for row in rows)]
        (directory / f"entries-{day}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def load(connection: psycopg.Connection) -> None:
        fx.insert_departments(connection)
        for entity in ("dossiers", "progress"):
            fx.batch(connection, entity, "2025-09-01", "2025-10-01")
        fx.batch_others(connection, "2025-09-01", "2025-10-01")
        refusal.append(load_entries(connection, Path(directory)).refused)

    yield from fx.built(module_warehouse_url, load)


def test_the_refused_submission_names_its_bad_line(conn: psycopg.Connection, refusal: list[str]) -> None:
    assert refusal == ["entries-2025-10-25.csv:3: unknown agency 000.00.99.H57"]
    kept = conn.execute("select file_name from raw.file_submissions order by submission_id").fetchall()
    assert kept == [("entries-2025-10-05.csv",), ("entries-2025-10-20.csv",)]


def test_the_submission_in_force_is_published_as_entered(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "select indicator_id, level, unit_id, period_kind, period_start::text, numerator, denominator, value,"
        " points, status, period_as_of at time zone 'Asia/Ho_Chi_Minh', scope, view, unit_name"
        " from marts.ind_values where origin = 'entered' order by indicator_id, level, unit_id"
    ).fetchall()
    assert [r[:10] for r in rows] == [
        ("766-1.2", "agency", JUSTICE, "month", "2025-09-01", 4, 4, 1, 4, "complete"),
        (
            "766-1.2",
            "province",
            "H57",
            "quarter",
            "2025-07-01",
            7,
            8,
            Decimal("0.875"),
            Decimal("3.5"),
            "complete",
        ),
        ("766-5.1", "agency", HOME_AFFAIRS, "month", "2025-09-01", 1, 2, Decimal("0.5"), 2, "complete"),
    ]
    assert {str(r[10]) for r in rows} == {"2025-10-01 00:00:00"}
    assert {(r[11], r[12]) for r in rows} == {("area", "historical")}
    assert [r[13] for r in rows if r[1] == "agency"] == ["Sở Tư pháp", "Sở Nội vụ"]
    # no computed row of an entered indicator, no entered row of a computed one
    mixed = conn.execute(
        "select count(*) from marts.ind_values as v inner join reference.indicator_catalogue as c"
        " using (indicator_id) where (v.origin = 'entered') <> (c.not_computed_because = 'entered')"
    ).fetchone()[0]
    assert mixed == 0


def test_entered_points_count_in_the_framework_total(conn: psycopg.Connection) -> None:
    total = conn.execute(
        "select earned, measured from marts.ind_framework_totals where framework = '766'"
        " and period_kind = 'month' and period_start = '2025-09-01' and level = 'agency' and unit_id = %s"
        " and scope = 'area' and view = 'historical'",
        (JUSTICE,),
    ).fetchone()
    assert total == (4, 4)


def test_the_models_own_tests_pass_on_entered_values(
    conn: psycopg.Connection, module_warehouse_url: str
) -> None:
    # the generic tests (origin's accepted values, the in-force grain) and ind_values' unit tests,
    # which the fixture's build leaves out
    url = module_warehouse_url
    run_dbt(["test", "--select", "ind_values int_entered_indicator_values stg_files__indicator_entries"], url)
