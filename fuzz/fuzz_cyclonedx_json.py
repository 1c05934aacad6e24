"""Fuzz target: the CycloneDX JSON reader.

Run: python fuzz/fuzz_cyclonedx_json.py -max_total_time=600   (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import _common  # noqa: F401 - puts the checkout on sys.path
import atheris

with atheris.instrument_imports():
    import checks

    import auditor.ingest.cyclonedx_json  # noqa: F401

MAX_LEN = 32768


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris documents
    checks.cyclonedx_json(data)


if __name__ == "__main__":
    _common.main("cyclonedx_json", TestOneInput, MAX_LEN)
    sys.exit(0)
