"""`ingestion.edxml.read_package`: edXML packages and status packets to one flat record, streamed.

The samples are written here, small and by hand, as the sandbox's README
(ingestion/sandbox/documents/README.md) lays packages out.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import tracemalloc
from collections.abc import Iterator

import pytest

from ingestion.edxml import BadPackage, read_package

LISTS = frozenset(
    {
        "To",
        "ToPlaces_Place",
        "TraceHeaderList_TraceHeader",
        "TraceHeaderList_Bussiness_ReplacementInfoList_ReplacementInfo",
        "edXMLManifest_Reference",
        "Attachment",
    }
)
EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

RECIPIENTS = [
    ("000.00.12.H57", "Sở Tài chính"),
    ("000.00.13.H57", "Sở Xây dựng"),
    ("000.00.14.H57", "Đài Phát thanh và Truyền hình"),
]

SIGNATURE = """
  <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
   <ds:SignedInfo>
    <ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>
    <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
    <ds:Reference URI="">
     <ds:Transforms>
      <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
     </ds:Transforms>
     <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
     <ds:DigestValue>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</ds:DigestValue>
    </ds:Reference>
   </ds:SignedInfo>
   <ds:SignatureValue>
    c2lnbmF0dXJlIG9mIHRoZSBwYWNrYWdlLCBub3QgY2hlY2tlZCBieSB0aGUgY2xpZW50
    Lg==
   </ds:SignatureValue>
   <ds:KeyInfo><ds:X509Data><ds:X509Certificate>TUlJQ2FqQ0NBZE9nQXdJQkFnSUpBTQ==</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
  </ds:Signature>"""


PDF = "%PDF-1.4 công văn".encode()


def organ(tag: str, organ_id: str, name: str) -> str:
    return f"""
    <edXML:{tag}>
     <edXML:OrganId>{organ_id}</edXML:OrganId>
     <edXML:OrganName>{name}</edXML:OrganName>
    </edXML:{tag}>"""


def encoded(content: bytes, line_end: str = "\n") -> str:
    """Base64 wrapped at 76 characters, as the exchange sends an attachment."""
    return base64.encodebytes(content).decode().replace("\n", line_end)


def edxml(
    *,
    recipients: int = 3,
    signature: str = SIGNATURE,
    attachments: tuple[tuple[str, bytes], ...] = (("cid:1", PDF),),
    places: tuple[str, ...] = ("Như trên", "Lưu: VT, TH"),
) -> str:
    """A new document (BussinessDocType 0) from the provincial People's Committee."""
    to = "".join(organ("To", *recipient) for recipient in RECIPIENTS[:recipients])
    manifest = "".join(
        f"""
    <edXML:Reference>
     <edXML:ContentId>{cid}</edXML:ContentId>
     <edXML:ContentType>application/pdf</edXML:ContentType>
     <edXML:Description>Văn bản</edXML:Description>
     <edXML:AttachmentName>van-ban-{n}.pdf</edXML:AttachmentName>
    </edXML:Reference>"""
        for n, (cid, _) in enumerate(attachments, 1)
    )
    encoded_attachments = "".join(
        f"""
  <edXML:Attachment>
   <edXML:ContentId>{cid}</edXML:ContentId>
   <edXML:AttachmentName>van-ban-{n}.pdf</edXML:AttachmentName>
   <edXML:Description>Văn bản</edXML:Description>
   <edXML:ContentType>application/pdf</edXML:ContentType>
   <edXML:ContentTransferEncoded>
{encoded(content)}</edXML:ContentTransferEncoded>
  </edXML:Attachment>"""
        for n, (cid, content) in enumerate(attachments, 1)
    )
    place_elements = "".join(f"<edXML:Place>{place}</edXML:Place>" for place in places)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML:edXML xmlns:edXML="{EDXML_NS}">
 <edXML:edXMLEnvelope>
  <edXML:edXMLHeader>
   <edXML:MessageHeader>
    <edXML:From>
     <edXML:OrganId>000.00.00.H57</edXML:OrganId>
     <edXML:OrganName>UBND tỉnh Thừa Thiên Huế</edXML:OrganName>
     <edXML:OrganizationInCharge>Ủy ban nhân dân tỉnh</edXML:OrganizationInCharge>
     <edXML:OrganAdd>16 Lê Lợi, thành phố Huế</edXML:OrganAdd>
     <edXML:Email>ubnd@thuathienhue.gov.vn</edXML:Email>
     <edXML:Telephone>0234 3822 111</edXML:Telephone>
     <edXML:Fax/>
     <edXML:Website>thuathienhue.gov.vn</edXML:Website>
    </edXML:From>{to}
    <edXML:DocumentId>000.00.00.H57,2025/09/03,1234/UBND-TTĐT</edXML:DocumentId>
    <edXML:Code>
     <edXML:CodeNumber>1234</edXML:CodeNumber>
     <edXML:CodeNotation>UBND-TTĐT</edXML:CodeNotation>
    </edXML:Code>
    <edXML:PromulgationInfo>
     <edXML:Place>Huế</edXML:Place>
     <edXML:PromulgationDate>2025/09/03</edXML:PromulgationDate>
    </edXML:PromulgationInfo>
    <edXML:DocumentType>
     <edXML:Type>1</edXML:Type>
     <edXML:TypeDetail>0</edXML:TypeDetail>
     <edXML:TypeName>Công văn</edXML:TypeName>
    </edXML:DocumentType>
    <edXML:Subject>
      V/v triển khai Đề án 06 &amp; chuyển đổi số năm 2025
    </edXML:Subject>
    <edXML:Content><![CDATA[Đề nghị các sở <khẩn trương> báo cáo.]]></edXML:Content>
    <edXML:SignerInfo>
     <edXML:Competence>KT. CHỦ TỊCH</edXML:Competence>
     <edXML:Position>Phó Chủ tịch</edXML:Position>
     <edXML:FullName>Nguyễn Văn Đức</edXML:FullName>
    </edXML:SignerInfo>
    <edXML:DueDate></edXML:DueDate>
    <edXML:ToPlaces>{place_elements}</edXML:ToPlaces>
    <edXML:OtherInfo>
     <edXML:Priority>1</edXML:Priority>
     <edXML:SphereOfPromulgation>2</edXML:SphereOfPromulgation>
     <edXML:TyperNotation>VT</edXML:TyperNotation>
     <edXML:PromulgationAmount>22</edXML:PromulgationAmount>
     <edXML:PageAmount>3</edXML:PageAmount>
     <edXML:Direction>false</edXML:Direction>
    </edXML:OtherInfo>
    <edXML:SteeringType>1</edXML:SteeringType>
   </edXML:MessageHeader>
   <edXML:TraceHeaderList>
    <edXML:TraceHeader>
     <edXML:OrganId>000.00.00.H57</edXML:OrganId>
     <edXML:Timestamp>2025/09/03 08:15:02</edXML:Timestamp>
    </edXML:TraceHeader>
    <edXML:TraceHeader>
     <edXML:OrganId>000.00.00.G22</edXML:OrganId>
     <edXML:Timestamp>2025/09/03 08:15:09</edXML:Timestamp>
    </edXML:TraceHeader>
    <edXML:Bussiness>
     <edXML:BussinessDocType>0</edXML:BussinessDocType>
     <edXML:BussinessDocReason/>
     <edXML:Paper>0</edXML:Paper>
     <edXML:StaffInfo>
      <edXML:Department>Văn phòng</edXML:Department>
      <edXML:Staff>Trần Thị Đào</edXML:Staff>
      <edXML:Email>dao.tt@thuathienhue.gov.vn</edXML:Email>
      <edXML:Mobile>0912 345 678</edXML:Mobile>
     </edXML:StaffInfo>
    </edXML:Bussiness>
   </edXML:TraceHeaderList>
  </edXML:edXMLHeader>
  <edXML:edXMLBody>
   <edXML:edXMLManifest>{manifest}
   </edXML:edXMLManifest>
  </edXML:edXMLBody>{signature}
 </edXML:edXMLEnvelope>
 <edXML:AttachmentEncoded>{encoded_attachments}
 </edXML:AttachmentEncoded>
