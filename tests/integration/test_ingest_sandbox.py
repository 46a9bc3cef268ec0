"""Ingestion against the real sandbox server: the HTTP client under every fault, paging, windows.

The client is exercised through `ingestion.runner.ingest` (HTTP → pseudonymise → parse →
COPY) into a real PostgreSQL, so a fault that the client mishandles shows up as missing,
duplicated or partial data, not only as an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
import requests

from core.settings import Settings
from ingestion.declarations import blank_record
from ingestion.http import ApiClient, AuthError, RetryPolicy, SourceError, TokenAuth
from ingestion.load import BatchResult
from ingestion.localtime import VN_TZ
from ingestion.runner import ingest
from ingestion.sandbox.province import Province
from ingestion.sandbox.server import SandboxServer
from ingestion.sources import Endpoint
from ingestion.sources.onestop_records import Dossier

DAY = datetime(2025, 9, 1, tzinfo=VN_TZ)
FAST = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05, read_timeout=0.5, connect_timeout=0.5)


def _dossier(n: int, at: datetime, version: int = 1) -> dict[str, Any]:
    return blank_record(Dossier) | {
        "MaHoSo": f"000.00.03.H57-250901-{n:05d}",
        "MaHoSoKhac": "",
        "MaTTHC": "1.000001",
        "KenhThucHien": "1",
        "ChuHoSo": "Đỗ Minh Khoa",
        "SoGiayToChuHoSo": f"0560850{n:05d}",
        "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": f"0560850{n:05d}"}],
        "NgayTiepNhan": "20250901080000",
        "NgayHenTra": "20250905170000",
        "TrangThaiHoSo": "2",
        "_version": str(version),
        "_updated_at": at.strftime("%Y%m%d%H%M%S"),
    }


def _province(dossiers: list[dict[str, Any]]) -> Province:
    return Province(
        agencies=[], procedures=[], dossiers=dossiers, progress=[], clock_end=datetime(2025, 10, 1)
    )


def _spread(count: int) -> list[dict[str, Any]]:
    """`count` dossiers updated during 1 September, one every 20 s from 00:00:10."""
    return [_dossier(n, DAY + timedelta(seconds=10 + 20 * n)) for n in range(count)]


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(_province(_spread(25)), username="u", password="p", log=False) as server:
        yield server


def _ingest(
    server: SandboxServer, url: str, *, page_size: int = 10, day: datetime = DAY, policy: RetryPolicy = FAST
) -> BatchResult:
    return ingest(
        "onestop",
        "dossiers",
        day,
        day + timedelta(days=1),
        endpoint=Endpoint(server.url, "u", "p"),
        settings=Settings.from_env({"DTIMON_ENV": "test", "DTIMON_PAGE_SIZE": str(page_size)}),
        warehouse_url=url,
        run_id="test",
        policy=policy,
    )


def _raw_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select count(*) from raw.onestop__dossiers").fetchone()[0]


def _client(server: SandboxServer, sleeps: list[float], password: str = "p") -> ApiClient:
    return ApiClient(
        server.url, auth=TokenAuth("/dvc/v1/token", "u", password), policy=FAST, sleep=sleeps.append
    )


# --- the HTTP client under each fault --------------------------------------------------------


def test_5xx_bursts_are_retried_with_bounded_jittered_backoff(sandbox: SandboxServer) -> None:
    sleeps: list[float] = []
    with _client(sandbox, sleeps) as client:
        client.get_json("/dvc/v1/coquan")  # logged in
        sandbox.faults.set("5xx", count=3)
        assert client.get_json("/dvc/v1/coquan")["error_code"] in (0, "0")
    assert len(sleeps) == 3
    assert all(0 <= s <= FAST.backoff_max for s in sleeps)


def test_5xx_beyond_the_retry_budget_fails(sandbox: SandboxServer) -> None:
    sleeps: list[float] = []
    with _client(sandbox, sleeps) as client:
        client.get_json("/dvc/v1/coquan")
        sandbox.faults.set("5xx", count=FAST.max_attempts)
        with pytest.raises(SourceError, match=f"gave up after {FAST.max_attempts} attempts"):
            client.get_json("/dvc/v1/coquan")


def test_429_waits_as_long_as_retry_after_says(sandbox: SandboxServer) -> None:
    sleeps: list[float] = []
    with _client(sandbox, sleeps) as client:
        client.get_json("/dvc/v1/coquan")
        sandbox.faults.set("429", count=2, seconds=3)
        client.get_json("/dvc/v1/coquan")
    assert sleeps == [3.0, 3.0]


def test_timeouts_are_retried(sandbox: SandboxServer) -> None:
    sleeps: list[float] = []
    with _client(sandbox, sleeps) as client:
        client.get_json("/dvc/v1/coquan")
        sandbox.faults.set("timeout", count=1, seconds=1.5)
        assert client.get_json("/dvc/v1/coquan")["data"] == []
    assert len(sleeps) == 1


def test_latency_below_the_timeout_is_just_waited_for(sandbox: SandboxServer) -> None:
    sleeps: list[float] = []
    with _client(sandbox, sleeps) as client:
        sandbox.faults.set("latency", count=2, seconds=0.2)
        client.get_json("/dvc/v1/coquan")
    assert sleeps == []


def test_expired_token_is_refreshed_once(sandbox: SandboxServer) -> None:
    sleeps: list[float] = []
    with _client(sandbox, sleeps) as client:
        client.get_json("/dvc/v1/coquan")
        sent = client.requests_sent
        sandbox.faults.set("token_expiry")
        client.get_json("/dvc/v1/coquan")
        assert client.requests_sent == sent + 3  # refused call, new token, retried call
    assert sleeps == []


def test_refused_credentials_fail_at_once(sandbox: SandboxServer) -> None:
    sleeps: list[float] = []
    with _client(sandbox, sleeps, password="wrong") as client, pytest.raises(AuthError, match="401"):
        client.get_json("/dvc/v1/coquan")
    assert sleeps == []


# --- whole pulls: paging, windows, faults mid-pull --------------------------------------------


@pytest.mark.parametrize(
    ("count", "page_size", "pages"), [(0, 10, 0), (1, 10, 1), (10, 10, 1), (25, 10, 3), (25, 500, 1)]
)
def test_every_record_arrives_once_whatever_the_paging(
    warehouse_url: str, count: int, page_size: int, pages: int
) -> None:
    with SandboxServer(_province(_spread(count)), username="u", password="p", log=False) as server:
        result = _ingest(server, warehouse_url, page_size=page_size)
    assert (result.rows_loaded, result.pages, result.duplicates) == (count, pages, 0)
    assert _raw_count(warehouse_url) == count


def test_windows_overlap_by_one_second_and_rerunning_a_day_changes_nothing(warehouse_url: str) -> None:
    midnight = DAY + timedelta(days=1)
    records = [
        _dossier(1, DAY + timedelta(hours=12)),
        _dossier(2, midnight),  # exactly on the boundary: the source sends it in both windows
        _dossier(3, midnight + timedelta(seconds=1)),
    ]
    with SandboxServer(_province(records), username="u", password="p", log=False) as server:
        first = _ingest(server, warehouse_url)
        second = _ingest(server, warehouse_url, day=midnight)
        again = _ingest(server, warehouse_url)
    assert (first.rows_loaded, second.rows_loaded) == (2, 2)
    assert again.replaced_batch_id == first.batch_id and again.rows_loaded == 2
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "select ma_ho_so, count(*) from raw.onestop__dossiers group by 1 order by 1"
        ).fetchall()
    assert [(code[-5:], n) for code, n in rows] == [("00001", 1), ("00002", 2), ("00003", 1)]


def test_faults_in_the_middle_of_a_pull_lose_nothing(sandbox: SandboxServer, warehouse_url: str) -> None:
    sandbox.faults.set("5xx", count=2)
    sandbox.faults.set("429", count=1, seconds=0)
    sandbox.faults.set("latency", count=3, seconds=0.05)
    result = _ingest(sandbox, warehouse_url)
    assert result.rows_loaded == 25 and _raw_count(warehouse_url) == 25


def test_malformed_records_are_kept_in_rejects_and_the_rest_loaded(
    sandbox: SandboxServer, warehouse_url: str
) -> None:
    sandbox.faults.set("malformed", count=3, rate=0.5)
    result = _ingest(sandbox, warehouse_url)
    assert result.rows_rejected > 0
    assert result.rows_loaded + result.rows_rejected == 25
    with psycopg.connect(warehouse_url) as conn:
        reasons = [r for (r,) in conn.execute("select reason from ops.rejects").fetchall()]
        texts = [t for (t,) in conn.execute("select record_text from ops.rejects").fetchall()]
    assert len(reasons) == result.rows_rejected and all(reasons)
    assert not any("0560850" in t or "Minh Khoa" in t for t in texts)  # (TaiKhoan… is a field name)


def test_a_source_that_fails_mid_pull_leaves_the_previous_batch(
    sandbox: SandboxServer, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = _ingest(sandbox, warehouse_url)
    send = requests.Session.request
    calls = 0

    def source_goes_down_after_the_first_page(self: requests.Session, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:  # token and first page went through; the source now stays down
            sandbox.faults.set("5xx", count=100)
        return send(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", source_goes_down_after_the_first_page)
    with pytest.raises(SourceError, match="gave up"):
        _ingest(sandbox, warehouse_url)

    assert _raw_count(warehouse_url) == 25
    with psycopg.connect(warehouse_url) as conn:
        batches = conn.execute("select batch_id, status, error from ops.batches order by 1").fetchall()
    assert batches[0][:2] == (good.batch_id, "succeeded")
    # pages are requested several at a time: any of them may be the one that gave up
    assert batches[1][1] == "failed" and re.search(r"GET /dvc/v1/hoso: 50\d; gave up", batches[1][2])


def test_a_replayed_line_the_sandbox_cannot_order_is_a_reject_with_its_file_and_line(
    tmp_path: Path, warehouse_url: str
) -> None:
    """Issue 17 item 5: a malformed line and an object for a string in a supplied file are served
    as they are; the client rejects each with its reason and file:line, and the run counts them."""
    from ingestion.sandbox.province import export_province, load_province

    export_province(_province(_spread(6)), tmp_path)
    lines = (tmp_path / "dossiers.jsonl").read_text().splitlines()
    broken = lines[2][: len(lines[2]) // 2]  # cut in the middle: no JSON
    odd = orjson.loads(lines[4]) | {"MaHoSo": {"ma": "x"}}  # an object where a string is declared
    lines[2], lines[4] = broken, orjson.dumps(odd).decode()
    (tmp_path / "dossiers.jsonl").write_text("\n".join(lines) + "\n")
    with SandboxServer(load_province(tmp_path), username="u", password="p", log=False) as server:
        result = _ingest(server, warehouse_url, page_size=3)
    assert (result.rows_loaded, result.rows_rejected) == (4, 2)
    with psycopg.connect(warehouse_url) as conn:
        rejects = conn.execute(
            "select origin, reason, record_text from ops.rejects where batch_id = %s order by origin",
            (result.batch_id,),
        ).fetchall()
    assert [(origin, reason) for origin, reason, _ in rejects] == [
        ("dossiers.jsonl:3", "record is not a JSON object"),
        ("dossiers.jsonl:5", "expected a string, got dict"),
    ]
    assert not any("0560850" in text or "Minh Khoa" in text for _, _, text in rejects)  # still pseudonymised
