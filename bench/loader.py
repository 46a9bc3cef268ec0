"""Loader throughput against the physical limit, measured in the same run on the same server.

Ways, all loading the same dossier records into `raw.onestop__dossiers` (with its indexes):
- `COPY FROM file (server)`: PostgreSQL reads a prepared COPY file of the final rows itself —
  nothing to parse, hash or send: the fastest this server can take these rows. Only on a
  local server where the role may read server files (the embedded default).
- `COPY FROM STDIN (prepared)`: the same prepared file streamed through the client in 1 MB
  blocks — the limit for a client that has nothing left to compute.
- `dtimon loader`: what ingestion does, minus HTTP: orjson-decode each page, pseudonymise
  (HMAC-SHA-256), validate, dedupe and `COPY … write_row` inside the batch transaction.
- `dtimon pull over HTTP`: the whole `ingestion.runner.ingest` against the sandbox running
  in its own process on localhost (HTTP, paging, auth included), on a smaller record count.
Ratios are throughput (rows/s) divided by the fastest way's, so 1.00 is the limit.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson
import psycopg
import requests
from psycopg import sql

from core.settings import Settings, replace_database
from infra import postgres
from ingestion.load import BatchKey, Row, load_batch
from ingestion.localtime import VN_TZ
from ingestion.privacy import Pseudonymiser
from ingestion.runner import parse_pages
from ingestion.schema import migrate
from ingestion.sources import Endpoint
from ingestion.sources.onestop import SOURCE

DOSSIERS = SOURCE.entity("dossiers")
START = datetime(2025, 9, 1, tzinfo=VN_TZ)
CLOCK_END = datetime(2026, 1, 1, tzinfo=VN_TZ)
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Lan", "Minh", "Thảo")


@dataclass(frozen=True)
class Measure:
    way: str
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def synthetic_dossiers(count: int) -> Iterator[dict[str, Any]]:
    """Dossier versions in the native format, varied enough to cost what real ones cost."""
    for n in range(count):
        received = START + timedelta(minutes=7 * (n // 5))
        updated = received + timedelta(hours=n % 5)
        citizen = f"0{56 + n % 20:02d}{n % 4}{80 + n % 20:02d}{n % 999_983:06d}"
        record: dict[str, Any] = {
            "MaHoSo": f"000.00.{n % 17:02d}.H57-{received:%y%m%d}-{n // 5:05d}",
            "MaHoSoKhac": "",
            "MaTTHC": f"1.00{n % 900:04d}",
            "TenTTHC": "Cấp bản sao trích lục hộ tịch",
            "MaLinhVuc": "G15-HT",
            "TenLinhVuc": "Hộ tịch",
            "KenhThucHien": str(1 + n % 3),
            "ChuHoSo": f"{FAMILY[n % 10]} Văn {GIVEN[(n // 10) % 10]}",
            "SoGiayToChuHoSo": citizen,
            "LoaiDoiTuong": "1",
            "SoDienThoai": f"09{n % 100_000_000:08d}",
            "Email": "",
            "TrichYeuHoSo": "Đề nghị cấp bản sao trích lục khai sinh",
            "NgayNopHoSo": f"{received:%Y%m%d%H%M%S}",
            "NgayTiepNhan": f"{received:%Y%m%d%H%M%S}",
            "NgayHenTra": f"{received + timedelta(days=5):%Y%m%d}170000",
            "TrangThaiHoSo": str(2 + n % 5),
            "NgayKetThucXuLy": "",
            "NgayTra": "",
            "NgayTuChoi": "",
            "DonViXuLy": "Sở Tư pháp",
            "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": citizen}],
            "DanhSachLePhi": [{"MaPhiLePhi": "LP01", "TenPhiLePhi": "Lệ phí", "Gia": "8000"}],
            "DanhSachHoSoBoSung": [],
            "_version": str(1 + n % 5),
            "_updated_at": f"{updated:%Y%m%d%H%M%S}",
        }
        if n % 7 == 0:
            record["DanhSachHoSoBoSung"] = [
                {
                    "HoSoBoSungId": str(n),
                    "NgayBoSung": f"{received + timedelta(days=1):%Y%m%d%H%M%S}",
                    "NgayTiepNhanBoSung": f"{received + timedelta(days=2):%Y%m%d%H%M%S}",
                    "NgayHenTraTruoc": f"{received + timedelta(days=5):%Y%m%d}170000",
                    "NgayHenTraMoi": f"{received + timedelta(days=6):%Y%m%d}170000",
                }
            ]
        yield record


def encoded_pages(records: list[dict[str, Any]], page_size: int) -> list[bytes]:
    """The pages as the source sends them: JSON bytes of the envelope."""
    return [
        orjson.dumps({"error_code": "0", "total": len(records), "data": records[i : i + page_size]})
        for i in range(0, len(records), page_size)
    ]


def _decoded(pages: list[bytes]) -> Iterator[list[Any]]:
    for page in pages:
        yield orjson.loads(page)["data"]


def _copy_text(value: Any) -> str:
    if value is None:
        return r"\N"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def prepare_copy_file(pages: list[bytes], path: Path, batch_id: int) -> int:
    """The rows the loader would write, as a COPY text file (computed once, not timed)."""
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        for page in parse_pages(DOSSIERS, _decoded(pages), Pseudonymiser("bench-key")):
            for item in page:
                if isinstance(item, Row):
                    out.write("\t".join(_copy_text(v) for v in (batch_id, *item.values)) + "\n")
                    rows += 1
    return rows


def _columns() -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(c) for c in ("batch_id", *DOSSIERS.table.column_names))


def _reset(conn: psycopg.Connection) -> None:
    conn.execute("truncate raw.onestop__dossiers")
    conn.execute("truncate ops.batches, ops.watermarks, ops.rejects cascade")
    conn.execute("vacuum analyze raw.onestop__dossiers")


def _timed(way: str, rows: int, action: Callable[[], None]) -> Measure:
    started = time.perf_counter()
    action()
    return Measure(way, rows, time.perf_counter() - started)


def _server_copy(conn: psycopg.Connection, path: Path) -> None:
    with conn.transaction():
        conn.execute(
            sql.SQL("copy {} ({}) from {}").format(
                sql.Identifier("raw", "onestop__dossiers"), _columns(), sql.Literal(str(path))
            )
        )


def _stream_copy(conn: psycopg.Connection, path: Path) -> None:
    with conn.transaction(), conn.cursor() as cur:
        query = sql.SQL("copy {} ({}) from stdin").format(
            sql.Identifier("raw", "onestop__dossiers"), _columns()
        )
        with cur.copy(query) as copy, path.open("rb") as source:
            while block := source.read(1 << 20):
                copy.write(block)


def _loader(conn: psycopg.Connection, pages: list[bytes]) -> None:
    key = BatchKey("onestop", "dossiers", START, START + timedelta(days=1))
    load_batch(conn, DOSSIERS.table, key, parse_pages(DOSSIERS, _decoded(pages), Pseudonymiser("bench-key")))


@contextlib.contextmanager
def _sandbox_process(records: list[dict[str, Any]], workdir: Path) -> Iterator[str]:
    """The sandbox serving `records` from files, in its own process as `make run` starts it."""
    from ingestion.sandbox.province import Province, export_province

    folder = workdir / "province"
    export_province(
        Province(agencies=[], procedures=[], dossiers=records, progress=[], clock_end=CLOCK_END), folder
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [sys.executable, "-m", "ingestion.sandbox", "serve", "--port", str(port)]
    argv += ["--username", "bench", "--password", "bench", "--data-dir", str(folder)]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/_sim/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("the sandbox did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _http_pull(sandbox_url: str, warehouse_url: str, page_size: int) -> Callable[[], None]:
    from ingestion.runner import ingest

    settings = Settings.from_env({"DTIMON_PSEUDONYM_KEY": "bench-key", "DTIMON_PAGE_SIZE": str(page_size)})

    def pull() -> None:
        ingest(
            "onestop",
            "dossiers",
            START - timedelta(days=1),
            CLOCK_END,
            endpoint=Endpoint(sandbox_url, "bench", "bench"),
            settings=settings,
            warehouse_url=warehouse_url,
        )

    return pull


def _can_read_server_files(conn: psycopg.Connection, settings: Settings) -> bool:
    if not settings.embedded:
        return False
    return bool(conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0])


@contextlib.contextmanager
def _bench_database(settings: Settings) -> Iterator[str]:
    postgres.ensure_server(settings, airflow=False)
    name = f"dtimon_bench_{uuid.uuid4().hex[:8]}"
    postgres.ensure_database(settings.server_url, name)
    try:
        yield replace_database(settings.server_url, name)
    finally:
        postgres.drop_database(settings.server_url, name)


def run(*, records: int, page_size: int, http_records: int, out: IO[str], repeat: int = 2) -> list[Measure]:
    settings = Settings.from_env()
    out.write(f"loader benchmark: {records:,} dossier records, page size {page_size} ({date.today()})\n")
    # Only the encoded pages are kept: live Python records would slow every way down with
    # garbage-collector work the real pipeline (one page in memory) does not have.
    pages = encoded_pages(list(synthetic_dossiers(records)), page_size)
    subset = list(synthetic_dossiers(http_records)) if http_records else []
    gc.collect()
    workdir = Path(tempfile.mkdtemp(prefix="dtimon-bench-"))
    os.chmod(workdir, 0o755)  # the embedded server runs as another OS user and must read the file
    measures: list[Measure] = []
    try:
        copy_file = workdir / "dossiers.copy"
        rows = prepare_copy_file(pages, copy_file, batch_id=1)
        os.chmod(copy_file, 0o644)
        with _bench_database(settings) as url, psycopg.connect(url, autocommit=True) as conn:
            migrate(conn)
            server_copy = _can_read_server_files(conn, settings)
            for _ in range(repeat):
                if server_copy:
                    _reset(conn)
                    measures.append(
                        _timed("COPY FROM file (server)", rows, lambda: _server_copy(conn, copy_file))
                    )
                _reset(conn)
                measures.append(
                    _timed("COPY FROM STDIN (prepared)", rows, lambda: _stream_copy(conn, copy_file))
                )
                _reset(conn)
                measures.append(_timed("dtimon loader", rows, lambda: _loader(conn, pages)))
            if subset:
                with _sandbox_process(subset, workdir) as sandbox_url:
                    pull = _http_pull(sandbox_url, url, page_size)
                    for _ in range(repeat):
                        _reset(conn)
                        measures.append(_timed("dtimon pull over HTTP", len(subset), pull))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    best: dict[str, Measure] = {}
    for measure in measures:
        if measure.way not in best or measure.rate > best[measure.way].rate:
            best[measure.way] = measure
    fastest = max(best.values(), key=lambda m: m.rate)
    out.write(f"{'way':<30} {'rows':>10} {'seconds':>9} {'rows/s':>10} {'ratio':>7}\n")
    for measure in sorted(best.values(), key=lambda m: -m.rate):
        out.write(
            f"{measure.way:<30} {measure.rows:>10,} {measure.seconds:>9.2f} {measure.rate:>10,.0f} "
            f"{measure.rate / fastest.rate:>7.2f}\n"
        )
    out.write(f"(best of {repeat}; ratio = rows/s ÷ rows/s of '{fastest.way}')\n")
    return list(best.values())
