"""The document exchange sandbox's generation: determinism, the province it shares with the
one-stop sandbox, every quirk of README.md counted in a small exchange, the malformed variants
and the replay folder (round trip, a bad line named by file:line)."""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import pytest
from defusedxml import DefusedXmlException

from ingestion.sandbox.documents.exchange import Exchange, export_exchange, load_exchange
from ingestion.sandbox.documents.generator import generate_exchange
from ingestion.sandbox.documents.packages import MALFORMED_VARIANTS, malform_package
from ingestion.sandbox.generator import generate_province, province_setting

SPAN = (date(2025, 6, 3), date(2025, 8, 1))
NS = "{http://www.mic.gov.vn/TBT/QCVN_102_2016}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"


@pytest.fixture(scope="module")
def exchange() -> Exchange:
    return generate_exchange(7, 1.0, *SPAN)


def _parse(data: bytes) -> Element:
    """The package's root after the bytes before `<?xml`, parsed by expat through defusedxml."""
    return SafeET.fromstring(data[data.index(b"<?xml") :])


def _text(root: Element, path: str) -> str:
    found = root.find(path.replace("e:", NS))
    return "" if found is None else (found.text or "").strip()


def _digest(exchange: Exchange) -> str:
    digest = hashlib.sha256()
    for item in exchange.items:
        digest.update(repr(item.listing).encode())
        assert item.package is not None
        digest.update(item.package())
    digest.update(repr(exchange.workfiles).encode() + repr(exchange.agencies).encode())
    return digest.hexdigest()


def test_the_same_arguments_give_the_same_bytes() -> None:
    first = generate_exchange(3, 0.2, date(2025, 8, 1), date(2025, 9, 1))
    assert _digest(first) == _digest(generate_exchange(3, 0.2, date(2025, 8, 1), date(2025, 9, 1)))
    assert _digest(first) != _digest(generate_exchange(4, 0.2, date(2025, 8, 1), date(2025, 9, 1)))


def test_nothing_is_created_at_or_after_the_clock(exchange: Exchange) -> None:
    end = "2025/08/01 00:00:00"
    assert all(item.created_time < end for item in exchange.items)
    assert all(record["updated"] < end and record["closed"] < end for record in exchange.workfiles)
    assert exchange.items == sorted(exchange.items, key=lambda item: (item.created_time, item.doc_id))
    assert len({item.doc_id for item in exchange.items}) == len(exchange.items)
    assert all(re.fullmatch(r"[0-9a-f]{24}", item.doc_id or "") for item in exchange.items)


def test_it_uses_the_agencies_of_the_one_stop_province() -> None:
    setting = province_setting(11, 0.05, date(2025, 6, 1), date(2025, 7, 15))
    province = generate_province(11, 0.05, date(2025, 6, 1), date(2025, 7, 15))
    assert sorted(a.code for a in setting.agencies) == [r["MADONVI"] for r in province.agencies]
    exchange = generate_exchange(11, 0.05, date(2025, 6, 1), date(2025, 7, 15))
    assert [r["code"] for r in exchange.agencies] == [r["MADONVI"] for r in province.agencies]
    assert [r["name"] for r in exchange.agencies] == [r["TENDONVI"] for r in province.agencies]


def test_volumes_at_scale_one(exchange: Exchange) -> None:
    kinds = collections.Counter(item.messagetype for item in exchange.items)
    months = 2  # the span is two months less two days
    new_documents = {
        _text(_parse(item.package()), "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:DocumentId")  # type: ignore[misc]
        for item in exchange.items
        if item.messagetype == "edoc"
    }
    assert 300 * months < len(new_documents) < 500 * months
    assert 1.15 < kinds["edoc"] / len(new_documents) < 1.5  # ≈ 1.3 recipients (and a few acts)
    assert 400 * months < len(exchange.workfiles) < 600 * months


def _packages(exchange: Exchange) -> Iterator[tuple[Any, bytes, Element]]:
    for item in exchange.items:
        assert item.package is not None
        data = item.package()
        yield item, data, _parse(data)


