"""Fuzz target: name normalisation (auditor.match.normalize).

Run: python fuzz/fuzz_normalize.py -max_total_time=600   (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import _common  # noqa: F401 - puts the checkout on sys.path
import atheris

with atheris.instrument_imports():
    import checks

    import auditor.match.normalize  # noqa: F401

MAX_LEN = 512


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris documents
    checks.normalize(data)


if __name__ == "__main__":
    _common.main("normalize", TestOneInput, MAX_LEN)
    sys.exit(0)
