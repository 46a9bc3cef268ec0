"""The loader against the limits and against the usual tools, measured in one run on the same rows.

Records: the sandbox generator's own province (`generate_province`: dossier versions of 37
keys, their progress rows, procedures, agencies), generated once per run and kept only as
the JSON pages the source would send. The ways load the two windowed entities — dossiers and
progress, the volume of the source — into their raw tables; every way must end with the same
rows (count and md5 of the declared columns, checked after every measurement):

- `copy_server`: `COPY … FROM '<file>'` of the final rows, read by the server itself (nothing
  to parse, hash or send): the fastest this server takes these rows.
- `copy_stdin`: the same file streamed by this client (`COPY … FROM STDIN`, 1 MiB blocks):
  the limit for any client.
- `loader`: dtimon's code path — the entity's own fetch reading the pages from memory
  (`MemoryClient`: its decoding into the declared shapes and its paging run as over HTTP),
  `ingestion.runner.parse_pages` (validate, pseudonymise, parse) and `ingestion.load.load_batch`.
- `pandas`: the same fetch and `parse_pages`, then a DataFrame (times as datetimes) written with
  `DataFrame.to_sql(name, engine, schema=, if_exists="append", index=False)` on a SQLAlchemy
  engine — the documented call with its default `method`
  (https://pandas.pydata.org/docs/reference/api/pandas.DataFrame.to_sql.html).
- `dlt`: the same fetch and `parse_pages` (times as datetimes), then `dlt.pipeline(destination=dlt.destinations.postgres(
  credentials=<url>))`, `pipeline.run(resources)` — dlt's default pipeline (extract, normalize,
  load as `insert_values`), its working directory in `.dtimon/bench/dlt`
  (https://dlthub.com/docs/dlt-ecosystem/destinations/postgres).
- `http_pull`: the whole ingest task in its own process (`python -m bench.pull`) against the
  sandbox serving the same province from its own process: HTTP, paging and token included.
- `http_pull_week`: the same for one week only — for its peak memory (item: bounded by the
  page, not the interval), not its throughput.

Each round runs every way once in the same order; a round starts with the load average.
Client CPU is this process's (or the pull process's) user + system time; server CPU is the
whole PostgreSQL server's (postmaster, its live children and the children it reaped), so
the WAL writer and checkpointer count too.
"""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import orjson
import psycopg
import requests
from psycopg import sql

from bench.harness import (
    checksum_sql,
    interleaved,
    paired_ratios,
    proc_cpu_seconds,
    ratio,
    summarise,
    wall_vs_cpu_bound,
)
from bench.pull import PSEUDONYM_KEY
from core.settings import Settings, replace_database
from infra import postgres
from ingestion.load import BatchKey, RawTable, Row, _Sink, load_batch
from ingestion.localtime import VN_TZ
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.sandbox.generator import generate_province
from ingestion.sandbox.province import Province, export_province
from ingestion.schema import migrate
from ingestion.sources import Entity, Window
from ingestion.sources.onestop import SOURCE

ENTITIES: tuple[Entity, ...] = (SOURCE.entity("dossiers"), SOURCE.entity("progress"))
SEED = 20250901
FIRST_DAY = date(2025, 9, 1)
#: the pull covers the whole activity (submissions precede reception by a few days)
PULL_START = datetime(2025, 8, 1, tzinfo=VN_TZ)
PULL_END = datetime(2026, 3, 1, tzinfo=VN_TZ)
WEEK_END = datetime(2025, 9, 8, tzinfo=VN_TZ)
DLT_DATASET = "bench_dlt"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

WAYS = ("copy_server", "copy_stdin", "loader", "pandas", "dlt", "http_pull", "http_pull_week")
THROUGHPUT_WAYS = WAYS[:-1]
LABELS = {
    "copy_server": "COPY FROM file (server)",
    "copy_stdin": "COPY FROM STDIN (client limit)",
    "loader": "dtimon loader (from memory)",
    "pandas": "pandas DataFrame.to_sql",
    "dlt": "dlt pipeline (postgres)",
    "http_pull": "dtimon pull over HTTP",
    "http_pull_week": "dtimon pull over HTTP, 1 week",
}


@dataclass
class Measurement:
    round: int
    way: str
    rows: int
    seconds: float
    client_cpu: float
    server_cpu: float
    checksum_ok: bool
    memory: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")