</edXML:edXML>
"""


STATUS = f"""<edXML:Status xmlns:edXML="{EDXML_NS}">
 <edXML:ResponseFor>
  <edXML:OrganId>000.00.00.H57</edXML:OrganId>
  <edXML:Code>1234/UBND-TTĐT</edXML:Code>
  <edXML:PromulgationDate>2025/09/03</edXML:PromulgationDate>
  <edXML:DocumentId>000.00.00.H57,2025/09/03,1234/UBND-TTĐT</edXML:DocumentId>
 </edXML:ResponseFor>
 <edXML:From>
  <edXML:OrganId>000.00.12.H57</edXML:OrganId>
  <edXML:OrganName>Sở Tài chính</edXML:OrganName>
 </edXML:From>
 <edXML:StatusCode>03</edXML:StatusCode>
 <edXML:Description>Đã tiếp nhận</edXML:Description>
 <edXML:Timestamp>03/09/2025 09:41:17</edXML:Timestamp>
 <edXML:StaffInfo>
  <edXML:Department>Văn phòng Sở</edXML:Department>
  <edXML:Staff>Lê Văn Đông</edXML:Staff>
  <edXML:Mobile>0905 111 222</edXML:Mobile>
  <edXML:Email>dong.lv@stc.gov.vn</edXML:Email>
 </edXML:StaffInfo>
