"""vendor_db: valid, sourced, in sync with its schema, and every indicator proven both ways."""

from __future__ import annotations

import shutil
import typing
from pathlib import Path

import pytest

from auditor.errors import DatabaseError
from auditor.intel.compile import CompiledIntel, indicator_fields
from auditor.intel.load import Database, load_database
from auditor.intel.schema import Indicator, IndicatorKind, render_json_schema
from auditor.match.engine import MATCHERS, match_component
from auditor.models import FieldKind
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


def _positive(indicator: Indicator) -> str:
    """A realistic value that must fire the indicator."""
    value = indicator.value
    if indicator.kind == "purl":
        return value + (
            "/some-package@1.0.0" if value.count("/") == 1 and "pypi" not in value else "@1.0.0"
        )
    if indicator.kind == "cpe":
        vendor, _, product = value.partition(":")
        return f"cpe:2.3:a:{vendor}:{product or 'some_product'}:1.0:*:*:*:*:*:*:*"
    if indicator.kind == "domain":
        return f"https://{value}/path"
    if indicator.kind == "url-prefix":
        return f"https://{value}/repo"
    if indicator.kind in ("entity-name", "product-name"):
        return f"Copyright 2024 {value}. All rights reserved."
    return value


def _look_alike(indicator: Indicator) -> str:
    """A value that resembles the indicator but must not fire it."""
    value = indicator.value
    if indicator.kind == "purl":
        return value + "x/some-package@1.0.0"
    if indicator.kind == "cpe":
        vendor, _, product = value.partition(":")
        return f"cpe:2.3:a:{vendor}x:{product or 'p'}:1.0:*:*:*:*:*:*:*"
    if indicator.kind == "domain":
        return f"https://{value}.evil-example.net/ https://x{value}/"
    if indicator.kind == "url-prefix":
        return f"https://{value}x/repo"
    if indicator.kind == "file-hash":
        alg, digest = value.split(":", 1)
        return f"{alg}:{digest[:-1]}{'0' if digest[-1] != '0' else '1'}"
    if indicator.kind == "package-name":
        return value + "x"
    # glue letters onto the most distinctive word: no longer the same name
    parts = value.split()
    longest = max(range(len(parts)), key=lambda i: sum(ch.isalnum() for ch in parts[i]))
    parts[longest] += "zq"
    return " ".join(parts)


def _field(intel: CompiledIntel, indicator: Indicator) -> FieldKind:
    fields = indicator_fields(indicator)
    for preferred in (
        FieldKind.SUPPLIER,
        FieldKind.NAME,
        FieldKind.PURL,
        FieldKind.CPE,
        FieldKind.URL,
        FieldKind.HASH,
        FieldKind.COPYRIGHT,
    ):
        if preferred in fields:
            return preferred
    return sorted(fields, key=lambda f: f.value)[0]


def _indicators() -> list[Indicator]:
    return [i for i in load_database().indicators if not i.deprecated]


@pytest.mark.parametrize("indicator", _indicators(), ids=lambda i: i.id)
def test_every_indicator_fires_on_its_value(intel: CompiledIntel, indicator: Indicator) -> None:
    field = _field(intel, indicator)
    hits = match_component(intel, record((field, _positive(indicator))))
    fired = {hit.indicator_id for hit in hits}
    # A more specific indicator may speak for the same words (e.g. "Kaspersky Lab" over the bare
    # brand); the indicator itself or one whose value contains it must fire.
    assert indicator.id in fired or any(
        indicator.value.lower()
        in next(i for i in intel.db.indicators if i.id == other).value.lower()
        for other in fired
    ), f"{indicator.id} did not fire on {_positive(indicator)!r} in {field.value}: {fired}"


@pytest.mark.parametrize("indicator", _indicators(), ids=lambda i: i.id)
def test_no_indicator_fires_on_a_look_alike(intel: CompiledIntel, indicator: Indicator) -> None:
    field = _field(intel, indicator)
    hits = match_component(intel, record((field, _look_alike(indicator))))
    assert indicator.id not in {hit.indicator_id for hit in hits}, _look_alike(indicator)


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
