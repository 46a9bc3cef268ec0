"""dbt end to end on real PostgreSQL: hand-built raw rows → `dbt build` → exact indicator figures.

The fixture is one province slice (province 000.00.00.H57) whose one-stop coverage is all of
September 2025 (two succeeded batches of each windowed entity, dossiers and progress, plus a
replaced and a failed dossier batch that must not count), nothing in October, and 1–3 November
(dossiers loaded for 1–5 Nov but progress only for 1–3 Nov: a day counts only when every windowed
entity covers it). Agency A has the dossiers below; agency B has none; agency C has one (D18).
Every expected number is written out and computed by hand next to the cases. Calendar facts used: 1–2 Sep 2025 are public holidays (National Day),
6–7, 13–14, 20–21, 27–28 Sep are weekends.

    id   channel procedure           status  received      promised     end (source)          766-2.1 verdict
    D1   online  P1 5 working days   10      03 Sep 08:00  10 Sep 17:00 09 Sep 10:00 (record) on time
    D2   direct  P1                  10      03 Sep 09:00  08 Sep 17:00 10 Sep 15:00 (version) late
    D3   direct  P1                  9       04 Sep 08:00  15→18 Sep    17 Sep 10:00 (record) on time: 17 Sep − 3 days wait = 14 Sep ≤ 15 Sep
    D4   online  P1                  9       04 Sep 09:00  20 Sep 17:00 09 Sep 15:00 (record) late: two supplement requests
    D5   online  P1                  4       25 Sep 08:00  03 Oct 17:00 open                  on time: 1 Oct ≤ 3 Oct
    D6   direct  P1                  4       10 Sep 08:00  17 Sep 17:00 open                  late: 1 Oct > 17 Sep
    D7   online  P1                  3       05 Sep 08:00  refused at reception              not received: no denominator
    D8   online  P1                  1       (submitted 06 Sep, never accepted)              not received: no denominator
    D9   direct  P1 (no promise)     9       29 Aug 10:00  —            09 Sep 15:00 (record) on time: 3,4,5,8,9 Sep = 5 wd ≤ 5
    D10  online  P1 (no promise)     9       29 Aug 11:00  —            10 Sep 15:00 (record) late: 6 wd > 5
    D11  online  P1, re-coded        10      12 Sep 08:00  19 Sep 17:00 18 Sep 10:00 (record) on time (one dossier, two codes)
    D12  direct  P1, dup. version    9       11 Sep 08:00  16 Sep 17:00 15 Sep 10:00 (record) on time (loaded by both batches)
    D13  direct  P4 no time limit    9       15 Sep 08:00  —            16 Sep 08:00 (record) late: undeterminable
    D14  online  P2 10 calendar days 9       19 Sep 08:00  —            29 Sep 10:00 (record) on time: 10 calendar days ≤ 10
    D15  direct  P3 8 hours          9       22 Sep 08:00  —            22 Sep 15:00 (record) on time: 7 h ≤ 8
    D16  direct  P1                  10      20 Aug 08:00  27 Aug 17:00 25 Aug 10:00 (record) out of scope (ended before Sep)
    D17  online  P1                  7       05 Sep 08:00  12 Sep 17:00 08 Sep 14:00 (progress) on time (withdrawn)
    D18  online  P1 (agency C)       9       15 Sep 08:00  20 Sep 17:00 16 Sep 10:00 (record) on time

Without the holiday calendar D9 would count 7 working days (late); counting calendar days it
would be 11 (late): the working-day calendar decides its verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import dbt_fixtures as fx
import psycopg
import pytest

from core.admin_units import admin_units
from core.settings import DEFAULT_PROVINCE_CODE
from infra.dbt import DbtFailed, connection_env, run_dbt
from ingestion.schema import migrate

A = "000.00.12.H57"
B = "000.00.13.H57"
C = "000.00.14.H57"
DISSOLVED = "000.00.15.H57"  # left the agency catalogue before September
PROVINCE = "H57"  # the province row: the level-1 code of its agencies' ids
PEOPLES_COMMITTEE = "000.00.00.H57"
D18 = f"{C}-250915-00018"
P1, P2, P3, P4 = "1.000001", "1.000002", "1.000003", "1.000004"
SEPTEMBER = "2025-09-01"
NOVEMBER = "2025-11-01"
INDICATORS = fx.computed_indicators(covered=fx.FIXTURE_SOURCE)  # what the hand-made rows value


def code(received_day: str, seq: int) -> str:
    """Dossier code <agency>-<yyMMdd>-<seq> of agency A."""
    return f"{A}-{received_day}-{seq:05d}"


D = {n: code(day, n) for n, day in {
    1: "250903", 2: "250903", 3: "250904", 4: "250904", 5: "250925", 6: "250910", 7: "250905",
    8: "250906", 9: "250829", 10: "250829", 11: "250912", 12: "250911", 13: "250915", 14: "250919",
    15: "250922", 16: "250820", 17: "250905",
}.items()}  # fmt: skip
D11_LOCAL_CODE = "HS2025000111"


def load_reference(conn: psycopg.Connection) -> None:
    catalogue = fx.batch(conn, "procedures", "2025-09-01", "2025-10-01")
    for record in (
        fx.procedure(
            P1,
            "Đăng ký khai sinh",
            [("1", "5", "Ngày làm việc", "0"), ("2", "5", "Ngày làm việc", "0")],
            "TOANTRINH",
        ),
        fx.procedure(P2, "Cấp phiếu lý lịch tư pháp", [("2", "10", "Ngày", "200000")], "MOTPHAN"),
        fx.procedure(P3, "Chứng thực bản sao", [("1", "8", "Giờ", "0")], ""),
        fx.procedure(P4, "Thủ tục chưa có thời hạn", [], ""),
    ):
        fx.insert_procedure(conn, catalogue, record)
    # The agency catalogue is stored by change: an August pull had A under an older name and a
    # third agency, which the pull of 31 August no longer lists (a tombstone: it closes at
    # 1 Sep); the September pull renames A and adds C; B is unchanged since August, so it is
    # not stored again.
    earlier = fx.batch(conn, "agencies", "2025-08-30", "2025-08-31")
    fx.insert_agency(conn, earlier, A, "Phòng Tư pháp", "3", "000.00.00.H57")
    fx.insert_agency(conn, earlier, B, "Sở Nội vụ", "2", "000.00.00.H57")
    fx.insert_agency(conn, earlier, DISSOLVED, "Sở đã giải thể", "2", "000.00.00.H57")
    last_of_august = fx.batch(conn, "agencies", "2025-08-31", "2025-09-01")
    fx.insert_agency(conn, last_of_august, DISSOLVED, "", "", "", deleted=True)
    agencies = fx.batch(conn, "agencies", "2025-09-01", "2025-10-01")
    fx.insert_agency(conn, agencies, A, "Sở Tư pháp", "2", "000.00.00.H57")
    fx.insert_agency(conn, agencies, C, "Sở Y tế", "2", "000.00.00.H57")


def load_dossier_of_an_uncovered_year(conn: psycopg.Connection) -> None:
    """A dossier received in 2021 and still open in September 2025: 2021 is not in
    calendar_coverage, so the build's calendar test fails."""
    batch_id = fx.batch(conn, "dossiers", "2025-09-01", "2025-10-01")
    fx.insert_dossier(
        conn,
        batch_id,
        fx.dossier(
            f"{A}-210301-00001", 1, updated="2025-09-10 08:00", status="4", channel="1",
            procedure=P1, received="2021-03-01 08:00",
        ),
    )  # fmt: skip
    progress = fx.batch(conn, "progress", "2025-09-01", "2025-10-01")
    fx.insert_progress(conn, progress, f"{A}-210301-00001", "2025-09-10 08:00", "4", "Xử lý")


