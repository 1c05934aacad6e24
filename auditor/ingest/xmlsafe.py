"""Hardened XML parsing for untrusted input: no DTDs, no entities, no network."""

from __future__ import annotations

import functools
import re
from typing import Any, TypeAlias

from lxml import etree

from auditor.errors import UnreadableInput
from auditor.ingest.sniff import to_utf8

#: An lxml element (lxml ships no type information).
Element: TypeAlias = Any

_ENTITIES_REFUSED = "XML entity declarations are not allowed (possible XXE or entity bomb)"
#: "<!ENTITY" in the encodings an attacker may use to slip past a byte check.
_ENTITY_MARKERS = (
    b"<!ENTITY",
    "<!ENTITY".encode("utf-16-le"),
    "<!ENTITY".encode("utf-16-be"),
)


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


def parse_xml(data: bytes, what: str = "XML") -> Element:
    """Parse untrusted XML; entity declarations are refused outright (billion laughs, XXE)."""
    data = to_utf8(data)
    data = _DECLARED_WIDE.sub(rb"\1utf-8", data, count=1)  # re-encoded from UTF-16/32 above
    if any(marker in data for marker in _ENTITY_MARKERS):
        raise UnreadableInput(_ENTITIES_REFUSED)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise UnreadableInput(f"invalid {what}: {_one_line(str(exc))}") from None
    except ValueError as exc:  # e.g. an unsupported encoding declaration
        raise UnreadableInput(f"invalid {what}: {_one_line(str(exc))}") from None
    if root is None:
        raise UnreadableInput(f"invalid {what}: no root element")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise UnreadableInput(_ENTITIES_REFUSED)
    return root


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def local(tag: object) -> str:
    """The local name of an element tag (namespace dropped); '' for comments and PIs."""
    if not isinstance(tag, str):
        return ""
    return _local(tag)


@functools.lru_cache(maxsize=4096)  # a document uses few distinct tags, each very often
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


#: libxml2 keeps an element's line in 16 bits; this value means "65535 or later".
_BIG_LINE = 65535


def source_line(node: Element) -> int | None:
    """The line of ``node``'s start tag (None if unknown), also past line 65535.

    There libxml2 no longer stores an element's line, and lxml's ``sourceline`` is that of
    the text after it (``xmlGetLineNo``: the element's first child, else the text after the
    element, else the next element), whose line libxml2 keeps in full: where that text ends.
    Counting back the text's line breaks gives the line the start tag ends on, which is the
    line it starts on unless the tag itself spans lines."""
    line: int | None = node.sourceline
    if line is None or line < _BIG_LINE:
        return line
    for _ in range(64):  # a longer chain (hostile nesting): the line as lxml gives it
        if node.text is not None:
            return max(_BIG_LINE, line - str(node.text).count("\n"))
        if len(node):
            node = node[0]  # no text between: its start tag begins where this one ends
            continue
        if node.tail is not None:
            return max(_BIG_LINE, line - str(node.tail).count("\n"))
        following = node.getnext()
        if following is None:
            return line
        node = following  # no text after an empty element: the next one starts there
    return line
