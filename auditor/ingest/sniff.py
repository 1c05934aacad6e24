"""Identify an SBOM's format from its content, never from its file name."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from auditor.models import SbomFormat

_HEAD = 64 * 1024
_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]")
_XML_PROLOG = re.compile(
    rb"^\s*(<\?.*?\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>\s*)*", re.S
)
_TAG_VALUE = re.compile(
    rb"^\s*(?:(?:SPDXVersion|DataLicense|DocumentName)\s*:|SPDXID\s*:\s*SPDXRef-)", re.M
)
_YAML_SPDXID = re.compile(rb"^\s*-?\s*[\"']?SPDXID[\"']?\s*:\s*[\"']?SPDXRef-", re.M)
_YAML_SPDX = re.compile(rb"^[\"']?spdxVersion[\"']?\s*:", re.M)
_CDX_NS = b"cyclonedx.org/schema/bom"
_SPDX3_CONTEXT = re.compile(rb"spdx\.org/rdf/3|spdx\.org/v3|\"spdxId\"|\"@graph\"")


@dataclass(frozen=True, slots=True)
class Sniffed:
    """The format found, or why none was."""

    format: SbomFormat | None
    reason: str = ""


def to_utf8(data: bytes) -> bytes:
    """Re-encode UTF-16/32 input (detected by its byte-order mark) as UTF-8; strip a UTF-8 BOM."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace").encode("utf-8")
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :]
    return data


def binary_content(data: bytes) -> bool:
    """True when ``data`` starts with binary content (a NUL in its first 4 KiB of text, once
    a UTF-16/32 byte-order mark is decoded): no SBOM format reads it, whatever follows."""
    return b"\x00" in to_utf8(data[:_HEAD]).lstrip()[:4096]


def sniff(data: bytes) -> Sniffed:
    """Decide which SBOM format ``data`` holds by looking at its content."""
    head = to_utf8(data[:_HEAD]).lstrip()
    if not head:
        return Sniffed(None, "empty file")
    if b"\x00" in head[:4096]:  # binary_content(), on the head already decoded
        return Sniffed(None, "binary content, not an SBOM")
    first = head[:1]
    if first in (b"{", b"["):
        found = _sniff_json(head)
        if found.format is None and len(data) > _HEAD:
            # JSON key order is free: the format keys may follow megabytes of components
            found = _sniff_json(to_utf8(data))
        return found
    if first == b"<":
        return _sniff_xml(head)
    if head.startswith(b"Metadata-Version:"):
        from auditor.ingest.pymeta import looks_like_metadata

        if looks_like_metadata(head):
            return Sniffed(SbomFormat.PYTHON_METADATA)
    if head.startswith(b"Package:"):
        from auditor.ingest.dpkg import looks_like_control

        if looks_like_control(head):
            return Sniffed(SbomFormat.DPKG)
    if _YAML_SPDX.search(head):  # YAML keys are camelCase (spdxVersion), tag-value's are not
        return Sniffed(SbomFormat.SPDX_YAML)
    if _TAG_VALUE.search(head):
        return Sniffed(SbomFormat.SPDX_TAGVALUE)
    if _YAML_SPDXID.search(head):
        return Sniffed(SbomFormat.SPDX_YAML)
    return Sniffed(None, "not JSON, XML, YAML or SPDX tag-value")


def _sniff_json(head: bytes) -> Sniffed:
    if re.search(rb'"bomFormat"\s*:', head) or re.search(
        rb'"\$schema"\s*:\s*"[^"]*cyclonedx', head
    ):
        return Sniffed(SbomFormat.CYCLONEDX_JSON)
    if _SPDX3_CONTEXT.search(head) and (b"@context" in head or b'"@graph"' in head):
        return Sniffed(SbomFormat.SPDX3_JSONLD)
    if re.search(rb'"spdxVersion"\s*:', head) or re.search(rb'"SPDXID"\s*:', head):
        return Sniffed(SbomFormat.SPDX_JSON)
    if re.search(rb'"specVersion"\s*:\s*"1\.\d+"', head):
        return Sniffed(SbomFormat.CYCLONEDX_JSON)
    return Sniffed(None, "JSON, but neither CycloneDX nor SPDX (no bomFormat/spdxVersion key)")


def _sniff_xml(head: bytes) -> Sniffed:
    prolog = _XML_PROLOG.match(head)
    rest = head[prolog.end() :] if prolog else head
    root = _XML_ROOT.match(rest)
    if not root:
        return Sniffed(None, "XML without a readable root element")
    name = root.group(1)
    if name == b"bom" and (_CDX_NS in head[:4096] or b"cyclonedx" in head[:4096].lower()):
        return Sniffed(SbomFormat.CYCLONEDX_XML)
    if name == b"RDF" and b"spdx.org/rdf/terms" in head:
        return Sniffed(SbomFormat.SPDX_RDF)
    if name in (b"Document", b"SpdxDocument", b"SPDXDocument") and (
        b"spdxVersion" in head or b"SPDXID" in head
    ):
        return Sniffed(SbomFormat.SPDX_XML)
    if name == b"bom":
        return Sniffed(SbomFormat.CYCLONEDX_XML)
    return Sniffed(None, f"XML with root <{name.decode('ascii', 'replace')}>, not an SBOM")