</edXML:Status>"""

STATUS_RECORD = {
    "ResponseFor_OrganId": "000.00.00.H57",
    "ResponseFor_Code": "1234/UBND-TTĐT",
    "ResponseFor_PromulgationDate": "2025/09/03",
    "ResponseFor_DocumentId": "000.00.00.H57,2025/09/03,1234/UBND-TTĐT",
    "From_OrganId": "000.00.12.H57",
    "From_OrganName": "Sở Tài chính",
    "StatusCode": "03",
    "Description": "Đã tiếp nhận",
    "Timestamp": "03/09/2025 09:41:17",
    "StaffInfo_Department": "Văn phòng Sở",
    "StaffInfo_Staff": "Lê Văn Đông",
    "StaffInfo_Mobile": "0905 111 222",
    "StaffInfo_Email": "dong.lv@stc.gov.vn",
    "Signed": False,
    "SignatureWellFormed": False,
}


def read(text: str | bytes, lists: frozenset[str] = LISTS, size: int | None = None) -> dict:
    data = text.encode() if isinstance(text, str) else text
    return read_package(pieces(data, size), lists)


def pieces(data: bytes, size: int | None) -> Iterator[bytes]:
    if size is None:
        yield data
        return
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_full_document_flat_names_and_values() -> None:
    assert read(edxml()) == {
        "From_OrganId": "000.00.00.H57",
        "From_OrganName": "UBND tỉnh Thừa Thiên Huế",
        "From_OrganizationInCharge": "Ủy ban nhân dân tỉnh",
        "From_OrganAdd": "16 Lê Lợi, thành phố Huế",
        "From_Email": "ubnd@thuathienhue.gov.vn",
        "From_Telephone": "0234 3822 111",
        "From_Fax": "",
        "From_Website": "thuathienhue.gov.vn",
        "To": [
            {"OrganId": "000.00.12.H57", "OrganName": "Sở Tài chính"},
            {"OrganId": "000.00.13.H57", "OrganName": "Sở Xây dựng"},
            {"OrganId": "000.00.14.H57", "OrganName": "Đài Phát thanh và Truyền hình"},
        ],
        "DocumentId": "000.00.00.H57,2025/09/03,1234/UBND-TTĐT",
        "Code_CodeNumber": "1234",
        "Code_CodeNotation": "UBND-TTĐT",
        "PromulgationInfo_Place": "Huế",
        "PromulgationInfo_PromulgationDate": "2025/09/03",
        "DocumentType_Type": "1",
        "DocumentType_TypeDetail": "0",
        "DocumentType_TypeName": "Công văn",
        "Subject": "V/v triển khai Đề án 06 & chuyển đổi số năm 2025",
        "Content": "Đề nghị các sở <khẩn trương> báo cáo.",
        "SignerInfo_Competence": "KT. CHỦ TỊCH",
        "SignerInfo_Position": "Phó Chủ tịch",
        "SignerInfo_FullName": "Nguyễn Văn Đức",
        "DueDate": "",
        "ToPlaces_Place": [{"Place": "Như trên"}, {"Place": "Lưu: VT, TH"}],
        "OtherInfo_Priority": "1",
        "OtherInfo_SphereOfPromulgation": "2",
        "OtherInfo_TyperNotation": "VT",
        "OtherInfo_PromulgationAmount": "22",
        "OtherInfo_PageAmount": "3",
        "OtherInfo_Direction": "false",
        "SteeringType": "1",
        "TraceHeaderList_TraceHeader": [
            {"OrganId": "000.00.00.H57", "Timestamp": "2025/09/03 08:15:02"},
            {"OrganId": "000.00.00.G22", "Timestamp": "2025/09/03 08:15:09"},
        ],
        "TraceHeaderList_Bussiness_BussinessDocType": "0",
        "TraceHeaderList_Bussiness_BussinessDocReason": "",
        "TraceHeaderList_Bussiness_Paper": "0",
        "TraceHeaderList_Bussiness_StaffInfo_Department": "Văn phòng",
        "TraceHeaderList_Bussiness_StaffInfo_Staff": "Trần Thị Đào",
        "TraceHeaderList_Bussiness_StaffInfo_Email": "dao.tt@thuathienhue.gov.vn",
        "TraceHeaderList_Bussiness_StaffInfo_Mobile": "0912 345 678",
        "edXMLManifest_Reference": [
            {
                "ContentId": "cid:1",
                "ContentType": "application/pdf",
                "Description": "Văn bản",
                "AttachmentName": "van-ban-1.pdf",
            }
        ],
        "Attachment": [
            {
                "ContentId": "cid:1",
                "AttachmentName": "van-ban-1.pdf",
                "Description": "Văn bản",
                "ContentType": "application/pdf",
                "Size": str(len(PDF)),
                "Sha256": hashlib.sha256(PDF).hexdigest(),
            }
        ],
        "TraceHeaderList_Bussiness_ReplacementInfoList_ReplacementInfo": [],
        "Signed": True,
        "SignatureWellFormed": True,
    }


@pytest.mark.parametrize("recipients", [1, 3])
def test_to_is_a_list_with_one_and_with_three_recipients(recipients: int) -> None:
    record = read(edxml(recipients=recipients))
    assert record["To"] == [
        {"OrganId": organ_id, "OrganName": name} for organ_id, name in RECIPIENTS[:recipients]
    ]
    assert not any(key.startswith("To_") for key in record)


def test_to_places_one_place_is_a_list_of_one() -> None:
    assert read(edxml(places=("Như trên",)))["ToPlaces_Place"] == [{"Place": "Như trên"}]


def test_a_declared_list_that_is_absent_is_empty() -> None:
    record = read(edxml(places=(), attachments=()), LISTS | {"ResponseFor"})
    assert record["ToPlaces_Place"] == []
    assert record["Attachment"] == [] and record["edXMLManifest_Reference"] == []
    assert record["TraceHeaderList_Bussiness_ReplacementInfoList_ReplacementInfo"] == []
    assert record["ResponseFor"] == []


def test_a_replacement_names_what_it_replaces_and_nested_absent_lists_are_empty_in_each_item() -> None:
    text = edxml().replace(
        "<edXML:BussinessDocType>0</edXML:BussinessDocType>",
        """<edXML:BussinessDocType>3</edXML:BussinessDocType>
        <edXML:ReplacementInfoList>
         <edXML:ReplacementInfo><edXML:DocumentId>000.00.00.H57,2025/08/01,99/UBND-TTĐT</edXML:DocumentId>
          <edXML:OrganIdList><edXML:OrganId>000.00.12.H57</edXML:OrganId><edXML:OrganId>000.00.13.H57</edXML:OrganId></edXML:OrganIdList>
         </edXML:ReplacementInfo>
         <edXML:ReplacementInfo><edXML:DocumentId>000.00.00.H57,2025/08/02,100/UBND-TTĐT</edXML:DocumentId></edXML:ReplacementInfo>
        </edXML:ReplacementInfoList>""",
    )
    replaced = "TraceHeaderList_Bussiness_ReplacementInfoList_ReplacementInfo"
    record = read(text, LISTS | {f"{replaced}_OrganIdList_OrganId"})
    assert record["TraceHeaderList_Bussiness_BussinessDocType"] == "3"
    assert record[replaced] == [
        {
            "DocumentId": "000.00.00.H57,2025/08/01,99/UBND-TTĐT",
            "OrganIdList_OrganId": [{"OrganId": "000.00.12.H57"}, {"OrganId": "000.00.13.H57"}],
        },
        {"DocumentId": "000.00.00.H57,2025/08/02,100/UBND-TTĐT", "OrganIdList_OrganId": []},
    ]
    assert f"{replaced}_OrganIdList_OrganId" not in record


def test_an_undeclared_element_met_twice_becomes_a_list_too() -> None:
    record = read(edxml(recipients=3), frozenset())
    assert record["To"] == [{"OrganId": organ_id, "OrganName": name} for organ_id, name in RECIPIENTS]
    assert record["ToPlaces_Place"] == [{"Place": "Như trên"}, {"Place": "Lưu: VT, TH"}]
    assert record["TraceHeaderList_TraceHeader"][1] == {
        "OrganId": "000.00.00.G22",
        "Timestamp": "2025/09/03 08:15:09",
    }
    # met once and not declared: flattened like any element
    single = read(edxml(recipients=1, places=("Như trên",)), frozenset())
    assert single["To_OrganId"] == "000.00.12.H57" and "To" not in single
    assert single["ToPlaces_Place"] == "Như trên"
    assert single["Attachment_Size"] == str(len(PDF))


def test_a_status_packet_bare_and_in_a_soap_envelope() -> None:
    assert read(STATUS, frozenset()) == STATUS_RECORD
    soap = f"""<?xml version="1.0" encoding="utf-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">
 <SOAP-ENV:Header>{STATUS}</SOAP-ENV:Header>
 <SOAP-ENV:Body/>
