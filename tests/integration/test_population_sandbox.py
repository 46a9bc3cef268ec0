"""The population database sandbox over real sockets: the OAuth2 token (issue, refuse, expiry by
time and by calls), the rate limit, opmon paging through `nextRecordsFrom` and the clamp at
now − 61 s, the statistics (XML in JSON, both namespaces, revisions, error codes), the one-stop
lookups in the log, every fault mode, replay byte-identical, the command line."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from ingestion.sandbox.generator import generate_province
from ingestion.sandbox.population.generator import GeneratedPopulation, generate_population
from ingestion.sandbox.population.replay import export_population, load_population
from ingestion.sandbox.population.server import PopulationServer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "ingestion.sandbox.population"]
CLIENT, SECRET = "dtimon", "s3cret"
SEED, SCALE = 5, 0.05
START, END = date(2025, 6, 29), date(2025, 7, 3)
LATER = datetime(2026, 1, 1)  # long after the span: everything is available
GENERATION = ("--seed", "4", "--scale", "0.02", "--start", "2025-09-01", "--end", "2025-09-03")
SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"
MIC, GTEL = "{http://www.mic.gov.vn/dancu/1.0}", "{http://gtel.vn/qldc}"


class Clock:
    def __init__(self) -> None:
        self.now = LATER

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def population() -> GeneratedPopulation:
    return generate_population(SEED, SCALE, START, END)


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def server(population: GeneratedPopulation, clock: Clock) -> Iterator[PopulationServer]:
    with PopulationServer(
        population, username=CLIENT, password=SECRET, rate=None, now=clock, log=False
    ) as srv:
        yield srv


@pytest.fixture
def srv(server: PopulationServer, clock: Clock) -> Iterator[PopulationServer]:
    server.faults.clear()
    clock.now = LATER
    yield server
    server.faults.clear()
    clock.now = LATER


def _token(
    url: str, auth: tuple[str, str] = (CLIENT, SECRET), grant: str = "client_credentials"
) -> requests.Response:
    return requests.post(f"{url}/token", data={"grant_type": grant}, auth=auth, timeout=5)


def _bearer(url: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(url).json()['access_token']}"}


def _epoch(moment: datetime) -> int:
    return int((moment - timedelta(hours=7) - datetime(1970, 1, 1)).total_seconds())


SPAN = (_epoch(datetime(2025, 6, 29)), _epoch(datetime(2025, 7, 3)))


def _records(url: str, headers: dict, **params: Any) -> requests.Response:
    return requests.get(f"{url}/opmon/v1/records", params=params, headers=headers, timeout=5)


def _pull(url: str, headers: dict, first: int, last: int, limit: int) -> tuple[list[dict], int]:
    """Every record of [first, last] through nextRecordsFrom, deduped on (messageId, client,
    requestInTs): (records, pages)."""
    got: dict[tuple, dict] = {}
    pages = 0
    while True:
        pages += 1
        page = _records(url, headers, recordsFrom=first, recordsTo=last, limit=limit).json()
        assert page["recordsCount"] == len(page["records"]) <= limit
        for record in page["records"]:
            got.setdefault((record["messageId"], record["clientMemberCode"], record["requestInTs"]), record)
        if page["nextRecordsFrom"] is None or page["nextRecordsFrom"] > last:
            return sorted(got.values(), key=_order), pages
        assert page["nextRecordsFrom"] > first or page["recordsCount"] < limit, "paging progresses"
        first = page["nextRecordsFrom"]


def _order(record: dict) -> tuple:
    return (
        record["monitoringDataTs"],
        record["requestInTs"],
        record["messageId"],
        record["clientMemberCode"],
    )


def _all(population: GeneratedPopulation) -> list[dict]:
    return [orjson.loads(r) for day in population.days() for r in population.part(day, "opmon").records]


def _statistics(url: str, headers: dict, body: Any) -> requests.Response:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return requests.post(f"{url}/apiCSDLDanCu/ThongKeDanCu", data=data, headers=headers, timeout=5)


def _ask(month: str, province: str = "46") -> dict[str, str]:
    return {"MaYeuCau": f"DTIMON_TK_{month}", "MaTinh": province, "Thang": month}


# --- health, token, rate --------------------------------------------------------------------


def test_health_is_open_and_fast_and_generates_no_dossiers() -> None:
    population = generate_population(SEED, 1.0, date(2025, 6, 3), date(2025, 10, 1))
    with PopulationServer(population, username=CLIENT, password=SECRET, log=False) as srv:
        started = time.monotonic()
        health = requests.get(f"{srv.url}/_sim/health", timeout=5).json()
        assert time.monotonic() - started < 0.5
    assert health["status"] == "ok" and health["mode"] == "generated" and health["province"] == "46"
    assert health["counts"]["dossier_lookups"] == -1 and health["counts"]["parts_built"] == 0
    assert (health["start"], health["clock_end"]) == ("2025-06-03", "2025-10-01")


def test_the_token_is_issued_to_the_client_only(srv: PopulationServer) -> None:
    answer = _token(srv.url)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert len(body["access_token"]) == 36 and body["access_token"].count("-") == 4  # a UUID
    refused = _token(srv.url, auth=(CLIENT, "wrong"))
    assert refused.status_code == 401 and refused.json() == {"error": "invalid_client"}
    no_auth = requests.post(f"{srv.url}/token", data={"grant_type": "client_credentials"}, timeout=5)
    assert no_auth.status_code == 401
    grant = _token(srv.url, grant="password")
    assert grant.status_code == 400 and grant.json() == {"error": "unsupported_grant_type"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer 00000000-0000-4000-8000-000000000000"}])
def test_every_endpoint_needs_a_valid_bearer_token(srv: PopulationServer, headers: dict) -> None:
    calls = [
        _records(srv.url, headers, recordsFrom=SPAN[0], recordsTo=SPAN[1]),
        _statistics(srv.url, headers, _ask("202507")),
    ]
    for answer in calls:
        assert answer.status_code == 401 and answer.json() == {"error": "invalid_token"}
        assert answer.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_a_token_expires_after_its_time_to_live(population: GeneratedPopulation) -> None:
    with PopulationServer(population, username=CLIENT, password=SECRET, token_ttl=0.4, log=False) as srv:
        headers = _bearer(srv.url)
        assert _statistics(srv.url, headers, _ask("202507")).status_code == 200
        time.sleep(0.5)
        assert _statistics(srv.url, headers, _ask("202507")).status_code == 401
        assert _statistics(srv.url, _bearer(srv.url), _ask("202507")).status_code == 200


def test_a_token_is_revoked_after_token_calls(population: GeneratedPopulation) -> None:
    with PopulationServer(population, username=CLIENT, password=SECRET, token_calls=3, log=False) as srv:
        headers = _bearer(srv.url)
        answers = [_statistics(srv.url, headers, _ask("202507")).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 401], "expired in the middle of a pull: log in again"
        assert _statistics(srv.url, _bearer(srv.url), _ask("202507")).status_code == 200


def test_above_the_rate_the_answer_is_429_with_retry_after(population: GeneratedPopulation) -> None:
    with PopulationServer(population, username=CLIENT, password=SECRET, rate=5, log=False) as srv:
        headers = _bearer(srv.url)
        with requests.Session() as session:
            answers = [
                session.post(
                    f"{srv.url}/apiCSDLDanCu/ThongKeDanCu", json=_ask("202507"), headers=headers, timeout=5
                )
                for _ in range(8)
            ]
        limited = [a for a in answers if a.status_code == 429]
        assert limited and [a.status_code for a in answers[:5]] == [200] * 5
        assert all(
            int(a.headers["Retry-After"]) >= 1 and a.json() == {"error": "rate_limited"} for a in limited
        )
        time.sleep(1.05)
        assert _statistics(srv.url, headers, _ask("202507")).status_code == 200, "after Retry-After"


# --- operational monitoring -----------------------------------------------------------------


def test_paging_serves_every_record_once(srv: PopulationServer, population: GeneratedPopulation) -> None:
    headers = _bearer(srv.url)
    everything = _all(population)
    # no page: before the span
    empty = _records(srv.url, headers, recordsFrom=SPAN[0] - 7200, recordsTo=SPAN[0] - 1).json()
    assert empty == {"recordsCount": 0, "records": [], "nextRecordsFrom": None}
    # one page
    one, pages = _pull(srv.url, headers, *SPAN, limit=10_000)
    assert pages == 1 and one == everything
    # many pages (a page may cut a second: its rest comes again and is deduped)
    many, pages = _pull(srv.url, headers, *SPAN, limit=23)
    assert pages > len(everything) // 23 and many == everything
    # a window: monitoringDataTs in [first, last], both inclusive
    first, last = everything[40]["monitoringDataTs"], everything[90]["monitoringDataTs"]
    window, _ = _pull(srv.url, headers, first, last, limit=20)
    assert window == [r for r in everything if first <= r["monitoringDataTs"] <= last]


def test_a_cut_page_points_at_the_first_record_not_served(
    srv: PopulationServer, population: GeneratedPopulation
) -> None:
    headers = _bearer(srv.url)
    everything = _all(population)
    page = _records(srv.url, headers, recordsFrom=SPAN[0], recordsTo=SPAN[1], limit=10).json()
    assert page["records"] == everything[:10]
    assert page["nextRecordsFrom"] == everything[10]["monitoringDataTs"]


def test_the_last_minute_is_never_served(
    srv: PopulationServer, population: GeneratedPopulation, clock: Clock
) -> None:
    headers = _bearer(srv.url)
    everything = _all(population)
    middle = everything[len(everything) // 2]
    now = middle["monitoringDataTs"] + 61
    clock.now = datetime(1970, 1, 1) + timedelta(hours=7, seconds=now)
    page = _records(srv.url, headers, recordsFrom=SPAN[0], recordsTo=SPAN[1], limit=10_000).json()
    assert page["records"] == [r for r in everything if r["monitoringDataTs"] <= now - 61]
    assert page["records"][-1]["monitoringDataTs"] == now - 61
    assert page["nextRecordsFrom"] == now - 61 + 1, "recordsTo was moved back: the next pull starts after it"
    later = _records(srv.url, headers, recordsFrom=now - 60, recordsTo=now + 3600).json()
    assert later == {"recordsCount": 0, "records": [], "nextRecordsFrom": now - 60}


def test_the_client_filter(srv: PopulationServer, population: GeneratedPopulation) -> None:
    headers = _bearer(srv.url)
    everything = _all(population)
    member = everything[0]["clientMemberCode"]
    page = _records(
        srv.url, headers, recordsFrom=SPAN[0], recordsTo=SPAN[1], limit=10_000, client=f"VN/GOV/{member}/DVC"
    )
    expected = [r for r in everything if (r["clientMemberCode"], r["clientSubsystemCode"]) == (member, "DVC")]
    assert page.json()["records"] == expected and expected
    whole = _records(
        srv.url, headers, recordsFrom=SPAN[0], recordsTo=SPAN[1], limit=10_000, client=f"VN/GOV/{member}"
    )
    assert whole.json()["records"] == [r for r in everything if r["clientMemberCode"] == member]


@pytest.mark.parametrize(
    "params",
    [
        {"recordsTo": 10},
        {"recordsFrom": "x", "recordsTo": 10},
        {"recordsFrom": 1.5, "recordsTo": 10},
        {"recordsFrom": 20, "recordsTo": 10},
        {"recordsFrom": 1, "recordsTo": 10, "limit": 0},
        {"recordsFrom": 1, "recordsTo": 10, "limit": 10_001},
        {"recordsFrom": 1, "recordsTo": 10, "client": "VN/GOV"},
    ],
)
def test_bad_parameters_are_a_400(srv: PopulationServer, params: dict) -> None:
    answer = _records(srv.url, _bearer(srv.url), **params)
    assert answer.status_code == 400 and set(answer.json()) == {"error"}


def test_every_one_stop_lookup_is_in_the_log_with_its_agency(srv: PopulationServer) -> None:
    province = generate_province(SEED, SCALE, START, END)
    codes = {a["TENDONVI"]: a["MADONVI"] for a in province.agencies}
    lookups = {
        (entry["MaYeuCau"], codes[version["DonViXuLy"]])
        for version in province.dossiers
        for entry in version["DSKetNoiCSDL"]
        if entry["MaCSDL"] == "1"
    }
    logged, _ = _pull(srv.url, _bearer(srv.url), *SPAN, limit=10_000)
    found = lookups & {
        (r["messageId"], r["clientMemberCode"]) for r in logged if r["clientSubsystemCode"] == "DVC"
    }
    assert len(lookups) >= 20 and len(found) >= 0.85 * len(lookups)


# --- statistics -----------------------------------------------------------------------------


def _figures(answer: requests.Response) -> list[tuple[str, dict[str, str]]]:
    """(namespace, {local name: text}) of every ThongKe of an answer: the XML parsed out of JSON."""
    assert answer.status_code == 200
    body = answer.json()
    assert body["error_code"] == "0" and isinstance(body["message"], str)
    root = ET.fromstring(body["message"])
    assert root.tag == f"{SOAP}Envelope"
    response = root.find(f"{SOAP}Body")[0]  # type: ignore[index]
    assert response.tag == f"{MIC}ThongKeDanCuResponse"
    found = []
    for element in response:
        namespace, local = element.tag[1:].split("}")
        assert local == "ThongKe"
        found.append((namespace, {child.tag.split("}")[1]: child.text or "" for child in element}))
    return found


def test_statistics_are_xml_in_json_in_both_namespaces(
    srv: PopulationServer, population: GeneratedPopulation
) -> None:
    headers = _bearer(srv.url)
    june = _figures(_statistics(srv.url, headers, _ask("202506")))
    july = _figures(_statistics(srv.url, headers, _ask("202507")))
    namespaces = {namespace for namespace, _ in june + july}
    assert namespaces == {MIC[1:-1], GTEL[1:-1]}
    assert [f["MaXa"] for _, f in june] == sorted({f["MaXa"] for f in population.figures("202506")})
    assert [f["MaXa"] for _, f in july] == sorted({f["MaXa"] for f in population.figures("202507")})
    for _, figure in june:
        assert set(figure) == {"MaXa", "Thang", "SoDanCu", "SoTaiKhoanMuc1", "SoTaiKhoanMuc2", "NgayCapNhat"}
        assert figure["Thang"] == "202506" and figure["NgayCapNhat"] == "20250630230000"
    assert {f["NgayCapNhat"] for _, f in july} == {"20250702000000"}, "as of the last day before --end"


def test_the_month_of_the_clock_is_as_of_its_last_midnight(srv: PopulationServer, clock: Clock) -> None:
    headers = _bearer(srv.url)
    clock.now = datetime(2025, 7, 1, 9, 30)
    assert {f["NgayCapNhat"] for _, f in _figures(_statistics(srv.url, headers, _ask("202507")))} == {
        "20250701000000"
    }
    clock.now = datetime(2025, 6, 30, 22, 59)
    assert {f["NgayCapNhat"] for _, f in _figures(_statistics(srv.url, headers, _ask("202506")))} == {
        "20250630000000"
    }
    clock.now = datetime(2025, 6, 30, 23, 0)
    assert {f["NgayCapNhat"] for _, f in _figures(_statistics(srv.url, headers, _ask("202506")))} == {
        "20250630230000"
    }
    no_july = _statistics(srv.url, headers, _ask("202507"))
    assert no_july.json() == {"error_code": "201", "message": "RECORD_NOT_FOUND"}, "a month after the clock"


def test_a_revision_replaces_the_figure_once_published() -> None:
    population = generate_population(SEED, SCALE, date(2025, 4, 1), date(2025, 9, 1))
    revision = next(
        f
        for month in population.months()
        for f in population.figures(month)
        if not f["NgayCapNhat"].endswith(("000000", "230000"))  # published at midnight or 23:00
    )
    published = datetime.strptime(revision["NgayCapNhat"], "%Y%m%d%H%M%S")
    clock = Clock()
    with PopulationServer(population, username=CLIENT, password=SECRET, now=clock, log=False) as srv:
        headers = _bearer(srv.url)
        shown = {}
        for moment in (published - timedelta(seconds=1), published):
            clock.now = moment
            figures = _figures(_statistics(srv.url, headers, _ask(revision["Thang"])))
            shown[moment] = next(f for _, f in figures if f["MaXa"] == revision["MaXa"])
    before, after = shown.values()
    assert before["NgayCapNhat"].endswith("230000") and after["NgayCapNhat"] == revision["NgayCapNhat"]
    assert after["SoDanCu"] == str(revision["SoDanCu"]) and before != after


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (_ask("202507", province="48"), ("108", "PROVINCE_ID_INCORRECT")),
        (_ask("202505"), ("201", "RECORD_NOT_FOUND")),  # before --start
        (_ask("202508"), ("201", "RECORD_NOT_FOUND")),  # after --end
        (b"not json", ("500", "DATA_INCORRECT")),
        ([1, 2], ("500", "DATA_INCORRECT")),
        ({"MaYeuCau": "X", "MaTinh": "46"}, ("500", "DATA_INCORRECT")),
        ({"MaYeuCau": "X", "Thang": "202505"}, ("201", "RECORD_NOT_FOUND")),  # MaTinh left out: its own
        (_ask("202513"), ("500", "DATA_INCORRECT")),
        ({**_ask("202507"), "MaYeuCau": ""}, ("500", "DATA_INCORRECT")),
    ],
)
def test_statistics_errors_are_lgsp_codes_with_http_200(
    srv: PopulationServer, body: Any, expected: tuple
) -> None:
    answer = _statistics(srv.url, _bearer(srv.url), body)
    assert answer.status_code == 200 and answer.json() == {"error_code": expected[0], "message": expected[1]}


# --- faults ---------------------------------------------------------------------------------


def test_transport_faults(srv: PopulationServer) -> None:
    headers = _bearer(srv.url)
    requests.post(f"{srv.url}/_sim/fault", json={"mode": "5xx", "count": 2}, timeout=5)
    assert [_statistics(srv.url, headers, _ask("202507")).status_code for _ in range(3)] == [503, 502, 200]
    srv.faults.set("429", seconds=2)
    limited = _statistics(srv.url, headers, _ask("202507"))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert limited.json() == {"error": "rate_limited"}
    srv.faults.set("latency", seconds=0.3)
    started = time.monotonic()
    assert _statistics(srv.url, headers, _ask("202507")).status_code == 200
    assert time.monotonic() - started >= 0.3
    srv.faults.set("timeout", seconds=0.1)
    with pytest.raises(requests.ConnectionError):
        _statistics(srv.url, headers, _ask("202507"))
    srv.faults.set("token_expiry")
    assert _statistics(srv.url, headers, _ask("202507")).status_code == 401


def test_malformed_records_break_the_schema(srv: PopulationServer, population: GeneratedPopulation) -> None:
    headers = _bearer(srv.url)
    everything = _all(population)
    srv.faults.set("malformed", count=1, rate=0.5)
    page = _records(srv.url, headers, recordsFrom=SPAN[0], recordsTo=SPAN[1], limit=200).json()
    records = page["records"]
    assert page["recordsCount"] == 200 and records != everything[:200]
    broken = [r for r in records if not isinstance(r, dict) or r not in everything]
    assert len(broken) == 100
    kinds = set()
    for record in broken:
        if isinstance(record, str):
            kinds.add("string")
        elif "messageId" not in record:
            kinds.add("no messageId")
        elif isinstance(record["requestInTs"], str):
            assert record["requestInTs"].endswith(" ms")
            kinds.add("ms as text")
        else:
            assert record["succeeded"] == "X"
            kinds.add("succeeded")
    assert kinds == {"string", "no messageId", "ms as text", "succeeded"}
    assert (
        _records(srv.url, headers, recordsFrom=SPAN[0], recordsTo=SPAN[1], limit=200).json()["records"]
        == everything[:200]
    )


# --- replay and the command line ------------------------------------------------------------


def test_export_then_replay_is_byte_identical(tmp_path: Path, population: GeneratedPopulation) -> None:
    export_population(population, tmp_path / "population")
    replayed = load_population(tmp_path / "population")
    answers = []
    for served in (population, replayed):
        with PopulationServer(
            served, username=CLIENT, password=SECRET, rate=None, now=LATER, log=False
        ) as srv:
            headers = _bearer(srv.url)
            got = [_records(srv.url, headers, recordsFrom=SPAN[0], recordsTo=SPAN[1], limit=37).content]
            got.append(
                _records(srv.url, headers, recordsFrom=SPAN[0], recordsTo=SPAN[1], limit=10_000).content
            )
            got += [
                _statistics(srv.url, headers, _ask(month)).content for month in ("202506", "202507", "202508")
            ]
            got.append(_statistics(srv.url, headers, _ask("202507", province="01")).content)
            answers.append(got)
    assert answers[0] == answers[1]
    assert (replayed.start, replayed.end, replayed.province_code) == (START, END, "46")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(*args: str) -> tuple[dict, bytes, str]:
    """Start `serve` with `args`, read its health and a statistics answer, stop it with SIGTERM."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    serve = [*CLI, "serve", "--port", str(port), "--username", CLIENT, "--password", SECRET, *args]
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
        headers = _bearer(url)
        answer = _statistics(url, headers, _ask("202509")).content
        answer += _records(
            url, headers, recordsFrom=_epoch(datetime(2025, 9, 1)), recordsTo=_epoch(datetime(2025, 9, 3))
        ).content
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, "SIGTERM is a clean stop"
    log = stderr.decode()
    assert f"serving on {url}" in log
    return health, answer, log


