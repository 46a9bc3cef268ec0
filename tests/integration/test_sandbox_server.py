"""The sandbox HTTP server, over real sockets: auth, windows, paging, faults, file replay, CLI."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from ingestion.sandbox.generator import generate_province
from ingestion.sandbox.province import Province, dossier_order, export_province, load_province
from ingestion.sandbox.server import SandboxServer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "ingestion.sandbox"]
USER, PASSWORD = "dtimon", "s3cret"
WHOLE = {"updated_from": "20000101000000", "updated_to": "20991231235959"}


@pytest.fixture(scope="module")
def province() -> Province:
    return generate_province(42, 0.05, date(2025, 8, 1), date(2025, 9, 1))


@pytest.fixture(scope="module")
def server(province: Province) -> Iterator[SandboxServer]:
    with SandboxServer(province, username=USER, password=PASSWORD, port=0, log=False) as srv:
        yield srv


@pytest.fixture
def srv(server: SandboxServer) -> Iterator[SandboxServer]:
    """The shared server with no fault left armed by a previous test."""
    server.faults.clear()
    yield server
    server.faults.clear()


@pytest.fixture
def session(srv: SandboxServer) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {_token(srv.url)}"
    return session


def _token(url: str, username: str = USER, password: str = PASSWORD) -> str:
    response = requests.post(
        f"{url}/dvc/v1/token", json={"username": username, "password": password}, timeout=5
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _get(session: requests.Session, url: str, path: str, **params: Any) -> requests.Response:
    return session.get(f"{url}{path}", params=params, timeout=5)


def _all_pages(session: requests.Session, url: str, path: str, page_size: int, **params: Any) -> list[dict]:
    records: list[dict] = []
    page = 1
    while True:
        body = _get(session, url, path, page=page, page_size=page_size, **params).json()
        if not body["data"]:
            return records
        records += body["data"]
        page += 1


def _tiny_province() -> Province:
    """Hand-made feed: ties on `_updated_at`, versions "9" and "10", one version past the clock."""
    stamps = ["20250801080000", "20250801080000", "20250801080001", "20250801080002", "20250801080002"]
    codes = ["B", "A", "A", "C", "C"]
    versions = ["1", "2", "10", "9", "10"]
    dossiers = [
        {"MaHoSo": code, "_version": version, "_updated_at": stamp, "TrangThaiHoSo": "2", "NgayTiepNhan": ""}
        for stamp, code, version in zip(stamps, codes, versions, strict=True)
    ]
    dossiers.append({"MaHoSo": "Z", "_version": "1", "_updated_at": "20250802000000", "TrangThaiHoSo": "2"})
    progress = [
        {"MaHoSo": "A", "ThoiDiemXuLy": "20250801080000", "TrangThai": "4"},
        {"MaHoSo": "A", "ThoiDiemXuLy": "20250801080000", "TrangThai": "2"},
        {"MaHoSo": "A", "ThoiDiemXuLy": "20250801075959", "TrangThai": "1"},
    ]
    agencies = [{"MADONVI": code, "TENDONVI": code, "NGAYCAPNHAT": "20250101000000"} for code in "ba"]
    return Province(agencies, [], list(reversed(dossiers)), progress, datetime(2025, 8, 2))


# --- auth -------------------------------------------------------------------------------


def test_health_needs_no_token(srv: SandboxServer, province: Province) -> None:
    body = requests.get(f"{srv.url}/_sim/health", timeout=5).json()
    assert body == {
        "status": "ok",
        "mode": "generated",
        "clock_end": "20250901000000",
        "counts": {
            "agencies": len(province.agencies),
            "procedures": len(province.procedures),
            "dossier_versions": len(province.dossiers),
            "progress": len(province.progress),
            "ratings": len(province.ratings),
            "feedback": len(province.feedback),
        },
    }


def test_token_flow(srv: SandboxServer) -> None:
    response = requests.post(
        f"{srv.url}/dvc/v1/token", json={"username": USER, "password": PASSWORD}, timeout=5
    )
    body = response.json()
    assert response.status_code == 200
    assert body["error_code"] == 0 and body["token_type"] == "Bearer" and body["expires_in"] == 1800
    assert body["message"] == "" and len(body["access_token"]) >= 16
    data = requests.get(
        f"{srv.url}/dvc/v1/coquan", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=5
    )
    assert data.status_code == 200


@pytest.mark.parametrize("credentials", [{"username": USER, "password": "wrong"}, {"username": "x"}, None])
def test_bad_credentials_get_401(srv: SandboxServer, credentials: dict | None) -> None:
    response = requests.post(f"{srv.url}/dvc/v1/token", json=credentials, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"error_code": 401, "message": "Sai tên đăng nhập hoặc mật khẩu"}


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_data_needs_a_valid_token(srv: SandboxServer, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for path in (
        "/dvc/v1/hoso",
        "/dvc/v1/tiendo",
        "/dvc/v1/danhgia",
        "/dvc/v1/pakn",
        "/dvc/v1/thutuc",
        "/dvc/v1/coquan",
    ):
        response = requests.get(f"{srv.url}{path}", params=WHOLE, headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json() == {"error_code": "-1", "message": "Phiên làm việc hết hạn"}


def test_tokens_expire_after_their_ttl(province: Province) -> None:
    with SandboxServer(province, username=USER, password=PASSWORD, token_ttl=1, log=False) as srv:
        token = _token(srv.url)
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.get(f"{srv.url}/dvc/v1/coquan", headers=headers, timeout=5).status_code == 200
        time.sleep(1.1)
        assert requests.get(f"{srv.url}/dvc/v1/coquan", headers=headers, timeout=5).status_code == 401


# --- windows, ordering, paging -----------------------------------------------------------


def test_window_is_inclusive_at_both_ends_and_ordered() -> None:
    with SandboxServer(_tiny_province(), username=USER, password=PASSWORD, log=False) as srv:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {_token(srv.url)}"

        def keys(first: str, last: str) -> list[tuple[str, str]]:
            body = _get(session, srv.url, "/dvc/v1/hoso", updated_from=first, updated_to=last).json()
            assert body["total"] == len(body["data"])
            return [(r["MaHoSo"], r["_version"]) for r in body["data"]]

        assert keys("20250801080000", "20250801080001") == [("A", "2"), ("B", "1"), ("A", "10")]
        assert keys("20250801080001", "20250801080002") == [("A", "10"), ("C", "9"), ("C", "10")]
        assert keys("20250801080001", "20250801080001") == [("A", "10")]
        assert keys("20250801080003", "20250801235959") == []
        assert keys("20250801000000", "20991231000000")[-1] == ("C", "10"), "nothing at/after the clock"

        progress = _get(session, srv.url, "/dvc/v1/tiendo", **WHOLE).json()["data"]
        assert [(r["ThoiDiemXuLy"], r["TrangThai"]) for r in progress] == [
            ("20250801075959", "1"),
            ("20250801080000", "2"),
            ("20250801080000", "4"),
        ]
        agencies = _get(session, srv.url, "/dvc/v1/coquan").json()["data"]
        assert [a["MADONVI"] for a in agencies] == ["a", "b"]
        health = requests.get(f"{srv.url}/_sim/health", timeout=5).json()
        assert health["counts"]["dossier_versions"] == 5


def test_generated_feed_is_complete_and_in_order(
    srv: SandboxServer, session: requests.Session, province: Province
) -> None:
    served = _all_pages(session, srv.url, "/dvc/v1/hoso", 500, **WHOLE)
    assert served == sorted(province.dossiers, key=dossier_order)
    progress = _all_pages(session, srv.url, "/dvc/v1/tiendo", 500, **WHOLE)
    assert len(progress) == len(province.progress)
    keys = [(r["ThoiDiemXuLy"], r["MaHoSo"], r["TrangThai"]) for r in progress]
    assert keys == sorted(keys)
    procedures = _all_pages(session, srv.url, "/dvc/v1/thutuc", 7)
    assert [p["MATTHC"] for p in procedures] == sorted(p["MATTHC"] for p in province.procedures)


def test_consecutive_windows_overlap_by_one_second(srv: SandboxServer, session: requests.Session) -> None:
    first = _all_pages(
        session, srv.url, "/dvc/v1/hoso", 500, updated_from="20250801000000", updated_to="20250811000000"
    )
    second = _all_pages(
        session, srv.url, "/dvc/v1/hoso", 500, updated_from="20250811000000", updated_to="20250821000000"
    )
    boundary = [r for r in first if r["_updated_at"] == "20250811000000"]
    assert all(r in second for r in boundary)
    assert all("20250801000000" <= r["_updated_at"] <= "20250811000000" for r in first)


def test_pagination(srv: SandboxServer, session: requests.Session, province: Province) -> None:
    url = srv.url
    empty = _get(
        session, url, "/dvc/v1/hoso", updated_from="20200101000000", updated_to="20200102000000"
    ).json()
    assert empty["total"] == 0 and empty["data"] == [] and empty["page"] == 1 and empty["page_size"] == 100

    agencies = len(province.agencies)
    exact = _get(session, url, "/dvc/v1/coquan", page_size=agencies).json()
    assert exact["total"] == agencies and len(exact["data"]) == agencies
    after = _get(session, url, "/dvc/v1/coquan", page=2, page_size=agencies).json()
    assert after["data"] == [] and after["total"] == agencies and after["page"] == 2

    pages = [_get(session, url, "/dvc/v1/thutuc", page=p, page_size=30).json() for p in (1, 2, 3, 4)]
    assert [len(p["data"]) for p in pages] == [30, 30, len(province.procedures) - 60, 0]
    assert {p["total"] for p in pages} == {len(province.procedures)}
    assert [p["error_code"] for p in pages] == ["0", 0, "0", 0], "error_code type varies by page"

    default = _get(session, url, "/dvc/v1/hoso", **WHOLE).json()
    assert default["page_size"] == 100 and len(default["data"]) == 100
    assert default["total"] == len(province.dossiers)
    assert _get(session, url, "/dvc/v1/hoso", page_size=500, **WHOLE).status_code == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page_size": 501, **WHOLE}, "page_size_too_large"),
        ({"page_size": 0, **WHOLE}, "invalid_page_size"),
        ({"page": 0, **WHOLE}, "invalid_page"),
        ({"page": "x", **WHOLE}, "invalid_page"),
        ({"updated_to": "20250901000000"}, "missing_updated_from"),
        ({"updated_from": "20250901000000"}, "missing_updated_to"),
        ({"updated_from": "2025-09-01", "updated_to": "20250901000000"}, "invalid_updated_from"),
        ({"updated_from": "20250901000000", "updated_to": "20251345990000"}, "invalid_updated_to"),
        ({"updated_from": "20250902000000", "updated_to": "20250901000000"}, "updated_from_after_updated_to"),
    ],
)
def test_bad_parameters_get_400(
    srv: SandboxServer, session: requests.Session, params: dict[str, Any], message: str
) -> None:
    response = _get(session, srv.url, "/dvc/v1/hoso", **params)
    assert response.status_code == 400
    assert response.json() == {"error_code": "400", "message": message}


def test_unknown_paths_and_methods(srv: SandboxServer, session: requests.Session) -> None:
    assert session.get(f"{srv.url}/dvc/v1/nothing", timeout=5).status_code == 404
    assert session.post(f"{srv.url}/dvc/v1/hoso", timeout=5).status_code == 405
    assert requests.get(f"{srv.url}/dvc/v1/token", timeout=5).status_code == 405


# --- faults -----------------------------------------------------------------------------


def _arm(url: str, **body: Any) -> requests.Response:
    return requests.post(f"{url}/_sim/fault", json=body, timeout=5)


def test_fault_switch_endpoints(srv: SandboxServer) -> None:
    assert _arm(srv.url, mode="5xx", count=2).status_code == 200
    assert _arm(srv.url, mode="latency", seconds=0.01).status_code == 200
    listed = requests.get(f"{srv.url}/_sim/fault", timeout=5).json()["faults"]
    assert listed == [{"mode": "latency", "remaining": 1, "seconds": 0.01}, {"mode": "5xx", "remaining": 2}]
    assert requests.delete(f"{srv.url}/_sim/fault", timeout=5).json() == {"status": "ok", "faults": []}
    assert requests.get(f"{srv.url}/_sim/fault", timeout=5).json() == {"faults": []}
    for bad in (
        {"mode": "nope"},
        {"mode": "5xx", "count": 0},
        {"mode": "malformed", "rate": 2},
        {"count": 1},
    ):
        assert _arm(srv.url, **bad).status_code == 400, bad
    assert requests.post(f"{srv.url}/_sim/fault", data=b"{", timeout=5).status_code == 400


def test_5xx_alternates_for_count_requests(srv: SandboxServer, session: requests.Session) -> None:
    _arm(srv.url, mode="5xx", count=4)
    assert requests.get(f"{srv.url}/_sim/health", timeout=5).status_code == 200, "/_sim is never faulted"
    statuses = [_get(session, srv.url, "/dvc/v1/coquan") for _ in range(5)]
    assert [r.status_code for r in statuses] == [503, 502, 500, 503, 200]
    assert statuses[0].json() == {"error_code": "500", "message": "Lỗi hệ thống"}


def test_5xx_also_hits_the_token_endpoint(srv: SandboxServer) -> None:
    _arm(srv.url, mode="5xx")
    response = requests.post(
        f"{srv.url}/dvc/v1/token", json={"username": USER, "password": PASSWORD}, timeout=5
    )
    assert response.status_code == 503
    assert _token(srv.url)


def test_429_with_retry_after(srv: SandboxServer, session: requests.Session) -> None:
    _arm(srv.url, mode="429", count=2, seconds=3)
    first = _get(session, srv.url, "/dvc/v1/thutuc")
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert _get(session, srv.url, "/dvc/v1/thutuc").status_code == 429
    assert _get(session, srv.url, "/dvc/v1/thutuc").status_code == 200
    _arm(srv.url, mode="429")
    assert _get(session, srv.url, "/dvc/v1/thutuc").headers["Retry-After"] == "1"


def test_timeout_hits_a_short_client_timeout(srv: SandboxServer, session: requests.Session) -> None:
    _arm(srv.url, mode="timeout", seconds=1.0)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        session.get(f"{srv.url}/dvc/v1/coquan", timeout=0.3)
    assert time.monotonic() - started < 0.9
    assert _get(session, srv.url, "/dvc/v1/coquan").status_code == 200


def test_timeout_closes_without_an_answer(srv: SandboxServer) -> None:
    _arm(srv.url, mode="timeout", seconds=0.2)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(f"{srv.url}/dvc/v1/token", json={"username": USER, "password": PASSWORD}, timeout=5)


def test_latency_delays_a_normal_answer(srv: SandboxServer, session: requests.Session) -> None:
    _arm(srv.url, mode="latency", seconds=0.4, count=1)
    started = time.monotonic()
    assert _get(session, srv.url, "/dvc/v1/coquan").status_code == 200
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    assert _get(session, srv.url, "/dvc/v1/coquan").status_code == 200
    assert time.monotonic() - started < 0.3


def test_several_faults_at_once(srv: SandboxServer, session: requests.Session) -> None:
    _arm(srv.url, mode="latency", seconds=0.2)
    _arm(srv.url, mode="5xx")
    started = time.monotonic()
    assert _get(session, srv.url, "/dvc/v1/coquan").status_code == 503
    assert time.monotonic() - started >= 0.2


def test_token_expiry_invalidates_issued_tokens(srv: SandboxServer, session: requests.Session) -> None:
    assert _get(session, srv.url, "/dvc/v1/coquan").status_code == 200
    assert _arm(srv.url, mode="token_expiry").status_code == 200
    expired = _get(session, srv.url, "/dvc/v1/coquan")
    assert expired.status_code == 401 and expired.json()["error_code"] == "-1"
    fresh = {"Authorization": f"Bearer {_token(srv.url)}"}
    assert requests.get(f"{srv.url}/dvc/v1/coquan", headers=fresh, timeout=5).status_code == 200
    srv.faults.set("token_expiry")  # the Python handle does the same
    assert requests.get(f"{srv.url}/dvc/v1/coquan", headers=fresh, timeout=5).status_code == 401


def test_malformed_records(srv: SandboxServer, session: requests.Session) -> None:
    params = {"page": 2, "page_size": 40, **WHOLE}
    clean = _get(session, srv.url, "/dvc/v1/hoso", **params).json()["data"]
    _arm(srv.url, mode="malformed", rate=0.5, count=2)
    assert _token(srv.url), "the token endpoint does not use up a malformed page"
    broken = _get(session, srv.url, "/dvc/v1/hoso", **params).json()["data"]
    again = _get(session, srv.url, "/dvc/v1/hoso", **params).json()["data"]
    assert broken == again, "deterministic"
    assert _get(session, srv.url, "/dvc/v1/hoso", **params).json()["data"] == clean, "count used up"

    changed = [(c, b) for c, b in zip(clean, broken, strict=True) if c != b]
    assert len(changed) == 20
    kinds = set()
    for original, record in changed:
        if isinstance(record, str):
            kinds.add("json_string")
            continue
        (name,) = [key for key in original if original[key] != record[key]]
        kinds.add(name)
        assert (name, record[name]) in {
            ("NgayTiepNhan", "20251345990000"),
            ("MaHoSo", ""),
            ("TrangThaiHoSo", "X"),
            ("_version", "abc"),
        }
    assert len(kinds) >= 3


def test_malformed_also_applies_to_progress_and_catalogues(
    srv: SandboxServer, session: requests.Session
) -> None:
    _arm(srv.url, mode="malformed", rate=1.0, count=5)
    endpoints = ("/dvc/v1/tiendo", "/dvc/v1/danhgia", "/dvc/v1/pakn")
    for path, params in (*((e, WHOLE) for e in endpoints), ("/dvc/v1/thutuc", {}), ("/dvc/v1/coquan", {})):
        body = _get(session, srv.url, path, page_size=10, **params).json()
        data = body["data"]
        assert data and len(data) == min(10, body["total"])
        for record in data:
            assert (
                isinstance(record, str)
                or "X" in record.values()
                or "" in record.values()
                or ("20251345990000" in record.values())
            )


# --- file replay and CLI ------------------------------------------------------------------


def test_file_replay_serves_what_export_wrote(
    srv: SandboxServer, session: requests.Session, province: Province, tmp_path: Path
) -> None:
    export_province(province, tmp_path)
    replayed = load_province(tmp_path)
    with SandboxServer(replayed, username=USER, password=PASSWORD, mode="files", log=False) as files:
        other = requests.Session()
        other.headers["Authorization"] = f"Bearer {_token(files.url)}"
        assert requests.get(f"{files.url}/_sim/health", timeout=5).json()["mode"] == "files"
        queries = [
            ("/dvc/v1/hoso", {"page": 3, "page_size": 50, **WHOLE}),
            ("/dvc/v1/hoso", {"updated_from": "20250815000000", "updated_to": "20250816120000"}),
            ("/dvc/v1/tiendo", {"page": 2, "page_size": 200, **WHOLE}),
            ("/dvc/v1/danhgia", {"page_size": 500, **WHOLE}),
            ("/dvc/v1/pakn", {"page_size": 500, **WHOLE}),
            ("/dvc/v1/thutuc", {"page_size": 500}),
            ("/dvc/v1/coquan", {}),
        ]
        for path, params in queries:
            assert (
                _get(other, files.url, path, **params).content
                == _get(session, srv.url, path, **params).content
            )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> dict:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            return requests.get(f"{url}/_sim/health", timeout=1).json()
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("sandbox did not become ready")


def _cli(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=PROJECT_ROOT, **kwargs)


def test_cli_export_then_serve_files(tmp_path: Path) -> None:
    generation = ["--seed", "9", "--scale", "0.02", "--start", "2025-08-01", "--end", "2025-08-15"]
    exported = _cli("export", "--out", str(tmp_path), *generation, check=True)
    assert "dossier versions" in exported.stdout
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "agencies.json",
        "dossiers.jsonl",
        "feedback.jsonl",
        "procedures.json",
        "progress.jsonl",
        "ratings.jsonl",
    ]

    port = _free_port()
    serve = [*CLI, "serve", "--port", str(port), "--username", USER, "--password", PASSWORD]
    process = subprocess.Popen(
        [*serve, "--data-dir", str(tmp_path)], stderr=subprocess.PIPE, cwd=PROJECT_ROOT
    )
    try:
        health = _wait_healthy(f"http://127.0.0.1:{port}", process)
        assert health["mode"] == "files"
        assert health["counts"]["dossier_versions"] == len(load_province(tmp_path).dossiers)
        assert _token(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, "SIGTERM is a clean stop"
    log = stderr.decode()
    assert "POST /dvc/v1/token" in log and PASSWORD not in log


def test_cli_rejects_mixed_or_partial_sources(tmp_path: Path) -> None:
    serve = ["serve", "--port", "0", "--username", "u", "--password", "p"]
    mixed = _cli(*serve, "--data-dir", str(tmp_path), "--seed", "1")
    assert mixed.returncode == 2 and "--data-dir" in mixed.stderr
    assert _cli(*serve, "--seed", "1").returncode == 2
