"""Windows Installer packages (.msi, OLE compound files, through olefile): the summary
information (author, subject) and the Property table (Manufacturer, ProductName,
ProductVersion, support links) as a package record, and the embedded cabinets and binary
streams as members."""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

from auditor.ingest.containers import SEPARATOR, Budget, Member, Refused
from auditor.ingest.records import FactList
from auditor.models import Component, ComponentKind, FieldKind

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_STREAMS = 10_000
#: Root-storage class ids of Windows Installer packages, patches and transforms.
MSI_CLASS_IDS = {
    "000C1084-0000-0000-C000-000000000046",  # installer package (.msi)
    "000C1086-0000-0000-C000-000000000046",  # patch package (.msp)
    "000C1082-0000-0000-C000-000000000046",  # transform (.mst)
}


def is_msi(data: bytes) -> bool:
    """An OLE compound file whose root storage says it is a Windows Installer database."""
    if not data.startswith(OLE_MAGIC):
        return False
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return str(ole.root.clsid).upper() in MSI_CLASS_IDS
    except Exception:  # noqa: BLE001 - corrupt: not opened as an installer
        return False


def _text(value: object) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8").strip("\0 ")
        except UnicodeDecodeError:
            return value.decode("cp1252", "replace").strip("\0 ")
    return value.strip("\0 ") if isinstance(value, str) else ""


#: Property table entries that say who made the package and what it is.
_PROPERTIES = {
    "ProductName": FieldKind.NAME,
    "Manufacturer": FieldKind.MANUFACTURER,
    "ProductVersion": FieldKind.VERSION,
    "ARPURLINFOABOUT": FieldKind.URL,
    "ARPHELPLINK": FieldKind.URL,
    "ARPURLUPDATEINFO": FieldKind.URL,
    "ARPCONTACT": FieldKind.TEXT,
    "ARPCOMMENTS": FieldKind.DESCRIPTION,
}
MAX_STRINGS = 1_000_000


def _stream(ole: object, wanted: str) -> bytes:
    import olefile

    assert isinstance(ole, olefile.OleFileIO)
    for parts in ole.listdir(streams=True, storages=False):
        if len(parts) == 1 and stream_name(parts[0]) == wanted:
            with ole.openstream(parts[0]) as handle:
                return bytes(handle.read(64 << 20))
    return b""


def _strings(pool: bytes, data: bytes) -> tuple[list[str], int]:
    """The string table (index 0 is the empty string) and the width of string references."""
    if len(pool) < 4:
        return [""], 2
    header = struct.unpack_from("<I", pool, 0)[0]
    codepage = header & 0xFFFF
    encoding = f"cp{codepage}" if codepage not in (0, 65001) else "utf-8"
    entries = struct.unpack_from(f"<{(len(pool) - 4) // 2}H", pool, 4)
    strings, offset, index = [""], 0, 0
    while index + 1 < len(entries) and len(strings) < MAX_STRINGS:
        length, refs = entries[index], entries[index + 1]
        if length == 0 and refs == 0:
            strings.append("")
            index += 2
            continue
        if length == 0 and index + 3 < len(entries):  # a string over 64 KiB: length in 2 words
            length = (refs << 16) | entries[index + 2]
            index += 2
        index += 2
        raw = data[offset : offset + length]
        offset += length
        try:
            strings.append(raw.decode(encoding, "replace"))
        except LookupError:
            strings.append(raw.decode("latin-1"))
    return strings, 3 if header & 0x80000000 else 2


def msi_properties(data: bytes) -> dict[str, str]:
    """The Property table (name -> value) of an installer database; {} when absent."""
    import olefile

    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        strings, width = _strings(_stream(ole, "!_StringPool"), _stream(ole, "!_StringData"))
        table = _stream(ole, "!Property")
    rows = len(table) // (2 * width)
    if not rows:
        return {}

    def ref(position: int) -> str:
        value = int.from_bytes(table[position : position + width], "little")
        return strings[value] if value < len(strings) else ""

    names = [ref(i * width) for i in range(rows)]
    values = [ref((rows + i) * width) for i in range(rows)]
    return dict(zip(names, values, strict=True))


#: Summary information property ids (all VT_LPSTR in an installer package).
_TITLE, _SUBJECT, _AUTHOR, _KEYWORDS, _COMMENTS, _APP_NAME = 2, 3, 4, 5, 6, 18
_VT_LPSTR = 0x1E
SUMMARY_STREAM = "\x05SummaryInformation"


