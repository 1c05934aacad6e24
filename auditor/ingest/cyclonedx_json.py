"""CycloneDX JSON (spec 1.2 to 1.7): read every record the matchers care about, leniently."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import orjson

from auditor.errors import UnreadableInput
from auditor.ingest import jsondecode
from auditor.ingest.records import FactList, text
from auditor.ingest.sniff import to_utf8
from auditor.models import Component, ComponentKind, Fact, FieldKind, SbomDocument, SbomFormat

KNOWN_SPEC_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7")
_MAX_PROBLEMS = 50
_ORGANIZATION_KEYS = ("supplier", "manufacturer", "provider")


class Problems:
    """Schema problems found while reading, capped so a hostile file cannot flood a report."""

    __slots__ = ("items", "dropped")

    def __init__(self) -> None:
        self.items: list[str] = []
        self.dropped = 0

    def add(self, message: str) -> None:
        if len(self.items) < _MAX_PROBLEMS:
            self.items.append(message)
        else:
            self.dropped += 1

    def result(self) -> tuple[str, ...]:
        extra = (f"... and {self.dropped} more schema problems",) if self.dropped else ()
        return tuple(self.items) + extra


def _dicts(value: object, where: str, problems: Problems) -> Iterator[tuple[int, dict[str, Any]]]:
    """Enumerate the objects of a list, reporting anything else as a schema problem."""
    if value is None:
        return
    if not isinstance(value, list):
        problems.add(f"{where or '/'}: expected an array, found {type(value).__name__}")
        return
    for index, item in enumerate(value):
        if isinstance(item, dict):
            yield index, item
        else:
            problems.add(f"{where}/{index}: expected an object, found {type(item).__name__}")


def _strings(value: object) -> list[str]:
    """A string or a list of strings, as a list (anything else: empty)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _organization(facts: FactList, field: FieldKind, value: object, where: str) -> None:
    """An organizationalEntity: name, urls, contacts."""
    if isinstance(value, str):  # not schema-valid, but readable
        facts.add(field, value, where)
        return
    if not isinstance(value, dict):
        return
    facts.add(field, value.get("name"), f"{where}/name")
    for index, url in enumerate(_strings(value.get("url"))):
        facts.add(FieldKind.URL, url, f"{where}/url/{index}")
    contacts = value.get("contact")
    if isinstance(contacts, list):
        for index, contact in enumerate(contacts):
            _contact(facts, FieldKind.AUTHOR, contact, f"{where}/contact/{index}")


def _contact(facts: FactList, field: FieldKind, value: object, where: str) -> None:
    """An organizationalContact: name and e-mail."""
    if isinstance(value, str):
        facts.add(field, value, where)
    elif isinstance(value, dict):
        facts.add(field, value.get("name"), f"{where}/name")
        facts.add(FieldKind.EMAIL, value.get("email"), f"{where}/email")


def _licenses(facts: FactList, value: object, where: str) -> None:
    if not isinstance(value, list):
        return
    for index, choice in enumerate(value):
        if not isinstance(choice, dict):
            continue
        base = f"{where}/{index}"
        facts.add(FieldKind.LICENSE, choice.get("expression"), f"{base}/expression")
        lic = choice.get("license")
        if isinstance(lic, dict):
            facts.add(FieldKind.LICENSE, lic.get("id"), f"{base}/license/id")
            facts.add(FieldKind.LICENSE, lic.get("name"), f"{base}/license/name")
            facts.add(FieldKind.URL, lic.get("url"), f"{base}/license/url")
            body = lic.get("text")
            if isinstance(body, dict):
                facts.add(FieldKind.LICENSE, body.get("content"), f"{base}/license/text/content")
            else:
                facts.add(FieldKind.LICENSE, body, f"{base}/license/text")
            licensor = lic.get("licensing")
            if isinstance(licensor, dict):
                for role in ("licensor", "licensee", "purchaser"):
                    party = licensor.get(role)
                    if isinstance(party, dict):
                        _organization(
                            facts,
                            FieldKind.TEXT,
                            party.get("organization"),
                            f"{base}/license/licensing/{role}/organization",
                        )


def _properties(facts: FactList, value: object, where: str) -> None:
    if not isinstance(value, list):
        return
    for index, prop in enumerate(value):
        if isinstance(prop, dict):
            name = text(prop.get("name"))
            val = text(prop.get("value"))
            if name or val:
                facts.add(FieldKind.PROPERTY, f"{name}={val}" if name else val, f"{where}/{index}")


