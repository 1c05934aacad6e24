"""Progress reporting: the library's progress callback, the bar on a terminal, the summary."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.api import AuditOptions, Progress, audit
from auditor.cli import app
from auditor.report.progress import ProgressBar, wanted
from tests.conftest import FIXTURES


def test_the_library_reports_every_input_and_the_end() -> None:
    events: list[Progress] = []
    audit([FIXTURES / "demo"], AuditOptions(progress=events.append, jobs=1))
    assert [e.done for e in events] == [0, 1, 2, 3]  # README.md, two SBOMs, the end
    assert all(e.total == 3 for e in events)
    assert events[-1].current == "" and events[-1].bytes_done == events[-1].bytes_total > 0
    assert events[1].current.endswith("management-server.spdx.json")


def test_a_terminal_sees_a_bar_that_goes_away(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    monkeypatch.setattr("sys.stderr", stream)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert wanted(quiet=False) and not wanted(quiet=True)
    with ProgressBar(True) as bar:
        bar.update(Progress(1, 4, 100, 400, "fixtures/demo/x.json"))
    assert "auditing" in stream.getvalue()


def test_ci_and_pipes_get_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert not wanted(quiet=False)


def test_the_summary_line_counts_and_quiet_silences_it(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "a.sarif"
    done = runner.invoke(app, ["scan", str(FIXTURES / "demo"), "-o", str(out)])
    assert "kaspersky-audit: FAIL - 2 input(s) read, 0 not inspected; 6 finding(s)" in done.output
    assert f"report(s) written to {out}" in done.output
    quiet = runner.invoke(app, ["scan", str(FIXTURES / "demo"), "-o", str(out), "--quiet"])
    assert quiet.output == ""


def test_parallel_runs_report_every_input_once_and_end_complete() -> None:
    events: list[Progress] = []
    audit([FIXTURES / "binaries"], AuditOptions(progress=events.append, jobs=3))
    assert events[-1].done == events[-1].total and events[-1].current == ""
    assert len(events) == events[-1].total + 1
