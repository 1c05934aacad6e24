"""SPDX 2.x tag-value reader."""

from __future__ import annotations

import pytest

from auditor.errors import UnreadableInput
from auditor.ingest import spdx2, spdx_tagvalue
from auditor.models import Component, ComponentKind, FieldKind, SbomDocument, SbomFormat
from tests.conftest import FIXTURES

K = FieldKind
SPDX23 = FIXTURES / "sbom" / "spdx" / "2.3"
HEADER = "SPDXVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: TEST-tv\n"


def read(data: bytes | str) -> SbomDocument:
    raw = data.encode() if isinstance(data, str) else data
    return spdx_tagvalue.read("test.spdx", raw, SbomFormat.SPDX_TAGVALUE)


def facts(component: Component) -> list[tuple[FieldKind, str, str]]:
    """The record's facts (the reader defers them: extracted here)."""
    return [(f.field, f.value, f.where) for f in component.realized().facts]


def test_fixture_exact() -> None:
    doc = read((SPDX23 / "all-fields.spdx").read_bytes())
    assert doc.problems == ()
    assert (doc.format, doc.spec_version, doc.name) == (
        SbomFormat.SPDX_TAGVALUE,
        "2.3",
        "TEST-spdx-all-fields",
    )
    assert doc.roots == ("SPDXRef-Package-app",)
    assert doc.edges == (
        ("SPDXRef-DOCUMENT", "SPDXRef-Package-app"),
        ("SPDXRef-Package-app", "SPDXRef-Package-engine"),
        ("SPDXRef-Package-engine", "SPDXRef-File-engine"),
        ("SPDXRef-Package-app", "SPDXRef-File-engine"),
        ("SPDXRef-Package-app", "DocumentRef-other:SPDXRef-lib"),
    )
    records = [(c.ref, c.kind, c.name, c.version, c.pointer, c.line) for c in doc.components]
    assert records == [
        ("SPDXRef-DOCUMENT", ComponentKind.DOCUMENT, "TEST-spdx-all-fields", "", "", 1),
        ("SPDXRef-Package-app", ComponentKind.PACKAGE, "example-app", "1.0.0", "line:27", 27),
        ("SPDXRef-Package-engine", ComponentKind.PACKAGE, "test-scan-engine", "2.0", "line:57", 57),
        ("SPDXRef-File-engine", ComponentKind.FILE, "./lib/engine.so", "", "line:70", 70),
        ("SPDXRef-Snippet-hash", ComponentKind.SNIPPET, "vendored hash routine", "", "line:84", 84),
    ]
    document, app, engine, file, snippet = doc.components
    assert facts(document) == [
        (K.TEXT, "Synthetic TEST document for kaspersky-sbom-auditor reader tests.", "line:7"),
        (K.AUTHOR, "Example Integrator Ltd", "line:10"),
        (K.EMAIL, "sbom@example.invalid", "line:10"),
        (K.AUTHOR, "Jane Tester", "line:11"),
        (K.TEXT, "example-sbom-tool-1.0", "line:12"),
        (K.TEXT, "Written by hand\nfor the test suite.", "line:14"),
        (K.LICENSE, "TEST Kaspersky Lab EULA text (synthetic).", "line:95"),
        (K.LICENSE, "TEST EULA", "line:96"),
    ]
    assert facts(app) == [
        (K.NAME, "example-app", "line:27"),
        (K.VERSION, "1.0.0", "line:29"),
        (K.FILENAME, "example-app-1.0.0.tar.gz", "line:30"),
        (K.SUPPLIER, "Example Integrator Ltd", "line:31"),
        (K.EMAIL, "sbom@example.invalid", "line:31"),
        (K.ORIGINATOR, "Jane Tester", "line:32"),
        (K.URL, "https://example.invalid/example-app-1.0.0.tar.gz", "line:33"),
        (
            K.HASH,
            "sha256:13dfa2b5532b8a98de05e2aa8082a5947e64fc571720e3f2c26ea96181143e64",
            "line:35",
        ),
        (K.HASH, "sha1:56ef94bab3361cb554912981cc41064337a635e2", "line:36"),
        (K.URL, "https://example.invalid/example-app", "line:37"),
        (K.TEXT, "built from tag v1.0.0", "line:38"),
        (K.LICENSE, "MIT", "line:39"),
        (K.LICENSE, "(MIT OR Apache-2.0)", "line:40"),
        (K.LICENSE, "Licence comment.", "line:41"),
        (K.COPYRIGHT, "Copyright 2024 Example Integrator Ltd", "line:42"),
        (K.DESCRIPTION, "Example application.", "line:43"),
        (K.DESCRIPTION, "An application that bundles a third-party scanning engine.", "line:44"),
        (K.TEXT, "Package comment.", "line:45"),
        (K.TEXT, "First attribution.", "line:46"),
        (K.TEXT, "Second attribution.", "line:47"),
        (K.PURL, "pkg:generic/example-app@1.0.0", "line:48"),
        (K.CPE, "cpe:2.3:a:example:example-app:1.0.0:*:*:*:*:*:*:*", "line:49"),
        (K.CPE, "cpe:/a:example:example-app:1.0.0", "line:50"),
        (K.SWID, "swid:example.invalid/example-app-1.0.0", "line:51"),
        (K.URL, "https://example.invalid/example-app/about", "line:52"),
        (K.TEXT, "acmecorp/example-app/1.0.0", "line:53"),
    ]
    assert facts(engine) == [
        (K.NAME, "test-scan-engine", "line:57"),
        (K.VERSION, "2.0", "line:59"),
        (K.SUPPLIER, "Other Vendor GmbH", "line:60"),
        (K.LICENSE, "LicenseRef-TEST-EULA", "line:64"),
        (K.COPYRIGHT, "Copyright TEST Kaspersky Lab (synthetic)", "line:65"),
        (K.PURL, "pkg:generic/test-kaspersky-engine@2.0", "line:66"),
        (K.CPE, "cpe:2.3:a:test_kaspersky:engine:2.0:*:*:*:*:*:*:*", "line:67"),
    ]
    assert facts(file) == [
        (K.FILENAME, "./lib/engine.so", "line:70"),
        (K.TEXT, "Engine library.", "line:72"),
        (
            K.HASH,
            "sha256:81392f9e43e61e14269a715cd4051ea81cfeb8894bad594c6d117bec429f5344",
            "line:73",
        ),
        (K.LICENSE, "File licence comment.", "line:76"),
        (K.COPYRIGHT, "Copyright Other Vendor GmbH", "line:77"),
        (K.TEXT, "Contains code from Other Vendor GmbH.", "line:78"),
        (K.AUTHOR, "Other Vendor GmbH", "line:79"),
        (K.AUTHOR, "Jane Tester", "line:80"),
        (K.TEXT, "File attribution.", "line:81"),
    ]
    assert facts(snippet) == [
        (K.COPYRIGHT, "Copyright Snippet Author", "line:88"),
        (K.TEXT, "Snippet comment.", "line:89"),
        (K.NAME, "vendored hash routine", "line:90"),
        (K.TEXT, "Snippet attribution.", "line:91"),
    ]
    lines = (SPDX23 / "all-fields.spdx").read_text().splitlines()
    for component in doc.components[1:]:
        tag = lines[(component.line or 0) - 1].split(":", 1)[0]
        assert tag in ("PackageName", "FileName", "SnippetSPDXID")