def summary_information(stream: bytes) -> dict[int, bytes]:
    """The string properties of a summary information property set stream, by property id.

    Read here rather than with olefile's ``get_metadata``, which walks every property including
    vectors whose element count comes from the file: a 5 KB package claiming 2**32 empty
    elements kept it busy (and growing a list) for hours."""
    values: dict[int, bytes] = {}
    if len(stream) < 48:
        return values
    start = struct.unpack_from("<I", stream, 44)[0]  # offset of the first property set
    if start + 8 > len(stream):
        return values
    count = min(struct.unpack_from("<I", stream, start + 4)[0], 256)
    for index in range(count):
        entry = start + 8 + 8 * index
        if entry + 8 > len(stream):
            break
        ident, offset = struct.unpack_from("<II", stream, entry)
        position = start + offset
        if position + 8 > len(stream):
            continue
        kind, size = struct.unpack_from("<II", stream, position)
        if kind & 0xFFFF == _VT_LPSTR:
            values[ident] = stream[position + 8 : position + 8 + size]
    return values


def msi_record(display: str, data: bytes) -> Component:
    """The package record: summary information and the Property table (raises on a corrupt
    file)."""
    import olefile

    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        summary = b""
        if ole.exists(SUMMARY_STREAM):
            with ole.openstream(SUMMARY_STREAM) as handle:
                summary = bytes(handle.read(1 << 20))
    meta = summary_information(summary)
    try:
        properties = msi_properties(data)
    except Exception:  # noqa: BLE001 - a damaged table leaves the summary information
        properties = {}
    facts = FactList()
    for key, kind in _PROPERTIES.items():
        facts.add(kind, properties.get(key, ""), f"/Property/{key}")
    product = properties.get("ProductName") or _text(meta.get(_SUBJECT))
    facts.add(FieldKind.NAME, product, "/SummaryInformation/Subject")
    facts.add(FieldKind.MANUFACTURER, _text(meta.get(_AUTHOR)), "/SummaryInformation/Author")
    facts.add(FieldKind.DESCRIPTION, _text(meta.get(_TITLE)), "/SummaryInformation/Title")
    facts.add(FieldKind.DESCRIPTION, _text(meta.get(_COMMENTS)), "/SummaryInformation/Comments")
    facts.add(FieldKind.TEXT, _text(meta.get(_KEYWORDS)), "/SummaryInformation/Keywords")
    facts.add(FieldKind.TEXT, _text(meta.get(_APP_NAME)), "/SummaryInformation/AppName")
    name = display.rsplit("/", 1)[-1]
    return facts.build(
        ref=f"{display}#summary",
        kind=ComponentKind.PACKAGE,
        name=product or name,
        version=properties.get("ProductVersion", ""),
        pointer="/SummaryInformation",
    )


def msi_streams(display: str, data: bytes, budget: Budget) -> Iterator[Member | Refused]:
    """Embedded cabinets and other binary streams (custom-action DLLs, icons), in name order.
    MSI stream names are mangled; they are shown as olefile reports them."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = sorted(ole.listdir(streams=True, storages=False))[:MAX_STREAMS]
            for parts in streams:
                name = "/".join(parts)
                where = f"{display}{SEPARATOR}{_printable(name)}"
                size = ole.get_size(name)
                if name.startswith("\x05") or stream_name(name).startswith("!"):
                    continue  # property sets (read as the record) and database tables
                reason = budget.take(size)
                if reason:
                    yield Refused(where, reason)
                    if budget.exhausted:
                        return
                    continue
                with ole.openstream(name) as stream:
                    yield Member(where, stream.read(size))
    except Exception as exc:  # noqa: BLE001 - a hostile compound file must not end the audit
        yield Refused(display, f"OLE compound file cannot be read: {exc}")


def _mime(value: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._"
    return alphabet[value] if value < len(alphabet) else "_"


def stream_name(mangled: str) -> str:
    """An MSI stream name as its author wrote it: Windows Installer packs two characters of a
    64-letter alphabet into each code point from U+3800 and marks tables with U+4840."""
    out = []
    for char in mangled:
        code = ord(char)
        if code == 0x4840:
            out.append("!")  # table prefix, as msiinfo shows it
        elif 0x4800 <= code < 0x4840:
            out.append(_mime(code - 0x4800))
        elif 0x3800 <= code < 0x4800:
            code -= 0x3800
            out.append(_mime(code & 0x3F) + _mime((code >> 6) & 0x3F))
        else:
            out.append(char)
    return "".join(out)


def _printable(name: str) -> str:
    name = stream_name(name)
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in name)
