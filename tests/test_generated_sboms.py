"""Real generators' output (cyclonedx-npm, npm sbom) for a project that depends on a
Kaspersky-published npm package: exactly the @kaspersky packages are found, nothing else."""

from __future__ import annotations

import pytest

from auditor.api import audit
from auditor.models import DetectionClass
from tests.conftest import FIXTURES

NPM = FIXTURES / "sbom" / "generated" / "npm-hexa-ui-icons"
KASPERSKY_PACKAGES = {"hexa-ui-icons@2.6.11", "hexa-ui-core@0.9.12"}


@pytest.mark.parametrize(
    "name", ["bom.cdx.json", "bom.cdx.xml", "npm-sbom.cdx.json", "npm-sbom.spdx.json"]
)
def test_only_the_kaspersky_packages_are_found(name: str) -> None:
    result = audit([NPM / name])
    assert result.complete and len(result.documents) == 1
    found = {f.component.display.removeprefix("@kaspersky/") for f in result.findings}
    assert found == KASPERSKY_PACKAGES
    for finding in result.findings:
        assert finding.detection_class is DetectionClass.AUTHORED
        assert "purl" in {hit.kind for hit in finding.hits}
    others = [c for c in result.documents[0].components if c.display not in found]
    assert len(others) >= 5, "the benign packages (react, is-number, ...) were read too"
