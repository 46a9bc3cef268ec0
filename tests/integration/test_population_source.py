"""The population database interface pulled from its sandbox through the one client and the one
loader: the call log through `nextRecordsFrom` (0, 1 and many pages) with every call once, the held
back last minute not covered, the token renewed when it expires mid-pull, 429 honoured, the
monthly figures out of the XML each answer wraps in a JSON string, calls sharing a message id kept
apart, faults met, and no officer's account in clear.

What the sandbox served is read from the sandbox itself (`part(day, "opmon")`: the records of one
local day as logged), so every count below is against its own truth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import psycopg
import pytest

from core.settings import Settings
from ingestion.declarations import spec
from ingestion.http import ApiClient, AuthError, RetryPolicy
from ingestion.localtime import VN_TZ
from ingestion.runner import ingest
from ingestion.sandbox.faults import MODES
from ingestion.sandbox.population.generator import GeneratedPopulation, generate_population
from ingestion.sandbox.population.server import PopulationServer
from ingestion.sources import SOURCES, Endpoint, Resume, Window
from ingestion.sources.population import NAME, figures_of
from ingestion.sources.population_records import Call

FAST = RetryPolicy(
    max_attempts=6,
    backoff_base=0.01,
    backoff_max=0.05,
    retry_after_max=1.1,
    read_timeout=1,
    connect_timeout=1,
)
SEED, SCALE = 7, 0.05
START, END = date(2025, 8, 25), date(2025, 9, 6)  # the sandbox's activity
DAY = datetime(2025, 9, 3, tzinfo=VN_TZ)  # a Wednesday
CLIENT, SECRET = "dtimon", "s3cret"
ORIGIN = f"population sandbox seed {SEED} scale {SCALE}"
SOURCE = SOURCES[NAME]


@pytest.fixture(scope="module")
def population() -> GeneratedPopulation:
    return generate_population(SEED, SCALE, START, END)


@pytest.fixture
def server(population: GeneratedPopulation) -> Iterator[PopulationServer]:
    with PopulationServer(population, username=CLIENT, password=SECRET, port=0, log=False, rate=None) as srv:
        yield srv


def _ingest(
    url: str,
    srv: PopulationServer,
    entity: str,
    day: datetime = DAY,
    page_size: int = 100,
    secret: str = SECRET,
) -> Any:
    return ingest(
        NAME,
        entity,
        day,
        day + timedelta(days=1),
        endpoint=Endpoint(srv.url, CLIENT, secret, origin=ORIGIN),
        settings=Settings.from_env({"DTIMON_ENV": "test", "DTIMON_PAGE_SIZE": str(page_size)}),
        warehouse_url=url,
        run_id="test",
        policy=FAST,
    )


def _rows(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


def _key(record: dict[str, Any]) -> tuple[str, str, datetime]:
    client = f"{record['clientMemberCode']}/{record['clientSubsystemCode']}"
    return record["messageId"], client, datetime.fromtimestamp(record["requestInTs"] / 1000, UTC)


def served(
    population: GeneratedPopulation, start: datetime, end: datetime
) -> list[tuple[str, str, datetime]]:
    """The keys of the calls the log holds with monitoringDataTs in [start, end)."""
    first, last = start.timestamp(), end.timestamp()
    keys = []
    day = (start - timedelta(days=1)).astimezone(VN_TZ).date()
    while day <= end.astimezone(VN_TZ).date():
        if START <= day < END:
            for raw in population.part(day, "opmon").records:
                record = orjson.loads(raw)
                if first <= record["monitoringDataTs"] < last:
                    keys.append(_key(record))
        day += timedelta(days=1)
    return keys


def stored(url: str) -> list[tuple[str, str, datetime]]:
    return [
        (message, client, at.astimezone(UTC))
        for message, client, at in _rows(
            url,
            f"select message_id, client, request_in_at from raw.{NAME}__calls",  # noqa: S608
        )
    ]


def _client(srv: PopulationServer) -> ApiClient:
    return ApiClient(srv.url, auth=SOURCE.client_auth(Endpoint(srv.url, CLIENT, SECRET)), policy=FAST)


def _fetched(srv: PopulationServer, window: Window, page_size: int, value: str | None = None) -> tuple:
    resume = Resume(value, interval=window)
    with _client(srv) as client:
        pages = list(SOURCE.entity("calls").fetch(client, resume, page_size))
        requests = client.requests_sent
    return [_key(r) for page in pages for r in page], resume, len(pages), requests


# --- the call log --------------------------------------------------------------------------------


def test_a_day_lands_as_the_log_serves_it_and_a_rerun_changes_nothing(
    warehouse_url: str, server: PopulationServer, population: GeneratedPopulation
) -> None:
    result = _ingest(warehouse_url, server, "calls")
    truth = served(population, DAY, DAY + timedelta(days=1))
    assert truth and Counter(stored(warehouse_url)) == Counter(truth)
    assert result.rows_loaded == len(truth) and result.rows_rejected == 0
    again = _ingest(warehouse_url, server, "calls")
    assert again.batch_id == result.batch_id and Counter(stored(warehouse_url)) == Counter(truth)
    (cursor,) = _rows(warehouse_url, "select cursor from ops.watermarks where source = %s", NAME)[0]
    assert int(cursor) == int((DAY + timedelta(days=1)).timestamp())  # the next pull starts at the day's end


def test_calls_sharing_a_message_id_are_kept_apart(
    warehouse_url: str, server: PopulationServer, population: GeneratedPopulation
) -> None:
    truth = served(population, datetime(2025, 8, 25, tzinfo=VN_TZ), datetime(2025, 9, 6, tzinfo=VN_TZ))
    shared = [message for message, n in Counter(m for m, _, _ in truth).items() if n > 1]
    assert shared, "the sandbox logs colliding message ids"
    day = next(
        d for d in (DAY + timedelta(days=n) for n in range(-9, 3))
        if any(m in shared for m, _, _ in served(population, d, d + timedelta(days=1)))
    )  # fmt: skip
    _ingest(warehouse_url, server, "calls", day)
    rows = stored(warehouse_url)
    assert Counter(rows) == Counter(served(population, day, day + timedelta(days=1)))
    assert any(n > 1 for n in Counter(m for m, _, _ in rows).values())


@pytest.mark.parametrize(
    ("case", "window", "page_size", "pages"),
    [
        ("empty", (datetime(2025, 9, 3, 2, 0, 1, tzinfo=VN_TZ), datetime(2025, 9, 3, 2, 0, 2, tzinfo=VN_TZ)), 100, 0),
        ("one page", (DAY.replace(hour=8), DAY.replace(hour=8, minute=20)), 1000, 1),
        ("many pages", (DAY, DAY + timedelta(days=1)), 25, None),
    ],
)  # fmt: skip
def test_paging_through_next_records_from_serves_every_call_once(
    server: PopulationServer,
    population: GeneratedPopulation,
    case: str,
    window: tuple,
    page_size: int,
    pages: Any,
) -> None:
    fetched, resume, got, _ = _fetched(server, Window(*window), page_size)
    truth = served(population, *window)
    assert set(fetched) == set(truth) and len(set(fetched)) == len(truth)  # a cut second is served again
    if pages is not None:
        assert got == pages and len(truth) == len(fetched)
    else:
        assert got > 3 and len(fetched) >= len(truth)
    assert resume.served_until == window[1] and resume.next_value == str(int(window[1].timestamp()))


def test_the_last_minute_is_held_back_and_its_day_not_covered(
    warehouse_url: str, population: GeneratedPopulation
) -> None:
    now = DAY + timedelta(days=1, seconds=30)  # 30 s after the day: its last minute not served yet
    with PopulationServer(population, username=CLIENT, password=SECRET, port=0, log=False, now=now) as srv:
        fetched, resume, _, _ = _fetched(srv, Window(DAY, DAY + timedelta(days=1)), 500)
        clamp = int(now.timestamp()) - 61
        assert resume.served_until == datetime.fromtimestamp(clamp + 1, UTC)
        assert set(fetched) == set(served(population, DAY, datetime.fromtimestamp(clamp + 1, UTC)))
        _ingest(warehouse_url, srv, "calls")
    (loaded_past,) = _rows(
        warehouse_url, "select event_time from ops.watermarks where source = %s and entity = 'calls'", NAME
    )[0]
    assert loaded_past < DAY + timedelta(days=1)  # the day is not covered until its last minute is served


def test_an_expired_token_is_renewed_twice_in_one_pull(population: GeneratedPopulation) -> None:
    with (
        PopulationServer(
            population, username=CLIENT, password=SECRET, port=0, log=False, rate=None, token_calls=3
        ) as srv,
        _client(srv) as client,
    ):
        resume = Resume(None, interval=Window(DAY, DAY + timedelta(days=1)))
        pages = list(SOURCE.entity("calls").fetch(client, resume, 20))
        assert len(pages) >= 6 and client.logins >= 3  # the token revoked after 3 calls, twice and more
    assert resume.served_until == DAY + timedelta(days=1)


def test_a_429_is_honoured_and_the_pull_goes_on(population: GeneratedPopulation) -> None:
    with PopulationServer(population, username=CLIENT, password=SECRET, port=0, log=False, rate=2) as srv:
        fetched, _, pages, requests = _fetched(srv, Window(DAY, DAY + timedelta(hours=12)), 10)
        assert set(fetched) == set(served(population, DAY, DAY + timedelta(hours=12)))
        assert requests > pages + 1  # the login and the pages, and those refused with 429 sent again


def test_a_wrong_secret_is_one_clear_error_and_nothing_is_written(
    warehouse_url: str, server: PopulationServer
) -> None:
    for entity in SOURCE.entities:
        with pytest.raises(AuthError, match="401"):
            _ingest(warehouse_url, server, entity.name, secret="wrong")
    assert _rows(warehouse_url, "select count(*) from ops.batches where status = 'succeeded'")[0][0] == 0


def _named(reason: str) -> bool:
    fields = {field.name for field in spec(Call)}
    head = reason.split(":")[0].split("=")[0].split()[0]
    return head in fields or reason.startswith("record is not a JSON object")


@pytest.mark.parametrize("mode", MODES)
def test_after_a_fault_every_call_is_in_raw_once_or_a_reject(
    warehouse_url: str, server: PopulationServer, population: GeneratedPopulation, mode: str
) -> None:
    if mode == "malformed":
        server.faults.set(mode, count=10_000, rate=0.05)
    else:
        server.faults.set(mode, count=2 if mode in ("5xx", "429") else 1, seconds=0.05)
    result = _ingest(warehouse_url, server, "calls")
    truth, rows = served(population, DAY, DAY + timedelta(days=1)), stored(warehouse_url)
    rejects = [r[0] for r in _rows(warehouse_url, "select reason from ops.rejects where source = %s", NAME)]
    assert not Counter(rows) - Counter(truth)  # nothing doubled, nothing invented
    assert len(rows) + len(rejects) == len(truth)  # nothing lost
    assert (result.rows_loaded, result.rows_rejected) == (len(rows), len(rejects))
    assert all(_named(reason) for reason in rejects), rejects
    assert bool(rejects) == (mode == "malformed")


def test_no_officer_account_lands_in_clear(
    warehouse_url: str, server: PopulationServer, population: GeneratedPopulation
) -> None:
    _ingest(warehouse_url, server, "calls")
    officers = {
        orjson.loads(raw)["messageUserId"] for raw in population.part(DAY.date(), "opmon").records
    } - {""}
    assert officers
    stored_text = " ".join(r[0] for r in _rows(warehouse_url, f"select record::text from raw.{NAME}__calls"))  # noqa: S608
    assert not [officer for officer in officers if officer in stored_text]


# --- the monthly figures -------------------------------------------------------------------------


def test_the_figures_are_read_from_the_xml_in_either_namespace(
    warehouse_url: str, server: PopulationServer, population: GeneratedPopulation
) -> None:
    result = _ingest(warehouse_url, server, "figures")
    rows = _rows(warehouse_url, f"select month, commune_code, record from raw.{NAME}__figures")  # noqa: S608
    months = {month for month, _, _ in rows}
    assert months == {"202508", "202509"} and result.rows_rejected == 0  # the window moved back 45 days
    newest = {f["MaXa"]: f for f in population.figures("202509")}  # in NgayCapNhat order: the last wins
    september = {commune: record for month, commune, record in rows if month == "202509"}
    assert september.keys() == newest.keys()
    assert {c: r["SoTaiKhoanMuc2"] for c, r in september.items()} == {
        c: str(f["SoTaiKhoanMuc2"]) for c, f in newest.items()
    }
    again = _ingest(warehouse_url, server, "figures", DAY + timedelta(days=1))
    assert again.rows_loaded == 0  # the same versions, stored once


def test_figures_of_reads_local_names_of_both_vendors() -> None:
    message = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
        '<ns1:ThongKeDanCuResponse xmlns:ns1="http://www.mic.gov.vn/dancu/1.0">'
        "<ns1:ThongKe><ns1:MaXa>19753</ns1:MaXa><ns1:Thang>202509</ns1:Thang><ns1:SoDanCu>10</ns1:SoDanCu>"
        "<ns1:SoTaiKhoanMuc1>1</ns1:SoTaiKhoanMuc1><ns1:SoTaiKhoanMuc2>5</ns1:SoTaiKhoanMuc2>"
        "<ns1:NgayCapNhat>20250930230000</ns1:NgayCapNhat></ns1:ThongKe>"
        '<qldc:ThongKe xmlns:qldc="http://gtel.vn/qldc"><qldc:MaXa>19774</qldc:MaXa></qldc:ThongKe>'
        "</ns1:ThongKeDanCuResponse></soapenv:Body></soapenv:Envelope>"
    )
    assert figures_of(message, "202509") == [
        {
            "MaXa": "19753",
            "Thang": "202509",
            "SoDanCu": "10",
            "SoTaiKhoanMuc1": "1",
            "SoTaiKhoanMuc2": "5",
            "NgayCapNhat": "20250930230000",
        },
        {"MaXa": "19774"},
    ]
