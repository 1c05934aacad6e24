"""The library entry point: ``audit(paths, options) -> AuditResult``."""

from __future__ import annotations

import gc
import hashlib
import os
import queue
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

from auditor import __version__
from auditor.cache import ResultCache
from auditor.errors import UnreadableInput, UsageError
from auditor.ingest.binary import extract, magic_format
from auditor.ingest.blobs import Blob, release
from auditor.ingest.containers import IN_PLACE, Budget, Entry, Limits, Member, Refused, expand
from auditor.ingest.containers import kind as container_kind
from auditor.ingest.dispatch import read_document
from auditor.ingest.filesystems import MIN_CARVE_SIZE, carve
from auditor.ingest.java import extract_archive, is_java_archive
from auditor.ingest.positions import Locator
from auditor.ingest.rpm import is_rpm, read_rpm
from auditor.ingest.sniff import Sniffed, binary_content, sniff
from auditor.intel.compile import CompiledIntel, compile_intel
from auditor.intel.load import load_database
from auditor.match.engine import match_document
from auditor.models import (
    AuditResult,
    Component,
    ComponentKind,
    Disposition,
    Fact,
    FieldKind,
    Finding,
    SbomDocument,
    SbomFormat,
    Skipped,
)
from auditor.triage import build_findings

if TYPE_CHECKING:
    from auditor.ingest.isolation import Inline, Isolated

DEFAULT_MAX_FILE_SIZE = 1 << 30  # 1 GiB
#: Version-control metadata and byte-code caches: never shipped, never inventory. Installed
#: packages (node_modules, virtual environments) are walked: they are what ships.
_SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__"}


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """Everything that changes how an audit runs."""

    db_path: Path | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    #: Limits for opening archives and compressed files (depth, members, sizes, ratio).
    container_limits: Limits = Limits()
    #: Seconds a binary parser may take on one file before it is reported as not inspected.
    binary_timeout: float = 60.0
    #: Report paths relative to this directory (default: the working directory).
    display_base: Path | None = None
    #: Overlay files of extra indicators added to the database (``--db-overlay``).
    db_overlays: tuple[Path, ...] = ()
    #: Called before each input and once at the end (see :class:`Progress`).
    progress: Callable[[Progress], None] | None = None
    #: Top-level inputs audited at once (0: one per core, at most 8).
    jobs: int = 0
    #: Directory of cached per-input results (``--cache-dir``); None: no cache.
    cache_dir: Path | None = None
    #: Address of a Dask scheduler to run the inputs on (``--scheduler``); "": run here.
    scheduler: str = ""
    #: Seconds the whole run may take (``--max-run-seconds``; 0: no limit). Inputs not
    #: started in time, and members not opened in time, are reported as not inspected.
    max_run_seconds: float = 0.0
    #: When the run's time budget ends (``time.monotonic()``; 0: never). Set by :func:`audit`.
    run_deadline: float = 0.0
    #: Address space of this process (``--max-memory``, set by the CLI) that worker processes
    #: must not exceed either; 0: no limit. An input that runs out is reported as not inspected.
    max_memory: int = 0
    #: Keep every record of every document in the result (an inventory needs them). False lets
    #: each document's records go once its findings are built, when the run has more than one
    #: input, so memory follows the largest input rather than the sum of them.
    keep_records: bool = True


