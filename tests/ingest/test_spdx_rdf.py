"""SPDX 2.x RDF/XML reader."""

from __future__ import annotations

import pytest

from auditor.errors import UnreadableInput
from auditor.ingest import spdx2, spdx_rdf
from auditor.models import Component, ComponentKind, FieldKind, SbomDocument, SbomFormat
from tests.conftest import FIXTURES

K = FieldKind
SPDX23 = FIXTURES / "sbom" / "spdx" / "2.3"
RDF_FIXTURE = SPDX23 / "all-fields.spdx.rdf.xml"
NS = "https://example.invalid/spdx/TEST-rdf"


def read(data: bytes | str) -> SbomDocument:
    raw = data.encode() if isinstance(data, str) else data
    return spdx_rdf.read("test.rdf.xml", raw, SbomFormat.SPDX_RDF)


def rdf(body: str, version: str = "SPDX-2.3") -> str:
    return (
        '<rdf:RDF xmlns:spdx="http://spdx.org/rdf/terms#" '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" '
        'xmlns:doap="http://usefulinc.com/ns/doap#">\n'
        f'<spdx:SpdxDocument rdf:about="{NS}#SPDXRef-DOCUMENT">\n'
        f"<spdx:specVersion>{version}</spdx:specVersion><spdx:name>TEST-rdf</spdx:name>\n"
        "</spdx:SpdxDocument>\n"
        f"{body}\n</rdf:RDF>\n"
    )


def facts(component: Component) -> list[tuple[FieldKind, str, str]]:
    return [(f.field, f.value, f.where) for f in component.facts]


