"""JSON output (schema ``kaspersky-sbom-auditor/json-v1``): the whole result, versioned."""

from __future__ import annotations

import json
from typing import Any

from auditor.models import AuditResult, Finding, Region
from auditor.outcome import FailOn, exit_code, verdict
from auditor.report.sarif import sort_findings

SCHEMA_ID = "kaspersky-sbom-auditor/json-v1"


def _region(region: Region | None) -> dict[str, int] | None:
    if region is None:
        return None
    return {
        "startLine": region.start_line,
        "startColumn": region.start_column,
        "endLine": region.end_line,
        "endColumn": region.end_column,
    }


def _finding(finding: Finding) -> dict[str, Any]:
    component = finding.component
    return {
        "ruleId": finding.rule_id,
        "class": finding.detection_class.value,
        "level": finding.level.value,
        "confidence": finding.confidence.value,
        "message": finding.message,
        "artifact": finding.artifact,
        "region": _region(finding.region),
        "component": {
            "ref": component.ref,
            "kind": component.kind.value,
            "name": component.name,
            "version": component.version,
            "pointer": component.pointer,
        },
        "dependencyPath": list(finding.dependency_path),
        "otherVendors": list(finding.other_vendors),
        "regulations": list(finding.covered_by),
        "oemRelationships": [
            {
                "id": note.id,
                "vendor": note.vendor,
                "status": note.status,
                "productLine": note.product_line,
                "corroborated": note.corroborated,
            }
            for note in finding.oem_notes
        ],
        "fingerprint": finding.fingerprint,
        "suppression": (
            {
                "reason": finding.suppression.reason,
                "source": finding.suppression.source,
                "expires": finding.suppression.expires or None,
            }
            if finding.suppression
            else None
        ),
        "baselineState": finding.baseline_state or None,
        "evidence": [
            {
                "indicator": hit.indicator_id,
                "kind": hit.kind,
                "label": hit.label,
                "field": hit.field.value,
                "value": hit.value,
                "where": hit.where,
                "confidence": hit.confidence.value,
                "implies": hit.implies.value,
                "sources": list(hit.sources),
                "benignContext": hit.benign_context or None,
                "overlay": hit.overlay,
                "region": _region(region),
            }
            for hit, region in zip(
                finding.hits, finding.evidence_regions or (None,) * len(finding.hits), strict=False
            )
        ],
    }


def build_json(result: AuditResult, fail_on: FailOn) -> dict[str, Any]:
    """The report as plain data."""
    counts = {"error": 0, "warning": 0, "note": 0}
    for finding in result.active_findings:
        counts[finding.level.value] += 1
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "kaspersky-sbom-auditor", "version": result.tool_version},
        "vendorDb": {"version": result.db_version, "digest": result.db_digest},
        "verdict": verdict(result, fail_on),
        "exitCode": int(exit_code(result, fail_on)),
        "failOn": fail_on.value,
        "summary": {
            "findings": counts,
            "documents": len(result.documents),
            "records": sum(d.records for d in result.documents),
            "notInspected": len(result.not_inspected),
            "notAnSbom": len(result.skipped) - len(result.not_inspected),
            "suppressed": sum(1 for f in result.findings if f.suppression is not None),
            "unchangedSinceBaseline": sum(
                1 for f in result.findings if f.baseline_state == "unchanged"
            ),
        },
        "notices": list(result.notices),
        "findings": [_finding(f) for f in sort_findings(result.findings)],
        "documents": [
            {
                "path": d.path,
                "format": d.format.value,
                "specVersion": d.spec_version,
                "name": d.name,
                "records": d.records,
                "sha256": d.sha256,
                "schemaProblems": list(d.problems),
            }
            for d in sorted(result.documents, key=lambda d: d.path)
        ],
        "notInspected": [
            {"path": s.path, "reason": s.reason}
            for s in sorted(result.not_inspected, key=lambda s: s.path)
        ],
        "skipped": [
            {"path": s.path, "reason": s.reason, "disposition": s.disposition.value}
            for s in sorted(result.skipped, key=lambda s: s.path)
        ],
    }


def render_json(result: AuditResult, fail_on: FailOn) -> str:
    """JSON text, deterministic."""
    return (
        json.dumps(build_json(result, fail_on), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