@dataclass(frozen=True, slots=True)
class Progress:
    """Where an audit is: inputs and bytes done of the total, and the input being read
    (empty once finished)."""

    done: int
    total: int
    bytes_done: int
    bytes_total: int
    current: str


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file to audit; ``explicit`` when the user named it rather than a directory walk."""

    path: Path
    display: str
    explicit: bool


_BINARY_FORMATS = (
    SbomFormat.PE,
    SbomFormat.ELF,
    SbomFormat.MACHO,
    SbomFormat.JAVA_ARCHIVE,
    SbomFormat.ARCHIVE,
    SbomFormat.RPM,
    SbomFormat.RPM_DATABASE,
    SbomFormat.MSI,
)

#: The member that identifies a record in each JSON format (unique within a document).
_IDENTITY_KEYS = {
    SbomFormat.CYCLONEDX_JSON: "bom-ref",
    SbomFormat.SPDX_JSON: "SPDXID",
    SbomFormat.SPDX3_JSONLD: "spdxId",
}


class BinaryReader:
    """Reads PE/ELF/Mach-O files in an isolated worker (started on first use)."""

    def __init__(
        self, intel: CompiledIntel, timeout: float, inline: bool = False, memory: int = 0
    ) -> None:
        self.intel = intel
        self.timeout = timeout
        #: Address-space cap for the parser process (0: its default).
        self.memory = memory
        #: Parse here rather than in a child (this process is itself a disposable worker).
        self.inline = inline
        self._worker: Isolated | Inline | None = None  # SBOM-only runs never start a worker

    @property
    def worker(self) -> Isolated | Inline:
        """The parser runner, created on the first binary."""
        if self._worker is None:
            from auditor.ingest.isolation import Inline, Isolated

            if self.inline:
                self._worker = Inline(self.timeout)
            else:
                from auditor.ingest.isolation import DEFAULT_MEMORY_LIMIT

                limit = min(DEFAULT_MEMORY_LIMIT, self.memory or DEFAULT_MEMORY_LIMIT)
                self._worker = Isolated(self.timeout, memory_limit=limit)
        return self._worker

    def read(self, display: str, data: bytes, kind: str) -> SbomDocument:
        scanner = self.intel.anchor_scanner
        offsets = scanner.raw_offsets(data) if scanner is not None else []
        name = display.rsplit("/", 1)[-1]
        reader = extract_archive if kind == "java-archive" else extract
        digest = hashlib.sha256(data).hexdigest()  # once, here: the document carries it too
        extracted = self.worker.run(reader, name, data, offsets, digest)
        fmt = SbomFormat(extracted.format)
        component = Component(
            ref=display,
            kind=ComponentKind.BINARY,
            name=name,
            version="",
            pointer="",
            facts=extracted.as_facts(),
        )
        return SbomDocument(
            path=display,
            format=fmt,
            spec_version="",
            components=(component,),
            roots=(display,),
            problems=tuple(extracted.problems),
            name=name,
            sha256=digest,
        )

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()


class ThreadReaders:
    """One :class:`BinaryReader` (and so one parser process) per thread that asks for one."""

    def __init__(self, intel: CompiledIntel, timeout: float, memory: int = 0) -> None:
        self.intel = intel
        self.timeout = timeout
        self.memory = memory
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[BinaryReader] = []

    def get(self) -> BinaryReader:
        """This thread's reader, created on first use."""
        reader: BinaryReader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = BinaryReader(self.intel, self.timeout, memory=self.memory)
            with self._lock:
                self._all.append(reader)
        return reader

    def close(self) -> None:
        """Stop every reader's parser process."""
        for reader in self._all:
            reader.close()


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a document is built: its many small objects
    otherwise trigger repeated full collections that cost more than the parsing itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _size(path: Path) -> int:
    """Bytes of a file (or of an OCI layout directory's files), 0 when unreadable."""
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


#: First bytes of an OLE compound file (Windows Installer packages among them).
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _is_oci_layout(path: Path) -> bool:
    from auditor.ingest.images import is_oci_layout

    return is_oci_layout(path)


def display_path(path: Path, base: Path | None = None) -> str:
    """A stable, POSIX-style path: relative to ``base`` (default: the working directory) when
    inside it."""
    from auditor.ingest.records import printable

    try:
        return printable(path.resolve().relative_to((base or Path.cwd()).resolve()).as_posix())
    except ValueError:
        return printable(path.as_posix())


def expand_inputs(paths: Sequence[str | Path], base: Path | None = None) -> list[InputFile]:
    """Files named directly plus every regular file under named directories, sorted."""
    inputs: list[InputFile] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and _is_oci_layout(path):
            inputs.append(InputFile(path, display_path(path, base), explicit=True))
        elif path.is_dir():
            inputs.extend(_walk(path, base))
        elif path.is_file():
            inputs.append(InputFile(path, display_path(path, base), explicit=True))
        elif path.exists():
            raise UsageError(f"{raw}: not a regular file or directory")
        else:
            raise UsageError(f"{raw}: no such file or directory")
    seen: set[str] = set()
    unique = []
    for item in inputs:
        if item.display not in seen:
            seen.add(item.display)
            unique.append(item)
    return unique


def _walk(root: Path, base: Path | None) -> Iterator[InputFile]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        if _is_oci_layout(Path(dirpath)):  # an image: audited layer by layer, as one input
            dirnames[:] = []
            yield InputFile(Path(dirpath), display_path(Path(dirpath), base), explicit=True)
            continue
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_file():
                yield InputFile(path, display_path(path, base), explicit=False)


