"""Lenient line-based reader for SPDX 2.x tag-value documents.

``Tag: value`` lines, ``<text>...</text>`` values that may span lines, ``#`` comments.
``PackageName`` starts a package, ``FileName`` a file, ``SnippetSPDXID`` a snippet and
``LicenseID`` an extracted licence; later tags belong to that element until the next starts.
Files that follow a package are contained by it (the tag-value convention).
"""

from __future__ import annotations

import dataclasses
import re

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
from auditor.models import Component, ComponentKind, Fact, FieldKind, SbomDocument, SbomFormat

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


#: Tags that ``entry`` handles before an element's own rules (never a fact of that element;
#: PackageName and FileName start an element, then count as its facts too).
_HANDLED_FIRST = frozenset({"SnippetSPDXID", *_DOCUMENT_TAGS, *_LICENSE})
#: Per element kind, the rules a deferred extraction applies.
_DEFERRED_RULES = {
    kind: {tag: rule for tag, rule in rules.items() if tag not in _HANDLED_FIRST}
    for kind, rules in _RULES.items()
}
_ALL_RULE_TAGS = frozenset({*_PACKAGE, *_FILE, *_SNIPPET})
#: Per element kind (None: no element), tags whose well-formed one-line entry changes nothing
#: but the element's facts (extracted later, if at all) or nothing at all: the common case.
_PASSIVE: dict[ComponentKind | None, frozenset[str]] = {
    kind: frozenset(
        {
            tag
            for tag, (_, mode) in _DEFERRED_RULES[kind].items()
            if mode in (_VALUE, _ACTOR) and tag not in _NAME_TAGS and tag != "PackageVersion"
        }
        | (_IGNORED - _ALL_RULE_TAGS - _HANDLED_FIRST)
    )
    - _STARTS.keys()
    for kind in _RULES
}
_PASSIVE[None] = frozenset(_IGNORED - _ALL_RULE_TAGS - _HANDLED_FIRST - _STARTS.keys())
#: Per element kind, the tags of its rules whose value is checked (checksums, external refs).
_CHECKED: dict[ComponentKind | None, dict[str, _Rule]] = {
    kind: {tag: rule for tag, rule in rules.items() if rule[1] in (_HASH, _EXTREF)}
    for kind, rules in _DEFERRED_RULES.items()
}
_CHECKED[None] = {}
#: Frequent tags that ``read`` handles itself while an element is open.
_COMMON = frozenset({"SPDXID", "PackageVersion"})
#: Tags spelled exactly so (no spaces around them) that ``entry`` knows.
_KNOWN_TAGS = frozenset(tag for tag in _KNOWN if _TAG.match(f"{tag}:"))


class _Element:
    """An element while the document is read; its facts stay in its lines until needed."""

    __slots__ = ("kind", "line", "start", "stop", "ref", "name", "version", "container")

    def __init__(self, kind: ComponentKind, index: int, container: _Element | None) -> None:
        self.kind = kind
        self.line = index + 1
        self.start = index  # the element's lines with facts are lines[start:stop]
        self.stop = index + 1
        self.ref = ""
        self.name = ""
        self.version = ""
        self.container = container


class _Closes:
    """Where the next ``</text>`` is, found lazily and each line looked at once at most (for
    queries in increasing order): an unclosed ``<text>`` runs to the first line holding one."""

    __slots__ = ("lines", "stop", "low", "found")

    def __init__(self, lines: list[str], stop: int) -> None:
        self.lines = lines
        self.stop = stop
        self.low = stop  # every line in [low, found) lacks </text>; found: -1 for none
        self.found = -1

    def after(self, index: int) -> int:
        """The first line at or after ``index`` (and before ``stop``) with ``</text>``, or -1."""
        if self.low <= index and (self.found < 0 or index <= self.found):
            return self.found
        lines = self.lines
        for current in range(index, self.stop):
            if _CLOSE in lines[current]:
                self.low, self.found = index, current
                return current
        self.low, self.found = index, -1
        return -1


