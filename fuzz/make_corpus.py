"""(Re)build the seed corpora in fuzz/corpus/<target>/ from small files of fixtures/ and a few
generated samples. Optional tools: mksquashfs and mke2fs (SquashFS and ext seeds are skipped
without them). Keep every seed small: the committed corpus stays well under 1 MB.

    python fuzz/make_corpus.py
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
REPO = FUZZ.parent
FIX = REPO / "fixtures"
CORPUS = FUZZ / "corpus"
MAX_SEED = 64 << 10


def put(target: str, name: str, data: bytes) -> None:
    if len(data) > MAX_SEED:
        data = data[:MAX_SEED]
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def copy(target: str, *paths: str) -> None:
    for path in paths:
        source = FIX / path
        put(target, source.name, source.read_bytes())


def fixture(path: str) -> bytes:
    return (FIX / path).read_bytes()


def tar(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return out.getvalue()


def tar_member(archive: str, member: str) -> bytes:
    with tarfile.open(FIX / archive) as opened:
        stream = opened.extractfile(member)
        assert stream is not None
        return stream.read()


def ar(files: dict[str, bytes]) -> bytes:
    out = b"!<arch>\n"
    for name, content in files.items():
        header = f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(content):<10}`\n"
        out += header.encode() + content + (b"\n" if len(content) % 2 else b"")
    return out


def cpio(files: dict[str, bytes]) -> bytes:
    out = b""
    for index, (name, content) in enumerate([*files.items(), ("TRAILER!!!", b"")]):
        raw = name.encode() + b"\0"
        fields = [index + 1, 0o100644, 0, 0, 1, 0, len(content), 0, 0, 0, 0, len(raw), 0]
        header = b"070701" + b"".join(f"{value:08x}".encode() for value in fields)
        out += header + raw
        out += b"\0" * ((4 - len(out) % 4) % 4) + content
        out += b"\0" * ((4 - len(out) % 4) % 4)
    return out


def tool_image(kind: str) -> bytes | None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        (root / "var/lib/opkg").mkdir(parents=True)
        (root / "var/lib/opkg/status").write_text(
            "Package: kavhttpd\nVersion: 1.0\nMaintainer: TEST Vendor\n"
        )
        (root / "usr/lib").mkdir(parents=True)
        (root / "usr/lib/libtest.so").write_bytes(b"\x7fELF TEST")
        (root / "usr/lib/link").symlink_to("../../var/lib/opkg/status")
        image = Path(tmp) / "image"
        if kind == "squashfs" and shutil.which("mksquashfs"):
            command = ["mksquashfs", str(root), str(image), "-noappend", "-quiet", "-all-root"]
            command += ["-mkfs-time", "0", "-no-xattrs", "-comp", "gzip"]
        elif kind == "ext" and shutil.which("mke2fs"):
            command = ["mke2fs", "-q", "-t", "ext2", "-b", "1024", "-N", "32", "-d", str(root)]
            command += ["-U", "00000000-0000-0000-0000-000000000001", str(image), "64"]
        else:
            return None
        subprocess.run(command, check=True, capture_output=True)
        return image.read_bytes()


def main() -> None:
    shutil.rmtree(CORPUS, ignore_errors=True)
    copy(
        "cyclonedx_json",
        "sbom/cyclonedx/1.4/appliance.cdx.json",
        "sbom/cyclonedx/1.7/test-appliance-cbom.cdx.json",
        "demo/securegate-appliance.cdx.json",
        "hostile/top-level-array.cdx.json",
        "hostile/invalid-utf8.cdx.json",
    )
    copy(
        "cyclonedx_xml",
        "sbom/cyclonedx/1.0/appliance.cdx.xml",
        "sbom/cyclonedx/1.1/appliance.cdx.xml",
        "sbom/cyclonedx/1.4/appliance.cdx.xml",
        "hostile/billion-laughs.cdx.xml",
        "hostile/xxe-passwd.cdx.xml",
        "hostile/not-bom-root.cdx.xml",
    )
    copy(
        "spdx2",
        "sbom/spdx/2.3/all-fields.spdx.json",
        "sbom/spdx/2.3/all-fields.spdx.yaml",
        "sbom/spdx/2.3/all-fields.spdx.xml",
        "demo/management-server.spdx.json",
    )
    copy("spdx_tagvalue", "sbom/spdx/2.3/all-fields.spdx")
    copy("spdx_rdf", "sbom/spdx/2.3/all-fields.spdx.rdf.xml")
    copy("spdx3", "sbom/spdx/3.0/all-fields.spdx3.json")

    # inventory: the first byte picks the format (see checks._INVENTORY)
    samples = [
        (0, "alpine-rootfs-TEST.tar.gz", "lib/apk/db/installed"),
        (1, "node-app-TEST.tar.gz", None),
        (2, "dotnet-app-TEST.tar.gz", None),
        (4, "rpm-bdb-rootfs-TEST.tar.gz", "var/lib/rpm/Packages"),
    ]
    for selector, archive, member in samples:
        with tarfile.open(FIX / "inventory" / archive) as opened:
            names = [info.name for info in opened.getmembers() if info.isfile()]
        if member is None:
            wanted = ".deps.json" if selector == 2 else "package.json"
            member = next(name for name in names if name.endswith(wanted))
        put(
            "inventory",
            f"{selector}-{Path(member).name}",
            bytes([selector]) + tar_member(f"inventory/{archive}", member),
        )
    put("inventory", "3-file-list", b"\x03/.\n/opt/kaspersky\n/opt/kaspersky/kesl/bin/kesl\n")
    put(
        "inventory",
        "5-manifest",
        b"\x05Manifest-Version: 1.0\r\nImplementation-Vendor: TEST Acme\r\n"
        b"Bundle-SymbolicName: com.example.test\r\n long-continued\r\n\r\nName: a\r\nX: y\r\n",
    )
    put(
        "inventory",
        "6-status",
        b"\x06Package: kesl\nStatus: install ok installed\nMaintainer: TEST <t@example.com>\n"
        b"Version: 12.1\nDescription: TEST\n continued\n\nPackage: busybox\nVersion: 1\n",
    )
    put(
        "inventory",
        "7-METADATA",
        b"\x07Metadata-Version: 2.1\nName: opentip\nVersion: 1.2\nAuthor: TEST\n"
        b"Author-email: TEST <t@example.com>\nProject-URL: Home, https://example.com\n\nBody\n",
    )

    # containers: one small sample of every kind
    sbom = (FIX / "demo/securegate-appliance.cdx.json").read_bytes()
    small = tar({"a/bom.cdx.json": sbom[:600], "b/x.txt": b"x"}, {"c/link": "../../etc/passwd"})
    put("containers", "mixed.zip", (FIX / "hostile/archives/mixed-TEST.zip").read_bytes())
    put("containers", "small.tar", small)
    put("containers", "small.tar.gz", gzip.compress(small, mtime=0))
    put("containers", "small.bz2", bz2.compress(small))
    put("containers", "small.xz", lzma.compress(small))
    put("containers", "small.ar", ar({"debian-binary": b"2.0\n", "control.tar.gz": b"x"}))
    put("containers", "small.cpio", cpio({"./usr/lib/libkav.so": b"TEST", "etc/x": b"y"}))
    try:
        import zstandard

        put("containers", "small.zst", zstandard.ZstdCompressor().compress(small))
    except ImportError:
        pass
    try:
        import lz4.frame

        put("containers", "small.lz4", lz4.frame.compress(small))
    except ImportError:
        pass
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sbom/bom.cdx.json", sbom[:800])
        archive.writestr("../evil.txt", b"x")
    put("containers", "small.zip", zipped.getvalue())
    put("containers", "encrypted.7z", (FIX / "hostile/archives/encrypted-TEST.7z").read_bytes())
    put("containers", "inventory.tar.gz", fixture("inventory/alpine-rootfs-TEST.tar.gz"))
    layer = gzip.compress(tar({"opt/kaspersky/kesl/x": b"TEST"}), mtime=0)
    digest = hashlib.sha256(layer).hexdigest()
    manifest = f'[{{"Config":"c.json","RepoTags":["t:1"],"Layers":["{digest}/layer.tar"]}}]'
    put(
        "containers",
        "docker-save.tar",
        tar({"manifest.json": manifest.encode(), f"{digest}/layer.tar": layer}),
    )

    squashfs, ext = tool_image("squashfs"), tool_image("ext")
    for target in ("containers", "filesystems", "end_to_end"):
        if squashfs:
            put(target, "small.squashfs", (b"\x01" if target == "filesystems" else b"") + squashfs)
        if ext and target != "containers":
            put(target, "small.ext", (b"\x00" if target == "filesystems" else b"") + ext)
    put("filesystems", "edge-router-fw.bin", b"\x01" + fixture("appliance/edge-router-fw-TEST.bin"))

    copy("rpm", "packages/kesl-12.1.0-1TEST.noarch.rpm")
    bdb = tar_member("inventory/rpm-bdb-rootfs-TEST.tar.gz", "var/lib/rpm/Packages")
    put("rpm", "Packages", bdb)
    put("rpm", "payload.cpio", cpio({"./opt/kaspersky/kesl/bin/kesl": b"TEST"}))

    copy("msi", "appliance/kasper-notes-TEST.msi", "appliance/kaspersky-product-TEST.msi")

    copy(
        "binary",
        "binaries/elf/test-clean-elf",
        "binaries/elf/libtest-kav-wrapper.so",
        "binaries/pe/test-clean.exe",
        "binaries/pe/test-truncated.exe",
        "binaries/kmod/test-signed-claims-kaspersky.ko",
        "binaries/dotnet/test-kaspersky-namespace.dll",
        "binaries/macho/test-team-id.so",
    )

    copy(
        "binary_parsers",
        "binaries/certs/test-kaspersky-ev.der",
        "binaries/dotnet/test-clean.dll",
    )
    with zipfile.ZipFile(FIX / "binaries/java/test-mobile-bank-core.jar") as jar:
        for info in jar.infolist():
            if info.filename.upper().endswith((".RSA", ".DSA", ".EC")):
                put("binary_parsers", "jar-signature.p7", jar.read(info))
    with zipfile.ZipFile(FIX / "binaries/android/test-kaspersky-mobile.apk") as apk:
        put("binary_parsers", "AndroidManifest.xml", apk.read("AndroidManifest.xml"))
    put("binary_parsers", "apk", (FIX / "binaries/android/test-kaspersky-mobile.apk").read_bytes())
    go = (FIX / "binaries/go/test-go-kaspersky-module").read_bytes()
    at = go.find(b"\xff Go buildinf:")
    if at >= 0:
        put("binary_parsers", "go-buildinfo", go[at : at + 4096])
    macho = (FIX / "binaries/macho/test-team-id.so").read_bytes()
    at = macho.find(b"\xfa\xde\x0c\xc0")
    if at >= 0:
        put("binary_parsers", "macho-code-signature", macho[at : at + 8192])

    copy(
        "java_android",
        "binaries/java/test-kasper-templates.jar",
        "binaries/java/test-mobile-bank-core.jar",
        "binaries/android/test-kaspersky-mobile.apk",
        "binaries/android/test-bank-app.apk",
    )

    for index, name in enumerate(
        [
            "AO Kaspersky Lab",
            "KasperskyOS",
            "Kaspersky Anti-Virus SDK 8.0 (TEST)",
            "АО «Лаборатория Касперского»",
            "K\u0430spersky\u200b Lab GmbH",
            "ｋａｓｐｅｒｓｋｙ",
            "k a s p e r s k y  endpoint",
            "kav_sdk.dll\x02libkavsdk.so",
        ]
    ):
        put("normalize", f"name-{index}", name.encode())

    copy(
        "end_to_end",
        "demo/securegate-appliance.cdx.json",
        "demo/management-server.spdx.json",
        "sbom/spdx/2.3/all-fields.spdx",
        "inventory/alpine-rootfs-TEST.tar.gz",
        "inventory/dotnet-app-TEST.tar.gz",
        "packages/kesl-12.1.0-1TEST.noarch.rpm",
        "appliance/kaspersky-product-TEST.msi",
        "appliance/edge-router-fw-TEST.bin",
    )
    put("end_to_end", "small.tar.gz", gzip.compress(small, mtime=0))
    total = sum(path.stat().st_size for path in CORPUS.rglob("*") if path.is_file())
    print(f"{sum(1 for p in CORPUS.rglob('*') if p.is_file())} seeds, {total} bytes")


if __name__ == "__main__":
    main()
