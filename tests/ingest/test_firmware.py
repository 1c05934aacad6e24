"""Firmware, file systems and images: the committed appliance fixtures (built by
fixtures/appliance/build.py) are unpacked to the last level and audited where things sit."""

from __future__ import annotations

import io
import lzma
import struct
import tarfile
from pathlib import Path

import pytest

from auditor.api import AuditOptions, audit
from auditor.ingest.containers import Budget, Entry, Limits, Member, Refused
from auditor.ingest.filesystems import embedded_filesystems, expand_filesystem, filesystem_kind
from auditor.models import AuditResult, Level
from tests.conftest import FIXTURES

APPLIANCE = FIXTURES / "appliance"
IMAGES = FIXTURES / "images"
HOSTILE = FIXTURES / "hostile" / "archives"
SBOM = (FIXTURES / "demo" / "securegate-appliance.cdx.json").read_bytes()


def _serious(result: AuditResult) -> list[str]:
    return sorted(f.artifact for f in result.findings if f.level is not Level.NOTE)


def _indicators(result: AuditResult, artifact_suffix: str) -> set[str]:
    return {
        hit.indicator_id
        for finding in result.findings
        if finding.artifact.endswith(artifact_suffix)
        for hit in finding.hits
    }


def test_appliance_firmware_is_carved_and_audited_to_the_innermost_library() -> None:
    result = audit([APPLIANCE / "securegate-fw-TEST.bin"], AuditOptions(display_base=FIXTURES))
    assert result.complete
    fs = "appliance/securegate-fw-TEST.bin!/ext@0x200"
    engine = (
        f"{fs}!/var/cache/apt/archives/acme-av-engine_2.1-TEST_amd64.deb!/data.tar.xz"
        "!/data.tar!/opt/acme/engine/sdk-bundle.zip!/lib/libacme-engine.so"
    )
    assert _serious(result) == sorted(
        [fs, engine, f"{fs}!/var/lib/dpkg/status", f"{fs}!/var/lib/dpkg/info/kesl.list"]
    )
    [kesl] = [f for f in result.findings if f.artifact.endswith("dpkg/status")]
    assert kesl.component.name == "kesl" and kesl.region is not None
    assert kesl.region.start_line == 25  # the paragraph of the kesl package
    assert "KL-ART-002" in _indicators(result, "libacme-engine.so")  # Scan Engine install path
    # the file list of the installed package is inventory evidence on the file system itself
    assert "KL-PKG-004" in _indicators(result, "ext@0x200")


def test_look_alikes_in_the_appliance_firmware_are_not_flagged() -> None:
    result = audit([APPLIANCE / "securegate-fw-TEST.bin"])
    names = {f.component.name for f in result.findings}
    assert not names & {"busybox", "kasper-dashboard", "acme-av-engine", "acme-cli"}


def test_a_benign_firmware_with_look_alikes_passes() -> None:
    result = audit([APPLIANCE / "benign-fw-TEST.bin"])
    assert result.complete
    assert _serious(result) == []
    # the competitor uninstaller is seen, and only mentioned
    assert any(f.artifact.endswith("uninstall-competitors.exe") for f in result.findings)


def test_router_firmware_squashfs_behind_a_uimage_header_names_the_opkg_package() -> None:
    result = audit([APPLIANCE / "edge-router-fw-TEST.bin"], AuditOptions(display_base=FIXTURES))
    assert result.complete  # the link loop a -> b -> a is inventoried, never followed
    status = [f for f in result.findings if f.artifact.endswith("!/usr/lib/opkg/status")]
    assert [f.component.name for f in status] == ["kavhttpd"]
    assert status[0].artifact.startswith("appliance/edge-router-fw-TEST.bin!/squashfs@0x")


@pytest.mark.parametrize(
    "image", ["docker-save-TEST.tar", "oci-layout-TEST.tar", "oci-layout-TEST"]
)
def test_an_image_whose_middle_layer_adds_kaspersky_is_reported_in_that_layer(image: str) -> None:
    result = audit([IMAGES / image], AuditOptions(display_base=FIXTURES))
    assert result.complete
    [library] = [f for f in result.findings if f.artifact.endswith("libtest-kav-wrapper.so")]
    assert f"images/{image}!/layer 2 " in library.artifact
    assert "/opt/kaspersky/kesl/lib/" in library.artifact
    assert "deleted by layer 3" in library.message
    [inventory] = [f for f in result.findings if f.artifact == f"images/{image}"]
    assert "KL-ART-001" in {hit.indicator_id for hit in inventory.hits}


