"""7z archives, through py7zr, in memory: sizes are checked against the limits before anything
is decompressed, each member is capped at its declared size, and encrypted archives are
reported as not inspected."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from auditor.ingest.containers import SEPARATOR, Budget, Member, Refused, member_name

MAGIC = b"7z\xbc\xaf\x27\x1c"


class _Capped:
    """A write target that keeps at most ``limit`` bytes and remembers if more came."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buffer = io.BytesIO()
        self.overflow = False

    def write(self, chunk: bytes | bytearray) -> int:
        room = self.limit - self.buffer.tell()
        if len(chunk) > room:
            self.overflow = True
            chunk = chunk[: max(room, 0)]
        return self.buffer.write(chunk)

    def read(self, size: int | None = None) -> bytes:
        return self.buffer.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.buffer.seek(offset, whence)

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return self.buffer.getbuffer().nbytes

    def close(self) -> None:
        return None


def expand_7z(display: str, data: bytes, budget: Budget) -> Iterator[Member | Refused]:
    """The files of a 7z archive, in name order."""
    import py7zr
    from py7zr.io import WriterFactory

    class Factory(WriterFactory):
        def __init__(self, limits: dict[str, int]) -> None:
            self.limits = limits
            self.products: dict[str, _Capped] = {}

        def create(self, filename: str) -> Any:
            product = _Capped(self.limits.get(filename, 0))
            self.products[filename] = product
            return product

    try:
        archive = py7zr.SevenZipFile(io.BytesIO(data), mode="r")
    except py7zr.PasswordRequired:
        yield Refused(display, "7z archive with encrypted headers (password-protected)")
        return
    except Exception as exc:  # noqa: BLE001 - a hostile archive must not end the audit
        yield Refused(display, f"7z archive cannot be read: {exc}")
        return
    with archive:
        if archive.needs_password():
            yield Refused(display, "encrypted 7z archive (password-protected): not inspected")
            return
        try:  # the raw entries: list() also converts timestamps, which a hostile one breaks
            files = sorted(
                (info for info in archive.files if not info.is_directory),
                key=lambda info: str(info.filename),
            )
        except Exception as exc:  # noqa: BLE001 - a hostile archive must not end the audit
            yield Refused(display, f"7z archive's file list cannot be read: {exc}")
            return
        declared = sum(int(info.uncompressed or 0) for info in files)
        ratio = budget.limits.max_ratio
        if declared > 1 << 20 and declared > len(data) * ratio:
            yield Refused(display, f"7z archive declares {declared} bytes: ratio over {ratio}")
            return
        wanted: dict[str, int] = {}
        for info in files:
            size = int(info.uncompressed or 0)
            reason = budget.take(size)
            if reason:
                yield Refused(f"{display}{SEPARATOR}{member_name(str(info.filename))}", reason)
                continue
            wanted[str(info.filename)] = size
        if not wanted:
            return
        factory = Factory(wanted)
        try:
            archive.extract(targets=list(wanted), factory=factory)
        except Exception as exc:  # noqa: BLE001
            yield Refused(display, f"7z archive cannot be decompressed: {exc}")
            return
    for name in wanted:
        where = f"{display}{SEPARATOR}{member_name(name)}"
        product = factory.products.get(name)
        if product is None:
            yield Refused(where, "member missing from the decompressed archive")
        elif product.overflow:
            yield Refused(where, "member expands beyond its declared size (possible bomb)")
        else:
            yield Member(where, product.buffer.getvalue())
