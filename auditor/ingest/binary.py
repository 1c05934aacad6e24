"""Binaries (PE, ELF, Mach-O): what a file says about who made it, read with LIEF.

One record per file. Its facts come from structures a vendor cannot easily leave out: version
resources, Authenticode signatures (signer subject, serial, thumbprints, whether the signature
verifies), imports, PDB path, ELF SONAME/DT_NEEDED/.comment, Mach-O dylibs; and from the printable
strings around every vendor_db anchor found in the raw bytes. Readers know nothing of Kaspersky:
the anchors are handed in by the caller.

LIEF is native code: :mod:`auditor.ingest.isolation` runs :func:`extract` in a worker process.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from auditor.ingest.records import printable
from auditor.models import Fact, FieldKind

MAX_STRINGS = 200
MAX_SYMBOLS = 500
_STRING_LIMIT = 300
_PRINTABLE = re.compile(rb"[\x20-\x7e]{4,}")
_VERSION_FIELDS = {
    "CompanyName": FieldKind.PUBLISHER,
    "ProductName": FieldKind.NAME,
    "FileDescription": FieldKind.DESCRIPTION,
    "LegalCopyright": FieldKind.COPYRIGHT,
    "LegalTrademarks": FieldKind.TEXT,
    "OriginalFilename": FieldKind.FILENAME,
    "InternalName": FieldKind.FILENAME,
    "Comments": FieldKind.TEXT,
}
#: ``where`` prefixes of facts that anyone can write into a file without a key: evidence from
#: them alone never reaches the highest confidence (malware copies version resources).
SPOOFABLE = ("/version-info/", "/strings/")
UNVERIFIED = "unverified-signature"
SELF_SIGNED = "self-signed-certificate"
UNTRUSTED_CHAIN = "incomplete-certificate-chain"


@dataclass
class Extracted:
    """Plain, picklable result of reading one binary in a worker."""

    format: str
    name: str
    facts: list[tuple[str, str, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, kind: FieldKind, value: object, where: str, qualifier: str = "") -> None:
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        if isinstance(value, str) and value.strip():
            value = printable(value.strip()[:_STRING_LIMIT])
            self.facts.append((kind.value, value, printable(where), qualifier))

    def as_facts(self) -> tuple[Fact, ...]:
        """The facts as model objects."""
        return tuple(Fact(FieldKind(k), v, w, q) for k, v, w, q in self.facts)


def magic_format(data: bytes) -> str | None:
    """'pe', 'elf' or 'mach-o' from the first bytes, else None."""
    head = data[:4]
    if head[:2] == b"MZ":
        return "pe"
    if head == b"\x7fELF":
        return "elf"
    if head in (b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe"):
        return "mach-o"
    if head == b"\xca\xfe\xba\xbe" and len(data) > 8 and int.from_bytes(data[4:8], "big") < 64:
        return "mach-o"  # universal binary (a Java class file has a version number there)
    return None


def _strings_near(data: bytes, offsets: list[int], out: Extracted) -> None:
    """The printable ASCII or UTF-16LE run around each anchor offset, once each."""
    seen: set[tuple[int, int]] = set()
    for offset in offsets[: MAX_STRINGS * 4]:
        if len(seen) >= MAX_STRINGS:
            break
        span = _run_around(data, offset)
        if span is None or span in seen:
            continue
        seen.add(span)
        start, end = span
        raw = data[start:end]
        text = (
            raw.decode("utf-16-le", errors="replace") if b"\x00" in raw else raw.decode("latin-1")
        )
        out.add(FieldKind.TEXT, text, f"/strings/0x{start:x}")


def _run_around(data: bytes, offset: int) -> tuple[int, int] | None:
    if offset >= len(data):
        return None
    wide = offset + 1 < len(data) and data[offset + 1] == 0 and 0x20 <= data[offset] <= 0x7E
    step = 2 if wide else 1
    start = offset
    while (
        start - step >= 0
        and 0x20 <= data[start - step] <= 0x7E
        and (not wide or data[start - step + 1] == 0)
        and offset - start < 1024
    ):
        start -= step
    end = offset
    while (
        end < len(data)
        and 0x20 <= data[end] <= 0x7E
        and (not wide or (end + 1 < len(data) and data[end + 1] == 0))
        and end - offset < 1024
    ):
        end += step
    if (end - start) // step < 4:
        return None
    return start, end


def _certificate_facts(out: Extracted, cert: Any, where: str, qualifier: str) -> None:
    out.add(FieldKind.CERT_SUBJECT, str(cert.subject), f"{where}/subject", qualifier)
    out.add(FieldKind.CERT_ISSUER, str(cert.issuer), f"{where}/issuer", qualifier)
    serial = bytes(cert.serial_number).hex()
    out.add(FieldKind.CERT_SERIAL, serial, f"{where}/serial", qualifier)
    raw = bytes(cert.raw)
    if raw:
        out.add(FieldKind.HASH, "sha1:" + hashlib.sha1(raw).hexdigest(), f"{where}/sha1", qualifier)  # noqa: S324 - thumbprint, not security
        out.add(
            FieldKind.HASH,
            "sha256:" + hashlib.sha256(raw).hexdigest(),
            f"{where}/sha256",
            qualifier,
        )


def _chain_status(signature: Any, cert: Any) -> str:
    """'' when the signer certificate chains to another certificate carried in the signature,
    else why not. Trust in a root is decided later, by known thumbprints in vendor_db."""
    import lief

    if str(cert.subject) == str(cert.issuer):
        return SELF_SIGNED
    others = [c for c in signature.certificates if bytes(c.raw) != bytes(cert.raw)]
    if not others:
        return UNTRUSTED_CHAIN
    try:
        trusted = cert.is_trusted_by(others) == lief.PE.x509.VERIFICATION_FLAGS.OK
    except Exception:  # noqa: BLE001 - treat an unverifiable chain as not verified
        trusted = False
    return "" if trusted else UNTRUSTED_CHAIN


def _pe_structure(binary: Any, size: int, out: Extracted) -> None:
    """Report truncation and tables that point outside the file."""
    import lief

    for section in binary.sections:
        if section.offset + section.size > size:
            out.problems.append(
                f"file is truncated: section {section.name!r} extends past the end of the file"
            )
            break
    try:
        table = binary.data_directory(lief.PE.DataDirectory.TYPES.CERTIFICATE_TABLE)
    except Exception:  # noqa: BLE001 - nothing to check with an unknown LIEF spelling
        return
    if table.size and table.rva + table.size > size:
        out.problems.append(
            "Authenticode certificate table points outside the file: the signature cannot be read"
        )


_DER_CERT = re.compile(rb"\x30\x82(..)\x30\x82", re.S)
MAX_EMBEDDED_CERTS = 20


def certificate_facts_der(out: Extracted, data: bytes, where: str, pkcs7: bool = False) -> None:
    """Facts of DER certificates: a PKCS#7 bundle (JAR signature blocks) or one certificate."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import pkcs7 as pkcs7_module

    try:
        certificates = (
            pkcs7_module.load_der_pkcs7_certificates(data)
            if pkcs7
            else [x509.load_der_x509_certificate(data)]
        )
    except (ValueError, UnsupportedAlgorithm, x509.InvalidVersion):  # PKCS#7 other than
        # SignedData raises UnsupportedAlgorithm; an X.509 version field other than 1-3 raises
        # InvalidVersion (neither is a ValueError)
        out.problems.append(f"{where}: certificate data cannot be parsed")
        return
    for index, cert in enumerate(certificates):
        base = f"{where}/certificates/{index}" if pkcs7 else where
        try:  # cryptography parses names lazily: a corrupt issuer raises only here
            subject, issuer = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
            qualifier = SELF_SIGNED if cert.subject == cert.issuer else ""
            serial = f"{cert.serial_number:x}"
        except (ValueError, TypeError):  # TypeError: an attribute of the wrong ASN.1 type
            out.problems.append(f"{base}: certificate fields cannot be parsed")
            continue
        out.add(FieldKind.CERT_SUBJECT, subject, f"{base}/subject", qualifier)
        out.add(FieldKind.CERT_ISSUER, issuer, f"{base}/issuer", qualifier)
        out.add(FieldKind.CERT_SERIAL, serial, f"{base}/serial", qualifier)
        out.add(
            FieldKind.HASH,
            "sha1:" + cert.fingerprint(hashes.SHA1()).hex(),
            f"{base}/sha1",
            qualifier,
        )  # noqa: S303 - a thumbprint, not a security use
        out.add(
            FieldKind.HASH,
            "sha256:" + cert.fingerprint(hashes.SHA256()).hex(),
            f"{base}/sha256",
            qualifier,
        )


