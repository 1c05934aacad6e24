"""Fuzz target: the SPDX 2 RDF/XML reader.

Run: python fuzz/fuzz_spdx_rdf.py -max_total_time=600   (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import _common  # noqa: F401 - puts the checkout on sys.path
import atheris

with atheris.instrument_imports():
    import checks

    import auditor.ingest.spdx_rdf  # noqa: F401

MAX_LEN = 32768


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris documents
    checks.spdx_rdf(data)


if __name__ == "__main__":
    _common.main("spdx_rdf", TestOneInput, MAX_LEN)
    sys.exit(0)