@dataclass(frozen=True)
class Section:
    """A measurement `python -m bench` runs beside the loader's, written into the same results
    files: `result` under `key` in the JSON, its `ratios` (name → (median, min, max) of the
    paired rounds) at the top level and in the ratio table beside the loader's, `markdown`
    appended to the `.md`."""

    key: str
    result: dict[str, Any]
    markdown: str
    ratios: dict[str, tuple[str, float, float, float]] = field(
        default_factory=dict
    )  # name → (label, median, min, max)


@dataclass
class Workload:
    """What every way loads: the pages as sent, per entity, and where the prepared files are."""

    pages: dict[str, list[bytes]]  # entity name → JSON bytes of each page's envelope
    records: dict[str, int]
    page_size: int
    copy_files: dict[str, Path] = field(default_factory=dict)
    expected: dict[str, tuple[int, str]] = field(default_factory=dict)  # entity → (rows, md5)


def build_workload(scale: float, months: int, page_size: int) -> tuple[Workload, Province]:
    end = date(
        FIRST_DAY.year + (FIRST_DAY.month - 1 + months) // 12, (FIRST_DAY.month - 1 + months) % 12 + 1, 1
    )
    province = generate_province(SEED, scale, FIRST_DAY, end)
    pages: dict[str, list[bytes]] = {}
    records: dict[str, int] = {}
    for entity, items in (("dossiers", province.dossiers), ("progress", province.progress)):
        pages[entity] = [
            orjson.dumps(
                {"error_code": "0", "message": "", "total": len(items), "data": items[i : i + page_size]}
            )
            for i in range(0, len(items), page_size)
        ]
        records[entity] = len(items)
    return Workload(pages, records, page_size), province


class MemoryClient:
    """Serves an entity's pages from memory to its real fetch, as `ApiClient` serves them over
    HTTP (`get_json_body`, page numbers from 1): the fetch's own decoding and paging run."""

    max_in_flight = 1  # pages come one by one, as the loader alone would take them

    def __init__(self, pages: list[bytes]) -> None:
        self._pages = pages

    def get_json_body(self, path: str, params: dict[str, Any] | None = None) -> bytes:
        number = int((params or {})["page"])
        if number > len(self._pages):
            return orjson.dumps({"error_code": "0", "message": "", "total": 0, "data": []})
        return self._pages[number - 1]


def fetched(entity: Entity, work: Workload) -> Iterator[list[Any]]:
    """The entity's pages through its real fetch (decoding, paging) from memory."""
    window = Window(PULL_START, PULL_END)
    return entity.fetch(MemoryClient(work.pages[entity.name]), window, work.page_size)  # type: ignore[arg-type]


class CopyText:
    """Keeps the `COPY` text the loader writes (or, `keep=False`, only its size), in place of a connection."""

    def __init__(self, *, keep: bool = True) -> None:
        self.blocks: list[bytes] = []
        self.bytes = 0
        self._keep = keep

    def write(self, data: bytes) -> None:
        self.bytes += len(data)
        if self._keep:
            self.blocks.append(data)


def copy_text_writer(entity: Entity, into: CopyText) -> _Sink:
    """The loader's page writer for `entity` — `COPY` text, the final 12-digit check, the
    duplicate filter — writing into `into` instead of a connection (batch id 1)."""
    sink = _Sink(
        None, sql.SQL(""), BatchKey("onestop", entity.name, PULL_START, PULL_END), 1, with_batch_id=True
    )  # type: ignore[arg-type]
    sink._copy = into
    return sink


def _parsed_rows(entity: Entity, work: Workload) -> Iterator[Row]:
    for page in parse_pages(entity, fetched(entity, work), Pseudonymiser(PSEUDONYM_KEY)):
        for item in page:
            if isinstance(item, Row):
                yield item


# --- the ways -----------------------------------------------------------------------------


def _table_sql(table: RawTable) -> sql.Composable:
    return sql.Identifier(table.schema, table.name)


def _copy_columns(table: RawTable) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(c) for c in ("batch_id", *table.column_names))


def way_copy_server(conn: psycopg.Connection, work: Workload) -> int:
    for entity in ENTITIES:
        with conn.transaction():
            conn.execute(
                sql.SQL("copy {} ({}) from {}").format(
                    _table_sql(entity.table),
                    _copy_columns(entity.table),
                    sql.Literal(str(work.copy_files[entity.name])),
                )
            )
    return sum(rows for rows, _ in work.expected.values())


