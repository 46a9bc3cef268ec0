"""The simulated IOC as data, served a day at a time, and its replay folder.

An `Ioc` has the camera registry, the report categories and agencies, the span (`start`, and
`end`: the simulated clock, exclusive) and `part(d, stream)`: one stream (events, alerts, status,
reports) of local day `d` in the order it is served, each record already as the bytes that are
sent. Parts are built on first use and kept in a bounded cache (`CACHE_BYTES`): the generator
draws a day's stream from its own random streams, a replay reads that day's file.

Replay folder (what `export` writes into `<DIR>/ioc/`), one file per day per stream:

- `meta.json` `{"start": "yyyy-MM-dd", "end": "yyyy-MM-dd"}` (the span; `end` the clock),
- `cameras.json`, `categories.json`, `agencies.json`: the registry and the two lists as served,
- `events/<yyyy-MM-dd>.jsonl`: the Frigate messages whose `after.frame_time` is on that local day,
  one a line, in served order,
- `alerts/<yyyy-MM-dd>.xml`: the Hikvision alerts whose `dateTime` is on that day, one
  `EventNotificationAlert` a line inside an `<EventNotificationAlertList>` document,
- `status/<yyyy-MM-dd>.jsonl`: the camera status transitions, one a line,
- `reports/<yyyy-MM-dd>.jsonl`: the field reports created that day, as of the clock, one a line.

Lines are served as they are (byte-identical answers); a missing day file is an empty day; a
line whose sort key cannot be read is logged and served after the line before it.
"""

from __future__ import annotations

import abc
import logging
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import orjson

META_FILE = "meta.json"
CAMERAS_FILE = "cameras.json"
CATEGORIES_FILE = "categories.json"
AGENCIES_FILE = "agencies.json"
EVENTS_DIR, ALERTS_DIR, STATUS_DIR, REPORTS_DIR = "events", "alerts", "status", "reports"
STREAM_FILES = {
    "events": (EVENTS_DIR, ".jsonl"),
    "alerts": (ALERTS_DIR, ".xml"),
    "status": (STATUS_DIR, ".jsonl"),
    "reports": (REPORTS_DIR, ".jsonl"),
}
LOWEST_KEYS: dict[str, Any] = {"events": (-math.inf, ""), "alerts": "", "status": -math.inf, "reports": None}
ALERT_LIST_OPEN = b'<?xml version="1.0" encoding="UTF-8"?>\n<EventNotificationAlertList>\n'
ALERT_LIST_CLOSE = b"</EventNotificationAlertList>\n"
#: the bytes of built parts kept (a day at scale 1.0 is ≈ 60 MB of answers, at 0.1 ≈ 6 MB)
CACHE_BYTES = 200_000_000
LOCAL_OFFSET = timedelta(hours=7)
_EPOCH = datetime(1970, 1, 1)
log = logging.getLogger(__name__)
_DATE_TIME = re.compile(rb"<dateTime>([^<]{19})[^<]*</dateTime>")


def local_day_start(day: date) -> float:
    """Epoch seconds (UTC) of local midnight starting `day` (Asia/Ho_Chi_Minh, UTC+7, no DST)."""
    return (datetime.combine(day, time()) - LOCAL_OFFSET - _EPOCH).total_seconds()


def local_moment(epoch: float) -> datetime:
    """The naive local time of epoch seconds (no wall clock, no time-zone database)."""
    return _EPOCH + LOCAL_OFFSET + timedelta(seconds=epoch)


def format_local(moment: datetime) -> str:
    """`yyyy-MM-dd HH:mm:ss` (the field reports' format)."""
    return "%04d-%02d-%02d %02d:%02d:%02d" % (  # noqa: UP031
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )


STREAMS = ("events", "alerts", "status", "reports")


@dataclass(frozen=True)
class Part:
    """One stream of one local day in served order: each record as the bytes sent, and its key —
    events: (after.frame_time, after.id); alerts: dateTime as `yyyy-MM-ddTHH:mm:ss`; status:
    `at`; reports: (MaDinhDanh, answered) (reports are in (NgayPhanAnh, PhanAnhID) order)."""

    records: list[bytes] = field(default_factory=list)
    keys: list[Any] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(record) for record in self.records)


EMPTY_PART = Part()