def test_fixture_has_the_same_facts_as_the_json_fixture() -> None:
    tag_value = read((SPDX23 / "all-fields.spdx").read_bytes()).realized()
    json_doc = spdx2.read(
        "x.json", (SPDX23 / "all-fields.spdx.json").read_bytes(), SbomFormat.SPDX_JSON
    ).realized()

    def shape(doc: SbomDocument) -> list[object]:
        return [
            (c.ref, c.kind, c.name, c.version, sorted((f.field, f.value) for f in c.facts))
            for c in doc.components
        ]

    assert shape(tag_value) == shape(json_doc)
    assert set(tag_value.edges) == set(json_doc.edges) and tag_value.roots == json_doc.roots


def test_text_blocks_comments_and_odd_spacing() -> None:
    doc = read(
        HEADER
        + "# a comment\n  ## another\n\n"
        + "PackageName:\tspaced  \nSPDXID:SPDXRef-p\n"
        + "PackageComment: <text>line one\nPackageVersion: not a tag inside text\n"
        + "last line</text> trailing ignored\n"
        + "PackageCopyrightText: <text>software copyright (c), <http://www.bea.com/></text>\n"
        + "PackageSummary: <text></text>\n"
    )
    assert doc.problems == ()
    package = doc.components[1]
    assert (package.name, package.version, package.ref, package.line) == (
        "spaced",
        "",
        "SPDXRef-p",
        7,
    )
    assert facts(package) == [
        (K.NAME, "spaced", "line:7"),
        (K.TEXT, "line one\nPackageVersion: not a tag inside text\nlast line", "line:9"),
        (K.COPYRIGHT, "software copyright (c), <http://www.bea.com/>", "line:12"),
    ]


