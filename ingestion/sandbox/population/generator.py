"""Deterministic, lazy generation of the province's national-population-database interface (see
README.md): the operational-monitoring log of the calls provincial systems make to the
population database, and the monthly statistics per commune.

It builds on the one-stop sandbox's province (`ingestion.sandbox.generator.province_setting`:
the same agencies, desk officers, communes and work calendar, tens of milliseconds) and mirrors
its dossiers' lookups: every dossier whose `DSKetNoiCSDL` has the population database (`MaCSDL`
"1") carries the request id `MaYeuCau` of the lookup, which this log records. The dossiers come
from `generate_province` with the same arguments, run once, the first time a day of the log is
asked for (seconds at scale 1: `/_sim/health` never waits for it). Every call of a local day is
drawn from that day's own random stream ("<seed>:population:calls:<day>"; a dossier lookup from
its own); a day's calls answered after midnight are served with the next day, which therefore
also draws its previous day. The statistics are a function of (seed, commune, month). Nothing
reads the wall clock; nothing at or after `end` is generated.
"""

from __future__ import annotations

import itertools
import math
import random
import uuid
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import orjson

from core.admin_units import REORGANISATION_DATE, units_of_province
from core.settings import DEFAULT_PROVINCE_CODE
from ingestion.sandbox.days import Part, local_epoch
from ingestion.sandbox.draws import below, between, pick, poisson, weighted
from ingestion.sandbox.generator import (
    PROVINCE_LETTER_CODE,
    RESIDENTS_DATABASE,
    Agency,
    Setting,
    ascii_text,
    generate_province,
    lookup_request_id,
    province_setting,
    request_prefix,
)
from ingestion.sandbox.population.replay import Population, opmon_key
from ingestion.sandbox.province import format_stamp, gc_paused, parse_stamp

SERVICE_MEMBER, SERVICE_SUBSYSTEM = "000.00.00.G01", "CSDLDC"
SHARE, VERIFY, CHECK = "ChiaSeThongTinCongDan", "XacThucThongTinCongDan", "XacMinhThongTinNhanThan"
#: (serviceCode, weight) of the one-stop dossiers' lookups and of the officers' ad-hoc calls
LOOKUP_SERVICES = ((SHARE, 85), (VERIFY, 13), (CHECK, 2))
ADHOC_SERVICES = ((VERIFY, 55), (SHARE, 43), (CHECK, 2))
ADHOC_PER_SCALE_DAY = 2500  # ad-hoc calls on a working day at scale 1.0
DAY_OFF_SHARE = 0.03  # a day off has this share of a working day's ad-hoc calls (duty officers)
UNLOGGED_LOOKUP_SHARE = 0.05  # dossier lookups not mediated by the platform: not in the log
UNKNOWN_MEMBER_SHARE = 0.01
OTHER_SUBSYSTEM_SHARE = 0.08
SYSTEM_ACCOUNT_SHARE = 0.04
DOUBLE_CALL_SHARE = 0.004  # an ad-hoc call sent twice in the same second (the same MaYeuCau)
OTHER_SUBSYSTEMS = ("QLVB", "LLTP", "TNMT")
#: member codes the province does not know (another province's, a ministry's, a retired agency's)
UNKNOWN_MEMBERS = (
    ("000.00.00.H56", "DVC", "VPUB_56"),
    ("000.00.00.H48", "QLVB", "VPUB_48"),
    ("000.00.00.G09", "DVC", "VDXP_VPCP"),
    (f"000.97.31.{PROVINCE_LETTER_CODE}", "DVC", "VDXP_VPCP"),
)
#: (faultCode, faultString, statusCode, cumulative share) of failed calls; timeouts last 30 s
FAULTS = (
    ("Server.ServerProxy.ServiceFailed", "Error occurred when calling the service provider", 500, 0.005),
    ("Server.ServerProxy.DatabaseError", "Error accessing database", 500, 0.008),
    ("Server.ClientProxy.NetworkError", "Read timed out (30000 ms)", 504, 0.018),
)
TIMEOUT_FAULT = FAULTS[2][0]
DUPLICATE_FAULT = (
    "Server.ServerProxy.ServiceFailed.DATA_INCORRECT",
    "500 DATA_INCORRECT: MaYeuCau already used",
    500,
)
TIMEOUT_MS = 30_000
LATENCY_MEDIAN_MS, LATENCY_SIGMA, LATENCY_CAP_MS = 400.0, 1.288, 29_000  # p99 ≈ 8 s
#: response bytes per service (min, max) of an answered call
RESPONSE_SIZES = {SHARE: (2400, 6200), VERIFY: (320, 520), CHECK: (900, 1900)}
#: officers' calls by hour of the day (office hours), system accounts' (06:00–22:00)
OFFICER_HOURS = (0, 0, 0, 0, 0, 0, 0, 4, 14, 14, 14, 9, 2, 5, 14, 14, 12, 3, 0, 0, 0, 0, 0, 0)
SYSTEM_HOURS = (0, 0, 0, 0, 0, 0, 3, 5, 6, 6, 6, 6, 5, 5, 6, 6, 6, 5, 4, 3, 3, 2, 2, 0)
HOURS = tuple(range(24))
OFFICER_CUMULATIVE = tuple(itertools.accumulate(OFFICER_HOURS))
SYSTEM_CUMULATIVE = tuple(itertools.accumulate(SYSTEM_HOURS))