class Ioc(abc.ABC):
    """The served IOC: lists and days. `start`/`end` None: an empty replay."""

    def __init__(
        self,
        start: date | None,
        end: date | None,
        cameras: list[dict[str, Any]],
        categories: list[dict[str, Any]],
        agencies: list[dict[str, Any]],
    ) -> None:
        self.start = start
        self.end = end
        self.cameras = cameras
        self.categories = categories
        self.agencies = agencies
        #: the (day, stream) parts built so far, in the order they were built (evicted ones included)
        self.built: list[tuple[date, str]] = []
        self._cache: OrderedDict[tuple[date, str], Part] = OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()

    @property
    def clock_end(self) -> datetime | None:
        return None if self.end is None else datetime.combine(self.end, time())

    def days(self) -> list[date]:
        if self.start is None or self.end is None:
            return []
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]

    def part(self, day: date, stream: str) -> Part:
        """Stream `stream` (one of STREAMS) of day `day`, built on first use (empty outside the
        span). Built parts are kept up to CACHE_BYTES, the least recently used evicted first."""
        if self.start is None or self.end is None or not self.start <= day < self.end:
            return EMPTY_PART
        with self._lock:
            found = self._cache.get((day, stream))
            if found is not None:
                self._cache.move_to_end((day, stream))
                return found
            built = self._build(day, stream)
            self.built.append((day, stream))
            self._cache[(day, stream)] = built
            self._cached_bytes += built.size
            while self._cached_bytes > CACHE_BYTES and len(self._cache) > 1:
                self._cached_bytes -= self._cache.popitem(last=False)[1].size
            return built

    @abc.abstractmethod
    def _build(self, day: date, stream: str) -> Part:
        """Build one part (a day within the span; called once per cache miss, under the lock)."""


def export_ioc(ioc: Ioc, directory: Path) -> None:
    """Write the replay folder into `directory` (created if needed), a day at a time."""
    for sub in (EVENTS_DIR, ALERTS_DIR, STATUS_DIR, REPORTS_DIR):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    meta = {
        "start": ioc.start.isoformat() if ioc.start else None,
        "end": ioc.end.isoformat() if ioc.end else None,
    }
    (directory / META_FILE).write_bytes(orjson.dumps(meta) + b"\n")
    lists = ((CAMERAS_FILE, ioc.cameras), (CATEGORIES_FILE, ioc.categories), (AGENCIES_FILE, ioc.agencies))
    for name, value in lists:
        (directory / name).write_bytes(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n")
    for day in ioc.days():
        name = day.isoformat()
        for stream, sub in (("events", EVENTS_DIR), ("status", STATUS_DIR), ("reports", REPORTS_DIR)):
            (directory / sub / f"{name}.jsonl").write_bytes(_lines(ioc.part(day, stream).records))
        alerts = ioc.part(day, "alerts").records
        (directory / ALERTS_DIR / f"{name}.xml").write_bytes(
            ALERT_LIST_OPEN + _lines(alerts) + ALERT_LIST_CLOSE
        )


def _lines(records: list[bytes]) -> bytes:
    return b"".join(record + b"\n" for record in records)


class LoadedIoc(Ioc):
    """A replay folder, read a day at a time when first asked."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        meta = _read_json(directory / META_FILE, dict) or {}
        start, end = meta.get("start"), meta.get("end")
        super().__init__(
            date.fromisoformat(start) if isinstance(start, str) else None,
            date.fromisoformat(end) if isinstance(end, str) else None,
            _read_json(directory / CAMERAS_FILE, list) or [],
            _read_json(directory / CATEGORIES_FILE, list) or [],
            _read_json(directory / AGENCIES_FILE, list) or [],
        )

    def _build(self, day: date, stream: str) -> Part:
        """The day's file of `stream`, each line served as it is. A line whose sort key cannot be
        read is logged (`served as it is: file:line: reason`) and takes the key of the line
        before it (events, alerts, status); a report line without its agency is never listed."""
        sub, suffix = STREAM_FILES[stream]
        path = self.directory / sub / f"{day.isoformat()}{suffix}"
        built = Part()
        if not path.is_file():
            return built
        previous = LOWEST_KEYS[stream]
        for number, line in enumerate(path.read_bytes().split(b"\n"), start=1):
            if not line.strip() or (stream == "alerts" and not line.startswith(b"<EventNotificationAlert ")):
                continue  # blank, or the list's own opening and closing lines
            try:
                key = _key(stream, line)
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                log.warning("served as it is: %s/%s:%d: %s", sub, path.name, number, exc)
                key = previous
            built.records.append(line)
            built.keys.append(key)
            previous = key
        return built


def _key(stream: str, line: bytes) -> Any:
    if stream == "alerts":
        found = _DATE_TIME.search(line)
        if found is None:
            raise ValueError("no dateTime")
        return found[1].decode()
    record = orjson.loads(line)
    if stream == "events":
        return (float(record["after"]["frame_time"]), str(record["after"]["id"]))
    if stream == "status":
        return float(record["at"])
    return (str(record["MaDinhDanh"]), record.get("NgayTraLoi") is not None)


def load_ioc(directory: Path) -> LoadedIoc:
    """Read a replay folder's lists and span; days are read when first asked. ValueError when a
    list file is not the JSON it should be."""
    return LoadedIoc(directory)


def _read_json(path: Path, kind: type) -> Any:
    if not path.exists():
        return None
    value = orjson.loads(path.read_bytes())
    if not isinstance(value, kind):
        raise ValueError(f"{path}: expected a JSON {'array' if kind is list else 'object'}")
    return value
