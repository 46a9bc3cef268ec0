"""Deterministic, lazy generation of the province's Intelligent Operations Centre (see README.md).

It builds on the one-stop sandbox's province (`ingestion.sandbox.generator.province_setting`: the
same agencies, their one-stop desk officers, communes and work calendar). The registry, the
categories and the few multi-day outages are drawn at start (milliseconds). Everything that
happens on a local day — Frigate events, Hikvision incidents and heartbeats, status transitions,
field reports — is drawn from that day's own random streams (`random.Random` seeded with
"<seed>:ioc:<stream>:<day>") the first time the day is asked for; a day's events that run past
midnight are served with the next day (which therefore also draws its previous day). Nothing
reads the wall clock; nothing at or after the clock (`end`) is served.
"""

from __future__ import annotations

import itertools
import random
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from xml.sax.saxutils import escape

import orjson

from core.settings import DEFAULT_PROVINCE_CODE
from ingestion.sandbox.draws import below, between, pick, poisson, weighted
from ingestion.sandbox.generator import STREETS, Agency, Setting, person_name, province_setting
from ingestion.sandbox.ioc.replay import Ioc, Part, format_local, local_day_start
from ingestion.sandbox.province import gc_paused

CAMERAS_PER_SCALE = 500
INCIDENTS_PER_CAMERA_DAY = 50  # ≈ 20,000 a day at scale 1.0 (Frigate events + Hikvision incidents)
REPORTS_PER_SCALE_DAY = 600  # ≈ 60 a day at scale 0.1
MIN_CAMERAS = 4
HIKVISION_SLOTS = (1, 3)  # camera index % 5 in these: Hikvision (40 %), else Frigate
INSTALLED_LATER_SHARE = 0.12  # cameras installed 0–120 days after --start (listed from then on)
NEVER_ENDED_SHARE = 0.03
REPEATED_UPDATE_SHARE = 0.06
INACTIVE_MISSING_SHARE = 0.04
PLATE_READ_SHARE = 0.6
STAFF_NAMED_SHARE = 0.3
FLAPPING_DAY_SHARE = 0.6
REPEATED_ONLINE_SHARE = 0.03  # camera-days with an `online` while online
OUTAGES_PER_CAMERA_DAY = 1.0 / 7
HEARTBEAT_SECONDS = 3600  # Hikvision videoloss heartbeat period
FIRST_SECOND = 120  # incidents start from 00:02 local (a ±90 s clock skew stays on its day)
OLD_NAMESPACE = "urn:psialliance-org"
NAMESPACE = "http://www.hikvision.com/ver20/XMLSchema"
DEFAULT_CENTRE = (16.0544, 108.2022)
#: the province's centre by its code; other provinces fall back to DEFAULT_CENTRE [D]
PROVINCE_CENTRES = {"46": (16.4637, 107.5909), "01": (21.0285, 105.8542), "79": (10.7769, 106.7009)}
PLATE_PREFIXES = {"46": "75", "01": "29", "79": "51"}
OFFICE_HOURS = (time(7, 30), time(17, 0))

#: camera kinds: (share, zones, daily-incident factor, hourly profile 0..23)
_TRAFFIC_HOURS = (1, 1, 1, 1, 2, 5, 12, 18, 16, 10, 9, 10, 11, 9, 9, 10, 14, 18, 15, 10, 8, 6, 3, 2)
_SQUARE_HOURS = (1, 1, 1, 1, 1, 3, 6, 8, 8, 8, 9, 10, 9, 8, 8, 9, 11, 14, 16, 16, 14, 10, 5, 2)
_RESTRICTED_HOURS = (3, 3, 3, 3, 3, 4, 6, 8, 9, 8, 8, 8, 8, 8, 8, 8, 8, 8, 6, 5, 4, 4, 3, 3)
_DESK_HOURS = (0, 0, 0, 0, 0, 0, 1, 10, 14, 14, 14, 12, 3, 6, 14, 14, 12, 4, 0, 0, 0, 0, 0, 0)
KINDS = {
    "traffic": (0.45, ("vach_dung", "lan_nguoc", "lan_duong"), 1.25, _TRAFFIC_HOURS),
    "square": (0.20, ("dam_dong", "loi_di"), 0.9, _SQUARE_HOURS),
    "restricted": (0.20, ("khu_vuc_cam", "cong_chinh"), 0.6, _RESTRICTED_HOURS),
    "desk": (0.15, ("quay_mot_cua", "khu_cho"), 0.6, _DESK_HOURS),
}
KIND_NAMES = tuple(KINDS)
KIND_CUMULATIVE = tuple(itertools.accumulate(KINDS[k][0] for k in KIND_NAMES))
HOURS = tuple(range(24))
HOUR_CUMULATIVE = {kind: tuple(itertools.accumulate(row[3])) for kind, row in KINDS.items()}
#: (label, its zone or None, weight) of Frigate events per camera kind
FRIGATE_MIX = {
    "traffic": (("motorcycle", "vach_dung", 5), ("motorcycle", "lan_nguoc", 3), ("motorcycle", "lan_duong", 30),
                ("motorcycle", None, 7), ("car", "vach_dung", 4), ("car", "lan_nguoc", 2), ("car", "lan_duong", 25),
                ("truck", "lan_duong", 5), ("bus", "lan_duong", 3), ("bicycle", None, 4), ("person", None, 12)),
    "square": (("person", "dam_dong", 25), ("person", "loi_di", 45), ("person", None, 15), ("bicycle", None, 5),
               ("motorcycle", None, 6), ("dog", None, 4)),
    "restricted": (("person", "khu_vuc_cam", 15), ("person", "cong_chinh", 45), ("person", None, 10),
                   ("car", "cong_chinh", 20), ("car", None, 5), ("dog", None, 5)),
    "desk": (("person", "quay_mot_cua", 60), ("person", "khu_cho", 40)),
}  # fmt: skip
FIRE_SHARE, SMOKE_SHARE = 0.0008, 0.0015  # of events and incidents at cameras that are not desks
#: (eventType, weight) of Hikvision incidents per camera kind (leavePosition comes apart)
HIKVISION_MIX = {
    "traffic": (("ANPR", 70), ("VMD", 30)),
    "square": (("PeopleCounting", 30), ("VMD", 55), ("regionEntrance", 15)),
    "restricted": (("linedetection", 20), ("fielddetection", 20), ("regionEntrance", 20), ("VMD", 40)),
    "desk": (("faceRecognition", 30), ("VMD", 70)),
}
ILLEGAL_TYPES = (("none", 75), ("red_light", 10), ("wrong_lane", 8), ("no_helmet", 7))
DESCRIPTIONS = {
    "ANPR": "ANPR",
    "VMD": "Motion alarm",
    "PeopleCounting": "peopleCounting alarm",
    "regionEntrance": "regionEntrance alarm",
    "linedetection": "Line crossing alarm",
    "fielddetection": "Intrusion alarm",
    "faceRecognition": "faceRecognition alarm",
    "leavePosition": "Leave position alarm",
    "fireDetection": "Fire detection alarm",
    "smokeDetection": "Smoke detection alarm",
    "videoloss": "videoloss alarm",
}
VEHICLE_TYPES = {"car": "vehicle", "motorcycle": "motorcycle", "truck": "truck", "bus": "bus"}