def read_input(
    item: InputFile,
    options: AuditOptions,
    binaries: BinaryReader | None = None,
) -> tuple[SbomDocument, bytes] | Skipped:
    """Read one input file into a document (with its bytes), or say why it was not audited."""
    data = read_bytes(item, options)
    if isinstance(data, Skipped):
        return data
    return read_data(item.display, data, item.explicit, binaries)


def read_bytes(item: InputFile, options: AuditOptions) -> bytes | Skipped:
    """The file's bytes, or why they were not read."""
    data = open_input(item, options)
    if isinstance(data, Blob):
        try:
            if data.size > options.max_file_size:
                return _too_large(item.display, data.size, options.max_file_size)
            return data.read_all()
        except OSError as exc:
            return Skipped(item.display, f"cannot read file: {exc.strerror or exc}")
        finally:
            data.close()
    return data


def _too_large(display: str, size: int, limit: int) -> Skipped:
    return Skipped(display, f"file is {size} bytes, over the {limit}-byte limit (--max-file-size)")


def open_input(item: InputFile, options: AuditOptions) -> bytes | Blob | Skipped:
    """The file's bytes; for a file over ``spill_size``, an open :class:`Blob` the caller
    closes (a large archive or disk image is then read in place, a member at a time); or why
    the file was not read."""
    try:
        if item.path.is_dir():
            from auditor.ingest.images import pack_layout

            return pack_layout(item.path, options.container_limits.spill_size)
        size = item.path.stat().st_size
        if size > options.container_limits.spill_size:
            return Blob(item.path.open("rb"), 0, size, owned=True)
        if size > options.max_file_size:
            return _too_large(item.display, size, options.max_file_size)
        return item.path.read_bytes()
    except OSError as exc:
        return Skipped(item.display, f"cannot read file: {exc.strerror or exc}")


def read_data(
    display: str, data: bytes, explicit: bool, binaries: BinaryReader | None = None
) -> tuple[SbomDocument, bytes] | Skipped:
    """Read bytes (a file, or a member of a container) into a document, or say why not."""
    sniffed = sniff(data)
    if sniffed.format is None:
        from auditor.ingest.inventory import inventory_format

        inventory = inventory_format(display)
        if inventory is not None:
            sniffed = Sniffed(inventory)
    if sniffed.format is None and binaries is not None:
        kind = magic_format(data) or ("java-archive" if is_java_archive(data) else None)
        if kind is not None:
            try:
                return binaries.read(display, data, kind), data
            except UnreadableInput as exc:
                return Skipped(display, f"{kind}: {exc}")
    if sniffed.format is None:
        disposition = Disposition.NOT_INSPECTED if explicit else Disposition.NOT_AN_SBOM
        reason = f"not an SBOM: {sniffed.reason}"
        from auditor.ingest.unblob_bridge import INSTALL_HINT, unblob_available

        if explicit and b"\0" in data[:4096] and not unblob_available():
            reason += f"; for other firmware formats, {INSTALL_HINT}"
        return Skipped(display, reason, disposition)
    try:
        return read_document(display, data, sniffed.format), data
    except UnreadableInput as exc:
        return Skipped(display, f"{sniffed.format.value}: {exc}")


#: What unpacking an input yields: a file to read (display, bytes, named by the user, and an
#: image note when it has one), a reason something was not opened, or a container's own record.
Leaf = tuple[str, bytes, bool] | tuple[str, bytes, bool, str] | Skipped | SbomDocument


def _package_document(
    display: str, fmt: SbomFormat, component: Component, problems: Sequence[str] = ()
) -> SbomDocument:
    """A document holding one package record (an RPM header, an MSI's properties)."""
    return SbomDocument(
        path=display,
        format=fmt,
        spec_version="",
        components=(component,),
        problems=tuple(problems),
        name=component.name,
    )


def _rpm_leaves(display: str, data: bytes, depth: int, budget: Budget) -> Iterator[Leaf]:
    """An RPM: its header as a package record, its payload as a container of files."""
    yield _archive_record(display, data, [])
    try:
        component, payload, problems = read_rpm(display, data)
    except (ValueError, IndexError, struct.error) as exc:
        yield Skipped(display, f"rpm: header cannot be read: {exc}")
        return
    yield _package_document(display, SbomFormat.RPM, component, problems)
    yield from _leaves(f"{display}!/payload", payload, False, depth + 1, budget)


