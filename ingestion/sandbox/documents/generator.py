"""Deterministic generation of the province's document exchange (see README.md).

It builds on the one-stop sandbox's province (`ingestion.sandbox.generator.province_setting`:
the same agencies, officers and work calendar for the same seed, scale, span and province) plus
a few central agencies. Every document, agency-day and work file draws from its own
`random.Random` seeded with a string naming it; nothing reads the wall clock. Packages are kept
as specs and rendered when fetched or exported (`packages.render`).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from core.code_lists import SEEDS_DIR
from core.settings import DEFAULT_PROVINCE_CODE
from ingestion.sandbox.documents.exchange import Exchange, QueueItem, format_date, format_time
from ingestion.sandbox.documents.packages import (
    Attachment,
    Document,
    Organ,
    Reference,
    Staff,
    StatusPacket,
    render,
)
from ingestion.sandbox.draws import below, between, pick, poisson, weighted
from ingestion.sandbox.generator import (
    Agency,
    Setting,
    WorkCalendar,
    ascii_text,
    person_name,
    province_setting,
)
from ingestion.sandbox.province import gc_paused

MONTHLY_DOCUMENTS = 400  # documents sent a month at scale 1.0 (province and central senders)
MONTHLY_WORKFILES = 250  # work files opened a month at scale 1.0 (≈ 500 versions: opened, closed)
WORKING_DAYS_PER_MONTH = 250 / 12
FROM_CENTRAL_SHARE = 0.12  # documents a central agency sends to the province's agencies
TO_CENTRAL_SHARE = 0.08  # province documents with a central agency among their recipients
RECIPIENT_COUNTS = ((1, 0.76), (2, 0.94), (3, 1.0))  # cumulative: ≈ 1.3 recipients a document
REFUSED_SHARE = 0.05  # (document, recipient) pairs refused at receipt (02)
ACT_SHARES = (("1", 0.01), ("2", 0.02), ("3", 0.03))  # cumulative: revocation, update, replacement
UPDATE_REFUSED_SHARE = 0.2  # recipients answering an update with 16
STRAY_SHARE = 0.01  # packages with stray bytes before `<?xml`
SIGNED_SHARE = 0.8
BAD_SIGNATURE_SHARE = 0.04  # of the signed: an empty SignatureValue or no DigestValue
SHA256_SHARE = 0.4  # of the signed: rsa-sha256 (else rsa-sha1)
PAPER_SHARE = 0.1
ATTACHED_SHARE = 0.92
BIG_ATTACHMENT_SHARE = 1 / 200
BIG_ATTACHMENT_BYTES = (2_000_000, 4_000_000)
SMALL_ATTACHMENT_BYTES = (1_200, 6_000)
DUE_SHARE = 0.45  # documents with a DueDate (the others carry it empty)
LATE_FINISH_SHARE = 0.15  # of those with a DueDate: 06 after it
LATE_ARRIVAL_SHARE = 0.05  # status packets queued 1–6 days after their Timestamp
OUT_OF_ORDER_SHARE = 0.02  # status packets queued after the next packet of their sequence
DUPLICATE_SHARE = 0.01  # queue items delivered twice (a second item, the same bytes)
ORPHAN_SHARE = 0.01  # status packets about a document the exchange never carried
SLASH_TIMESTAMP_SHARE = 0.25  # agencies whose status Timestamp is yyyy/MM/dd HH:mm:ss
OFFICE_OPEN, OFFICE_CLOSE = time(7, 30), time(17, 0)

#: (QCVN 102 id, name, abbreviation, mail domain): central senders and recipients [D: beside
#: G22 and G01 (research note a.5) the letter codes are not confirmed]
CENTRAL_AGENCIES = (
    ("000.00.00.G22", "Văn phòng Chính phủ", "VPCP", "chinhphu.vn", 3.0),
    ("000.00.00.G01", "Bộ Công an", "BCA", "bocongan.gov.vn", 1.0),
    ("000.00.00.G15", "Bộ Tư pháp", "BTP", "moj.gov.vn", 1.0),
    ("000.00.00.G04", "Bộ Công Thương", "BCT", "moit.gov.vn", 1.0),
)
#: (Type, TypeDetail, TypeName, abbreviation for the notation or None for a letter, weight)
DOCUMENT_TYPES = (
    ("1", "0", "Công văn", None, 0.52),
    ("2", "0", "Quyết định", "QĐ", 0.12),
    ("3", "0", "Báo cáo", "BC", 0.09),
    ("4", "0", "Kế hoạch", "KH", 0.07),
    ("5", "0", "Thông báo", "TB", 0.08),
    ("6", "0", "Tờ trình", "TTr", 0.05),
    ("7", "0", "Giấy mời", "GM", 0.06),
    ("8", "0", "Chỉ thị", "CT", 0.01),
)
TYPE_CUMULATIVE = tuple(itertools.accumulate(t[4] for t in DOCUMENT_TYPES))
#: the issuing office of a letter's notation (`<agency>-<office>`), several with Đ
OFFICES = ("VP", "NV", "KHTC", "TCCB", "ĐT", "QLĐT", "KTĐN", "TH", "ĐKKD", "VX", "KT")
TOPICS = (
    "triển khai công tác chuyển đổi số năm 2025",
    "báo cáo tình hình giải quyết thủ tục hành chính quý III",
    "tăng cường công tác phòng, chống thiên tai mùa mưa bão",
    "góp ý dự thảo quy chế phối hợp quản lý trật tự đô thị",
    "tổ chức hội nghị sơ kết 6 tháng đầu năm",
    "đôn đốc thực hiện kế hoạch cải cách hành chính",
    "rà soát, cập nhật cơ sở dữ liệu đất đai",
    "đảm bảo an toàn thực phẩm dịp Tết Trung thu",
    "kiện toàn Ban Chỉ đạo chuyển đổi số cấp xã",
    "phân bổ kinh phí sự nghiệp giáo dục",
    "thực hiện chính quyền địa phương hai cấp",
    "cung cấp thông tin phục vụ công tác thanh tra",
    "đề nghị thẩm định hồ sơ dự án đầu tư công",
    "tuyên truyền, phổ biến giáo dục pháp luật",
)
ACT_REASONS = {
    "1": "Thu hồi do sai sót về thể thức văn bản",
    "2": "Cập nhật thời hạn xử lý và danh sách nơi nhận",
    "3": "Thay thế văn bản đã ban hành do sai sót nội dung",
}
STATUS_DESCRIPTIONS = {
    "01": "Đã đến",
    "02": "Từ chối tiếp nhận: văn bản gửi không đúng thẩm quyền",
    "03": "Đã tiếp nhận",
    "04": "Đã phân công xử lý",
    "05": "Đang xử lý",
    "06": "Đã xử lý xong",
    "13": "Đã thu hồi văn bản",
    "15": "Đồng ý cập nhật văn bản",
    "16": "Từ chối cập nhật văn bản",
}
STRAY_PREFIXES = (
    b"\xef\xbb\xbf\r\n",
    b"\xef\xbb\xbf\xef\xbb\xbfedXML\r\n",
    b"\r\n\r\n",
    b"\xef\xbb\xbf  \r\n",
)
CONTENT_TYPES = (
    ("application/pdf", "pdf", 0.8),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", 0.95),
    ("application/msword", "doc", 1.0),
)
WORKFILE_TITLES = (
    "Hồ sơ xử lý văn bản đến về {topic}",
    "Hồ sơ tham mưu {topic}",
    "Hồ sơ công việc: {topic}",
)


@dataclass
class _Party:
    """An agency on the axis: its `From`/`To` block, abbreviation, officers and its document
    numbering; `agency` is None for a central agency."""

    organ: Organ
    abbreviation: str
    level: str
    weight: float
    slash_timestamps: bool
    leaders: list[tuple[str, str]]
    head_title: str
    clerks: list[Staff]
    specialists: list[Staff]
    domain: str
    agency: Agency | None = None
    next_number: int = 1
    #: documents it received so far (a reply names one of them in ResponseFor)
    received: list[Document] = field(default_factory=list)

    def active(self, day: date) -> bool:
        until = self.agency.active_until if self.agency is not None else None
        return until is None or day < until


class _Build:
    """One generation run: the setting, the parties, the queue being built."""

    def __init__(self, seed: int, scale: float, setting: Setting) -> None:
        self.seed = seed
        self.scale = scale
        self.setting = setting
        self.calendar: WorkCalendar = setting.calendar
        self.clock_end = setting.clock_end
        self.end_text = format_time(setting.clock_end)
        self.place = _place_name(setting.geography.name)
        self.domain = f"{ascii_text(self.place).lower().replace(' ', '')}.gov.vn"
        self.items: list[QueueItem] = []
        self.doc_ids: set[str] = set()
        self.local = [self._local_party(agency) for agency in setting.agencies]
        self.central = [self._central_party(*row) for row in CENTRAL_AGENCIES]

    def rng(self, *key: object) -> random.Random:
        return random.Random(":".join(str(part) for part in (self.seed, "documents", *key)))

    # --- parties ----------------------------------------------------------------------------

    def _local_party(self, agency: Agency) -> _Party:
        rng = self.rng("party", agency.code)
        abbreviation = _abbreviation(agency.name)
        slug = ascii_text(abbreviation).lower()
        if agency.name.startswith("UBND") and agency.level != "1":
            slug = "ubnd." + ascii_text(agency.name.removeprefix("UBND ")).lower().replace(" ", "")
        parent = next((a.name for a in self.setting.agencies if a.code == agency.parent_code), "Chính phủ")
        organ = Organ(
            id=agency.code,
            name=agency.name,
            in_charge=parent,
            address=f"Số {between(rng, 1, 250)} {pick(rng, STREETS)}, {self.place}",
            email=f"{slug}@{self.domain}",
            telephone=f"0234 3{below(rng, 1_000_000):06d}",
            fax=f"0234 3{below(rng, 1_000_000):06d}",
            website=f"https://{slug.replace('ubnd.', '')}.{self.domain}",
        )
        head = (
            "GIÁM ĐỐC"
            if agency.name.startswith("Sở")
            else "TRƯỞNG BAN"
            if agency.name.startswith("Ban")
            else ("CHÁNH THANH TRA" if agency.name.startswith("Thanh tra") else "CHỦ TỊCH")
        )
        weight = {"1": 3.0, "2": 1.6}.get(agency.level, 0.7)
        return _Party(
            organ=organ,
            abbreviation=abbreviation,
            level=agency.level,
            weight=weight,
            slash_timestamps=zlib.crc32(agency.code.encode()) % 100 < SLASH_TIMESTAMP_SHARE * 100,
            leaders=[(name, title) for name, title, _ in agency.leaders],
            head_title=head,
            # the one-stop desk officers also keep the agency's register of documents
            clerks=[self._staff(rng, agency.code, name, "Văn thư", slug) for name, _, _ in agency.desk],
            specialists=[
                self._staff(rng, agency.code, name, unit, slug) for name, _, unit in agency.specialists
            ],
            domain=self.domain,
            agency=agency,
            next_number=between(rng, 40, 1200),
        )

    def _central_party(self, code: str, name: str, abbreviation: str, domain: str, weight: float) -> _Party:
        rng = self.rng("central", code)
        organ = Organ(
            id=code,
            name=name,
            in_charge="Chính phủ",
            address=f"Số {between(rng, 1, 120)} {pick(rng, ('Hoàng Hoa Thám', 'Trần Hưng Đạo', 'Ngô Quyền'))}, Hà Nội",
            email=f"vanthu@{domain}",
            telephone=f"024 3{below(rng, 10_000_000):07d}",
            fax=f"024 3{below(rng, 10_000_000):07d}",
            website=f"https://{domain}",
        )
        department = "Văn phòng"
        slug = abbreviation.lower()
        return _Party(
            organ=organ,
            abbreviation=abbreviation,
            level="0",
            weight=weight,
            slash_timestamps=True,
            leaders=[(person_name(rng), pick(rng, ("Thứ trưởng", "Phó Chủ nhiệm"))) for _ in range(2)],
            head_title="BỘ TRƯỞNG" if name.startswith("Bộ") else "BỘ TRƯỞNG, CHỦ NHIỆM",
            clerks=[self._staff(rng, code, person_name(rng), department, slug, domain) for _ in range(2)],
            specialists=[
                self._staff(rng, code, person_name(rng), "Vụ Tổng hợp", slug, domain) for _ in range(3)
            ],
            domain=domain,
            next_number=between(rng, 500, 6000),
        )

    def _staff(
        self, rng: random.Random, code: str, name: str, unit: str, slug: str, domain: str | None = None
    ) -> Staff:
        """An officer with a synthetic work e-mail (given name + initials) and mobile."""
        words = ascii_text(name).lower().split()
        email = (
            f"{words[-1]}{''.join(w[0] for w in words[:-1])}.{slug.replace('.', '')}@{domain or self.domain}"
        )
        mobile = f"0{pick(rng, '3789')}{below(rng, 100_000_000):08d}"
        return Staff(unit, name, email, mobile)

    # --- documents --------------------------------------------------------------------------

    def documents_on(self, day: date) -> None:
        """The documents sent on a working day, their acts, their recipients' status packets."""
        rng = self.rng("day", day.isoformat())
        count = poisson(rng, MONTHLY_DOCUMENTS / WORKING_DAYS_PER_MONTH * self.scale)
        local = [party for party in self.local if party.active(day)]
        local_cumulative = list(itertools.accumulate(party.weight for party in local))
        central_cumulative = list(itertools.accumulate(party.weight for party in self.central))
        for seq in range(1, count + 1):
            doc_rng = self.rng("document", day.isoformat(), seq)
            if doc_rng.random() < FROM_CENTRAL_SHARE:
                sender = weighted(doc_rng, self.central, central_cumulative)
                recipients = self._recipients(doc_rng, local, local_cumulative, sender, central=False)
            else:
                sender = weighted(doc_rng, local, local_cumulative)
                to_central = doc_rng.random() < TO_CENTRAL_SHARE
                recipients = self._recipients(doc_rng, local, local_cumulative, sender, central=to_central)
            sent = self.calendar.time_in(
                doc_rng, datetime.combine(day, OFFICE_OPEN), datetime.combine(day, OFFICE_CLOSE)
            )
            assert sent is not None  # `day` is a working day
            document = self._document(doc_rng, sender, recipients, sent, f"{day.isoformat()}:{seq}")
            draw = doc_rng.random()
            act = next((kind for kind, share in ACT_SHARES if draw < share), None)
            acted = self.calendar.time_after(doc_rng, sent + timedelta(hours=1), between(doc_rng, 1, 10))
            # the recipients stop processing a revoked or replaced document
            stop = acted if act in ("1", "3") else None
            arrivals = self._deliver(doc_rng, document, sender, recipients, sent, stop)
            if act is not None and arrivals:
                self._act(doc_rng, act, acted, document, sender, arrivals)
        orphans = poisson(rng, ORPHAN_SHARE * count * 1.3 * 5)
        for index in range(orphans):
            self._orphan_status(self.rng("orphan", day.isoformat(), index), day, local, local_cumulative)

    def _recipients(
        self, rng: random.Random, local: list[_Party], cumulative: list[float], sender: _Party, central: bool
    ) -> list[_Party]:
        wanted = next(n for n, share in RECIPIENT_COUNTS if rng.random() < share)
        chosen: list[_Party] = [pick(rng, self.central)] if central else []
        for _ in range(40):
            if len(chosen) >= wanted:
                break
            party = weighted(rng, local, cumulative)
            if party is not sender and party not in chosen:
                chosen.append(party)
        return chosen

    def _document(
        self, rng: random.Random, sender: _Party, recipients: list[_Party], sent: datetime, key: str
    ) -> Document:
        kind = DOCUMENT_TYPES[bisect.bisect_right(TYPE_CUMULATIVE, rng.random() * TYPE_CUMULATIVE[-1])]
        type_code, type_detail, type_name, type_abbreviation, _ = kind
        if type_abbreviation is None:
            notation = f"{sender.abbreviation}-{pick(rng, OFFICES)}"
        else:
            notation = f"{type_abbreviation}-{sender.abbreviation}"
        number = str(sender.next_number)
        sender.next_number += 1
        issued = format_date(sent)
        topic = pick(rng, TOPICS)
        subject = f"V/v {topic}" if type_abbreviation is None else f"{type_name} về việc {topic}"
        due = ""
        if rng.random() < DUE_SHARE:
            due = format_date(
                datetime.combine(self.calendar.add_working_days(sent.date(), between(rng, 3, 15)), time())
            )
        leader_name, leader_title = pick(rng, sender.leaders)
        deputy = rng.random() < 0.75
        steering = "1" if rng.random() < 0.8 else pick(rng, ("2", "2", "3"))
        response_for = None
        if sender.received and (steering == "3" or rng.random() < 0.1):
            answered = sender.received[below(rng, len(sender.received))]
            response_for = Reference(
                answered.sender.id, answered.code, answered.promulgation_date, answered.document_id
            )
        signed = rng.random() < SIGNED_SHARE
        signature = "none"
        if signed:
            signature = "well-formed"
            if rng.random() < BAD_SIGNATURE_SHARE:
                signature = pick(rng, ("empty-signature-value", "missing-digest-value"))
        attachments: list[Attachment] = []
        if rng.random() < ATTACHED_SHARE:
            big = rng.random() < BIG_ATTACHMENT_SHARE
            for index in range(1, between(rng, 1, 3) + 1):
                content_type, extension = _content_type(rng)
                size = between(rng, *SMALL_ATTACHMENT_BYTES)
                if big and index == 1:
                    content_type, extension = "application/pdf", "pdf"
                    size = between(rng, *BIG_ATTACHMENT_BYTES)
                name = (
                    f"{number}-{notation}.{extension}" if index == 1 else f"Phu luc {index - 1}.{extension}"
                )
                description = type_name if index == 1 else f"Phụ lục {index - 1}"
                attachments.append(
                    Attachment(
                        f"cid:{index}",
                        name,
                        description,
                        content_type,
                        size,
                        f"{self.seed}:att:{key}:{index}",
                    )
                )
        typist = pick(rng, sender.specialists)
        return Document(
            sender=sender.organ,
            recipients=tuple(party.organ for party in recipients),
            document_id=f"{sender.organ.id},{issued},{number}/{notation}",
            number=number,
            notation=notation,
            place=self.place if sender.agency is not None else "Hà Nội",
            promulgation_date=issued,
            type_code=type_code,
            type_detail=type_detail,
            type_name=type_name,
            subject=subject,
            content=f"{type_name} của {sender.organ.name} về việc {topic}.",
            signer_competence=f"KT. {sender.head_title}" if deputy else sender.head_title,
            signer_position=leader_title if deputy else sender.head_title.capitalize(),
            signer_name=leader_name,
            due_date=due,
            to_places=(*(party.organ.name for party in recipients), "Lưu: VT"),
            priority=str(weighted(rng, (0, 1, 2, 3, 4), (0.7, 0.9, 0.97, 0.995, 1.0))),
            sphere=pick(rng, ("1", "2", "2")),
            typer="".join(word[0] for word in ascii_text(typist.name).upper().split()),
            amount=str(len(recipients) + 2),
            pages=str(between(rng, 1, 12)),
            direction="true" if steering == "2" else "false",
            steering=steering,
            response_for=response_for,
            trace=((sender.organ.id, format_time(sent)),),
            business_type="0",
            business_reason="",
            paper="1" if rng.random() < PAPER_SHARE else "0",
            business_document_id="",
            staff=typist,
            replaces=(),
            signature=signature,
            signature_algorithm="rsa-sha256" if rng.random() < SHA256_SHARE else "rsa-sha1",
            signature_seed=f"{self.seed}:sig:{key}",
            attachments=tuple(attachments),
            stray=pick(rng, STRAY_PREFIXES) if rng.random() < STRAY_SHARE else b"",
        )

    def _deliver(
        self,
        rng: random.Random,
        document: Document,
        sender: _Party,
        recipients: list[_Party],
        sent: datetime,
        stop: datetime | None,
    ) -> list[tuple[_Party, datetime]]:
        """Queue the document for each recipient and its status packets; (recipient, arrival)."""
        arrivals = []
        for recipient in recipients:
            created = sent + timedelta(seconds=between(rng, 5, 180))
            if created >= self.clock_end:
                continue
            self._queue(rng, "edoc", document, sender.organ.id, recipient.organ.id, created)
            recipient.received.append(document)
            arrivals.append((recipient, created))
            self._status_flow(rng, document, sender, recipient, created, stop)
        return arrivals

    def _status_flow(
        self,
        rng: random.Random,
        document: Document,
        sender: _Party,
        recipient: _Party,
        arrived: datetime,
        stop: datetime | None = None,
    ) -> None:
        """01 → 03 → 04 → 05 → 06 over working days (02 ends it), each packet queued after its
        Timestamp (sometimes days after, sometimes after the next one)."""
        cal = self.calendar
        at = arrived + timedelta(seconds=between(rng, 1, 300))
        steps: list[tuple[str, datetime, Staff]] = [("01", at, pick(rng, recipient.clerks))]
        if rng.random() < REFUSED_SHARE:
            steps.append(("02", cal.time_after(rng, at, 1), pick(rng, recipient.clerks)))
        else:
            at = cal.time_after(rng, at, 1)
            steps.append(("03", at, pick(rng, recipient.clerks)))
            at = cal.time_after(rng, at, 2)
            leader = pick(rng, recipient.leaders)
            steps.append(("04", at, Staff("Lãnh đạo", leader[0], "", "")))
            handler = pick(rng, recipient.specialists)
            at = cal.time_after(rng, at, 2)
            steps.append(("05", at, handler))
            finished = cal.time_after(rng, at, between(rng, 1, 10))
            if document.due_date:
                due = datetime.strptime(document.due_date, "%Y/%m/%d").replace(hour=17)
                if rng.random() < LATE_FINISH_SHARE:
                    later = datetime.combine(
                        cal.add_working_days(due.date(), between(rng, 1, 7)), OFFICE_OPEN
                    )
                    finished = cal.time_after(rng, max(later, at), 0)
                elif due > at:
                    finished = cal.time_in(rng, at, due) or finished
            steps.append(("06", finished, handler))
        self._queue_statuses(rng, document, sender, recipient, steps, stop)

    def _queue_statuses(
        self,
        rng: random.Random,
        document: Document,
        sender: _Party,
        recipient: _Party,
        steps: Sequence[tuple[str, datetime, Staff]],
        stop: datetime | None,
    ) -> None:
        reference = Reference(
            document.sender.id, document.code, document.promulgation_date, document.document_id
        )
        kept = [step for step in steps if stop is None or step[1] < stop]
        created = []
        for _, at, _ in kept:
            delay = between(rng, 5, 900)
            if rng.random() < LATE_ARRIVAL_SHARE:
                delay += between(rng, 1, 6) * 86_400
            created.append(at + timedelta(seconds=delay))
        for index in range(len(created) - 1):
            if rng.random() < OUT_OF_ORDER_SHARE:  # queued after its successor
                created[index] = max(
                    created[index], created[index + 1] + timedelta(seconds=between(rng, 1, 3600))
                )
        for (code, at, staff), queued in zip(kept, created, strict=True):
            if queued >= self.clock_end:
                continue
            packet = StatusPacket(
                response_for=reference,
                sender=recipient.organ,
                code=code,
                description=STATUS_DESCRIPTIONS[code],
                timestamp=_status_time(at, recipient.slash_timestamps),
                staff=staff,
                stray=pick(rng, STRAY_PREFIXES) if rng.random() < STRAY_SHARE else b"",
            )
            self._queue(rng, "status", packet, recipient.organ.id, sender.organ.id, queued)

    def _act(
        self,
        rng: random.Random,
        act: str,
        at: datetime,
        document: Document,
        sender: _Party,
        arrivals: list[tuple[_Party, datetime]],
    ) -> None:
        """A revocation (answered 13), an update (15 or 16) or a replacement (a document of its
        own, processed as any) sent at `at` to the recipients the document reached."""
        if act == "3":
            number = str(sender.next_number)
            sender.next_number += 1
            issued = format_date(at)
            acting = replace(
                document,
                number=number,
                document_id=f"{sender.organ.id},{issued},{number}/{document.notation}",
                promulgation_date=issued,
                replaces=(document.document_id,),
            )
        else:
            acting = document
            if act == "2" and document.due_date:
                moved = self.calendar.add_working_days(
                    datetime.strptime(document.due_date, "%Y/%m/%d").date(), 5
                )
                acting = replace(document, due_date=format_date(datetime.combine(moved, time())))
        acting = replace(
            acting,
            trace=((sender.organ.id, format_time(at)),),
            business_type=act,
            business_reason=ACT_REASONS[act],
            business_document_id=document.document_id,
            signature_seed=f"{document.signature_seed}:act{act}",
            stray=pick(rng, STRAY_PREFIXES) if rng.random() < STRAY_SHARE else b"",
        )
        for recipient, _ in arrivals:
            created = at + timedelta(seconds=between(rng, 5, 180))
            if created >= self.clock_end:
                continue
            self._queue(rng, "edoc", acting, sender.organ.id, recipient.organ.id, created)
            if act == "3":
                self._status_flow(rng, acting, sender, recipient, created)
                continue
            answer = "13" if act == "1" else "16" if rng.random() < UPDATE_REFUSED_SHARE else "15"
            answered = self.calendar.time_after(rng, created, 1)
            self._queue_statuses(
                rng, document, sender, recipient, [(answer, answered, pick(rng, recipient.clerks))], None
            )

    def _orphan_status(
        self, rng: random.Random, day: date, local: list[_Party], cumulative: list[float]
    ) -> None:
        """A status packet about a document the exchange never carried (sent before the span or
        outside the axis)."""
        recipient = weighted(rng, local, cumulative)
        sender = pick(rng, self.central) if rng.random() < 0.5 else weighted(rng, local, cumulative)
        issued = datetime.combine(day - timedelta(days=between(rng, 5, 90)), time())
        code = f"{between(rng, 1, 4000)}/{sender.abbreviation}-{pick(rng, OFFICES)}"
        reference = Reference(
            sender.organ.id, code, format_date(issued), f"{sender.organ.id},{format_date(issued)},{code}"
        )
        at = self.calendar.time_in(
            rng, datetime.combine(day, OFFICE_OPEN), datetime.combine(day, OFFICE_CLOSE)
        )
        assert at is not None
        status = pick(rng, ("03", "04", "05", "06"))
        packet = StatusPacket(
            reference,
            recipient.organ,
            status,
            STATUS_DESCRIPTIONS[status],
            _status_time(at, recipient.slash_timestamps),
            pick(rng, recipient.specialists),
        )
        queued = at + timedelta(seconds=between(rng, 5, 900))
        if queued < self.clock_end:
            self._queue(rng, "status", packet, recipient.organ.id, sender.organ.id, queued)

    def _queue(
        self,
        rng: random.Random,
        kind: str,
        package: Document | StatusPacket,
        sender: str,
        recipient: str,
        created: datetime,
    ) -> None:
        """One queue item (and, for ≈ 1 %, the same package delivered again later)."""
        times = [created]
        if rng.random() < DUPLICATE_SHARE:
            times.append(created + timedelta(seconds=between(rng, 600, 86_400)))
        for moment in times:
            if moment >= self.clock_end:
                continue
            doc_id = f"{rng.getrandbits(96):024x}"
            while doc_id in self.doc_ids:
                doc_id = f"{rng.getrandbits(96):024x}"
            self.doc_ids.add(doc_id)
            stamp = format_time(moment)
            listing = {
                "DocId": doc_id,
                "from": sender,
                "to": recipient,
                "messagetype": kind,
                "servicetype": "eDoc",
                "created_time": stamp,
            }
            self.items.append(QueueItem(listing, kind, stamp, doc_id, functools.partial(render, package)))

    # --- work files -------------------------------------------------------------------------

    def workfiles_on(self, day: date, out: list[dict[str, Any]]) -> None:
        """The work files each agency opens on a working day: a version when opened and, before
        the clock, one when closed."""
        local = [party for party in self.local if party.active(day)]
        total = sum(party.weight for party in local)
        for party in local:
            agency = party.agency
            assert agency is not None
            shares = self.rng("workfile-shares", agency.code)
            online_share, personal_share = 0.5 + 0.45 * shares.random(), 0.3 + 0.6 * shares.random()
            rng = self.rng("workfiles", agency.code, day.isoformat())
            count = poisson(
                rng, MONTHLY_WORKFILES / WORKING_DAYS_PER_MONTH * self.scale * party.weight / total
            )
            for seq in range(1, count + 1):
                opened = self.calendar.time_in(
                    rng, datetime.combine(day, OFFICE_OPEN), datetime.combine(day, OFFICE_CLOSE)
                )
                assert opened is not None
                closed = self.calendar.time_after(rng, opened + timedelta(hours=1), between(rng, 2, 40))
                record = {
                    "id": f"HSCV-{agency.code}-{day:%y%m%d}-{seq:03d}",
                    "agency": agency.code,
                    "title": pick(rng, WORKFILE_TITLES).format(topic=pick(rng, TOPICS)),
                    "owner": pick(rng, party.specialists).name,
                    "opened": format_time(opened),
                    "closed": "",
                    "processed_online": rng.random() < online_share,
                    "signed_personally": rng.random() < personal_share,
                    "updated": format_time(opened),
                }
                out.append(record)
                if closed < self.clock_end:
                    out.append({**record, "closed": format_time(closed), "updated": format_time(closed)})


