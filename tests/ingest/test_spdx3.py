"""SPDX 3.0 JSON-LD reader."""

from __future__ import annotations

import json

import pytest

from auditor.errors import UnreadableInput
from auditor.ingest import spdx3
from auditor.models import Component, ComponentKind, FieldKind, SbomDocument, SbomFormat
from tests.conftest import FIXTURES

K = FieldKind
FIXTURE = FIXTURES / "sbom" / "spdx" / "3.0" / "all-fields.spdx3.json"
BASE = "https://example.invalid/spdx3"
CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"


def read(data: bytes | str | object) -> SbomDocument:
    if isinstance(data, bytes):
        raw = data
    elif isinstance(data, str):
        raw = data.encode()
    else:
        raw = json.dumps(data).encode()
    return spdx3.read("test.spdx3.json", raw, SbomFormat.SPDX3_JSONLD)


def facts(component: Component) -> list[tuple[FieldKind, str, str]]:
    return [(f.field, f.value, f.where) for f in component.facts]


def test_fixture_exact() -> None:
    doc = read(FIXTURE.read_bytes())
    assert doc.problems == ()
    assert (doc.format, doc.spec_version, doc.name) == (
        SbomFormat.SPDX3_JSONLD,
        "3.0.1",
        "TEST-spdx3-all-fields",
    )
    # rootElement names the Sbom; the reader looks through it to the package.
    assert doc.roots == (f"{BASE}/package/app",)
    assert doc.edges == (
        (f"{BASE}/TEST-all-fields", f"{BASE}/package/app"),
        (f"{BASE}/package/app", f"{BASE}/package/engine"),
        (f"{BASE}/package/engine", f"{BASE}/file/engine"),
        (f"{BASE}/package/app", f"{BASE}/file/engine"),
    )
    records = [(c.ref, c.kind, c.name, c.version, c.pointer, c.line) for c in doc.components]
    assert records == [
        (f"{BASE}/TEST-all-fields", ComponentKind.DOCUMENT, "TEST-spdx3-all-fields", "", "", None),
        (f"{BASE}/package/app", ComponentKind.PACKAGE, "example-app", "1.0.0", "/@graph/7", None),
        (
            f"{BASE}/package/engine",
            ComponentKind.PACKAGE,
            "test-scan-engine",
            "2.0",
            "/@graph/8",
            None,
        ),
        (f"{BASE}/package/model", ComponentKind.PACKAGE, "example-model", "0.1", "/@graph/9", None),
        (f"{BASE}/file/engine", ComponentKind.FILE, "./lib/engine.so", "", "/@graph/10", None),
        (
            f"{BASE}/snippet/hash",
            ComponentKind.SNIPPET,
            "vendored hash routine",
            "",
            "/@graph/11",
            None,
        ),
    ]
    document, app, engine, model, file, snippet = doc.components
    assert facts(document) == [
        (
            K.TEXT,
            "Synthetic TEST document for kaspersky-sbom-auditor reader tests.",
            "/@graph/5/comment",
        ),
        (K.AUTHOR, "Example Integrator Ltd", "/@graph/0/createdBy/0"),
        (K.EMAIL, "sbom@example.invalid", "/@graph/0/createdBy/0"),
        (K.AUTHOR, "https://example.invalid/agent/not-in-this-document", "/@graph/0/createdBy/1"),
        (K.TEXT, "example-sbom-tool-1.0", "/@graph/0/createdUsing/0"),
        (
            K.TEXT,
            "Synthetic TEST document, written by hand for the test suite.",
            "/@graph/0/comment",
        ),
        (K.LICENSE, "TEST EULA", "/@graph/12/name"),
        (
            K.LICENSE,
            "TEST Kaspersky Lab EULA text (synthetic).",
            "/@graph/12/simplelicensing_licenseText",
        ),
    ]
    assert facts(app) == [
        (K.NAME, "example-app", "/name"),
        (K.VERSION, "1.0.0", "/software_packageVersion"),
        (K.SUPPLIER, "Example Integrator Ltd", "/suppliedBy"),
        (K.EMAIL, "sbom@example.invalid", "/suppliedBy"),
        (K.ORIGINATOR, "Jane Tester", "/originatedBy/0"),
        (K.DESCRIPTION, "Example application.", "/summary"),
        (
            K.DESCRIPTION,
            "An application that bundles a third-party scanning engine.",
            "/description",
        ),
        (K.TEXT, "Package comment.", "/comment"),
        (K.COPYRIGHT, "Copyright 2024 Example Integrator Ltd", "/software_copyrightText"),
        (K.URL, "https://example.invalid/example-app-1.0.0.tar.gz", "/software_downloadLocation"),
        (K.URL, "https://example.invalid/example-app", "/software_homePage"),
        (K.TEXT, "built from tag v1.0.0", "/software_sourceInfo"),
        (K.PURL, "pkg:generic/example-app@1.0.0", "/software_packageUrl"),
        (K.TEXT, "First attribution.", "/software_attributionText/0"),
        (K.TEXT, "Second attribution.", "/software_attributionText/1"),
        (K.PURL, "pkg:generic/example-app@1.0.0?arch=x86_64", "/externalIdentifier/0/identifier"),
        (
            K.CPE,
            "cpe:2.3:a:example:example-app:1.0.0:*:*:*:*:*:*:*",
            "/externalIdentifier/1/identifier",
        ),
        (K.CPE, "cpe:/a:example:example-app:1.0.0", "/externalIdentifier/2/identifier"),
        (K.SWID, "swid:example.invalid/example-app-1.0.0", "/externalIdentifier/3/identifier"),
        (K.TEXT, "acmecorp/example-app/1.0.0", "/externalIdentifier/4/identifier"),
        (K.URL, "https://example.invalid/example-app/docs", "/externalRef/0/locator/0"),
        (K.TEXT, "docs shelf 3", "/externalRef/0/locator/1"),
        (
            K.HASH,
            "sha256:13dfa2b5532b8a98de05e2aa8082a5947e64fc571720e3f2c26ea96181143e64",
            "/verifiedUsing/0",
        ),
    ]
    assert facts(engine) == [
        (K.NAME, "test-scan-engine", "/name"),
        (K.VERSION, "2.0", "/software_packageVersion"),
        (K.SUPPLIER, "Other Vendor GmbH", "/suppliedBy"),
        (K.COPYRIGHT, "Copyright TEST Kaspersky Lab (synthetic)", "/software_copyrightText"),
        (K.PURL, "pkg:generic/test-kaspersky-engine@2.0", "/software_packageUrl"),
        (
            K.CPE,
            "cpe:2.3:a:test_kaspersky:engine:2.0:*:*:*:*:*:*:*",
            "/externalIdentifier/0/identifier",
        ),
    ]
    assert facts(model) == [
        (K.NAME, "example-model", "/name"),
        (K.VERSION, "0.1", "/software_packageVersion"),
        (K.SUPPLIER, "https://example.invalid/agent/unknown-supplier", "/suppliedBy"),
    ]
    assert facts(file) == [
        (K.FILENAME, "./lib/engine.so", "/name"),
        (K.TEXT, "Engine library.", "/comment"),
        (K.COPYRIGHT, "Copyright Other Vendor GmbH", "/software_copyrightText"),
        (
            K.HASH,
            "sha256:81392f9e43e61e14269a715cd4051ea81cfeb8894bad594c6d117bec429f5344",
            "/verifiedUsing/0",
        ),
    ]
    assert facts(snippet) == [
        (K.NAME, "vendored hash routine", "/name"),
        (K.COPYRIGHT, "Copyright Snippet Author", "/software_copyrightText"),
    ]


