"""vendor_db tools (``kaspersky-audit db``) and overlays: the data behind each command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.errors import DatabaseError, UsageError
from auditor.intel import tools
from auditor.intel.compile import compile_intel
from auditor.intel.load import Database, is_overlay, load_database
from auditor.models import FieldKind
from tests.conftest import copy_db, plant, record, write_overlay

TEST_NAMED = """- id: KL-PROD-999
  kind: product-name
  value: Kaspersky Test Harness
  label: planted product name
  confidence: high
  implies: product
  sources:
  - url: https://example.org/harness
    title: planted source
    grade: secondary
  added: 2026-11-28
"""
LOOK_ALIKE_COLLISION = """- id: KL-NET-999
  kind: domain
  value: evil-example.net
  label: planted domain that its own look-alike contains
  confidence: low
  implies: service
  sources:
  - url: https://example.org/domain
    title: planted source
    grade: secondary
  added: 2026-11-28
"""


# --- examples ---------------------------------------------------------------------------------


def test_examples_fire_and_look_alikes_do_not(db: Database) -> None:
    intel = compile_intel(db)
    indicator = tools.find_indicator(db, "KL-NAME-001")
    assert tools.example_match(indicator) == "Copyright 2024 AO Kaspersky Lab. All rights reserved."
    assert tools.example_lookalike(indicator) == "AO Kasperskyzq Lab"
    assert tools.example_field(indicator) is FieldKind.SUPPLIER
    positive = tools.probe(intel, indicator, tools.example_match(indicator))
    assert positive.fires and "KL-NAME-001" in positive.fired
    negative = tools.probe(intel, indicator, tools.example_lookalike(indicator))
    assert not negative.fires and negative.fired == ()


def test_probe_agrees_with_the_matcher(db: Database) -> None:
    from auditor.match.engine import match_component

    intel = compile_intel(db)
    indicator = tools.find_indicator(db, "KL-NET-001")
    value = tools.example_match(indicator)
    where = tools.example_field(indicator)
    direct = {h.indicator_id for h in match_component(intel, record((where, value)))}
    assert set(tools.probe(intel, indicator, value).fired) == direct


# --- info and list ----------------------------------------------------------------------------


def test_info_counts_add_up(db: Database) -> None:
    info = tools.db_info(db)
    assert info["version"] == db.version and info["digest"] == db.digest
    assert info["root"] == str(db.root) and info["overlays"] == []
    counts = info["indicators"]
    assert counts["total"] == len(db.indicators) and counts["overlay"] == 0
    table = counts["by_kind_and_confidence"]
    assert set(table) == set(tools.KINDS)
    assert sum(sum(row.values()) for row in table.values()) == len(db.indicators)
    assert table["url-prefix"]["high"] == sum(
        1 for i in db.indicators if i.kind == "url-prefix" and i.confidence == "high"
    )
    assert sum(counts["by_confidence"].values()) == len(db.indicators)
    assert info["entities"] == len(db.entities) and info["regulations"] == len(db.regulations)
    assert 0 < info["sources"]["distinct_urls"] <= sum(info["sources"]["by_grade"].values())
    json.dumps(info)  # JSON-ready
    text = tools.render_info(info)
    assert db.digest in text and "entity-name" in text and "overlays:    none" in text


def test_list_filters_by_kind_and_confidence(db: Database) -> None:
    rows = tools.list_indicators(db, kind="domain", confidence="low")
    assert rows and all(r["kind"] == "domain" and r["confidence"] == "low" for r in rows)
    assert len(tools.list_indicators(db)) == len(db.indicators)
    lines = tools.render_list(rows).splitlines()
    assert len(lines) == len(rows) and lines[0].startswith(rows[0]["id"])
    with pytest.raises(UsageError, match="unknown kind"):
        tools.list_indicators(db, kind="hostname")
    with pytest.raises(UsageError, match="unknown confidence"):
        tools.list_indicators(db, confidence="certain")


# --- show -------------------------------------------------------------------------------------


def test_show_explains_a_name(db: Database) -> None:
    shown = tools.show_indicator(compile_intel(db), "KL-NAME-001")
    assert shown["indicator"]["label"].startswith("AO Kaspersky Lab")
    assert shown["indicator"]["sources"][0]["grade"] == "official"
    assert shown["entity_name"] and shown["overlay"] is False
    match = shown["match"]
    assert match["phrase"] == "kaspersky lab" and match["anchor"] == "kaspersky"
    assert "supplier" in match["fields"] and "purl" not in match["fields"]
    assert match["example"]["fires"] is True and match["lookalike"]["fires"] is False
    text = tools.render_show(shown)
    assert "what it would match:" in text and "-> fires [ok]" in text
    assert "-> does not fire [ok]" in text and "UNEXPECTED" not in text


def test_show_explains_a_domain_without_a_phrase(db: Database) -> None:
    shown = tools.show_indicator(compile_intel(db), "KL-NET-001")
    assert shown["match"]["phrase"] is None and shown["match"]["anchor"] == "kaspersky"
    assert shown["match"]["fields"] == sorted(shown["match"]["fields"])


def test_show_of_an_unknown_id_suggests_near_ids(db: Database) -> None:
    with pytest.raises(UsageError, match="did you mean KL-NAME-001"):
        tools.find_indicator(db, "kl-name-001")
    with pytest.raises(UsageError, match="no indicator 'NOPE'"):
        tools.find_indicator(db, "NOPE")


# --- verify -----------------------------------------------------------------------------------


def test_the_shipped_database_verifies_clean() -> None:
    result = tools.verify()
    assert result.problems == [] and result.exit_code == 0
    assert "OK:" in tools.render_verify(result.as_dict())


def test_verify_finds_a_test_identity(tmp_path: Path) -> None:
    root = copy_db(tmp_path)
    plant(root, "kaspersky/products.yaml", TEST_NAMED)
    result = tools.verify(root)
    assert result.exit_code == 1
    assert result.problems == [
        "KL-PROD-999: value 'Kaspersky Test Harness' looks like a test identity"
    ]


def test_verify_finds_an_indicator_that_fires_on_its_look_alike(tmp_path: Path) -> None:
    root = copy_db(tmp_path)
    plant(root, "kaspersky/network.yaml", LOOK_ALIKE_COLLISION)
    result = tools.verify(root)
    assert result.exit_code == 1
    assert len(result.problems) == 1 and result.problems[0].startswith(
        "KL-NET-999: fires on the look-alike"
    )
    assert "FAIL" in tools.render_verify(result.as_dict())


def test_verify_cannot_load_a_broken_database(tmp_path: Path) -> None:
    root = copy_db(tmp_path)
    (root / "classes.yaml").write_text("schema_version: 1\nclasses: [", encoding="utf-8")
    result = tools.verify(root)
    assert result.exit_code == 2 and not result.loaded and "classes.yaml" in (result.error or "")
    assert tools.render_verify(result.as_dict()).startswith("FAIL: the database cannot be loaded")


def test_test_word_is_matched_as_a_word_only() -> None:
    assert tools._TEST_WORD.search("kaspersky-test") and tools._TEST_WORD.search("TEST Lab")
    assert not tools._TEST_WORD.search("attestation") and not tools._TEST_WORD.search("tested")


# --- overlays ---------------------------------------------------------------------------------


def test_an_overlay_adds_marked_indicators_and_changes_the_digest(
    tmp_path: Path, db: Database
) -> None:
    overlay = write_overlay(tmp_path / "contoso.yaml")
    merged = load_database(None, [overlay])
    assert merged.overlays == (overlay.resolve(),)
    assert len(merged.indicators) == len(db.indicators) + 1
    added = tools.find_indicator(merged, "CONTOSO-PKG-1")
    assert is_overlay(added) and not any(is_overlay(i) for i in db.indicators)
    assert merged.digest != db.digest
    assert load_database(None, [overlay]).digest == merged.digest  # deterministic
    info = tools.db_info(merged)
    assert info["indicators"]["overlay"] == 1 and info["overlays"] == [str(overlay.resolve())]
    assert tools.check_database(merged) == []  # a urn: source is fine in an overlay


def test_an_overlay_hit_is_marked(tmp_path: Path) -> None:
    intel = compile_intel(load_database(None, [write_overlay(tmp_path / "o.yaml")]))
    from auditor.match.engine import match_component

    hits = match_component(
        intel, record((FieldKind.NAME, "contoso-av-core"), (FieldKind.URL, "https://kaspersky.com"))
    )
    marks = {hit.indicator_id: hit.overlay for hit in hits}
    assert marks == {"CONTOSO-PKG-1": True, "KL-NET-001": False}


def test_an_overlay_id_may_not_collide_with_a_built_in_id(tmp_path: Path) -> None:
    overlay = write_overlay(tmp_path / "o.yaml", indicator_id="KL-NAME-001")
    with pytest.raises(DatabaseError, match="KL-NAME-001 collides with a built-in indicator"):
        load_database(None, [overlay])


def test_overlay_ids_may_not_collide_with_each_other(tmp_path: Path) -> None:
    first = write_overlay(tmp_path / "a.yaml")
    second = write_overlay(tmp_path / "b.yaml", value="contoso-av-extra")
    with pytest.raises(DatabaseError, match="collides with overlay a.yaml"):
        load_database(None, [first, second])


@pytest.mark.parametrize("bad_id", ["contoso-1", "C-1", "CONTOSO_PKG_1", "CONTOSO"])
def test_overlay_ids_are_validated(tmp_path: Path, bad_id: str) -> None:
    with pytest.raises(DatabaseError, match="o.yaml"):
        load_database(None, [write_overlay(tmp_path / "o.yaml", indicator_id=bad_id)])


def test_overlay_sources_must_be_urls_or_references(tmp_path: Path) -> None:
    for url in ("file:///srv/intel/contoso.pdf", "https://intranet.example/case/42"):
        load_database(None, [write_overlay(tmp_path / "ok.yaml", source_url=url)])
    with pytest.raises(DatabaseError, match="sources"):
        load_database(None, [write_overlay(tmp_path / "o.yaml", source_url="a colleague said so")])


def test_built_in_files_keep_the_strict_rules(tmp_path: Path) -> None:
    root = copy_db(tmp_path)
    plant(root, "kaspersky/network.yaml", LOOK_ALIKE_COLLISION.replace("KL-NET-999", "ACME-NET-1"))
    with pytest.raises(DatabaseError, match="KL-ABC-001"):
        load_database(root)
    root = copy_db(tmp_path / "second")
    plant(
        root,
        "kaspersky/network.yaml",
        LOOK_ALIKE_COLLISION.replace("https://example.org/domain", "urn:x:y"),
    )
    with pytest.raises(DatabaseError, match="url"):
        load_database(root)


def test_a_missing_overlay_is_a_database_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="no such file"):
        load_database(None, [tmp_path / "absent.yaml"])