#: report categories: (ChuyenMucID, TenChuyenMuc, MucDoKhan, the department handling it or None
#: for the commune's People's Committee, weight)
CATEGORIES = (
    (1, "Cháy, nổ", "khan_cap", None, 1),
    (2, "Ngập lụt, sạt lở", "khan_cap", None, 2),
    (3, "Tai nạn giao thông", "khan_cap", "Sở Xây dựng", 2),
    (4, "Đèn tín hiệu giao thông hư hỏng", "cao", "Sở Xây dựng", 5),
    (5, "Cây xanh gãy đổ", "cao", None, 5),
    (6, "Điện chiếu sáng công cộng", "cao", "Sở Xây dựng", 6),
    (7, "An ninh trật tự", "cao", None, 6),
    (8, "Vệ sinh môi trường, rác thải", "thuong", "Sở Nông nghiệp và Môi trường", 22),
    (9, "Lấn chiếm vỉa hè, lòng đường", "thuong", None, 18),
    (10, "Hư hỏng mặt đường, vỉa hè", "thuong", "Sở Xây dựng", 14),
    (11, "Trật tự xây dựng", "thuong", "Sở Xây dựng", 8),
    (12, "Vấn đề khác", "thuong", None, 11),
)
CATEGORY_CUMULATIVE = tuple(itertools.accumulate(c[4] for c in CATEGORIES))
RAISED = {"thuong": "cao", "cao": "khan_cap"}
RAISED_SHARE = 0.08
REPORT_HOURS = (1, 1, 1, 1, 1, 3, 8, 12, 13, 12, 11, 10, 8, 8, 10, 11, 11, 10, 9, 8, 6, 4, 2, 1)
REPORT_HOUR_CUMULATIVE = tuple(itertools.accumulate(REPORT_HOURS))
LATE_ANSWER_SHARE = 0.15
PROCESSED_DATE_SHARE = 0.7
PHONE_SHARE, CITIZEN_ID_SHARE = 0.02, 0.01
SWAPPED_SHARE, IMPOSSIBLE_SHARE, DOUBLED_HYPHEN_SHARE = 0.02, 0.003, 0.01
REPORT_TEXTS = (
    "Tại khu vực {place} {issue}, đề nghị cơ quan chức năng kiểm tra, xử lý.",
    "Người dân phản ánh {issue} ở {place} đã nhiều ngày nay.",
    "Kính gửi các cơ quan: {issue} tại {place}, gây ảnh hưởng đến sinh hoạt của bà con.",
)
ISSUES = {
    1: "có khói lửa bốc lên từ một căn nhà",
    2: "nước ngập sâu, xe cộ không thể đi qua",
    3: "vừa xảy ra va chạm giữa xe máy và ô tô",
    4: "đèn tín hiệu giao thông không hoạt động",
    5: "cây xanh bị gãy đổ chắn ngang đường",
    6: "đèn chiếu sáng công cộng bị hỏng, đường tối",
    7: "có nhóm thanh niên tụ tập gây mất trật tự vào ban đêm",
    8: "rác thải tập kết không đúng nơi quy định, bốc mùi",
    9: "hàng quán lấn chiếm vỉa hè, lòng đường",
    10: "mặt đường bị sụt lún, có nhiều ổ gà",
    11: "công trình xây dựng không che chắn, vật liệu rơi vãi",
    12: "cần được hướng dẫn giải quyết",
}
ANSWERS = (
    "Đơn vị đã tiếp nhận và chỉ đạo xử lý dứt điểm. Cảm ơn người dân đã phản ánh.",
    "Đã phối hợp với lực lượng chức năng kiểm tra hiện trường và khắc phục.",
    "Đã chuyển đơn vị quản lý xử lý theo thẩm quyền, kết quả đã được cập nhật.",
)
PLACES = ("gần chợ", "trước trường học", "ngã tư", "cuối kiệt", "gần cầu", "trước UBND")