</SOAP-ENV:Envelope>"""
    assert read(soap, frozenset()) == STATUS_RECORD


def test_a_wrapper_name_below_a_named_element_is_a_name() -> None:
    """Only the packet's root is a wrapper `Status`; one inside a field is named like any other."""
    text = STATUS.replace(
        "<edXML:StatusCode>03</edXML:StatusCode>",
        "<edXML:StatusCode>03</edXML:StatusCode><edXML:Detail><edXML:Status>ok</edXML:Status></edXML:Detail>",
    )
    assert read(text)["Detail_Status"] == "ok"


def test_stray_bytes_before_the_declaration_are_skipped_even_when_it_is_split() -> None:
    text = edxml().encode()
    stray = "\ufeffrác\r\n".encode()
    split = text.index(b"ml version")  # `<?x` | `ml version…`
    chunks = [stray[:2], stray[2:] + text[:split], text[split:]]
    assert read_package(chunks, LISTS) == read(text)
    # stray bytes holding a `<` of their own, the declaration in a later chunk
    assert read_package([b"<html>oops</html>\r\n", text], LISTS) == read(text)
    # no declaration: from the first `<`
    assert read(b"\xef\xbb\xbf\r\n" + STATUS.encode(), frozenset()) == STATUS_RECORD


def test_positions_count_the_stray_bytes() -> None:
    """Positions are in the package as sent: lines and columns of the stray bytes counted."""
    with pytest.raises(BadPackage, match=r"mismatched tag at line 2, column 5$"):
        read(b"<?xml version='1.0'?>\n<a></b>")
    with pytest.raises(BadPackage, match=r"mismatched tag at line 4, column 5$"):
        read(b"\xef\xbb\xbfjunk\r\n\r\n<?xml version='1.0'?>\n<a></b>")
    with pytest.raises(BadPackage, match=r"mismatched tag at line 1, column 10$"):
        read(b"junk\t<a></b>")


