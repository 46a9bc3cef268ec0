"""The population database interface's record shapes, declared once as msgspec structs.

Two kinds of record (the wire contract is the sandbox's README, `ingestion/sandbox/population/`):
the operational-monitoring log of the calls provincial systems make to the national population
database through the integration platform (X-Road's operational-monitoring fields: times in epoch
milliseconds, sizes and the HTTP status as JSON integers), and the monthly residents and VNeID
accounts per commune (read from the XML the answer wraps in a JSON string, so every value is text).
No citizen record is ever read: only who called which service, when, and how it went.
"""

from __future__ import annotations

from typing import Annotated

from ingestion.declarations import (
    AGENCY_ID,
    REQUEST_ID,
    REQUIRED,
    UUID,
    Boolean,
    Count,
    EpochMillis,
    EpochSeconds,
    FreeText,
    Integer,
    Key,
    Personal,
    Record,
    RequiredLocalTime,
    Text,
    example,
)


class Call(Record, kw_only=True):
    """One call a provincial system made through the integration platform (one monitoring record)."""

    monitoringDataTs: Annotated[EpochSeconds, REQUIRED] = 0  # noqa: N815
    securityServerInternalIp: Text = ""  # noqa: N815
    securityServerType: Text = ""  # noqa: N815
    requestInTs: Annotated[EpochMillis, REQUIRED] = 0  # noqa: N815
    requestOutTs: EpochMillis = 0  # noqa: N815
    responseInTs: EpochMillis = 0  # noqa: N815
    responseOutTs: EpochMillis = 0  # noqa: N815
    clientXRoadInstance: Text = ""  # noqa: N815
    clientMemberClass: Text = ""  # noqa: N815
    clientMemberCode: Annotated[Key, AGENCY_ID]  # noqa: N815
    clientSubsystemCode: Text = ""  # noqa: N815
    serviceXRoadInstance: Text = ""  # noqa: N815
    serviceMemberClass: Text = ""  # noqa: N815
    serviceMemberCode: Text = ""  # noqa: N815
    serviceSubsystemCode: Text = ""  # noqa: N815
    serviceCode: Annotated[Text, REQUIRED] = ""  # noqa: N815
    serviceVersion: Text = ""  # noqa: N815
    restMethod: Text = ""  # noqa: N815
    restPath: Text = ""  # noqa: N815
    statusCode: Count = 0  # noqa: N815
    representedPartyClass: Text = ""  # noqa: N815
    representedPartyCode: Text = ""  # noqa: N815
    messageId: Annotated[Key, REQUEST_ID]  # noqa: N815
    messageUserId: Personal = ""  # noqa: N815  # the calling officer's account
    messageIssue: FreeText = ""  # noqa: N815
    messageProtocolVersion: Text = ""  # noqa: N815
    xRequestId: Annotated[Text, UUID] = ""  # noqa: N815
    clientSecurityServerAddress: Text = ""  # noqa: N815
    serviceSecurityServerAddress: Text = ""  # noqa: N815
    requestSize: Count = 0  # noqa: N815
    requestMimeSize: Count = 0  # noqa: N815
    requestAttachmentCount: Count = 0  # noqa: N815
    responseSize: Count = 0  # noqa: N815
    responseMimeSize: Count = 0  # noqa: N815
    responseAttachmentCount: Count = 0  # noqa: N815
    succeeded: Annotated[Boolean, REQUIRED] = False
    faultCode: Text = ""  # noqa: N815
    faultString: FreeText = ""  # noqa: N815  # may quote the request
    serviceType: Text = ""  # noqa: N815
    xRoadVersion: Text = ""  # noqa: N815


class CommuneFigures(Record, kw_only=True):
    """One commune's residents and VNeID accounts for one month, as published at `NgayCapNhat`."""

    MaXa: Key
    Thang: Annotated[Key, example("202509")]  # yyyyMM
    SoDanCu: Annotated[Integer, REQUIRED] = ""
    SoTaiKhoanMuc1: Annotated[Integer, REQUIRED] = ""
    SoTaiKhoanMuc2: Annotated[Integer, REQUIRED] = ""
    NgayCapNhat: RequiredLocalTime
