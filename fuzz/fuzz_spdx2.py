"""Fuzz target: the SPDX 2 reader as JSON, YAML and XML.

Run: python fuzz/fuzz_spdx2.py -max_total_time=600   (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import _common  # noqa: F401 - puts the checkout on sys.path
import atheris

with atheris.instrument_imports():
    import checks

    import auditor.ingest.sniff  # noqa: F401
    import auditor.ingest.spdx2  # noqa: F401

MAX_LEN = 32768


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris documents
    checks.spdx2(data)


if __name__ == "__main__":
    _common.main("spdx2", TestOneInput, MAX_LEN)
    sys.exit(0)
