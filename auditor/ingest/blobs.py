"""Large files and members kept out of memory.

A :class:`Blob` is a byte range of an open file: a top-level input, a member lying uncompressed
inside a tar that is itself a blob, or a decompressed stream spilled to an anonymous temporary
file (unlinked on creation, so nothing is left behind and no member name ever reaches the file
system). It is read with ``os.pread``, a chunk at a time, so a multi-gigabyte appliance image is
opened member by member without being held whole in memory or mapped into the address space.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from typing import IO

#: Bytes read at a time when a stream is spilled or a blob hashed (a decompressor holds a few
#: chunks at once, so memory per open stream is a small multiple of this).
CHUNK = 1 << 20
#: Bytes of a blob's start handed to the format sniffers (a Java archive is recognised by the
#: names in its first MiB; an ISO 9660 descriptor sits at 32 KiB).
HEAD = 1 << 20


class Blob:
    """``size`` bytes at ``offset`` of ``file``; ``owned`` when closing the blob closes the
    file (a spilled stream) rather than leaving it to its opener."""

    __slots__ = ("file", "offset", "size", "owned", "_sha256")

    def __init__(self, file: IO[bytes], offset: int, size: int, *, owned: bool = False) -> None:
        self.file = file
        self.offset = offset
        self.size = size
        self.owned = owned
        self._sha256 = ""  # hex digest, once computed (a cache key and a record both want it)

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"Blob({self.size} bytes at {self.offset})"

    def read(self, offset: int, count: int) -> bytes:
        """Up to ``count`` bytes from ``offset`` within the blob (fewer at its end)."""
        count = max(0, min(count, self.size - offset))
        parts: list[bytes] = []
        fd = self.file.fileno()
        position = self.offset + offset
        while count:
            part = os.pread(fd, count, position)  # one allocation unless the read is short
            if not part:
                raise OSError(f"file ended {count} bytes early (truncated while being read)")
            parts.append(part)
            position += len(part)
            count -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def head(self, count: int = HEAD) -> bytes:
        """The blob's first ``count`` bytes."""
        return self.read(0, count)

    def read_all(self) -> bytes:
        """The whole blob in memory (for readers that need bytes; bounded by the caller)."""
        return self.read(0, self.size)

    def window(self, offset: int, size: int) -> Blob:
        """A part of this blob (a member stored uncompressed inside it), without copying."""
        size = max(0, min(size, self.size - offset))
        return Blob(self.file, self.offset + offset, size)

    def open(self) -> IO[bytes]:
        """A seekable, buffered file object over the blob alone."""
        return _Buffered(_Window(self), buffer_size=64 << 10)

    def chunks(self) -> list[tuple[int, int]]:
        """(offset, length) of each ``CHUNK`` of the blob, in order."""
        return [(start, min(CHUNK, self.size - start)) for start in range(0, self.size, CHUNK)]

    def sha256(self) -> str:
        """The SHA-256 of the blob's bytes, read a chunk at a time the first time it is asked."""
        if not self._sha256:
            digest = hashlib.sha256()
            for start, length in self.chunks():
                digest.update(self.read(start, length))
            self._sha256 = digest.hexdigest()
        return self._sha256

    def close(self) -> None:
        """Close the file if the blob owns it (a spilled stream); otherwise nothing."""
        if self.owned:
            self.file.close()


class _Buffered(io.BufferedReader):
    """A buffered reader whose out-of-range seeks fail as ``io.BytesIO``'s do (OverflowError),
    so a hostile offset is reported the same way whether the data is in memory or not."""

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if not -(1 << 63) <= offset < 1 << 63:
            raise OverflowError("seek offset out of range")
        return super().seek(offset, whence)


class _Window(io.RawIOBase):
    """A read-only, seekable raw file over one blob (positional reads: windows on the same
    file never disturb each other's position)."""

    def __init__(self, blob: Blob) -> None:
        self._blob = blob
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        # as io.BytesIO does it, so reports do not depend on where the data lies: a negative
        # absolute position is an error, a relative one that goes before the start stops there
        if whence == io.SEEK_SET and offset < 0:
            raise ValueError(f"negative seek value {offset}")
        if whence == io.SEEK_CUR:
            offset = max(0, self._position + offset)
        elif whence == io.SEEK_END:
            offset = max(0, self._blob.size + offset)
        self._position = offset
        return offset

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._blob.read(self._position, len(buffer))
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


def spill(stream: IO[bytes], limit: int, keep: int) -> bytes | Blob | None:
    """Everything ``stream`` yields: as bytes while it fits in ``keep`` bytes, else in an
    anonymous temporary file; None if it holds more than ``limit`` bytes (a bomb or a huge
    member). The stream is read a chunk at a time, so memory stays near ``keep + CHUNK``."""
    buffer = io.BytesIO()  # grows in place; getvalue() hands over its buffer without a copy
    # a short read is not the end (some decompressors stop at frame boundaries): only b"" is
    while chunk := stream.read(min(limit + 1 - buffer.tell(), CHUNK)):
        buffer.write(chunk)
        if buffer.tell() > limit:
            return None
        if buffer.tell() > keep:
            return _spill_rest(buffer.getvalue(), stream, limit)
    return buffer.getvalue()


def _spill_rest(start: bytes, stream: IO[bytes], limit: int) -> Blob | None:
    file = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the blob, closed with it
    try:
        file.write(start)
        size = len(start)
        del start
        while chunk := stream.read(min(limit + 1 - size, CHUNK)):
            file.write(chunk)
            size += len(chunk)
            if size > limit:
                file.close()
                return None
        file.flush()
    except BaseException:
        file.close()
        raise
    return Blob(file, 0, size, owned=True)


def as_bytes(data: bytes | Blob) -> bytes:
    """The bytes of ``data`` (a blob is read whole)."""
    return data if isinstance(data, bytes) else data.read_all()


def head_of(data: bytes | Blob) -> bytes:
    """The first :data:`HEAD` bytes of ``data`` (for sniffing formats)."""
    return data[:HEAD] if isinstance(data, bytes) else data.head()


def read_at(data: bytes | Blob, offset: int, count: int) -> bytes:
    """``count`` bytes of ``data`` from ``offset`` (fewer at its end)."""
    return data[offset : offset + count] if isinstance(data, bytes) else data.read(offset, count)


def open_source(data: bytes | Blob) -> IO[bytes]:
    """A seekable file object over ``data``."""
    return io.BytesIO(data) if isinstance(data, bytes) else data.open()


def release(data: bytes | Blob) -> None:
    """Close a blob that owns its file; nothing for bytes."""
    if isinstance(data, Blob):
        data.close()