def load_september(conn: psycopg.Connection) -> None:
    load_reference(conn)
    first = fx.batch(conn, "dossiers", "2025-09-01", "2025-09-16")
    # A reload replaced this batch (its raw rows are gone); a later one failed. Neither counts.
    fx.batch(conn, "dossiers", "2025-09-01", "2025-09-16", status="replaced", replaced_by=first)
    second = fx.batch(conn, "dossiers", "2025-09-16", "2025-10-01")
    fx.batch(conn, "dossiers", "2025-10-01", "2025-10-02", status="failed")
    progress_first = fx.batch(conn, "progress", "2025-09-01", "2025-09-16")
    progress_second = fx.batch(conn, "progress", "2025-09-16", "2025-10-01")
    fx.batch_others(conn, "2025-09-01", "2025-10-01")

    def put(batch_id: int, n: int | str, version: int, **fields) -> None:
        dossier_code = D[n] if isinstance(n, int) else n
        fx.insert_dossier(conn, batch_id, fx.dossier(dossier_code, version, **fields))

    # D1 on time, online, settled.
    put(
        first,
        1,
        1,
        updated="2025-09-09 15:00",
        status="10",
        channel="2",
        procedure=P1,
        received="2025-09-03 08:00",
        promised="2025-09-10 17:00",
        ended="2025-09-09 10:00",
        returned="2025-09-09 15:00",
    )
    # D2 late; NgayKetThucXuLy never sent: the end is the first version at status 9 (10 Sep 15:00).
    d2 = dict(channel="1", procedure=P1, received="2025-09-03 09:00", promised="2025-09-08 17:00")
    put(first, 2, 1, updated="2025-09-03 09:00", status="2", **d2)
    put(first, 2, 2, updated="2025-09-05 09:00", status="4", **d2)
    put(first, 2, 3, updated="2025-09-10 15:00", status="9", **d2)
    put(second, 2, 4, updated="2025-09-16 09:00", status="10", returned="2025-09-16 09:00", **d2)
    # D3 one supplement moved the promise from 15 to 18 Sep; ended 17 Sep, between the two.
    put(
        first,
        3,
        1,
        updated="2025-09-17 10:00",
        status="9",
        channel="1",
        procedure=P1,
        received="2025-09-04 08:00",
        promised="2025-09-18 17:00",
        ended="2025-09-17 10:00",
        supplements=[
            fx.supplement("2025-09-08 10:00", "2025-09-11 10:00", "2025-09-15 17:00", "2025-09-18 17:00")
        ],
    )
    # D4 two supplement requests: late although it ended well before the promised date.
    put(
        first,
        4,
        1,
        updated="2025-09-09 15:00",
        status="9",
        channel="2",
        procedure=P1,
        received="2025-09-04 09:00",
        promised="2025-09-22 17:00",
        ended="2025-09-09 15:00",
        supplements=[
            fx.supplement(
                "2025-09-05 10:00", "2025-09-06 10:00", "2025-09-20 17:00", "2025-09-21 17:00", "1"
            ),
            fx.supplement(
                "2025-09-08 10:00", "2025-09-09 10:00", "2025-09-21 17:00", "2025-09-22 17:00", "2"
            ),
        ],
    )
    # D5 open at the period end, due 3 Oct: on time. D6 open, due 17 Sep: late.
    put(
        second,
        5,
        1,
        updated="2025-09-26 08:00",
        status="4",
        channel="2",
        procedure=P1,
        received="2025-09-25 08:00",
        promised="2025-10-03 17:00",
    )
    put(
        first,
        6,
        1,
        updated="2025-09-11 08:00",
        status="4",
        channel="1",
        procedure=P1,
        received="2025-09-10 08:00",
        promised="2025-09-17 17:00",
    )
    # D7 refused at reception (it has a reception time: the status alone excludes it). D8 never accepted.
    put(
        first,
        7,
        1,
        updated="2025-09-05 10:00",
        status="3",
        channel="2",
        procedure=P1,
        received="2025-09-05 08:00",
        refused="2025-09-05 10:00",
    )
    put(
        first,
        8,
        1,
        updated="2025-09-06 08:00",
        status="1",
        channel="2",
        procedure=P1,
        received=None,
        submitted="2025-09-06 08:00",
    )
    # D9 / D10 no promised date: 5 working days allowed, across the 1–2 Sep holidays and a weekend.
    put(
        first,
        9,
        1,
        updated="2025-09-09 15:00",
        status="9",
        channel="1",
        procedure=P1,
        received="2025-08-29 10:00",
        ended="2025-09-09 15:00",
    )
    put(
        first,
        10,
        1,
        updated="2025-09-10 15:00",
        status="9",
        channel="2",
        procedure=P1,
        received="2025-08-29 11:00",
        ended="2025-09-10 15:00",
    )
    # D11 re-coded: first sent under a local code, then under the rewritten code.
    d11 = dict(channel="2", procedure=P1, received="2025-09-12 08:00", promised="2025-09-19 17:00")
    put(first, D11_LOCAL_CODE, 1, updated="2025-09-12 08:00", status="2", **d11)
    put(first, 11, 2, updated="2025-09-15 08:00", status="4", alt_code=D11_LOCAL_CODE, **d11)
    put(
        second,
        11,
        3,
        updated="2025-09-18 11:00",
        status="10",
        alt_code=D11_LOCAL_CODE,
        ended="2025-09-18 10:00",
        returned="2025-09-18 11:00",
        **d11,
    )
    fx.insert_progress(conn, progress_first, D11_LOCAL_CODE, "2025-09-12 08:00", "2", "Tiếp nhận hồ sơ")
    fx.insert_progress(conn, progress_second, D[11], "2025-09-18 10:00", "10", "Trả kết quả")
    # D12 version 2 loaded twice (overlapping windows of both batches).
    d12 = dict(channel="1", procedure=P1, received="2025-09-11 08:00", promised="2025-09-16 17:00")
    put(first, 12, 1, updated="2025-09-11 08:00", status="2", **d12)
    put(first, 12, 2, updated="2025-09-15 10:00", status="9", ended="2025-09-15 10:00", **d12)
    put(second, 12, 2, updated="2025-09-15 10:00", status="9", ended="2025-09-15 10:00", **d12)
    # D13 no promised date and a procedure with no time limit: undeterminable, counted late.
    put(
        first,
        13,
        1,
        updated="2025-09-16 08:00",
        status="9",
        channel="1",
        procedure=P4,
        received="2025-09-15 08:00",
        ended="2025-09-16 08:00",
    )
    # D14 10 calendar days (19 → 29 Sep). D15 8 hours (08:00 → 15:00).
    put(
        second,
        14,
        1,
        updated="2025-09-29 10:00",
        status="9",
        channel="2",
        procedure=P2,
        received="2025-09-19 08:00",
        ended="2025-09-29 10:00",
    )
    put(
        second,
        15,
        1,
        updated="2025-09-22 15:00",
        status="9",
        channel="1",
        procedure=P3,
        received="2025-09-22 08:00",
        ended="2025-09-22 15:00",
    )
    # D16 finished in August: in no September denominator.
    put(
        first,
        16,
        1,
        updated="2025-09-02 08:00",
        status="10",
        channel="1",
        procedure=P1,
        received="2025-08-20 08:00",
        promised="2025-08-27 17:00",
        ended="2025-08-25 10:00",
        returned="2025-09-02 08:00",
    )
    # D17 withdrawn; the end comes from its progress step (sent by both progress batches).
    put(
        first,
        17,
        1,
        updated="2025-09-09 08:00",
        status="7",
        channel="2",
        procedure=P1,
        received="2025-09-05 08:00",
        promised="2025-09-12 17:00",
    )
    fx.insert_progress(conn, progress_first, D[17], "2025-09-05 08:00", "2", "Tiếp nhận hồ sơ")
    fx.insert_progress(conn, progress_first, D[17], "2025-09-08 14:00", "7", "Công dân rút hồ sơ")
    fx.insert_progress(conn, progress_second, D[17], "2025-09-08 14:00", "7", "Công dân rút hồ sơ")
    # D18 agency C, online, settled on time in one working day (15 → 16 Sep).
    put(
        second,
        D18,
        1,
        updated="2025-09-16 10:00",
        status="9",
        channel="2",
        procedure=P1,
        received="2025-09-15 08:00",
        promised="2025-09-20 17:00",
        ended="2025-09-16 10:00",
        agency_name="Sở Y tế",
    )
    # November, partly: dossiers loaded for 1–5 Nov, progress only for 1–3 Nov → 1–3 Nov covered.
    fx.batch(conn, "dossiers", "2025-11-01", "2025-11-06")
    fx.batch(conn, "progress", "2025-11-01", "2025-11-04")
    fx.batch_others(conn, "2025-11-01", "2025-11-04")


