"""What each fuzz target checks, without atheris: the fuzz targets call these, and so does
``tests/ingest/test_fuzz_regressions.py`` for every crash input kept under
``fixtures/hostile/fuzz/`` (named ``<target>-<short-name>``).

A check returns when the reader read the input or refused it the documented way, and raises
anything else (an unexpected exception, or an ``AssertionError`` for a broken invariant). Reader
modules are imported inside each check, so a fuzz target can import (and instrument) only the
modules it exercises before it imports this one.
"""

from __future__ import annotations

import re
import struct
import sys
from collections.abc import Callable, Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

if __name__ == "__main__":  # run as a script: import the auditor from this checkout
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

from auditor.errors import UnreadableInput  # noqa: E402
from auditor.models import SbomDocument, SbomFormat  # noqa: E402

if TYPE_CHECKING:
    from auditor.ingest.containers import Budget
    from auditor.intel.compile import CompiledIntel


def unwrapped(function: Callable[..., Any]) -> Callable[..., Any]:
    """The reader beneath :func:`auditor.ingest.interface.guarded`, when it is wrapped: the
    wrapper turns every reader bug into a refusal of the whole file, which would hide it."""
    inner: Callable[..., Any] = getattr(function, "__wrapped__", function)
    return inner


def drain(items: Iterable[Any], allowed: tuple[type, ...], limit: int = 1 << 20) -> list[Any]:
    """Consume an iterator of results, checking every item's type, and that it ends: no reader
    yields more than ``limit`` items (callers pass a bound from the input's size)."""
    out = []
    for item in items:
        if not isinstance(item, allowed):
            raise AssertionError(f"unexpected item {type(item).__name__}: {item!r:.200}")
        out.append(item)
        if len(out) > limit:
            raise AssertionError(f"more than {limit} items: the reader does not stop")
    return out


def _bound(data: bytes) -> int:
    """Most items a container of ``data`` can hold: every member needs some bytes of it."""
    return len(data) + 1000


def _document(read: Callable[..., Any], path: str, data: bytes, fmt: SbomFormat) -> None:
    """Read or refuse: a document of the right format, or UnreadableInput (NotAnSbom)."""
    try:
        document = unwrapped(read)(path, data, fmt)
    except UnreadableInput:
        return
    assert isinstance(document, SbomDocument), type(document)
    assert document.format is fmt, (document.format, fmt)


# -- SBOM readers ---------------------------------------------------------------------------


def cyclonedx_json(data: bytes) -> None:
    from auditor.ingest import cyclonedx_json as reader

    _document(reader.read, "fuzz.cdx.json", data, SbomFormat.CYCLONEDX_JSON)


def cyclonedx_xml(data: bytes) -> None:
    from auditor.ingest import cyclonedx_xml as reader

    _document(reader.read, "fuzz.cdx.xml", data, SbomFormat.CYCLONEDX_XML)


_SPDX2 = (SbomFormat.SPDX_JSON, SbomFormat.SPDX_YAML, SbomFormat.SPDX_XML)


def spdx2(data: bytes) -> None:
    """SPDX 2 as JSON, YAML or XML: the sniffed serialisation, else one chosen by the length
    (so that every serialisation's reader sees every kind of input)."""
    from auditor.ingest import spdx2 as reader
    from auditor.ingest.sniff import sniff

    fmt = sniff(data).format
    if fmt not in _SPDX2:
        fmt = _SPDX2[len(data) % 3]
    _document(reader.read, "fuzz.spdx", data, fmt)


def spdx_tagvalue(data: bytes) -> None:
    from auditor.ingest import spdx_tagvalue as reader

    _document(reader.read, "fuzz.spdx", data, SbomFormat.SPDX_TAGVALUE)


def spdx_rdf(data: bytes) -> None:
    from auditor.ingest import spdx_rdf as reader

    _document(reader.read, "fuzz.spdx.rdf", data, SbomFormat.SPDX_RDF)


