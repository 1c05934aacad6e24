"""Fuzz target: the SquashFS and ext readers and the firmware carver.

Run: python fuzz/fuzz_filesystems.py -max_total_time=600   (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import _common  # noqa: F401 - puts the checkout on sys.path
import atheris

with atheris.instrument_imports():
    import checks

    import auditor.ingest.containers  # noqa: F401
    import auditor.ingest.filesystems  # noqa: F401

MAX_LEN = 65536


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris documents
    checks.filesystems(data)


if __name__ == "__main__":
    _common.main("filesystems", TestOneInput, MAX_LEN)
    sys.exit(0)
