"""File systems from firmware and disk images: SquashFS (PySquashfsImage) and ext2/3/4 (ext4),
read in memory file by file under the container limits, plus the file systems embedded in a
raw firmware blob behind a vendor header (found by their superblocks, then opened in place).

Nothing is mounted or written to disk: names are labels. Links and device nodes are recorded
by name (and target), never followed. File systems that are recognised but that no installed
library reads (cramfs, JFFS2, UBI) are reported as not inspected, never passed over.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from typing import IO, Any, cast

from auditor.ingest.blobs import CHUNK, Blob, as_bytes, head_of, open_source, read_at
from auditor.ingest.containers import SEPARATOR, Budget, Entry, Member, Refused, link_target

#: Smallest blob worth searching for an embedded file system.
MIN_CARVE_SIZE = 4096
#: Directory levels walked inside one file system (a cycle ends here, reported).
MAX_FS_DEPTH = 64
_EXT_MAGIC = b"\x53\xef"
_EXT_SUPER = 1024
_CRAMFS_MAGIC = b"\x45\x3d\xcd\x28"
_UNSUPPORTED_AT_START = {
    b"UBI#": "UBI volume",
    b"\x85\x19\x03\x20": "JFFS2 file system",
    b"\x85\x19\x01\xe0": "JFFS2 file system",
    b"\x85\x19\x02\xe0": "JFFS2 file system",
    b"\x31\x18\x10\x06": "UBIFS file system",
}


def _squashfs_size(data: bytes | Blob, offset: int) -> int:
    """The image's size if a plausible SquashFS 4.0 superblock starts at ``offset``, else 0."""
    block = read_at(data, offset, 96)
    if block[:4] != b"hsqs" or len(block) < 96:
        return 0
    block_size, _fragments, _compression, block_log, _flags, _ids, major = struct.unpack_from(
        "<IIHHHHH", block, 12
    )
    bytes_used: int = struct.unpack_from("<Q", block, 40)[0]
    plausible = (
        major == 4
        and 4096 <= block_size <= 1 << 20
        and block_size == 1 << block_log
        and bytes_used >= 96
    )
    return bytes_used if plausible else 0


def _ext_size(data: bytes | Blob, offset: int) -> int:
    """The file system's size if a plausible ext2/3/4 superblock belongs to ``offset``, else 0."""
    block = read_at(data, offset + _EXT_SUPER, 1024)
    if len(block) < 1024 or block[56:58] != _EXT_MAGIC:
        return 0
    inodes, blocks_lo = struct.unpack_from("<II", block, 0)
    log_block = struct.unpack_from("<I", block, 24)[0]
    rev_level = struct.unpack_from("<I", block, 76)[0]
    inode_size = struct.unpack_from("<H", block, 88)[0]
    if not inodes or not blocks_lo or log_block > 6 or rev_level > 1:
        return 0
    if rev_level == 1 and (inode_size < 128 or inode_size & (inode_size - 1)):
        return 0
    size: int = blocks_lo * (1024 << log_block)
    return size


def _cramfs_at(data: bytes | Blob, offset: int) -> bool:
    block = read_at(data, offset, 32)
    return block[:4] == _CRAMFS_MAGIC and block[16:32] == b"Compressed ROMFS"


def filesystem_kind(data: bytes) -> str | None:
    """The file system that starts at the first byte of ``data``, if any."""
    if _squashfs_size(data, 0):
        return "squashfs"
    if _ext_size(data, 0):
        return "ext"
    if _cramfs_at(data, 0):
        return "cramfs"
    for magic, name in _UNSUPPORTED_AT_START.items():
        if data.startswith(magic):
            return name
    return None


def _scan(data: bytes | Blob, magics: tuple[bytes, ...]) -> dict[bytes, list[int]]:
    """Every offset where each magic occurs. A blob is read once, a chunk at a time, each read
    overlapping the next by the longest magic's length."""
    hits: dict[bytes, list[int]] = {magic: [] for magic in magics}
    overlap = max(map(len, magics)) - 1
    chunks: Iterator[tuple[int, bytes, int]]
    if isinstance(data, bytes):
        chunks = iter([(0, data, len(data))])
    else:
        chunks = (
            (base, data.read(base, CHUNK + overlap), CHUNK) for base in range(0, data.size, CHUNK)
        )
    for base, chunk, span in chunks:
        for magic in magics:
            position = chunk.find(magic)
            while position != -1 and position < span:
                hits[magic].append(base + position)
                position = chunk.find(magic, position + 1)
    return hits