def test_an_oci_layout_directory_found_while_walking_is_one_image(tmp_path: Path) -> None:
    result = audit([IMAGES], AuditOptions(display_base=FIXTURES))
    layouts = {f.artifact.split("!/", 1)[0] for f in result.findings}
    assert layouts == {
        "images/docker-save-TEST.tar",
        "images/oci-layout-TEST.tar",
        "images/oci-layout-TEST",
    }


def test_hostile_archives_end_with_a_reason_while_the_findings_beside_them_stand() -> None:
    result = audit([HOSTILE / "mixed-TEST.zip"], AuditOptions(display_base=FIXTURES))
    [bomb] = result.not_inspected
    assert bomb.path.endswith("!/bomb-1gib-TEST.bz2")
    assert "bomb" in bomb.reason
    places = {f.artifact.rsplit("!/", 1)[-1] for f in result.findings if f.level is Level.ERROR}
    assert {"sbom/supplier.cdx.json", "../../../../tmp/evil-TEST.cdx.json"} <= places
    assert not result.complete


def test_traversal_names_and_escaping_links_are_only_labels(tmp_path: Path) -> None:
    before = set(tmp_path.iterdir())
    result = audit([HOSTILE / "traversal-TEST.tar"])
    assert result.findings and result.complete
    assert set(tmp_path.iterdir()) == before
    assert not Path("/tmp/evil-TEST.cdx.json").exists()


def test_a_standalone_bomb_is_refused_after_reading_a_bounded_amount() -> None:
    result = audit([HOSTILE / "bomb-1gib-TEST.bz2"])
    [bomb] = result.not_inspected
    assert "expands beyond" in bomb.reason


def test_a_truncated_firmware_image_is_reported_not_inspected(tmp_path: Path) -> None:
    data = (APPLIANCE / "securegate-fw-TEST.bin").read_bytes()
    (tmp_path / "cut.bin").write_bytes(data[: 0x200 + 64 * 1024])
    result = audit([tmp_path / "cut.bin"])
    assert not result.complete  # never silently clean
    assert any(
        s.path.endswith("cut.bin!/ext@0x200") and "truncated: 2097152 bytes declared" in s.reason
        for s in result.not_inspected
    )


def test_a_corrupted_file_system_never_ends_the_audit(tmp_path: Path) -> None:
    data = bytearray((APPLIANCE / "edge-router-fw-TEST.bin").read_bytes())
    [(offset, kind, _size)] = embedded_filesystems(bytes(data))
    assert kind == "squashfs"
    data[offset + 96 : offset + 400] = b"\xff" * 304  # smash the metadata after the superblock
    (tmp_path / "bad.bin").write_bytes(bytes(data))
    (tmp_path / "bom.cdx.json").write_bytes(SBOM)
    result = audit([tmp_path])
    assert result.not_inspected
    assert any(f.artifact.endswith("bom.cdx.json") for f in result.findings)


def test_file_systems_are_recognised_at_the_start_and_inside_blobs() -> None:
    router = (APPLIANCE / "edge-router-fw-TEST.bin").read_bytes()
    [(offset, kind, size)] = embedded_filesystems(router)
    assert filesystem_kind(router[offset : offset + size]) == "squashfs"
    firmware = (APPLIANCE / "securegate-fw-TEST.bin").read_bytes()
    assert embedded_filesystems(firmware)[0][:2] == (0x200, "ext")
    assert filesystem_kind(firmware[0x200:]) == "ext"
    # a random blob with the magic bytes but no plausible superblock is not a file system
    assert embedded_filesystems(b"\0" * 5000 + b"hsqs" + b"\1" * 5000) == []


