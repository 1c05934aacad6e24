"""Package inventories inside file systems (fixtures/inventory, built by its build.py) and Go
build information in binaries (fixtures/binaries/go, built by build_go.sh)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.api import AuditOptions, audit
from auditor.ingest.gobuildinfo import GoBuildInfo, read_buildinfo
from auditor.ingest.inventory import inventory_format
from auditor.models import AuditResult, Level, SbomFormat
from tests.conftest import FIXTURES

INVENTORY = FIXTURES / "inventory"
GO = FIXTURES / "binaries" / "go"


def _flagged(result: AuditResult) -> list[str]:
    return sorted(f.component.name for f in result.findings if f.level is not Level.NOTE)


@pytest.mark.parametrize(
    ("fixture", "expected", "indicators"),
    [
        ("alpine-rootfs-TEST.tar.gz", ["klnagent64"], {"KL-PKG-010", "KL-ART-001"}),
        ("node-app-TEST.tar.gz", ["@kaspersky/hexa-ui-core"], {"KL-PKG-001"}),
        ("dotnet-app-TEST.tar.gz", ["Kaspersky.ScanEngine.TEST.Client"], {"KL-PROD-032"}),
        ("rpm-rootfs-TEST.tar.gz", ["kesl"], {"KL-PKG-004", "KL-ART-001"}),
        ("rpm-bdb-rootfs-TEST.tar.gz", ["kesl"], {"KL-PKG-004", "KL-ART-001"}),
    ],
)
def test_package_databases_in_a_root_file_system_name_the_kaspersky_package_only(
    fixture: str, expected: list[str], indicators: set[str]
) -> None:
    result = audit([INVENTORY / fixture])
    assert result.complete
    assert _flagged(result) == expected
    [finding] = [f for f in result.findings if f.level is not Level.NOTE]
    assert indicators <= {hit.indicator_id for hit in finding.hits}


def test_findings_in_text_inventories_point_at_their_line() -> None:
    result = audit([INVENTORY / "alpine-rootfs-TEST.tar.gz"])
    [finding] = result.findings
    assert finding.artifact.endswith("!/lib/apk/db/installed")
    assert finding.region is not None and finding.region.start_line == 23


def test_a_truncated_berkeley_db_rpm_database_is_reported_not_inspected() -> None:
    result = audit([INVENTORY / "rpm-bdb-truncated-TEST.tar.gz"])
    [skipped] = result.not_inspected
    assert skipped.path.endswith("!/var/lib/rpm/Packages")
    assert "truncated" in skipped.reason
    assert not result.complete


def test_a_berkeley_db_header_spanning_overflow_pages_is_read_whole() -> None:
    import gzip
    import io
    import tarfile

    from auditor.ingest.rpm import header_blob_record
    from auditor.ingest.rpmdb_bdb import header_blobs

    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(
        (INVENTORY / "rpm-bdb-rootfs-TEST.tar.gz").read_bytes()
    ))) as archive:  # fmt: skip
        stream = archive.extractfile("var/lib/rpm/Packages")
        assert stream is not None
        data = stream.read()
    records = [header_blob_record("x", blob, "/p") for blob in header_blobs(data)]
    assert sorted(r.name for r in records) == ["bash", "kasperdb-tools", "kesl"]
    [kesl] = [r for r in records if r.name == "kesl"]
    assert len([f for f in kesl.facts if f.field.value == "filename"]) == 301


def test_inventory_files_are_recognised_by_their_place_in_the_file_system() -> None:
    assert inventory_format("img!/lib/apk/db/installed") is SbomFormat.APK_INSTALLED
    assert inventory_format("x!/app/node_modules/@scope/name/package.json") is (
        SbomFormat.NPM_PACKAGE
    )
    assert inventory_format("x!/app/node_modules/name/package.json") is SbomFormat.NPM_PACKAGE
    assert inventory_format("x!/app/package.json") is None  # a project, not an installed package
    assert inventory_format("x!/node_modules/a/node_modules/b/test/package.json") is None
    assert inventory_format("x!/opt/app/App.deps.json") is SbomFormat.DOTNET_DEPS
    assert inventory_format("fs!/var/lib/dpkg/info/kesl.list") is SbomFormat.PACKAGE_FILE_LIST
    assert inventory_format("fs!/usr/lib/opkg/info/x.list") is SbomFormat.PACKAGE_FILE_LIST
    assert inventory_format("fs!/var/lib/rpm/rpmdb.sqlite") is SbomFormat.RPM_DATABASE
    assert inventory_format("fs!/home/user/notes.list") is None


def test_a_dpkg_file_list_names_the_files_a_package_installed(tmp_path: Path) -> None:
    root = tmp_path / "rootfs" / "var" / "lib" / "dpkg" / "info"
    root.mkdir(parents=True)
    (root / "acme-agent.list").write_text("/.\n/opt\n/opt/kaspersky/klnagent64/bin/klnagent\n")
    (root / "bash.list").write_text("/.\n/bin/bash\n")
    result = audit([tmp_path / "rootfs"])
    [finding] = result.findings
    assert finding.component.name == "acme-agent"
    assert [r.start_line for r in finding.evidence_regions if r] == [3, 3]


def test_a_broken_package_json_under_node_modules_is_not_inspected(tmp_path: Path) -> None:
    target = tmp_path / "node_modules" / "@kaspersky" / "x" / "package.json"
    target.parent.mkdir(parents=True)
    target.write_text("{not json")
    (tmp_path / "node_modules" / "ok").mkdir()
    (tmp_path / "node_modules" / "ok" / "package.json").write_text(
        json.dumps({"name": "ok", "version": "1"})
    )
    result = audit([tmp_path], AuditOptions(display_base=tmp_path))
    [skipped] = result.not_inspected
    assert skipped.path == "node_modules/@kaspersky/x/package.json"
    assert "invalid JSON" in skipped.reason


def test_go_build_information_lists_the_modules_compiled_in() -> None:
    info = read_buildinfo((GO / "test-go-kaspersky-module").read_bytes())
    assert isinstance(info, GoBuildInfo)
    assert info.go_version.startswith("go1.")
    assert info.main_path == "example.invalid/test-go-app"
    assert [(m.role, m.path) for m in info.modules] == [
        ("mod", "example.invalid/test-go-app"),
        ("dep", "github.com/KasperskyLab/TEST-fixture-module"),
        ("=>", "../dep"),
    ]


def test_a_go_binary_built_with_a_kaspersky_module_is_flagged_and_a_look_alike_is_not() -> None:
    result = audit([GO])
    assert _flagged(result) == ["test-go-kaspersky-module"]
    [finding] = [f for f in result.findings if f.level is not Level.NOTE]
    assert "KL-PKG-035" in {hit.indicator_id for hit in finding.hits}


def test_binaries_without_go_build_information_have_none() -> None:
    elf = (FIXTURES / "binaries" / "elf" / "test-clean-elf").read_bytes()
    assert read_buildinfo(elf) is None
    assert read_buildinfo(b"\xff Go buildinf:\x08\x00" + b"\0" * 16) is not None  # pre-1.18
    truncated = b"\xff Go buildinf:\x08\x02" + b"\0" * 16 + b"\xff\xff\xff\x7f"
    assert isinstance(read_buildinfo(truncated), str)


def test_unpacked_java_manifests_and_maven_coordinates_are_inventory(tmp_path: Path) -> None:
    app = tmp_path / "webapp" / "WEB-INF" / "classes" / "META-INF"
    (app / "maven" / "com.kaspersky.android-components" / "core").mkdir(parents=True)
    (app / "MANIFEST.MF").write_text(
        "Manifest-Version: 1.0\nImplementation-Title: TEST scanner\n"
        "Implementation-Vendor: AO Kaspersky Lab\n\nName: x\nImplementation-Vendor: ignored\n"
    )
    (app / "maven" / "com.kaspersky.android-components" / "core" / "pom.properties").write_text(
        "groupId=com.kaspersky.android-components\nartifactId=core\nversion=1.0-TEST\n"
    )
    benign = tmp_path / "other" / "META-INF"
    benign.mkdir(parents=True)
    (benign / "MANIFEST.MF").write_text("Implementation-Vendor: TEST Kasper Systems ApS\n")
    result = audit([tmp_path], AuditOptions(display_base=tmp_path))
    flagged = sorted(f.artifact.rsplit("META-INF/", 1)[-1] for f in result.findings)
    assert flagged == [
        "MANIFEST.MF",
        "maven/com.kaspersky.android-components/core/pom.properties",
    ]
    assert all(f.artifact.startswith("webapp/") for f in result.findings)
