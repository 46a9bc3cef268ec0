"""The IOC sandbox over real sockets: the token, keyset paging of Frigate messages, the Hikvision
search, status and report paging, every fault mode, replay byte-identical, the command line."""

from __future__ import annotations

import math
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from ingestion.sandbox.ioc.generator import GeneratedIoc, generate_ioc
from ingestion.sandbox.ioc.replay import export_ioc, load_ioc, local_day_start
from ingestion.sandbox.ioc.server import IocServer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "ingestion.sandbox.ioc"]
USER, TOKEN = "ioc.dtimon", "t0ken"
HEADERS = {"token": TOKEN}
START, END = date(2025, 9, 1), date(2025, 9, 4)
GENERATION = ("--seed", "4", "--scale", "0.02", "--start", "2025-09-01", "--end", "2025-09-03")
NS = "{http://www.hikvision.com/ver20/XMLSchema}"
BAD_TIME = "2025-13-45T99:00:00+07:00"


@pytest.fixture(scope="module")
def ioc() -> GeneratedIoc:
    return generate_ioc(17, 0.05, START, END)


@pytest.fixture(scope="module")
def server(ioc: GeneratedIoc) -> Iterator[IocServer]:
    with IocServer(ioc, username=USER, password=TOKEN, log=False) as srv:
        yield srv


@pytest.fixture
def srv(server: IocServer) -> Iterator[IocServer]:
    server.faults.clear()
    yield server
    server.faults.clear()


def _all_keys(ioc: GeneratedIoc) -> list[tuple[float, str]]:
    return [key for day in ioc.days() for key in ioc.part(day, "events").keys]


def _all(ioc: GeneratedIoc, stream: str) -> list[bytes]:
    return [record for day in ioc.days() for record in ioc.part(day, stream).records]


def _events(url: str, headers: dict | None = None, **params: Any) -> requests.Response:
    return requests.get(f"{url}/ioc/v1/events", params=params, headers=headers or HEADERS, timeout=5)


def _pull(url: str, limit: int, after: float, before: float) -> tuple[list[dict], int]:
    """Every message of [after, before) by keyset paging: (messages, requests made)."""
    got: list[dict] = []
    params: dict[str, Any] = {"after": repr(after), "before": repr(before), "limit": limit}
    calls = 0
    while True:
        calls += 1
        page = _events(url, **params).json()
        got += page
        if len(page) < limit:
            return got, calls
        last = page[-1]["after"]
        params.update(after=repr(last["frame_time"]), after_id=last["id"])


def _search(
    url: str, start: str, end: str, size: int, position: int, headers: dict | None = None
) -> requests.Response:
    body = (
        f"<EventSearchDescription><searchID>s-1</searchID><timeSpan><startTime>{start}</startTime>"
        f"<endTime>{end}</endTime></timeSpan><maxResults>{size}</maxResults>"
        f"<searchResultPosition>{position}</searchResultPosition></EventSearchDescription>"
    )
    return requests.post(
        f"{url}/ISAPI/ContentMgmt/eventSearch", data=body.encode(), headers=headers or HEADERS, timeout=5
    )


def _reports(url: str, headers: dict | None = None, **body: Any) -> requests.Response:
    return requests.post(f"{url}/paht/theodonvi", json=body, headers=headers or HEADERS, timeout=5)


def _status(url: str, **params: Any) -> requests.Response:
    return requests.get(f"{url}/ioc/v1/camera-status", params=params, headers=HEADERS, timeout=5)


def test_health_and_controls_need_no_token(srv: IocServer, ioc: GeneratedIoc) -> None:
    health = requests.get(f"{srv.url}/_sim/health", timeout=5).json()
    assert health["status"] == "ok" and health["mode"] == "generated"
    assert health["clock_end"] == "2025-09-04 00:00:00" and health["counts"]["cameras"] == len(ioc.cameras)
    assert requests.get(f"{srv.url}/_sim/fault", timeout=5).json() == {"faults": []}


