"""Worker processes (--jobs N on large runs): the same report as a serial run, and a worker
that crashes or hangs on an input costs neither the run nor that input's other files."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from auditor import parallel
from auditor.api import AuditOptions, InputFile, _Outcome, audit
from auditor.ingest.isolation import Inline
from auditor.models import Skipped
from auditor.report.sarif import render_sarif
from tests.conftest import FIXTURES

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not parallel.available(), reason="needs POSIX real-time alarms")


def _crash(item: InputFile, options: AuditOptions) -> _Outcome:
    os._exit(139)  # what a segfault in native code looks like to the parent


def _hang(item: InputFile, options: AuditOptions) -> _Outcome:
    time.sleep(60)
    return _Outcome()


def _fallback(item: InputFile) -> _Outcome:
    return _Outcome(skipped=[Skipped(item.display, "audited again here")])


def test_worker_processes_give_the_serial_report_byte_for_byte(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO)
    paths = ["fixtures/demo", "fixtures/binaries", "fixtures/appliance/securegate-fw-TEST.bin"]
    serial = render_sarif(audit(paths, AuditOptions(jobs=1)))
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    used: list[int] = []
    real = parallel.audit_in_processes

    def spy(*args: object, **kwargs: object) -> list[_Outcome]:
        used.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "audit_in_processes", spy)
    in_processes = render_sarif(audit(paths, AuditOptions(jobs=2)))
    assert used, "the run did not use worker processes"
    assert in_processes == serial


def test_small_runs_stay_in_this_process() -> None:
    assert not parallel.wanted(jobs=4, inputs=10, total_bytes=1 << 20)
    assert not parallel.wanted(jobs=1, inputs=10, total_bytes=1 << 30)
    assert not parallel.wanted(jobs=4, inputs=1, total_bytes=1 << 30)
    assert parallel.wanted(jobs=4, inputs=10, total_bytes=1 << 30)


def test_an_input_whose_worker_crashes_is_audited_again_here(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    target.write_text("{}")
    slot = parallel._Slot(AuditOptions(), "", _fallback, function=_crash)
    try:
        outcome = slot.audit(InputFile(target, "x.json", True))
    finally:
        slot.close()
    assert [s.reason for s in outcome.skipped] == ["audited again here"]


def test_an_input_past_its_deadline_is_reported_not_inspected(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    target.write_text("{}")
    slot = parallel._Slot(AuditOptions(), "", _fallback, function=_hang)
    slot.deadline = 3
    started = time.monotonic()
    try:
        outcome = slot.audit(InputFile(target, "x.json", True))
    finally:
        slot.close(kill=True)
    assert time.monotonic() - started < 45
    (skipped,) = outcome.skipped
    assert "not finished within 3 s" in skipped.reason
    assert skipped.disposition.value == "not-inspected"


def _parse_forever() -> None:
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    Inline(timeout=0.5).run(time.sleep, 30)


def test_an_inline_parser_that_hangs_ends_its_worker_by_alarm() -> None:
    process = multiprocessing.get_context("spawn").Process(target=_parse_forever)
    process.start()
    process.join(30)
    assert process.exitcode == -signal.SIGALRM


def test_one_input_has_its_binaries_parsed_on_threads_with_the_serial_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A single appliance image uses every core: binaries inside it are parsed on member
    threads while unpacking goes on, and the report is the one-thread report, byte for byte."""
    import tarfile

    from auditor import api

    image = tmp_path / "appliance-TEST.tar"
    with tarfile.open(image, "w") as archive:
        for path in sorted((FIXTURES / "binaries").rglob("*")):
            if path.is_file() and path.suffix not in (".md", ".sh", ".c", ".go", ".java"):
                archive.add(path, arcname=path.relative_to(FIXTURES).as_posix())
    serial = render_sarif(audit([image], AuditOptions(jobs=1, display_base=tmp_path)))
    threaded: list[str] = []
    original = api._read_on_thread

    def spy(display: str, *args: Any) -> Any:
        threaded.append(display)
        return original(display, *args)

    monkeypatch.setattr(api, "_read_on_thread", spy)
    parallel = render_sarif(audit([image], AuditOptions(jobs=3, display_base=tmp_path)))
    assert parallel == serial
    assert len(threaded) > 10  # the binaries did go to the threads
    assert '"ruleId"' in serial


def test_read_ahead_keeps_order_and_stays_within_its_byte_limit() -> None:
    from auditor.api import _read_ahead

    produced: list[int] = []
    taken: list[int] = []
    most_ahead = [0]

    def leaves() -> Any:
        for index in range(50):
            produced.append(index)
            most_ahead[0] = max(most_ahead[0], len(produced) - len(taken))
            yield (f"member-{index}-TEST", bytes(100), False)

    for leaf in _read_ahead(leaves(), limit=300):
        time.sleep(0.001)  # a slow consumer: the unpacker must wait for room
        taken.append(int(leaf[0].split("-")[1]))
    assert taken == list(range(50))
    # 300 bytes of 100-byte leaves queued, one made and waiting for room, one being consumed
    assert most_ahead[0] <= 5


def test_read_ahead_raises_the_unpackers_error_and_closes_it_when_abandoned() -> None:
    from auditor.api import _read_ahead

    def failing() -> Any:
        yield ("a-TEST", b"x", False)
        raise ValueError("TEST unpacking failed")

    got: list[Any] = []
    with pytest.raises(ValueError, match="TEST unpacking failed"):
        got.extend(_read_ahead(failing(), limit=10))  # keeps what came before the error
    assert len(got) == 1

    closed = []

    def endless() -> Any:
        try:
            while True:
                yield ("b-TEST", b"y" * 10, False)
        finally:
            closed.append(True)

    ahead = _read_ahead(endless(), limit=50)
    next(ahead)
    ahead.close()  # the consumer stops early: the unpacking thread ends and closes its source
    assert closed == [True]