def _embedded_certificates(data: bytes, out: Extracted, skip: tuple[int, int]) -> None:
    """X.509 certificates stored in the file body (as a UEFI shim embeds its vendor
    certificate), outside ``skip`` (the Authenticode certificate table, read as signatures)."""
    found = 0
    for match in _DER_CERT.finditer(data):
        if skip[0] <= match.start() < skip[1]:
            continue
        length = int.from_bytes(match.group(1), "big") + 4
        blob = data[match.start() : match.start() + length]
        if len(blob) != length:
            continue
        before = len(out.problems)
        certificate_facts_der(out, blob, f"/embedded-certificates/0x{match.start():x}")
        if len(out.problems) > before:
            out.problems.pop()  # not every 30 82 .. 30 82 is a certificate
            continue
        found += 1
        if found >= MAX_EMBEDDED_CERTS:
            break


def _pe(binary: Any, out: Extracted, size: int, data: bytes = b"") -> None:
    import lief

    _pe_structure(binary, size, out)
    _dotnet(data, out)
    if binary.has_signatures:
        intact = binary.verify_signature() == lief.PE.Signature.VERIFICATION_FLAGS.OK
        if not intact:
            out.problems.append(
                f"Authenticode signature does not verify: {binary.verify_signature()}"
            )
        for index, signature in enumerate(binary.signatures):
            for sindex, signer in enumerate(signature.signers):
                cert = signer.cert
                if cert is None:
                    continue
                qualifier = UNVERIFIED if not intact else _chain_status(signature, cert)
                _certificate_facts(out, cert, f"/signatures/{index}/signers/{sindex}", qualifier)
    if binary.has_resources:
        try:
            versions = binary.resources_manager.version
        except Exception:  # noqa: BLE001 - corrupt resources are reported, not fatal
            versions = None
            out.problems.append("version resources cannot be read")
        for vindex, version in enumerate(versions or []):
            info = getattr(version, "string_file_info", None)
            for table in getattr(info, "children", []) or []:
                key = getattr(table, "key", "")
                for entry in getattr(table, "entries", []) or []:
                    name, value = getattr(entry, "key", ""), getattr(entry, "value", "")
                    kind = _VERSION_FIELDS.get(str(name))
                    if kind is not None:
                        out.add(kind, value, f"/version-info/{vindex}/{key}/{name}")
    if binary.has_imports:
        for imported in binary.imports:
            out.add(FieldKind.FILENAME, imported.name, f"/imports/{imported.name}")
    if binary.has_exports:
        export = binary.get_export()
        out.add(FieldKind.FILENAME, export.name, "/exports/name")
        for entry in islice(export.entries, MAX_SYMBOLS):
            out.add(FieldKind.TEXT, entry.name, f"/exports/{entry.name}")
    if binary.has_debug and binary.codeview_pdb is not None:
        out.add(FieldKind.FILENAME, binary.codeview_pdb.filename, "/debug/codeview/pdb")
    subsystem = str(binary.optional_header.subsystem).rsplit(".", 1)[-1]
    out.add(FieldKind.PROPERTY, f"pe.subsystem={subsystem}", "/optional-header/subsystem")