def embedded_filesystems(data: bytes | Blob) -> list[tuple[int, str, int]]:
    """File systems that start inside ``data`` (after a vendor header): offset, kind, size."""
    if len(data) < MIN_CARVE_SIZE:
        return []
    found: dict[int, tuple[str, int]] = {}
    hits = _scan(data, (b"hsqs", _EXT_MAGIC, _CRAMFS_MAGIC))
    for position in hits[b"hsqs"]:
        size = _squashfs_size(data, position) if position else 0
        if size:
            found[position] = ("squashfs", size)
    for position in hits[_EXT_MAGIC]:
        start = position - _EXT_SUPER - 56
        if start > 0 and start % 512 == 0:
            size = _ext_size(data, start)
            if size:
                found[start] = ("ext", size)
    for position in hits[_CRAMFS_MAGIC]:
        if position and _cramfs_at(data, position):
            found[position] = ("cramfs", 0)
    # a file system inside another carved one is reached by opening the outer one
    result: list[tuple[int, str, int]] = []
    end = 0
    for offset in sorted(found):
        kind, size = found[offset]
        if offset >= end:
            result.append((offset, kind, size))
            end = offset + max(size, 1)
    return result


def carve(display: str, data: bytes | Blob, budget: Budget) -> Iterator[Member | Refused | Entry]:
    """Each file system embedded in a raw blob, as a member named by its kind and offset."""
    for offset, kind, size in embedded_filesystems(data):
        where = f"{display}{SEPARATOR}{kind}@0x{offset:x}"
        if kind == "cramfs":
            rest = data[offset:] if isinstance(data, bytes) else data.window(offset, data.size)
            yield from expand_filesystem(where, rest, kind, budget)
            continue
        present = min(size, len(data) - offset)
        if present < size:  # read what is there, and say the image is incomplete
            yield Refused(
                where, f"{kind} file system is truncated: {size} bytes declared, {present} present"
            )
        reason = budget.take(present, streamed=True, stored=True)
        if reason:
            yield Refused(where, reason)
            continue
        if isinstance(data, bytes):
            yield Member(where, data[offset : offset + present])
        else:
            yield Member(where, data.window(offset, present))


def expand_filesystem(
    display: str, data: bytes | Blob, kind: str, budget: Budget
) -> Iterator[Member | Refused | Entry]:
    """Every file of the file system image ``data``, in path order."""
    if kind == "squashfs":
        yield from _squashfs(display, data, budget)
    elif kind == "ext":
        yield from _ext(display, data, budget)
    elif isinstance(data, Blob) and budget.over_whole(kind, data.size):
        yield Refused(display, budget.over_whole(kind, data.size))
    else:
        yield from _with_unblob(display, as_bytes(data), kind, budget)


def _with_unblob(
    display: str, data: bytes, kind: str, budget: Budget
) -> Iterator[Member | Refused | Entry]:
    """A file system no built-in reader opens: unblob's extraction, when it is installed."""
    from auditor.ingest.unblob_bridge import INSTALL_HINT, extract_with_unblob, unblob_available

    if not unblob_available():
        yield Refused(display, f"{kind}: no reader for it in this installation ({INSTALL_HINT})")
        return
    items = list(extract_with_unblob(display, data, budget))
    if not any(isinstance(item, Member) for item in items):
        items.append(Refused(display, f"{kind}: unblob extracted nothing from it"))
    yield from items


def _label(display: str, path: str) -> str:
    return f"{display}{SEPARATOR}{path.lstrip('/')}"


_NO_TABLE = 0xFFFF_FFFF_FFFF_FFFF


def _squashfs_tables_missing(data: bytes | Blob) -> str:
    """Why the fragment or xattr index of a SquashFS 4 image cannot be there ('' if it can):
    PySquashfsImage reads one 8-byte index entry per 8 KiB of table that the superblock's counts
    claim, for as many as 2**32 entries, before it looks at anything else (minutes per image)."""
    if len(data) < 96:
        return ""  # too short to be read at all: PySquashfsImage refuses it
    head = head_of(data)
    fragments = struct.unpack_from("<I", head, 16)[0]
    xattr_start, _, _, fragment_start = struct.unpack_from("<QQQQ", head, 56)

    def fits(start: int, entries: int) -> bool:
        blocks = (entries * 16 + 8191) // 8192
        return start + 8 * blocks <= len(data)

    if fragments and not fits(fragment_start, fragments):
        return f"its fragment table ({fragments} entries) lies beyond the image"
    if xattr_start != _NO_TABLE:
        if xattr_start + 16 > len(data):
            return "its xattr table lies beyond the image"
        xattr_ids = struct.unpack_from("<I", read_at(data, xattr_start + 8, 4))[0]
        if not fits(xattr_start + 16, xattr_ids):
            return f"its xattr table ({xattr_ids} entries) lies beyond the image"
    return ""


