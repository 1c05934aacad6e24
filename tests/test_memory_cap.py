"""--max-memory caps address space: running short costs the input, member or leaf that ran
short (reported not inspected), never the run, and never hangs it.

Seen before these tests: a 355 MB tar with ``--jobs 2 --max-memory 1000000000`` hung for
good. A YARA-X scanner could not reserve its store and panicked; with ``RUST_BACKTRACE=1``
the panic hook's backtrace failed to allocate and then waited on the hook's own lock."""

from __future__ import annotations

import io
import platform
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from auditor.api import AuditOptions, audit
from auditor.ingest import containers
from auditor.ingest.containers import NO_MEMORY, Budget, Limits, Member, Refused, expand
from auditor.models import Disposition
from tests.conftest import FIXTURES, run_python, tar_bytes

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc/self/status are Linux's"
)

SBOM = (FIXTURES / "demo" / "securegate-appliance.cdx.json").read_bytes()
ELF = (FIXTURES / "binaries" / "elf" / "libtest-kav-wrapper.so").read_bytes()

# Caps the address space just above what the process holds: too little for a YARA-X
# scanner's store (about 80 MB), enough for Python to go on. RUST_BACKTRACE=1 is in the
# child's environment, as on a developer's machine where the hang was seen.
_SCAN_UNDER_A_TIGHT_CAP = """
import threading
from auditor.intel.compile import AnchorScanner
from auditor.memory_cap import cap_address_space

scanner = AnchorScanner(["kaspersky"])
assert scanner.offsets(b"..kaspersky..") == ([2], False)  # works before the cap
held = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1])
cap_address_space(held * 1024 + (40 << 20))
outcome = []

def scan():
    try:
        outcome.append(scanner.offsets(b"..kaspersky.."))
    except MemoryError as exc:
        outcome.append(f"MemoryError: {exc}")

thread = threading.Thread(target=scan)  # as a member thread does
thread.start()
thread.join()
try:
    scanner.raw_offsets(b"KASPERSKY")
except MemoryError as exc:
    outcome.append(f"MemoryError: {exc}")
print(outcome)
"""