def test_fixture_exact() -> None:
    doc = read(RDF_FIXTURE.read_bytes())
    assert doc.problems == ()
    assert (doc.format, doc.spec_version, doc.name) == (
        SbomFormat.SPDX_RDF,
        "2.3",
        "TEST-spdx-all-fields",
    )
    assert doc.roots == ("SPDXRef-Package-app",)
    assert doc.edges == (
        ("SPDXRef-DOCUMENT", "SPDXRef-Package-app"),
        ("SPDXRef-Package-app", "SPDXRef-Package-engine"),
        ("SPDXRef-Package-app", "SPDXRef-File-engine"),
        ("SPDXRef-Package-app", "DocumentRef-other:SPDXRef-lib"),
        ("SPDXRef-Package-engine", "SPDXRef-File-engine"),
    )
    # The engine package appears twice (nested, and empty at the end): one record.
    records = [(c.ref, c.kind, c.name, c.version, c.pointer, c.line) for c in doc.components]
    assert records == [
        ("SPDXRef-DOCUMENT", ComponentKind.DOCUMENT, "TEST-spdx-all-fields", "", "", 8),
        ("SPDXRef-Package-app", ComponentKind.PACKAGE, "example-app", "1.0.0", "line:41", 41),
        (
            "SPDXRef-Package-engine",
            ComponentKind.PACKAGE,
            "test-scan-engine",
            "2.0",
            "line:125",
            125,
        ),
        ("SPDXRef-File-engine", ComponentKind.FILE, "./lib/engine.so", "", "line:182", 182),
        (
            "SPDXRef-Snippet-hash",
            ComponentKind.SNIPPET,
            "vendored hash routine",
            "",
            "line:205",
            205,
        ),
    ]
    document, app, engine, file, snippet = doc.components
    assert facts(document) == [
        (K.TEXT, "Synthetic TEST document for kaspersky-sbom-auditor reader tests.", "line:12"),
        (K.AUTHOR, "Example Integrator Ltd", "line:16"),
        (K.EMAIL, "sbom@example.invalid", "line:16"),
        (K.AUTHOR, "Jane Tester", "line:17"),
        (K.TEXT, "example-sbom-tool-1.0", "line:18"),
        (K.TEXT, "Written by hand\nfor the test suite.", "line:19"),
        (K.LICENSE, "TEST Kaspersky Lab EULA text (synthetic).", "line:32"),
        (K.LICENSE, "TEST EULA", "line:33"),
    ]
    assert facts(app) == [
        (K.NAME, "example-app", "line:42"),
        (K.VERSION, "1.0.0", "line:43"),
        (K.SUPPLIER, "Example Integrator Ltd", "line:44"),
        (K.EMAIL, "sbom@example.invalid", "line:44"),
        (K.ORIGINATOR, "Jane Tester", "line:45"),
        (K.URL, "https://example.invalid/example-app-1.0.0.tar.gz", "line:46"),
        (K.URL, "https://example.invalid/example-app", "line:47"),
        (K.COPYRIGHT, "Copyright 2024 Example Integrator Ltd", "line:49"),
        (K.DESCRIPTION, "Example application.", "line:50"),
        (K.DESCRIPTION, "An application that bundles a third-party scanning engine.", "line:51"),
        (K.TEXT, "Package comment.", "line:52"),
        (K.TEXT, "First attribution.", "line:53"),
        (K.TEXT, "Second attribution.", "line:54"),
        (K.TEXT, "built from tag v1.0.0", "line:55"),
        (K.FILENAME, "example-app-1.0.0.tar.gz", "line:56"),
        (
            K.HASH,
            "sha256:13dfa2b5532b8a98de05e2aa8082a5947e64fc571720e3f2c26ea96181143e64",
            "line:60",
        ),
        (K.HASH, "sha1:56ef94bab3361cb554912981cc41064337a635e2", "line:66"),
        (K.PURL, "pkg:generic/example-app@1.0.0", "line:73"),
        (K.CPE, "cpe:2.3:a:example:example-app:1.0.0:*:*:*:*:*:*:*", "line:80"),
        (K.CPE, "cpe:/a:example:example-app:1.0.0", "line:87"),
        (K.SWID, "swid:example.invalid/example-app-1.0.0", "line:94"),
        (K.URL, "https://example.invalid/example-app/about", "line:103"),
        (K.TEXT, "acmecorp/example-app/1.0.0", "line:110"),
        (K.LICENSE, "MIT", "line:113"),
        (K.LICENSE, "(MIT OR Apache-2.0)", "line:114"),
        (K.LICENSE, "Licence comment.", "line:120"),
    ]
    assert facts(engine) == [
        (K.NAME, "test-scan-engine", "line:126"),
        (K.VERSION, "2.0", "line:127"),
        (K.SUPPLIER, "Other Vendor GmbH", "line:128"),
        (K.COPYRIGHT, "Copyright TEST Kaspersky Lab (synthetic)", "line:132"),
        (K.PURL, "pkg:generic/test-kaspersky-engine@2.0", "line:137"),
        (K.CPE, "cpe:2.3:a:test_kaspersky:engine:2.0:*:*:*:*:*:*:*", "line:144"),
        (K.LICENSE, "LicenseRef-TEST-EULA", "line:148"),
    ]
    assert facts(file) == [
        (K.FILENAME, "./lib/engine.so", "line:183"),
        (
            K.HASH,
            "sha256:81392f9e43e61e14269a715cd4051ea81cfeb8894bad594c6d117bec429f5344",
            "line:187",
        ),
        (K.COPYRIGHT, "Copyright Other Vendor GmbH", "line:190"),
        (K.TEXT, "Contains code from Other Vendor GmbH.", "line:191"),
        (K.AUTHOR, "Other Vendor GmbH", "line:192"),
        (K.AUTHOR, "Jane Tester", "line:193"),
        (K.TEXT, "Engine library.", "line:194"),
        (K.LICENSE, "File licence comment.", "line:196"),
        (K.TEXT, "File attribution.", "line:197"),
    ]
    assert facts(snippet) == [
        (K.COPYRIGHT, "Copyright Snippet Author", "line:208"),
        (K.TEXT, "Snippet comment.", "line:209"),
        (K.NAME, "vendored hash routine", "line:210"),
        (K.TEXT, "Snippet attribution.", "line:211"),
    ]


def test_fixture_has_the_same_facts_as_the_json_fixture() -> None:
    json_doc = spdx2.read(
        "x.json", (SPDX23 / "all-fields.spdx.json").read_bytes(), SbomFormat.SPDX_JSON
    ).realized()

    def shape(doc: SbomDocument) -> list[object]:
        return [
            (c.ref, c.kind, c.name, c.version, sorted((f.field, f.value) for f in c.facts))
            for c in doc.components
        ]

    doc = read(RDF_FIXTURE.read_bytes())
    assert shape(doc) == shape(json_doc)
    assert set(doc.edges) == set(json_doc.edges) and doc.roots == json_doc.roots