def spdx3(data: bytes) -> None:
    from auditor.ingest import spdx3 as reader

    _document(reader.read, "fuzz.spdx3.json", data, SbomFormat.SPDX3_JSONLD)


_INVENTORY = (
    (SbomFormat.APK_INSTALLED, "fs!/lib/apk/db/installed"),
    (SbomFormat.NPM_PACKAGE, "fs!/node_modules/x/package.json"),
    (SbomFormat.DOTNET_DEPS, "fs!/App.deps.json"),
    (SbomFormat.PACKAGE_FILE_LIST, "fs!/var/lib/dpkg/info/x.list"),
    (SbomFormat.RPM_DATABASE, "fs!/var/lib/rpm/Packages"),
    (SbomFormat.JAVA_MANIFEST, "fs!/META-INF/MANIFEST.MF"),
    (SbomFormat.DPKG, "fs!/var/lib/dpkg/status"),
    (SbomFormat.PYTHON_METADATA, "fs!/x.dist-info/METADATA"),
)


def inventory(data: bytes) -> None:
    """Package records (inventory.py, dpkg.py, pymeta.py): the first byte picks the format."""
    if not data:
        return
    from auditor.ingest import dpkg, inventory, pymeta

    fmt, path = _INVENTORY[data[0] % len(_INVENTORY)]
    read = {SbomFormat.DPKG: dpkg.read, SbomFormat.PYTHON_METADATA: pymeta.read}.get(
        fmt, inventory.read
    )
    _document(read, path, data[1:], fmt)


# -- containers and file systems ------------------------------------------------------------


def small_budget() -> Budget:
    from auditor.ingest.containers import Budget, Limits

    return Budget(
        Limits(
            max_depth=3,
            max_members=500,
            max_member_size=1 << 20,
            max_total=4 << 20,
            max_seconds=5,
        )
    )


def _expand(display: str, data: bytes, budget: Budget, depth: int) -> None:
    from auditor.ingest.containers import Entry, Member, Refused, expand, kind

    for item in drain(expand(display, data, budget), (Member, Refused, Entry), _bound(data)):
        assert item.display.startswith(display), (item.display, display)
        if isinstance(item, Member) and depth < 2 and kind(item.data) is not None:
            _expand(item.display, item.data, budget, depth + 1)


def containers(data: bytes) -> None:
    """Every container kind (zip, tar, gzip, bzip2, xz, zstd, lz4, ar, cpio, 7z, cab, ISO 9660,
    SquashFS, ext), two levels deep, and container images."""
    from auditor.ingest.containers import Entry, Member, Refused
    from auditor.ingest.images import image_layers, layer_members

    budget = small_budget()
    _expand("fuzz", data, budget, 0)
    layers = image_layers(data)
    if layers is not None:
        for item, note in layer_members("fuzz", layers, budget):
            drain([item], (Member, Refused, Entry))
            drain([note], (str,))


def _outline(display: str, data: Any, budget: Budget, depth: int) -> list[tuple[str, ...]]:
    """What expanding ``data`` gives, two levels deep: each item's type, place, and reason,
    link target or content digest (the data may be bytes or a blob)."""
    import hashlib

    from auditor.ingest.blobs import as_bytes, head_of, release
    from auditor.ingest.containers import Entry, Member, Refused, expand, kind

    out: list[tuple[str, ...]] = []
    for item in drain(expand(display, data, budget), (Member, Refused, Entry), 1 << 17):
        if isinstance(item, Refused):
            out.append(("refused", item.display, item.reason))
        elif isinstance(item, Entry):
            out.append(("entry", item.display, item.target))
        else:
            content = as_bytes(item.data)
            out.append(("member", item.display, hashlib.sha256(content).hexdigest()))
            if depth < 2 and kind(head_of(item.data)) is not None:
                out.extend(_outline(item.display, item.data, budget, depth + 1))
            release(item.data)
    return out


