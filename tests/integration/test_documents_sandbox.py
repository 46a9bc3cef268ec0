"""The document exchange sandbox over real sockets: header credentials, queue paging,
acknowledgements and redelivery, every fault mode, replay byte-identical, the command line."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from ingestion.sandbox.documents.exchange import Exchange, export_exchange, load_exchange
from ingestion.sandbox.documents.generator import generate_exchange
from ingestion.sandbox.documents.packages import MALFORMED_VARIANTS
from ingestion.sandbox.documents.server import ExchangeServer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "ingestion.sandbox.documents"]
USER, PASSWORD = "vxp.saas.03", "s3cret"
HEADERS = {"systemid": USER, "secret": PASSWORD}
GENERATION = ("--seed", "9", "--scale", "0.1", "--start", "2025-09-01", "--end", "2025-09-15")


@pytest.fixture(scope="module")
def exchange() -> Exchange:
    return generate_exchange(21, 0.4, date(2025, 8, 1), date(2025, 9, 1))


@pytest.fixture(scope="module")
def server(exchange: Exchange) -> Iterator[ExchangeServer]:
    with ExchangeServer(exchange, username=USER, password=PASSWORD, log=False) as srv:
        yield srv


@pytest.fixture
def srv(server: ExchangeServer) -> Iterator[ExchangeServer]:
    """The shared server with no fault armed and no acknowledgement left by another test."""
    server.faults.clear()
    requests.delete(f"{server.url}/_sim/acks", timeout=5)
    yield server
    server.faults.clear()


def _received(url: str, kind: str = "edoc", headers: dict | None = None, **body: Any) -> requests.Response:
    payload = {"servicetype": "eDoc", "messagetype": kind, **body}
    return requests.post(f"{url}/vxp/v1/edocs/received", json=payload, headers=headers or HEADERS, timeout=5)


def _all_pending(url: str, kind: str, page_size: int = 500, **body: Any) -> list[dict]:
    listed: list[dict] = []
    page = 1
    while True:
        answer = _received(url, kind, pageIndex=page, pageSize=page_size, **body).json()
        if not answer["data"]:
            return listed
        listed += answer["data"]
        page += 1


def _ack(url: str, doc_id: str, status: str, description: str = "") -> requests.Response:
    return requests.put(
        f"{url}/vxp/v1/edocs/{doc_id}/status",
        json={"status": status, "description": description},
        headers=HEADERS,
        timeout=5,
    )


def test_health_and_controls_need_no_credentials(srv: ExchangeServer, exchange: Exchange) -> None:
    health = requests.get(f"{srv.url}/_sim/health", timeout=5).json()
    kinds = [item.messagetype for item in exchange.items]
    assert health["counts"]["edoc"] == kinds.count("edoc") == health["counts"]["pending_edoc"]
    assert health["counts"]["status"] == kinds.count("status")
    assert health["mode"] == "generated" and health["clock_end"] == "2025/09/01 00:00:00"
    assert requests.get(f"{srv.url}/_sim/fault", timeout=5).json() == {"faults": []}
    assert requests.get(f"{srv.url}/_sim/acks", timeout=5).json() == {}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"systemid": USER},
        {"systemid": USER, "secret": "wrong"},
        {"systemid": "other", "secret": PASSWORD},
    ],
)
def test_calls_without_the_right_headers_get_401(
    srv: ExchangeServer, exchange: Exchange, headers: dict
) -> None:
    item = exchange.items[0].doc_id
    calls = [
        requests.post(
            f"{srv.url}/vxp/v1/edocs/received", json={"messagetype": "edoc"}, headers=headers, timeout=5
        ),
        requests.get(f"{srv.url}/vxp/v1/edocs/{item}", headers=headers, timeout=5),
        requests.put(
            f"{srv.url}/vxp/v1/edocs/{item}/status", json={"status": "done"}, headers=headers, timeout=5
        ),
        requests.get(f"{srv.url}/vxp/v1/agencies", headers=headers, timeout=5),
        requests.get(f"{srv.url}/vxp/v1/workfiles?agency=000.00.00.H57", headers=headers, timeout=5),
    ]
    for answer in calls:
        assert answer.status_code == 401
        assert answer.json() == {"status": "FAIL", "ErrorDesc": "invalid system"}
    assert srv.acks == {}


@pytest.mark.parametrize("count", [0, 1, 50, 173])
def test_paging_of_the_queue(exchange: Exchange, count: int) -> None:
    """0 items, 1, exactly one page of 50 (the default size) and many pages."""
    edocs = [item for item in exchange.items if item.messagetype == "edoc"][:count]
    small = Exchange(exchange.agencies, edocs, [], exchange.clock_end)
    with ExchangeServer(small, username=USER, password=PASSWORD, log=False) as srv:
        first = _received(srv.url).json()
        assert first["status"] == "OK" and first["total"] == count
        assert first["data"] == [item.listing for item in edocs[:50]]
        past = _received(srv.url, pageIndex=2 + count // 50).json()
        assert past["data"] == [] and past["total"] == count
        for size in (1, 7, 50, 500):
            assert _all_pending(srv.url, "edoc", size) == [item.listing for item in edocs]
        assert _received(srv.url, "status").json()["total"] == 0


def test_the_window_is_by_created_date_inclusive(srv: ExchangeServer, exchange: Exchange) -> None:
    listed = _all_pending(srv.url, "status", fromDate="2025/08/11", toDate="2025/08/12")
    expected = [
        item.listing
        for item in exchange.items
        if item.messagetype == "status" and "2025/08/11" <= item.created_time[:10] <= "2025/08/12"
    ]
    assert listed == expected and expected
    assert listed == sorted(listed, key=lambda entry: (entry["created_time"], entry["DocId"]))
    assert _received(srv.url, fromDate="2030/01/01").json()["total"] == 0
    edocs = requests.get(f"{srv.url}/_sim/health", timeout=5).json()["counts"]["edoc"]
    assert len(_all_pending(srv.url, "edoc", toDate="2025/08/31")) == edocs


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"messagetype": "other"}, "messagetype must be edoc or status"),
        ({"fromDate": "2025-08-01"}, "fromDate must be yyyy/MM/dd"),
        ({"fromDate": "2025/08/02", "toDate": "2025/08/01"}, "fromDate is after toDate"),
        ({"pageSize": 501}, "page size above 500"),
        ({"pageIndex": 0}, "invalid page"),
    ],
)
def test_bad_list_requests_get_400(srv: ExchangeServer, body: dict, message: str) -> None:
    answer = _received(srv.url, **body)
    assert answer.status_code == 400 and answer.json() == {"status": "FAIL", "ErrorDesc": message}


def test_fetch_gives_the_package_bytes(srv: ExchangeServer, exchange: Exchange) -> None:
    for item in exchange.items[:40]:
        answer = requests.get(f"{srv.url}/vxp/v1/edocs/{item.doc_id}", headers=HEADERS, timeout=5)
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/xml"
        assert answer.content == item.package()  # type: ignore[misc]
    missing = requests.get(f"{srv.url}/vxp/v1/edocs/{'0' * 24}", headers=HEADERS, timeout=5)
    assert missing.status_code == 404 and missing.json()["status"] == "FAIL"
    assert _ack(srv.url, "0" * 24, "done").status_code == 404


def test_acknowledgements_settle_items_and_the_rest_is_redelivered(srv: ExchangeServer) -> None:
    before = _all_pending(srv.url, "edoc")
    done, failed, processing = (entry["DocId"] for entry in before[:3])
    assert _ack(srv.url, done, "done").json() == {"status": "OK", "ErrorDesc": ""}
    assert _ack(srv.url, failed, "fail", "BadPackage: no DocumentId").status_code == 200
    assert _ack(srv.url, processing, "processing").status_code == 200
    assert _ack(srv.url, done, "unknown").status_code == 400
    after = _all_pending(srv.url, "edoc")
    assert [entry["DocId"] for entry in after] == [
        e["DocId"] for e in before if e["DocId"] not in (done, failed)
    ]
    assert _all_pending(srv.url, "edoc") == after, "what is not acknowledged is listed again"
    assert requests.get(f"{srv.url}/_sim/acks", timeout=5).json() == {
        done: {"status": "done", "description": ""},
        failed: {"status": "fail", "description": "BadPackage: no DocumentId"},
    }
    fetched = requests.get(f"{srv.url}/vxp/v1/edocs/{done}", headers=HEADERS, timeout=5)
    assert fetched.status_code == 200, "an acknowledged item can still be fetched"
    health = requests.get(f"{srv.url}/_sim/health", timeout=5).json()["counts"]
    assert health["pending_edoc"] == health["edoc"] - 2


def test_agencies_and_work_files(srv: ExchangeServer, exchange: Exchange) -> None:
    answer = requests.get(
        f"{srv.url}/vxp/v1/agencies?page=1&page_size=500", headers=HEADERS, timeout=5
    ).json()
    assert answer["status"] == "OK" and answer["agencies"] == exchange.agencies
    assert answer["total"] == len(exchange.agencies)
    assert set(answer["agencies"][0]) == {"id", "code", "pcode", "name", "mail", "mobile", "fax"}
    agency = exchange.workfiles[0]["agency"]
    mine = [record for record in exchange.workfiles if record["agency"] == agency]
    pages, page = [], 1
    while True:
        url = f"{srv.url}/vxp/v1/workfiles?agency={agency}&fromDate=2025/08/01&toDate=2025/08/31&pageIndex={page}&pageSize=3"
        data = requests.get(url, headers=HEADERS, timeout=5).json()["data"]
        if not data:
            break
        pages += data
        page += 1
    assert pages == mine
    missing = requests.get(f"{srv.url}/vxp/v1/workfiles", headers=HEADERS, timeout=5)
    assert missing.status_code == 400


def test_transport_faults(srv: ExchangeServer) -> None:
    srv.faults.set("latency", seconds=0.3)
    started = time.monotonic()
    assert _received(srv.url).status_code == 200
    assert time.monotonic() - started >= 0.3
    srv.faults.set("429", seconds=2)
    answer = _received(srv.url)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"
    assert answer.json() == {"status": "FAIL", "ErrorDesc": "Quá nhiều yêu cầu"}
    srv.faults.set("5xx", count=4)
    assert [_received(srv.url).status_code for _ in range(5)] == [503, 502, 500, 503, 200]
    srv.faults.set("timeout", seconds=0.2)
    with pytest.raises(requests.ConnectionError):
        _received(srv.url)
    assert requests.get(f"{srv.url}/_sim/health", timeout=5).status_code == 200
    assert _received(srv.url).status_code == 200


def test_token_expiry_has_no_meaning_with_header_credentials(srv: ExchangeServer) -> None:
    answer = requests.post(f"{srv.url}/_sim/fault", json={"mode": "token_expiry"}, timeout=5)
    assert answer.status_code == 400 and "no token to expire" in answer.json()["error"]
    assert _received(srv.url).status_code == 200


def test_malformed_breaks_fetches_every_way_deterministically(
    srv: ExchangeServer, exchange: Exchange
) -> None:
    edoc = next(
        item for item in exchange.items if item.messagetype == "edoc" and len(item.package()) < 100_000
    )  # type: ignore[misc]
    url = f"{srv.url}/vxp/v1/edocs/{edoc.doc_id}"
    clean = edoc.package()  # type: ignore[misc]

    def fetch_all(count: int, rate: float) -> list[bytes]:
        requests.post(
            f"{srv.url}/_sim/fault", json={"mode": "malformed", "count": count, "rate": rate}, timeout=5
        )
        return [requests.get(url, headers=HEADERS, timeout=5).content for _ in range(count + 1)]

    every = fetch_all(len(MALFORMED_VARIANTS), 1.0)
    assert len(set(every[:-1])) == len(MALFORMED_VARIANTS) and clean not in every[:-1]
    assert every[-1] == clean, "the fault is used up"
    assert fetch_all(len(MALFORMED_VARIANTS), 1.0) == every, "the same arming breaks the same way"
    half = fetch_all(4, 0.5)
    assert [data == clean for data in half] == [False, True, False, True, True]


def test_malformed_work_file_pages_get_field_variants(srv: ExchangeServer, exchange: Exchange) -> None:
    agency = exchange.workfiles[0]["agency"]
    url = f"{srv.url}/vxp/v1/workfiles?agency={agency}&pageSize=20"
    clean = requests.get(url, headers=HEADERS, timeout=5).json()["data"]
    srv.faults.set("malformed", rate=1.0)
    broken = requests.get(url, headers=HEADERS, timeout=5).json()["data"]
    assert len(broken) == len(clean) and all(b != c for b, c in zip(broken, clean, strict=True))
    assert any(isinstance(record, str) or record["id"] == "" for record in broken)


def test_replay_answers_byte_identically(tmp_path: Path, exchange: Exchange) -> None:
    export_exchange(exchange, tmp_path)
    with (
        ExchangeServer(exchange, username=USER, password=PASSWORD, log=False) as generated,
        ExchangeServer(
            load_exchange(tmp_path), username=USER, password=PASSWORD, mode="files", log=False
        ) as files,
    ):
        for kind in ("edoc", "status"):
            for page in (1, 2, 9):
                body = {"messagetype": kind, "pageIndex": page, "pageSize": 100}
                a, b = (
                    requests.post(
                        f"{s.url}/vxp/v1/edocs/received", json=body, headers=HEADERS, timeout=5
                    ).content
                    for s in (generated, files)
                )
                assert a == b
        for item in exchange.items[::7]:  # every package file is compared in the unit tests
            a, b = (
                requests.get(f"{s.url}/vxp/v1/edocs/{item.doc_id}", headers=HEADERS, timeout=5).content
                for s in (generated, files)
            )
            assert a == b
        for record in exchange.agencies[:5]:
            path = f"/vxp/v1/workfiles?agency={record['code']}&pageSize=500"
            a, b = (
                requests.get(f"{s.url}{path}", headers=HEADERS, timeout=5).content for s in (generated, files)
            )
            assert a == b
        health = requests.get(f"{files.url}/_sim/health", timeout=5).json()
        assert health["mode"] == "files"


def test_a_bad_replay_line_is_served_with_its_origin(tmp_path: Path, exchange: Exchange) -> None:
    export_exchange(exchange, tmp_path)
    lines = (tmp_path / "queue.jsonl").read_text().splitlines()
    lines.insert(2, '{"DocId": 5, "messagetype": "edoc"}')
    (tmp_path / "queue.jsonl").write_text("\n".join(lines) + "\n")
    with ExchangeServer(
        load_exchange(tmp_path), username=USER, password=PASSWORD, mode="files", log=False
    ) as srv:
        answer = _received(srv.url, pageSize=5).json()
    # placed after the edoc items of the time of line 2, the line before it
    (position, origin), *_ = answer["origins"].items()
    assert origin == "queue.jsonl:3"
    assert answer["data"][int(position)] == {"DocId": 5, "messagetype": "edoc"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> dict:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            return requests.get(f"{url}/_sim/health", timeout=1).json()
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("sandbox did not become ready")


def _serve(*args: str) -> tuple[dict, str]:
    """Start `serve` with `args`, read its health, stop it with SIGTERM: (health, its log)."""
    port = _free_port()
    serve = [*CLI, "serve", "--port", str(port), "--username", USER, "--password", PASSWORD, *args]
    process = subprocess.Popen(serve, stderr=subprocess.PIPE, cwd=PROJECT_ROOT)
    try:
        health = _wait_healthy(f"http://127.0.0.1:{port}", process)
        assert _received(f"http://127.0.0.1:{port}").status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, "SIGTERM is a clean stop"
    return health, stderr.decode()


def test_cli_export_then_serve_the_data_dir(tmp_path: Path) -> None:
    exported = subprocess.run(
        [*CLI, "export", "--out", str(tmp_path), *GENERATION],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert exported.returncode == 0, exported.stderr
    folder = tmp_path / "documents"
    assert sorted(p.name for p in folder.iterdir()) == [
        "agencies.json",
        "packages",
        "queue.jsonl",
        "workfiles.jsonl",
    ]
    generated, _ = _serve(*GENERATION)
    replayed, log = _serve("--data-dir", str(tmp_path))
    assert replayed["mode"] == "files" and generated["mode"] == "generated"
    assert replayed["counts"] == generated["counts"]
    assert "POST /vxp/v1/edocs/received" in log and PASSWORD not in log


def test_cli_serves_an_empty_exchange_when_the_folder_is_missing(tmp_path: Path) -> None:
    health, log = _serve("--data-dir", str(tmp_path))
    assert health["counts"]["edoc"] == health["counts"]["status"] == health["counts"]["agencies"] == 0
    assert [line for line in log.splitlines() if "warning" in line] == [
        f"sandbox: warning: {tmp_path / 'documents'} is missing: serving an empty exchange"
    ]


def test_cli_rejects_mixed_or_partial_sources(tmp_path: Path) -> None:
    serve = [*CLI, "serve", "--port", "0", "--username", "u", "--password", "p"]
    for args in (["--data-dir", str(tmp_path), "--seed", "1"], ["--seed", "1", "--scale", "1"]):
        result = subprocess.run([*serve, *args], capture_output=True, text=True, cwd=PROJECT_ROOT)
        assert result.returncode == 2 and "--data-dir" in result.stderr