def copy_stdin_entity(conn: psycopg.Connection, entity: Entity, work: Workload) -> None:
    """`COPY FROM STDIN` of one entity's final rows (its file, in 1 MiB blocks): the limit for a client."""
    query = sql.SQL("copy {} ({}) from stdin").format(_table_sql(entity.table), _copy_columns(entity.table))
    with (
        conn.transaction(),
        conn.cursor() as cur,
        cur.copy(query) as copy,
        work.copy_files[entity.name].open("rb") as source,
    ):
        while block := source.read(1 << 20):
            copy.write(block)


def load_entity(conn: psycopg.Connection, entity: Entity, work: Workload) -> int:
    """One entity through the loader's real code path (its fetch from memory, `parse_pages`,
    `load_batch`); the rows loaded."""
    key = BatchKey("onestop", entity.name, PULL_START, PULL_END)
    pages = parse_pages(entity, fetched(entity, work), Pseudonymiser(PSEUDONYM_KEY))
    return load_batch(conn, entity.table, key, pages).rows_loaded


def way_copy_stdin(conn: psycopg.Connection, work: Workload) -> int:
    for entity in ENTITIES:
        copy_stdin_entity(conn, entity, work)
    return sum(rows for rows, _ in work.expected.values())


def way_loader(conn: psycopg.Connection, work: Workload) -> int:
    return sum(load_entity(conn, entity, work) for entity in ENTITIES)


def way_pandas(engine: Any, work: Workload) -> int:
    import pandas as pd
    from sqlalchemy.dialects.postgresql import JSONB

    rows = 0
    for entity in ENTITIES:
        columns = ["batch_id", *entity.table.column_names]
        # a timestamptz column takes a datetime and a JSONB column the value, not their text
        values = [
            (1, datetime.fromisoformat(row.values[0]), *row.values[1:-1], orjson.loads(row.values[-1]))
            for row in _parsed_rows(entity, work)
        ]
        frame = pd.DataFrame(values, columns=columns)
        frame.to_sql(
            entity.table.name,
            engine,
            schema=entity.table.schema,
            if_exists="append",
            index=False,
            dtype={"record": JSONB},
        )
        rows += len(frame)
    return rows


def _dlt_credentials(url: str) -> dict[str, Any]:
    """The bench database URL as dlt's credentials; dlt insists on a password, which the
    embedded server ignores when the URL has none (its owner logs in by peer on the socket)."""
    parts = psycopg.conninfo.conninfo_to_dict(url)
    host = parts.get("host", "127.0.0.1")
    credentials: dict[str, Any] = {
        "database": parts["dbname"],
        "username": parts["user"],
        "password": parts.get("password") or "unused",
        "host": host,
        "port": int(parts.get("port", 5432)),
    }
    if host.startswith("/"):  # a socket folder: dlt's URL needs a host name, libpq's `host` option wins
        credentials |= {"host": "localhost", "query": {"host": host}}
    return credentials


def way_dlt(url: str, work: Workload, pipelines_dir: Path, name: str) -> int:
    import dlt

    def resource(entity: Entity) -> Any:
        names = entity.table.column_names

        def rows() -> Iterator[dict[str, Any]]:
            for row in _parsed_rows(entity, work):
                item = dict(zip(names, row.values, strict=True))
                # a timestamp column takes a datetime and a JSON column the value, not their text
                item["source_updated_at"] = datetime.fromisoformat(item["source_updated_at"])
                item["record"] = orjson.loads(item["record"])
                yield item

        return dlt.resource(rows(), name=entity.name, columns={"record": {"data_type": "json"}})

    pipeline = dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.postgres(credentials=_dlt_credentials(url)),
        dataset_name=DLT_DATASET,
        pipelines_dir=str(pipelines_dir),
    )
    info = pipeline.run([resource(entity) for entity in ENTITIES])
    info.raise_on_failed_jobs()
    return sum(
        count
        for table, count in pipeline.last_trace.last_normalize_info.row_counts.items()
        if not table.startswith("_dlt")
    )


# --- measuring ----------------------------------------------------------------------------


