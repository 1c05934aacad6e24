""".NET assembly identity from CLR metadata: the TEST assemblies built by
fixtures/binaries/build_dotnet.sh, malformed input, and the facts the binary reader adds."""

from __future__ import annotations

import os
import random
import struct

import pytest

from auditor.api import audit
from auditor.ingest.binary import extract
from auditor.ingest.dotnet import read_identity
from auditor.models import FieldKind
from tests.conftest import FIXTURES, REPO

DOTNET = FIXTURES / "binaries" / "dotnet"
KASPERSKY = DOTNET / "test-kaspersky-namespace.dll"
CLEAN = DOTNET / "test-clean.dll"
TOKEN = "e08e2759b41b84d6"  # sn -T; the TEST key is derived from a fixed label


def test_signed_assembly_identity() -> None:
    identity = read_identity(KASPERSKY.read_bytes())
    assert identity is not None
    assert identity.problems == []
    assert identity.name == "test-kaspersky-namespace"
    assert identity.version == "1.2.3.4"
    assert identity.culture is None
    assert identity.public_key_token == TOKEN
    assert identity.namespaces == ["Kaspersky.TestFixture"]
    assert identity.references == ["mscorlib"]


def test_unsigned_assembly_identity() -> None:
    identity = read_identity(CLEAN.read_bytes())
    assert identity is not None
    assert identity.problems == []
    assert identity.name == "test-clean"
    assert identity.version == "2.0.0.0"
    assert identity.public_key_token is None
    assert identity.namespaces == ["Example.Templates"]
    assert identity.references == ["mscorlib"]


@pytest.mark.parametrize(
    "name", ["test-clean.exe", "test-kaspersky-product.exe", "test-truncated.exe"]
)
def test_native_pe_is_not_dotnet(name: str) -> None:
    assert read_identity((FIXTURES / "binaries" / "pe" / name).read_bytes()) is None


@pytest.mark.parametrize("data", [b"", b"MZ", b"MZ" + b"\x00" * 62, b"\x7fELF" + bytes(200)])
def test_garbage_is_not_dotnet(data: bytes) -> None:
    assert read_identity(data) is None


def test_every_truncation_is_handled() -> None:
    data = KASPERSKY.read_bytes()
    whole = read_identity(data)
    partial = 0
    for end in range(len(data)):
        identity = read_identity(data[:end])
        if identity is not None and identity != whole:
            assert identity.problems  # less than the whole identity: said why
            partial += 1
    assert partial  # some cuts keep the CLR header but lose the metadata


def test_random_corruption_never_raises() -> None:
    rng = random.Random(1234)
    for source in (KASPERSKY, CLEAN):
        original = source.read_bytes()
        start = original.find(b"BSJB")
        assert start > 0
        for _ in range(1500):
            data = bytearray(original)
            for _ in range(rng.randint(1, 8)):
                at = rng.randrange(start, min(len(data), start + 0x400))
                data[at] = rng.randrange(256)
            read_identity(bytes(data))  # any result, no exception
        for _ in range(200):
            read_identity(b"MZ" + os.urandom(rng.randint(0, 4096)))


def test_broken_metadata_signature_gives_partial_result_with_a_problem() -> None:
    data = KASPERSKY.read_bytes().replace(b"BSJB", b"XXXX", 1)
    identity = read_identity(data)
    assert identity is not None
    assert identity.name is None
    assert any("BSJB" in p for p in identity.problems)


def test_oversized_row_count_is_reported_not_raised() -> None:
    data = bytearray(CLEAN.read_bytes())
    root = data.find(b"BSJB")
    version_length = struct.unpack_from("<I", data, root + 12)[0]
    at = root + 16 + ((version_length + 3) & ~3) + 4
    tables = None
    for _ in range(struct.unpack_from("<H", data, at - 2)[0]):
        offset = struct.unpack_from("<I", data, at)[0]
        end = data.index(b"\x00", at + 8)
        if data[at + 8 : end] == b"#~":
            tables = root + offset
        at = (end + 4) & ~3
    assert tables is not None
    # rows[] begins at +24, Module first; TypeDef is the second present table
    struct.pack_into("<I", data, tables + 24 + 8, 0x7FFFFFFF)
    identity = read_identity(bytes(data))
    assert identity is not None
    assert identity.problems


def test_binary_reader_adds_dotnet_facts() -> None:
    out = extract(KASPERSKY.name, KASPERSKY.read_bytes(), [])
    facts = {(FieldKind(k), v, w) for k, v, w, _ in out.facts}
    assert (FieldKind.NAME, "test-kaspersky-namespace", "/dotnet/assembly/name") in facts
    assert (FieldKind.TEXT, "version=1.2.3.4", "/dotnet/assembly/version") in facts
    assert (
        FieldKind.SWID,
        f"publicKeyToken={TOKEN}",
        "/dotnet/assembly/publicKeyToken",
    ) in facts
    assert (
        FieldKind.EVIDENCE,
        "Kaspersky.TestFixture",
        "/dotnet/namespaces/Kaspersky.TestFixture",
    ) in facts
    assert (FieldKind.FILENAME, "mscorlib.dll", "/dotnet/references/mscorlib") in facts
    assert out.problems == []


def test_native_pe_gets_no_dotnet_facts() -> None:
    data = (FIXTURES / "binaries" / "pe" / "test-clean.exe").read_bytes()
    out = extract("test-clean.exe", data, [])
    assert not [f for f in out.facts if f[2].startswith("/dotnet/")]


def test_audit_reads_the_namespace_fact() -> None:
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        result = audit(["fixtures/binaries/dotnet"])
    finally:
        os.chdir(cwd)
    documents = {d.name: d.realized() for d in result.documents}
    document = documents["test-kaspersky-namespace.dll"]
    facts = {(f.field, f.value, f.where) for c in document.components for f in c.facts}
    assert (
        FieldKind.EVIDENCE,
        "Kaspersky.TestFixture",
        "/dotnet/namespaces/Kaspersky.TestFixture",
    ) in facts
    assert not document.problems
