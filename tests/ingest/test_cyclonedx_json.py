"""The CycloneDX JSON reader: every mapped field of 1.2-1.7, leniency, hostile input, corpus."""

from __future__ import annotations

import codecs
import importlib.util
import inspect
import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import UnreadableInput
from auditor.ingest import cyclonedx_json
from auditor.ingest.sniff import sniff
from auditor.models import Component, ComponentKind, Fact, FieldKind, SbomDocument, SbomFormat

REPO = Path(__file__).resolve().parents[2]
CDX = REPO / "fixtures" / "sbom" / "cyclonedx"
HOSTILE = REPO / "fixtures" / "hostile"
CORPUS = REPO / ".." / "shared" / "corpus"
VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")

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


def fixture_path(version: str) -> Path:
    return CDX / version / "appliance.cdx.json"


def read_fixture(version: str) -> SbomDocument:
    path = fixture_path(version)
    return cyclonedx_json.read(str(path), path.read_bytes())


def read_doc(doc: object) -> SbomDocument:
    return cyclonedx_json.read("test.cdx.json", json.dumps(doc).encode())


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


# --- structure: order, parents, pointers, roots, edges ---------------------------------------

#: (ref, kind, name, parent, pointer) of every record, depth-first in document order.
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

EDGES = [
    ("app", "sdk"),
    ("app", "crypto"),
    ("app", "svc-update"),
    ("sdk", "scan-core"),
    ("sdk", "sigdb"),
    ("sigdb", "sig-parser"),
    ("sig-parser", "zlib"),
]


def expected_skeleton(version: str) -> list[tuple[str, ComponentKind, str, str | None, str]]:
    has_crypto_asset = version in ("1.6", "1.7")
    return [row for row in SKELETON if row[0] != "algo-aes" or has_crypto_asset]


@pytest.mark.parametrize("version", VERSIONS)
def test_each_spec_version_reads_cleanly(version: str) -> None:
    document = read_fixture(version)
    assert document.format is SbomFormat.CYCLONEDX_JSON
    assert document.spec_version == version
    assert document.path == str(fixture_path(version))
    assert document.problems == ()


@pytest.mark.parametrize("version", VERSIONS)
def test_records_come_depth_first_in_document_order_with_parents_and_pointers(
    version: str,
) -> None:
    document = read_fixture(version)
    got = [(c.ref, c.kind, c.name, c.parent, c.pointer) for c in document.components]
    assert got == expected_skeleton(version)


def test_a_component_nested_in_a_component_has_a_json_pointer_and_its_parent_ref() -> None:
    sigdb = by_ref(read_fixture("1.6"), "sigdb")
    assert sigdb.pointer == "/components/0/components/1"
    assert sigdb.parent == "sdk"
    zlib = by_ref(read_fixture("1.6"), "zlib")  # depth 4
    assert zlib.pointer.count("/components/") == 4
    assert zlib.parent == "sig-parser"


@pytest.mark.parametrize("version", VERSIONS)
def test_metadata_component_is_the_document_root(version: str) -> None:
    document = read_fixture(version)
    assert document.roots == ("app",)
    assert document.name == "test-secure-gateway"
    root = by_ref(document, "app")
    assert (root.kind, root.parent, root.pointer) == (C, None, "/metadata/component")


@pytest.mark.parametrize("version", VERSIONS)
def test_dependencies_become_edges_including_provides(version: str) -> None:
    expected = list(EDGES)
    if version in ("1.6", "1.7"):
        expected.append(("crypto", "algo-aes"))  # "provides", new in 1.6
    assert list(read_fixture(version).edges) == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_versions_are_read_into_the_record(version: str) -> None:
    document = read_fixture(version)
    raw = json.loads(fixture_path(version).read_text())
    assert by_ref(document, "sdk").version == raw["components"][0]["version"]
    assert by_ref(document, "app").version == raw["metadata"]["component"]["version"]


# --- facts: exact, for the richest records ----------------------------------------------------