def containers_in_place(data: bytes) -> None:
    """Reading a container in place (a blob of a file, every stream spilled, every stored
    member a window) gives exactly what reading it in memory gives: the same members, in the
    same order, with the same content, and the same reasons for what is refused."""
    import dataclasses
    import tempfile

    from auditor.ingest.blobs import Blob

    in_memory = _outline("fuzz", data, small_budget(), 0)
    budget = small_budget()
    budget.limits = dataclasses.replace(budget.limits, spill_size=0)
    with tempfile.TemporaryFile() as file:
        file.write(data)
        file.flush()
        in_place = _outline("fuzz", Blob(file, 0, len(data)), budget, 0)
    assert in_place == in_memory, (in_place[:5], in_memory[:5])


def filesystems(data: bytes) -> None:
    """SquashFS and ext readers on whatever follows the first byte, and the carver."""
    if not data:
        return
    from auditor.ingest.containers import Entry, Member, Refused
    from auditor.ingest.filesystems import carve, embedded_filesystems, expand_filesystem

    fs = "squashfs" if data[0] & 1 else "ext"
    image = data[1:]
    items = expand_filesystem("fuzz", image, fs, small_budget())
    drain(items, (Member, Refused, Entry), _bound(image))
    for offset, found, size in embedded_filesystems(image):
        assert 0 < offset < len(image) and found and size >= 0
    drain(carve("fuzz", image, small_budget()), (Member, Refused, Entry), _bound(image))


def rpm(data: bytes) -> None:
    """RPM headers (``read_rpm`` may raise what ``api._rpm_leaves`` reports), the cpio payload
    reader and the Berkeley DB RPM database (``header_blobs`` raises what inventory reports)."""
    from auditor.ingest.rpm import cpio_members, header_blob_record, read_rpm
    from auditor.ingest.rpmdb_bdb import header_blobs

    try:
        read_rpm("fuzz.rpm", data)
    except (ValueError, IndexError, struct.error):
        pass
    drain(cpio_members(data), (tuple,))
    try:
        for index, blob in enumerate(header_blobs(data)):
            if index < 16:
                header_blob_record(f"fuzz#{index}", blob, f"/packages/{index}")
    except (ValueError, IndexError, struct.error):
        pass


def msi(data: bytes) -> None:
    """Windows Installer: the package record (api._msi_leaves reports any failure of
    ``msi_record`` as "summary information cannot be read", so only crashes and hangs count
    there) and the streams (must not raise)."""
    from auditor.ingest.containers import Member, Refused
    from auditor.ingest.msi import is_msi, msi_record, msi_streams

    if not is_msi(data):
        return
    try:
        msi_record("fuzz.msi", data)
    except Exception:  # noqa: BLE001, S110 - the caller reports every failure here
        pass
    drain(msi_streams("fuzz.msi", data, small_budget()), (Member, Refused), _bound(data))


# -- binaries -------------------------------------------------------------------------------

_ANCHOR = re.compile(rb"(?i)kaspersky|k\x00a\x00s\x00p\x00e\x00r\x00s\x00k\x00y")


def _anchors(data: bytes) -> list[int]:
    return [found.start() for found in _ANCHOR.finditer(data)][:8]


def binary(data: bytes) -> None:
    """PE/ELF/Mach-O extraction as the worker runs it (LIEF in this process: a native crash
    here is LIEF's, and the auditor runs this in an isolated worker). Must not raise."""
    from auditor.ingest.binary import Extracted, extract, magic_format

    if magic_format(data) is None:
        return
    out = extract("fuzz.bin", data, _anchors(data))
    assert isinstance(out, Extracted)


def binary_parsers(data: bytes) -> None:
    """The pure-Python parsers behind binary extraction (PKCS#7 signer info, certificates,
    Mach-O code signatures, .NET metadata, Go build info, binary AndroidManifest, APK signing
    blocks): none may raise."""
    from auditor.ingest import macho_signature
    from auditor.ingest.android import manifest_package, signing_block_certificates
    from auditor.ingest.binary import Extracted, certificate_facts_der
    from auditor.ingest.dotnet import read_identity
    from auditor.ingest.gobuildinfo import read_buildinfo
    from auditor.ingest.pkcs7 import signer_identifiers

    signer_identifiers(data)
    out = Extracted(format="pe", name="fuzz")
    certificate_facts_der(out, data, "/fuzz", pkcs7=True)
    certificate_facts_der(out, data, "/fuzz", pkcs7=False)
    macho_signature.parse(data)
    read_identity(data)
    read_buildinfo(data)
    manifest_package(data)
    signing_block_certificates(data)