def _msi_leaves(display: str, data: bytes, depth: int, budget: Budget) -> Iterator[Leaf]:
    """A Windows Installer package: its summary information as a package record, its embedded
    cabinets and binary streams as members."""
    from auditor.ingest.msi import msi_record, msi_streams

    try:
        component = msi_record(display, data)
    except Exception as exc:  # noqa: BLE001 - a corrupt compound file ends this input only
        yield _archive_record(display, data, [])
        yield Skipped(display, f"msi: summary information cannot be read: {exc}")
        return
    yield _package_document(display, SbomFormat.MSI, component)
    names: list[str] = []
    for member in msi_streams(display, data, budget):
        if not isinstance(member, Member):
            yield from _not_opened(member, names)
            continue
        names.append(member.display.rsplit("!/", 1)[-1])
        yield from _leaves(member.display, member.data, False, depth + 1, budget)
    yield _archive_record(display, data, names)


MAX_MEMBER_NAMES = 10_000
_OUT_OF_MEMORY = "ran out of memory while reading it (--max-memory)"
_OUT_OF_MATCHING_MEMORY = "ran out of memory while matching it (--max-memory)"
_OUT_OF_OPENING_MEMORY = "ran out of memory while opening it (--max-memory)"


def _archive_record(display: str, data: bytes | Blob, members: list[str]) -> SbomDocument:
    """The container file itself: its digest (a known wheel or tarball) and the paths of its
    members (an install path or a driver name is evidence even in a file no reader opens)."""
    name = display.rsplit("/", 1)[-1]
    digest = hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else data.sha256()
    facts = (
        Fact(FieldKind.FILENAME, name, "/file/name"),
        Fact(FieldKind.HASH, "sha256:" + digest, "/file/sha256"),
        *(
            Fact(FieldKind.FILENAME, "/" + member, f"/members/{member}")
            for member in members[:MAX_MEMBER_NAMES]
        ),
    )
    component = Component(
        ref=display, kind=ComponentKind.FILE, name=name, version="", pointer="", facts=facts
    )
    return SbomDocument(
        path=display,
        format=SbomFormat.ARCHIVE,
        spec_version="",
        components=(component,),
        name=name,
        sha256=digest,
    )


def _opens_in_place(head: bytes) -> bool:
    """True when a large file starting with ``head`` is a container read member by member
    from where it lies; anything else (an SBOM, a binary, a package) is read whole."""
    if _read_whole(head):
        return False
    return container_kind(head) in IN_PLACE


def _read_whole(head: bytes) -> bool:
    """True for a file whose reader needs all of it: a package, a Java archive, a binary or
    an SBOM (judged by its first bytes)."""
    if is_rpm(head) or head.startswith(OLE_MAGIC) or is_java_archive(head):
        return True
    return magic_format(head) is not None or sniff(head).format is not None


def _plainly_binary(display: str, head: bytes, explicit: bool) -> bool:
    """True for a large file that no reader takes (binary content at its start, no known
    magic, no inventory name) and that unblob will not be asked to open: its first bytes say
    all a report can say of it ("not an SBOM: binary content"), so it is not read whole."""
    from auditor.ingest.inventory import inventory_format
    from auditor.ingest.unblob_bridge import unblob_available

    if not binary_content(head) or inventory_format(display) is not None:
        return False
    return not (explicit and unblob_available())


def _leaves(
    display: str, data: bytes | Blob, explicit: bool, depth: int, budget: Budget
) -> Iterator[Leaf]:
    """The input itself, or, for a container, the files inside it (recursively, in order)."""
    if isinstance(data, Blob):
        head = data.head()
        if _opens_in_place(head):
            yield from _container_leaves(display, data, container_kind(head), depth, budget)
            return
        if not _read_whole(head) and container_kind(head) is None:  # a raw image, a disk dump
            in_place = list(carve(display, data, budget))
            if in_place:
                yield from _container_leaves(display, data, None, depth, budget, in_place)
                return
            if _plainly_binary(display, head, explicit):  # judged by its start, not read
                judged = read_data(display, head, explicit)
                if isinstance(judged, Skipped):
                    yield judged
                    return
        if data.size > budget.whole:
            yield _too_large(display, data.size, budget.whole)
            return
        try:
            data = data.read_all()
        except MemoryError:
            yield Skipped(display, _OUT_OF_MEMORY)
            return
    if is_rpm(data):
        yield from _rpm_leaves(display, data, depth, budget)
        return
    if data.startswith(OLE_MAGIC):
        from auditor.ingest.msi import is_msi

        if is_msi(data):
            yield from _msi_leaves(display, data, depth, budget)
            return
    container = container_kind(data) if not is_java_archive(data) else None
    is_document = sniff(data).format is not None
    carved: list[Member | Refused | Entry] = []
    if container is None and not is_document and magic_format(data) is None:
        carved = list(carve(display, data, budget))  # file systems behind a firmware header
        from auditor.ingest.unblob_bridge import extract_with_unblob, unblob_available

        if not carved and explicit and len(data) >= MIN_CARVE_SIZE and unblob_available():
            carved = list(extract_with_unblob(display, data, budget))  # any other raw blob
            if not any(isinstance(item, Member) for item in carved):
                carved = []  # nothing inside: reported below as the file it is
    if (container is None and not carved) or is_document:
        yield display, data, explicit
        return
    yield from _container_leaves(display, data, container, depth, budget, carved)