@linux_only
def test_a_scanner_that_cannot_reserve_memory_fails_that_scan_and_never_hangs() -> None:
    # timeout: the hang this guards against never ends
    done = run_python(_SCAN_UNDER_A_TIGHT_CAP, timeout=120, env={"RUST_BACKTRACE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    outcome = done.stdout.strip()
    assert outcome.count("MemoryError: YARA-X could not get memory") == 2, outcome
    assert "Traceback" not in done.stderr


def test_the_cap_turns_off_rust_backtraces_and_shares_one_malloc_arena() -> None:
    script = (
        "import os, resource\n"
        "from auditor.memory_cap import _one_malloc_arena, cap_address_space\n"
        "cap_address_space(64 << 30)\n"
        "print(os.environ['RUST_BACKTRACE'], os.environ['MALLOC_ARENA_MAX'],\n"
        "      resource.getrlimit(resource.RLIMIT_AS)[0] == 64 << 30, _one_malloc_arena())\n"
    )
    done = run_python(script, timeout=60, env={"RUST_BACKTRACE": "full"})
    assert done.returncode == 0, done.stderr[-2000:]
    backtrace, arenas, capped, mallopt = done.stdout.split()
    assert (backtrace, arenas, capped) == ("0", "1", "True")
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert mallopt == "True"


def test_a_cap_above_the_hard_limit_is_a_usage_error() -> None:
    script = (
        "import resource\n"
        "from auditor.errors import UsageError\n"
        "from auditor.memory_cap import cap_address_space\n"
        "resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))\n"
        "try:\n"
        "    cap_address_space(9 << 30)\n"
        "except UsageError as exc:\n"
        "    print(exc)\n"
    )
    done = run_python(script, timeout=60)
    assert "above this process's hard limit" in done.stdout, done.stderr[-2000:]


def test_a_leaf_whose_matching_runs_out_of_memory_is_not_inspected_and_the_rest_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditor.api as api

    real = api.audit_document

    def short_of_memory(intel: object, document: object, data: bytes) -> object:
        if getattr(document, "path", "").endswith("!/first/bom.cdx.json"):
            raise MemoryError
        return real(intel, document, data)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "audit_document", short_of_memory)
    image = tmp_path / "image-TEST.tar"
    image.write_bytes(
        tar_bytes({"first/bom.cdx.json": SBOM, "second/bom.cdx.json": SBOM, "lib.so": ELF})
    )
    result = audit([image], AuditOptions(jobs=1))
    skipped = {s.path.rsplit("!/", 1)[-1]: s for s in result.skipped}
    assert skipped["first/bom.cdx.json"].reason == (
        "ran out of memory while matching it (--max-memory)"
    )
    assert skipped["first/bom.cdx.json"].disposition is Disposition.NOT_INSPECTED
    assert not result.complete
    places = {f.artifact.rsplit("!/", 1)[-1] for f in result.findings}
    assert places == {"second/bom.cdx.json", "lib.so"}  # its neighbours are still audited
    read = {d.path.rsplit("!/", 1)[-1] for d in result.documents}
    assert "first/bom.cdx.json" not in read and "second/bom.cdx.json" in read


class _ShortOfMemory(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        raise MemoryError


def test_a_tar_member_too_big_for_memory_is_refused_and_the_next_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = tarfile.TarFile.extractfile

    def extract(self: tarfile.TarFile, member: tarfile.TarInfo | str) -> object:
        name = member if isinstance(member, str) else member.name
        return _ShortOfMemory() if name == "big.bin" else real(self, member)

    monkeypatch.setattr(tarfile.TarFile, "extractfile", extract)
    data = tar_bytes({"big.bin": b"x" * 100, "after.json": SBOM})
    out = list(expand("TEST.tar", data, Budget(Limits())))
    assert [(type(m).__name__, m.display) for m in out] == [
        ("Refused", "TEST.tar!/big.bin"),
        ("Member", "TEST.tar!/after.json"),
    ]
    assert isinstance(out[0], Refused) and out[0].reason == f"member {NO_MEMORY}"
    assert isinstance(out[1], Member) and out[1].data == SBOM


def test_a_zip_member_too_big_for_memory_is_refused_and_the_next_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = containers.spill
    calls: list[int] = []

    def spill(stream: object, limit: int, keep: int) -> object:
        calls.append(limit)
        if len(calls) == 1:
            raise MemoryError
        return real(stream, limit, keep)  # type: ignore[arg-type]

    monkeypatch.setattr(containers, "spill", spill)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.bin", b"x" * 100)
        archive.writestr("after.json", SBOM)
    out = list(expand("TEST.zip", buffer.getvalue(), Budget(Limits())))
    assert [(type(m).__name__, m.display) for m in out] == [
        ("Refused", "TEST.zip!/big.bin"),
        ("Member", "TEST.zip!/after.json"),
    ]
    assert isinstance(out[0], Refused) and out[0].reason == f"member {NO_MEMORY}"


def test_running_out_of_memory_while_opening_an_input_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditor.api as api

    def no_memory(*args: object, **kwargs: object) -> object:
        raise MemoryError

    monkeypatch.setattr(api, "expand", no_memory)
    image = tmp_path / "image-TEST.tar"
    image.write_bytes(tar_bytes({"bom.cdx.json": SBOM}))
    result = audit([image], AuditOptions(jobs=1))
    assert [(s.reason, s.disposition) for s in result.skipped] == [
        ("ran out of memory while opening it (--max-memory)", Disposition.NOT_INSPECTED)
    ]


def test_a_report_too_big_to_hold_is_a_clear_error_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    import auditor.cli as cli

    def no_memory(*args: object) -> str:
        raise MemoryError

    monkeypatch.setattr(cli, "_render", no_memory)
    out = tmp_path / "audit.sarif"
    result = CliRunner().invoke(
        cli.app, ["scan", str(FIXTURES / "demo"), "-f", "sarif", "-o", str(out)]
    )
    assert result.exit_code == 2
    assert "ran out of memory while writing the sarif report (--max-memory)" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()


class PanicException(BaseException):  # noqa: N818 - the name pyo3 gives a Rust panic
    """Stands in for pyo3's PanicException, which YARA-X raises and Python cannot import."""


class _PanickingScanner:
    """A YARA-X scanner whose scans panic (as a Rust bug would on some content)."""

    def __init__(self, rules: object) -> None:
        pass

    def max_matches_per_pattern(self, cap: int) -> None:
        pass

    def scan(self, data: bytes) -> object:
        raise PanicException("index out of bounds: the len is 3 but the index is 7\nmore")


def test_a_scanner_panic_costs_the_member_being_matched_not_the_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import yara_x

    image = tmp_path / "image-TEST.tar"
    image.write_bytes(tar_bytes({"bom.cdx.json": SBOM, "lib.so": ELF}))
    monkeypatch.setattr(yara_x, "Scanner", _PanickingScanner)
    result = audit([image], AuditOptions(jobs=1))
    reasons = {s.path.rsplit("!/", 1)[-1]: s.reason for s in result.skipped}
    failed = "YARA-X failed on it: index out of bounds: the len is 3 but the index is 7"
    assert reasons == {
        str(image): f"not matched: {failed}",  # the archive's own record (its name, digest)
        "bom.cdx.json": f"not matched: {failed}",
        "lib.so": f"elf: {failed}",
    }
    assert not result.complete and not result.findings


def test_a_scanner_memory_panic_is_reported_as_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    import yara_x

    from auditor.intel.compile import AnchorScanner

    class NoStore(_PanickingScanner):
        def __init__(self, rules: object) -> None:
            raise PanicException(
                "called `Result::unwrap()` on an `Err` value: mmap failed to reserve 0x5000000 "
                "bytes\n\nCaused by:\n    Cannot allocate memory (os error 12)"
            )

    scanner = AnchorScanner(["kaspersky"])
    monkeypatch.setattr(yara_x, "Scanner", NoStore)
    with pytest.raises(MemoryError, match="YARA-X could not get memory: called"):
        scanner.offsets(b"kaspersky")


def test_other_base_exceptions_from_yara_pass_through(monkeypatch: pytest.MonkeyPatch) -> None:
    import yara_x

    from auditor.intel.compile import AnchorScanner

    class Interrupted(_PanickingScanner):
        def scan(self, data: bytes) -> object:
            raise KeyboardInterrupt

    scanner = AnchorScanner(["kaspersky"])
    monkeypatch.setattr(yara_x, "Scanner", Interrupted)
    with pytest.raises(KeyboardInterrupt):
        scanner.offsets(b"kaspersky")