@pytest.mark.parametrize("size", [1, 7, 4096, None])
def test_any_chunk_size_gives_the_same_record(size: int | None) -> None:
    text = "\ufeff\r\n" + edxml(attachments=(("cid:1", bytes(range(256)) * 40), ("cid:2", b"x")))
    assert read(text, size=size) == read(text)


def signed(signature: str) -> dict:
    record = read(edxml(signature=signature))
    return {key: record[key] for key in ("Signed", "SignatureWellFormed")}


def test_a_well_formed_signature() -> None:
    assert signed(SIGNATURE) == {"Signed": True, "SignatureWellFormed": True}
    # the default namespace, rsa-sha1 as in the public samples
    default = re.sub(r"(</?)ds:", r"\1", SIGNATURE).replace('xmlns:ds="', 'xmlns="')
    assert signed(default.replace("rsa-sha256", "rsa-sha1")) == {"Signed": True, "SignatureWellFormed": True}


def test_no_signature() -> None:
    assert signed("") == {"Signed": False, "SignatureWellFormed": False}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (re.compile(r"<ds:SignatureValue>.*</ds:SignatureValue>", re.S), "<ds:SignatureValue/>"),
        (
            re.compile(r"<ds:SignatureValue>.*</ds:SignatureValue>", re.S),
            "<ds:SignatureValue> </ds:SignatureValue>",
        ),
        (re.compile(r"<ds:DigestValue>.*</ds:DigestValue>"), ""),
        (re.compile(r"<ds:DigestValue>.*</ds:DigestValue>"), "<ds:DigestValue>not base64!</ds:DigestValue>"),
        (re.compile(r'<ds:SignatureMethod Algorithm="[^"]*"/>'), "<ds:SignatureMethod/>"),
        (re.compile(r"<ds:CanonicalizationMethod [^>]*/>"), ""),
        (re.compile(r"<ds:Reference .*</ds:Reference>", re.S), ""),
        # a SignedInfo of another namespace is not the signature's
        (re.compile(r"(</?)ds:SignedInfo"), r"\1x:SignedInfo xmlns:x='urn:example'"),
    ],
    ids=[
        "empty SignatureValue",
        "blank SignatureValue",
        "no DigestValue",
        "DigestValue not base64",
        "no SignatureMethod algorithm",
        "no CanonicalizationMethod",
        "no Reference",
        "SignedInfo of another namespace",
    ],
)
def test_a_signature_that_is_not_well_formed(before: re.Pattern[str], after: str) -> None:
    signature = before.sub(after, SIGNATURE)
    if "x:SignedInfo" in signature:  # the closing tag takes no namespace declaration
        signature = signature.replace("</x:SignedInfo xmlns:x='urn:example'", "</x:SignedInfo")
    assert signature != SIGNATURE
    assert signed(signature) == {"Signed": True, "SignatureWellFormed": False}


