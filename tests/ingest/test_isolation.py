"""Native parsers run in a worker: a crash or a hang costs one file, and the next file works."""

from __future__ import annotations

import os
import time

import pytest

from auditor.errors import UnreadableInput
from auditor.ingest.isolation import Isolated


def _crash(_: int) -> int:
    os._exit(139)  # what a segfault in native code looks like to the parent


def _hang(_: int) -> int:
    time.sleep(60)
    return 0


def _double(value: int) -> int:
    return value * 2


def test_a_crashing_parser_is_reported_and_the_worker_replaced() -> None:
    worker = Isolated(timeout=30)
    try:
        with pytest.raises(UnreadableInput, match="crashed"):
            worker.run(_crash, 1)
        assert worker.run(_double, 21) == 42
    finally:
        worker.close()


def test_a_hanging_parser_times_out_and_the_worker_is_replaced() -> None:
    worker = Isolated(timeout=1)
    try:
        with pytest.raises(UnreadableInput, match="did not finish"):
            worker.run(_hang, 1)
        worker.timeout = 30
        assert worker.run(_double, 2) == 4
    finally:
        worker.close()


def _allocate(_: int) -> int:
    block = bytearray(512 << 20)  # more than the limit below
    return len(block)


def test_a_parser_that_needs_too_much_memory_fails_alone() -> None:
    worker = Isolated(timeout=60, memory_limit=256 << 20)
    try:
        with pytest.raises(UnreadableInput, match="MiB|crashed"):
            worker.run(_allocate, 1)
        assert worker.run(_double, 5) == 10
    finally:
        worker.close()


def test_the_worker_starts_when_the_program_comes_from_stdin() -> None:
    """multiprocessing's spawn re-imports __main__ from its file; `python -` has none."""
    import subprocess
    import sys

    from tests.conftest import FIXTURES

    program = (
        "from auditor.api import audit\n"
        f"result = audit([{str(FIXTURES / 'binaries' / 'elf')!r}])\n"
        "print(len(result.findings), len(result.not_inspected))\n"
    )
    done = subprocess.run(
        [sys.executable, "-"], input=program, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    findings, not_inspected = done.stdout.split()
    assert int(findings) > 0 and not_inspected == "0"


def test_parallel_workers_start_when_the_program_comes_from_stdin() -> None:
    """Several threads spawn workers at once (they serialise on a lock while __main__.__file__
    is hidden; an interleaving used to let one spawn see '<stdin>' and die). The race is not
    forced here, so this is a smoke test of the parallel path, repeated three times."""
    import subprocess
    import sys

    from tests.conftest import FIXTURES

    program = (
        "from auditor.api import AuditOptions, audit\n"
        f"result = audit([{str(FIXTURES / 'binaries')!r}], AuditOptions(jobs=4))\n"
        "print(len(result.not_inspected))\n"
    )
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-"], input=program, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        assert "FileNotFoundError" not in done.stderr
