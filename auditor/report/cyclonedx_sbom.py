"""`kaspersky-audit sbom`: a CycloneDX 1.6 SBOM of everything the audit inventoried (packages,
binaries, archive members), with the findings attached as properties, written with
cyclonedx-python-lib: "this is what your appliance contains"."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any

from auditor.models import AuditResult, Component, ComponentKind, FieldKind, Finding

NAMESPACE = uuid.UUID("6b5c3a6e-6f1d-4a49-9d1e-4b8f3a2c7d10")
_KINDS = {
    ComponentKind.PACKAGE: "LIBRARY",
    ComponentKind.COMPONENT: "LIBRARY",
    ComponentKind.BINARY: "FILE",
    ComponentKind.FILE: "FILE",
}


def _first(component: Component, *fields: FieldKind) -> str:
    return next((f.value for f in component.facts if f.field in fields), "")


def build_bom(result: AuditResult) -> Any:
    """The inventory as a cyclonedx-python-lib ``Bom``."""
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.model.contact import OrganizationalEntity
    from packageurl import PackageURL

    findings: dict[tuple[str, str], list[Finding]] = {}
    for finding in result.findings:
        findings.setdefault((finding.artifact, finding.component.ref), []).append(finding)
    bom = Bom()
    refs: list[str] = []
    for document in sorted(result.documents, key=lambda d: d.path):
        for component in document.components:
            kind = _KINDS.get(component.kind)
            if kind is None:
                continue
            component = component.realized()
            ref = f"{document.path}#{component.ref}"
            if ref in refs:
                continue
            refs.append(ref)
            purl = None
            purl_text = _first(component, FieldKind.PURL)
            if purl_text:
                try:
                    purl = PackageURL.from_string(purl_text)
                except ValueError:
                    purl = None
            supplier = _first(
                component, FieldKind.SUPPLIER, FieldKind.PUBLISHER, FieldKind.MANUFACTURER
            )
            digests = [
                f.value.split(":", 1)[1]
                for f in component.facts
                if f.field is FieldKind.HASH
                and f.value.startswith("sha256:")
                and not f.where.startswith(
                    (
                        "/signatures/",
                        "/embedded-",
                        "/android/",
                        "/module-signature/",
                        "/code-signature/",
                    )
                )
            ]
            hashes = [HashType(alg=HashAlgorithm.SHA_256, content=digests[0])] if digests else []
            properties = [Property(name="kaspersky-audit:location", value=document.path)]
            for finding in findings.get((document.path, component.ref), []):
                indicators = ",".join(sorted({h.indicator_id for h in finding.hits}))
                properties.append(
                    Property(
                        name="kaspersky-audit:finding",
                        value=f"{finding.rule_id} {finding.detection_class.value} "
                        f"{finding.confidence.value} {indicators}",
                    )
                )
            bom.components.add(
                CdxComponent(
                    name=component.name or component.ref,
                    version=component.version or None,
                    type=ComponentType[kind],
                    bom_ref=ref,
                    purl=purl,
                    supplier=OrganizationalEntity(name=supplier) if supplier else None,
                    hashes=hashes,
                    properties=properties,
                )
            )
    bom.serial_number = uuid.uuid5(NAMESPACE, "\n".join(refs))
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    bom.metadata.timestamp = (
        dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
        if epoch and epoch.isdigit()
        else dt.datetime.now(dt.timezone.utc)
    )
    bom.metadata.properties.add(
        Property(name="kaspersky-audit:vendor-db", value=f"{result.db_version} {result.db_digest}")
    )
    return bom


def render_cyclonedx(result: AuditResult) -> str:
    """CycloneDX 1.6 JSON text."""
    from cyclonedx.output.json import JsonV1Dot6

    return str(JsonV1Dot6(build_bom(result)).output_as_string(indent=2)) + "\n"
