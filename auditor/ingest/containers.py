"""Containers: archives and compressed files are opened member by member, under limits, so
SBOMs and binaries inside them are audited where they sit.

Small containers and members are held in memory. Larger ones are :class:`~auditor.ingest.blobs.Blob`
ranges of a file: a top-level input, a member stored inside a tar that is itself on disk, or a
decompressed stream spilled to an anonymous temporary file (``Limits.spill_size``).

Nothing is written to disk, so member names (``../``, absolute paths, links) are only labels:
they cannot escape anywhere. Links, devices and other special members are listed as skipped.
Every limit that is hit is reported; nothing is dropped silently.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import posixpath
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, cast

from auditor.ingest.blobs import Blob, head_of, open_source, release, spill
from auditor.ingest.records import printable

SEPARATOR = "!/"


@dataclass(frozen=True, slots=True)
class Limits:
    """Safety limits for opening containers (each reported when hit)."""

    max_depth: int = 8
    max_members: int = 100_000
    #: Largest member opened. A member read whole into memory (a binary, an SBOM, a file of
    #: a 7z, ISO or file-system image) is also bound by ``Budget.whole`` (--max-file-size).
    max_member_size: int = 8 << 30
    max_total: int = 8 << 30
    max_ratio: int = 200  # expanded / compressed, for members over 1 MiB
    max_seconds: float = 600.0  # time spent opening one input's containers
    #: Files and members larger than this are read from disk a chunk at a time (decompressed
    #: streams spill to an anonymous temporary file); smaller ones are held in memory.
    spill_size: int = 64 << 20


@dataclass(frozen=True, slots=True)
class Member:
    """A file found inside a container."""

    display: str
    data: bytes | Blob


@dataclass(frozen=True, slots=True)
class Entry:
    """A member without content (a link, device node or FIFO): recorded by name (and link
    target) in the inventory, never followed."""

    display: str
    target: str = ""


@dataclass(frozen=True, slots=True)
class Refused:
    """A member or container part that was not opened, and why."""

    display: str
    reason: str


class Budget:
    """Bytes and members expanded so far across one input."""

    def __init__(self, limits: Limits, run_deadline: float = 0.0, whole: int = 1 << 30) -> None:
        self.limits = limits
        #: Bytes a file or member may be read whole into memory (``--max-file-size``).
        self.whole = whole
        self.members = 0
        self.total = 0
        own = time.monotonic() + limits.max_seconds
        #: True when the run's time budget (``--max-run-seconds``) ends before this input's.
        self.run_bound = bool(run_deadline) and run_deadline < own
        self.deadline = run_deadline if self.run_bound else own

    @property
    def exhausted(self) -> bool:
        """True once no further member may be opened at all (count or time limit)."""
        return self.members >= self.limits.max_members or time.monotonic() > self.deadline

    def over_whole(self, what: str, size: int) -> str:
        """Why ``what`` of ``size`` bytes cannot be read whole into memory ('' if it can)."""
        if size <= self.whole:
            return ""
        return (
            f"{what} of {size} bytes is over the {self.whole}-byte limit for reading a file "
            "whole (--max-file-size)"
        )

    def take(self, size: int, *, streamed: bool = False, stored: bool = False) -> str:
        """'' if ``size`` more bytes may be expanded, else the reason not to. ``streamed``:
        the member is kept out of memory when large (a window or a spilled stream), or its
        container is in memory already; otherwise it must fit ``whole``. ``stored``: the
        member is a distinct stretch of its container's bytes (a tar, ar or cpio member, a
        carved file system), so it expands nothing and is not counted in ``max_total``;
        members that may overlap or hold holes (zip, ISO, ext, sparse tar) are counted."""
        if self.members >= self.limits.max_members:
            return f"more than {self.limits.max_members} members (--max-members)"
        if time.monotonic() > self.deadline:
            if self.run_bound:
                return "the run's time budget was used up (--max-run-seconds)"
            return (
                f"time limit of {self.limits.max_seconds:g} s for this input reached "
                "(--max-seconds)"
            )
        if size > self.limits.max_member_size:
            return f"member of {size} bytes exceeds the per-member limit"
        if not streamed and size > self.whole:
            return self.over_whole("member", size)
        if not stored and self.total + size > self.limits.max_total:
            return "total expanded size limit reached (--max-expanded)"
        self.members += 1
        if not stored:
            self.total += size
        return ""


def member_name(name: str) -> str:
    """A member's name for display: leading '/' and './' dropped, undecodable bytes shown as
    ``\\xNN``, nothing else changed."""
    name = printable(name)
    while name.startswith(("./", "/")):
        name = name[2:] if name.startswith("./") else name[1:]
    return name


def link_target(path: str, target: str) -> str:
    """Where a link at ``path`` points, as an absolute path inside its container (a label for
    the inventory; never resolved on disk)."""
    target = printable(target)
    if target.startswith("/"):
        return posixpath.normpath(target)
    return posixpath.normpath(posixpath.join(posixpath.dirname("/" + path.lstrip("/")), target))


def kind(data: bytes) -> str | None:
    """Container type by magic bytes (Java/Android archives are read as binaries instead)."""
    from auditor.ingest.filesystems import filesystem_kind

    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    if data.startswith(b"BZh") and len(data) > 4 and data[3:4].isdigit():
        return "bzip2"
    if data.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if len(data) > 262 and data[257:262] == b"ustar":
        return "tar"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "zip"
    if data.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if data.startswith(b"!<arch>\n"):
        return "ar"  # Debian packages (.deb) and static libraries
    if data.startswith((b"070701", b"070702")):
        return "cpio"  # newc cpio (RPM payloads, initramfs)
    if data.startswith(b"\x04\x22\x4d\x18"):
        return "lz4"
    if data.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if data.startswith(b"MSCF\0\0\0\0"):
        return "cab"
    from auditor.ingest.iso9660 import is_iso9660

    if is_iso9660(data):
        return "iso9660"
    return filesystem_kind(data)


#: Containers opened in place from a file: the rest are read whole into memory first.
IN_PLACE = frozenset(
    {"gzip", "bzip2", "xz", "zstd", "lz4", "tar", "zip", "iso9660", "squashfs", "ext"}
)


#: Why a member or stream that could not be held was not opened.
NO_MEMORY = "needs more memory than allowed (--max-memory)"


def decompress(display: str, data: bytes | Blob, budget: Budget, keep: int) -> Member | Refused:
    """The content of a single-file compressed stream, under the size and ratio limits: in
    memory up to ``keep`` bytes, spilled to a temporary file beyond that."""
    container = kind(head_of(data))
    if container not in _STREAMS:
        return Refused(display, "not a compressed stream")
    limits = budget.limits
    limit = min(
        limits.max_member_size,
        limits.max_total - budget.total,
        max(len(data) * limits.max_ratio, 1 << 20),
    )
    try:
        with _STREAMS[container](open_source(data)) as stream:
            inner = spill(stream, limit, keep)
    except MemoryError:
        return Refused(display, f"{container} stream {NO_MEMORY}")
    except Exception as exc:  # noqa: BLE001 - each decompressor has its own error types
        # (zstandard.ZstdError, lz4's RuntimeError, lzma.LZMAError, OSError, EOFError...)
        return Refused(display, f"{container} data cannot be decompressed: {exc}")
    if inner is None:
        return Refused(
            display,
            f"{container} stream expands beyond {limit} bytes (compression-bomb or size limit)",
        )
    reason = budget.take(len(inner), streamed=True)
    if reason:
        release(inner)
        return Refused(display, reason)
    name = display.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "content"
    return Member(f"{display}{SEPARATOR}{name}", inner)


def expand(display: str, data: bytes | Blob, budget: Budget) -> Iterator[Member | Refused | Entry]:
    """The members of the container ``data`` (one level), each with its location chain. Whoever
    takes a member releases its data (:func:`~auditor.ingest.blobs.release`) when done."""
    container = kind(head_of(data))
    if isinstance(data, Blob) and container not in IN_PLACE:
        reason = budget.over_whole(str(container), data.size)
        if reason:
            yield Refused(display, reason)
            return
        data = data.read_all()
    if container in _STREAMS:
        yield decompress(display, data, budget, budget.limits.spill_size)
    elif container == "tar":
        yield from _tar(display, data, budget)
    elif container == "zip":
        yield from _zip(display, data, budget)
    elif isinstance(data, Blob):
        if container == "iso9660":
            from auditor.ingest.iso9660 import expand_iso

            yield from expand_iso(display, data, budget)
        elif container is not None:
            from auditor.ingest.filesystems import expand_filesystem

            yield from expand_filesystem(display, data, container, budget)
    elif container == "ar":
        yield from _ar(display, data, budget)
    elif container == "cpio":
        from auditor.ingest.rpm import cpio_members

        for name, content in cpio_members(data):
            where = f"{display}{SEPARATOR}{member_name(name)}"
            reason = budget.take(len(content), streamed=True, stored=True)
            if reason:
                yield Refused(where, reason)
                continue
            yield Member(where, content)
    elif container == "7z":
        from auditor.ingest.sevenzip import expand_7z

        yield from expand_7z(display, data, budget)
    elif container == "cab":
        from auditor.ingest.cabinet import expand_cab

        yield from expand_cab(display, data, budget)
    elif container == "iso9660":
        from auditor.ingest.iso9660 import expand_iso

        yield from expand_iso(display, data, budget)
    elif container is not None:
        from auditor.ingest.filesystems import expand_filesystem

        yield from expand_filesystem(display, data, container, budget)


def _zstd(source: IO[bytes]) -> IO[bytes]:
    import zstandard

    return cast(
        IO[bytes], zstandard.ZstdDecompressor().stream_reader(source, read_across_frames=True)
    )


def _lz4(source: IO[bytes]) -> IO[bytes]:
    import lz4.frame

    return cast(IO[bytes], lz4.frame.LZ4FrameFile(source, mode="rb"))


#: Single-file compressed streams: each opens a file object for reading.
_STREAMS: dict[str, Callable[[IO[bytes]], IO[bytes]]] = {
    "gzip": lambda source: cast(IO[bytes], gzip.GzipFile(fileobj=source)),
    "bzip2": lambda source: cast(IO[bytes], bz2.BZ2File(source)),
    "xz": lambda source: cast(IO[bytes], lzma.LZMAFile(source)),
    "zstd": _zstd,
    "lz4": _lz4,
}


def _ar(display: str, data: bytes, budget: Budget) -> Iterator[Member | Refused]:
    """Unix ar archives: 60-byte headers, data padded to an even offset."""
    offset = 8
    while offset + 60 <= len(data):
        header = data[offset : offset + 60]
        if header[58:60] != b"`\n":
            yield Refused(display, f"ar archive is corrupt at offset {offset}")
            return
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError:
            size = -1
        if size < 0:  # a negative size would step back and read the same header for ever
            yield Refused(display, f"ar member size is not a number at offset {offset}")
            return
        start = offset + 60
        if start + size > len(data):
            yield Refused(f"{display}{SEPARATOR}{name}", "ar member is truncated")
            return
        offset = start + size + (size & 1)
        if not name or name in ("", "/", "//"):  # symbol and long-name tables
            continue
        reason = budget.take(size, streamed=True, stored=True)
        if reason:
            yield Refused(f"{display}{SEPARATOR}{name}", reason)
            if budget.exhausted:
                return
            continue
        yield Member(f"{display}{SEPARATOR}{name}", data[start : start + size])


def _tar(display: str, data: bytes | Blob, budget: Budget) -> Iterator[Member | Refused | Entry]:
    try:
        archive = tarfile.open(fileobj=open_source(data), mode="r:")
    except (tarfile.TarError, OSError, EOFError) as exc:
        yield Refused(display, f"tar archive cannot be read: {exc}")
        return
    with archive:
        try:
            for info in archive:
                where = f"{display}{SEPARATOR}{member_name(info.name)}"
                if info.isdir():
                    continue
                if not info.isfile():
                    linked = info.issym() or info.islnk()
                    target = link_target(member_name(info.name), info.linkname) if linked else ""
                    yield Entry(where, target)
                    continue
                reason = budget.take(info.size, streamed=True, stored=not info.sparse)
                if reason:
                    yield Refused(where, reason)
                    if budget.exhausted:
                        return
                    continue
                if (
                    isinstance(data, Blob)
                    and info.size > budget.limits.spill_size
                    and (info.isreg() and not info.sparse)
                ):  # stored in one piece: read where it lies
                    if info.offset_data + info.size > data.size:
                        raise tarfile.ReadError("unexpected end of data")
                    yield Member(where, data.window(info.offset_data, info.size))
                    continue
                stream = archive.extractfile(info)
                if stream is None:
                    continue
                try:
                    content = stream.read(info.size)
                except MemoryError:  # the members after it are still opened
                    yield Refused(where, f"member {NO_MEMORY}")
                    continue
                yield Member(where, content)
        except (tarfile.TarError, OSError, EOFError) as exc:
            yield Refused(display, f"tar archive is truncated or corrupt: {exc}")


def _zip(display: str, data: bytes | Blob, budget: Budget) -> Iterator[Member | Refused]:
    try:
        archive = zipfile.ZipFile(open_source(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        yield Refused(display, f"zip archive cannot be read: {exc}")
        return
    limits = budget.limits
    for info in infos:
        where = f"{display}{SEPARATOR}{member_name(info.filename)}"
        if info.filename.endswith("/"):  # ZipInfo.is_dir() raises IndexError on an empty name
            continue
        if info.flag_bits & 0x1:
            yield Refused(where, "encrypted member")
            continue
        if (
            info.file_size > 1 << 20
            and info.file_size > max(info.compress_size, 1) * limits.max_ratio
        ):
            yield Refused(where, f"compression ratio over {limits.max_ratio} (possible zip bomb)")
            continue
        reason = budget.take(info.file_size, streamed=True)
        if reason:
            yield Refused(where, reason)
            if budget.exhausted:
                return
            continue
        try:
            with archive.open(info) as stream:
                content = spill(stream, info.file_size, limits.spill_size)
        except (
            zipfile.BadZipFile,
            OSError,
            ValueError,
            EOFError,
            NotImplementedError,
            RuntimeError,
            zlib.error,  # a corrupt deflate stream
            lzma.LZMAError,
        ) as exc:
            yield Refused(where, f"member cannot be read: {exc}")
            continue
        except MemoryError:  # the members after it are still opened
            yield Refused(where, f"member {NO_MEMORY}")
            continue
        if content is None:
            yield Refused(where, "member expands beyond its declared size (possible zip bomb)")
            continue
        yield Member(where, content)
