"""auditor.ingest.sniff: the content of a file decides its format, never its name."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from auditor.api import AuditOptions, InputFile, read_input
from auditor.ingest.sniff import sniff, to_utf8
from auditor.models import SbomDocument, SbomFormat

REPO = Path(__file__).resolve().parents[2]
CDX = REPO / "fixtures" / "sbom" / "cyclonedx"
JSON_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")
XML_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7")

SPDX_JSON = b"""{
  "spdxVersion": "SPDX-2.3",
  "dataLicense": "CC0-1.0",
  "SPDXID": "SPDXRef-DOCUMENT",
  "name": "TEST appliance",
  "documentNamespace": "https://test-integrator.example/spdx/appliance-1",
  "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: test-generator-1.0"]},
  "packages": [{"SPDXID": "SPDXRef-sdk", "name": "test-av-engine-sdk",
                "supplier": "Organization: TEST Vendor Ltd", "downloadLocation": "NOASSERTION"}]
}
"""

SPDX3_JSONLD = b"""{
  "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
  "@graph": [
    {"type": "CreationInfo", "@id": "_:creationinfo", "specVersion": "3.0.1",
     "created": "2024-01-01T00:00:00Z", "createdBy": ["https://test-integrator.example/agent"]},
    {"type": "software_Package", "spdxId": "https://test-integrator.example/pkg/sdk",
     "creationInfo": "_:creationinfo", "name": "test-av-engine-sdk"}
  ]
}
"""

SPDX_RDF = b"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:spdx="http://spdx.org/rdf/terms#">
  <spdx:SpdxDocument rdf:about="https://test-integrator.example/spdx/appliance-1#SPDXRef-DOCUMENT">
    <spdx:specVersion>SPDX-2.3</spdx:specVersion>
    <spdx:name>TEST appliance</spdx:name>
  </spdx:SpdxDocument>
</rdf:RDF>
"""

SPDX_XML = b"""<?xml version='1.0' encoding='UTF-8'?>
<Document>
  <SPDXID>SPDXRef-DOCUMENT</SPDXID>
  <spdxVersion>SPDX-2.3</spdxVersion>
  <name>TEST appliance</name>
</Document>
"""

SPDX_TAGVALUE = b"""## Document Information
SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: TEST appliance
DocumentNamespace: https://test-integrator.example/spdx/appliance-1

PackageName: test-av-engine-sdk
SPDXID: SPDXRef-sdk
PackageSupplier: Organization: TEST Vendor Ltd
"""

#: How every real SPDX YAML document looks (spdx-spec examples, spdx-tools output): the
#: document and each element carry an ``SPDXID:`` key.
SPDX_YAML = b"""spdxVersion: "SPDX-2.3"
dataLicense: "CC0-1.0"
SPDXID: "SPDXRef-DOCUMENT"
name: "TEST appliance"
documentNamespace: "https://test-integrator.example/spdx/appliance-1"
packages:
  - SPDXID: "SPDXRef-sdk"
    name: "test-av-engine-sdk"
    supplier: "Organization: TEST Vendor Ltd"
"""

#: An SPDX YAML without any SPDXID key: only the ``spdxVersion`` key marks it.
SPDX_YAML_MINIMAL = b"""spdxVersion: SPDX-2.3
dataLicense: CC0-1.0
name: TEST appliance
"""

CDX_JSON_SCHEMA_ONLY = b"""{
  "$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json",
  "components": [{"type": "library", "name": "test-av-engine-sdk"}]
}
"""

CDX_JSON_SPEC_VERSION_ONLY = b"""{
  "specVersion": "1.4",
  "version": 1,
  "components": [{"type": "library", "name": "test-av-engine-sdk"}]
}
"""

PACKAGE_JSON = b"""{
  "name": "@test-vendor/web-console",
  "version": "1.0.0",
  "description": "TEST console, not an SBOM",
  "dependencies": {"left-pad": "^1.3.0"},
  "devDependencies": {"typescript": "^5.4.0"}
}
"""

MAVEN_POM = b"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.test-vendor</groupId>
  <artifactId>test-sdk</artifactId>
