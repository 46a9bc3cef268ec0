"""edXML packages and status packets of the document exchange, read as one flat record.

`read_package` streams a package (QCVN 102:2016 edXML, or a Status packet, perhaps in a SOAP
envelope) through expat as defusedxml configures it — no DTD, no entity declaration, no external
reference — and returns one flat record (the rules: ingestion/README.md, *edXML: how a package becomes a
record*). Nothing is held but the open elements: an attachment's base64 is decoded, hashed and
counted as it streams, and any other element's text is refused beyond 1 MiB.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Iterable, Iterator
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ErrorString, XMLParserType

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import XMLParser

#: The namespace of an enveloped signature (XML-DSig): a `Signature` elsewhere is an element.
XMLDSIG = "http://www.w3.org/2000/09/xmldsig#"
#: The most text one element may carry (UTF-8 bytes), an attachment's content excepted.
MAX_TEXT = 1 << 20
#: How far past the first `<` an XML declaration is looked for (stray bytes may hold a `<`).
LOOKAHEAD = 4096

_DECLARATION = re.compile(rb"<\?xml[ \t\r\n]")
_XML_SPACE = " \t\r\n"  # what is stripped: XML's whitespace (a no-break space is text)
_WHITESPACE = _XML_SPACE.encode()
_BASE64_TEXT = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" + _WHITESPACE

# The wrappers add nothing to a name: SOAP's anywhere above the packet, the packet's root
# (`edXML` or a `Status`), and the edXML wrappers below `edXML`. Each maps to the wrappers its
# own children may be.
_EDXML_INNER = frozenset({"edXMLEnvelope", "edXMLHeader", "MessageHeader", "edXMLBody", "AttachmentEncoded"})
_TOP = frozenset({"Envelope", "Header", "Body", "edXML", "Status"})
_WRAPS: dict[str, frozenset[str]] = {
    "Envelope": _TOP,
    "Header": _TOP,
    "Body": _TOP,
    "Status": frozenset(),
    "edXML": _EDXML_INNER,
    **dict.fromkeys(_EDXML_INNER, _EDXML_INNER),
}

# What an open element is.
_WRAPPER, _FIELD, _ITEM, _SIGNATURE, _CONTENT = range(5)


class BadPackage(ValueError):
    """A package that cannot be read; the message names what and where, on one line."""


def read_package(chunks: Iterable[bytes], lists: frozenset[str]) -> dict[str, Any]:
    """One package's flat record, read from its bytes in chunks of any size.

    `lists` names (joined names, wrappers left out) the elements read as lists of flat dicts.
    Raises BadPackage for anything that is not a readable package.
    """
    rest = iter(chunks)
    first, skipped_lines, skipped_columns = _from_the_xml(rest)
    record = _Record(lists, skipped_lines, skipped_columns)
    parser = XMLParser(target=record, forbid_dtd=True)
    record.expat = parser.parser
    # the expat buffer: fewer, larger calls with an attachment's text (measured: 8 KiB → 64 KiB
    # is about 10 % faster on a 4 MB attachment)
    parser.parser.buffer_size = 1 << 16
    try:
        parser.feed(first)
        for chunk in rest:
            parser.feed(chunk)
        return parser.close()
    except ParseError as err:
        line, column = err.position
        raise BadPackage(
            f"not well-formed XML: {ErrorString(err.code)} at {record.place(line, column)}"
        ) from err
    except (DTDForbidden, EntitiesForbidden) as err:
        raise BadPackage(f"DTD or entity declarations are refused ({record.place()})") from err
    except ExternalReferenceForbidden as err:
        raise BadPackage(f"external references are refused ({record.place()})") from err
    except BadPackage:
        raise
    except (ValueError, LookupError) as err:  # a declared encoding expat cannot read
        raise BadPackage(f"unreadable package: {err}".splitlines()[0]) from err


def _from_the_xml(chunks: Iterator[bytes]) -> tuple[bytes, int, int]:
    """The package's first bytes from its XML declaration on, or from its first `<` when no
    declaration follows within LOOKAHEAD bytes; and the newlines skipped before them, and the
    bytes skipped since the last of those (to give positions in the package as sent)."""
    head = b""
    lines = columns = 0

    def skip(stray: bytes) -> None:
        nonlocal lines, columns
        if (newlines := stray.count(b"\n")) > 0:
            lines += newlines
            columns = len(stray) - stray.rfind(b"\n") - 1
        else:
            columns += len(stray)

    for chunk in chunks:
        head = head + chunk if head else chunk
        first = head.find(b"<")
        if first < 0:
            skip(head)
            head = b""
            continue
        if first:
            skip(head[:first])
            head = head[first:]
        if found := _DECLARATION.search(head, 0, LOOKAHEAD):
            skip(head[: found.start()])
            return head[found.start() :], lines, columns
        if len(head) >= LOOKAHEAD:
            break
    if not head:
        raise BadPackage("no XML in the package")
    return head, lines, columns


class _Scope:
    """One flat dict being filled: the record, or one item of a list."""

    __slots__ = ("values", "full", "met", "repeated")

    def __init__(self, full: str) -> None:
        self.values: dict[str, Any] = {}
        self.full = full  # the joined name of the list ("" for the record)
        self.met: set[str] = set()  # names of the elements met in it, to see one met twice
        self.repeated: set[str] = set()  # those met twice: lists though not declared


class _Element:
    """One open element: where its children's names start and where its own text goes."""

    __slots__ = ("kind", "local", "full", "scope", "name", "out", "key", "wraps", "text", "size")

    def __init__(self, kind: int, local: str, full: str, scope: _Scope, name: str) -> None:
        self.kind = kind
        self.local = local
        self.full = full  # its joined name from the record (for lists and messages)
        self.scope = scope  # the flat dict its descendants fill
        self.name = name  # its joined name in that scope, the prefix of its children's
        self.out: dict[str, Any] = scope.values  # where its text goes as a leaf, under `key`
        self.key = name
        self.wraps: frozenset[str] = frozenset()  # which children are wrappers
        self.text: list[str] | None = []  # a leaf's text so far; None once it has a child
        self.size = 0  # UTF-8 bytes of text so far


