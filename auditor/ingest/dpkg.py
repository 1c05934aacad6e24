"""Debian package records: a .deb's control file and dpkg's status database (one paragraph per
package, RFC 822-style fields, continuation lines indented). Lenient; line numbers kept."""

from __future__ import annotations

from auditor.ingest.interface import guarded
from auditor.ingest.records import FactList, split_actor
from auditor.models import Component, ComponentKind, FieldKind, SbomDocument, SbomFormat

_FIELDS = {
    "Package": FieldKind.NAME,
    "Source": FieldKind.TEXT,
    "Version": FieldKind.VERSION,
    "Homepage": FieldKind.URL,
    "Description": FieldKind.DESCRIPTION,
    "Vcs-Git": FieldKind.URL,
    "Vcs-Browser": FieldKind.URL,
}
_ACTORS = {
    "Maintainer": FieldKind.SUPPLIER,
    "Original-Maintainer": FieldKind.SUPPLIER,
    "Uploaders": FieldKind.AUTHOR,
}
MAX_PACKAGES = 200_000


def looks_like_control(head: bytes) -> bool:
    """A paragraph starting with 'Package:' and carrying Version and Maintainer or Status."""
    text = head[:4096]
    return (
        text.startswith(b"Package:")
        and b"\nVersion:" in text
        and (b"\nMaintainer:" in text or b"\nStatus:" in text)
    )


def _paragraphs(text: str) -> list[tuple[int, dict[str, tuple[str, int]]]]:
    paragraphs: list[tuple[int, dict[str, tuple[str, int]]]] = []
    current: dict[str, tuple[str, int]] = {}
    start = 0
    key = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if current:
                paragraphs.append((start, current))
                current, key = {}, ""
            if len(paragraphs) >= MAX_PACKAGES:
                break
            continue
        if line[0] in " \t" and key:
            value, where = current[key]
            current[key] = (value + "\n" + line.strip(), where)
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        if not current:
            start = number
        key = name.strip()
        current[key] = (value.strip(), number)
    if current:
        paragraphs.append((start, current))
    return paragraphs


@guarded("Debian control")
def read(path: str, data: bytes, fmt: SbomFormat = SbomFormat.DPKG) -> SbomDocument:
    """Read a Debian control file or dpkg status database."""
    text = data.decode("utf-8", errors="replace")
    components: list[Component] = []
    for line, fields in _paragraphs(text):
        facts = FactList()
        for key, (value, number) in fields.items():
            if key in _FIELDS:
                facts.add(_FIELDS[key], value, f"line:{number}")
            elif key in _ACTORS:
                for actor in value.split(","):
                    name, email = split_actor(actor)
                    facts.add(_ACTORS[key], name, f"line:{number}")
                    facts.add(FieldKind.EMAIL, email, f"line:{number}")
        name = fields.get("Package", ("", 0))[0]
        components.append(
            facts.build(
                ref=f"{name}@{fields.get('Version', ('', 0))[0]}" if name else f"line:{line}",
                kind=ComponentKind.PACKAGE,
                name=name,
                version=fields.get("Version", ("", 0))[0],
                pointer=f"line:{line}",
                line=line,
            )
        )
    return SbomDocument(
        path=path,
        format=fmt,
        spec_version="",
        components=tuple(components),
        name=path.rsplit("/", 1)[-1],
    )
