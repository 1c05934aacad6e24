"""JSON and YAML under attack: values hidden by duplicate keys are audited, and nesting deep
enough to crash a C parser is refused with a reason instead of killing the run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.api import AuditOptions, audit
from auditor.errors import UnreadableInput
from auditor.ingest import yamlsafe
from auditor.models import Disposition

CDX_HIDDEN = (
    '{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library",'
    '"bom-ref":"a","name":"Kaspersky Endpoint Security","name":"left-pad","version":"1.3.0"}]}'
)
SPDX_YAML_HIDDEN = """spdxVersion: SPDX-2.3
dataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
name: test
documentNamespace: https://example.com/TEST
creationInfo:
  created: "2024-01-01T00:00:00Z"
  creators: ["Tool: TEST"]
packages:
- SPDXID: SPDXRef-p1
  supplier: "Organization: AO Kaspersky Lab"
  supplier: "Organization: TEST Example Corp"
  name: left-pad
  downloadLocation: NOASSERTION
"""


def _audit(tmp_path: Path, name: str, text: str) -> tuple[list[str], list[str], list[str]]:
    target = tmp_path / name
    target.write_text(text, encoding="utf-8")
    result = audit([target], AuditOptions(jobs=1))
    problems = [p for doc in result.documents for p in doc.problems]
    hidden = [f.component.name for f in result.findings]
    skipped = [s.reason for s in result.skipped if s.disposition is Disposition.NOT_INSPECTED]
    return hidden, problems, skipped


def test_a_kaspersky_name_hidden_by_a_later_duplicate_key_is_still_found(tmp_path: Path) -> None:
    found, problems, skipped = _audit(tmp_path, "hidden.cdx.json", CDX_HIDDEN)
    assert found == ["values hidden by duplicate keys"]
    assert any("duplicate keys (name)" in p for p in problems)
    assert not skipped


def test_a_hidden_kaspersky_supplier_in_spdx_yaml_is_still_found(tmp_path: Path) -> None:
    found, problems, _ = _audit(tmp_path, "hidden.spdx.yaml", SPDX_YAML_HIDDEN)
    assert found == ["values hidden by duplicate keys"]
    assert any("duplicate keys (supplier)" in p for p in problems)


def test_the_last_value_of_a_duplicate_key_is_the_one_read(tmp_path: Path) -> None:
    """Deterministic, and what JavaScript, Python, Go and Java parsers read."""
    target = tmp_path / "last.cdx.json"
    target.write_text(CDX_HIDDEN, encoding="utf-8")
    result = audit([target], AuditOptions(jobs=1))
    names = [c.name for doc in result.documents for c in doc.components]
    assert "left-pad" in names and "Kaspersky Endpoint Security" not in names


def test_benign_duplicates_beside_a_kaspersky_record_add_only_a_problem(tmp_path: Path) -> None:
    text = CDX_HIDDEN.replace('"name":"Kaspersky Endpoint Security",', '"name":"right-pad",')
    text = text.replace(
        "]}",
        ',{"type":"library","bom-ref":"b","name":"Kaspersky Endpoint Security","version":"12"}]}',
    )
    found, problems, _ = _audit(tmp_path, "benign.cdx.json", text)
    assert found == ["Kaspersky Endpoint Security"]
    assert any("duplicate keys (name)" in p for p in problems)


def test_benign_duplicate_keys_in_json_are_a_problem_not_a_finding(tmp_path: Path) -> None:
    """The JSON parser proves every repeated key, so each is reported, named or not."""
    text = CDX_HIDDEN.replace("Kaspersky Endpoint Security", "right-pad")
    found, problems, _ = _audit(tmp_path, "plain.cdx.json", text)
    assert found == []
    assert any("duplicate keys (name)" in p for p in problems)


def test_benign_duplicate_keys_in_yaml_are_a_problem_not_a_finding(tmp_path: Path) -> None:
    """The YAML loader tells of every repeated key too, so each is reported, named or not."""
    text = SPDX_YAML_HIDDEN.replace("AO Kaspersky Lab", "TEST Other Corp")
    found, problems, _ = _audit(tmp_path, "plain.spdx.yaml", text)
    assert found == []
    assert any("duplicate keys (supplier)" in p for p in problems)


def test_a_yaml_merge_key_overridden_by_its_mapping_is_no_duplicate() -> None:
    text = "base: &b {name: a, version: '1'}\npkg:\n  <<: *b\n  name: b\n"
    value, repeated = yamlsafe.load_checked(text)
    assert value["pkg"] == {"name": "b", "version": "1"}
    assert repeated is False
    assert yamlsafe.hidden_by_duplicates(text) == []
    assert yamlsafe.load_checked("a: 1\na: 2\n") == ({"a": 2}, True)


@pytest.mark.parametrize("depth", [3_000, 60_000])
def test_deep_flow_nesting_in_yaml_is_refused_not_a_crash(tmp_path: Path, depth: int) -> None:
    text = f"spdxVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\nx: {'[' * depth}{']' * depth}\n"
    _, _, skipped = _audit(tmp_path, "deep.spdx.yaml", text)
    assert skipped == ["spdx-yaml: YAML nested too deeply to read"]


def test_deep_compact_block_nesting_in_yaml_is_refused(tmp_path: Path) -> None:
    text = "spdxVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\nx:\n" + "- " * 20_000 + "a\n"
    _, _, skipped = _audit(tmp_path, "deep.spdx.yaml", text)
    assert skipped == ["spdx-yaml: YAML nested too deeply to read"]


def test_deep_json_is_refused_with_a_reason(tmp_path: Path) -> None:
    depth = 100_000
    text = (
        '{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a","x":'
        + "[" * depth
        + "]" * depth
        + "}]}"
    )
    _, _, skipped = _audit(tmp_path, "deep.cdx.json", text)
    assert len(skipped) == 1 and "invalid JSON" in skipped[0]


def test_yaml_loading_constructs_no_objects() -> None:
    with pytest.raises(yaml.YAMLError):
        yamlsafe.load("!!python/object/apply:os.system ['true']")


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


_nested = st.recursive(
    st.one_of(st.integers(), st.text(max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None)
@given(value=_nested, flow=st.sampled_from([None, True, False]))
def test_the_nesting_bound_is_never_below_the_real_depth(value: object, flow: bool | None) -> None:
    text = yaml.safe_dump({"root": value}, default_flow_style=flow)
    assert yamlsafe.nesting_bound(text) >= _depth({"root": value})
    assert yamlsafe.load(text) == {"root": value}


def test_json_duplicate_scan_survives_deep_documents() -> None:
    from auditor.ingest.duplicates import hidden_values
    from auditor.models import SbomFormat

    deep = "[" * 200_000 + "]" * 200_000
    assert hidden_values(deep.encode(), SbomFormat.CYCLONEDX_JSON) is None
    assert hidden_values(json.dumps({"a": 1}).encode(), SbomFormat.CYCLONEDX_JSON) == []


def test_unreadable_input_is_what_the_yaml_guard_raises() -> None:
    with pytest.raises(UnreadableInput):
        yamlsafe.load("x: " + "[" * 100_000 + "]" * 100_000)


def test_undecodable_member_and_file_names_are_shown_escaped_not_fatal(tmp_path: Path) -> None:
    """A tar member or a file on disk whose name is not UTF-8 once ended the whole run with
    UnicodeEncodeError while matching; it is now shown with \\xNN escapes."""
    import io
    import os
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("opt/kaspersky/name-\udcff-TEST")
        info.size = 4
        archive.addfile(info, io.BytesIO(b"TEST"))
    (tmp_path / "odd-TEST.tar").write_bytes(buffer.getvalue())
    odd = os.fsdecode(b"odd-\xfe-TEST.cdx.json")
    (tmp_path / odd).write_text(CDX_HIDDEN, encoding="utf-8")
    result = audit([tmp_path], AuditOptions(jobs=1, display_base=tmp_path))
    paths = {doc.path for doc in result.documents}
    assert "odd-\\xfe-TEST.cdx.json" in paths
    assert any(
        "\\xff" in fact.value for d in result.documents for c in d.components for fact in c.facts
    )
    from auditor.report.sarif import render_sarif

    assert "\\\\xfe" in render_sarif(result)


def test_strings_inside_a_hidden_object_are_audited_too() -> None:
    """The fast pass builds no objects; a hidden object triggers the pass that keeps them."""
    from auditor.ingest.duplicates import hidden_values
    from auditor.models import SbomFormat

    data = (
        b'{"components":[{"name":"TEST x","supplier":{"name":"AO Kaspersky Lab"},'
        b'"supplier":{"name":"TEST Example"}}],"m":[1,{"z":"deep"}],"m":2}'
    )
    assert hidden_values(data, SbomFormat.CYCLONEDX_JSON) == [
        ("supplier", "AO Kaspersky Lab"),
        ("m", "1"),
        ("m", "deep"),
    ]


def test_a_hidden_yaml_value_spelled_with_escapes_is_still_found(tmp_path: Path) -> None:
    """The raw bytes never spell the name; the escapes alone send it to the second reading."""
    text = SPDX_YAML_HIDDEN.replace(
        '"Organization: AO Kaspersky Lab"', '"Organization: AO K\\x61spersky Lab"'
    )
    assert "Kaspersky" not in text
    found, problems, _ = _audit(tmp_path, "escaped.spdx.yaml", text)
    assert found == ["values hidden by duplicate keys"]
    assert any("duplicate keys (supplier)" in p for p in problems)
