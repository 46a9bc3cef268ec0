"""The packages of the document exchange: edXML documents and Status packets, as specs rendered
to their exact bytes on demand, and the ways the `malformed` fault breaks a fetched package.

A spec holds every header value; attachment bytes are drawn from a seed when the package is
rendered, so a multi-megabyte attachment is never kept in memory (README.md, *Packages*).
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

#: (SignatureMethod, DigestMethod, digest function) of the two algorithms signers use
SIGNATURE_ALGORITHMS = {
    "rsa-sha1": (f"{DSIG_NS}rsa-sha1", f"{DSIG_NS}sha1", hashlib.sha1),
    "rsa-sha256": (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmlenc#sha256",
        hashlib.sha256,
    ),
}
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = f"{DSIG_NS}enveloped-signature"

#: the signature of a signed package: well formed, or broken in one of the two ways seen
SIGNATURE_KINDS = ("none", "well-formed", "empty-signature-value", "missing-digest-value")

#: the first bytes of an attachment of each content type (the rest is drawn from its seed)
MAGIC = {
    "application/pdf": b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": b"PK\x03\x04\x14\x00\x06\x00",
    "application/msword": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
}
BIG_BLOCK = 1 << 16  # a big attachment repeats one random block of this size: cheap, deterministic


@dataclass(frozen=True, slots=True)
class Organ:
    """An agency as `From`/`To` name it (and a status packet's `From`)."""

    id: str
    name: str
    in_charge: str
    address: str
    email: str
    telephone: str
    fax: str
    website: str


@dataclass(frozen=True, slots=True)
class Staff:
    """An officer: `StaffInfo` (Department, Staff, Email, Mobile)."""

    department: str
    name: str
    email: str
    mobile: str


@dataclass(frozen=True, slots=True)
class Attachment:
    content_id: str
    name: str
    description: str
    content_type: str
    size: int
    #: the seed its bytes are drawn from
    seed: str

    def content(self) -> bytes:
        """The decoded bytes: the type's magic, then bytes drawn from the seed (a big one repeats
        a block, so drawing 4 MB costs one 64 KiB draw)."""
        magic = MAGIC.get(self.content_type, b"")
        rng = random.Random(self.seed)
        rest = self.size - len(magic)
        if rest <= BIG_BLOCK:
            return magic + rng.randbytes(rest)
        block = rng.randbytes(BIG_BLOCK)
        return magic + (block * (rest // BIG_BLOCK + 1))[:rest]


@dataclass(frozen=True, slots=True)
class Reference:
    """`ResponseFor` of a document or a status packet: the document it answers."""

    organ_id: str
    code: str
    promulgation_date: str
    document_id: str


@dataclass(frozen=True, slots=True)
class Document:
    """One edXML package: a new document (BussinessDocType 0), a revocation (1), an update (2)
    or a replacement (3). Dates are `yyyy/MM/dd`, times `yyyy/MM/dd HH:mm:ss`."""

    sender: Organ
    recipients: tuple[Organ, ...]
    document_id: str
    number: str
    notation: str
    place: str
    promulgation_date: str
    type_code: str
    type_detail: str
    type_name: str
    subject: str
    content: str
    signer_competence: str
    signer_position: str
    signer_name: str
    due_date: str
    to_places: tuple[str, ...]
    priority: str
    sphere: str
    typer: str
    amount: str
    pages: str
    direction: str
    steering: str
    response_for: Reference | None
    trace: tuple[tuple[str, str], ...]
    business_type: str
    business_reason: str
    paper: str
    #: the document a revocation, update or replacement acts on ("" for a new one)
    business_document_id: str
    staff: Staff
    replaces: tuple[str, ...]
    signature: str
    signature_algorithm: str
    signature_seed: str
    attachments: tuple[Attachment, ...]
    #: bytes before `<?xml` (a quirk of some senders), usually none
    stray: bytes = b""

    @property
    def code(self) -> str:
        return f"{self.number}/{self.notation}"


@dataclass(frozen=True, slots=True)
class StatusPacket:
    """One business status packet (`edXML:Status`): `timestamp` already in its sender's format."""

    response_for: Reference
    sender: Organ
    code: str
    description: str
    timestamp: str
    staff: Staff
    stray: bytes = b""


def render(package: Document | StatusPacket) -> bytes:
    """The package's exact bytes (UTF-8; stray bytes first when it has some)."""
    text = _document(package) if isinstance(package, Document) else _status(package)
    return package.stray + text.encode()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _el(name: str, text: str) -> str:
    return f"<edXML:{name}>{_esc(text)}</edXML:{name}>" if text else f"<edXML:{name}/>"


def _organ(tag: str, organ: Organ) -> str:
    return (
        f"<edXML:{tag}>"
        + _el("OrganId", organ.id)
        + _el("OrganName", organ.name)
        + _el("OrganizationInCharge", organ.in_charge)
        + _el("OrganAdd", organ.address)
        + _el("Email", organ.email)
        + _el("Telephone", organ.telephone)
        + _el("Fax", organ.fax)
        + _el("Website", organ.website)
        + f"</edXML:{tag}>\n"
    )


def _staff(staff: Staff, order: Sequence[str]) -> str:
    values = {
        "Department": staff.department,
        "Staff": staff.name,
        "Email": staff.email,
        "Mobile": staff.mobile,
    }
    return "<edXML:StaffInfo>" + "".join(_el(name, values[name]) for name in order) + "</edXML:StaffInfo>\n"


def _reference(reference: Reference) -> str:
    return (
        "<edXML:ResponseFor>"
        + _el("OrganId", reference.organ_id)
        + _el("Code", reference.code)
        + _el("PromulgationDate", reference.promulgation_date)
        + _el("DocumentId", reference.document_id)
        + "</edXML:ResponseFor>\n"
    )


def _document(doc: Document) -> str:
    parts = [
        XML_DECLARATION,
        f'<edXML:edXML xmlns:edXML="{EDXML_NS}">\n<edXML:edXMLEnvelope>\n<edXML:edXMLHeader>\n',
        "<edXML:MessageHeader>\n",
        _organ("From", doc.sender),
        *(_organ("To", organ) for organ in doc.recipients),
        _el("DocumentId", doc.document_id),
        "\n<edXML:Code>"
        + _el("CodeNumber", doc.number)
        + _el("CodeNotation", doc.notation)
        + "</edXML:Code>\n",
        "<edXML:PromulgationInfo>"
        + _el("Place", doc.place)
        + _el("PromulgationDate", doc.promulgation_date)
        + "</edXML:PromulgationInfo>\n",
        "<edXML:DocumentType>"
        + _el("Type", doc.type_code)
        + _el("TypeDetail", doc.type_detail)
        + _el("TypeName", doc.type_name)
        + "</edXML:DocumentType>\n",
        _el("Subject", doc.subject),
        "\n",
        _el("Content", doc.content),
        "\n<edXML:SignerInfo>"
        + _el("Competence", doc.signer_competence)
        + _el("Position", doc.signer_position)
        + _el("FullName", doc.signer_name)
        + "</edXML:SignerInfo>\n",
        _el("DueDate", doc.due_date),
        "\n<edXML:ToPlaces>"
        + "".join(_el("Place", place) for place in doc.to_places)
        + "</edXML:ToPlaces>\n",
        "<edXML:OtherInfo>"
        + _el("Priority", doc.priority)
        + _el("SphereOfPromulgation", doc.sphere)
        + _el("TyperNotation", doc.typer)
        + _el("PromulgationAmount", doc.amount)
        + _el("PageAmount", doc.pages)
        + _el("Direction", doc.direction)
        + "</edXML:OtherInfo>\n",
        _el("SteeringType", doc.steering),
        "\n",
        _reference(doc.response_for) if doc.response_for is not None else "",
        "</edXML:MessageHeader>\n<edXML:TraceHeaderList>\n",
        *(
            "<edXML:TraceHeader>" + _el("OrganId", organ) + _el("Timestamp", stamp) + "</edXML:TraceHeader>\n"
            for organ, stamp in doc.trace
        ),
        "<edXML:Bussiness>"
        + _el("BussinessDocType", doc.business_type)
        + _el("BussinessDocReason", doc.business_reason)
        + _el("Paper", doc.paper)
        + _el("DocumentId", doc.business_document_id)
        + "\n",
        _staff(doc.staff, ("Department", "Staff", "Email", "Mobile")),
    ]
    if doc.replaces:
        parts.append(
            "<edXML:ReplacementInfoList>"
            + "".join(
                f"<edXML:ReplacementInfo>{_el('DocumentId', replaced)}</edXML:ReplacementInfo>"
                for replaced in doc.replaces
            )
            + "</edXML:ReplacementInfoList>\n"
        )
    parts.append("</edXML:Bussiness>\n</edXML:TraceHeaderList>\n</edXML:edXMLHeader>\n")
    parts.append("<edXML:edXMLBody>\n<edXML:edXMLManifest>\n")
    for attachment in doc.attachments:
        parts.append(
            "<edXML:Reference>"
            + _el("ContentId", attachment.content_id)
            + _el("ContentType", attachment.content_type)
            + _el("Description", attachment.description)
            + _el("AttachmentName", attachment.name)
            + "</edXML:Reference>\n"
        )
    parts.append("</edXML:edXMLManifest>\n</edXML:edXMLBody>\n")
    if doc.signature != "none":
        parts.append(_signature(doc))
    parts.append("</edXML:edXMLEnvelope>\n<edXML:AttachmentEncoded>\n")
    for attachment in doc.attachments:
        parts.append(
            "<edXML:Attachment>"
            + _el("ContentId", attachment.content_id)
            + _el("AttachmentName", attachment.name)
            + _el("Description", attachment.description)
            + _el("ContentType", attachment.content_type)
            + "<edXML:ContentTransferEncoded>\n"
            + base64.encodebytes(attachment.content()).decode("ascii")  # lines of 76
            + "</edXML:ContentTransferEncoded></edXML:Attachment>\n"
        )
    parts.append("</edXML:AttachmentEncoded>\n</edXML:edXML>\n")
    return "".join(parts)


def _signature(doc: Document) -> str:
    """An enveloped XML-DSig block: well formed (its values are not a verifiable signature: no
    key or CA exists offline), or with an empty SignatureValue or no DigestValue."""
    method, digest_method, digest = SIGNATURE_ALGORITHMS[doc.signature_algorithm]
    rng = random.Random(doc.signature_seed)
    digest_value = base64.b64encode(digest(f"{doc.document_id}|{doc.signature_seed}".encode()).digest())
    value = (
        "" if doc.signature == "empty-signature-value" else base64.encodebytes(rng.randbytes(256)).decode()
    )
    certificate = base64.encodebytes(
        b"\x30\x82\x03\x1a" + random.Random(doc.sender.id).randbytes(790)
    ).decode()
    digest_element = (
        ""
        if doc.signature == "missing-digest-value"
        else f"<ds:DigestValue>{digest_value.decode()}</ds:DigestValue>"
    )
    return (
        f'<ds:Signature xmlns:ds="{DSIG_NS}">\n<ds:SignedInfo>\n'
        f'<ds:CanonicalizationMethod Algorithm="{C14N}"/>\n'
        f'<ds:SignatureMethod Algorithm="{method}"/>\n'
        f'<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="{ENVELOPED}"/></ds:Transforms>'
        f'<ds:DigestMethod Algorithm="{digest_method}"/>{digest_element}</ds:Reference>\n'
        f"</ds:SignedInfo>\n<ds:SignatureValue>{value}</ds:SignatureValue>\n"
        f"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\n"
        "</ds:Signature>\n"
    )


def _status(packet: StatusPacket) -> str:
    return "".join(
        (
            XML_DECLARATION,
            f'<edXML:Status xmlns:edXML="{EDXML_NS}">\n',
            _reference(packet.response_for),
            _organ("From", packet.sender),
            _el("StatusCode", packet.code),
            "\n",
            _el("Description", packet.description),
            "\n",
            _el("Timestamp", packet.timestamp),
            "\n",
            _staff(packet.staff, ("Department", "Staff", "Mobile", "Email")),
            "</edXML:Status>\n",
        )
    )


# --- the malformed fault -------------------------------------------------------------------

#: the ways a fetched package is broken, in the order successive broken fetches take them
MALFORMED_VARIANTS = (
    "truncated",
    "undefined-entity",
    "unclosed-tag",
    "bad-date",
    "missing-document-id",
    "bad-base64",
)
_TEXT_CLOSE = re.compile(rb"</edXML:(Subject|Description)>")
_FIRST_DOCUMENT_ID = re.compile(rb"<edXML:DocumentId>[^<]*</edXML:DocumentId>")
_PROMULGATION_DATE = re.compile(rb"(<edXML:PromulgationDate>)[^<]*(</edXML:PromulgationDate>)")
_TIMESTAMP = re.compile(rb"(<edXML:Status[ >].*?<edXML:Timestamp>)[^<]*(</edXML:Timestamp>)", re.S)
_BASE64 = re.compile(rb"(<edXML:ContentTransferEncoded>\s*)")


def malform_package(data: bytes, variant: int) -> tuple[str, bytes]:
    """`data` broken the `variant`-th way (modulo their number); a way that does not apply to it
    (no attachment to spoil, no date, ...) gives way to the next one. Returns (the way, bytes)."""
    for step in range(len(MALFORMED_VARIANTS)):
        name = MALFORMED_VARIANTS[(variant + step) % len(MALFORMED_VARIANTS)]
        broken = _BREAKERS[name](data)
        if broken is not None:
            return name, broken
    return "truncated", data[: len(data) // 2]


def _truncated(data: bytes) -> bytes | None:
    return data[: max(1, len(data) * 3 // 5)]


def _undefined_entity(data: bytes) -> bytes | None:
    found = _TEXT_CLOSE.search(data)
    return None if found is None else data[: found.start()] + b" &tenvanban;" + data[found.start() :]


def _unclosed_tag(data: bytes) -> bytes | None:
    found = _TEXT_CLOSE.search(data)
    return None if found is None else data[: found.start()] + data[found.end() :]


def _bad_date(data: bytes) -> bytes | None:
    if _TIMESTAMP.search(data):  # a status packet: its own timestamp
        return _TIMESTAMP.sub(rb"\g<1>31/02/2025 25:61:00\g<2>", data, count=1)
    if _PROMULGATION_DATE.search(data):
        return _PROMULGATION_DATE.sub(rb"\g<1>2025/13/45\g<2>", data, count=1)
    return None


def _missing_document_id(data: bytes) -> bytes | None:
    found = _FIRST_DOCUMENT_ID.search(data)
    return None if found is None else data[: found.start()] + data[found.end() :]


def _bad_base64(data: bytes) -> bytes | None:
    found = _BASE64.search(data)
    return None if found is None else data[: found.end()] + b"@@**not base64**@@" + data[found.end() :]


_BREAKERS: dict[str, Callable[[bytes], bytes | None]] = {
    "truncated": _truncated,
    "undefined-entity": _undefined_entity,
    "unclosed-tag": _unclosed_tag,
    "bad-date": _bad_date,
    "missing-document-id": _missing_document_id,
    "bad-base64": _bad_base64,
}
