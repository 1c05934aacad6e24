"""Each matcher fires on real Kaspersky identifiers and stays quiet on look-alikes."""

from __future__ import annotations

import pytest

from auditor.intel.compile import CompiledIntel
from auditor.match.engine import candidates, match_component
from auditor.models import FieldKind
from tests.conftest import record


def fired(intel: CompiledIntel, field: FieldKind, value: str) -> set[str]:
    return {hit.indicator_id for hit in match_component(intel, record((field, value)))}


def kinds(intel: CompiledIntel, field: FieldKind, value: str) -> set[str]:
    return {hit.kind for hit in match_component(intel, record((field, value)))}


@pytest.mark.parametrize(
    "value",
    [
        "AO Kaspersky Lab",
        "Kaspersky Lab ZAO",
        "KASPERSKY LAB, INC.",
        "Kaspersky Labs Limited",
        "Kaspersky Lab UK Ltd.",
        "АО «Лаборатория Касперского»",
        "OOO Kaspersky Group",
        "K\u0430spersky Lab",  # Cyrillic а
        "Kas\u200bpersky Lab",  # zero-width space
        "K a s p e r s k y  L a b",
        "Copyright (c) 2010 Kaspersky Lab ZAO. All rights reserved.",
    ],
)
def test_entity_names_fire_in_attribution_fields(intel: CompiledIntel, value: str) -> None:
    assert "entity-name" in kinds(intel, FieldKind.SUPPLIER, value)


@pytest.mark.parametrize(
    "value",
    [
        "Kasper",
        "Kasperski",
        "kasperskytip",
        "Kasper Sky Ltd",
        "Kasparov Labs",
        "Casper Lab",
        "SkyLab Kasper GmbH",
    ],
)
def test_look_alike_names_do_not_fire(intel: CompiledIntel, value: str) -> None:
    assert fired(intel, FieldKind.SUPPLIER, value) == set()


@pytest.mark.parametrize(
    "value",
    [
        "Kaspersky Anti-Virus SDK",
        "KAV SDK 8 Level 3",
        "Kaspersky Scan Engine",
        "SafeStream II",
        "kaspersky-lab-engine",
        "KasperskyAntiVirus Engine",
    ],
)
def test_sdk_and_engine_names_fire(intel: CompiledIntel, value: str) -> None:
    hits = match_component(intel, record((FieldKind.NAME, value)))
    assert any(hit.kind == "product-name" for hit in hits), value


@pytest.mark.parametrize("value", ["safe stream processing", "a safe-stream API", "KAVA SDK"])
def test_generic_words_near_product_names_do_not_fire(intel: CompiledIntel, value: str) -> None:
    hits = match_component(intel, record((FieldKind.DESCRIPTION, value)))
    assert not any(hit.kind == "product-name" for hit in hits), value


@pytest.mark.parametrize(
    "purl",
    [
        "pkg:npm/%40kaspersky/hexa-ui@6.198.2",
        "pkg:npm/@kaspersky/hexa-ui-icons@2.6.11",
        "pkg:NPM/%40Kaspersky/hexa-ui-core",
        "pkg:pypi/opentip@1.0.2",
        "pkg:pypi/OpenTIP",
        "pkg:maven/com.kaspersky.android-components/kaspresso@1.5.3",
    ],
)
def test_kaspersky_purls_fire(intel: CompiledIntel, purl: str) -> None:
    assert "purl" in kinds(intel, FieldKind.PURL, purl)


@pytest.mark.parametrize(
    "purl",
    [
        "pkg:npm/kaspersky-fan-club@1.0.0",
        "pkg:npm/%40kasperskyfans/ui@1.0.0",
        "pkg:pypi/opentip-cli@0.1",
        "pkg:pypi/kasperskytip@0.3.1",
        "pkg:maven/com.kasperskyx/thing@1",
        "pkg:npm/opentip@1.0",
        "not a purl at all",
    ],
)
def test_look_alike_purls_do_not_fire(intel: CompiledIntel, purl: str) -> None:
    assert "purl" not in kinds(intel, FieldKind.PURL, purl)


@pytest.mark.parametrize(
    "cpe",
    [
        "cpe:2.3:a:kaspersky:total_security:21.3:*:*:*:*:*:*:*",
        "cpe:/a:kaspersky_lab:kaspersky_internet_security:2015",
    ],
)
def test_kaspersky_cpe_vendors_fire(intel: CompiledIntel, cpe: str) -> None:
    assert "cpe" in kinds(intel, FieldKind.CPE, cpe)


