"""CycloneDX XML (spec 1.0 to 1.7, any namespace version): read leniently, keep line numbers."""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from auditor.errors import UnreadableInput
from auditor.ingest.cyclonedx_json import KNOWN_SPEC_VERSIONS, Problems
from auditor.ingest.records import FactList
from auditor.ingest.xmlsafe import Element, local, parse_xml, source_line
from auditor.models import Component, ComponentKind, Fact, FieldKind, SbomDocument, SbomFormat

_NS_VERSION = re.compile(r"cyclonedx\.org/schema/bom/(\d+\.\d+)")


def _children(node: Element, name: str) -> list[Element]:
    return [child for child in node if local(child.tag) == name]


def _child(node: Element, name: str) -> Element | None:
    for child in node:
        if local(child.tag) == name:
            return child
    return None


def _text(node: Element | None) -> str:
    if node is None:
        return ""
    if not len(node):  # a leaf (nearly every field): its text, without walking
        return (node.text or "").strip()
    return "".join(node.itertext()).strip()


def _where(node: Element) -> str:
    line = source_line(node)
    return f"line:{line}" if line else ""


def _add(facts: FactList, field: FieldKind, node: Element | None) -> None:
    if node is not None:
        facts.add(field, _text(node), _where(node))


def _organization(facts: FactList, field: FieldKind, node: Element | None) -> None:
    if node is None:
        return
    if not any(True for _ in node):
        _add(facts, field, node)
        return
    _add(facts, field, _child(node, "name"))
    for url in _children(node, "url"):
        _add(facts, FieldKind.URL, url)
    for contact in _children(node, "contact"):
        _add(facts, FieldKind.AUTHOR, _child(contact, "name"))
        _add(facts, FieldKind.EMAIL, _child(contact, "email"))


def _licenses(facts: FactList, node: Element | None) -> None:
    if node is None:
        return
    for item in node:
        name = local(item.tag)
        if name == "expression":
            _add(facts, FieldKind.LICENSE, item)
        elif name == "license":
            for part in ("id", "name", "text"):
                _add(facts, FieldKind.LICENSE, _child(item, part))
            _add(facts, FieldKind.URL, _child(item, "url"))


_EDGE_CHILDREN = ("dependency", "provides")

_IDENTITY_FIELDS = {
    "purl": FieldKind.PURL,
    "cpe": FieldKind.CPE,
    "swid": FieldKind.SWID,
    "hash": FieldKind.HASH,
}


def _index(node: Element) -> dict[str, list[Element]]:
    """A record's children by local name, built in one pass (records are read field by field)."""
    index: dict[str, list[Element]] = {}
    for child in node:
        index.setdefault(local(child.tag), []).append(child)
    return index