def _parse_line(
    lines: list[str], index: int, closes: _Closes, problems: list[str] | None
) -> tuple[tuple[str, str, int] | None, int]:
    """The entry starting at ``lines[index]`` (None for blank, comment and bad lines) and the
    index of the line after it: a ``<text>`` value may span lines."""
    raw = lines[index]
    stripped = raw.strip()
    start = index
    index += 1
    if not stripped or stripped.startswith("#"):
        return None, index
    match = _TAG.match(raw)
    if not match:
        if problems is not None:
            problems.append(f"line {start + 1}: not a 'Tag: value' line: {short(stripped)}")
        return None, index
    tag, value = match.group(1), match.group(2)
    if value.startswith(_OPEN):
        body = value[len(_OPEN) :]
        end = body.find(_CLOSE)
        if end >= 0:
            value = body[:end]
        else:
            last = closes.after(index)
            if last < 0:
                if problems is not None:
                    problems.append(f"line {start + 1}: <text> is never closed")
                value = body
            else:
                tail = lines[last]
                parts = [body, *lines[index:last]]
                parts.append(tail[: tail.find(_CLOSE)])
                value = "\n".join(parts)
                index = last + 1
    return (tag, value.strip(), start + 1), index


def _one_line_value(rest: str) -> str:
    """The value of a ``Tag: rest`` line whose ``<text>``, if any, closes on the same line."""
    value = rest.strip()
    if value.startswith(_OPEN):
        body = value[len(_OPEN) :]
        value = body[: body.find(_CLOSE)].strip()
    return value


def _apply(facts: FactList, tag: str, rule: _Rule, value: str, line: int) -> str:
    """Turn one entry into facts; a problem with its value is returned ("" for none)."""
    kind, mode = rule
    where = f"line:{line}"
    if mode == _VALUE:
        facts.add(kind, value, where)
    elif mode == _ACTOR:
        facts.add_actor(kind, value, where)
    elif mode == _HASH:
        algorithm, sep, digest = value.partition(":")
        if sep and digest.strip():
            facts.add_hash(algorithm, digest, where)
        else:
            return f"line {line}: {tag} is not 'ALGORITHM: value'"
    else:
        parts = value.split(None, 2)
        if len(parts) == 3:
            add_external_ref(facts, parts[1], parts[2], where)
        else:
            return f"line {line}: ExternalRef is not 'CATEGORY TYPE LOCATOR'"
    return ""


def _value_problem(tag: str, rule: _Rule, value: str, line: int) -> str:
    """The problem ``_apply`` would report for this entry, without making its facts."""
    mode = rule[1]
    if mode == _HASH:
        _, sep, digest = value.partition(":")
        if not (sep and digest.strip()):
            return f"line {line}: {tag} is not 'ALGORITHM: value'"
    elif mode == _EXTREF and len(value.split(None, 2)) != 3:
        return f"line {line}: ExternalRef is not 'CATEGORY TYPE LOCATOR'"
    return ""


class _Facts:
    """An element's facts, read from its lines when the matcher asks for them (problems were
    reported when the document was read)."""

    __slots__ = ("lines", "start", "stop", "kind", "base")

    def __init__(
        self, lines: list[str], start: int, stop: int, kind: ComponentKind, base: int = 0
    ) -> None:
        self.lines = lines
        self.start = start
        self.stop = stop
        self.kind = kind
        self.base = base  # line numbers of lines[i] are base + i + 1

    def __call__(self) -> tuple[Fact, ...]:
        facts = FactList()
        rules = _DEFERRED_RULES[self.kind]
        lines, stop, base = self.lines, self.stop, self.base
        closes = _Closes(lines, stop)
        index = self.start
        while index < stop:
            entry, index = _parse_line(lines, index, closes, None)
            if entry is None:
                continue
            tag, value, line = entry
            rule = rules.get(tag)
            if rule is not None:
                _apply(facts, tag, rule, value, line + base)
        return tuple(facts.facts)

    def __reduce__(self) -> tuple[type[_Facts], tuple[list[str], int, int, ComponentKind, int]]:
        # only this element's lines travel (to a cache or another process), not the document's
        start, stop = self.start, self.stop
        return _Facts, (self.lines[start:stop], 0, stop - start, self.kind, self.base + start)


