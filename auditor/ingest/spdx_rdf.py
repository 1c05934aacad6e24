"""Lenient reader for SPDX 2.x RDF/XML documents.

Packages, files and snippets are collected wherever they appear in the tree (RDF nests them in
relationships) and merged by ``rdf:about``, so each yields exactly one record. Relationships hang
off the element that contains them.
"""

from __future__ import annotations

from typing import Any

from auditor.ingest.interface import guarded
from auditor.ingest.records import FactList
from auditor.ingest.spdx2 import (
    DOCUMENT_REF,
    Budget,
    Graph,
    Problems,
    add_creator,
    add_external_ref,
    relationship_edge,
    spec_version,
)
from auditor.ingest.xmlsafe import local as local_name
from auditor.ingest.xmlsafe import parse_xml, source_line
from auditor.models import Component, ComponentKind, FieldKind, SbomDocument, SbomFormat

SPDX = "http://spdx.org/rdf/terms#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DOAP = "http://usefulinc.com/ns/doap#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_ABOUT, _RESOURCE = f"{{{RDF}}}about", f"{{{RDF}}}resource"
_NODE_ID, _RDF_ID = f"{{{RDF}}}nodeID", f"{{{RDF}}}ID"
_DESCRIPTION, _TYPE = f"{{{RDF}}}Description", f"{{{RDF}}}type"

_KINDS = {
    f"{{{SPDX}}}Package": ComponentKind.PACKAGE,
    f"{{{SPDX}}}File": ComponentKind.FILE,
    f"{{{SPDX}}}Snippet": ComponentKind.SNIPPET,
    f"{{{SPDX}}}SpdxDocument": ComponentKind.DOCUMENT,
}
_MAX_LICENSE_DEPTH = 8

# Property element -> (field, mode): a plain value, an actor, checksum, external ref or licence.
_VALUE, _ACTOR, _HASH, _EXTREF, _LICENSE = "value", "actor", "hash", "ref", "licence"
_Rule = tuple[FieldKind, str]
_PACKAGE: dict[str, _Rule] = {
    f"{{{SPDX}}}name": (FieldKind.NAME, _VALUE),
    f"{{{SPDX}}}versionInfo": (FieldKind.VERSION, _VALUE),
    f"{{{SPDX}}}supplier": (FieldKind.SUPPLIER, _ACTOR),
    f"{{{SPDX}}}originator": (FieldKind.ORIGINATOR, _ACTOR),
    f"{{{SPDX}}}downloadLocation": (FieldKind.URL, _VALUE),
    f"{{{DOAP}}}homepage": (FieldKind.URL, _VALUE),
    f"{{{SPDX}}}copyrightText": (FieldKind.COPYRIGHT, _VALUE),
    f"{{{SPDX}}}summary": (FieldKind.DESCRIPTION, _VALUE),
    f"{{{SPDX}}}description": (FieldKind.DESCRIPTION, _VALUE),
    f"{{{RDFS}}}comment": (FieldKind.TEXT, _VALUE),
    f"{{{SPDX}}}attributionText": (FieldKind.TEXT, _VALUE),
    f"{{{SPDX}}}sourceInfo": (FieldKind.TEXT, _VALUE),
    f"{{{SPDX}}}packageFileName": (FieldKind.FILENAME, _VALUE),
    f"{{{SPDX}}}checksum": (FieldKind.HASH, _HASH),
    f"{{{SPDX}}}externalRef": (FieldKind.URL, _EXTREF),
    f"{{{SPDX}}}licenseConcluded": (FieldKind.LICENSE, _LICENSE),
    f"{{{SPDX}}}licenseDeclared": (FieldKind.LICENSE, _LICENSE),
    f"{{{SPDX}}}licenseComments": (FieldKind.LICENSE, _VALUE),
}
_FILE: dict[str, _Rule] = {
    f"{{{SPDX}}}fileName": (FieldKind.FILENAME, _VALUE),
    f"{{{SPDX}}}checksum": (FieldKind.HASH, _HASH),
    f"{{{SPDX}}}copyrightText": (FieldKind.COPYRIGHT, _VALUE),
    f"{{{SPDX}}}noticeText": (FieldKind.TEXT, _VALUE),
    f"{{{SPDX}}}fileContributor": (FieldKind.AUTHOR, _VALUE),
    f"{{{RDFS}}}comment": (FieldKind.TEXT, _VALUE),
    f"{{{SPDX}}}licenseComments": (FieldKind.LICENSE, _VALUE),
    f"{{{SPDX}}}attributionText": (FieldKind.TEXT, _VALUE),
}
_SNIPPET: dict[str, _Rule] = {
    f"{{{SPDX}}}name": (FieldKind.NAME, _VALUE),
    f"{{{SPDX}}}copyrightText": (FieldKind.COPYRIGHT, _VALUE),
    f"{{{RDFS}}}comment": (FieldKind.TEXT, _VALUE),
    f"{{{SPDX}}}attributionText": (FieldKind.TEXT, _VALUE),
}
_RULES = {
    ComponentKind.PACKAGE: _PACKAGE,
    ComponentKind.FILE: _FILE,
    ComponentKind.SNIPPET: _SNIPPET,
}
_NAME_TAG = {
    ComponentKind.PACKAGE: f"{{{SPDX}}}name",
    ComponentKind.FILE: f"{{{SPDX}}}fileName",
    ComponentKind.SNIPPET: f"{{{SPDX}}}name",
}


