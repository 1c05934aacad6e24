"""Fuzz target: JAR/WAR/AAR/APK extraction.

Run: python fuzz/fuzz_java_android.py -max_total_time=600   (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import _common  # noqa: F401 - puts the checkout on sys.path
import atheris

with atheris.instrument_imports():
    import checks

    import auditor.ingest.android  # noqa: F401
    import auditor.ingest.binary  # noqa: F401
    import auditor.ingest.java  # noqa: F401

MAX_LEN = 32768


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris documents
    checks.java_android(data)


if __name__ == "__main__":
    _common.main("java_android", TestOneInput, MAX_LEN)
    sys.exit(0)