def test_a_signature_element_of_another_namespace_is_not_a_signature() -> None:
    other = """
  <sig:Signature xmlns:sig="urn:example:not-xmldsig">
   <sig:SignatureValue>QUJD</sig:SignatureValue>
  </sig:Signature>"""
    record = read(edxml(signature=other))
    assert record["Signed"] is False and record["SignatureWellFormed"] is False
    assert record["Signature_SignatureValue"] == "QUJD"


def test_the_signature_is_not_flattened() -> None:
    record = read(edxml())
    assert record["Signed"] is True
    flattened = set(record) - {"Signed", "SignatureWellFormed"}
    assert not [key for key in flattened if "Signature" in key or "Digest" in key or "X509" in key]


def wrapped_package(content: bytes, line_end: str = "\n") -> bytes:
    """A package whose one attachment is `content` (the placeholder replaced by its base64)."""
    head, tail = edxml(attachments=(("cid:7", b"@"),)).split(encoded(b"@"))
    return head.encode() + encoded(content, line_end).encode() + tail.encode()


@pytest.mark.parametrize("line_end", ["\n", "\r\n", ""], ids=["LF", "CRLF", "unwrapped"])
def test_an_attachment_of_3_mb_fed_in_odd_chunks_is_hashed_and_counted(line_end: str) -> None:
    content = random.Random(3).randbytes(3_000_001)
    record = read(wrapped_package(content, line_end), size=9_973)
    [attachment] = record["Attachment"]
    assert attachment["Size"] == "3000001"
    assert attachment["Sha256"] == hashlib.sha256(content).hexdigest()
    assert attachment["ContentId"] == "cid:7"
    assert "ContentTransferEncoded" not in attachment


