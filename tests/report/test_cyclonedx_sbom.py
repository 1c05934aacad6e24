"""`kaspersky-audit sbom`: a valid CycloneDX 1.6 inventory with the findings attached."""

from __future__ import annotations

import json
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from typer.testing import CliRunner

from auditor.cli import app
from tests.conftest import FIXTURES


def test_inventory_sbom_is_valid_cyclonedx_and_carries_the_findings(tmp_path: Path) -> None:
    out = tmp_path / "bom.cdx.json"
    result = CliRunner().invoke(
        app,
        ["sbom", str(FIXTURES / "packages"), "-o", str(out)],
        env={"SOURCE_DATE_EPOCH": "1704067200"},
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    findings = {
        component["name"]: [
            p["value"]
            for p in component.get("properties", [])
            if p["name"] == "kaspersky-audit:finding"
        ]
        for component in bom["components"]
    }
    assert findings["opentip"][0].startswith("KAS003 authored high")
    assert findings["kesl"][0].startswith("KAS002 embedded")
    assert bom["metadata"]["timestamp"].startswith("2024-01-01")
    again = tmp_path / "again.cdx.json"
    CliRunner().invoke(
        app,
        ["sbom", str(FIXTURES / "packages"), "-o", str(again)],
        env={"SOURCE_DATE_EPOCH": "1704067200"},
    )
    assert again.read_text() == text  # reproducible with SOURCE_DATE_EPOCH