@dataclass
class Camera:
    """One camera: its registry record and what the generator needs about it."""

    index: int
    record: dict[str, Any]
    kind: str
    vendor: str
    installed: datetime  # local moment it came online
    agency: Agency
    skew: int = 0
    namespace: str = NAMESPACE
    mac: str = ""
    #: (start, end) local datetimes of a multi-day outage
    long_outage: tuple[datetime, datetime] | None = None
    flapping: bool = False
    staff: list[str] = field(default_factory=list)


#: (sort key, bytes) of the records one draw made
Keyed = list[tuple[Any, bytes]]


class GeneratedIoc(Ioc):
    """The generated IOC of (seed, scale, start, end, province): lists at once, days lazily."""

    def __init__(
        self,
        seed: int,
        scale: float,
        start: date,
        end: date,
        province_code: str = DEFAULT_PROVINCE_CODE,
        setting: Setting | None = None,
    ) -> None:
        self.seed = seed
        self.scale = scale
        self.setting = setting or province_setting(seed, scale, start, end, province_code)
        self.province_code = province_code
        geography = self.setting.geography
        self.centre = PROVINCE_CENTRES.get(province_code, DEFAULT_CENTRE)
        self.plate_prefix = PLATE_PREFIXES.get(province_code, "75")
        self.communes = [a for a in self.setting.agencies if a.level == "3" and a.active_until is None]
        self.commune_centres = {a.admin_code: self._centre(a.admin_code) for a in self.setting.agencies}
        self.by_name = {a.name: a for a in self.setting.agencies}
        self.calendar = self.setting.calendar
        self.all_cameras = self._cameras(start)
        end_moment = datetime.combine(end, time())
        listed = [c for c in self.all_cameras if c.installed < end_moment]
        #: the (draw, day) whose random streams were drawn, in order (draws: status, frigate,
        #: hikvision, reports)
        self.generated: list[tuple[str, date]] = []
        self._drawn_cache: OrderedDict[tuple[str, date], Any] = OrderedDict()
        super().__init__(
            start,
            end,
            [c.record for c in listed],
            [{"ChuyenMucID": c[0], "TenChuyenMuc": c[1], "MucDoKhan": c[2]} for c in CATEGORIES],
            [{"UniqueCode": a.code, "OrganizationName": a.name} for a in self.setting.agencies],
        )
        self.province_name = geography.name

    def rng(self, *key: object) -> random.Random:
        return random.Random(":".join(str(part) for part in (self.seed, "ioc", *key)))

    # --- registry ---------------------------------------------------------------------------

    def _centre(self, code: str) -> tuple[float, float]:
        rng = self.rng("commune", code)
        lat, lon = self.centre
        return lat + (rng.random() - 0.5) * 0.5, lon + (rng.random() - 0.5) * 0.6

    def _cameras(self, start: date) -> list[Camera]:
        count = max(MIN_CAMERAS, round(CAMERAS_PER_SCALE * self.scale))
        in_force = [a for a in self.setting.agencies if a.active_until is None]
        departments = [a for a in in_force if a.level in ("1", "2")]
        construction = self.by_name.get("Sở Xây dựng", departments[0])
        cameras: list[Camera] = []
        hikvision_index = 0
        per_desk: dict[str, int] = {}
        nvr: tuple[str, str] = ("", "")
        for index in range(count):
            rng = self.rng("camera", index)
            kind = KIND_NAMES[index % 4] if index < 4 else weighted(rng, KIND_NAMES, KIND_CUMULATIVE)
            vendor = "hikvision" if index % 5 in HIKVISION_SLOTS else "frigate"
            commune = pick(rng, self.communes)
            agency = {"traffic": construction, "square": commune, "restricted": pick(rng, departments)}.get(
                kind, pick(rng, in_force)
            )
            ward = agency if kind == "desk" and agency.level == "3" else commune
            lat, lon = self.commune_centres[ward.admin_code]
            if index < 4 or rng.random() >= INSTALLED_LATER_SHARE:
                installed = start - timedelta(days=between(rng, 30, 1100))
            else:
                installed = start + timedelta(days=between(rng, 1, 120))
            moment = datetime.combine(installed, time(8)) + timedelta(seconds=between(rng, 0, 8 * 3600))
            desk_id = None
            street = pick(rng, STREETS)
            place = commune.name.removeprefix("UBND ")
            if kind == "desk":
                per_desk[agency.code] = per_desk.get(agency.code, 0) + 1
                desk_id = f"MC-QUAY-{per_desk[agency.code]:02d}"
                name = f"Quầy một cửa số {per_desk[agency.code]} - {agency.name}"
            elif kind == "traffic":
                name = f"Nút giao {street} - {pick(rng, STREETS)}, {place}"
            elif kind == "square":
                name = f"{pick(rng, ('Chợ', 'Quảng trường', 'Công viên', 'Bến xe'))} {street}, {place}"
            else:
                name = f"Khu vực cổng {agency.name}"
            record: dict[str, Any] = {
                "camera_id": f"CAM-{self.province_code}-{index + 1:04d}",
                "name": name,
                "vendor": vendor,
                "lat": round(lat + (rng.random() - 0.5) * 0.02, 5),
                "lon": round(lon + (rng.random() - 0.5) * 0.02, 5),
                "ward_code": ward.admin_code,
                "agency_id": agency.code,
                "zones": list(KINDS[kind][1]),
                "desk_id": desk_id,
                "installed": installed.isoformat(),
            }
            camera = Camera(index, record, kind, vendor, moment, agency)
            if vendor == "hikvision":
                if hikvision_index % 8 == 0:  # eight channels a recorder (NVR): one IP and MAC
                    nvr = (
                        f"10.{self.province_code[-2:].lstrip('0') or '0'}.{1 + hikvision_index // 8 // 250}"
                        f".{11 + hikvision_index // 8 % 240}",
                        "44:19:b6:" + ":".join(f"{rng.getrandbits(8):02x}" for _ in range(3)),
                    )
                record["channel_id"] = hikvision_index % 8 + 1
                record["ip_address"] = nvr[0]
                camera.mac = nvr[1]
                if hikvision_index % 5 == 1:
                    camera.namespace = OLD_NAMESPACE
                if hikvision_index % 20 == 3:
                    camera.skew = pick(rng, (-1, 1)) * between(rng, 30, 90)
                hikvision_index += 1
            if kind == "desk":
                camera.staff = [name for name, _, _ in agency.desk]
            cameras.append(camera)
        rng = self.rng("outages")
        early = [c for c in cameras if c.installed.date() < start]
        for camera in _sample(rng, early, 1 if count < 200 else 2):
            began = datetime.combine(start + timedelta(days=between(rng, 2, 20)), time()) + timedelta(
                seconds=between(rng, 3600, 80_000)
            )
            camera.long_outage = (began, began + timedelta(seconds=between(rng, 2 * 86400, 5 * 86400)))
        steady = [c for c in early if c.long_outage is None]
        for camera in _sample(rng, steady, max(1, round(count * 0.01))):
            camera.flapping = True
        return cameras

    # --- days -------------------------------------------------------------------------------

    def _build(self, day: date, stream: str) -> Part:
        if stream == "status":
            items = self._drawn("status", day)[0]
        elif stream == "reports":
            items = self._drawn("reports", day)
        else:  # the day's own, and what the day before drew past its midnight
            draw = "frigate" if stream == "events" else "hikvision"
            items = self._drawn(draw, day - timedelta(days=1))[1] + self._drawn(draw, day)[0]
        if stream != "reports":
            items = sorted(items, key=lambda item: item[0])
        keys = [key[0] if stream in ("alerts", "status") else key for key, _ in items]
        return Part([data for _, data in items], keys)

    def _drawn(self, draw: str, day: date) -> Any:
        """What one draw (status, frigate, hikvision, reports) made of day `day` (cached a little:
        the next day's part needs it too, and the cameras' draws need the day's outages)."""
        found = self._drawn_cache.get((draw, day))
        if found is not None:
            return found
        result: Any
        if self.start is None or self.end is None or not self.start <= day < self.end:
            result = [] if draw == "reports" else ([], [] if draw != "status" else {})
        else:
            with gc_paused():
                making = _DayDraw(self, day)
                if draw == "status":
                    result = making.status()
                elif draw == "reports":
                    result = making.reports()
                else:
                    offline = self._drawn("status", day)[1]
                    result = making.cameras(draw, offline)
            self.generated.append((draw, day))
        self._drawn_cache[(draw, day)] = result
        if len(self._drawn_cache) > 12:
            self._drawn_cache.popitem(last=False)
        return result


