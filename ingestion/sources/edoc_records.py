"""The document exchange's record shapes, declared once as msgspec structs.

A package or status packet is edXML; `ingestion.edxml.read_package` flattens it into one record
whose keys are the element names joined with `_` below the envelope's wrappers (the wire
contract is in the sandbox's README, `ingestion/sandbox/documents/`). The queue item's id and listing time are
added as `ItemId` and `CreatedTime`; every local time is turned into `yyyyMMddHHmmss` by the
format declared for its field (`TIME_FORMATS`) before the record is checked. Work files come
as JSON.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from ingestion.declarations import (
    AGENCY_ID,
    OPTIONAL,
    REQUIRED,
    Boolean,
    FreeText,
    Integer,
    Key,
    LocalTime,
    Opaque,
    Personal,
    Record,
    RequiredLocalTime,
    Text,
    code,
    spec,
)

#: The document exchange's code lists: seeds in dbt_project/seeds/ that staging joins too.
STATUS_CODES = "edoc_status_codes"
BUSINESS_TYPES = "edoc_business_types"
PRIORITIES = "edoc_priorities"
STEERING_TYPES = "edoc_steering_types"
PAPER_FLAGS = "edoc_paper_flags"

AgencyId = Annotated[Text, AGENCY_ID]
#: the axis's id of a queue item (24 hex digits): its digit runs are no citizen id
QUEUE_ID = Opaque("document axis queue id", r"[0-9a-f]{24}")
ItemId = Annotated[Key, QUEUE_ID]
#: an attachment's SHA-256 in hex: its digit runs are no citizen id either
SHA256 = Opaque("SHA-256 in hex", r"[0-9a-f]{64}")
StatusCode = code(STATUS_CODES)
BusinessType = code(BUSINESS_TYPES)
Priority = code(PRIORITIES)
SteeringType = code(STEERING_TYPES)
PaperFlag = code(PAPER_FLAGS)
Maybe = Annotated[Text, OPTIONAL]  # an organisation's contact detail, not always sent

#: The native formats of the local times (UTC+7, no offset), by flattened field name: the first
#: that reads a value gives it; a value none reads is left as sent, and the record is a reject.
DAY = ("%Y/%m/%d",)
TIME_FORMATS: dict[str, tuple[str, ...]] = {
    "CreatedTime": ("%Y/%m/%d %H:%M:%S",),
    "PromulgationInfo_PromulgationDate": DAY,
    "DueDate": DAY,
    "ResponseFor_PromulgationDate": DAY,
    # status packets: most axes write the day first, some as the header's trace does
    "Timestamp": ("%d/%m/%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S"),
    "TraceHeaderList_TraceHeader.Timestamp": ("%Y/%m/%d %H:%M:%S",),
    "opened": ("%Y/%m/%d %H:%M:%S",),
    "closed": ("%Y/%m/%d %H:%M:%S",),
    "updated": ("%Y/%m/%d %H:%M:%S",),
}


class Organ(msgspec.Struct, kw_only=True):
    """A recipient agency (To[])."""

    OrganId: AgencyId = ""
    OrganName: Text = ""
    OrganizationInCharge: Text = ""
    OrganAdd: Text = ""
    Email: Text = ""
    Telephone: Text = ""
    Fax: Text = ""
    Website: Text = ""


class CopyPlace(msgspec.Struct, kw_only=True):
    """A copy-to place (ToPlaces/Place[])."""

    Place: Text = ""


class Trace(msgspec.Struct, kw_only=True):
    """One hop of the routing trace (TraceHeaderList/TraceHeader[])."""

    OrganId: AgencyId = ""
    Timestamp: LocalTime = ""


class Replaced(msgspec.Struct, kw_only=True):
    """A document a replacement supersedes (ReplacementInfoList/ReplacementInfo[])."""

    DocumentId: Text = ""


class ManifestReference(msgspec.Struct, kw_only=True):
    """An attachment named in the manifest (edXMLManifest/Reference[])."""

    ContentId: Text = ""
    ContentType: Text = ""
    Description: FreeText = ""
    AttachmentName: FreeText = ""


class EncodedAttachment(msgspec.Struct, kw_only=True):
    """An attachment, its content replaced by its size and SHA-256 while it streamed by."""

    ContentId: Text = ""
    AttachmentName: FreeText = ""
    Description: FreeText = ""
    ContentType: Text = ""
    Size: Integer = ""
    Sha256: Annotated[Text, SHA256] = ""


class Package(Record, kw_only=True):
    """One edXML package: a new document, or a revocation, update or replacement of one."""

    ItemId: ItemId
    CreatedTime: RequiredLocalTime
    From_OrganId: AgencyId = ""
    From_OrganName: Text = ""
    From_OrganizationInCharge: Maybe = ""
    From_OrganAdd: Maybe = ""
    From_Email: Maybe = ""
    From_Telephone: Maybe = ""
    From_Fax: Maybe = ""
    From_Website: Maybe = ""
    To: list[Organ] = []
    DocumentId: Key
    Code_CodeNumber: Text = ""
    Code_CodeNotation: Text = ""
    PromulgationInfo_Place: Text = ""
    PromulgationInfo_PromulgationDate: LocalTime = ""
    DocumentType_Type: Integer = ""
    DocumentType_TypeDetail: Integer = ""
    DocumentType_TypeName: Text = ""
    Subject: FreeText = ""
    Content: FreeText = ""
    SignerInfo_Competence: Text = ""
    SignerInfo_Position: Text = ""
    SignerInfo_FullName: Personal = ""
    DueDate: LocalTime = ""
    ToPlaces_Place: list[CopyPlace] = []
    OtherInfo_Priority: Priority = ""
    OtherInfo_SphereOfPromulgation: Maybe = ""
    OtherInfo_TyperNotation: Maybe = ""
    OtherInfo_PromulgationAmount: Annotated[Integer, OPTIONAL] = ""
    OtherInfo_PageAmount: Annotated[Integer, OPTIONAL] = ""
    OtherInfo_Direction: Maybe = ""
    SteeringType: SteeringType = ""
    ResponseFor_OrganId: Annotated[AgencyId, OPTIONAL] = ""
    ResponseFor_Code: Maybe = ""
    ResponseFor_PromulgationDate: Annotated[LocalTime, OPTIONAL] = ""
    ResponseFor_DocumentId: Maybe = ""
    TraceHeaderList_TraceHeader: list[Trace] = []
    TraceHeaderList_Bussiness_BussinessDocType: BusinessType = ""
    TraceHeaderList_Bussiness_BussinessDocReason: FreeText = ""
    TraceHeaderList_Bussiness_Paper: PaperFlag = ""
    TraceHeaderList_Bussiness_DocumentId: Text = ""
    TraceHeaderList_Bussiness_StaffInfo_Department: Text = ""
    TraceHeaderList_Bussiness_StaffInfo_Staff: Personal = ""
    TraceHeaderList_Bussiness_StaffInfo_Email: Personal = ""
    TraceHeaderList_Bussiness_StaffInfo_Mobile: Personal = ""
    TraceHeaderList_Bussiness_ReplacementInfoList_ReplacementInfo: list[Replaced] = []
    Signed: Annotated[Boolean, REQUIRED] = False
    SignatureWellFormed: Annotated[Boolean, REQUIRED] = False
    edXMLManifest_Reference: list[ManifestReference] = []
    Attachment: list[EncodedAttachment] = []


class StatusPacket(Record, kw_only=True):
    """One status packet: a step of a document's handling at one recipient."""

    ItemId: ItemId
    CreatedTime: RequiredLocalTime
    ResponseFor_OrganId: AgencyId = ""
    ResponseFor_Code: Text = ""
    ResponseFor_PromulgationDate: LocalTime = ""
    ResponseFor_DocumentId: Key
    From_OrganId: AgencyId = ""
    From_OrganName: Text = ""
    From_OrganizationInCharge: Maybe = ""
    From_OrganAdd: Maybe = ""
    From_Email: Maybe = ""
    From_Telephone: Maybe = ""
    From_Fax: Maybe = ""
    From_Website: Maybe = ""
    StatusCode: StatusCode = ""
    Description: FreeText = ""
    Timestamp: RequiredLocalTime
    StaffInfo_Department: Text = ""
    StaffInfo_Staff: Personal = ""
    StaffInfo_Mobile: Personal = ""
    StaffInfo_Email: Personal = ""
    Signed: Annotated[Boolean, REQUIRED] = False  # the reader says so of every packet
    SignatureWellFormed: Annotated[Boolean, REQUIRED] = False


class WorkFile(Record, kw_only=True):
    """One version of a work file (hồ sơ công việc) from an agency's work-file export."""

    id: Key
    agency: Annotated[Key, AGENCY_ID]
    title: FreeText = ""
    owner: Personal = ""
    opened: RequiredLocalTime
    closed: LocalTime = ""
    processed_online: Annotated[Boolean, REQUIRED] = False
    signed_personally: Annotated[Boolean, REQUIRED] = False
    updated: RequiredLocalTime


def list_fields(shape: type[msgspec.Struct]) -> frozenset[str]:
    """The flattened names of the repeatable elements of `shape` (what the edXML reader makes lists)."""
    return frozenset(f.name for f in spec(shape) if f.items is not None)