@dataclass(frozen=True)
class Built:
    url: str


@pytest.fixture(scope="module")
def built(module_warehouse_url: str) -> Built:
    with psycopg.connect(module_warehouse_url) as conn:
        migrate(conn)
        with conn.transaction():
            load_september(conn)
    run_dbt(["build"], module_warehouse_url)
    return Built(module_warehouse_url)


@pytest.fixture(scope="module")
def conn(built: Built) -> Iterator[psycopg.Connection]:
    with psycopg.connect(built.url, autocommit=True) as connection:
        yield connection


@dataclass(frozen=True)
class Value:
    numerator: Decimal
    denominator: Decimal | None
    value: Decimal | None
    value_unit: str
    direction: str
    target: Decimal | None
    target_confirmed: bool | None
    met: bool | None
    full_score_at: Decimal | None
    max_points: Decimal | None
    points: Decimal | None
    status: str
    period_as_of: datetime
    unit_name: str | None


def _values(conn: psycopg.Connection, month: str = SEPTEMBER) -> dict[tuple[str, str, str], Value]:
    """(level, unit_id, indicator_id) → the month row of `month`, agencies and province as they
    were (scope area, view historical; the other levels, scopes and views: test_dbt_admin_units)."""
    rows = conn.execute(
        """
        select v.level, v.unit_id, v.indicator_id, v.numerator, v.denominator, v.value, v.value_unit,
               c.direction, v.target, v.target_confirmed, v.met, c.full_score_at, c.max_points, v.points,
               v.status, v.period_as_of, v.unit_name
        from marts.ind_values as v
        inner join reference.indicator_catalogue as c on c.indicator_id = v.indicator_id
        where v.period_kind = 'month' and v.period_start = %s
          and v.level in ('agency', 'province') and v.scope = 'area' and v.view = 'historical'
        """,
        (month,),
    ).fetchall()
    return {(r[0], r[1], r[2]): Value(*r[3:]) for r in rows}


