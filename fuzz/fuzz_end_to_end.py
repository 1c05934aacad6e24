"""Fuzz target: one input as the auditor reads it: unpacking, sniffing, every SBOM reader through
dispatch, matching, triage and locating findings (auditor.api, binaries not parsed).

Run: python fuzz/fuzz_end_to_end.py -max_total_time=600   (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import _common  # noqa: F401 - puts the checkout on sys.path
import atheris

with atheris.instrument_imports():
    import checks

    import auditor.api  # noqa: F401
    import auditor.ingest.dispatch  # noqa: F401

MAX_LEN = 65536


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris documents
    checks.end_to_end(data)


if __name__ == "__main__":
    _common.main("end_to_end", TestOneInput, MAX_LEN)
    sys.exit(0)
