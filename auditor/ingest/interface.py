"""What every SBOM reader provides.

A reader turns the bytes of one file, already identified by :mod:`auditor.ingest.sniff`, into an
:class:`~auditor.models.SbomDocument`. Readers are lenient: a document that breaks its schema is
read as far as possible and the breakage is listed in ``SbomDocument.problems``. Only content
that cannot be read at all raises :class:`~auditor.errors.UnreadableInput` with a one-line reason.
Readers know their format and nothing about Kaspersky.
"""

from __future__ import annotations

from typing import Protocol

from auditor.models import SbomDocument, SbomFormat


class Reader(Protocol):
    """Reads one SBOM serialisation."""

    def __call__(self, path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
        """Read ``data`` (the bytes of the file shown to users as ``path``)."""
        ...
