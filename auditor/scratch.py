"""Private temporary directories, named after the run, so that the way out can remove any an
interruption left behind.

A signal can land anywhere: between ``mkdtemp`` creating a directory and the ``with`` block
that would remove it, or while an extraction generator is suspended between two members
(its cleanup then waits for a traceback that ``os._exit`` never frees). Every directory made
here is named ``kaspersky-audit-<run>-*``, where the run is the process that started the
audit (worker processes inherit it), and :func:`remove_leftovers` removes this run's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

#: Set by the first process of a run; its worker processes inherit it.
_RUN = "KASPERSKY_AUDIT_RUN"


def start_run() -> None:
    """Make this process the first of a new run (the command line, at start-up): a run id
    inherited from a parent that is not part of this audit would keep its leftovers here."""
    os.environ[_RUN] = str(os.getpid())


def _prefix() -> str:
    run = os.environ.setdefault(_RUN, str(os.getpid()))
    return f"kaspersky-audit-{run}-"


def private_directory() -> tempfile.TemporaryDirectory[str]:
    """A new private directory in ``$TMPDIR``, removed when its ``with`` block ends."""
    return tempfile.TemporaryDirectory(prefix=_prefix(), ignore_cleanup_errors=True)


def remove_leftovers() -> None:
    """Remove every private directory of this run still in ``$TMPDIR`` (on the way out)."""
    if os.environ.get(_RUN) != str(os.getpid()):
        return  # only the run's first process: a worker's may still be in use
    for path in Path(tempfile.gettempdir()).glob(f"{_prefix()}*"):
        shutil.rmtree(path, ignore_errors=True)
