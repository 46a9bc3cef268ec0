"""The fault switch: which failures the sandbox injects into the next API requests.

Each mode is armed with a count of API requests (data pages for `malformed`) it affects.
Several modes can be armed at once; arming a mode again replaces its settings.
`token_expiry` acts at once (every issued token becomes invalid) and is not kept.
"""

from __future__ import annotations

import math
import re
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from xml.sax.saxutils import escape

import orjson

MODES = ("latency", "5xx", "timeout", "429", "token_expiry", "malformed")
DEFAULT_SECONDS: Mapping[str, float] = MappingProxyType({"latency": 1.0, "timeout": 5.0, "429": 1.0})
DEFAULT_RATE = 0.1
SERVER_ERROR_CYCLE = (503, 502, 500)
BAD_DATE = "20251345990000"
BAD_SLASH_DATE = "2025/13/45 99:00:00"  # the same, in the document exchange's `yyyy/MM/dd HH:mm:ss`
BAD_ISO_TIME = "2025-13-45T99:00:00+07:00"  # the same, in ISO 8601 (Hikvision alerts)
BAD_DASH_DATE = "2025-13-45 99:00:00"  # the same, in the field reports' `yyyy-MM-dd HH:mm:ss`
BAD_MILLISECONDS = "1756693187412 ms"  # a unix-milliseconds time as a string with its unit
#: a variant value that removes the field instead of setting it
MISSING = "<missing>"

# Per list endpoint: (field, bad value) variants, then a record sent as a JSON string (an XML
# record: not well-formed). A dotted field names a nested one (`after.id`: the `id` of `after`);
# an XML record's field is the text of its first element of that name.
_FIELD_VARIANTS: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType(
    {
        "hoso": (("NgayTiepNhan", BAD_DATE), ("MaHoSo", ""), ("TrangThaiHoSo", "X"), ("_version", "abc")),
        "tiendo": (("ThoiDiemXuLy", BAD_DATE), ("MaHoSo", ""), ("TrangThai", "X")),
        "danhgia": (("ThoiGianDanhGia", BAD_DATE), ("MaHoSo", ""), ("DanhGia", "X")),
        "pakn": (("NgayCapNhat", BAD_DATE), ("MaPAKN", ""), ("TrangThai", "X")),
        "thutuc": (("NGAYCAPNHAT", BAD_DATE), ("MATTHC", ""), ("TRANGTHAI", "X")),
        "coquan": (("NGAYCAPNHAT", BAD_DATE), ("MADONVI", ""), ("CAPDONVI", "X")),
        "workfiles": (("updated", BAD_SLASH_DATE), ("id", ""), ("processed_online", "X")),
        "events": (("after.frame_time", BAD_ISO_TIME), ("after.id", ""), ("type", "X")),
        "alerts": (("dateTime", BAD_ISO_TIME), ("channelID", ""), ("eventType", "X")),
        "transitions": (("at", BAD_ISO_TIME), ("camera_id", ""), ("state", "X")),
        "reports": (("NgayPhanAnh", BAD_DASH_DATE), ("PhanAnhID", ""), ("MucDoKhan", "X")),
        "opmon": (("requestInTs", BAD_MILLISECONDS), ("messageId", MISSING), ("succeeded", "X")),
    }
)
_KEY_FIELD: Mapping[str, str] = MappingProxyType(
    {
        "hoso": "MaHoSo",
        "tiendo": "MaHoSo",
        "danhgia": "MaHoSo",
        "pakn": "MaPAKN",
        "thutuc": "MATTHC",
        "coquan": "MADONVI",
        "workfiles": "id",
        "events": "after.id",
        "alerts": "dateTime",
        "transitions": "camera_id",
        "reports": "PhanAnhID",
        "opmon": "messageId",
    }
)


@dataclass
class Fault:
    mode: str
    remaining: int
    seconds: float | None = None
    rate: float | None = None
    hits: int = 0

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"mode": self.mode, "remaining": self.remaining}
        if self.seconds is not None:
            shown["seconds"] = self.seconds
        if self.rate is not None:
            shown["rate"] = self.rate
        return shown


@dataclass
class Effects:
    """What the armed faults do to one request, decided (and counted) when it arrives."""

    delay: float = 0.0
    timeout: float | None = None
    retry_after: int | None = None
    server_error: int | None = None


