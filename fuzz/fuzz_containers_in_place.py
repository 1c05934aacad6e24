"""Fuzz target: containers read in place (a file blob, every stream spilled, stored members as
windows) must give what reading them in memory gives, two levels deep, under small limits.

Run: python fuzz/fuzz_containers_in_place.py -max_total_time=600   (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import _common  # noqa: F401 - puts the checkout on sys.path
import atheris

with atheris.instrument_imports():
    import checks

    import auditor.ingest.cabinet  # noqa: F401
    import auditor.ingest.containers  # noqa: F401
    import auditor.ingest.filesystems  # noqa: F401
    import auditor.ingest.images  # noqa: F401
    import auditor.ingest.iso9660  # noqa: F401
    import auditor.ingest.rpm  # noqa: F401
    import auditor.ingest.sevenzip  # noqa: F401

MAX_LEN = 65536


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris documents
    checks.containers_in_place(data)


if __name__ == "__main__":
    if not [arg for arg in sys.argv[1:] if not arg.startswith("-")]:
        # no seeds of its own: the container and file-system targets' seeds are its inputs
        sys.argv += [str(_common.FUZZ / "corpus" / name) for name in ("containers", "filesystems")]
    _common.main("containers_in_place", TestOneInput, MAX_LEN)
    sys.exit(0)