def _agency(conn: psycopg.Connection, agency: str, indicator: str, month: str = SEPTEMBER) -> Value:
    return _values(conn, month)[("agency", agency, indicator)]


def test_rows_only_for_covered_months_for_every_agency_and_the_province(conn: psycopg.Connection) -> None:
    months = conn.execute(
        "select distinct period_start::text from marts.ind_values where period_kind = 'month' order by 1"
    ).fetchall()
    # October: no day covered (only a failed batch) → absent, although D5 and D6 were still open.
    assert months == [(SEPTEMBER,), (NOVEMBER,)]
    for month in (SEPTEMBER, NOVEMBER):
        # 3 agencies + their province × every computed indicator
        assert sorted(_values(conn, month)) == sorted(
            [("agency", unit, ind) for unit in (A, B, C) for ind in INDICATORS]
            + [("province", PROVINCE, ind) for ind in INDICATORS]
        )
    september = _values(conn, SEPTEMBER).values()
    assert {(v.status, v.period_as_of) for v in september} == {("complete", fx.local("2025-10-01 00:00"))}


def test_partly_covered_month_is_provisional_as_of_the_coverage_end(conn: psycopg.Connection) -> None:
    november = _values(conn, NOVEMBER)
    # progress covers only 1–3 Nov: measured as of 4 Nov 00:00 local
    assert {(v.status, v.period_as_of) for v in november.values()} == {
        ("provisional", fx.local("2025-11-04 00:00"))
    }
    # Still open on 4 Nov: D5 (due 3 Oct) and D6 (due 17 Sep), both late → 0 / 2; nothing received.
    on_time = november[("agency", A, "766-2.1")]
    assert (on_time.numerator, on_time.denominator, on_time.value) == (0, 2, 0)
    online = november[("agency", A, "766-3.3")]
    assert (online.numerator, online.denominator, online.value, online.met) == (0, 0, None, None)


