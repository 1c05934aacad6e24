"""The terminal table: colour only on a colour terminal, the same text either way."""

from __future__ import annotations

import io

import pytest

from auditor.api import audit
from auditor.outcome import FailOn
from auditor.report.table import render_table
from auditor.report.terminal import print_table
from tests.conftest import FIXTURES


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _text() -> str:
    return render_table(audit([FIXTURES / "demo"]), FailOn.WARNING)


@pytest.fixture(autouse=True)
def _no_forced_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE"):
        monkeypatch.delenv(name, raising=False)


def test_a_pipe_gets_the_plain_table() -> None:
    stream = io.StringIO()
    print_table(_text(), stream)
    assert stream.getvalue() == _text()
    assert "\x1b[" not in stream.getvalue()


def test_a_terminal_gets_colour_and_the_same_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "200")
    stream = _Tty()
    print_table(_text(), stream)
    coloured = stream.getvalue()
    assert "\x1b[" in coloured
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == _text()


def test_no_color_turns_colour_off_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    stream = _Tty()
    print_table(_text(), stream)
    assert "\x1b[" not in stream.getvalue()
