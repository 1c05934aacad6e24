"""The command line: formats, output files, documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from tests.conftest import REPO

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_demo_fails_with_findings_and_a_readable_table() -> None:
    result = runner.invoke(app, ["scan", "fixtures/demo"])
    assert result.exit_code == 1
    assert "KAS002" in result.output and "acme-threatscan" in result.output
    assert "Verdict: FAIL" in result.output


def test_fail_on_threshold_changes_the_exit_code() -> None:
    assert runner.invoke(app, ["scan", "fixtures/demo", "--fail-on", "never"]).exit_code == 0
    npm = "fixtures/sbom/generated/npm-hexa-ui-icons/bom.cdx.json"
    assert runner.invoke(app, ["scan", npm, "--fail-on", "error"]).exit_code == 0
    assert runner.invoke(app, ["scan", npm, "--fail-on", "warning"]).exit_code == 1


def test_clean_sbom_exits_zero(tmp_path: Path) -> None:
    clean = tmp_path / "clean.cdx.json"
    clean.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "components": [{"type": "library", "name": "zlib"}],
            }
        )
    )
    result = runner.invoke(app, ["scan", str(clean)])
    assert result.exit_code == 0, result.output
    assert "Verdict: PASS" in result.output


def test_unreadable_input_makes_the_run_incomplete_never_clean(tmp_path: Path) -> None:
    clean = tmp_path / "clean.cdx.json"
    clean.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}')
    broken = tmp_path / "broken.spdx.json"
    broken.write_text('{"spdxVersion": "SPDX-2.3", "packages": [')
    result = runner.invoke(app, ["scan", str(clean), str(broken)])
    assert result.exit_code == 3
    assert "NOT INSPECTED" in result.output and "broken.spdx.json" in result.output
    assert "INCOMPLETE" in result.output


def test_explicit_non_sbom_file_is_not_inspected_but_in_a_directory_it_is_ignored(
    tmp_path: Path,
) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "sbom.cdx.json").write_text('{"bomFormat": "CycloneDX", "specVersion": "1.6"}')
    assert runner.invoke(app, ["scan", str(tmp_path)]).exit_code == 0
    assert runner.invoke(app, ["scan", str(tmp_path / "notes.txt")]).exit_code == 3


def test_findings_beat_incompleteness(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert runner.invoke(app, ["scan", "fixtures/demo", str(broken)]).exit_code == 1


def test_missing_path_is_a_usage_error() -> None:
    result = runner.invoke(app, ["scan", "no/such/file.json"])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_broken_database_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["scan", "fixtures/demo", "--db", str(tmp_path)])
    assert result.exit_code == 2
    assert "vendor_db" in result.output


@pytest.mark.parametrize("fmt", ["sarif", "json"])
def test_machine_formats_write_the_output_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"audit.{fmt}"
    result = runner.invoke(app, ["scan", "fixtures/demo", "--format", fmt, "--output", str(out)])
    assert result.exit_code == 1
    data = json.loads(out.read_text())
    if fmt == "sarif":
        assert data["version"] == "2.1.0"
    else:
        assert data["schema"] == "kaspersky-sbom-auditor/json-v1"
        assert data["verdict"] == "fail" and data["summary"]["findings"]["error"] == 2


def test_help_documents_exit_codes_and_options() -> None:
    result = runner.invoke(app, ["scan", "--help"])
    assert result.exit_code == 0
    for word in ("--format", "--output", "--fail-on", "--db", "Exit codes", "incomplete"):
        assert word in result.output


def test_python_dash_m_is_the_same_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "scan", "fixtures/demo", "-f", "json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 1
    assert json.loads(done.stdout)["summary"]["findings"] == {"error": 2, "warning": 2, "note": 2}


def test_the_quick_exit_flushes_every_report_and_keeps_the_exit_code() -> None:
    """The console entry leaves with os._exit once idle: a large report piped to another
    process must still arrive whole, and a usage error keeps its code and message."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "scan",
            "fixtures/demo",
            "fixtures/binaries",
            "-f",
            "sarif",
            "--jobs",
            "2",
        ],
        capture_output=True,
        cwd=REPO,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert len(done.stdout) > 100_000  # larger than any pipe buffer
    assert json.loads(done.stdout)["runs"][0]["results"]
    missing = subprocess.run(
        [sys.executable, "-m", "auditor", "scan", "no-such-file.json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert missing.returncode == 2
    assert "no-such-file.json" in missing.stderr


def test_demo_command_needs_no_setup_and_shows_every_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # works from anywhere
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    for rule in ("KAS001", "KAS002", "KAS003", "KAS004", "KAS005"):
        assert rule in result.output
    assert "demo/securegate-appliance.cdx.json" in result.output


def test_reports_are_byte_identical_whatever_the_number_of_jobs() -> None:
    from auditor.api import AuditOptions, audit
    from auditor.report.sarif import render_sarif
    from tests.conftest import FIXTURES

    paths = [FIXTURES / "appliance", FIXTURES / "binaries", FIXTURES / "demo"]
    one = render_sarif(audit(paths, AuditOptions(jobs=1)))
    four = render_sarif(audit(paths, AuditOptions(jobs=4)))
    assert one == four


def test_a_spent_run_time_budget_reports_every_input_left_as_not_inspected() -> None:
    result = runner.invoke(
        app, ["scan", "fixtures/demo", "--max-run-seconds", "0.000001", "-f", "json"]
    )
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    reasons = [item["reason"] for item in data["notInspected"]]
    assert len(reasons) == len(list((REPO / "fixtures" / "demo").iterdir()))  # README too: unread
    assert all("--max-run-seconds" in reason for reason in reasons)


def test_the_run_time_budget_bounds_each_input_budget() -> None:
    import time

    from auditor.ingest.containers import Budget, Limits

    spent = Budget(Limits(max_seconds=600), run_deadline=time.monotonic() - 1)
    assert "--max-run-seconds" in spent.take(1)
    own = Budget(Limits(max_seconds=600), run_deadline=time.monotonic() + 10_000)
    assert own.take(1) == "" and not own.run_bound