def _children(element: Any) -> list[Any]:
    return [child for child in element if isinstance(child.tag, str)]


def _node_kind(element: Any) -> ComponentKind | None:
    """The SPDX element class of a typed node or an ``rdf:Description`` with ``rdf:type``."""
    kind = _KINDS.get(element.tag)
    if kind is not None or element.tag != _DESCRIPTION:
        return kind
    for child in element:
        resource = str(child.get(_RESOURCE) or "") if child.tag == _TYPE else ""
        if resource.startswith(SPDX):
            kind = _KINDS.get(f"{{{SPDX}}}{resource[len(SPDX) :]}")
            if kind is not None:
                return kind
    return None


def _target(prop: Any) -> str:
    """The node a property points at: its ``rdf:resource`` or its nested node's identity."""
    value = _value(prop)
    if value:
        return value
    nested = _children(prop)
    return _identity(nested[0]) if nested else ""


def _identity(element: Any) -> str:
    """``rdf:about``, ``_:nodeID`` or ``#ID`` of a node; empty when it has none."""
    about = element.get(_ABOUT)
    if about:
        return str(about).strip()
    node_id = element.get(_NODE_ID)
    if node_id:
        return f"_:{node_id}"
    rdf_id = element.get(_RDF_ID)
    return f"#{rdf_id}" if rdf_id else ""


def _resource(uri: str) -> str:
    """SPDX vocabulary individuals as their tag-value spelling (``#noassertion`` -> NOASSERTION)."""
    if uri.startswith(SPDX):
        tail = uri[len(SPDX) :]
        return {"noassertion": "NOASSERTION", "none": "NONE"}.get(tail.lower(), tail)
    return uri


def _value(element: Any) -> str:
    """A property's value: its ``rdf:resource`` or its text."""
    resource = element.get(_RESOURCE)
    if resource:
        return _resource(str(resource))
    return (element.text or "").strip()


def _where(node: Any) -> str:
    """A fact location: the source line of the XML element it came from."""
    line = source_line(node)
    return f"line:{line}" if line else ""


def _tail(uri: str) -> str:
    return uri.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _license(prop: Any, depth: int = 0) -> str:
    """A licence property (resource, nested licence or licence set) as an SPDX expression."""
    resource = prop.get(_RESOURCE)
    if resource:
        value = _resource(str(resource))
        return value if value in ("NOASSERTION", "NONE") else _tail(value)
    nodes = _children(prop)
    if not nodes:
        return (prop.text or "").strip()
    return _license_node(nodes[0], depth)


def _license_node(node: Any, depth: int) -> str:
    name = local_name(node.tag)
    if depth >= _MAX_LICENSE_DEPTH:
        return ""
    members = [m for m in _children(node) if local_name(m.tag) == "member"]
    if name in ("ConjunctiveLicenseSet", "DisjunctiveLicenseSet"):
        operator = " AND " if name.startswith("Conj") else " OR "
        parts = [part for part in (_license(m, depth + 1) for m in members) if part]
        return f"({operator.join(parts)})" if len(parts) > 1 else "".join(parts)
    if name == "OrLaterOperator" and members:
        return _license(members[0], depth + 1) + "+"
    if name == "WithExceptionOperator" and members:
        exception = ""
        for child in node.iter(f"{{{SPDX}}}licenseExceptionId"):
            exception = (child.text or "").strip()
            break
        return f"{_license(members[0], depth + 1)} WITH {exception}".strip()
    for child in node:
        if child.tag == f"{{{SPDX}}}licenseId":
            return (child.text or "").strip()
    identity = _identity(node)
    return _resource(identity) if identity.startswith(SPDX) else _tail(identity)


class _Element:
    """One SPDX element, possibly described by several XML nodes."""

    __slots__ = ("facts", "key", "kind", "line", "name", "nodes", "ref", "version")

    def __init__(self, key: str, kind: ComponentKind, ref: str) -> None:
        self.key, self.kind, self.ref = key, kind, ref
        self.nodes: list[Any] = []
        self.facts = FactList()
        self.line: int | None = None
        self.name = ""
        self.version = ""


