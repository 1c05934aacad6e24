"""Property tests: the container, file-system and inventory readers added for appliances never
crash on arbitrary bytes behind their magic numbers; they refuse with a reason instead."""

from __future__ import annotations

import os
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import UnreadableInput
from auditor.ingest.containers import Budget, Entry, Limits, Member, Refused, expand
from auditor.ingest.filesystems import embedded_filesystems, expand_filesystem
from auditor.ingest.gobuildinfo import GoBuildInfo, read_buildinfo
from auditor.ingest.msi import _strings, stream_name
from auditor.ingest.rpmdb_bdb import header_blobs
from auditor.models import SbomFormat

#: Brief in CI; raise with KASPERSKY_AUDIT_PROPERTY_EXAMPLES=2000 for a longer hunt.
FAST = settings(
    max_examples=int(os.environ.get("KASPERSKY_AUDIT_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
MAGICS = [
    b"\x1f\x8b",
    b"BZh9",
    b"\xfd7zXZ\x00",
    b"PK\x03\x04",
    b"!<arch>\n",
    b"070701",
    b"\x28\xb5\x2f\xfd",
    b"\x04\x22\x4d\x18",
    b"7z\xbc\xaf\x27\x1c",
    b"MSCF\0\0\0\0",
    b"hsqs",
    b"UBI#",
]


def _limits() -> Budget:
    return Budget(Limits(max_member_size=1 << 20, max_total=4 << 20, max_seconds=30))


@FAST
@given(st.sampled_from(MAGICS), st.binary(max_size=4096))
def test_containers_never_crash_on_garbage_behind_a_magic(magic: bytes, tail: bytes) -> None:
    for item in expand("x", magic + tail, _limits()):
        assert isinstance(item, (Member, Refused, Entry))


@FAST
@given(st.binary(max_size=2048), st.integers(min_value=0, max_value=4096))
def test_squashfs_and_ext_readers_refuse_corrupt_images(body: bytes, pad: int) -> None:
    superblock = struct.pack("<4sIIIIIHHHHHH", b"hsqs", 1, 0, 4096, 1, 1, 12, 0, 1, 0, 4, 0)
    squashfs = superblock + body
    for item in expand_filesystem("s", squashfs, "squashfs", _limits()):
        assert isinstance(item, (Member, Refused, Entry))
    ext = bytearray(b"\0" * 2048 + body)
    ext[1080:1082] = b"\x53\xef"
    for item in expand_filesystem("e", bytes(ext), "ext", _limits()):
        assert isinstance(item, (Member, Refused, Entry))


@FAST
@given(st.binary(min_size=0, max_size=20000))
def test_carving_never_crashes(data: bytes) -> None:
    for offset, kind, size in embedded_filesystems(data):
        assert 0 < offset < len(data) and kind and size >= 0


@FAST
@given(st.binary(max_size=512))
def test_go_build_info_reader_returns_a_result_or_a_reason(tail: bytes) -> None:
    found = read_buildinfo(b"\xff Go buildinf:" + tail)
    assert found is None or isinstance(found, (str, GoBuildInfo))


@FAST
@given(st.binary(max_size=16384))
def test_berkeley_db_reader_raises_only_what_its_caller_reports(body: bytes) -> None:
    data = bytearray(b"\0" * 512 + body)
    struct.pack_into("<I", data, 12, 0x061561)
    struct.pack_into("<I", data, 20, 512)
    try:
        list(header_blobs(bytes(data)))
    except (ValueError, struct.error, IndexError):
        pass


@FAST
@given(st.text(max_size=64))
def test_msi_stream_names_always_decode(name: str) -> None:
    assert isinstance(stream_name(name), str)


@FAST
@given(st.binary(max_size=512), st.binary(max_size=512))
def test_msi_string_pool_decoding_never_crashes(pool: bytes, data: bytes) -> None:
    strings, width = _strings(pool, data)
    assert strings[0] == "" and width in (2, 3)


@FAST
@given(
    st.sampled_from(
        [
            SbomFormat.APK_INSTALLED,
            SbomFormat.NPM_PACKAGE,
            SbomFormat.DOTNET_DEPS,
            SbomFormat.PACKAGE_FILE_LIST,
            SbomFormat.RPM_DATABASE,
            SbomFormat.JAVA_MANIFEST,
        ]
    ),
    st.binary(max_size=2048),
)
def test_inventory_readers_read_or_refuse(fmt: SbomFormat, data: bytes) -> None:
    from auditor.ingest.inventory import read

    path = {
        SbomFormat.APK_INSTALLED: "fs!/lib/apk/db/installed",
        SbomFormat.NPM_PACKAGE: "fs!/node_modules/x/package.json",
        SbomFormat.DOTNET_DEPS: "fs!/App.deps.json",
        SbomFormat.PACKAGE_FILE_LIST: "fs!/var/lib/dpkg/info/x.list",
        SbomFormat.RPM_DATABASE: "fs!/var/lib/rpm/Packages",
        SbomFormat.JAVA_MANIFEST: "fs!/META-INF/MANIFEST.MF",
    }[fmt]
    try:
        document = read(path, data, fmt)
    except UnreadableInput:
        return
    assert document.format is fmt


def test_a_zstd_frame_demanding_too_much_memory_is_refused() -> None:
    """Found by the property test above: zstandard raised ZstdError, which ended the input."""
    [refused] = list(expand("x.zst", b"(\xb5/\xfd\x00\x89", _limits()))
    assert isinstance(refused, Refused) and "cannot be decompressed" in refused.reason
