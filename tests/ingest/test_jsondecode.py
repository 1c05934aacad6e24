"""The one-parse JSON decoder: it reads what orjson reads, the same way, and proves whether an
object repeats a key, so the pair-keeping second parse runs only where it can matter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.api import AuditOptions, audit
from auditor.ingest import cyclonedx_json, jsondecode, spdx2
from auditor.models import SbomFormat

_LEAVES = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=12)
_VALUES = st.recursive(
    _LEAVES | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(_VALUES)
def test_a_document_without_repeated_keys_decodes_exactly_as_orjson_does(value: Any) -> None:
    data = orjson.dumps(value)
    decoded = jsondecode.decode(data)
    assert decoded.value == orjson.loads(data)
    assert decoded.duplicate_keys is False


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1,"a":2}',
        '{"components":[{"name":"x","b":{"k":1,"k":2}}]}',
        '[{"x":{"y":[{"z":1,"q":2,"z":3}]}}]',
        '{"n\\u0061me":"Kaspersky","name":"left-pad"}',  # equal once unescaped
    ],
)
def test_a_repeated_key_anywhere_is_reported_and_the_last_value_read(text: str) -> None:
    decoded = jsondecode.decode(text.encode())
    assert decoded.duplicate_keys is True
    assert decoded.value == json.loads(text)  # last key wins, as in every JSON parser


def test_what_jiter_cannot_read_is_decoded_by_orjson_with_duplicates_unknown() -> None:
    deep = b"[" * 500 + b"]" * 500  # past jiter's 200 levels, within orjson's 1024
    decoded = jsondecode.decode(deep)
    assert decoded.duplicate_keys is None
    assert decoded.value == orjson.loads(deep)


def test_invalid_json_still_raises_orjsons_error_and_uses_the_readers_text() -> None:
    with pytest.raises(orjson.JSONDecodeError):
        jsondecode.decode(b'{"a": [1,]}')
    decoded = jsondecode.decode(b'{"a": "\xff"}', lambda: '{"a": "\ufffd"}')
    assert decoded.value == {"a": "\ufffd"}
    assert decoded.duplicate_keys is None


@pytest.mark.parametrize(
    ("reader", "fmt", "text"),
    [
        (
            cyclonedx_json.read,
            SbomFormat.CYCLONEDX_JSON,
            '{"bomFormat":"CycloneDX","components":[]}',
        ),
        (
            spdx2.read,
            SbomFormat.SPDX_JSON,
            '{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT"}',
        ),
    ],
)
def test_readers_record_that_their_document_repeats_no_key(
    reader: Any, fmt: SbomFormat, text: str
) -> None:
    assert reader("x.json", text.encode(), fmt).duplicate_keys is False
    repeated = text[:-1] + ',"name":"a","name":"b"}'
    assert reader("x.json", repeated.encode(), fmt).duplicate_keys is True


def test_a_hidden_kaspersky_name_beyond_jiters_depth_is_still_found(tmp_path: Path) -> None:
    """A document jiter refuses for depth (duplicates unknown) still gets the pair-keeping pass."""
    hidden = '{"type":"library","name":"Kaspersky Endpoint Security","name":"left-pad"}'
    nested = '{"x":' * 250 + '"y"' + "}" * 250
    text = (
        '{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,'
        f'"properties":[{{"name":"deep","value":{nested}}}],"components":[{hidden}]}}'
    )  # the deep part comes first: jiter stops there, before it meets the repeated key
    assert jsondecode.decode(text.encode()).duplicate_keys is None
    target = tmp_path / "deep-hidden.cdx.json"
    target.write_text(text, encoding="utf-8")
    result = audit([target], AuditOptions(jobs=1))
    assert [f.component.name for f in result.findings] == ["values hidden by duplicate keys"]


def test_a_hidden_value_spelled_with_escapes_is_still_found(tmp_path: Path) -> None:
    """The raw bytes never spell the name, so only the parser's proof of a repeated key can
    send the document to the pair-keeping pass."""
    text = (
        '{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":'
        '"library","name":"K\\u0061spersky Endpoint Security","name":"left-pad"}]}'
    )
    target = tmp_path / "escaped-hidden.cdx.json"
    target.write_text(text, encoding="utf-8")
    result = audit([target], AuditOptions(jobs=1))
    assert [f.component.name for f in result.findings] == ["values hidden by duplicate keys"]