GTEL_SHARE = 5  # one (commune, month) in five is served by the second vendor (crc32 % 5 == 0)
REVISED_SHARE = 0.05
REVISION_DAYS = (3, 10)
MONTH_ORIGIN = 2020 * 12  # month positions count from January 2020
PUBLISHED_AT = time(23, 0)


@dataclass(frozen=True)
class Lookup:
    """A one-stop dossier's lookup: its request id, second, agency and channel."""

    message_id: str
    at: datetime
    member: str
    online: bool
    dossier: str


@dataclass
class Call:
    """One call before it is written: who, when (ms), what, and its own random stream."""

    request_in: int
    member: str
    subsystem: str
    account: str
    service: str
    message_id: str
    rng: random.Random
    duplicate: bool = False


def officer_account(agency: Agency, name: str) -> str:
    """An officer's account: given name and initials, then the agency's request prefix
    (`Nguyễn Văn An` of 000.20.31.H57 → `annv.h572031`)."""
    words = ascii_text(name).lower().split()
    return f"{words[-1]}{''.join(word[0] for word in words[:-1])}.{request_prefix(agency.code).lower()}"


def system_account(province_code: str) -> str:
    return f"VPUB_{province_code}"


class GeneratedPopulation(Population):
    """The generated interface of (seed, scale, start, end, province): days drawn lazily."""

    def __init__(
        self,
        seed: int,
        scale: float,
        start: date,
        end: date,
        province_code: str = DEFAULT_PROVINCE_CODE,
        setting: Setting | None = None,
    ) -> None:
        super().__init__(start, end, province_code)
        self.seed = seed
        self.scale = scale
        self.setting = setting or province_setting(seed, scale, start, end, province_code)
        self.calendar = self.setting.calendar
        self.by_prefix = {request_prefix(a.code): a for a in self.setting.agencies}
        self.by_code = {a.code: a for a in self.setting.agencies}
        self.system = system_account(province_code)
        place = self.setting.geography.name.removeprefix("thành phố ").removeprefix("tỉnh ")
        slug = ascii_text(place).lower().replace(" ", "")
        self.internal_ip = f"10.{int(province_code) % 256}.0.5" if province_code.isdigit() else "10.0.0.5"
        self.client_server = f"ss01.lgsp.{slug}.gov.vn"
        self.service_server = "ss01.csdldancu.bocongan.gov.vn"
        self.start_ms = int(local_epoch(datetime.combine(start, time()))) * 1000
        self.end_ms = int(local_epoch(datetime.combine(end, time()))) * 1000
        #: the one-stop dossiers' lookups by local day, once `generate_province` has run
        self.lookups: dict[date, list[Lookup]] | None = None
        #: the days whose calls were drawn, in order
        self.generated: list[date] = []
        self._drawn: OrderedDict[date, list[tuple[Any, bytes]]] = OrderedDict()
        self._communes = self._commune_versions()

    def rng(self, *key: object) -> random.Random:
        return random.Random(":".join(str(part) for part in (self.seed, "population", *key)))

    # --- the one-stop dossiers' lookups -----------------------------------------------------

    def dossier_lookups(self) -> dict[date, list[Lookup]]:
        """Every logged-or-not lookup of the one-stop dossiers (the first version of each dossier
        whose `DSKetNoiCSDL` has `MaCSDL` "1"), by local day; generates the province once."""
        if self.lookups is None:
            assert self.start is not None and self.end is not None
            province = generate_province(
                self.seed, self.scale, self.start, self.end, self.setting.geography.code
            )
            found: dict[date, list[Lookup]] = {}
            for version in province.dossiers:
                if version["_version"] != "1":
                    continue
                for entry in version["DSKetNoiCSDL"]:
                    message_id = entry.get("MaYeuCau")
                    if entry.get("MaCSDL") != RESIDENTS_DATABASE or not isinstance(message_id, str):
                        continue
                    agency = self.by_prefix.get(message_id.split("_", 1)[0])
                    if agency is None:
                        continue
                    at = parse_stamp(message_id[-14:])
                    online = version["KenhThucHien"] == "2"
                    found.setdefault(at.date(), []).append(
                        Lookup(message_id, at, agency.code, online, version["MaHoSo"])
                    )
            self.lookups = found
        return self.lookups

    # --- the log ----------------------------------------------------------------------------

    def _build(self, day: date, stream: str) -> Part:
        """The records whose `monitoringDataTs` is on `day`: that day's calls and those of the day
        before answered after midnight, in (monitoringDataTs, requestInTs, messageId, client) order."""
        first = int(local_epoch(datetime.combine(day, time())))
        last = first + 86400
        keyed = [
            (key, data)
            for drawn in (day - timedelta(days=1), day)
            for key, data in self._calls(drawn)
            if first <= key[0] < last
        ]
        keyed.sort(key=lambda item: item[0])
        return Part([data for _, data in keyed], [key for key, _ in keyed])

    def _calls(self, day: date) -> list[tuple[Any, bytes]]:
        """The calls made on local day `day` (requestInTs on it), written, with their keys."""
        if self.start is None or not self.start <= day:
            return []
        found = self._drawn.get(day)
        if found is not None:
            self._drawn.move_to_end(day)
            return found
        self.generated.append(day)
        with gc_paused():
            calls = self._lookup_calls(day) + self._adhoc_calls(day)
            calls.sort(key=lambda c: (c.request_in, c.member, c.subsystem, c.message_id))
            seen: set[tuple[str, str, str]] = set()
            for call in calls:  # a repeated MaYeuCau of one client is refused by the provider
                identity = (call.message_id, call.member, call.subsystem)
                call.duplicate = identity in seen
                seen.add(identity)
            written = []
            for call in calls:
                record = self._record(call)
                if record["responseOutTs"] < self.end_ms:
                    written.append((opmon_key(record), _dumps(record)))
        self._drawn[day] = written
        while len(self._drawn) > 3:
            self._drawn.popitem(last=False)
        return written

    def _lookup_calls(self, day: date) -> list[Call]:
        calls = []
        for lookup in self.dossier_lookups().get(day, []):
            rng = self.rng("lookup", lookup.dossier, lookup.message_id)
            if rng.random() < UNLOGGED_LOOKUP_SHARE:
                continue
            agency = self.by_code[lookup.member]
            account = self.system if lookup.online else officer_account(agency, pick(rng, agency.desk)[0])
            service = weighted(rng, LOOKUP_SERVICES, _cumulative(LOOKUP_SERVICES))[0]
            request_in = int(local_epoch(lookup.at)) * 1000 + below(rng, 1000)
            calls.append(Call(request_in, lookup.member, "DVC", account, service, lookup.message_id, rng))
        return calls

    def _adhoc_calls(self, day: date) -> list[Call]:
        """Officers' verifications (office hours) and systems' calls, by agency volume."""
        rng = self.rng("calls", day.isoformat())
        working = self.calendar.is_working(day)
        agencies = [a for a in self.setting.agencies if a.active_until is None or day < a.active_until]
        cumulative = tuple(itertools.accumulate(a.daily_rate for a in agencies))
        mean = ADHOC_PER_SCALE_DAY * self.scale * (1.0 if working else DAY_OFF_SHARE)
        midnight = datetime.combine(day, time())
        calls: list[Call] = []
        for _ in range(poisson(rng, mean)):
            call_rng = random.Random(rng.getrandbits(64))
            draw = call_rng.random()
            system = False
            if draw < UNKNOWN_MEMBER_SHARE:
                member, subsystem, account = pick(call_rng, UNKNOWN_MEMBERS)
                system = True
            else:
                agency = weighted(call_rng, agencies, cumulative)
                member = agency.code
                if draw < UNKNOWN_MEMBER_SHARE + SYSTEM_ACCOUNT_SHARE:
                    subsystem, account, system = pick(call_rng, OTHER_SUBSYSTEMS), self.system, True
                elif draw < UNKNOWN_MEMBER_SHARE + SYSTEM_ACCOUNT_SHARE + OTHER_SUBSYSTEM_SHARE:
                    subsystem = pick(call_rng, OTHER_SUBSYSTEMS)
                    account = officer_account(agency, pick(call_rng, agency.desk)[0])
                else:
                    subsystem = "DVC"
                    account = officer_account(agency, pick(call_rng, agency.desk)[0])
            hours = SYSTEM_CUMULATIVE if system or not working else OFFICER_CUMULATIVE
            hour = weighted(call_rng, HOURS, hours)
            moment = midnight + timedelta(seconds=hour * 3600 + below(call_rng, 3600))
            service = weighted(call_rng, ADHOC_SERVICES, _cumulative(ADHOC_SERVICES))[0]
            message_id = lookup_request_id(member, moment, subsystem)
            request_in = int(local_epoch(moment)) * 1000 + below(call_rng, 1000)
            calls.append(Call(request_in, member, subsystem, account, service, message_id, call_rng))
            if call_rng.random() < DOUBLE_CALL_SHARE and request_in % 1000 < 999:
                again = request_in + between(call_rng, 1, 999 - request_in % 1000)
                twin = random.Random(call_rng.getrandbits(64))
                calls.append(Call(again, member, subsystem, account, service, message_id, twin))
        return calls

    def _record(self, call: Call) -> dict[str, Any]:
        """The d.5 record of a call: times, outcome and sizes from its own random stream."""
        rng = call.rng
        request_out = call.request_in + between(rng, 2, 40)
        draw = rng.random()
        fault = next((f for f in FAULTS if draw < f[3]), None)
        if call.duplicate:
            fault = (*DUPLICATE_FAULT, 1.0)
        if fault is not None and fault[0] == TIMEOUT_FAULT:
            response_in = request_out + TIMEOUT_MS + between(rng, 0, 20)
        else:
            latency = math.exp(math.log(LATENCY_MEDIAN_MS) + LATENCY_SIGMA * rng.gauss(0.0, 1.0))
            response_in = request_out + max(20, min(LATENCY_CAP_MS, round(latency)))
        response_out = response_in + between(rng, 1, 30)
        request_size = between(rng, 280, 720)
        if fault is None:
            response_size = between(rng, *RESPONSE_SIZES[call.service])
        else:
            response_size = between(rng, 120, 320)
        xroad_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        return {
            "monitoringDataTs": response_out // 1000,
            "securityServerInternalIp": self.internal_ip,
            "securityServerType": "Client",
            "requestInTs": call.request_in,
            "requestOutTs": request_out,
            "responseInTs": response_in,
            "responseOutTs": response_out,
            "clientXRoadInstance": "VN",
            "clientMemberClass": "GOV",
            "clientMemberCode": call.member,
            "clientSubsystemCode": call.subsystem,
            "serviceXRoadInstance": "VN",
            "serviceMemberClass": "GOV",
            "serviceMemberCode": SERVICE_MEMBER,
            "serviceSubsystemCode": SERVICE_SUBSYSTEM,
            "serviceCode": call.service,
            "serviceVersion": "v1",
            "restMethod": "POST",
            "restPath": f"/apiCSDLDanCu/{call.service}",
            "statusCode": 200 if fault is None else fault[2],
            "representedPartyClass": None,
            "representedPartyCode": None,
            "messageId": call.message_id,
            "messageUserId": call.account,
            "messageIssue": None,
            "messageProtocolVersion": "4.0",
            "xRequestId": str(xroad_id),
            "clientSecurityServerAddress": self.client_server,
            "serviceSecurityServerAddress": self.service_server,
            "requestSize": request_size,
            "requestMimeSize": request_size + between(rng, 180, 420),
            "requestAttachmentCount": 0,
            "responseSize": response_size,
            "responseMimeSize": response_size + between(rng, 150, 380),
            "responseAttachmentCount": 0,
            "succeeded": fault is None,
            "faultCode": None if fault is None else fault[0],
            "faultString": None if fault is None else fault[1],
            "serviceType": "REST",
            "xRoadVersion": "7.5.1",
        }

    # --- statistics -------------------------------------------------------------------------

    def _commune_versions(self) -> tuple[list[str], list[str], dict[str, list[str]]]:
        """(the communes in force before REORGANISATION_DATE, those from it, new → old codes)."""
        code = self.setting.geography.code
        last_day = REORGANISATION_DATE - timedelta(days=1)
        before = sorted(u.code for u in units_of_province(code, last_day) if u.level == "commune")
        after = sorted(u.code for u in units_of_province(code, REORGANISATION_DATE) if u.level == "commune")
        merged: dict[str, list[str]] = {}
        successors = self.setting.geography.successors
        for old in before:
            new = successors.get((old, REORGANISATION_DATE))
            if new is not None:
                merged.setdefault(new, []).append(old)
        return before, after, merged

    def _own(self, commune: str, position: float) -> tuple[int, int, int]:
        """(residents, level-1 accounts, level-2 accounts) of a commune at a month position
        (months since January 2020, fractional within a month): all growing."""
        rng = self.rng("commune", commune)
        residents = between(rng, 4000, 30000) * (1 + rng.uniform(0.0002, 0.0012) * position)
        since = position - (2025 * 12 - MONTH_ORIGIN)  # months since January 2025
        level2 = min(0.80, max(0.0, rng.uniform(0.35, 0.55) + rng.uniform(0.006, 0.015) * since))
        level1 = min(0.12, max(0.0, rng.uniform(0.05, 0.09) + rng.uniform(0.0005, 0.002) * since))
        return round(residents), math.floor(residents * level1), math.floor(residents * level2)

    def _figure(self, commune: str, position: float, merged: bool) -> tuple[int, int, int]:
        parts = self._communes[2].get(commune) if merged else None
        if not parts:
            return self._own(commune, position)
        sums = [self._own(old, position) for old in parts]
        return tuple(sum(values) for values in zip(*sums, strict=True))  # type: ignore[return-value]

    def _build_figures(self, month: str) -> list[dict[str, Any]]:
        """The month's versions published in [start, end): a provisional figure at every midnight
        of the month (as of that day), the final figure on its last day at 23:00, and for ≈ 5 % of
        the communes a revision 3–10 days after the month."""
        assert self.start is not None and self.end is not None
        first = date(int(month[:4]), int(month[4:]), 1)
        following = (first + timedelta(days=32)).replace(day=1)
        length = (following - first).days
        base = int(month[:4]) * 12 + int(month[4:]) - 1 - MONTH_ORIGIN
        merged = first >= REORGANISATION_DATE
        communes = self._communes[1] if merged else self._communes[0]
        opens, closes = datetime.combine(self.start, time()), datetime.combine(self.end, time())
        figures: list[dict[str, Any]] = []
        for commune in communes:
            vendor = "gtel" if zlib.crc32(f"{commune}:{month}".encode()) % GTEL_SHARE == 0 else "mic"
            versions: list[tuple[datetime, float, int]] = []
            for offset in range(length):
                versions.append(
                    (datetime.combine(first + timedelta(days=offset), time()), offset / length, 0)
                )
            versions.append((datetime.combine(following - timedelta(days=1), PUBLISHED_AT), 1.0, 0))
            rng = self.rng("revision", commune, month)
            if rng.random() < REVISED_SHARE:
                published = datetime.combine(
                    following + timedelta(days=between(rng, *REVISION_DAYS) - 1), time(8)
                )
                published += timedelta(seconds=below(rng, 9 * 3600))
                versions.append((published, 1.0 + rng.uniform(0.1, 0.4), between(rng, -40, 40)))
            for published, elapsed, correction in versions:
                if not opens <= published < closes:
                    continue
                residents, level1, level2 = self._figure(commune, base + elapsed, merged)
                figures.append(
                    {
                        "MaXa": commune,
                        "Thang": month,
                        "SoDanCu": residents + correction,
                        "SoTaiKhoanMuc1": level1,
                        "SoTaiKhoanMuc2": level2,
                        "NgayCapNhat": format_stamp(published),
                        "vendor": vendor,
                    }
                )
        return figures


def _cumulative(mix: tuple[tuple[Any, ...], ...]) -> tuple[float, ...]:
    return tuple(itertools.accumulate(row[-1] for row in mix))


def _dumps(value: Any) -> bytes:
    """orjson.dumps, copied to bytes of their own size (orjson's keep a larger buffer)."""
    return bytes(memoryview(orjson.dumps(value)))


def generate_population(
    seed: int, scale: float, start: date, end: date, province_code: str = DEFAULT_PROVINCE_CODE
) -> GeneratedPopulation:
    """The interface of province `province_code` from `start` to `end` (exclusive: the clock).
    Only the province setting is built now; each day is drawn when first asked (the one-stop
    dossiers are generated at the first day)."""
    return GeneratedPopulation(seed, scale, start, end, province_code)