class _RdfReader:
    def __init__(self, root: Any, problems: Problems) -> None:
        self.root = root
        self.problems = problems
        self.external: dict[str, str] = {}
        for ext in root.iter(f"{{{SPDX}}}ExternalDocumentRef"):
            ext_id, uri = "", ""
            for child in ext:
                if child.tag == f"{{{SPDX}}}externalDocumentId":
                    ext_id = _value(child)
                elif child.tag == f"{{{SPDX}}}spdxDocument":
                    uri = _target(child)
            if ext_id and uri:
                self.external[uri.rstrip("#")] = ext_id

    def ref(self, identity: str) -> str:
        """``SPDXRef-X`` for ``<namespace>#SPDXRef-X``; ``DocumentRef-D:SPDXRef-X`` if external."""
        if "#" not in identity:
            return identity
        base, fragment = identity.rsplit("#", 1)
        if base in self.external:
            return f"{self.external[base]}:{fragment}"
        return fragment if fragment else identity

    def collect(self) -> list[_Element]:
        """Every SPDX element, once, in order of first appearance."""
        found: dict[str, _Element] = {}
        for node in self.root.iter():
            if not isinstance(node.tag, str):
                continue
            kind = _node_kind(node)
            if kind is None:
                continue
            identity = _identity(node)
            if not identity:
                self.problems.add(
                    f"line {source_line(node)}: spdx:{local_name(node.tag)} has no rdf:about"
                )
                identity = f"line:{source_line(node)}"
            element = found.get(identity)
            if element is None:
                ref = identity if identity.startswith("line:") else self.ref(identity)
                element = found[identity] = _Element(identity, kind, ref)
            elif element.kind is not kind:
                self.problems.add(f"line {source_line(node)}: {element.ref} has two types")
                continue
            element.nodes.append(node)
        for element in found.values():
            defining = [node for node in element.nodes if len(_children(node))]
            element.line = source_line((defining or element.nodes)[0])
        return list(found.values())

    def fill(self, element: _Element) -> None:
        rules = _RULES[element.kind]
        name_tag = _NAME_TAG[element.kind]
        for node in element.nodes:
            for prop in _children(node):
                rule = rules.get(prop.tag)
                if rule is None:
                    continue
                field, mode = rule
                facts = element.facts
                if prop.tag == name_tag and not element.name:
                    element.name = _value(prop)
                elif prop.tag == f"{{{SPDX}}}versionInfo" and not element.version:
                    element.version = _value(prop)
                if mode == _VALUE:
                    facts.add(field, _value(prop), _where(prop))
                elif mode == _ACTOR:
                    facts.add_actor(field, _value(prop), _where(prop))
                elif mode == _LICENSE:
                    facts.add(field, _license(prop), _where(prop))
                elif mode == _HASH:
                    self.checksum(element, prop)
                else:
                    self.external_ref(element, prop)

    def checksum(self, element: _Element, prop: Any) -> None:
        algorithm, digest, where = "", "", _where(prop)
        for node in prop.iter(f"{{{SPDX}}}algorithm", f"{{{SPDX}}}checksumValue"):
            if node.tag.endswith("algorithm"):
                raw = _value(node)
                algorithm = raw.rsplit("checksumAlgorithm_", 1)[-1] if raw else ""
            else:
                digest, where = _value(node), _where(node)
        if algorithm and digest:
            element.facts.add_hash(algorithm, digest, where)
        else:
            self.problems.add(f"line {source_line(prop)}: checksum lacks algorithm or value")

    def external_ref(self, element: _Element, prop: Any) -> None:
        ref_type, locator, where = "", "", _where(prop)
        for node in prop.iter(f"{{{SPDX}}}referenceType", f"{{{SPDX}}}referenceLocator"):
            if node.tag.endswith("referenceType"):
                ref_type = _target(node)
            else:
                locator, where = _value(node), _where(node)
        add_external_ref(element.facts, ref_type, locator, where)

    def document(self, element: _Element | None) -> tuple[Component, str, str | None]:
        """The document record, its name and the raw specVersion."""
        facts = FactList()
        name, version_raw = "", None
        nodes = element.nodes if element else []
        for node in nodes:
            for prop in _children(node):
                tag = prop.tag
                if tag == f"{{{SPDX}}}name" and not name:
                    name = _value(prop)
                elif tag == f"{{{SPDX}}}specVersion" and version_raw is None:
                    version_raw = _value(prop)
                elif tag == f"{{{RDFS}}}comment":
                    facts.add(FieldKind.TEXT, _value(prop), _where(prop))
                elif tag == f"{{{SPDX}}}creationInfo":
                    self.creation_info(facts, prop)
        seen: set[str] = set()
        for lic in self.root.iter(f"{{{SPDX}}}ExtractedLicensingInfo"):
            key = _identity(lic) or f"line:{source_line(lic)}"
            if key in seen:
                continue
            seen.add(key)
            for prop in lic:
                if prop.tag in (f"{{{SPDX}}}extractedText", f"{{{SPDX}}}name"):
                    facts.add(FieldKind.LICENSE, _value(prop), _where(prop))
        ref = element.ref if element else DOCUMENT_REF
        line = element.line if element else None
        component = facts.build(
            ref=ref, kind=ComponentKind.DOCUMENT, name=name, version="", pointer="", line=line
        )
        return component, name, version_raw

    @staticmethod
    def creation_info(facts: FactList, prop: Any) -> None:
        for info in _children(prop) or [prop]:
            for child in info:
                if child.tag == f"{{{SPDX}}}creator":
                    add_creator(facts, _value(child), _where(child))
                elif child.tag == f"{{{RDFS}}}comment":
                    facts.add(FieldKind.TEXT, _value(child), _where(child))

    def graph(self, doc: _Element | None, elements: list[_Element]) -> Graph:
        graph = Graph()
        doc_ref = doc.ref if doc else DOCUMENT_REF
        if doc is not None:
            for node in doc.nodes:
                for prop in node.iterchildren(f"{{{SPDX}}}describesPackage"):
                    target = _target(prop)
                    if target:
                        graph.add_root(self.ref(target))
        for rel in self.root.iter(f"{{{SPDX}}}Relationship"):
            self.relationship(graph, rel, doc_ref)
        for element in elements:
            if element.kind is not ComponentKind.PACKAGE:
                continue
            for node in element.nodes:
                for prop in node.iterchildren(f"{{{SPDX}}}hasFile"):
                    target = _target(prop)
                    if target:
                        graph.add_edge(element.ref, self.ref(target))
        return graph

    def relationship(self, graph: Graph, rel: Any, doc_ref: str) -> None:
        subject, rel_type, related = "", "", ""
        for child in rel:
            tag = child.tag
            if tag == f"{{{SPDX}}}spdxElementId":
                subject = _value(child)
            elif tag == f"{{{SPDX}}}relationshipType":
                raw = _value(child)
                rel_type = raw.rsplit("relationshipType_", 1)[-1] if raw else ""
            elif tag == f"{{{SPDX}}}relatedSpdxElement":
                related = _target(child)
        if not subject:
            holder = rel.getparent()
            owner = holder.getparent() if holder is not None else None
            subject = _identity(owner) if owner is not None else ""
        if not (subject and rel_type and related):
            self.problems.add(f"line {source_line(rel)}: relationship is incomplete")
            return
        edge = relationship_edge(self.ref(subject), rel_type, self.ref(related))
        if edge is not None:
            parent, child_ref, describes = edge
            graph.add_edge(parent, child_ref)
            if describes and parent == doc_ref:
                graph.add_root(child_ref)


