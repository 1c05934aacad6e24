"""The validated vendor_db is cached between runs, never served stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import auditor.intel.load as load
from tests.conftest import REPO


def test_a_cached_database_is_the_same_and_a_changed_file_is_never_served_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KASPERSKY_AUDIT_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("KASPERSKY_AUDIT_NO_DB_CACHE", raising=False)
    copy = tmp_path / "vendor_db"
    shutil.copytree(REPO / "vendor_db", copy)
    calls: list[Path] = []
    real = load._load_database

    def counting(root, overlays):  # type: ignore[no-untyped-def]
        calls.append(root)
        return real(root, overlays)

    monkeypatch.setattr(load, "_load_database", counting)
    first = load.load_database(copy)
    second = load.load_database(copy)
    assert len(calls) == 1 and second.digest == first.digest
    assert second.indicators == first.indicators
    meta = copy / "db.yaml"
    meta.write_text(meta.read_text().replace("version:", "version: ", 1))
    third = load.load_database(copy)
    assert len(calls) == 2 and third.digest != first.digest


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KASPERSKY_AUDIT_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("KASPERSKY_AUDIT_NO_DB_CACHE", "1")
    load.load_database()
    assert list(tmp_path.iterdir()) == []
