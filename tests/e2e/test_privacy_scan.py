"""The privacy scan: personal data written where it does not belong never lands in clear.

A province is exported, personal data is injected where a source could drift (personal
fields renamed; names, ids in every spelling, phones and e-mails in every free-text field,
an id in a code and in a natural key, licence plates and faces the cameras read, photos
named after a citizen, rejected records full of them), and `dtimon run`
ingests the files through Airflow. Then every text, json and bytea column of every schema
of the warehouse and of Airflow's database, every file under DTIMON_HOME and the lines the
PostgreSQL server logged meanwhile are searched for the clear values: none may be found.

The fields come from each entity's declared privacy policy; a new interface adds its own
injection to `INJECTIONS`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import orjson
import psycopg
import pytest
from e2e_env import dtimon_env
from psycopg import sql

from core.settings import Settings
from ingestion.edxml import read_package
from ingestion.privacy import PersonalFields
from ingestion.sandbox.documents.exchange import export_exchange
from ingestion.sandbox.documents.generator import generate_exchange
from ingestion.sandbox.generator import generate_province
from ingestion.sandbox.ioc.generator import generate_ioc
from ingestion.sandbox.ioc.replay import ALERT_LIST_CLOSE, ALERTS_DIR, EVENTS_DIR, REPORTS_DIR, export_ioc
from ingestion.sandbox.population.generator import generate_population
from ingestion.sandbox.population.replay import OPMON_DIR as POPULATION_LOG_DIR
from ingestion.sandbox.population.replay import export_population
from ingestion.sandbox.province import DOSSIERS_FILE, PROGRESS_FILE, export_province
from ingestion.sources import SOURCES
from ingestion.sources.edoc_records import list_fields

pytestmark = pytest.mark.e2e

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START, END = date(2025, 9, 1), date(2025, 9, 5)
#: one dossier key in this many gets personal data injected
EVERY = 6
BAD_DATE = "20251345990000"
#: the IOC's scale: the smallest whose cameras include a plate-reading Hikvision and a Frigate
#: desk camera (21 cameras; the four days: ≈ 11,000 Frigate messages, 2,700 alerts, 130 reports)
IOC_SCALE = 0.05
#: about this many of the plates the cameras read become needles (each one is searched for in
#: every column: the scan's time grows with them); every name read is one
IOC_PLATES = 20
#: one field report in this many gets a citizen's personal data (≈ 12 needles each)
IOC_REPORTS_EVERY = 40
#: one plate read in this many is sent under a renamed field (its value becomes a needle)
IOC_RENAMED_EVERY = 25
#: the population interface's scale: a few hundred calls a working day
POPULATION_SCALE = 0.1
#: one call in this many is given personal data
POPULATION_EVERY = 40
TEXT_TYPES = ("text", "jsonb", "json", "character varying", "character", "bytea", "ARRAY")


def _ascii(text: str) -> str:
    """The text without Vietnamese diacritics, as people type it on a phone."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _is_citizen_id(value: str) -> bool:
    return len(value) == 12 and value.isascii() and value.isdigit()


def _is_name(value: str) -> bool:
    return 2 <= len(value.split()) <= 5 and not any(c.isdigit() or c in ",@" for c in value)


def _is_phone(value: str) -> bool:
    return value.startswith("0") and value.isdigit() and len(value) in (10, 11)


def spellings(value: str) -> list[str]:
    """The ways a person writes `value` in free text: ids grouped with separators and after
    a prefix, phones with spaces, dots or +84, names without diacritics."""
    if _is_citizen_id(value):
        a, b, c, d = value[:3], value[3:6], value[6:9], value[9:]
        return [
            value,
            f"{a}.{b}.{c}.{d}",
            f"{a} {b} {c} {d}",
            f"{value[:4]}-{value[4:8]}-{value[8:]}",
            f"{a} {b} {value[6:]}",
            f"CCCD: {value}",
            f"số định danh {a}.{b}.{c}.{d}",
        ]
    if _is_phone(value):
        rest = value[1:]
        return [
            value,
            f"{value[:4]} {value[4:7]} {value[7:]}",
            f"+84 {rest}",
            f"{value[:4]}.{value[4:7]}.{value[7:]}",
        ]
    if " " in value.strip():
        return [value, _ascii(value), value.upper()]
    return [value]