def test_the_current_agency_catalogue_has_the_latest_versions_and_not_the_dissolved(
    conn: psycopg.Connection,
) -> None:
    rows = conn.execute(
        "select agency_id, agency_name, agency_level_code from marts.dim_agency where is_current order by 1"
    ).fetchall()
    assert rows == [(A, "Sở Tư pháp", "2"), (B, "Sở Nội vụ", "2"), (C, "Sở Y tế", "2")]
    closed = conn.execute(
        "select valid_to from marts.dim_agency where agency_id = %s", (DISSOLVED,)
    ).fetchall()
    assert closed == [(fx.local("2025-09-01 00:00"),)]


def test_on_time_766_2_1(conn: psycopg.Connection) -> None:
    # In scope: received, received before 1 Oct, not finished before 1 Sep:
    #   D1 D2 D3 D4 D5 D6 D9 D10 D11 D12 D13 D14 D15 D17 = 14 (D7, D8 not received; D16 ended in Aug)
    # On time: D1 D3 D5 D9 D11 D12 D14 D15 D17 = 9 → 9/14; target 0.95 (assumed) → not met
    # Points: proportional (full score at 1.00) × 20 = 9/14 × 20 ≈ 12.857
    v = _agency(conn, A, "766-2.1")
    assert (v.numerator, v.denominator) == (9, 14)
    assert v.value == pytest.approx(Decimal(9) / Decimal(14))
    assert (v.value_unit, v.direction) == ("ratio", "higher_is_better")
    assert (v.target, v.target_confirmed, v.met) == (Decimal("0.95"), False, False)
    assert (v.full_score_at, v.max_points) == (Decimal("1.00"), Decimal("20"))
    assert v.points == pytest.approx(Decimal(180) / Decimal(14))


def test_submitted_online_766_3_3(conn: psycopg.Connection) -> None:
    # Received in September: D1 D2 D3 D4 D5 D6 D11 D12 D13 D14 D15 D17 = 12 (D7 status 3, D8 status 1,
    # D9/D10/D16 received in August). Online: D1 D4 D5 D11 D14 D17 = 6 → 0.5
    v = _agency(conn, A, "766-3.3")
    assert (v.numerator, v.denominator, v.value) == (6, 12, Decimal("0.5"))
    # the Decision's 50 % is a full-score threshold, not a target: no target, no verdict
    assert (v.target, v.target_confirmed, v.met) == (None, None, None)
    # 50 % is the full-score threshold: the catalogue's maximum points in full
    assert v.full_score_at == Decimal("0.50")
    assert v.points == v.max_points > 0


def test_framework_total_earned_out_of_measured(conn: psycopg.Connection) -> None:
    # C's 766 total in September: the points of its scored 766 indicators with a value, out of
    # their maximum points. C implements no procedure and its one dossier (D18) has no fee, so the
    # procedure-level and payment indicators have no value; rated only from 60 measured points
    # (below them: the dbt unit test framework_totals_rate_only_from_the_measured_points_threshold).
    scored = [
        value
        for (level, unit, indicator), value in _values(conn).items()
        if (level, unit) == ("agency", C) and indicator.startswith("766-") and value.points is not None
    ]
    total = conn.execute(
        """
        select indicators_measured, earned, measured, score, is_rated, band from marts.ind_framework_totals
        where framework = '766' and period_kind = 'month' and period_start = '2025-09-01'
          and level = 'agency' and scope = 'area' and view = 'historical' and unit_id = %s
        """,
        (C,),
    ).fetchone()
    earned, measured = sum(v.points for v in scored), sum(v.max_points for v in scored)
    assert total[:3] == (len(scored), pytest.approx(earned), measured)
    assert total[3] == pytest.approx(earned / measured * 100)
    assert measured > 0
    assert total[4] == (measured >= 60)
    if not total[4]:
        assert total[5] is None


def test_settled_online_nq17_01(conn: psycopg.Connection) -> None:
    # Settled (9/10) with the end of processing in September:
    #   D1 D2 D3 D4 D9 D10 D11 D12 D13 D14 D15 = 11 (D17 withdrawn is not settled, D16 ended in Aug)
    # Online among them: D1 D4 D10 D11 D14 = 5 → 5/11 ≈ 0.4545 ≥ 0.20 (2020 target carried forward)
    v = _agency(conn, A, "NQ17-01")
    assert (v.numerator, v.denominator) == (5, 11)
    assert v.value == pytest.approx(Decimal(5) / Decimal(11))
    assert (v.target, v.target_confirmed, v.met) == (Decimal("0.20"), False, True)