def test_every_quirk_occurs(exchange: Exchange) -> None:
    """Each quirk README.md lists, counted: every one at least once, the shares near their rates."""
    seen: collections.Counter[str] = collections.Counter()
    statuses: dict[tuple[str, str], list[tuple[str, str]]] = collections.defaultdict(list)
    documents: dict[str, Element] = {}
    contents: collections.Counter[tuple[bytes, str, str]] = collections.Counter()
    for item, data, root in _packages(exchange):
        listing = item.listing
        contents[(hashlib.sha256(data).digest(), listing["from"], listing["to"])] += 1
        if not data.startswith(b"<?xml"):
            seen["stray bytes"] += 1
        if item.messagetype == "status":
            assert root.tag == f"{NS}Status"
            code = _text(root, "e:StatusCode")
            seen[f"status {code}"] += 1
            stamp = _text(root, "e:Timestamp")
            layout = "%Y/%m/%d %H:%M:%S" if stamp[4] == "/" else "%d/%m/%Y %H:%M:%S"
            seen[f"timestamp {layout}"] += 1
            if (
                datetime.strptime(item.created_time, "%Y/%m/%d %H:%M:%S") - datetime.strptime(stamp, layout)
            ).days >= 1:
                seen["late packet"] += 1
            assert _text(root, "e:StaffInfo/e:Staff") and _text(root, "e:StaffInfo/e:Department")
            key = (_text(root, "e:ResponseFor/e:DocumentId"), listing["from"])
            statuses[key].append((code, item.created_time))
            continue
        header = root.find(f"{NS}edXMLEnvelope/{NS}edXMLHeader")
        assert header is not None
        message = header.find(f"{NS}MessageHeader")
        assert message is not None
        document_id = _text(message, "e:DocumentId")
        business = header.find(f"{NS}TraceHeaderList/{NS}Bussiness")
        assert business is not None
        seen[f"business {_text(business, 'e:BussinessDocType')}"] += 1
        seen[f"paper {_text(business, 'e:Paper')}"] += 1
        if "Đ" in _text(message, "e:Code/e:CodeNotation"):
            seen["notation with Đ"] += 1
        if not _text(message, "e:DueDate"):
            seen["no due date"] += 1
        staff = business.find(f"{NS}StaffInfo")
        assert staff is not None and "@" in _text(staff, "e:Email") and _text(staff, "e:Mobile").isdigit()
        assert _text(message, "e:SignerInfo/e:FullName")
        signature = root.find(f"{NS}edXMLEnvelope/{DS}Signature")
        if signature is None:
            seen["unsigned"] += 1
        elif not _text(signature, f"{DS}SignatureValue") or signature.find(f".//{DS}DigestValue") is None:
            seen["malformed signature"] += 1
        else:
            seen["signed"] += 1
        for attachment in root.iter(f"{NS}ContentTransferEncoded"):
            size = len(base64.b64decode("".join((attachment.text or "").split()), validate=True))
            seen["big attachment" if size >= 2_000_000 else "small attachment"] += 1
        if _text(business, "e:BussinessDocType") == "0":
            documents[document_id] = message
    for (document_id, _), sequence in statuses.items():
        order = [code for code, _ in sorted(sequence, key=lambda entry: entry[1])]
        if [code for code in order if code in ("01", "03", "04", "05", "06")] != sorted(
            code for code in order if code in ("01", "03", "04", "05", "06")
        ):
            seen["out of order"] += 1
        if document_id not in documents:
            seen["status for a document never sent"] += 1
    seen["delivered twice"] = sum(1 for count in contents.values() if count > 1)
    seen["06 after its due date"] = _late_finishes(exchange, documents)

    expected = [
        "stray bytes", "late packet", "out of order", "delivered twice", "status for a document never sent",
        "business 0", "business 1", "business 2", "business 3", "paper 0", "paper 1", "notation with Đ",
        "no due date", "unsigned", "signed", "malformed signature", "small attachment", "big attachment",
        "timestamp %Y/%m/%d %H:%M:%S", "timestamp %d/%m/%Y %H:%M:%S", "06 after its due date",
        *(f"status {code}" for code in ("01", "02", "03", "04", "05", "06", "13", "15", "16")),
    ]  # fmt: skip
    assert [quirk for quirk in expected if not seen[quirk]] == [], seen
    edocs = seen["business 0"] + seen["business 1"] + seen["business 2"] + seen["business 3"]
    assert 0.06 < seen["paper 1"] / edocs < 0.14
    assert 0.72 < (seen["signed"] + seen["malformed signature"]) / edocs < 0.88
    assert 0.02 < seen["status 02"] / seen["status 01"] < 0.08
    assert 0.015 < (seen["business 1"] + seen["business 2"] + seen["business 3"]) / edocs < 0.05
    assert seen["stray bytes"] / len(exchange.items) < 0.03


def _late_finishes(exchange: Exchange, documents: dict[str, Element]) -> int:
    late = 0
    for _, _, root in _packages(exchange):
        if root.tag != f"{NS}Status" or _text(root, "e:StatusCode") != "06":
            continue
        message = documents.get(_text(root, "e:ResponseFor/e:DocumentId"))
        due = "" if message is None else _text(message, "e:DueDate")
        stamp = _text(root, "e:Timestamp")
        finished = datetime.strptime(stamp, "%Y/%m/%d %H:%M:%S" if stamp[4] == "/" else "%d/%m/%Y %H:%M:%S")
        if due and finished.date() > datetime.strptime(due, "%Y/%m/%d").date():
            late += 1
    return late


