"""Lenient line-based reader for SPDX 2.x tag-value documents.

``Tag: value`` lines, ``<text>...</text>`` values that may span lines, ``#`` comments.
``PackageName`` starts a package, ``FileName`` a file, ``SnippetSPDXID`` a snippet and
``LicenseID`` an extracted licence; later tags belong to that element until the next starts.
Files that follow a package are contained by it (the tag-value convention).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from auditor.errors import UnreadableInput
from auditor.ingest import spdx2
from auditor.ingest.interface import guarded
from auditor.ingest.records import FactList, is_assertion
from auditor.ingest.spdx2 import (
    DOCUMENT_REF,
    Budget,
    Graph,
    Problems,
    add_creator,
    add_external_ref,
    decode_text,
    relationship_edge,
    short,
    spec_version,
)
from auditor.models import Component, ComponentKind, FieldKind, SbomDocument, SbomFormat

_TAG = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_\-]*)\s*:\s*(.*?)\s*$")
_NEWLINE = re.compile(r"\r\n|\r|\n")

_OPEN, _CLOSE = "<text>", "</text>"

# How a tag's value becomes facts: as is, as an SPDX actor, a checksum or an external ref.
_VALUE, _ACTOR, _HASH, _EXTREF = "value", "actor", "hash", "extref"
_Rule = tuple[FieldKind, str]

_PACKAGE: dict[str, _Rule] = {
    "PackageName": (FieldKind.NAME, _VALUE),
    "PackageVersion": (FieldKind.VERSION, _VALUE),
    "PackageSupplier": (FieldKind.SUPPLIER, _ACTOR),
    "PackageOriginator": (FieldKind.ORIGINATOR, _ACTOR),
    "PackageDownloadLocation": (FieldKind.URL, _VALUE),
    "PackageHomePage": (FieldKind.URL, _VALUE),
    "PackageCopyrightText": (FieldKind.COPYRIGHT, _VALUE),
    "PackageSummary": (FieldKind.DESCRIPTION, _VALUE),
    "PackageDescription": (FieldKind.DESCRIPTION, _VALUE),
    "PackageComment": (FieldKind.TEXT, _VALUE),
    "PackageAttributionText": (FieldKind.TEXT, _VALUE),
    "PackageSourceInfo": (FieldKind.TEXT, _VALUE),
    "PackageFileName": (FieldKind.FILENAME, _VALUE),
    "PackageChecksum": (FieldKind.HASH, _HASH),
    "ExternalRef": (FieldKind.URL, _EXTREF),
    "PackageLicenseConcluded": (FieldKind.LICENSE, _VALUE),
    "PackageLicenseDeclared": (FieldKind.LICENSE, _VALUE),
    "PackageLicenseComments": (FieldKind.LICENSE, _VALUE),
}
_FILE: dict[str, _Rule] = {
    "FileName": (FieldKind.FILENAME, _VALUE),
    "FileChecksum": (FieldKind.HASH, _HASH),
    "FileCopyrightText": (FieldKind.COPYRIGHT, _VALUE),
    "FileNotice": (FieldKind.TEXT, _VALUE),
    "FileContributor": (FieldKind.AUTHOR, _VALUE),
    "FileComment": (FieldKind.TEXT, _VALUE),
    "LicenseComments": (FieldKind.LICENSE, _VALUE),
    "FileAttributionText": (FieldKind.TEXT, _VALUE),
}
_SNIPPET: dict[str, _Rule] = {
    "SnippetName": (FieldKind.NAME, _VALUE),
    "SnippetCopyrightText": (FieldKind.COPYRIGHT, _VALUE),
    "SnippetComment": (FieldKind.TEXT, _VALUE),
    "SnippetAttributionText": (FieldKind.TEXT, _VALUE),
}
_LICENSE: dict[str, _Rule] = {
    "ExtractedText": (FieldKind.LICENSE, _VALUE),
    "LicenseName": (FieldKind.LICENSE, _VALUE),
}
_RULES = {
    ComponentKind.PACKAGE: _PACKAGE,
    ComponentKind.FILE: _FILE,
    ComponentKind.SNIPPET: _SNIPPET,
}
# Tags that start an element, and the element they start.
_STARTS = {
    "PackageName": ComponentKind.PACKAGE,
    "FileName": ComponentKind.FILE,
    "SnippetSPDXID": ComponentKind.SNIPPET,
}
# Tags this reader knows but takes no facts from.
_IGNORED = frozenset(
    {
        "DataLicense",
        "DocumentNamespace",
        "ExternalDocumentRef",
        "Created",
        "LicenseListVersion",
        "Annotator",
        "AnnotationDate",
        "AnnotationComment",
        "AnnotationType",
        "SPDXREF",
        "RelationshipComment",
        "FilesAnalyzed",
        "PackageVerificationCode",
        "PackageLicenseInfoFromFiles",
        "PrimaryPackagePurpose",
        "BuiltDate",
        "ReleaseDate",
        "ValidUntilDate",
        "ExternalRefComment",
        "FileType",
        "LicenseConcluded",
        "LicenseInfoInFile",
        "FileDependency",
        "ArtifactOfProjectName",
        "ArtifactOfProjectHomePage",
        "ArtifactOfProjectURI",
        "SnippetFromFileSPDXID",
        "SnippetByteRange",
        "SnippetLineRange",
        "SnippetLicenseConcluded",
        "LicenseInfoInSnippet",
        "SnippetLicenseComments",
        "LicenseCrossReference",
        "LicenseComment",
        "Reviewer",
        "ReviewDate",
        "ReviewComment",
    }
)

_DOCUMENT_TAGS = frozenset(
    {
        "SPDXID",
        "SPDXVersion",
        "DocumentName",
        "Creator",
        "CreatorComment",
        "DocumentComment",
        "LicenseID",
        "Relationship",
    }
)
_NAME_TAGS = frozenset({"PackageName", "FileName", "SnippetName"})
_KNOWN = frozenset({*_PACKAGE, *_FILE, *_SNIPPET, *_LICENSE, *_STARTS, *_IGNORED, *_DOCUMENT_TAGS})


@dataclass
class _Element:
    kind: ComponentKind
    line: int
    facts: FactList = field(default_factory=FactList)
    ref: str = ""
    name: str = ""
    version: str = ""
    container: _Element | None = None


def _entries(text: str, problems: Problems) -> list[tuple[str, str, int]]:
    """``(tag, value, line)`` for every tag line, with ``<text>`` blocks joined."""
    lines = _NEWLINE.split(text)
    count = len(lines)
    # closes[i]: index of the first line at or after i that contains </text> (-1: none).
    closes = [-1] * (count + 1)
    for index in range(count - 1, -1, -1):
        closes[index] = index if _CLOSE in lines[index] else closes[index + 1]
    result: list[tuple[str, str, int]] = []
    index = 0
    while index < count:
        raw = lines[index]
        stripped = raw.strip()
        start = index
        index += 1
        if not stripped or stripped.startswith("#"):
            continue
        match = _TAG.match(raw)
        if not match:
            problems.add(f"line {start + 1}: not a 'Tag: value' line: {short(stripped)}")
            continue
        tag, value = match.group(1), match.group(2)
        if value.startswith(_OPEN):
            body = value[len(_OPEN) :]
            end = body.find(_CLOSE)
            if end >= 0:
                value = body[:end]
            elif closes[index] < 0:
                problems.add(f"line {start + 1}: <text> is never closed")
                value = body
            else:
                last = closes[index]
                tail = lines[last]
                parts = [body, *lines[index:last]]
                parts.append(tail[: tail.find(_CLOSE)])
                value = "\n".join(parts)
                index = last + 1
        result.append((tag, value.strip(), start + 1))
    return result


class _TagValueReader:
    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.doc = FactList()
        self.doc_ref = ""
        self.doc_name = ""
        self.version_raw: str | None = None
        self.elements: list[_Element] = []
        self.current: _Element | None = None
        self.in_license = False
        self.last_package: _Element | None = None
        self.relationships: list[tuple[str, int]] = []

    def apply(self, element: _Element, tag: str, rule: _Rule, value: str, line: int) -> None:
        kind, mode = rule
        facts, where = element.facts, f"line:{line}"
        if mode == _VALUE:
            facts.add(kind, value, where)
        elif mode == _ACTOR:
            facts.add_actor(kind, value, where)
        elif mode == _HASH:
            algorithm, sep, digest = value.partition(":")
            if sep and digest.strip():
                facts.add_hash(algorithm, digest, where)
            else:
                self.problems.add(f"line {line}: {tag} is not 'ALGORITHM: value'")
        else:
            parts = value.split(None, 2)
            if len(parts) == 3:
                add_external_ref(facts, parts[1], parts[2], where)
            else:
                self.problems.add(f"line {line}: ExternalRef is not 'CATEGORY TYPE LOCATOR'")

    def start(self, kind: ComponentKind, line: int) -> _Element:
        element = _Element(kind, line)
        if kind is ComponentKind.FILE:
            element.container = self.last_package
        elif kind is ComponentKind.PACKAGE:
            self.last_package = element
        self.elements.append(element)
        self.current = element
        self.in_license = False
        return element

    def entry(self, tag: str, value: str, line: int) -> None:
        if tag in _STARTS:
            started = self.start(_STARTS[tag], line)
            if tag == "SnippetSPDXID":
                started.ref = value
                return
        element = self.current
        if tag == "SPDXID":
            if element is None or self.in_license:
                self.doc_ref = self.doc_ref or value
            elif element.ref:
                self.problems.add(f"line {line}: second SPDXID for one element")
            else:
                element.ref = value
        elif tag == "SPDXVersion":
            self.version_raw = value if self.version_raw is None else self.version_raw
        elif tag == "DocumentName":
            self.doc_name = self.doc_name or value
        elif tag == "Creator":
            add_creator(self.doc, value, f"line:{line}")
        elif tag in ("CreatorComment", "DocumentComment"):
            self.doc.add(FieldKind.TEXT, value, f"line:{line}")
        elif tag == "LicenseID":
            self.current, self.in_license = None, True
        elif tag in _LICENSE:
            self.doc.add(FieldKind.LICENSE, value, f"line:{line}")
        elif tag == "Relationship":
            self.relationships.append((value, line))
        elif element is not None and tag in _RULES[element.kind]:
            if tag in _NAME_TAGS:
                element.name = value
            elif tag == "PackageVersion":
                element.version = value
            self.apply(element, tag, _RULES[element.kind][tag], value, line)
        elif tag in _PACKAGE or tag in _FILE or tag in _SNIPPET:
            if element is not None:
                where = f"a {element.kind.value}"
            else:
                where = "a licence block" if self.in_license else "the document header"
            self.problems.add(f"line {line}: {tag} found in {where}; ignored")
        elif tag not in _IGNORED:
            self.problems.add(f"line {line}: unknown tag {short(tag)}")

    def components(self, budget: Budget) -> list[Component]:
        doc_ref = self.doc_ref or DOCUMENT_REF
        result = [
            self.doc.build(
                ref=doc_ref,
                kind=ComponentKind.DOCUMENT,
                name=self.doc_name,
                version="",
                pointer="",
                line=1,
            )
        ]
        for element in self.elements:
            if not element.ref:
                self.problems.add(f"line {element.line}: {element.kind.value} has no SPDXID")
                element.ref = f"line:{element.line}"
            if element.kind is not ComponentKind.SNIPPET and not element.name:
                self.problems.add(f"line {element.line}: {element.kind.value} has no name")
            component = element.facts.build(
                ref=element.ref,
                kind=element.kind,
                name=element.name,
                version=element.version,
                pointer=f"line:{element.line}",
                line=element.line,
            )
            if not budget.spend(component):
                self.problems.add("the document is too large; reading stopped")
                break
            result.append(component)
        return result

    def graph(self, doc_ref: str) -> Graph:
        graph = Graph()
        for value, line in self.relationships:
            parts = value.split()
            if len(parts) != 3:
                self.problems.add(f"line {line}: Relationship is not 'ELEMENT TYPE ELEMENT'")
                continue
            edge = relationship_edge(*parts)
            if edge is not None:
                parent, child, describes = edge
                graph.add_edge(parent, child)
                if describes and parent == doc_ref:
                    graph.add_root(child)
        for element in self.elements:
            container = element.container
            if container is not None and is_assertion(container.ref):
                graph.add_edge(container.ref, element.ref)
        return graph


@guarded("SPDX tag-value")
def read(path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
    """Read an SPDX 2 tag-value document."""
    return _read(path, data, fmt)


def _read(path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
    problems = Problems()
    text = decode_text(data, problems)
    if spdx2.YAML_VERSION.search(text) and not spdx2.TAG_VALUE_VERSION.search(text):
        # SPDX YAML shares tag names such as "SPDXID:"; read it as what it is.
        doc = spdx2.read(path, data, SbomFormat.SPDX_YAML)
        note = "the content is SPDX YAML, not tag-value; it was read as YAML"
        return dataclasses.replace(doc, problems=(note, *doc.problems))
    entries = _entries(text, problems)
    if not any(tag in _KNOWN for tag, _, _ in entries):
        raise UnreadableInput("no SPDX 'Tag: value' lines found")
    reader = _TagValueReader(problems)
    for tag, value, line in entries:
        reader.entry(tag, value, line)
    version = spec_version(reader.version_raw, problems)
    if not reader.doc_name:
        problems.add("DocumentName is missing")
    components = reader.components(Budget(len(data)))
    graph = reader.graph(components[0].ref)
    return SbomDocument(
        path=path,
        format=fmt,
        spec_version=version,
        components=tuple(components),
        edges=tuple(graph.edges),
        roots=tuple(graph.roots),
        problems=problems.result(),
        name=reader.doc_name,
    )
