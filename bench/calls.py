"""The population database interface's call log: the loader against `COPY FROM STDIN`, in interleaved rounds.

`python -m bench.calls` runs it alone; `make bench` (`python -m bench`) runs it after the document
packages and writes its figures into the same results files (`population_calls`,
`population_calls_loader_vs_copy_limit`).

Records: the operational-monitoring log of the sandbox's generated population interface
(`generate_population`, the bench's seed and scale, `DAYS` days from `FIRST_DAY`), each record
kept as the exact JSON bytes the log serves, in served order. The ways, every one once a round
in the same order:

- `copy_stdin`: `COPY raw.population__calls … FROM STDIN` of the final rows (a file dumped once
  from a loader run, in 1 MiB blocks): the limit for any client.
- `loader`: dtimon's code path from memory — the entity's real fetch (`population._calls`:
  `GET /opmon/v1/records` paged by `recordsFrom`/`recordsTo`/`limit` and `nextRecordsFrom`, each
  answer decoded as `ApiClient.get_json` decodes it, its nulls blanked) against `MemoryLog`,
  then `ingestion.runner.parse_pages` (pseudonymisation included) and `ingestion.load.load_batch`
  (`once=True`, as the runner loads this entity).
- `fetch`: the same fetch alone, nothing parsed nor written.
- `parse`: the fetch and `parse_pages`, nothing written.
- `copy_text`: the fetch, `parse_pages` and the loader's page writer (`COPY` text, its last
  check, the duplicate filter) into memory: the loader's whole client work, nothing sent.

The ways that write are checked after every measurement to leave the same rows (count and md5
of the declared columns, `bench.harness.checksum_sql`); the others to hand over every record
(`fetch`) or every row (`parse`, `copy_text`).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson
import psycopg
from psycopg import sql

from bench.harness import checksum_sql, interleaved, paired_ratios, ratio, summarise
from bench.loader import (
    SEED,
    CopyText,
    Section,
    _bench_database,
    _client_cpu,
    _commit,
    _copy_columns,
    _server_root,
    _table_sql,
    server_cpu,
)
from bench.pull import PSEUDONYM_KEY
from core.settings import Settings
from ingestion.http import json_body
from ingestion.load import BatchKey, Row, _Sink, load_batch
from ingestion.localtime import VN_TZ
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.sandbox.population.generator import generate_population
from ingestion.sandbox.population.replay import OPMON
from ingestion.schema import migrate
from ingestion.sources import Entity, Window
from ingestion.sources.base import Resume
from ingestion.sources.population import RECORDS_PATH, SOURCE

ENTITY: Entity = SOURCE.entity("calls")
FIRST_DAY = date(2025, 9, 1)
#: two weeks from 1 September 2025 (its two holidays and four weekend days included): about 21,700
#: calls at scale 1.0, about 2,600 on a working day
DAYS = 14
#: the log's answers (the sandbox's server): a `limit` of 1 to 10,000, 1,000 when not asked;
#: the last 61 seconds before "now" are never served
DEFAULT_LIMIT, MAX_LIMIT, RECENT_SECONDS = 1000, 10_000, 61

WAYS = ("copy_stdin", "loader", "fetch", "parse", "copy_text")
#: what `make bench` measures: all of them (the three without a database take about a second a round)
BENCH_WAYS = WAYS
#: the target for the loader ÷ COPY FROM STDIN of the calls (the median of the paired rounds)
GOAL = 0.85
#: the ratio's name at the top level of the results, beside the loader's
RATIO = "population_calls_loader_vs_copy_limit"
WRITING = frozenset({"copy_stdin", "loader"})
LABELS = {
    "copy_stdin": "COPY FROM STDIN (client limit)",
    "loader": "dtimon loader (from memory)",
    "fetch": "the entity's fetch alone",
    "parse": "fetch + parse_pages",
    "copy_text": "fetch + parse_pages + COPY text",
}


@dataclass
class CallLog:
    """What every way reads: the log's records as served, and what the loader made of them."""

    records: list[bytes]  # each record's JSON bytes as the log serves it, in served order
    seconds: list[int]  # each record's `monitoringDataTs` (the first key of the served order)
    window: Window  # the pull's interval: the whole span, first pull (no stored cursor)
    copy_file: Path | None = None
    expected: tuple[int, str] = (0, "")  # (rows, md5) the writing ways must leave
    rejects: int = 0  # records the loader rejected (in ops.rejects, not in the table)
    served: int = 0  # records the fetch hands over: the rest of a second cut by a page comes again
    pages: int = 0  # answers the fetch asks for
    copy_bytes: int = 0  # size of the `COPY` text of the final rows
    answers: dict[tuple[int, int, int], bytes] = field(default_factory=dict)  # kept by `MemoryLog`

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def bytes(self) -> int:
        return sum(map(len, self.records))


