"""The per-input result cache (--cache-dir): same reports, unchanged inputs not read again,
tampered entries ignored, incomplete results never cached."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import auditor.api
from auditor.api import AuditOptions, audit
from auditor.ingest.containers import Limits
from auditor.report.sarif import render_sarif
from tests.conftest import FIXTURES


def _count_unpacking(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    original = auditor.api._audit_bytes

    def spy(item, *args):  # type: ignore[no-untyped-def]
        seen.append(item.display)
        return original(item, *args)

    monkeypatch.setattr(auditor.api, "_audit_bytes", spy)
    return seen


def test_a_warm_cache_gives_the_same_report_without_reading_unchanged_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(FIXTURES / "demo", inputs / "demo")
    shutil.copy(FIXTURES / "appliance" / "securegate-fw-TEST.bin", inputs / "fw.bin")
    seen = _count_unpacking(monkeypatch)
    options = AuditOptions(cache_dir=tmp_path / "cache", display_base=tmp_path)
    cold = render_sarif(audit([inputs], options))
    assert len(seen) == 4
    seen.clear()
    warm = render_sarif(audit([inputs], options))
    assert warm == cold and seen == []
    (inputs / "demo" / "README.md").write_text("changed")
    audit([inputs], options)
    assert seen == ["in/demo/README.md"]  # only what changed is read again


def test_entries_are_keyed_by_options_that_change_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _count_unpacking(monkeypatch)
    fw = FIXTURES / "appliance" / "securegate-fw-TEST.bin"
    audit([fw], AuditOptions(cache_dir=tmp_path))
    audit([fw], AuditOptions(cache_dir=tmp_path, container_limits=Limits(max_depth=2)))
    assert len(seen) == 2


def test_a_tampered_entry_is_ignored_not_unpickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _count_unpacking(monkeypatch)
    demo = FIXTURES / "demo" / "securegate-appliance.cdx.json"
    first = render_sarif(audit([demo], AuditOptions(cache_dir=tmp_path)))
    [entry] = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "cache.key"]
    data = bytearray(entry.read_bytes())
    data[-5] ^= 0xFF
    entry.write_bytes(bytes(data))
    again = render_sarif(audit([demo], AuditOptions(cache_dir=tmp_path)))
    assert again == first and len(seen) == 2
    assert oct((tmp_path / "cache.key").stat().st_mode & 0o777) == "0o600"


def test_incomplete_results_are_not_cached(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    audit([FIXTURES / "hostile" / "archives" / "encrypted-TEST.7z"], AuditOptions(cache_dir=cache))
    assert [p.name for p in cache.rglob("*") if p.is_file()] == ["cache.key"]


def test_a_large_archive_is_hashed_once_for_its_cache_key_and_its_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over spill_size an input is read where it lies (a Blob); its digest is the cache key
    and its archive record's hash, computed in one pass (a 2 GB image was read twice)."""
    from auditor.ingest import blobs
    from tests.conftest import tar_bytes

    image = tmp_path / "image-TEST.tar"
    image.write_bytes(
        tar_bytes(
            {"bom.cdx.json": (FIXTURES / "demo" / "securegate-appliance.cdx.json").read_bytes()}
        )
    )
    passes: list[int] = []
    original = blobs.Blob.chunks

    def counted(self: blobs.Blob) -> list[tuple[int, int]]:
        if self.size == image.stat().st_size:
            passes.append(self.size)
        return original(self)

    monkeypatch.setattr(blobs.Blob, "chunks", counted)
    limits = Limits(spill_size=1024)
    hashed = audit([image], AuditOptions(cache_dir=tmp_path / "cache", container_limits=limits))
    assert len(passes) == 1
    plain = audit([image], AuditOptions(container_limits=limits))
    assert render_sarif(hashed) == render_sarif(plain)
    record = next(d for d in hashed.documents if d.path == str(image))
    import hashlib

    assert record.sha256 == hashlib.sha256(image.read_bytes()).hexdigest()
