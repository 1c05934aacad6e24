"""Large inputs read in place: byte ranges of a file (blobs) instead of bytes in memory.

The differential test is the main proof: every fixture audited with everything forced out of
memory (``spill_size=0``: every file a blob, every decompressed stream spilled to a temporary
file, every stored tar member a window) gives the same SARIF, byte for byte, as the in-memory
path.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import tracemalloc
from pathlib import Path

import pytest

from auditor.api import AuditOptions, audit
from auditor.ingest.blobs import Blob, spill
from auditor.ingest.containers import Budget, Limits, Member, Refused, expand
from auditor.models import Disposition
from auditor.report.sarif import render_sarif
from tests.conftest import tar_bytes

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"


def _blob(tmp_path: Path, content: bytes) -> Blob:
    path = tmp_path / "blob-TEST.bin"
    path.write_bytes(content)
    return Blob(path.open("rb"), 0, len(content), owned=True)


def test_a_blob_reads_its_range_and_nothing_past_it(tmp_path: Path) -> None:
    content = bytes(range(256)) * 64
    blob = _blob(tmp_path, content)
    try:
        assert blob.read_all() == content
        assert blob.read(250, 10) == content[250:260]
        assert blob.read(len(content) - 3, 100) == content[-3:]
        window = blob.window(1000, 500)
        assert window.read_all() == content[1000:1500]
        assert window.read(490, 100) == content[1490:1500]  # clipped to the window
        assert blob.window(len(content) - 10, 100).size == 10
        assert window.sha256() == hashlib.sha256(content[1000:1500]).hexdigest()
        handle = window.open()
        handle.seek(10)
        assert handle.read(5) == content[1010:1015]
        handle.seek(-5, io.SEEK_END)
        assert handle.read() == content[1495:1500]
        assert handle.read() == b""
    finally:
        blob.close()
    assert blob.file.closed


def test_a_window_does_not_close_the_file_it_looks_into(tmp_path: Path) -> None:
    blob = _blob(tmp_path, b"0123456789")
    blob.window(2, 3).close()
    assert not blob.file.closed and blob.window(2, 3).read_all() == b"234"
    blob.close()


def test_a_file_that_shrinks_while_read_is_an_error_not_short_data(tmp_path: Path) -> None:
    blob = _blob(tmp_path, b"x" * 1000)
    (tmp_path / "blob-TEST.bin").write_bytes(b"x" * 10)
    with pytest.raises(OSError, match="truncated"):
        blob.read_all()
    blob.close()


def test_a_stream_over_its_keep_size_spills_and_still_stops_at_its_limit() -> None:
    content = bytes(range(256)) * 4096  # 1 MiB
    spilled = spill(io.BytesIO(content), len(content), keep=1000)
    assert isinstance(spilled, Blob) and spilled.owned
    assert spilled.read_all() == content
    spilled.close()
    assert spill(io.BytesIO(content), len(content) - 1, keep=1000) is None
    assert spill(io.BytesIO(content), len(content), keep=len(content)) == content


_tar = tar_bytes


def test_a_truncated_tar_on_disk_is_reported_as_in_memory(tmp_path: Path) -> None:
    data = _tar({"a-TEST.txt": b"a" * 5000, "b-TEST.txt": b"b" * 5000})[:7000]
    in_memory = list(expand("x-TEST.tar", data, Budget(Limits())))
    blob = _blob(tmp_path, data)
    on_disk = list(expand("x-TEST.tar", blob, Budget(Limits(spill_size=0))))
    assert [type(m).__name__ for m in on_disk] == [type(m).__name__ for m in in_memory]
    assert on_disk[-1] == in_memory[-1] and isinstance(on_disk[-1], Refused)
    assert "truncated or corrupt" in on_disk[-1].reason
    blob.close()


def test_a_gzip_bomb_on_disk_stops_at_the_ratio_limit(tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * (64 << 20))  # ~64 KiB that expands 1000-fold
    blob = _blob(tmp_path, bomb)
    out = list(expand("bomb-TEST.gz", blob, Budget(Limits(spill_size=0))))
    assert len(out) == 1 and isinstance(out[0], Refused)
    assert "compression-bomb" in out[0].reason
    blob.close()
    assert list(tmp_path.iterdir()) == [tmp_path / "blob-TEST.bin"]  # nothing left behind


def test_a_large_tar_member_is_a_window_not_a_copy(tmp_path: Path) -> None:
    content = b"TEST member " * 100_000
    blob = _blob(tmp_path, _tar({"big-TEST.bin": content}))
    (member,) = expand("x-TEST.tar", blob, Budget(Limits(spill_size=1 << 16)))
    assert isinstance(member, Member) and isinstance(member.data, Blob)
    assert member.data.file is blob.file and member.data.read_all() == content
    blob.close()


def test_a_large_archive_is_audited_without_being_held_in_memory(tmp_path: Path) -> None:
    """A 48 MiB tar.gz of 48 one-MiB members, one of them a Kaspersky-naming SBOM: with a
    4 MiB spill size, the audit's Python allocations stay far below the archive's size."""
    sbom = (FIXTURES / "demo" / "securegate-appliance.cdx.json").read_bytes()
    noise = random.Random(7)  # incompressible, so the ratio limit does not refuse the archive
    members = {f"filler-{i:02d}-TEST.bin": noise.randbytes(1 << 20) for i in range(47)}
    members["sbom/securegate-TEST.cdx.json"] = sbom
    path = tmp_path / "appliance-TEST.tar.gz"
    path.write_bytes(gzip.compress(_tar(members), compresslevel=1))
    options = AuditOptions(container_limits=Limits(spill_size=4 << 20), jobs=1)
    tracemalloc.start()
    try:
        result = audit([path], options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.findings
    assert not [s for s in result.skipped if s.disposition is Disposition.NOT_INSPECTED]
    assert peak < 16 << 20, f"peak traced memory {peak >> 20} MiB for a 48 MiB archive"


def _all_fixture_inputs() -> list[Path]:
    return sorted(
        path
        for directory in ("appliance", "images", "inventory", "hostile", "packages", "demo")
        for path in (FIXTURES / directory).iterdir()
        if path.suffix not in (".py", ".md", ".sh") and path.name != "SHA256SUMS"
    )


def test_reading_in_place_gives_the_same_sarif_as_reading_in_memory(tmp_path: Path) -> None:
    inputs = _all_fixture_inputs()
    assert len(inputs) > 30
    base = AuditOptions(display_base=REPO, jobs=1)
    in_memory = render_sarif(audit(inputs, base))
    in_place = render_sarif(
        audit(
            inputs, AuditOptions(display_base=REPO, jobs=1, container_limits=Limits(spill_size=0))
        )
    )
    assert in_place == in_memory
    assert '"ruleId"' in in_memory  # the fixtures do fire: the comparison is not of two empties


def test_file_systems_and_disk_dumps_read_in_place_match_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Standalone ext and SquashFS images, and a disk dump with a file system at an odd
    offset, scanned in chunks small enough that magics straddle chunk boundaries."""
    import auditor.ingest.filesystems as filesystems

    securegate = (FIXTURES / "appliance" / "securegate-fw-TEST.bin").read_bytes()
    router = (FIXTURES / "appliance" / "edge-router-fw-TEST.bin").read_bytes()
    inputs = {
        "ext-TEST.img": securegate[512 : 512 + 2097152],
        "squashfs-TEST.img": router[4160 : 4160 + 2310],
        "disk-dump-TEST.img": b"\0" * (3 << 20) + b"\x55" * 512 + securegate + b"\0" * 4096,
    }
    for name, content in inputs.items():
        (tmp_path / name).write_bytes(content)
    paths = sorted(tmp_path.iterdir())
    expected = render_sarif(audit(paths, AuditOptions(display_base=tmp_path, jobs=1)))
    assert expected.count('"ruleId"') >= 3  # each image holds Kaspersky evidence
    for chunk in (4099, 1 << 20):
        monkeypatch.setattr(filesystems, "CHUNK", chunk)
        options = AuditOptions(display_base=tmp_path, jobs=1, container_limits=Limits(spill_size=0))
        assert render_sarif(audit(paths, options)) == expected, f"chunk {chunk}"


