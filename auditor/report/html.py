"""A self-contained HTML report for procurement: the verdict first, what was audited, each
finding in plain language with its evidence and the regulations it touches, what could not be
inspected, and the database it was judged against. No scripts, no external resources; a print
stylesheet so it prints (or saves) cleanly to PDF. Deterministic: no timestamps."""

from __future__ import annotations

from html import escape

from auditor.messages import class_title, evidence_line
from auditor.models import AuditResult, Finding, SbomFormat
from auditor.outcome import FailOn, failing, headline
from auditor.report.sarif import sort_findings

_VERDICTS = {
    "fail": ("found", "Kaspersky software found"),
    "incomplete": ("incomplete", "Could not fully inspect: no Kaspersky software found so far"),
    "pass": ("clean", "No Kaspersky software found"),
    "pass-below": ("found", "Kaspersky software found, below the threshold that fails the audit"),
    "incomplete-below": (
        "found",
        "Kaspersky software found, below the threshold that fails the audit; not fully inspected",
    ),
}
_EXPLAIN = {
    "fail": "The supplied material contains software made by Kaspersky or built on Kaspersky "
    "technology. Each finding below says what it is, why we think so and which rules it touches.",
    "incomplete": "Nothing in what could be read points to Kaspersky, but some files could not be "
    "inspected (listed below). The audit is not complete until they are.",
    "pass": "Every file supplied was inspected and nothing in it points to Kaspersky software.",
    "pass-below": "The supplied material contains software made by Kaspersky or built on "
    "Kaspersky technology, but the audit was configured (--fail-on) not to fail on findings of "
    "this level. Each finding below says what it is, why we think so and which rules it touches.",
    "incomplete-below": "The supplied material contains software made by Kaspersky or built on "
    "Kaspersky technology, below the level configured to fail the audit (--fail-on), and some "
    "files could not be inspected (listed below).",
}
_SBOM_FORMATS = {
    SbomFormat.CYCLONEDX_JSON,
    SbomFormat.CYCLONEDX_XML,
    SbomFormat.SPDX_JSON,
    SbomFormat.SPDX_YAML,
    SbomFormat.SPDX_XML,
    SbomFormat.SPDX_TAGVALUE,
    SbomFormat.SPDX_RDF,
    SbomFormat.SPDX3_JSONLD,
}

