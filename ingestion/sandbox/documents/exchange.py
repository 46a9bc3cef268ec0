"""The simulated document exchange as data, and its replay folder.

An `Exchange` holds the agency directory, the queue (every item in queue order: its listing
as `POST /vxp/v1/edocs/received` answers it, and how to get its package's bytes) and the
work-file versions. `clock_end` is the simulated "now": nothing is created at or after it.

Replay folder (what `export` writes into `<DIR>/documents/`): `agencies.json` (a JSON array),
`queue.jsonl` (one queue item a line: DocId, messagetype, servicetype, from, to, created_time
and package, the path of its file relative to the folder), `packages/<DocId>.xml` (the exact
bytes) and `workfiles.jsonl` (one work-file version a line). A line the sandbox cannot place
is reported as `file:line: reason` and served as it is, as the one-stop sandbox does
(`ingestion/sandbox/province.py`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)

AGENCIES_FILE = "agencies.json"
QUEUE_FILE = "queue.jsonl"
WORKFILES_FILE = "workfiles.jsonl"
PACKAGES_DIR = "packages"
MESSAGE_TYPES = ("edoc", "status")
#: the fields of a queue line, in the order the list answers them (besides `package`)
LISTING_FIELDS = ("DocId", "from", "to", "messagetype", "servicetype", "created_time")
WORKFILE_REQUIRED = ("id", "agency", "updated")


def format_time(moment: datetime) -> str:
    """`yyyy/MM/dd HH:mm:ss` (the %-format is three times faster than strftime)."""
    return "%04d/%02d/%02d %02d:%02d:%02d" % (  # noqa: UP031
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )


def format_date(moment: datetime) -> str:
    """`yyyy/MM/dd`."""
    return "%04d/%02d/%02d" % (moment.year, moment.month, moment.day)  # noqa: UP031


def parse_time(text: str) -> datetime:
    """Strict `yyyy/MM/dd HH:mm:ss` → naive local datetime; ValueError otherwise."""
    if len(text) != 19 or text[4] != "/" or text[7] != "/" or text[10] != " " or text[13] != ":":
        raise ValueError(f"not a yyyy/MM/dd HH:mm:ss time: {text!r}")
    return datetime.strptime(text, "%Y/%m/%d %H:%M:%S")


def parse_date(text: str) -> datetime:
    """Strict `yyyy/MM/dd` → midnight; ValueError otherwise."""
    if len(text) != 10 or text[4] != "/" or text[7] != "/":
        raise ValueError(f"not a yyyy/MM/dd date: {text!r}")
    return datetime.strptime(text, "%Y/%m/%d")


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One item of the queue: what the list answers for it and how to get its package."""

    #: the listing (LISTING_FIELDS), or a replay line served as it is
    listing: Any
    messagetype: str
    #: its place in the queue (`yyyy/MM/dd HH:mm:ss`)
    created_time: str
    #: None: a replay line without a usable DocId (listed, never fetched nor acknowledged)
    doc_id: str | None
    #: the package's bytes (rendered, or read from its file); None: it has no package
    package: Callable[[], bytes] | None
    #: replay: the `file:line` of a line served as it is ("" otherwise)
    origin: str = ""


@dataclass(frozen=True)
class Exchange:
    agencies: list[dict[str, str]]
    #: in queue order: (created_time, DocId)
    items: list[QueueItem]
    #: work-file versions in (updated, id) order; a replay line served as it is is kept as
    #: (record, agency, updated, origin) in `unplaced_workfiles`
    workfiles: list[dict[str, Any]]
    #: None: an empty replay (no item, no work file)
    clock_end: datetime | None
    unplaced_workfiles: list[tuple[Any, str, str, str]] = field(default_factory=list)


def export_exchange(exchange: Exchange, directory: Path) -> None:
    """Write the replay folder into `directory` (created if needed): byte-stable for equal input.
    Packages are rendered and written one at a time."""
    packages = directory / PACKAGES_DIR
    packages.mkdir(parents=True, exist_ok=True)
    (directory / AGENCIES_FILE).write_bytes(
        orjson.dumps(exchange.agencies, option=orjson.OPT_INDENT_2) + b"\n"
    )
    with (directory / QUEUE_FILE).open("wb") as queue:
        for item in exchange.items:
            if item.doc_id is None or item.package is None or not isinstance(item.listing, dict):
                continue  # a replay line served as it is has no place in a clean export
            relative = f"{PACKAGES_DIR}/{item.doc_id}.xml"
            queue.write(orjson.dumps({**item.listing, "package": relative}) + b"\n")
            (directory / relative).write_bytes(item.package())
    (directory / WORKFILES_FILE).write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in exchange.workfiles))


def load_exchange(directory: Path, bad_lines: list[str] | None = None) -> Exchange:
    """Read a replay folder. A line that cannot be placed is logged as `file:line: reason`
    (and appended to `bad_lines`) and served as it is; a missing file is an empty part."""
    agencies_path = directory / AGENCIES_FILE
    agencies: list[dict[str, str]] = []
    if agencies_path.exists():
        data = orjson.loads(agencies_path.read_bytes())
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise ValueError(f"{agencies_path}: expected a JSON array of objects")
        agencies = data
    items = _read_queue(directory, bad_lines) if (directory / QUEUE_FILE).exists() else []
    workfiles: list[dict[str, Any]] = []
    unplaced: list[tuple[Any, str, str, str]] = []
    if (directory / WORKFILES_FILE).exists():
        workfiles, unplaced = _read_workfiles(directory / WORKFILES_FILE, bad_lines)
    stamps = [item.created_time for item in items] + [r["updated"] for r in workfiles]
    clock_end = parse_time(max(stamps)) + timedelta(seconds=1) if stamps else None
    return Exchange(agencies, items, workfiles, clock_end, unplaced)