def _component_facts(node: Element) -> FactList:
    facts = FactList()
    index = _index(node)

    def first(name: str) -> Element | None:
        found = index.get(name)
        return found[0] if found else None

    for name, field in (
        ("name", FieldKind.NAME),
        ("group", FieldKind.GROUP),
        ("version", FieldKind.VERSION),
        ("description", FieldKind.DESCRIPTION),
        ("publisher", FieldKind.PUBLISHER),
        ("author", FieldKind.AUTHOR),
        ("copyright", FieldKind.COPYRIGHT),
        ("purl", FieldKind.PURL),
        ("cpe", FieldKind.CPE),
        ("omniborId", FieldKind.SWID),
        ("swhid", FieldKind.SWID),
    ):
        for child in index.get(name, []):
            _add(facts, field, child)
    _organization(facts, FieldKind.SUPPLIER, first("supplier"))
    _organization(facts, FieldKind.MANUFACTURER, first("manufacturer"))
    _organization(facts, FieldKind.PROVIDER, first("provider"))
    authors = first("authors")
    if authors is not None:
        for author in _children(authors, "author"):
            _add(facts, FieldKind.AUTHOR, _child(author, "name"))
            _add(facts, FieldKind.EMAIL, _child(author, "email"))
    hashes = first("hashes")
    if hashes is not None:
        for item in _children(hashes, "hash"):
            facts.add_hash(item.get("alg"), _text(item), _where(item))
    _licenses(facts, first("licenses"))
    swid = first("swid")
    if swid is not None:
        facts.add(FieldKind.SWID, swid.get("tagId"), _where(swid))
        facts.add(FieldKind.TEXT, swid.get("name"), _where(swid))
        _add(facts, FieldKind.URL, _child(swid, "url"))
    refs = first("externalReferences")
    if refs is not None:
        for ref in _children(refs, "reference"):
            _add(facts, FieldKind.URL, _child(ref, "url"))
            _add(facts, FieldKind.TEXT, _child(ref, "comment"))
            ref_hashes = _child(ref, "hashes")
            if ref_hashes is not None:
                for item in _children(ref_hashes, "hash"):
                    facts.add_hash(item.get("alg"), _text(item), _where(item))
    props = first("properties")
    if props is not None:
        for prop in _children(props, "property"):
            key = prop.get("name") or ""
            value = _text(prop)
            facts.add(FieldKind.PROPERTY, f"{key}={value}" if key else value, _where(prop))
    endpoints = first("endpoints")
    if endpoints is not None:
        for endpoint in _children(endpoints, "endpoint"):
            _add(facts, FieldKind.ENDPOINT, endpoint)
    evidence = first("evidence")
    if evidence is not None:
        for identity in _children(evidence, "identity"):
            identity_field = _text(_child(identity, "field"))
            kind = _IDENTITY_FIELDS.get(identity_field, FieldKind.EVIDENCE)
            _add(facts, kind, _child(identity, "concludedValue"))
            methods = _child(identity, "methods")
            if methods is not None:
                for method in _children(methods, "method"):
                    _add(facts, FieldKind.EVIDENCE, _child(method, "value"))
        copyright_node = _child(evidence, "copyright")
        if copyright_node is not None:
            for item in _children(copyright_node, "text"):
                _add(facts, FieldKind.COPYRIGHT, item)
        occurrences = _child(evidence, "occurrences")
        if occurrences is not None:
            for item in _children(occurrences, "occurrence"):
                _add(facts, FieldKind.FILENAME, _child(item, "location"))
        _licenses(facts, _child(evidence, "licenses"))
    crypto = first("cryptoProperties")
    cert = _child(crypto, "certificateProperties") if crypto is not None else None
    if cert is not None:
        _add(facts, FieldKind.CERT_SUBJECT, _child(cert, "subjectName"))
        _add(facts, FieldKind.CERT_ISSUER, _child(cert, "issuerName"))
        _add(facts, FieldKind.CERT_SERIAL, _child(cert, "serialNumber"))
        fingerprint = _child(cert, "fingerprint")
        if fingerprint is not None:
            facts.add_hash(fingerprint.get("alg"), _text(fingerprint), _where(fingerprint))
    pedigree = first("pedigree")
    if pedigree is not None:
        for relation in ("ancestors", "descendants", "variants"):
            group = _child(pedigree, relation)
            if group is None:
                continue
            for item in _children(group, "component"):
                _add(facts, FieldKind.TEXT, _child(item, "name"))
                _add(facts, FieldKind.PURL, _child(item, "purl"))
                _add(facts, FieldKind.CPE, _child(item, "cpe"))
                _organization(facts, FieldKind.SUPPLIER, _child(item, "supplier"))
                _add(facts, FieldKind.AUTHOR, _child(item, "author"))
                _add(facts, FieldKind.PUBLISHER, _child(item, "publisher"))
                _add(facts, FieldKind.COPYRIGHT, _child(item, "copyright"))
        _add(facts, FieldKind.TEXT, _child(pedigree, "notes"))
    return facts


class _Facts:
    """A record's facts, extracted from its element when first asked for (picklable: pickling
    extracts them, since a parsed tree cannot travel to a cache or another process)."""

    __slots__ = ("node",)

    def __init__(self, node: Element) -> None:
        self.node = node

    def __call__(self) -> tuple[Fact, ...]:
        return tuple(_component_facts(self.node).facts)

    def __reduce__(self) -> tuple[type[_Extracted], tuple[tuple[Fact, ...]]]:
        return _Extracted, (self(),)


