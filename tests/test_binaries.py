"""Binaries (PE, ELF): signers, version resources, strings; claims vs verified certificates;
white-label; benign look-alikes; broken files never crash the run."""

from __future__ import annotations

import json
import os

import jsonschema
import pytest

from auditor.api import audit
from auditor.intel.compile import CompiledIntel
from auditor.match.engine import match_component
from auditor.models import (
    Component,
    ComponentKind,
    Confidence,
    DetectionClass,
    Fact,
    FieldKind,
    Level,
    SbomFormat,
)
from auditor.report.sarif import render_sarif
from auditor.triage import classify
from tests.conftest import FIXTURES, REPO

BIN = FIXTURES / "binaries"


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        return audit(["fixtures/binaries"])
    finally:
        os.chdir(cwd)


def _finding(result, name):  # type: ignore[no-untyped-def]
    found = [f for f in result.findings if f.component.name == name]
    return found[0] if found else None


def test_binaries_in_a_directory_are_read_by_format(result) -> None:  # type: ignore[no-untyped-def]
    formats = {d.name: d.format for d in result.documents}
    assert formats["test-kaspersky-product.exe"] is SbomFormat.PE
    assert formats["libtest-kav-wrapper.so"] is SbomFormat.ELF
    assert result.complete


def test_kaspersky_branded_binary_signed_by_an_unknown_certificate_is_a_claimed_product(
    result,  # type: ignore[no-untyped-def]
) -> None:
    finding = _finding(result, "test-kaspersky-product.exe")
    assert finding.detection_class is DetectionClass.PRODUCT
    assert finding.confidence is Confidence.MEDIUM  # version info + a claimed certificate
    assert "KL-SIGN-001" in {h.indicator_id for h in finding.hits}
    assert "treat it as a claim" in finding.message


def test_self_signed_certificate_claiming_the_name_is_reported_as_such(result) -> None:  # type: ignore[no-untyped-def]
    finding = _finding(result, "test-claims-only.exe")
    assert finding.confidence is Confidence.MEDIUM
    assert "self-signed" in finding.message


def test_another_vendors_dll_with_the_kaspersky_sdk_inside_is_embedded(result) -> None:  # type: ignore[no-untyped-def]
    finding = _finding(result, "test-whitelabel-scanner.dll")
    assert finding.detection_class is DetectionClass.EMBEDDED
    assert finding.level is Level.ERROR
    assert finding.other_vendors == ("TEST Acme Networks Inc.",)
    assert "KL-PROD-028" in {h.indicator_id for h in finding.hits}  # Kaspersky Anti-Virus SDK


def test_library_wrapping_the_scan_engine_is_embedded(result) -> None:  # type: ignore[no-untyped-def]
    finding = _finding(result, "libtest-kav-wrapper.so")
    assert finding.detection_class is DetectionClass.EMBEDDED
    assert {"KL-ART-002", "KL-PROD-032"} <= {h.indicator_id for h in finding.hits}


def test_uninstaller_listing_kaspersky_names_is_at_most_a_note(result) -> None:  # type: ignore[no-untyped-def]
    finding = _finding(result, "test-uninstaller.exe")
    assert finding is not None and finding.level is Level.NOTE
    assert finding.detection_class is DetectionClass.MENTION


def test_clean_binaries_have_no_finding(result) -> None:  # type: ignore[no-untyped-def]
    assert _finding(result, "test-clean.exe") is None
    assert _finding(result, "test-clean-elf") is None


def test_broken_binaries_are_read_as_far_as_possible_with_a_clear_problem(result) -> None:  # type: ignore[no-untyped-def]
    problems = result.problems
    assert any("truncated" in p for p in problems["fixtures/binaries/pe/test-truncated.exe"])
    assert any(
        "outside the file" in p for p in problems["fixtures/binaries/pe/test-bad-certtable.exe"]
    )


def test_garbage_with_a_binary_magic_never_crashes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name, data in {
        "fake.exe": b"MZ" + os.urandom(200),
        "fake.so": b"\x7fELF" + b"\xff" * 60,
        "fake.dylib": b"\xcf\xfa\xed\xfe" + b"\x00" * 8,
    }.items():
        (tmp_path / name).write_bytes(data)
    result = audit([tmp_path])
    assert len(result.documents) + len(result.not_inspected) == 3
    for document in result.documents:
        assert document.problems, document.path


