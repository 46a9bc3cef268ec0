"""The document exchange's packages: the loader against `COPY FROM STDIN`, in interleaved rounds.

`python -m bench.documents` runs it alone; `make bench` (`python -m bench`) runs it first and
writes its figures into the same results files (`documents`, `edoc_packages_loader_vs_copy_limit`).

Records: the `edoc` items of the sandbox's generated exchange (`generate_exchange`, the bench's
seed and scale, `MONTHS` months from `FIRST_DAY`), each package rendered once and kept as its
exact bytes. The ways, every one once a round in the same order:

- `copy_stdin`: `COPY raw.edoc__packages … FROM STDIN` of the final rows (a file dumped once
  from a loader run, in 1 MiB blocks): the limit for any client.
- `loader`: dtimon's code path from memory — the entity's real fetch (`edoc._queue`: the
  listing paged by `numbered_pages`, each package read by `ingestion.edxml.read_package` from
  64 KiB chunks, the record completed by `edoc._package` and `local_times`) against
  `MemoryExchange`, then `ingestion.runner.parse_pages` (with the acknowledgements noted, as
  the runner does for a queue) and `ingestion.load.load_batch` (`once=True`).
- `fetch`: the same fetch alone, nothing parsed nor written (read, time conversion, listing).
- `parse_only`: `read_package` alone over every package's chunks.

The ways that write are checked after every measurement to leave the same rows (count and md5
of the declared columns, `bench.harness.checksum_sql`); the others to read every package.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, TypeVar

import orjson
import psycopg
from psycopg import sql

from bench.harness import checksum_sql, interleaved, paired_ratios, ratio, summarise
from bench.loader import (
    SEED,
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
from ingestion.edxml import read_package
from ingestion.load import BatchKey, load_batch
from ingestion.localtime import VN_TZ
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.sandbox.documents.generator import generate_exchange
from ingestion.schema import migrate
from ingestion.sources import Ack, Entity, Window
from ingestion.sources.edoc import RECEIVED_PATH, SOURCE
from ingestion.sources.edoc_records import Package, list_fields

T = TypeVar("T")

ENTITY: Entity = SOURCE.entity("packages")
MESSAGE_TYPE = "edoc"
FIRST_DAY = date(2025, 9, 1)
#: six months: a few thousand packages at scale 1.0, with enough of the 1-in-200 big attachments
#: (about 15) that the share of bytes they take is near its expected value from run to run
MONTHS = 6
#: what `ApiClient.read_stream` hands the reader: `requests`' `iter_content(64 KiB)`
CHUNK = 64 * 1024
LISTS = list_fields(Package)
#: a package this big carries one of the generator's multi-megabyte attachments (1 in 200)
BIG = 1_000_000

WAYS = ("copy_stdin", "loader", "fetch", "parse_only")
#: what `make bench` measures (the fetch alone is `python -m bench.documents`'s: it adds a third of the time)
BENCH_WAYS = ("copy_stdin", "loader", "parse_only")
#: the target for the loader ÷ COPY FROM STDIN of the packages (set from the quiet run of 2026-12-08,
#: 0.053: bench/README.md says what would raise it)
GOAL = 0.05
#: the ratio's name at the top level of the results, beside the loader's
RATIO = "edoc_packages_loader_vs_copy_limit"
WRITING = frozenset({"copy_stdin", "loader"})
LABELS = {
    "copy_stdin": "COPY FROM STDIN (client limit)",
    "loader": "dtimon loader (from memory)",
    "fetch": "the entity's fetch alone",
    "parse_only": "read_package alone",
}


@dataclass
class Packages:
    """What every way reads: the queue's listing of the `edoc` items and each package's bytes."""

    listings: list[dict[str, Any]]  # in queue order, as `POST /vxp/v1/edocs/received` lists them
    bodies: dict[str, bytes]  # DocId → the package's exact bytes
    window: Window  # what the fetch drains: every item listed before its end
    copy_file: Path | None = None
    expected: tuple[int, str] = (0, "")  # (rows, md5) the writing ways must leave
    rejects: int = 0  # packages the loader rejected (in ops.rejects, not in the table)
    copy_bytes: int = 0  # size of the `COPY` text of the final rows

    @property
    def count(self) -> int:
        return len(self.listings)

    @property
    def bytes(self) -> int:
        return sum(map(len, self.bodies.values()))


def end_of(first: date, months: int) -> date:
    """The first day of the month `months` after `first`'s."""
    index = first.month - 1 + months
    return date(first.year + index // 12, index % 12 + 1, 1)


def build_packages(scale: float, months: int = MONTHS) -> Packages:
    end = end_of(FIRST_DAY, months)
    exchange = generate_exchange(SEED, scale, FIRST_DAY, end)
    listings: list[dict[str, Any]] = []
    bodies: dict[str, bytes] = {}
    for item in exchange.items:
        if item.messagetype != MESSAGE_TYPE or item.doc_id is None or item.package is None:
            continue
        listings.append(dict(item.listing))
        bodies[item.doc_id] = item.package()
    window = Window(
        datetime.combine(FIRST_DAY, datetime.min.time(), VN_TZ),
        datetime.combine(end, datetime.min.time(), VN_TZ),
    )
    return Packages(listings, bodies, window)


class MemoryExchange:
    """Answers the packages fetch from memory as `ApiClient` answers it over HTTP: `post_json` the
    queue's listing (pending items of a message type up to `toDate`, paged by `pageIndex` and
    `pageSize`, with their `total`), `read_stream` a package's bytes handed in `chunk_size` pieces.
    Nothing is acknowledged, so every listing stays pending: the fetch sees the whole queue."""

    def __init__(
        self,
        listings: list[dict[str, Any]],
        bodies: dict[str, bytes],
        *,
        max_in_flight: int = 1,
        chunk_size: int = CHUNK,
    ) -> None:
        self._listings = listings
        self._bodies = bodies
        self._pending: dict[tuple[str, str], list[dict[str, Any]]] = {}
        #: packages read at once by the fetch's pool (1: one after the other, as the loader alone)
        self.max_in_flight = max_in_flight
        self.chunk_size = chunk_size

    def post_json(self, path: str, body: Any) -> dict[str, Any]:
        if path != RECEIVED_PATH:
            raise ValueError(f"no listing at {path}")
        kind, last = str(body["messagetype"]), str(body.get("toDate") or "9999/12/31")
        pending = self._pending.get((kind, last))
        if pending is None:  # `created_time` is `yyyy/MM/dd HH:mm:ss`: its date sorts as text
            pending = [
                i for i in self._listings if i["messagetype"] == kind and i["created_time"][:10] <= last
            ]
            self._pending[(kind, last)] = pending
        number, size = int(body["pageIndex"]), int(body["pageSize"])
        if number < 1 or size < 1:
            raise ValueError(f"page {number} of {size}")
        served = pending[(number - 1) * size : number * size]
        return {"status": "OK", "ErrorDesc": "", "total": len(pending), "data": [dict(i) for i in served]}

    def read_stream(
        self,
        path: str,
        read: Callable[[Iterator[bytes]], T],
        *,
        accept: str = "",
        chunk_size: int | None = None,
    ) -> T:
        body = self._bodies[path.rstrip("/").rsplit("/", 1)[-1]]
        size = chunk_size or self.chunk_size
        return read(body[at : at + size] for at in range(0, len(body), size))


def _client(work: Packages, in_flight: int) -> Any:
    return MemoryExchange(work.listings, work.bodies, max_in_flight=in_flight)


def fetched(work: Packages, page_size: int, in_flight: int = 1) -> Iterator[list[Any]]:
    """The packages' records through the entity's real fetch, from memory."""
    return ENTITY.fetch(_client(work, in_flight), work.window, page_size)


# --- the ways -----------------------------------------------------------------------------


def way_loader(conn: psycopg.Connection, work: Packages, page_size: int, in_flight: int = 1) -> int:
    key = BatchKey(SOURCE.name, ENTITY.name, work.window.start, work.window.end)
    acks: list[Ack] = []
    pages = parse_pages(ENTITY, fetched(work, page_size, in_flight), Pseudonymiser(PSEUDONYM_KEY), acks)
    opaque = ENTITY.personal.opaque_patterns if ENTITY.personal is not None else ()
    result = load_batch(conn, ENTITY.table, key, pages, opaque=opaque, once=True)
    if len(acks) != work.count:
        raise RuntimeError(f"the loader noted {len(acks)} acknowledgements for {work.count} items")
    return result.rows_loaded


def way_copy_stdin(conn: psycopg.Connection, work: Packages) -> int:
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


def way_fetch(work: Packages, page_size: int, in_flight: int = 1) -> int:
    return sum(len(page) for page in fetched(work, page_size, in_flight))


def way_parse_only(work: Packages, big: dict[str, float] | None = None) -> int:
    """`read_package` over every package; with `big`, the seconds spent on packages over `BIG`
    bytes are added to `big["seconds"]` (to tell the attachments' share of the time)."""
    read = 0
    clock = time.perf_counter
    for listing in work.listings:
        body = work.bodies[listing["DocId"]]
        started = clock()
        read_package((body[at : at + CHUNK] for at in range(0, len(body), CHUNK)), LISTS)
        if big is not None and len(body) > BIG:
            big["seconds"] = big.get("seconds", 0.0) + clock() - started
        read += 1
    return read


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Measurement:
    round: int
    way: str
    records: int
    seconds: float
    client_cpu: float
    server_cpu: float
    extra: dict[str, Any] = field(default_factory=dict)


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


def _prepare_copy_file(conn: psycopg.Connection, work: Packages, workdir: Path, page_size: int) -> None:
    """The loader's final rows, dumped once (untimed) as the file `copy_stdin` streams."""
    _reset(conn)
    rows = way_loader(conn, work, page_size)
    rejects = int(conn.execute("select count(*) from ops.rejects").fetchone()[0])
    if rows + rejects != work.count:
        raise RuntimeError(f"{work.count} packages gave {rows} rows and {rejects} rejects")
    work.rejects = rejects
    work.expected = _checksum(conn)
    path = workdir / "edoc_packages.copy"
    query = sql.SQL("copy (select {} from {}) to stdout").format(
        _copy_columns(ENTITY.table), _table_sql(ENTITY.table)
    )
    with conn.cursor() as cur, cur.copy(query) as copy, path.open("wb") as out:
        for block in copy:
            out.write(block)
    os.chmod(path, 0o644)
    work.copy_file, work.copy_bytes = path, path.stat().st_size


def _measure_one(
    way: str, conn: psycopg.Connection, root: int, work: Packages, page_size: int, in_flight: int
) -> Measurement:
    if way in WRITING:
        _reset(conn)
    gc.collect()
    big: dict[str, float] = {}
    cpu0, srv0, t0 = _client_cpu(), server_cpu(root), time.perf_counter()
    if way == "copy_stdin":
        records = way_copy_stdin(conn, work)
    elif way == "loader":
        records = way_loader(conn, work, page_size, in_flight)
    elif way == "fetch":
        records = way_fetch(work, page_size, in_flight)
    elif way == "parse_only":
        records = way_parse_only(work, big)
    else:
        raise ValueError(f"unknown way {way!r}")
    seconds = time.perf_counter() - t0
    client, server = _client_cpu() - cpu0, server_cpu(root) - srv0
    if way in WRITING:
        left = _checksum(conn)
        if left != work.expected:
            raise RuntimeError(f"{way} left other rows than the loader: {left} != {work.expected}")
    elif records != work.count:
        raise RuntimeError(f"{way} read {records} packages of {work.count}")
    extra = {"big_seconds": big["seconds"]} if big else {}
    return Measurement(0, way, records, seconds, client, server, extra)


def measure(
    conn: psycopg.Connection,
    work: Packages,
    *,
    rounds: int,
    page_size: int,
    out: IO[str],
    in_flight: int = 1,
    ways: tuple[str, ...] = WAYS,
    loads: list[float] | None = None,
) -> list[Measurement]:
    """Every way once a round, in `ways`' order; `conn` on a migrated bench database. The load
    average (1 min) before each round is appended to `loads`."""
    loads = [] if loads is None else loads
    root = _server_root(conn)
    workdir = Path(tempfile.mkdtemp(prefix="dtimon-bench-edoc-"))
    workdir.chmod(0o755)  # the embedded server runs as another OS user
    measurements: list[Measurement] = []
    try:
        _prepare_copy_file(conn, work, workdir, page_size)
        for number, way in interleaved(ways, rounds):
            if way == ways[0]:
                load = os.getloadavg()
                out.write(
                    f"documents round {number}: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
                )
                loads.append(load[0])
            m = _measure_one(way, conn, root, work, page_size, in_flight)
            m.round = number
            measurements.append(m)
            out.write(
                f"  {LABELS[way]:<32} {m.records:>6,} packages {m.seconds:>6.2f} s "
                f"{1e6 * m.seconds / work.count:>8,.0f} µs a package"
                f"  client {m.client_cpu:6.2f} s  server {m.server_cpu:6.2f} s\n"
            )
            out.flush()
        _reset(conn)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return measurements


def report_of(
    measurements: list[Measurement],
    work: Packages,
    *,
    scale: float,
    months: int,
    rounds: int,
    page_size: int,
    in_flight: int,
    started_at: datetime,
    loads: list[float],
) -> dict[str, Any]:
    """The section of the results (`documents`): per way µs a package and MB/s, and the ratios."""
    by_way: dict[str, list[Measurement]] = {}
    for m in measurements:
        by_way.setdefault(m.way, []).append(m)
    count, megabytes = work.count, work.bytes / 1e6
    big = [len(b) for b in work.bodies.values() if len(b) > BIG]
    ways: dict[str, Any] = {}
    for way, ms in by_way.items():
        ways[way] = {
            "label": LABELS[way],
            "us_per_package": summarise([1e6 * m.seconds / count for m in ms]).as_dict(),
            "mb_per_s": summarise([megabytes / m.seconds for m in ms]).as_dict(),
            "client_cpu_us_per_package": summarise([1e6 * m.client_cpu / count for m in ms]).as_dict(),
            "server_cpu_us_per_package": summarise([1e6 * m.server_cpu / count for m in ms]).as_dict(),
            "client_cpu_ms_per_mb": summarise([1e3 * m.client_cpu / megabytes for m in ms]).as_dict(),
        }
    rates = {way: [count / m.seconds for m in ms] for way, ms in by_way.items()}
    result: dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "dtimon_commit": _commit(),
        "generator": (
            f"ingestion.sandbox.documents.generator.generate_exchange(seed={SEED}, scale={scale}, "
            f"{FIRST_DAY}, {end_of(FIRST_DAY, months)}): its {MESSAGE_TYPE} items"
        ),
        "packages": count,
        "package_bytes": work.bytes,
        "big_packages": len(big),
        "big_package_bytes": sum(big),
        "rows": work.expected[0],
        "rejects": work.rejects,
        "copy_bytes_per_row": round(work.copy_bytes / max(work.expected[0], 1)),
        "checksum": {"rows": work.expected[0], "md5": work.expected[1]},
        "chunk_bytes": CHUNK,
        "page_size": page_size,
        "packages_in_flight": in_flight,
        "rounds": rounds,
        "order": list(by_way),
        "load_average_before_round": loads,
        "ways": ways,
        "measurements": [
            {
                "round": m.round,
                "way": m.way,
                "records": m.records,
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
    if "loader" in ways and "parse_only" in ways:
        result["parse_only_share_of_loader"] = ratio(
            ways["parse_only"]["us_per_package"]["median"], ways["loader"]["us_per_package"]["median"]
        )
    parsed = by_way.get("parse_only", [])
    if big and parsed and len(big) < count:
        big_mb, small_mb = sum(big) / 1e6, megabytes - sum(big) / 1e6
        big_s = [m.extra.get("big_seconds", 0.0) for m in parsed]
        small_s = [m.seconds - b for m, b in zip(parsed, big_s, strict=True)]
        result["parse_only_split"] = {
            "big_share_of_bytes": sum(big) / work.bytes,
            "big_share_of_seconds": summarise(
                [b / m.seconds for m, b in zip(parsed, big_s, strict=True)]
            ).as_dict(),
            "big_mb_per_s": summarise([big_mb / b for b in big_s if b > 0]).as_dict(),
            "small_mb_per_s": summarise([small_mb / t for t in small_s]).as_dict(),
            "small_us_per_package": summarise([1e6 * t / (count - len(big)) for t in small_s]).as_dict(),
            "big_ms_per_package": summarise([1e3 * b / len(big) for b in big_s]).as_dict(),
        }
    return result


def run(
    *,
    scale: float,
    rounds: int,
    page_size: int,
    out: IO[str],
    months: int = MONTHS,
    in_flight: int = 1,
    ways: tuple[str, ...] = WAYS,
) -> dict[str, Any]:
    """Generate the packages, measure on a bench database of its own, and return the section."""
    started_at = datetime.now().astimezone()
    work = build_packages(scale, months)
    gc.collect()
    out.write(
        f"document packages {started_at:%Y-%m-%d %H:%M %z}: {work.count:,} edoc packages, "
        f"{work.bytes / 1e6:,.1f} MB, pages of {page_size}, {in_flight} in flight, {rounds} interleaved rounds\n"
    )
    with _bench_database(Settings.from_env()) as url, psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        loads: list[float] = []
        measurements = measure(
            conn,
            work,
            rounds=rounds,
            page_size=page_size,
            out=out,
            in_flight=in_flight,
            ways=ways,
            loads=loads,
        )
    result = report_of(
        measurements,
        work,
        scale=scale,
        months=months,
        rounds=rounds,
        page_size=page_size,
        in_flight=in_flight,
        started_at=started_at,
        loads=loads,
    )
    out.write(render_table(result))
    return result


def section(result: dict[str, Any]) -> Section:
    """The results' `documents` section, its ratio beside the loader's (`python -m bench`)."""
    ratios = {}
    if "paired_ratios" in result:
        p = result["paired_ratios"]["loader_vs_copy_limit"]
        ratios[RATIO] = ("edoc packages: loader ÷ COPY FROM STDIN", p["median"], p["min"], p["max"])
    return Section("documents", result, render_markdown(result), ratios)


# --- rendering ----------------------------------------------------------------------------


def render_table(result: dict[str, Any]) -> str:
    lines = [
        "",
        f"{'way':<32} {'µs a package':>13} {'min–max':>17} {'MB/s':>7} {'client µs':>10} {'server µs':>10}",
    ]
    for w in result["ways"].values():
        us, mb = w["us_per_package"], w["mb_per_s"]
        lines.append(
            f"{w['label']:<32} {us['median']:>13,.0f} {us['min']:>8,.0f}–{us['max']:<8,.0f} {mb['median']:>7.1f} "
            f"{w['client_cpu_us_per_package']['median']:>10,.0f} {w['server_cpu_us_per_package']['median']:>10,.0f}"
        )
    if "loader_vs_copy_limit" in result:
        p = result["paired_ratios"]["loader_vs_copy_limit"]
        lines.append(
            f"packages: loader ÷ COPY FROM STDIN {result['loader_vs_copy_limit']:.3f} "
            f"(median of the rounds; {p['min']:.3f}–{p['max']:.3f}; goal ≥ {GOAL})"
        )
    lines += ["", ""]
    return "\n".join(lines)


def render_markdown(result: dict[str, Any]) -> str:
    """The results file's section on the document packages."""
    lines = [
        "## Document exchange: edXML packages",
        "",
        f"Records: {result['generator']}: {result['packages']:,} packages, "
        f"{result['package_bytes'] / 1e6:,.1f} MB ({result['big_packages']} over 1 MB hold "
        f"{result['big_package_bytes'] / 1e6:,.1f} MB), read in {result['chunk_bytes'] // 1024} KiB chunks, "
        f"pages of {result['page_size']}, {result['packages_in_flight']} package(s) in flight; "
        f"{result['rounds']} interleaved rounds (from {result['started_at']}, dtimon at {result['dtimon_commit']}); "
        f"the writing ways left the same {result['rows']:,} rows (md5 checked after every measurement), "
        f"{result['copy_bytes_per_row']:,} bytes a row in `COPY` text.",
        "",
        "| way | µs a package, median | min–max | MB/s | client CPU µs a package | server CPU µs a package | client CPU ms a MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for w in result["ways"].values():
        us = w["us_per_package"]
        lines.append(
            f"| {w['label']} | {us['median']:,.0f} | {us['min']:,.0f}–{us['max']:,.0f} | {w['mb_per_s']['median']:.1f} | "
            f"{w['client_cpu_us_per_package']['median']:,.0f} | {w['server_cpu_us_per_package']['median']:,.0f} | "
            f"{w['client_cpu_ms_per_mb']['median']:.1f} |"
        )
    lines.append("")
    if "loader_vs_copy_limit" in result:
        p = result["paired_ratios"]["loader_vs_copy_limit"]
        lines.append(
            f"Loader ÷ COPY FROM STDIN (throughput, median of the paired rounds): "
            f"**{result['loader_vs_copy_limit']:.3f}** (round by round {p['min']:.3f}–{p['max']:.3f}; "
            f"ratio of the medians {result['loader_vs_copy_limit_of_medians']:.3f}; goal ≥ {GOAL})."
        )
    if "parse_only_share_of_loader" in result:
        lines.append(
            f"`read_package` alone takes {result['parse_only_share_of_loader']:.2f} of the loader's wall time."
        )
    if split := result.get("parse_only_split"):
        lines.append(
            f"Of `read_package`'s time, the {result['big_packages']} packages over 1 MB "
            f"({100 * split['big_share_of_bytes']:.0f} % of the bytes) take "
            f"{100 * split['big_share_of_seconds']['median']:.0f} %: "
            f"{split['big_mb_per_s']['median']:.0f} MB/s there ({split['big_ms_per_package']['median']:.0f} ms each), "
            f"{split['small_mb_per_s']['median']:.1f} MB/s on the others "
            f"({split['small_us_per_package']['median']:,.0f} µs each)."
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
    parser = argparse.ArgumentParser(prog="python -m bench.documents", description=__doc__)
    parser.add_argument("--scale", type=float, default=float(env.get("DTIMON_BENCH_SCALE", "1.0")))
    parser.add_argument("--months", type=int, default=MONTHS)
    parser.add_argument("--rounds", type=int, default=int(env.get("DTIMON_BENCH_ROUNDS", "5")))
    parser.add_argument("--page-size", type=int, default=int(env.get("DTIMON_PAGE_SIZE", "200")))
    parser.add_argument(
        "--in-flight", type=int, default=1, help="packages read at once by the fetch's pool (the source: 4)"
    )
    parser.add_argument("--ways", default=",".join(WAYS), help=f"comma-separated, of {', '.join(WAYS)}")
    parser.add_argument(
        "--results", type=Path, help="also write <date>-documents.json and .md into this folder"
    )
    args = parser.parse_args(argv)
    ways = tuple(w for w in args.ways.split(",") if w)
    if unknown := set(ways) - set(WAYS):
        parser.error(f"unknown ways: {', '.join(sorted(unknown))}")
    result = run(
        scale=args.scale,
        rounds=args.rounds,
        page_size=args.page_size,
        out=sys.stdout,
        months=args.months,
        in_flight=args.in_flight,
        ways=ways,
    )
    if args.results:
        args.results.mkdir(parents=True, exist_ok=True)
        stem = args.results / f"{result['started_at'][:10]}-documents"
        stem.with_suffix(".json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
        stem.with_suffix(".md").write_text(
            f"# Document packages, {result['started_at']}\n\n" + render_markdown(result)
        )
        sys.stdout.write(f"wrote {stem}.json and {stem}.md\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
