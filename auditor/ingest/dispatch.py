"""Pick the reader for a sniffed format and read a file, turning every failure into a reason."""

from __future__ import annotations

import importlib

from auditor.errors import UnreadableInput
from auditor.ingest.interface import Reader
from auditor.models import SbomDocument, SbomFormat

#: Reader module for each format; imported on first use to keep start-up fast.
READERS: dict[SbomFormat, str] = {
    SbomFormat.CYCLONEDX_JSON: "auditor.ingest.cyclonedx_json",
    SbomFormat.CYCLONEDX_XML: "auditor.ingest.cyclonedx_xml",
    SbomFormat.SPDX_JSON: "auditor.ingest.spdx2",
    SbomFormat.SPDX_YAML: "auditor.ingest.spdx2",
    SbomFormat.SPDX_XML: "auditor.ingest.spdx2",
    SbomFormat.SPDX_TAGVALUE: "auditor.ingest.spdx_tagvalue",
    SbomFormat.SPDX_RDF: "auditor.ingest.spdx_rdf",
    SbomFormat.SPDX3_JSONLD: "auditor.ingest.spdx3",
    SbomFormat.DPKG: "auditor.ingest.dpkg",
    SbomFormat.PYTHON_METADATA: "auditor.ingest.pymeta",
    SbomFormat.APK_INSTALLED: "auditor.ingest.inventory",
    SbomFormat.NPM_PACKAGE: "auditor.ingest.inventory",
    SbomFormat.DOTNET_DEPS: "auditor.ingest.inventory",
    SbomFormat.PACKAGE_FILE_LIST: "auditor.ingest.inventory",
    SbomFormat.RPM_DATABASE: "auditor.ingest.inventory",
    SbomFormat.JAVA_MANIFEST: "auditor.ingest.inventory",
}


def reader_for(fmt: SbomFormat) -> Reader:
    """The ``read`` function of the module that handles ``fmt``."""
    module = importlib.import_module(READERS[fmt])
    read: Reader = module.read
    return read


def read_document(path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
    """Read one SBOM. Raises :class:`UnreadableInput` with a one-line reason on any failure."""
    try:
        return reader_for(fmt)(path, data, fmt)
    except UnreadableInput:
        raise
    except RecursionError:
        raise UnreadableInput("nesting too deep to read") from None
    except MemoryError:
        raise UnreadableInput("not enough memory to read this file") from None
    except Exception as exc:  # noqa: BLE001 - a reader bug must not end the audit
        raise UnreadableInput(
            f"reader failed unexpectedly ({type(exc).__name__}: {exc}); please report this"
        ) from None