@dataclass
class Injected:
    """What was written where it does not belong, and what the scan must not find."""

    needles: set[str] = field(default_factory=set)
    #: keys of the dossiers whose records carry injected data
    keys: set[str] = field(default_factory=set)
    renamed: set[str] = field(default_factory=set)
    rejects: int = 0

    def person(self, values: list[str]) -> str:
        """A free text naming every value of `values` in every spelling; the values become needles."""
        written = [s for v in values if v for s in spellings(v)]
        for text in written:
            if len(text) >= 6:
                self.needles.add(text)
        return "Liên hệ: " + "; ".join(written)


def _personal_values(record: dict[str, Any], policy: PersonalFields) -> list[str]:
    """Every personal value of `record` by its declared policy, nested lists included."""
    values = [record[name] for name in policy.fields if isinstance(record.get(name), str) and record[name]]
    for name, sub in policy.nested.items():
        for item in record.get(name) or []:
            if isinstance(item, dict):
                sub_policy = sub if isinstance(sub, PersonalFields) else PersonalFields(fields=tuple(sub))
                values += _personal_values(item, sub_policy)
    return values


def _write_free_text(record: dict[str, Any], policy: PersonalFields, text: str) -> None:
    """`text` in every free-text field of `record`, nested items included."""
    for name in policy.free_text:
        record[name] = text
    for name, sub in policy.nested.items():
        if isinstance(sub, PersonalFields):
            for item in record.get(name) or []:
                if isinstance(item, dict):
                    _write_free_text(item, sub, text)


def _in_window(stamp: str) -> bool:
    return START.strftime("%Y%m%d") <= stamp[:8] < END.strftime("%Y%m%d")


def inject_onestop(folder: Path, injected: Injected) -> None:
    """Drift in the one-stop-shop's files: see the module docstring."""
    source = SOURCES["onestop"]
    dossier_policy = source.entity("dossiers").personal
    progress_policy = source.entity("progress").personal
    assert dossier_policy is not None and progress_policy is not None
    dossiers = [orjson.loads(line) for line in (folder / DOSSIERS_FILE).read_bytes().splitlines()]
    progress = [orjson.loads(line) for line in (folder / PROGRESS_FILE).read_bytes().splitlines()]
    keys = sorted({r["MaHoSo"] for r in dossiers if _in_window(r["_updated_at"])})
    chosen = keys[::EVERY]
    # personal fields renamed at the source: those records are rejects now (every record carries
    # its declared fields), few enough to stay under dq_thresholds' refuse_above of 5 %
    renamed = set(chosen[::3])  # personal fields renamed at the source
    noted = set(chosen) - renamed  # the applicant named in the dossier's progress notes
    people: dict[str, list[str]] = {}
    first_seen: dict[str, str] = {}
    extra: list[dict[str, Any]] = []
    last_id = ""
    # the people a later note may name: those of the first version ingested, from its time on
    for record in sorted(dossiers, key=lambda r: r["_updated_at"]):
        if record["MaHoSo"] in noted and _in_window(record["_updated_at"]) and record["MaHoSo"] not in people:
            people[record["MaHoSo"]] = _personal_values(record, dossier_policy)
            first_seen[record["MaHoSo"]] = record["_updated_at"]
    for record in dossiers:
        key = record["MaHoSo"]
        if key not in chosen:
            continue
        values = _personal_values(record, dossier_policy)
        _write_free_text(record, dossier_policy, injected.person(values))
        citizen_id = record.get(dossier_policy.derive_from or "") or ""
        if _is_citizen_id(citizen_id):
            record["MaHoSoKhac"] = (
                f"CCCD-{citizen_id[:3]}.{citizen_id[3:6]}.{citizen_id[6:9]}.{citizen_id[9:]}"
            )
            injected.needles.add(citizen_id)
            last_id = citizen_id
        if key in renamed:
            for name in dossier_policy.fields:
                if name in record:
                    record[name + "Cu"] = record.pop(name)
                    injected.renamed.add(name + "Cu")
        injected.keys.add(key)
        if _in_window(record["_updated_at"]) and len(extra) < 2:
            # a later version the parser refuses (an impossible date), full of personal data
            bad = json.loads(json.dumps(record))
            bad["_version"] = str(int(bad["_version"]) + 100)
            bad["NgayTiepNhan"] = BAD_DATE
            extra.append(bad)
    if last_id:
        # a natural key holding a citizen id: the only place where an id makes a reject
        bad = json.loads(json.dumps(dossiers[0]))
        bad["MaHoSo"] = f"CCCD {last_id[:3]} {last_id[3:6]} {last_id[6:9]} {last_id[9:]}"
        bad["_updated_at"] = START.strftime("%Y%m%d") + "120000"
        injected.needles.add(bad["MaHoSo"])
        extra.append(bad)
    injected.rejects = len(extra)
    for record in progress:
        key = record["MaHoSo"]
        if key in noted and key in people and record["ThoiDiemXuLy"] >= first_seen[key]:
            # names (2–5 words, what the rule searches a note for), phones and e-mails
            names = [v for v in people[key] if _is_name(v) or _is_phone(v) or "@" in v]
            _write_free_text(record, progress_policy, injected.person(names))
    (folder / DOSSIERS_FILE).write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in dossiers + extra))
    (folder / PROGRESS_FILE).write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in progress))


