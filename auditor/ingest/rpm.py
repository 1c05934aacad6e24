"""RPM packages: the header's identity fields (name, version, vendor, packager, URL...) as a
package record, and the payload (cpio, compressed) as a container of files. Pure Python,
bounds-checked."""

from __future__ import annotations

import struct

from auditor.ingest.records import FactList, split_actor
from auditor.models import Component, ComponentKind, FieldKind

LEAD = b"\xed\xab\xee\xdb"
HEADER_MAGIC = b"\x8e\xad\xe8\x01"
_TAGS = {
    1000: ("Name", FieldKind.NAME),
    1001: ("Version", FieldKind.VERSION),
    1002: ("Release", FieldKind.TEXT),
    1004: ("Summary", FieldKind.DESCRIPTION),
    1005: ("Description", FieldKind.DESCRIPTION),
    1011: ("Vendor", FieldKind.SUPPLIER),
    1014: ("License", FieldKind.LICENSE),
    1015: ("Packager", FieldKind.AUTHOR),
    1020: ("URL", FieldKind.URL),
    1044: ("SourceRPM", FieldKind.FILENAME),
    1124: ("PayloadFormat", FieldKind.TEXT),
    1125: ("PayloadCompressor", FieldKind.TEXT),
}
MAX_ENTRIES = 10_000


def is_rpm(data: bytes) -> bool:
    return data.startswith(LEAD) and len(data) > 96


_FILE_TAGS = (1117, 1118)  # BASENAMES, DIRNAMES (joined by DIRINDEXES, 1116)
MAX_FILES = 5_000


def _header(data: bytes, offset: int) -> tuple[dict[int, list[str]], int]:
    """String values of a header structure at ``offset`` and the offset after it (DIRINDEXES,
    an integer array, is returned as decimal strings)."""
    if data[offset : offset + 4] != HEADER_MAGIC:
        raise ValueError("RPM header magic not found")
    count, size = struct.unpack_from(">II", data, offset + 8)
    count = min(count, MAX_ENTRIES)
    store = offset + 16 + 16 * count
    end = store + size
    if end > len(data):
        raise ValueError("RPM header runs past the end of the file")
    values: dict[int, list[str]] = {}
    for index in range(count):
        tag, kind, value_offset, number = struct.unpack_from(
            ">IIII", data, offset + 16 + 16 * index
        )
        if value_offset >= size:
            continue
        position = store + value_offset
        if tag == 1116 and kind == 4:  # DIRINDEXES: INT32 array
            count_ints = min(number, MAX_FILES, (end - position) // 4)
            values[tag] = [str(v) for v in struct.unpack_from(f">{count_ints}I", data, position)]
            continue
        if kind not in (6, 8, 9):  # STRING, STRING_ARRAY, I18NSTRING
            continue
        strings = []
        limit = MAX_FILES if tag in _FILE_TAGS else 64
        for _ in range(min(number, limit) if kind != 6 else 1):
            stop = data.find(b"\0", position, end)
            if stop < 0:
                break
            strings.append(data[position:stop].decode("utf-8", "replace"))
            position = stop + 1
        values[tag] = strings
    return values, end


def read_rpm(display: str, data: bytes) -> tuple[Component, bytes, list[str]]:
    """The package record, the (compressed) payload bytes and any problems."""
    problems: list[str] = []
    signature, after = _header(data, 96)
    after += (8 - after % 8) % 8  # the signature header is padded to 8 bytes
    main, payload_start = _header(data, after)
    del signature
    component = _record(f"{display}#", main, "/header")
    return component, data[payload_start:], problems


def header_blob_record(ref: str, blob: bytes, pointer: str) -> Component:
    """The package record of a header blob as an RPM database stores it (no magic), with the
    files the package installed."""
    main, _ = _header(HEADER_MAGIC + b"\0" * 4 + blob, 0)
    return _record(ref, main, pointer, with_files=True)


def _record(
    ref: str, main: dict[int, list[str]], pointer: str, with_files: bool = False
) -> Component:
    facts = FactList()
    for tag, (name, kind) in _TAGS.items():
        for value in main.get(tag, [])[:1]:
            if kind in (FieldKind.SUPPLIER, FieldKind.AUTHOR):
                person, email = split_actor(value)
                facts.add(kind, person, f"{pointer}/{name}")
                facts.add(FieldKind.EMAIL, email, f"{pointer}/{name}")
            else:
                facts.add(kind, value, f"{pointer}/{name}")
    if with_files:
        basenames, dirnames = main.get(1117, []), main.get(1118, [])
        for index, (base, slot) in enumerate(zip(basenames, main.get(1116, []), strict=False)):
            position = int(slot)
            if position < len(dirnames):
                facts.add(FieldKind.FILENAME, dirnames[position] + base, f"{pointer}/files/{index}")
    name = (main.get(1000) or [""])[0]
    version = (main.get(1001) or [""])[0]
    return facts.build(
        ref=ref + name if ref.endswith("#") else ref,
        kind=ComponentKind.PACKAGE,
        name=name,
        version=version,
        pointer=pointer,
    )


def cpio_members(data: bytes) -> list[tuple[str, bytes]]:
    """Regular files of a 'newc' (070701/070702) cpio archive."""
    members: list[tuple[str, bytes]] = []
    offset = 0
    while offset + 110 <= len(data) and len(members) < 1_000_000:
        header = data[offset : offset + 110]
        if header[:6] not in (b"070701", b"070702"):
            break
        try:
            fields = [int(header[6 + 8 * i : 14 + 8 * i], 16) for i in range(13)]
        except ValueError:
            break  # corrupt header: keep what was read
        mode, file_size, name_size = fields[1], fields[6], fields[11]
        name_start = offset + 110
        name = data[name_start : name_start + name_size - 1].decode("utf-8", "replace")
        data_start = name_start + name_size
        data_start += (4 - data_start % 4) % 4
        if name == "TRAILER!!!":
            break
        if (mode & 0o170000) == 0o100000:
            members.append((name, data[data_start : data_start + file_size]))
        offset = data_start + file_size
        offset += (4 - offset % 4) % 4
    return members
