"""Portfolio benchmark: one `kaspersky-audit scan` over a folder of many supplier SBOMs, as a
procurement team runs it, beside decoding the same files with orjson in one process.

    python bench/bench_portfolio.py [--suppliers 24] [--components 5000] [--jobs 2,1]

The suppliers' SBOMs (half CycloneDX JSON, half SPDX JSON, each generated from its own seed by
bench_sbom's generator, five planted TEST components each) go to bench/out/portfolio-N-K/ and
are re-used while the generator is unchanged. For each --jobs value the CLI runs once in a fresh
wrapper process; the figures are wall time, throughput, the ratio to the decode baseline, and
the largest process's peak RSS (getrusage of the reaped process tree). Prints figures from one
run; exits 1 only if the audit did not do its job (a planted component not found, or the
findings differing between --jobs values), never because of a time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_sbom  # noqa: E402  (the generator and the CLI lookup are shared)

_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "wall = time.perf_counter() - t\n"
    "print(rc, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def generate(folder: Path, suppliers: int, components: int) -> list[Path]:
    """The portfolio's files, written once per generator version."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder / ".stamp"
    generator = Path(bench_sbom.__file__).read_bytes() + Path(__file__).read_bytes()
    want = f"{suppliers}:{components}:{hashlib.sha256(generator).hexdigest()[:16]}"
    paths = []
    for index in range(suppliers):
        kind = "cdx.json" if index % 2 == 0 else "spdx.json"
        paths.append(folder / f"supplier-{index:03d}.{kind}")
    if stamp.exists() and stamp.read_text() == want and all(p.exists() for p in paths):
        return paths
    for index, path in enumerate(paths):
        seed = bench_sbom.SEED + index
        specs = bench_sbom.make_specs(components, seed)
        if path.name.endswith(".cdx.json"):
            doc = bench_sbom.cyclonedx_json(specs, seed)
        else:
            doc = bench_sbom.spdx_json(specs, seed)
        path.write_bytes(orjson.dumps(doc))
    stamp.write_text(want)
    return paths


def decode_all(paths: list[Path]) -> float:
    """Best of two: read and orjson-decode every file, one after another, in this process."""
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        for path in paths:
            orjson.loads(path.read_bytes())
        best = min(best, time.perf_counter() - started)
    return best


def scan(folder: Path, jobs: int, sarif: Path) -> tuple[float, int, int]:
    """Wall seconds, exit code and largest-process peak RSS (KiB) of one CLI run."""
    command = [
        *bench_sbom.cli_command(),
        "scan",
        str(folder),
        "--jobs",
        str(jobs),
        "--format",
        "sarif",
        "--output",
        str(sarif),
        "--fail-on",
        "never",
        "--quiet",
    ]
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *command], capture_output=True, text=True, check=True
    )
    rc, wall, rss = done.stdout.split()
    return float(wall), int(rc), int(rss)


def results(sarif: Path) -> list[tuple[str, str]]:
    """(rule, fingerprint) of every result: what must not depend on --jobs."""
    run = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]
    return sorted(
        (r["ruleId"], json.dumps(r.get("partialFingerprints", {}), sort_keys=True))
        for r in run["results"]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suppliers", type=int, default=24)
    parser.add_argument("--components", type=int, default=5000)
    parser.add_argument("--jobs", default="2,1", help="comma-separated --jobs values")
    args = parser.parse_args(argv)
    out = Path(__file__).resolve().parent / "out"
    folder = out / f"portfolio-{args.suppliers}-{args.components}"
    paths = generate(folder, args.suppliers, args.components)
    size = sum(p.stat().st_size for p in paths)
    print(
        f"portfolio: {len(paths)} SBOMs x {args.components} components, {size / 1e6:.0f} MB "
        f"({folder}); {os.cpu_count()} CPUs; load {bench_sbom._load()}"
    )
    base = decode_all(paths)
    print(f"decode: orjson.loads of every file, one process, best of 2: {base:.2f} s")
    print(f"\n{'run':<12} {'wall s':>8} {'MB/s':>7} {'x decode':>9} {'max RSS MB':>11}  findings")
    failures = []
    seen: list[tuple[str, str]] | None = None
    for jobs in (int(j) for j in args.jobs.split(",")):
        sarif = out / f"portfolio-jobs{jobs}.sarif"
        wall, rc, rss = scan(folder, jobs, sarif)
        found = results(sarif)
        print(
            f"--jobs {jobs:<5} {wall:8.2f} {size / 1e6 / wall:7.1f} {wall / base:8.2f}x "
            f"{rss / 1024:11.0f}  {len(found)}"
        )
        if rc != 0:
            failures.append(f"--jobs {jobs}: exit {rc}")
        if len(found) < 5 * len(paths):
            failures.append(f"--jobs {jobs}: {len(found)} findings, {5 * len(paths)} planted")
        if seen is not None and found != seen:
            failures.append(f"--jobs {jobs}: findings differ from the first run")
        seen = found
    print(f"load at end: {bench_sbom._load()}")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
