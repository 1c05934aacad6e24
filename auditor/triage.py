"""Triage: turn the hits on one record into one finding (class, confidence, evidence, path).

Corroborating indicators on one record make one finding with higher confidence, never several.
The rules below are about evidence in general (which field a name was found in, whether another
company supplies the record); which names and identifiers count as Kaspersky's is data.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable
from dataclasses import replace

from auditor.intel.compile import CompiledIntel, vendor_phrase
from auditor.intel.schema import OemRelationship
from auditor.messages import describe
from auditor.models import (
    Component,
    ComponentKind,
    Confidence,
    DetectionClass,
    FieldKind,
    Finding,
    IndicatorHit,
    Level,
    OemNote,
    SbomDocument,
    Tier,
)

#: Fields that name the organisation responsible for a record.
VENDOR_FIELDS = (
    FieldKind.SUPPLIER,
    FieldKind.MANUFACTURER,
    FieldKind.PUBLISHER,
    FieldKind.PROVIDER,
    FieldKind.ORIGINATOR,
)
_NAME_KINDS = ("entity-name", "product-name")
_CLASS_ORDER = (
    DetectionClass.EMBEDDED,
    DetectionClass.PRODUCT,
    DetectionClass.AUTHORED,
    DetectionClass.SERVICE,
    DetectionClass.MENTION,
)


#: ``where`` prefixes of binary evidence anyone can write into a file without a key.
STRINGS = "/strings/"
VERSION_INFO = "/version-info/"
#: Evidence anyone can write (version resources, string tables, manifests, Android package ids):
#: alone, it never reaches high confidence.
SPOOFABLE = (STRINGS, VERSION_INFO, "/manifest/", "/android/manifest/")
UNVERIFIED = "unverified-signature"


def effective(hit: IndicatorHit) -> tuple[DetectionClass, Confidence]:
    """What one hit says on its own, given the field it was found in (and one step less when
    its certificate or signature did not verify)."""
    detection, confidence = _effective(hit)
    if hit.qualifier:  # a signature that does not verify, a self-signed or unchained certificate
        confidence = confidence.lowered()
    return detection, confidence


def _effective(hit: IndicatorHit) -> tuple[DetectionClass, Confidence]:
    if hit.benign_context:
        return DetectionClass.MENTION, Confidence.LOW
    if hit.where.startswith(STRINGS):
        # a string table lists names (uninstallers, competitors, documents); only an engine or
        # SDK identifier in it says the code is inside
        if hit.implies is DetectionClass.EMBEDDED:
            return hit.implies, hit.confidence.lowered()
        return DetectionClass.MENTION, hit.confidence.lowered()
    tier = hit.tier
    if hit.kind == "entity-name":
        if tier is Tier.ATTRIBUTION:
            return hit.implies, hit.confidence
        if tier is Tier.IDENTITY:
            return hit.implies, hit.confidence.lowered()
        return DetectionClass.MENTION, hit.confidence.lowered()
    if hit.kind == "product-name" and tier is Tier.TEXT:
        return hit.implies, hit.confidence.lowered()
    if hit.kind == "domain":
        if hit.field is FieldKind.ENDPOINT:
            return DetectionClass.SERVICE, hit.confidence
        if tier is Tier.TEXT:
            return hit.implies, hit.confidence.lowered()
    return hit.implies, hit.confidence


def other_vendors(component: Component, hits: Iterable[IndicatorHit]) -> tuple[str, ...]:
    """Organisations named as supplier/manufacturer/publisher that are not Kaspersky."""
    kaspersky_values = {
        (hit.field, hit.value) for hit in hits if hit.kind in _NAME_KINDS or hit.kind == "domain"
    }
    names: list[str] = []
    for fact in component.facts:
        if fact.field in VENDOR_FIELDS and (fact.field, fact.value) not in kaspersky_values:
            value = fact.value.strip()
            if value and value not in names:
                names.append(value)
    return tuple(names)


def classify(
    component: Component, hits: list[IndicatorHit]
) -> tuple[DetectionClass, Confidence, tuple[str, ...], tuple[IndicatorHit, ...]]:
    """Detection class, confidence, other vendors and the hits that support the class."""
    judged = [(hit, *effective(hit)) for hit in hits]
    strong = [item for item in judged if item[1] is not DetectionClass.MENTION]
    vendors = other_vendors(component, hits)
    if not strong:
        confidence = max(conf for _, _, conf in judged)
        return (
            DetectionClass.MENTION,
            min(confidence, Confidence.MEDIUM),
            vendors,
            tuple(sorted(hits, key=_evidence_order)),
        )
    classes = {cls for _, cls, _ in strong}
    kaspersky_attribution = any(
        hit.tier is Tier.ATTRIBUTION and hit.kind in _NAME_KINDS for hit, _, _ in strong
    )
    if DetectionClass.EMBEDDED in classes or (
        vendors and (DetectionClass.PRODUCT in classes or kaspersky_attribution)
    ):
        detection = DetectionClass.EMBEDDED
    elif DetectionClass.PRODUCT in classes:
        detection = DetectionClass.PRODUCT
    elif DetectionClass.AUTHORED in classes:
        detection = DetectionClass.AUTHORED
    else:
        detection = DetectionClass.SERVICE
    strong = _claimed_certificates(strong)
    confidence = max(conf for _, _, conf in strong)
    distinct = {(hit.indicator_id, hit.tier) for hit, _, _ in strong}
    tiers = {hit.tier for hit, _, _ in strong}
    if len(distinct) >= 2 and (len(tiers) >= 2 or len({h.kind for h, _, _ in strong}) >= 2):
        confidence = confidence.raised()
    strong_hits = [hit for hit, _, _ in strong]
    proven = any(hit.kind == "file-hash" for hit in strong_hits)  # a known digest or thumbprint
    if (component.kind in (ComponentKind.BINARY, ComponentKind.FILE) and not proven) or all(
        hit.where.startswith(SPOOFABLE) or claims_certificate(hit, strong_hits)
        for hit in strong_hits
    ):
        # anyone can write names, manifests and strings into a file, or claim a name in a
        # certificate: only a known digest or certificate thumbprint proves a binary's origin
        confidence = min(confidence, Confidence.MEDIUM)
    return detection, confidence, vendors, tuple(sorted(hits, key=_evidence_order))


def claims_certificate(hit: IndicatorHit, hits: Iterable[IndicatorHit]) -> bool:
    """True for a certificate subject or serial naming Kaspersky when that certificate's
    thumbprint is not one of Kaspersky's known certificates (anyone may claim the name)."""
    if hit.field not in (FieldKind.CERT_SUBJECT, FieldKind.CERT_SERIAL, FieldKind.CERT_ISSUER):
        return False
    prefix = hit.where.rsplit("/", 1)[0]
    return not any(
        other.kind == "file-hash" and other.where.rsplit("/", 1)[0] == prefix for other in hits
    )