def test_a_disk_dump_over_the_whole_file_limit_is_still_carved(tmp_path: Path) -> None:
    """Only what must be read whole is bound by --max-file-size: a raw dump far larger than it
    is scanned in place and its file system opened."""
    securegate = (FIXTURES / "appliance" / "securegate-fw-TEST.bin").read_bytes()
    dump = tmp_path / "disk-dump-TEST.img"
    with dump.open("wb") as handle:
        handle.write(b"\0" * (1 << 20) + securegate)
        handle.truncate(64 << 20)  # sparse tail: costs no disk
    options = AuditOptions(jobs=1, max_file_size=8 << 20, container_limits=Limits(spill_size=0))
    result = audit([dump], options)
    assert result.findings
    assert not [s for s in result.skipped if s.disposition is Disposition.NOT_INSPECTED]
    small = audit([dump], AuditOptions(jobs=1, max_file_size=8 << 20))
    assert [s.reason for s in small.skipped if "--max-file-size" in s.reason]


def test_only_members_read_whole_are_bound_by_the_whole_file_limit(tmp_path: Path) -> None:
    """A member kept out of memory (a window, a spilled stream) may exceed --max-file-size;
    a file an in-memory reader (ext, SquashFS, 7z, ISO) would load may not."""
    content = random.Random(3).randbytes(50_000)
    blob = _blob(tmp_path, gzip.compress(_tar({"big-TEST.bin": content})))
    budget = Budget(Limits(spill_size=1024), whole=10_000)
    (inner,) = expand("x-TEST.tar.gz", blob, budget)
    assert isinstance(inner, Member) and isinstance(inner.data, Blob)  # spilled
    (member,) = expand(inner.display, inner.data, budget)
    assert isinstance(member, Member) and member.data.read_all() == content  # a window
    inner.data.close()
    blob.close()

    securegate = (FIXTURES / "appliance" / "securegate-fw-TEST.bin").read_bytes()
    image = securegate[512 : 512 + 2097152]
    out = list(expand("ext-TEST.img", image, Budget(Limits(), whole=100)))
    refused = [item for item in out if isinstance(item, Refused)]
    assert refused and all("--max-file-size" in item.reason for item in refused)
    assert not [item for item in out if isinstance(item, Member) and len(item.data) > 100]


def test_a_utf16_sbom_with_late_format_keys_is_still_read_whole(tmp_path: Path) -> None:
    """Only binary content is judged by its first bytes: a UTF-16 SBOM has NUL bytes on disk
    but not as text, and its format keys may come after the sniffed head."""
    import codecs
    import json

    filler = [
        {"type": "library", "name": f"filler-{i}-TEST", "version": "1"} for i in range(20_000)
    ]
    filler.append({"type": "application", "name": "Kaspersky Endpoint Security", "version": "12"})
    text = json.dumps({"components": filler, "bomFormat": "CycloneDX", "specVersion": "1.5"})
    path = tmp_path / "late-keys-TEST.cdx.json"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    # a walked file, so that unblob (when installed) is not asked to open it either
    in_place = audit([tmp_path], AuditOptions(jobs=1, container_limits=Limits(spill_size=0)))
    in_memory = audit([tmp_path], AuditOptions(jobs=1))
    assert in_place.findings and render_sarif(in_place) == render_sarif(in_memory)
