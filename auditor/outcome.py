"""The verdict of an audit and the exit code that carries it."""

from __future__ import annotations

import enum

from auditor.models import AuditResult, Level


class ExitCode(enum.IntEnum):
    """Documented process exit codes."""

    CLEAN = 0  # every input inspected, nothing at or above --fail-on
    FINDINGS = 1  # findings at or above --fail-on
    USAGE = 2  # bad options, missing paths, broken vendor_db
    INCOMPLETE = 3  # nothing at or above --fail-on, but some input was not inspected


class FailOn(str, enum.Enum):
    """The lowest finding level that fails the run."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"
    NEVER = "never"

    def __str__(self) -> str:
        return self.value


def failing(result: AuditResult, fail_on: FailOn) -> int:
    """How many findings are at or above the threshold."""
    if fail_on is FailOn.NEVER:
        return 0
    threshold = Level(fail_on.value)
    return sum(1 for finding in result.active_findings if finding.level >= threshold)


def exit_code(result: AuditResult, fail_on: FailOn) -> ExitCode:
    """FINDINGS beats INCOMPLETE beats CLEAN: an incomplete audit never reports itself clean."""
    if failing(result, fail_on):
        return ExitCode.FINDINGS
    if not result.complete:
        return ExitCode.INCOMPLETE
    return ExitCode.CLEAN


def verdict(result: AuditResult, fail_on: FailOn) -> str:
    """One word for humans and machines: fail, incomplete or pass."""
    return {
        ExitCode.FINDINGS: "fail",
        ExitCode.INCOMPLETE: "incomplete",
        ExitCode.CLEAN: "pass",
        ExitCode.USAGE: "error",
    }[exit_code(result, fail_on)]


def headline(result: AuditResult, fail_on: FailOn) -> str:
    """What a reader is told, where the gate's word alone would mislead: ``verdict``, with
    "-below" when the gate passes (or is only incomplete) although error or warning findings,
    below ``--fail-on``, say Kaspersky software is there."""
    word = verdict(result, fail_on)
    if word in ("pass", "incomplete") and any(
        finding.level >= Level.WARNING for finding in result.active_findings
    ):
        return f"{word}-below"
    return word
