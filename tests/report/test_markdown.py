"""Markdown reports and several outputs from one run."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from auditor.api import audit
from auditor.cli import app
from auditor.outcome import FailOn
from auditor.report.markdown import MAX_CHARS, cell, render_markdown
from tests.conftest import FIXTURES

DEMO = FIXTURES / "demo"
runner = CliRunner()


def test_markdown_starts_with_the_verdict_and_lists_every_finding() -> None:
    result = audit([DEMO])
    text = render_markdown(result, FailOn.WARNING)
    assert text.startswith("## Kaspersky audit: FAIL - Kaspersky software found")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "KAS0" in line]
    assert len(rows) == len(result.findings)
    assert text.count("<details>") == text.count("</details>") == len(result.findings)


def test_markdown_of_a_clean_audit_says_so(tmp_path: Path) -> None:
    (tmp_path / "bom.json").write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []})
    )
    text = render_markdown(audit([tmp_path]), FailOn.WARNING)
    assert text.startswith("## Kaspersky audit: PASS - No Kaspersky software found")


def test_findings_below_the_threshold_never_read_as_no_kaspersky_software() -> None:
    """--fail-on decides the exit code, not what the reader is told: a passing gate with a
    Kaspersky product in the inputs must not say 'No Kaspersky software found'."""
    result = audit([DEMO])
    assert any(f.level.value == "error" for f in result.active_findings)
    never = render_markdown(result, FailOn.NEVER)
    assert never.startswith(
        "## Kaspersky audit: PASS - Kaspersky software found, below the --fail-on threshold\n"
    )
    assert "No Kaspersky software found" not in never
    assert render_markdown(result, FailOn.ERROR).startswith(
        "## Kaspersky audit: FAIL - Kaspersky software found\n"
    )


def test_notes_alone_are_not_kaspersky_software(tmp_path: Path) -> None:
    (tmp_path / "mention-TEST.cdx.json").write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "components": [
                    {
                        "type": "library",
                        "name": "kasperskytip",
                        "version": "0.3.1",
                        "description": "Unofficial client for the Kaspersky Threat "
                        "Intelligence Portal API",
                    }
                ],
            }
        )
    )
    result = audit([tmp_path])
    assert [f.level.value for f in result.active_findings] == ["note"]
    assert render_markdown(result, FailOn.WARNING).startswith(
        "## Kaspersky audit: PASS - No Kaspersky software found\n"
    )


def test_table_cells_cannot_break_the_table_or_inject_html() -> None:
    assert cell("a|b\nc<script>") == "a\\|b c&lt;script&gt;"


def test_a_huge_report_stays_under_the_comment_limit(tmp_path: Path) -> None:
    components = [
        {
            "type": "library",
            "bom-ref": f"c{i}",
            "name": f"kaspersky-helper-{i}",
            "version": "1.0",
            "supplier": {"name": "AO Kaspersky Lab"},
            "description": "x" * 300,
        }
        for i in range(400)
    ]
    (tmp_path / "bom.json").write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": components})
    )
    text = render_markdown(audit([tmp_path]), FailOn.WARNING)
    assert len(text) < 65_536 and len(text) > MAX_CHARS // 2
    assert "more finding(s) omitted" in text


def test_several_formats_are_written_in_one_run(tmp_path: Path) -> None:
    sarif, summary, data = tmp_path / "a.sarif", tmp_path / "s.md", tmp_path / "r.json"
    done = runner.invoke(
        app,
        ["scan", str(DEMO), "-f", "sarif", "-o", str(sarif), "-f", "markdown", "-o", str(summary)]
        + ["-o", str(data), "-f", "json"],
    )
    assert done.exit_code == 1, done.output
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert summary.read_text().startswith("## Kaspersky audit: FAIL")
    assert json.loads(data.read_text())["schema"] == "kaspersky-sbom-auditor/json-v1"


def test_output_formats_follow_the_file_extension_when_not_given(tmp_path: Path) -> None:
    sarif, summary = tmp_path / "a.sarif", tmp_path / "s.md"
    done = runner.invoke(app, ["scan", str(DEMO), "-o", str(sarif), "-o", str(summary)])
    assert done.exit_code == 1
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert summary.read_text().startswith("## Kaspersky audit")


def test_formats_and_outputs_that_do_not_pair_are_a_usage_error(tmp_path: Path) -> None:
    two_formats = runner.invoke(app, ["scan", str(DEMO), "-f", "sarif", "-f", "json"])
    assert two_formats.exit_code == 2
    mismatch = runner.invoke(
        app, ["scan", str(DEMO), "-f", "sarif", "-f", "json", "-o", str(tmp_path / "a")]
    )
    assert mismatch.exit_code == 2