def _replace_text(package: bytes, element: str, text: str) -> bytes:
    """`package` with the text of every `<edXML:element>` replaced by `text` (XML-escaped)."""
    pattern = re.compile(rb"(<edXML:" + element.encode() + rb">)[^<]*(</edXML:" + element.encode() + rb">)")
    return pattern.sub(lambda m: m.group(1) + xml_escape(text).encode() + m.group(2), package)


def inject_edoc(folder: Path, injected: Injected) -> None:
    """Drift in the document exchange's replay folder: officers named in subjects, contents and
    status notes with their phones and e-mails; the signer's element renamed; a package with an
    impossible date and a document id holding a citizen id, both rejects full of personal data."""
    source = SOURCES["edoc"]
    target = folder / "documents"
    export_exchange(generate_exchange(seed=20250901, scale=0.3, start=date(2025, 6, 3), end=END), target)
    items = [orjson.loads(line) for line in (target / "queue.jsonl").read_bytes().splitlines()]
    shapes = {"edoc": source.entity("packages"), "status": source.entity("statuses")}
    in_window = [i for i in items if START.strftime("%Y/%m/%d") <= i["created_time"][:10]]
    # every other package (four days hold few at this scale), one status packet in EVERY
    every = {"edoc": 2, "status": EVERY}
    chosen = [
        i for kind in shapes for i in [i for i in in_window if i["messagetype"] == kind][:: every[kind]]
    ]
    for n, item in enumerate(chosen):
        entity = shapes[item["messagetype"]]
        assert entity.personal is not None and entity.declared is not None
        path = target / item["package"]
        package = path.read_bytes()
        record = read_package([package], list_fields(entity.declared.record))
        values = _personal_values(record, entity.personal)
        text = injected.person(values)
        for element in ("Subject", "Content", "Description", "BussinessDocReason"):
            package = _replace_text(package, element, text)
        if item["messagetype"] == "edoc" and n % 3 == 0:  # the signer's name under another element
            package = package.replace(b"<edXML:FullName>", b"<edXML:FullNameCu>").replace(
                b"</edXML:FullName>", b"</edXML:FullNameCu>"
            )
            injected.renamed.add("SignerInfo_FullNameCu")
        if item["messagetype"] == "edoc" and n in (1, 4):  # rejects: an impossible date, an id as the key
            citizen_id = f"046{20250901 + n:09d}"
            injected.needles.add(citizen_id)
            package = _replace_text(package, "PromulgationDate", "2025/13/45")
            package = _replace_text(
                package,
                "DocumentId",
                f"CCCD {citizen_id[:3]} {citizen_id[3:6]} {citizen_id[6:9]} {citizen_id[9:]}",
            )
            injected.rejects += 1
        path.write_bytes(package)


def _citizen(n: int) -> tuple[str, str, str, str]:
    """A synthetic citizen: (citizen id, phone, e-mail, name)."""
    names = ("Lưu Ngọc Trâm", "Tôn Nữ Thanh Vy", "Hồ Đắc Khải", "Ưng Bảo Hoàng")
    citizen_id = f"0460{(85 + n) % 100:02d}{(314159 + 7919 * n) % 1_000_000:06d}"
    return (
        citizen_id,
        f"0905{(271828 + 3571 * n) % 1_000_000:06d}",
        f"nguoidan{n:03d}@gmail.com",
        names[n % 4],
    )


