"""Dask scaling: throughput of `audit()` over a nested-archive tree on a LocalCluster with 1, 2
and 4 worker processes, next to a local run (the same report each time, checked).

    python bench/bench_dask.py [--size-mb 256] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_archives import generate  # noqa: E402

from auditor.api import AuditOptions, audit  # noqa: E402
from auditor.report.sarif import render_sarif  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    from dask.distributed import LocalCluster

    out = HERE / "out" / "dask-tree"
    total = generate(out, args.size_mb, 16, 20261129) / 1e6
    start = time.perf_counter()
    reference = render_sarif(audit([out], AuditOptions(jobs=1)))
    local = time.perf_counter() - start
    print(f"tree {total:.0f} MB; local, 1 job: {local:.1f} s ({total / local:.1f} MB/s)")
    for workers in (int(w) for w in args.workers.split(",")):
        with LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            start = time.perf_counter()
            text = render_sarif(audit([out], AuditOptions(scheduler=cluster.scheduler_address)))
            seconds = time.perf_counter() - start
        same = "same report" if text == reference else "DIFFERENT REPORT"
        print(f"dask, {workers} worker(s): {seconds:.1f} s ({total / seconds:.1f} MB/s), {same}")
        if text != reference:
            return 1
    shutil.rmtree(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