def _server_root(conn: psycopg.Connection) -> int:
    backend = conn.execute("select pg_backend_pid()").fetchone()[0]
    stat = Path(f"/proc/{backend}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[1])  # field 4: the parent, the postmaster


def server_cpu(root: int) -> float:
    """CPU seconds of the whole server: the postmaster with its reaped children, and its live children."""
    total = proc_cpu_seconds(Path(f"/proc/{root}/stat").read_text(), CLOCK_TICKS, children=True)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == root:
                total += proc_cpu_seconds(stat, CLOCK_TICKS)
    return total


def _pid_cpu(pid: int) -> float:
    return proc_cpu_seconds(Path(f"/proc/{pid}/stat").read_text(), CLOCK_TICKS)


def _client_cpu() -> float:
    times = os.times()
    return times.user + times.system


def _reset(conn: psycopg.Connection) -> None:
    for entity in ENTITIES:
        conn.execute(sql.SQL("truncate {}").format(_table_sql(entity.table)))
    conn.execute("truncate ops.batches, ops.watermarks, ops.rejects cascade")
    conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(DLT_DATASET)))
    conn.execute("vacuum analyze")
    with contextlib.suppress(psycopg.Error):
        conn.execute("checkpoint")  # every way starts from the same clean WAL state


def _checksums(conn: psycopg.Connection, way: str) -> dict[str, tuple[int, str]]:
    schema = DLT_DATASET if way == "dlt" else None
    out = {}
    for entity in ENTITIES:
        table = entity.name if schema else entity.table.name
        count, digest = conn.execute(
            checksum_sql(schema or entity.table.schema, table, entity.table.column_names)
        ).fetchone()
        out[entity.name] = (int(count), str(digest))
    return out


@contextlib.contextmanager
def _sandbox(folder: Path) -> Iterator[tuple[str, int]]:
    """The sandbox replaying the generated province from its files, in its own process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [sys.executable, "-m", "ingestion.sandbox", "serve", "--port", str(port)]
    argv += ["--username", "bench", "--password", "bench", "--data-dir", str(folder)]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/_sim/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.3)
        else:
            raise RuntimeError("the sandbox did not start")
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def _pull(sandbox_url: str, url: str, end: datetime, page_size: int) -> tuple[int, float, dict[str, Any]]:
    argv = [sys.executable, "-m", "bench.pull", "--sandbox", sandbox_url, "--warehouse", url]
    argv += ["--start", PULL_START.isoformat(), "--end", end.isoformat(), "--page-size", str(page_size)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the pull failed:\n{done.stderr[-3000:]}")
    report = orjson.loads(done.stdout.strip().splitlines()[-1])
    return int(report["rows"]), float(report["seconds"]), report


@contextlib.contextmanager
def _bench_database(settings: Settings) -> Iterator[str]:
    postgres.ensure_server(settings, airflow=False)
    name = f"dtimon_bench_{uuid.uuid4().hex[:8]}"
    postgres.ensure_database(settings.server_url, name)
    try:
        yield replace_database(settings.server_url, name)
    finally:
        postgres.drop_database(settings.server_url, name)


def _prepare_copy_files(conn: psycopg.Connection, work: Workload, workdir: Path) -> None:
    """The loader's final rows, dumped once (untimed) as the COPY files of the COPY ways."""
    _reset(conn)
    way_loader(conn, work)
    work.expected = _checksums(conn, "loader")
    for entity in ENTITIES:
        path = workdir / f"{entity.name}.copy"
        query = sql.SQL("copy (select {} from {}) to stdout").format(
            _copy_columns(entity.table), _table_sql(entity.table)
        )
        with conn.cursor() as cur, cur.copy(query) as copy, path.open("wb") as out:
            for block in copy:
                out.write(block)
        os.chmod(path, 0o644)  # the embedded server runs as another OS user
        work.copy_files[entity.name] = path


def machine(conn: psycopg.Connection) -> dict[str, Any]:
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": platform.processor() or platform.machine(),
        "postgresql": conn.execute("show server_version").fetchone()[0],
        "python": platform.python_version(),
        "kernel": platform.release(),
        "dtimon_commit": _commit(),
    }