def end_of(first: date, days: int) -> date:
    return first + timedelta(days=days)


def build_log(scale: float, days: int = DAYS, first: date = FIRST_DAY) -> CallLog:
    """The generated log of `days` days from `first`, every record as served."""
    end = end_of(first, days)
    population = generate_population(SEED, scale, first, end)
    records: list[bytes] = []
    seconds: list[int] = []
    day = first
    while day < end:
        part = population.part(day, OPMON)
        records += part.records
        seconds += [key[0] for key in part.keys]
        day += timedelta(days=1)
    window = Window(
        datetime.combine(first, datetime.min.time(), VN_TZ), datetime.combine(end, datetime.min.time(), VN_TZ)
    )
    return CallLog(records, seconds, window)


class MemoryLog:
    """Answers the calls fetch from memory as `ApiClient.get_json` answers it over HTTP: the body
    the sandbox's server builds for `GET /opmon/v1/records` (`recordsFrom`, `recordsTo` inclusive,
    `limit`; the records of [recordsFrom, min(recordsTo, now − 61)] in served order, the first
    `limit` of them; `nextRecordsFrom` the second of the first record not served, else the clamped
    `recordsTo` + 1 when the clamp moved it, else null), decoded by `ingestion.http.json_body`.

    `now` (unix seconds) is the log's clock; None: long after the span, everything is served.
    Each body is built once and kept in `answers` (by the query): the measured rounds hand out
    pages already made, as the sandbox would have sent them, and the fetch decodes each again.
    """

    max_in_flight = 1

    def __init__(
        self,
        records: list[bytes],
        seconds: list[int],
        *,
        now: int | None = None,
        answers: dict[tuple[int, int, int], bytes] | None = None,
    ) -> None:
        if len(records) != len(seconds):
            raise ValueError("a second for every record")
        self._records = records
        self._seconds = seconds
        self._newest = None if now is None else now - RECENT_SECONDS
        self.answers: dict[tuple[int, int, int], bytes] = {} if answers is None else answers
        self.asked = 0

    def body(self, params: Mapping[str, Any] | None) -> bytes:
        """The answer's bytes for these query parameters; ValueError where the log answers 400."""
        params = params or {}
        bounds = []
        for name in ("recordsFrom", "recordsTo"):
            value = params.get(name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer (unix seconds)")
            bounds.append(value)
        first, last = bounds
        if first > last:
            raise ValueError("recordsFrom is after recordsTo")
        limit = params.get("limit", DEFAULT_LIMIT)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1 to {MAX_LIMIT}")
        query = (first, last, limit)
        found = self.answers.get(query) if self._newest is None else None
        if found is not None:
            return found
        upper = last if self._newest is None else min(last, self._newest)
        low = bisect.bisect_left(self._seconds, first)
        high = max(low, bisect.bisect_right(self._seconds, upper))
        served = self._records[low : min(high, low + limit)]
        if high - low > limit:
            following: int | None = self._seconds[low + limit]
        elif upper < last:
            following = upper + 1
        else:
            following = None
        body = (
            b'{"recordsCount":%d,"records":[' % len(served)
            + b",".join(served)
            + b'],"nextRecordsFrom":'
            + (b"null" if following is None else str(following).encode())
            + b"}"
        )
        if self._newest is None:
            self.answers[query] = body
        return body

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        if path != RECORDS_PATH:
            raise ValueError(f"no answer at {path}")
        self.asked += 1
        return json_body(self.body(params), f"GET {path}")


def _client(work: CallLog) -> MemoryLog:
    return MemoryLog(work.records, work.seconds, answers=work.answers)


def fetched(work: CallLog, page_size: int, where: Resume | None = None) -> Iterator[list[Any]]:
    """The calls through the entity's real fetch, from memory, as a first pull over the window."""
    where = Resume(None, interval=work.window) if where is None else where
    return ENTITY.fetch(_client(work), where, page_size)  # type: ignore[arg-type]


def _pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(PSEUDONYM_KEY)


def _batch_key(work: CallLog) -> BatchKey:
    return BatchKey(SOURCE.name, ENTITY.name, work.window.start, work.window.end)


def _check_drained(work: CallLog, where: Resume) -> None:
    """The pull read the whole window: it says everything before the window's end was served."""
    if where.served_until != work.window.end:
        raise RuntimeError(f"the fetch stopped at {where.served_until}, not {work.window.end}")


# --- the ways -----------------------------------------------------------------------------


def way_loader(conn: psycopg.Connection, work: CallLog, page_size: int) -> int:
    where = Resume(None, interval=work.window)
    unknown: dict[Any, int] = {}
    pages = parse_pages(ENTITY, fetched(work, page_size, where), _pseudonymiser(), unknown=unknown)
    opaque = ENTITY.personal.opaque_patterns if ENTITY.personal is not None else ()
    result = load_batch(conn, ENTITY.table, _batch_key(work), pages, opaque=opaque, once=True)
    _check_drained(work, where)
    if unknown:
        raise RuntimeError(f"fields the declarations do not know: {unknown}")
    return result.rows_loaded


def way_copy_stdin(conn: psycopg.Connection, work: CallLog) -> int:
    assert work.copy_file is not None
    table = ENTITY.table
    query = sql.SQL("copy {} ({}) from stdin").format(_table_sql(table), _copy_columns(table))
    with (
        conn.transaction(),
        conn.cursor() as cur,
        cur.copy(query) as copy,
        work.copy_file.open("rb") as source,
    ):
        while block := source.read(1 << 20):
            copy.write(block)
    return work.expected[0]


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The collector off, as `load_batch` turns it off for a batch (the ways without one too)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def way_fetch(work: CallLog, page_size: int) -> int:
    """The fetch alone; the records it hands over."""
    where = Resume(None, interval=work.window)
    with _no_cyclic_gc():
        served = sum(len(page) for page in fetched(work, page_size, where))
    _check_drained(work, where)
    return served


def way_parse(work: CallLog, page_size: int) -> int:
    """The fetch and `parse_pages`; the rows made (a re-served record makes its row again)."""
    rows = 0
    with _no_cyclic_gc():
        for page in parse_pages(ENTITY, fetched(work, page_size), _pseudonymiser()):
            rows += sum(type(item) is Row for item in page)
    return rows


def way_copy_text(work: CallLog, page_size: int) -> int:
    """The loader's client work into memory (its page writer's `COPY` text, last check and
    duplicate filter); the rows written (copies of a re-served record are resolved in SQL, later)."""
    opaque = ENTITY.personal.opaque_patterns if ENTITY.personal is not None else ()
    sink = _Sink(None, sql.SQL(""), _batch_key(work), 1, with_batch_id=True, opaque=opaque)  # type: ignore[arg-type]
    sink._copy = CopyText(keep=False)
    with _no_cyclic_gc():
        for page in parse_pages(ENTITY, fetched(work, page_size), _pseudonymiser()):
            sink.write_page(page)
    return sink.written


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Measurement:
    round: int
    way: str
    items: int  # rows written (writing ways), records handed over (fetch) or rows made
    seconds: float
    client_cpu: float
    server_cpu: float


def _reset(conn: psycopg.Connection) -> None:
    conn.execute(sql.SQL("truncate {}").format(_table_sql(ENTITY.table)))
    conn.execute("truncate ops.batches, ops.watermarks, ops.rejects cascade")
    conn.execute(sql.SQL("vacuum analyze {}").format(_table_sql(ENTITY.table)))
    with contextlib.suppress(psycopg.Error):
        conn.execute("checkpoint")  # every way starts from the same clean WAL state


def _checksum(conn: psycopg.Connection) -> tuple[int, str]:
    table = ENTITY.table
    count, digest = conn.execute(checksum_sql(table.schema, table.name, table.column_names)).fetchone()
    return int(count), str(digest)


def _prepare(conn: psycopg.Connection, work: CallLog, workdir: Path, page_size: int) -> None:
    """One loader run (untimed): the answers made once, the final rows dumped as `copy_stdin`'s file."""
    client = _client(work)
    where = Resume(None, interval=work.window)
    pages = list(ENTITY.fetch(client, where, page_size))  # type: ignore[arg-type]
    _check_drained(work, where)
    work.served, work.pages = sum(map(len, pages)), client.asked
    _reset(conn)
    rows = way_loader(conn, work, page_size)
    rejects = int(conn.execute("select count(*) from ops.rejects").fetchone()[0])
    if rows + rejects != work.count:
        raise RuntimeError(f"{work.count} calls gave {rows} rows and {rejects} rejects")
    work.rejects = rejects
    work.expected = _checksum(conn)
    path = workdir / "population_calls.copy"
    query = sql.SQL("copy (select {} from {}) to stdout").format(
        _copy_columns(ENTITY.table), _table_sql(ENTITY.table)
    )
    with conn.cursor() as cur, cur.copy(query) as copy, path.open("wb") as out:
        for block in copy:
            out.write(block)
    os.chmod(path, 0o644)  # the embedded server runs as another OS user
    work.copy_file, work.copy_bytes = path, path.stat().st_size


def _measure_one(way: str, conn: psycopg.Connection, root: int, work: CallLog, page_size: int) -> Measurement:
    if way in WRITING:
        _reset(conn)
    gc.collect()
    cpu0, srv0, t0 = _client_cpu(), server_cpu(root), time.perf_counter()
    if way == "copy_stdin":
        items = way_copy_stdin(conn, work)
    elif way == "loader":
        items = way_loader(conn, work, page_size)
    elif way == "fetch":
        items = way_fetch(work, page_size)
    elif way == "parse":
        items = way_parse(work, page_size)
    elif way == "copy_text":
        items = way_copy_text(work, page_size)
    else:
        raise ValueError(f"unknown way {way!r}")
    seconds = time.perf_counter() - t0
    client, server = _client_cpu() - cpu0, server_cpu(root) - srv0
    if way in WRITING:
        left = _checksum(conn)
        if left != work.expected:
            raise RuntimeError(f"{way} left other rows than the loader: {left} != {work.expected}")
    expected = work.expected[0] if way in WRITING else work.served - (0 if way == "fetch" else work.rejects)
    if items != expected:
        raise RuntimeError(f"{way} gave {items} of {expected}")
    return Measurement(0, way, items, seconds, client, server)


def measure(
    conn: psycopg.Connection,
    work: CallLog,
    *,
    rounds: int,
    page_size: int,
    out: IO[str],
    ways: tuple[str, ...] = WAYS,
    loads: list[float] | None = None,
) -> list[Measurement]:
    """Every way once a round, in `ways`' order; `conn` on a migrated bench database. The load
    average (1 min) before each round is appended to `loads`."""
    loads = [] if loads is None else loads
    root = _server_root(conn)
    workdir = Path(tempfile.mkdtemp(prefix="dtimon-bench-calls-"))
    workdir.chmod(0o755)  # the embedded server runs as another OS user
    measurements: list[Measurement] = []
    rows = work.count
    try:
        _prepare(conn, work, workdir, page_size)
        rows = work.expected[0]
        for number, way in interleaved(ways, rounds):
            if way == ways[0]:
                load = os.getloadavg()
                out.write(f"calls round {number}: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
                loads.append(load[0])
            m = _measure_one(way, conn, root, work, page_size)
            m.round = number
            measurements.append(m)
            out.write(
                f"  {LABELS[way]:<32} {m.items:>7,} {m.seconds:>6.2f} s {rows / m.seconds:>9,.0f} rows/s "
                f"{1e6 * m.seconds / rows:>6.1f} µs a row  client {m.client_cpu:5.2f} s  server {m.server_cpu:5.2f} s\n"
            )
            out.flush()
        _reset(conn)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return measurements


def report_of(
    measurements: list[Measurement],
    work: CallLog,
    *,
    scale: float,
    days: int,
    rounds: int,
    page_size: int,
    started_at: datetime,
    loads: list[float],
) -> dict[str, Any]:
    """The section of the results (`population_calls`): per way rows/s and µs a row, and the ratio.
    Every way is counted in the final rows (the rows `copy_stdin` writes), so rates compare."""
    by_way: dict[str, list[Measurement]] = {}
    for m in measurements:
        by_way.setdefault(m.way, []).append(m)
    rows = work.expected[0]
    ways: dict[str, Any] = {}
    for way, ms in by_way.items():
        ways[way] = {
            "label": LABELS[way],
            "rows_per_s": summarise([rows / m.seconds for m in ms]).as_dict(),
            "us_per_row": summarise([1e6 * m.seconds / rows for m in ms]).as_dict(),
            "client_cpu_us_per_row": summarise([1e6 * m.client_cpu / rows for m in ms]).as_dict(),
            "server_cpu_us_per_row": summarise([1e6 * m.server_cpu / rows for m in ms]).as_dict(),
        }
    rates = {way: [rows / m.seconds for m in ms] for way, ms in by_way.items()}
    result: dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "dtimon_commit": _commit(),
        "generator": (
            f"ingestion.sandbox.population.generator.generate_population(seed={SEED}, scale={scale}, "
            f"{FIRST_DAY}, {end_of(FIRST_DAY, days)}): its opmon log"
        ),
        "records": work.count,
        "record_bytes": work.bytes,
        "served": work.served,
        "answers": work.pages,
        "rows": rows,
        "rejects": work.rejects,
        "copy_bytes_per_row": round(work.copy_bytes / max(rows, 1)),
        "checksum": {"rows": rows, "md5": work.expected[1]},
        "page_size": page_size,
        "rounds": rounds,
        "order": list(by_way),
        "goal": GOAL,
        "load_average_before_round": loads,
        "ways": ways,
        "measurements": [
            {
                "round": m.round,
                "way": m.way,
                "items": m.items,
                "seconds": round(m.seconds, 4),
                "client_cpu_s": round(m.client_cpu, 3),
                "server_cpu_s": round(m.server_cpu, 3),
            }
            for m in measurements
        ],
    }
    if "loader" in rates and "copy_stdin" in rates:
        paired = summarise(paired_ratios(rates["loader"], rates["copy_stdin"]))
        result["loader_vs_copy_limit"] = paired.median
        result["loader_vs_copy_limit_of_medians"] = ratio(
            statistics.median(rates["loader"]), statistics.median(rates["copy_stdin"])
        )
        result["paired_ratios"] = {"loader_vs_copy_limit": paired.as_dict()}
        result["meets_goal"] = paired.median >= GOAL
    return result


def run(
    *,
    scale: float,
    rounds: int,
    page_size: int,
    out: IO[str],
    days: int = DAYS,
    ways: tuple[str, ...] = WAYS,
) -> dict[str, Any]:
    """Generate the log, measure on a bench database of its own, and return the section."""
    started_at = datetime.now().astimezone()
    work = build_log(scale, days)
    gc.collect()
    out.write(
        f"population calls {started_at:%Y-%m-%d %H:%M %z}: {work.count:,} calls of {days} days, "
        f"{work.bytes / 1e6:,.1f} MB, pages of {page_size}, {rounds} interleaved rounds\n"
    )
    with _bench_database(Settings.from_env()) as url, psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        loads: list[float] = []
        measurements = measure(
            conn, work, rounds=rounds, page_size=page_size, out=out, ways=ways, loads=loads
        )
    result = report_of(
        measurements,
        work,
        scale=scale,
        days=days,
        rounds=rounds,
        page_size=page_size,
        started_at=started_at,
        loads=loads,
    )
    out.write(render_table(result))
    return result


def section(result: dict[str, Any]) -> Section:
    """The results' `population_calls` section, its ratio beside the loader's (`python -m bench`)."""
    ratios = {}
    if "paired_ratios" in result:
        p = result["paired_ratios"]["loader_vs_copy_limit"]
        label = f"population calls: loader ÷ COPY FROM STDIN (goal ≥ {GOAL})"
        ratios[RATIO] = (label, p["median"], p["min"], p["max"])
    return Section("population_calls", result, render_markdown(result), ratios)


# --- rendering ----------------------------------------------------------------------------


def _verdict(result: dict[str, Any]) -> str:
    return "goal met" if result.get("meets_goal") else "below the goal"


def render_table(result: dict[str, Any]) -> str:
    lines = [
        "",
        f"{'way':<32} {'rows/s':>9} {'min–max':>17} {'µs a row':>9} {'client µs':>10} {'server µs':>10}",
    ]
    for w in result["ways"].values():
        r = w["rows_per_s"]
        lines.append(
            f"{w['label']:<32} {r['median']:>9,.0f} {r['min']:>8,.0f}–{r['max']:<8,.0f} {w['us_per_row']['median']:>9.1f} "
            f"{w['client_cpu_us_per_row']['median']:>10.1f} {w['server_cpu_us_per_row']['median']:>10.1f}"
        )
    if "loader_vs_copy_limit" in result:
        p = result["paired_ratios"]["loader_vs_copy_limit"]
        lines.append(
            f"population calls: loader ÷ COPY FROM STDIN {result['loader_vs_copy_limit']:.3f} "
            f"(median of the rounds; {p['min']:.3f}–{p['max']:.3f}; goal ≥ {GOAL}: {_verdict(result)})"
        )
    lines += ["", ""]
    return "\n".join(lines)


def render_markdown(result: dict[str, Any]) -> str:
    """The results file's section on the population calls."""
    lines = [
        "## Population database: the call log",
        "",
        f"Records: {result['generator']}: {result['records']:,} calls, {result['record_bytes'] / 1e6:,.1f} MB "
        f"as served; pages of {result['page_size']} ({result['answers']} answers, {result['served']:,} records "
        f"handed over: a page re-serves the rest of the second it was cut in); {result['rounds']} interleaved "
        f"rounds (from {result['started_at']}, dtimon at {result['dtimon_commit']}); the writing ways left the "
        f"same {result['rows']:,} rows (md5 checked after every measurement), {result['copy_bytes_per_row']:,} "
        f"bytes a row in `COPY` text; {result['rejects']} rejected.",
        "",
        "| way | rows/s median | min–max | µs a row | client CPU µs a row | server CPU µs a row |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for w in result["ways"].values():
        r = w["rows_per_s"]
        lines.append(
            f"| {w['label']} | {r['median']:,.0f} | {r['min']:,.0f}–{r['max']:,.0f} | {w['us_per_row']['median']:.1f} | "
            f"{w['client_cpu_us_per_row']['median']:.1f} | {w['server_cpu_us_per_row']['median']:.1f} |"
        )
    lines.append("")
    if "loader_vs_copy_limit" in result:
        p = result["paired_ratios"]["loader_vs_copy_limit"]
        lines.append(
            f"Loader ÷ COPY FROM STDIN (throughput, median of the paired rounds): "
            f"**{result['loader_vs_copy_limit']:.3f}** (round by round {p['min']:.3f}–{p['max']:.3f}; "
            f"ratio of the medians {result['loader_vs_copy_limit_of_medians']:.3f}; goal ≥ {GOAL}: {_verdict(result)})."
        )
    lines += [
        "",
        "Load average (1 min) before each round: "
        + ", ".join(f"{x:.2f}" for x in result["load_average_before_round"])
        + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m bench.calls", description=__doc__)
    parser.add_argument("--scale", type=float, default=float(env.get("DTIMON_BENCH_SCALE", "1.0")))
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--rounds", type=int, default=int(env.get("DTIMON_BENCH_ROUNDS", "5")))
    parser.add_argument("--page-size", type=int, default=int(env.get("DTIMON_PAGE_SIZE", "200")))
    parser.add_argument("--ways", default=",".join(WAYS), help=f"comma-separated, of {', '.join(WAYS)}")
    parser.add_argument("--results", type=Path, help="also write <date>-calls.json and .md into this folder")
    args = parser.parse_args(argv)
    ways = tuple(w for w in args.ways.split(",") if w)
    if unknown := set(ways) - set(WAYS):
        parser.error(f"unknown ways: {', '.join(sorted(unknown))}")
    result = run(
        scale=args.scale,
        rounds=args.rounds,
        page_size=args.page_size,
        out=sys.stdout,
        days=args.days,
        ways=ways,
    )
    if args.results:
        args.results.mkdir(parents=True, exist_ok=True)
        stem = args.results / f"{result['started_at'][:10]}-calls"
        stem.with_suffix(".json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
        stem.with_suffix(".md").write_text(
            f"# Population calls, {result['started_at']}\n\n" + render_markdown(result)
        )
        sys.stdout.write(f"wrote {stem}.json and {stem}.md\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
