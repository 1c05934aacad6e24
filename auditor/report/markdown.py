"""Markdown for pull-request comments and GitHub step summaries: the verdict first, a table of
findings, each finding's evidence folded under it, and what could not be inspected.

Kept under GitHub's comment limit (65,536 characters): past :data:`MAX_CHARS` the remaining
findings are counted, not shown.
"""

from __future__ import annotations

from auditor.messages import class_title, evidence_line
from auditor.models import AuditResult, Finding
from auditor.outcome import FailOn, failing, headline, verdict
from auditor.report.sarif import sort_findings

MAX_CHARS = 60_000
_VERDICTS = {
    "fail": "Kaspersky software found",
    "incomplete": "Nothing found, but the audit is incomplete",
    "pass": "No Kaspersky software found",
    "pass-below": "Kaspersky software found, below the --fail-on threshold",
    "incomplete-below": "Kaspersky software found, below the --fail-on threshold; "
    "the audit is incomplete",
}


def cell(text: str, limit: int = 120) -> str:
    """Text safe inside a Markdown table cell (pipes, newlines, HTML escaped; shortened)."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("`", "'")
    )


def code(text: str, limit: int = 200) -> str:
    """Text for inside a backtick code span (no HTML escaping there; pipes still escaped for
    tables, backticks and newlines removed)."""
    text = " ".join(text.split()).replace("`", "'").replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(finding: Finding) -> str:
    place = finding.artifact
    if finding.region:
        place += f":{finding.region.start_line}"
    return place


def _details(result: AuditResult, finding: Finding, remediation: dict[str, str]) -> list[str]:
    title = class_title(result, finding)
    lines = [
        "<details>",
        f"<summary><b>{finding.level.value.upper()} {finding.rule_id}</b> "
        f"{cell(finding.component.display, 80)}: {cell(title)}</summary>",
        "",
        cell(finding.message, 2000),
        "",
        f"- where: `{code(_where(finding), 300)}`",
        f"- confidence: {finding.confidence.value}",
    ]
    if finding.other_vendors:
        lines.append(f"- supplier: {cell(', '.join(finding.other_vendors[:3]))}")
    if len(finding.dependency_path) > 1:
        lines.append(f"- path: {cell(' > '.join(finding.dependency_path), 300)}")
    if finding.covered_by:
        lines.append(f"- regulations: {cell(', '.join(finding.covered_by), 300)}")
    lines.extend(f"- evidence: {cell(evidence_line(hit), 300)}" for hit in finding.hits[:8])
    if len(finding.hits) > 8:
        lines.append(f"- ... and {len(finding.hits) - 8} more pieces of evidence")
    action = remediation.get(finding.detection_class.value)
    if action:
        lines.append(f"- action: {cell(action, 600)}")
    lines += ["", "</details>", ""]
    return lines


def render_markdown(result: AuditResult, fail_on: FailOn) -> str:
    """The report as GitHub-flavoured Markdown."""
    word = verdict(result, fail_on)
    counts = dict.fromkeys(("error", "warning", "note"), 0)
    for finding in result.active_findings:
        counts[finding.level.value] += 1
    records = sum(d.records for d in result.documents)
    out = [
        f"## Kaspersky audit: {word.upper()} - {_VERDICTS[headline(result, fail_on)]}",
        "",
        f"**{counts['error']}** error(s), **{counts['warning']}** warning(s), "
        f"**{counts['note']}** note(s); {failing(result, fail_on)} at or above "
        f"`--fail-on {fail_on.value}`. Audited {len(result.documents)} input(s) with "
        f"{records} record(s); {len(result.not_inspected)} not inspected. "
        f"vendor_db {result.db_version} (`{result.db_digest[:12]}`), "
        f"kaspersky-sbom-auditor {result.tool_version}.",
        "",
    ]
    findings = sort_findings(result.active_findings)
    if findings:
        out += ["| level | rule | component | where |", "| --- | --- | --- | --- |"]
        out += [
            f"| {f.level.value} | {f.rule_id} | {cell(f.component.display, 60)} | "
            f"`{code(_where(f), 100)}` |"
            for f in findings
        ]
        out.append("")
    remediation = (
        {cls: rule.remediation for cls, rule in result.database.classes.items()}
        if result.database
        else {}
    )
    size = sum(len(line) + 1 for line in out)
    for index, finding in enumerate(findings):
        block = _details(result, finding, remediation)
        block_size = sum(len(line) + 1 for line in block)
        if size + block_size > MAX_CHARS:
            out += [f"*... details of {len(findings) - index} more finding(s) omitted "
                    "(see the SARIF or JSON report).*", ""]  # fmt: skip
            break
        out += block
        size += block_size
    if result.not_inspected:
        out += ["### Not inspected (the audit is incomplete)", ""]
        shown = sorted(result.not_inspected, key=lambda s: s.path)
        out += [f"- `{code(s.path)}`: {cell(s.reason, 300)}" for s in shown[:50]]
        if len(shown) > 50:
            out.append(f"- ... and {len(shown) - 50} more")
        out.append("")
    suppressed = [f for f in sort_findings(result.findings) if f.suppression is not None]
    if suppressed:
        out += [f"### Suppressed ({len(suppressed)}, not counted)", ""]
        out += [
            f"- {f.rule_id} {cell(f.component.display, 80)}: {cell(f.suppression.reason, 300)}"
            for f in suppressed[:50]
            if f.suppression is not None
        ]
        out.append("")
    unchanged = sum(1 for f in result.findings if f.baseline_state == "unchanged")
    if unchanged:
        out += [f"{unchanged} finding(s) unchanged since the baseline (not shown).", ""]
    if result.notices:
        out += ["### Configuration", ""] + [f"- {cell(n, 400)}" for n in result.notices] + [""]
    return "\n".join(out)
