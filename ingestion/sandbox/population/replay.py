"""The simulated population database interface as data, served a day at a time, and its replay
folder.

A `Population` has the span (`start`, and `end`: the simulated clock, exclusive), the province
code, `part(d, "opmon")`: the operational-monitoring records whose `monitoringDataTs` is on local
day `d`, in served order, each already as the bytes that are sent (keys: (`monitoringDataTs`,
`requestInTs`, `messageId`, client `VN/GOV/<member>/<subsystem>`)), and `figures(month)`: every
published version of every commune's monthly statistics of `yyyyMM`, in (`MaXa`, `NgayCapNhat`)
order. Which of them an answer shows depends on the clock ("now"): the server decides.

Replay folder (what `export` writes into `<DIR>/population/`):

- `meta.json` `{"start": "yyyy-MM-dd", "end": "yyyy-MM-dd", "province": "46"}`,
- `opmon/<yyyy-MM-dd>.jsonl`: the records of that local day (by `monitoringDataTs`), one a line,
  in served order,
- `statistics/<yyyyMM>.jsonl`: the month's figure versions, one a line: `MaXa`, `Thang`,
  `SoDanCu`, `SoTaiKhoanMuc1`, `SoTaiKhoanMuc2`, `NgayCapNhat` and `vendor` (`mic` or `gtel`:
  the namespace it is served in).

Lines are served as they are; a missing file is an empty day or month; an opmon line whose key
cannot be read is logged and served after the line before it; a statistics line that is not a
figure is logged and left out.
"""

from __future__ import annotations

import abc
import logging
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from ingestion.sandbox.days import DayParts, Part

META_FILE = "meta.json"
OPMON_DIR, STATISTICS_DIR = "opmon", "statistics"
OPMON = "opmon"
STREAMS = (OPMON,)
#: the namespaces of the statistics: the ministry's (`ns1`) and the second vendor's (GTEL, `qldc`)
MIC_NAMESPACE, GTEL_NAMESPACE = "http://www.mic.gov.vn/dancu/1.0", "http://gtel.vn/qldc"
FIGURE_FIELDS = ("MaXa", "Thang", "SoDanCu", "SoTaiKhoanMuc1", "SoTaiKhoanMuc2", "NgayCapNhat", "vendor")
LOWEST_KEY = (-1, -1, "", "")
log = logging.getLogger(__name__)


def span_months(start: date | None, end: date | None) -> list[str]:
    """`yyyyMM` of every month with a day in [start, end)."""
    if start is None or end is None or end <= start:
        return []
    months = []
    month = start.replace(day=1)
    while month < end:
        months.append(f"{month:%Y%m}")
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def client_of(record: dict[str, Any]) -> str:
    """`INSTANCE/CLASS/MEMBER/SUBSYSTEM` of a record's client (what `client=` filters on)."""
    return "/".join(
        str(record[name])
        for name in ("clientXRoadInstance", "clientMemberClass", "clientMemberCode", "clientSubsystemCode")
    )


def opmon_key(record: dict[str, Any]) -> tuple[int, int, str, str]:
    """The served order of a record; KeyError, TypeError or ValueError when it has none."""
    timestamp, request_in = record["monitoringDataTs"], record["requestInTs"]
    if not isinstance(timestamp, int) or not isinstance(request_in, int) or isinstance(timestamp, bool):
        raise TypeError("monitoringDataTs and requestInTs must be integers")
    return (timestamp, request_in, str(record["messageId"]), client_of(record))


class Population(DayParts):
    """The served interface: log days and statistics months. `start`/`end` None: an empty replay."""

    def __init__(self, start: date | None, end: date | None, province_code: str | None) -> None:
        super().__init__(start, end)
        self.province_code = province_code
        self._figures: dict[str, list[dict[str, Any]]] = {}

    def months(self) -> list[str]:
        return span_months(self.start, self.end)

    def figures(self, month: str) -> list[dict[str, Any]]:
        """Every version of the month's figures (`FIGURE_FIELDS`), in (MaXa, NgayCapNhat) order;
        empty for a month outside the span."""
        if month not in self.months():
            return []
        with self._lock:
            found = self._figures.get(month)
            if found is None:
                found = self._figures[month] = self._build_figures(month)
            return found

    @abc.abstractmethod
    def _build_figures(self, month: str) -> list[dict[str, Any]]:
        """The figure versions of a month of the span (called once, under the lock)."""


def export_population(population: Population, directory: Path) -> None:
    """Write the replay folder into `directory` (created if needed), a day at a time."""
    for sub in (OPMON_DIR, STATISTICS_DIR):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    meta = {
        "start": population.start.isoformat() if population.start else None,
        "end": population.end.isoformat() if population.end else None,
        "province": population.province_code,
    }
    (directory / META_FILE).write_bytes(orjson.dumps(meta) + b"\n")
    for day in population.days():
        records = population.part(day, OPMON).records
        (directory / OPMON_DIR / f"{day.isoformat()}.jsonl").write_bytes(b"".join(r + b"\n" for r in records))
    for month in population.months():
        lines = b"".join(orjson.dumps(figure) + b"\n" for figure in population.figures(month))
        (directory / STATISTICS_DIR / f"{month}.jsonl").write_bytes(lines)


class LoadedPopulation(Population):
    """A replay folder, read a day (a month) at a time when first asked."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        meta_path = directory / META_FILE
        meta = orjson.loads(meta_path.read_bytes()) if meta_path.exists() else {}
        if not isinstance(meta, dict):
            raise ValueError(f"{meta_path}: expected a JSON object")
        start, end, province = meta.get("start"), meta.get("end"), meta.get("province")
        super().__init__(
            date.fromisoformat(start) if isinstance(start, str) else None,
            date.fromisoformat(end) if isinstance(end, str) else None,
            province if isinstance(province, str) else None,
        )

    def _build(self, day: date, stream: str) -> Part:
        """The day's file, each line served as it is. A line whose key cannot be read is logged
        (`served as it is: opmon/<day>.jsonl:<line>: reason`) and takes the key of the line before."""
        path = self.directory / OPMON_DIR / f"{day.isoformat()}.jsonl"
        built = Part()
        if not path.is_file():
            return built
        previous: tuple[int, int, str, str] = LOWEST_KEY
        for number, line in enumerate(path.read_bytes().split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                key = opmon_key(orjson.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("served as it is: %s/%s:%d: %s", OPMON_DIR, path.name, number, exc)
                key = previous
            built.records.append(line)
            built.keys.append(key)
            previous = key
        return built

    def _build_figures(self, month: str) -> list[dict[str, Any]]:
        path = self.directory / STATISTICS_DIR / f"{month}.jsonl"
        figures: list[dict[str, Any]] = []
        if not path.is_file():
            return figures
        for number, line in enumerate(path.read_bytes().split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                figure = orjson.loads(line)
                if not isinstance(figure, dict) or any(name not in figure for name in FIGURE_FIELDS):
                    raise ValueError(f"expected an object with {', '.join(FIGURE_FIELDS)}")
            except ValueError as exc:
                log.warning("left out: %s/%s:%d: %s", STATISTICS_DIR, path.name, number, exc)
                continue
            figures.append(figure)
        return figures


def load_population(directory: Path) -> LoadedPopulation:
    """Read a replay folder's span; days and months are read when first asked. ValueError when
    `meta.json` is not the JSON it should be."""
    return LoadedPopulation(directory)
