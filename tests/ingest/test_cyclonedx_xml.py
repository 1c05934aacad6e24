"""The CycloneDX XML reader: namespaces 1.0-1.7, line numbers, hostile XML, corpus."""

from __future__ import annotations

import codecs
import importlib.util
import inspect
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from auditor.errors import UnreadableInput
from auditor.ingest import cyclonedx_json, cyclonedx_xml
from auditor.ingest.sniff import sniff
from auditor.models import Component, ComponentKind, Fact, FieldKind, SbomDocument, SbomFormat

REPO = Path(__file__).resolve().parents[2]
CDX = REPO / "fixtures" / "sbom" / "cyclonedx"
HOSTILE = REPO / "fixtures" / "hostile"
CORPUS = REPO / ".." / "shared" / "corpus"
VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7")
WITH_METADATA = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")

F = FieldKind
C = ComponentKind.COMPONENT
S = ComponentKind.SERVICE
D = ComponentKind.DOCUMENT


def facts_of(component: Component) -> tuple[Fact, ...]:
    """The record's facts, extracted if the reader deferred them."""
    realized = getattr(component, "realized", None)
    return realized().facts if callable(realized) else component.facts


def pairs(component: Component) -> list[tuple[FieldKind, str]]:
    return [(fact.field, fact.value) for fact in facts_of(component)]


def fixture_path(version: str, ext: str = "xml") -> Path:
    return CDX / version / f"appliance.cdx.{ext}"


def read_fixture(version: str) -> SbomDocument:
    path = fixture_path(version)
    return cyclonedx_xml.read(str(path), path.read_bytes())


def read_xml(text: str) -> SbomDocument:
    return cyclonedx_xml.read("test.cdx.xml", text.encode())


def by_ref(document: SbomDocument, ref: str) -> Component:
    matches = [c for c in document.components if c.ref == ref]
    assert len(matches) == 1, f"{ref!r}: {len(matches)} records"
    return matches[0]


def hostile_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_hostile", HOSTILE / "make_hostile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def xml_pointer(json_pointer: str) -> str:
    """'/components/0/components/1' -> '/bom/components/component[1]/components/component[2]'."""
    tokens = json_pointer.split("/")[1:]
    out = "/bom"
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if index + 1 < len(tokens) and tokens[index + 1].isdigit():
            out += f"/{token}/{token[:-1]}[{int(tokens[index + 1]) + 1}]"
            index += 2
        else:
            out += f"/{token}"
            index += 1
    return out


# --- structure -------------------------------------------------------------------------------

#: (ref, kind, name, parent, JSON-style pointer), depth-first in document order (1.2 and later).
SKELETON: list[tuple[str, ComponentKind, str, str | None, str]] = [
    ("#metadata", D, "SBOM metadata", None, "/metadata"),
    ("app", C, "test-secure-gateway", None, "/metadata/component"),
    ("app-ui", C, "gateway-web-ui", "app", "/metadata/component/components/0"),
    ("sdk", C, "test-av-engine-sdk", None, "/components/0"),
    ("scan-core", C, "scan-core", "sdk", "/components/0/components/0"),
    ("sigdb", C, "signature-db", "sdk", "/components/0/components/1"),
    ("sig-parser", C, "sig-parser", "sigdb", "/components/0/components/1/components/0"),
    ("zlib", C, "zlib", "sig-parser", "/components/0/components/1/components/0/components/0"),
    ("crypto", C, "test-crypto", None, "/components/1"),
    ("algo-aes", C, "AES-256-GCM", None, "/components/2"),  # 1.6 and later only
    ("svc-update", S, "test-update-service", None, "/services/0"),
    ("svc-telemetry", S, "test-telemetry", "svc-update", "/services/0/services/0"),
]

_C1 = "/bom/components/component[1]"
_SIGDB = f"{_C1}/components/component[2]"
_PARSER = f"{_SIGDB}/components/component[1]"
#: 1.0 has no bom-ref: records are known by their pointers. (ref, name, parent, line)
V10: list[tuple[str, str, str | None, int]] = [
    (_C1, "test-av-engine-sdk", None, 4),
    (f"{_C1}/components/component[1]", "scan-core", _C1, 23),
    (_SIGDB, "signature-db", _C1, 31),
    (_PARSER, "sig-parser", _SIGDB, 36),
    (f"{_PARSER}/components/component[1]", "zlib", _PARSER, 41),
    ("/bom/components/component[2]", "test-crypto", None, 53),
]


