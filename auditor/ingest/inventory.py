"""Package inventories inside file systems, recognised by where they sit (as SBOM generators
find them): Alpine's installed database, npm package.json under node_modules, .NET deps.json,
dpkg/opkg file lists, and RPM databases. Each becomes package records for the same matchers.

SBOMs are recognised by content; these files have no distinctive content of their own (a
package.json is plain JSON), so their path inside the image decides, and only the path.
"""

from __future__ import annotations

import re
import sqlite3
import struct
from pathlib import Path

import orjson

from auditor.errors import UnreadableInput
from auditor.ingest.interface import guarded
from auditor.ingest.records import FactList, split_actor, text
from auditor.models import Component, ComponentKind, FieldKind, SbomDocument, SbomFormat

_BY_PATH: tuple[tuple[re.Pattern[str], SbomFormat], ...] = (
    (re.compile(r"(?:^|/)lib/apk/db/installed$"), SbomFormat.APK_INSTALLED),
    (re.compile(r"(?:^|/)node_modules/(?:@[^/]+/)?[^/@]+/package\.json$"), SbomFormat.NPM_PACKAGE),
    (re.compile(r"[^/]\.deps\.json$"), SbomFormat.DOTNET_DEPS),
    (
        re.compile(r"(?:^|/)(?:var/lib/dpkg|usr/lib/opkg|var/lib/opkg)/info/[^/]+\.list$"),
        SbomFormat.PACKAGE_FILE_LIST,
    ),
    (re.compile(r"(?:^|/)META-INF/MANIFEST\.MF$"), SbomFormat.JAVA_MANIFEST),
    (re.compile(r"(?:^|/)META-INF/maven/[^/]+/[^/]+/pom\.properties$"), SbomFormat.JAVA_MANIFEST),
    (
        re.compile(
            r"(?:^|/)(?:var/lib/rpm|usr/lib/sysimage/rpm)/(?:rpmdb\.sqlite|Packages(?:\.db)?)$"
        ),
        SbomFormat.RPM_DATABASE,
    ),
)
#: Paths recorded per package (a package's file list is evidence, but bounded).
MAX_FILES_PER_PACKAGE = 5_000
MAX_PACKAGES = 200_000


def inventory_format(display: str) -> SbomFormat | None:
    """The inventory format of the file at ``display`` (its innermost path decides)."""
    path = display.rsplit("!/", 1)[-1]
    for pattern, fmt in _BY_PATH:
        if pattern.search(path):
            return fmt
    return None


