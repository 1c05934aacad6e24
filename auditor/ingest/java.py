"""Java and Android archives (JAR, WAR, EAR, AAR, APK): manifest, class namespaces, signers.

Read with :mod:`zipfile` under limits (entry count, bytes read per entry), in the same isolated
worker as other binaries. Facts: manifest vendor and title attributes, the Java packages of
``.class`` entries and of DEX type descriptors near vendor_db anchors, and the certificates of
JAR/APK v1 signature blocks (META-INF/*.RSA, *.DSA, *.EC).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from auditor.ingest.android import manifest_package, signing_block_certificates
from auditor.ingest.binary import Extracted, _strings_near, certificate_facts_der
from auditor.models import FieldKind

MAX_ENTRIES = 200_000
MAX_PACKAGES = 2_000
MAX_READ = 64 * 1024 * 1024
_MANIFEST_FIELDS = {
    "Implementation-Vendor": FieldKind.PUBLISHER,
    "Bundle-Vendor": FieldKind.PUBLISHER,
    "Specification-Vendor": FieldKind.PUBLISHER,
    "Implementation-Title": FieldKind.NAME,
    "Bundle-Name": FieldKind.NAME,
    "Bundle-SymbolicName": FieldKind.NAME,
    "Automatic-Module-Name": FieldKind.NAME,
    "Implementation-Vendor-Id": FieldKind.GROUP,
    "Created-By": FieldKind.TEXT,
    "Built-By": FieldKind.TEXT,
    "Bundle-DocURL": FieldKind.URL,
}
_DEX_TYPE = re.compile(rb"L([a-z][a-z0-9_]*(?:/[A-Za-z0-9_$]+)+);")


def is_java_archive(data: bytes) -> bool:
    """A ZIP whose first entries look like a Java or Android archive."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    head = data[: 1 << 20]
    return any(
        marker in head
        for marker in (b"META-INF/MANIFEST.MF", b"AndroidManifest.xml", b"classes.dex", b".class")
    )


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    with archive.open(info) as handle:
        return handle.read(limit)


def manifest_facts(text: str, out: Extracted) -> None:
    """Main-section attributes (continuation lines start with one space)."""
    attributes: dict[str, str] = {}
    key = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            break  # end of the main section
        if line.startswith(" ") and key:
            attributes[key] += line[1:]
            continue
        key, _, value = line.partition(":")
        key = key.strip()
        attributes[key] = value.strip()
    for name, value in attributes.items():
        kind = _MANIFEST_FIELDS.get(name)
        if kind is not None:
            out.add(kind, value, f"/manifest/{name}")


def pom_properties_facts(data: bytes, entry: str, out: Extracted) -> None:
    """Maven coordinates of a JAR (META-INF/maven/<group>/<artifact>/pom.properties)."""
    values: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    group, artifact = values.get("groupId", ""), values.get("artifactId", "")
    if group and artifact:
        version = values.get("version", "")
        purl = f"pkg:maven/{group}/{artifact}" + (f"@{version}" if version else "")
        out.add(FieldKind.PURL, purl, f"/{entry}")
        out.add(FieldKind.GROUP, group, f"/{entry}")


def _android(
    data: bytes, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], out: Extracted
) -> None:
    """Package name from the binary manifest and the v2/v3 signing-block certificates."""
    manifest = next((i for i in infos if i.filename == "AndroidManifest.xml"), None)
    if manifest is not None:
        try:
            package = manifest_package(_read_capped(archive, manifest, 4 << 20))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, zlib.error) as exc:
            out.problems.append(f"AndroidManifest.xml: cannot be read ({type(exc).__name__})")
            package = ""
        if package:
            out.add(FieldKind.NAME, package, "/android/manifest/package")
        else:
            out.problems.append("AndroidManifest.xml: package name not readable")
    for index, der in enumerate(signing_block_certificates(data)):
        certificate_facts_der(out, der, f"/android/signing-block/certificates/{index}")


def extract_archive(
    name: str, data: bytes, anchor_offsets: list[int], sha256: str = ""
) -> Extracted:
    """Everything one Java or Android archive says (runs in the isolated worker); ``sha256``
    is the data's digest when the caller has it already."""
    import hashlib

    out = Extracted(format="java-archive", name=name)
    out.add(FieldKind.FILENAME, name, "/file/name")
    out.add(
        FieldKind.HASH, "sha256:" + (sha256 or hashlib.sha256(data).hexdigest()), "/file/sha256"
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        out.problems.append(f"ZIP structure unreadable: {exc}")
        _strings_near(data, anchor_offsets, out)
        return out
    if len(infos) > MAX_ENTRIES:
        out.problems.append(f"{len(infos)} entries; only the first {MAX_ENTRIES} were read")
        infos = infos[:MAX_ENTRIES]
    packages: set[str] = set()
    for info in infos:
        entry = info.filename
        upper = entry.upper()
        try:
            if upper == "META-INF/MANIFEST.MF":
                manifest_facts(_read_capped(archive, info, 1 << 20).decode("utf-8", "replace"), out)
            elif upper.startswith("META-INF/") and upper.endswith((".RSA", ".DSA", ".EC")):
                certificate_facts_der(
                    out, _read_capped(archive, info, 1 << 20), f"/{entry}", pkcs7=True
                )
            elif upper.startswith("META-INF/MAVEN/") and entry.endswith("/pom.properties"):
                pom_properties_facts(_read_capped(archive, info, 1 << 16), entry, out)
            elif entry.endswith(".class") and "/" in entry:
                packages.add(entry.rsplit("/", 1)[0].replace("/", "."))
            elif entry.endswith(".dex"):
                dex = _read_capped(archive, info, MAX_READ)
                for found in _DEX_TYPE.finditer(dex):
                    packages.add(found.group(1).decode("ascii").rsplit("/", 1)[0].replace("/", "."))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, zlib.error) as exc:
            out.problems.append(f"{entry}: cannot be read ({type(exc).__name__})")
    _android(data, archive, infos, out)
    for package in sorted(packages)[:MAX_PACKAGES]:
        out.add(FieldKind.EVIDENCE, package, f"/classes/{package}")
    if len(packages) > MAX_PACKAGES:
        out.problems.append(f"{len(packages)} Java packages; only {MAX_PACKAGES} were listed")
    return out