def test_cli_export_then_serve_the_data_dir(tmp_path: Path) -> None:
    exported = subprocess.run(
        [*CLI, "export", "--out", str(tmp_path), *GENERATION],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert exported.returncode == 0, exported.stderr
    assert sorted(p.name for p in (tmp_path / "population" / "opmon").iterdir()) == [
        "2025-09-01.jsonl",
        "2025-09-02.jsonl",
    ]
    now = ("--now", "2025-12-01T00:00:00")
    generated, answer, _ = _serve(*GENERATION, *now)
    replayed, replayed_answer, log = _serve("--data-dir", str(tmp_path), *now)
    assert (generated["mode"], replayed["mode"]) == ("generated", "files")
    assert generated["now"] == "2025-12-01T00:00:00"
    assert answer == replayed_answer and b'"error_code":"0"' in answer and b'"recordsCount":0' not in answer
    assert "GET /opmon/v1/records?recordsFrom=" in log and SECRET not in log and "Bearer" not in log


def test_cli_serves_an_empty_interface_when_the_folder_is_missing(tmp_path: Path) -> None:
    health, answer, log = _serve("--data-dir", str(tmp_path))
    assert health["counts"]["days"] == 0 and b'"error_code":"201"' in answer
    assert b'{"recordsCount":0,"records":[],"nextRecordsFrom":' in answer
    assert [line for line in log.splitlines() if "warning" in line] == [
        f"sandbox: warning: {tmp_path / 'population'} is missing: serving an empty interface"
    ]