def expected_skeleton(version: str) -> list[tuple[str, ComponentKind, str, str | None, str]]:
    rows = [row for row in SKELETON if row[0] != "algo-aes" or version in ("1.6", "1.7")]
    return [(ref, kind, name, parent, xml_pointer(ptr)) for ref, kind, name, parent, ptr in rows]


@pytest.mark.parametrize("version", VERSIONS)
def test_each_namespace_version_reads_cleanly(version: str) -> None:
    data = fixture_path(version).read_bytes()
    assert f'xmlns="http://cyclonedx.org/schema/bom/{version}"'.encode() in data
    document = read_fixture(version)
    assert document.format is SbomFormat.CYCLONEDX_XML
    assert document.spec_version == version
    assert document.problems == ()


@pytest.mark.parametrize("version", WITH_METADATA)
def test_records_come_depth_first_in_document_order_with_parents_and_pointers(
    version: str,
) -> None:
    document = read_fixture(version)
    got = [(c.ref, c.kind, c.name, c.parent, c.pointer) for c in document.components]
    assert got == expected_skeleton(version)


def test_spec_1_0_components_without_bom_ref_are_known_by_pointer() -> None:
    document = read_fixture("1.0")
    assert [(c.ref, c.name, c.parent, c.line) for c in document.components] == V10
    assert [c.pointer for c in document.components] == [row[0] for row in V10]
    assert {c.kind for c in document.components} == {C}
    assert document.roots == () and document.edges == ()


def test_spec_1_1_nesting_and_dependency_graph_extension() -> None:
    document = read_fixture("1.1")
    assert [(c.ref, c.parent) for c in document.components] == [
        ("sdk", None),
        ("scan-core", "sdk"),
        ("sigdb", "sdk"),
        ("sig-parser", "sigdb"),
        ("zlib", "sig-parser"),
        ("crypto", None),
    ]
    assert document.edges == (("sdk", "scan-core"), ("sdk", "sigdb"), ("sigdb", "sig-parser"))


def test_a_nested_component_has_an_xpath_like_pointer_and_its_parent_ref() -> None:
    sigdb = by_ref(read_fixture("1.6"), "sigdb")
    assert sigdb.pointer == "/bom/components/component[1]/components/component[2]"
    assert sigdb.parent == "sdk"


@pytest.mark.parametrize("version", WITH_METADATA)
def test_metadata_component_is_the_document_root(version: str) -> None:
    document = read_fixture(version)
    assert document.roots == ("app",)
    assert document.name == "test-secure-gateway"


@pytest.mark.parametrize("version", WITH_METADATA)
def test_dependencies_become_edges_including_provides(version: str) -> None:
    expected = [
        ("app", "sdk"),
        ("app", "crypto"),
        ("app", "svc-update"),
        ("sdk", "scan-core"),
        ("sdk", "sigdb"),
        ("sigdb", "sig-parser"),
        ("sig-parser", "zlib"),
    ]
    if version in ("1.6", "1.7"):
        expected.append(("crypto", "algo-aes"))  # <provides ref=.../>, new in 1.6
    assert list(read_fixture(version).edges) == expected


# --- line numbers ----------------------------------------------------------------------------


def _start_tag_line(lines: list[str], ref: str) -> int:
    found = [
        number
        for number, line in enumerate(lines, start=1)
        if f'bom-ref="{ref}"' in line and line.lstrip().startswith(("<component", "<service"))
    ]
    assert len(found) == 1, ref
    return found[0]


@pytest.mark.parametrize("version", VERSIONS[1:])
def test_record_line_is_the_line_of_its_start_tag(version: str) -> None:
    lines = fixture_path(version).read_text().splitlines()
    for component in read_fixture(version).components:
        if component.kind is D:
            assert lines[component.line - 1].strip() == "<metadata>"
        else:
            assert component.line == _start_tag_line(lines, component.ref), component.ref


@pytest.mark.parametrize("version", VERSIONS)
def test_every_fact_is_located_on_the_line_that_holds_its_value(version: str) -> None:
    lines = fixture_path(version).read_text().splitlines()
    for component in read_fixture(version).components:
        for fact in facts_of(component):
            assert fact.where.startswith("line:"), fact
            line = lines[int(fact.where[5:]) - 1]
            if fact.field is F.HASH and "alg=" in line:
                assert fact.value.split(":", 1)[1] in line.lower(), fact
            elif fact.field is F.PROPERTY:
                name, value = fact.value.split("=", 1)
                assert f'name="{name}">{value}<' in line, fact
            else:
                assert fact.value in line, (component.ref, fact, line)


