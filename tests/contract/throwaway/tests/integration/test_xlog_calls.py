"""The call log end to end on real parts: its sandbox over mutual TLS → the loader (sequence
cursor, event-time watermark) → `dbt build` → XL-01 (additive) and XL-02 (aggregate) in
`marts.ind_values`, every expected number computed by hand below.

    call  agency  requested (local)  response  succeeded
    c1    A       03 Sep 08:00       200 ms    yes
    c2    B       05 Sep 09:00       300 ms    yes
    c3    B       06 Sep 10:00       none      no
    c4    A       10 Sep 11:00       400 ms    yes
    c5    A       20 Sep 12:00       1000 ms   no
    c6    A       02 Oct 08:00       600 ms    yes

The watermark's event times run from 3 Sep 08:00 to 2 Oct 08:00, so 3 Sep – 1 Oct are covered:
September and October, Q3 and Q4 and 2025 get rows, and B gets 0 / 0 in October.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import dbt_fixtures as fx
import psycopg
import pytest

from core.settings import Settings
from infra.dbt import run_dbt
from ingestion.declarations import example_record
from ingestion.http import AuthError, RetryPolicy
from ingestion.localtime import VN_TZ
from ingestion.runner import ingest
from ingestion.sandbox.tls import server_context
from ingestion.sandbox.xlog import CallLog
from ingestion.schema import migrate
from ingestion.sources import Endpoint
from ingestion.sources.xlog import NAME, Call
from tests.tls_certificates import Certificates, certificates

A, B = "000.00.12.H57", "000.00.13.H57"
FAST = RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.05, read_timeout=5, connect_timeout=2)
RUN_DAY = datetime(2025, 10, 3, tzinfo=VN_TZ)


def _call(n: int, agency: str, at: str, response_ms: int | None, succeeded: bool) -> dict[str, Any]:
    asked = int(fx.local(at).timestamp() * 1000)
    call = example_record(Call) | {
        "id": f"7c1e2a90-5b4d-4f3e-8a21-{n:012d}",
        "requestInTs": asked,
        "responseOutTs": asked + (response_ms or 0),
        "clientMember": agency,
        "succeeded": succeeded,
        "officerId": "Trần Thị Bình",
    }
    if response_ms is None:  # an unanswered call carries no response time
        del call["responseOutTs"]
    return call


CALLS = [
    _call(1, A, "2025-09-03 08:00", 200, True),
    _call(2, B, "2025-09-05 09:00", 300, True),
    _call(3, B, "2025-09-06 10:00", None, False),
    _call(4, A, "2025-09-10 11:00", 400, True),
    _call(5, A, "2025-09-20 12:00", 1000, False),
    _call(6, A, "2025-10-02 08:00", 600, True),
]


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def call_log(certs: Certificates) -> Iterator[CallLog]:
    with CallLog(CALLS, tls=server_context(certs.server_cert, certs.server_key, client_ca=certs.ca)) as log:
        yield log


def _ingest(url: str, log: CallLog, certs: Certificates, cert: Any, key: Any, day: datetime = RUN_DAY) -> Any:
    endpoint = Endpoint(log.url, "", "", client_cert=str(cert), client_key=str(key), ca_cert=str(certs.ca))
    return ingest(
        NAME,
        "calls",
        day,
        day + timedelta(days=1),
        endpoint=endpoint,
        settings=Settings.from_env({"DTIMON_ENV": "test", "DTIMON_PAGE_SIZE": "4"}),
        warehouse_url=url,
        run_id="test",
        policy=FAST,
    )


@pytest.fixture(scope="module")
def loaded(module_warehouse_url: str, call_log: CallLog, certs: Certificates) -> dict[str, Any]:
    """Agencies A and B in the one-stop catalogue, then the calls pulled twice over mutual TLS."""
    with psycopg.connect(module_warehouse_url) as conn:
        migrate(conn)
        with conn.transaction():
            agencies = fx.batch(conn, "agencies", "2025-09-01", "2025-10-01")
            fx.insert_agency(conn, agencies, A, "Sở Tư pháp", "2", "000.00.00.H57")
            fx.insert_agency(conn, agencies, B, "Sở Nội vụ", "2", "000.00.00.H57")
    with pytest.raises(AuthError, match="TLS refused"):
        _ingest(module_warehouse_url, call_log, certs, certs.stranger_cert, certs.stranger_key)
    first = _ingest(module_warehouse_url, call_log, certs, certs.client_cert, certs.client_key)
    again = _ingest(module_warehouse_url, call_log, certs, certs.client_cert, certs.client_key)
    next_day = _ingest(
        module_warehouse_url,
        call_log,
        certs,
        certs.client_cert,
        certs.client_key,
        RUN_DAY + timedelta(days=1),
    )
    return {"url": module_warehouse_url, "first": first, "again": again, "next_day": next_day}


def test_every_call_is_loaded_once_and_the_officer_never_in_clear(loaded: dict[str, Any]) -> None:
    assert loaded["first"].rows_loaded == len(CALLS)
    assert loaded["again"].batch_id == loaded["first"].batch_id  # the interval's batch, not re-read
    assert loaded["next_day"].rows_loaded == 0  # resumed after the last call: nothing new
    with psycopg.connect(loaded["url"]) as conn:
        stored = conn.execute("select count(*), string_agg(record::text, '') from raw.xlog__calls").fetchone()
        cursor = conn.execute(
            "select cursor from ops.watermarks where source = %s and entity = 'calls'", (NAME,)
        ).fetchone()
    assert stored[0] == len(CALLS) and "Trần Thị Bình" not in stored[1]
    assert cursor == (str(len(CALLS)),)


@pytest.fixture(scope="module")
def values(loaded: dict[str, Any]) -> dict[tuple[str, str, str, str, str], tuple[Any, Any, Any]]:
    """(indicator, period kind, period start, level, unit) → (numerator, denominator, value)."""
    run_dbt(["build"], loaded["url"])
    with psycopg.connect(loaded["url"]) as conn:
        rows = conn.execute(
            "select indicator_id, period_kind, period_start::text, level, unit_id, numerator, denominator, value"
            " from marts.ind_values where indicator_id like 'XL-%'"
        ).fetchall()
    return {tuple(row[:5]): tuple(row[5:]) for row in rows}


def test_the_additive_indicator_adds_up_to_the_province(values: dict) -> None:
    def ratio(kind: str, start: str, level: str, unit: str) -> tuple[Any, Any]:
        return values[("XL-01", kind, start, level, unit)][:2]

    assert ratio("month", "2025-09-01", "agency", A) == (2, 3)  # c1, c4 of c1, c4, c5
    assert ratio("month", "2025-09-01", "agency", B) == (1, 2)  # c2 of c2, c3
    assert ratio("month", "2025-09-01", "province", "H57") == (3, 5)
    assert ratio("month", "2025-10-01", "agency", B) == (0, 0)  # covered, no calls
    assert ratio("year", "2025-01-01", "province", "H57") == (4, 6)
    assert not [key for key in values if key[2] < "2025-09-01" and key[1] == "month"]  # uncovered: no row


def test_the_aggregate_indicator_is_its_measures_value_at_each_level(values: dict) -> None:
    def median(kind: str, start: str, level: str, unit: str) -> Any:
        return values[("XL-02", kind, start, level, unit)][2]

    assert median("month", "2025-09-01", "agency", A) == Decimal("0.4")  # 200, 400, 1000 ms
    assert median("month", "2025-09-01", "agency", B) == Decimal("0.3")  # c3 had no response
    assert median("month", "2025-09-01", "province", "H57") == Decimal("0.35")  # 200, 300, 400, 1000
    assert median("quarter", "2025-07-01", "province", "H57") == Decimal("0.35")
    assert median("year", "2025-01-01", "agency", A) == Decimal("0.5")  # 200, 400, 600, 1000
    assert median("year", "2025-01-01", "province", "H57") == Decimal("0.4")  # not a mean of agencies
