"""766-1.4 (dossiers synced to the National Portal), 766-5.2 (feedback handled on time) and 766-5.4
(satisfaction with procedure handling), each on a hand-computed fixture: raw rows → `dbt build` on
real PostgreSQL → the figures in `marts.ind_values`.

Agencies A and B, the one-stop source covered in September 2025 only. Calendar: Mon 1 and Tue 2
Sep are public holidays (National Day); weekends 6–7, 13–14, 20–21, 27–28 Sep and 30–31 Aug.
"wd" counts working days from the counted-from date (the reception's, or the next working day
after a reception on a day off) to the step's date.

Feedback (PAKN), limits: refuse ≤ 2 wd, request more information ≤ 5 wd, answer ≤ 15 wd.

    id   agency received            steps                                        September verdict
    F1   A      Thu 04 Sep 09:00    refused Mon 08 Sep (2 wd over a weekend)     on time (2 versions)
    F2   A      Thu 04 Sep 09:00    refused Tue 09 Sep (3 wd)                    late
    F3   A      Fri 29 Aug 09:00    more info Tue 09 Sep (5 wd over the          on time
                                    holidays and a weekend), answered Fri 19 Sep (13 wd)
    F4   A      Fri 29 Aug 09:00    more info Wed 10 Sep (6 wd), answered Mon 15 Sep (9 wd)  late
    F5   A      Sat 06 Sep 10:00    answered Mon 29 Sep: from Mon 8, 15 wd       on time (from Sat: 16, late)
    F6   A      Mon 08 Sep 09:00    answered Tue 30 Sep (16 wd); names dossier G2  late
    F7   A      Wed 10 Sep 09:00    open on 30 Sep (14 wd)                       on time
    F8   A      Mon 08 Sep 09:00    open on 30 Sep (16 wd)                       late
    F10  A      Mon 18 Aug 09:00    answered Fri 29 Aug (9 wd)                   not in September (closed before);
                                                                                 on time in Q3
    F11  B      Thu 11 Sep 09:00    answered Fri 12 Sep (1 wd); names dossier G7 on time

    766-5.2 September: A 4 / 8 (F1, F3, F5, F7), B 1 / 1, province 5 / 9.
            Q3 2025: A 5 / 9 (F10 too), B 1 / 1, province 6 / 10.

Dossiers (procedure PW, 5 working days), September:

    id   agency status       received   promised  ended      sync  766-2.1  complaint
    G1   A      9            Mon 08 Sep Mon 15    Fri 12     1     on time  "not satisfied" rating Mon 15
    G2   A      9            Mon 08 Sep Mon 15    Wed 17     1     late     F6 names it
    G3   A      9            Tue 09 Sep Tue 16    Mon 15     0     on time  a "satisfied" rating
    G4   A      9            Wed 10 Sep Wed 17    Tue 16     ""    on time  —
    G5   A      4 (open)     Thu 11 Sep Thu 18    —          1     late     —
    G6   A      3 (refused at reception, never received)     0     —        —
    G7   B      9            Thu 11 Sep Thu 18    Wed 17     1     on time  F11 names it

    766-1.4 September: A 3 / 5 (G1, G2, G5; an empty sync status is not synced), B 1 / 1, province 4 / 6.
    766-5.4 September: A 2 / 5 = 100 % − (2/5 overdue + 1/5 complained of and not late: G2 is both,
            counted once), B 0 / 1, province 2 / 6.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import dbt_fixtures as fx
import psycopg
import pytest
from psycopg.types.json import Jsonb

from ingestion.declarations import blank_record
from ingestion.sources.onestop_records import Feedback, Rating

A, B = "000.00.12.H57", "000.00.13.H57"
PROVINCE = "H57"
PW = "1.000101"
SEPTEMBER, Q3 = "2025-09-01", "2025-07-01"


def dossier_code(agency: str, received: str, n: int) -> str:
    return f"{agency}-{received[2:4]}{received[5:7]}{received[8:10]}-{n:05d}"


G = {
    "G1": dossier_code(A, "2025-09-08", 1), "G2": dossier_code(A, "2025-09-08", 2),
    "G3": dossier_code(A, "2025-09-09", 3), "G4": dossier_code(A, "2025-09-10", 4),
    "G5": dossier_code(A, "2025-09-11", 5), "G6": dossier_code(A, "2025-09-11", 6),
    "G7": dossier_code(B, "2025-09-11", 7),
}  # fmt: skip


def insert_rating(conn: psycopg.Connection, batch_id: int, code: str, at: str, value: str) -> None:
    record = blank_record(Rating) | {
        "MaHoSo": code,
        "ThoiGianDanhGia": fx.native(at),
        "DanhGia": value,
        "LoaiDanhGia": "1",
        "NguoiDanhGia": "psn:5be0c1d2e3f4",
    }
    conn.execute(
        "insert into raw.onestop__ratings (batch_id, source_updated_at, ma_ho_so, record) values (%s, %s, %s, %s)",
        (batch_id, fx.local(at), code, Jsonb(record)),
    )


def insert_feedback(
    conn: psycopg.Connection,
    batch_id: int,
    name: str,
    agency: str,
    received: str,
    *,
    refused: str | None = None,
    more_info: str | None = None,
    answered: str | None = None,
    dossier: str = "",
) -> None:
    """The item's versions: received, then one per step taken (each the whole record so far)."""
    record: dict[str, Any] = blank_record(Feedback) | {
        "MaPAKN": f"PAKN-{name}",
        "TrangThai": "1",
        "MaHoSo": dossier,
        "MaTTHC": PW,
        "MaDonVi": agency,
        "NguoiGui": "psn:0a1b2c3d4e5f",
        "NgayTiepNhan": fx.native(received),
    }
    steps = [(received, {})]
    if more_info:
        steps.append((more_info, {"TrangThai": "3", "NgayYeuCauBoSung": fx.native(more_info)}))
    if refused:
        steps.append((refused, {"TrangThai": "2", "NgayTuChoi": fx.native(refused)}))
    if answered:
        steps.append((answered, {"TrangThai": "4", "NgayTraLoi": fx.native(answered)}))
    for at, change in steps:
        record = record | change | {"NgayCapNhat": fx.native(at)}
        conn.execute(
            "insert into raw.onestop__feedback (batch_id, source_updated_at, ma_pakn, record)"
            " values (%s, %s, %s, %s)",
            (batch_id, fx.local(at), record["MaPAKN"], Jsonb(record)),
        )