def _container_leaves(
    display: str,
    data: bytes | Blob,
    container: str | None,
    depth: int,
    budget: Budget,
    carved: Sequence[Member | Refused | Entry] = (),
) -> Iterator[Leaf]:
    """The files inside a container (or a firmware image's carved file systems), then the
    container's own record."""
    if container is None:
        container = "firmware image"
    if depth >= budget.limits.max_depth:
        yield _archive_record(display, data, [])
        yield Skipped(
            display,
            f"{container} nested deeper than {budget.limits.max_depth} "
            "levels (--max-depth): not opened",
        )
        return
    names: list[str] = []
    from auditor.ingest.images import image_layers, layer_members

    layers = image_layers(data)
    if layers is not None:
        for item, note in layer_members(display, layers, budget):
            if not isinstance(item, Member):
                yield from _not_opened(item, names)
                continue
            names.append(item.display.rsplit("!/", 1)[-1])
            try:
                for leaf in _leaves(item.display, item.data, False, depth + 2, budget):
                    if isinstance(leaf, (Skipped, SbomDocument)) or not note:
                        yield leaf
                    else:
                        yield (*leaf[:3], note)
            finally:
                release(item.data)
    else:
        members = carved or expand(display, data, budget)
        for member in members:
            if not isinstance(member, Member):
                yield from _not_opened(member, names)
                continue
            names.append(member.display.rsplit("!/", 1)[-1])
            try:
                yield from _leaves(member.display, member.data, False, depth + 1, budget)
            finally:
                release(member.data)
    yield _archive_record(display, data, names)


def _not_opened(item: Refused | Entry, names: list[str]) -> Iterator[Skipped]:
    """A refused member is reported as not inspected; a link or device node has no content, so
    only its name and target join the container's inventory."""
    if isinstance(item, Refused):
        yield Skipped(item.display, item.reason)
        return
    names.append(item.display.rsplit("!/", 1)[-1])
    if item.target:
        names.append(item.target.lstrip("/"))


def _guarded_leaves(
    display: str, data: bytes | Blob, explicit: bool, budget: Budget
) -> Iterator[Leaf]:
    """:func:`_leaves`, but a failure while opening a container ends that input only."""
    try:
        yield from _leaves(display, data, explicit, 0, budget)
    except RecursionError:
        yield Skipped(display, "container nested too deeply to open")
    except MemoryError:
        yield Skipped(display, _OUT_OF_OPENING_MEMORY)
    except Exception as exc:  # noqa: BLE001 - one bad input must not end the audit
        yield Skipped(display, f"container could not be opened ({type(exc).__name__}: {exc})")


def _with_hidden_values(document: SbomDocument, data: bytes) -> SbomDocument:
    """A JSON or YAML document whose parser found (or could not rule out) a repeated key is
    read a second time for the values the repeated keys hid (:mod:`auditor.ingest.duplicates`)."""
    from auditor.ingest import duplicates

    if document.format not in duplicates.FORMATS or document.duplicate_keys is False:
        return document  # its parser proved that no mapping repeats a key
    return duplicates.with_hidden_values(document, data)