def generate_exchange(
    seed: int,
    scale: float,
    start: date,
    end: date,
    province_code: str = DEFAULT_PROVINCE_CODE,
    seeds_dir: Path = SEEDS_DIR,
) -> Exchange:
    """The document exchange of province `province_code` from `start` to `end` (exclusive: the
    simulated clock), on the agencies of `generate_province` for the same arguments."""
    setting = province_setting(seed, scale, start, end, province_code, seeds_dir)
    build = _Build(seed, scale, setting)
    workfiles: list[dict[str, Any]] = []
    with gc_paused():
        day = start
        while day < end:
            if build.calendar.is_working(day):
                build.documents_on(day)
                build.workfiles_on(day, workfiles)
            day += timedelta(days=1)
        items = build.items
        items.sort(key=lambda item: (item.created_time, item.doc_id))
        workfiles.sort(key=lambda r: (r["updated"], r["id"]))
    return Exchange(_directory(build), items, workfiles, setting.clock_end)


def _directory(build: _Build) -> list[dict[str, str]]:
    """The province's agencies as the axis's directory lists them (research note a.5)."""
    records = []
    for party in build.local:
        organ = party.organ
        agency = party.agency
        assert agency is not None
        rng = build.rng("directory", organ.id)
        records.append(
            {
                "id": hashlib.sha1(f"{build.seed}:{organ.id}".encode()).hexdigest()[:24],
                "code": organ.id,
                "pcode": agency.parent_code,
                "name": organ.name,
                "mail": organ.email,
                "mobile": f"0{pick(rng, '389')}{below(rng, 100_000_000):08d}",
                "fax": organ.fax,
            }
        )
    return sorted(records, key=lambda record: record["code"])