def test_record_line_is_right_beyond_line_65535() -> None:
    filler = "".join(
        f'    <component type="library" bom-ref="c{i}">\n'
        f"      <name>filler-{i}</name>\n"
        "    </component>\n"
        for i in range(22000)
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">\n'
        "  <components>\n"
        f"{filler}"
        '    <component type="library" bom-ref="target">\n'
        "\n"
        "      <name>test-av-engine-sdk</name>\n"
        "    </component>\n"
        "  </components>\n"
        "</bom>\n"
    )
    expected = text.splitlines().index('    <component type="library" bom-ref="target">') + 1
    assert expected > 65535
    target = by_ref(read_xml(text), "target")
    assert target.line == expected
    name = next(f for f in target.realized().facts if f.value == "test-av-engine-sdk")
    assert name.where == f"line:{expected + 2}"


# Elements past line 65535, where libxml2 no longer stores an element's line: each case's
# start tag is on the line where its id is, except "attributes-on-lines" (the line the tag
# ends on: the text after it tells no more).
_PAST_16_BITS = {
    "one-break": '<c id="one-break">\n  <name>x</name>\n</c>',
    "blank-lines": '<c id="blank-lines">\n\n\n  <name>x</name>\n</c>',
    "same-line": '<c id="same-line"><name>x</name>\n</c>',
    "empty": '<c id="empty"/>',
    "empty-pair": '<c id="empty-pair"></c>',
    "long-text": '<c id="long-text">' + ("word " * 50 + "\n") * 10 + "<name>x</name></c>",
    "escapes": '<c id="escapes">a &amp; b\nc\n<name>x</name></c>',
    "cdata": '<c id="cdata"><![CDATA[a\nb\n]]><name>x</name></c>',
    "text-only": '<c id="text-only">line1\nline2\nline3</c>',
    "many-breaks": '<c id="many-breaks">' + "\n" * 500 + "<name>x</name></c>",
    "child-first": '<c id="child-first"><d><e>\n</e></d>\n</c>',
    "no-tail": '<c id="no-tail"/><c id="after-no-tail">\n</c>',
    "attributes-on-lines": '<c\n id="attributes-on-lines"\n a="b">\n  <name>x</name>\n</c>',
}


@pytest.mark.parametrize("case", sorted(_PAST_16_BITS))
def test_element_lines_past_65535_are_their_start_tags(case: str) -> None:
    from auditor.ingest.xmlsafe import parse_xml, source_line

    text = '<?xml version="1.0"?>\n<root>\n' + "<!-- pad -->\n" * 70000
    for snippet in _PAST_16_BITS.values():
        text += snippet + "\n"
    text += "<last/>\n</root>\n"
    lines = text.split("\n")
    expected = next(i for i, line in enumerate(lines, 1) if f'id="{case}"' in line)
    if case == "attributes-on-lines":
        expected += 1  # where '>' closes the start tag
    root = parse_xml(text.encode())
    element = next(e for e in root.iter("c") if e.get("id") == case)
    assert expected > 65535
    assert element.sourceline != expected or case in ("same-line", "child-first", "no-tail")
    assert source_line(element) == expected


def test_element_lines_before_65535_are_lxmls() -> None:
    from auditor.ingest.xmlsafe import parse_xml, source_line

    root = parse_xml(b"<root>\n<c>\n\n<d/></c>\n</root>")
    assert [source_line(e) for e in root.iter()] == [1, 2, 4]


# --- facts -----------------------------------------------------------------------------------


