"""Generate docs/rules.md from vendor_db: the rules, the regulations and every indicator.

``python -m auditor.docs > docs/rules.md``; a test fails when the committed file drifts.
"""

from __future__ import annotations

import sys

from auditor.intel.load import Database, load_database


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_rules(db: Database) -> str:
    """Markdown reference of detection classes, regulations and indicators."""
    out = [
        "# Rules and indicators",
        "",
        f"Generated from vendor_db {db.version} (digest `{db.digest[:16]}`) by "
        "`python -m auditor.docs`. Do not edit by hand.",
        "",
        "## Rules (one per detection class; ids are permanent)",
        "",
    ]
    for rule in sorted(db.classes.values(), key=lambda r: r.rule_id):
        out += [
            f"### {rule.rule_id}",
            "",
            f"**{rule.name}** ({rule.detection_class}, default level `{rule.level}`, "
            f"security-severity {rule.security_severity:.1f})",
            "",
            rule.full_description,
            "",
            f"*What to do:* {rule.remediation}",
            "",
            "Regulations: " + ", ".join(f"[{r}](#{r})" for r in rule.regulations),
            "",
        ]
    out += ["## Regulations", ""]
    for reg in db.regulations.values():
        out += [
            f"### {reg.id}",
            "",
            f"**{reg.title}**, {reg.citation}. {reg.summary}",
            "",
            "Sources: " + "; ".join(f"[{s.title}]({s.url})" for s in reg.sources),
            "",
        ]
    out += [
        "## Indicators",
        "",
        "| id | kind | value | label | confidence | implies | sources |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for ind in sorted(db.indicators, key=lambda i: i.id):
        sources = " ".join(f"[{n}]({s.url})" for n, s in enumerate(ind.sources, start=1))
        value = f"`{ind.value}`" + (" (deprecated)" if ind.deprecated else "")
        out.append(
            f"| {ind.id} | {ind.kind} | {_cell(value)} | {_cell(ind.label)} | "
            f"{ind.confidence} | {ind.implies} | {sources} |"
        )
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover - developer tool
    sys.stdout.write(render_rules(load_database()))
