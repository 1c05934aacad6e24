"""Archives and compressed files are opened in memory under limits; what is inside is audited
where it sits (location chains), and every limit that is hit is reported."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

from auditor.api import AuditOptions, audit
from auditor.ingest.containers import Limits
from auditor.models import Disposition
from tests.conftest import FIXTURES, tar_bytes

SBOM = (FIXTURES / "demo" / "securegate-appliance.cdx.json").read_bytes()
ELF = (FIXTURES / "binaries" / "elf" / "libtest-kav-wrapper.so").read_bytes()


def _tar_gz(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    return tar_bytes(members, "w:gz", links)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_sboms_and_binaries_inside_nested_archives_are_audited_where_they_sit(
    tmp_path: Path,
) -> None:
    inner = _tar_gz({"opt/vendor/bom.cdx.json": SBOM, "opt/vendor/lib.so": ELF, "README": b"hi"})
    (tmp_path / "appliance.zip").write_bytes(_zip({"firmware/rootfs.tar.gz": inner}))
    result = audit([tmp_path / "appliance.zip"])
    places = sorted({f.artifact.split("appliance.zip", 1)[1] for f in result.findings})
    assert places == [
        "!/firmware/rootfs.tar.gz!/rootfs.tar!/opt/vendor/bom.cdx.json",
        "!/firmware/rootfs.tar.gz!/rootfs.tar!/opt/vendor/lib.so",
    ]
    assert result.complete  # the README inside is simply not an SBOM
    assert any(
        s.disposition is Disposition.NOT_AN_SBOM and s.path.endswith("!/README")
        for s in result.skipped
    )


def test_a_compression_bomb_is_refused_and_reported(tmp_path: Path) -> None:
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(b"\0" * (64 << 20)))
    result = audit([tmp_path / "bomb.gz"])
    [skipped] = result.not_inspected
    assert "bomb" in skipped.reason or "limit" in skipped.reason
    assert not result.complete


def test_zip_members_with_an_absurd_ratio_are_refused(tmp_path: Path) -> None:
    (tmp_path / "z.zip").write_bytes(_zip({"zeros.bin": b"\0" * (8 << 20), "bom.json": SBOM}))
    result = audit([tmp_path / "z.zip"])
    assert any("ratio" in s.reason for s in result.not_inspected)
    assert result.findings  # the other member is still audited


def test_links_and_traversal_names_are_labels_never_followed(tmp_path: Path) -> None:
    data = _tar_gz(
        {"../../etc/evil.cdx.json": SBOM},
        links={"link": "/etc/passwd", "usr/bin/scanner": "../../opt/kaspersky/kesl/bin/kesl"},
    )
    (tmp_path / "t.tar.gz").write_bytes(data)
    result = audit([tmp_path / "t.tar.gz"])
    assert any(f.artifact.endswith("!/../../etc/evil.cdx.json") for f in result.findings)
    # a link has no content: it is inventoried by name and target, not reported as unread
    assert result.complete
    [inventory] = [f for f in result.findings if f.artifact.endswith("t.tar")]
    assert any("/opt/kaspersky/" in hit.value for hit in inventory.hits)


def test_nesting_deeper_than_the_limit_is_reported(tmp_path: Path) -> None:
    data = SBOM
    for _ in range(5):
        data = gzip.compress(data)
    (tmp_path / "deep.gz").write_bytes(data)
    shallow = audit([tmp_path / "deep.gz"], AuditOptions(container_limits=Limits(max_depth=3)))
    assert any("--max-depth" in s.reason for s in shallow.not_inspected)
    assert audit([tmp_path / "deep.gz"]).findings


def test_truncated_archives_are_reported_not_inspected(tmp_path: Path) -> None:
    data = _tar_gz({"bom.cdx.json": SBOM})
    (tmp_path / "cut.tar.gz").write_bytes(data[: len(data) // 2])
    result = audit([tmp_path / "cut.tar.gz"])
    assert result.not_inspected and not result.complete


def test_garbage_behind_every_container_magic_never_ends_the_audit(tmp_path: Path) -> None:
    import os

    magics = [
        b"\x1f\x8b",
        b"BZh9",
        b"\xfd7zXZ\x00",
        b"PK\x03\x04",
        b"!<arch>\n",
        b"070701",
        b"\xed\xab\xee\xdb",
        b"\x28\xb5\x2f\xfd",
    ]
    for index in range(80):
        (tmp_path / f"f{index}").write_bytes(magics[index % len(magics)] + os.urandom(index * 7))
    result = audit([tmp_path])
    assert len(result.documents) + len(result.skipped) >= 80


def test_bzip2_and_xz_streams_are_opened(tmp_path: Path) -> None:
    import bz2
    import lzma

    (tmp_path / "a.json.bz2").write_bytes(bz2.compress(SBOM))
    (tmp_path / "b.json.xz").write_bytes(lzma.compress(SBOM))
    result = audit([tmp_path])
    assert {f.artifact.rsplit("!/", 1)[0].rsplit("/", 1)[-1] for f in result.findings} == {
        "a.json.bz2",
        "b.json.xz",
    }


def test_container_limits_are_configurable_on_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from auditor.cli import app

    data = SBOM
    for _ in range(3):
        data = gzip.compress(data)
    (tmp_path / "deep.gz").write_bytes(data)
    result = CliRunner().invoke(app, ["scan", str(tmp_path / "deep.gz"), "--max-depth", "1"])
    assert result.exit_code == 3 and "--max-depth" in result.output
    assert CliRunner().invoke(app, ["scan", str(tmp_path / "deep.gz")]).exit_code == 1


def test_a_small_compressed_member_opens_under_an_address_space_cap() -> None:
    """The decompressed stream is read in chunks: one read of the whole allowance would reserve
    gigabytes up front, and a --max-memory cap refused an 8 MiB member for it."""
    from tests.conftest import run_python

    script = (
        "import gzip, os, resource\n"
        "from auditor.ingest.containers import Budget, Limits, Member, expand\n"
        "data = gzip.compress(os.urandom(8 << 20))\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))\n"
        "limits = Limits(max_member_size=6 << 30, max_total=16 << 30, max_ratio=1000)\n"
        "out = list(expand('TEST.gz', data, Budget(limits)))\n"
        "assert [type(m).__name__ for m in out] == ['Member'], out\n"
        "assert len(out[0].data) == 8 << 20\n"
    )
    done = run_python(script, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_reading_a_stream_stops_past_its_limit_and_survives_short_reads() -> None:
    from auditor.ingest.blobs import Blob, spill

    class Trickle(io.BytesIO):  # returns at most 3 bytes a call, as a frame-wise reader may
        def read(self, size: int | None = -1) -> bytes:
            return super().read(min(3, size if size is not None and size >= 0 else 3))

    assert spill(Trickle(b"0123456789"), 10, keep=100) == b"0123456789"
    assert spill(Trickle(b"0123456789"), 9, keep=100) is None
    assert spill(io.BytesIO(b""), 5, keep=100) == b""
    # past ``keep`` the stream goes to a temporary file, under the same limit
    spilled = spill(Trickle(b"0123456789"), 10, keep=4)
    assert isinstance(spilled, Blob) and spilled.read_all() == b"0123456789"
    spilled.close()
    assert spill(Trickle(b"0123456789"), 9, keep=4) is None


def test_stored_members_do_not_count_as_expanded_bytes_but_decompressed_ones_do() -> None:
    """--max-expanded guards decompression: a tar's members are stretches of the tar itself,
    so a plain tar larger than the limit is opened whole; the same members zipped are not."""
    from auditor.ingest.containers import Budget, Member, Refused, expand

    members = {f"part-{i}-TEST.bin": bytes([i]) * 4000 for i in range(5)}
    limits = Limits(max_total=10_000)
    out = list(expand("plain-TEST.tar", tar_bytes(members), Budget(limits)))
    assert [type(item) for item in out] == [Member] * 5
    zipped = list(expand("zipped-TEST.zip", _zip(members), Budget(limits)))
    reasons = [item.reason for item in zipped if isinstance(item, Refused)]
    assert reasons and all("--max-expanded" in reason for reason in reasons)
