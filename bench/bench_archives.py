"""Nested-archive benchmark: MB/s and peak memory of `kaspersky-audit scan` over a generated tree
of nested archives (tar.gz > zip > tar > files, with binaries and an SBOM inside), as a ratio to
just reading the same bytes, at two tree sizes, to show that memory does not grow with the input.

    python bench/bench_archives.py [--sizes 256,1024] [--archive-mb 16]

Each size runs the CLI in a fresh process (peak RSS of that process and its binary-parser
worker, from getrusage). Prints figures from one run; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FIXTURES = REPO / "fixtures"


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def generate(out: Path, total_mb: int, archive_mb: int, seed: int) -> int:
    """``total_mb`` of nested archives, each about ``archive_mb``: random payload files (not
    compressible, so sizes are real), ELF and PE fixtures, and one SBOM per archive."""
    rng = random.Random(seed)
    binaries = [
        (FIXTURES / "binaries" / "elf" / "libtest-kav-wrapper.so").read_bytes(),
        (FIXTURES / "binaries" / "elf" / "test-clean-elf").read_bytes(),
        (FIXTURES / "binaries" / "pe" / "test-clean.exe").read_bytes(),
    ]
    sbom = (FIXTURES / "demo" / "securegate-appliance.cdx.json").read_bytes()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    written = 0
    index = 0
    while written < total_mb << 20:
        blobs = {f"data/blob{i}.bin": rng.randbytes(archive_mb << 17) for i in range(6)}
        inner_tar = _tar({**blobs, "usr/lib/libscan.so": binaries[index % 3]})
        inner_zip = _zip(
            {
                "payload/rootfs.tar": inner_tar,
                "payload/tool.exe": binaries[2],
                "payload/extra.bin": rng.randbytes(archive_mb << 17),
                "sbom/bom.cdx.json": sbom,
            }
        )
        outer = gzip.compress(
            _tar({"bundle.zip": inner_zip, "README": b"TEST bundle\n"}), compresslevel=1
        )
        path = out / f"dir{index % 8}" / f"bundle-{index:04d}.tar.gz"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(outer)
        written += len(outer)
        index += 1
    return written


def read_all(root: Path) -> float:
    start = time.perf_counter()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            path.read_bytes()
    return time.perf_counter() - start


def scan(root: Path, jobs: int) -> tuple[float, int]:
    """Seconds and peak RSS (KiB, the largest of the CLI and its workers) of one scan."""
    code = (
        "import resource, sys\n"
        "from auditor.cli import main\n"
        "sys.argv = ['kaspersky-audit', 'scan', sys.argv[1], '--format', 'sarif', '--output', "
        "sys.argv[2], '--max-file-size', str(1 << 31), '--jobs', sys.argv[3], '--quiet']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(max(own, kids), file=sys.stderr)\n"
    )
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, str(root), str(root.parent / "out.sarif"), str(jobs)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    elapsed = time.perf_counter() - start
    peak = int(done.stderr.strip().splitlines()[-1])
    return elapsed, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="256,1024", help="tree sizes in MB, comma-separated")
    parser.add_argument("--archive-mb", type=int, default=16)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--jobs", default="1,2", help="--jobs values to compare, comma-separated")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}; archives of ~{args.archive_mb} MB, nested 4 deep")
    print("size_mb  archives  jobs  read_s  read_MB/s  scan_s  scan_MB/s  scan/read  peak_rss_MB")
    for size in (int(s) for s in args.sizes.split(",")):
        out = HERE / "out" / "archives"
        total = generate(out, size, args.archive_mb, args.seed)
        count = len(list(out.rglob("*.tar.gz")))
        read_all(out)  # warm the page cache: both measurements read from memory
        read_s = read_all(out)
        for jobs in (int(j) for j in args.jobs.split(",")):
            scan_s, peak = scan(out, jobs)
            mb = total / 1e6
            print(
                f"{mb:7.0f}  {count:8d}  {jobs:4d}  {read_s:6.2f}  {mb / read_s:9.0f}  "
                f"{scan_s:6.1f}  {mb / scan_s:9.1f}  {scan_s / read_s:9.0f}x  {peak / 1024:11.0f}"
            )
        shutil.rmtree(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