def test_average_settlement_time_766_2_2(conn: psycopg.Connection) -> None:
    # Settled in September, from reception to the end in the procedure's own unit, supplement
    # waits subtracted in that unit (1–2 Sep holidays, weekends 6–7, 13–14, 20–21, 27–28):
    #   P1 (5 working days): D1 3→9 Sep: 4,5,8,9 = 4   D2 3→10: 4,5,8,9,10 = 5
    #     D3 4→17: 9 − 3 waiting (8→11: 9,10,11) = 6   D4 4→9: 3 − 1 waiting (5→6 Sat: 0; 8→9: 1) = 2
    #     D9 5   D10 6   D11 12→18: 15,16,17,18 = 4   D12 11→15: 12,15 = 2  → 34 over 8: 4.25 working days
    #   P2 (10 calendar days): D14 19→29 Sep = 10   P3 (8 hours): D15 08:00→15:00 = 7
    #   P4 has no time limit: D13 is in no mean.
    # ind_values: the mean share of the limit = (34/5 + 10/10 + 7/8) / 10 = 8.675 / 10
    v = _agency(conn, A, "766-2.2")
    assert (v.numerator, v.denominator) == (Decimal("8.675"), 10)
    assert v.value == Decimal("0.8675")
    assert (v.value_unit, v.direction) == ("limit_share", "lower_is_better")
    assert (v.target, v.met, v.points) == (None, None, None)
    procedures = conn.execute(
        """
        select procedure_id, time_limit_unit, time_limit, dossiers_settled, total_settlement_time,
               mean_settlement_time, limit_share
        from marts.ind_766_2_2_procedures
        where period_kind = 'month' and period_start = %s and level = 'agency' and unit_id = %s
        order by procedure_id
        """,
        (SEPTEMBER, A),
    ).fetchall()
    assert procedures == [
        (P1, "working_days", 5, 8, 34, Decimal("4.25"), Decimal("0.85")),
        (P2, "calendar_days", 10, 1, 10, 10, 1),
        (P3, "hours", 8, 1, 7, 7, Decimal("0.875")),
    ]


def test_province_row_is_the_sum_of_its_agencies(conn: psycopg.Connection) -> None:
    values = _values(conn)
    # A + B (nothing) + C (D18: received online, settled online on time in 1 working day)
    expected = {
        "766-2.1": (9 + 0 + 1, 14 + 0 + 1),
        "766-3.3": (6 + 0 + 1, 12 + 0 + 1),
        "NQ17-01": (5 + 0 + 1, 11 + 0 + 1),
        "766-2.2": (Decimal("8.675") + 0 + Decimal("0.2"), 10 + 0 + 1),  # D18: 1 of 5 working days
    }
    for indicator, (num, den) in expected.items():
        v = values[("province", PROVINCE, indicator)]
        assert (v.numerator, v.denominator) == (num, den), indicator
        assert v.value == pytest.approx(Decimal(num) / Decimal(den))
    # the province's mean share of the limit is over its 11 dossiers (8.875/11), not the mean of
    # the agencies' means ((0.8675 + 0.2) / 2)
    assert values[("province", PROVINCE, "766-2.2")].value == pytest.approx(Decimal("8.875") / 11)
    # the agencies are in the settings' province: the row carries its name as the admin-unit seed gives it
    seed_name = next(
        unit.name
        for unit in admin_units()
        if unit.level == "province"
        and unit.code == DEFAULT_PROVINCE_CODE
        and unit.valid_on(date(2025, 9, 30))
    )
    assert values[("province", PROVINCE, "766-2.1")].unit_name == seed_name[0].upper() + seed_name[1:]


def test_agency_without_dossiers_has_rows_with_no_value(conn: psycopg.Connection) -> None:
    values = _values(conn)
    for indicator, target in (("766-2.1", "0.95"), ("766-3.3", None), ("NQ17-01", "0.20")):
        v = values[("agency", B, indicator)]
        assert (v.numerator, v.denominator, v.value, v.met) == (0, 0, None, None)
        assert v.target == (Decimal(target) if target else None)
    assert values[("agency", B, "766-2.1")].unit_name == "Sở Nội vụ"


def test_targets_and_names_come_from_the_seeds(conn: psycopg.Connection) -> None:
    mismatched = conn.execute(
        """
        select i.indicator_id
        from marts.ind_values as i
        left join reference.indicator_targets as t
            on t.indicator_id = i.indicator_id
            and extract(year from i.period_start) between t.valid_from_year and coalesce(t.valid_to_year, 9999)
        join reference.indicator_catalogue as c on c.indicator_id = i.indicator_id
        where i.target is distinct from t.target or i.target_confirmed is distinct from t.confirmed
           or i.value_unit <> c.unit or i.framework <> c.framework
        """
    ).fetchall()
    assert mismatched == []
    # every indicator the catalogue computes has values, and nothing else has
    valued = conn.execute("select distinct indicator_id from marts.ind_values").fetchall()
    assert {row[0] for row in valued} == set(INDICATORS)