@pytest.mark.parametrize(
    "cpe",
    [
        "cpe:2.3:a:kaspersky_fan:tool:1:*:*:*:*:*:*:*",
        "cpe:2.3:a:acme:kaspersky_remover:1:*:*:*:*:*:*:*",
        "cpe:2.3:a:openssl:openssl:3.0.0:*:*:*:*:*:*:*",
    ],
)
def test_other_cpe_vendors_do_not_fire(intel: CompiledIntel, cpe: str) -> None:
    assert "cpe" not in kinds(intel, FieldKind.CPE, cpe)


@pytest.mark.parametrize(
    "url",
    [
        "https://s00.upd.kaspersky.com/diffs/",
        "http://activation-v2.kaspersky.com/activationservice",
        "opentip_py@kaspersky.com",
        "https://www.KASPERSKY.com/",
        "https://securelist.com/report",
    ],
)
def test_kaspersky_domains_fire(intel: CompiledIntel, url: str) -> None:
    assert "domain" in kinds(intel, FieldKind.URL, url)


@pytest.mark.parametrize(
    "url",
    [
        "https://kaspersky.com.evil.example/",
        "https://notkaspersky.com/",
        "https://kaspersky.example/",
        "https://example.com/kaspersky.com",
        "https://kasperskyfans.org/",
    ],
)
def test_look_alike_domains_do_not_fire(intel: CompiledIntel, url: str) -> None:
    hits = [h for h in match_component(intel, record((FieldKind.URL, url))) if h.kind == "domain"]
    if url == "https://example.com/kaspersky.com":
        # a path that names the domain is text, not a host we connect to; it may match as a
        # host-like token but never as the URL's host. Accept either, but not a service class.
        assert all(h.implies.value != "service" for h in hits)
        return
    assert hits == [], url


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/KasperskyLab/uif",
        "git+https://github.com/kasperskylab/uif.git",
        "git@github.com:KasperskyLab/Kaspresso.git",
        "https://github.com/KasperskyLab",
    ],
)
def test_kaspersky_github_organisation_fires(intel: CompiledIntel, url: str) -> None:
    assert "url-prefix" in kinds(intel, FieldKind.URL, url)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/KasperskyLabFans/x",
        "https://github.com/someone/KasperskyLab-notes",
        "https://gitlab.com/KasperskyLab/uif",
    ],
)
def test_other_repositories_do_not_fire(intel: CompiledIntel, url: str) -> None:
    assert "url-prefix" not in kinds(intel, FieldKind.URL, url)


def test_known_file_hash_fires_and_a_near_miss_does_not(intel: CompiledIntel) -> None:
    digest = "sha256:414065ca4238bfff0ce2601ac4ac924bc8da98b0b75c0a81cde78f05f5de869a"
    assert "file-hash" in kinds(intel, FieldKind.HASH, digest)
    assert "file-hash" not in kinds(intel, FieldKind.HASH, digest[:-1] + "b")


def test_package_names_match_exactly(intel: CompiledIntel) -> None:
    assert "package-name" in kinds(intel, FieldKind.NAME, "kesl")
    assert "package-name" in kinds(intel, FieldKind.FILENAME, "/opt/pkgs/klnagent64")
    assert "package-name" not in kinds(intel, FieldKind.NAME, "keslx")
    assert "package-name" not in kinds(intel, FieldKind.DESCRIPTION, "kesl")


def test_fields_outside_an_indicators_scope_are_ignored(intel: CompiledIntel) -> None:
    # A purl pattern never fires on a description, a name never on a hash.
    assert "purl" not in kinds(intel, FieldKind.DESCRIPTION, "pkg:npm/%40kaspersky/hexa-ui")
    assert kinds(intel, FieldKind.HASH, "sha256:kaspersky") == set()


def test_prefilter_selects_exactly_the_records_that_can_match(intel: CompiledIntel) -> None:
    records = (
        record((FieldKind.NAME, "left-pad"), ref="a"),
        record((FieldKind.SUPPLIER, "AO Kaspersky Lab"), ref="b"),
        record((FieldKind.NAME, "zlib"), ref="c"),
        record((FieldKind.PURL, "pkg:npm/%40kaspersky/hexa-ui@1"), ref="d"),
        record((FieldKind.DESCRIPTION, "text with \x02 separators \x02 inside"), ref="e"),
        record((FieldKind.SUPPLIER, "K\u0430spersky Lab"), ref="f"),
    )
    assert candidates(intel, records) == [1, 3, 5]


