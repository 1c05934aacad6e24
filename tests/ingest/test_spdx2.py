"""SPDX 2.x JSON / YAML / XML reader, plus the corpus test for every SPDX serialisation."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from auditor.errors import UnreadableInput
from auditor.ingest import spdx2, spdx3, spdx_rdf, spdx_tagvalue
from auditor.models import Component, ComponentKind, FieldKind, SbomDocument, SbomFormat
from tests.conftest import CORPUS, FIXTURES

K = FieldKind
SPDX23 = FIXTURES / "sbom" / "spdx" / "2.3"
JSON_FIXTURE = SPDX23 / "all-fields.spdx.json"


def read(data: bytes | str, fmt: SbomFormat = SbomFormat.SPDX_JSON) -> SbomDocument:
    raw = data.encode() if isinstance(data, str) else data
    return spdx2.read("test.spdx", raw, fmt).realized()


def read_json(doc: object) -> SbomDocument:
    return read(json.dumps(doc))


def minimal(**extra: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "TEST-minimal",
        "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: t"]},
    }
    doc.update(extra)
    return doc


def facts(component: Component) -> list[tuple[FieldKind, str, str]]:
    return [(f.field, f.value, f.where) for f in component.facts]


# The facts every serialisation of all-fields.spdx.* must produce (JSON pointers as in JSON).
EXPECTED: dict[str, list[tuple[FieldKind, str, str]]] = {
    "SPDXRef-DOCUMENT": [
        (K.AUTHOR, "Example Integrator Ltd", "/creationInfo/creators/0"),
        (K.EMAIL, "sbom@example.invalid", "/creationInfo/creators/0"),
        (K.AUTHOR, "Jane Tester", "/creationInfo/creators/1"),
        (K.TEXT, "example-sbom-tool-1.0", "/creationInfo/creators/2"),
        (K.TEXT, "Written by hand\nfor the test suite.", "/creationInfo/comment"),
        (K.TEXT, "Synthetic TEST document for kaspersky-sbom-auditor reader tests.", "/comment"),
        (
            K.LICENSE,
            "TEST Kaspersky Lab EULA text (synthetic).",
            "/hasExtractedLicensingInfos/0/extractedText",
        ),
        (K.LICENSE, "TEST EULA", "/hasExtractedLicensingInfos/0/name"),
    ],
    "SPDXRef-Package-app": [
        (K.NAME, "example-app", "/name"),
        (K.VERSION, "1.0.0", "/versionInfo"),
        (K.SUPPLIER, "Example Integrator Ltd", "/supplier"),
        (K.EMAIL, "sbom@example.invalid", "/supplier"),
        (K.ORIGINATOR, "Jane Tester", "/originator"),
        (K.URL, "https://example.invalid/example-app-1.0.0.tar.gz", "/downloadLocation"),
        (K.URL, "https://example.invalid/example-app", "/homepage"),
        (K.COPYRIGHT, "Copyright 2024 Example Integrator Ltd", "/copyrightText"),
        (K.DESCRIPTION, "Example application.", "/summary"),
        (
            K.DESCRIPTION,
            "An application that bundles a third-party scanning engine.",
            "/description",
        ),
        (K.TEXT, "Package comment.", "/comment"),
        (K.TEXT, "First attribution.", "/attributionTexts/0"),
        (K.TEXT, "Second attribution.", "/attributionTexts/1"),
        (K.TEXT, "built from tag v1.0.0", "/sourceInfo"),
        (K.FILENAME, "example-app-1.0.0.tar.gz", "/packageFileName"),
        (
            K.HASH,
            "sha256:13dfa2b5532b8a98de05e2aa8082a5947e64fc571720e3f2c26ea96181143e64",
            "/checksums/0",
        ),
        (K.HASH, "sha1:56ef94bab3361cb554912981cc41064337a635e2", "/checksums/1"),
        (K.PURL, "pkg:generic/example-app@1.0.0", "/externalRefs/0/referenceLocator"),
        (
            K.CPE,
            "cpe:2.3:a:example:example-app:1.0.0:*:*:*:*:*:*:*",
            "/externalRefs/1/referenceLocator",
        ),
        (K.CPE, "cpe:/a:example:example-app:1.0.0", "/externalRefs/2/referenceLocator"),
        (K.SWID, "swid:example.invalid/example-app-1.0.0", "/externalRefs/3/referenceLocator"),
        (K.URL, "https://example.invalid/example-app/about", "/externalRefs/4/referenceLocator"),
        (K.TEXT, "acmecorp/example-app/1.0.0", "/externalRefs/5/referenceLocator"),
        (K.LICENSE, "MIT", "/licenseConcluded"),
        (K.LICENSE, "(MIT OR Apache-2.0)", "/licenseDeclared"),
        (K.LICENSE, "Licence comment.", "/licenseComments"),
    ],
    "SPDXRef-Package-engine": [
        (K.NAME, "test-scan-engine", "/name"),
        (K.VERSION, "2.0", "/versionInfo"),
        (K.SUPPLIER, "Other Vendor GmbH", "/supplier"),
        (K.COPYRIGHT, "Copyright TEST Kaspersky Lab (synthetic)", "/copyrightText"),
        (K.PURL, "pkg:generic/test-kaspersky-engine@2.0", "/externalRefs/0/referenceLocator"),
        (
            K.CPE,
            "cpe:2.3:a:test_kaspersky:engine:2.0:*:*:*:*:*:*:*",
            "/externalRefs/1/referenceLocator",
        ),
        (K.LICENSE, "LicenseRef-TEST-EULA", "/licenseDeclared"),
    ],
    "SPDXRef-File-engine": [
        (K.FILENAME, "./lib/engine.so", "/fileName"),
        (
            K.HASH,
            "sha256:81392f9e43e61e14269a715cd4051ea81cfeb8894bad594c6d117bec429f5344",
            "/checksums/0",
        ),
        (K.COPYRIGHT, "Copyright Other Vendor GmbH", "/copyrightText"),
        (K.TEXT, "Contains code from Other Vendor GmbH.", "/noticeText"),
        (K.AUTHOR, "Other Vendor GmbH", "/fileContributors/0"),
        (K.AUTHOR, "Jane Tester", "/fileContributors/1"),
        (K.TEXT, "Engine library.", "/comment"),
        (K.LICENSE, "File licence comment.", "/licenseComments"),
        (K.TEXT, "File attribution.", "/attributionTexts/0"),
    ],
    "SPDXRef-Snippet-hash": [
        (K.NAME, "vendored hash routine", "/name"),
        (K.COPYRIGHT, "Copyright Snippet Author", "/copyrightText"),
        (K.TEXT, "Snippet comment.", "/comment"),
        (K.TEXT, "Snippet attribution.", "/attributionTexts/0"),
    ],
}
EXPECTED_RECORDS = [
    ("SPDXRef-DOCUMENT", ComponentKind.DOCUMENT, "TEST-spdx-all-fields", "", ""),
    ("SPDXRef-Package-app", ComponentKind.PACKAGE, "example-app", "1.0.0", "/packages/0"),
    ("SPDXRef-Package-engine", ComponentKind.PACKAGE, "test-scan-engine", "2.0", "/packages/1"),
    ("SPDXRef-File-engine", ComponentKind.FILE, "./lib/engine.so", "", "/files/0"),
    ("SPDXRef-Snippet-hash", ComponentKind.SNIPPET, "vendored hash routine", "", "/snippets/0"),
]
EXPECTED_EDGES = {
    ("SPDXRef-DOCUMENT", "SPDXRef-Package-app"),
    ("SPDXRef-Package-app", "SPDXRef-Package-engine"),
    ("SPDXRef-Package-engine", "SPDXRef-File-engine"),
    ("SPDXRef-Package-app", "SPDXRef-File-engine"),
    ("SPDXRef-Package-app", "DocumentRef-other:SPDXRef-lib"),
}


def assert_all_fields(doc: SbomDocument, *, line_wheres: bool) -> None:
    """The shared expectations of every all-fields.spdx.* fixture."""
    assert doc.problems == ()
    assert (doc.spec_version, doc.name) == ("2.3", "TEST-spdx-all-fields")
    assert doc.roots == ("SPDXRef-Package-app",)
    assert set(doc.edges) == EXPECTED_EDGES and len(doc.edges) == len(EXPECTED_EDGES)
    by_ref = {c.ref: c for c in doc.components}
    assert [c.ref for c in doc.components] == [r[0] for r in EXPECTED_RECORDS]
    for ref, kind, name, version, _ in EXPECTED_RECORDS:
        component = by_ref[ref]
        assert (component.kind, component.name, component.version) == (kind, name, version)
        got = sorted((f.field.value, f.value) for f in component.facts)
        assert got == sorted((field.value, value) for field, value, _ in EXPECTED[ref]), ref
        if line_wheres:
            assert all(re.fullmatch(r"line:\d+", f.where) for f in component.facts), ref


# --------------------------------------------------------------------------- fixtures


def test_json_fixture_exact() -> None:
    doc = read(JSON_FIXTURE.read_bytes())
    assert doc.format is SbomFormat.SPDX_JSON and doc.path == "test.spdx"
    assert_all_fields(doc, line_wheres=False)
    assert doc.edges == (
        ("SPDXRef-DOCUMENT", "SPDXRef-Package-app"),
        ("SPDXRef-Package-app", "SPDXRef-Package-engine"),
        ("SPDXRef-Package-engine", "SPDXRef-File-engine"),
        ("SPDXRef-Package-app", "SPDXRef-File-engine"),
        ("SPDXRef-Package-app", "DocumentRef-other:SPDXRef-lib"),
    )
    for component, (ref, kind, name, version, pointer) in zip(
        doc.components, EXPECTED_RECORDS, strict=True
    ):
        assert (component.ref, component.kind, component.name, component.version) == (
            ref,
            kind,
            name,
            version,
        )
        assert (component.pointer, component.line) == (pointer, None)
        assert facts(component) == EXPECTED[ref]


def test_yaml_fixture_equals_json() -> None:
    yaml_doc = read((SPDX23 / "all-fields.spdx.yaml").read_bytes(), SbomFormat.SPDX_YAML)
    json_doc = read(JSON_FIXTURE.read_bytes())
    assert yaml_doc.format is SbomFormat.SPDX_YAML
    assert yaml_doc.components == json_doc.components
    assert (yaml_doc.edges, yaml_doc.roots, yaml_doc.problems) == (
        json_doc.edges,
        json_doc.roots,
        (),
    )


def test_xml_fixture_same_facts_with_source_lines() -> None:
    path = SPDX23 / "all-fields.spdx.xml"
    doc = read(path.read_bytes(), SbomFormat.SPDX_XML)
    assert_all_fields(doc, line_wheres=True)
    lines = path.read_text().splitlines()
    package_lines = [n for n, text in enumerate(lines, 1) if text.strip() == "<packages>"]
    packages = [c for c in doc.components if c.kind is ComponentKind.PACKAGE]
    assert [c.line for c in packages] == package_lines
    assert [c.pointer for c in packages] == ["/packages/0", "/packages/1"]
    for component in doc.components:  # every fact points at the line holding its value
        for fact in component.facts:
            number = int(fact.where.removeprefix("line:"))
            first_line = fact.value.splitlines()[0]
            if fact.field in (K.EMAIL, K.AUTHOR, K.SUPPLIER, K.ORIGINATOR, K.HASH, K.TEXT):
                first_line = first_line.split(":", 1)[-1][:8]
            assert first_line.strip().lower()[:8] in lines[number - 1].lower(), fact
    assert all(type(f.value) is str for c in doc.components for f in c.facts)


def test_other_formats_are_delegated() -> None:
    data = (SPDX23 / "all-fields.spdx").read_bytes()
    assert (
        read(data, SbomFormat.SPDX_TAGVALUE)
        == spdx_tagvalue.read("test.spdx", data, SbomFormat.SPDX_TAGVALUE).realized()
    )


def test_tag_value_handed_over_as_yaml_is_read_as_tag_value() -> None:
    data = (SPDX23 / "all-fields.spdx").read_bytes()
    doc = read(data, SbomFormat.SPDX_YAML)
    assert doc.format is SbomFormat.SPDX_TAGVALUE
    assert doc.problems == ("the content is SPDX tag-value, not YAML; it was read as tag-value",)
    assert [c.ref for c in doc.components] == [r[0] for r in EXPECTED_RECORDS]


# --------------------------------------------------------------------------- leniency


def test_wrong_types_are_problems_not_crashes() -> None:
    doc = read_json(
        minimal(
            spdxVersion="SPDX-9.9",
            creationInfo="yesterday",
            packages=[
                "not a package",
                {
                    "SPDXID": 5,
                    "name": ["x"],
                    "versionInfo": 3,
                    "supplier": {"name": "ACME"},
                    "downloadLocation": "NONE",
                    "checksums": {"algorithm": "SHA1", "checksumValue": "AB"},
                    "attributionTexts": "lone attribution",
                    "externalRefs": [3, {"referenceType": "purl", "referenceLocator": 7}],
                },
            ],
            files={"fileName": "x"},
            relationships=[{"spdxElementId": "SPDXRef-DOCUMENT"}, None],
            documentDescribes=[{"x": 1}],
        )
    )
    assert doc.spec_version == "9.9"
    package = doc.components[1]
    assert package.kind is ComponentKind.PACKAGE and package.pointer == "/packages/1"
    assert package.ref == "/packages/1" and package.name == "" and package.version == "3"
    assert facts(package) == [
        (K.VERSION, "3", "/versionInfo"),
        (K.TEXT, "lone attribution", "/attributionTexts/0"),
        (K.HASH, "sha1:ab", "/checksums/0"),
        (K.TEXT, "7", "/externalRefs/1/referenceLocator"),
    ]
    lone_file = doc.components[2]  # the files "list" was a lone object: read as one file
    assert (lone_file.kind, lone_file.ref, lone_file.name) == (ComponentKind.FILE, "/files/0", "x")
    text = "\n".join(doc.problems)
    for expected in (
        "unknown spdxVersion 'SPDX-9.9'",
        "creationInfo should be an object, not str",
        "/packages/0 should be an object, not str",
        "/packages/1/name should be a string, not list",
        "/packages/1/supplier should be a string, not dict",
        "/packages/1/checksums should be a list, not dict",
        "/packages/1/externalRefs/0 should be an object, not int",
        "/files should be a list, not dict",
        "/relationships/0 is incomplete",
        "/relationships/1 should be an object",
        "/documentDescribes/0 should be a string",
        "package has no SPDXID (/packages/1)",
        "package has no name (/packages/1)",
        "file has no SPDXID (/files/0)",
    ):
        assert expected in text


def test_missing_required_fields_are_grouped() -> None:
    packages = [{"SPDXID": f"SPDXRef-{i}", "name": f"p{i}"} for i in range(3)]
    doc = read_json({"packages": packages})
    assert len([c for c in doc.components if c.kind is ComponentKind.PACKAGE]) == 3
    assert doc.components[0].ref == "SPDXRef-DOCUMENT" and doc.spec_version == ""
    assert "package has no downloadLocation (3 times, first /packages/0)" in doc.problems
    for expected in (
        "spdxVersion is missing",
        "the document has no SPDXID",
        "the document has no name",
        "the document has no creationInfo",
    ):
        assert expected in doc.problems


def test_problem_list_is_capped() -> None:
    doc = read_json(minimal(packages=[f"bad {i}" for i in range(200)]))
    assert len(doc.problems) == spdx2.MAX_PROBLEMS + 1
    assert doc.problems[-1] == "... and 150 more problems"


def test_non_standard_package_keys_are_read() -> None:
    package = {
        "SPDXID": "SPDXRef-p",
        "packageName": "hello",
        "packageVersion": "1",
        "downloadLocation": "NONE",
        "packageCopyrightText": "Copyright X",
    }
    doc = read_json(minimal(packages=[package]))
    assert (doc.components[1].name, doc.components[1].version) == ("hello", "1")
    assert facts(doc.components[1]) == [
        (K.NAME, "hello", "/packageName"),
        (K.VERSION, "1", "/packageVersion"),
        (K.COPYRIGHT, "Copyright X", "/packageCopyrightText"),
    ]
    assert "non-standard key 'packageName' used for 'name' (/packages/0)" in doc.problems


def _rel(element: str, kind: str, related: str) -> dict[str, str]:
    return {"spdxElementId": element, "relationshipType": kind, "relatedSpdxElement": related}


def test_creator_objects_and_relationship_spellings() -> None:
    doc = read_json(
        minimal(
            creationInfo={"creators": [{"Person": "Nisha K (nk@example.invalid)"}, 42]},
            relationships=[
                _rel("A", "dependency-of", "B"),
                _rel("B", "describedBy", "SPDXRef-DOCUMENT"),
                _rel("NONE", "CONTAINS", "C"),
            ],
        )
    )
    assert facts(doc.components[0]) == [
        (K.AUTHOR, "Nisha K", "/creationInfo/creators/0"),
        (K.EMAIL, "nk@example.invalid", "/creationInfo/creators/0"),
    ]
    assert doc.edges == (("B", "A"), ("SPDXRef-DOCUMENT", "B"))
    assert doc.roots == ("B",)


@pytest.mark.parametrize(
    ("data", "fmt", "reason"),
    [
        (b'{"spdxVersion": "SPDX-2.3", "packages": [', SbomFormat.SPDX_JSON, "invalid JSON"),
        (b"[1, 2]", SbomFormat.SPDX_JSON, "not an object but list"),
        (b'"SPDX"', SbomFormat.SPDX_JSON, "not an object but str"),
        (b"[" * 100_000, SbomFormat.SPDX_JSON, "invalid JSON"),
        (b"spdxVersion: [unclosed", SbomFormat.SPDX_YAML, "invalid YAML"),
        (b"", SbomFormat.SPDX_YAML, "empty"),
        (b"- a\n- b\n", SbomFormat.SPDX_YAML, "not an object but list"),
        (b"!!python/object/apply:os.system ['true']", SbomFormat.SPDX_YAML, "invalid YAML"),
        (b"<Document><name>x</name>", SbomFormat.SPDX_XML, "invalid SPDX XML"),
        (b"\x00\x01\x02\xff\xfe garbage", SbomFormat.SPDX_XML, "invalid SPDX XML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", SbomFormat.SPDX_JSON, "invalid JSON"),
    ],
)
def test_unreadable_inputs(data: bytes, fmt: SbomFormat, reason: str) -> None:
    with pytest.raises(UnreadableInput, match=re.escape(reason)):
        read(data, fmt)


XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE Document [\n  <!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n'
    "<Document><name>&x;</name></Document>"
)
BOMB = (
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    "<Document><name>&b;</name></Document>"
)


@pytest.mark.parametrize(
    "data",
    [
        XXE.encode(),
        BOMB.encode(),
        b"\xff\xfe" + XXE.replace("UTF-8", "UTF-16").encode("utf-16-le"),
    ],
)
@pytest.mark.parametrize("fmt", [SbomFormat.SPDX_XML, SbomFormat.SPDX_RDF])
def test_xml_entity_declarations_are_refused(data: bytes, fmt: SbomFormat) -> None:
    with pytest.raises(UnreadableInput, match="XML entity declarations are not allowed"):
        read(data, fmt)


def test_xml_with_plain_doctype_and_unknown_root_is_read() -> None:
    data = (
        b'<!DOCTYPE Document SYSTEM "http://example.invalid/x.dtd"><Spdx><name>TEST</name></Spdx>'
    )
    doc = read(data, SbomFormat.SPDX_XML)
    assert doc.name == "TEST" and "unexpected XML root element <Spdx>" in doc.problems


def test_xml_repeated_unknown_elements_and_deep_nesting() -> None:
    deep = "<a>" * 40 + "x" + "</a>" * 40
    data = (
        "<Document><name>TEST</name><packages><SPDXID>SPDXRef-p</SPDXID><name>p</name>"
        "<name>q</name><downloadLocation>NONE</downloadLocation>"
        f"<comment>{deep}</comment></packages></Document>"
    ).encode()
    doc = read(data, SbomFormat.SPDX_XML)
    assert doc.components[1].name == ""
    assert any("nested too deeply" in p for p in doc.problems)
    assert any("/packages/0/name should be a string, not list" in p for p in doc.problems)


def test_yaml_aliases_cannot_blow_up_the_work() -> None:
    checksums = "".join(
        f"    - {{algorithm: SHA1, checksumValue: '{i:040x}'}}\n" for i in range(300)
    )
    text = (
        "spdxVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\nname: TEST\n"
        "x: &p\n  SPDXID: SPDXRef-a\n  name: a\n  downloadLocation: NONE\n  checksums:\n"
        f"{checksums}packages: [{', '.join(['*p'] * 3000)}]\n"
    )
    doc = read(text, SbomFormat.SPDX_YAML)
    assert len(doc.components) < 3000
    assert any("expands far beyond its size" in p for p in doc.problems)


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: b"\xef\xbb\xbf" + s.encode(),
        lambda s: b"\xff\xfe" + s.encode("utf-16-le"),
        lambda s: b"\xfe\xff" + s.encode("utf-16-be"),
        lambda s: s.encode("utf-16-le"),
    ],
)
def test_json_encodings(encode: Callable[[str], bytes]) -> None:
    doc = read(encode(json.dumps(minimal(name="TEST-ünïcode"))))
    assert doc.name == "TEST-ünïcode" and doc.problems == ()


def test_invalid_utf8_is_replaced_and_noted() -> None:
    data = json.dumps(minimal()).encode().replace(b"TEST-minimal", b"TEST-\xff\xfe-x")
    doc = read(data)
    assert doc.name == "TEST-\ufffd\ufffd-x"
    assert any("not valid UTF-8" in p for p in doc.problems)


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_keys = st.sampled_from(
    [
        "SPDXID",
        "name",
        "versionInfo",
        "supplier",
        "checksums",
        "externalRefs",
        "attributionTexts",
        "hasFiles",
        "fileContributors",
        "fileName",
        "creators",
        "relationshipType",
        "spdxElementId",
    ]
)


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.dictionaries(_keys, _json_values, max_size=6),
    st.sampled_from(
        [
            "packages",
            "files",
            "snippets",
            "relationships",
            "creationInfo",
            "hasExtractedLicensingInfos",
        ]
    ),
)
def test_any_json_shape_is_read_or_refused(record: dict[str, object], key: str) -> None:
    doc = read_json(minimal(**{key: [record, record]}))
    assert doc.components[0].kind is ComponentKind.DOCUMENT
    assert all(type(f.value) is str and f.value for c in doc.components for f in c.facts)


# --------------------------------------------------------------------------- corpus


def _decode(data: bytes) -> str:
    boms = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
    for bom, codec in boms:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    return data.decode("utf-8", errors="replace")


def _classify(path: Path, data: bytes) -> tuple[SbomFormat, int | None] | None:
    """The SPDX format of ``data`` and its package count (None: not a valid document)."""
    text = _decode(data)
    head = text.lstrip()[:1]
    if head in ("{", "["):
        try:
            doc = json.loads(text)
        except ValueError:
            return (SbomFormat.SPDX_JSON, None) if "spdxVersion" in text else None
        if isinstance(doc, dict) and ("@graph" in doc or "@context" in doc):
            if "spdx" not in json.dumps(doc.get("@context", "")):
                return None
            graph = doc.get("@graph", [doc])
            types = [e.get("type", e.get("@type")) for e in graph if isinstance(e, dict)]
            count = sum(
                t in ("software_Package", "ai_AIPackage", "dataset_DatasetPackage") for t in types
            )
            return SbomFormat.SPDX3_JSONLD, count
        if isinstance(doc, dict) and ("spdxVersion" in doc or "SPDXID" in doc):
            packages = doc.get("packages", [])
            return SbomFormat.SPDX_JSON, len(packages) if isinstance(packages, list) else None
        return None
    if head == "<":
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError:
            return None
        name = etree.QName(root).localname
        if name == "RDF" and "spdx.org/rdf/terms" in text:
            tags = re.findall(r"<spdx:Package\b[^>]*>", text)
            abouts = {m.group(1) for t in tags if (m := re.search(r'rdf:about="([^"]+)"', t))}
            return SbomFormat.SPDX_RDF, len(abouts) + sum("rdf:about" not in t for t in tags)
        if name in ("Document", "SpdxDocument"):
            return SbomFormat.SPDX_XML, sum(etree.QName(c).localname == "packages" for c in root)
        return None
    lines = re.split(r"\r\n|\r|\n", text)
    if any(line.startswith("SPDXVersion:") for line in lines):
        return SbomFormat.SPDX_TAGVALUE, sum(line.startswith("PackageName:") for line in lines)
    if path.suffix in (".yaml", ".yml") and "spdxVersion" in text:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            return SbomFormat.SPDX_YAML, None
        return SbomFormat.SPDX_YAML, len(doc.get("packages", [])) if isinstance(doc, dict) else None
    return None


@functools.cache
def _spdx_corpus() -> tuple[tuple[Path, SbomFormat, int | None], ...]:
    found = []
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and path.suffix != ".md":
            kind = _classify(path, path.read_bytes())
            if kind is not None:
                found.append((path, *kind))
    return tuple(found)


_READERS = {
    SbomFormat.SPDX_JSON: spdx2.read,
    SbomFormat.SPDX_YAML: spdx2.read,
    SbomFormat.SPDX_XML: spdx2.read,
    SbomFormat.SPDX_TAGVALUE: spdx_tagvalue.read,
    SbomFormat.SPDX_RDF: spdx_rdf.read,
    SbomFormat.SPDX3_JSONLD: spdx3.read,
}


@pytest.mark.corpus
@pytest.mark.parametrize("fmt", list(_READERS), ids=lambda f: f.value)
def test_corpus(fmt: SbomFormat) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"SKIPPED LOUDLY: shared SBOM corpus not found at {CORPUS}")
    files = [(p, n) for p, f, n in _spdx_corpus() if f is fmt]
    assert files, f"no {fmt.value} files found in the corpus"
    unreadable, mismatched = [], []
    for path, expected in files:
        try:
            doc = _READERS[fmt](str(path), path.read_bytes(), fmt)
        except UnreadableInput as exc:
            # Only documents broken at the syntax level may be refused.
            assert expected is None and not str(exc).startswith("unexpected error"), (path, exc)
            unreadable.append(f"{path.relative_to(CORPUS)}: {exc}")
            continue
        assert doc.components and doc.components[0].kind is ComponentKind.DOCUMENT
        packages = sum(c.kind is ComponentKind.PACKAGE for c in doc.components)
        if expected is not None and packages != expected:
            mismatched.append(f"{path.relative_to(CORPUS)}: {packages} != {expected}")
    print(f"{fmt.value}: {len(files)} files, {len(unreadable)} unreadable: {unreadable}")
    assert not mismatched
