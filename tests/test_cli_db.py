"""``kaspersky-audit db ...`` and ``--db-overlay``: outputs and documented exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.intel.load import load_database
from tests.conftest import REPO, copy_db, plant, write_overlay
from tests.intel.test_tools import LOOK_ALIKE_COLLISION, TEST_NAMED

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture
def sbom(tmp_path: Path) -> Path:
    """A supplier SBOM with one component only the overlay knows, and a clean one."""
    path = tmp_path / "supplier.cdx.json"
    path.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "components": [
                    {"type": "library", "name": "contoso-av-core", "version": "3.1"},
                    {"type": "library", "name": "zlib", "version": "1.3"},
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


# --- db info / list / show --------------------------------------------------------------------


def test_db_info_text_and_json() -> None:
    db = load_database()
    text = runner.invoke(app, ["db", "info"])
    assert text.exit_code == 0, text.output
    assert db.version in text.output and db.digest in text.output
    assert "high  medium     low   total" in text.output and "official" in text.output
    data = json.loads(runner.invoke(app, ["db", "info", "--format", "json"]).output)
    assert data["digest"] == db.digest and data["indicators"]["total"] == len(db.indicators)
    assert data["overlays"] == []


def test_db_list_filters_and_rejects_unknown_kinds() -> None:
    result = runner.invoke(app, ["db", "list", "--kind", "cpe"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines and all(" cpe " in line for line in lines)
    rows = json.loads(
        runner.invoke(app, ["db", "list", "--confidence", "low", "--format", "json"]).output
    )
    assert rows and {row["confidence"] for row in rows} == {"low"}
    assert set(rows[0]) >= {"id", "kind", "confidence", "implies", "value", "label"}
    bad = runner.invoke(app, ["db", "list", "--kind", "hostname"])
    assert bad.exit_code == 2 and "unknown kind 'hostname'" in bad.output


def test_db_show_explains_and_runs_the_matcher() -> None:
    result = runner.invoke(app, ["db", "show", "KL-NAME-001"])
    assert result.exit_code == 0, result.output
    assert "AO Kaspersky Lab" in result.output and "[official]" in result.output
    assert "phrase:" in result.output and "anchor:" in result.output
    assert "-> fires [ok]" in result.output and "-> does not fire [ok]" in result.output
    data = json.loads(runner.invoke(app, ["db", "show", "KL-NET-001", "-f", "json"]).output)
    assert data["indicator"]["id"] == "KL-NET-001"
    assert data["match"]["example"]["fires"] and not data["match"]["lookalike"]["fires"]


def test_db_show_of_an_unknown_id_is_a_usage_error() -> None:
    result = runner.invoke(app, ["db", "show", "KL-NOPE-001"])
    assert result.exit_code == 2
    assert "error: no indicator 'KL-NOPE-001'" in result.output


# --- db verify --------------------------------------------------------------------------------


def test_db_verify_passes_on_the_shipped_database() -> None:
    result = runner.invoke(app, ["db", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK:")


def test_db_verify_reports_planted_problems(tmp_path: Path) -> None:
    root = copy_db(tmp_path)
    plant(root, "kaspersky/products.yaml", TEST_NAMED)
    plant(root, "kaspersky/network.yaml", LOOK_ALIKE_COLLISION)
    result = runner.invoke(app, ["db", "verify", "--db", str(root)])
    assert result.exit_code == 1, result.output
    assert "problem: KL-PROD-999: value 'Kaspersky Test Harness' looks like a test identity" in (
        result.output
    )
    assert "problem: KL-NET-999: fires on the look-alike" in result.output
    assert "FAIL:" in result.output and "2 problem(s)" in result.output
    data = json.loads(runner.invoke(app, ["db", "verify", "--db", str(root), "-f", "json"]).output)
    assert data["ok"] is False and len(data["problems"]) == 2


def test_db_verify_exits_2_on_a_database_that_cannot_be_loaded(tmp_path: Path) -> None:
    root = copy_db(tmp_path)
    names = root / "kaspersky" / "names.yaml"
    names.write_text(
        names.read_text(encoding="utf-8").replace("confidence: high", "confidence: sure", 1),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["db", "verify", "--db", str(root)])
    assert result.exit_code == 2
    assert "cannot be loaded" in result.output and "names.yaml" in result.output
    assert runner.invoke(app, ["db", "info", "--db", str(root)]).exit_code == 2


# --- overlays ---------------------------------------------------------------------------------


def test_an_overlay_indicator_fires_in_a_scan_and_is_marked(tmp_path: Path, sbom: Path) -> None:
    overlay = write_overlay(tmp_path / "contoso.yaml")
    without = runner.invoke(app, ["scan", str(sbom)])
    assert without.exit_code == 0 and "contoso-av-core" not in without.output

    table = runner.invoke(app, ["scan", str(sbom), "--db-overlay", str(overlay)])
    assert table.exit_code == 1, table.output
    assert "CONTOSO-PKG-1) [overlay]" in table.output

    report = json.loads(
        runner.invoke(app, ["scan", str(sbom), "--db-overlay", str(overlay), "-f", "json"]).output
    )
    evidence = [e for f in report["findings"] for e in f["evidence"]]
    assert [(e["indicator"], e["overlay"]) for e in evidence] == [("CONTOSO-PKG-1", True)]

    sarif = json.loads(
        runner.invoke(app, ["scan", str(sbom), "--db-overlay", str(overlay), "-f", "sarif"]).output
    )
    indicators = [i for r in sarif["runs"][0]["results"] for i in r["properties"]["indicators"]]
    assert [(i["id"], i.get("overlay")) for i in indicators] == [("CONTOSO-PKG-1", True)]


def test_built_in_hits_are_not_marked(tmp_path: Path) -> None:
    overlay = write_overlay(tmp_path / "contoso.yaml")
    result = runner.invoke(
        app, ["scan", "fixtures/demo", "--db-overlay", str(overlay), "-f", "json"]
    )
    evidence = [e for f in json.loads(result.output)["findings"] for e in f["evidence"]]
    assert evidence and not any(e["overlay"] for e in evidence)
    assert "[overlay]" not in runner.invoke(app, ["scan", "fixtures/demo"]).output


def test_an_overlay_changes_the_digest_everywhere(tmp_path: Path, sbom: Path) -> None:
    overlay = write_overlay(tmp_path / "contoso.yaml")
    plain = json.loads(runner.invoke(app, ["db", "info", "-f", "json"]).output)
    merged = json.loads(
        runner.invoke(app, ["db", "info", "-f", "json", "--db-overlay", str(overlay)]).output
    )
    assert merged["digest"] != plain["digest"]
    assert merged["overlays"] == [str(overlay.resolve())]
    assert merged["indicators"]["overlay"] == 1
    report = json.loads(
        runner.invoke(app, ["scan", str(sbom), "--db-overlay", str(overlay), "-f", "json"]).output
    )
    assert merged["digest"] in json.dumps(report)


def test_an_overlay_id_collision_is_rejected(tmp_path: Path, sbom: Path) -> None:
    overlay = write_overlay(tmp_path / "bad.yaml", indicator_id="KL-PKG-001")
    for args in (
        ["scan", str(sbom)],
        ["demo"],
        ["db", "info"],
        ["db", "list"],
        ["db", "show", "KL-PKG-001"],
        ["db", "verify"],
    ):
        result = runner.invoke(app, [*args, "--db-overlay", str(overlay)])
        assert result.exit_code == 2, args
        assert "KL-PKG-001 collides with a built-in indicator" in result.output, args


def test_overlay_indicators_are_listed_shown_and_verified(tmp_path: Path) -> None:
    first = write_overlay(tmp_path / "a.yaml")
    second = write_overlay(tmp_path / "b.yaml", indicator_id="CONTOSO-PKG-2", value="contoso-x")
    overlays = ["--db-overlay", str(first), "--db-overlay", str(second)]
    listed = runner.invoke(app, ["db", "list", "--kind", "package-name", *overlays])
    assert listed.output.count("[overlay]") == 2
    shown = runner.invoke(app, ["db", "show", "CONTOSO-PKG-2", *overlays])
    assert shown.exit_code == 0 and "origin:      overlay" in shown.output
    assert "urn:contoso:procurement:case-42" in shown.output
    verified = runner.invoke(app, ["db", "verify", *overlays])
    assert verified.exit_code == 0, verified.output


def test_demo_takes_an_overlay(tmp_path: Path) -> None:
    overlay = write_overlay(tmp_path / "contoso.yaml")
    assert runner.invoke(app, ["demo", "--db-overlay", str(overlay)]).exit_code == 0