def test_rich_component_yields_exactly_these_facts() -> None:
    sdk = by_ref(read_fixture("1.6"), "sdk")
    assert sorted(pairs(sdk)) == sorted(
        [
            (F.NAME, "test-av-engine-sdk"),
            (F.GROUP, "com.test-vendor"),
            (F.VERSION, "21.3.10"),
            (F.DESCRIPTION, "TEST anti-virus scanning engine SDK (synthetic fixture)"),
            (F.PUBLISHER, "TEST Vendor Publishing"),
            (F.AUTHOR, "TEST Vendor SDK Group"),
            (F.COPYRIGHT, "Copyright (c) 2024 TEST Vendor Ltd"),
            (F.PURL, "pkg:generic/test-vendor/test-av-engine-sdk@21.3.10"),
            (F.CPE, "cpe:2.3:a:test-vendor:test_av_engine_sdk:21.3.10:*:*:*:*:*:*:*"),
            (F.SWID, "gitoid:blob:sha1:261eeb9e9f8b2b4b0d119366dda99c6fd7d35c64"),
            (F.SWID, "swh:1:cnt:94a9ed024d3859793618152ea559a168bbcbb5e2"),
            (F.SUPPLIER, "TEST Vendor Ltd"),
            (F.URL, "https://test-vendor.example"),
            (F.AUTHOR, "TEST Vendor PSIRT"),
            (F.EMAIL, "psirt@test-vendor.example"),
            (F.MANUFACTURER, "TEST Vendor Manufacturing JSC"),
            (F.URL, "https://mfg.test-vendor.example"),
            (F.AUTHOR, "TEST Engine Team"),
            (F.EMAIL, "engine@test-vendor.example"),
            (F.HASH, "sha256:3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b"),
            (F.HASH, "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            (F.LICENSE, "TEST Vendor SDK EULA"),
            (F.LICENSE, "TEST Vendor SDK licence text"),
            (F.URL, "https://test-vendor.example/legal/sdk-eula"),
            (F.SWID, "swidgen-test-vendor-av-engine-sdk_21.3.10"),
            (F.TEXT, "TEST AV Engine SDK"),
            (F.URL, "https://test-vendor.example/swid/av-engine-sdk.swidtag"),
            (F.URL, "https://test-vendor.example/sdk"),
            (F.TEXT, "TEST Vendor SDK home page"),
            (F.PROPERTY, "test:build-id=20240101.1"),
            (F.PURL, "pkg:generic/test-vendor/test-av-engine-sdk@21.3.10"),
            (F.EVIDENCE, "libtestavsdk.so.21"),
            (F.CPE, "cpe:2.3:a:test-vendor:test_av_engine_sdk:21.3:*:*:*:*:*:*:*"),
            (F.HASH, "sha256:3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b"),
            (F.EVIDENCE, "test-av-engine"),
            (F.EVIDENCE, "testav-engine.dll"),
            (F.COPYRIGHT, "(c) TEST Vendor Ltd 2019-2024"),
            (F.FILENAME, "/opt/test-gateway/lib/libtestavsdk.so.21"),
        ]
    )


def test_metadata_record_yields_exactly_these_facts() -> None:
    metadata = by_ref(read_fixture("1.2"), "#metadata")
    assert (metadata.kind, metadata.pointer) == (D, "/bom/metadata")
    assert sorted(pairs(metadata)) == sorted(
        [
            (F.SUPPLIER, "TEST Integrator Distribution BV"),
            (F.URL, "https://dist.test-integrator.example"),
            (F.MANUFACTURER, "TEST Integrator GmbH"),  # <manufacture>, 1.2-1.5
            (F.URL, "https://test-integrator.example"),
            (F.AUTHOR, "TEST Integrator Product Security"),
            (F.EMAIL, "psirt@test-integrator.example"),
            (F.AUTHOR, "TEST Build Engineer"),
            (F.EMAIL, "build@test-integrator.example"),
            (F.TEXT, "TEST Tools Inc"),  # legacy <tool><vendor>
            (F.TEXT, "test-sbom-generator"),
        ]
    )


@pytest.mark.parametrize(
    ("version", "ref", "field", "value"),
    [
        ("1.0", _C1, F.PUBLISHER, "TEST Vendor Publishing"),
        ("1.0", _C1, F.GROUP, "com.test-vendor"),
        ("1.0", _C1, F.DESCRIPTION, "TEST anti-virus scanning engine SDK (synthetic fixture)"),
        (
            "1.0",
            _C1,
            F.HASH,
            "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
        ),
        ("1.0", _C1, F.HASH, "sha1:0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33"),
        ("1.0", _C1, F.LICENSE, "TEST Vendor SDK EULA"),
        ("1.0", f"{_C1}/components/component[1]", F.LICENSE, "MIT"),
        ("1.0", _C1, F.COPYRIGHT, "Copyright (c) 2018 TEST Vendor Ltd"),
        ("1.0", _C1, F.CPE, "cpe:2.3:a:test-vendor:test_av_engine_sdk:18.0.0:*:*:*:*:*:*:*"),
        ("1.0", _C1, F.PURL, "pkg:generic/test-vendor/test-av-engine-sdk@18.0.0"),
        ("1.1", "sdk", F.LICENSE, "TEST Vendor SDK licence text"),
        ("1.1", "sdk", F.URL, "https://test-vendor.example/legal/sdk-eula"),
        ("1.1", "sdk", F.URL, "https://test-vendor.example/sdk"),
        ("1.1", "sdk", F.TEXT, "TEST Vendor SDK home page"),
        ("1.1", "scan-core", F.LICENSE, "LicenseRef-TEST-Vendor-EULA OR MIT"),
        ("1.1", "crypto", F.TEXT, "openssl"),
        ("1.1", "crypto", F.PUBLISHER, "OpenSSL Software Foundation"),
        ("1.1", "crypto", F.COPYRIGHT, "Copyright 1998-2019 The OpenSSL Project Authors"),
        ("1.1", "crypto", F.CPE, "cpe:2.3:a:openssl:openssl:1.1.1c:*:*:*:*:*:*:*"),
        ("1.1", "crypto", F.PURL, "pkg:generic/openssl@1.1.1c"),
        ("1.1", "crypto", F.TEXT, "TEST fork with FIPS build flags"),
        ("1.2", "sdk", F.SWID, "swidgen-test-vendor-av-engine-sdk_19.0.2"),  # swid/@tagId
        ("1.2", "sdk", F.TEXT, "TEST AV Engine SDK"),  # swid/@name
        ("1.2", "sdk", F.URL, "https://test-vendor.example/swid/av-engine-sdk.swidtag"),
        ("1.2", "crypto", F.SUPPLIER, "OpenSSL Software Foundation"),
        ("1.2", "crypto", F.AUTHOR, "The OpenSSL Project Authors"),
        ("1.2", "svc-update", F.PROVIDER, "TEST Vendor Ltd"),
        ("1.2", "svc-update", F.ENDPOINT, "https://update.test-vendor.example/v1/bases"),
        ("1.3", "#metadata", F.PROPERTY, "test:sbom-profile=appliance"),
        ("1.3", "#metadata", F.LICENSE, "Apache-2.0"),
        ("1.3", "sdk", F.PROPERTY, "test:channel=stable"),
        ("1.3", "sdk", F.COPYRIGHT, "Portions (c) TEST Upstream Authors"),  # evidence
        ("1.4", "#metadata", F.LICENSE, "Apache-2.0 AND LicenseRef-TEST-Integrator"),
        ("1.5", "#metadata", F.TEXT, "org.test-tools"),  # <tools><components>
        ("1.5", "#metadata", F.TEXT, "TEST SBOM signing service"),  # <tools><services>
        ("1.5", "sdk", F.EVIDENCE, "META-INF/test-vendor/sdk.properties"),  # one <identity>
        ("1.5", "sdk", F.FILENAME, "/opt/test-gateway/lib/libtestavsdk-helpers.so.21"),
        ("1.6", "#metadata", F.MANUFACTURER, "TEST Integrator GmbH"),  # <manufacturer>
        ("1.7", "sdk", F.SWID, "swidgen-test-vendor-av-engine-sdk_22.0.1"),  # identity swid
        ("1.7", "sdk", F.EVIDENCE, "gitoid computed over libtestavsdk.so.22"),
    ],
)
def test_mapped_element_becomes_a_fact(
    version: str, ref: str, field: FieldKind, value: str
) -> None:
    assert (field, value) in pairs(by_ref(read_fixture(version), ref))


@pytest.mark.parametrize("version", WITH_METADATA)
def test_xml_and_json_of_the_same_version_read_to_the_same_records(version: str) -> None:
    """Together with the JSON reader's field tests, this proves every field for XML too."""
    json_path = fixture_path(version, "json")
    from_json = cyclonedx_json.read(str(json_path), json_path.read_bytes())
    from_xml = read_fixture(version)
    assert [(c.ref, c.kind, c.name, c.version, c.parent) for c in from_xml.components] == [
        (c.ref, c.kind, c.name, c.version, c.parent) for c in from_json.components
    ]
    for xml_record, json_record in zip(from_xml.components, from_json.components, strict=True):
        assert Counter(pairs(xml_record)) == Counter(pairs(json_record)), xml_record.ref
    assert from_xml.edges == from_json.edges
    assert from_xml.roots == from_json.roots


@pytest.mark.parametrize("version", VERSIONS)
def test_fixture_is_valid_against_the_official_schema(version: str) -> None:
    validation = pytest.importorskip("cyclonedx.validation")
    schema = pytest.importorskip("cyclonedx.schema")
    validator = validation.make_schemabased_validator(
        schema.OutputFormat.XML, schema.SchemaVersion.from_version(version)
    )
    assert validator.validate_str(fixture_path(version).read_text()) is None


# --- namespaces, encodings, leniency ---------------------------------------------------------

_MINI = (
    '<bom {xmlns} version="1"><components>'
    '<component type="library" bom-ref="sdk"><name>test-av-engine-sdk</name>'
    "<supplier>TEST Vendor Ltd</supplier></component>"
    "</components></bom>"
)


def test_a_namespace_prefix_reads_the_same() -> None:
    text = fixture_path("1.4").read_text()
    prefixed = (
        text.replace('xmlns="http://cyclonedx.org', 'xmlns:cdx="http://cyclonedx.org')
        .replace("<", "<cdx:")
        .replace("<cdx:/", "</cdx:")
        .replace("<cdx:?xml", "<?xml")
    )
    assert "<cdx:bom xmlns:cdx=" in prefixed
    document = read_xml(prefixed)
    plain = read_fixture("1.4")
    assert document.spec_version == "1.4"
    assert [(c.ref, c.pointer, pairs(c)) for c in document.components] == [
        (c.ref, c.pointer, pairs(c)) for c in plain.components
    ]


def test_a_bom_without_namespace_is_read_with_a_problem() -> None:
    document = read_xml(_MINI.format(xmlns=""))
    assert [c.name for c in document.components] == ["test-av-engine-sdk"]
    assert document.spec_version == ""
    assert len(document.problems) == 1 and "namespace" in document.problems[0]


def test_an_unknown_namespace_version_is_read_with_a_problem() -> None:
    document = read_xml(_MINI.format(xmlns='xmlns="http://cyclonedx.org/schema/bom/1.9"'))
    assert [c.name for c in document.components] == ["test-av-engine-sdk"]
    assert document.spec_version == "1.9"
    assert len(document.problems) == 1 and "1.9" in document.problems[0]


def test_supplier_given_as_plain_text_is_still_read() -> None:
    document = read_xml(_MINI.format(xmlns='xmlns="http://cyclonedx.org/schema/bom/1.6"'))
    assert (F.SUPPLIER, "TEST Vendor Ltd") in pairs(document.components[0])


def test_duplicate_bom_refs_and_missing_names_are_problems() -> None:
    document = read_xml(
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components>'
        '<component type="library" bom-ref="dup"><name>first</name></component>'
        '<component type="library" bom-ref="dup"><name>second</name></component>'
        '<component type="library"><purl>pkg:generic/test-vendor/unnamed@1</purl></component>'
        "</components></bom>"
    )
    assert [(c.ref, c.name) for c in document.components] == [
        ("dup", "first"),
        ("/bom/components/component[2]", "second"),
        ("/bom/components/component[3]", ""),
    ]
    assert document.problems == (
        "/bom/components/component[2]: duplicate bom-ref 'dup'",
        "/bom/components/component[3]: component has no name",
    )


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)],
)
def test_utf16_document_reads_the_same_records(encoding: str, bom: bytes) -> None:
    text = fixture_path("1.6").read_text().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    document = cyclonedx_xml.read("utf16.xml", bom + text.encode(encoding))
    plain = read_fixture("1.6")
    assert [(c.ref, c.line, pairs(c)) for c in document.components] == [
        (c.ref, c.line, pairs(c)) for c in plain.components
    ]