def load(conn: psycopg.Connection) -> None:
    catalogue = fx.batch(conn, "procedures", SEPTEMBER, "2025-10-01")
    fx.insert_procedure(
        conn, catalogue, fx.procedure(PW, "Thủ tục 5 ngày làm việc", [("1", "5", "Ngày làm việc", "0")], "")
    )
    agencies = fx.batch(conn, "agencies", SEPTEMBER, "2025-10-01")
    fx.insert_agency(conn, agencies, A, "Sở Tư pháp", "2", "000.00.00.H57")
    fx.insert_agency(conn, agencies, B, "Sở Nội vụ", "2", "000.00.00.H57")
    dossiers = fx.batch(conn, "dossiers", SEPTEMBER, "2025-10-01")
    fx.batch(conn, "progress", SEPTEMBER, "2025-10-01")
    others = fx.batch_others(conn, SEPTEMBER, "2025-10-01")

    def put(name: str, received: str, promised: str | None, status: str, sync: str, **more: Any) -> None:
        agency_name = "Sở Nội vụ" if G[name].startswith(B) else "Sở Tư pháp"
        record = fx.dossier(
            G[name], 1, updated=more.pop("updated", received), status=status, channel="1", procedure=PW,
            received=received, promised=promised, portal_sync=sync, agency_name=agency_name, **more,
        )  # fmt: skip
        fx.insert_dossier(conn, dossiers, record)

    put(
        "G1",
        "2025-09-08 08:00",
        "2025-09-15 17:00",
        "9",
        "1",
        ended="2025-09-12 10:00",
        updated="2025-09-12 10:00",
    )
    put(
        "G2",
        "2025-09-08 09:00",
        "2025-09-15 17:00",
        "9",
        "1",
        ended="2025-09-17 10:00",
        updated="2025-09-17 10:00",
    )
    put(
        "G3",
        "2025-09-09 08:00",
        "2025-09-16 17:00",
        "9",
        "0",
        ended="2025-09-15 10:00",
        updated="2025-09-15 10:00",
    )
    put(
        "G4",
        "2025-09-10 08:00",
        "2025-09-17 17:00",
        "9",
        "",
        ended="2025-09-16 10:00",
        updated="2025-09-16 10:00",
    )
    put("G5", "2025-09-11 08:00", "2025-09-18 17:00", "4", "1")
    put(
        "G6",
        None,
        None,
        "3",
        "0",
        refused="2025-09-11 09:00",
        submitted="2025-09-11 08:00",
        updated="2025-09-11 09:00",
    )
    put(
        "G7",
        "2025-09-11 08:00",
        "2025-09-18 17:00",
        "9",
        "1",
        ended="2025-09-17 10:00",
        updated="2025-09-17 10:00",
    )

    ratings = others["ratings"]
    insert_rating(conn, ratings, G["G1"], "2025-09-15 09:00", "KHÔNG HÀI LÒNG")
    insert_rating(conn, ratings, G["G3"], "2025-09-16 09:00", "HÀI LÒNG")

    feedback = others["feedback"]
    insert_feedback(conn, feedback, "F1", A, "2025-09-04 09:00", refused="2025-09-08 10:00")
    insert_feedback(conn, feedback, "F2", A, "2025-09-04 09:00", refused="2025-09-09 10:00")
    insert_feedback(
        conn, feedback, "F3", A, "2025-08-29 09:00", more_info="2025-09-09 10:00", answered="2025-09-19 10:00"
    )
    insert_feedback(
        conn, feedback, "F4", A, "2025-08-29 09:00", more_info="2025-09-10 10:00", answered="2025-09-15 10:00"
    )
    insert_feedback(conn, feedback, "F5", A, "2025-09-06 10:00", answered="2025-09-29 10:00")
    insert_feedback(conn, feedback, "F6", A, "2025-09-08 09:00", answered="2025-09-30 10:00", dossier=G["G2"])
    insert_feedback(conn, feedback, "F7", A, "2025-09-10 09:00")
    insert_feedback(conn, feedback, "F8", A, "2025-09-08 09:00")
    insert_feedback(conn, feedback, "F10", A, "2025-08-18 09:00", answered="2025-08-29 10:00")
    insert_feedback(
        conn, feedback, "F11", B, "2025-09-11 09:00", answered="2025-09-12 10:00", dossier=G["G7"]
    )
    fx.count_ledger_rows(conn)