def audit_document(intel: CompiledIntel, document: SbomDocument, data: bytes) -> list[Finding]:
    """Match and triage one document; locate each finding and its evidence in ``data``."""
    findings = build_findings(intel, document, match_document(intel, document))
    if not findings or document.format in _BINARY_FORMATS:
        return findings  # binaries: evidence is located by its pointer (offset, signer index)
    locator = Locator(document.format, data)
    key = _IDENTITY_KEYS.get(document.format)
    located = []
    for finding in findings:
        component = finding.component
        anchor = (key, component.ref) if key and component.ref != component.pointer else None
        region = locator.region(component.pointer, component.line, anchor)
        evidence = tuple(
            locator.region(
                hit.where if hit.where.startswith("line:") else component.pointer + hit.where
            )
            for hit in finding.hits
        )
        located.append(replace(finding, region=region, evidence_regions=evidence))
    return located


def demo_dir() -> Path:
    """The demo SBOMs: bundled in the wheel, or fixtures/demo in a source checkout."""
    package = Path(__file__).resolve().parent
    bundled = package / "_demo"
    return bundled if bundled.is_dir() else package.parent / "fixtures" / "demo"


@dataclass(slots=True)
class _Outcome:
    """What one top-level input produced."""

    documents: list[SbomDocument] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _audit_input(
    item: InputFile,
    options: AuditOptions,
    intel: CompiledIntel,
    binaries: BinaryReader,
    cache: ResultCache | None = None,
    members: tuple[ThreadReaders, int] | None = None,
) -> _Outcome:
    """Read, unpack, match and triage one top-level input (or take it from the cache)."""
    if options.run_deadline and time.monotonic() > options.run_deadline:
        return _Outcome(
            skipped=[
                Skipped(
                    item.display,
                    f"not audited: the run's time budget of {options.max_run_seconds:g} s was "
                    "used up (--max-run-seconds)",
                )
            ]
        )
    try:
        return _audit_whole(item, options, intel, binaries, cache, members)
    except MemoryError:
        return _Outcome(skipped=[Skipped(item.display, _OUT_OF_MEMORY)])


def _audit_whole(
    item: InputFile,
    options: AuditOptions,
    intel: CompiledIntel,
    binaries: BinaryReader,
    cache: ResultCache | None,
    members: tuple[ThreadReaders, int] | None = None,
) -> _Outcome:
    raw = open_input(item, options)
    if isinstance(raw, Skipped):
        return _Outcome(skipped=[raw])
    try:
        if cache is None:
            return _audit_bytes(item, raw, options, intel, binaries, members)
        digest = hashlib.sha256(raw).hexdigest() if isinstance(raw, bytes) else raw.sha256()
        cached = cache.get(item.display, digest)
        if isinstance(cached, _Outcome):
            return cached
        out = _audit_bytes(item, raw, options, intel, binaries, members)
        if not any(s.disposition is Disposition.NOT_INSPECTED for s in out.skipped):
            cache.put(item.display, digest, out)
        return out
    except OSError as exc:  # the file changed or vanished while it was read
        return _Outcome(skipped=[Skipped(item.display, f"cannot read file: {exc.strerror or exc}")])
    finally:
        release(raw)


#: What reading one leaf gives: a document and its bytes, or why it was not read.
_Read = tuple[SbomDocument, bytes] | Skipped


def _read_leaf(display: str, data: bytes, explicit: bool, binaries: BinaryReader) -> _Read:
    """:func:`read_data` for one leaf; running out of memory costs this file only."""
    try:
        with _no_gc():
            return read_data(display, data, explicit, binaries)
    except MemoryError:  # the members beside it are still audited
        return Skipped(display, _OUT_OF_MEMORY)


def _read_on_thread(display: str, data: bytes, explicit: bool, readers: ThreadReaders) -> _Read:
    """:func:`_read_leaf` on a member thread, with that thread's parser process (the
    collector is left alone: other threads share it)."""
    try:
        return read_data(display, data, explicit, readers.get())
    except MemoryError:
        return Skipped(display, _OUT_OF_MEMORY)