def test_nested_dependency_elements_give_their_own_edges() -> None:
    document = read_xml(
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1"><components>'
        '<component type="library" bom-ref="a"><name>a</name></component>'
        '<component type="library" bom-ref="b"><name>b</name></component>'
        '<component type="library" bom-ref="c"><name>c</name></component>'
        "</components><dependencies>"
        '<dependency ref="a"><dependency ref="b"><dependency ref="c"/></dependency></dependency>'
        "</dependencies></bom>"
    )
    assert set(document.edges) == {("a", "b"), ("b", "c")}


def test_a_metadata_property_without_a_name_renders_like_everywhere_else() -> None:
    document = read_xml(
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><metadata><properties>'
        "<property>TEST orphan value</property></properties></metadata></bom>"
    )
    assert pairs(document.components[0]) == [(F.PROPERTY, "TEST orphan value")]


# --- hostile XML -----------------------------------------------------------------------------


def _passwd_lines() -> list[str]:
    try:
        text = Path("/etc/passwd").read_text(errors="replace")
    except OSError:
        text = ""
    return [line for line in text.splitlines() if line.count(":") >= 5] + ["root:x:0:0"]


def _everything_said(document: SbomDocument) -> str:
    parts = [repr(document)]
    parts += [repr(facts_of(c)) for c in document.components]
    return "\n".join(parts)