class _Signature:
    """What an enveloped ds:Signature has of what a well-formed one needs."""

    __slots__ = ("canonicalization", "method", "reference", "digest_method", "digest_value", "value")

    def __init__(self) -> None:
        self.canonicalization = self.method = self.reference = self.value = False
        self.digest_method = self.digest_value = False  # of the Reference being read

    def well_formed(self) -> bool:
        return self.canonicalization and self.method and self.reference and self.value


class _Digest:
    """One attachment's decoded size and SHA-256, its base64 decoded as it streams.

    Text without padding or a bad character is decoded in bulk; from the first `=` or bad
    character on it is read one character at a time, so an error's position does not depend on
    how the text was cut.
    """

    __slots__ = ("label", "sha256", "size", "rest", "read", "padded")

    def __init__(self, label: str) -> None:
        self.label = label  # "attachment 2 (cid:3)"
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.rest = b""  # the last incomplete group of 4 characters
        self.read = 0  # characters of text read before this piece
        self.padded = False  # a `=` was read: only the padding's end and whitespace may follow

    def feed(self, text: str) -> None:
        try:
            raw, stop = text.encode("ascii"), -1
        except UnicodeEncodeError as err:
            raw, stop = text[: err.start].encode("ascii"), err.start
        # the first `=` or bad character (translate finds it several times faster than a regex)
        special = raw.translate(None, _BASE64_TEXT)
        bulk = raw.find(special[:1]) if special else len(raw)
        if bulk:
            data = raw[:bulk].translate(None, _WHITESPACE)
            if data and self.padded:
                raise self.bad(raw.index(data[:1]), "after the padding")
            self.decode(self.rest + data)
        for at in range(bulk, len(raw)):
            char = raw[at : at + 1]
            if char in _WHITESPACE:
                continue
            if char != b"=" or len(self.rest) < 2:  # padding ends a group of 2 or 3
                raise self.bad(at, "after the padding" if self.padded else "")
            self.padded = True
            self.decode(self.rest + char)
        if stop >= 0:
            raise self.bad(stop)
        self.read += len(text)

    def decode(self, data: bytes) -> None:
        whole = len(data) - len(data) % 4
        if whole:
            decoded = binascii.a2b_base64(memoryview(data)[:whole], strict_mode=True)
            self.sha256.update(decoded)
            self.size += len(decoded)
        self.rest = data[whole:]

    def close(self) -> tuple[str, str]:
        """`Size` and `Sha256` of the decoded content."""
        if self.rest:
            raise self.bad(0, "(its last group of 4 is incomplete)")
        return str(self.size), self.sha256.hexdigest()

    def bad(self, at: int, why: str = "") -> BadPackage:
        return BadPackage(f"{self.label}: bad base64 at byte {self.read + at}{' ' + why if why else ''}")