class _TagValueReader:
    """Reads every line once: the document's own facts, elements, relationships and every
    problem; an element's facts are extracted later, from its lines, if the prefilter asks."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.line_problems: list[str] = []  # reported first, as a line-by-line pass would
        self.entry_problems: list[str] = []
        self.doc = FactList()
        self.doc_ref = ""
        self.doc_name = ""
        self.version_raw: str | None = None
        self.elements: list[_Element] = []
        self.current: _Element | None = None
        self.in_license = False
        self.last_package: _Element | None = None
        self.relationships: list[tuple[str, int]] = []
        self.known = False

    def read(self) -> None:
        """Every line, in order. Well-formed one-line entries that only add facts to the
        current element are recognised by their exact tag and skipped; the rest take the
        general path (``_parse_line``, then ``entry``), which handles everything."""
        lines = self.lines
        closes = _Closes(lines, len(lines))
        relationships = self.relationships
        entry_problems = self.entry_problems
        current: _Element | None = None
        passive, checked = _PASSIVE[None], _CHECKED[None]
        last = 0  # lines[:last] hold the current element's facts
        known = False
        resume = 0
        for index, raw in enumerate(lines):
            if index < resume or not raw:  # inside a multi-line value, or blank
                continue
            tag, sep, rest = raw.partition(":")
            if sep and (_OPEN not in rest or _CLOSE in rest):  # a well-formed one-line entry
                if tag in passive:
                    last = index + 1
                    known = True
                    continue
                if tag in checked:  # current is not None: only an element's rules check
                    value = _one_line_value(rest)
                    problem = _value_problem(tag, checked[tag], value, index + 1)
                    if problem:
                        entry_problems.append(problem)
                    last = index + 1
                    known = True
                    continue
                if current is not None and tag in _COMMON:  # entry(), inlined
                    value = _one_line_value(rest)
                    if tag == "SPDXID":
                        if current.ref:
                            entry_problems.append(
                                f"line {index + 1}: second SPDXID for one element"
                            )
                        else:
                            current.ref = value
                    elif current.kind is ComponentKind.PACKAGE:  # PackageVersion
                        current.version = value
                        last = index + 1
                    else:  # PackageVersion found in a file or snippet
                        where = f"a {current.kind.value}"
                        entry_problems.append(f"line {index + 1}: {tag} found in {where}; ignored")
                    known = True
                    continue
                if tag == "Relationship":
                    value = rest.strip()
                    if value.startswith(_OPEN):
                        value = _one_line_value(rest)
                    relationships.append((value, index + 1))
                    known = True
                    continue
                if tag in _KNOWN_TAGS:
                    entry: tuple[str, str, int] | None = (tag, _one_line_value(rest), index + 1)
                    after = index + 1
                else:
                    entry, after = _parse_line(lines, index, closes, self.line_problems)
            else:
                entry, after = _parse_line(lines, index, closes, self.line_problems)
            resume = after
            if entry is None:
                continue
            tag = entry[0]
            known = known or tag in _KNOWN
            if current is not None and last > current.stop:
                current.stop = last
            self.entry(tag, entry[1], index, after)
            current = self.current
            kind = current.kind if current is not None else None
            passive, checked = _PASSIVE[kind], _CHECKED[kind]
            last = current.stop if current is not None else 0
        if current is not None and last > current.stop:
            current.stop = last
        self.known = known

    def start(self, kind: ComponentKind, index: int) -> _Element:
        container = self.last_package if kind is ComponentKind.FILE else None
        element = _Element(kind, index, container)
        if kind is ComponentKind.PACKAGE:
            self.last_package = element
        self.elements.append(element)
        self.current = element
        self.in_license = False
        return element

    def entry(self, tag: str, value: str, index: int, after: int) -> None:
        """One entry on lines[index:after], as the reader's state sees it."""
        line = index + 1
        if tag in _STARTS:
            started = self.start(_STARTS[tag], index)
            if tag == "SnippetSPDXID":
                started.ref = value
                return
        element = self.current
        if tag == "SPDXID":
            if element is None or self.in_license:
                self.doc_ref = self.doc_ref or value
            elif element.ref:
                self.entry_problems.append(f"line {line}: second SPDXID for one element")
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
            rule = _RULES[element.kind][tag]
            problem = _value_problem(tag, rule, value, line)
            if problem:
                self.entry_problems.append(problem)
            element.stop = after
        elif tag in _PACKAGE or tag in _FILE or tag in _SNIPPET:
            if element is not None:
                where = f"a {element.kind.value}"
            else:
                where = "a licence block" if self.in_license else "the document header"
            self.entry_problems.append(f"line {line}: {tag} found in {where}; ignored")
        elif tag not in _IGNORED:
            self.entry_problems.append(f"line {line}: unknown tag {short(tag)}")

    def components(self, budget: Budget, problems: Problems) -> list[Component]:
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
        lines = self.lines
        for element in self.elements:
            line = element.line
            if not element.ref:
                problems.add(f"line {line}: {element.kind.value} has no SPDXID")
                element.ref = f"line:{line}"
            if element.kind is not ComponentKind.SNIPPET and not element.name:
                problems.add(f"line {line}: {element.kind.value} has no name")
            start, stop = element.start, element.stop
            component = Component(
                element.ref,
                element.kind,
                element.name,
                element.version,
                f"line:{line}",
                (),
                line,
                None,
                _Facts(lines, start, stop, element.kind),
                "\n".join(lines[start:stop]).encode("utf-8", errors="replace"),
            )
            if not budget.spend(component):
                problems.add("the document is too large; reading stopped")
                break
            result.append(component)
        return result

    def graph(self, doc_ref: str, problems: Problems) -> Graph:
        graph = Graph()
        # relationship_edge by type, asked once per type: the parts hold no spaces, so its
        # answer for two placeholder names says how it treats any two names
        directions: dict[str, tuple[bool, bool] | None] = {}
        for value, line in self.relationships:
            parts = value.split()
            if len(parts) != 3:
                problems.add(f"line {line}: Relationship is not 'ELEMENT TYPE ELEMENT'")
                continue
            source, rel_type, target = parts
            if rel_type not in directions:
                probe = relationship_edge("a", rel_type, "b")
                directions[rel_type] = None if probe is None else (probe[0] == "b", probe[2])
            direction = directions[rel_type]
            if direction is None or not (is_assertion(source) and is_assertion(target)):
                continue
            reverse, describes = direction
            parent, child = (target, source) if reverse else (source, target)
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


def _lines(text: str) -> list[str]:
    """``text`` split at CR LF, CR and LF (``str.splitlines`` also splits at other characters)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def _read(path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
    problems = Problems()
    text = decode_text(data, problems)
    # (the substring test spares a whole-text regex scan in the common case)
    if (
        "spdxVersion" in text
        and spdx2.YAML_VERSION.search(text)
        and not spdx2.TAG_VALUE_VERSION.search(text)
    ):
        # SPDX YAML shares tag names such as "SPDXID:"; read it as what it is.
        doc = spdx2.read(path, data, SbomFormat.SPDX_YAML)
        note = "the content is SPDX YAML, not tag-value; it was read as YAML"
        return dataclasses.replace(doc, problems=(note, *doc.problems))
    reader = _TagValueReader(_lines(text))
    reader.read()
    for message in reader.line_problems:
        problems.add(message)
    if not reader.known:
        raise UnreadableInput("no SPDX 'Tag: value' lines found")
    for message in reader.entry_problems:
        problems.add(message)
    version = spec_version(reader.version_raw, problems)
    if not reader.doc_name:
        problems.add("DocumentName is missing")
    components = reader.components(Budget(len(data)), problems)
    graph = reader.graph(components[0].ref, problems)
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