def _assert_no_passwd(text: str) -> None:
    for line in _passwd_lines():
        assert line not in text, "content of /etc/passwd leaked"


UNREADABLE_XML = [
    ("billion-laughs.cdx.xml", "entity"),
    ("xxe-passwd.cdx.xml", "entity"),
    ("xxe-parameter-entity.cdx.xml", "entity"),
    ("malformed.cdx.xml", "invalid XML"),
    ("not-bom-root.cdx.xml", "<bom>"),
    ("empty.cdx.xml", "invalid XML"),
]
READ_SAFELY_XML = ["external-dtd.cdx.xml", "xinclude-passwd.cdx.xml"]


@pytest.mark.parametrize(("name", "reason_has"), UNREADABLE_XML)
def test_unreadable_xml_raises_unreadable_input_with_a_one_line_reason(
    name: str, reason_has: str
) -> None:
    data = (HOSTILE / name).read_bytes()
    started = time.monotonic()
    with pytest.raises(UnreadableInput) as caught:
        cyclonedx_xml.read(name, data)
    assert time.monotonic() - started < 2.0
    message = str(caught.value)
    assert reason_has in message
    assert message.strip() and "\n" not in message
    _assert_no_passwd(message)


@pytest.mark.parametrize("name", READ_SAFELY_XML)
def test_external_dtd_and_xinclude_are_never_loaded(name: str) -> None:
    data = (HOSTILE / name).read_bytes()
    try:
        document = cyclonedx_xml.read(name, data)
    except UnreadableInput as exc:
        _assert_no_passwd(str(exc))
        return
    said = _everything_said(document)
    _assert_no_passwd(said)
    assert [c.name for c in document.components][0].startswith("TEST ")