def _external_refs(facts: FactList, value: object, where: str) -> None:
    if not isinstance(value, list):
        return
    for index, ref in enumerate(value):
        if isinstance(ref, dict):
            facts.add(FieldKind.URL, ref.get("url"), f"{where}/{index}/url")
            facts.add(FieldKind.TEXT, ref.get("comment"), f"{where}/{index}/comment")
            _hashes(facts, ref.get("hashes"), f"{where}/{index}/hashes")


def _hashes(facts: FactList, value: object, where: str) -> None:
    if not isinstance(value, list):
        return
    for index, item in enumerate(value):
        if isinstance(item, dict):
            facts.add_hash(item.get("alg"), item.get("content"), f"{where}/{index}")


def _evidence(facts: FactList, value: object, where: str) -> None:
    if not isinstance(value, dict):
        return
    identity = value.get("identity")
    identities = identity if isinstance(identity, list) else [identity]
    for index, ident in enumerate(identities):
        if isinstance(ident, dict):
            base = (
                f"{where}/identity/{index}" if isinstance(identity, list) else f"{where}/identity"
            )
            field = text(ident.get("field"))
            concluded = ident.get("concludedValue")
            kind = {
                "purl": FieldKind.PURL,
                "cpe": FieldKind.CPE,
                "swid": FieldKind.SWID,
                "hash": FieldKind.HASH,
            }.get(field, FieldKind.EVIDENCE)
            facts.add(kind, concluded, f"{base}/concludedValue")
            methods = ident.get("methods")
            if isinstance(methods, list):
                for mindex, method in enumerate(methods):
                    if isinstance(method, dict):
                        facts.add(
                            FieldKind.EVIDENCE,
                            method.get("value"),
                            f"{base}/methods/{mindex}/value",
                        )
    copyrights = value.get("copyright")
    if isinstance(copyrights, list):
        for index, item in enumerate(copyrights):
            if isinstance(item, dict):
                facts.add(FieldKind.COPYRIGHT, item.get("text"), f"{where}/copyright/{index}/text")
    occurrences = value.get("occurrences")
    if isinstance(occurrences, list):
        for index, item in enumerate(occurrences):
            if isinstance(item, dict):
                facts.add(
                    FieldKind.FILENAME,
                    item.get("location"),
                    f"{where}/occurrences/{index}/location",
                )
    _licenses(facts, value.get("licenses"), f"{where}/licenses")


def _pedigree(facts: FactList, value: object, where: str) -> None:
    """Ancestors, descendants and variants name where a component came from."""
    if not isinstance(value, dict):
        return
    for relation in ("ancestors", "descendants", "variants"):
        items = value.get(relation)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            base = f"{where}/{relation}/{index}"
            facts.add(FieldKind.TEXT, item.get("name"), f"{base}/name")
            facts.add(FieldKind.PURL, item.get("purl"), f"{base}/purl")
            facts.add(FieldKind.CPE, item.get("cpe"), f"{base}/cpe")
            _organization(facts, FieldKind.SUPPLIER, item.get("supplier"), f"{base}/supplier")
            facts.add(FieldKind.AUTHOR, item.get("author"), f"{base}/author")
            facts.add(FieldKind.PUBLISHER, item.get("publisher"), f"{base}/publisher")
            facts.add(FieldKind.COPYRIGHT, item.get("copyright"), f"{base}/copyright")
    facts.add(FieldKind.TEXT, value.get("notes"), f"{where}/notes")


def _crypto(facts: FactList, value: object, where: str) -> None:
    """CycloneDX 1.6+ cryptographic assets: a certificate's subject, issuer, serial, fingerprint."""
    if not isinstance(value, dict):
        return
    cert = value.get("certificateProperties")
    if not isinstance(cert, dict):
        return
    base = f"{where}/certificateProperties"
    facts.add(FieldKind.CERT_SUBJECT, cert.get("subjectName"), f"{base}/subjectName")
    facts.add(FieldKind.CERT_ISSUER, cert.get("issuerName"), f"{base}/issuerName")
    facts.add(FieldKind.CERT_SERIAL, cert.get("serialNumber"), f"{base}/serialNumber")
    fingerprint = cert.get("fingerprint")
    if isinstance(fingerprint, dict):
        facts.add_hash(fingerprint.get("alg"), fingerprint.get("content"), f"{base}/fingerprint")


