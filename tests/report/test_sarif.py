"""SARIF: schema-valid, GitHub-ready, deterministic, golden-file stable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor.api import audit
from auditor.report.sarif import FINGERPRINT_KEY, build_sarif, render_sarif
from tests.conftest import FIXTURES, REPO

SCHEMA = json.loads(
    (REPO / "auditor" / "report" / "schemas" / "sarif-schema-2.1.0.json").read_text()
)
GOLDEN = FIXTURES / "golden"
CASES = {
    "demo.sarif": ["fixtures/demo"],
    "npm-generated.sarif": ["fixtures/sbom/generated/npm-hexa-ui-icons"],
    "appliance.sarif": [
        "fixtures/appliance",
        "fixtures/images",
        "fixtures/inventory",
        "fixtures/hostile/archives",
    ],
}


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def validate(log: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(log)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_sarif(name: str) -> None:
    text = render_sarif(audit(CASES[name]))
    validate(json.loads(text))
    golden = GOLDEN / name
    if os.environ.get("AUDITOR_UPDATE_SNAPSHOTS") == "1":
        golden.write_text(text, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    validate(json.loads(expected))
    assert text == expected, f"{name} changed; rerun with AUDITOR_UPDATE_SNAPSHOTS=1 if intended"


def test_output_is_byte_identical_across_runs() -> None:
    assert render_sarif(audit(["fixtures/demo"])) == render_sarif(audit(["fixtures/demo"]))


def test_every_result_has_a_located_region_and_fingerprint() -> None:
    log = build_sarif(audit(["fixtures/demo", "fixtures/sbom/generated"]))
    run = log["runs"][0]
    assert run["results"]
    for result in run["results"]:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] > 1 and region["startColumn"] >= 1
        assert len(result["partialFingerprints"][FINGERPRINT_KEY]) == 32
        assert result["relatedLocations"], "evidence locations"
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert run["properties"]["vendorDb"]["version"]


def test_rules_cite_the_regulations() -> None:
    rules = build_sarif(audit(["fixtures/demo"]))["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["KAS001", "KAS002", "KAS003", "KAS004", "KAS005"]
    for rule in rules:
        assert "FAR 52.204-23" in rule["help"]["markdown"]
        assert 0 < float(rule["properties"]["security-severity"]) <= 10
        assert rule["properties"]["tags"][0] in ("security", "compliance")
    embedded = rules[1]["help"]["markdown"]
    assert "89 FR 52434" in embedded and "Entity List" in embedded


def test_fingerprints_survive_unrelated_edits(tmp_path: Path) -> None:
    source = json.loads((FIXTURES / "demo" / "securegate-appliance.cdx.json").read_text())
    first = tmp_path / "a" / "sbom.cdx.json"
    first.parent.mkdir()
    first.write_text(json.dumps(source, indent=2))
    before = {
        r["partialFingerprints"][FINGERPRINT_KEY]
        for r in build_sarif(audit([first]))["runs"][0]["results"]
    }
    source["components"].insert(0, {"type": "library", "name": "zlib", "version": "1.3.1"})
    source["metadata"]["timestamp"] = "2027-01-01T00:00:00Z"
    first.write_text(json.dumps(source, indent=4))
    after = {
        r["partialFingerprints"][FINGERPRINT_KEY]
        for r in build_sarif(audit([first]))["runs"][0]["results"]
    }
    assert before == after and before


def test_inputs_not_inspected_are_tool_notifications(tmp_path: Path) -> None:
    broken = tmp_path / "broken.cdx.json"
    broken.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [')
    log = build_sarif(audit([broken, "fixtures/demo"]))
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    errors = [n for n in invocation["toolExecutionNotifications"] if n["level"] == "error"]
    assert len(errors) == 1 and "invalid JSON" in errors[0]["message"]["text"]
    assert log["runs"][0]["results"], "findings from the other inputs are still reported"
    validate(log)


def _multitool() -> list[str] | None:
    script = REPO / ".ci" / "sarif-multitool-validate.sh"
    if os.environ.get("SARIF_MULTITOOL") or os.environ.get("SARIF_MULTITOOL_DIR"):
        return ["bash", str(script)]
    return None


def test_sarif_multitool_accepts_our_output_for_github(tmp_path: Path) -> None:
    command = _multitool()
    if command is None:
        if os.environ.get("REQUIRE_SARIF_MULTITOOL") == "1":
            pytest.fail("REQUIRE_SARIF_MULTITOOL=1 but SARIF_MULTITOOL(_DIR) is not set")
        pytest.skip("sarif-multitool not installed (set SARIF_MULTITOOL_DIR; .ci/run does)")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    out = tmp_path / "audit.sarif"
    text = render_sarif(audit(["fixtures", broken]))  # every fixture, and an unreadable file
    validate(json.loads(text))
    out.write_text(text)
    # and as the CLI writes it: invocation, times, category, git provenance when available
    from typer.testing import CliRunner

    from auditor.cli import app

    cli = tmp_path / "cli.sarif"
    CliRunner().invoke(
        app,
        ["scan", "fixtures/demo", "fixtures/appliance/netcam-fw-TEST.bin", "-f", "sarif"]
        + ["-o", str(cli), "--category", "kaspersky/demo", "--timestamps"],
    )
    assert shutil.which("bash")
    done = subprocess.run(
        [*command, str(out), str(cli)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in done.stdout, done.stdout


def test_findings_inside_containers_point_at_the_real_file_with_the_chain_logically() -> None:
    log = json.loads(render_sarif(audit(["fixtures/appliance/acme-endpoint-agent-TEST.msi"])))
    validate(log)
    [result] = [r for r in log["runs"][0]["results"] if "acmeav.dll" in r["message"]["text"]]
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == (
        "fixtures/appliance/acme-endpoint-agent-TEST.msi"
    )
    chain = "fixtures/appliance/acme-endpoint-agent-TEST.msi!/agent.cab!/acmeav.dll"
    assert location["logicalLocations"][0]["fullyQualifiedName"] == chain
    assert result["message"]["text"].endswith(f"Found at {chain}.")
    assert result["partialFingerprints"]["primaryLocationLineHash"].endswith(":1")


def test_more_results_than_github_shows_keeps_the_most_severe_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import auditor.report.sarif as sarif

    result = audit(["fixtures/demo"])
    monkeypatch.setattr(sarif, "MAX_RESULTS", 2)
    log = json.loads(render_sarif(result))
    results = log["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "error"]
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    [limited] = [n for n in notes if n["descriptor"]["id"] == "KAS904"]
    assert f"{len(result.findings) - 2} of {len(result.findings)}" in limited["message"]["text"]


def test_thousands_of_ignored_files_are_summarised_not_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditor.report.sarif as sarif

    for index in range(7):
        (tmp_path / f"readme{index}.txt").write_text("hello")
    monkeypatch.setattr(sarif, "MAX_IGNORED_LISTED", 3)
    log = json.loads(render_sarif(audit([tmp_path])))
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    ignored = [n for n in notes if n["descriptor"]["id"] == "KAS901"]
    assert len(ignored) == 4  # three listed, then one summary
    assert "4 more files are not SBOMs" in ignored[-1]["message"]["text"]
    assert len(log["runs"][0]["artifacts"]) == 3


def test_the_cli_records_its_invocation_category_and_checkout(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from auditor.cli import app
    from auditor.report.context import git_provenance

    out = tmp_path / "a.sarif"
    args = ["scan", "fixtures/demo", "-f", "sarif", "-o", str(out), "--category", "sboms/demo"]
    CliRunner().invoke(app, [*args, "--timestamps"])
    log = json.loads(out.read_text())
    validate(log)
    run = log["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["startTimeUtc"].endswith("Z") and invocation["endTimeUtc"].endswith("Z")
    assert run["automationDetails"] == {"id": "sboms/demo/"}
    provenance = git_provenance()
    if provenance is not None:  # a git checkout with an origin (CI clones have one)
        [entry] = run["versionControlProvenance"]
        assert entry["revisionId"] == provenance.revision_id
        assert "://" in entry["repositoryUri"]
    CliRunner().invoke(app, args)
    again = json.loads(out.read_text())["runs"][0]["invocations"][0]
    assert "startTimeUtc" not in again  # times only when asked


def test_remote_urls_become_uris_without_credentials(tmp_path: Path) -> None:
    from auditor.report.context import _CREDENTIALS, _as_uri

    assert _CREDENTIALS.sub("", "https://ci:s3cret@github.com/acme/fw") == (
        "https://github.com/acme/fw"
    )

    assert _as_uri("git@github.com:acme/fw.git", tmp_path) == "ssh://git@github.com/acme/fw.git"
    assert _as_uri("https://github.com/acme/fw", tmp_path) == "https://github.com/acme/fw"
    assert _as_uri("../mirror", tmp_path).startswith("file:///")


def test_a_report_over_githubs_upload_limit_is_shrunk_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gzip

    import auditor.report.sarif as sarif

    result = audit(["fixtures/demo", "fixtures/appliance"])
    full = render_sarif(result)
    limit = int(len(gzip.compress(full.encode(), 6)) * 0.8)
    monkeypatch.setattr(sarif, "MAX_GZIP_BYTES", limit)
    text = render_sarif(result)
    assert len(gzip.compress(text.encode(), 6)) <= limit * 0.95
    log = json.loads(text)
    validate(log)
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("shrunk to stay under GitHub's 10 MB" in n["message"]["text"] for n in notes)
    levels = [r["level"] for r in log["runs"][0]["results"]]
    assert "error" in levels  # the most severe are kept
