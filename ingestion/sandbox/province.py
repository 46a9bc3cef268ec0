"""The simulated province as data, and its file form.

A `Province` holds the native records exactly as the sandbox serves them: agencies and
procedures (the catalogues), every dossier VERSION (a full snapshot after one change), every
progress row, every satisfaction rating and every feedback (PAKN) version. `clock_end` is the simulated "now": nothing happens at or after it.
It is a naive datetime in local time (Asia/Ho_Chi_Minh), like every native timestamp.

Files (one folder): `agencies.json` and `procedures.json` (JSON arrays), `dossiers.jsonl`,
`progress.jsonl`, `ratings.jsonl` and `feedback.jsonl` (one record per line; the last two may be
missing: none), all UTF-8. A line the sandbox cannot order (no JSON,
not an object, its time or key fields missing or of another type) is kept as `Unservable` and
served as it is, with its `file:line`, so the client rejects it with its reason.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

log = logging.getLogger(__name__)
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
STAMP_FORMAT = "%Y%m%d%H%M%S"

AGENCIES_FILE = "agencies.json"
PROCEDURES_FILE = "procedures.json"
DOSSIERS_FILE = "dossiers.jsonl"
PROGRESS_FILE = "progress.jsonl"
RATINGS_FILE = "ratings.jsonl"
FEEDBACK_FILE = "feedback.jsonl"


@dataclass(frozen=True)
class Unservable:
    """A line of a JSON-lines file the sandbox cannot order: served as it is (its JSON value, or
    its text as a JSON string when it is no JSON) in the window of `stamp` (its own time when it
    has one, else that of the line before it in the file), with `origin` (`file:line`)."""

    origin: str
    reason: str
    value: Any
    stamp: str


@dataclass(frozen=True)
class Province:
    agencies: list[dict]
    procedures: list[dict]
    dossiers: list[dict]
    progress: list[dict]
    clock_end: datetime
    ratings: list[dict] = field(default_factory=list)
    feedback: list[dict] = field(default_factory=list)
    #: file name → its lines the sandbox cannot order (replay only; served as they are)
    unservable: dict[str, list[Unservable]] = field(default_factory=dict)


def format_stamp(moment: datetime) -> str:
    """`yyyyMMddHHmmss` of a naive local datetime (aware ones are converted to local time)."""
    return to_local_naive(moment).strftime(STAMP_FORMAT)


def parse_stamp(text: str) -> datetime:
    """Strict `yyyyMMddHHmmss` → naive local datetime; ValueError otherwise."""
    if len(text) != 14 or not text.isascii() or not text.isdigit():
        raise ValueError(f"not a yyyyMMddHHmmss timestamp: {text!r}")
    try:  # the constructor checks the ranges and is ~10x faster than strptime
        return datetime(
            int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]), int(text[12:])
        )
    except ValueError:
        raise ValueError(f"not a valid yyyyMMddHHmmss timestamp: {text!r}") from None


def to_local_naive(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many acyclic records (it would cost 30–70 %)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def dossier_order(record: dict) -> tuple[str, str, int]:
    """Feed order of dossier versions: (`_updated_at`, `MaHoSo`, `_version` as int)."""
    return (record["_updated_at"], record["MaHoSo"], int(record["_version"]))


def progress_order(record: dict) -> tuple[str, str, str]:
    """Feed order of progress rows: (`ThoiDiemXuLy`, `MaHoSo`, `TrangThai`)."""
    return (record["ThoiDiemXuLy"], record["MaHoSo"], record["TrangThai"])


def rating_order(record: dict) -> tuple[str, str]:
    """Feed order of ratings: (`ThoiGianDanhGia`, `MaHoSo`)."""
    return (record["ThoiGianDanhGia"], record["MaHoSo"])


def feedback_order(record: dict) -> tuple[str, str]:
    """Feed order of feedback versions: (`NgayCapNhat`, `MaPAKN`)."""
    return (record["NgayCapNhat"], record["MaPAKN"])


#: the JSON-lines files besides dossiers and progress: file → (the fields a line needs to be
#: ordered, its time field); a folder without one has none of its records
EVENT_FILES = {
    RATINGS_FILE: (("MaHoSo", "ThoiGianDanhGia"), "ThoiGianDanhGia"),
    FEEDBACK_FILE: (("MaPAKN", "NgayCapNhat"), "NgayCapNhat"),
}


def export_province(province: Province, directory: Path) -> None:
    """Write the six files into `directory` (created if needed). Byte-stable for equal input."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / AGENCIES_FILE).write_bytes(_json_array(province.agencies))
    (directory / PROCEDURES_FILE).write_bytes(_json_array(province.procedures))
    (directory / DOSSIERS_FILE).write_bytes(_json_lines(province.dossiers))
    (directory / PROGRESS_FILE).write_bytes(_json_lines(province.progress))
    (directory / RATINGS_FILE).write_bytes(_json_lines(province.ratings))
    (directory / FEEDBACK_FILE).write_bytes(_json_lines(province.feedback))


