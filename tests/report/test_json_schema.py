"""The JSON report matches its published, versioned schema (auditor/report/schemas)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from auditor.api import audit
from auditor.config import Config, apply_ignores
from auditor.outcome import FailOn
from auditor.report.json_report import SCHEMA_ID, render_json
from tests.conftest import FIXTURES, REPO

SCHEMA = json.loads((REPO / "auditor" / "report" / "schemas" / "json-v1.schema.json").read_text())


@pytest.mark.parametrize(
    "paths",
    [
        ["demo"],
        ["appliance/securegate-fw-TEST.bin", "hostile/archives/encrypted-TEST.7z"],
        ["sbom/generated", "binaries/pe"],
    ],
)
def test_reports_validate_against_the_published_schema(paths: list[str]) -> None:
    result = audit([FIXTURES / p for p in paths])
    config = Config.model_validate({"ignore": [{"class": "mention", "reason": "accepted"}]})
    result = apply_ignores(result, config, "test")
    report = json.loads(render_json(result, FailOn.WARNING))
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["schema"] == SCHEMA_ID == SCHEMA["properties"]["schema"]["const"]


def test_the_schema_rejects_what_it_does_not_define(tmp_path: Path) -> None:
    report = json.loads(render_json(audit([FIXTURES / "demo"]), FailOn.WARNING))
    report["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(report)