def _audit_bytes(
    item: InputFile,
    raw: bytes | Blob,
    options: AuditOptions,
    intel: CompiledIntel,
    binaries: BinaryReader,
    members: tuple[ThreadReaders, int] | None = None,
) -> _Outcome:
    """Unpack one input and audit every file in it, in order. With ``members`` (readers and
    a thread count), binaries are parsed on that many threads, each with its own parser
    process, while this thread goes on unpacking; results are taken in member order, so the
    outcome is the same as reading them one by one."""
    out = _Outcome()
    budget = Budget(options.container_limits, options.run_deadline, options.max_file_size)
    readers, threads = members if members is not None else (None, 1)
    pool = None
    if readers is not None and threads > 1:
        pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="member")
    pending: deque[tuple[Leaf, Future[_Read] | _Read | None, int]] = deque()
    held = 0  # bytes of the binaries handed to threads and not yet taken back
    cap = options.container_limits.spill_size * threads

    def settle_first() -> None:
        nonlocal held
        leaf, read, size = pending.popleft()
        held -= size
        _settle(out, leaf, read.result() if isinstance(read, Future) else read, intel, options)

    leaves = _guarded_leaves(item.display, raw, item.explicit, budget)
    if pool is not None:
        leaves = _read_ahead(leaves, cap)
    try:
        for leaf in leaves:
            if isinstance(leaf, (Skipped, SbomDocument)):
                pending.append((leaf, None, 0))
            elif pool is not None and readers is not None and _parsed_natively(leaf[1]):
                future = pool.submit(_read_on_thread, leaf[0], leaf[1], leaf[2], readers)
                pending.append((leaf, future, len(leaf[1])))
                held += len(leaf[1])
            else:
                pending.append((leaf, _read_leaf(leaf[0], leaf[1], leaf[2], binaries), 0))
            while pending and (
                not isinstance(pending[0][1], Future)
                or pending[0][1].done()
                or len(pending) > 2 * threads
                or held > cap
            ):
                settle_first()
        while pending:
            settle_first()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return out


