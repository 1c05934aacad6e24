"""Values hidden by duplicate keys in JSON and YAML SBOMs.

JSON and YAML parsers keep the last of two equal keys in one object (JavaScript, Python, Go,
Java and PyYAML all do), so the readers do too: that is the deterministic choice, and the one
most consumers of the file see. But an earlier value is still in the file, and a supplier could
put ``"name": "Kaspersky Endpoint Security"`` before ``"name": "left-pad"``. Such a document is
parsed a second time, keeping every pair: each duplicate key is reported as a schema problem and
the values it hid become one more record, so they are matched like everything else.

Which documents: the readers' parsers tell whether a key repeats, in the same parse that reads
the document (jiter for JSON, :func:`auditor.ingest.yamlsafe.load_checked` for YAML); only a
document where one does, or where that could not be told, comes here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from auditor.ingest.records import printable
from auditor.models import Component, ComponentKind, Fact, FieldKind, SbomDocument, SbomFormat

#: Formats whose readers use a last-key-wins parser.
JSON_FORMATS = frozenset({SbomFormat.CYCLONEDX_JSON, SbomFormat.SPDX_JSON, SbomFormat.SPDX3_JSONLD})
FORMATS = JSON_FORMATS | {SbomFormat.SPDX_YAML}
#: Hidden values kept per document (a hostile file cannot make the extra record unbounded).
MAX_VALUES = 1_000
#: The field a hidden value is matched as, by its key; anything else is free text.
_FIELDS = {
    "name": FieldKind.NAME,
    "group": FieldKind.GROUP,
    "version": FieldKind.VERSION,
    "versionInfo": FieldKind.VERSION,
    "purl": FieldKind.PURL,
    "cpe": FieldKind.CPE,
    "supplier": FieldKind.SUPPLIER,
    "manufacturer": FieldKind.MANUFACTURER,
    "publisher": FieldKind.PUBLISHER,
    "author": FieldKind.AUTHOR,
    "originator": FieldKind.ORIGINATOR,
    "copyright": FieldKind.COPYRIGHT,
    "copyrightText": FieldKind.COPYRIGHT,
    "url": FieldKind.URL,
    "downloadLocation": FieldKind.URL,
    "homepage": FieldKind.URL,
    "referenceLocator": FieldKind.PURL,
    "description": FieldKind.DESCRIPTION,
}


def _strings(value: object, budget: list[int]) -> Iterator[str]:
    """The string leaves of a JSON/YAML value, iteratively (no recursion on attacker depth)."""
    stack = [value]
    while stack and budget[0] > 0:
        current = stack.pop()
        if isinstance(current, str):
            budget[0] -= 1
            yield current
        elif isinstance(current, dict):
            stack.extend(reversed(list(current.values())))
        elif isinstance(current, list):
            stack.extend(reversed(current))
        elif isinstance(current, (int, float)) and not isinstance(current, bool):
            budget[0] -= 1
            yield str(current)


def _json_pairs(text: str) -> list[tuple[str, object]]:
    """Hidden (key, value) pairs, read with every pair kept."""
    hidden: list[tuple[str, object]] = []

    def record(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len(pairs) > 1 and len({key for key, _ in pairs}) < len(pairs):
            latest: dict[str, int] = {key: index for index, (key, _) in enumerate(pairs)}
            hidden.extend(
                (key, value) for index, (key, value) in enumerate(pairs) if latest[key] != index
            )
        return dict(pairs)

    json.loads(text, object_pairs_hook=record)
    return hidden


def _yaml_pairs(text: str) -> list[tuple[str, object]]:
    from auditor.ingest import yamlsafe

    return yamlsafe.hidden_by_duplicates(text)


def hidden_values(data: bytes, fmt: SbomFormat) -> list[tuple[str, str]] | None:
    """(key, value) of every value a later equal key hid, or None when the document cannot be
    parsed this way (its reader has already said what was wrong with it)."""
    from auditor.ingest.sniff import to_utf8

    text = to_utf8(data).decode("utf-8", errors="replace")
    try:
        pairs = _json_pairs(text) if fmt in JSON_FORMATS else _yaml_pairs(text)
    except (ValueError, RecursionError, MemoryError):
        return None
    budget = [MAX_VALUES]
    return [
        (printable(str(key)), printable(value))
        for key, raw in pairs
        for value in _strings(raw, budget)
    ]


def with_hidden_values(document: SbomDocument, data: bytes) -> SbomDocument:
    """``document`` plus a record of the values its duplicate keys hid, and a problem saying
    so; unchanged when there are none."""
    found = hidden_values(data, document.format)
    if not found:
        return document
    keys = sorted({key for key, _ in found})
    facts = tuple(
        Fact(_FIELDS.get(key, FieldKind.TEXT), value, f"/hidden/{index}/{key}")
        for index, (key, value) in enumerate(found)
    )
    record = Component(
        ref="#values-hidden-by-duplicate-keys",
        kind=ComponentKind.DOCUMENT,
        name="values hidden by duplicate keys",
        version="",
        pointer="",
        facts=facts,
    )
    problem = (
        f"duplicate keys ({', '.join(keys[:10])}{', ...' if len(keys) > 10 else ''}): the last "
        f"value of each was read, as JSON and YAML parsers do; the {len(found)} earlier "
        "value(s) were audited too, as the record 'values hidden by duplicate keys'"
    )
    return replace(
        document,
        components=(*document.components, record),
        problems=(*document.problems, problem),
    )