def _claimed_certificates(
    strong: list[tuple[IndicatorHit, DetectionClass, Confidence]],
) -> list[tuple[IndicatorHit, DetectionClass, Confidence]]:
    """Lower one step every certificate hit that is only a claim (see claims_certificate)."""
    hits = [hit for hit, _, _ in strong]
    return [
        (hit, cls, conf.lowered() if claims_certificate(hit, hits) else conf)
        for hit, cls, conf in strong
    ]


_TIER_ORDER = {Tier.ATTRIBUTION: 0, Tier.IDENTITY: 1, Tier.LINK: 2, Tier.TEXT: 3}


def _evidence_order(hit: IndicatorHit) -> tuple[int, int, int]:
    """Strongest evidence first: not benign, attribution and identity fields, confident."""
    return (1 if hit.benign_context else 0, _TIER_ORDER[hit.tier], -hit.confidence.rank)


def level_for(intel: CompiledIntel, detection: DetectionClass, confidence: Confidence) -> Level:
    """The class's level, one step lower when the evidence is weak."""
    level = Level(intel.db.classes[detection.value].level)
    if confidence is Confidence.LOW and level is not Level.NOTE:
        level = list(Level)[level.rank - 1]
    return level


def subject_identity(component: Component) -> str:
    """What a finding is about, independent of where it sits in the file."""
    for fact in component.facts:
        if fact.field is FieldKind.PURL and not fact.where.startswith("/pedigree"):
            return fact.value.strip()
    group = next((f.value for f in component.facts if f.field is FieldKind.GROUP), "")
    if component.name:
        return f"{component.kind.value}:{group}/{component.name}@{component.version}"
    return f"{component.kind.value}:{component.ref}"


def fingerprint(
    rule_id: str, artifact: str, component: Component, hits: Iterable[IndicatorHit]
) -> str:
    """Stable across runs and unrelated edits: rule, artifact, subject and indicator ids."""
    indicator_ids = sorted({hit.indicator_id for hit in hits})
    material = "\n".join([rule_id, artifact, subject_identity(component), *indicator_ids])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