def _read_ahead(leaves: Iterator[Leaf], limit: int) -> Iterator[Leaf]:
    """``leaves``, unpacked on a thread of their own up to ``limit`` bytes ahead of the
    consumer: inflating, hashing and reading release the interpreter lock, so unpacking runs
    beside the matching. The order is unchanged."""
    done = object()
    handed: queue.SimpleQueue[object] = queue.SimpleQueue()
    room = threading.Condition()
    ahead = [0]  # bytes unpacked and not yet taken
    stop = threading.Event()

    def unpack() -> None:
        try:
            for leaf in leaves:
                size = 0 if isinstance(leaf, (Skipped, SbomDocument)) else len(leaf[1])
                with room:
                    while not stop.is_set() and ahead[0] and ahead[0] + size > limit:
                        room.wait()
                    if stop.is_set():
                        return
                    ahead[0] += size
                handed.put((leaf, size))
        except BaseException as exc:  # noqa: BLE001 - raised again on the consumer's side
            handed.put(exc)
        finally:
            leaves.close()  # type: ignore[attr-defined]
            handed.put(done)

    thread = threading.Thread(target=unpack, name="unpack", daemon=True)
    thread.start()
    try:
        while (item := handed.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            leaf, size = cast(tuple[Leaf, int], item)
            with room:
                ahead[0] -= size
                room.notify()
            yield leaf
    finally:
        stop.set()
        with room:
            room.notify()
        thread.join()


def _parsed_natively(data: bytes) -> bool:
    """True for a file the binary parser (LIEF, in its own process) reads."""
    return magic_format(data) is not None or is_java_archive(data)


def _settle(
    out: _Outcome, leaf: Leaf, read: _Read | None, intel: CompiledIntel, options: AuditOptions
) -> None:
    """Add one leaf's outcome: a reason it was not read, or its document and findings."""
    if isinstance(leaf, Skipped):
        out.skipped.append(leaf)
        return
    if isinstance(leaf, SbomDocument):  # an archive itself: matched on its digest
        try:
            found = build_findings(intel, leaf, match_document(intel, leaf))
        except (MemoryError, UnreadableInput) as exc:
            out.skipped.append(Skipped(leaf.path, _not_matched(exc)))
            return
        out.documents.append(leaf)
        out.findings.extend(found)
        return
    assert read is not None  # only a container's record or a refusal comes without a read
    if isinstance(read, Skipped):
        out.skipped.append(read)
        return
    note = leaf[3] if len(leaf) > 3 else ""
    document, data = read
    document = _with_hidden_values(document, data)
    if not document.sha256:
        document = replace(document, sha256=hashlib.sha256(data).hexdigest())
    if note:
        document = replace(document, problems=(*document.problems, note))
    try:
        with _no_gc():
            found = audit_document(intel, document, data)
    except (MemoryError, UnreadableInput) as exc:  # the leaves beside it still count
        out.skipped.append(Skipped(leaf[0], _not_matched(exc)))
        return
    out.documents.append(document)
    if note:
        found = [replace(f, message=f"{f.message} Image: {note}.") for f in found]
    out.findings.extend(found)
    if not options.keep_records:
        out.documents[-1] = document.without_records()


def _not_matched(exc: MemoryError | UnreadableInput) -> str:
    """Why a document read was not matched: memory ran short, or the scanner failed on it."""
    return _OUT_OF_MATCHING_MEMORY if isinstance(exc, MemoryError) else f"not matched: {exc}"


def default_jobs() -> int:
    """Inputs audited at once by default: every core (at most 8)."""
    return max(1, min(os.cpu_count() or 1, 8))


def audit(paths: Sequence[str | Path], options: AuditOptions | None = None) -> AuditResult:
    """Audit SBOMs, binaries, packages, archives, images and firmware against vendor_db.

    With ``options.jobs`` > 1, top-level inputs are audited on that many threads, each with its
    own isolated binary-parser process (native parsing, decompression and hashing run in
    parallel); results are merged in input order, so the report is the same for any ``jobs``.
    """
    options = options or AuditOptions()
    if options.max_run_seconds > 0 and not options.run_deadline:
        options = replace(options, run_deadline=time.monotonic() + options.max_run_seconds)
    db = load_database(options.db_path, options.db_overlays)
    intel = compile_intel(db)
    inputs = expand_inputs(paths, options.display_base)
    if not options.keep_records and len(inputs) < 2:
        # one input: its records cost nothing more to keep (the run ends with it), while
        # letting them go costs the time to free them
        options = replace(options, keep_records=True)
    cache = None
    if options.cache_dir is not None:
        settings = repr(
            (
                options.container_limits,
                options.max_file_size,
                options.binary_timeout,
                options.keep_records,
            )
        )
        cache = ResultCache(options.cache_dir, f"{__version__}\0{db.digest}\0{settings}")
    sizes = [_size(item.path) for item in inputs]
    total_bytes = sum(sizes)
    outcomes: list[_Outcome | None] = [None] * len(inputs)
    lock = threading.Lock()
    done = [0, 0]  # inputs, bytes

    def report(current: str) -> None:
        if options.progress is not None:
            options.progress(Progress(done[0], len(inputs), done[1], total_bytes, current))

    readers = ThreadReaders(intel, options.binary_timeout, options.max_memory)
    wanted = options.jobs or default_jobs()
    # one input (an appliance image, a disk dump): its binaries are parsed on every core
    members = (readers, wanted) if len(inputs) == 1 and wanted > 1 else None

    def work(index: int) -> None:
        with lock:
            report(inputs[index].display)
        outcomes[index] = _audit_input(inputs[index], options, intel, readers.get(), cache, members)
        with lock:
            done[0] += 1
            done[1] += sizes[index]

    jobs = max(1, min(options.jobs or default_jobs(), len(inputs) or 1))
    from auditor import parallel

    if not options.scheduler and parallel.wanted(jobs, len(inputs), total_bytes):

        def started(index: int) -> None:
            report(inputs[index].display)

        def finished(index: int) -> None:
            done[0] += 1
            done[1] += sizes[index]

        outcomes = list(
            parallel.audit_in_processes(
                inputs, sizes, options, intel, cache, jobs, started, finished
            )
        )
        jobs = 0  # nothing left to run on threads
    if options.scheduler and inputs:
        from auditor.distributed import run_on_cluster

        def finished(index: int) -> None:
            done[0] += 1
            done[1] += sizes[index]
            report(inputs[index + 1].display if index + 1 < len(inputs) else "")

        report(inputs[0].display)
        outcomes = list(run_on_cluster(options.scheduler, inputs, options, db.digest, finished))
        jobs = 0  # nothing left to run here
    try:
        if jobs == 0:
            pass
        elif jobs == 1:
            for index in range(len(inputs)):
                work(index)
        else:
            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="audit") as pool:
                for future in [pool.submit(work, index) for index in range(len(inputs))]:
                    future.result()
    finally:
        readers.close()
    report("")
    documents = [d for o in outcomes if o is not None for d in o.documents]
    skipped = [s for o in outcomes if o is not None for s in o.skipped]
    findings = [f for o in outcomes if o is not None for f in o.findings]
    return AuditResult(
        findings=tuple(findings),
        documents=tuple(documents),
        skipped=tuple(skipped),
        db_version=db.version,
        db_digest=db.digest,
        tool_version=__version__,
        problems={doc.path: doc.problems for doc in documents if doc.problems},
        database=db,
    )
