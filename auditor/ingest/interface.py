"""What every SBOM reader provides.

A reader turns the bytes of one file, already identified by :mod:`auditor.ingest.sniff`, into an
:class:`~auditor.models.SbomDocument`. Readers are lenient: a document that breaks its schema is
read as far as possible and the breakage is listed in ``SbomDocument.problems``. Only content
that cannot be read at all raises :class:`~auditor.errors.UnreadableInput` with a one-line reason.
Readers know their format and nothing about Kaspersky.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Protocol

from auditor.errors import UnreadableInput
from auditor.models import SbomDocument, SbomFormat


class Reader(Protocol):
    """Reads one SBOM serialisation."""

    def __call__(self, path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
        """Read ``data`` (the bytes of the file shown to users as ``path``)."""
        ...


def guarded(what: str) -> Callable[[Reader], Reader]:
    """Wrap a reader so that only :class:`UnreadableInput` escapes it, with a reason that names
    the format (``what``): the reader contract, in one place."""

    def wrap(read: Reader) -> Reader:
        @functools.wraps(read)
        def guarded_read(path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
            try:
                return read(path, data, fmt)
            except UnreadableInput:
                raise
            except (RecursionError, MemoryError):
                raise UnreadableInput(
                    f"the {what} document is nested too deeply or too large"
                ) from None
            except Exception as exc:  # noqa: BLE001 - the contract: only UnreadableInput escapes
                raise UnreadableInput(
                    f"unexpected error reading {what}: {type(exc).__name__}"
                ) from None

        return guarded_read

    return wrap