def _entities_after_64_kib() -> bytes:
    return (
        '<?xml version="1.0"?>\n<!--' + "x" * 70000 + "-->\n"
        '<!DOCTYPE bom [<!ENTITY payload SYSTEM "file:///etc/passwd">'
        '<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components>'
        '<component type="library"><name>&payload;</name><version>&b;</version></component>'
        "</components></bom>\n"
    ).encode()


def test_entities_declared_after_64_kib_are_refused_and_never_expanded() -> None:
    with pytest.raises(UnreadableInput) as caught:
        cyclonedx_xml.read("late-doctype.xml", _entities_after_64_kib())
    assert "entity" in str(caught.value)
    _assert_no_passwd(str(caught.value))


@pytest.mark.parametrize("name", ["billion-laughs.cdx.xml", "xxe-passwd.cdx.xml"])
@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-16-le", b""),
        ("utf-16-be", b""),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-32-le", b""),
        ("utf-32-be", codecs.BOM_UTF32_BE),
        ("utf-8", codecs.BOM_UTF8),
    ],
    ids=["utf16le", "utf16be", "utf16le-bom", "utf32le", "utf32be-bom", "utf8-bom"],
)
def test_entity_attacks_in_other_encodings_are_refused(
    name: str, encoding: str, bom: bytes
) -> None:
    text = (HOSTILE / name).read_text()
    declared = "UTF-8" if encoding == "utf-8" else encoding[:6].upper()
    text = text.replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{declared}"?>')
    started = time.monotonic()
    with pytest.raises(UnreadableInput) as caught:
        cyclonedx_xml.read(name, bom + text.encode(encoding))
    assert time.monotonic() - started < 2.0
    assert "\n" not in str(caught.value)
    _assert_no_passwd(str(caught.value))


def test_committed_hostile_xml_files_are_what_the_script_builds() -> None:
    built = {k: v for k, v in hostile_module().files().items() if k.endswith(".xml")}
    assert sorted(built) == sorted([n for n, _ in UNREADABLE_XML] + READ_SAFELY_XML)
    readme = (HOSTILE / "README.md").read_text()
    for name, content in built.items():
        assert (HOSTILE / name).read_bytes() == content, f"{name}: run make_hostile.py"
        assert len(content) <= 1024
        assert f"`{name}`" in readme


def test_components_nested_5000_deep_are_read_or_refused_never_recursion_error() -> None:
    levels = 5000
    data = hostile_module().deep_xml(levels)
    try:
        document = cyclonedx_xml.read("deep.xml", data)
    except UnreadableInput as exc:
        assert "\n" not in str(exc)
        return
    assert sum(1 for c in document.components if c.kind is C) == levels
    for record in document.components:
        facts_of(record)


def test_deep_nesting_is_walked_without_python_recursion() -> None:
    levels = 120  # libxml2 refuses more than 256 element levels (2 per component level)
    data = hostile_module().deep_xml(levels)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 60)
    try:
        document = cyclonedx_xml.read("deep.xml", data)
        realized = [facts_of(c) for c in document.components]
    finally:
        sys.setrecursionlimit(limit)
    assert len(document.components) == len(realized) == levels
    assert document.components[-1].name == "leaf"
    assert [c.parent for c in document.components[1:]] == [c.ref for c in document.components[:-1]]


