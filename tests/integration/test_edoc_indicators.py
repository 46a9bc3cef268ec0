"""The document exchange's indicators on real parts: hand-made records through the loader (the
checked and fast paths, pseudonymisation) → `dbt build` → `marts.ind_values`, every expected
number computed by hand below. A and B are departments of the province (H57); G22 is a ministry.

    package  document  sender  sent (local)   paper  signature         what
    p1       D1        A       03 Sep 08:00   0      well-formed       new
    p7       D1        A       04 Sep 09:00   0      well-formed       D1 delivered again
    p2       D2        A       05 Sep 10:00   0      malformed         new
    p3       D3        A       10 Sep 11:00   1      well-formed       new (paper)
    p4       D4        B       12 Sep 08:30   0      well-formed       new
    p5       D5        G22     12 Sep 09:00   0      well-formed       from outside the province
    p6       D4        B       15 Sep 14:00   0      well-formed       revocation of D4

    work file  agency  opened   closed   online  signed personally
    w1         A       01 Sep   10 Sep   yes     yes
    w2         A       02 Sep   20 Sep   yes     no
    w3         A       03 Sep   25 Sep   no      no
    w4         A       05 Sep   open     yes     no
    w5         B       20 Aug   02 Sep   yes     yes   (two versions: opened, closed)

September, per agency (numerator / denominator):
    NQ17-07   electronic documents:            A 2/3 (D1, D2)   B 1/1   province 3/4
    QD942-01  electronic and signed:           A 1/3 (D1)       B 1/1   province 2/4
    QD942-02  work files closed, online:       A 2/3 (w1, w2)   B 1/1   province 3/4
    QD2629-01 closed, online and signed:       A 1/3 (w1)       B 1/1   province 2/4
    NQ71-11.7 both kinds, end to end:          A 2/6            B 2/2   province 4/8

    status packets (handling at the recipient)      arrived (01)   finished (06)   due
    D1 at B   (06 listed a month late, and twice)    Wed 03 Sep     Fri 05 Sep      none
    D2 at B                                          Fri 05 Sep     Wed 10 Sep      09 Sep
    D4 at A                                          Fri 12 Sep     Fri 12 Sep      20 Sep
    D9 at B   (never sent: kept, measures nothing)   Sat 20 Sep

    VB-01 median working days (aggregate):  B 2.5 (2, 3)   A 0   province 2 (of 0, 2, 3)
    VB-02 finished by the due date:         B 0/1          A 1/1 province 1/2

NQ17-05 counts the agencies the seed edoc_document_systems flags (A, B, C, and others the agency
catalogue of this test does not know) that sent or received a package in the period: in September
A and B (senders and recipients) but not C, which exchanged nothing: A 1/1, B 1/1, C 0/1,
province 2/3.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import dbt_fixtures as fx
import psycopg
import pytest

from ingestion.declarations import example_record
from ingestion.load import BatchKey, load_batch
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.sources import SOURCES
from ingestion.sources.edoc import NAME, local_times
from ingestion.sources.edoc_records import Package, StatusPacket, WorkFile
from ingestion.state import EventTimes, store_event_times

A, B, C, G22 = "000.00.12.H57", "000.00.13.H57", "000.00.14.H57", "000.00.00.G22"
SOURCE = SOURCES[NAME]


def _package(
    item: str,
    document: str,
    sender: str,
    sent: str,
    paper: str,
    well_formed: bool,
    kind: str = "0",
    due: str = "",
) -> dict[str, Any]:
    record = example_record(Package) | {
        "ItemId": item,
        "CreatedTime": sent,
        "DocumentId": document,
        "From_OrganId": sender,
        "TraceHeaderList_Bussiness_Paper": paper,
        "TraceHeaderList_Bussiness_BussinessDocType": kind,
        "TraceHeaderList_Bussiness_DocumentId": document if kind != "0" else "",
        "TraceHeaderList_Bussiness_ReplacementInfoList_ReplacementInfo": [],
        "Signed": True,
        "SignatureWellFormed": well_formed,
        "SignerInfo_FullName": "Nguyễn Văn An",
        "DueDate": due,
    }
    record["To"] = [{"OrganId": B if sender == A else A, "OrganName": "Sở"}]
    record["TraceHeaderList_TraceHeader"] = [{"OrganId": sender, "Timestamp": sent}]
    return local_times(record)


PACKAGES = [
    _package("p1", "D1", A, "2025/09/03 08:00:00", "0", True),
    _package("p7", "D1", A, "2025/09/04 09:00:00", "0", True),
    _package("p2", "D2", A, "2025/09/05 10:00:00", "0", False, due="2025/09/09"),
    _package("p3", "D3", A, "2025/09/10 11:00:00", "1", True),
    _package("p4", "D4", B, "2025/09/12 08:30:00", "0", True, due="2025/09/20"),
    _package("p5", "D5", G22, "2025/09/12 09:00:00", "0", True),
    _package("p6", "D4", B, "2025/09/15 14:00:00", "0", True, kind="1"),
    _package("p8", "D6", A, "2025/10/02 08:00:00", "0", True),  # October
]


def _status(item: str, document: str, agency: str, code: str, at: str, listed: str) -> dict[str, Any]:
    return local_times(
        example_record(StatusPacket)
        | {
            "ItemId": item,
            "CreatedTime": listed,
            "ResponseFor_DocumentId": document,
            "From_OrganId": agency,
            "StatusCode": code,
            "Timestamp": at,
            "StaffInfo_Staff": "Lê Văn Cường",
        }
    )


# D1 arrives at B on Wednesday 3 Sep and is finished on Friday 5 Sep (two working days), the
# finishing packet listed a month late and twice; a packet reports on a document never sent.
STATUSES = [
    _status("s1", "D1", B, "01", "03/09/2025 08:30:00", "2025/09/03 08:31:00"),
    _status("s2", "D1", B, "06", "2025/09/05 16:00:00", "2025/10/02 07:00:00"),
    _status("s3", "D1", B, "06", "2025/09/05 16:00:00", "2025/10/02 07:05:00"),
    _status("s4", "D9", B, "01", "20/09/2025 09:00:00", "2025/09/20 09:01:00"),
    _status("s5", "D2", B, "01", "05/09/2025 10:30:00", "2025/09/05 10:31:00"),
    _status("s6", "D2", B, "06", "10/09/2025 15:00:00", "2025/09/10 15:01:00"),
    _status("s7", "D4", A, "01", "12/09/2025 09:00:00", "2025/09/12 09:01:00"),
    _status("s8", "D4", A, "06", "12/09/2025 17:00:00", "2025/09/12 17:01:00"),
]


def _work_file(key: str, agency: str, opened: str, closed: str, online: bool, signed: bool) -> dict[str, Any]:
    return local_times(
        example_record(WorkFile)
        | {
            "id": key,
            "agency": agency,
            "owner": "Trần Thị Bình",
            "opened": f"2025/{opened} 08:00:00",
            "closed": f"2025/{closed} 16:00:00" if closed else "",
            "processed_online": online,
            "signed_personally": signed,
            "updated": f"2025/{closed or opened} {'16' if closed else '08'}:00:00",
        }
    )


SEPTEMBER_WORK_FILES = [
    _work_file("w1", A, "09/01", "09/10", True, True),
    _work_file("w2", A, "09/02", "09/20", True, False),
    _work_file("w3", A, "09/03", "09/25", False, False),
    _work_file("w4", A, "09/05", "", True, False),
    _work_file("w5", B, "08/20", "09/02", True, True),
]
AUGUST_WORK_FILES = [_work_file("w5", B, "08/20", "", True, True)]


def _load(conn: psycopg.Connection, entity: str, start: str, end: str, records: list[dict[str, Any]]) -> None:
    target = SOURCE.entity(entity)
    load_batch(
        conn,
        target.table,
        BatchKey(NAME, entity, fx.local(start), fx.local(end)),
        parse_pages(target, [[dict(r) for r in records]], Pseudonymiser("k")),
        opaque=target.personal.opaque_patterns if target.personal is not None else (),
        once=target.stored_once,
    )
    read = target.event_times()
    if read is not None:  # what the runner tracks while it pulls: the span of event times loaded
        times = EventTimes(read, datetime.now(fx.LOCAL))
        list(times.track([records]))
        with conn.transaction():
            store_event_times(conn, NAME, entity, times)


@pytest.fixture(scope="module")
def values(module_warehouse_url: str) -> Iterator[dict[tuple[str, ...], tuple[Any, Any]]]:
    def agencies(conn: psycopg.Connection) -> None:
        batch = fx.batch(conn, "agencies", "2025-08-01", "2025-10-01")
        fx.insert_agency(conn, batch, A, "Sở Tư pháp", "2", "000.00.00.H57")
        fx.insert_agency(conn, batch, B, "Sở Nội vụ", "2", "000.00.00.H57")
        fx.insert_agency(conn, batch, C, "Ban Quản lý Khu kinh tế", "2", "000.00.00.H57")

    def load(conn: psycopg.Connection) -> None:
        agencies(conn)

    from ingestion.schema import migrate

    with psycopg.connect(module_warehouse_url) as conn:
        migrate(conn)
        with conn.transaction():
            load(conn)
    with psycopg.connect(module_warehouse_url, autocommit=True) as conn:
        _load(conn, "packages", "2025-09-01", "2025-10-03", PACKAGES)
        _load(conn, "statuses", "2025-09-01", "2025-10-03", STATUSES)
        _load(conn, "work_files", "2025-08-01", "2025-09-01", AUGUST_WORK_FILES)
        _load(conn, "work_files", "2025-09-01", "2025-10-01", SEPTEMBER_WORK_FILES)
        fx.load_sources_without_data(conn)
    fx.build(module_warehouse_url)
    with psycopg.connect(module_warehouse_url) as conn:
        rows = conn.execute(
            "select indicator_id, period_kind, period_start::text, level, unit_id, numerator, denominator, value"
            " from marts.ind_values where indicator_id = any(%s)",
            (list(fx.computed_indicators(NAME)),),
        ).fetchall()
        steps = conn.execute(
            "select document_id, status_code, document_is_known, handling_working_days, item_id"
            " from marts.fct_document_status join staging.stg_edoc__statuses using (document_id, agency_id, status_code, status_at)"
            " order by 1, 2"
        ).fetchall()
    yield {tuple(row[:5]): tuple(row[5:]) for row in rows} | {("steps",): steps}


@pytest.mark.parametrize(
    ("indicator", "agency_a", "agency_b", "province"),
    [
        ("NQ17-07", (2, 3), (1, 1), (3, 4)),
        ("QD942-01", (1, 3), (1, 1), (2, 4)),
        ("QD942-02", (2, 3), (1, 1), (3, 4)),
        ("QD2629-01", (1, 3), (1, 1), (2, 4)),
        ("NQ71-11.7", (2, 6), (2, 2), (4, 8)),
    ],
)
def test_september_per_agency_and_province(
    values: dict, indicator: str, agency_a: tuple, agency_b: tuple, province: tuple
) -> None:
    def ratio(level: str, unit: str) -> tuple[Any, Any]:
        return values[(indicator, "month", "2025-09-01", level, unit)][:2]

    assert ratio("agency", A) == agency_a
    assert ratio("agency", B) == agency_b
    assert ratio("province", "H57") == province
    assert not [
        key for key in values if key[-1].endswith("G22")
    ]  # a ministry's document is not the province's


def test_flagged_agencies_that_exchanged_a_package_count_as_connected(values: dict) -> None:
    def ratio(level: str, unit: str) -> tuple[Any, Any]:
        return values[("NQ17-05", "month", "2025-09-01", level, unit)][:2]

    assert (ratio("agency", A), ratio("agency", B), ratio("agency", C)) == ((1, 1), (1, 1), (0, 1))
    assert ratio("province", "H57") == (2, 3)  # the seed's other agencies are unknown to this catalogue


def test_each_step_once_with_its_handling_time_in_working_days(values: dict) -> None:
    assert values[("steps",)] == [
        ("D1", "01", True, None, "s1"),
        ("D1", "06", True, 2, "s2"),  # Thu 4 and Fri 5 Sep; the copy s3 is not a step
        ("D2", "01", True, None, "s5"),
        ("D2", "06", True, 3, "s6"),  # Mon 8, Tue 9, Wed 10 Sep
        ("D4", "01", True, None, "s7"),
        ("D4", "06", True, 0, "s8"),  # the day it arrived
        ("D9", "01", False, None, "s4"),  # kept, measures nothing
    ]


def test_handling_time_is_a_median_at_each_level_and_the_share_within_due_adds_up(values: dict) -> None:
    def figures(indicator: str, level: str, unit: str) -> tuple[Any, ...]:
        return values[(indicator, "month", "2025-09-01", level, unit)]

    # VB-01, the median working days: B handled D1 in 2 and D2 in 3, A handled D4 in 0
    assert figures("VB-01", "agency", B)[2] == Decimal("2.5")
    assert figures("VB-01", "agency", A)[2] == Decimal("0")
    assert figures("VB-01", "province", "H57")[2] == Decimal("2")  # of 0, 2, 3: not a mean of agencies
    # VB-02: D2 finished on 10 Sep, due 9 Sep; D4 on its day, due 20 Sep; D1 had no due date
    assert figures("VB-02", "agency", B)[:2] == (0, 1)
    assert figures("VB-02", "agency", A)[:2] == (1, 1)
    assert figures("VB-02", "province", "H57")[:2] == (1, 2)
