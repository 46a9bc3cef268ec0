"""dim_agency and dim_procedure with history, on hand-made stored catalogue states.

Catalogue pulls store a state only when it is new or changed, and a tombstone when a key
disappears (CONTRACTS.md item 4); `observed_at` is the pull's interval end. All times local.

    agencies                                                   expected versions [from, to)
    A1  "Sở Tư pháp"   seen 2 Sep, same state again 3 Sep          2 Sep → 5 Sep  "Sở Tư pháp"
        renamed 5 Sep; the same state stored again 6 Sep           5 Sep → —      "Sở Tư pháp tỉnh Huế" (current)
    A2  "Sở Nội vụ"    seen 2 Sep, tombstone 4 Sep                 2 Sep → 4 Sep  (closed, no current row)
    A3  "UBND xã"      seen 5 Sep, then a backfill of 3 Sep        3 Sep → —      one version (identical states collapse)
    A4  tombstone 2 Sep, seen 3 Sep (re-appeared)                  3 Sep → —

    procedures
    P1  5 working days seen 2 Sep, 7 working days from 10 Sep      2 Sep → 10 Sep (5), 10 Sep → — (7)
    P2  seen 2 Sep, same state 4 Sep, tombstone 6 Sep              2 Sep → 6 Sep  (closed)
    P3  "0,5" working days seen 2 Sep                              time limit 0.5

    dossiers (fct_dossier takes the procedure version in force at reception)
    X1  P1 received 8 Sep (version 1)       time limit 5
    X2  P1 received 12 Sep (version 2)      time limit 7
    X3  P1 received 29 Aug (before the catalogue was first seen: its first version)  5
    X4  P2 received 10 Sep (after P2 was closed: its last version)                    10
    X5  under a local code, DonViXuLy "Sở Tư pháp" (A1's old name) → agency A1
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import dbt_fixtures as fx
import psycopg
import pytest

A1, A2, A3, A4 = "000.00.12.H57", "000.00.13.H57", "000.00.14.H57", "000.00.15.H57"
P1, P2, P3 = "1.000001", "1.000002", "1.000003"


def day(text: str) -> datetime:
    return fx.local(f"2025-09-{text} 00:00")


def _catalogue_pull(conn: psycopg.Connection, entity: str, start: str, end: str) -> int:
    return fx.batch(conn, entity, f"2025-09-{start}", f"2025-09-{end}")


def load(conn: psycopg.Connection) -> None:
    pulls = {
        name: _catalogue_pull(conn, "agencies", *name.split("-")) for name in ("01-02", "02-03", "03-04")
    }
    sep5 = _catalogue_pull(conn, "agencies", "04", "05")
    sep6 = _catalogue_pull(conn, "agencies", "05", "06")
    backfill_sep3 = fx.batch(conn, "agencies", "2025-09-02 06:00", "2025-09-03 00:00")  # ran after 5 Sep

    fx.insert_agency(conn, pulls["01-02"], A1, "Sở Tư pháp", "2", "000.00.00.H57")
    fx.insert_agency(conn, pulls["02-03"], A1, "Sở Tư pháp", "2", "000.00.00.H57")  # same state again
    fx.insert_agency(conn, sep5, A1, "Sở Tư pháp tỉnh Huế", "2", "000.00.00.H57")
    fx.insert_agency(conn, sep6, A1, "Sở Tư pháp tỉnh Huế", "2", "000.00.00.H57")  # stored twice (a re-run)
    fx.insert_agency(conn, pulls["01-02"], A2, "Sở Nội vụ", "2", "000.00.00.H57")
    fx.insert_agency(conn, pulls["03-04"], A2, "", "", "", deleted=True)
    fx.insert_agency(conn, sep5, A3, "UBND xã Phú Mậu", "3", "000.00.00.H57")
    fx.insert_agency(conn, backfill_sep3, A3, "UBND xã Phú Mậu", "3", "000.00.00.H57")
    fx.insert_agency(conn, pulls["01-02"], A4, "", "", "", deleted=True)
    fx.insert_agency(conn, pulls["02-03"], A4, "Sở Y tế", "9", "000.00.00.H57")

    p_sep2 = _catalogue_pull(conn, "procedures", "01", "02")
    p_sep4 = _catalogue_pull(conn, "procedures", "03", "04")
    p_sep6 = _catalogue_pull(conn, "procedures", "05", "06")
    p_sep10 = _catalogue_pull(conn, "procedures", "09", "10")
    working = "Ngày làm việc"
    fx.insert_procedure(conn, p_sep2, fx.procedure(P1, "Khai sinh", [("1", "5", working, "0")], "TOANTRINH"))
    fx.insert_procedure(conn, p_sep10, fx.procedure(P1, "Khai sinh", [("1", "7", working, "0")], "TOANTRINH"))
    p2 = fx.procedure(P2, "Lý lịch tư pháp", [("1", "10", working, "200000")], "4")
    fx.insert_procedure(conn, p_sep2, p2)
    fx.insert_procedure(conn, p_sep4, p2)  # same state again
    fx.insert_procedure(conn, p_sep6, p2, deleted=True)
    fx.insert_procedure(conn, p_sep2, fx.procedure(P3, "Chứng thực", [("1", "0,5", working, "0")], "x"))

    dossiers = fx.batch(conn, "dossiers", "2025-09-01", "2025-10-01")
    for code, procedure, received in (
        (f"{A1}-250908-00001", P1, "2025-09-08 08:00"),
        (f"{A1}-250912-00002", P1, "2025-09-12 08:00"),
        (f"{A1}-250829-00003", P1, "2025-08-29 08:00"),
        (f"{A1}-250910-00004", P2, "2025-09-10 08:00"),
    ):
        record = fx.dossier(
            code, 1, updated=received, status="2", channel="1", procedure=procedure, received=received
        )
        fx.insert_dossier(conn, dossiers, record)
    local_code = fx.dossier(
        "HS-LOCAL-5", 1, updated="2025-09-15 08:00", status="2", channel="1", procedure=P1,
        received="2025-09-15 08:00", agency_name="Sở Tư pháp",
    )  # fmt: skip
    fx.insert_dossier(conn, dossiers, local_code)


@pytest.fixture(scope="module")
def conn(module_warehouse_url: str) -> Iterator[psycopg.Connection]:
    yield from fx.built(module_warehouse_url, load)


def _versions(conn: psycopg.Connection, sql: str) -> dict[str, list[tuple]]:
    found: dict[str, list[tuple]] = {}
    for key, *rest in conn.execute(sql).fetchall():
        found.setdefault(key, []).append(tuple(rest))
    return found


def test_agency_history(conn: psycopg.Connection) -> None:
    versions = _versions(
        conn,
        "select agency_id, valid_from, valid_to, is_current, agency_name, agency_level "
        "from marts.dim_agency order by agency_id, valid_from",
    )
    assert versions == {
        # renamed: two versions; the identical states stored on 3 and 6 Sep open none
        A1: [
            (day("02"), day("05"), False, "Sở Tư pháp", "department"),
            (day("05"), None, True, "Sở Tư pháp tỉnh Huế", "department"),
        ],
        # disappeared on 4 Sep: closed, no current row
        A2: [(day("02"), day("04"), False, "Sở Nội vụ", "department")],
        # seen on 5 Sep, then a backfill stored the same state as of 3 Sep: one version from 3 Sep
        A3: [(day("03"), None, True, "UBND xã Phú Mậu", "commune_people_committee")],
        # a tombstone before any state is no version; level 9 is not in the code list: unknown (never passed off as a real level)
        A4: [(day("03"), None, True, "Sở Y tế", "unknown")],
    }


def test_procedure_history(conn: psycopg.Connection) -> None:
    versions = _versions(
        conn,
        "select procedure_id, valid_from, valid_to, is_current, time_limit, time_limit_unit, online_level "
        "from marts.dim_procedure order by procedure_id, valid_from",
    )
    assert versions == {
        P1: [
            (day("02"), day("10"), False, Decimal(5), "working_days", "full"),
            (day("10"), None, True, Decimal(7), "working_days", "full"),
        ],
        # the same state stored on 2 and 4 Sep is one version, closed by the tombstone of 6 Sep
        P2: [(day("02"), day("06"), False, Decimal(10), "working_days", "full")],
        # "0,5" is half a working day (the parser accepts it too); MUCDODVC "x" is no online level
        P3: [(day("02"), None, True, Decimal("0.5"), "working_days", "none")],
    }


def test_dossiers_take_the_procedure_version_in_force_at_reception(conn: psycopg.Connection) -> None:
    rows = dict(
        conn.execute(
            "select dossier_id, time_limit from marts.fct_dossier where procedure_id is not null"
        ).fetchall()
    )
    assert rows == {
        f"{A1}-250908-00001": Decimal(5),  # received 8 Sep: version of 2 Sep
        f"{A1}-250912-00002": Decimal(7),  # received 12 Sep: version of 10 Sep
        f"{A1}-250829-00003": Decimal(5),  # before the catalogue was first seen: first version
        f"{A1}-250910-00004": Decimal(10),  # P2 closed on 6 Sep: its last version
        "HS-LOCAL-5": Decimal(7),
    }


def test_an_agency_is_found_by_a_former_name(conn: psycopg.Connection) -> None:
    agency, source = conn.execute(
        "select agency_id, agency_id_source from marts.fct_dossier where dossier_id = 'HS-LOCAL-5'"
    ).fetchone()
    assert (agency, source) == (A1, "agency_name")


def test_one_current_row_at_most_per_key(conn: psycopg.Connection) -> None:
    for table, key in (("marts.dim_agency", "agency_id"), ("marts.dim_procedure", "procedure_id")):
        doubles = conn.execute(
            f"select {key} from {table} where is_current group by {key} having count(*) > 1"
        ).fetchall()
        assert doubles == []