@pytest.mark.parametrize("headers", [{}, {"token": "wrong"}, {"Authorization": f"Bearer {TOKEN}"}])
def test_every_endpoint_needs_the_token(srv: IocServer, headers: dict) -> None:
    calls = [
        requests.get(f"{srv.url}/ioc/v1/cameras", headers=headers, timeout=5),
        requests.get(f"{srv.url}/ioc/v1/events", headers=headers, timeout=5),
        requests.get(f"{srv.url}/ioc/v1/camera-status", headers=headers, timeout=5),
        requests.post(f"{srv.url}/ISAPI/ContentMgmt/eventSearch", data=b"<x/>", headers=headers, timeout=5),
        requests.get(f"{srv.url}/paht/chuyenmuc", headers=headers, timeout=5),
        requests.get(f"{srv.url}/paht/donvi", headers=headers, timeout=5),
        requests.post(f"{srv.url}/paht/theodonvi", json={}, headers=headers, timeout=5),
    ]
    for answer in calls:
        assert answer.status_code == 401 and answer.json() == {"error": "invalid token"}


def test_lists(srv: IocServer, ioc: GeneratedIoc) -> None:
    cameras = requests.get(f"{srv.url}/ioc/v1/cameras", headers=HEADERS, timeout=5).json()
    assert cameras == ioc.cameras and {c["vendor"] for c in cameras} == {"frigate", "hikvision"}
    categories = requests.get(f"{srv.url}/paht/chuyenmuc", headers=HEADERS, timeout=5).json()["data"]
    assert {c["MucDoKhan"] for c in categories} == {"khan_cap", "cao", "thuong"}
    agencies = requests.get(f"{srv.url}/paht/donvi", headers=HEADERS, timeout=5).json()["data"]
    assert agencies and set(agencies[0]) == {"UniqueCode", "OrganizationName"}


def test_keyset_paging_of_events(srv: IocServer, ioc: GeneratedIoc) -> None:
    keys = _all_keys(ioc)
    everything = [orjson.loads(m) for m in _all(ioc, "events")]
    first, last = local_day_start(START), local_day_start(END)
    # none: a window before the first day
    assert _pull(srv.url, 50, first - 7200, first) == ([], 1)
    # one: a window around one message
    one, _ = _pull(srv.url, 50, keys[10][0], math.nextafter(keys[10][0], math.inf))
    assert [(m["after"]["frame_time"], m["after"]["id"]) for m in one] == [keys[10]]
    # exactly one page: a full page, then an empty one
    page, calls = _pull(srv.url, 40, keys[100][0], keys[140][0])
    assert page == everything[100:140] and calls == 2
    # many pages over the whole span, none lost, none repeated
    many, calls = _pull(srv.url, 500, first, last)
    assert many == everything and calls == len(everything) // 500 + 1
    assert len({(m["after"]["frame_time"], m["after"]["id"]) for m in many}) == len(many)
    # `after` alone is inclusive, `before` exclusive
    inclusive = _events(srv.url, after=repr(keys[5][0]), before=repr(keys[8][0]), limit=10).json()
    assert [(m["after"]["frame_time"], m["after"]["id"]) for m in inclusive] == keys[5:8]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "501"},
        {"limit": "0"},
        {"limit": "x"},
        {"after": "yesterday"},
        {"after": "1e20"},
        {"after_id": "abc"},
    ],
)
def test_bad_event_requests_get_400(srv: IocServer, params: dict) -> None:
    answer = _events(srv.url, **params)
    assert answer.status_code == 400 and "error" in answer.json()