SDK_16_FACTS: list[tuple[FieldKind, str, str]] = [
    (F.NAME, "test-av-engine-sdk", "/name"),
    (F.GROUP, "com.test-vendor", "/group"),
    (F.VERSION, "21.3.10", "/version"),
    (F.DESCRIPTION, "TEST anti-virus scanning engine SDK (synthetic fixture)", "/description"),
    (F.SUPPLIER, "TEST Vendor Ltd", "/supplier/name"),
    (F.URL, "https://test-vendor.example", "/supplier/url/0"),
    (F.AUTHOR, "TEST Vendor PSIRT", "/supplier/contact/0/name"),
    (F.EMAIL, "psirt@test-vendor.example", "/supplier/contact/0/email"),
    (F.MANUFACTURER, "TEST Vendor Manufacturing JSC", "/manufacturer/name"),
    (F.URL, "https://mfg.test-vendor.example", "/manufacturer/url/0"),
    (F.PUBLISHER, "TEST Vendor Publishing", "/publisher"),
    (F.AUTHOR, "TEST Vendor SDK Group", "/author"),
    (F.AUTHOR, "TEST Engine Team", "/authors/0/name"),
    (F.EMAIL, "engine@test-vendor.example", "/authors/0/email"),
    (F.COPYRIGHT, "Copyright (c) 2024 TEST Vendor Ltd", "/copyright"),
    (F.PURL, "pkg:generic/test-vendor/test-av-engine-sdk@21.3.10", "/purl"),
    (F.CPE, "cpe:2.3:a:test-vendor:test_av_engine_sdk:21.3.10:*:*:*:*:*:*:*", "/cpe"),
    (F.SWID, "gitoid:blob:sha1:261eeb9e9f8b2b4b0d119366dda99c6fd7d35c64", "/omniborId/0"),
    (F.SWID, "swh:1:cnt:94a9ed024d3859793618152ea559a168bbcbb5e2", "/swhid/0"),
    (F.SWID, "swidgen-test-vendor-av-engine-sdk_21.3.10", "/swid/tagId"),
    (F.TEXT, "TEST AV Engine SDK", "/swid/name"),
    (F.URL, "https://test-vendor.example/swid/av-engine-sdk.swidtag", "/swid/url"),
    (
        F.HASH,
        "sha256:3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
        "/hashes/0",
    ),
    (F.HASH, "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709", "/hashes/1"),
    (F.URL, "https://test-vendor.example/sdk", "/externalReferences/0/url"),
    (F.TEXT, "TEST Vendor SDK home page", "/externalReferences/0/comment"),
    (F.LICENSE, "TEST Vendor SDK EULA", "/licenses/0/license/name"),
    (F.URL, "https://test-vendor.example/legal/sdk-eula", "/licenses/0/license/url"),
    (F.LICENSE, "TEST Vendor SDK licence text", "/licenses/0/license/text/content"),
    (F.PROPERTY, "test:build-id=20240101.1", "/properties/0"),
    (
        F.PURL,
        "pkg:generic/test-vendor/test-av-engine-sdk@21.3.10",
        "/evidence/identity/0/concludedValue",
    ),
    (F.EVIDENCE, "libtestavsdk.so.21", "/evidence/identity/0/methods/0/value"),
    (
        F.CPE,
        "cpe:2.3:a:test-vendor:test_av_engine_sdk:21.3:*:*:*:*:*:*:*",
        "/evidence/identity/1/concludedValue",
    ),
    (
        F.HASH,
        "sha256:3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
        "/evidence/identity/2/concludedValue",
    ),
    (F.EVIDENCE, "test-av-engine", "/evidence/identity/3/concludedValue"),
    (F.EVIDENCE, "testav-engine.dll", "/evidence/identity/3/methods/0/value"),
    (F.COPYRIGHT, "(c) TEST Vendor Ltd 2019-2024", "/evidence/copyright/0/text"),
    (F.FILENAME, "/opt/test-gateway/lib/libtestavsdk.so.21", "/evidence/occurrences/0/location"),
]


def test_rich_component_yields_exactly_these_facts() -> None:
    sdk = by_ref(read_fixture("1.6"), "sdk")
    got = [(f.field, f.value, f.where) for f in facts_of(sdk)]
    assert sorted(got) == sorted(SDK_16_FACTS)
    assert len(got) == len(SDK_16_FACTS)


def test_metadata_record_yields_exactly_these_facts() -> None:
    metadata = by_ref(read_fixture("1.6"), "#metadata")
    assert metadata.kind is D
    assert sorted((f.field, f.value, f.where) for f in facts_of(metadata)) == sorted(
        [
            (F.SUPPLIER, "TEST Integrator Distribution BV", "/supplier/name"),
            (F.URL, "https://dist.test-integrator.example", "/supplier/url/0"),
            (F.MANUFACTURER, "TEST Integrator GmbH", "/manufacturer/name"),
            (F.URL, "https://test-integrator.example", "/manufacturer/url/0"),
            (F.AUTHOR, "TEST Integrator Product Security", "/manufacturer/contact/0/name"),
            (F.EMAIL, "psirt@test-integrator.example", "/manufacturer/contact/0/email"),
            (F.AUTHOR, "TEST Build Engineer", "/authors/0/name"),
            (F.EMAIL, "build@test-integrator.example", "/authors/0/email"),
            (F.TEXT, "test-sbom-generator", "/tools/components/0/name"),
            (F.TEXT, "org.test-tools", "/tools/components/0/group"),
            (F.TEXT, "TEST SBOM signing service", "/tools/services/0/name"),
            (F.LICENSE, "Apache-2.0", "/licenses/0/license/id"),
            (F.PROPERTY, "test:sbom-profile=appliance", "/properties/0"),
        ]
    )


