"""Units of government through dbt: dim_admin_unit from the shipped seeds, the unit of an agency
at each moment, and fct_dossier joining the unit valid at its event time.

The units are the shipped seed's (the sandbox's province); the test picks them from the seed
through `core.admin_units`. Agencies (catalogue first pulled on 2 Sep 2025):

    SEAT    the committee of a commune that hosted a merged commune's seat (code kept, renamed)
    MERGED  the committee of a commune merged into SEAT's on 1 July 2025
    DISTRICT  the committee of an abolished district

    dossiers                                    unit version (fct_dossier.admin_unit_*)
    SEAT received 30 Jun 16:00                  SEAT's code, the version before 1 July
    SEAT received  1 Jul 08:00                  SEAT's code, the version from 1 July
    MERGED received 16 Jun                      MERGED's code (closed on 1 July)
    DISTRICT received 20 Jun                    the district
    (MERGED's and DISTRICT's dossiers were settled in June; SEAT's stay open)
    SEAT submitted online 28 Jun, never accepted  (no reception: its submission time) before 1 July

Two-province mergers and crosswalk chains are dbt unit tests (models/intermediate/_admin_units.yml).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import dbt_fixtures as fx
import psycopg
import pytest

from core.admin_units import REORGANISATION_DATE, AdminUnit, admin_units, successors

CLOSING_DAY = REORGANISATION_DATE


def _closed(level: str, keeps_code: bool) -> AdminUnit:
    """A unit of the shipped seed that ended on the reorganisation: kept its code or not."""
    return next(
        unit
        for unit in admin_units()
        if unit.level == level
        and unit.valid_to == CLOSING_DAY
        and (successors()[(unit.code, CLOSING_DAY)] == unit.code) == keeps_code
    )


SEAT_UNIT = _closed("commune", keeps_code=True)
MERGED_UNIT = next(
    unit
    for unit in admin_units()
    if unit.valid_to == CLOSING_DAY
    and unit.level == "commune"
    and successors()[(unit.code, CLOSING_DAY)] == SEAT_UNIT.code
    and unit.code != SEAT_UNIT.code
)
DISTRICT_UNIT = _closed("district", keeps_code=False)
SEAT, MERGED, DISTRICT = "000.20.31.H57", "000.40.31.H57", "000.00.31.H57"


def load(conn: psycopg.Connection) -> None:
    agencies = fx.batch(conn, "agencies", "2025-09-01", "2025-09-02")
    for agency_id, name, level, unit in (
        (SEAT, "UBND phường mới", "3", SEAT_UNIT),
        (MERGED, "UBND phường cũ", "3", MERGED_UNIT),
        (DISTRICT, "UBND quận cũ", "4", DISTRICT_UNIT),
    ):
        fx.insert_agency(conn, agencies, agency_id, name, level, "000.00.00.H57", admin_unit=unit.code)
    dossiers = fx.batch(conn, "dossiers", "2025-06-01", "2025-09-01")
    # the closed units' dossiers were settled in June; the seat's stay open
    for code, received, ended in (
        (f"{SEAT}-250630-00001", "2025-06-30 16:00", None),
        (f"{SEAT}-250701-00001", "2025-07-01 08:00", None),
        (f"{MERGED}-250616-00001", "2025-06-16 09:00", "2025-06-18 10:00"),
        (f"{DISTRICT}-250620-00001", "2025-06-20 10:00", "2025-06-23 10:00"),
    ):
        record = fx.dossier(
            code, 1, updated=ended or received, status="10" if ended else "2", channel="1",
            procedure="2.001", received=received, ended=ended, returned=ended,
        )  # fmt: skip
        fx.insert_dossier(conn, dossiers, record)
    never_accepted = fx.dossier(
        f"{SEAT}-250628-00002", 1, updated="2025-06-28 20:00", status="1", channel="2", procedure="2.001",
        received=None, submitted="2025-06-28 20:00",
    )  # fmt: skip
    fx.insert_dossier(conn, dossiers, never_accepted)
    fx.batch(conn, "progress", "2025-06-01", "2025-09-01")  # the source covers June to August


@pytest.fixture(scope="module")
def conn(module_warehouse_url: str) -> Iterator[psycopg.Connection]:
    yield from fx.built(module_warehouse_url, load)


def _current_code(unit: AdminUnit) -> str:
    """Follow the seed's crosswalk to the unit in force today (the test's own reading of it)."""
    code, valid_to = unit.code, unit.valid_to
    while valid_to is not None:
        code = successors()[(code, valid_to)]
        valid_to = next(u.valid_to for u in admin_units() if u.code == code and u.valid_on(valid_to))
    return code


def test_every_unit_version_reaches_todays_unit(conn: psycopg.Connection) -> None:
    found = dict(
        ((code, valid_from), (current, is_current))
        for code, valid_from, current, is_current in conn.execute(
            "select unit_code, valid_from, current_unit_code, is_current from marts.dim_admin_unit"
        ).fetchall()
    )
    expected = {(u.code, u.valid_from): (_current_code(u), u.valid_to is None) for u in admin_units()}
    assert found == expected
    assert found[(MERGED_UNIT.code, MERGED_UNIT.valid_from)][0] == SEAT_UNIT.code


def test_agency_carries_its_unit(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "select agency_id, admin_unit_level, admin_unit_closed_at, current_unit_code from marts.dim_agency"
    ).fetchall()
    closed = fx.local(f"{CLOSING_DAY} 00:00")
    assert sorted(rows) == sorted([
        (SEAT, "commune", None, SEAT_UNIT.code),
        (MERGED, "commune", closed, SEAT_UNIT.code),
        (DISTRICT, "district", closed, _current_code(DISTRICT_UNIT)),
    ])  # fmt: skip


def test_dossier_joins_the_unit_valid_at_its_event_time(conn: psycopg.Connection) -> None:
    rows = dict(
        (dossier_id, (code, valid_from))
        for dossier_id, code, valid_from in conn.execute(
            "select dossier_id, admin_unit_code, admin_unit_valid_from from marts.fct_dossier"
        ).fetchall()
    )
    assert rows == {
        f"{SEAT}-250630-00001": (SEAT_UNIT.code, SEAT_UNIT.valid_from),
        f"{SEAT}-250701-00001": (SEAT_UNIT.code, CLOSING_DAY),
        f"{MERGED}-250616-00001": (MERGED_UNIT.code, MERGED_UNIT.valid_from),
        f"{DISTRICT}-250620-00001": (DISTRICT_UNIT.code, DISTRICT_UNIT.valid_from),
        f"{SEAT}-250628-00002": (SEAT_UNIT.code, SEAT_UNIT.valid_from),
    }


def test_a_broken_crosswalk_fails_the_build(conn: psycopg.Connection, module_warehouse_url: str) -> None:
    """A closed unit with no successor, one with two, two versions of a code in force at once and
    a parent that does not exist fail the seed tests (the shipped rows are restored afterwards)."""
    from infra.dbt import DbtFailed, run_dbt

    merged_key = (MERGED_UNIT.code, CLOSING_DAY)
    conn.execute(
        "delete from reference.admin_unit_crosswalk where old_unit_code = %s and old_valid_to = %s",
        merged_key,
    )
    conn.execute(
        "insert into reference.admin_unit_crosswalk values (%s, %s, %s, 'second successor')",
        (DISTRICT_UNIT.code, CLOSING_DAY, MERGED_UNIT.code),
    )
    conn.execute(
        "insert into reference.admin_units values (%s, 'commune', 'overlap', '999', '46', %s, null, '')",
        (SEAT_UNIT.code, date(2025, 6, 1)),
    )
    selected = "assert_admin_unit_crosswalk_is_complete assert_admin_units_do_not_overlap assert_admin_units_have_their_parent"
    try:
        with pytest.raises(DbtFailed) as failed:
            run_dbt(["test", "--select", *selected.split()], module_warehouse_url)
        assert {failure.name for failure in failed.value.failures} >= set(selected.split())
    finally:
        conn.execute("delete from reference.admin_units where unit_name = 'overlap'")
        conn.execute("delete from reference.admin_unit_crosswalk where note = 'second successor'")
        conn.execute(
            "insert into reference.admin_unit_crosswalk values (%s, %s, %s, '')",
            (*merged_key, SEAT_UNIT.code),
        )


def test_a_committee_whose_unit_closed_has_no_rows_after_it(conn: psycopg.Connection) -> None:
    """The merged commune's and the district's committees stay in the catalogue for their June
    dossiers but are evaluated only until their units closed on 1 July; the seat's goes on."""
    months = {
        agency: sorted(str(month) for (month,) in rows)
        for agency in (SEAT, MERGED, DISTRICT)
        if (
            rows := conn.execute(
                "select distinct period_start from marts.ind_values"
                " where level = 'agency' and period_kind = 'month' and unit_id = %s",
                (agency,),
            ).fetchall()
        )
    }
    assert months == {
        SEAT: ["2025-06-01", "2025-07-01", "2025-08-01"],
        MERGED: ["2025-06-01"],
        DISTRICT: ["2025-06-01"],
    }