_STYLE = """
:root { --ink:#1b1f24; --muted:#57606a; --line:#d0d7de; --found:#b42318; --warn:#b54708;
  --clean:#067647; --note:#175cd3; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  max-width: 60rem; margin: 2rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 0 0 .35rem; }
.verdict { border-radius: 8px; padding: 1rem 1.25rem; color: #fff; margin: 1rem 0 1.5rem; }
.verdict strong { display: block; font-size: 1.4rem; }
.verdict.found { background: var(--found); } .verdict.clean { background: var(--clean); }
.verdict.incomplete { background: var(--warn); }
.meta, .muted { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .92rem; }
th, td { text-align: left; border-bottom: 1px solid var(--line); padding: .35rem .5rem;
  vertical-align: top; }
code { font: .85rem/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; }
.finding { border: 1px solid var(--line); border-left: 6px solid var(--note); border-radius: 6px;
  padding: .9rem 1.1rem; margin: 1rem 0; break-inside: avoid; }
.finding.error { border-left-color: var(--found); }
.finding.warning { border-left-color: var(--warn); }
.badge { display: inline-block; font-size: .75rem; font-weight: 600; padding: .05rem .45rem;
  border-radius: 999px; border: 1px solid currentColor; margin-right: .35rem; }
.error .badge.level { color: var(--found); } .warning .badge.level { color: var(--warn); }
.note .badge.level { color: var(--note); }
dl { display: grid; grid-template-columns: 9rem 1fr; gap: .2rem .75rem; margin: .6rem 0 0; }
dt { color: var(--muted); } dd { margin: 0; }
ul { margin: .2rem 0; padding-left: 1.2rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  .verdict { color: #000; background: none !important; border: 3px solid #000; }
  .finding { border-left-width: 4px; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; }
  @page { margin: 16mm 14mm; }
}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _where(finding: Finding) -> str:
    place = finding.artifact
    if finding.region:
        place += f", line {finding.region.start_line}"
    return place


def _finding(result: AuditResult, finding: Finding, number: int) -> list[str]:
    db = result.database
    title = class_title(result, finding)
    component = finding.component
    rows = [
        f'<section class="finding {finding.level.value}" id="finding-{number}">',
        f'<h3><span class="badge level">{_e(finding.level.value.upper())}</span>'
        f"{_e(title)}: {_e(component.display)}</h3>",
        f"<p>{_e(finding.message)}</p>",
        "<dl>",
        f"<dt>Where</dt><dd><code>{_e(_where(finding))}</code></dd>",
        f"<dt>Confidence</dt><dd>{_e(finding.confidence.value)} "
        f'<span class="muted">({_e(finding.rule_id)})</span></dd>',
    ]
    if finding.other_vendors:
        rows.append(f"<dt>Supplied by</dt><dd>{_e(', '.join(finding.other_vendors[:3]))}</dd>")
    if len(finding.dependency_path) > 1:
        rows.append(f"<dt>Included via</dt><dd>{_e(' → '.join(finding.dependency_path))}</dd>")
    rows.append("<dt>Evidence</dt><dd><ul>")
    rows += [f"<li>{_e(evidence_line(hit))}</li>" for hit in finding.hits[:12]]
    if len(finding.hits) > 12:
        rows.append(f"<li>… and {len(finding.hits) - 12} more</li>")
    rows.append("</ul></dd>")
    if db is not None and finding.covered_by:
        rows.append("<dt>Regulations</dt><dd><ul>")
        for reg_id in finding.covered_by:
            regulation = db.regulations.get(reg_id)
            if regulation is not None:
                rows.append(
                    f"<li><strong>{_e(regulation.title)}</strong> "
                    f'<span class="muted">({_e(regulation.citation)})</span></li>'
                )
        rows.append("</ul></dd>")
    if db is not None and finding.detection_class.value in db.classes:
        action = db.classes[finding.detection_class.value].remediation
        rows.append(f"<dt>What to do</dt><dd>{_e(action)}</dd>")
    rows += ["</dl>", "</section>"]
    return rows


def render_html(result: AuditResult, fail_on: FailOn, title: str = "") -> str:
    """The report as one self-contained HTML page."""
    word = headline(result, fail_on)
    css_class, title_line = _VERDICTS[word]
    counts = dict.fromkeys(("error", "warning", "note"), 0)
    for finding in result.active_findings:
        counts[finding.level.value] += 1
    products = sorted({d.name for d in result.documents if d.format in _SBOM_FORMATS and d.name})
    heading = (
        title
        or ("Kaspersky software audit: " + ", ".join(products[:3]) if products else "")
        or "Kaspersky software audit"
    )
    top_level = sorted((d for d in result.documents if "!/" not in d.path), key=lambda d: d.path)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(heading)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_e(heading)}</h1>",
        f'<p class="meta">kaspersky-sbom-auditor {_e(result.tool_version)} · vendor_db '
        f"{_e(result.db_version)} ({_e(result.db_digest[:12])})</p>",
        "</header>",
        f'<div class="verdict {css_class}" role="status"><strong>{_e(title_line)}</strong>'
        f"{_e(_EXPLAIN[word])}</div>",
        "<h2>Summary</h2>",
        "<table><tbody>",
        f"<tr><th>Findings that need action</th><td>{counts['error']} error(s), "
        f"{counts['warning']} warning(s), {counts['note']} note(s); "
        f"{failing(result, fail_on)} at or above the threshold ({_e(fail_on.value)})</td></tr>",
        f"<tr><th>Files inspected</th><td>{len(result.documents)} "
        f"({sum(d.records for d in result.documents)} records)</td></tr>",
        f"<tr><th>Files not inspected</th><td>{len(result.not_inspected)}</td></tr>",
        "</tbody></table>",
        "<h2>What was audited</h2>",
    ]
    if products:
        out.append(f"<p>Products described: {_e(', '.join(products))}.</p>")
    out += ["<table><thead><tr><th>File</th><th>Format</th><th>SHA-256</th></tr></thead><tbody>"]
    out += [
        f"<tr><td><code>{_e(d.path)}</code></td><td>{_e(d.format.value)}</td>"
        f"<td><code>{_e(d.sha256 or '')}</code></td></tr>"
        for d in top_level[:200]
    ]
    out.append("</tbody></table>")
    if len(top_level) > 200:
        out.append(f'<p class="muted">… and {len(top_level) - 200} more files.</p>')
    findings = sort_findings(result.active_findings)
    out.append("<h2>Findings</h2>")
    if not findings:
        out.append("<p>No Kaspersky software was found in the files that could be read.</p>")
    for number, finding in enumerate(findings, start=1):
        out += _finding(result, finding, number)
    if result.not_inspected:
        out += [
            "<h2>Not inspected</h2>",
            "<p>These files could not be read, so the audit cannot vouch for them.</p>",
            "<table><thead><tr><th>File</th><th>Reason</th></tr></thead><tbody>",
        ]
        out += [
            f"<tr><td><code>{_e(s.path)}</code></td><td>{_e(s.reason)}</td></tr>"
            for s in sorted(result.not_inspected, key=lambda s: s.path)
        ]
        out.append("</tbody></table>")
    suppressed = [f for f in sort_findings(result.findings) if f.suppression is not None]
    if suppressed:
        out += [
            "<h2>Accepted findings</h2>",
            "<p>Found, but accepted by the audit's configuration, with the reason given.</p>",
            "<table><thead><tr><th>Finding</th><th>Reason</th></tr></thead><tbody>",
        ]
        out += [
            f"<tr><td>{_e(f.rule_id)} {_e(f.component.display)}<br><code>{_e(_where(f))}"
            f"</code></td><td>{_e(f.suppression.reason)}</td></tr>"
            for f in suppressed
            if f.suppression is not None
        ]
        out.append("</tbody></table>")
    if result.notices:
        out += ["<h2>Configuration notes</h2>", "<ul>"]
        out += [f"<li>{_e(n)}</li>" for n in result.notices]
        out.append("</ul>")
    out += [
        "<h2>About this report</h2>",
        '<p class="muted">Findings are evidence for a compliance review, not legal advice. They '
        "come from matching the files against vendor_db, a curated database of public, sourced "
        f"facts about Kaspersky (version {_e(result.db_version)}, digest "
        f"<code>{_e(result.db_digest)}</code>). Confidence says how strongly the evidence "
        "identifies Kaspersky; a mention alone is never treated as proof.</p>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(out)