def test_pedigree_ancestor_yields_exactly_these_facts() -> None:
    crypto = by_ref(read_fixture("1.6"), "crypto")
    base = "/pedigree/ancestors/0"
    assert sorted((f.field, f.value, f.where) for f in facts_of(crypto)) == sorted(
        [
            (F.NAME, "test-crypto", "/name"),
            (F.VERSION, "3.0.13-test1", "/version"),
            (F.TEXT, "openssl", f"{base}/name"),
            (F.PURL, "pkg:generic/openssl@3.0.13", f"{base}/purl"),
            (F.CPE, "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*", f"{base}/cpe"),
            (F.SUPPLIER, "OpenSSL Software Foundation", f"{base}/supplier/name"),
            (F.AUTHOR, "The OpenSSL Project Authors", f"{base}/author"),
            (F.PUBLISHER, "OpenSSL Software Foundation", f"{base}/publisher"),
            (F.COPYRIGHT, "Copyright 1998-2024 The OpenSSL Project Authors", f"{base}/copyright"),
            (F.TEXT, "TEST fork with FIPS build flags", "/pedigree/notes"),
        ]
    )


def test_services_yield_provider_and_endpoints_and_nest() -> None:
    document = read_fixture("1.6")
    update = by_ref(document, "svc-update")
    assert pairs(update) == [
        (F.NAME, "test-update-service"),
        (F.VERSION, "1"),
        (F.PROVIDER, "TEST Vendor Ltd"),
        (F.URL, "https://test-vendor.example"),
        (F.ENDPOINT, "https://update.test-vendor.example/v1/bases"),
        (F.ENDPOINT, "https://update2.test-vendor.example/v1/bases"),
    ]
    telemetry = by_ref(document, "svc-telemetry")
    assert (telemetry.kind, telemetry.parent) == (S, "svc-update")
    assert pairs(telemetry) == [
        (F.NAME, "test-telemetry"),
        (F.ENDPOINT, "https://telemetry.test-vendor.example/ingest"),
    ]


# --- facts: every mapped field, in the spec version that has it ------------------------------

