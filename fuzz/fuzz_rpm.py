"""Fuzz target: RPM headers, cpio payloads and Berkeley DB RPM databases.

Run: python fuzz/fuzz_rpm.py -max_total_time=600   (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import _common  # noqa: F401 - puts the checkout on sys.path
import atheris

with atheris.instrument_imports():
    import checks

    import auditor.ingest.rpm  # noqa: F401
    import auditor.ingest.rpmdb_bdb  # noqa: F401

MAX_LEN = 32768


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris documents
    checks.rpm(data)


if __name__ == "__main__":
    _common.main("rpm", TestOneInput, MAX_LEN)
    sys.exit(0)
