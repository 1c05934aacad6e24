#!/usr/bin/env python3
"""Binary-tree benchmark: `kaspersky-audit scan` over a generated multi-gigabyte tree of real
binaries and nested archives, side by side with reading the same bytes and with cve-bin-tool.

    python bench/bench_tree.py [--size-mb 2048] [--jobs 2,1] [--no-peer] [--output-file F]

The tree (bench/out/tree-<size>/, regenerated only when seed, size, this script or the pool of
system binaries change) holds ELF libraries and executables copied from this machine, the
repository's TEST binaries (some of which must produce findings), Java JARs, demo SBOMs and
nested archives (tar.gz > tar > zip > tar, .deb ar packages, zips of binaries). Prints figures
from one run; exits 1 only if the audit did not do its job (a planted TEST binary not reported,
an unexpected exit code, reports differing between --jobs values), never because of a time.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FIXTURES = REPO / "fixtures"
OUT = HERE / "out"
SEED = 20261129
MiB = 1 << 20

# System binaries copied into the tree: the regular ELF files directly in these directories.
POOL_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/bin", "/usr/sbin", "/usr/libexec")
POOL_MAX_BYTES = 128 * MiB
JAR_DIRS = ("/usr/share/java",)

# TEST binaries from fixtures/binaries that the audit must report (error or warning) wherever
# they are planted, and look-alikes planted next to them (they may yield notes, nothing more).
PLANTED = (
    "elf/libtest-kav-wrapper.so",
    "elf/test-package-note-kesl",
    "pe/test-kaspersky-product.exe",
    "pe/test-whitelabel-scanner.dll",
    "go/test-go-kaspersky-module",
    "kmod/test-signed-claims-kaspersky.ko",
    "java/test-mobile-bank-core.jar",
    "android/test-kaspersky-mobile.apk",
    "android/test-bank-app.apk",
)
DECOYS = (
    "elf/test-clean-elf",
    "elf/test-package-note-clean",
    "pe/test-clean.exe",
    "pe/test-uninstaller.exe",
    "dotnet/test-clean.dll",
    "go/test-go-lookalike-module",
    "kmod/test-signed-acme.ko",
    "java/test-kasper-templates.jar",
    "macho/markupsafe-speedups-darwin-arm64.so",
)
SBOMS = ("demo/securegate-appliance.cdx.json", "demo/management-server.spdx.json")

# Share of the tree's bytes (on disk) per kind; the loose fixtures, JARs and SBOMs come on top.
SHARES = {"loose": 0.30, "bundle": 0.25, "deb": 0.20, "zip": 0.25}
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


# ------------------------------------------------------------------------------------------
# Generation
# ------------------------------------------------------------------------------------------


@dataclass
class Composition:
    """What the generated tree holds."""

    files: int = 0  # files on disk
    bytes: int = 0  # bytes on disk
    binaries: int = 0  # executables and libraries, loose or inside archives
    binary_bytes: int = 0  # their uncompressed bytes
    binaries_in_archives: int = 0
    archives: int = 0  # archive files on disk
    nested_archives: int = 0  # archives inside archives (JARs/APKs not counted)
    jars: int = 0
    sboms: int = 0
    expanded_bytes: int = 0  # bytes of every leaf member once fully unpacked
    largest_file: int = 0  # largest file on disk
    largest_member: int = 0  # largest binary, loose or inside an archive
    kinds: dict[str, list[int]] = field(default_factory=dict)  # kind: [files, bytes on disk]
    planted: list[str] = field(default_factory=list)  # places of the TEST binaries to find


def elf_pool() -> list[Path]:
    """Distinct regular ELF files of POOL_DIRS, sorted (symlinks and hard links once)."""
    seen: set[tuple[int, int]] = set()
    pool: list[Path] = []
    for directory in POOL_DIRS:
        root = Path(directory)
        if not root.is_dir():
            continue
        for path in sorted(root.iterdir()):
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                stat = path.stat()
                if stat.st_size > POOL_MAX_BYTES or (stat.st_dev, stat.st_ino) in seen:
                    continue
                with path.open("rb") as handle:
                    if handle.read(4) != b"\x7fELF":
                        continue
            except OSError:
                continue
            seen.add((stat.st_dev, stat.st_ino))
            pool.append(path)
    return pool


def jar_pool() -> list[Path]:
    """Distinct Java archives found in JAR_DIRS."""
    seen: set[tuple[int, int]] = set()
    jars: list[Path] = []
    for directory in JAR_DIRS:
        root = Path(directory)
        if not root.is_dir():
            continue
        for path in sorted(root.glob("*.jar")):
            if path.is_symlink():
                continue
            stat = path.stat()
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                jars.append(path)
    return jars


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip(members: list[tuple[str, bytes]], deflate: bool) -> bytes:
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", method, compresslevel=1 if deflate else None) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, ZIP_DATE), data, compress_type=method)
    return buffer.getvalue()


def _ar(members: list[tuple[str, bytes]]) -> bytes:
    """A Debian-style ar archive."""
    out = [b"!<arch>\n"]
    for name, data in members:
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{0o100644:<8o}{len(data):<10}`\n"
        out += [header.encode(), data, b"\n" if len(data) % 2 else b""]
    return b"".join(out)


class Generator:
    """Builds the tree deterministically from the seed and the machine's binaries."""

    def __init__(self, root: Path, size_mb: int, seed: int) -> None:
        self.root = root
        self.budget = size_mb * MiB
        self.rng = random.Random(seed)
        self.pool = elf_pool()
        self.used: set[Path] = set()
        self.copies = 0
        self.fixture_turn = 0
        self.comp = Composition()

    def binary(self) -> tuple[str, bytes]:
        """A system binary; a repeated one gets a unique tail so that no two copies match."""
        path = self.rng.choice(self.pool)
        data = path.read_bytes()
        if path in self.used:
            self.copies += 1
            data += b"\0TEST bench_tree copy %d\0" % self.copies + self.rng.randbytes(24)
        self.used.add(path)
        self.comp.binaries += 1
        self.comp.binary_bytes += len(data)
        self.comp.largest_member = max(self.comp.largest_member, len(data))
        return path.name, data

    def fixture(self) -> tuple[str, bytes, bool]:
        """The next TEST fixture in turn (planted and decoys alternate)."""
        names = [name for pair in zip(PLANTED, DECOYS, strict=False) for name in pair]
        names += list(DECOYS[len(PLANTED) :])
        name = names[self.fixture_turn % len(names)]
        self.fixture_turn += 1
        data = (FIXTURES / "binaries" / name).read_bytes()
        self.comp.binaries += 1
        self.comp.binary_bytes += len(data)
        return Path(name).name, data, name in PLANTED

    def members(self, budget: int, prefix: str) -> list[tuple[str, bytes]]:
        """System binaries up to ``budget`` bytes (at least one), names unique in the list."""
        out: list[tuple[str, bytes]] = []
        names: set[str] = set()
        total = 0
        while total < budget or not out:
            name, data = self.binary()
            while name in names:
                name = f"x{name}"
            names.add(name)
            out.append((f"{prefix}{name}", data))
            total += len(data)
        self.comp.binaries_in_archives += len(out)
        self.comp.expanded_bytes += total
        return out

    def write(self, relative: str, data: bytes, kind: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.comp.files += 1
        self.comp.bytes += len(data)
        self.comp.largest_file = max(self.comp.largest_file, len(data))
        entry = self.comp.kinds.setdefault(kind, [0, 0])
        entry[0] += 1
        entry[1] += len(data)

    def plant(self, relative_place: str, is_planted: bool) -> None:
        if is_planted:
            self.comp.planted.append(relative_place)

    # -- the kinds of content ----------------------------------------------------------------

    def loose(self, budget: int) -> None:
        """System binaries as files, 150 to a directory."""
        written = 0
        index = 0
        while written < budget:
            name, data = self.binary()
            self.write(f"rootfs/d{index // 150:03d}/{index:05d}-{name}", data, "elf")
            self.comp.expanded_bytes += len(data)
            written += len(data)
            index += 1

    def extras(self) -> None:
        """Every fixture once, the JARs, the demo SBOMs (twice)."""
        for name in (*PLANTED, *DECOYS):
            data = (FIXTURES / "binaries" / name).read_bytes()
            place = f"vendor/{name}"
            self.write(place, data, "fixture")
            self.comp.binaries += 1
            self.comp.binary_bytes += len(data)
            self.comp.expanded_bytes += len(data)
            self.plant(place, name in PLANTED)
        for jar in jar_pool():
            self.write(f"opt/java/lib/{jar.name}", jar.read_bytes(), "jar")
            self.comp.jars += 1
        for copy in ("sbom", "opt/appliance/sbom"):
            for name in SBOMS:
                self.write(f"{copy}/{Path(name).name}", (FIXTURES / name).read_bytes(), "sbom")
                self.comp.sboms += 1

    def bundle(self, index: int) -> int:
        """tar.gz > tar > zip > tar: binaries at the inner tar and zip levels, one fixture."""
        budget = self.rng.randint(8, 40) * MiB
        fixture, fixture_data, planted = self.fixture()
        rootfs = _tar(
            [*self.members(budget * 2 // 3, "usr/lib/"), (f"opt/vendor/{fixture}", fixture_data)]
        )
        inner = _zip(
            [
                ("payload/rootfs.tar", rootfs),
                *self.members(budget // 3, "payload/bin/"),
                ("sbom/bom.cdx.json", (FIXTURES / SBOMS[0]).read_bytes()),
            ],
            deflate=True,
        )
        outer = gzip.compress(
            _tar([("bundle.zip", inner), ("README", b"TEST bundle\n")]), compresslevel=1, mtime=0
        )
        place = f"bundles/b{index % 8}/bundle-{index:04d}.tar.gz"
        self.write(place, outer, "bundle")
        self.comp.archives += 1
        self.comp.nested_archives += 3
        self.plant(
            f"{place}!/bundle-{index:04d}.tar!/bundle.zip!/payload/rootfs.tar!/opt/vendor/{fixture}",
            planted,
        )
        return len(outer)

    def deb(self, index: int) -> int:
        """An ar package: debian-binary, control.tar.gz, data.tar.gz (binaries, one fixture)."""
        budget = self.rng.randint(2, 24) * MiB
        fixture, fixture_data, planted = self.fixture()
        package = f"libbench{index:04d}"
        control = (
            f"Package: {package}\nVersion: 1.{index}.0-1\nArchitecture: amd64\n"
            "Maintainer: TEST Bench Maintainers <bench@example.invalid>\n"
            "Description: TEST package generated by bench_tree.py\n"
        ).encode()
        data = _tar(
            [
                *self.members(budget, "./usr/lib/x86_64-linux-gnu/"),
                (f"./usr/bin/{fixture}", fixture_data),
            ]
        )
        deb = _ar(
            [
                ("debian-binary", b"2.0\n"),
                ("control.tar.gz", gzip.compress(_tar([("./control", control)]), mtime=0)),
                ("data.tar.gz", gzip.compress(data, compresslevel=1, mtime=0)),
            ]
        )
        place = f"pool/main/{package}_1.{index}.0-1_amd64.deb"
        self.write(place, deb, "deb")
        self.comp.archives += 1
        self.comp.nested_archives += 4
        self.plant(f"{place}!/data.tar.gz!/data.tar!/usr/bin/{fixture}", planted)
        return len(deb)

    def zip_of_binaries(self, index: int) -> int:
        """A deflated zip of binaries and one fixture; every fourth also holds a JAR."""
        budget = self.rng.randint(4, 32) * MiB
        fixture, fixture_data, planted = self.fixture()
        members = [*self.members(budget, "lib/"), (f"tools/{fixture}", fixture_data)]
        jars = jar_pool()
        if index % 4 == 0 and jars:
            jar = jars[index // 4 % len(jars)]
            members.append((f"java/{jar.name}", jar.read_bytes()))
            self.comp.jars += 1
        blob = _zip(members, deflate=True)
        place = f"dist/release-{index:04d}.zip"
        self.write(place, blob, "zip")
        self.comp.archives += 1
        self.plant(f"{place}!/tools/{fixture}", planted)
        return len(blob)

    def run(self) -> Composition:
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        self.extras()
        self.budget = max(0, self.budget - self.comp.bytes)
        self.loose(int(self.budget * SHARES["loose"]))
        for kind, build in (
            ("bundle", self.bundle),
            ("deb", self.deb),
            ("zip", self.zip_of_binaries),
        ):
            written = index = 0
            while written < self.budget * SHARES[kind]:
                written += build(index)
                index += 1
        return self.comp


def stamp_for(size_mb: int, seed: int) -> str:
    """Changes with the seed, the size, this script and the pool of system files."""
    digest = hashlib.sha256(f"{seed}/{size_mb}/".encode() + Path(__file__).read_bytes())
    for path in [*elf_pool(), *jar_pool()]:
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def ensure_tree(size_mb: int, seed: int) -> tuple[Path, Composition, float | None]:
    """The tree and its composition; generation seconds, or None when it was reused."""
    root = OUT / f"tree-{size_mb}"
    meta = OUT / f"tree-{size_mb}.json"
    stamp = stamp_for(size_mb, seed)
    if root.is_dir() and meta.is_file():
        saved = json.loads(meta.read_text())
        if saved.get("stamp") == stamp:
            return root, Composition(**saved["composition"]), None
    start = time.perf_counter()
    comp = Generator(root, size_mb, seed).run()
    elapsed = time.perf_counter() - start
    meta.write_text(json.dumps({"stamp": stamp, "composition": asdict(comp)}, indent=1))
    return root, comp, elapsed


# ------------------------------------------------------------------------------------------
# Measurements
# ------------------------------------------------------------------------------------------


def read_tree(root: Path) -> tuple[float, int]:
    """Seconds to walk the tree and read every byte (1 MiB readinto), and the bytes read."""
    buffer = memoryview(bytearray(MiB))
    total = 0
    start = time.perf_counter()
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            with open(os.path.join(directory, name), "rb", buffering=0) as handle:
                while count := handle.readinto(buffer):
                    total += count
    return time.perf_counter() - start, total


def _unpacked(data: bytes, depth: int = 0) -> int:
    """Bytes of every file inside ``data`` once every archive level is opened (in memory,
    standard library only): what any tool must produce before it can look at the contents."""
    import bz2
    import gzip
    import io
    import lzma
    import tarfile
    import zipfile

    if depth > 8:
        return len(data)
    if data[:2] == b"\x1f\x8b":
        return _unpacked(gzip.decompress(data), depth + 1)
    if data[:3] == b"BZh":
        return _unpacked(bz2.decompress(data), depth + 1)
    if data[:6] == b"\xfd7zXZ\x00":
        return _unpacked(lzma.decompress(data), depth + 1)
    if data[:4] == b"PK\x03\x04" and not data[:4096].count(b"META-INF/"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(_unpacked(archive.read(i), depth + 1) for i in archive.infolist())
    if data[:8] == b"!<arch>\n":
        total, offset = 0, 8
        while offset + 60 <= len(data):
            size = int(data[offset + 48 : offset + 58].strip() or 0)
            total += _unpacked(data[offset + 60 : offset + 60 + size], depth + 1)
            offset += 60 + size + (size & 1)
        return total
    if len(data) > 262 and data[257:262] == b"ustar":
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            total = 0
            for member in archive.getmembers():
                handle = archive.extractfile(member) if member.isfile() else None
                if handle is not None:
                    total += _unpacked(handle.read(), depth + 1)
            return total
    return len(data)


def unpack_tree(root: Path) -> tuple[float, int]:
    """Seconds to read the tree and open every archive level in memory (one process,
    standard library), and the bytes that produces: a baseline that, unlike a plain read,
    includes the decompression every auditor of this tree must do."""
    total = 0
    start = time.perf_counter()
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            total += _unpacked(Path(directory, name).read_bytes())
    return time.perf_counter() - start, total


# Runs a command, then prints its wall time and getrusage(RUSAGE_CHILDREN): ru_maxrss is the
# largest single process among the command and every descendant it waited for.
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False).returncode
seconds = time.perf_counter() - start
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "seconds": seconds, "maxrss_kib": use.ru_maxrss,
                  "cpu": use.ru_utime + use.ru_stime}))
"""


@dataclass
class Run:
    """One measured subprocess."""

    label: str
    seconds: float = 0.0
    code: int | None = None
    maxrss_mb: float = 0.0  # largest single process (getrusage)
    tree_rss_mb: float | None = None  # peak of the summed RSS of the process tree (psutil)
    processes: int = 0  # most processes seen at once (psutil)
    cpu: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before, after
    notes: list[str] = field(default_factory=list)
    timed_out: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def measured(
    label: str,
    command: list[str],
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    progress: Path | None = None,
) -> Run:
    """Run ``command`` under WRAPPER, sampling the process tree's RSS with psutil if present."""
    try:
        import psutil
    except ImportError:
        psutil = None
    run = Run(label)
    before = os.getloadavg()[0]
    log = OUT / f"{label.replace(' ', '_').replace('/', '_')}.stderr"
    with log.open("w") as errors:
        wrapper = subprocess.Popen(
            [sys.executable, "-c", WRAPPER, *command],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=env,
            cwd=REPO,
            start_new_session=True,
        )
        start = time.perf_counter()
        peak = 0
        while wrapper.poll() is None:
            if psutil is not None:
                try:
                    tree = psutil.Process(wrapper.pid).children(recursive=True)
                    rss = 0
                    for proc in tree:
                        with contextlib.suppress(psutil.Error):
                            rss += proc.memory_info().rss
                    peak = max(peak, rss)
                    run.processes = max(run.processes, len(tree))
                except psutil.Error:
                    pass
            if timeout is not None and time.perf_counter() - start > timeout:
                os.killpg(wrapper.pid, signal.SIGKILL)
                wrapper.wait()
                run.timed_out = True
                break
            time.sleep(0.2)
        output = wrapper.stdout.read() if wrapper.stdout else ""
    run.load = (before, os.getloadavg()[0])
    run.tree_rss_mb = peak / 1e6 if psutil is not None else None
    if run.timed_out:
        run.seconds = time.perf_counter() - start
    else:
        lines = output.strip().splitlines()
        if not lines:
            run.notes.append(f"no result from the wrapper; see {log}")
            return run
        result = json.loads(lines[-1])
        run.seconds, run.code, run.cpu = result["seconds"], result["code"], result["cpu"]
        run.maxrss_mb = result["maxrss_kib"] * 1024 / 1e6
    if progress is not None and progress.is_file():
        lines = progress.read_text().strip().splitlines()
        if lines:
            run.extra = json.loads(lines[-1])
    return run


def cli() -> list[str]:
    found = shutil.which("kaspersky-audit")
    return [found] if found else [sys.executable, "-m", "auditor"]


def pack(root: Path, kind: str) -> Path:
    """The whole tree as one archive (``tar`` or ``tar.gz``, gzip level 1) beside it: a
    multi-gigabyte appliance image in a single file."""
    path = OUT / f"{root.name}.{kind}"
    mode = "w:gz" if kind == "tar.gz" else "w"
    options = {"compresslevel": 1} if kind == "tar.gz" else {}
    with tarfile.open(path, mode, **options) as archive:  # type: ignore[call-overload]
        for directory, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                full = Path(directory, name)
                archive.add(full, arcname=full.relative_to(root).as_posix(), recursive=False)
    return path


def scan(root: Path, jobs: int, label: str = "") -> tuple[Run, dict[str, Any]]:
    """`kaspersky-audit scan ROOT --jobs N` writing SARIF; returns the run and the SARIF."""
    sarif = OUT / f"{root.name}-jobs{jobs}.sarif"
    sarif.unlink(missing_ok=True)
    command = [
        *cli(),
        "scan",
        str(root),
        "--jobs",
        str(jobs),
        "-f",
        "sarif",
        "-o",
        str(sarif),
        "--fail-on",
        "never",
        "--quiet",
    ]
    run = measured(label or f"scan --jobs {jobs}", command)
    document = json.loads(sarif.read_text()) if sarif.is_file() else {}
    return run, document


def check_sarif(run: Run, document: dict[str, Any], comp: Composition, root: Path) -> bool:
    """Every planted TEST binary reported (error or warning) at its place; True if so. For
    the tree packed as one archive, places are inside it (``tree.tar.gz!/tree.tar!/...``)."""
    if not document:
        run.notes.append("no SARIF written")
        return False
    sarif_run = document["runs"][0]
    places: dict[str, str] = {}
    for result in sarif_run.get("results", []):
        for location in result.get("locations", []):
            uri = location.get("physicalLocation", {}).get("artifactLocation", {}).get("uri")
            names = [uri] + [
                logical.get("fullyQualifiedName")
                for logical in location.get("logicalLocations", [])
            ]
            for name in names:
                if name and result.get("level") in ("error", "warning"):
                    for base in (str(root), root.relative_to(REPO).as_posix()):
                        name = name.removeprefix(f"{base}/").removeprefix(f"{base}!/")
                    if root.name.endswith(".tar.gz"):  # the tar inside the gzip stream
                        name = name.removeprefix(f"{root.name.removesuffix('.gz')}!/")
                    places[name] = result["level"]
    missing = [place for place in comp.planted if place not in places]
    levels: dict[str, int] = {}
    for result in sarif_run.get("results", []):
        levels[result.get("level", "?")] = levels.get(result.get("level", "?"), 0) + 1
    notices = [
        note
        for invocation in sarif_run.get("invocations", [])
        for note in invocation.get("toolExecutionNotifications", [])
    ]
    serious = [note for note in notices if note.get("level") != "note"]
    run.extra = {
        "results": levels,
        "planted_found": len(comp.planted) - len(missing),
        "planted": len(comp.planted),
        "notes": len(notices) - len(serious),
        "warnings": len(serious),
    }
    for place in missing[:10]:
        run.notes.append(f"planted TEST binary not reported: {place}")
    for note in serious[:10]:
        run.notes.append(f"notification: {note.get('message', {}).get('text', note)}"[:300])
    if run.code not in (0, 3):
        run.notes.append(f"unexpected exit code {run.code}")
    return not missing and run.code in (0, 3)


# ------------------------------------------------------------------------------------------
# The peer: cve-bin-tool
# ------------------------------------------------------------------------------------------

# Runs in the peer's virtualenv. Network is cut off (socket connect/getaddrinfo raise), its
# cache lives in a private HOME with a pre-seeded version_map.db so that no checker fetches
# anything at import. The loop is VersionScanner.recursive_scan's, with progress written after
# every top-level file. Mode "walk": scan_file is a no-op counter, so what is timed is the
# directory walk, archive detection and recursive extraction. Mode "full": unchanged scan_file
# (file(1) twice, strings, every checker's regexes; no CVE database lookup).
PEER_DRIVER = r"""
import json, logging, os, socket, sqlite3, sys, time
from pathlib import Path
root, mode, progress = sys.argv[1], sys.argv[2], Path(sys.argv[3])
def offline(*args, **kwargs):
    raise OSError("network disabled by bench_tree")
socket.socket.connect = socket.socket.connect_ex = offline
socket.getaddrinfo = socket.create_connection = offline
cache = Path.home() / ".cache" / "cve-bin-tool"
cache.mkdir(parents=True, exist_ok=True)
with sqlite3.connect(cache / "version_map.db") as db:
    db.execute("CREATE TABLE IF NOT EXISTS sqlite(version TEXT, sourceId TEXT PRIMARY KEY)")
    db.execute("CREATE TABLE IF NOT EXISTS latest_update_sqlite(datestamp DATETIME PRIMARY KEY)")
    db.execute("DELETE FROM latest_update_sqlite")
    db.execute("INSERT INTO latest_update_sqlite VALUES (?)", (time.time(),))
t0 = time.perf_counter()
from cve_bin_tool.extractor import Extractor
from cve_bin_tool.log import LOGGER
from cve_bin_tool.cvedb import CVEDB
from cve_bin_tool.version_scanner import VersionScanner
LOGGER.setLevel(logging.WARNING)
database = CVEDB()
database.init_database()  # empty tables: the Java parser's vendor look-ups find nothing
database.db_close()
files = [0]
if mode == "walk":
    def scan_file(self, filename):
        self.total_scanned_files += 1
        files[0] += 1
        return iter(())
    VersionScanner.scan_file = scan_file
scanner = VersionScanner(should_extract=True)
init = time.perf_counter() - t0
start = time.perf_counter()
found = done = top = 0
with Extractor(logger=scanner.logger, error_mode=scanner.error_mode) as ectx:
    for path in scanner.walker([root]):
        scanner.file_stack.append(path)
        for info in scanner.scan_and_or_extract_file(ectx, path):
            found += 1
        scanner.file_stack.pop()
        done += os.path.getsize(path)
        top += 1
        with progress.open("a") as out:
            out.write(json.dumps({"seconds": time.perf_counter() - start, "bytes": done,
                "top": top, "files": scanner.total_scanned_files, "found": found}) + "\n")
    seconds = time.perf_counter() - start
    cleanup = time.perf_counter()
cleanup = time.perf_counter() - cleanup
with progress.open("a") as out:
    out.write(json.dumps({"seconds": seconds, "bytes": done, "top": top, "init": init,
        "files": scanner.total_scanned_files, "found": found, "cleanup": cleanup,
        "checkers": len(scanner.checkers), "done": True}) + "\n")
"""


def peer_python(venv: Path) -> Path | None:
    """The venv's interpreter with cve-bin-tool importable, creating the venv if needed."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import cve_bin_tool.version_scanner"]
    if python.exists() and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return python
    print(f"creating {venv} and installing cve-bin-tool (once) ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "cve-bin-tool"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except (subprocess.CalledProcessError, OSError) as error:
        print(f"!! PEER SKIPPED: cannot install cve-bin-tool into {venv}: {error}", flush=True)
        return None
    if subprocess.run(probe, capture_output=True, check=False).returncode != 0:
        print(f"!! PEER SKIPPED: cve-bin-tool does not import in {venv}", flush=True)
        return None
    return python


def peer(python: Path, root: Path, mode: str, timeout: float) -> Run:
    home = OUT / "peer-home"
    tmp = OUT / "peer-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    progress = OUT / f"peer-{mode}.progress"
    progress.unlink(missing_ok=True)
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp), "NO_COLOR": "1"}
    label = "cve-bin-tool walk+extract" if mode == "walk" else "cve-bin-tool full scan"
    run = measured(
        label,
        [str(python), "-c", PEER_DRIVER, str(root), mode, str(progress)],
        env,
        timeout,
        progress,
    )
    shutil.rmtree(tmp, ignore_errors=True)
    if run.extra.get("done"):
        run.seconds = run.extra["seconds"]  # the scan loop only, without imports and checkers
    elif run.extra:
        total = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
        share = run.extra["bytes"] / max(1, total)
        stopped = f"killed after {timeout:.0f} s" if run.timed_out else "failed"
        run.notes.append(
            f"{stopped} at {share:.0%} of the tree's bytes "
            f"({run.extra['top']} top-level files, {run.extra['files']} files scanned)"
        )
        run.extra["share"] = share
    if run.code not in (0, None):
        run.notes.append(f"exit code {run.code}; see {OUT}/{label.replace(' ', '_')}.stderr")
    return run


def peer_version(python: Path) -> str:
    done = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('cve-bin-tool'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "?"


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------


def source_digest() -> str:
    """Digest of the auditor package source, so runs against different code are not compared."""
    digest = hashlib.sha256()
    root = REPO / "auditor"
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def git_head() -> str:
    """Commit of the checkout, marked dirty when auditor/ has uncommitted changes."""
    git = ["git", "-C", str(REPO)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "auditor"], capture_output=True, text=True
    )
    return (head.stdout.strip() or "?") + (" (auditor/ modified)" if dirty.stdout.strip() else "")


def describe(comp: Composition, root: Path) -> list[str]:
    kinds = ", ".join(f"{k} {n} ({b / 1e6:,.0f} MB)" for k, (n, b) in sorted(comp.kinds.items()))
    return [
        f"tree: {root.relative_to(REPO)}: {comp.bytes / 1e6:,.0f} MB on disk, {comp.files:,} files",
        f"  by kind: {kinds}",
        f"  binaries: {comp.binaries:,} ({comp.binary_bytes / 1e6:,.0f} MB uncompressed; "
        f"{comp.binaries_in_archives:,} inside archives); JARs {comp.jars}; SBOMs {comp.sboms}",
        f"  archives: {comp.archives} on disk, {comp.nested_archives} nested inside them; "
        f"{comp.expanded_bytes / 1e6:,.0f} MB once fully unpacked",
        f"  largest file on disk {comp.largest_file / 1e6:,.0f} MB, largest binary "
        f"{comp.largest_member / 1e6:,.0f} MB",
        f"  planted TEST binaries that must be reported: {len(comp.planted)} places",
    ]


def table(rows: list[Run], read_s: float, size: int, ours: float) -> list[str]:
    mb = size / 1e6
    lines = [
        f"{'measurement':<28} {'seconds':>8} {'MB/s':>8} {'x read':>7} {'x scan':>7} "
        f"{'tree RSS':>9} {'max RSS':>8} {'procs':>5} {'CPU s':>7} {'load':>9}  exit",
        f"{'read (warm page cache)':<28} {read_s:8.2f} {mb / read_s:8.0f} {1:7.1f} {'':>7}",
    ]
    for run in rows:
        seconds = run.seconds
        shown = f"{seconds:8.1f}" if not run.timed_out else f"{'>' + format(seconds, '.0f'):>8}"
        tree = f"{run.tree_rss_mb:7.0f}MB" if run.tree_rss_mb is not None else f"{'n/a':>9}"
        lines.append(
            f"{run.label:<28} {shown} {mb / seconds:8.1f} {seconds / read_s:7.1f} "
            f"{seconds / ours:7.2f} {tree:>9} {run.maxrss_mb:6.0f}MB {run.processes:5d} "
            f"{run.cpu:7.1f} {run.load[0]:4.2f}/{run.load[1]:4.2f}  {run.code}"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--size-mb", type=int, default=2048, help="tree size on disk (default 2048)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    cores = os.cpu_count() or 1
    parser.add_argument("--jobs", default=f"{cores},1", help=f"--jobs values (default {cores},1)")
    parser.add_argument("--no-peer", action="store_true", help="skip cve-bin-tool")
    parser.add_argument("--peer-venv", type=Path, default=OUT / "peer-venv")
    parser.add_argument("--peer-timeout", type=float, default=1200, help="seconds per peer run")
    parser.add_argument("--peer-full", action="store_true", help="also time the full version scan")
    parser.add_argument("--output-file", type=Path, help="also write the report here")
    parser.add_argument("--keep", action="store_true", help="keep the tree for the next run")
    parser.add_argument(
        "--as-archive",
        default="",
        help="also pack the tree into one file of each listed kind (tar, tar.gz) and scan it:\n"
        "the largest process must stay bounded, whatever the archive's size",
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    report: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        report.append(line)

    load = os.getloadavg()
    when = datetime.datetime.now().isoformat(timespec="minutes")
    say(
        f"bench_tree {when}; python {sys.version.split()[0]}; {cores} cores; "
        f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; auditor digest {source_digest()}"
    )
    root, comp, generated = ensure_tree(args.size_mb, args.seed)
    made = f"generated in {generated:.0f} s" if generated is not None else "reused (stamp matches)"
    say(f"commit {git_head()}; seed {args.seed}; tree {made}")
    for line in describe(comp, root):
        say(line)

    read_tree(root)  # warm the page cache
    read_s, size = min(read_tree(root) for _ in range(2))
    say(
        f"read: walk + read every byte (1 MiB readinto), warm page cache, best of 2: "
        f"{read_s:.2f} s, {size / 1e6 / read_s:,.0f} MB/s"
    )

    unpack_s, unpacked = unpack_tree(root)
    say(
        f"unpack: read + open every archive level in memory (1 process, stdlib): "
        f"{unpack_s:.1f} s, {size / 1e6 / unpack_s:,.0f} MB/s of the tree, "
        f"{unpacked / 1e6:,.0f} MB produced"
    )

    ok = True
    runs: list[Run] = []
    reference: list[Any] | None = None
    for jobs in (int(j) for j in args.jobs.split(",")):
        run, document = scan(root, jobs)
        ok &= check_sarif(run, document, comp, root)
        results = document.get("runs", [{}])[0].get("results") if document else None
        if reference is None:
            reference = results
        elif results != reference:
            run.notes.append("SARIF results differ from the first --jobs value")
            ok = False
        runs.append(run)
        got = run.extra
        say(
            f"{run.label}: {run.seconds:.1f} s, {size / 1e6 / run.seconds:.1f} MB/s, "
            f"exit {run.code}, results {got.get('results')}, planted found "
            f"{got.get('planted_found')}/{got.get('planted')}, notices: "
            f"{got.get('notes')} notes, {got.get('warnings')} warnings"
        )
        for note in run.notes:
            say(f"  !! {note}")
    ours = runs[0].seconds if runs else 1.0
    first_jobs = args.jobs.split(",")[0]
    for kind in filter(None, args.as_archive.split(",")):
        started = time.perf_counter()
        archive = pack(root, kind)
        packed = time.perf_counter() - started
        run, document = scan(archive, int(first_jobs), f"scan one {kind} --jobs {first_jobs}")
        ok &= check_sarif(run, document, comp, archive)
        runs.append(run)
        size_mb = archive.stat().st_size / 1e6
        say(
            f"{run.label} ({size_mb:,.0f} MB, packed in {packed:.0f} s): {run.seconds:.1f} s, "
            f"{size / 1e6 / run.seconds:.1f} MB/s of the tree, max RSS {run.maxrss_mb:.0f} MB, "
            f"planted found {run.extra.get('planted_found')}/{run.extra.get('planted')}"
        )
        for note in run.notes:
            say(f"  !! {note}")
        archive.unlink()

    peers: list[Run] = []
    if not args.no_peer:
        python = peer_python(args.peer_venv)
        if python is not None:
            say(f"peer: cve-bin-tool {peer_version(python)} in {args.peer_venv}")
            for mode in ("walk", "full") if args.peer_full else ("walk",):
                run = peer(python, root, mode, args.peer_timeout)
                peers.append(run)
                extra = run.extra
                say(
                    f"{run.label}: {run.seconds:.1f} s (not counted: imports and checker "
                    f"loading {extra.get('init', 0):.1f} s, temp cleanup "
                    f"{extra.get('cleanup', 0):.1f} s), {extra.get('files')} files, "
                    f"{extra.get('found')} products"
                )
                for note in run.notes:
                    say(f"  !! {note}")
    else:
        say("peer: skipped (--no-peer)")

    say()
    for line in table(runs + peers, read_s, size, ours):
        say(line)
    say()
    if runs:
        first = runs[0]
        say(
            f"scan/read ratio at --jobs {args.jobs.split(',')[0]}: {first.seconds / read_s:.1f}x "
            f"(target <= 2x: {'met' if first.seconds <= 2 * read_s else 'NOT met'})"
        )
    if runs:
        say(
            f"scan/unpack ratio at --jobs {first_jobs}: {runs[0].seconds / unpack_s:.2f}x "
            "(unpack: one process opening every archive level, no parsing or matching)"
        )
    for run in peers:
        if run.timed_out and "share" in run.extra and run.extra["share"] > 0:
            estimate = run.seconds / run.extra["share"]
            say(
                f"{run.label}: timed out; extrapolated from progress ~{estimate:.0f} s, "
                f"~{estimate / ours:.0f}x our scan"
            )
        else:
            say(f"{run.label} / our scan (--jobs {first_jobs}): {run.seconds / ours:.2f}x")
    say(
        "tree RSS: peak of the summed RSS of every process under the wrapper (psutil, 0.2 s "
        "samples); max RSS: largest single process (getrusage RUSAGE_CHILDREN)"
    )
    say(f"verdict: {'audit OK' if ok else 'AUDIT FAILED'}")
    if args.output_file:
        args.output_file.parent.mkdir(parents=True, exist_ok=True)
        args.output_file.write_text("\n".join(report) + "\n")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
        (OUT / f"tree-{args.size_mb}.json").unlink(missing_ok=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