def test_hikvision_search_pages(srv: IocServer, ioc: GeneratedIoc) -> None:
    day = "2025-09-02T00:00:00+07:00", "2025-09-03T00:00:00+07:00"
    expected = ioc.part(date(2025, 9, 2), "alerts").records
    pages, position, statuses = [], 0, []
    while True:
        answer = _search(srv.url, *day, 200, position)
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/xml"
        root = ET.fromstring(answer.content)
        assert root.tag == f"{NS}EventSearchResult" and root.findtext(f"{NS}searchID") == "s-1"
        statuses.append(root.findtext(f"{NS}responseStatusStrg"))
        assert int(root.findtext(f"{NS}totalMatches") or -1) == len(expected)
        matched = root.find(f"{NS}matchList")
        assert matched is not None and int(root.findtext(f"{NS}numOfMatches") or -1) == len(matched)
        pages += [_canonical(alert) for alert in matched]
        position += len(matched)
        if statuses[-1] != "MORE":
            break
    assert statuses == ["MORE"] * (len(expected) // 200) + ["OK"]
    assert len(pages) == len(expected) == position
    assert pages == [_canonical(ET.fromstring(alert)) for alert in expected]
    past = ET.fromstring(_search(srv.url, *day, 200, position).content)
    assert (
        past.findtext(f"{NS}responseStatusStrg") == "NO MATCHES" and past.findtext(f"{NS}numOfMatches") == "0"
    )
    empty = ET.fromstring(
        _search(srv.url, "2025-08-01T00:00:00+07:00", "2025-08-02T00:00:00+07:00", 10, 0).content
    )
    assert (
        empty.findtext(f"{NS}responseStatusStrg") == "NO MATCHES"
        and empty.findtext(f"{NS}totalMatches") == "0"
    )
    # the same window in UTC gives the same alerts
    utc = ET.fromstring(_search(srv.url, "2025-09-01T17:00:00Z", "2025-09-02T17:00:00Z", 10, 0).content)
    assert utc.findtext(f"{NS}totalMatches") == str(len(expected))
    too_big = _search(srv.url, *day, 501, 0)
    assert too_big.status_code == 400 and b"badParameters" in too_big.content


def _canonical(alert: ET.Element) -> bytes:
    alert.tail = None
    return ET.tostring(alert)


def test_status_paging(srv: IocServer, ioc: GeneratedIoc) -> None:
    expected = [orjson.loads(t) for t in _all(ioc, "status")]
    window = {"after": local_day_start(START), "before": local_day_start(END)}
    pages, offset = [], 0
    while True:
        answer = _status(srv.url, limit=37, offset=offset, **window).json()
        assert answer["total"] == len(expected)
        if not answer["transitions"]:
            break
        pages += answer["transitions"]
        offset += 37
    assert pages == expected and [(t["at"], t["camera_id"]) for t in pages] == sorted(
        (t["at"], t["camera_id"]) for t in pages
    )
    assert _status(srv.url, limit=501).status_code == 400
    assert _status(srv.url, offset=-1).status_code == 400


def test_reports_paging(srv: IocServer, ioc: GeneratedIoc) -> None:
    records = [orjson.loads(r) for r in _all(ioc, "reports")]
    agency = max(
        {r["MaDinhDanh"] for r in records}, key=lambda code: sum(r["MaDinhDanh"] == code for r in records)
    )
    window = {"MaDinhDanh": agency, "TuNgay": "2025-09-01", "DenNgay": "2025-09-03"}
    by_state = {}
    for state in ("0", "1"):
        pages, page = [], 1
        while True:
            answer = _reports(srv.url, LoaiXuLy=state, Page=str(page), Perpage="3", **window).json()
            pages += answer["data"]
            if page * 3 >= answer["totalrow"]:
                break
            page += 1
        assert len(pages) == answer["totalrow"]
        by_state[state] = pages
    mine = [r for r in records if r["MaDinhDanh"] == agency]
    assert by_state["1"] == [r for r in mine if r["NgayTraLoi"] is not None]
    assert by_state["0"] == [r for r in mine if r["NgayTraLoi"] is None]
    assert by_state["0"] and by_state["1"]
    one_day = _reports(
        srv.url, LoaiXuLy="1", Page="1", Perpage="500", **{**window, "DenNgay": "2025-09-01"}
    ).json()
    assert all(r["NgayPhanAnh"].replace("--", "-") < "2025-09-02" for r in one_day["data"])
    assert _reports(srv.url, LoaiXuLy="1", Page="1", Perpage="501", **window).status_code == 400
    assert _reports(srv.url, LoaiXuLy="2", Page="1", Perpage="5", **window).status_code == 400
    assert _reports(srv.url, LoaiXuLy="1", **{**window, "TuNgay": "01/09/2025"}).status_code == 400


def test_transport_faults(srv: IocServer) -> None:
    srv.faults.set("latency", seconds=0.3)
    started = time.monotonic()
    assert _events(srv.url, limit=1).status_code == 200
    assert time.monotonic() - started >= 0.3
    srv.faults.set("429", seconds=2)
    answer = _events(srv.url)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"
    srv.faults.set("5xx", count=4)
    assert [_status(srv.url).status_code for _ in range(5)] == [503, 502, 500, 503, 200]
    srv.faults.set("timeout", seconds=0.2)
    with pytest.raises(requests.ConnectionError):
        _events(srv.url)
    assert requests.get(f"{srv.url}/_sim/health", timeout=5).status_code == 200
    assert _events(srv.url, limit=1).status_code == 200


def test_token_expiry_is_a_no_op_with_a_static_token(srv: IocServer) -> None:
    answer = requests.post(f"{srv.url}/_sim/fault", json={"mode": "token_expiry"}, timeout=5)
    assert answer.status_code == 200 and answer.json()["faults"] == []
    assert _events(srv.url, limit=1).status_code == 200


def test_malformed_json_pages(srv: IocServer, ioc: GeneratedIoc) -> None:
    records = [orjson.loads(r) for r in _all(ioc, "reports")]
    agency = records[0]["MaDinhDanh"]
    calls = {
        "events": lambda: _events(srv.url, limit=60).json(),
        "status": lambda: _status(srv.url, limit=60).json()["transitions"],
        "reports": lambda: _reports(
            srv.url, LoaiXuLy="1", MaDinhDanh=agency, TuNgay="2025-09-01", DenNgay="2025-09-03", Perpage="60"
        ).json()["data"],
    }
    for name, call in calls.items():
        clean = call()
        srv.faults.set("malformed", rate=1.0)
        broken = call()
        assert len(broken) == len(clean) and all(b != c for b, c in zip(broken, clean, strict=True)), name
        assert any(isinstance(record, str) for record in broken), name
        assert call() == clean, "the fault is used up"
    srv.faults.set("malformed", rate=1.0)
    events = [m for m in _events(srv.url, limit=60).json() if isinstance(m, dict)]
    ways = {
        "time" if m["after"]["frame_time"] == BAD_TIME else "key" if m["after"]["id"] == "" else m["type"]
        for m in events
    }
    assert ways == {"time", "key", "X"}


def test_malformed_xml_alerts(srv: IocServer) -> None:
    day = "2025-09-02T00:00:00+07:00", "2025-09-03T00:00:00+07:00"
    clean = _search(srv.url, *day, 80, 0).content
    srv.faults.set("malformed", rate=1.0)
    broken = _search(srv.url, *day, 80, 0).content
    assert broken != clean
    lines = [line for line in broken.split(b"\n") if line.startswith(b"<EventNotificationAlert ")]
    well_formed, not_well_formed = [], 0
    for line in lines:
        try:
            well_formed.append(ET.fromstring(line))
        except ET.ParseError:
            not_well_formed += 1
    assert not_well_formed and well_formed
    ways = set()
    for alert in well_formed:
        fields = {element.tag.rsplit("}", 1)[-1]: element.text for element in alert}
        ways.add(
            "time"
            if fields["dateTime"] == BAD_TIME
            else "key"
            if fields["channelID"] is None
            else fields["eventType"]
        )
    assert ways == {"time", "key", "X"}
    assert _search(srv.url, *day, 80, 0).content == clean


def test_replay_answers_byte_identically(tmp_path: Path, ioc: GeneratedIoc) -> None:
    export_ioc(ioc, tmp_path)
    with (
        IocServer(ioc, password=TOKEN, log=False) as generated,
        IocServer(load_ioc(tmp_path), password=TOKEN, mode="files", log=False) as files,
    ):
        agency = orjson.loads(_all(ioc, "reports")[0])["MaDinhDanh"]
        calls = [
            lambda url: requests.get(f"{url}/ioc/v1/cameras", headers=HEADERS, timeout=5),
            lambda url: requests.get(f"{url}/paht/chuyenmuc", headers=HEADERS, timeout=5),
            lambda url: requests.get(f"{url}/paht/donvi", headers=HEADERS, timeout=5),
            lambda url: _events(url, limit=500),
            lambda url: _events(url, after=repr(local_day_start(date(2025, 9, 2)) - 30), limit=300),
            lambda url: _status(url, limit=500),
            lambda url: _search(url, "2025-09-01T00:00:00+07:00", "2025-09-04T00:00:00+07:00", 500, 100),
            lambda url: _reports(
                url, LoaiXuLy="1", MaDinhDanh=agency, TuNgay="2025-08-01", DenNgay="2025-09-30", Perpage="50"
            ),
            lambda url: _reports(
                url, LoaiXuLy="0", MaDinhDanh=agency, TuNgay="2025-08-01", DenNgay="2025-09-30", Perpage="50"
            ),
        ]
        for call in calls:
            a, b = call(generated.url), call(files.url)
            assert a.status_code == b.status_code == 200 and a.content == b.content
        health = requests.get(f"{files.url}/_sim/health", timeout=5).json()
        assert health["mode"] == "files" and health["clock_end"] == "2025-09-04 00:00:00"


def test_a_replay_line_without_its_key_is_served_after_the_line_before(
    tmp_path: Path, ioc: GeneratedIoc
) -> None:
    export_ioc(ioc, tmp_path)
    path = tmp_path / "events" / "2025-09-02.jsonl"
    lines = path.read_bytes().split(b"\n")
    lines.insert(3, b'{"type": "new", "after": {"camera": "CAM-46-0001"}}')
    path.write_bytes(b"\n".join(lines))
    with IocServer(load_ioc(tmp_path), password=TOKEN, mode="files", log=False) as files:
        after = orjson.loads(lines[2])["after"]
        served = _events(files.url, after=repr(after["frame_time"]), limit=3).json()
    assert served[1] == {"type": "new", "after": {"camera": "CAM-46-0001"}}
    assert served[0]["after"]["id"] == after["id"] and served[2] == orjson.loads(lines[4])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(*args: str) -> tuple[dict, bytes, str]:
    """Start `serve` with `args`, read its health and cameras, stop it with SIGTERM."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    serve = [*CLI, "serve", "--port", str(port), "--username", USER, "--password", TOKEN, *args]
    process = subprocess.Popen(serve, stderr=subprocess.PIPE, cwd=PROJECT_ROOT)
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None and time.monotonic() < deadline
            try:
                health = requests.get(f"{url}/_sim/health", timeout=1).json()
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        events = _events(url, limit=200).content
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, "SIGTERM is a clean stop"
    log = stderr.decode()
    assert f"serving on {url}" in log
    return health, events, log


def test_cli_export_then_serve_the_data_dir(tmp_path: Path) -> None:
    exported = subprocess.run(
        [*CLI, "export", "--out", str(tmp_path), *GENERATION],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert exported.returncode == 0, exported.stderr
    assert sorted(p.name for p in (tmp_path / "ioc" / "events").iterdir()) == [
        "2025-09-01.jsonl",
        "2025-09-02.jsonl",
    ]
    generated, events, _ = _serve(*GENERATION)
    replayed, replayed_events, log = _serve("--data-dir", str(tmp_path))
    assert (generated["mode"], replayed["mode"]) == ("generated", "files")
    assert replayed["counts"]["cameras"] == generated["counts"]["cameras"]
    assert events == replayed_events and events != b"[]"
    assert "GET /ioc/v1/events" in log and TOKEN not in log


def test_cli_serves_an_empty_ioc_when_the_folder_is_missing(tmp_path: Path) -> None:
    health, events, log = _serve("--data-dir", str(tmp_path))
    assert health["counts"]["cameras"] == 0 and events == b"[]"
    assert [line for line in log.splitlines() if "warning" in line] == [
        f"sandbox: warning: {tmp_path / 'ioc'} is missing: serving an empty IOC"
    ]


def test_cli_rejects_bad_arguments(tmp_path: Path) -> None:
    serve = [*CLI, "serve", "--port", "0", "--username", "u", "--password", "p"]
    for args in (["--data-dir", str(tmp_path), "--seed", "1"], ["--seed", "1", "--scale", "1"]):
        result = subprocess.run([*serve, *args], capture_output=True, text=True, cwd=PROJECT_ROOT)
        assert result.returncode == 2 and "--data-dir" in result.stderr
    bad_date = subprocess.run(
        [*serve, *GENERATION[:-1], "2025-13-01"], capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    assert bad_date.returncode == 2 and "usage:" in bad_date.stderr
    export = subprocess.run(
        [*CLI, "export", "--out", str(tmp_path), "--seed", "1"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert export.returncode == 2 and "usage:" in export.stderr
