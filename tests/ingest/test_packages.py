"""Real packages: Kaspersky's own PyPI wheel is found by its digest and by its metadata."""

from __future__ import annotations

from auditor.api import audit
from auditor.ingest import pymeta
from auditor.models import DetectionClass, FieldKind, SbomFormat
from tests.conftest import FIXTURES

WHEEL = FIXTURES / "packages" / "opentip-1.2-py3-none-any.whl"


def test_kasperskys_wheel_is_found_by_digest_and_by_its_metadata() -> None:
    result = audit([WHEEL])
    assert len(result.findings) == 2
    assert result.complete
    wheel = next(f for f in result.findings if "!/" not in f.artifact)
    assert [h.indicator_id for h in wheel.hits] == ["KL-FILE-004"]
    metadata = next(f for f in result.findings if f.artifact.endswith("METADATA"))
    assert metadata.detection_class is DetectionClass.AUTHORED
    assert {"KL-PKG-002", "KL-NAME-002"} <= {h.indicator_id for h in metadata.hits}


def test_metadata_fields_become_facts() -> None:
    data = (
        b"Metadata-Version: 2.1\nName: example-lib\nVersion: 1.0\nSummary: TEST library\n"
        b"Author-email: Jane Doe <jane@example.org>\nProject-URL: Source, https://example.org/x\n"
    )
    document = pymeta.read("METADATA", data, SbomFormat.PYTHON_METADATA)
    facts = {(f.field, f.value) for f in document.components[0].facts}
    assert (FieldKind.PURL, "pkg:pypi/example-lib@1.0") in facts
    assert (FieldKind.AUTHOR, "Jane Doe") in facts and (
        FieldKind.EMAIL,
        "jane@example.org",
    ) in facts
    assert (FieldKind.URL, "https://example.org/x") in facts
    assert not pymeta.looks_like_metadata(b"Metadata: nothing")


def test_rpm_header_and_payload_paths_are_evidence() -> None:
    result = audit([FIXTURES / "packages" / "kesl-12.1.0-1TEST.noarch.rpm"])
    header = next(f for f in result.findings if f.component.name == "kesl")
    assert header.detection_class is DetectionClass.EMBEDDED
    assert header.other_vendors[0] == "TEST Repackager Inc."
    payload = [f for f in result.findings if f.artifact.endswith("!/payload")]
    assert payload and {h.indicator_id for h in payload[0].hits} == {"KL-ART-001"}
    assert payload[0].confidence.value == "medium"


def test_cpio_and_rpm_parsers_survive_garbage() -> None:
    import os
    import struct

    from auditor.ingest.rpm import cpio_members, read_rpm

    assert isinstance(cpio_members(b"070701" + os.urandom(300)), list)
    for blob in (b"\xed\xab\xee\xdb" + b"\0" * 200, b"\xed\xab\xee\xdb" + os.urandom(400)):
        try:
            component, payload, _ = read_rpm("x.rpm", blob)
        except (ValueError, IndexError, struct.error):
            continue  # the only ways a broken header may fail; the caller reports it
        assert isinstance(payload, bytes) and component.kind.value == "package"


def test_a_broken_rpm_is_reported_not_inspected(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "broken.rpm").write_bytes(b"\xed\xab\xee\xdb" + b"\0" * 200)
    result = audit([tmp_path / "broken.rpm"])
    assert any("rpm" in s.reason for s in result.not_inspected)