def _period_values(conn: psycopg.Connection, kind: str, start: str) -> dict[tuple[str, str, str], tuple]:
    """(level, unit_id, indicator_id) → (numerator, denominator, status, period_as_of) in ind_values
    (agencies and province, scope area, view historical)."""
    rows = conn.execute(
        "select level, unit_id, indicator_id, numerator, denominator, status, period_as_of"
        " from marts.ind_values where period_kind = %s and period_start = %s"
        " and level in ('agency', 'province') and scope = 'area' and view = 'historical'",
        (kind, start),
    ).fetchall()
    return {(r[0], r[1], r[2]): tuple(r[3:]) for r in rows}


def test_quarter_and_year_are_periods_of_their_own(conn: psycopg.Connection) -> None:
    periods = conn.execute(
        "select distinct period_kind, period_start::text from marts.ind_values order by 1, 2"
    ).fetchall()
    # covered: September and 1–3 November → their months, Q3 and Q4, and 2025
    assert periods == [
        ("month", SEPTEMBER), ("month", NOVEMBER),
        ("quarter", "2025-07-01"), ("quarter", "2025-10-01"),
        ("year", "2025-01-01"),
    ]  # fmt: skip
    q3 = _period_values(conn, "quarter", "2025-07-01")
    # Q3 (July–September) is covered in September only: provisional as of 1 Oct 00:00.
    # 766-3.3 received in Q3: September's 12 (6 online) + D9 (direct), D10 (online), D16 (direct)
    #   received in August = 7/15; D18 of agency C adds 1/1 to the province: 8/16.
    # 766-2.1 in scope: September's 14 + D16 (ended 25 Aug ≤ promised 27 Aug: on time) = 10/15.
    # 766-2.2 settled in Q3: September's 8.675 over 10 + D16 (20→25 Aug: 21, 22, 25 = 3 of 5 working
    #   days: 0.6) = 9.275/11. NQ17-01 settled in Q3: September's 5/11 + D16 (direct) = 5/12.
    as_of_q3 = fx.local("2025-10-01 00:00")
    assert q3[("agency", A, "766-3.3")] == (7, 15, "provisional", as_of_q3)
    assert q3[("province", PROVINCE, "766-3.3")] == (8, 16, "provisional", as_of_q3)
    assert q3[("agency", A, "766-2.1")][:2] == (10, 15)
    assert q3[("agency", A, "766-2.2")][:2] == (Decimal("9.275"), 11)
    assert q3[("agency", A, "NQ17-01")][:2] == (5, 12)
    # The year counts each dossier once, judged at the year's as_of (4 Nov 00:00): D5 (due 3 Oct)
    # and D6, still open, are late → 766-2.1 = 10 − 1 (D5 was on time at the end of September)
    # = 9/15, while September (9/14) and November (0/2) add up to 9/16 (D5 and D6 twice).
    year = _period_values(conn, "year", "2025-01-01")
    as_of_year = fx.local("2025-11-04 00:00")
    assert year[("agency", A, "766-2.1")] == (9, 15, "provisional", as_of_year)
    assert year[("agency", A, "766-3.3")][:2] == (7, 15)
    assert year[("province", PROVINCE, "766-2.1")][:2] == (10, 16)  # + D18 on time


def test_verdict_and_basis_per_dossier(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        """
        select dossier_id, on_time_basis, is_on_time, supplements_counted, elapsed_working_days
        from intermediate.int_onestop__dossier_periods where period_kind = 'month' and period_start = %s
        """,
        (SEPTEMBER,),
    ).fetchall()
    verdicts = {dossier_id: (basis, on_time) for dossier_id, basis, on_time, _, _ in rows}
    assert verdicts == {
        D[1]: ("promised_date", True),
        D[2]: ("promised_date", False),
        D[3]: ("promised_date", True),
        D[4]: ("multiple_supplements", False),
        D[5]: ("promised_date", True),
        D[6]: ("promised_date", False),
        D[9]: ("time_limit_working_days", True),
        D[10]: ("time_limit_working_days", False),
        D[11]: ("promised_date", True),
        D[12]: ("promised_date", True),
        D[13]: ("undeterminable", False),
        D[14]: ("time_limit_calendar_days", True),
        D[15]: ("time_limit_hours", True),
        D[17]: ("promised_date", True),
        D18: ("promised_date", True),
    }
    working_days = {dossier_id: wd for dossier_id, *_, wd in rows}
    assert (working_days[D[9]], working_days[D[10]]) == (5, 6)  # 3,4,5,8,9 (+10) Sep; 1–2 Sep off