def _lines(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, decoded value, None) per non-blank line, or (number, its text, why not JSON)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, orjson.loads(line), None
            except orjson.JSONDecodeError as exc:
                yield number, line.rstrip(b"\r\n").decode(errors="replace"), f"not JSON ({exc})"


def _report(message: str, bad_lines: list[str] | None) -> None:
    log.warning("served as it is: %s", message)
    if bad_lines is not None:
        bad_lines.append(message)


def _valid_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_time(value)
    except ValueError:
        return False
    return True


def _read_queue(directory: Path, bad_lines: list[str] | None) -> list[QueueItem]:
    path = directory / QUEUE_FILE
    root = directory.resolve()
    placed: list[tuple[str, int, str, QueueItem]] = []
    previous = ""  # the time of the last line placed
    unplaced_first: list[int] = []  # positions in `placed` of bad lines before the first good one
    for number, value, reason in _lines(path):
        origin = f"{path.name}:{number}"
        if reason is None:
            reason = _queue_problem(value)
        if reason is None:
            package_path = (directory / value["package"]).resolve()
            if not package_path.is_relative_to(root):
                reason = f"package {value['package']!r} is outside the folder"
            elif not package_path.is_file():  # listed; its fetch answers 404 naming the line
                message = f"{origin}: package {value['package']} not found"
                log.warning("%s", message)
                if bad_lines is not None:
                    bad_lines.append(message)
        if reason is None:
            listing = {name: value.get(name, "eDoc") for name in LISTING_FIELDS}
            reader = functools.partial(_read_package, package_path, origin)
            item = QueueItem(listing, value["messagetype"], value["created_time"], value["DocId"], reader)
            placed.append((item.created_time, 0, item.doc_id or "", item))
            previous = item.created_time
            continue
        _report(f"{origin}: {reason}", bad_lines)
        own = value.get("created_time") if isinstance(value, dict) else None
        stamp = own if _valid_time(own) else previous
        kind = value.get("messagetype") if isinstance(value, dict) else None
        doc_id = value.get("DocId") if isinstance(value, dict) else None
        package = value.get("package") if isinstance(value, dict) else None
        reader = None
        if isinstance(doc_id, str) and isinstance(package, str):
            candidate = (directory / package).resolve()
            if candidate.is_relative_to(root):
                reader = functools.partial(_read_package, candidate, origin)
        item = QueueItem(
            value,
            kind if kind in MESSAGE_TYPES else "edoc",
            stamp,
            doc_id if isinstance(doc_id, str) else None,
            reader,
            origin,
        )
        if not stamp:
            unplaced_first.append(len(placed))
        placed.append((stamp, 1, origin, item))
    first = next((entry[0] for entry in placed if entry[1] == 0), "")
    for position in unplaced_first:  # lines before the first good one take its time
        _, rank, key, item = placed[position]
        item = QueueItem(item.listing, item.messagetype, first, item.doc_id, item.package, item.origin)
        placed[position] = (first, rank, key, item)
    placed.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in placed]


def _queue_problem(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "not a JSON object"
    required = ("DocId", "messagetype", "from", "to", "created_time", "package")
    missing = [name for name in required if not isinstance(value.get(name), str)]
    if missing:
        return f"missing string field(s) {missing}"
    if value["messagetype"] not in MESSAGE_TYPES:
        return f"messagetype {value['messagetype']!r} is neither edoc nor status"
    if not _valid_time(value["created_time"]):
        return f"created_time {value['created_time']!r} is no yyyy/MM/dd HH:mm:ss"
    return None


def _read_package(path: Path, origin: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FileNotFoundError(f"{origin}: package {path.name} unreadable ({exc.strerror})") from exc


def _read_workfiles(
    path: Path, bad_lines: list[str] | None
) -> tuple[list[dict[str, Any]], list[tuple[Any, str, str, str]]]:
    """The work-file versions, and the lines served as they are: (value, agency, time, origin),
    placed under their own agency and time when they have them, else the line before's."""
    records: list[dict[str, Any]] = []
    unplaced: list[tuple[Any, str, str, str]] = []
    previous_time, previous_agency = "", ""
    for number, value, reason in _lines(path):
        if reason is None:
            if not isinstance(value, dict):
                reason = "not a JSON object"
            else:
                missing = [name for name in WORKFILE_REQUIRED if not isinstance(value.get(name), str)]
                if missing:
                    reason = f"missing string field(s) {missing}"
                elif not _valid_time(value["updated"]):
                    reason = f"updated {value['updated']!r} is no yyyy/MM/dd HH:mm:ss"
        if reason is None:
            records.append(value)
            previous_time, previous_agency = value["updated"], value["agency"]
            continue
        origin = f"{path.name}:{number}"
        _report(f"{origin}: {reason}", bad_lines)
        own_time = value.get("updated") if isinstance(value, dict) else None
        own_agency = value.get("agency") if isinstance(value, dict) else None
        unplaced.append(
            (
                value,
                own_agency if isinstance(own_agency, str) else previous_agency,
                own_time if _valid_time(own_time) else previous_time,
                origin,
            )
        )
    first = records[0] if records else {"updated": "", "agency": ""}
    unplaced = [
        (value, agency or first["agency"], stamp or first["updated"], origin)
        for value, agency, stamp, origin in unplaced
    ]
    records.sort(key=lambda r: (r["updated"], r["id"]))
    return records, unplaced
