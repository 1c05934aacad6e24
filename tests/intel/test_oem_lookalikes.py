"""OEM / white-label relationships (context, corroboration) and look-alikes (ruled-out names)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from auditor.api import audit
from auditor.cli import app
from auditor.errors import DatabaseError
from auditor.intel import tools
from auditor.intel.compile import CompiledIntel, compile_intel
from auditor.intel.load import Database, load_database
from auditor.intel.schema import Lookalike, OemRelationship
from auditor.match.engine import match_component
from auditor.models import (
    Component,
    Confidence,
    DetectionClass,
    FieldKind,
    Finding,
    Level,
    SbomDocument,
    SbomFormat,
)
from auditor.outcome import FailOn
from auditor.report.json_report import build_json
from auditor.report.sarif import build_sarif
from auditor.report.table import render_table
from auditor.triage import build_findings
from tests.conftest import REPO, copy_db, plant, record

F = FieldKind
runner = CliRunner()


def _findings(intel: CompiledIntel, component: Component) -> list[Finding]:
    document = SbomDocument("x.json", SbomFormat.CYCLONEDX_JSON, "1.6", (component,))
    hits = match_component(intel, component)
    return build_findings(intel, document, [(component, hits)] if hits else [])


def _without_oem(db: Database) -> CompiledIntel:
    return compile_intel(replace(db, oem=()))


def _write_sbom(path: Path, components: list[dict[str, Any]]) -> Path:
    path.write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": components}),
        encoding="utf-8",
    )
    return path


# --- the data ---------------------------------------------------------------------------------


def test_oem_relationships_are_sourced_and_reference_real_indicators(db: Database) -> None:
    assert len(db.oem) >= 15
    ids = [r.id for r in db.oem]
    assert len(ids) == len(set(ids))
    indicator_ids = {i.id for i in db.indicators}
    for relationship in db.oem:
        assert relationship.sources and all(s.url.startswith("http") for s in relationship.sources)
        assert set(relationship.related_indicators) <= indicator_ids, relationship.id
        if relationship.status == "documented":
            assert any(s.grade in ("vendor", "official") for s in relationship.sources)
        else:
            assert relationship.confidence != "high" and not relationship.related_indicators


def test_documented_relationships_point_at_their_engine_names(db: Database) -> None:
    by_value = {i.value: i.id for i in db.indicators}
    related = {r.vendor: set(r.related_indicators) for r in db.oem if r.status == "documented"}
    assert by_value["kaspersky-lab-engine"] in related["Juniper Networks"]
    assert by_value["SafeStream"] in related["D-Link"]
    assert by_value["Kaspersky Antivirus Technology"] in related["Microsoft"]


def test_lookalikes_are_sourced_and_never_equal_an_indicator_value(db: Database) -> None:
    assert len(db.lookalikes) >= 6
    values = {i.value.casefold() for i in db.indicators}
    for lookalike in db.lookalikes:
        assert lookalike.sources and lookalike.value.casefold() not in values, lookalike.id


def test_no_test_identity_anywhere_in_the_database(db: Database) -> None:
    texts = [i.value for i in db.indicators]
    texts += [name for e in db.entities for name in (e.name, *e.aliases)]
    texts += [t for r in db.oem for t in (r.vendor, *r.vendor_aliases, r.product_line)]
    texts += [item.value for item in db.lookalikes]
    assert not [t for t in texts if tools._TEST_WORD.search(t)]
    assert tools.check_database(db) == []


def test_the_schema_rejects_inconsistent_entries() -> None:
    source = {"url": "https://example.com/x", "title": "A page", "grade": "vendor"}
    base: dict[str, Any] = {
        "id": "KL-OEM-999",
        "vendor": "Acme",
        "product_line": "Box",
        "period": "2001",
        "licensed": "engine",
        "status": "unverified",
        "confidence": "high",
        "evidence": "a claim",
        "sources": [source],
    }
    with pytest.raises(ValidationError, match="only a documented relationship"):
        OemRelationship.model_validate(base)
    look = {"id": "KL-LOOK-999", "kind": "purl", "value": "pkg:npm/x", "ecosystem": "pypi"}
    look |= {"reason": "r r", "sources": [source], "added": "2026-01-01"}
    with pytest.raises(ValidationError, match="not the purl type"):
        Lookalike.model_validate(look)


# --- load-time and verify checks --------------------------------------------------------------

COLLIDING_LOOKALIKE = """- id: KL-LOOK-999
  value: kavhttpd
  kind: package-name
  reason: planted collision with an indicator value
  sources:
  - url: https://example.com/kavhttpd
    title: planted
    grade: third-party
  added: 2026-11-28
"""

TEST_OEM = """- id: KL-OEM-999
  vendor: TEST Appliance Vendor
  product_line: TEST box
  period: "2026"
  licensed: engine
  status: unverified
  confidence: low
  evidence: planted fixture identity
  sources:
  - url: https://example.com/test-vendor
    title: planted
    grade: third-party