class DependencyIndex:
    """Shortest path from a product root to any record, from the SBOM graph and nesting.

    The breadth-first search runs on demand and stops once the record asked for is reached,
    so a document's few findings rarely cost a walk of its whole graph; the paths are the
    same as a full search would give (the search order is fixed).
    """

    def __init__(self, document: SbomDocument) -> None:
        self._records = {c.ref: c for c in document.components}
        children: dict[str, list[str]] = {}
        for parent, child in document.edges:
            children.setdefault(parent, []).append(child)
        for component in document.components:
            if component.parent:
                children.setdefault(component.parent, []).append(component.ref)
        self.children = children
        roots = list(document.roots)
        if not roots:
            has_parent = {child for kids in children.values() for child in kids}
            roots = [
                c.ref
                for c in document.components
                if c.kind is not ComponentKind.DOCUMENT and c.ref not in has_parent
            ][:1]
        self.parents: dict[str, str | None] = {}
        self._queue = deque(roots)
        for root in roots:
            self.parents.setdefault(root, None)

    def _reach(self, ref: str) -> None:
        """Continue the search until ``ref`` is reached or nothing is left to visit."""
        parents, queue, children = self.parents, self._queue, self.children
        while queue and ref not in parents:
            node = queue.popleft()
            for child in children.get(node, ()):
                if child not in parents:
                    parents[child] = node
                    queue.append(child)

    def path(self, ref: str) -> tuple[str, ...]:
        """Display names from the root down to ``ref``; empty when unreachable."""
        self._reach(ref)
        if ref not in self.parents:
            return ()
        chain: list[str] = []
        node: str | None = ref
        while node is not None and len(chain) < 1000:
            record = self._records.get(node)
            chain.append(record.display if record is not None else node)
            node = self.parents.get(node)
        return tuple(reversed(chain))


def oem_relationships(intel: CompiledIntel, names: Iterable[str]) -> list[OemRelationship]:
    """Relationships whose vendor (or an alias) appears, as whole words, in one of ``names``;
    in database order."""
    if not intel.oem:
        return []
    found: set[str] = set()
    for name in names:
        padded = " " + vendor_phrase(name, intel.normalizer) + " "
        if padded.strip() == "":
            continue
        for phrase, relationships in intel.oem.items():
            if " " + phrase + " " in padded:
                found.update(relationship.id for relationship in relationships)
    return [relationship for relationship in intel.db.oem if relationship.id in found]


def oem_context(
    intel: CompiledIntel,
    component: Component,
    vendors: tuple[str, ...],
    hits: Iterable[IndicatorHit],
) -> tuple[OemNote, ...]:
    """OEM relationships of the companies named on the record (its other vendors and its
    supplier, manufacturer, publisher...), marked corroborated when the relationship is
    documented and one of its related indicators fired on the record."""
    names = list(vendors)
    for fact in component.facts:
        if fact.field in VENDOR_FIELDS and fact.value.strip() and fact.value not in names:
            names.append(fact.value)
    fired = {hit.indicator_id for hit in hits if not hit.benign_context}
    return tuple(
        OemNote(
            id=relationship.id,
            vendor=relationship.vendor,
            status=relationship.status,
            product_line=relationship.product_line,
            corroborated=relationship.status == "documented"
            and bool(fired.intersection(relationship.related_indicators)),
        )
        for relationship in oem_relationships(intel, names)
    )


def build_findings(
    intel: CompiledIntel,
    document: SbomDocument,
    matched: list[tuple[Component, list[IndicatorHit]]],
) -> list[Finding]:
    """One finding per matched record."""
    if not matched:
        return []
    index = DependencyIndex(document)
    findings = []
    for component, hits in matched:
        detection, confidence, vendors, evidence = classify(component, hits)
        notes = oem_context(intel, component, vendors, evidence)
        # context only, except corroboration: a documented relationship whose own technology
        # was found on the record raises confidence one step (never the class)
        if detection is DetectionClass.MENTION:
            notes = tuple(replace(note, corroborated=False) for note in notes)
        elif any(note.corroborated for note in notes):
            confidence = confidence.raised()
        rule = intel.db.classes[detection.value]
        regulations = tuple(rule.regulations)
        finding = Finding(
            rule_id=rule.rule_id,
            detection_class=detection,
            level=level_for(intel, detection, confidence),
            confidence=confidence,
            artifact=document.path,
            component=component,
            hits=evidence,
            message="",
            fingerprint=fingerprint(rule.rule_id, document.path, component, evidence),
            dependency_path=index.path(component.ref),
            other_vendors=vendors,
            covered_by=regulations,
            oem=tuple(note.id for note in notes),
            oem_notes=notes,
        )
        findings.append(replace(finding, message=describe(intel, finding)))
    return findings