def test_unterminated_text_and_bad_lines_are_problems() -> None:
    doc = read(
        HEADER
        + "PackageName: p\nSPDXID: SPDXRef-p\n"
        + "PackageComment: <text>never closed\n"
        + "this line has no tag\n"
        + "PackageVersion: 1.0\n"
        + "PackageChecksum: no-colon-here\n"
        + "ExternalRef: OTHER purl\n"
        + "Relationship: SPDXRef-p CONTAINS\n"
        + "FileChecksum: SHA1: 00\n"
        + "MadeUpTag: x\n"
    )
    package = doc.components[1]
    assert facts(package) == [
        (K.NAME, "p", "line:4"),
        (K.TEXT, "never closed", "line:6"),
        (K.VERSION, "1.0", "line:8"),
    ]
    assert doc.problems == (
        "line 6: <text> is never closed",
        "line 7: not a 'Tag: value' line: 'this line has no tag'",
        "line 9: PackageChecksum is not 'ALGORITHM: value'",
        "line 10: ExternalRef is not 'CATEGORY TYPE LOCATOR'",
        "line 12: FileChecksum found in a package; ignored",
        "line 13: unknown tag 'MadeUpTag'",
        "line 11: Relationship is not 'ELEMENT TYPE ELEMENT'",
    )


def test_files_follow_their_package_and_missing_ids() -> None:
    doc = read(
        HEADER
        + "FileName: ./standalone\nSPDXID: SPDXRef-f0\n"
        + "PackageName: p\nSPDXID: SPDXRef-p\n"
        + "FileName: ./in-p\nSPDXID: SPDXRef-f1\n"
        + "FileName: ./no-id\n"
        + "PackageName: q\n"
    )
    refs = [c.ref for c in doc.components]
    assert refs == [
        "SPDXRef-DOCUMENT",
        "SPDXRef-f0",
        "SPDXRef-p",
        "SPDXRef-f1",
        "line:10",
        "line:11",
    ]
    assert doc.edges == (("SPDXRef-p", "SPDXRef-f1"), ("SPDXRef-p", "line:10"))
    assert "line 10: file has no SPDXID" in doc.problems
    assert "line 11: package has no SPDXID" in doc.problems


def test_header_problems() -> None:
    doc = read("PackageName: p\nSPDXID: SPDXRef-p\nPackageVersion: 2\nSPDXVersion: SPDX-7\n")
    assert doc.components[0].ref == "SPDXRef-DOCUMENT" and doc.name == ""
    assert doc.problems == ("unknown spdxVersion 'SPDX-7'", "DocumentName is missing")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("\ufeff" + HEADER, None),
        (b"\xff\xfe" + HEADER.encode("utf-16-le"), None),
        (b"\xfe\xff" + HEADER.encode("utf-16-be"), None),
        (HEADER.replace("\n", "\r"), None),
        (HEADER.replace("\n", "\r\n"), None),
        (HEADER.encode() + b"DocumentComment: caf\xe9\n", "not valid UTF-8"),
    ],
)
def test_encodings_and_line_endings(data: str | bytes, problem: str | None) -> None:
    doc = read(data)
    assert (doc.name, doc.spec_version) == ("TEST-tv", "2.3")
    if problem is None:
        assert doc.problems == ()
    else:
        assert any(problem in p for p in doc.problems)


