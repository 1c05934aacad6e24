"""Binary-scan benchmark: files/s and MB/s of `audit()` over a generated tree of binaries, as a
ratio to just reading the same bytes. Prints ratios from one run; asserts nothing about time.

    python bench/bench_binaries.py [--files 300] [--mb-per-file 1.0]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from auditor.api import audit  # noqa: E402


def generate(out: Path, files: int, mb: float, seed: int) -> int:
    """A tree of PE/ELF fixtures padded with random bytes (overlay data) to realistic sizes."""
    sources = sorted((REPO / "fixtures" / "binaries").glob("*/test-*")) + sorted(
        (REPO / "fixtures" / "binaries").glob("elf/lib*.so")
    )
    sources = [s for s in sources if s.suffix in (".exe", ".dll", ".so", "")]
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    total = 0
    for index in range(files):
        source = sources[index % len(sources)]
        target = out / f"dir{index % 17:02d}" / f"{index:04d}-{source.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        pad = rng.randbytes(int(mb * 1024 * 1024 * rng.uniform(0.5, 1.5)))
        data = source.read_bytes() + pad
        target.write_bytes(data)
        total += len(data)
    return total


def read_all(root: Path) -> float:
    start = time.perf_counter()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            path.read_bytes()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--mb-per-file", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=20241129)
    args = parser.parse_args()
    out = HERE / "out" / "binaries"
    total = generate(out, args.files, args.mb_per_file, args.seed)
    read_all(out)  # warm the page cache so both measurements read from memory
    read_seconds = min(read_all(out) for _ in range(3))
    start = time.perf_counter()
    result = audit([out])
    audit_seconds = time.perf_counter() - start
    mb = total / 1e6
    print(f"binaries: {args.files} files, {mb:.1f} MB")
    print(f"read only: {read_seconds:.3f} s ({mb / read_seconds:.0f} MB/s)")
    print(
        f"audit:     {audit_seconds:.3f} s ({args.files / audit_seconds:.1f} files/s, "
        f"{mb / audit_seconds:.1f} MB/s)"
    )
    print(
        f"ratio audit/read: {audit_seconds / read_seconds:.1f}x; "
        f"findings {len(result.findings)}, documents {len(result.documents)}, "
        f"not inspected {len(result.not_inspected)}"
    )
    return 0 if len(result.documents) == args.files else 1


if __name__ == "__main__":
    raise SystemExit(main())