#: (version, record ref, field, value): one row per mapped CycloneDX field and form.
FIELD_CASES: list[tuple[str, str, FieldKind, str]] = [
    # metadata
    ("1.2", "#metadata", F.SUPPLIER, "TEST Integrator Distribution BV"),
    ("1.2", "#metadata", F.URL, "https://dist.test-integrator.example"),
    ("1.2", "#metadata", F.MANUFACTURER, "TEST Integrator GmbH"),  # manufacture (1.2-1.5)
    ("1.2", "#metadata", F.AUTHOR, "TEST Integrator Product Security"),  # manufacture contact
    ("1.2", "#metadata", F.EMAIL, "psirt@test-integrator.example"),
    ("1.2", "#metadata", F.AUTHOR, "TEST Build Engineer"),  # metadata.authors
    ("1.2", "#metadata", F.EMAIL, "build@test-integrator.example"),
    ("1.2", "#metadata", F.TEXT, "TEST Tools Inc"),  # tools (legacy list): vendor
    ("1.2", "#metadata", F.TEXT, "test-sbom-generator"),  # tools (legacy list): name
    ("1.3", "#metadata", F.LICENSE, "Apache-2.0"),
    ("1.3", "#metadata", F.PROPERTY, "test:sbom-profile=appliance"),
    ("1.4", "#metadata", F.LICENSE, "Apache-2.0 AND LicenseRef-TEST-Integrator"),
    ("1.4", "#metadata", F.EMAIL, "sales@test-integrator.example"),  # supplier contact
    ("1.5", "#metadata", F.MANUFACTURER, "TEST Integrator GmbH"),  # manufacture
    ("1.5", "#metadata", F.TEXT, "org.test-tools"),  # tools.components (1.5 form): group
    ("1.5", "#metadata", F.TEXT, "TEST SBOM signing service"),  # tools.services (1.5 form)
    ("1.6", "#metadata", F.MANUFACTURER, "TEST Integrator GmbH"),  # manufacturer (1.6)
    ("1.7", "#metadata", F.MANUFACTURER, "TEST Integrator GmbH"),
    # identity
    ("1.2", "sdk", F.GROUP, "com.test-vendor"),
    ("1.2", "sdk", F.NAME, "test-av-engine-sdk"),
    ("1.2", "sdk", F.VERSION, "19.0.2"),
    ("1.2", "sdk", F.DESCRIPTION, "TEST anti-virus scanning engine SDK (synthetic fixture)"),
    ("1.2", "sdk", F.PURL, "pkg:generic/test-vendor/test-av-engine-sdk@19.0.2"),
    ("1.2", "sdk", F.CPE, "cpe:2.3:a:test-vendor:test_av_engine_sdk:19.0.2:*:*:*:*:*:*:*"),
    ("1.2", "sdk", F.SWID, "swidgen-test-vendor-av-engine-sdk_19.0.2"),  # swid.tagId
    ("1.2", "sdk", F.TEXT, "TEST AV Engine SDK"),  # swid.name
    ("1.2", "sdk", F.URL, "https://test-vendor.example/swid/av-engine-sdk.swidtag"),  # swid.url
    ("1.6", "sdk", F.SWID, "gitoid:blob:sha1:261eeb9e9f8b2b4b0d119366dda99c6fd7d35c64"),
    ("1.6", "sdk", F.SWID, "swh:1:cnt:94a9ed024d3859793618152ea559a168bbcbb5e2"),
    ("1.7", "sdk", F.SWID, "swh:1:rel:22ece559cc7cc2364edc5e5593d63ae8bd229f9f"),
    # attribution
    ("1.2", "sdk", F.SUPPLIER, "TEST Vendor Ltd"),
    ("1.2", "sdk", F.URL, "https://test-vendor.example"),  # supplier.url
    ("1.2", "sdk", F.AUTHOR, "TEST Vendor PSIRT"),  # supplier.contact.name
    ("1.2", "sdk", F.EMAIL, "psirt@test-vendor.example"),  # supplier.contact.email
    ("1.2", "sdk", F.PUBLISHER, "TEST Vendor Publishing"),
    ("1.2", "sdk", F.AUTHOR, "TEST Vendor SDK Group"),  # author
    ("1.2", "sdk", F.COPYRIGHT, "Copyright (c) 2021 TEST Vendor Ltd"),
    ("1.6", "sdk", F.MANUFACTURER, "TEST Vendor Manufacturing JSC"),
    ("1.6", "sdk", F.AUTHOR, "TEST Engine Team"),  # authors (1.6)
    ("1.7", "sdk", F.EMAIL, "engine@test-vendor.example"),
    # hashes, normalised to alg:lowercase-hex
    (
        "1.2",
        "sdk",
        F.HASH,
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ),
    (
        "1.2",
        "sdk",
        F.HASH,
        "sha512:ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940e0db2"
        "7ac185f8a0e1d5f84f88bc887fd67b143732c304cc5fa9ad8e6f57f50028a8ff",
    ),
    (
        "1.3",
        "sdk",
        F.HASH,
        "sha3-256:a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a",
    ),
    (
        "1.3",
        "sdk",
        F.HASH,
        "blake2b-256:0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
    ),
    ("1.4", "sdk", F.HASH, "md5:d41d8cd98f00b204e9800998ecf8427e"),
    (
        "1.5",
        "sdk",
        F.HASH,
        "sha384:38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da"
        "274edebfe76f65fbd51ad2f14898b95b",
    ),
    # external references
    ("1.3", "sdk", F.URL, "https://download.test-vendor.example/sdk/20.1.0"),
    ("1.3", "sdk", F.TEXT, "TEST Vendor SDK download"),
    ("1.4", "sdk", F.URL, "https://git.test-vendor.example/sdk.git"),
    # licences
    ("1.3", "sdk", F.LICENSE, "MIT"),  # license.id
    ("1.3", "sdk", F.URL, "https://opensource.org/licenses/MIT"),  # license.url
    ("1.2", "sdk", F.LICENSE, "TEST Vendor SDK EULA"),  # license.name
    ("1.2", "sdk", F.LICENSE, "TEST Vendor SDK licence text"),  # license.text.content
    ("1.2", "sdk", F.URL, "https://test-vendor.example/legal/sdk-eula"),
    ("1.4", "sdk", F.LICENSE, "TEST Vendor SDK licence text"),  # text without contentType
    ("1.2", "scan-core", F.LICENSE, "LicenseRef-TEST-Vendor-EULA OR MIT"),  # expression
    # properties
    ("1.3", "sdk", F.PROPERTY, "test:build-id=20220201.7"),
    ("1.3", "sdk", F.PROPERTY, "test:channel=stable"),
    ("1.3", "svc-update", F.PROPERTY, "test:region=eu"),
    # evidence: 1.3 licences and copyright
    ("1.3", "sdk", F.COPYRIGHT, "(c) TEST Vendor Ltd 2019-2022"),
    ("1.3", "sdk", F.COPYRIGHT, "Portions (c) TEST Upstream Authors"),
    ("1.4", "sdk", F.COPYRIGHT, "(c) TEST Vendor Ltd 2019-2023"),
    # evidence: 1.5 identity as one object, methods, occurrences
    ("1.5", "sdk", F.EVIDENCE, "META-INF/test-vendor/sdk.properties"),
    ("1.5", "sdk", F.EVIDENCE, "sha256 of libtestavsdk.so.21 matches the vendor catalogue"),
    ("1.5", "sdk", F.FILENAME, "/opt/test-gateway/lib/libtestavsdk.so.21"),
    ("1.5", "sdk", F.FILENAME, "/opt/test-gateway/lib/libtestavsdk-helpers.so.21"),
    ("1.5", "sdk", F.COPYRIGHT, "(c) TEST Vendor Ltd 2019-2024"),
    # evidence: 1.6+ identity as a list, concludedValue by field
    ("1.6", "sdk", F.PURL, "pkg:generic/test-vendor/test-av-engine-sdk@21.3.10"),
    ("1.6", "sdk", F.CPE, "cpe:2.3:a:test-vendor:test_av_engine_sdk:21.3:*:*:*:*:*:*:*"),
    (
        "1.6",
        "sdk",
        F.HASH,
        "sha256:3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
    ),
    ("1.6", "sdk", F.EVIDENCE, "test-av-engine"),  # field "name": other
    ("1.6", "sdk", F.EVIDENCE, "testav-engine.dll"),
    ("1.7", "sdk", F.SWID, "swidgen-test-vendor-av-engine-sdk_22.0.1"),  # field "swid"
    ("1.7", "sdk", F.EVIDENCE, "gitoid computed over libtestavsdk.so.22"),
    ("1.7", "sdk", F.FILENAME, "/opt/test-gateway/lib/libtestavsdk.so.22"),
    # pedigree ancestors
    ("1.2", "crypto", F.TEXT, "openssl"),
    ("1.2", "crypto", F.PURL, "pkg:generic/openssl@1.1.1k"),
    ("1.2", "crypto", F.CPE, "cpe:2.3:a:openssl:openssl:1.1.1k:*:*:*:*:*:*:*"),
    ("1.2", "crypto", F.SUPPLIER, "OpenSSL Software Foundation"),
    ("1.2", "crypto", F.AUTHOR, "The OpenSSL Project Authors"),
    ("1.2", "crypto", F.PUBLISHER, "OpenSSL Software Foundation"),
    ("1.2", "crypto", F.COPYRIGHT, "Copyright 1998-2021 The OpenSSL Project Authors"),
    ("1.2", "crypto", F.TEXT, "TEST fork with FIPS build flags"),
    ("1.4", "crypto", F.CPE, "cpe:2.3:a:openssl:openssl:3.0.7:*:*:*:*:*:*:*"),
    ("1.7", "crypto", F.COPYRIGHT, "Copyright 1998-2025 The OpenSSL Project Authors"),
    # services
    ("1.2", "svc-update", F.PROVIDER, "TEST Vendor Ltd"),
    ("1.2", "svc-update", F.URL, "https://test-vendor.example"),
    ("1.2", "svc-update", F.ENDPOINT, "https://update.test-vendor.example/v1/bases"),
    ("1.2", "svc-telemetry", F.ENDPOINT, "https://telemetry.test-vendor.example/ingest"),
    ("1.5", "svc-update", F.GROUP, "com.test-vendor"),
    ("1.5", "svc-update", F.DESCRIPTION, "TEST signature update service"),
    # nested components keep their own facts
    ("1.2", "zlib", F.PURL, "pkg:generic/zlib@1.2.11"),
    ("1.6", "app", F.DESCRIPTION, "TEST gateway appliance software (synthetic fixture)"),
]


