"""Every real-world SBOM in ../shared/corpus: read or cleanly refused, never a crash, and never
a warning or error (none of them contains Kaspersky software)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.api import audit
from auditor.models import Level
from tests.conftest import corpus_dir

pytestmark = pytest.mark.corpus


def _folders() -> list[str]:
    from tests.conftest import CORPUS

    if not CORPUS.is_dir():
        return ["(absent)"]
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


@pytest.mark.parametrize("folder", _folders())
def test_corpus_folder_audits_without_crash_or_false_alarm(folder: str) -> None:
    root = corpus_dir() / folder
    result = audit([root])
    loud = [f for f in result.findings if f.level >= Level.WARNING]
    assert not loud, "\n".join(f"{f.artifact}: {f.rule_id} {f.message}" for f in loud)
    for skipped in result.not_inspected:
        assert skipped.reason and "please report" not in skipped.reason, skipped
    total = len(result.documents) + len(result.skipped)
    assert total == sum(1 for p in Path(root).rglob("*") if p.is_file())
    print(
        f"{folder}: {len(result.documents)} read, {len(result.not_inspected)} not inspected, "
        f"{len(result.skipped) - len(result.not_inspected)} not SBOMs, "
        f"{sum(len(d.components) for d in result.documents)} records, "
        f"{len(result.findings)} notes"
    )