@guarded("SPDX RDF")
def read(path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
    """Read an SPDX 2 RDF/XML document."""
    return _read(path, data, fmt)


def _read(path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
    problems = Problems()
    root = parse_xml(data, "SPDX RDF/XML")
    if root.tag != f"{{{RDF}}}RDF":
        problems.add(f"unexpected root element <{local_name(root.tag)}> (expected rdf:RDF)")
    reader = _RdfReader(root, problems)
    elements = reader.collect()
    documents = [e for e in elements if e.kind is ComponentKind.DOCUMENT]
    if not documents:
        problems.add("no spdx:SpdxDocument element")
    elif len(documents) > 1:
        problems.add("more than one spdx:SpdxDocument; the first is used")
    doc = documents[0] if documents else None
    doc_component, name, version_raw = reader.document(doc)
    if not name:
        problems.add("the document has no name")
    components = [doc_component]
    budget = Budget(len(data))
    for element in elements:
        if element.kind is ComponentKind.DOCUMENT:
            continue
        reader.fill(element)
        component = element.facts.build(
            ref=element.ref,
            kind=element.kind,
            name=element.name,
            version=element.version,
            pointer=f"line:{element.line}",
            line=element.line,
        )
        if not budget.spend(component):
            problems.add("the document is too large; reading stopped")
            break
        components.append(component)
    graph = reader.graph(doc, elements)
    version = spec_version(version_raw, problems)
    return SbomDocument(
        path=path,
        format=fmt,
        spec_version=version,
        components=tuple(components),
        edges=tuple(graph.edges),
        roots=tuple(graph.roots),
        problems=problems.result(),
        name=name,
    )