@guarded("package inventory")
def read(path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
    """Read one inventory file into package records."""
    readers = {
        SbomFormat.APK_INSTALLED: _apk,
        SbomFormat.NPM_PACKAGE: _npm,
        SbomFormat.DOTNET_DEPS: _dotnet,
        SbomFormat.PACKAGE_FILE_LIST: _file_list,
        SbomFormat.RPM_DATABASE: _rpmdb,
        SbomFormat.JAVA_MANIFEST: _java,
    }
    components = readers[fmt](path, data)
    return SbomDocument(
        path=path,
        format=fmt,
        spec_version="",
        components=tuple(components),
        name=path.rsplit("/", 1)[-1],
    )


def _apk(path: str, data: bytes) -> list[Component]:
    """Alpine ``lib/apk/db/installed``: one-letter keys, blank lines between packages."""
    components: list[Component] = []
    fields: dict[str, tuple[str, int]] = {}
    files: list[tuple[str, int]] = []
    directory = ""
    start = 0
    lines = data.decode("utf-8", "replace").splitlines()
    for number, line in enumerate([*lines, ""], start=1):
        if not line.strip():
            if fields:
                components.append(_apk_package(fields, files, start))
                if len(components) >= MAX_PACKAGES:
                    break
            fields, files, directory = {}, [], ""
            continue
        key, sep, value = line.partition(":")
        if not sep or len(key) != 1:
            continue
        if not fields:
            start = number
        if key == "F":
            directory = value
        elif key == "R" and len(files) < MAX_FILES_PER_PACKAGE:
            files.append((f"/{directory}/{value}" if directory else f"/{value}", number))
        else:
            fields.setdefault(key, (value, number))
    return components


def _apk_package(
    fields: dict[str, tuple[str, int]], files: list[tuple[str, int]], start: int
) -> Component:
    facts = FactList()
    for key, kind in (
        ("P", FieldKind.NAME),
        ("V", FieldKind.VERSION),
        ("T", FieldKind.DESCRIPTION),
        ("U", FieldKind.URL),
        ("L", FieldKind.LICENSE),
        ("o", FieldKind.TEXT),
    ):
        if key in fields:
            value, number = fields[key]
            facts.add(kind, value, f"line:{number}")
    if "m" in fields:
        value, number = fields["m"]
        name, email = split_actor(value)
        facts.add(FieldKind.SUPPLIER, name, f"line:{number}")
        facts.add(FieldKind.EMAIL, email, f"line:{number}")
    for file, number in files:
        facts.add(FieldKind.FILENAME, file, f"line:{number}")
    name = fields.get("P", ("", 0))[0]
    version = fields.get("V", ("", 0))[0]
    return facts.build(
        ref=f"{name}@{version}" if name else f"line:{start}",
        kind=ComponentKind.PACKAGE,
        name=name,
        version=version,
        pointer=f"line:{start}",
        line=start,
    )


def _json(data: bytes) -> object:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise UnreadableInput(f"invalid JSON: {exc}") from None


def _person(facts: FactList, kind: FieldKind, value: object, where: str) -> None:
    if isinstance(value, dict):
        facts.add(kind, text(value.get("name")), where)
        facts.add(FieldKind.EMAIL, text(value.get("email")), where)
        facts.add(FieldKind.URL, text(value.get("url")), where)
    elif isinstance(value, str):
        name, email = split_actor(re.sub(r"\s*\([^()]*\)\s*$", "", value))
        facts.add(kind, name, where)
        facts.add(FieldKind.EMAIL, email, where)


def _npm(path: str, data: bytes) -> list[Component]:
    """An installed npm package's ``package.json``."""
    manifest = _json(data)
    if not isinstance(manifest, dict):
        raise UnreadableInput("package.json is not a JSON object")
    facts = FactList()
    name, version = text(manifest.get("name")), text(manifest.get("version"))
    facts.add(FieldKind.NAME, name, "/name")
    facts.add(FieldKind.VERSION, version, "/version")
    if name:
        encoded = name.replace("@", "%40", 1) if name.startswith("@") else name
        facts.add(
            FieldKind.PURL, f"pkg:npm/{encoded}" + (f"@{version}" if version else ""), "/name"
        )
    facts.add(FieldKind.DESCRIPTION, text(manifest.get("description")), "/description")
    facts.add(FieldKind.LICENSE, text(manifest.get("license")), "/license")
    facts.add(FieldKind.URL, text(manifest.get("homepage")), "/homepage")
    for key in ("repository", "bugs"):
        value = manifest.get(key)
        url = text(value.get("url")) if isinstance(value, dict) else text(value)
        facts.add(FieldKind.URL, url, f"/{key}")
    _person(facts, FieldKind.AUTHOR, manifest.get("author"), "/author")
    for key in ("maintainers", "contributors"):
        people = manifest.get(key)
        if isinstance(people, list):
            for index, person in enumerate(people[:100]):
                _person(facts, FieldKind.AUTHOR, person, f"/{key}/{index}")
    return [
        facts.build(
            ref=f"pkg:npm/{name}@{version}" if name else path,
            kind=ComponentKind.PACKAGE,
            name=name,
            version=version,
            pointer="",
        )
    ]


def _dotnet(path: str, data: bytes) -> list[Component]:
    """A .NET ``*.deps.json``: every library the application was built against."""
    document = _json(data)
    if not isinstance(document, dict) or not isinstance(document.get("libraries"), dict):
        raise UnreadableInput("deps.json has no 'libraries' object")
    components: list[Component] = []
    for key, library in list(document["libraries"].items())[:MAX_PACKAGES]:
        name, _, version = str(key).partition("/")
        where = "/libraries/" + str(key).replace("~", "~0").replace("/", "~1")
        facts = FactList()
        facts.add(FieldKind.NAME, name, "")
        facts.add(FieldKind.VERSION, version, "")
        kind = text(library.get("type")) if isinstance(library, dict) else ""
        if kind == "package":
            facts.add(FieldKind.PURL, f"pkg:nuget/{name}@{version}", "")
        if isinstance(library, dict):
            facts.add(FieldKind.FILENAME, text(library.get("path")), "/path")
        components.append(
            facts.build(
                ref=str(key),
                kind=ComponentKind.PACKAGE if kind == "package" else ComponentKind.COMPONENT,
                name=name,
                version=version,
                pointer=where,
            )
        )
    return components


def _file_list(path: str, data: bytes) -> list[Component]:
    """A dpkg or opkg ``info/<package>.list``: the files the package installed."""
    package = path.rsplit("/", 1)[-1].removesuffix(".list").partition(":")[0]
    facts = FactList()
    facts.add(FieldKind.NAME, package, "line:1")
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if number > MAX_FILES_PER_PACKAGE:
            break
        if line.startswith("/") and line != "/.":
            facts.add(FieldKind.FILENAME, line, f"line:{number}")
    return [
        facts.build(
            ref=package,
            kind=ComponentKind.PACKAGE,
            name=package,
            version="",
            pointer="line:1",
            line=1,
        )
    ]


def _java(path: str, data: bytes) -> list[Component]:
    """An unpacked Java archive's META-INF/MANIFEST.MF or Maven pom.properties (exploded WARs,
    application directories)."""
    from auditor.ingest.binary import Extracted
    from auditor.ingest.java import manifest_facts, pom_properties_facts

    out = Extracted(format="java-manifest", name=path)
    entry = path.rsplit("!/", 1)[-1]
    if entry.endswith("pom.properties"):
        pom_properties_facts(data, entry.rsplit("META-INF/", 1)[-1], out)
    else:
        manifest_facts(data.decode("utf-8", "replace"), out)
    facts = out.as_facts()
    name = next((fact.value for fact in facts if fact.field is FieldKind.NAME), "")
    name = name or next((fact.value for fact in facts if fact.field is FieldKind.PURL), "")
    return [
        Component(
            ref=path, kind=ComponentKind.PACKAGE, name=name, version="", pointer="", facts=facts
        )
    ]


def _rpmdb(path: str, data: bytes) -> list[Component]:
    """An RPM database: SQLite (``rpmdb.sqlite``, RPM 4.16+) and Berkeley DB (``Packages``) are
    read; NDB (``Packages.db``) is recognised and reported as not read."""
    from auditor.ingest.rpm import header_blob_record
    from auditor.ingest.rpmdb_bdb import header_blobs, is_bdb_hash

    if is_bdb_hash(data):
        try:
            blobs = list(header_blobs(data, MAX_PACKAGES))
        except (ValueError, struct.error, IndexError) as exc:
            raise UnreadableInput(f"Berkeley DB RPM database is corrupt: {exc}") from None
        return [
            header_blob_record(f"{path}#{index}", blob, f"/Packages/{index}")
            for index, blob in enumerate(blobs, start=1)
        ]
    if not data.startswith(b"SQLite format 3\0"):
        kind = "NDB" if data[:4] == b"RpmP" else "unrecognised"
        raise UnreadableInput(
            f"{kind} RPM database: this version reads SQLite and Berkeley DB RPM databases "
            "(audit the RPM files, or export with 'rpm -qa --xml')"
        )

    from auditor.scratch import private_directory

    with private_directory() as private:
        database = Path(private) / "rpmdb.sqlite"
        database.write_bytes(data)
        try:
            connection = sqlite3.connect(f"file:{database}?mode=ro&immutable=1", uri=True)
            try:
                rows = connection.execute(
                    "SELECT hnum, blob FROM Packages ORDER BY hnum LIMIT ?", (MAX_PACKAGES,)
                ).fetchall()
            finally:
                connection.close()
        except sqlite3.Error as exc:
            raise UnreadableInput(f"RPM database cannot be read: {exc}") from None
    components = []
    for number, blob in rows:
        if isinstance(blob, bytes):
            components.append(header_blob_record(f"{path}#{number}", blob, f"/Packages/{number}"))
    return components