def test_typed_descriptions_licences_and_blank_nodes() -> None:
    doc = read(
        rdf(
            f'<rdf:Description rdf:about="{NS}#SPDXRef-p">'
            '<rdf:type rdf:resource="http://spdx.org/rdf/terms#Package"/>'
            "<spdx:name>described</spdx:name>"
            "<spdx:licenseConcluded><spdx:ConjunctiveLicenseSet>"
            '<spdx:member rdf:resource="http://spdx.org/licenses/MIT"/>'
            "<spdx:member><spdx:OrLaterOperator><spdx:member>"
            '<spdx:ListedLicense rdf:about="http://spdx.org/licenses/GPL-2.0"/>'
            "</spdx:member></spdx:OrLaterOperator></spdx:member>"
            "<spdx:member><spdx:WithExceptionOperator>"
            '<spdx:member rdf:resource="http://spdx.org/licenses/GPL-3.0-only"/>'
            "<spdx:licenseException><spdx:LicenseException>"
            "<spdx:licenseExceptionId>Classpath-exception-2.0</spdx:licenseExceptionId>"
            "</spdx:LicenseException></spdx:licenseException>"
            "</spdx:WithExceptionOperator></spdx:member>"
            "</spdx:ConjunctiveLicenseSet></spdx:licenseConcluded>"
            "<spdx:licenseDeclared><spdx:ExtractedLicensingInfo>"
            "<spdx:licenseId>LicenseRef-x</spdx:licenseId>"
            "<spdx:extractedText>TEST extracted</spdx:extractedText>"
            "</spdx:ExtractedLicensingInfo></spdx:licenseDeclared>"
            "</rdf:Description>\n"
            '<spdx:File rdf:nodeID="b1"><spdx:fileName>blank.c</spdx:fileName></spdx:File>'
        )
    )
    assert doc.problems == ()
    package, blank = doc.components[1:]
    assert (package.ref, package.kind, package.name) == (
        "SPDXRef-p",
        ComponentKind.PACKAGE,
        "described",
    )
    assert [(f.field, f.value) for f in package.facts] == [
        (K.NAME, "described"),
        (K.LICENSE, "(MIT AND GPL-2.0+ AND GPL-3.0-only WITH Classpath-exception-2.0)"),
        (K.LICENSE, "LicenseRef-x"),
    ]
    assert (blank.ref, blank.kind, blank.name) == ("_:b1", ComponentKind.FILE, "blank.c")
    assert (K.LICENSE, "TEST extracted") in [(f.field, f.value) for f in doc.components[0].facts]


def test_missing_identities_and_types_are_problems() -> None:
    doc = read(
        rdf(
            "<spdx:Package><spdx:name>anonymous</spdx:name></spdx:Package>\n"
            f'<spdx:File rdf:about="{NS}#SPDXRef-x"><spdx:fileName>f</spdx:fileName></spdx:File>\n'
            f'<spdx:Package rdf:about="{NS}#SPDXRef-x"/>\n'
            "<spdx:Relationship><spdx:relationshipType/></spdx:Relationship>",
            version="SPDX-2.9",
        )
    )
    assert [(c.ref, c.kind) for c in doc.components] == [
        ("SPDXRef-DOCUMENT", ComponentKind.DOCUMENT),
        ("line:5", ComponentKind.PACKAGE),
        ("SPDXRef-x", ComponentKind.FILE),
    ]
    assert doc.problems == (
        "line 5: spdx:Package has no rdf:about",
        "line 7: SPDXRef-x has two types",
        "line 8: relationship is incomplete",
        "unknown spdxVersion 'SPDX-2.9'",
    )


def test_not_rdf_and_no_document() -> None:
    doc = read("<Document><name>x</name></Document>")
    assert len(doc.components) == 1 and doc.components[0].ref == "SPDXRef-DOCUMENT"
    assert doc.problems == (
        "unexpected root element <Document> (expected rdf:RDF)",
        "no spdx:SpdxDocument element",
        "the document has no name",
        "spdxVersion is missing",
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<rdf:RDF", "invalid SPDX RDF/XML"),
        (b"", "invalid SPDX RDF/XML"),
        (b"\x00\xff garbage \x01", "invalid SPDX RDF/XML"),
        (
            b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>',
            "XML entity declarations are not allowed",
        ),
        ("<a>" * 300 + "</a>" * 300, "invalid SPDX RDF/XML"),
    ],
)
def test_unreadable(data: bytes | str, reason: str) -> None:
    with pytest.raises(UnreadableInput, match=reason):
        read(data)


def test_corpus_utf16_variant_equals_utf8() -> None:
    from tests.conftest import CORPUS

    folder = CORPUS / "spdx-tools-python" / "data"
    if not folder.is_dir():
        pytest.skip(f"SKIPPED LOUDLY: shared SBOM corpus not found at {CORPUS}")
    utf16 = read((folder / "SPDXRdfExample-UTF-16.spdx.rdf.xml").read_bytes())
    utf8 = read((folder / "SPDXRdfExample-v2.2.spdx.rdf.xml").read_bytes())
    assert [(c.ref, c.facts) for c in utf16.components] == [
        (c.ref, c.facts) for c in utf8.components
    ]
    assert utf16.edges == utf8.edges and utf16.roots == utf8.roots