def test_draft_spellings_bare_list_and_inline_objects() -> None:
    doc = read(
        [
            {
                "@context": CONTEXT,
                "@type": "SpdxDocument",
                "@id": "urn:doc",
                "name": "TEST-draft",
                "creationInfo": {"specVersion": "3.0.0", "createdBy": [{"name": "Inline Org"}]},
                "rootElement": ["urn:p"],
            },
            {
                "@type": "Package",
                "@id": "urn:p",
                "name": "p",
                "packageVersion": "1",
                "copyrightText": "Copyright X",
                "suppliedBy": [{"type": "Organization", "name": "S"}],
                "attributionText": "single",
            },
            {
                "type": "https://spdx.org/rdf/3.0.1/terms/Software/File",
                "spdxId": "urn:f",
                "name": "f.c",
            },
            {"type": "software_SoftwareArtifact", "spdxId": "urn:a", "name": "artifact"},
            {
                "type": "Relationship",
                "from": "urn:f",
                "relationshipType": "CONTAINED_BY",
                "to": "urn:p",
            },
            {
                "type": "Relationship",
                "from": {"spdxId": "urn:p"},
                "relationshipType": "DEPENDS_ON",
                "to": [{"spdxId": "urn:a"}, "NoAssertionElement", 5],
            },
        ]
    )
    assert doc.problems == ()
    assert (doc.name, doc.spec_version, doc.roots) == ("TEST-draft", "3.0.0", ("urn:p",))
    assert doc.edges == (("urn:p", "urn:f"), ("urn:p", "urn:a"))
    document, package, file, artifact = doc.components
    assert facts(document) == [(K.AUTHOR, "Inline Org", "/0/creationInfo/createdBy/0")]
    assert (package.kind, package.pointer, package.version) == (ComponentKind.PACKAGE, "/1", "1")
    assert facts(package) == [
        (K.NAME, "p", "/name"),
        (K.VERSION, "1", "/packageVersion"),
        (K.SUPPLIER, "S", "/suppliedBy/0"),
        (K.COPYRIGHT, "Copyright X", "/copyrightText"),
        (K.TEXT, "single", "/attributionText"),
    ]
    assert (file.kind, file.name) == (ComponentKind.FILE, "f.c")
    assert (artifact.kind, artifact.name) == (ComponentKind.COMPONENT, "artifact")