@pytest.mark.parametrize(
    ("version", "ref", "field", "value"),
    FIELD_CASES,
    ids=[f"{v}-{r}-{f.value}-{i}" for i, (v, r, f, _) in enumerate(FIELD_CASES)],
)
def test_mapped_field_becomes_a_fact(version: str, ref: str, field: FieldKind, value: str) -> None:
    assert (field, value) in pairs(by_ref(read_fixture(version), ref))


def _resolve(doc: Any, pointer: str) -> Any:
    node = doc
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


@pytest.mark.parametrize("version", VERSIONS)
def test_every_fact_points_at_the_json_value_it_came_from(version: str) -> None:
    raw = json.loads(fixture_path(version).read_text())
    for component in read_fixture(version).components:
        for fact in facts_of(component):
            target = _resolve(raw, component.pointer + fact.where)
            if isinstance(target, str):
                assert target == fact.value, (component.ref, fact)
            elif fact.field is F.HASH:
                assert fact.value.endswith(":" + target["content"].lower()), (component.ref, fact)
            else:
                assert fact.field is F.PROPERTY, (component.ref, fact)
                assert fact.value == f"{target['name']}={target['value']}"


@pytest.mark.parametrize(
    ("alg", "canonical"),
    [
        ("SHA-256", "sha256"),
        ("sha256", "sha256"),
        ("SHA-1", "sha1"),
        ("SHA-512", "sha512"),
        ("SHA3-512", "sha3-512"),
        ("BLAKE2b-512", "blake2b-512"),
        ("BLAKE3", "blake3"),
        ("MD5", "md5"),
    ],
)
def test_hash_algorithm_spellings_are_normalised(alg: str, canonical: str) -> None:
    digest = "ABCDEF0123456789" * 4
    document = read_doc(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "components": [
                {"type": "file", "name": "f", "hashes": [{"alg": alg, "content": digest}]}
            ],
        }
    )
    assert (F.HASH, f"{canonical}:{digest.lower()}") in pairs(document.components[0])