def _is_base64(text: str) -> bool:
    """Non-empty, valid base64 (whitespace ignored): a signature's DigestValue or SignatureValue."""
    try:
        return bool(binascii.a2b_base64("".join(text.split()).encode("ascii"), strict_mode=True))
    except (binascii.Error, UnicodeEncodeError):
        return False


class _Record:
    """The parser's target: builds the flat record from expat's events, one element at a time."""

    def __init__(self, lists: frozenset[str], skipped_lines: int, skipped_columns: int) -> None:
        self.lists = lists
        #: the elements whose only children are declared lists' items (`edXMLManifest`)
        self.containers = frozenset(name.rsplit("_", 1)[0] for name in lists if "_" in name)
        # the declared lists directly below each list ("" the record): absent, each is []
        self.nested: dict[str, list[str]] = {}
        for name in sorted(lists):
            base = max((other for other in lists if name.startswith(other + "_")), key=len, default="")
            self.nested.setdefault(base, []).append(name[len(base) + 1 :] if base else name)
        self.record = _Scope("")
        self.open: list[_Element] = []
        self.names: dict[str, tuple[str, str]] = {}  # "{uri}local" → (uri, local)
        self.signature: _Signature | None = None  # the one being read
        self.signed = False
        self.signatures_well_formed = True
        self.attachments = 0
        self.digest: _Digest | None = None  # the attachment content being read
        self.expat: XMLParserType | None = None
        self.skipped_lines = skipped_lines
        self.skipped_columns = skipped_columns

    def place(self, line: int | None = None, column: int | None = None) -> str:
        """`line L, column C` in the package as sent (stray bytes before the XML counted)."""
        if line is None or column is None:
            line = self.expat.CurrentLineNumber if self.expat else 1
            column = self.expat.CurrentColumnNumber if self.expat else 0
        if line == 1:
            column += self.skipped_columns
        return f"line {line + self.skipped_lines}, column {column}"

    def split(self, tag: str) -> tuple[str, str]:
        if (known := self.names.get(tag)) is None:
            uri, _, local = tag[1:].rpartition("}") if tag[:1] == "{" else ("", "", tag)
            known = self.names[tag] = (uri, local)
        return known

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        uri, local = self.split(tag)
        parent = self.open[-1] if self.open else None
        if parent is not None:
            parent.text = None
        if parent is not None and parent.kind == _CONTENT:
            raise BadPackage(f"element {local} inside an attachment's content at {self.place()}")
        if self.signature is not None:
            self.open.append(self.signature_start(parent, uri, local, attrib))
        elif uri == XMLDSIG and local == "Signature":
            self.signature = _Signature()
            self.open.append(_Element(_SIGNATURE, local, "", self.record, ""))
        elif local in (_TOP if parent is None else parent.wraps):
            element = _Element(_WRAPPER, local, "", self.record, "")
            element.wraps = _WRAPS[local]
            element.text = None
            self.open.append(element)
        else:
            self.open.append(self.field_start(parent, local))

    def field_start(self, parent: _Element | None, local: str) -> _Element:
        """A named element: a field of the scope it is in, or an item of a list."""
        scope = parent.scope if parent is not None else self.record
        name = f"{parent.name}_{local}" if parent is not None and parent.name else local
        full = f"{scope.full}_{name}" if scope.full else name
        if local == "Attachment":
            self.attachments += 1
        if local == "ContentTransferEncoded" and parent is not None and parent.local == "Attachment":
            cid = scope.values.get(f"{parent.name}_ContentId" if parent.name else "ContentId")
            label = f"attachment {self.attachments}" + (f" ({cid})" if cid else "")
            self.digest = _Digest(label)
            element = _Element(_CONTENT, local, full, scope, parent.name)
            element.text = None
            return element
        if full not in self.lists and name not in scope.repeated:
            if name not in scope.met:
                scope.met.add(name)
                return _Element(_FIELD, local, full, scope, name)
            # met twice though not declared a list: a list too, its first item what was read
            values, prefix = scope.values, name + "_"
            first = {key[len(prefix) :]: values.pop(key) for key in list(values) if key.startswith(prefix)}
            if name in values:
                first[local] = values.pop(name)
            values[name] = [first]
            scope.repeated.add(name)
        item = _Scope(full)
        scope.values.setdefault(name, []).append(item.values)
        element = _Element(_ITEM, local, full, item, "")
        element.key = local
        return element

    def signature_start(
        self, parent: _Element | None, uri: str, local: str, attrib: dict[str, str]
    ) -> _Element:
        """An element inside the signature: its path there is what the checks look at."""
        assert parent is not None and self.signature is not None
        inside = parent.name  # "" the Signature itself, "?" below an element of another namespace
        path = "?" if uri != XMLDSIG or inside == "?" else f"{inside}/{local}" if inside else local
        signature = self.signature
        algorithm = bool(attrib.get("Algorithm", "").strip())
        if path == "SignedInfo/CanonicalizationMethod":
            signature.canonicalization |= algorithm
        elif path == "SignedInfo/SignatureMethod":
            signature.method |= algorithm
        elif path == "SignedInfo/Reference":
            signature.digest_method = signature.digest_value = False
        elif path == "SignedInfo/Reference/DigestMethod":
            signature.digest_method |= algorithm
        return _Element(_SIGNATURE, local, "", self.record, path)

    def data(self, text: str) -> None:
        element = self.open[-1]
        if element.kind == _CONTENT:
            assert self.digest is not None
            self.digest.feed(text)
            return
        element.size += len(text) if text.isascii() else len(text.encode())
        if element.size > MAX_TEXT:
            raise BadPackage(f"element {element.full or element.local} over 1 MiB at {self.place()}")
        if element.text is not None:
            element.text.append(text)

    def end(self, tag: str) -> None:
        element = self.open.pop()
        text = "".join(element.text).strip(_XML_SPACE) if element.text is not None else None
        if element.kind == _FIELD or element.kind == _ITEM:
            # an empty element that only ever holds a list (`<edXMLManifest/>`) is no field
            if text is not None and (text or element.full not in self.containers):
                element.out[element.key] = text
            if element.kind == _ITEM:
                self.fill_absent_lists(element.scope)
        elif element.kind == _SIGNATURE:
            self.signature_end(element, text)
        elif element.kind == _CONTENT:
            assert self.digest is not None
            size, sha256 = self.digest.close()
            self.digest = None
            prefix = f"{element.name}_" if element.name else ""
            element.scope.values[f"{prefix}Size"] = size
            element.scope.values[f"{prefix}Sha256"] = sha256

    def signature_end(self, element: _Element, text: str | None) -> None:
        signature = self.signature
        assert signature is not None
        path = element.name
        if path == "SignedInfo/Reference/DigestValue":
            signature.digest_value = _is_base64(text or "")
        elif path == "SignedInfo/Reference":
            signature.reference |= signature.digest_method and signature.digest_value
        elif path == "SignatureValue":
            signature.value = _is_base64(text or "")
        elif path == "":
            self.signed = True
            self.signatures_well_formed &= signature.well_formed()
            self.signature = None

    def fill_absent_lists(self, scope: _Scope) -> None:
        for name in self.nested.get(scope.full, ()):
            scope.values.setdefault(name, [])

    def close(self) -> dict[str, Any]:
        self.fill_absent_lists(self.record)
        values = self.record.values
        values["Signed"] = self.signed
        values["SignatureWellFormed"] = self.signed and self.signatures_well_formed
        return values