def _dotnet(data: bytes, out: Extracted) -> None:
    """Identity of a .NET assembly from its CLR metadata (nothing when there is none)."""
    from auditor.ingest.dotnet import read_identity

    identity = read_identity(data) if data else None
    if identity is None:
        return
    out.problems.extend(identity.problems)
    if identity.name:
        out.add(FieldKind.NAME, identity.name, "/dotnet/assembly/name")
    if identity.version:
        out.add(FieldKind.TEXT, f"version={identity.version}", "/dotnet/assembly/version")
    if identity.public_key_token:
        out.add(
            FieldKind.SWID,
            f"publicKeyToken={identity.public_key_token}",
            "/dotnet/assembly/publicKeyToken",
        )
    for namespace in identity.namespaces:
        out.add(FieldKind.EVIDENCE, namespace, f"/dotnet/namespaces/{namespace}")
    for reference in identity.references:
        out.add(FieldKind.FILENAME, f"{reference}.dll", f"/dotnet/references/{reference}")


def _elf(binary: Any, out: Extracted) -> None:
    import lief

    for entry in binary.dynamic_entries:
        tag = entry.tag
        if tag == lief.ELF.DynamicEntry.TAG.NEEDED:
            out.add(FieldKind.FILENAME, entry.name, f"/dynamic/needed/{entry.name}")
        elif tag == lief.ELF.DynamicEntry.TAG.SONAME:
            out.add(FieldKind.NAME, entry.name, "/dynamic/soname")
        elif tag in (lief.ELF.DynamicEntry.TAG.RPATH, lief.ELF.DynamicEntry.TAG.RUNPATH):
            out.add(
                FieldKind.FILENAME,
                getattr(entry, "paths", [""]) and ":".join(entry.paths),
                "/dynamic/runpath",
            )
    comment = binary.get_section(".comment")
    if comment is not None:
        for index, part in enumerate(bytes(comment.content).split(b"\x00")):
            out.add(FieldKind.TEXT, part, f"/sections/.comment/{index}")
    _package_note(binary, out)
    for symbol in islice(binary.exported_symbols, MAX_SYMBOLS):  # not list(): LIEF
        # builds a Python object per symbol, and a large library has tens of thousands
        try:
            symbol_name = symbol.name
        except UnicodeDecodeError:  # a non-UTF-8 name: its bytes are still in the strings
            continue
        out.add(FieldKind.TEXT, symbol_name, f"/dynamic/symbols/{symbol_name}")
    modinfo = binary.get_section(".modinfo")
    if modinfo is not None:
        for part in bytes(modinfo.content).split(b"\x00"):
            key, _, value = part.decode("utf-8", "replace").partition("=")
            field_kind = {
                "author": FieldKind.AUTHOR,
                "description": FieldKind.DESCRIPTION,
                "name": FieldKind.NAME,
            }.get(key, FieldKind.TEXT)
            out.add(field_kind, value, f"/sections/.modinfo/{key}")