def _status_time(moment: datetime, slash: bool) -> str:
    if slash:
        return format_time(moment)
    return "%02d/%02d/%04d %02d:%02d:%02d" % (  # noqa: UP031
        moment.day,
        moment.month,
        moment.year,
        moment.hour,
        moment.minute,
        moment.second,
    )


def _place_name(province: str) -> str:
    """`Huế` of `thành phố Huế`: the place a document is issued at."""
    for prefix in ("thành phố ", "tỉnh "):
        if province.startswith(prefix):
            return province.removeprefix(prefix)
    return province


def _abbreviation(name: str) -> str:
    """The agency's part of a notation: UBND, STP, SGDĐT, TTr, BQLKKT, ..."""
    if name.startswith("UBND"):
        return "UBND"
    if name.startswith("Thanh tra"):
        return "TTr"
    if name.startswith("Ban Quản lý"):
        return "BQLKKT"
    return "".join(word[0].upper() for word in name.split() if word not in ("và", "-"))


def _content_type(rng: random.Random) -> tuple[str, str]:
    draw = rng.random()
    return next((kind, extension) for kind, extension, share in CONTENT_TYPES if draw < share)


STREETS = ("Lê Lợi", "Hùng Vương", "Trần Hưng Đạo", "Nguyễn Huệ", "Tố Hữu", "Phạm Văn Đồng", "Võ Văn Kiệt")
