"""Units of government through dbt: dim_admin_unit from the shipped seeds, the unit of an agency
at each moment, fct_dossier joining the unit valid at its event time, and ind_values' commune and
district rows in both views (issue 20 items 3, 4 and 6).

The units are the shipped seed's (the sandbox's province); the test picks them from the seed
through `core.admin_units`. Agencies (catalogue first pulled on 2 Sep 2025):

    SEAT    the committee of a commune that hosted a merged commune's seat (code kept, renamed)
    MERGED  the committee of a commune merged into SEAT's on 1 July 2025
    DISTRICT  the committee of the abolished district SEAT's and MERGED's communes were in

    dossiers (channel)                          unit version (fct_dossier.admin_unit_*)   settled (working days)
    SEAT received 30 Jun 16:00 (counter)        SEAT's code, the version before 1 July    open
    SEAT received  1 Jul 08:00 (counter)        SEAT's code, the version from 1 July      open
    SEAT received 10 Jun (online)               SEAT's code, before 1 July                16 Jun (4)
    MERGED received 16 Jun (counter)            MERGED's code (closed on 1 July)          18 Jun (2)
    MERGED received 17 Jun (counter)            MERGED's code                             18 Jun (1)
    MERGED received 25 Jun (online)             MERGED's code                              2 Jul (5)
    DISTRICT received 20 Jun (counter)          the district                              23 Jun (1)
    SEAT submitted online 28 Jun, never accepted  (no reception: its submission time) before 1 July

Every dossier is of procedure 2.001, whose legal limit is 10 working days: 766-2.2 is the share
of that limit a settled dossier used (4 working days: 0.4).

Two-province mergers and crosswalk chains are dbt unit tests (models/intermediate/_admin_units.yml).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import dbt_fixtures as fx
import psycopg
import pytest

from core.admin_units import REORGANISATION_DATE, AdminUnit, admin_units, successors
from core.settings import DEFAULT_PROVINCE_CODE

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
DISTRICT_UNIT = next(
    unit for unit in admin_units() if unit.code == SEAT_UNIT.parent_code and unit.valid_on(date(2025, 6, 1))
)
assert DISTRICT_UNIT.level == "district" and MERGED_UNIT.parent_code == DISTRICT_UNIT.code
JUNE, JULY = "2025-06-01", "2025-07-01"
SEAT, MERGED, DISTRICT = "000.20.31.H57", "000.40.31.H57", "000.00.31.H57"


def load(conn: psycopg.Connection) -> None:
    agencies = fx.batch(conn, "agencies", "2025-09-01", "2025-09-02")
    for agency_id, name, level, unit in (
        (SEAT, "UBND phường mới", "3", SEAT_UNIT),
        (MERGED, "UBND phường cũ", "3", MERGED_UNIT),
        (DISTRICT, "UBND quận cũ", "4", DISTRICT_UNIT),
    ):
        fx.insert_agency(conn, agencies, agency_id, name, level, "000.00.00.H57", admin_unit=unit.code)
    catalogue = fx.batch(conn, "procedures", "2025-06-01", "2025-06-02")
    limits = [(channel, "10", "Ngày làm việc", "0") for channel in "12"]
    # implemented by the seat's committee, whose unit exists before and after the merger
    record = fx.procedure("2.001", "Thủ tục 10 ngày làm việc", limits, "")
    fx.insert_procedure(
        conn, catalogue, record | {"COQUANTHUCHIEN": [{"MADONVI": SEAT, "TENDONVI": "UBND phường mới"}]}
    )
    dossiers = fx.batch(conn, "dossiers", "2025-06-01", "2025-09-01")
    # the closed units' dossiers were settled in June; the seat's stay open
    for code, received, ended, channel in (
        (f"{SEAT}-250630-00001", "2025-06-30 16:00", None, "1"),
        (f"{SEAT}-250701-00001", "2025-07-01 08:00", None, "1"),
        (f"{SEAT}-250610-00003", "2025-06-10 09:00", "2025-06-16 09:00", "2"),
        (f"{MERGED}-250616-00001", "2025-06-16 09:00", "2025-06-18 10:00", "1"),
        (f"{MERGED}-250617-00002", "2025-06-17 08:00", "2025-06-18 08:00", "1"),
        (f"{MERGED}-250625-00003", "2025-06-25 09:00", "2025-07-02 10:00", "2"),
        (f"{DISTRICT}-250620-00001", "2025-06-20 10:00", "2025-06-23 10:00", "1"),
    ):
        record = fx.dossier(
            code, 1, updated=ended or received, status="10" if ended else "2", channel=channel,
            procedure="2.001", received=received, ended=ended, returned=ended,
        )  # fmt: skip
        fx.insert_dossier(conn, dossiers, record)
    never_accepted = fx.dossier(
        f"{SEAT}-250628-00002", 1, updated="2025-06-28 20:00", status="1", channel="2", procedure="2.001",
        received=None, submitted="2025-06-28 20:00",
    )  # fmt: skip
    fx.insert_dossier(conn, dossiers, never_accepted)
    fx.batch(conn, "progress", "2025-06-01", "2025-09-01")  # the source covers June to August
    fx.batch_others(conn, "2025-06-01", "2025-09-01")


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
        f"{SEAT}-250610-00003": (SEAT_UNIT.code, SEAT_UNIT.valid_from),
        f"{MERGED}-250616-00001": (MERGED_UNIT.code, MERGED_UNIT.valid_from),
        f"{MERGED}-250617-00002": (MERGED_UNIT.code, MERGED_UNIT.valid_from),
        f"{MERGED}-250625-00003": (MERGED_UNIT.code, MERGED_UNIT.valid_from),
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
    dossiers but are evaluated only until their units closed on 1 July; the seat's goes on. The
    merged commune's committee still has a July row: its dossier received in June was settled
    (766-2.2) and judged (766-2.1) in July, and figures are never dropped."""
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
        MERGED: ["2025-06-01", "2025-07-01"],
        DISTRICT: ["2025-06-01"],
    }


