"""SPDX 3.0 JSON-LD reader.

Accepts ``{"@context", "@graph": [...]}``, a bare list of elements or one element object, and
the key spellings of late drafts (``Package`` for ``software_Package``, ``@id`` for ``spdxId``).
Agent references (``suppliedBy``, ``originatedBy``, ``createdBy`` ...) are resolved to names.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import Any

import orjson

from auditor.errors import UnreadableInput
from auditor.ingest import jsondecode
from auditor.ingest.interface import guarded
from auditor.ingest.records import FactList
from auditor.ingest.spdx2 import Graph, Problems, decode_text, looks_like_url, one_line, short
from auditor.models import Component, ComponentKind, FieldKind, SbomDocument, SbomFormat

_AGENTS = frozenset({"Agent", "Person", "Organization", "SoftwareAgent", "Tool"})
_COLLECTIONS = frozenset({"SpdxDocument", "Sbom", "Bom", "Bundle"})
_RELATIONSHIPS = frozenset({"Relationship", "LifecycleScopedRelationship"})
_FORWARD = frozenset(
    {"contains", "dependson", "hasstaticlink", "hasdynamiclink", "describes", "hasprerequisite"}
)
_REVERSED = frozenset({"containedby", "dependencyof", "describedby", "prerequisitefor"})
_PLACEHOLDERS = frozenset({"noneelement", "noassertionelement", "none", "noassertion"})
_CONTEXT_VERSION = re.compile(r"/rdf/(3\.\d+(?:\.\d+)?)/")
_CORE_FIELDS = (
    ("summary", FieldKind.DESCRIPTION),
    ("description", FieldKind.DESCRIPTION),
    ("comment", FieldKind.TEXT),
)
_SOFTWARE_FIELDS = (
    ("copyrightText", FieldKind.COPYRIGHT),
    ("downloadLocation", FieldKind.URL),
    ("homePage", FieldKind.URL),
    ("sourceInfo", FieldKind.TEXT),
    ("packageUrl", FieldKind.PURL),
)


def local_type(element: dict[str, Any]) -> str:
    """``Package`` for ``software_Package``, ``spdx:software_Package`` or a type IRI."""
    raw = element.get("type", element.get("@type"))
    if isinstance(raw, list):
        raw = next((item for item in raw if isinstance(item, str)), None)
    if not isinstance(raw, str):
        return ""
    name = re.split(r"[/#:]", raw.strip())[-1]
    return name.split("_", 1)[1] if "_" in name else name


def artifact_kind(type_name: str) -> ComponentKind | None:
    """The record kind for an SPDX 3 element type, or None when it is not a software artifact."""
    if type_name.endswith("Package"):
        return ComponentKind.PACKAGE
    if type_name == "File":
        return ComponentKind.FILE
    if type_name == "Snippet":
        return ComponentKind.SNIPPET
    if type_name in ("SoftwareArtifact", "Artifact"):
        return ComponentKind.COMPONENT
    return None


def element_id(element: dict[str, Any]) -> str:
    """``spdxId`` (or ``@id`` / ``id``) of an element; empty when it has none."""
    for key in ("spdxId", "@id", "id"):
        value = element.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _listed(value: object) -> list[object]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _placeholder(ref: str) -> bool:
    return not ref or re.split(r"[/#:]", ref)[-1].lower() in _PLACEHOLDERS


class _Spdx3Reader:
    def __init__(self, elements: list[tuple[str, object]], problems: Problems) -> None:
        self.problems = problems
        self.elements: list[tuple[str, dict[str, Any]]] = []
        self.by_id: dict[str, tuple[str, dict[str, Any]]] = {}
        for pointer, element in elements:
            if not isinstance(element, dict):
                problems.repeated("graph entry is not an object", pointer)
                continue
            self.add(pointer, element)
            for key in ("element", "rootElement"):  # elements embedded one level deep
                for index, inner in enumerate(_listed(element.get(key))):
                    if isinstance(inner, dict) and local_type(inner):
                        self.add(f"{pointer}/{key}/{index}", inner)

    def add(self, pointer: str, element: dict[str, Any]) -> None:
        """Index one element (the first with an id wins)."""
        ident = element_id(element)
        if ident in self.by_id:
            return  # the same element written twice: keep the first
        self.elements.append((pointer, element))
        if ident:
            self.by_id[ident] = (pointer, element)

    # -- values ------------------------------------------------------------------------

    @staticmethod
    def key(element: dict[str, Any], name: str, profile: str = "software") -> str:
        """The key used for property ``name``: ``software_name`` or the unprefixed draft form."""
        prefixed = f"{profile}_{name}"
        return prefixed if prefixed in element or name not in element else name

    def agents(self, facts: FactList, field: FieldKind, value: object, where: str) -> None:
        """Facts for agent references, resolved to the agent's name (raw id if unknown)."""
        for index, item in enumerate(_listed(value)):
            at = f"{where}/{index}" if isinstance(value, list) else where
            agent: dict[str, Any] | None = None
            if isinstance(item, dict):
                agent = item
            elif isinstance(item, str) and item.strip() in self.by_id:
                agent = self.by_id[item.strip()][1]
            if agent is None:
                facts.add(field, item, at)
                continue
            facts.add(field, agent.get("name"), at)
            for ext in _listed(agent.get("externalIdentifier")):
                if isinstance(ext, dict) and str(ext.get("externalIdentifierType")) == "email":
                    facts.add(FieldKind.EMAIL, ext.get("identifier"), at)

    def resolve(self, value: object) -> tuple[str, dict[str, Any]] | None:
        """A referenced object: inline, or looked up by id."""
        if isinstance(value, dict):
            return "", value
        if isinstance(value, str):
            return self.by_id.get(value.strip())
        return None

    # -- records -----------------------------------------------------------------------

    def artifact(self, pointer: str, element: dict[str, Any], kind: ComponentKind) -> Component:
        facts = FactList()
        ref = element_id(element)
        if not ref:
            self.problems.repeated("software element has no spdxId", pointer or "/")
            ref = pointer or "/"
        name = element.get("name")
        if not isinstance(name, str) or not name.strip():
            self.problems.repeated("software element has no name", pointer or "/")
        name_field = FieldKind.FILENAME if kind is ComponentKind.FILE else FieldKind.NAME
        facts.add(name_field, name, "/name")
        version_key = self.key(element, "packageVersion")
        version = element.get(version_key)
        facts.add(FieldKind.VERSION, version, f"/{version_key}")
        self.agents(facts, FieldKind.SUPPLIER, element.get("suppliedBy"), "/suppliedBy")
        self.agents(facts, FieldKind.ORIGINATOR, element.get("originatedBy"), "/originatedBy")
        self.agents(facts, FieldKind.PUBLISHER, element.get("publishedBy"), "/publishedBy")
        for key, field in _CORE_FIELDS:
            facts.add(field, element.get(key), f"/{key}")
        for prop, field in _SOFTWARE_FIELDS:
            key = self.key(element, prop)
            facts.add(field, element.get(key), f"/{key}")
        key = self.key(element, "attributionText")
        value = element.get(key)
        if isinstance(value, list):
            facts.add_all(FieldKind.TEXT, value, f"/{key}")
        else:
            facts.add(FieldKind.TEXT, value, f"/{key}")
        self.identifiers(facts, element, pointer)
        return facts.build(
            ref=ref,
            kind=kind,
            name=name.strip() if isinstance(name, str) else "",
            version=version.strip() if isinstance(version, str) else "",
            pointer=pointer,
        )

    def identifiers(self, facts: FactList, element: dict[str, Any], pointer: str) -> None:
        for index, ext in self.objects(element, "externalIdentifier", pointer):
            kind = str(ext.get("externalIdentifierType", "")).lower().replace("_", "")
            field = {
                "purl": FieldKind.PURL,
                "packageurl": FieldKind.PURL,
                "cpe22": FieldKind.CPE,
                "cpe23": FieldKind.CPE,
                "swid": FieldKind.SWID,
                "email": FieldKind.EMAIL,
            }.get(kind, FieldKind.TEXT)
            facts.add(field, ext.get("identifier"), f"/externalIdentifier/{index}/identifier")
        for index, ext in self.objects(element, "externalRef", pointer):
            locator = ext.get("locator")
            for item_index, item in enumerate(_listed(locator)):
                where = f"/externalRef/{index}/locator"
                where += f"/{item_index}" if isinstance(locator, list) else ""
                if isinstance(item, str):
                    field = FieldKind.URL if looks_like_url(item) else FieldKind.TEXT
                    facts.add(field, item, where)
        for index, check in self.objects(element, "verifiedUsing", pointer):
            algorithm, digest = check.get("algorithm"), check.get("hashValue")
            if isinstance(algorithm, str) and isinstance(digest, str):
                facts.add_hash(algorithm, digest, f"/verifiedUsing/{index}")

    def objects(
        self, element: dict[str, Any], key: str, pointer: str
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        value = element.get(key)
        if value is not None and not isinstance(value, list):
            self.problems.repeated(f"{key} should be a list", pointer or "/")
        for index, item in enumerate(_listed(value)):
            if isinstance(item, dict):
                yield index, item
            else:
                self.problems.repeated(f"{key} entry should be an object", f"{pointer}/{key}")

    def document(self) -> tuple[Component, str]:
        """The DOCUMENT record (pointer ``""``; fact locations are absolute) and its name."""
        facts = FactList()
        docs = [(p, e) for p, e in self.elements if local_type(e) == "SpdxDocument"]
        if not docs:
            self.problems.add("no SpdxDocument element")
        elif len(docs) > 1:
            self.problems.add("more than one SpdxDocument; the first is used")
        ref, name = "", ""
        info: tuple[str, dict[str, Any]] | None = None
        if docs:
            pointer, doc = docs[0]
            ref = element_id(doc)
            raw_name = doc.get("name")
            name = raw_name.strip() if isinstance(raw_name, str) else ""
            facts.add(FieldKind.TEXT, doc.get("comment"), f"{pointer}/comment")
            info = self.resolve(doc.get("creationInfo"))
            if info is not None and not info[0]:
                info = (f"{pointer}/creationInfo", info[1])
        if info is None:
            info = next(((p, e) for p, e in self.elements if local_type(e) == "CreationInfo"), None)
        if info is not None:
            where, creation = info
            for key, field in (("createdBy", FieldKind.AUTHOR), ("createdUsing", FieldKind.TEXT)):
                self.agents(facts, field, creation.get(key), f"{where}/{key}")
            facts.add(FieldKind.TEXT, creation.get("comment"), f"{where}/comment")
        for pointer, element in self.elements:
            if local_type(element) == "CustomLicense":
                for key in ("name", "simplelicensing_licenseText", "licenseText"):
                    facts.add(FieldKind.LICENSE, element.get(key), f"{pointer}/{key}")
        component = facts.build(
            ref=ref or "SpdxDocument",
            kind=ComponentKind.DOCUMENT,
            name=name,
            version="",
            pointer="",
        )
        return component, name

    def spec_version(self, context: object) -> str:
        """``specVersion`` of the first creation info, else the version in ``@context``."""
        infos = [e for _, e in self.elements]
        infos += [e["creationInfo"] for e in infos if isinstance(e.get("creationInfo"), dict)]
        for element in infos:
            if local_type(element) == "CreationInfo" or "specVersion" in element:
                version = element.get("specVersion")
                if isinstance(version, str) and version.strip():
                    if not version.strip().startswith("3."):
                        self.problems.add(f"unexpected specVersion {short(version)}")
                    return version.strip()
        match = _CONTEXT_VERSION.search(str(context)[:1000])
        if match:
            return match.group(1)
        self.problems.add("no specVersion found")
        return "3.0"

    def graph(self, doc_ref: str) -> tuple[Graph, list[str]]:
        """The kept relationship edges, and what the document ``describes``."""
        graph, described = Graph(), []
        for pointer, element in self.elements:
            if local_type(element) not in _RELATIONSHIPS:
                continue
            rel_type = element.get("relationshipType")
            source = element.get("from")
            source_ref = element_id(source) if isinstance(source, dict) else source
            if not isinstance(rel_type, str) or not isinstance(source_ref, str):
                self.problems.repeated("relationship lacks from or relationshipType", pointer)
                continue
            kind = re.split(r"[/#:]", rel_type)[-1].replace("_", "").lower()
            if kind not in _FORWARD and kind not in _REVERSED:
                continue
            for target in _listed(element.get("to")):
                target_ref = element_id(target) if isinstance(target, dict) else target
                if not isinstance(target_ref, str) or _placeholder(target_ref.strip()):
                    continue
                if _placeholder(source_ref.strip()):
                    break
                parent, child = source_ref.strip(), target_ref.strip()
                if kind in _REVERSED:
                    parent, child = child, parent
                graph.add_edge(parent, child)
                if kind in ("describes", "describedby") and parent == doc_ref:
                    described.append(child)
        return graph, described

    def root_elements(self) -> list[str]:
        """``rootElement`` of the SpdxDocument, looking through Sbom/Bundle collections."""
        docs = [e for _, e in self.elements if local_type(e) == "SpdxDocument"]
        pending = list(reversed(_listed(docs[0].get("rootElement")))) if docs else []
        seen: set[str] = set()
        found: list[str] = []
        while pending:
            item = pending.pop()
            ref = element_id(item) if isinstance(item, dict) else item
            if not isinstance(ref, str) or _placeholder(ref.strip()) or ref.strip() in seen:
                continue
            ref = ref.strip()
            seen.add(ref)
            target = self.by_id.get(ref)
            if target is not None and local_type(target[1]) in _COLLECTIONS:
                pending.extend(reversed(_listed(target[1].get("rootElement"))))
            else:
                found.append(ref)
        return found


def _elements(doc: object, problems: Problems) -> tuple[list[tuple[str, object]], object]:
    """Graph entries with their JSON pointers, and the ``@context``."""
    if isinstance(doc, list):
        return [(f"/{i}", item) for i, item in enumerate(doc)], None
    if not isinstance(doc, dict):
        raise UnreadableInput(f"SPDX 3 JSON-LD top level is a {type(doc).__name__}")
    context = doc.get("@context")
    if "@graph" in doc:
        graph = doc["@graph"]
        if isinstance(graph, dict):
            problems.add("@graph should be a list")
            return [("/@graph", graph)], context
        if not isinstance(graph, list):
            raise UnreadableInput(f"SPDX 3 @graph is a {type(graph).__name__}, not a list")
        return [(f"/@graph/{i}", item) for i, item in enumerate(graph)], context
    if context is None:
        problems.add("no @context")
    return [("", doc)], context


@guarded("SPDX 3")
def read(path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
    """Read an SPDX 3 JSON-LD document."""
    return _read(path, data, fmt)


def _read(path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
    problems = Problems()
    utf8 = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        decoded = jsondecode.decode(utf8, lambda: decode_text(data, problems))
    except orjson.JSONDecodeError as exc:
        raise UnreadableInput(f"invalid JSON: {one_line(str(exc))}") from None
    doc = decoded.value
    entries, context = _elements(doc, problems)
    reader = _Spdx3Reader(entries, problems)
    document, name = reader.document()
    components = [document]
    for pointer, element in reader.elements:
        type_name = local_type(element)
        if not type_name:
            problems.repeated("element has no type", pointer or "/")
            continue
        kind = artifact_kind(type_name)
        if kind is not None:
            components.append(reader.artifact(pointer, element, kind))
    graph, described = reader.graph(document.ref)
    for root in [*reader.root_elements(), *described]:
        graph.add_root(root)
    return SbomDocument(
        path=path,
        format=fmt,
        spec_version=reader.spec_version(context),
        components=tuple(components),
        edges=tuple(graph.edges),
        roots=tuple(graph.roots),
        problems=problems.result(),
        name=name,
        duplicate_keys=decoded.duplicate_keys,
    )