def test_corpus_utf16_variant_equals_utf8() -> None:
    from tests.conftest import CORPUS

    folder = CORPUS / "spdx-tools-python" / "data"
    if not folder.is_dir():
        pytest.skip(f"SKIPPED LOUDLY: shared SBOM corpus not found at {CORPUS}")
    utf16 = read((folder / "SPDXTagExample-UTF-16.spdx").read_bytes())
    utf8 = read((folder / "SPDXTagExample-v2.2.spdx").read_bytes())
    assert utf16.components == utf8.components and utf16.edges == utf8.edges


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n# only comments\n",
        b"\x00\x01\x02\x03\xff" * 50,
        b"hello world",
        b"Key: value\nOther: thing\n",
        b"\xff\xfe" + "\ud800".encode("utf-16-le", "surrogatepass"),
    ],
)
def test_unreadable(data: bytes) -> None:
    with pytest.raises(UnreadableInput, match="no SPDX 'Tag: value' lines found"):
        read(data)


def test_many_unclosed_text_blocks_are_linear() -> None:
    data = HEADER + "PackageName: p\nSPDXID: SPDXRef-p\n" + "PackageComment: <text>x\n" * 50_000
    doc = read(data)
    assert len(doc.components) == 2
    assert doc.problems[-1] == "... and 49950 more problems"


def test_spdx_yaml_handed_over_as_tag_value_is_read_as_yaml() -> None:
    # "SPDXID:" lines make SPDX YAML look like tag-value to a quick content sniff.
    data = (SPDX23 / "all-fields.spdx.yaml").read_bytes()
    doc = read(data)
    assert doc.format is SbomFormat.SPDX_YAML
    assert doc.problems == ("the content is SPDX YAML, not tag-value; it was read as YAML",)
    expected = spdx2.read("test.spdx", data, SbomFormat.SPDX_YAML)
    assert doc.components == expected.components and doc.edges == expected.edges


# --- deferred facts ---------------------------------------------------------------------------


def test_an_element_keeps_its_own_lines_for_the_prefilter_and_reads_facts_from_them() -> None:
    doc = read(
        HEADER
        + "PackageName: p\nSPDXID: SPDXRef-p\nPackageSupplier: Organization: AO Kaspersky Lab\n"
        + "PackageComment: <text>two\nlines</text>\n"
        + "Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-p\n"
        + "LicenseID: LicenseRef-x\nExtractedText: <text>licence text</text>\n"
    )
    package = doc.components[1]
    assert package.facts == () and package.prefilter is not None
    assert package.prefilter.decode() == (
        "PackageName: p\nSPDXID: SPDXRef-p\nPackageSupplier: Organization: AO Kaspersky Lab\n"
        "PackageComment: <text>two\nlines</text>"
    )
    assert facts(package) == [
        (K.NAME, "p", "line:4"),
        (K.SUPPLIER, "AO Kaspersky Lab", "line:6"),
        (K.TEXT, "two\nlines", "line:7"),
    ]
    assert doc.roots == ("SPDXRef-p",)
    assert facts(doc.components[0])[-1] == (K.LICENSE, "licence text", "line:11")


def test_inline_entries_report_problems_like_the_general_path() -> None:
    doc = read(
        HEADER
        + "FileName: ./f\nSPDXID: SPDXRef-f\nSPDXID: SPDXRef-again\nPackageVersion: 1\n"
        + "PackageName: p\nSPDXID: SPDXRef-p\n  PackageVersion: 2 \nPackageChecksum: SHA1\n"
    )
    assert doc.problems == (
        "line 6: second SPDXID for one element",
        "line 7: PackageVersion found in a file; ignored",
        "line 11: PackageChecksum is not 'ALGORITHM: value'",
    )
    assert [(c.ref, c.version) for c in doc.components[1:]] == [
        ("SPDXRef-f", ""),
        ("SPDXRef-p", "2"),
    ]


def test_deferred_facts_survive_pickling_with_their_line_numbers() -> None:
    import pickle

    doc = read((SPDX23 / "all-fields.spdx").read_bytes())
    restored = pickle.loads(pickle.dumps(doc))
    assert restored.realized() == doc.realized()
    assert [facts(c) for c in restored.components] == [facts(c) for c in doc.components]
