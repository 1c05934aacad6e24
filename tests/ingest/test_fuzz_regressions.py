"""Every input the fuzzers (fuzz/) ever crashed a reader with, kept in fixtures/hostile/fuzz/ as
``<target>-<short-name>``, replayed through the same check the fuzz target applies
(fuzz/checks.py): the reader reads it or refuses it with UnreadableInput, and nothing else.

A new file in that directory is a new test case; no atheris is needed to run them. Each case runs
in a child process: some of these inputs crashed native code (libyaml, LIEF) with SIGSEGV, which
must fail one test, not end the session."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import fuzz_checks

REPO = Path(__file__).resolve().parents[2]
CRASHES = REPO / "fixtures" / "hostile" / "fuzz"

#: Crash inputs whose reader cannot be fixed yet, with the reason (strict: the test fails as soon
#: as the reader handles them, so the mark must then be removed).
KNOWN_FAILURES: dict[str, str] = {}


CHECKS: dict[str, Callable[[bytes], None]] = fuzz_checks()


def _inputs() -> list[Path]:
    if not CRASHES.is_dir():
        return []
    return sorted(p for p in CRASHES.iterdir() if p.is_file() and p.name != "README.md")


def _cases() -> list[object]:
    cases: list[object] = []
    for path in _inputs():
        reason = KNOWN_FAILURES.get(path.name)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        cases.append(pytest.param(path, id=path.name, marks=marks))
    return cases


def test_the_crash_inputs_are_there_and_named_for_their_target() -> None:
    inputs = _inputs()
    assert inputs, f"no fuzz crash inputs found in {CRASHES}"
    for path in inputs:
        assert path.name.split("-", 1)[0] in CHECKS, f"{path.name}: unknown fuzz target prefix"
    unknown = set(KNOWN_FAILURES) - {path.name for path in inputs}
    assert not unknown, f"KNOWN_FAILURES names missing files: {sorted(unknown)}"


@pytest.mark.parametrize("path", _cases())
def test_a_fuzz_crash_input_is_read_or_refused_cleanly(path: Path) -> None:
    target = path.name.split("-", 1)[0]
    run = subprocess.run(
        [sys.executable, str(REPO / "fuzz" / "checks.py"), target, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if run.returncode < 0:
        pytest.fail(f"{target} check killed by {signal.Signals(-run.returncode).name}")
    assert run.returncode == 0, run.stderr[-4000:]


def test_every_fuzz_input_reads_the_same_in_place_as_in_memory() -> None:
    """The in-place differential (fuzz target containers_in_place) over every kept input, of
    whatever target: one of them (an APK's negative seek) once gave a different reason."""
    run = subprocess.run(
        [sys.executable, str(REPO / "fuzz" / "checks.py"), "containers_in_place"]
        + [str(path) for path in _inputs()],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