def _sample(rng: random.Random, items: list[Camera], count: int) -> list[Camera]:
    return [items[i] for i in sorted(rng.sample(range(len(items)), min(count, len(items))))]


class _DayDraw:
    """The draws of one local day, each from the day's own random stream."""

    def __init__(self, ioc: GeneratedIoc, day: date) -> None:
        self.ioc = ioc
        self.day = day
        self.midnight = datetime.combine(day, time())
        self.base = local_day_start(day)
        self.clock = (ioc.clock_end - self.midnight).total_seconds() if ioc.clock_end else 0.0
        self.working = ioc.calendar.is_working(day)
        self.cameras_on = [c for c in ioc.all_cameras if c.installed < self.midnight + timedelta(days=1)]
        #: camera index → sorted offline (start, end) seconds of the day
        self.offline: dict[int, list[tuple[float, float]]] = {}
        self.ids: set[str] = set()
        self.own: Keyed = []
        self.next: Keyed = []

    def cameras(self, draw: str, offline: dict[int, list[tuple[float, float]]]) -> tuple[Keyed, Keyed]:
        """Frigate messages or Hikvision alerts: (on the day, past its midnight)."""
        self.offline = offline
        rng = self.ioc.rng(draw, self.day)
        vendor = "frigate" if draw == "frigate" else "hikvision"
        for camera in self.cameras_on:
            if camera.vendor == vendor:
                (self._frigate if draw == "frigate" else self._hikvision)(camera, rng)
        return self.own, self.next

    def _second(self, moment: datetime) -> float:
        return (moment - self.midnight).total_seconds()

    def _available(self, camera: Camera, second: float) -> bool:
        """Installed and not offline (the clock cuts only what is served: the draws of a day do
        not depend on it, so a later --end only adds what happens after the earlier one)."""
        if second < self._second(camera.installed):
            return False
        spans = self.offline.get(camera.index, ())
        return not any(lo <= second < hi for lo, hi in spans)

    # --- status -----------------------------------------------------------------------------

    def status(self) -> tuple[Keyed, dict[int, list[tuple[float, float]]]]:
        """The day's status transitions and every camera's offline spans."""
        rng = self.ioc.rng("status", self.day)
        transitions: Keyed = []
        for camera in self.cameras_on:
            installed = self._second(camera.installed)
            changes: list[tuple[float, str]] = []
            if 0 <= installed < 86400:
                changes.append((installed, "online"))
            spans: list[tuple[float, float]] = []
            if camera.long_outage is not None:
                began, ended = (self._second(moment) for moment in camera.long_outage)
                if began < 86400 and ended > 0:
                    spans.append((max(0.0, began), min(86400.0, ended)))
                    changes += [
                        (s, state) for s, state in ((began, "offline"), (ended, "online")) if 0 <= s < 86400
                    ]
            else:
                wanted: list[tuple[float, float]] = []
                if camera.flapping and rng.random() < FLAPPING_DAY_SHARE:
                    second = between(rng, 6, 20) * 3600.0
                    for _ in range(between(rng, 8, 25)):
                        length = between(rng, 20, 300)
                        wanted.append((second, second + length))
                        second += length + between(rng, 60, 900)
                for _ in range(poisson(rng, OUTAGES_PER_CAMERA_DAY)):
                    length = between(rng, 120, 3540) if rng.random() < 0.7 else between(rng, 3600, 8 * 3600)
                    began = rng.random() * (86400 - 60 - length)
                    wanted.append((began, began + length))
                last = max(0.0, installed)
                for began, ended in sorted(wanted):
                    began, ended = round(began, 3), round(ended, 3)
                    if began <= last or ended >= 86400:
                        continue
                    spans.append((began, ended))
                    changes += [(began, "offline"), (ended, "online")]
                    last = ended
                if rng.random() < REPEATED_ONLINE_SHARE:
                    second = round(rng.random() * 86400, 3)
                    if second > installed and not any(lo <= second <= hi for lo, hi in spans):
                        changes.append((second, "online"))
            self.offline[camera.index] = spans
            camera_id = camera.record["camera_id"]
            for second, state in changes:
                if self.ioc.start is not None and second < self.clock:
                    at = round(self.base + second, 3)
                    record = {"camera_id": camera_id, "state": state, "at": at}
                    transitions.append(((at, camera_id), _dumps(record)))
        return transitions, self.offline

    # --- Frigate ----------------------------------------------------------------------------

    def _start_second(self, rng: random.Random, camera: Camera) -> float | None:
        hour = weighted(rng, HOURS, HOUR_CUMULATIVE[camera.kind])
        second = hour * 3600 + rng.random() * 3600
        if second < FIRST_SECOND or not self._available(camera, second):
            return None
        return second

    def _mean(self, camera: Camera) -> float:
        factor = KINDS[camera.kind][2]
        if camera.kind == "desk" and not self.working:
            factor *= 0.05
        return INCIDENTS_PER_CAMERA_DAY * factor

    def _frigate(self, camera: Camera, rng: random.Random) -> None:
        mix = FRIGATE_MIX[camera.kind]
        cumulative = _cumulative(mix)
        for _ in range(poisson(rng, self._mean(camera))):
            second = self._start_second(rng, camera)
            if second is None:
                continue
            label, zone, _ = weighted(rng, mix, cumulative)
            if camera.kind != "desk":
                draw = rng.random()
                if draw < FIRE_SHARE + SMOKE_SHARE:
                    label, zone = ("fire" if draw < FIRE_SHARE else "smoke"), None
            self._event(camera, rng, second, label, zone)

    def _event(self, camera: Camera, rng: random.Random, second: float, label: str, zone: str | None) -> None:
        start = round(self.base + second, 6)
        whole = int(start)
        micro = round((start - whole) * 1_000_000)
        if micro == 1_000_000:
            whole, micro = whole + 1, 0
        event_id = f"{whole}.{micro:06d}-{rng.getrandbits(24):06x}"
        while event_id in self.ids:
            event_id = f"{whole}.{micro:06d}-{rng.getrandbits(24):06x}"
        self.ids.add(event_id)
        if label in ("car", "truck", "bus") and rng.random() < 0.08:
            length = between(rng, 600, 5400)  # a parked vehicle
        elif label in ("fire", "smoke"):
            length = between(rng, 300, 2400)
        else:
            length = 3 + rng.random() * 150
        plate = None
        if label in ("car", "motorcycle") and rng.random() < PLATE_READ_SHARE:
            plate = _plate(rng, self.ioc.plate_prefix, label)
        elif (
            label == "person" and camera.staff and zone == "quay_mot_cua" and rng.random() < STAFF_NAMED_SHARE
        ):
            plate = pick(rng, camera.staff)
        x, y = between(rng, 0, 1100), between(rng, 0, 500)
        w, h = between(rng, 40, 180), between(rng, 60, 220)
        score = 0.5 + rng.random() * 0.45
        obj: dict[str, Any] = {
            "id": event_id,
            "camera": camera.record["camera_id"],
            "frame_time": start,
            "snapshot_time": start,
            "label": label,
            "sub_label": None,
            "top_score": round(score, 4),
            "false_positive": score < 0.7,
            "start_time": start,
            "end_time": None,
            "score": round(score, 4),
            "box": [x, y, x + w, y + h],
            "area": w * h,
            "ratio": round(w / h, 3),
            "region": [max(0, x - 40), max(0, y - 40), max(0, x - 40) + 320, max(0, y - 40) + 320],
            "stationary": False,
            "motionless_count": 0,
            "position_changes": 0,
            "current_zones": [],
            "entered_zones": [],
            "has_clip": False,
            "has_snapshot": False,
        }
        messages = [("new", obj, obj)]
        updates = between(rng, 1, 4)
        times = sorted(start + rng.random() * length for _ in range(updates))
        before = obj
        for number, moment in enumerate(times):
            after = dict(before)
            after["frame_time"] = round(max(moment, before["frame_time"] + 0.001), 6)
            after["score"] = round(0.45 + rng.random() * 0.5, 4)
            after["top_score"] = max(after["top_score"], after["score"])
            after["false_positive"] = after["top_score"] < 0.7
            after["snapshot_time"] = (
                after["frame_time"] if after["score"] == after["top_score"] else before["snapshot_time"]
            )
            after["position_changes"] = before["position_changes"] + 1
            after["box"] = [v + between(rng, -15, 15) for v in before["box"]]
            after["has_snapshot"] = True
            after["has_clip"] = number > 0 or before["has_clip"]
            if zone is not None and number == 0:
                after["current_zones"] = [zone]
                after["entered_zones"] = [zone]
            elif number == updates - 1:
                after["current_zones"] = []
            if plate is not None and number == updates // 2:
                after["sub_label"] = plate
            if length > 600:
                after["stationary"] = True
                after["motionless_count"] = int(moment - start)
            messages.append(("update", before, after))
            if rng.random() < REPEATED_UPDATE_SHARE:  # the same object published again
                repeat = dict(after)
                repeat["frame_time"] = round(moment + 0.001 + rng.random() * 0.5, 6)
                messages.append(("update", after, repeat))
                after = repeat
            before = after
        if rng.random() >= NEVER_ENDED_SHARE:
            ended = dict(before)
            ended["end_time"] = ended["frame_time"] = round(
                max(start + length, before["frame_time"] + 0.5), 6
            )
            ended["current_zones"] = []
            ended["has_clip"] = True
            messages.append(("end", before, ended))
        for kind, previous, after in messages:
            offset = after["frame_time"] - self.base
            if offset >= self.clock:
                break
            bucket = self.own if offset < 86400 else self.next
            message = {"type": kind, "before": previous, "after": after}
            bucket.append(((after["frame_time"], event_id), _dumps(message)))

    # --- Hikvision --------------------------------------------------------------------------

    def _hikvision(self, camera: Camera, rng: random.Random) -> None:
        mix = HIKVISION_MIX[camera.kind]
        cumulative = _cumulative(mix)
        for _ in range(poisson(rng, self._mean(camera))):
            second = self._start_second(rng, camera)
            if second is None:
                continue
            event_type = weighted(rng, mix, cumulative)[0]
            if camera.kind != "desk":
                draw = rng.random()
                if draw < FIRE_SHARE + SMOKE_SHARE:
                    event_type = "fireDetection" if draw < FIRE_SHARE else "smokeDetection"
            self._incident(camera, rng, second, event_type, 3 + rng.random() * 240)
        if camera.kind == "desk" and self.working:
            opens = OFFICE_HOURS[0].hour * 3600 + OFFICE_HOURS[0].minute * 60
            closes = OFFICE_HOURS[1].hour * 3600
            for _ in range(between(rng, 2, 6)):
                # within office hours on the camera's clock too (a skew is at most 90 s)
                second = opens + 90 + rng.random() * (closes - opens - 2400 - 180)
                if self._available(camera, second):
                    self._incident(camera, rng, second, "leavePosition", between(rng, 300, 2400))
        phase = between(rng, 120, HEARTBEAT_SECONDS - 1)
        for second in range(phase, 86400, HEARTBEAT_SECONDS):
            if self._available(camera, second):
                self._alert(camera, second, "videoloss", "inactive", "", 0)

    def _incident(
        self, camera: Camera, rng: random.Random, second: float, event_type: str, length: float
    ) -> None:
        detail = self._detail(camera, rng, event_type)
        self._alert(camera, second, event_type, "active", detail, 1)
        if rng.random() >= INACTIVE_MISSING_SHARE:
            self._alert(camera, second + length, event_type, "inactive", "", 1)

    def _detail(self, camera: Camera, rng: random.Random, event_type: str) -> str:
        confidence = f"<confidence>{between(rng, 55, 99)}</confidence>"
        region = (
            "<DetectionRegionList><DetectionRegionEntry><regionID>1</regionID>"
            f"<detectionTarget>{'vehicle' if camera.kind == 'traffic' else 'human'}</detectionTarget>"
            "</DetectionRegionEntry></DetectionRegionList>"
        )
        if event_type == "ANPR":
            label = pick(rng, ("car", "motorcycle", "motorcycle", "truck", "bus"))
            illegal = weighted(rng, ILLEGAL_TYPES, _cumulative(ILLEGAL_TYPES))[0]
            plate = _plate(rng, self.ioc.plate_prefix, label)
            return (
                f"<ANPR><licensePlate>{plate}</licensePlate><confidenceLevel>{between(rng, 60, 99)}</confidenceLevel>"
                f"<plateColor>{'yellow' if label == 'bus' else 'white'}</plateColor>"
                f"<vehicleType>{VEHICLE_TYPES[label]}</vehicleType>"
                f"<direction>{'reverse' if illegal == 'wrong_lane' else 'forward'}</direction>"
                f"<illegalType>{illegal}</illegalType></ANPR>"
            )
        if event_type == "PeopleCounting":
            threshold = pick(rng, (30, 40, 50))
            return (
                f"{confidence}<PeopleCounting><peopleNumber>{between(rng, threshold, threshold * 3)}</peopleNumber>"
                f"<threshold>{threshold}</threshold></PeopleCounting>"
            )
        if event_type == "faceRecognition":
            name = pick(rng, camera.staff) if camera.staff else person_name(rng)
            return (
                f"{confidence}<FaceRecognition><name>{escape(name)}</name>"
                f"<similarity>{between(rng, 70, 99)}</similarity><faceLibType>staffLib</faceLibType></FaceRecognition>"
            )
        if event_type in ("linedetection", "fielddetection", "regionEntrance", "leavePosition"):
            return confidence + region
        if event_type in ("fireDetection", "smokeDetection"):
            return confidence
        return ""

    def _alert(
        self, camera: Camera, second: float, event_type: str, state: str, detail: str, posts: int
    ) -> None:
        written = int(second) + camera.skew  # the camera's clock
        if written >= self.clock:
            return
        moment = self.midnight + timedelta(seconds=written)
        stamp = moment.isoformat()
        record = camera.record
        xml = (
            f'<EventNotificationAlert version="2.0" xmlns="{camera.namespace}">'
            f"<ipAddress>{record['ip_address']}</ipAddress><portNo>80</portNo><protocol>HTTP</protocol>"
            f"<macAddress>{camera.mac}</macAddress><channelID>{record['channel_id']}</channelID>"
            f"<dateTime>{stamp}+07:00</dateTime><activePostCount>{posts}</activePostCount>"
            f"<eventType>{event_type}</eventType><eventState>{state}</eventState>"
            f"<eventDescription>{DESCRIPTIONS[event_type]}</eventDescription>"
            f"<channelName>{escape(record['name'])}</channelName>{detail}</EventNotificationAlert>"
        )
        key = (stamp, record["channel_id"], event_type, state, record["ip_address"])
        bucket = self.own if moment.date() == self.day else self.next
        bucket.append((key, xml.encode()))

    # --- field reports ----------------------------------------------------------------------

    def reports(self) -> Keyed:
        """The field reports created on the day, keyed (MaDinhDanh, answered before the clock)."""
        rng = self.ioc.rng("reports", self.day)
        made: Keyed = []
        ioc = self.ioc
        communes = [
            a
            for a in ioc.setting.agencies
            if a.level == "3" and (a.active_until is None or self.day < a.active_until)
        ]
        seconds = sorted(
            hour * 3600 + below(rng, 3600)
            for hour in (
                weighted(rng, HOURS, REPORT_HOUR_CUMULATIVE)
                for _ in range(poisson(rng, REPORTS_PER_SCALE_DAY * ioc.scale))
            )
        )
        for sequence, second in enumerate(seconds, start=1):
            if second >= self.clock:
                break
            created = self.midnight + timedelta(seconds=second)
            ioc_id = int(f"{self.day:%y%m%d}{sequence:05d}")
            category = weighted(rng, CATEGORIES, CATEGORY_CUMULATIVE)
            urgency = category[2]
            if urgency in RAISED and rng.random() < RAISED_SHARE:
                urgency = RAISED[urgency]
            commune = pick(rng, communes)
            agency = commune if category[3] is None else ioc.by_name.get(category[3], commune)
            lat, lon = ioc.commune_centres[commune.admin_code]
            lat, lon = (
                round(lat + (rng.random() - 0.5) * 0.03, 6),
                round(lon + (rng.random() - 0.5) * 0.03, 6),
            )
            draw = rng.random()
            if draw < IMPOSSIBLE_SHARE:
                lon, lat = pick(rng, ((0.0, 0.0), (lon + 100, lat), (lon, -lat), (-lon, lat)))
            elif draw < IMPOSSIBLE_SHARE + SWAPPED_SHARE:
                lat, lon = lon, lat
            place = commune.name.removeprefix("UBND ")
            street = f"{pick(rng, PLACES)} số {between(rng, 1, 250)} {pick(rng, STREETS)}"
            text = pick(rng, REPORT_TEXTS).format(place=street, issue=ISSUES[category[0]])
            draw = rng.random()
            if draw < PHONE_SHARE:
                phone = f"0{pick(rng, '35789')}{below(rng, 100_000_000):08d}"
                if rng.random() < 0.5:
                    phone = f"{phone[:4]} {phone[4:7]} {phone[7:]}"
                text += f" Số điện thoại liên hệ: {phone}."
            elif draw < PHONE_SHARE + CITIZEN_ID_SHARE:
                digits = f"0{ioc.province_code}{between(rng, 0, 3)}{below(rng, 100):02d}{below(rng, 1_000_000):06d}"
                separator = pick(rng, (".", " "))
                text += f" CCCD của tôi: {separator.join(digits[i : i + 3] for i in range(0, 12, 3))}."
            answered = self._answer(rng, created, urgency)
            photos = [
                {"FileName": f"PA_{ioc_id}_{n}.jpg", "FileName_Thumb": f"PA_{ioc_id}_{n}_thumb.jpg"}
                for n in range(1, between(rng, 0, 3) + 1)
            ]
            record: dict[str, Any] = {
                "PhanAnhID": ioc_id,
                "TieuDe": f"{category[1]} tại {place}",
                "NoiDungPhanAnh": text,
                "ChuyenMucID": category[0],
                "MucDoKhan": urgency,
                "NgayPhanAnh": _written(rng, created),
                "NgayTraLoi": None,
                "NoiDungTraLoi": None,
                "NgayXuLy": None,
                "KinhDo": lon,
                "ViDo": lat,
                "DiaChiSuKien": f"{street[0].upper()}{street[1:]}, {place}, {ioc.province_name}",
                "DanhSachFileDinhKem": photos,
                "DanhSachFileDinhKem_Kq": [],
                "MaDinhDanh": agency.code,
                "MaXa": commune.admin_code,
            }
            processed = created + (answered - created) * rng.random()
            with_date = rng.random() < PROCESSED_DATE_SHARE
            result_photos = between(rng, 0, 2)
            answer = pick(rng, ANSWERS)
            done = answered < ioc.clock_end  # type: ignore[operator]
            answered_text = _written(rng, answered)
            if done:
                record["NgayTraLoi"] = answered_text
                record["NoiDungTraLoi"] = answer
                record["NgayXuLy"] = format_local(processed) if with_date else None
                record["DanhSachFileDinhKem_Kq"] = [
                    {"FileName": f"KQ_{ioc_id}_{n}.jpg", "FileName_Thumb": f"KQ_{ioc_id}_{n}_thumb.jpg"}
                    for n in range(1, result_photos + 1)
                ]
            made.append(((agency.code, done), _dumps(record)))
        return made

    def _answer(self, rng: random.Random, created: datetime, urgency: str) -> datetime:
        """When the report is answered (drawn whether or not it is before the clock)."""
        late = rng.random() < LATE_ANSWER_SHARE
        if urgency == "khan_cap":
            hours = 2 + rng.random() * 10 if late else 0.1 + rng.random() * 1.85
            return created + timedelta(seconds=round(hours * 3600))
        if urgency == "cao":
            hours = 24 + rng.random() * 72 if late else 0.5 + rng.random() * 23
            return created + timedelta(seconds=round(hours * 3600))
        deadline = datetime.combine(self.ioc.calendar.add_working_days(created.date(), 5), created.time())
        if late:
            return deadline + timedelta(seconds=between(rng, 3600, 5 * 86400))
        return created + timedelta(seconds=between(rng, 1800, int((deadline - created).total_seconds()) - 60))