def test_an_empty_attachment() -> None:
    [attachment] = read(edxml(attachments=(("cid:1", b""),)))["Attachment"]
    assert attachment["Size"] == "0" and attachment["Sha256"] == hashlib.sha256(b"").hexdigest()


def bad_second_attachment(base64_text: str) -> bytes:
    text = edxml(attachments=(("cid:1", b"first"), ("cid:3", b"@")))
    return text.replace(encoded(b"@"), base64_text).encode()


@pytest.mark.parametrize(
    ("base64_text", "at"),
    [
        # the offset counts from the start of ContentTransferEncoded's text, its first "\n" too
        ("QUJDREVG\nQUJD*EVG\n", 14),
        ("QUJDREVG\nQUJDRĐVG\n", 15),
        ("QUJDREVG\nQUJ\n", 14),  # the last group of 4 incomplete: at the end
        ("QUJDREE=\nQUJD\n", 10),  # data after the padding
        ("QUJDREVG\n=QUJ\n", 10),  # padding first
        ("QUJDREVG\nQQ=A\n", 13),
    ],
    ids=["not base64", "non-ASCII", "incomplete", "after padding", "leading padding", "padding inside"],
)
@pytest.mark.parametrize("size", [1, 5, None])
def test_bad_base64_is_a_bad_package(base64_text: str, at: int, size: int | None) -> None:
    with pytest.raises(BadPackage, match=rf"^attachment 2 \(cid:3\): bad base64 at byte {at}\b"):
        read(bad_second_attachment(base64_text), size=size)


@pytest.mark.parametrize(
    ("package", "reason"),
    [
        (edxml()[:1500], r"^not well-formed XML: (no element found|unclosed token) at line \d+, column \d+$"),
        (
            edxml().replace("</edXML:Subject>", ""),
            r"^not well-formed XML: mismatched tag at line 62, column 5$",
        ),
        (
            edxml().replace("&amp;", "&nbsp;"),
            r"^not well-formed XML: undefined entity at line 43, column 30$",
        ),
        (
            """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<edXML:Status xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXML:Description>&lol2;</edXML:Description></edXML:Status>""",
            r"^DTD or entity declarations are refused \(line 2, column \d+\)$",
        ),
        (
            """<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://127.0.0.1:1/x.dtd"><d>&ext;</d>""",
            r"^DTD or entity declarations are refused \(line 1, column \d+\)$",
        ),
        (
            "<a>\xff</a>".encode("latin-1"),
            r"^not well-formed XML: not well-formed \(invalid token\) at line 1, column 3$",
        ),
        (
            '<?xml version="1.0" encoding="shift_jis"?><a/>',
            r"^unreadable package: multi-byte encodings are not supported$",
        ),
        ('<?xml version="1.0" encoding="klingon"?><a/>', r"^unreadable package: unknown encoding: klingon$"),
        ("<a/><b/>", r"^not well-formed XML: junk after document element at line 1, column 4$"),
        ("", r"^no XML in the package$"),
        ("\ufeff\r\nKhông có gì\r\n", r"^no XML in the package$"),
    ],
    ids=[
        "truncated",
        "unclosed tag",
        "undefined entity",
        "billion laughs",
        "external DTD",
        "bad UTF-8",
        "multi-byte encoding",
        "unknown encoding",
        "two roots",
        "empty",
        "no XML at all",
    ],
)
def test_malformed_packages_are_bad_packages_with_a_reason(package: str | bytes, reason: str) -> None:
    with pytest.raises(BadPackage, match=reason):
        read(package)


def test_every_truncation_is_a_bad_package() -> None:
    """Cut anywhere before the end of its root, a package is a BadPackage, never another error."""
    text = edxml().encode()
    end = text.rindex(b"</edXML:edXML>")
    for cut in range(0, end, 37):
        with pytest.raises(BadPackage):
            read(text[:cut], size=64)


def test_flipped_bytes_give_a_record_or_a_bad_package() -> None:
    text = edxml(attachments=(("cid:1", b"noi dung"),)).encode()
    rng = random.Random(102)
    for _ in range(300):
        damaged = bytearray(text)
        for _ in range(3):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            assert isinstance(read(bytes(damaged), size=97), dict)
        except BadPackage as err:
            assert "\n" not in str(err)