def _commit() -> str:
    """The code measured: the git commit, `+changes` when the work tree differs from it (results
    files aside: a run rewrites them)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        status = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ":/",
                ":(top,exclude)bench/results",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git work tree)"
    return head.stdout.strip() + ("+changes" if status.stdout.strip() else "")


def run(
    *,
    scale: float,
    months: int,
    page_size: int,
    rounds: int,
    out: IO[str],
    results_dir: Path,
    state_dir: Path,
    sections: Sequence[Section] = (),
) -> dict[str, Any]:
    settings = Settings.from_env()
    started_at = datetime.now().astimezone()
    order = interleaved(WAYS, rounds)
    measurements: list[Measurement] = []
    loads: list[dict[str, Any]] = []
    workdir = Path(tempfile.mkdtemp(prefix="dtimon-bench-"))
    os.chmod(workdir, 0o755)
    dlt_dir = state_dir / "dlt"
    shutil.rmtree(dlt_dir, ignore_errors=True)
    dlt_dir.mkdir(parents=True, exist_ok=True)
    try:
        workload, province = build_workload(scale, months, page_size)
        export_province(province, workdir / "province")  # what the sandbox replays
        del province  # only the pages stay: live records would burden every way's garbage collector
        gc.collect()
        with (
            _bench_database(settings) as url,
            psycopg.connect(url, autocommit=True) as conn,
            _sandbox(workdir / "province") as (sandbox_url, sandbox_pid),
        ):
            migrate(conn)
            root = _server_root(conn)
            host = machine(conn)
            _prepare_copy_files(conn, workload, workdir)
            total = sum(rows for rows, _ in workload.expected.values())
            from sqlalchemy import create_engine

            engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            out.write(_header(host, workload, page_size, rounds, started_at))
            for number, way in order:
                if way == WAYS[0]:
                    load = os.getloadavg()
                    loads.append(
                        {"round": number, "load_1m": load[0], "load_5m": load[1], "load_15m": load[2]}
                    )
                    out.write(f"round {number}: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
                    out.flush()
                _reset(conn)
                gc.collect()
                memory: dict[str, int] = {}
                cpu0, srv0, t0 = _client_cpu(), server_cpu(root), time.perf_counter()
                if way.startswith("http_pull"):
                    end = PULL_END if way == "http_pull" else WEEK_END
                    sandbox0 = _pid_cpu(sandbox_pid)
                    rows, seconds, report = _pull(sandbox_url, url, end, page_size)
                    memory = {"sandbox_cpu_ms": round((_pid_cpu(sandbox_pid) - sandbox0) * 1000)}
                    client = float(report["client_cpu"])
                    memory |= {k: int(report[k]) for k in ("rss_before_kib", "vm_hwm_kib", "ru_maxrss_kib")}
                else:
                    rows = _in_process(way, conn, engine, url, workload, dlt_dir, number)
                    seconds = time.perf_counter() - t0
                    client = _client_cpu() - cpu0
                srv = server_cpu(root) - srv0
                ok = True
                if way != "http_pull_week":
                    got = _checksums(conn, way)
                    ok = got == workload.expected
                    if not ok:
                        raise RuntimeError(
                            f"{way} wrote other rows than the loader: {got} != {workload.expected}"
                        )
                if way != "http_pull_week" and rows != total:
                    raise RuntimeError(f"{way} reported {rows} rows, expected {total}")
                measurements.append(Measurement(number, way, rows, seconds, client, srv, ok, memory))
                out.write(
                    f"  {LABELS[way]:<32} {rows:>9,} rows {seconds:>7.2f} s {rows / seconds:>9,.0f} rows/s"
                    f"  client {client:6.2f} s  server {srv:6.2f} s\n"
                )
                out.flush()
            engine.dispose()
            _reset(conn)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(dlt_dir, ignore_errors=True)
    result = report_of(measurements, loads, host, workload, page_size, rounds, started_at, scale, months)
    for section in sections:
        result[section.key] = section.result
        for name, (_label, median, low, high) in section.ratios.items():
            result[name] = median
            result["paired_ratios"][name] = {"median": median, "min": low, "max": high}
    out.write(render_table(result, sections))
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = started_at.strftime("%Y-%m-%d")
    (results_dir / f"{stem}.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    (results_dir / f"{stem}.md").write_text(render_markdown(result, sections))
    out.write(f"wrote {results_dir / (stem + '.json')} and {results_dir / (stem + '.md')}\n")
    return result


def _in_process(
    way: str, conn: psycopg.Connection, engine: Any, url: str, work: Workload, dlt_dir: Path, number: int
) -> int:
    if way == "copy_server":
        return way_copy_server(conn, work)
    if way == "copy_stdin":
        return way_copy_stdin(conn, work)
    if way == "loader":
        return way_loader(conn, work)
    if way == "pandas":
        return way_pandas(engine, work)
    if way == "dlt":
        return way_dlt(url, work, dlt_dir, f"bench_{number}")
    raise ValueError(f"unknown way {way!r}")


def _header(host: dict[str, Any], work: Workload, page_size: int, rounds: int, started_at: datetime) -> str:
    return (
        f"loader benchmark {started_at:%Y-%m-%d %H:%M %z}: {work.records['dossiers']:,} dossier versions + "
        f"{work.records['progress']:,} progress rows from the sandbox generator, page size {page_size}, "
        f"{rounds} interleaved rounds\n"
        f"machine: {host['cores']} cores, {host['memory_gib']} GiB, PostgreSQL {host['postgresql']}, "
        f"Python {host['python']}\n"
    )


def report_of(
    measurements: list[Measurement],
    loads: list[dict[str, Any]],
    host: dict[str, Any],
    work: Workload,
    page_size: int,
    rounds: int,
    started_at: datetime,
    scale: float,
    months: int,
) -> dict[str, Any]:
    by_way: dict[str, list[Measurement]] = {w: [m for m in measurements if m.way == w] for w in WAYS}
    rates = {w: [m.rate for m in ms] for w, ms in by_way.items()}
    ways: dict[str, Any] = {}
    for way, ms in by_way.items():
        ways[way] = {
            "label": LABELS[way],
            "rows": ms[0].rows,
            "rows_per_s": summarise(rates[way]).as_dict(),
            "seconds": summarise([m.seconds for m in ms]).as_dict(),
            "client_cpu_us_per_row": summarise([m.client_cpu / m.rows * 1e6 for m in ms]).as_dict(),
            "server_cpu_us_per_row": summarise([m.server_cpu / m.rows * 1e6 for m in ms]).as_dict(),
            "checksums_match": all(m.checksum_ok for m in ms),
        }
        if ms[0].memory:
            ways[way]["peak_rss_mib"] = summarise([m.memory["vm_hwm_kib"] / 1024 for m in ms]).as_dict()
            ways[way]["sandbox_cpu_us_per_row"] = summarise(
                [m.memory["sandbox_cpu_ms"] * 1000 / m.rows for m in ms]
            ).as_dict()
            ways[way]["rss_before_pull_mib"] = summarise(
                [m.memory["rss_before_kib"] / 1024 for m in ms]
            ).as_dict()

    def med(way: str) -> float:
        return summarise(rates[way]).median

    def cpu_per_row(way: str) -> float:
        return summarise([(m.client_cpu + m.server_cpu) / m.rows for m in by_way[way]]).median

    def paired(a: str, b: str) -> dict[str, float | int]:
        return summarise(paired_ratios(rates[a], rates[b])).as_dict()

    # every process of the pull (client, sandbox, server) together ÷ the cores, round by round
    cores = int(host.get("cores") or 1)
    pull_bound = summarise(
        [
            wall_vs_cpu_bound(
                m.seconds, m.client_cpu + m.server_cpu + m.memory["sandbox_cpu_ms"] / 1000, cores
            )
            for m in by_way["http_pull"]
        ]
    ).as_dict()
    hwm_full = ways["http_pull"]["peak_rss_mib"]["median"]
    hwm_week = ways["http_pull_week"]["peak_rss_mib"]["median"]
    return {
        "date": started_at.strftime("%Y-%m-%d"),
        "started_at": started_at.isoformat(timespec="seconds"),
        "loader_vs_copy_limit": ratio(med("loader"), med("copy_stdin")),
        "loader_vs_pandas": ratio(med("loader"), med("pandas")),
        "loader_vs_dlt": ratio(med("loader"), med("dlt")),
        "loader_vs_copy_server": ratio(med("loader"), med("copy_server")),
        "http_pull_vs_memory": ratio(med("http_pull"), med("loader")),
        "http_pull_wall_vs_cpu_bound": pull_bound["median"],
        # less sensitive to the machine's load than wall time: CPU (client + server) a row
        "loader_cpu_vs_copy_limit": ratio(cpu_per_row("copy_stdin"), cpu_per_row("loader")),
        "peak_rss_full_vs_week": ratio(hwm_full, hwm_week),
        "paired_ratios": {
            "loader_vs_copy_limit": paired("loader", "copy_stdin"),
            "loader_vs_pandas": paired("loader", "pandas"),
            "loader_vs_dlt": paired("loader", "dlt"),
            "http_pull_vs_memory": paired("http_pull", "loader"),
            "http_pull_wall_vs_cpu_bound": pull_bound,
        },
        "machine": host,
        "workload": {
            "generator": f"ingestion.sandbox.generator.generate_province(seed={SEED}, scale={scale}, {months} month(s) from {FIRST_DAY})",
            "dossier_versions": work.records["dossiers"],
            "progress_rows": work.records["progress"],
            "dossier_page_bytes_per_record": round(
                sum(map(len, work.pages["dossiers"])) / work.records["dossiers"]
            ),
            "page_size": page_size,
            "rounds": rounds,
            "order": list(WAYS),
            "checksums": {k: {"rows": v[0], "md5": v[1]} for k, v in work.expected.items()},
        },
        "load_average_before_round": loads,
        "ways": ways,
        "measurements": [
            {
                "round": m.round,
                "way": m.way,
                "rows": m.rows,
                "seconds": round(m.seconds, 4),
                "client_cpu_s": round(m.client_cpu, 3),
                "server_cpu_s": round(m.server_cpu, 3),
                **m.memory,
            }
            for m in measurements
        ],
    }


def render_table(result: dict[str, Any], sections: Sequence[Section] = ()) -> str:
    ways = result["ways"]
    limit = ways["copy_stdin"]["rows_per_s"]["median"]
    lines = [
        "",
        f"{'way':<32} {'rows':>9} {'rows/s median':>14} {'min–max':>17} {'÷ limit':>8} {'client µs/row':>14} {'server µs/row':>14}",
    ]
    for way in THROUGHPUT_WAYS:
        w = ways[way]
        r = w["rows_per_s"]
        lines.append(
            f"{w['label']:<32} {w['rows']:>9,} {r['median']:>14,.0f} {r['min']:>8,.0f}–{r['max']:<8,.0f} "
            f"{r['median'] / limit:>8.2f} {w['client_cpu_us_per_row']['median']:>14.1f} "
            f"{w['server_cpu_us_per_row']['median']:>14.1f}"
        )
    p = result["paired_ratios"]
    lines += [
        "",
        f"loader ÷ COPY FROM STDIN  {result['loader_vs_copy_limit']:.2f}  (round by round {p['loader_vs_copy_limit']['min']:.2f}–{p['loader_vs_copy_limit']['max']:.2f})",
        f"loader ÷ pandas to_sql    {result['loader_vs_pandas']:.2f}  (round by round {p['loader_vs_pandas']['min']:.2f}–{p['loader_vs_pandas']['max']:.2f})",
        f"loader ÷ dlt              {result['loader_vs_dlt']:.2f}  (round by round {p['loader_vs_dlt']['min']:.2f}–{p['loader_vs_dlt']['max']:.2f})",
        f"loader ÷ COPY FROM STDIN in CPU a row (client + server) {result['loader_cpu_vs_copy_limit']:.2f}",
        *(
            f"{label:<25} {median:.3f} (round by round {low:.3f}–{high:.3f})"
            for section in sections
            for label, median, low, high in section.ratios.values()
        ),
        f"HTTP pull ÷ from memory   {result['http_pull_vs_memory']:.2f}  (the sandbox serving it used "
        f"{ways['http_pull']['sandbox_cpu_us_per_row']['median']:.1f} µs CPU a row in its own process)",
        f"HTTP pull wall ÷ its CPU bound {result['http_pull_wall_vs_cpu_bound']:.2f}  (round by round "
        f"{p['http_pull_wall_vs_cpu_bound']['min']:.2f}–{p['http_pull_wall_vs_cpu_bound']['max']:.2f}; "
        f"CPU of client, sandbox and server ÷ {result['machine']['cores']} cores; goal ≤ 1.3)",
        "peak RSS of one ingest task (VmHWM, MiB, median min–max): "
        + ", ".join(
            f"{ways[w]['label'].removeprefix('dtimon pull over HTTP').strip(', ') or 'whole period'} "
            f"{ways[w]['rows']:,} rows {ways[w]['peak_rss_mib']['median']:.1f} "
            f"({ways[w]['peak_rss_mib']['min']:.1f}–{ways[w]['peak_rss_mib']['max']:.1f})"
            for w in ("http_pull_week", "http_pull")
        )
        + f"; whole period ÷ week {result['peak_rss_full_vs_week']:.3f}",
        "load average (1 min) before each round: "
        + " ".join(f"{x['load_1m']:.2f}" for x in result["load_average_before_round"]),
        "",
    ]
    return "\n".join(lines)


def render_markdown(result: dict[str, Any], sections: Sequence[Section] = ()) -> str:
    host = result["machine"]
    work = result["workload"]
    ways = result["ways"]
    limit = ways["copy_stdin"]["rows_per_s"]["median"]
    lines = [
        f"# Loader benchmark, {result['started_at']}",
        "",
        f"`make bench` on {host['cores']} cores, {host['memory_gib']} GiB, PostgreSQL {host['postgresql']}, "
        f"Python {host['python']} (a machine shared with other work: see the load averages); "
        f"dtimon at {host.get('dtimon_commit', 'an unrecorded commit')}.",
        f"Records: {work['generator']}: {work['dossier_versions']:,} dossier versions "
        f"(~{work['dossier_page_bytes_per_record']:,} bytes each in the pages) and {work['progress_rows']:,} "
        f"progress rows; pages of {work['page_size']}; {work['rounds']} interleaved rounds; every way "
        "ended with the same rows (md5 per table, checked after every measurement).",
        "",
        "| way | rows/s median | min–max | ÷ COPY FROM STDIN | client CPU µs/row | server CPU µs/row |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for way in THROUGHPUT_WAYS:
        w = ways[way]
        r = w["rows_per_s"]
        lines.append(
            f"| {w['label']} | {r['median']:,.0f} | {r['min']:,.0f}–{r['max']:,.0f} | {r['median'] / limit:.2f} | "
            f"{w['client_cpu_us_per_row']['median']:.1f} | {w['server_cpu_us_per_row']['median']:.1f} |"
        )
    p = result["paired_ratios"]
    lines += [
        "",
        "| ratio | of medians | round by round min–max |",
        "|---|---:|---:|",
    ]
    for key, label in (
        ("loader_vs_copy_limit", "loader ÷ COPY FROM STDIN"),
        ("loader_vs_pandas", "loader ÷ pandas to_sql"),
        ("loader_vs_dlt", "loader ÷ dlt"),
        ("http_pull_vs_memory", "HTTP pull ÷ loader from memory"),
    ):
        lines.append(f"| {label} | {result[key]:.2f} | {p[key]['min']:.2f}–{p[key]['max']:.2f} |")
    for section in sections:
        for label, median, low, high in section.ratios.values():
            lines.append(f"| {label} (median of the rounds) | {median:.3f} | {low:.3f}–{high:.3f} |")
    lines += [
        "",
        f"In CPU a row (client + server, less sensitive to the load than wall time), the loader is at "
        f"{result['loader_cpu_vs_copy_limit']:.2f} of COPY FROM STDIN.",
        "",
        f"The sandbox serving the HTTP pull (its own process, the same 2 cores) used "
        f"{ways['http_pull']['sandbox_cpu_us_per_row']['median']:.1f} µs CPU a row. Its wall time ÷ the CPU "
        f"of client, sandbox and server spread over the {host['cores']} cores (`http_pull_wall_vs_cpu_bound`, "
        f"goal ≤ 1.3): {result['http_pull_wall_vs_cpu_bound']:.2f} "
        f"(round by round {p['http_pull_wall_vs_cpu_bound']['min']:.2f}–{p['http_pull_wall_vs_cpu_bound']['max']:.2f}).",
        "",
        "Peak memory of one ingest task (own process, VmHWM):",
        "",
    ]
    for w in ("http_pull_week", "http_pull"):
        m = ways[w]["peak_rss_mib"]
        lines.append(
            f"- {ways[w]['label']}: {ways[w]['rows']:,} rows, {m['median']:.1f} MiB (min–max {m['min']:.1f}–{m['max']:.1f}); "
            f"{ways[w]['rss_before_pull_mib']['median']:.0f} MiB before the pull"
        )
    lines += [
        "",
        f"Whole period ÷ week: {result['peak_rss_full_vs_week']:.3f}.",
        "",
        "Load average (1 min) before each round: "
        + ", ".join(f"{x['load_1m']:.2f}" for x in result["load_average_before_round"])
        + ".",
        "",
    ]
    lines += [section.markdown for section in sections]
    return "\n".join(lines)
