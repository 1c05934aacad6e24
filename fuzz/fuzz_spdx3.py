"""Fuzz target: the SPDX 3.0 JSON-LD reader.

Run: python fuzz/fuzz_spdx3.py -max_total_time=600   (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import _common  # noqa: F401 - puts the checkout on sys.path
import atheris

with atheris.instrument_imports():
    import checks

    import auditor.ingest.spdx3  # noqa: F401

MAX_LEN = 32768


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris documents
    checks.spdx3(data)


if __name__ == "__main__":
    _common.main("spdx3", TestOneInput, MAX_LEN)
    sys.exit(0)
