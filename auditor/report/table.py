"""The default terminal / CI-log report: plain text, one block per finding, a verdict line."""

from __future__ import annotations

from auditor.messages import class_title, evidence_line
from auditor.models import AuditResult, Disposition, Finding
from auditor.outcome import FailOn, failing, verdict
from auditor.report.sarif import sort_findings

_MAX_EVIDENCE = 6


def _where(finding: Finding) -> str:
    place = finding.artifact
    if finding.region:
        place += f":{finding.region.start_line}:{finding.region.start_column}"
    return place


def _block(result: AuditResult, finding: Finding, remediation: dict[str, str]) -> list[str]:
    title = class_title(result, finding)
    lines = [
        f"{finding.level.value.upper():<7} {finding.rule_id}  {title}  "
        f"[confidence: {finding.confidence.value}]",
        f"  component: {finding.component.display} ({finding.component.kind.value})",
        f"  where:     {_where(finding)}",
    ]
    if finding.other_vendors:
        lines.append(f"  supplier:  {', '.join(finding.other_vendors[:3])}")
    for index, note in enumerate(finding.oem_notes[:3]):
        label = "oem:" if index == 0 else ""
        mark = ", corroborates" if note.corroborated else ""
        lines.append(f"  {label:<10} {note.id} {note.vendor} ({note.status}{mark})")
    if len(finding.dependency_path) > 1:
        lines.append(f"  path:      {' > '.join(finding.dependency_path)}")
    for index, hit in enumerate(finding.hits[:_MAX_EVIDENCE]):
        label = "evidence:" if index == 0 else ""
        marker = " [overlay]" if hit.overlay else ""
        lines.append(f"  {label:<10} {evidence_line(hit)}{marker}")
    if len(finding.hits) > _MAX_EVIDENCE:
        lines.append(f"  {'':<10} ... and {len(finding.hits) - _MAX_EVIDENCE} more")
    if finding.detection_class.value in remediation:
        lines.append(f"  action:    {remediation[finding.detection_class.value]}")
    return lines


def render_table(result: AuditResult, fail_on: FailOn) -> str:
    """Human-readable report."""
    records = sum(d.records for d in result.documents)
    out = [
        f"kaspersky-sbom-auditor {result.tool_version} | vendor_db {result.db_version} "
        f"({result.db_digest[:12]})",
        f"Audited {len(result.documents)} input(s) with {records} record(s); "
        f"{len(result.not_inspected)} input(s) not inspected.",
        "",
    ]
    remediation = (
        {cls: rule.remediation for cls, rule in result.database.classes.items()}
        if result.database
        else {}
    )
    for finding in sort_findings(result.active_findings):
        out.extend(_block(result, finding, remediation))
        out.append("")
    if not result.active_findings:
        out.extend(["No Kaspersky software found in the inputs that were read.", ""])
    suppressed = [f for f in sort_findings(result.findings) if f.suppression is not None]
    if suppressed:
        out.append(f"SUPPRESSED ({len(suppressed)}, not counted)")
        for finding in suppressed:
            assert finding.suppression is not None
            out.append(
                f"  {finding.rule_id} {finding.component.display} at {_where(finding)}: "
                f"{finding.suppression.reason} [{finding.suppression.source}]"
            )
        out.append("")
    unchanged = sum(1 for f in result.findings if f.baseline_state == "unchanged")
    if unchanged:
        out.extend([f"{unchanged} finding(s) unchanged since the baseline (not shown).", ""])
    if result.notices:
        out.append("CONFIGURATION")
        out.extend(f"  {notice}" for notice in result.notices)
        out.append("")
    problems = {path: items for path, items in result.problems.items() if items}
    if problems:
        out.append("NOTES AND SCHEMA PROBLEMS (audited anyway, as far as readable)")
        for path in sorted(problems):
            items = problems[path]
            out.append(f"  {path}: {len(items)} problem(s), e.g. {items[0]}")
        out.append("")
    if result.not_inspected:
        out.append("NOT INSPECTED (the audit is incomplete)")
        out.extend(
            f"  {s.path}: {s.reason}" for s in sorted(result.not_inspected, key=lambda s: s.path)
        )
        out.append("")
    ignored = [s for s in result.skipped if s.disposition is Disposition.NOT_AN_SBOM]
    if ignored:
        out.append(f"Ignored {len(ignored)} file(s) found in directories that are not SBOMs:")
        out.extend(f"  {s.path}: {s.reason}" for s in sorted(ignored, key=lambda s: s.path)[:20])
        if len(ignored) > 20:
            out.append(f"  ... and {len(ignored) - 20} more")
        out.append("")
    counts = dict.fromkeys(("error", "warning", "note"), 0)
    for finding in result.active_findings:
        counts[finding.level.value] += 1
    word = verdict(result, fail_on).upper()
    out.append(
        f"Verdict: {word} - {counts['error']} error(s), {counts['warning']} warning(s), "
        f"{counts['note']} note(s); {failing(result, fail_on)} at or above "
        f"--fail-on {fail_on.value}"
        + ("; some inputs were not inspected" if not result.complete else "")
    )
    return "\n".join(out) + "\n"