def component_facts(node: dict[str, Any]) -> FactList:
    """Every fact of one CycloneDX component object (not its children)."""
    facts = FactList()
    facts.add(FieldKind.NAME, node.get("name"), "/name")
    facts.add(FieldKind.GROUP, node.get("group"), "/group")
    facts.add(FieldKind.VERSION, node.get("version"), "/version")
    facts.add(FieldKind.DESCRIPTION, node.get("description"), "/description")
    _organization(facts, FieldKind.SUPPLIER, node.get("supplier"), "/supplier")
    _organization(facts, FieldKind.MANUFACTURER, node.get("manufacturer"), "/manufacturer")
    facts.add(FieldKind.PUBLISHER, node.get("publisher"), "/publisher")
    facts.add(FieldKind.AUTHOR, node.get("author"), "/author")
    authors = node.get("authors")
    if isinstance(authors, list):
        for index, author in enumerate(authors):
            _contact(facts, FieldKind.AUTHOR, author, f"/authors/{index}")
    facts.add(FieldKind.COPYRIGHT, node.get("copyright"), "/copyright")
    facts.add(FieldKind.PURL, node.get("purl"), "/purl")
    facts.add(FieldKind.CPE, node.get("cpe"), "/cpe")
    for key in ("omniborId", "swhid"):
        for index, ident in enumerate(_strings(node.get(key))):
            facts.add(FieldKind.SWID, ident, f"/{key}/{index}")
    swid = node.get("swid")
    if isinstance(swid, dict):
        facts.add(FieldKind.SWID, swid.get("tagId"), "/swid/tagId")
        facts.add(FieldKind.TEXT, swid.get("name"), "/swid/name")
        facts.add(FieldKind.URL, swid.get("url"), "/swid/url")
    _hashes(facts, node.get("hashes"), "/hashes")
    _external_refs(facts, node.get("externalReferences"), "/externalReferences")
    _licenses(facts, node.get("licenses"), "/licenses")
    _properties(facts, node.get("properties"), "/properties")
    _evidence(facts, node.get("evidence"), "/evidence")
    _pedigree(facts, node.get("pedigree"), "/pedigree")
    _crypto(facts, node.get("cryptoProperties"), "/cryptoProperties")
    # services
    _organization(facts, FieldKind.PROVIDER, node.get("provider"), "/provider")
    for index, endpoint in enumerate(_strings(node.get("endpoints"))):
        facts.add(FieldKind.ENDPOINT, endpoint, f"/endpoints/{index}")
    return facts


def _facts_of(node: dict[str, Any]) -> tuple[Fact, ...]:
    return tuple(component_facts(node).facts)


def _strings_of(node: dict[str, Any], children: str) -> bytes:
    """The record's own content (children excluded) as JSON bytes: every string it holds,
    for the matcher's prefilter. Serialising in C is much cheaper than walking in Python."""
    if children in node:
        node = {k: v for k, v in node.items() if k != children}
    try:
        return orjson.dumps(node)
    except (TypeError, orjson.JSONEncodeError):
        return str(node).encode("utf-8", errors="replace")


def _walk(
    roots: list[tuple[str, Any, str | None]],
    key: str,
    kind: ComponentKind,
    out: list[Component],
    problems: Problems,
    seen_refs: set[str],
) -> None:
    """Depth-first, in document order, without recursion (nesting depth is attacker-chosen)."""
    stack: list[tuple[str, Any, str | None]] = list(reversed(roots))
    while stack:
        pointer, node, parent = stack.pop()
        if not isinstance(node, dict):
            problems.add(f"{pointer}: expected an object, found {type(node).__name__}")
            continue
        ref = node.get("bom-ref")
        if not isinstance(ref, str) or not ref:
            ref = pointer
        elif ref in seen_refs:
            problems.add(f"{pointer}: duplicate bom-ref {ref!r}")
            ref = pointer
        seen_refs.add(ref)
        name = text(node.get("name"))
        if not name:
            problems.add(f"{pointer}: {kind.value} has no name")
        for org_key in _ORGANIZATION_KEYS:
            if isinstance(node.get(org_key), str):
                problems.add(
                    f"{pointer}/{org_key}: expected an organization object, found a string"
                )
        out.append(
            Component(
                ref=ref,
                kind=kind,
                name=name,
                version=text(node.get("version")),
                pointer=pointer,
                facts=(),
                parent=parent,
                deferred=partial(_facts_of, node),
                prefilter=_strings_of(node, key),
            )
        )
        children = node.get(key)
        if children is None:
            continue
        if not isinstance(children, list):
            problems.add(f"{pointer}/{key}: expected an array")
            continue
        stack.extend(
            (f"{pointer}/{key}/{index}", child, ref)
            for index, child in reversed(list(enumerate(children)))
        )