def _dumps(value: Any) -> bytes:
    """orjson.dumps, copied to bytes of their own size (orjson's keep its buffer, 3–8 KB, and a
    cached day holds thousands)."""
    return bytes(memoryview(orjson.dumps(value)))


def _cumulative(mix: tuple[tuple[Any, ...], ...]) -> tuple[float, ...]:
    return tuple(itertools.accumulate(row[-1] for row in mix))


def _plate(rng: random.Random, prefix: str, label: str) -> str:
    if label == "motorcycle":
        return (
            f"{prefix}{pick(rng, 'BCDEFGH')}{between(rng, 1, 9)}-{below(rng, 1000):03d}.{below(rng, 100):02d}"
        )
    return f"{prefix}{pick(rng, 'ABCDEFGH')}-{below(rng, 1000):03d}.{below(rng, 100):02d}"


def _written(rng: random.Random, moment: datetime) -> str:
    text = format_local(moment)
    if rng.random() < DOUBLED_HYPHEN_SHARE:
        return text[:4] + "-" + text[4:]
    return text


def generate_ioc(
    seed: int, scale: float, start: date, end: date, province_code: str = DEFAULT_PROVINCE_CODE
) -> GeneratedIoc:
    """The IOC of province `province_code` from `start` to `end` (exclusive: the clock). Only the
    registry and lists are built now; each day is drawn when first asked."""
    return GeneratedIoc(seed, scale, start, end, province_code)