def _last_hour(epoch: float) -> bool:
    """The time is in the last local hour of its day (UTC+7): the hour of Frigate messages a
    `dtimon run` loads each simulated day (its hourly DAG runs once a day, and a pull shorter
    than a page leaves no cursor: the next one starts at its own interval's start)."""
    return (int(epoch) // 3600 + 7) % 24 == 23


def _inject_frigate(target: Path, injected: Injected, read: set[str], names: list[str]) -> None:
    """Frigate messages: the plates read are noted in `read`. Among the events wholly in the last
    local hour of a day (`_last_hour`), one plate-reading event in two sends its `sub_label` as
    `recognized_license_plate` (Frigate 0.16's own field), and a few people are recognised as
    one of `names`: in `sub_label` as Frigate ≥ 0.14 sends it, `[name, score]`, or under
    `sub_label_name`. The values renamed or written become needles."""
    files = sorted((target / EVENTS_DIR).glob("*.jsonl"))
    days = {path: [orjson.loads(line) for line in path.read_bytes().splitlines()] for path in files}
    late: dict[str, bool] = {}  # event id → all its messages in a day's last hour
    labels: dict[str, tuple[str, bool]] = {}  # event id → (label, a sub_label read)
    for messages in days.values():
        for message in messages:
            event = message["after"]
            late[event["id"]] = late.get(event["id"], True) and _last_hour(event["frame_time"])
            read_one = isinstance(event.get("sub_label"), str) and bool(event["sub_label"])
            if read_one:
                read.add(event["sub_label"])
            was = labels.get(event["id"], (event["label"], False))
            labels[event["id"]] = (event["label"], was[1] or read_one)
    plates = sorted(e for e, (label, seen) in labels.items() if late[e] and seen and label != "person")
    people = sorted(e for e, (label, seen) in labels.items() if late[e] and not seen and label == "person")
    assert len(plates) >= 4 and len(people) >= 4, "too few events late in the day: raise IOC_SCALE"
    renamed = set(plates[::2])
    recognised = {e: names[n % len(names)] for n, e in enumerate(people[:8])}
    for path, messages in days.items():
        for message in messages:
            for event in (message["before"], message["after"]):
                key = event["id"]
                if key in renamed and "sub_label" in event:
                    event["recognized_license_plate"] = value = event.pop("sub_label")
                elif key in recognised and message["type"] != "new":
                    value = recognised[key]
                    if people.index(key) % 2:
                        event["sub_label_name"] = value
                    else:
                        event["sub_label"] = [value, event["top_score"]]
                else:
                    continue
                if value:
                    injected.needles.add(value)
        path.write_bytes(b"".join(orjson.dumps(m) + b"\n" for m in messages))
    injected.renamed |= {"recognized_license_plate", "sub_label_name"}


def _inject_hikvision(target: Path, injected: Injected, read: set[str]) -> None:
    """Hikvision alerts: the plates and names read are noted in `read`; one plate in
    IOC_RENAMED_EVERY is sent as `<plateNumber>`, one name in three as `<personName>` (those
    values become needles); a copy of a plate read with an impossible time, a citizen id in its
    description and a name under `<personName>` is a reject."""
    files = sorted((target / ALERTS_DIR).glob("*.xml"))
    plate, name = re.compile(rb"<licensePlate>([^<]+)</licensePlate>"), re.compile(rb"<name>([^<]+)</name>")
    seen = {"plate": 0, "name": 0}
    for day, path in enumerate(files):
        lines = path.read_bytes().split(b"\n")
        for i, line in enumerate(lines):
            for kind, pattern, element, other in (
                ("plate", plate, b"licensePlate", b"plateNumber"),
                ("name", name, b"name", b"personName"),
            ):
                found = pattern.search(line)
                if found is None:
                    continue
                read.add(found[1].decode())
                seen[kind] += 1
                if seen[kind] % (IOC_RENAMED_EVERY if kind == "plate" else 3) == 0:
                    injected.needles.add(found[1].decode())
                    line = line.replace(b"<" + element + b">", b"<" + other + b">")
                    line = line.replace(b"</" + element + b">", b"</" + other + b">")
                    injected.renamed.add(
                        ("ANPR_" if kind == "plate" else "FaceRecognition_") + other.decode()
                    )
            lines[i] = line
        if day == 1:
            # served last on its day: its time sorts after every real one of that day
            source, read_plate = next((line, m[1]) for line in lines if (m := plate.search(line)))
            citizen_id, _, _, person = _citizen(900)
            bad = re.sub(rb"(<dateTime>[0-9-]{10}T)[^<]*", rb"\g<1>25:61:00+07:00", source)
            bad = re.sub(
                rb"<eventDescription>[^<]*",
                f"<eventDescription>ANPR CCCD {citizen_id[:3]} {citizen_id[3:6]} {citizen_id[6:9]} "
                f"{citizen_id[9:]}".encode(),
                bad,
            )
            bad = bad.replace(
                b"</ANPR>",
                f"</ANPR><FaceRecognition><personName>{person}</personName></FaceRecognition>".encode(),
            )
            injected.needles |= {citizen_id, person, read_plate.decode()}
            injected.rejects += 1
            close = lines.index(ALERT_LIST_CLOSE.rstrip(b"\n"))
            lines.insert(close, bad)
        path.write_bytes(b"\n".join(lines))
    assert seen["plate"] and seen["name"], "no plate or name read: raise IOC_SCALE"


def _with_person(report: dict[str, Any], injected: Injected, n: int) -> None:
    """`report` with citizen `n`'s id in every spelling, phone and e-mail in each free text, and
    photos named after them (a photo's name is never kept: only their count)."""
    citizen_id, phone, email, person = _citizen(n)
    text = injected.person([citizen_id, phone, email])
    for name in ("TieuDe", "NoiDungPhanAnh", "DiaChiSuKien"):
        report[name] = text
    if report.get("NoiDungTraLoi"):
        report["NoiDungTraLoi"] = text
    photos = [f"CCCD_{citizen_id}_{_ascii(person).replace(' ', '_')}", f"{person} {phone}"]
    report["DanhSachFileDinhKem"] = [
        {"FileName": f"{photo}.jpg", "FileName_Thumb": f"{photo}_thumb.jpg"} for photo in photos
    ]
    injected.needles |= {f"{photo}.jpg" for photo in photos}


def _inject_reports(target: Path, injected: Injected) -> None:
    """Field reports: one in IOC_REPORTS_EVERY gets a citizen's personal data (`_with_person`);
    two more reports full of it are rejects: one with an impossible date, one whose point is
    none in Vietnam either way (a longitude 100° off)."""
    files = sorted((target / REPORTS_DIR).glob("*.jsonl"))
    days = {path: [orjson.loads(line) for line in path.read_bytes().splitlines()] for path in files}
    everyone = [report for reports in days.values() for report in reports]
    for n, report in enumerate(everyone[::IOC_REPORTS_EVERY], start=1):
        _with_person(report, injected, n)
    reports = days[files[2]]
    last = max(int(r["PhanAnhID"]) for r in reports)
    for k, change in enumerate(
        ({"NgayPhanAnh": "2025-13-45 08:00:00"}, {"KinhDo": reports[0]["KinhDo"] + 100}), start=1
    ):
        bad = json.loads(json.dumps(reports[0]))
        _with_person(bad, injected, 800 + k)
        bad.update(change, PhanAnhID=last + k)
        reports.append(bad)
        injected.rejects += 1
    for path, reports in days.items():
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in reports))


