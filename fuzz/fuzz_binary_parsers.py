"""Fuzz target: the pure-Python parsers behind binary extraction (PKCS#7, certificates, Mach-O code
signature, .NET metadata, Go build info, binary AndroidManifest, APK signing block).

Run: python fuzz/fuzz_binary_parsers.py -max_total_time=600   (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import _common  # noqa: F401 - puts the checkout on sys.path
import atheris

with atheris.instrument_imports():
    import checks

    import auditor.ingest.android  # noqa: F401
    import auditor.ingest.binary  # noqa: F401
    import auditor.ingest.dotnet  # noqa: F401
    import auditor.ingest.gobuildinfo  # noqa: F401
    import auditor.ingest.macho_signature  # noqa: F401
    import auditor.ingest.pkcs7  # noqa: F401

MAX_LEN = 16384


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris documents
    checks.binary_parsers(data)


if __name__ == "__main__":
    _common.main("binary_parsers", TestOneInput, MAX_LEN)
    sys.exit(0)
