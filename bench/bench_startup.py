#!/usr/bin/env python3
"""Start-up benchmark: wall time of ``kaspersky-audit scan one-small.json`` beside two floors
measured in the same run — the bare interpreter, and the interpreter importing only the
third-party libraries the CLI cannot do without (typer, pydantic, orjson, yara-x).

    python bench/bench_startup.py [--runs 20] [--python PATH]

Each command runs ``--runs`` times, interleaved (so a load spike hits all of them alike); the
table shows the minimum and the median. The issue's target is a scan under 0.5 s on this
machine; nothing here asserts it. The first run of each command is discarded (it writes
byte-code caches and the database cache).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL_SBOM = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "components": [
        {
            "type": "library",
            "name": "left-pad",
            "version": "1.3.0",
            "purl": "pkg:npm/left-pad@1.3.0",
        }
    ],
}


def _commands(python: str, sbom: Path) -> dict[str, list[str]]:
    return {
        "python -c pass": [python, "-c", "pass"],
        "import typer, pydantic, orjson, yara_x": [
            python,
            "-c",
            "import typer, pydantic, orjson, yara_x",
        ],
        "kaspersky-audit --version": [python, "-m", "auditor", "--version"],
        "kaspersky-audit scan one-small.json": [python, "-m", "auditor", "scan", str(sbom)],
    }


def _time(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - started


def main() -> int:
    """Run the commands interleaved and print min/median wall times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its byte code
    with tempfile.TemporaryDirectory() as tmp:
        sbom = Path(tmp) / "one-small.cdx.json"
        sbom.write_text(json.dumps(SMALL_SBOM), encoding="utf-8")
        commands = _commands(args.python, sbom)
        for command in commands.values():
            _time(command, env)  # warm-up: byte code, database cache, page cache
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(_time(command, env))
    scan = statistics.median(times["kaspersky-audit scan one-small.json"])
    print(f"start-up, {args.runs} interleaved runs each; load average {os.getloadavg()[0]:.2f}")
    print(f"{'command':42} {'min s':>7} {'median s':>9} {'median / scan':>14}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:42} {min(values):7.3f} {median:9.3f} {median / scan:14.2f}")
    verdict = "meets" if scan < 0.5 else "misses"
    print(f"median scan {scan:.3f} s: {verdict} the 0.5 s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
