"""The table report on a terminal, in colour (rich): levels and the verdict stand out. Colour
follows the terminal: off when the output is not a TTY, when NO_COLOR is set, or with
TERM=dumb (rich's own detection); the text is exactly the plain table's."""

from __future__ import annotations

import os
import re
import sys
from typing import TextIO

_STYLES = (
    (re.compile(r"^ERROR\b"), "bold red"),
    (re.compile(r"^WARNING\b"), "bold yellow"),
    (re.compile(r"^NOTE\b"), "bold blue"),
    (re.compile(r"^Verdict: FAIL\b"), "bold white on red"),
    (re.compile(r"^Verdict: INCOMPLETE\b"), "bold black on yellow"),
    (re.compile(r"^Verdict: PASS\b"), "bold white on green"),
    (re.compile(r"^(NOT INSPECTED|SUPPRESSED|CONFIGURATION|NOTES AND SCHEMA PROBLEMS)\b"), "bold"),
    (re.compile(r"^  (action|evidence|where):"), "dim"),
)


def _forced() -> bool:
    """Colour asked for even without a terminal (rich honours these)."""
    return bool(os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE"))


def print_table(text: str, stream: TextIO | None = None) -> None:
    """Write the plain table ``text``, styled when the stream is a colour terminal."""
    target = stream or sys.stdout
    if not target.isatty() and not _forced():  # a pipe or a file: no need to load rich
        target.write(text)
        target.flush()
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=target, highlight=False, soft_wrap=True, emoji=False)
    if not console.is_terminal or console.no_color:
        console.file.write(text)
        console.file.flush()
        return
    styled = Text()
    for line in text.splitlines(keepends=True):
        style = next((s for pattern, s in _STYLES if pattern.match(line)), "")
        styled.append(line, style=style)
    console.print(styled, end="")
