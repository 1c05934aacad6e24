"""RPM databases in Berkeley DB hash format (``/var/lib/rpm/Packages``: RHEL/CentOS 7, Amazon
Linux 2, older SUSE): the header blob of every installed package, read page by page in pure
Python, bounds-checked (the layout go-rpmdb and syft read)."""

from __future__ import annotations

import struct
from collections.abc import Iterator

HASH_MAGIC = 0x061561
_PAGE_HEADER = 26
_HASH_PAGES = (2, 13)  # P_HASH_UNSORTED, P_HASH
_OVERFLOW_PAGE = 7
_KEYDATA, _OFFPAGE = 1, 3
MAX_BLOB = 64 << 20


def is_bdb_hash(data: bytes) -> bool:
    return len(data) >= 512 and HASH_MAGIC in (
        struct.unpack_from("<I", data, 12)[0],
        struct.unpack_from(">I", data, 12)[0],
    )


def header_blobs(data: bytes, limit: int = 200_000) -> Iterator[bytes]:
    """Each value stored in the hash database, in page order (raises ValueError if corrupt)."""
    if not is_bdb_hash(data):
        raise ValueError("not a Berkeley DB hash database")
    order = "<" if struct.unpack_from("<I", data, 12)[0] == HASH_MAGIC else ">"
    page_size = struct.unpack_from(f"{order}I", data, 20)[0]
    if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
        raise ValueError(f"implausible page size {page_size}")
    pages = len(data) // page_size
    last = struct.unpack_from(f"{order}I", data, 32)[0]
    if last >= pages:
        raise ValueError(f"truncated: {last + 1} pages declared, {pages} present")
    found = 0
    for number in range(1, pages):
        page = number * page_size
        if data[page + 25] not in _HASH_PAGES:
            continue
        entries = struct.unpack_from(f"{order}H", data, page + 20)[0]
        offsets = [
            struct.unpack_from(f"{order}H", data, page + _PAGE_HEADER + 2 * i)[0]
            for i in range(min(entries, (page_size - _PAGE_HEADER) // 2))
        ]
        for index in range(1, len(offsets), 2):  # key, value, key, value...
            start = page + offsets[index]
            if offsets[index] >= page_size:
                continue
            kind = data[start]
            if kind == _OFFPAGE:
                target, length = struct.unpack_from(f"{order}II", data, start + 4)
                blob = _overflow(data, order, page_size, pages, target, length)
            elif kind == _KEYDATA:
                end = offsets[index - 1] if offsets[index - 1] > offsets[index] else page_size
                blob = data[start + 1 : page + end]
            else:
                continue
            if blob:
                yield blob
                found += 1
                if found >= limit:
                    return


def _overflow(
    data: bytes, order: str, page_size: int, pages: int, first: int, length: int
) -> bytes:
    """The chain of overflow pages holding one big value."""
    if length > MAX_BLOB:
        raise ValueError(f"value of {length} bytes is implausible")
    parts: list[bytes] = []
    total = 0
    number, seen = first, set()
    while number and total < length:
        if number in seen or number >= pages:
            raise ValueError("overflow chain loops or leaves the file")
        seen.add(number)
        page = number * page_size
        if data[page + 25] != _OVERFLOW_PAGE:
            raise ValueError(f"page {number} is not an overflow page")
        next_page = struct.unpack_from(f"{order}I", data, page + 16)[0]
        used = struct.unpack_from(f"{order}H", data, page + 22)[0]  # hf_offset: bytes on page
        chunk = data[page + _PAGE_HEADER : page + _PAGE_HEADER + min(used, page_size)]
        parts.append(chunk)
        total += len(chunk)
        number = next_page
    return b"".join(parts)[:length]