def test_single_element_document() -> None:
    doc = read({"@context": CONTEXT, "type": "software_Package", "spdxId": "urn:p", "name": "p"})
    assert [(c.kind, c.pointer) for c in doc.components] == [
        (ComponentKind.DOCUMENT, ""),
        (ComponentKind.PACKAGE, ""),
    ]
    assert doc.spec_version == "3.0.1"
    assert doc.problems == ("no SpdxDocument element",)


def test_wrong_types_are_problems_not_crashes() -> None:
    doc = read(
        {
            "@context": CONTEXT,
            "@graph": [
                "not an element",
                {
                    "type": "SpdxDocument",
                    "spdxId": "urn:d",
                    "rootElement": 5,
                    "creationInfo": ["x"],
                },
                {"type": "SpdxDocument", "spdxId": "urn:d2"},
                {
                    "type": "software_Package",
                    "name": ["x"],
                    "suppliedBy": {"name": 3},
                    "externalIdentifier": {
                        "externalIdentifierType": "purl",
                        "identifier": "pkg:x/y",
                    },
                    "verifiedUsing": [1, {"algorithm": "sha1"}],
                    "externalRef": [{"locator": 4}],
                    "software_packageVersion": {"v": 1},
                },
                {"spdxId": "urn:untyped"},
                {"type": "Relationship", "from": 3, "relationshipType": "contains"},
                {"type": ["software_File"], "spdxId": "urn:f", "name": "file"},
                {"type": "CreationInfo", "specVersion": "2.3"},
            ],
        }
    )
    package, file = doc.components[1:]
    assert (package.ref, package.name, package.version) == ("/@graph/3", "", "")
    assert facts(package) == [
        (K.SUPPLIER, "3", "/suppliedBy"),  # numbers are stringified
        (K.PURL, "pkg:x/y", "/externalIdentifier/0/identifier"),
    ]
    assert (file.ref, file.kind) == ("urn:f", ComponentKind.FILE)
    assert doc.spec_version == "2.3"
    assert doc.problems == (
        "graph entry is not an object (/@graph/0)",
        "software element has no spdxId (/@graph/3)",
        "software element has no name (/@graph/3)",
        "externalIdentifier should be a list (/@graph/3)",
        "verifiedUsing entry should be an object (/@graph/3/verifiedUsing)",
        "element has no type (/@graph/4)",
        "relationship lacks from or relationshipType (/@graph/5)",
        "more than one SpdxDocument; the first is used",
        "unexpected specVersion '2.3'",
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"@context": "x", "@graph": [', "invalid JSON"),
        (b'"just a string"', "top level is a str"),
        (b'{"@graph": 5}', "@graph is a int"),
        (b"\x00\x01binary\xff", "invalid JSON"),
        (b"[" * 10_000, "invalid JSON"),
    ],
)
def test_unreadable(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableInput, match=reason):
        read(data)


def test_root_cycles_and_unknown_relationships_are_harmless() -> None:
    doc = read(
        {
            "@context": CONTEXT,
            "@graph": [
                {"type": "SpdxDocument", "spdxId": "urn:d", "rootElement": ["urn:s1"]},
                {"type": "software_Sbom", "spdxId": "urn:s1", "rootElement": ["urn:s2", "urn:p"]},
                {"type": "software_Sbom", "spdxId": "urn:s2", "rootElement": ["urn:s1"]},
                {"type": "software_Package", "spdxId": "urn:p", "name": "p"},
                {
                    "type": "Relationship",
                    "from": "urn:p",
                    "relationshipType": "generates",
                    "to": ["urn:d"],
                },
            ],
        }
    )
    assert doc.roots == ("urn:p",) and doc.edges == ()


def test_embedded_and_repeated_elements() -> None:
    package = {"type": "software_Package", "spdxId": "urn:p", "name": "embedded"}
    doc = read(
        {
            "@context": CONTEXT,
            "@graph": [
                {
                    "type": "SpdxDocument",
                    "spdxId": "urn:d",
                    "rootElement": [package],
                    "element": [package, "urn:q"],
                },
                {"type": "software_Package", "spdxId": "urn:q", "name": "q"},
                {"type": "software_Package", "spdxId": "urn:q", "name": "q again"},
            ],
        }
    )
    assert [(c.ref, c.name, c.pointer) for c in doc.components[1:]] == [
        ("urn:p", "embedded", "/@graph/0/element/0"),
        ("urn:q", "q", "/@graph/1"),
    ]
    assert doc.roots == ("urn:p",)
