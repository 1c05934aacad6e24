"""Debian packages (.deb = ar + control.tar) and dpkg status databases inside images."""

from __future__ import annotations

from pathlib import Path

from auditor.api import audit
from auditor.ingest import dpkg
from auditor.models import DetectionClass, SbomFormat
from tests.conftest import tar_bytes

CONTROL = b"""Package: kesl
Version: 12.1.0-TEST
Architecture: amd64
Maintainer: TEST Packager <test@example.org>
Description: TEST fixture package
 Second line of the description.
"""

STATUS = b"""Package: zlib1g
Status: install ok installed
Version: 1:1.2.13.dfsg-1
Maintainer: Mark Brown <broonie@debian.org>
Description: compression library - runtime

Package: klnagent64
Status: install ok installed
Version: 14.2.0-TEST
Maintainer: AO Kaspersky Lab <support@kaspersky.com>
Description: TEST fixture record
"""


def _tar(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    return tar_bytes(members, mode)


def _ar(members: dict[str, bytes]) -> bytes:
    out = b"!<arch>\n"
    for name, data in members.items():
        header = (
            f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}"
        ).encode() + b"`\n"
        out += header + data + (b"\n" if len(data) % 2 else b"")
    return out


def test_control_paragraphs_become_package_records() -> None:
    document = dpkg.read("status", STATUS, SbomFormat.DPKG)
    assert [(c.name, c.version, c.line) for c in document.components] == [
        ("zlib1g", "1:1.2.13.dfsg-1", 1),
        ("klnagent64", "14.2.0-TEST", 7),
    ]
    facts = {(f.field.value, f.value) for f in document.components[1].facts}
    assert ("supplier", "AO Kaspersky Lab") in facts and ("email", "support@kaspersky.com") in facts


def test_a_deb_naming_a_kaspersky_package_is_found_inside_the_ar_archive(tmp_path: Path) -> None:
    deb = _ar(
        {
            "debian-binary": b"2.0\n",
            "control.tar.gz": _tar({"./control": CONTROL}),
            "data.tar.gz": _tar({"./usr/share/doc/kesl/README": b"TEST"}),
        }
    )
    (tmp_path / "test-kesl_12.1.0-TEST_amd64.deb").write_bytes(deb)
    result = audit([tmp_path])
    [finding] = result.findings
    assert finding.artifact.endswith("!/control.tar.gz!/control.tar!/control")
    assert finding.detection_class is DetectionClass.EMBEDDED  # maintained by someone else
    assert finding.other_vendors == ("TEST Packager",)


def test_dpkg_status_in_an_image_names_the_installed_kaspersky_agent(tmp_path: Path) -> None:
    (tmp_path / "rootfs.tar").write_bytes(_tar({"var/lib/dpkg/status": STATUS}, mode="w"))
    result = audit([tmp_path / "rootfs.tar"])
    [finding] = result.findings
    assert finding.component.name == "klnagent64"
    assert finding.detection_class is DetectionClass.PRODUCT
    assert finding.region is not None and finding.region.start_line == 7


def test_text_that_merely_starts_with_package_is_not_a_control_file() -> None:
    assert not dpkg.looks_like_control(b"Package: a note about packages\nnothing else\n")
