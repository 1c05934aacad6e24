"""Configuration file, ignore entries (suppressions) and baselines."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.api import audit
from auditor.cli import app
from auditor.config import Config, apply_ignores, load_config
from auditor.errors import UsageError
from auditor.report.sarif import render_sarif
from tests.conftest import FIXTURES

DEMO = FIXTURES / "demo"
runner = CliRunner()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _sarif_results(text: str) -> list[dict[str, object]]:
    results: list[dict[str, object]] = json.loads(text)["runs"][0]["results"]
    return results


def test_an_ignore_entry_suppresses_matching_findings_and_sarif_keeps_them(
    tmp_path: Path,
) -> None:
    config = _write(
        tmp_path / "audit.toml",
        '[[ignore]]\nrule = "KAS004"\nreason = "Update channel removed in release 5.3 (SEC-42)"\n',
    )
    out = tmp_path / "out.sarif"
    done = runner.invoke(
        app, ["scan", str(DEMO), "--config", str(config), "-f", "sarif", "-o", str(out)]
    )
    assert done.exit_code == 1  # the other findings still fail the run
    results = _sarif_results(out.read_text())
    suppressed = [r for r in results if "suppressions" in r]
    assert suppressed and all(r["ruleId"] == "KAS004" for r in suppressed)
    [entry] = suppressed[0]["suppressions"]  # type: ignore[misc]
    assert entry["kind"] == "external" and entry["status"] == "accepted"
    assert entry["justification"].startswith("Update channel removed")
    counted = json.loads(out.read_text())["runs"][0]["properties"]["resultsByLevel"]
    assert sum(counted.values()) == len(results) - len(suppressed)


def test_suppressing_everything_passes_and_the_table_lists_what_was_accepted(
    tmp_path: Path,
) -> None:
    config = _write(tmp_path / "audit.toml", '[[ignore]]\nartifact = "*"\nreason = "accepted"\n')
    done = runner.invoke(app, ["scan", str(DEMO), "--config", str(config)])
    assert done.exit_code == 0, done.output
    assert "SUPPRESSED (" in done.output and "not counted" in done.output
    assert "Verdict: PASS" in done.output


def test_an_expired_ignore_stops_suppressing_and_says_so(tmp_path: Path) -> None:
    config = _write(
        tmp_path / "audit.toml",
        '[[ignore]]\nartifact = "*"\nreason = "temporary"\nexpires = 2020-01-01\n',
    )
    out = tmp_path / "out.sarif"
    done = runner.invoke(
        app, ["scan", str(DEMO), "--config", str(config), "-f", "sarif", "-o", str(out)]
    )
    assert done.exit_code == 1
    log = json.loads(out.read_text())
    assert not any("suppressions" in r for r in log["runs"][0]["results"])
    [notice] = log["runs"][0]["invocations"][0]["toolConfigurationNotifications"]
    assert "expired on 2020-01-01" in notice["message"]["text"] and notice["level"] == "warning"


def test_entries_match_on_every_selector_given() -> None:
    result = audit([DEMO])
    config = Config.model_validate(
        {
            "ignore": [
                {"class": "mention", "subject": "*uninstall*", "reason": "competitor remover"},
                {"indicator": "KL-NAME-999", "reason": "never matches"},
            ]
        }
    )
    reviewed = apply_ignores(result, config, "cfg", today=datetime.date(2026, 1, 1))
    for finding in reviewed.findings:
        if finding.suppression is not None:
            assert finding.detection_class.value == "mention"
            assert "uninstall" in (finding.component.name + finding.component.ref).lower()
    assert any("ignore[1] matched no finding" in notice for notice in reviewed.notices)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[ignore]]\nrule = "KAS001"\n', "reason"),
        ('[[ignore]]\nreason = "why"\n', "at least one of"),
        ('[[ignore]]\nrule = "KAS001"\nreason = "why"\ncolour = "red"\n', "colour"),
        ('fail-on = "sometimes"\n', "fail-on"),
        ("unknown-key = 1\n", "unknown-key"),
        ("[[ignore]\n", "invalid TOML"),
    ],
)
def test_a_bad_configuration_is_a_usage_error(tmp_path: Path, text: str, message: str) -> None:
    config = _write(tmp_path / "bad.toml", text)
    with pytest.raises(UsageError, match=message):
        load_config(config)
    done = runner.invoke(app, ["scan", str(DEMO), "--config", str(config)])
    assert done.exit_code == 2


def test_configuration_is_found_in_the_working_directory_or_pyproject(tmp_path: Path) -> None:
    assert load_config(directory=tmp_path)[1] == ""
    _write(tmp_path / "pyproject.toml", '[tool.kaspersky-audit]\nfail-on = "error"\n')
    config, source = load_config(directory=tmp_path)
    assert config.fail_on is not None and config.fail_on.value == "error"
    assert source == "pyproject.toml [tool.kaspersky-audit]"
    _write(tmp_path / ".kaspersky-audit.toml", 'fail-on = "note"\n')
    config, source = load_config(directory=tmp_path)
    assert config.fail_on is not None and config.fail_on.value == "note"
    assert source == ".kaspersky-audit.toml"


def test_fail_on_from_the_configuration_applies_unless_the_command_line_says_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / ".kaspersky-audit.toml", 'fail-on = "never"\n')
    assert runner.invoke(app, ["scan", str(DEMO)]).exit_code == 0
    assert runner.invoke(app, ["scan", str(DEMO), "--fail-on", "error"]).exit_code == 1


def test_a_baseline_counts_only_new_findings(tmp_path: Path) -> None:
    accepted = tmp_path / "accepted.sarif"
    accepted.write_text(render_sarif(audit([DEMO / "securegate-appliance.cdx.json"])))
    done = runner.invoke(
        app,
        ["scan", str(DEMO / "securegate-appliance.cdx.json"), "--baseline", str(accepted)],
    )
    assert done.exit_code == 0, done.output  # nothing new
    assert "unchanged since the baseline" in done.output
    out = tmp_path / "now.sarif"
    done = runner.invoke(
        app, ["scan", str(DEMO), "--baseline", str(accepted), "-f", "sarif", "-o", str(out)]
    )
    assert done.exit_code == 1  # the second SBOM brings new findings
    states = {r["baselineState"] for r in _sarif_results(out.read_text())}
    assert states == {"new", "unchanged"}
    new = [r for r in _sarif_results(out.read_text()) if r["baselineState"] == "new"]
    assert all("management-server" in json.dumps(r["locations"]) for r in new)


def test_a_baseline_that_is_not_sarif_is_a_usage_error(tmp_path: Path) -> None:
    bad = _write(tmp_path / "b.json", '{"bomFormat": "CycloneDX"}')
    assert runner.invoke(app, ["scan", str(DEMO), "--baseline", str(bad)]).exit_code == 2
    missing = tmp_path / "missing.sarif"
    assert runner.invoke(app, ["scan", str(DEMO), "--baseline", str(missing)]).exit_code == 2
