"""Hardened XML parsing for untrusted input: no DTDs, no entities, no network."""

from __future__ import annotations

import re
from typing import Any, TypeAlias

from lxml import etree

from auditor.errors import UnreadableInput
from auditor.ingest.sniff import to_utf8

#: An lxml element (lxml ships no type information).
Element: TypeAlias = Any

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def _parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


_DECLARED_WIDE = re.compile(
    rb"^(\s*<\?xml[^>]*encoding\s*=\s*[\"'])(utf-?16|utf-?32)[^\"']*", re.IGNORECASE
)


def parse_xml(data: bytes) -> Element:
    """Parse untrusted XML; entity declarations are refused outright (billion laughs, XXE)."""
    data = to_utf8(data)
    data = _DECLARED_WIDE.sub(rb"\1utf-8", data, count=1)  # re-encoded from UTF-16/32 above
    head = data[:65536]
    if _DOCTYPE.search(head) and _ENTITY_DECL.search(data):
        raise UnreadableInput(
            "XML entity declarations are not allowed (possible XXE or entity bomb)"
        )
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise UnreadableInput(f"invalid XML: {exc}") from None
    if root is None:
        raise UnreadableInput("invalid XML: no root element")
    return root


def local(tag: object) -> str:
    """The local name of an element tag (namespace dropped); '' for comments and PIs."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]
