"""Python package metadata (dist-info METADATA, egg-info PKG-INFO): one package record with
its author, maintainer, home page and project URLs, as installed in an image or a wheel."""

from __future__ import annotations

from email.parser import BytesHeaderParser

from auditor.ingest.interface import guarded
from auditor.ingest.records import FactList, split_actor
from auditor.models import ComponentKind, FieldKind, SbomDocument, SbomFormat

_FIELDS = {
    "Name": FieldKind.NAME,
    "Version": FieldKind.VERSION,
    "Summary": FieldKind.DESCRIPTION,
    "Home-page": FieldKind.URL,
    "Download-URL": FieldKind.URL,
    "License": FieldKind.LICENSE,
    "License-Expression": FieldKind.LICENSE,
}
_PEOPLE = {
    "Author": FieldKind.AUTHOR,
    "Maintainer": FieldKind.AUTHOR,
    "Author-email": FieldKind.AUTHOR,
    "Maintainer-email": FieldKind.AUTHOR,
}


def looks_like_metadata(head: bytes) -> bool:
    """Core metadata starts with its version and names the distribution."""
    return head.startswith(b"Metadata-Version:") and b"\nName:" in head[:4096]


@guarded("Python package metadata")
def read(path: str, data: bytes, fmt: SbomFormat = SbomFormat.PYTHON_METADATA) -> SbomDocument:
    """Read a METADATA / PKG-INFO file."""
    headers = BytesHeaderParser().parsebytes(data)
    facts = FactList()
    for key, kind in _FIELDS.items():
        for value in headers.get_all(key) or []:
            facts.add(kind, str(value), f"/{key}")
    for key, kind in _PEOPLE.items():
        for value in headers.get_all(key) or []:
            for person in str(value).split(","):
                name, email = split_actor(person.strip())
                if "@" in name and not email:
                    name, email = "", name.strip("<> ")
                facts.add(kind, name.strip('" '), f"/{key}")
                facts.add(FieldKind.EMAIL, email, f"/{key}")
    name_value = str(headers.get("Name", "") or "")
    if name_value:
        version_value = str(headers.get("Version", "") or "")
        purl = f"pkg:pypi/{name_value.lower()}" + (f"@{version_value}" if version_value else "")
        facts.add(FieldKind.PURL, purl, "/Name")
    for value in headers.get_all("Project-URL") or []:
        facts.add(FieldKind.URL, str(value).partition(",")[2].strip(), "/Project-URL")
    name = str(headers.get("Name", "") or "")
    version = str(headers.get("Version", "") or "")
    component = facts.build(
        ref=f"pkg:pypi/{name.lower()}@{version}" if name else path,
        kind=ComponentKind.PACKAGE,
        name=name,
        version=version,
        pointer="",
        line=1,
    )
    return SbomDocument(
        path=path,
        format=fmt,
        spec_version=str(headers.get("Metadata-Version", "")),
        components=(component,),
        name=name,
    )