@pytest.mark.parametrize("version", VERSIONS)
def test_fixture_is_valid_against_the_official_schema(version: str) -> None:
    validation = pytest.importorskip("cyclonedx.validation")
    schema = pytest.importorskip("cyclonedx.schema")
    validator = validation.make_schemabased_validator(
        schema.OutputFormat.JSON, schema.SchemaVersion.from_version(version)
    )
    assert validator.validate_str(fixture_path(version).read_text()) is None


def test_utf16_and_utf8_bom_encodings_read_the_same_records() -> None:
    text = fixture_path("1.6").read_text(encoding="utf-8")
    plain = read_fixture("1.6")
    for data in (
        codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        codecs.BOM_UTF8 + text.encode("utf-8"),
    ):
        other = cyclonedx_json.read("x.json", data)
        assert [(c.ref, pairs(c)) for c in other.components] == [
            (c.ref, pairs(c)) for c in plain.components
        ]


# --- leniency: schema breakage is read and listed in problems --------------------------------


def _good(name: str = "test-av-engine-sdk", **extra: object) -> dict[str, object]:
    return {"type": "library", "name": name, "version": "1.0", **extra}


def test_components_that_is_not_a_list_is_a_problem_and_the_rest_is_read() -> None:
    document = read_doc(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "metadata": {"component": _good("root", **{"bom-ref": "root"})},
            "components": {"oops": _good()},
            "services": [{"name": "test-update-service"}],
        }
    )
    assert [c.name for c in document.components if c.kind is not D] == [
        "root",
        "test-update-service",
    ]
    assert document.problems == ("/components: expected an array",)


def test_component_that_is_a_string_is_skipped_and_reported() -> None:
    document = read_doc(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "components": ["pkg:generic/test-vendor/sdk@1", _good()],
        }
    )
    assert [c.name for c in document.components] == ["test-av-engine-sdk"]
    assert document.components[0].pointer == "/components/1"
    assert document.problems == ("/components/0: expected an object, found str",)


def test_supplier_given_as_a_plain_string_is_still_read() -> None:
    document = read_doc(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "components": [_good(supplier="TEST Vendor Ltd")],
        }
    )
    assert (F.SUPPLIER, "TEST Vendor Ltd") in pairs(document.components[0])


def test_supplier_given_as_a_plain_string_is_reported_as_a_problem() -> None:
    document = read_doc(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "components": [_good(supplier="TEST Vendor Ltd")],
        }
    )
    assert any(p.startswith("/components/0/supplier") for p in document.problems), document.problems


def test_missing_bomformat_is_a_problem() -> None:
    document = read_doc({"specVersion": "1.6", "components": [_good()]})
    assert [c.name for c in document.components] == ["test-av-engine-sdk"]
    assert document.problems == ("/bomFormat: missing or not 'CycloneDX'",)


def test_unknown_spec_version_is_a_problem_but_the_document_is_read() -> None:
    document = read_doc({"bomFormat": "CycloneDX", "specVersion": "9.9", "components": [_good()]})
    assert document.spec_version == "9.9"
    assert [c.name for c in document.components] == ["test-av-engine-sdk"]
    assert document.problems == ("/specVersion: 9.9 is not a known CycloneDX version",)


