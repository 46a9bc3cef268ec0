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
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from ingestion.sandbox.days import (
    CACHE_BYTES,
    EMPTY_PART,
    LOCAL_OFFSET,
    DayParts,
    Part,
    local_day_start,
    local_moment,
)

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
# CACHE_BYTES (shared, `ingestion/sandbox/days.py`): a day at scale 1.0 is ≈ 60 MB of answers, at 0.1 ≈ 6 MB
__all__ = [
    "CACHE_BYTES",
    "EMPTY_PART",
    "LOCAL_OFFSET",
    "STREAMS",
    "Ioc",
    "LoadedIoc",
    "Part",
    "export_ioc",
    "format_local",
    "load_ioc",
    "local_day_start",
    "local_moment",
]
log = logging.getLogger(__name__)
_DATE_TIME = re.compile(rb"<dateTime>([^<]{19})[^<]*</dateTime>")


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


class Ioc(DayParts):
    """The served IOC: lists and days (streams `STREAMS`; keys: events (after.frame_time,
    after.id); alerts dateTime as `yyyy-MM-ddTHH:mm:ss`; status `at`; reports (MaDinhDanh,
    answered), reports in (NgayPhanAnh, PhanAnhID) order). `start`/`end` None: an empty replay."""

    def __init__(
        self,
        start: date | None,
        end: date | None,
        cameras: list[dict[str, Any]],
        categories: list[dict[str, Any]],
        agencies: list[dict[str, Any]],
    ) -> None:
        super().__init__(start, end)
        self.cameras = cameras
        self.categories = categories
        self.agencies = agencies

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