class FaultSwitch:
    """Thread-safe set of armed faults. `on_token_expiry` is called when that mode is set;
    `refused` maps a mode that has no meaning for a sandbox to the reason arming it fails."""

    def __init__(
        self, on_token_expiry: Callable[[], None] | None = None, refused: Mapping[str, str] | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._on_token_expiry = on_token_expiry
        self._refused = dict(refused or {})

    def set(self, mode: str, count: int = 1, seconds: float | None = None, rate: float | None = None) -> None:
        """Arm `mode` for the next `count` requests. ValueError on a bad mode or parameter."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
        if mode in self._refused:
            raise ValueError(self._refused[mode])
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError("count must be an integer >= 1")
        if seconds is not None and (_not_number(seconds) or seconds < 0 or not math.isfinite(seconds)):
            raise ValueError("seconds must be a number >= 0")
        if rate is not None and (_not_number(rate) or not 0 <= rate <= 1):
            raise ValueError("rate must be a number between 0 and 1")
        if mode == "token_expiry":
            if self._on_token_expiry is not None:
                self._on_token_expiry()
            return
        if mode in DEFAULT_SECONDS:
            seconds = float(DEFAULT_SECONDS[mode] if seconds is None else seconds)
            rate = None
        elif mode == "malformed":
            rate = float(DEFAULT_RATE if rate is None else rate)
            seconds = None
        else:
            seconds = rate = None
        with self._lock:
            self._faults[mode] = Fault(mode=mode, remaining=count, seconds=seconds, rate=rate)

    def set_from_request(self, body: Any) -> None:
        """Arm a fault from a `POST /_sim/fault` body. ValueError when the body is invalid."""
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        unknown = set(body) - {"mode", "count", "seconds", "rate"}
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
        if not isinstance(body.get("mode"), str):
            raise ValueError("mode is required")
        self.set(body["mode"], body.get("count", 1), body.get("seconds"), body.get("rate"))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._faults[mode].as_dict() for mode in MODES if mode in self._faults]

    def take(self) -> Effects:
        """Consume one use of each armed transport fault (latency, timeout, 429, 5xx)."""
        effects = Effects()
        with self._lock:
            for mode in ("latency", "timeout", "429", "5xx"):
                fault = self._use(mode)
                if fault is None:
                    continue
                if mode == "latency":
                    effects.delay = fault.seconds or 0.0
                elif mode == "timeout":
                    effects.timeout = fault.seconds or 0.0
                elif mode == "429":
                    effects.retry_after = math.ceil(fault.seconds or 0.0)
                else:
                    effects.server_error = SERVER_ERROR_CYCLE[(fault.hits - 1) % len(SERVER_ERROR_CYCLE)]
        return effects

    def take_malformed(self) -> float | None:
        """Consume one use of `malformed` for a data page: the rate to apply, or None."""
        use = self.take_malformed_use()
        return None if use is None else use[0]

    def take_malformed_use(self) -> tuple[float, int] | None:
        """Consume one use of `malformed`: (its rate, this use's number since it was armed, from
        1), or None when it is not armed."""
        with self._lock:
            fault = self._use("malformed")
            return None if fault is None else (fault.rate or 0.0, fault.hits)

    def _use(self, mode: str) -> Fault | None:
        fault = self._faults.get(mode)
        if fault is None:
            return None
        fault.remaining -= 1
        fault.hits += 1
        if fault.remaining <= 0:
            del self._faults[mode]
        return fault


def malform(endpoint: str, records: Sequence[dict], rate: float, page: int) -> list[Any]:
    """Replace round(rate × len) records by malformed variants; same input ⇒ same output."""
    variants = _FIELD_VARIANTS[endpoint]
    key_field = _KEY_FIELD[endpoint]
    keys = [_get(record, key_field) if isinstance(record, dict) else "" for record in records]
    objects = [position for position, record in enumerate(records) if isinstance(record, dict)]
    result: list[Any] = list(records)
    for position, variant in _chosen(keys, objects, rate, page, len(variants) + 1):
        if variant == len(variants):
            result[position] = orjson.dumps(records[position]).decode()
        else:
            name, value = variants[variant]
            result[position] = _set(records[position], name, value)
    return result


def malform_xml(endpoint: str, records: Sequence[bytes], rate: float, page: int) -> list[bytes]:
    """The same for XML records (one element each, as bytes): round(rate × len) of them get a
    field variant (the first element of that name gets the bad text: still well-formed XML) or
    are left not well-formed (the closing tag of their key field removed)."""
    variants = _FIELD_VARIANTS[endpoint]
    key_field = _KEY_FIELD[endpoint]
    keys = [_xml_text(record, key_field) or "" for record in records]
    result = list(records)
    for position, variant in _chosen(keys, range(len(records)), rate, page, len(variants) + 1):
        record = records[position]
        if variant == len(variants):
            result[position] = record.replace(f"</{key_field}>".encode(), b"", 1)
        else:
            name, value = variants[variant]
            found = re.search(f"<{name}>[^<]*</{name}>".encode(), record)
            if found is not None:
                bad = f"<{name}>{escape(value)}</{name}>".encode()
                result[position] = record[: found.start()] + bad + record[found.end() :]
    return result


def _chosen(
    keys: Sequence[Any], candidates: Sequence[int], rate: float, page: int, ways: int
) -> list[tuple[int, int]]:
    """(position, variant number) of the records to break: round(rate × len) of the candidates,
    chosen and varied by a CRC of (page, position, key)."""
    scores = [zlib.crc32(f"{page}:{position}:{key}".encode()) for position, key in enumerate(keys)]
    how_many = math.floor(rate * len(keys) + 0.5)
    chosen = sorted(candidates, key=lambda position: (scores[position], position))[:how_many]
    return [(position, scores[position] % ways) for position in chosen]


def _get(record: dict, name: str) -> Any:
    for part in name.split("."):
        record = record.get(part, "") if isinstance(record, dict) else ""
    return record


def _set(record: dict, name: str, value: str) -> dict:
    """A copy of `record` with the (dotted) field set to `value` (removed for MISSING)."""
    head, _, rest = name.partition(".")
    if not rest and value == MISSING:
        return {key: item for key, item in record.items() if key != head}
    if not rest:
        return {**record, head: value}
    inner = record.get(head)
    return {**record, head: _set(inner if isinstance(inner, dict) else {}, rest, value)}


def _xml_text(record: bytes, name: str) -> str | None:
    found = re.search(f"<{name}>([^<]*)</{name}>".encode(), record)
    return None if found is None else found[1].decode(errors="replace")


def _not_number(value: Any) -> bool:
    return isinstance(value, bool) or not isinstance(value, int | float)
