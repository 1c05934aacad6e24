"""Shared plumbing for the atheris fuzz targets in this directory.

Each target is a script ``fuzz/fuzz_<name>.py`` that defines ``TestOneInput(data)`` and calls
:func:`main`. :func:`main` fills in libFuzzer's arguments unless they are given on the command
line: a scratch corpus in ``fuzz/work/<name>/`` (written to; ignored by git) followed by the
committed seeds in ``fuzz/corpus/<name>/`` (read only), a ``-max_len`` for the format, a per-input
``-timeout`` (a hang is a finding too), an RSS limit, and crash files written to
``fuzz/crashes/<name>-...``.

What each target checks lives in :mod:`checks` (no atheris there), so that the regression test
replays kept crash inputs through exactly the same contract.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
REPO = FUZZ.parent
if str(REPO) not in sys.path:  # run from a checkout without installing it
    sys.path.insert(0, str(REPO))

#: Per-input time limit (seconds) and memory ceiling (MB) unless given on the command line.
DEFAULT_TIMEOUT = 10
DEFAULT_RSS_MB = 2048


def _has(argv: list[str], flag: str) -> bool:
    return any(arg == flag or arg.startswith(flag + "=") for arg in argv)


def arguments(name: str, max_len: int, argv: list[str]) -> list[str]:
    """libFuzzer's argument list for target ``name`` with the defaults filled in."""
    program, rest = argv[0], argv[1:]
    flags = [arg for arg in rest if arg.startswith("-")]
    dirs = [arg for arg in rest if not arg.startswith("-")]
    seeds = FUZZ / "corpus" / name
    running = not (_has(flags, "-minimize_crash") or _has(flags, "-merge"))
    if running and not any(os.path.isfile(d) for d in dirs):
        # New units go to the first directory: keep the committed seed corpus read only.
        work = FUZZ / "work" / name
        work.mkdir(parents=True, exist_ok=True)
        if str(work) not in dirs:
            dirs.insert(0, str(work))
        if seeds.is_dir() and not any(Path(d).resolve() == seeds for d in dirs):
            dirs.append(str(seeds))
    defaults = {
        "-max_len": str(max_len),
        "-timeout": str(DEFAULT_TIMEOUT),
        "-rss_limit_mb": str(DEFAULT_RSS_MB),
        "-artifact_prefix": str(FUZZ / "crashes" / f"{name}-"),
        "-print_final_stats": "1",
    }
    for flag, value in defaults.items():
        if not _has(flags, flag):
            flags.append(f"{flag}={value}")
    (FUZZ / "crashes").mkdir(exist_ok=True)
    return [program, *flags, *dirs]


def main(name: str, test_one_input: Callable[[bytes], None], max_len: int) -> None:
    """Run the fuzzer for target ``name``."""
    import atheris

    atheris.Setup(arguments(name, max_len, list(sys.argv)), test_one_input)
    atheris.Fuzz()
