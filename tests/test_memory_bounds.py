"""A run over many SBOMs keeps only what its reports need: each document's records are let go
once its findings are built, so the memory a run holds follows its largest input, not the sum."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from auditor.api import AuditOptions, AuditResult, audit
from auditor.report.sarif import render_sarif


def _sbom(folder: Path, index: int, components: int = 2_000) -> Path:
    records = [
        {
            "type": "library",
            "bom-ref": f"c{i}",
            "name": f"TEST-filler-{index}-{i}",
            "version": "1.0.0",
            "purl": f"pkg:npm/test-filler-{index}-{i}@1.0.0",
            "description": "TEST filler component for the memory test " * 3,
        }
        for i in range(components)
    ]
    records.append({"type": "application", "bom-ref": "k", "name": "Kaspersky Endpoint Security"})
    path = folder / f"supplier-{index}.cdx.json"
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": records}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _held(paths: list[Path], keep: bool) -> tuple[int, AuditResult]:
    """Bytes still allocated while the result is held (tracemalloc: counts, not timings)."""
    tracemalloc.start()
    try:
        result = audit(paths, AuditOptions(jobs=1, keep_records=keep))
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return held, result


def test_records_are_let_go_so_held_memory_does_not_grow_with_the_inputs(tmp_path: Path) -> None:
    paths = [_sbom(tmp_path, index) for index in range(6)]
    few_kept, _ = _held(paths[:2], keep=True)
    all_kept, _ = _held(paths, keep=True)
    few, _ = _held(paths[:2], keep=False)
    many, result = _held(paths, keep=False)
    assert all_kept > 2 * few_kept  # the yardstick: keeping records grows with the inputs
    assert many < few * 1.5
    assert many < all_kept / 3
    assert all(not doc.components and doc.records == 2_001 for doc in result.documents)
    assert len(result.findings) == 6


def test_letting_records_go_changes_no_report(tmp_path: Path) -> None:
    paths = [_sbom(tmp_path, index, components=50) for index in range(3)]
    kept = audit(paths, AuditOptions(jobs=1, keep_records=True))
    let_go = audit(paths, AuditOptions(jobs=1, keep_records=False))
    assert render_sarif(kept) == render_sarif(let_go)
    assert [d.records for d in kept.documents] == [d.records for d in let_go.documents]


def test_a_single_input_keeps_its_records(tmp_path: Path) -> None:
    """Nothing is read after it, so keeping its records costs nothing; freeing them costs time."""
    result = audit([_sbom(tmp_path, 0, components=10)], AuditOptions(keep_records=False))
    assert len(result.documents[0].components) == 11


_PEAK = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True)
sys.stdout.buffer.write(done.stdout)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(f"PEAK-KB {peak}")
sys.exit(done.returncode)
"""


def test_a_large_member_no_reader_takes_is_not_read_into_memory(tmp_path: Path) -> None:
    """A 256 MiB blank disk image inside a tar, beside a Kaspersky-naming SBOM: the scan
    finds the SBOM and judges the image by its first bytes, so no process holds the image."""
    import io
    import os
    import subprocess
    import sys
    import tarfile

    repo = Path(__file__).resolve().parents[1]
    sbom = (repo / "fixtures" / "demo" / "securegate-appliance.cdx.json").read_bytes()
    image = tmp_path / "appliance-TEST.tar"
    with image.open("wb") as handle:
        archive = tarfile.open(fileobj=handle, mode="w")  # noqa: SIM115 - headers only
        info = tarfile.TarInfo("sbom/securegate-TEST.cdx.json")
        info.size = len(sbom)
        archive.addfile(info, io.BytesIO(sbom))
        blank = tarfile.TarInfo("disk/blank-TEST.img")
        blank.size = 256 << 20
        handle.write(blank.tobuf(tarfile.DEFAULT_FORMAT, "utf-8", "surrogateescape"))
        handle.seek(blank.size, os.SEEK_CUR)  # a hole: no disk used, zeros when read
        handle.write(b"\0" * 1024)  # the end-of-archive blocks
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, sys.executable, "-m", "auditor", "scan", str(image)]
        + ["-f", "json", "--quiet", "--fail-on", "never", "--jobs", "1"],
        capture_output=True,
        text=True,
        cwd=repo,
        timeout=300,
    )
    report = json.loads(done.stdout)
    assert report["summary"]["findings"]["error"] >= 1
    assert report["notInspected"] == []
    peak_mb = int(done.stderr.rsplit("PEAK-KB", 1)[1]) >> 10
    assert peak_mb < 200, f"largest process {peak_mb} MB for a 256 MiB member"