def test_fct_dossier_resolves_codes_duplicates_and_ends(conn: psycopg.Connection) -> None:
    facts = {
        r[0]: r[1:]
        for r in conn.execute(
            """
            select dossier_id, dossier_alt_code, agency_id, is_received, processing_ended_at_source,
                   base_promised_at = promised_at, supplement_count
            from marts.fct_dossier
            """
        ).fetchall()
    }
    assert len(facts) == 18  # D11 once under its rewritten code, D12 once (17 of A, D18 of C)
    assert D11_LOCAL_CODE not in facts
    assert facts[D[11]][:2] == (D11_LOCAL_CODE, A)
    assert (facts[D[7]][2], facts[D[8]][2]) == (False, False)
    assert facts[D[2]][3] == "version" and facts[D[17]][3] == "progress" and facts[D[1]][3] == "record"
    assert facts[D[3]][4:] == (False, 1)  # base promise is the one before the supplement
    progress = conn.execute(
        "select count(*) from staging.stg_onestop__progress where dossier_id = %s", (D[17],)
    ).fetchone()[0]
    assert progress == 2  # the step sent by both progress batches is kept once


def test_descriptions_reach_postgresql_comments(conn: psycopg.Connection) -> None:
    for table in (
        "marts.ind_values",
        "marts.fct_dossier",
        "marts.dim_agency",
        "marts.dim_procedure",
    ):
        assert conn.execute("select obj_description(%s::regclass, 'pg_class')", (table,)).fetchone()[0]
    undocumented = conn.execute(
        """
        select c.relname, a.attname
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'marts' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
          and col_description(a.attrelid, a.attnum) is null
        """
    ).fetchall()
    assert undocumented == []
    value_comment = conn.execute(
        "select col_description('marts.ind_values'::regclass, "
        "(select attnum from pg_attribute where attrelid = 'marts.ind_values'::regclass "
        "and attname = 'value'))"
    ).fetchone()[0]
    assert "NULL when the denominator is 0" in value_comment
    assert conn.execute(
        "select obj_description('reference.indicator_targets'::regclass, 'pg_class')"
    ).fetchone()[0]


def test_catalogue_and_measure_macros_must_agree(built: Built) -> None:
    # A catalogue row naming a measure no macro defines (or a macro no row names) fails the build.
    with psycopg.connect(built.url, autocommit=True) as connection:
        unmeasured, sources = connection.execute(
            "select indicator_id, sources from reference.indicator_catalogue where measure is null"
            " order by indicator_id limit 1"
        ).fetchone()
        connection.execute(
            "update reference.indicator_catalogue set measure = 'measure__no_such_macro', sources = 'onestop' "
            "where indicator_id = %s",
            (unmeasured,),
        )
        try:
            with pytest.raises(DbtFailed, match="assert_indicator_catalogue_matches_measures"):
                run_dbt(["test", "--select", "assert_indicator_catalogue_matches_measures"], built.url)
            connection.execute(
                "update reference.indicator_catalogue set measure = null where measure = 'measure__766_2_2'"
            )
            with pytest.raises(DbtFailed, match="assert_indicator_catalogue_matches_measures"):
                run_dbt(["test", "--select", "assert_indicator_catalogue_matches_measures"], built.url)
        finally:
            connection.execute(
                "update reference.indicator_catalogue set measure = null, sources = %s where indicator_id = %s",
                (sources, unmeasured),
            )
            connection.execute(
                "update reference.indicator_catalogue set measure = 'measure__766_2_2' where indicator_id = '766-2.2'"
            )
    run_dbt(["test", "--select", "assert_indicator_catalogue_matches_measures"], built.url)


def test_source_freshness_passes_on_fresh_loads(built: Built) -> None:
    run_dbt(["source", "freshness"], built.url)


def test_build_fails_when_a_dossier_year_has_no_holiday_calendar(warehouse_url: str) -> None:
    with psycopg.connect(warehouse_url) as conn:
        migrate(conn)
        with conn.transaction():
            load_reference(conn)
            load_dossier_of_an_uncovered_year(conn)
    with pytest.raises(DbtFailed, match="assert_holiday_calendar_covers_dossier_years"):
        run_dbt(["build"], warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        # the marts downstream of the failed check were skipped, not built
        assert conn.execute("select to_regclass('marts.ind_values')").fetchone()[0] is None


def test_connection_env_parses_the_url_and_keeps_the_password_apart() -> None:
    env = connection_env("postgresql://dt%40user:p%3Ass@db.example:6543/ware_house?sslmode=require")
    assert env == {
        "DTIMON_DBT_HOST": "db.example",
        "DTIMON_DBT_PORT": "6543",
        "DTIMON_DBT_USER": "dt@user",
        "DTIMON_DBT_DBNAME": "ware_house",
        "DTIMON_DBT_SSLMODE": "require",
        "DBT_ENV_SECRET_DTIMON_PASSWORD": "p:ss",
    }
    assert (
        connection_env("postgresql://postgres@127.0.0.1:55432/dtimon")["DBT_ENV_SECRET_DTIMON_PASSWORD"] == ""
    )
