"""The timing rules of DOMAIN.md §3.3 and §4 (766-2.1 on time, 766-2.2 settlement time), each on a
hand-computed dossier: raw rows → `dbt build` on real PostgreSQL → the verdicts and means.

One agency (A), September 2025 covered. Calendar: Mon 1 and Tue 2 Sep are public holidays
(National Day); weekends 6–7, 13–14, 20–21, 27–28 Sep. Procedures: PW 5 working days, PC 10
calendar days, PH 8 hours. "wd" counts working days in (from, to].

    id   proc received           promise (first)  supplement waits                     end          verdict
    R1   PW   Mon 08 Sep 08:00   Mon 15 Sep       status 5 in versions only: 10→12 (2 wd)  Wed 17 Sep on time: 15 + 2 wd = 17
    R2   PW   Mon 08 Sep 08:00   Mon 15 Sep       two, in progress rows only (0 wd each)   Thu 11 Sep late: two requests
    R3   PW   Mon 08 Sep 08:00   Mon 15 Sep       list + versions + progress: 9→11 (2 wd)  Tue 16 Sep on time, one request
    R4   PW   Mon 08 Sep 08:00   Mon 15 Sep       versions 9→11 (2 wd); source moved to 17 Thu 18 Sep late: 15 + 2 = 17 (not 17 + 2)
    R5a  PW   Mon 15 Sep 08:00   Mon 22 Sep       list: Fri 19 16:00 → Mon 22 08:30 (1 wd) Tue 23 Sep on time: 22 + 1 wd = 23
    R5b  PW   Mon 15 Sep 08:00   Mon 22 Sep       the same                                 Wed 24 Sep late (clock hours: 64.5 h would excuse it)
    R5c  PW   Fri 12 Sep 08:00   Fri 19 Sep       list: Wed 17 17:00 → Thu 18 08:00 (1 wd) Mon 22 Sep on time: 19 + 1 wd = Mon 22
    R6a  PW   Sat 20 Sep 09:00   —                —                                        Mon 29 Sep on time: from Mon 22, 5 wd
    R6b  PW   Tue 02 Sep 09:00   —                —  (received on a holiday)               Wed 10 Sep on time: from Wed 3, 5 wd
    R7a  PC   Wed 17 Sep 09:00   Sat 27 Sep       —                                        Mon 29 Sep on time: Sat 27 → Mon 29
    R7b  PC   Fri 22 Aug 09:00   —                —                                        Wed 03 Sep on time: 22 Aug + 10 = Mon 1 Sep (holiday) → Wed 3
    R8c  PC   Mon 08 Sep 08:00   —                versions 10→13 Sep (3 days)              Tue 16 Sep on time: 8 + 10 + 3 = Sun 21 → Mon 22
    R8h1 PH   Mon 22 Sep 08:00   —                —                                        22 Sep 14:00 on time: 6 h
    R8h2 PH   Tue 23 Sep 08:00   —                list: 09:00 → 11:00 (2 h)                23 Sep 15:00 on time: 7 − 2 = 5 h
    R9   PW   Mon 22 Sep 08:00   Mon 29 Sep 17:00 —                                        29 Sep 18:30 on time: dates are compared

Settlement times (766-2.2, in each procedure's unit, waits subtracted):
    PW: R1 (8,17] 7 − 2 = 5 · R2 (8,11] 3 · R3 (8,16] 6 − 2 = 4 · R4 (8,18] 8 − 2 = 6 · R5a (15,23] 6 − 1 = 5 ·
        R5b (15,24] 7 − 1 = 6 · R5c (12,22] 6 − 1 = 5 · R6a (22,29] 5 · R6b (3,10] 5 · R9 (22,29] 5
        → 49 working days over 10: mean 4.9 of 5
    PC: R7a 17→29 Sep 12 · R7b 22 Aug→3 Sep 12 · R8c 8→16 Sep 8 − 3 = 5 → 29 over 3: mean 29/3 of 10
    PH: R8h1 6 · R8h2 5 → 11 over 2: mean 5.5 of 8
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import dbt_fixtures as fx
import psycopg
import pytest

from core.calendar import working_calendar

A = "000.00.12.H57"
PW, PC, PH = "1.000101", "1.000102", "1.000103"
SEPTEMBER = "2025-09-01"


def code(received: str, n: int) -> str:
    """Dossier code <agency>-<yyMMdd>-<n> from the reception date 'YYYY-MM-DD'."""
    return f"{A}-{received[2:4]}{received[5:7]}{received[8:10]}-{n:05d}"


R = {
    "R1": code("2025-09-08", 1), "R2": code("2025-09-08", 2), "R3": code("2025-09-08", 3),
    "R4": code("2025-09-08", 4), "R5a": code("2025-09-15", 5), "R5b": code("2025-09-15", 6),
    "R5c": code("2025-09-12", 7), "R6a": code("2025-09-20", 8), "R6b": code("2025-09-02", 9),
    "R7a": code("2025-09-17", 10), "R7b": code("2025-08-22", 11), "R8c": code("2025-09-08", 12),
    "R8h1": code("2025-09-22", 13), "R8h2": code("2025-09-23", 14), "R9": code("2025-09-22", 15),
}  # fmt: skip


def _versions(
    conn: psycopg.Connection, batch_id: int, name: str, common: dict[str, Any], *steps: dict
) -> None:
    """Versions 1, 2, … of dossier `name`: each step's fields over `common`."""
    for version, step in enumerate(steps, start=1):
        fx.insert_dossier(conn, batch_id, fx.dossier(R[name], version, **(common | step)))