def _rows(
    conn: psycopg.Connection, indicator: str, month: str, level: str, view: str, scope: str = "area"
) -> dict:
    """(numerator, denominator) per unit of one month's rows of `indicator` at a level, scope and view."""
    return {
        unit_id: (float(numerator), int(denominator))
        for unit_id, numerator, denominator in conn.execute(
            "select unit_id, numerator, denominator from marts.ind_values"
            " where indicator_id = %s and period_kind = 'month' and period_start = %s"
            " and level = %s and scope = %s and view = %s and denominator <> 0",
            (indicator, month, level, scope, view),
        ).fetchall()
    }


def test_a_merged_commune_on_todays_units_is_the_sum_of_its_predecessors(conn: psycopg.Connection) -> None:
    """June, received online (766-3.3): SEAT's commune 1/2, MERGED's 1/3, the district's own
    committee 0/1; today's commune (SEAT's code) holds all six dossiers, 2/6."""
    historical_communes = _rows(conn, "766-3.3", JUNE, "commune", "historical")
    district_tier = _rows(conn, "766-3.3", JUNE, "district", "historical", scope="tier")
    assert historical_communes == {SEAT_UNIT.code: (1, 2), MERGED_UNIT.code: (1, 3)}
    assert district_tier == {DISTRICT_UNIT.code: (0, 1)}
    current = _rows(conn, "766-3.3", JUNE, "commune", "current")
    assert current == {SEAT_UNIT.code: (2, 6)}
    predecessors = [*historical_communes.values(), *district_tier.values()]
    assert current[SEAT_UNIT.code] == tuple(map(sum, zip(*predecessors, strict=True)))
    # tier: only the commune committees' dossiers (the district's goes to today's commune's area)
    assert _rows(conn, "766-3.3", JUNE, "commune", "current", scope="tier") == {SEAT_UNIT.code: (2, 5)}


def test_a_mean_is_computed_from_the_dossiers_at_every_level(conn: psycopg.Connection) -> None:
    """766-2.2 in June, as shares of the 10-working-day limit: SEAT 0.4 (one dossier), MERGED 0.2
    and 0.1, the district 0.1. Today's commune: (0.4 + 0.2 + 0.1 + 0.1) / 4 = 0.2, not the mean of
    its predecessors' means (0.4 + 0.15 + 0.1) / 3; the district's area the same four dossiers;
    its tier its own one."""
    values = {
        (level, scope, view): float(value)
        for level, scope, view, value in conn.execute(
            "select level, scope, view, value from marts.ind_values where indicator_id = '766-2.2'"
            " and period_kind = 'month' and period_start = %s and unit_id in (%s, %s)",
            (JUNE, SEAT_UNIT.code, DISTRICT_UNIT.code),
        ).fetchall()
    }
    assert values == {
        ("commune", "area", "historical"): pytest.approx(0.4),
        ("commune", "tier", "historical"): pytest.approx(0.4),
        ("commune", "area", "current"): pytest.approx(0.2),
        ("commune", "tier", "current"): pytest.approx(0.7 / 3),
        ("district", "area", "historical"): pytest.approx(0.2),
        ("district", "tier", "historical"): pytest.approx(0.1),
    }