def _package_note(binary: Any, out: Extracted) -> None:
    """The .note.package JSON note (systemd's package metadata for ELF files)."""
    import json

    for note in binary.notes:
        try:
            name = note.name
        except UnicodeDecodeError:  # LIEF decodes note names as UTF-8; hostile ones are not
            continue
        if name.rstrip("\x00") != "FDO":
            continue
        try:
            meta = json.loads(bytes(note.description).rstrip(b"\x00").decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            out.problems.append(".note.package is not valid JSON")
            continue
        if not isinstance(meta, dict):
            continue
        out.add(FieldKind.NAME, meta.get("name"), "/notes/package/name")
        out.add(FieldKind.VERSION, meta.get("version"), "/notes/package/version")
        out.add(FieldKind.CPE, meta.get("osCpe"), "/notes/package/osCpe")
        out.add(FieldKind.TEXT, meta.get("type"), "/notes/package/type")
        out.add(FieldKind.URL, meta.get("debugInfoUrl"), "/notes/package/debugInfoUrl")


_MODULE_MAGIC = b"~Module signature appended~\n"


def _module_signature(data: bytes, out: Extracted) -> tuple[int, int]:
    """The signature a Linux kernel module carries after its ELF image; returns its range."""
    from auditor.ingest.pkcs7 import signer_identifiers

    if not data.endswith(_MODULE_MAGIC):
        return 0, 0
    info_end = len(data) - len(_MODULE_MAGIC)
    if info_end < 12:
        out.problems.append("module signature trailer is truncated")
        return 0, 0
    signature_length = int.from_bytes(data[info_end - 4 : info_end], "big")
    start = info_end - 12 - signature_length
    if start < 0 or data[info_end - 10] != 2:  # id_type 2: PKCS#7
        out.problems.append("module signature is not a PKCS#7 signature or is truncated")
        return 0, 0
    der = data[start : info_end - 12]
    where = "/module-signature"
    for index, (issuer, serial) in enumerate(signer_identifiers(der)):
        out.add(FieldKind.CERT_ISSUER, issuer, f"{where}/signers/{index}/issuer")
        out.add(FieldKind.CERT_SERIAL, serial, f"{where}/signers/{index}/serial")
    try:
        from cryptography.hazmat.primitives.serialization import pkcs7 as pkcs7_module

        if pkcs7_module.load_der_pkcs7_certificates(der):
            certificate_facts_der(out, der, where, pkcs7=True)
    except ValueError:
        pass  # signed with -nocerts: the signer is known by issuer and serial only
    return start, len(data)


def _macho(binary: Any, out: Extracted) -> None:
    import plistlib

    from auditor.ingest import macho_signature

    for command in binary.libraries:
        out.add(FieldKind.FILENAME, command.name, f"/load-commands/dylib/{command.name}")
    section = binary.get_section("__info_plist")
    if section is not None:
        try:
            info = plistlib.loads(bytes(section.content))
        except (plistlib.InvalidFileException, ValueError, OverflowError):
            info = None
            out.problems.append("embedded Info.plist cannot be read")
        if isinstance(info, dict):
            for key, kind in (
                ("CFBundleIdentifier", FieldKind.NAME),
                ("CFBundleName", FieldKind.NAME),
                ("NSHumanReadableCopyright", FieldKind.COPYRIGHT),
                ("CFBundleShortVersionString", FieldKind.VERSION),
            ):
                value = info.get(key)
                if isinstance(value, str):
                    out.add(kind, value, f"/info-plist/{key}")
    if not binary.has_code_signature:
        return
    signature = macho_signature.parse(bytes(binary.code_signature.content))
    out.problems.extend(signature.problems)
    out.add(FieldKind.NAME, signature.identifier, "/code-signature/identifier")
    if signature.team_id:
        # Apple's Developer ID certificates carry the Team ID as the subject OU
        out.add(FieldKind.CERT_SUBJECT, f"OU={signature.team_id}", "/code-signature/team-id")
    if signature.cms:
        certificate_facts_der(out, signature.cms, "/code-signature/cms", pkcs7=True)


def extract(name: str, data: bytes, anchor_offsets: list[int], sha256: str = "") -> Extracted:
    """Everything one binary says; runs in a worker process (LIEF may crash or hang).
    ``sha256`` is the data's digest when the caller has it already."""
    import lief

    fmt = magic_format(data) or "unknown"
    out = Extracted(format=fmt, name=name)
    out.add(FieldKind.FILENAME, name, "/file/name")
    out.add(
        FieldKind.HASH, "sha256:" + (sha256 or hashlib.sha256(data).hexdigest()), "/file/sha256"
    )
    _strings_near(data, anchor_offsets, out)
    _go_modules(data, out)
    try:
        lief.logging.disable()
    except Exception:  # noqa: BLE001, S110 - logging control is best effort
        pass
    parsed: Any = _parse(lief, fmt, data)
    if parsed is None:
        out.problems.append(f"{fmt.upper()} structure could not be parsed (truncated or corrupt)")
        return out
    if fmt == "mach-o":
        if hasattr(parsed, "at"):  # universal binary: the first architecture
            parsed = parsed.at(0) if parsed.size else None
        if parsed is None or not list(parsed.commands):
            out.problems.append("Mach-O file without load commands (truncated or corrupt)")
            return out
    skip = (0, 0)
    try:
        if fmt == "pe":
            skip = _certificate_table(parsed)
            _pe(parsed, out, len(data), data)
        elif fmt == "elf":
            _elf(parsed, out)
            skip = _module_signature(data, out)
        elif fmt == "mach-o":
            _macho(parsed, out)
    except Exception as exc:  # noqa: BLE001 - report what was read so far
        out.problems.append(f"{fmt.upper()} structure partly unreadable: {type(exc).__name__}")
    if anchor_offsets:  # a certificate naming a vendor carries an anchor (its subject)
        _embedded_certificates(data, out, skip)
    return out


def _parse(lief: Any, fmt: str, data: bytes) -> Any:
    """Parse with LIEF, skipping the tables nothing here reads (relocations, symbol versions,
    exception data): a large library spends most of its parse time in them."""
    if fmt == "elf":
        elf = lief.ELF.ParserConfig()
        elf.parse_relocations = False
        elf.parse_symbol_versions = False
        return lief.ELF.parse(data, elf)
    if fmt == "pe":
        pe = lief.PE.ParserConfig()
        pe.parse_reloc = False
        pe.parse_exceptions = False
        return lief.PE.parse(data, pe)
    return lief.parse(data)


def _go_modules(data: bytes, out: Extracted) -> None:
    """The modules a Go binary was built from, as package URLs (and their source URLs)."""
    from auditor.ingest.gobuildinfo import GoBuildInfo, module_url, read_buildinfo

    info = read_buildinfo(data)
    if isinstance(info, str):
        out.problems.append(info)
    if not isinstance(info, GoBuildInfo):
        return
    where = f"/offset/{info.offset}"
    out.add(FieldKind.TEXT, f"Go {info.go_version} main package {info.main_path}", where)
    for module in info.modules:
        version = f"@{module.version}" if module.version and module.version != "(devel)" else ""
        out.add(FieldKind.PURL, f"pkg:golang/{module.path}{version}", where, module.role)
        out.add(FieldKind.URL, module_url(module.path), where, module.role)


def _certificate_table(binary: Any) -> tuple[int, int]:
    """File range of a PE's Authenticode certificate table ((0, 0) when there is none)."""
    import lief

    try:
        table = binary.data_directory(lief.PE.DataDirectory.TYPES.CERTIFICATE_TABLE)
    except Exception:  # noqa: BLE001 - no table to skip
        return 0, 0
    return int(table.rva), int(table.rva) + int(table.size)