def load_province(
    directory: Path, clock_end: datetime | None = None, skipped: list[str] | None = None
) -> Province:
    """Read the files. `clock_end` defaults to 1 s after the latest record timestamp.

    A line of a JSON-lines file the sandbox cannot order is kept as `Unservable` (served as it
    is) and reported as `file:line: reason` (logged, and appended to `skipped`).
    """
    agencies = _read_array(directory / AGENCIES_FILE)
    procedures = _read_array(directory / PROCEDURES_FILE)
    unservable: dict[str, list[Unservable]] = {DOSSIERS_FILE: [], PROGRESS_FILE: []}
    unservable |= {name: [] for name in EVENT_FILES}
    events: dict[str, list[dict]] = {}
    with gc_paused():
        dossiers = _read_lines(
            directory / DOSSIERS_FILE,
            ("MaHoSo", "_version", "_updated_at"),
            "_updated_at",
            unservable[DOSSIERS_FILE],
            skipped,
        )
        progress = _read_lines(
            directory / PROGRESS_FILE,
            ("MaHoSo", "TrangThai", "ThoiDiemXuLy"),
            "ThoiDiemXuLy",
            unservable[PROGRESS_FILE],
            skipped,
        )
        for name, (required, stamp_field) in EVENT_FILES.items():
            path = directory / name
            found = path.exists()
            events[name] = (
                _read_lines(path, required, stamp_field, unservable[name], skipped) if found else []
            )
    if clock_end is None:
        stamps = [r["_updated_at"] for r in dossiers] + [r["ThoiDiemXuLy"] for r in progress]
        stamps += [r[stamp] for name, (_, stamp) in EVENT_FILES.items() for r in events[name]]
        if not stamps:
            raise ValueError(f"{directory}: no dossier or progress records; pass clock_end")
        clock_end = parse_stamp(max(stamps)) + timedelta(seconds=1)
    return Province(
        agencies=agencies,
        procedures=procedures,
        dossiers=dossiers,
        progress=progress,
        clock_end=to_local_naive(clock_end),
        ratings=events[RATINGS_FILE],
        feedback=events[FEEDBACK_FILE],
        unservable={name: lines for name, lines in unservable.items() if lines},
    )


def _json_array(records: list[dict]) -> bytes:
    return orjson.dumps(records, option=orjson.OPT_INDENT_2) + b"\n"


def _json_lines(records: list[Any]) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def _read_array(path: Path) -> list[dict]:
    data = orjson.loads(path.read_bytes())
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError(f"{path}: expected a JSON array of objects")
    return data


def _read_lines(
    path: Path,
    required: tuple[str, ...],
    stamp_field: str,
    unservable: list[Unservable],
    bad_lines: list[str] | None = None,
) -> list[dict]:
    """The records of a JSON-lines file; a line the sandbox cannot order is appended to
    `unservable` (placed at its own time, else at the time of the line before it) and reported
    as `file:line: reason` (logged, and appended to `bad_lines`)."""
    records: list[dict] = []
    previous: str | None = None  # the time of the last line placed
    first_unplaced = len(unservable)
    with path.open("rb") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            reason = None
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                record, reason = line.rstrip(b"\r\n").decode(errors="replace"), f"not JSON ({exc})"
            if reason is None:
                reason = _line_problem(record, required, stamp_field)
            if reason is None:
                records.append(record)
                previous = record[stamp_field]
                continue
            message = f"{path.name}:{line_no}: {reason}"
            log.warning("served as it is: %s", message)
            if bad_lines is not None:
                bad_lines.append(message)
            own = record.get(stamp_field) if isinstance(record, dict) else None
            stamp = own if isinstance(own, str) and _is_stamp(own) else previous
            unservable.append(Unservable(f"{path.name}:{line_no}", reason, record, stamp or ""))
    # lines before the first good one take its time
    first = records[0][stamp_field] if records else ""
    for index in range(first_unplaced, len(unservable)):
        if not unservable[index].stamp:
            line = unservable[index]
            unservable[index] = Unservable(line.origin, line.reason, line.value, first)
    return records


def _is_stamp(text: str) -> bool:
    try:
        parse_stamp(text)
    except ValueError:
        return False
    return True


def _line_problem(record: Any, required: tuple[str, ...], stamp_field: str) -> str | None:
    """Why a decoded line cannot be served (its order and paging fields), else None."""
    if not isinstance(record, dict):
        return "not a JSON object"
    missing = [key for key in required if not isinstance(record.get(key), str)]
    if missing:
        return f"missing string field(s) {missing}"
    try:
        parse_stamp(record[stamp_field])
    except ValueError as exc:
        return f"{stamp_field}: {exc}"
    version = record.get("_version")
    if version is not None and not (version.isascii() and version.isdigit()):
        return "_version is not an integer"
    return None