def test_file_systems_no_library_reads_are_reported_not_passed_over() -> None:
    budget = Budget(Limits())
    for magic in (b"UBI#", b"\x85\x19\x03\x20", b"\x31\x18\x10\x06"):
        kind = filesystem_kind(magic + b"\0" * 8192)
        assert kind is not None
        [refused] = list(expand_filesystem("x.img", magic + b"\0" * 8192, kind, budget))
        assert isinstance(refused, Refused) and "unblob extracted nothing" in refused.reason
    cramfs = struct.pack("<I", 0x28CD3D45) + b"\0" * 12 + b"Compressed ROMFS" + b"\0" * 8192
    assert filesystem_kind(cramfs) == "cramfs"


def test_members_of_a_file_system_come_in_path_order_with_links_as_entries() -> None:
    router = (APPLIANCE / "edge-router-fw-TEST.bin").read_bytes()
    [(offset, kind, size)] = embedded_filesystems(router)
    items = list(expand_filesystem("fw", router[offset : offset + size], kind, Budget(Limits())))
    names = [item.display for item in items]
    assert names == sorted(names)
    links = {item.display: item.target for item in items if isinstance(item, Entry)}
    assert links["fw!/loop/a"] == "/loop/b" and links["fw!/sbin/init"] == "/bin/busybox"
    assert any(
        isinstance(item, Member) and item.display == "fw!/usr/lib/opkg/status" for item in items
    )


def test_zstd_and_lz4_streams_are_opened(tmp_path: Path) -> None:
    import lz4.frame
    import zstandard

    (tmp_path / "a.json.zst").write_bytes(zstandard.ZstdCompressor().compress(SBOM))
    (tmp_path / "b.json.lz4").write_bytes(lz4.frame.compress(SBOM))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("bom.cdx.json")
        info.size = len(SBOM)
        archive.addfile(info, io.BytesIO(SBOM))
    (tmp_path / "c.tar.zst").write_bytes(zstandard.ZstdCompressor().compress(buffer.getvalue()))
    result = audit([tmp_path])
    tops = {f.artifact.split("!/", 1)[0].rsplit("/", 1)[-1] for f in result.findings}
    assert tops == {"a.json.zst", "b.json.lz4", "c.tar.zst"}
    assert result.complete


def test_the_time_limit_per_input_is_reported_when_hit() -> None:
    options = AuditOptions(container_limits=Limits(max_seconds=0))
    result = audit([APPLIANCE / "securegate-fw-TEST.bin"], options)
    assert any("--max-seconds" in s.reason for s in result.not_inspected)
    assert not result.complete


def test_lzma_alone_is_not_mistaken_for_a_file_system() -> None:
    assert filesystem_kind(lzma.compress(b"x" * 10000)) is None


def test_installer_media_iso_and_7z_are_opened_to_the_library_inside() -> None:
    result = audit([APPLIANCE / "installer-media-TEST.iso"], AuditOptions(display_base=FIXTURES))
    assert result.complete
    assert _serious(result) == [
        "appliance/installer-media-TEST.iso!/setup/agent.7z!/lib/libacme-engine.so"
    ]


def test_an_encrypted_7z_is_reported_not_inspected() -> None:
    result = audit([HOSTILE / "encrypted-TEST.7z"])
    [skipped] = result.not_inspected
    assert "encrypted" in skipped.reason and "password" in skipped.reason


def test_a_7z_bomb_is_refused_before_decompression(tmp_path: Path) -> None:
    import py7zr

    with py7zr.SevenZipFile(tmp_path / "bomb.7z", "w") as archive:
        archive.writestr(b"\0" * (16 << 20), "zeros.bin")
        archive.writestr(SBOM, "bom.cdx.json")
    result = audit([tmp_path / "bomb.7z"])
    [skipped] = result.not_inspected
    assert "ratio" in skipped.reason


def test_garbage_behind_iso_and_7z_signatures_is_reported(tmp_path: Path) -> None:
    iso = bytearray((APPLIANCE / "installer-media-TEST.iso").read_bytes())
    iso[0x8050:0x8100] = b"\xff" * 0xB0  # smash the primary volume descriptor
    (tmp_path / "bad.iso").write_bytes(bytes(iso))
    (tmp_path / "bad.7z").write_bytes(b"7z\xbc\xaf\x27\x1c" + b"\x00\x04" + b"\xff" * 200)
    result = audit([tmp_path])
    assert {s.path.rsplit("/", 1)[-1] for s in result.not_inspected} >= {"bad.iso", "bad.7z"}


