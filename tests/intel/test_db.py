"""vendor_db: valid, sourced, in sync with its schema, and every indicator proven both ways."""

from __future__ import annotations

import shutil
import typing
from pathlib import Path

import pytest

from auditor.errors import DatabaseError
from auditor.intel.compile import CompiledIntel
from auditor.intel.load import Database, load_database
from auditor.intel.schema import Indicator, IndicatorKind, render_json_schema
from auditor.intel.tools import example_field, example_lookalike, example_match
from auditor.match.engine import MATCHERS, match_component
from tests.conftest import REPO, record


def test_schema_json_is_generated_from_the_models() -> None:
    committed = (REPO / "vendor_db" / "schema.json").read_text(encoding="utf-8")
    assert committed == render_json_schema(), (
        "run: python -m auditor.intel.schema > vendor_db/schema.json"
    )


def test_every_kind_has_exactly_one_matcher_and_every_matcher_a_kind() -> None:
    assert set(typing.get_args(IndicatorKind)) == set(MATCHERS)


def test_every_indicator_is_sourced_and_uniquely_identified(db: Database) -> None:
    ids = [i.id for i in db.indicators]
    assert len(ids) == len(set(ids))
    for indicator in db.indicators:
        assert indicator.sources, indicator.id
        assert all(s.url.startswith("http") for s in indicator.sources), indicator.id


def test_no_test_or_fixture_value_is_listed(db: Database) -> None:
    for indicator in db.indicators:
        assert "test" not in indicator.value.lower().split(), indicator.id


def test_every_regulation_and_class_is_present(db: Database) -> None:
    assert set(db.classes) == {"product", "embedded", "authored", "service", "mention"}
    assert {"bis-icts-final-determination", "far-52-204-23", "bis-entity-list-2024"} <= set(
        db.regulations
    )


def _indicators() -> list[Indicator]:
    return [i for i in load_database().indicators if not i.deprecated]


@pytest.mark.parametrize("indicator", _indicators(), ids=lambda i: i.id)
def test_every_indicator_fires_on_its_value(intel: CompiledIntel, indicator: Indicator) -> None:
    field = example_field(indicator)
    hits = match_component(intel, record((field, example_match(indicator))))
    fired = {hit.indicator_id for hit in hits}
    # A more specific indicator may speak for the same words (e.g. "Kaspersky Lab" over the bare
    # brand); the indicator itself or one whose value contains it must fire.
    assert indicator.id in fired or any(
        indicator.value.lower()
        in next(i for i in intel.db.indicators if i.id == other).value.lower()
        for other in fired
    ), f"{indicator.id} did not fire on {example_match(indicator)!r} in {field.value}: {fired}"


@pytest.mark.parametrize("indicator", _indicators(), ids=lambda i: i.id)
def test_no_indicator_fires_on_a_look_alike(intel: CompiledIntel, indicator: Indicator) -> None:
    field = example_field(indicator)
    hits = match_component(intel, record((field, example_lookalike(indicator))))
    assert indicator.id not in {hit.indicator_id for hit in hits}, example_lookalike(indicator)


def test_a_broken_database_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "vendor_db"
    shutil.copytree(REPO / "vendor_db", root)
    names = root / "kaspersky" / "names.yaml"
    names.write_text(
        names.read_text(encoding="utf-8").replace("confidence: high", "confidence: certain", 1),
        encoding="utf-8",
    )
    with pytest.raises(DatabaseError, match="names.yaml"):
        load_database(root)


def test_an_unsourced_indicator_is_rejected(tmp_path: Path) -> None:
    root = tmp_path / "vendor_db"
    shutil.copytree(REPO / "vendor_db", root)
    (root / "kaspersky" / "files.yaml").write_text(
        "schema_version: 1\ndescription: x\nindicators:\n"
        "  - id: KL-FILE-999\n    kind: file-hash\n    value: 'sha1:" + "0" * 40 + "'\n"
        "    label: made up\n    confidence: high\n    implies: product\n    sources: []\n"
        "    added: 2026-11-28\n",
        encoding="utf-8",
    )
    with pytest.raises(DatabaseError, match="sources"):
        load_database(root)


def test_database_digest_changes_with_content(tmp_path: Path) -> None:
    root = tmp_path / "vendor_db"
    shutil.copytree(REPO / "vendor_db", root)
    before = load_database(root).digest
    meta = root / "db.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert load_database(root).digest != before


def test_rules_reference_is_generated_from_the_database(db: Database) -> None:
    from auditor.docs import render_rules

    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render_rules(db), "run: python -m auditor.docs > docs/rules.md"