def load(conn: psycopg.Connection) -> None:
    catalogue = fx.batch(conn, "procedures", "2025-09-01", "2025-10-01")
    for record in (
        fx.procedure(PW, "Thủ tục 5 ngày làm việc", [("1", "5", "Ngày làm việc", "0"), ("2", "5", "Ngày làm việc", "0")], "TOANTRINH"),
        fx.procedure(PC, "Thủ tục 10 ngày", [("1", "10", "Ngày", "0")], ""),
        fx.procedure(PH, "Thủ tục 8 giờ", [("1", "8", "Giờ", "0")], ""),
    ):  # fmt: skip
        fx.insert_procedure(conn, catalogue, record)
    agencies = fx.batch(conn, "agencies", "2025-09-01", "2025-10-01")
    fx.insert_agency(conn, agencies, A, "Sở Tư pháp", "2", "000.00.00.H57")
    dossiers = fx.batch(conn, "dossiers", "2025-09-01", "2025-10-01")
    progress = fx.batch(conn, "progress", "2025-09-01", "2025-10-01")
    fx.batch_others(conn, "2025-09-01", "2025-10-01")

    def pw(received: str, promised: str | None) -> dict[str, Any]:
        return {"channel": "1", "procedure": PW, "received": received, "promised": promised}

    # R1: a supplement seen only as a move into status 5 (versions); the source moved its promise.
    _versions(
        conn, dossiers, "R1", pw("2025-09-08 08:00", "2025-09-15 17:00"),
        {"updated": "2025-09-08 08:00", "status": "2"},
        {"updated": "2025-09-10 10:00", "status": "5"},
        {"updated": "2025-09-12 10:00", "status": "4", "promised": "2025-09-17 17:00"},
        {"updated": "2025-09-17 10:00", "status": "9", "promised": "2025-09-17 17:00", "ended": "2025-09-17 10:00"},
    )  # fmt: skip
    # R2: two requests seen only in progress rows.
    _versions(
        conn, dossiers, "R2", pw("2025-09-08 08:00", "2025-09-15 17:00"),
        {"updated": "2025-09-08 08:00", "status": "2"},
        {"updated": "2025-09-11 10:00", "status": "9", "ended": "2025-09-11 10:00"},
    )  # fmt: skip
    for at, status in (
        ("2025-09-08 08:00", "2"), ("2025-09-09 09:00", "5"), ("2025-09-09 15:00", "4"),
        ("2025-09-10 09:00", "5"), ("2025-09-10 14:00", "4"), ("2025-09-11 10:00", "9"),
    ):  # fmt: skip
        fx.insert_progress(conn, progress, R["R2"], at, status, "Xử lý")
    # R3: one request shown by the list, the versions and the progress rows (seconds apart).
    pending = fx.supplement("2025-09-09 10:00", None, "2025-09-15 17:00", None)
    done = fx.supplement("2025-09-09 10:00", "2025-09-11 10:00", "2025-09-15 17:00", "2025-09-17 17:00")
    _versions(
        conn, dossiers, "R3", pw("2025-09-08 08:00", "2025-09-15 17:00"),
        {"updated": "2025-09-08 08:00", "status": "2"},
        {"updated": "2025-09-09 10:00", "status": "5", "supplements": [pending]},
        {"updated": "2025-09-11 10:00", "status": "4", "promised": "2025-09-17 17:00", "supplements": [done]},
        {"updated": "2025-09-16 10:00", "status": "9", "promised": "2025-09-17 17:00", "supplements": [done],
         "ended": "2025-09-16 10:00"},
    )  # fmt: skip
    fx.insert_progress(conn, progress, R["R3"], "2025-09-09 10:00:30", "5", "Yêu cầu bổ sung")
    fx.insert_progress(conn, progress, R["R3"], "2025-09-11 10:00", "4", "Tiếp nhận bổ sung")
    # R4: the source moved NgayHenTra by the wait; counting the wait on the moved date would excuse it.
    _versions(
        conn, dossiers, "R4", pw("2025-09-08 08:00", "2025-09-15 17:00"),
        {"updated": "2025-09-08 08:00", "status": "2"},
        {"updated": "2025-09-09 10:00", "status": "5"},
        {"updated": "2025-09-11 10:00", "status": "4", "promised": "2025-09-17 17:00"},
        {"updated": "2025-09-18 10:00", "status": "9", "promised": "2025-09-17 17:00", "ended": "2025-09-18 10:00"},
    )  # fmt: skip
    # R5a / R5b: a wait from Friday afternoon to Monday morning is one working day.
    weekend = fx.supplement("2025-09-19 16:00", "2025-09-22 08:30", "2025-09-22 17:00", "2025-09-23 17:00")
    for name, ended in (("R5a", "2025-09-23 15:00"), ("R5b", "2025-09-24 10:00")):
        _versions(
            conn, dossiers, name, pw("2025-09-15 08:00", "2025-09-22 17:00"),
            {"updated": "2025-09-15 08:00", "status": "2"},
            {"updated": ended, "status": "9", "promised": "2025-09-23 17:00", "supplements": [weekend], "ended": ended},
        )  # fmt: skip
    # R5c: a one-working-day wait moves a Friday promise to Monday.
    overnight = fx.supplement("2025-09-17 17:00", "2025-09-18 08:00", "2025-09-19 17:00", "2025-09-22 17:00")
    _versions(
        conn, dossiers, "R5c", pw("2025-09-12 08:00", "2025-09-19 17:00"),
        {"updated": "2025-09-12 08:00", "status": "2"},
        {"updated": "2025-09-22 10:00", "status": "9", "promised": "2025-09-22 17:00", "supplements": [overnight],
         "ended": "2025-09-22 10:00"},
    )  # fmt: skip
    # R6a: accepted online on a Saturday; R6b: on a holiday. No promise: the 5 working days decide.
    for name, received, ended in (
        ("R6a", "2025-09-20 09:00", "2025-09-29 10:00"),
        ("R6b", "2025-09-02 09:00", "2025-09-10 15:00"),
    ):
        common = pw(received, None) | {"channel": "2", "submitted": received}
        _versions(
            conn, dossiers, name, common,
            {"updated": received, "status": "2"},
            {"updated": ended, "status": "9", "ended": ended},
        )  # fmt: skip
    # R7a: a promise on a Saturday; R7b: a 10-calendar-day deadline on a holiday.
    _versions(
        conn, dossiers, "R7a", {"channel": "1", "procedure": PC, "received": "2025-09-17 09:00",
                                "promised": "2025-09-27 17:00"},
        {"updated": "2025-09-17 09:00", "status": "2"},
        {"updated": "2025-09-29 10:00", "status": "9", "ended": "2025-09-29 10:00"},
    )  # fmt: skip
    _versions(
        conn, dossiers, "R7b", {"channel": "1", "procedure": PC, "received": "2025-08-22 09:00"},
        {"updated": "2025-09-03 10:00", "status": "9", "ended": "2025-09-03 10:00"},
    )  # fmt: skip
    # R8c: a calendar-day procedure's wait (status 5 in versions), completed online on a Saturday.
    _versions(
        conn, dossiers, "R8c", {"channel": "1", "procedure": PC, "received": "2025-09-08 08:00"},
        {"updated": "2025-09-08 08:00", "status": "2"},
        {"updated": "2025-09-10 10:00", "status": "5"},
        {"updated": "2025-09-13 10:00", "status": "4"},
        {"updated": "2025-09-16 09:00", "status": "9", "ended": "2025-09-16 09:00"},
    )  # fmt: skip
    # R8h1 / R8h2: hour procedures; R8h2 waited two hours.
    _versions(
        conn, dossiers, "R8h1", {"channel": "1", "procedure": PH, "received": "2025-09-22 08:00"},
        {"updated": "2025-09-22 08:00", "status": "2"},
        {"updated": "2025-09-22 14:00", "status": "9", "ended": "2025-09-22 14:00"},
    )  # fmt: skip
    hours = fx.supplement("2025-09-23 09:00", "2025-09-23 11:00", None, None)
    _versions(
        conn, dossiers, "R8h2", {"channel": "1", "procedure": PH, "received": "2025-09-23 08:00"},
        {"updated": "2025-09-23 08:00", "status": "2"},
        {"updated": "2025-09-23 15:00", "status": "9", "supplements": [hours], "ended": "2025-09-23 15:00"},
    )  # fmt: skip
    # R9: finished after office hours on the promised day.
    _versions(
        conn, dossiers, "R9", pw("2025-09-22 08:00", "2025-09-29 17:00"),
        {"updated": "2025-09-22 08:00", "status": "2"},
        {"updated": "2025-09-29 18:30", "status": "9", "ended": "2025-09-29 18:30"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def conn(module_warehouse_url: str) -> Iterator[psycopg.Connection]:
    yield from fx.built(module_warehouse_url, load)


def _judged(conn: psycopg.Connection) -> dict[str, tuple]:
    """name → (on_time_basis, is_on_time, supplements_counted, supplement_working_days, due_date,
    settlement time in the procedure's unit) in September."""
    rows = conn.execute(
        """
        select dossier_id, on_time_basis, is_on_time, supplements_counted, supplement_working_days,
               due_date::text, elapsed_in_limit_unit
        from intermediate.int_onestop__dossier_periods
        where period_kind = 'month' and period_start = %s
        """,
        (SEPTEMBER,),
    ).fetchall()
    names = {dossier_id: name for name, dossier_id in R.items()}
    return {names[row[0]]: tuple(row[1:]) for row in rows}


def test_a_supplement_seen_only_as_a_status_5_move_extends_the_promise(conn: psycopg.Connection) -> None:
    # 10 → 12 Sep waited (11, 12: 2 wd): the promise 15 Sep becomes 17 Sep; ended 17 Sep
    assert _judged(conn)["R1"] == ("promised_date", True, 1, 2, "2025-09-17", 5)


def test_two_requests_seen_only_in_progress_rows_are_late(conn: psycopg.Connection) -> None:
    basis, on_time, requests, *_ = _judged(conn)["R2"]
    assert (basis, on_time, requests) == ("multiple_supplements", False, 2)


def test_a_request_in_the_list_and_in_the_status_moves_is_one_request(conn: psycopg.Connection) -> None:
    assert _judged(conn)["R3"] == ("promised_date", True, 1, 2, "2025-09-17", 4)
    shown = conn.execute(
        "select request_number, is_in_list, is_in_versions, is_in_progress"
        " from intermediate.int_onestop__supplement_requests where dossier_id = %s",
        (R["R3"],),
    ).fetchall()
    assert shown == [(1, True, True, True)]


def test_a_wait_extends_the_first_promise_once(conn: psycopg.Connection) -> None:
    # the first received version promised 15 Sep; the source later showed 17 Sep (15 + the wait):
    # 15 + 2 wd = 17 < ended 18 → late (17 + 2 would have excused it)
    assert _judged(conn)["R4"] == ("promised_date", False, 1, 2, "2025-09-17", 6)
    base = conn.execute(
        "select base_promised_at, promised_at from marts.fct_dossier where dossier_id = %s", (R["R4"],)
    ).fetchone()
    assert base == (fx.local("2025-09-15 17:00"), fx.local("2025-09-17 17:00"))


def test_a_weekend_wait_on_a_working_day_procedure_is_one_working_day(conn: psycopg.Connection) -> None:
    judged = _judged(conn)
    # Fri 19 16:00 → Mon 22 08:30: one working day (22), so the promise Mon 22 becomes Tue 23
    assert judged["R5a"] == ("promised_date", True, 1, 1, "2025-09-23", 5)
    # ended Wed 24: late, although 64.5 clock hours taken off the finish would have made it Sun 21
    assert judged["R5b"] == ("promised_date", False, 1, 1, "2025-09-23", 6)


def test_a_working_day_wait_moves_a_friday_promise_to_monday(conn: psycopg.Connection) -> None:
    # Wed 17 17:00 → Thu 18 08:00 is one working day: Fri 19 + 1 wd = Mon 22; ended Mon 22 10:00
    # (15 clock hours taken off the finish would give Sun 21, after Fri 19: late)
    assert _judged(conn)["R5c"] == ("promised_date", True, 1, 1, "2025-09-22", 5)


def test_a_saturday_receipt_counts_from_monday(conn: psycopg.Connection) -> None:
    # received Sat 20: counted from Mon 22; 23, 24, 25, 26, 29 = 5 wd ≤ 5 (from Fri 19 it would be 6)
    assert _judged(conn)["R6a"] == ("time_limit_working_days", True, 0, 0, None, 5)
    counted = conn.execute(
        "select counted_from_at from intermediate.int_onestop__dossier_periods"
        " where dossier_id = %s and period_kind = 'month'",
        (R["R6a"],),
    ).fetchone()[0]
    assert counted == fx.local("2025-09-22 00:00")


def test_a_holiday_receipt_counts_from_the_next_working_day(conn: psycopg.Connection) -> None:
    # received Tue 2 Sep (National Day): counted from Wed 3; 4, 5, 8, 9, 10 = 5 wd ≤ 5
    assert _judged(conn)["R6b"] == ("time_limit_working_days", True, 0, 0, None, 5)


def test_a_promise_on_a_day_off_moves_to_the_next_working_day(conn: psycopg.Connection) -> None:
    # promised Sat 27 Sep → Mon 29 Sep; ended Mon 29 Sep 10:00
    assert _judged(conn)["R7a"] == ("promised_date", True, 0, 0, "2025-09-29", 12)


def test_a_deadline_on_a_holiday_moves_to_the_next_working_day(conn: psycopg.Connection) -> None:
    # 22 Aug + 10 calendar days = Mon 1 Sep, a holiday, as is Tue 2: the deadline is Wed 3 Sep
    assert _judged(conn)["R7b"] == ("time_limit_calendar_days", True, 0, 0, "2025-09-03", 12)
    # a calendar-day wait extends the deadline in days: 8 + 10 + 3 = Sun 21 Sep → Mon 22
    assert _judged(conn)["R8c"] == ("time_limit_calendar_days", True, 1, 2, "2025-09-22", 5)


def test_hours_are_clock_hours_less_the_wait(conn: psycopg.Connection) -> None:
    judged = _judged(conn)
    assert judged["R8h1"] == ("time_limit_hours", True, 0, 0, None, 6)
    assert judged["R8h2"] == ("time_limit_hours", True, 1, 0, None, 5)


def test_finished_after_hours_on_the_promised_day_is_on_time(conn: psycopg.Connection) -> None:
    assert _judged(conn)["R9"] == ("promised_date", True, 0, 0, "2025-09-29", 5)


def test_on_time_766_2_1_counts_every_rule(conn: psycopg.Connection) -> None:
    # 15 dossiers in scope; late: R2 (two requests), R4, R5b → 12 / 15
    row = conn.execute(
        "select numerator, denominator from marts.ind_values where indicator_id = '766-2.1'"
        " and period_kind = 'month' and period_start = %s and level = 'agency' and unit_id = %s",
        (SEPTEMBER, A),
    ).fetchone()
    assert row == (12, 15)


def test_766_2_2_per_procedure_in_hours_calendar_days_and_working_days(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        """
        select procedure_id, time_limit_unit, time_limit, dossiers_settled, total_settlement_time,
               mean_settlement_time, limit_share
        from marts.ind_766_2_2_procedures
        where period_kind = 'month' and period_start = %s and level = 'agency' and unit_id = %s
        order by procedure_id
        """,
        (SEPTEMBER, A),
    ).fetchall()
    assert [row[:5] for row in rows] == [
        (PW, "working_days", 5, 10, 49),
        (PC, "calendar_days", 10, 3, 29),
        (PH, "hours", 8, 2, 11),
    ]
    means = [(row[5], row[6]) for row in rows]
    assert means[0] == (Decimal("4.9"), Decimal("0.98"))
    assert means[1][0] == pytest.approx(Decimal(29) / 3) and means[1][1] == pytest.approx(Decimal(29) / 30)
    assert means[2] == (Decimal("5.5"), Decimal("0.6875"))
    # the province (one agency here) has the same rows
    province = conn.execute(
        "select count(*) from marts.ind_766_2_2_procedures where level = 'province' and unit_id = 'H57'"
        " and period_kind = 'month' and period_start = %s",
        (SEPTEMBER,),
    ).fetchone()[0]
    assert province == 3


def test_766_2_2_in_ind_values_is_the_mean_share_of_the_limit(conn: psycopg.Connection) -> None:
    # 49/5 + 29/10 + 11/8 = 9.8 + 2.9 + 1.375 = 14.075 over 15 dossiers
    row = conn.execute(
        "select numerator, denominator, value, value_unit from marts.ind_values where indicator_id = '766-2.2'"
        " and period_kind = 'month' and period_start = %s and level = 'agency' and unit_id = %s",
        (SEPTEMBER, A),
    ).fetchone()
    assert row[:2] == (Decimal("14.075"), 15)
    assert row[2] == pytest.approx(Decimal("14.075") / 15)
    assert row[3] == "limit_share"


def test_the_sql_calendar_agrees_with_the_python_one(conn: psycopg.Connection) -> None:
    # one calendar (the holiday seed), read by dbt and by core.calendar (the sandbox's promises)
    calendar = working_calendar()
    rows = conn.execute(
        "select calendar_date, is_working_day, next_working_date from intermediate.int_calendar__days"
    )
    disagreeing = [
        day
        for day, working, next_working in rows
        if working != calendar.is_working_day(day)
        or (next_working is not None and next_working != calendar.next_working_day(day))
    ]
    assert disagreeing == []


def test_the_late_dossiers_behind_766_2_1_in_each_period(conn: psycopg.Connection) -> None:
    # late: R2 (two requests: no due date, no days over), R4 (due Wed 17, ended Thu 18: 1 wd over),
    # R5b (due Tue 23, ended Wed 24: 1 wd over); each judged once in the month, quarter and year
    rows = conn.execute(
        """
        select period_kind, period_start::text, agency_id, agency_name, dossier_id, procedure_id,
               procedure_name, promised_at, due_date::text, ended_at, is_open, late_basis, working_days_over
        from marts.ind_766_2_1_late_dossiers
        order by period_kind, dossier_id
        """
    ).fetchall()
    expected = [
        (R["R2"], fx.local("2025-09-15 17:00"), None, fx.local("2025-09-11 10:00"), "multiple_supplements", None),
        (R["R4"], fx.local("2025-09-15 17:00"), "2025-09-17", fx.local("2025-09-18 10:00"), "promised_date", 1),
        (R["R5b"], fx.local("2025-09-22 17:00"), "2025-09-23", fx.local("2025-09-24 10:00"), "promised_date", 1),
    ]  # fmt: skip
    for kind, start in (("month", SEPTEMBER), ("quarter", "2025-07-01"), ("year", "2025-01-01")):
        in_period = [r for r in rows if r[:2] == (kind, start)]
        assert [(r[4], r[7], r[8], r[9], r[11], r[12]) for r in in_period] == expected, kind
        assert {(r[2], r[3], r[5], r[6], r[10]) for r in in_period} == {
            (A, "Sở Tư pháp", PW, "Thủ tục 5 ngày làm việc", False)
        }
    assert len(rows) == 9


def test_the_late_list_matches_766_2_1_in_every_period(conn: psycopg.Connection) -> None:
    gaps = conn.execute(
        "select period_kind, period_start, denominator - numerator from marts.ind_values"
        " where indicator_id = '766-2.1' and level = 'agency' and unit_id = %s",
        (A,),
    ).fetchall()
    listed = dict(
        ((kind, start), n)
        for kind, start, n in conn.execute(
            "select period_kind, period_start, count(*) from marts.ind_766_2_1_late_dossiers"
            " where agency_id = %s group by 1, 2",
            (A,),
        ).fetchall()
    )
    assert gaps and all(listed.get((kind, start), 0) == gap for kind, start, gap in gaps)


def test_a_late_list_short_of_766_2_1_fails_the_build(
    conn: psycopg.Connection, module_warehouse_url: str
) -> None:
    """The consistency test the department relies on fails when one late dossier goes missing
    (the row is put back afterwards)."""
    from infra.dbt import DbtFailed, run_dbt

    test = "assert_late_dossiers_match_766_2_1"
    where = "period_kind = 'month' and dossier_id = %s"
    conn.execute(
        f"create temporary table kept as select * from marts.ind_766_2_1_late_dossiers where {where}",
        (R["R4"],),
    )
    conn.execute(f"delete from marts.ind_766_2_1_late_dossiers where {where}", (R["R4"],))
    try:
        with pytest.raises(DbtFailed) as failed:
            run_dbt(["test", "--select", test], module_warehouse_url)
        assert {failure.name for failure in failed.value.failures} == {test}
    finally:
        conn.execute("insert into marts.ind_766_2_1_late_dossiers select * from kept")
        conn.execute("drop table kept")
