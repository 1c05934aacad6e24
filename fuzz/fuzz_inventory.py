"""Fuzz target: the package-record readers (apk, npm, .deps.json, file lists, RPM database, Java
manifest, dpkg, Python METADATA).

Run: python fuzz/fuzz_inventory.py -max_total_time=600   (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import _common  # noqa: F401 - puts the checkout on sys.path
import atheris

with atheris.instrument_imports():
    import checks

    import auditor.ingest.dpkg  # noqa: F401
    import auditor.ingest.inventory  # noqa: F401
    import auditor.ingest.pymeta  # noqa: F401
    import auditor.ingest.rpm  # noqa: F401
    import auditor.ingest.rpmdb_bdb  # noqa: F401

MAX_LEN = 16384


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris documents
    checks.inventory(data)


if __name__ == "__main__":
    _common.main("inventory", TestOneInput, MAX_LEN)
    sys.exit(0)