def inject_ioc(folder: Path, injected: Injected) -> None:
    """Drift in the IOC's replay folder (`DIR/ioc/`, the scan's four days at IOC_SCALE): licence
    plates and recognised names as both vendors send them, some under a renamed field (Frigate
    `sub_label`, Hikvision `licensePlate` and `name`) or as a list (Frigate); reports with citizen ids,
    phones and e-mails in every free text and photos named after the citizen; rejects full of
    personal data (an alert at an impossible time, a report with an impossible date, one whose
    point is none in Vietnam)."""
    target = folder / "ioc"
    export_ioc(generate_ioc(seed=20250901, scale=IOC_SCALE, start=START, end=END), target)
    read: set[str] = set()
    _inject_hikvision(target, injected, read)
    _inject_frigate(target, injected, read, sorted(v for v in read if _is_name(v)))
    _inject_reports(target, injected)
    names = sorted(v for v in read if _is_name(v))
    plates = sorted(read - set(names))
    injected.needles |= set(names) | set(plates[:: max(1, len(plates) // IOC_PLATES)])


def inject_population(folder: Path, injected: Injected) -> None:
    """Drift in the population interface's replay folder (`DIR/population/`, the scan's four days at
    POPULATION_SCALE): the officers' accounts (`messageUserId`) of one call in POPULATION_EVERY
    become needles; of those calls, one in two is made under a citizen's name, the others also send
    the name under `messageUserName` (a field the declaration does not know); every one of them
    names a citizen in its fault string; one more call full of it is a reject (a request time
    that is no epoch)."""
    target = folder / "population"
    export_population(generate_population(20250901, POPULATION_SCALE, START, END), target)
    for number, path in enumerate(sorted((target / POPULATION_LOG_DIR).glob("*.jsonl"))):
        calls = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        for n, call in enumerate(calls[::POPULATION_EVERY], start=100 * number):
            citizen_id, phone, email, name = _citizen(600 + n)
            if len(call["messageUserId"]) >= 6:
                injected.needles.add(call["messageUserId"])
            if n % 2:
                call["messageUserId"] = name
                injected.needles |= set(spellings(name))
            else:
                call["messageUserName"] = name
                injected.needles |= set(spellings(name))
                injected.renamed.add("messageUserName")
            call["faultString"] = injected.person([citizen_id, phone, email, name])
        if number == 2 and calls:
            bad = json.loads(json.dumps(calls[0]))
            citizen_id, phone, email, name = _citizen(999)
            bad.update(
                requestInTs="soon", messageUserId=name, faultString=injected.person([citizen_id, name])
            )
            calls.append(bad)
            injected.rejects += 1
        path.write_bytes(b"".join(orjson.dumps(call) + b"\n" for call in calls))


#: per registered source, how its exported files are given drift (a new interface adds its own)
INJECTIONS: dict[str, Callable[[Path, Injected], None]] = {
    "onestop": inject_onestop,
    "edoc": inject_edoc,
    "ioc": inject_ioc,
    "population": inject_population,
}


def _needle_forms(needles: set[str]) -> list[str]:
    """Each needle lower-cased, and as JSON writes it with non-ASCII escaped (some logs do)."""
    forms = set()
    for needle in needles:
        forms.add(needle.lower())
        forms.add(json.dumps(needle)[1:-1].lower())
    return sorted(forms)


def _chunks(conn: psycopg.Connection, schema: str, table: str, column: str) -> Iterator[str]:
    query = sql.SQL("select {col}::text from {tbl} where {col} is not null").format(
        col=sql.Identifier(column), tbl=sql.Identifier(schema, table)
    )
    with conn.cursor(name="scan") as cur:
        cur.itersize = 2000
        cur.execute(query)
        batch: list[str] = []
        size = 0
        for (value,) in cur:
            batch.append(value)
            size += len(value)
            if size > 4_000_000:
                yield "\n".join(batch).lower()
                batch, size = [], 0
        if batch:
            yield "\n".join(batch).lower()


def scan_database(url: str, needles: list[str]) -> list[str]:
    """`schema.table.column: needle` for every needle found in a text-like column."""
    hits: list[str] = []
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            """
            select table_schema, table_name, column_name from information_schema.columns
            where table_schema not in ('pg_catalog', 'information_schema') and data_type = any(%s)
            order by 1, 2, 3
            """,
            (list(TEXT_TYPES),),
        ).fetchall()
        for schema, table, column in columns:
            with conn.transaction():
                for chunk in _chunks(conn, schema, table, column):
                    hits += [f"{schema}.{table}.{column}: {n}" for n in needles if n in chunk]
    return sorted(set(hits))


def scan_files(root: Path, needles: list[str]) -> list[str]:
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace").lower()
        hits += [f"{path.relative_to(root)}: {n}" for n in needles if n in text]
    return hits


@pytest.fixture(scope="module")
def drift_run(
    module_warehouse_url: str, module_airflow_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("drifted-province")
    province = generate_province(seed=20250901, scale=0.3, start=date(2025, 6, 3), end=END)
    export_province(province, folder)
    injected = Injected()
    for source in SOURCES:
        INJECTIONS[source](folder, injected)
    home = tmp_path_factory.mktemp("dtimon-home")
    env = dtimon_env(
        module_warehouse_url,
        module_airflow_db_url,
        home,
        DTIMON_SANDBOX_DATA_DIR=str(folder),
        DTIMON_DEMO_START=START.isoformat(),
        DTIMON_DEMO_END=END.isoformat(),
    )
    server_log = _server_log()
    log_start = server_log.stat().st_size if server_log else 0
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dtimon"), "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=PROJECT_ROOT,
    )
    assert proc.returncode == 0, f"dtimon run failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    logged = ""
    if server_log:
        with server_log.open("rb") as handle:
            handle.seek(log_start)
            logged = handle.read().decode("utf-8", errors="replace").lower()
    return {
        "injected": injected,
        "home": home,
        "output": (proc.stdout + proc.stderr).lower(),
        "server_log": logged,
        "warehouse": module_warehouse_url,
        "airflow": module_airflow_db_url,
    }


def _server_log() -> Path | None:
    """The embedded server's log, when the tests run on it."""
    settings = Settings.from_env()
    if not settings.embedded:
        return None
    found = sorted(settings.pgdata.glob("*.log")) + sorted((settings.pgdata / "log").glob("*"))
    return found[0] if found else None


def test_the_drift_reached_the_warehouse(drift_run: dict[str, Any]) -> None:
    """The scan below is not vacuous: the injected records were ingested, pseudonymised."""
    injected: Injected = drift_run["injected"]
    with psycopg.connect(drift_run["warehouse"]) as conn:
        loaded = conn.execute(
            "select count(distinct record->>'MaHoSo') from raw.onestop__dossiers"
            " where record->>'MaHoSo' = any(%s) and record->>'GhiChu' like 'Liên hệ: %%'",
            (sorted(injected.keys),),
        ).fetchone()[0]
        unknown = {r[0] for r in conn.execute("select field_path from ops.unknown_fields").fetchall()}
        rejects = conn.execute("select count(*) from ops.rejects").fetchone()[0]
        alt_codes = conn.execute(
            "select count(*) from bi.fct_dossier where dossier_alt_code like '%%psn:%%'"
        ).fetchone()[0]
        noted_packages = conn.execute(
            "select count(*) from raw.edoc__packages where record->>'Subject' like 'Liên hệ: %%'"
        ).fetchone()[0]
        noted_reports = conn.execute(
            "select count(distinct report_id) from raw.ioc__reports"
            " where record->>'TieuDe' like 'Liên hệ: %%'"
        ).fetchone()[0]
        # what the cameras read was loaded, pseudonymised, from both vendors
        read = conn.execute(
            "select (select count(*) from raw.ioc__events where record->>'sub_label' like 'psn:%%'),"
            " (select count(*) from raw.ioc__alerts where record->>'ANPR_licensePlate' like 'psn:%%'),"
            " (select count(*) from raw.ioc__alerts where record->>'FaceRecognition_name' like 'psn:%%')"
        ).fetchone()
        ioc_rejects = {
            r[0] for r in conn.execute("select entity from ops.rejects where source = 'ioc'").fetchall()
        }
        noted_calls = conn.execute(
            "select count(*) from raw.population__calls where record->>'faultString' like 'Liên hệ: %%'"
        ).fetchone()[0]
        call_rejects = conn.execute(
            "select count(*) from ops.rejects where source = 'population'"
        ).fetchone()[0]
    assert loaded >= len(injected.keys) // 2
    assert injected.renamed <= unknown
    assert rejects >= injected.rejects
    assert alt_codes > 0
    assert noted_packages >= 3  # the document exchange's drift was loaded too, scrubbed
    assert noted_reports >= 3  # and the IOC's
    assert all(count > 0 for count in read)
    assert {"alerts", "reports"} <= ioc_rejects
    assert noted_calls >= 5 and call_rejects >= 1  # and the population interface's
    assert len(injected.needles) > 100


def test_no_injected_value_in_any_database(drift_run: dict[str, Any]) -> None:
    needles = _needle_forms(drift_run["injected"].needles)
    hits = scan_database(drift_run["warehouse"], needles) + scan_database(drift_run["airflow"], needles)
    assert hits == []


def test_no_injected_value_in_any_file_or_log(drift_run: dict[str, Any]) -> None:
    needles = _needle_forms(drift_run["injected"].needles)
    hits = scan_files(drift_run["home"], needles)
    hits += [f"server log: {n}" for n in needles if n in drift_run["server_log"]]
    hits += [f"dtimon run output: {n}" for n in needles if n in drift_run["output"]]
    assert hits == []
