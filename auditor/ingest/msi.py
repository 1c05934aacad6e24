"""Windows Installer packages (.msi, OLE compound files, through olefile): the summary
information (author = manufacturer, subject = product) as a package record, and the embedded
cabinets and binary streams as members."""

from __future__ import annotations

import io
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


def msi_record(display: str, data: bytes) -> Component:
    """The package record from the summary information stream (raises on a corrupt file)."""
    import olefile

    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        meta = ole.get_metadata()
    facts = FactList()
    product = _text(meta.subject)
    facts.add(FieldKind.NAME, product, "/SummaryInformation/Subject")
    facts.add(FieldKind.MANUFACTURER, _text(meta.author), "/SummaryInformation/Author")
    facts.add(FieldKind.DESCRIPTION, _text(meta.title), "/SummaryInformation/Title")
    facts.add(FieldKind.DESCRIPTION, _text(meta.comments), "/SummaryInformation/Comments")
    facts.add(FieldKind.TEXT, _text(meta.keywords), "/SummaryInformation/Keywords")
    facts.add(FieldKind.TEXT, _text(meta.creating_application), "/SummaryInformation/AppName")
    name = display.rsplit("/", 1)[-1]
    return facts.build(
        ref=f"{display}#summary",
        kind=ComponentKind.PACKAGE,
        name=product or name,
        version="",
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
