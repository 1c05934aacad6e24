"""Microsoft Cabinet (.cab) archives through cabarchive, after the declared file sizes are checked
against the limits (cabarchive decompresses the whole cabinet at once)."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from auditor.ingest.containers import SEPARATOR, Budget, Member, Refused, member_name

MAGIC = b"MSCF\0\0\0\0"


def _declared_files(data: bytes) -> list[tuple[str, int]]:
    """Names and sizes from the CFFILE table (raises ValueError on a corrupt header)."""
    if len(data) < 36:
        raise ValueError("cabinet header is truncated")
    offset_files = struct.unpack_from("<I", data, 16)[0]
    count = struct.unpack_from("<H", data, 28)[0]
    files: list[tuple[str, int]] = []
    position = offset_files
    for _ in range(count):
        if position + 16 > len(data):
            raise ValueError("cabinet file table is truncated")
        size = struct.unpack_from("<I", data, position)[0]
        end = data.find(b"\0", position + 16, position + 16 + 512)
        if end < 0:
            raise ValueError("cabinet file name is not terminated")
        files.append((data[position + 16 : end].decode("utf-8", "replace"), size))
        position = end + 1
    return files


def expand_cab(display: str, data: bytes, budget: Budget) -> Iterator[Member | Refused]:
    """The files of a cabinet, in name order."""
    from cabarchive import CabArchive

    try:
        declared = _declared_files(data)
    except (ValueError, struct.error) as exc:
        yield Refused(display, f"cabinet cannot be read: {exc}")
        return
    total = sum(size for _, size in declared)
    ratio = budget.limits.max_ratio
    if total > 1 << 20 and total > len(data) * ratio:
        yield Refused(display, f"cabinet declares {total} bytes: ratio over {ratio}")
        return
    reason = budget.take(total)
    if reason:
        yield Refused(display, reason)
        return
    try:
        archive = CabArchive(data)
    except Exception as exc:  # noqa: BLE001 - unsupported compression (LZX, Quantum) or corrupt
        yield Refused(display, f"cabinet cannot be unpacked: {exc}")
        return
    for name in sorted(archive):
        content = archive[name].buf or b""
        yield Member(f"{display}{SEPARATOR}{member_name(name.replace(chr(92), '/'))}", content)