@pytest.fixture(scope="module")
def conn(module_warehouse_url: str) -> Iterator[psycopg.Connection]:
    yield from fx.built(module_warehouse_url, load)


def figures(conn: psycopg.Connection, indicator: str, kind: str, start: str) -> dict[str, tuple]:
    """unit → (numerator, denominator, value to 4 places) of the agency and province rows (area,
    historical)."""
    rows = conn.execute(
        """
        select unit_id, numerator, denominator, round(value, 4)
        from marts.ind_values
        where indicator_id = %s and period_kind = %s and period_start = %s
          and level in ('agency', 'province') and scope = 'area' and view = 'historical'
        """,
        (indicator, kind, start),
    ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def verdicts(conn: psycopg.Connection, kind: str, start: str) -> dict[str, bool]:
    rows = conn.execute(
        "select feedback_id, is_on_time from intermediate.int_onestop__feedback_periods"
        " where period_kind = %s and period_start = %s",
        (kind, start),
    ).fetchall()
    return {feedback_id.removeprefix("PAKN-"): on_time for feedback_id, on_time in rows}


def test_feedback_deadlines_at_and_around_their_limits(conn: psycopg.Connection) -> None:
    assert verdicts(conn, "month", SEPTEMBER) == {
        "F1": True,  # refused after 2 wd (a weekend inside)
        "F2": False,  # refused after 3 wd
        "F3": True,  # more information after 5 wd (two holidays and a weekend inside), answer after 13
        "F4": False,  # more information after 6 wd, although answered in time
        "F5": True,  # received on a Saturday: 15 wd from Monday
        "F6": False,  # answered after 16 wd
        "F7": True,  # open, 14 wd on the period's last day
        "F8": False,  # open, 16 wd on the period's last day
        "F11": True,
    }


def test_a_reception_on_a_day_off_counts_from_the_next_working_day(conn: psycopg.Connection) -> None:
    counted_from, answered_after = conn.execute(
        "select counted_from_date::text, answered_after_working_days from intermediate.int_onestop__feedback_periods"
        " where feedback_id = 'PAKN-F5' and period_kind = 'month'"
    ).fetchone()
    assert (counted_from, answered_after) == ("2025-09-08", 15)


def test_766_5_2_per_month_and_quarter(conn: psycopg.Connection) -> None:
    assert figures(conn, "766-5.2", "month", SEPTEMBER) == {
        A: (4, 8, Decimal("0.5")),
        B: (1, 1, Decimal("1")),
        PROVINCE: (5, 9, Decimal("0.5556")),
    }
    # an item closed in August is judged in the quarter, once
    assert verdicts(conn, "quarter", Q3)["F10"] is True
    assert figures(conn, "766-5.2", "quarter", Q3) == {
        A: (5, 9, Decimal("0.5556")),
        B: (1, 1, Decimal("1")),
        PROVINCE: (6, 10, Decimal("0.6")),
    }


def test_766_1_4_counts_received_dossiers_whose_sync_status_says_synced(conn: psycopg.Connection) -> None:
    assert figures(conn, "766-1.4", "month", SEPTEMBER) == {
        A: (3, 5, Decimal("0.6")),
        B: (1, 1, Decimal("1")),
        PROVINCE: (4, 6, Decimal("0.6667")),
    }
    assert figures(conn, "766-1.4", "quarter", Q3) == figures(conn, "766-1.4", "month", SEPTEMBER)


def test_766_5_4_is_100_percent_less_overdue_and_complained_of(conn: psycopg.Connection) -> None:
    # A: 5 judged; overdue G2, G5 (2/5); complained of G1 (rating), G2 (F6) — G2 counted once
    assert figures(conn, "766-5.4", "month", SEPTEMBER) == {
        A: (2, 5, Decimal("0.4")),
        B: (0, 1, Decimal("0")),
        PROVINCE: (2, 6, Decimal("0.3333")),
    }


def test_ratings_and_feedback_are_staged_without_their_people(conn: psycopg.Connection) -> None:
    ratings = conn.execute(
        "select dossier_id, rating_code from staging.stg_onestop__ratings order by rated_at"
    ).fetchall()
    assert ratings == [(G["G1"], "KHÔNG HÀI LÒNG"), (G["G3"], "HÀI LÒNG")]
    columns = {
        row[0]
        for row in conn.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'staging' and table_name in ('stg_onestop__ratings', 'stg_onestop__feedback')"
        )
    }
    assert not columns & {"rater", "petitioner", "record", "content"}
    # F1 has two versions: the latest (refused) is kept
    assert conn.execute(
        "select status_code, refused_at from staging.stg_onestop__feedback where feedback_id = 'PAKN-F1'"
    ).fetchone() == ("2", fx.local("2025-09-08 10:00"))