# --- corpus smoke test -----------------------------------------------------------------------

_EXCLUDED = {"pedigree", "tools", "evidence"}


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def independent_component_count(root: ET.Element) -> int:
    """<component> elements under <metadata> and <components>, except inside pedigree/tools/
    evidence (counted with the standard library's parser, not lxml)."""
    count = 0
    stack = [(top, False) for top in root if _local(top.tag) in ("metadata", "components")]
    while stack:
        element, excluded = stack.pop()
        for child in element:
            name = _local(child.tag)
            inside = excluded or name in _EXCLUDED
            if name == "component" and not inside:
                count += 1
            stack.append((child, inside))
    return count


@pytest.mark.corpus
def test_corpus_cyclonedx_xml_reads_and_component_counts_match() -> None:
    root = CORPUS.resolve()
    if not root.is_dir():
        pytest.skip(f"shared corpus not found at {root}")
    started = time.monotonic()
    read = unreadable = components = 0
    mismatches: list[str] = []
    reasons: list[str] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if sniff(data).format is not SbomFormat.CYCLONEDX_XML:
            continue
        try:
            document = cyclonedx_xml.read(str(path), data)
        except UnreadableInput as exc:
            unreadable += 1
            reasons.append(f"{path.name}: {exc}")
            continue
        read += 1
        for record in document.components:
            facts_of(record)
        got = sum(1 for c in document.components if c.kind is C)
        components += got
        if b"<!ENTITY" in data:  # never hand entity declarations to the stdlib parser
            continue
        expected = independent_component_count(ET.fromstring(data))
        if got != expected:
            mismatches.append(f"{path}: reader {got}, independent count {expected}")
    elapsed = time.monotonic() - started
    print(
        f"\nCycloneDX XML corpus: {read + unreadable} files, {read} read, {unreadable} "
        f"unreadable, {components} components, {len(mismatches)} count mismatches, "
        f"{elapsed:.1f}s"
    )
    for reason in reasons:
        print(f"  unreadable: {reason}")
    assert read > 0
    assert not mismatches, "\n".join(mismatches)


# --- deferred facts ---------------------------------------------------------------------------


def _squeezed_prefilter(component: Component) -> str:
    from auditor.match.engine import _prefilter_bytes
    from auditor.match.normalize import squeeze

    return squeeze(_prefilter_bytes(component).decode("utf-8", errors="replace"))


def _assert_prefilter_holds_every_fact(document: SbomDocument) -> None:
    from auditor.match.engine import _prefilter_text
    from auditor.match.normalize import squeeze

    for component in document.components:
        if component.prefilter is None:
            continue
        text = _squeezed_prefilter(component)
        for fact in facts_of(component):
            value = fact.value.split(":", 1)[-1] if fact.field is F.HASH else fact.value
            assert squeeze(_prefilter_text(Fact(fact.field, value))) in text, fact


@pytest.mark.parametrize("version", VERSIONS)
def test_records_defer_facts_and_their_prefilter_holds_every_fact(version: str) -> None:
    document = read_fixture(version)
    records = [c for c in document.components if c.kind is not D]
    assert records and all(c.facts == () and c.deferred is not None for c in records)
    _assert_prefilter_holds_every_fact(document)


def test_prefilter_survives_escapes_cdata_mixed_content_and_attribute_facts() -> None:
    document = read_xml(
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>'
        '<component type="library" bom-ref="a"><name>Kas&amp;per<![CDATA[sky]]></name>'
        "<description>AO <b>Kaspersky</b> Lab</description>"
        '<properties><property name="vendor:Kasper&amp;sky">x&lt;y</property>'
        '<property name="Kasper">sky</property><property name="m">a<b/>b</property></properties>'
        '<swid tagId="kaspersky-tag" name="Kaspersky &quot;SWID&quot;"/>'
        '<components><component type="library"><name>child</name></component></components>'
        "</component></components></bom>"
    )
    _assert_prefilter_holds_every_fact(document)
    parent, child = document.components
    assert "child" not in _squeezed_prefilter(parent)  # nested records have their own text
    assert "kasperskytag" in _squeezed_prefilter(parent)


def test_deferred_facts_survive_pickling_for_the_cache_and_dask() -> None:
    import pickle

    document = read_fixture("1.6")
    restored = pickle.loads(pickle.dumps(document))
    assert restored.realized() == document.realized()
    assert [facts_of(c) for c in restored.components] == [facts_of(c) for c in document.components]