def java_android(data: bytes) -> None:
    """JAR/WAR/AAR/APK extraction (runs in the worker; must not raise)."""
    from auditor.ingest.binary import Extracted
    from auditor.ingest.java import extract_archive

    out = extract_archive("fuzz.jar", data, _anchors(data))
    assert isinstance(out, Extracted)


# -- name normalisation ---------------------------------------------------------------------


def normalize(data: bytes) -> None:
    """Name normalisation never raises, and its outputs keep their shape."""
    from auditor.match.normalize import Normalizer, fold, is_compound, squeeze, words

    text = data.decode("utf-8", "replace")
    for camel in (True, False):
        assert isinstance(fold(text, camel), str)
        for token in words(text, camel):
            assert token and not any(ch.isspace() for ch in token), repr(token)
    squeezed = squeeze(text)
    assert not any(ch.isspace() for ch in squeezed), repr(squeezed)
    is_compound(text)
    padded = Normalizer(["Ltd", "GmbH", "AO"])(text)
    assert padded.startswith(" ") and padded.endswith(" "), repr(padded)


# -- end to end -----------------------------------------------------------------------------


@cache
def _intel() -> CompiledIntel:
    from auditor.intel.compile import compile_intel
    from auditor.intel.load import load_database

    return compile_intel(load_database())


def end_to_end(data: bytes) -> None:
    """What ``api._audit_bytes`` does with one input, without its last-resort guard: unpack
    (containers, file systems, RPM, MSI), read each leaf (SBOM readers through dispatch), match,
    triage and locate the findings. Binaries are not parsed (no LIEF here)."""
    from auditor import api
    from auditor.match.engine import match_document
    from auditor.models import Skipped
    from auditor.triage import build_findings

    intel = _intel()
    for leaf in api._leaves("fuzz.bin", data, False, 0, small_budget()):
        if isinstance(leaf, Skipped):
            continue
        if isinstance(leaf, SbomDocument):
            build_findings(intel, leaf, match_document(intel, leaf))
            continue
        outcome = api.read_data(leaf[0], leaf[1], leaf[2], None)
        if isinstance(outcome, Skipped):
            continue
        document, content = outcome
        api.audit_document(intel, document, content)


#: Target name -> check.
CHECKS: dict[str, Callable[[bytes], None]] = {
    "cyclonedx_json": cyclonedx_json,
    "cyclonedx_xml": cyclonedx_xml,
    "spdx2": spdx2,
    "spdx_tagvalue": spdx_tagvalue,
    "spdx_rdf": spdx_rdf,
    "spdx3": spdx3,
    "inventory": inventory,
    "containers": containers,
    "containers_in_place": containers_in_place,
    "filesystems": filesystems,
    "rpm": rpm,
    "msi": msi,
    "binary": binary,
    "binary_parsers": binary_parsers,
    "java_android": java_android,
    "normalize": normalize,
    "end_to_end": end_to_end,
}


def main(argv: list[str]) -> int:
    """``python fuzz/checks.py TARGET FILE...``: run TARGET's check on each file (exit status 0
    when every file is read or refused cleanly; a traceback and 1 otherwise)."""
    import traceback
    from pathlib import Path

    if len(argv) < 2 or argv[0] not in CHECKS:
        print(f"usage: checks.py {{{','.join(CHECKS)}}} FILE...", file=sys.stderr)
        return 2
    failed = 0
    for name in argv[1:]:
        try:
            CHECKS[argv[0]](Path(name).read_bytes())
        except Exception:  # noqa: BLE001, PERF203 - report every failure
            failed += 1
            print(f"{name}: FAILED", file=sys.stderr)
            traceback.print_exc()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