def test_a_certificate_with_kasperskys_known_thumbprint_is_high_confidence(
    intel: CompiledIntel,
) -> None:
    signer = "/signatures/0/signers/0"
    component = Component(
        ref="x",
        kind=ComponentKind.BINARY,
        name="x.exe",
        version="",
        pointer="",
        facts=(
            Fact(
                FieldKind.CERT_SUBJECT,
                "CN=Kaspersky Lab, O=Kaspersky Lab, serialNumber=1027739867473",
                f"{signer}/subject",
            ),
            Fact(
                FieldKind.HASH,
                "sha256:d12ecaf902a698e1e4e8a78f653d4ddd0d79367d85ea270d17005aae4079fdd0",
                f"{signer}/sha256",
            ),
        ),
    )
    detection, confidence, _, _ = classify(component, match_component(intel, component))
    assert detection is DetectionClass.PRODUCT
    assert confidence is Confidence.HIGH


def test_white_label_binary_sarif_is_valid_and_stable() -> None:
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        text = render_sarif(audit(["fixtures/binaries/pe/test-whitelabel-scanner.dll"]))
    finally:
        os.chdir(cwd)
    schema = json.loads((REPO / "auditor/report/schemas/sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(json.loads(text))
    golden = FIXTURES / "golden" / "binary-whitelabel.sarif"
    if os.environ.get("AUDITOR_UPDATE_SNAPSHOTS") == "1":
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_certificate_embedded_in_a_dll_body_is_evidence(result) -> None:  # type: ignore[no-untyped-def]
    finding = _finding(result, "test-whitelabel-scanner.dll")
    embedded = [h for h in finding.hits if h.where.startswith("/embedded-certificates/")]
    assert embedded and {h.indicator_id for h in embedded} >= {"KL-SIGN-001"}
    assert "treat it as a claim" in finding.message  # a TEST certificate, not Kaspersky's


def test_java_archive_with_the_mobile_sdk_namespace_is_embedded(result) -> None:  # type: ignore[no-untyped-def]
    finding = _finding(result, "test-mobile-bank-core.jar")
    assert finding.detection_class is DetectionClass.EMBEDDED
    assert finding.other_vendors == ("TEST Mobile Bank Ltd",)
    assert [h.value for h in finding.hits if h.where.startswith("/classes/")] == ["com.kavsdk"]
    document = next(d for d in result.documents if d.name == "test-mobile-bank-core.jar")
    subjects = [f.value for f in document.components[0].facts if f.field is FieldKind.CERT_SUBJECT]
    assert any("TEST Mobile Bank Ltd" in s for s in subjects)  # the JAR signature block


def test_look_alike_java_archive_has_no_finding(result) -> None:  # type: ignore[no-untyped-def]
    assert _finding(result, "test-kasper-templates.jar") is None


def test_android_app_with_the_mobile_sdk_inside_is_embedded(result) -> None:  # type: ignore[no-untyped-def]
    finding = _finding(result, "test-bank-app.apk")
    assert finding.detection_class is DetectionClass.EMBEDDED
    document = next(d for d in result.documents if d.name == "test-bank-app.apk")
    facts = {(f.field, f.value) for f in document.components[0].facts}
    assert (FieldKind.NAME, "com.test.mobilebank") in facts  # binary AndroidManifest.xml
    assert any(f == FieldKind.CERT_SUBJECT and "TEST Acme" in v for f, v in facts)  # v2 block


def test_android_app_claiming_kasperskys_id_and_name_is_a_medium_confidence_product(
    result,  # type: ignore[no-untyped-def]
) -> None:
    finding = _finding(result, "test-kaspersky-mobile.apk")
    assert finding.detection_class is DetectionClass.PRODUCT
    assert finding.confidence is Confidence.MEDIUM
    assert "treat it as a claim" in finding.message


def test_look_alike_android_app_has_no_finding(result) -> None:  # type: ignore[no-untyped-def]
    assert _finding(result, "test-example-app.apk") is None


def test_android_parsers_survive_garbage() -> None:
    from auditor.ingest.android import manifest_package, signing_block_certificates

    for blob in (b"", b"\x03\x00\x08\x00", os.urandom(512), b"APK Sig Block 42" * 3):
        assert manifest_package(blob) is None or isinstance(manifest_package(blob), str)
        assert isinstance(signing_block_certificates(blob), list)


def test_mach_o_team_id_of_kaspersky_is_a_claimed_product(result) -> None:  # type: ignore[no-untyped-def]
    finding = _finding(result, "test-team-id.so")
    assert finding.detection_class is DetectionClass.PRODUCT
    assert finding.confidence is Confidence.LOW
    assert [h.indicator_id for h in finding.hits] == ["KL-SIGN-009"]


def test_real_ad_hoc_signed_mach_o_is_read_and_clean(result) -> None:  # type: ignore[no-untyped-def]
    assert _finding(result, "markupsafe-speedups-darwin-arm64.so") is None
    document = next(d for d in result.documents if d.name == "markupsafe-speedups-darwin-arm64.so")
    assert document.format is SbomFormat.MACHO
    names = [
        f.value for f in document.components[0].facts if f.where == "/code-signature/identifier"
    ]
    assert names == ["_speedups.cpython-311-darwin.so"]


def test_mach_o_signature_parser_survives_garbage() -> None:
    from auditor.ingest.macho_signature import parse

    for blob in (b"", b"\xfa\xde\x0c\xc0", b"\xfa\xde\x0c\xc0" + b"\xff" * 40, os.urandom(300)):
        assert isinstance(parse(blob).problems, list)


def test_kernel_module_signature_signer_is_read(result) -> None:  # type: ignore[no-untyped-def]
    finding = _finding(result, "test-signed-claims-kaspersky.ko")
    assert finding.detection_class is DetectionClass.PRODUCT
    assert finding.confidence <= Confidence.MEDIUM
    assert any(h.where.startswith("/module-signature/") for h in finding.hits)
    assert not any(h.where.startswith("/embedded-certificates/") for h in finding.hits)
    assert _finding(result, "test-signed-acme.ko") is None
    document = next(d for d in result.documents if d.name == "test-signed-acme.ko")
    facts = {(f.where, f.value) for f in document.components[0].facts}
    assert ("/module-signature/signers/0/serial", "7e57000000000000c0") in facts
    assert ("/sections/.modinfo/author", "TEST Module Author") in facts


def test_pkcs7_signer_identifiers_survive_garbage() -> None:
    from auditor.ingest.pkcs7 import signer_identifiers

    for blob in (b"", b"\x30\x82\xff\xff", b"\x30\x03\x06\x01\x00", os.urandom(200)):
        assert isinstance(signer_identifiers(blob), list)


def test_elf_package_note_names_the_package(result) -> None:  # type: ignore[no-untyped-def]
    finding = _finding(result, "test-package-note-kesl")
    assert finding.detection_class is DetectionClass.PRODUCT
    assert finding.confidence is Confidence.MEDIUM  # anyone can write a note
    assert [h.where for h in finding.hits] == ["/notes/package/name"]
    assert _finding(result, "test-package-note-clean") is None


def test_exports_symbols_and_subsystem_are_read(result) -> None:  # type: ignore[no-untyped-def]
    def facts(name):  # type: ignore[no-untyped-def]
        document = next(d for d in result.documents if d.name == name)
        return {(f.where, f.value) for f in document.components[0].facts}

    dll = facts("test-whitelabel-scanner.dll")
    assert ("/exports/test_acme_engine_name", "test_acme_engine_name") in dll
    assert ("/optional-header/subsystem", "pe.subsystem=WINDOWS_GUI") in dll
    elf = facts("libtest-kav-wrapper.so")
    assert any(where.startswith("/dynamic/symbols/") for where, _ in elf)


def test_maven_coordinates_inside_a_jar_are_package_urls(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    def jar(name: str, group: str) -> None:
        with zipfile.ZipFile(tmp_path / name, "w") as archive:
            archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
            archive.writestr(
                f"META-INF/maven/{group}/lib/pom.properties",
                f"groupId={group}\nartifactId=lib\nversion=1.0\n",
            )
            archive.writestr("com/example/A.class", b"\xca\xfe\xba\xbe")

    jar("test-kaspresso-like.jar", "com.kaspersky.android-components")
    jar("test-example.jar", "com.example.tools")
    result = audit([tmp_path])
    [finding] = result.findings
    assert finding.component.name == "test-kaspresso-like.jar"
    assert "KL-PKG-003" in {h.indicator_id for h in finding.hits}
    assert finding.detection_class is DetectionClass.AUTHORED