def test_each_indicator_reported_once_per_value(intel: CompiledIntel) -> None:
    hits = match_component(
        intel, record((FieldKind.DESCRIPTION, "Kaspersky, Kaspersky, Kaspersky"))
    )
    assert len(hits) == len({h.indicator_id for h in hits})


@pytest.mark.parametrize(
    "path",
    [
        "/opt/kaspersky/kesl/bin/kesl",
        "./opt/kaspersky/klnagent64/bin/klnagent",
        "/var/opt/kaspersky/kesl/common/kesl.ini",
        "C:\\Program Files (x86)\\Kaspersky Lab\\Agent\\x.exe",
        "/opt/kaspersky/ScanEngine/bin/kavhttpd",
    ],
)
def test_kaspersky_paths_fire(intel: CompiledIntel, path: str) -> None:
    assert "path" in kinds(intel, FieldKind.FILENAME, path)


@pytest.mark.parametrize(
    "path",
    [
        "/opt/kasperskyfans/x",
        "/opt/kasper/x",
        "C:\\Program Files\\Kaspersky Labs Fan Club\\x",
        "/home/user/notes-on-opt-kaspersky.txt",
    ],
)
def test_look_alike_paths_do_not_fire(intel: CompiledIntel, path: str) -> None:
    assert "path" not in kinds(intel, FieldKind.FILENAME, path)


@pytest.mark.parametrize(
    "value",
    [
        "com.kaspersky.kav.gui",
        "com.kaspersky.components.accessibility.KasperskyAccessibility",
    ],
)
def test_kaspersky_namespaces_fire(intel: CompiledIntel, value: str) -> None:
    assert "namespace" in kinds(intel, FieldKind.NAME, value)


def test_kaspersky_namespace_fires_on_a_maven_purl(intel: CompiledIntel) -> None:
    assert "namespace" in kinds(intel, FieldKind.PURL, "pkg:maven/com.kaspersky.x/lib@1.0")


@pytest.mark.parametrize(
    "value", ["com.kasperskyfans.app", "org.example.com.kaspersky", "kaspersky"]
)
def test_look_alike_namespaces_do_not_fire(intel: CompiledIntel, value: str) -> None:
    assert "namespace" not in kinds(intel, FieldKind.NAME, value)


@pytest.mark.parametrize(
    "subject",
    [
        "CN=Kaspersky Lab, O=Kaspersky Lab, L=Moscow, C=RU, serialNumber=1027739867473",
        "/jurisdictionC=RU/businessCategory=Private Organization/serialNumber=1027739867473/C=RU",
        "SERIALNUMBER=1027739867473, CN=AO Kaspersky Lab, O=AO Kaspersky Lab",
        "2.5.4.5=1027739867473, CN=Renamed Company Ltd",
        "CN = Kaspersky Lab UK Ltd., O = Kaspersky Lab UK Ltd., serialNumber = 03654151, C = GB",
    ],
)
def test_kaspersky_ev_certificate_subjects_fire(intel: CompiledIntel, subject: str) -> None:
    assert "cert-subject" in kinds(intel, FieldKind.CERT_SUBJECT, subject)


@pytest.mark.parametrize(
    "subject",
    [
        "CN=Example Corp, serialNumber=10277398674730",
        "CN=Other Ltd, serialNumber=03654151, C=US",
        "CN=Kasperski Labs, O=Kasperski Labs",
    ],
)
def test_other_certificate_subjects_do_not_fire(intel: CompiledIntel, subject: str) -> None:
    assert "cert-subject" not in kinds(intel, FieldKind.CERT_SUBJECT, subject)


def test_certificate_serials_match_in_any_notation(intel: CompiledIntel) -> None:
    for serial in (
        "0AFC3579727084945815545985EA2CCD",
        "0a:fc:35:79:72:70:84:94:58:15:54:59:85:ea:2c:cd",
        "afc3579727084945815545985ea2ccd",
    ):
        assert "cert-serial" in kinds(intel, FieldKind.CERT_SERIAL, serial), serial
    assert "cert-serial" not in kinds(
        intel, FieldKind.CERT_SERIAL, "0AFC3579727084945815545985EA2CCE"
    )