def test_nothing_is_counted_twice_across_the_crosswalk(conn: psycopg.Connection) -> None:
    """Every fixture agency has a commune or district: today's communes together hold exactly the
    province's figures in every one-stop indicator and period (each dossier in one unit; the other
    sources' declared records are not the fixture's agencies)."""
    unbalanced = conn.execute(
        """
        select indicator_id, period_kind, period_start
        from marts.ind_values
        where scope = 'area' and level in ('province', 'commune') and view = 'current'
            and indicator_id = any(%s)
        group by indicator_id, period_kind, period_start
        having sum(numerator) filter (where level = 'commune') is distinct from sum(numerator) filter (where level = 'province')
            or sum(denominator) filter (where level = 'commune') is distinct from sum(denominator) filter (where level = 'province')
        """,
        (list(fx.computed_indicators("onestop")),),
    ).fetchall()  # fmt: skip
    assert unbalanced == []
    assert _rows(conn, "766-3.3", JUNE, "province", "current") == {"H57": (2, 6)}


def test_district_rows_only_before_july_2025(conn: psycopg.Connection) -> None:
    periods = conn.execute(
        "select distinct period_kind, period_start::text, view from marts.ind_values where level = 'district'"
    ).fetchall()
    assert sorted(periods) == [
        ("month", JUNE, "historical"),
        ("quarter", "2025-04-01", "historical"),
        ("year", "2025-01-01", "historical"),
    ]


def test_a_dossier_received_in_june_and_finished_in_july(conn: psycopg.Connection) -> None:
    """MERGED's dossier received on 25 June (its commune closed on 1 July) and settled on 2 July
    after 5 working days (half its limit): July's 766-2.2 counts it under the commune MERGED's became, in both
    views, and under MERGED's committee as an agency; never under the closed commune."""
    for view in ("historical", "current"):
        assert _rows(conn, "766-2.2", JULY, "commune", view) == {SEAT_UNIT.code: (pytest.approx(0.5), 1)}
    assert _rows(conn, "766-2.2", JULY, "agency", "historical")[MERGED] == (pytest.approx(0.5), 1)
    closed = conn.execute(
        "select count(*) from marts.ind_values where level = 'commune' and unit_id = %s and period_start >= %s",
        (MERGED_UNIT.code, JULY),
    ).fetchone()
    assert closed == (0,)


def test_every_unit_in_force_has_its_row_and_name(conn: psycopg.Connection) -> None:
    """Historical: each commune and district in force in June has a row (0 / 0 without dossiers),
    named as it was; July only the communes from 1 July. Current: today's communes, today's names."""

    def units(month: str, view: str) -> dict[tuple[str, str], str]:
        return dict(
            ((level, unit_id), name)
            for level, unit_id, name in conn.execute(
                "select distinct level, unit_id, unit_name from marts.ind_values where indicator_id = '766-3.3'"
                " and period_kind = 'month' and period_start = %s and view = %s and level in ('commune', 'district')",
                (month, view),
            ).fetchall()
        )

    def in_force(day: date, today: bool = False) -> dict[tuple[str, str], str]:
        return {
            (u.level, u.code): u.name
            for u in admin_units()
            if u.level in ("commune", "district") and (u.valid_to is None if today else u.valid_on(day))
        }

    assert units(JUNE, "historical") == in_force(date(2025, 6, 1))
    assert units(JULY, "historical") == in_force(date(2025, 7, 1))
    assert units(JUNE, "current") == units(JULY, "current") == in_force(date.today(), today=True)


def test_the_province_row_carries_the_seeds_name_of_the_settings_province(conn: psycopg.Connection) -> None:
    """Named as the admin-unit seed names DTIMON_PROVINCE_CODE's province, not as its People's Committee."""
    june = date(2025, 6, 1)
    province = next(
        unit
        for unit in admin_units()
        if unit.level == "province" and unit.code == DEFAULT_PROVINCE_CODE and unit.valid_on(june)
    )
    names = {
        row
        for row in conn.execute(
            "select distinct view, unit_name from marts.ind_values"
            " where level = 'province' and period_kind = 'month' and period_start = %s",
            (june,),
        )
    }
    expected = province.name[0].upper() + province.name[1:]
    assert names == {("historical", expected), ("current", expected)}
