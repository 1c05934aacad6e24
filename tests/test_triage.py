"""Triage: one finding per record, the right class, corroboration, white-label, fingerprints."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.intel.compile import CompiledIntel
from auditor.match.engine import match_component
from auditor.models import (
    Component,
    ComponentKind,
    Confidence,
    DetectionClass,
    FieldKind,
    Level,
    SbomDocument,
    SbomFormat,
)
from auditor.triage import DependencyIndex, build_findings, classify, fingerprint
from tests.conftest import record

F = FieldKind


def judge(
    intel: CompiledIntel, component: Component
) -> tuple[DetectionClass, Confidence, tuple[str, ...]]:
    hits = match_component(intel, component)
    assert hits, "expected at least one hit"
    detection, confidence, vendors, _ = classify(component, hits)
    return detection, confidence, vendors


def test_kaspersky_supplied_product_is_a_product(intel: CompiledIntel) -> None:
    c = record((F.NAME, "kesl"), (F.SUPPLIER, "AO Kaspersky Lab"))
    detection, confidence, vendors = judge(intel, c)
    assert detection is DetectionClass.PRODUCT
    assert confidence is Confidence.HIGH
    assert vendors == ()


def test_other_vendors_component_with_kaspersky_copyright_is_embedded(intel: CompiledIntel) -> None:
    c = record(
        (F.NAME, "acme-scan"),
        (F.SUPPLIER, "Acme Networks"),
        (F.COPYRIGHT, "(c) 1997-2020 AO Kaspersky Lab"),
    )
    detection, _, vendors = judge(intel, c)
    assert detection is DetectionClass.EMBEDDED
    assert vendors == ("Acme Networks",)


def test_other_vendors_component_naming_a_kaspersky_engine_is_embedded(
    intel: CompiledIntel,
) -> None:
    c = record(
        (F.NAME, "Acme mail gateway AV module"),
        (F.SUPPLIER, "Acme"),
        (F.CPE, "cpe:2.3:a:kaspersky:anti-virus_engine:8:*:*:*:*:*:*:*"),
    )
    assert judge(intel, c)[0] is DetectionClass.EMBEDDED


def test_sdk_name_alone_is_embedded(intel: CompiledIntel) -> None:
    c = record((F.NAME, "Kaspersky Anti-Virus SDK"))
    assert judge(intel, c)[0] is DetectionClass.EMBEDDED


def test_kaspersky_open_source_package_is_authored(intel: CompiledIntel) -> None:
    c = record((F.NAME, "hexa-ui"), (F.PURL, "pkg:npm/%40kaspersky/hexa-ui@6.198.2"))
    assert judge(intel, c)[0] is DetectionClass.AUTHORED


def test_endpoint_on_kaspersky_host_is_service_integration(intel: CompiledIntel) -> None:
    c = record(
        (F.NAME, "updater"),
        (F.PROVIDER, "Acme"),
        (F.ENDPOINT, "https://s01.upd.kaspersky.com/"),
        kind=ComponentKind.SERVICE,
    )
    assert judge(intel, c)[0] is DetectionClass.SERVICE


def test_free_text_mention_alone_is_a_mention(intel: CompiledIntel) -> None:
    c = record((F.NAME, "acme-agent"), (F.DESCRIPTION, "Works on hosts that also run Kaspersky"))
    detection, confidence, _ = judge(intel, c)
    assert detection is DetectionClass.MENTION
    assert confidence <= Confidence.MEDIUM


def test_uninstaller_and_third_party_client_are_mentions(intel: CompiledIntel) -> None:
    for text in (
        "Tool to uninstall Kaspersky Anti-Virus before installing our agent",
        "Unofficial client for the Kaspersky Threat Intelligence Portal API",
        "Migration from Kaspersky Endpoint Security",
    ):
        c = record((F.NAME, "tool"), (F.SUPPLIER, "Acme"), (F.DESCRIPTION, text))
        assert judge(intel, c)[0] is DetectionClass.MENTION, text


def test_corroborating_indicators_raise_confidence(intel: CompiledIntel) -> None:
    weak = record((F.NAME, "Kaspersky Lab agent"))
    strong = record(
        (F.NAME, "Kaspersky Lab agent"),
        (F.PURL, "pkg:npm/%40kaspersky/agent@1"),
        (F.URL, "https://github.com/KasperskyLab/agent"),
    )
    assert judge(intel, strong)[1] > judge(intel, weak)[1]


def test_low_confidence_lowers_the_level(intel: CompiledIntel) -> None:
    doc = SbomDocument(
        path="x.json",
        format=SbomFormat.CYCLONEDX_JSON,
        spec_version="1.6",
        components=(record((F.SUPPLIER, "Threatpost Inc.")),),
    )
    [finding] = build_findings(
        intel, doc, [(doc.components[0], match_component(intel, doc.components[0]))]
    )
    assert finding.confidence is Confidence.LOW
    assert finding.level is Level.NOTE


def test_one_finding_per_record_with_all_evidence(intel: CompiledIntel) -> None:
    c = record(
        (F.SUPPLIER, "AO Kaspersky Lab"),
        (F.NAME, "kesl"),
        (F.PURL, "pkg:npm/%40kaspersky/x@1"),
        (F.URL, "https://kaspersky.com"),
    )
    doc = SbomDocument(
        path="x.json", format=SbomFormat.CYCLONEDX_JSON, spec_version="1.6", components=(c,)
    )
    findings = build_findings(intel, doc, [(c, match_component(intel, c))])
    assert len(findings) == 1
    assert {h.kind for h in findings[0].hits} >= {"entity-name", "package-name", "purl", "domain"}
    assert findings[0].hits[0].field is F.SUPPLIER  # strongest evidence first


def test_fingerprint_ignores_position_and_message(intel: CompiledIntel) -> None:
    c = record((F.PURL, "pkg:npm/%40kaspersky/hexa-ui@6.198.2"), (F.NAME, "hexa-ui"))
    hits = match_component(intel, c)
    moved = replace(c, pointer="/components/99", line=1234)
    assert fingerprint("KAS003", "a.json", c, hits) == fingerprint("KAS003", "a.json", moved, hits)
    assert fingerprint("KAS003", "a.json", c, hits) != fingerprint("KAS003", "b.json", c, hits)


def test_dependency_path_runs_from_the_product_root() -> None:
    def comp(ref: str, parent: str | None = None) -> Component:
        return Component(
            ref=ref,
            kind=ComponentKind.COMPONENT,
            name=ref,
            version="",
            pointer="",
            facts=(),
            parent=parent,
        )

    doc = SbomDocument(
        path="x",
        format=SbomFormat.CYCLONEDX_JSON,
        spec_version="1.6",
        components=(comp("app"), comp("lib"), comp("engine"), comp("nested", parent="engine")),
        edges=(("app", "lib"), ("lib", "engine")),
        roots=("app",),
    )
    assert DependencyIndex(doc).path("nested") == ("app", "lib", "engine", "nested")
    assert DependencyIndex(doc).path("unknown") == ()


def test_kaspersky_signing_certificate_in_another_vendors_firmware_is_embedded() -> None:
    from auditor.api import audit
    from tests.conftest import FIXTURES

    result = audit([FIXTURES / "sbom" / "cyclonedx" / "1.7" / "test-appliance-cbom.cdx.json"])
    assert len(result.findings) == 1, [f.component.name for f in result.findings]
    finding = result.findings[0]
    assert finding.component.name == "TEST embedded vendor certificate"
    assert finding.detection_class is DetectionClass.EMBEDDED
    assert finding.confidence is Confidence.HIGH
    assert {"cert-subject", "cert-serial", "file-hash"} <= {h.kind for h in finding.hits}


def _full_bfs_paths(doc: SbomDocument) -> dict[str, tuple[str, ...]]:
    """The reference: one breadth-first search of the whole graph, then every path."""
    from collections import deque

    children: dict[str, list[str]] = {}
    for parent, child in doc.edges:
        children.setdefault(parent, []).append(child)
    for c in doc.components:
        if c.parent:
            children.setdefault(c.parent, []).append(c.ref)
    parents: dict[str, str | None] = dict.fromkeys(doc.roots)
    queue = deque(doc.roots)
    while queue:
        node = queue.popleft()
        for child in children.get(node, ()):
            if child not in parents:
                parents[child] = node
                queue.append(child)
    paths = {}
    for ref in parents:
        chain, node = [], ref
        while node is not None:
            chain.append(node)
            node = parents[node]
        paths[ref] = tuple(reversed(chain))
    return paths


@settings(max_examples=150, deadline=None)
@given(
    st.integers(2, 30).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
            st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True),
            st.permutations(range(n)),
        )
    )
)
def test_paths_found_on_demand_equal_those_of_a_full_search(
    case: tuple[int, list[tuple[int, int]], list[int], list[int]],
) -> None:
    n, edges, roots, queries = case
    refs = [f"r{i}" for i in range(n)]
    doc = SbomDocument(
        path="x",
        format=SbomFormat.SPDX_JSON,
        spec_version="2.3",
        components=tuple(
            Component(ref=r, kind=ComponentKind.PACKAGE, name=r, version="", pointer="", facts=())
            for r in refs
        ),
        edges=tuple((refs[a], refs[b]) for a, b in edges),
        roots=tuple(refs[i] for i in roots),
    )
    expected = _full_bfs_paths(doc)
    index = DependencyIndex(doc)
    for i in queries:  # any order of questions gives the same answers
        assert index.path(refs[i]) == expected.get(refs[i], ())