</project>
"""


def cdx(version: str, ext: str) -> bytes:
    return (CDX / version / f"appliance.cdx.{ext}").read_bytes()


# --- SBOM formats are recognised by content ------------------------------------------------


@pytest.mark.parametrize("version", JSON_VERSIONS)
def test_cyclonedx_json_fixture_of_each_version_is_cyclonedx_json(version: str) -> None:
    assert sniff(cdx(version, "json")).format is SbomFormat.CYCLONEDX_JSON


@pytest.mark.parametrize("version", XML_VERSIONS)
def test_cyclonedx_xml_of_each_namespace_is_cyclonedx_xml(version: str) -> None:
    data = cdx(version, "xml")
    assert f'xmlns="http://cyclonedx.org/schema/bom/{version}"'.encode() in data
    assert sniff(data).format is SbomFormat.CYCLONEDX_XML


def test_cyclonedx_json_without_bomformat_is_recognised_by_its_schema_url() -> None:
    assert b"bomFormat" not in CDX_JSON_SCHEMA_ONLY
    assert sniff(CDX_JSON_SCHEMA_ONLY).format is SbomFormat.CYCLONEDX_JSON


def test_json_with_spec_version_and_components_is_cyclonedx_json() -> None:
    assert sniff(CDX_JSON_SPEC_VERSION_ONLY).format is SbomFormat.CYCLONEDX_JSON


def test_cyclonedx_xml_with_a_namespace_prefix_is_cyclonedx_xml() -> None:
    data = (
        b'<?xml version="1.0"?>\n<!-- generated by a TEST tool -->\n'
        b'<cdx:bom xmlns:cdx="http://cyclonedx.org/schema/bom/1.4" version="1"/>'
    )
    assert sniff(data).format is SbomFormat.CYCLONEDX_XML


@pytest.mark.parametrize(
    "name",
    [
        "billion-laughs.cdx.xml",
        "xxe-passwd.cdx.xml",
        "xxe-parameter-entity.cdx.xml",
        "external-dtd.cdx.xml",
    ],
)
def test_cyclonedx_xml_behind_a_doctype_with_an_internal_subset_is_cyclonedx_xml(
    name: str,
) -> None:
    """So the reader, not the sniffer, refuses the entities, with the reason that says so."""
    data = (REPO / "fixtures" / "hostile" / name).read_bytes()
    assert b"<!DOCTYPE" in data
    assert sniff(data).format is SbomFormat.CYCLONEDX_XML


def test_spdx_json_is_spdx_json() -> None:
    assert sniff(SPDX_JSON).format is SbomFormat.SPDX_JSON


def test_spdx3_json_ld_is_spdx3() -> None:
    assert sniff(SPDX3_JSONLD).format is SbomFormat.SPDX3_JSONLD


def test_spdx_rdf_xml_is_spdx_rdf() -> None:
    assert sniff(SPDX_RDF).format is SbomFormat.SPDX_RDF


def test_spdx_xml_is_spdx_xml() -> None:
    assert sniff(SPDX_XML).format is SbomFormat.SPDX_XML


def test_spdx_tag_value_is_spdx_tag_value() -> None:
    assert sniff(SPDX_TAGVALUE).format is SbomFormat.SPDX_TAGVALUE


def test_spdx_yaml_marked_only_by_spdxversion_is_spdx_yaml() -> None:
    assert sniff(SPDX_YAML_MINIMAL).format is SbomFormat.SPDX_YAML


def test_spdx_yaml_with_spdxid_keys_is_spdx_yaml() -> None:
    assert sniff(SPDX_YAML).format is SbomFormat.SPDX_YAML


# --- encodings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
        ("utf-32-be", codecs.BOM_UTF32_BE),
        ("utf-8", codecs.BOM_UTF8),
    ],
)
def test_to_utf8_reencodes_text_that_starts_with_a_byte_order_mark(
    encoding: str, bom: bytes
) -> None:
    text = '{"name": "TEST Vendor Ltd \u00e9\u00e8 \u4e2d"}'
    assert to_utf8(bom + text.encode(encoding)) == text.encode("utf-8")


def test_to_utf8_leaves_plain_utf8_alone() -> None:
    data = '{"name": "caf\u00e9"}'.encode()
    assert to_utf8(data) == data


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("cyclonedx-json-utf16le", cdx("1.6", "json"), SbomFormat.CYCLONEDX_JSON),
        ("cyclonedx-xml-utf16be", cdx("1.5", "xml"), SbomFormat.CYCLONEDX_XML),
        ("spdx-json-utf16le", SPDX_JSON, SbomFormat.SPDX_JSON),
        ("spdx-tag-value-utf16le", SPDX_TAGVALUE, SbomFormat.SPDX_TAGVALUE),
    ],
)
def test_utf16_files_with_a_byte_order_mark_are_sniffed_by_their_text(
    name: str, data: bytes, expected: SbomFormat
) -> None:
    encoded = data.decode("utf-8").encode("utf-16-be" if name.endswith("be") else "utf-16-le")
    bom = codecs.BOM_UTF16_BE if name.endswith("be") else codecs.BOM_UTF16_LE
    assert sniff(bom + encoded).format is expected


def test_utf8_byte_order_mark_and_leading_whitespace_do_not_hide_the_format() -> None:
    assert sniff(codecs.BOM_UTF8 + b"\n\n  " + cdx("1.4", "json")).format is (
        SbomFormat.CYCLONEDX_JSON
    )


# --- not SBOMs: None, always with a reason -------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason_has"),
    [
        (PACKAGE_JSON, "JSON"),
        (b'{"hello": "world", "items": [1, 2, 3]}', "JSON"),
        (b"[1, 2, 3]", "JSON"),
        (MAVEN_POM, "project"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)), "binary"),
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64, "binary"),
        (b"", "empty"),
        (b" \n\t\r\n ", "empty"),
        (b"just some prose, no SBOM here\n", "not JSON"),
    ],
    ids=[
        "package.json",
        "random-json-object",
        "random-json-array",
        "maven-pom",
        "zip",
        "elf",
        "empty",
        "whitespace-only",
        "prose",
    ],
)
def test_content_that_is_not_an_sbom_gives_none_and_a_reason(data: bytes, reason_has: str) -> None:
    result = sniff(data)
    assert result.format is None
    assert reason_has in result.reason
    assert "\n" not in result.reason


def test_prose_that_mentions_spdxid_is_not_an_sbom() -> None:
    note = b"# Release notes\n\nEvery package now has an SPDXID: see the generator docs.\n"
    assert sniff(note).format is None


def test_cyclonedx_xml_with_a_stylesheet_processing_instruction_is_cyclonedx_xml() -> None:
    data = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<?xml-stylesheet type="text/xsl" href="bom.xsl"?>\n'
        b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1"/>\n'
    )
    assert sniff(data).format is SbomFormat.CYCLONEDX_XML


def test_cyclonedx_json_whose_format_keys_come_after_64_kib_is_cyclonedx_json() -> None:
    components = [
        {"type": "library", "name": f"lib{i}", "version": "1.0.0", "purl": f"pkg:npm/lib{i}@1.0.0"}
        for i in range(1500)
    ]
    data = json.dumps(
        {"components": components, "bomFormat": "CycloneDX", "specVersion": "1.5"}
    ).encode()
    assert len(data) > 64 * 1024
    assert sniff(data).format is SbomFormat.CYCLONEDX_JSON


# --- the file name plays no part ------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "content", "expected"),
    [
        ("bom.spdx.json", cdx("1.6", "xml"), SbomFormat.CYCLONEDX_XML),
        ("sbom.spdx", cdx("1.5", "json"), SbomFormat.CYCLONEDX_JSON),
        ("README.md", cdx("1.4", "json"), SbomFormat.CYCLONEDX_JSON),
        ("bom.cdx.xml", cdx("1.7", "json"), SbomFormat.CYCLONEDX_JSON),
    ],
)
def test_the_file_name_never_decides_the_format(
    tmp_path: Path, file_name: str, content: bytes, expected: SbomFormat
) -> None:
    path = tmp_path / file_name
    path.write_bytes(content)
    result = read_input(InputFile(path, file_name, explicit=True), AuditOptions())
    assert isinstance(result, tuple), result
    document = result[0]
    assert isinstance(document, SbomDocument)
    assert document.format is expected
    assert document.name == "test-secure-gateway"


def test_a_file_named_like_an_sbom_but_holding_package_json_is_not_an_sbom(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bom.cdx.json"
    path.write_bytes(PACKAGE_JSON)
    result = read_input(InputFile(path, "bom.cdx.json", explicit=True), AuditOptions())
    assert not isinstance(result, tuple)
    assert "not an SBOM" in result.reason
