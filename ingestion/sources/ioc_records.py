"""The Intelligent Operations Centre's record shapes, declared once as msgspec structs.

Five kinds of record (the wire contract is the sandbox's README, `ingestion/sandbox/ioc/`):
the camera registry and the field-report categories (catalogues), Frigate event messages (one
record per message: its `type` and the event object `after`, flattened by `ioc._message`),
Hikvision `EventNotificationAlert`s (flattened by element: `ANPR_licensePlate`), camera status
transitions and citizen field reports (kept without their photos' names, their point rounded:
`ioc._report`). Local times are turned into `yyyyMMddHHmmss` by the
format declared for their field (`TIME_FORMATS`) before a record is checked; Frigate's and the
status feed's times are epoch seconds, Hikvision's ISO 8601 with the device's offset.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from ingestion.declarations import (
    AGENCY_ID,
    OPTIONAL,
    REQUIRED,
    Boolean,
    Decimal,
    EpochSeconds,
    FreeText,
    Integer,
    IsoTime,
    Key,
    LocalTime,
    Opaque,
    Personal,
    Record,
    RequiredLocalTime,
    Text,
    code,
    example,
)

#: The IOC's code lists: seeds in dbt_project/seeds/ that staging joins too.
VENDORS = "ioc_vendors"
MESSAGE_TYPES = "ioc_frigate_message_types"
HIKVISION_EVENT_TYPES = "ioc_hikvision_event_types"
EVENT_STATES = "ioc_event_states"
CAMERA_STATES = "ioc_camera_states"
URGENCIES = "ioc_report_urgencies"

AgencyId = Annotated[Text, AGENCY_ID]
#: a Frigate event id, `<epoch seconds>.<micro>-<6 hex>`: its digit runs are no citizen id
FRIGATE_ID = Opaque("Frigate event id", r"[0-9]{10}\.[0-9]{1,6}-[0-9a-f]{6}")
#: a field report's id: the day it was made (yyMMdd) and a five-digit number
REPORT_ID = Opaque("field report id", r"[0-9]{11}")
Maybe = Annotated[Text, OPTIONAL]
MaybeInteger = Annotated[Integer, OPTIONAL]

#: The native formats of the local times (UTC+7, no offset), by field: the first that reads a
#: value gives it; a value none reads is left as sent, and the record is a reject.
REPORT_TIME = ("%Y-%m-%d %H:%M:%S",)
TIME_FORMATS: dict[str, tuple[str, ...]] = {
    "installed": ("%Y-%m-%d",),
    "NgayPhanAnh": REPORT_TIME,
    "NgayTraLoi": REPORT_TIME,
    "NgayXuLy": REPORT_TIME,
}


class Camera(Record, kw_only=True):
    """One camera of the registry (a catalogue: its changes are stored)."""

    camera_id: Key
    name: Text = ""
    vendor: code(VENDORS) = ""  # type: ignore[valid-type]
    lat: Annotated[Decimal, REQUIRED] = ""
    lon: Annotated[Decimal, REQUIRED] = ""
    ward_code: Text = ""
    agency_id: AgencyId = ""
    zones: Text = ""  # the zone names, comma-separated (`ioc._joined`)
    desk_id: Text = ""
    installed: LocalTime = ""
    channel_id: MaybeInteger = ""  # a Hikvision camera: its channel on the recorder at ip_address
    ip_address: Maybe = ""


class Category(Record, kw_only=True):
    """A field-report category and the urgency its reports get by default."""

    ChuyenMucID: Key
    TenChuyenMuc: Text = ""
    MucDoKhan: code(URGENCIES) = ""  # type: ignore[valid-type]


class FrigateMessage(Record, kw_only=True):
    """One Frigate event message: its type and the event as it stood (`after`, flattened)."""

    type: Annotated[code(MESSAGE_TYPES), REQUIRED] = ""  # type: ignore[valid-type]
    id: Annotated[Key, FRIGATE_ID]
    camera: Key
    frame_time: Annotated[EpochSeconds, REQUIRED] = 0
    snapshot_time: EpochSeconds = 0
    label: Text = ""
    sub_label: Personal = ""  # a recognised licence plate or person
    top_score: Decimal = ""
    score: Decimal = ""
    false_positive: Boolean = False
    start_time: Annotated[EpochSeconds, REQUIRED] = 0
    end_time: EpochSeconds = 0
    area: MaybeInteger = ""
    ratio: Annotated[Decimal, OPTIONAL] = ""
    stationary: Annotated[Boolean, OPTIONAL] = False
    motionless_count: MaybeInteger = ""
    position_changes: MaybeInteger = ""
    current_zones: Text = ""  # comma-separated
    entered_zones: Text = ""  # comma-separated
    has_clip: Boolean = False
    has_snapshot: Boolean = False


class DetectionRegion(msgspec.Struct, kw_only=True):
    """A detection region of a Hikvision alert (DetectionRegionList/DetectionRegionEntry[])."""

    regionID: Text = ""  # noqa: N815
    detectionTarget: Text = ""  # noqa: N815


class HikvisionAlert(Record, kw_only=True):
    """One Hikvision `EventNotificationAlert`, flattened (`ANPR/licensePlate` → `ANPR_licensePlate`)."""

    ipAddress: Key  # noqa: N815
    portNo: MaybeInteger = ""  # noqa: N815
    protocol: Maybe = ""
    macAddress: Maybe = ""  # noqa: N815
    channelID: Annotated[Integer, REQUIRED] = ""  # noqa: N815
    dateTime: Annotated[IsoTime, REQUIRED] = ""  # noqa: N815
    activePostCount: MaybeInteger = ""  # noqa: N815
    eventType: Annotated[code(HIKVISION_EVENT_TYPES), REQUIRED] = ""  # type: ignore[valid-type]  # noqa: N815
    eventState: Annotated[code(EVENT_STATES), REQUIRED] = ""  # type: ignore[valid-type]  # noqa: N815
    eventDescription: Maybe = ""  # noqa: N815
    channelName: Maybe = ""  # noqa: N815
    confidence: MaybeInteger = ""
    DetectionRegionList_DetectionRegionEntry: Annotated[list[DetectionRegion], OPTIONAL] = []
    ANPR_licensePlate: Personal = ""
    ANPR_confidenceLevel: MaybeInteger = ""
    ANPR_plateColor: Maybe = ""
    ANPR_vehicleType: Maybe = ""
    ANPR_direction: Maybe = ""
    ANPR_illegalType: Maybe = ""
    PeopleCounting_peopleNumber: MaybeInteger = ""
    PeopleCounting_threshold: MaybeInteger = ""
    FaceRecognition_name: Personal = ""
    FaceRecognition_similarity: MaybeInteger = ""
    FaceRecognition_faceLibType: Maybe = ""


class CameraTransition(Record, kw_only=True):
    """A camera going online or offline."""

    camera_id: Key
    state: Annotated[code(CAMERA_STATES), REQUIRED] = ""  # type: ignore[valid-type]
    at: Annotated[EpochSeconds, REQUIRED] = 0


class FieldReport(Record, kw_only=True):
    """A citizen's field report (phản ánh hiện trường) as it stood when pulled."""

    PhanAnhID: Annotated[Key, REPORT_ID]
    TieuDe: FreeText = ""
    NoiDungPhanAnh: FreeText = ""
    ChuyenMucID: Text = ""
    MucDoKhan: code(URGENCIES) = ""  # type: ignore[valid-type]
    NgayPhanAnh: RequiredLocalTime
    NgayTraLoi: LocalTime = ""
    NoiDungTraLoi: FreeText = ""
    NgayXuLy: Annotated[LocalTime, OPTIONAL] = ""  # assumed: when its handling was completed
    KinhDo: Annotated[Decimal, example("107.591")] = ""  # longitude, 3 decimals
    ViDo: Annotated[Decimal, example("16.464")] = ""  # latitude, 3 decimals
    DiaChiSuKien: FreeText = ""
    SoFileDinhKem: MaybeInteger = ""  # how many photos the citizen attached (their names are not kept)
    SoFileDinhKem_Kq: MaybeInteger = ""  # how many photos of the result
    MaDinhDanh: Annotated[Key, AGENCY_ID]
    MaXa: Text = ""