"""

UNKNOWN_RELATED = TEST_OEM.replace("KL-OEM-999", "KL-OEM-998").replace(
    "  sources:", "  related_indicators: [KL-PROD-999]\n  sources:"
)


def test_a_lookalike_equal_to_an_indicator_value_is_rejected(tmp_path: Path) -> None:
    root = copy_db(tmp_path)
    plant(root, "kaspersky/lookalikes.yaml", COLLIDING_LOOKALIKE)
    with pytest.raises(DatabaseError, match="KL-LOOK-999.*equals the value of indicator KL-"):
        load_database(root)


def test_an_oem_relationship_naming_an_unknown_indicator_is_rejected(tmp_path: Path) -> None:
    root = copy_db(tmp_path)
    plant(root, "kaspersky/oem.yaml", UNKNOWN_RELATED)
    with pytest.raises(DatabaseError, match="KL-OEM-998 names unknown indicator KL-PROD-999"):
        load_database(root)


def test_verify_finds_a_test_identity_in_the_oem_file(tmp_path: Path) -> None:
    root = copy_db(tmp_path)
    plant(root, "kaspersky/oem.yaml", TEST_OEM)
    result = tools.verify(root)
    assert result.exit_code == 1
    assert any("KL-OEM-999" in p and "test identity" in p for p in result.problems)


def test_verify_finds_a_test_identity_among_lookalikes(tmp_path: Path) -> None:
    root = copy_db(tmp_path)
    entry = COLLIDING_LOOKALIKE.replace("value: kavhttpd", "value: acme-TEST-scanner")
    plant(root, "kaspersky/lookalikes.yaml", entry)
    result = tools.verify(root)
    assert any("KL-LOOK-999" in p and "test identity" in p for p in result.problems)


# --- look-alikes in the matcher ---------------------------------------------------------------


@pytest.mark.parametrize("lookalike", load_database().lookalikes, ids=lambda item: item.id)
def test_a_lookalike_package_is_not_reported_at_warning_or_error(
    tmp_path: Path, lookalike: Lookalike
) -> None:
    component: dict[str, Any] = {"type": "library", "name": lookalike.value, "version": "1.0.0"}
    if lookalike.ecosystem:
        component["purl"] = f"pkg:{lookalike.ecosystem}/{lookalike.value}@1.0.0"
    sbom = _write_sbom(tmp_path / "app.cdx.json", [component])
    result = audit([sbom])
    assert result.complete
    assert not [f for f in result.findings if f.level in (Level.WARNING, Level.ERROR)]
    assert not [h for f in result.findings for h in f.hits if h.field is F.NAME]


def test_a_lookalike_name_with_a_kaspersky_supplier_still_fires(tmp_path: Path) -> None:
    sbom = _write_sbom(
        tmp_path / "app.cdx.json",
        [
            {
                "type": "library",
                "name": "kasperskytip",
                "version": "1.0.0",
                "purl": "pkg:pypi/kasperskytip@1.0.0",
                "supplier": {"name": "AO Kaspersky Lab"},
            }
        ],
    )
    findings = audit([sbom]).findings
    assert len(findings) == 1 and findings[0].level in (Level.WARNING, Level.ERROR)
    assert any(h.field is F.SUPPLIER for h in findings[0].hits)


def test_only_the_named_fact_and_ecosystem_are_ruled_out(intel: CompiledIntel) -> None:
    npm = record((F.NAME, "cloudflash-kaspersky"), (F.PURL, "pkg:npm/cloudflash-kaspersky@1.0"))
    assert match_component(intel, npm) == []
    assert match_component(intel, npm, lookalikes=False)  # the brand word fires without it
    other = record((F.NAME, "cloudflash-kaspersky"), (F.PURL, "pkg:pypi/cloudflash-kaspersky@1"))
    assert match_component(intel, other)  # another ecosystem's package is not the look-alike
    described = record(
        (F.NAME, "cloudflash-kaspersky"),
        (F.PURL, "pkg:npm/cloudflash-kaspersky@1.0"),
        (F.COPYRIGHT, "Copyright AO Kaspersky Lab"),
    )
    assert [h.field for h in match_component(intel, described)] == [F.COPYRIGHT]


# --- OEM relationships in findings ------------------------------------------------------------


def test_a_documented_relationship_is_context_and_corroborates(db: Database) -> None:
    intel = compile_intel(db)
    component = record(
        (F.NAME, "srx-utm-bundle"),
        (F.SUPPLIER, "Juniper Networks, Inc."),
        (F.DESCRIPTION, "Full file-based anti-virus with the kaspersky-lab-engine profile"),
    )
    [finding] = _findings(intel, component)
    [plain] = _findings(_without_oem(db), component)
    assert finding.oem == ("KL-OEM-001",) and plain.oem == ()
    assert finding.detection_class is plain.detection_class is DetectionClass.EMBEDDED
    assert finding.confidence is plain.confidence.raised() is not plain.confidence
    assert finding.oem_notes[0].corroborated
    assert "Juniper Networks has a documented OEM relationship with Kaspersky" in finding.message
    assert "KL-OEM-001" in finding.message and finding.fingerprint == plain.fingerprint


def test_an_unverified_relationship_is_labelled_and_changes_nothing(db: Database) -> None:
    intel = compile_intel(db)
    component = record(
        (F.NAME, "zonealarm-suite"),
        (F.SUPPLIER, "Check Point Software Technologies Ltd."),
        (F.DESCRIPTION, "Bundles Kaspersky Anti-Virus"),
    )
    [finding] = _findings(intel, component)
    [plain] = _findings(_without_oem(db), component)
    assert finding.oem == ("KL-OEM-010",) and not finding.oem_notes[0].corroborated
    assert (finding.detection_class, finding.level, finding.confidence) == (
        plain.detection_class,
        plain.level,
        plain.confidence,
    )
    assert "an unverified claim" in finding.message and "not evidence" in finding.message


def test_a_refuted_relationship_is_labelled(intel: CompiledIntel) -> None:
    component = record((F.NAME, "ultraav"), (F.SUPPLIER, "Pango Group"), (F.TEXT, "Kaspersky"))
    [finding] = _findings(intel, component)
    assert finding.oem == ("KL-OEM-016",) and "refuted by the sources" in finding.message


def test_a_relationship_alone_never_creates_a_finding(intel: CompiledIntel) -> None:
    component = record((F.NAME, "srx-firmware"), (F.SUPPLIER, "Juniper Networks"))
    assert match_component(intel, component) == []
    assert _findings(intel, component) == []


def test_an_undocumented_relationship_never_corroborates(db: Database) -> None:
    intel = compile_intel(db)
    component = record(
        (F.NAME, "forefront-bundle"),
        (F.SUPPLIER, "Microsoft Corporation"),
        (F.DESCRIPTION, "Scans mail with the Kaspersky Antivirus Technology engine"),
    )
    [finding] = _findings(intel, component)
    statuses = {note.id: (note.status, note.corroborated) for note in finding.oem_notes}
    assert statuses["KL-OEM-005"] == ("documented", True)
    assert statuses["KL-OEM-006"] == ("unverified", False)
    assert finding.confidence is Confidence.HIGH


def test_reports_carry_the_relationships(tmp_path: Path) -> None:
    sbom = _write_sbom(
        tmp_path / "fw.cdx.json",
        [
            {
                "type": "firmware",
                "name": "netdefendos",
                "version": "2.40.03",
                "supplier": {"name": "D-Link Corporation"},
                "description": "Anti-virus with the SafeStream II signature database",
            }
        ],
    )
    result = audit([sbom])
    [finding] = result.findings
    assert finding.oem == ("KL-OEM-004",)
    sarif = build_sarif(result)["runs"][0]["results"][0]["properties"]
    assert sarif["oemRelationships"] == [
        {"id": "KL-OEM-004", "vendor": "D-Link", "status": "documented", "corroborated": True}
    ]
    report = build_json(result, FailOn.WARNING)["findings"][0]
    assert report["oemRelationships"][0]["id"] == "KL-OEM-004"
    assert "  oem:       KL-OEM-004 D-Link (documented, corroborates)" in render_table(
        result, FailOn.WARNING
    )


# --- db tools ---------------------------------------------------------------------------------


def test_db_info_counts_relationships_and_lookalikes(db: Database) -> None:
    info = tools.db_info(db)
    assert info["oem_relationships"]["total"] == len(db.oem)
    assert sum(info["oem_relationships"]["by_status"].values()) == len(db.oem)
    assert info["lookalikes"]["total"] == len(db.lookalikes)
    text = tools.render_info(info)
    assert f"oem:         {len(db.oem)} relationships" in text and "look-alikes:" in text


def test_db_show_explains_a_relationship_and_a_lookalike(intel: CompiledIntel) -> None:
    shown = tools.show(intel, "KL-OEM-001")
    assert shown["oem"]["vendor"] == "Juniper Networks" and not shown["context_only"]
    assert shown["related"][0]["label"].startswith("kaspersky-lab-engine")
    look = next(item for item in intel.db.lookalikes if item.value == "cloudflash-kaspersky")
    shown = tools.show(intel, look.id.lower())
    probe = shown["probe"]
    assert probe["ruled_out"] and probe["name_hits_left"] == []
    assert {fact["ruled_out_by"] for fact in probe["facts"]} == {look.id}
    assert f"ruled out by {look.id}" in tools.render_any(shown)
    assert tools.show(intel, "KL-NAME-001")["indicator"]["id"] == "KL-NAME-001"


def test_cli_db_show_takes_oem_and_lookalike_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = runner.invoke(app, ["db", "show", "KL-OEM-005"])
    assert result.exit_code == 0, result.output
    assert "Forefront Threat Management Gateway" in result.output
    result = runner.invoke(app, ["db", "show", "KL-LOOK-001", "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.output)["lookalike"]["id"] == "KL-LOOK-001"
    info = json.loads(runner.invoke(app, ["db", "info", "--format", "json"]).output)
    assert info["oem_relationships"]["total"] > 0 and info["lookalikes"]["total"] > 0