def test_an_msi_is_a_package_record_and_a_container_of_its_cabinets() -> None:
    options = AuditOptions(display_base=FIXTURES)
    acme = audit([APPLIANCE / "acme-endpoint-agent-TEST.msi"], options)
    assert acme.complete
    assert _serious(acme) == ["appliance/acme-endpoint-agent-TEST.msi!/agent.cab!/acmeav.dll"]
    kaspersky = audit([APPLIANCE / "kaspersky-product-TEST.msi"], options)
    [record] = [f for f in kaspersky.findings if f.artifact.endswith(".msi")]
    assert record.component.name == "Kaspersky Anti-Virus TEST fixture"
    assert "KL-NAME-001" in {hit.indicator_id for hit in record.hits}  # AO Kaspersky Lab
    assert "/Property/Manufacturer" in {hit.where for hit in record.hits}  # the Property table
    assert record.component.version == "21.3.TEST"  # ProductVersion
    assert any(f.artifact.endswith("!/product.cab!/avp.exe") for f in kaspersky.findings)
    lookalike = audit([APPLIANCE / "kasper-notes-TEST.msi"], options)
    assert lookalike.complete and _serious(lookalike) == []


def test_the_msi_property_table_is_decoded_from_the_string_pool() -> None:
    from auditor.ingest.msi import msi_properties

    properties = msi_properties((APPLIANCE / "acme-endpoint-agent-TEST.msi").read_bytes())
    assert properties == {
        "Manufacturer": "TEST Acme Networks Inc.",
        "ProductName": "TEST Acme Endpoint Agent",
        "ProductVersion": "3.2.0",
    }


def test_msi_stream_names_are_shown_as_written() -> None:
    from auditor.ingest.msi import stream_name

    assert stream_name("\u42a4\u4468\u47b7\u4126\u4825") == "agent.cab"
    assert stream_name("\u4840\u3f3f\u4577\u446c\u3b6a\u45e4\u4824") == "!_StringData"


def test_a_cabinet_declaring_a_huge_expansion_is_refused(tmp_path: Path) -> None:
    from auditor.ingest.cabinet import MAGIC

    header = bytearray(MAGIC + b"\0" * 28)
    struct.pack_into("<I", header, 16, 36)  # file table right after the header
    struct.pack_into("<H", header, 28, 1)  # one file
    entry = struct.pack("<IIHHHH", 3 << 30, 0, 0, 0, 0, 0x20) + b"huge.bin\0"
    (tmp_path / "bomb.cab").write_bytes(bytes(header) + entry + b"\0" * 64)
    result = audit([tmp_path / "bomb.cab"])
    [skipped] = result.not_inspected
    assert "ratio" in skipped.reason


def test_jffs2_firmware_is_opened_through_unblob_in_a_private_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    result = audit([APPLIANCE / "netcam-fw-TEST.bin"], AuditOptions(display_base=FIXTURES))
    [finding] = [f for f in result.findings if f.level is not Level.NOTE]
    assert finding.artifact == "appliance/netcam-fw-TEST.bin!/jffs2_new@0x100!/usr/lib/opkg/status"
    assert finding.component.name == "kavicapd"
    assert list(tmp_path.iterdir()) == []  # unblob's private directory is gone


def test_without_the_firmware_extra_unknown_formats_say_how_to_open_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import auditor.ingest.unblob_bridge

    monkeypatch.setattr(auditor.ingest.unblob_bridge, "unblob_available", lambda: False)
    result = audit([APPLIANCE / "netcam-fw-TEST.bin"])
    [skipped] = result.not_inspected
    assert "kaspersky-sbom-auditor[firmware]" in skipped.reason
    budget = Budget(Limits())
    [refused] = list(expand_filesystem("u.img", b"UBI#" + b"\0" * 8192, "UBI volume", budget))
    assert isinstance(refused, Refused) and "[firmware]" in refused.reason


def test_unblob_is_not_started_when_the_time_for_the_input_is_spent() -> None:
    from auditor.ingest.unblob_bridge import extract_with_unblob

    data = (APPLIANCE / "netcam-fw-TEST.bin").read_bytes()
    [refused] = list(extract_with_unblob("fw", data, Budget(Limits(max_seconds=0))))
    assert isinstance(refused, Refused) and "time limit" in refused.reason
