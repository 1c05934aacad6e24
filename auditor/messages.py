"""Plain-language messages for findings, written for a procurement reader first."""

from __future__ import annotations

from auditor.intel.compile import CompiledIntel
from auditor.models import AuditResult, DetectionClass, Finding, IndicatorHit, OemNote

_FIELD_WORDS = {
    "name": "name",
    "group": "group",
    "description": "description",
    "supplier": "supplier",
    "manufacturer": "manufacturer",
    "publisher": "publisher",
    "author": "author",
    "originator": "originator",
    "copyright": "copyright notice",
    "purl": "package URL",
    "cpe": "CPE",
    "swid": "software identifier",
    "hash": "file hash",
    "url": "link",
    "email": "e-mail address",
    "license": "licence text",
    "property": "property",
    "evidence": "identity evidence",
    "provider": "service provider",
    "endpoint": "endpoint",
    "filename": "file name",
    "cert-subject": "certificate subject",
    "cert-issuer": "certificate issuer",
    "cert-serial": "certificate serial number",
    "text": "comment",
    "version": "version",
}
_MAX_EVIDENCE = 3
_MAX_OEM = 3


def class_title(result: AuditResult, finding: Finding) -> str:
    """The detection class's title from vendor_db (classes.yaml short_description)."""
    cls = finding.detection_class.value
    db = result.database
    return db.classes[cls].short_description if db is not None and cls in db.classes else cls


def evidence_line(hit: IndicatorHit) -> str:
    """One piece of evidence in a sentence fragment."""
    value = hit.value if len(hit.value) <= 80 else hit.value[:77] + "..."
    field = _FIELD_WORDS.get(hit.field.value, hit.field.value)
    note = " [signature does not verify]" if hit.qualifier == "unverified-signature" else ""
    if hit.where.startswith("/strings/"):
        field = f"string at offset {hit.where.rsplit('/', 1)[-1]}"
    elif hit.where.startswith("/version-info/"):
        field = f"version resource {hit.where.rsplit('/', 1)[-1]}"
    elif hit.where.startswith("/signatures/"):
        field = f"Authenticode signer {field}"
    elif hit.where.startswith("/embedded-certificates/"):
        field = f"embedded {field} at offset {hit.where.split('/')[2]}"
    elif hit.where == "/code-signature/team-id":
        field = "Mach-O code-signature Team ID"
    elif hit.where.startswith("/classes/"):
        field = "Java package"
    elif hit.where.startswith("/manifest/"):
        field = f"manifest {hit.where.rsplit('/', 1)[-1]}"
    return f"{field} '{value}'{note} ({hit.label}, {hit.indicator_id})"


def _evidence(finding: Finding) -> str:
    hits = list(finding.hits)
    shown = "; ".join(evidence_line(hit) for hit in hits[:_MAX_EVIDENCE])
    more = len(hits) - _MAX_EVIDENCE
    return shown + (f"; and {more} more" if more > 0 else "")


def _exempt_note(intel: CompiledIntel, finding: Finding) -> str:
    by_id = {indicator.id: indicator for indicator in intel.db.indicators}
    exempt = [
        by_id[hit.indicator_id].label
        for hit in finding.hits
        if hit.indicator_id in by_id and by_id[hit.indicator_id].bis_covered is False
    ]
    if not exempt:
        return ""
    return (
        f" Note: {exempt[0]} is threat intelligence, which the BIS Final Determination excludes;"
        " FAR 52.204-23 still applies."
    )


def oem_sentence(note: OemNote) -> str:
    """One OEM relationship as context, labelled with how well it is established."""
    what = f"({note.product_line}, {note.id})"
    if note.status == "documented":
        text = f"{note.vendor} has a documented OEM relationship with Kaspersky {what}"
        if note.corroborated:
            text += ", which the evidence on this record corroborates"
        return text + "."
    if note.status == "third-party":
        return (
            f"{note.vendor} has a relationship with Kaspersky reported by third parties only "
            f"{what}; context only."
        )
    if note.status == "refuted":
        return (
            f"For {note.vendor} a claimed relationship with Kaspersky is refuted by the sources "
            f"{what}; context only, not evidence."
        )
    return (
        f"For {note.vendor} there is an unverified claim of a relationship with Kaspersky "
        f"{what}; context only, not evidence."
    )


def _oem_note(finding: Finding) -> str:
    notes = finding.oem_notes[:_MAX_OEM]
    if not notes:
        return ""
    more = len(finding.oem_notes) - len(notes)
    extra = f" And {more} more OEM relationship(s)." if more > 0 else ""
    return " Context: " + " ".join(oem_sentence(note) for note in notes) + extra


_QUALIFIERS = {
    "unverified-signature": "its Authenticode signature does not verify",
    "self-signed-certificate": "the signing certificate is self-signed",
    "incomplete-certificate-chain": "the signing certificate's chain does not verify",
}


def _certificate_note(finding: Finding) -> str:
    """Say when a certificate only claims Kaspersky's name."""
    from auditor.triage import claims_certificate

    claimed = [hit for hit in finding.hits if claims_certificate(hit, finding.hits)]
    if not claimed:
        return ""
    reasons = sorted({_QUALIFIERS[h.qualifier] for h in claimed if h.qualifier in _QUALIFIERS})
    why = f" ({'; '.join(reasons)})" if reasons else ""
    return (
        " The signing certificate names Kaspersky but is not one of Kaspersky's known "
        f"certificates{why}: treat it as a claim, not proof of origin."
    )


def describe(intel: CompiledIntel, finding: Finding) -> str:
    """The result message: what was found, from which evidence, and what it means."""
    subject = f"'{finding.component.display}'"
    vendors = ", ".join(finding.other_vendors[:3])
    evidence = _evidence(finding)
    cls = finding.detection_class
    if cls is DetectionClass.EMBEDDED:
        owner = f" (supplied as {vendors})" if vendors else ""
        text = (
            f"Kaspersky technology embedded in another vendor's product: {subject}{owner} reveals "
            f"Kaspersky through {evidence}. The BIS Final Determination prohibits integrating "
            "Kaspersky software into products for US persons since 2024-09-29."
        )
    elif cls is DetectionClass.PRODUCT:
        text = (
            f"Kaspersky product present: {subject} is identified by {evidence}. US persons may "
            "not buy, update or resell it since 2024-09-29 (BIS Final Determination)."
        )
    elif cls is DetectionClass.AUTHORED:
        listed = f" It is listed with supplier {vendors}." if vendors else ""
        text = (
            f"Component authored or published by Kaspersky: {subject} ({evidence}).{listed} "
            "FAR 52.204-23 prohibits software developed in whole or in part by Kaspersky for "
            "federal contractors."
        )
    elif cls is DetectionClass.SERVICE:
        text = (
            f"Integration with a Kaspersky service: {subject} refers to {evidence}. Data may flow "
            "to Kaspersky infrastructure."
        )
    else:
        text = (
            f"Kaspersky mentioned but not corroborated: {subject} has {evidence}. Nothing else "
            "about it points to Kaspersky code; review it."
        )
    return text + _certificate_note(finding) + _exempt_note(intel, finding) + _oem_note(finding)