class _Extracted:
    """Facts already extracted (what a pickled :class:`_Facts` becomes)."""

    __slots__ = ("facts",)

    def __init__(self, facts: tuple[Fact, ...]) -> None:
        self.facts = facts

    def __call__(self) -> tuple[Fact, ...]:
        return self.facts

    def __reduce__(self) -> tuple[type[_Extracted], tuple[tuple[Fact, ...]]]:
        return _Extracted, (self.facts,)


def _text_without(node: Element, container: Element) -> bytes:
    """Every text node under ``node`` except those under ``container``, as UTF-8."""
    parts = [(node.text or "").encode("utf-8")]
    for child in node:
        if child is container:
            parts.append((child.tail or "").encode("utf-8"))
        else:
            parts.append(etree.tostring(child, method="text", encoding="utf-8", with_tail=True))
    return b"".join(parts)


def _attribute_text(node: Element, tostring: Callable[..., bytes]) -> bytes:
    """``properties`` or ``swid`` as XML: its attribute values next to its text, so a property
    reads ``name="key">value`` (the letters of its fact ``key=value``, in order). When an
    escaped character would break a value's letters apart, or a child holds elements, the
    attribute values and property facts are spelled out too."""
    xml = tostring(node, encoding="utf-8", with_tail=False)
    # without escapes, "<" and "/>" only open and self-close tags: the count says whether
    # every child is a leaf (a property holding elements reads its value from its text)
    if b"&" not in xml and xml.count(b"<") + xml.count(b"/>") == 2 * (1 + len(node)):
        return xml
    values = [value for element in node.iter() for value in element.attrib.values()]
    properties = [
        f"{key}={_text(prop)}"
        for prop in node
        if local(prop.tag) == "property"
        for key in (prop.get("name"),)
        if key
    ]
    return xml + " ".join(["", *values, *properties]).encode("utf-8", errors="replace")


def _walk(
    roots: list[tuple[str, Element, str | None]],
    item: str,
    kind: ComponentKind,
    out: list[Component],
    problems: Problems,
    seen: set[str],
) -> None:
    """Depth-first in document order, iteratively (nesting depth is attacker-chosen).

    Only what every record needs is read now (reference, name, version, line, nested records);
    the facts are extracted later, for the records the matcher's prefilter selects. Its
    prefilter text holds every letter its facts can hold: the text under the element (nested
    records left out: they have their own) and, for the facts made of attribute values (a
    property's ``name=value``, the SWID tag id and name), those elements as XML."""
    container_name = f"{item}s"
    # what the walk does with a child, by its local name (0: nothing)
    codes = {"name": 1, "version": 2, "properties": 3, "swid": 4, container_name: 5}
    by_tag: dict[object, int] = {}
    tostring = etree.tostring
    append = out.append
    stack = list(reversed(roots))
    while stack:
        pointer, node, parent = stack.pop()
        ref = node.get("bom-ref") or ""
        if not ref:
            ref = pointer
        elif ref in seen:
            problems.add(f"{pointer}: duplicate bom-ref {ref!r}")
            ref = pointer
        seen.add(ref)
        name_node = version_node = container = None
        extra: list[bytes] | None = None
        for child in node:
            tag = child.tag
            code = by_tag.get(tag)
            if code is None:  # comments and PIs have no str tag: local() gives ""
                code = by_tag[tag] = codes.get(local(tag), 0)
            if not code:
                continue
            if code == 1:
                if name_node is None:
                    name_node = child
            elif code == 2:
                if version_node is None:
                    version_node = child
            elif code in (3, 4):  # properties, swid: facts from attribute values
                if extra is None:
                    extra = []
                extra.append(_attribute_text(child, tostring))
            elif container is None:
                container = child
        name = _text(name_node)
        if not name:
            problems.add(f"{pointer}: {kind.value} has no name")
        if container is None:
            blob = tostring(node, method="text", encoding="utf-8", with_tail=False)
        else:
            blob = _text_without(node, container)
        if extra is not None:
            blob = b" ".join([blob, *extra])
        # positional (the order of Component's fields): keywords cost a third more
        append(
            Component(
                ref,
                kind,
                name,
                _text(version_node),
                pointer,
                (),
                source_line(node),
                parent,
                _Facts(node),
                blob,
            )
        )
        if container is not None:
            kids = _children(container, item)
            stack.extend(
                (f"{pointer}/{container_name}/{item}[{index + 1}]", child, ref)
                for index, child in reversed(list(enumerate(kids)))
            )


