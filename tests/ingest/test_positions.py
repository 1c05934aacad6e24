"""Regions: found by walking the document or by seeking a record's unique member, the same."""

from __future__ import annotations

import json

import pytest

from auditor.ingest.positions import Locator
from auditor.models import SbomFormat
from tests.conftest import FIXTURES

DEMO = FIXTURES / "demo"


@pytest.mark.parametrize(
    ("name", "fmt", "key", "array"),
    [
        ("securegate-appliance.cdx.json", SbomFormat.CYCLONEDX_JSON, "bom-ref", "components"),
        ("management-server.spdx.json", SbomFormat.SPDX_JSON, "SPDXID", "packages"),
    ],
)
def test_seeking_by_identity_gives_the_walked_region(
    name: str, fmt: SbomFormat, key: str, array: str
) -> None:
    data = (DEMO / name).read_bytes()
    records = json.loads(data)[array]
    for index, record in enumerate(records):
        pointer = f"/{array}/{index}"
        walked = Locator(fmt, data).region(pointer)
        seeked = Locator(fmt, data).region(pointer, anchor=(key, record[key]))
        assert walked is not None and walked == seeked, pointer
        evidence = Locator(fmt, data)
        evidence.region(pointer, anchor=(key, record[key]))
        assert evidence.region(pointer + "/name") == Locator(fmt, data).region(pointer + "/name")


def test_seek_ignores_a_lookalike_value_inside_a_string() -> None:
    text = '{"a": "\\"bom-ref\\": \\"x\\"", "components": [{"bom-ref": "x", "name": "n"}]}'
    data = text.encode()
    locator = Locator(SbomFormat.CYCLONEDX_JSON, data)
    region = locator.region("/components/0", anchor=("bom-ref", "x"))
    assert region == Locator(SbomFormat.CYCLONEDX_JSON, data).region("/components/0")


def test_lines_are_counted_for_cr_only_files() -> None:
    data = b'{\r"components": [\r{"bom-ref": "x"}]}'
    region = Locator(SbomFormat.CYCLONEDX_JSON, data).region("/components/0")
    assert region is not None and region.start_line == 3