def test_a_leaf_over_1_mib_is_a_bad_package() -> None:
    """1 MiB of UTF-8, not of characters: 512 Ki of `Đ` (two bytes each) is the most a text holds."""

    def with_subject(subject: str) -> str:
        return re.sub(
            "<edXML:Subject>.*?</edXML:Subject>",
            f"<edXML:Subject>{subject}</edXML:Subject>",
            edxml(),
            flags=re.S,
        )

    most = "Đ" * (1 << 19)
    assert read(with_subject(most), size=65_536)["Subject"] == most
    with pytest.raises(BadPackage, match=r"^element Subject over 1 MiB at line 42, column \d+$"):
        read(with_subject(most + "Đ"), size=65_536)
    with pytest.raises(BadPackage, match=r"^element From_OrganName over 1 MiB"):
        read(edxml().replace("UBND tỉnh Thừa Thiên Huế", "x" * (1 << 20) + "x"), size=65_536)


def test_attributes_are_ignored() -> None:
    text = edxml().replace("<edXML:Subject>", '<edXML:Subject lang="vi" edXML:kind="x">')
    assert read(text) == read(edxml())


def test_text_loses_xml_whitespace_only() -> None:
    text = STATUS.replace(">Đã tiếp nhận<", ">\r\n\t Đã tiếp nhận\u00a0 \n<").replace(">03<", ">  <")
    record = read(text, frozenset())
    assert record["Description"] == "Đã tiếp nhận\u00a0"  # a no-break space is text
    assert record["StatusCode"] == ""


def test_an_element_inside_an_attachments_content_is_a_bad_package() -> None:
    text = bad_second_attachment("QUJD<edXML:Part>x</edXML:Part>")
    with pytest.raises(BadPackage, match=r"^element Part inside an attachment's content at line \d+"):
        read(text)


def streamed_package(content_size: int, block: int = 57 * 1024) -> tuple[Iterator[bytes], dict[str, str]]:
    """A package with one attachment of `content_size` pseudo-random bytes, made as it is read
    (never whole in memory), and the Size and Sha256 its attachment must get."""
    head, tail = edxml(attachments=(("cid:9", b"@"),)).split(encoded(b"@"))
    expected: dict[str, str] = {}

    def chunks() -> Iterator[bytes]:
        rng, sha256, left = random.Random(20), hashlib.sha256(), content_size
        yield head.encode()
        while left:
            content = rng.randbytes(min(block, left))  # a multiple of 57: whole lines of 76
            sha256.update(content)
            left -= len(content)
            yield base64.encodebytes(content)
        yield tail.encode()
        expected.update(Size=str(content_size), Sha256=sha256.hexdigest())

    return chunks(), expected


def test_a_20_mb_attachment_is_never_held_in_memory() -> None:
    """tracemalloc's peak while reading a package with a 20 MB attachment (27 MB of base64 read in
    78 KiB chunks): what the parser holds is the open elements and one chunk, not the content."""
    size = 20_000_000
    chunks, expected = streamed_package(size)
    tracemalloc.start()
    try:
        record = read_package(chunks, LISTS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [attachment] = record["Attachment"]
    assert {key: attachment[key] for key in ("Size", "Sha256")} == expected
    assert peak < 1_000_000, f"peak {peak:,} bytes while reading a {size:,}-byte attachment"


def test_an_empty_element_that_holds_only_a_list_is_no_field() -> None:
    package = (
        b'<?xml version="1.0"?><edXML:edXML xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">'
        b"<edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:MessageHeader><edXML:Subject/>"
        b"</edXML:MessageHeader></edXML:edXMLHeader><edXML:edXMLBody><edXML:edXMLManifest/>"
        b"</edXML:edXMLBody></edXML:edXMLEnvelope></edXML:edXML>"
    )
    record = read_package([package], frozenset({"edXMLManifest_Reference"}))
    assert record["edXMLManifest_Reference"] == [] and "edXMLManifest" not in record
    assert record["Subject"] == ""  # an empty leaf is still a field