def test_duplicate_bom_refs_are_reported_and_made_unique() -> None:
    document = read_doc(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "components": [
                _good("first", **{"bom-ref": "dup"}),
                _good("second", **{"bom-ref": "dup"}),
            ],
        }
    )
    assert [(c.name, c.ref) for c in document.components] == [
        ("first", "dup"),
        ("second", "/components/1"),
    ]
    assert document.problems == ("/components/1: duplicate bom-ref 'dup'",)


def test_component_without_a_name_is_kept_and_reported() -> None:
    document = read_doc(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "components": [{"type": "library", "purl": "pkg:generic/test-vendor/unnamed@1"}],
        }
    )
    (component,) = document.components
    assert component.name == ""
    assert (F.PURL, "pkg:generic/test-vendor/unnamed@1") in pairs(component)
    assert document.problems == ("/components/0: component has no name",)


def test_a_document_breaking_the_schema_in_every_way_is_still_read() -> None:
    document = read_doc(
        {
            "specVersion": "9.9",
            "metadata": {"component": _good("root", **{"bom-ref": "dup"})},
            "components": [
                "a string",
                _good("kept", **{"bom-ref": "dup", "supplier": "TEST Vendor Ltd"}),
                {"type": "library", "version": "2"},
                _good("children-not-a-list", components={"x": 1}),
            ],
            "services": {"not": "a list"},
            "dependencies": [{"dependsOn": ["dup"]}, "x", {"ref": "dup", "dependsOn": ["kept"]}],
        }
    )
    assert [(c.ref, c.name) for c in document.components] == [
        ("#metadata", "SBOM metadata"),
        ("dup", "root"),
        ("/components/1", "kept"),
        ("/components/2", ""),
        ("/components/3", "children-not-a-list"),
    ]
    assert document.roots == ("dup",)
    assert document.edges == (("dup", "kept"),)
    assert document.problems == (
        "/bomFormat: missing or not 'CycloneDX'",
        "/specVersion: 9.9 is not a known CycloneDX version",
        "/components/0: expected an object, found str",
        "/components/1: duplicate bom-ref 'dup'",
        "/components/1/supplier: expected an organization object, found a string",
        "/components/2: component has no name",
        "/components/3/components: expected an array",
        "/services: expected an array",
        "/dependencies/0: no ref",
        "/dependencies/1: expected an object, found str",
    )


def test_problems_are_capped_and_the_rest_are_counted() -> None:
    document = read_doc(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "components": [f"broken-{i}" for i in range(500)] + [_good("survivor")],
        }
    )
    assert [c.name for c in document.components] == ["survivor"]
    assert len(document.problems) <= 51
    assert document.problems[0] == "/components/0: expected an object, found str"
    assert re.fullmatch(r"\.\.\. and 450 more\b.*", document.problems[-1]), document.problems[-1]


FUZZ_KEYS = [
    "name", "group", "version", "description", "supplier", "manufacturer", "publisher",
    "author", "authors", "copyright", "purl", "cpe", "omniborId", "swhid", "swid", "hashes",
    "externalReferences", "licenses", "properties", "evidence", "pedigree", "provider",
    "endpoints", "components", "services", "bom-ref", "url", "contact", "email", "alg",
    "content", "id", "text", "expression", "license", "licensing", "licensor", "organization",
    "identity", "field", "concludedValue", "methods", "value", "occurrences", "location",
    "ancestors", "notes", "tagId", "comment", "tools", "manufacture", "component",
]  # fmt: skip

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "NOASSERTION", "TEST Vendor Ltd", "SHA-256", "purl"]), st.text(max_size=8),
)  # fmt: skip
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(FUZZ_KEYS), inner, max_size=4),
    ),
    max_leaves=12,
)
_objects = st.dictionaries(st.sampled_from(FUZZ_KEYS), _values, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(component=_objects, metadata=_objects, dependencies=_values)
def test_any_shape_of_known_keys_never_raises(
    component: dict[str, Any], metadata: dict[str, Any], dependencies: Any
) -> None:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": metadata,
        "components": [component, {"components": [component]}],
        "services": [component],
        "dependencies": dependencies,
    }
    document = cyclonedx_json.read("fuzz.json", json.dumps(doc).encode())
    for record in document.components:
        for fact in facts_of(record):
            assert isinstance(fact.value, str) and fact.value


# --- unreadable input ------------------------------------------------------------------------