def _squashfs(
    display: str, data: bytes | Blob, budget: Budget
) -> Iterator[Member | Refused | Entry]:
    from PySquashfsImage import SquashFsImage

    missing = _squashfs_tables_missing(data)
    if missing:
        yield Refused(display, f"squashfs image cannot be read: {missing}")
        return
    try:
        image = SquashFsImage(open_source(data))
    except RecursionError:
        yield Refused(display, "squashfs directory tree loops or is nested too deeply")
        return
    except Exception as exc:  # noqa: BLE001 - a hostile image must not end the audit
        yield Refused(display, f"squashfs image cannot be read: {_why(exc)}")
        return
    stack: list[tuple[Any, int]] = [(image.root, 0)]
    files: list[Any] = []
    while stack:
        directory, depth = stack.pop()
        if depth > MAX_FS_DEPTH:
            yield Refused(_label(display, directory.path), "directories nested too deeply")
            continue
        for child in directory.iterdir():
            if child.is_dir:
                stack.append((child, depth + 1))
            else:
                files.append(child)
    for node in sorted(files, key=lambda node: str(node.path)):
        path = str(node.path)
        where = _label(display, path)
        if node.is_symlink:
            yield Entry(where, link_target(path, str(node.readlink())))
            continue
        if not node.is_file:
            yield Entry(where)
            continue
        reason = budget.take(int(node.size))
        if reason:
            yield Refused(where, reason)
            if budget.exhausted:
                return
            continue
        try:
            content = node.read_bytes()
        except Exception as exc:  # noqa: BLE001
            yield Refused(where, f"file cannot be read from the squashfs image: {_why(exc)}")
            continue
        yield Member(where, bytes(content))


def _ext(display: str, data: bytes | Blob, budget: Budget) -> Iterator[Member | Refused | Entry]:
    import ext4

    head = head_of(data)
    if len(head) >= _EXT_SUPER + 28 and struct.unpack_from("<I", head, _EXT_SUPER + 24)[0] > 6:
        # ext4 computes 1024 << s_log_block_size: a huge shift takes minutes (64 KiB is the most)
        yield Refused(display, "ext file system cannot be read: block size over 64 KiB")
        return
    try:
        volume = ext4.Volume(_buffered(open_source(data)), ignore_checksum=True)
        root = volume.root
    except Exception as exc:  # noqa: BLE001
        yield Refused(display, f"ext file system cannot be read: {_why(exc)}")
        return
    regular, directory, symlink = ext4.EXT4_FT.REG_FILE, ext4.EXT4_FT.DIR, ext4.EXT4_FT.SYMLINK
    seen: set[int] = set()
    stack: list[tuple[Any, str, int]] = [(root, "", 0)]
    files: list[tuple[str, Any, Any]] = []
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_FS_DEPTH:
            yield Refused(_label(display, path), "directories nested too deeply")
            continue
        try:
            if int(node.i_size) > len(data):  # ext4 would read it block by block, for ever
                raise ValueError(f"directory of {int(node.i_size)} bytes in a smaller image")
            entries = list(node.opendir())
        except Exception as exc:  # noqa: BLE001
            yield Refused(_label(display, path or "/"), f"directory cannot be read: {_why(exc)}")
            continue
        for entry, file_type in entries:
            name = bytes(entry.name_bytes).decode("utf-8", "surrogateescape")
            if name in (".", "..") or not name:
                continue
            child = f"{path}/{name}"
            if file_type == directory:
                if entry.inode in seen:
                    yield Refused(_label(display, child), "directory loop (inode seen before)")
                    continue
                seen.add(entry.inode)
                try:
                    stack.append((volume.inodes[entry.inode], child, depth + 1))
                except Exception as exc:  # noqa: BLE001
                    yield Refused(_label(display, child), f"inode cannot be read: {_why(exc)}")
                continue
            files.append((child, entry, file_type))
    for path, entry, file_type in sorted(files, key=lambda item: item[0]):
        where = _label(display, path)
        try:
            inode = volume.inodes[entry.inode]
            if file_type == symlink:
                target = bytes(inode.readlink()).decode("utf-8", "surrogateescape")
                yield Entry(where, link_target(path, target))
                continue
            if file_type != regular:
                yield Entry(where)
                continue
            size = int(inode.i_size)
            reason = budget.take(size)
            if reason:
                yield Refused(where, reason)
                if budget.exhausted:
                    return
                continue
            content = inode.open().read(size + 1)
        except Exception as exc:  # noqa: BLE001
            yield Refused(where, f"file cannot be read from the ext file system: {_why(exc)}")
            continue
        if len(content) > size:
            yield Refused(where, "file is larger than its inode says")
            continue
        yield Member(where, bytes(content))


def _buffered(source: IO[bytes]) -> IO[bytes]:
    """ext4 wants a buffered reader (it peeks); a blob's file object already is one."""
    if isinstance(source, io.BufferedReader):
        return source
    return io.BufferedReader(cast(Any, source))


def _why(exc: BaseException) -> str:
    if isinstance(exc, OverflowError):  # Python's wording depends on the file object read
        return "an offset or size in it is out of range"
    text = str(exc) or type(exc).__name__
    return text if len(text) < 200 else text[:197] + "..."