def _metadata_record(meta: dict[str, Any]) -> Component:
    facts = FactList()
    _organization(facts, FieldKind.SUPPLIER, meta.get("supplier"), "/supplier")
    _organization(facts, FieldKind.MANUFACTURER, meta.get("manufacturer"), "/manufacturer")
    _organization(facts, FieldKind.MANUFACTURER, meta.get("manufacture"), "/manufacture")
    authors = meta.get("authors")
    if isinstance(authors, list):
        for index, author in enumerate(authors):
            _contact(facts, FieldKind.AUTHOR, author, f"/authors/{index}")
    tools = meta.get("tools")
    tool_items: list[tuple[str, Any]] = []
    if isinstance(tools, list):
        tool_items = [(f"/tools/{i}", t) for i, t in enumerate(tools)]
    elif isinstance(tools, dict):
        for key in ("components", "services"):
            items = tools.get(key)
            if isinstance(items, list):
                tool_items += [(f"/tools/{key}/{i}", t) for i, t in enumerate(items)]
    for where, tool in tool_items:
        if isinstance(tool, dict):
            facts.add(FieldKind.TEXT, tool.get("vendor"), f"{where}/vendor")
            facts.add(FieldKind.TEXT, tool.get("name"), f"{where}/name")
            facts.add(FieldKind.TEXT, tool.get("group"), f"{where}/group")
    _licenses(facts, meta.get("licenses"), "/licenses")
    _properties(facts, meta.get("properties"), "/properties")
    return facts.build(
        ref="#metadata",
        kind=ComponentKind.DOCUMENT,
        name="SBOM metadata",
        version="",
        pointer="/metadata",
    )


def read(path: str, data: bytes, fmt: SbomFormat = SbomFormat.CYCLONEDX_JSON) -> SbomDocument:
    """Read a CycloneDX JSON document."""
    try:
        decoded = jsondecode.decode(to_utf8(data))
    except orjson.JSONDecodeError as exc:
        raise UnreadableInput(f"invalid JSON: {exc}") from None
    doc = decoded.value
    if not isinstance(doc, dict):
        raise UnreadableInput("CycloneDX JSON must be an object at the top level")
    problems = Problems()
    if doc.get("bomFormat") != "CycloneDX":
        problems.add("/bomFormat: missing or not 'CycloneDX'")
    spec = text(doc.get("specVersion"))
    if spec not in KNOWN_SPEC_VERSIONS:
        problems.add(f"/specVersion: {spec or 'missing'} is not a known CycloneDX version")
    components: list[Component] = []
    seen: set[str] = set()
    roots: list[str] = []
    meta = doc.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        problems.add("/metadata: expected an object")
        meta = None
    if meta:
        components.append(_metadata_record(meta))
        root = meta.get("component")
        if root is not None:
            first = len(components)
            _walk(
                [("/metadata/component", root, None)],
                "components",
                ComponentKind.COMPONENT,
                components,
                problems,
                seen,
            )
            if len(components) > first:
                roots.append(components[first].ref)
    top = doc.get("components")
    if top is not None and not isinstance(top, list):
        problems.add("/components: expected an array")
    elif top:
        _walk(
            [(f"/components/{i}", c, None) for i, c in enumerate(top)],
            "components",
            ComponentKind.COMPONENT,
            components,
            problems,
            seen,
        )
    services = doc.get("services")
    if services is not None and not isinstance(services, list):
        problems.add("/services: expected an array")
    elif services:
        _walk(
            [(f"/services/{i}", s, None) for i, s in enumerate(services)],
            "services",
            ComponentKind.SERVICE,
            components,
            problems,
            seen,
        )
    edges: list[tuple[str, str]] = []
    for index, dep in _dicts(doc.get("dependencies"), "/dependencies", problems):
        ref = dep.get("ref")
        if not isinstance(ref, str):
            problems.add(f"/dependencies/{index}: no ref")
            continue
        for key in ("dependsOn", "provides"):
            edges.extend((ref, child) for child in _strings(dep.get(key)))
    return SbomDocument(
        path=path,
        format=fmt,
        spec_version=spec,
        components=tuple(components),
        edges=tuple(edges),
        roots=tuple(roots),
        problems=problems.result(),
        name=next((c.name for c in components if roots and c.ref == roots[0]), ""),
        duplicate_keys=decoded.duplicate_keys,
    )