def test_acts_name_the_document_they_act_on(exchange: Exchange) -> None:
    for _, _, root in _packages(exchange):
        if root.tag == f"{NS}Status":
            continue
        header = f"{NS}edXMLEnvelope/{NS}edXMLHeader/"
        kind = _text(root, f"{header}e:TraceHeaderList/e:Bussiness/e:BussinessDocType")
        own = _text(root, f"{header}e:MessageHeader/e:DocumentId")
        acted_on = _text(root, f"{header}e:TraceHeaderList/e:Bussiness/e:DocumentId")
        replaced = _text(
            root,
            f"{header}e:TraceHeaderList/e:Bussiness/e:ReplacementInfoList/e:ReplacementInfo/e:DocumentId",
        )
        if kind in ("1", "2"):
            assert acted_on == own and not replaced
        elif kind == "3":
            assert acted_on == replaced and replaced != own
        else:
            assert not acted_on and not replaced


@pytest.fixture(scope="module")
def samples(exchange: Exchange) -> dict[str, bytes]:
    """An edoc with an attachment and a status packet, as served."""
    found: dict[str, bytes] = {}
    for item in exchange.items:
        data = item.package()  # type: ignore[misc]
        if item.messagetype == "edoc" and b"ContentTransferEncoded" in data and len(data) < 100_000:
            found.setdefault("edoc", data)
        if item.messagetype == "status":
            found.setdefault("status", data)
        if len(found) == 2:
            return found
    raise AssertionError("no samples")


@pytest.mark.parametrize("kind", ["edoc", "status"])
@pytest.mark.parametrize("variant", range(len(MALFORMED_VARIANTS)))
def test_every_malformed_variant_breaks_the_package(
    samples: dict[str, bytes], kind: str, variant: int
) -> None:
    data = samples[kind]
    way, broken = malform_package(data, variant)
    assert broken != data
    assert malform_package(data, variant) == (way, broken), "deterministic"
    if kind == "status" and MALFORMED_VARIANTS[variant] == "bad-base64":
        assert way == "truncated", "a status packet has no attachment: the next way that applies"
    else:
        assert way == MALFORMED_VARIANTS[variant]
    if way in ("truncated", "undefined-entity", "unclosed-tag"):
        with pytest.raises((ParseError, DefusedXmlException)):
            _parse(broken)
        return
    root = _parse(broken)
    if way == "bad-date":
        stamp = _text(root, "e:Timestamp") or _text(
            root, "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:PromulgationInfo/e:PromulgationDate"
        )
        with pytest.raises(ValueError):
            datetime.strptime(stamp, "%d/%m/%Y %H:%M:%S" if kind == "status" else "%Y/%m/%d")
    elif way == "missing-document-id":
        path = (
            "e:ResponseFor/e:DocumentId"
            if kind == "status"
            else "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:DocumentId"
        )
        assert root.find(path.replace("e:", NS)) is None
    else:
        encoded = next(root.iter(f"{NS}ContentTransferEncoded")).text or ""
        with pytest.raises(binascii.Error):
            base64.b64decode("".join(encoded.split()), validate=True)
        with pytest.raises(binascii.Error):
            base64.b64decode("".join(encoded.split()))  # even a lenient decoder


def test_export_then_load_gives_the_same_exchange(tmp_path: Path) -> None:
    exchange = generate_exchange(5, 0.1, date(2025, 9, 1), date(2025, 9, 20))
    export_exchange(exchange, tmp_path)
    export_exchange(exchange, tmp_path / "again")
    for name in ("agencies.json", "queue.jsonl", "workfiles.jsonl"):
        assert (tmp_path / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    loaded = load_exchange(tmp_path)
    assert _digest(loaded) == _digest(exchange)
    assert loaded.clock_end is not None and exchange.clock_end is not None
    assert loaded.clock_end <= exchange.clock_end


def test_a_bad_replay_line_is_named_by_file_and_line(tmp_path: Path) -> None:
    exchange = generate_exchange(5, 0.05, date(2025, 9, 1), date(2025, 9, 10))
    export_exchange(exchange, tmp_path)
    queue = (tmp_path / "queue.jsonl").read_text().splitlines()
    queue.insert(1, "{not json")
    queue.insert(3, '{"DocId": "abc", "messagetype": "status", "created_time": "yesterday"}')
    (tmp_path / "queue.jsonl").write_text("\n".join(queue) + "\n")
    with (tmp_path / "workfiles.jsonl").open("a") as handle:
        handle.write('{"id": "x", "agency": "000.00.00.H57", "updated": "2025-09-09"}\n')
    bad: list[str] = []
    loaded = load_exchange(tmp_path, bad)
    assert bad[0].startswith("queue.jsonl:2: not JSON")
    assert bad[1].startswith("queue.jsonl:4: missing string field(s)")
    assert bad[2].startswith(f"workfiles.jsonl:{len(exchange.workfiles) + 1}: updated")
    served = [item for item in loaded.items if item.origin]
    assert [item.origin for item in served] == ["queue.jsonl:2", "queue.jsonl:4"]
    assert served[0].listing == "{not json" and served[0].doc_id is None
    assert served[1].messagetype == "status" and served[1].doc_id == "abc"
    assert loaded.unplaced_workfiles[0][1:] == (
        "000.00.00.H57",
        exchange.workfiles[-1]["updated"],
        bad[2].split(": ")[0],
    )
