"""Feedback on stderr for long scans: a rich progress bar (inputs, bytes, current item, ETA)
when stderr is a terminal outside CI, and a one-line summary at the end."""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import Any

from auditor.api import Progress
from auditor.models import AuditResult
from auditor.outcome import FailOn, verdict


def wanted(quiet: bool) -> bool:
    """A bar only for a person watching: stderr is a terminal, not --quiet, not CI."""
    return not quiet and sys.stderr.isatty() and not os.environ.get("CI")


class ProgressBar:
    """A context manager whose ``update`` receives :class:`auditor.api.Progress`."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> ProgressBar:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeRemainingColumn,
            )
            from rich.progress import (
                Progress as Bar,
            )

            self._progress = Bar(
                TextColumn("[bold]auditing"),
                BarColumn(),
                MofNCompleteColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[current]}", style="dim"),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("audit", total=None, current="")
        return self

    def update(self, progress: Progress) -> None:
        """Show where the audit is."""
        if self._progress is None:
            return
        current = progress.current
        if len(current) > 60:
            current = "…" + current[-59:]
        self._progress.update(
            self._task,
            total=max(progress.bytes_total, 1),
            completed=progress.bytes_done,
            current=f"{progress.done}/{progress.total} {current}",
        )

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.__exit__(kind, value, trace)


def summary_line(result: AuditResult, fail_on: FailOn, seconds: float) -> str:
    """``kaspersky-audit: FAIL - 12 inputs, 3 findings (1 error, 2 warnings, 0 notes), ...``"""
    counts = dict.fromkeys(("error", "warning", "note"), 0)
    for finding in result.active_findings:
        counts[finding.level.value] += 1
    return (
        f"kaspersky-audit: {verdict(result, fail_on).upper()} - {len(result.documents)} "
        f"input(s) read, {len(result.not_inspected)} not inspected; "
        f"{sum(counts.values())} finding(s) ({counts['error']} error, {counts['warning']} "
        f"warning, {counts['note']} note); {seconds:.1f} s"
    )


def elapsed_since(start: float) -> float:
    return time.monotonic() - start
