"""Fuzz target: PE/ELF/Mach-O extraction with LIEF, in this process (a native crash is LIEF's).

Run: python fuzz/fuzz_binary.py -max_total_time=600   (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import _common  # noqa: F401 - puts the checkout on sys.path
import atheris

with atheris.instrument_imports():
    import checks

    import auditor.ingest.binary  # noqa: F401
    import auditor.ingest.dotnet  # noqa: F401
    import auditor.ingest.gobuildinfo  # noqa: F401
    import auditor.ingest.macho_signature  # noqa: F401
    import auditor.ingest.pkcs7  # noqa: F401

MAX_LEN = 65536


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris documents
    checks.binary(data)


if __name__ == "__main__":
    _common.main("binary", TestOneInput, MAX_LEN)
    sys.exit(0)