def _metadata(meta: Element) -> Component:
    facts = FactList()
    _organization(facts, FieldKind.SUPPLIER, _child(meta, "supplier"))
    _organization(facts, FieldKind.MANUFACTURER, _child(meta, "manufacturer"))
    _organization(facts, FieldKind.MANUFACTURER, _child(meta, "manufacture"))
    authors = _child(meta, "authors")
    if authors is not None:
        for author in _children(authors, "author"):
            _add(facts, FieldKind.AUTHOR, _child(author, "name"))
            _add(facts, FieldKind.EMAIL, _child(author, "email"))
    tools = _child(meta, "tools")
    if tools is not None:
        for tool in tools.iter():
            if local(tool.tag) in ("tool", "component", "service"):
                for part in ("vendor", "name", "group"):
                    _add(facts, FieldKind.TEXT, _child(tool, part))
    _licenses(facts, _child(meta, "licenses"))
    props = _child(meta, "properties")
    if props is not None:
        for prop in _children(props, "property"):
            key = prop.get("name") or ""
            value = _text(prop)
            facts.add(FieldKind.PROPERTY, f"{key}={value}" if key else value, _where(prop))
    return facts.build(
        ref="#metadata",
        kind=ComponentKind.DOCUMENT,
        name="SBOM metadata",
        version="",
        pointer="/bom/metadata",
        line=source_line(meta),
    )


def read(path: str, data: bytes, fmt: SbomFormat = SbomFormat.CYCLONEDX_XML) -> SbomDocument:
    """Read a CycloneDX XML document."""
    root = parse_xml(data)
    if local(root.tag) != "bom":
        raise UnreadableInput(f"CycloneDX XML root must be <bom>, found <{local(root.tag)}>")
    problems = Problems()
    namespace = (
        root.tag[1:].split("}", 1)[0] if isinstance(root.tag, str) and "}" in root.tag else ""
    )
    match = _NS_VERSION.search(namespace)
    spec = match.group(1) if match else ""
    if spec not in KNOWN_SPEC_VERSIONS:
        problems.add(f"namespace {namespace or '(none)'} is not a known CycloneDX version")
    components: list[Component] = []
    seen: set[str] = set()
    roots: list[str] = []
    meta = _child(root, "metadata")
    if meta is not None:
        components.append(_metadata(meta))
        main = _child(meta, "component")
        if main is not None:
            first = len(components)
            _walk(
                [("/bom/metadata/component", main, None)],
                "component",
                ComponentKind.COMPONENT,
                components,
                problems,
                seen,
            )
            roots.append(components[first].ref)
    top = _child(root, "components")
    if top is not None:
        _walk(
            [
                (f"/bom/components/component[{i + 1}]", c, None)
                for i, c in enumerate(_children(top, "component"))
            ],
            "component",
            ComponentKind.COMPONENT,
            components,
            problems,
            seen,
        )
    services = _child(root, "services")
    if services is not None:
        _walk(
            [
                (f"/bom/services/service[{i + 1}]", s, None)
                for i, s in enumerate(_children(services, "service"))
            ],
            "service",
            ComponentKind.SERVICE,
            components,
            problems,
            seen,
        )
    edges: list[tuple[str, str]] = []
    deps = _child(root, "dependencies")
    if deps is not None:
        # dependencies may nest (a graph written as a tree); "{*}" matches any namespace
        for dep in deps.iter("{*}dependency"):
            ref = dep.get("ref")
            if not ref:
                problems.add(f"line {source_line(dep)}: dependency without ref")
                continue
            if not len(dep):
                continue
            for child in dep:
                if local(child.tag) in _EDGE_CHILDREN:
                    target = child.get("ref")
                    if target:
                        edges.append((ref, target))
    return SbomDocument(
        path=path,
        format=fmt,
        spec_version=spec,
        components=tuple(components),
        edges=tuple(edges),
        roots=tuple(roots),
        problems=problems.result(),
        name=next((c.name for c in components if roots and c.ref == roots[0]), ""),
    )