UNREADABLE_JSON = [
    "truncated.cdx.json",
    "top-level-array.cdx.json",
    "invalid-utf8.cdx.json",
    "garbage.cdx.json",
    "empty.cdx.json",
]


@pytest.mark.parametrize("name", UNREADABLE_JSON)
def test_unreadable_json_raises_unreadable_input_with_a_one_line_reason(name: str) -> None:
    data = (HOSTILE / name).read_bytes()
    with pytest.raises(UnreadableInput) as caught:
        cyclonedx_json.read(name, data)
    message = str(caught.value)
    assert message.strip() and "\n" not in message
    assert len(message) < 300


def test_committed_hostile_json_files_are_what_the_script_builds() -> None:
    built = {k: v for k, v in hostile_module().files().items() if k.endswith(".json")}
    assert sorted(built) == sorted(UNREADABLE_JSON)
    readme = (HOSTILE / "README.md").read_text()
    for name, content in built.items():
        assert (HOSTILE / name).read_bytes() == content, f"{name}: run make_hostile.py"
        assert len(content) <= 1024
        assert f"`{name}`" in readme


@pytest.mark.parametrize("levels", [5000])
def test_components_nested_5000_deep_are_read_or_refused_never_recursion_error(
    levels: int,
) -> None:
    data = hostile_module().deep_json(levels)
    try:
        document = cyclonedx_json.read("deep.json", data)
    except UnreadableInput as exc:
        assert "\n" not in str(exc)
        return
    assert sum(1 for c in document.components if c.kind is C) == levels
    for record in document.components:
        facts_of(record)


def test_deep_nesting_is_walked_without_python_recursion() -> None:
    levels = 400  # deep enough that a recursive walk would need 400 frames; orjson accepts it
    data = hostile_module().deep_json(levels)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 60)
    try:
        document = cyclonedx_json.read("deep.json", data)
        realized = [facts_of(c) for c in document.components]
    finally:
        sys.setrecursionlimit(limit)
    assert len(document.components) == levels
    assert len(realized) == levels
    deepest = document.components[-1]
    assert deepest.name == "leaf"
    assert deepest.pointer == "/components/0" + "/components/0" * (levels - 1)
    assert deepest.parent == document.components[-2].ref
    assert [c.parent for c in document.components[1:]] == [c.ref for c in document.components[:-1]]


# --- corpus smoke test -----------------------------------------------------------------------


def _decode(data: bytes) -> str:
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
        (codecs.BOM_UTF8, "utf-8-sig"),
    ):
        if data.startswith(bom):
            return data.decode(encoding)
    return data.decode("utf-8")


def independent_component_count(doc: dict[str, Any]) -> int:
    """Objects under metadata.component and components[*], following nested 'components'."""
    stack: list[Any] = []
    metadata = doc.get("metadata")
    if isinstance(metadata, dict) and "component" in metadata:
        stack.append(metadata["component"])
    if isinstance(doc.get("components"), list):
        stack.extend(doc["components"])
    count = 0
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            count += 1
            if isinstance(node.get("components"), list):
                stack.extend(node["components"])
    return count


def corpus_files(fmt: SbomFormat) -> Iterator[tuple[Path, bytes]]:
    root = CORPUS.resolve()
    if not root.is_dir():
        pytest.skip(f"shared corpus not found at {root}")
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if sniff(data).format is fmt:
                yield path, data


@pytest.mark.corpus
def test_corpus_cyclonedx_json_reads_and_component_counts_match() -> None:
    started = time.monotonic()
    read = unreadable = components = 0
    mismatches: list[str] = []
    reasons: list[str] = []
    for path, data in corpus_files(SbomFormat.CYCLONEDX_JSON):
        try:
            document = cyclonedx_json.read(str(path), data)
        except UnreadableInput as exc:
            unreadable += 1
            reasons.append(f"{path.name}: {exc}")
            continue
        read += 1
        for record in document.components:
            facts_of(record)
        got = sum(1 for c in document.components if c.kind is C)
        raw = json.loads(_decode(data))
        expected = independent_component_count(raw) if isinstance(raw, dict) else 0
        components += got
        if got != expected:
            mismatches.append(f"{path}: reader {got}, independent count {expected}")
    elapsed = time.monotonic() - started
    print(
        f"\nCycloneDX JSON corpus: {read + unreadable} files, {read} read, {unreadable} "
        f"unreadable, {components} components, {len(mismatches)} count mismatches, "
        f"{elapsed:.1f}s"
    )
    for reason in reasons:
        print(f"  unreadable: {reason}")
    assert read > 0
    assert not mismatches, "\n".join(mismatches)
