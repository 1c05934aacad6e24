"""SPDX 2.x reader for the JSON, YAML and XML serialisations (they share key names).

Also home of the helpers the other SPDX readers share: text decoding, the hardened XML parser,
the capped problem list, relationship and external-reference classification.
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import orjson
import yaml

from auditor.errors import UnreadableInput
from auditor.ingest import jsondecode
from auditor.ingest.interface import guarded
from auditor.ingest.records import FactList, is_assertion, split_actor
from auditor.ingest.xmlsafe import local as local_name
from auditor.ingest.xmlsafe import parse_xml, source_line
from auditor.models import Component, ComponentKind, Fact, FieldKind, SbomDocument, SbomFormat

#: At most this many problems are listed per document; the rest are counted.
MAX_PROBLEMS = 50
#: SPDX versions whose 2.x key names this reader knows.
KNOWN_VERSIONS = {"2.0", "2.1", "2.2", "2.3"}
DOCUMENT_REF = "SPDXRef-DOCUMENT"

#: Relationship types kept as (element, related) edges, and those kept as (related, element).
FORWARD_TYPES = frozenset(
    {"CONTAINS", "DEPENDS_ON", "STATIC_LINK", "DYNAMIC_LINK", "HAS_PREREQUISITE", "DESCRIBES"}
)
REVERSED_TYPES = frozenset(
    {
        "CONTAINED_BY",
        "DEPENDENCY_OF",
        "BUILD_DEPENDENCY_OF",
        "DEV_DEPENDENCY_OF",
        "OPTIONAL_DEPENDENCY_OF",
        "PROVIDED_DEPENDENCY_OF",
        "TEST_DEPENDENCY_OF",
        "RUNTIME_DEPENDENCY_OF",
        "PACKAGE_OF",
        "PREREQUISITE_FOR",
        "DESCRIBED_BY",
    }
)
_DESCRIBE_TYPES = frozenset({"DESCRIBES", "DESCRIBED_BY"})

_URL = re.compile(r"^[a-z][a-z0-9+.\-]*://\S", re.IGNORECASE)
#: How SPDX YAML and tag-value announce their version (used to correct a wrong format guess).
YAML_VERSION = re.compile(r"^[\"']?spdxVersion[\"']?\s*:", re.MULTILINE)
TAG_VALUE_VERSION = re.compile(r"^\s*SPDXVersion\s*:", re.MULTILINE)
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_ACTOR_KIND = re.compile(r"^\s*(organization|person|tool)\s*:", re.IGNORECASE)
_VERSION = re.compile(r"^\s*SPDX-(\d+\.\d+)\s*$", re.IGNORECASE)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# List-valued keys in SPDX 2 XML: these elements always become lists, even when single.
XML_LIST_KEYS = frozenset(
    {
        "packages",
        "files",
        "snippets",
        "relationships",
        "checksums",
        "externalRefs",
        "attributionTexts",
        "creators",
        "hasExtractedLicensingInfos",
        "documentDescribes",
        "fileContributors",
        "fileTypes",
        "licenseInfoFromFiles",
        "licenseInfoInFiles",
        "licenseInfoInSnippets",
        "seeAlsos",
        "annotations",
        "externalDocumentRefs",
        "hasFiles",
        "ranges",
        "artifactOfs",
        "fileDependencies",
        "packageVerificationCodeExcludedFiles",
    }
)
_XML_MAX_DEPTH = 12
# Non-standard package keys seen in the wild (tag-value names in JSON), read as a fallback.
_ALIASES = {
    "name": "packageName",
    "versionInfo": "packageVersion",
    "supplier": "packageSupplier",
    "originator": "packageOriginator",
    "downloadLocation": "packageDownloadLocation",
    "homepage": "packageHomePage",
    "copyrightText": "packageCopyrightText",
    "summary": "packageSummary",
    "description": "packageDescription",
    "comment": "packageComment",
    "sourceInfo": "packageSourceInfo",
    "licenseConcluded": "packageLicenseConcluded",
    "licenseDeclared": "packageLicenseDeclared",
    "licenseComments": "packageLicenseComments",
}


class Problems:
    """Short human sentences about schema breakage, capped at :data:`MAX_PROBLEMS`."""

    __slots__ = ("count", "groups", "items")

    def __init__(self) -> None:
        self.items: list[str] = []
        self.count = 0
        self.groups: dict[str, tuple[int, str]] = {}

    def add(self, message: str) -> None:
        """Record one problem (only the first :data:`MAX_PROBLEMS` are kept verbatim)."""
        self.count += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(message)

    def repeated(self, message: str, where: str) -> None:
        """Record a problem that may recur for many records; it is listed once, with a count."""
        count, first = self.groups.get(message, (0, where))
        self.groups[message] = (count + 1, first)

    def result(self) -> tuple[str, ...]:
        """The problems (grouped ones first), plus one ``... and N more`` entry when capped."""
        grouped = [
            f"{message} ({first})" if count == 1 else f"{message} ({count} times, first {first})"
            for message, (count, first) in self.groups.items()
        ]
        listed = [*grouped, *self.items]
        total = len(grouped) + self.count
        if total <= MAX_PROBLEMS:
            return tuple(listed)
        return (*listed[:MAX_PROBLEMS], f"... and {total - MAX_PROBLEMS} more problems")


def short(value: object, limit: int = 60) -> str:
    """A value quoted for a problem message, cut to ``limit`` characters."""
    text = value if isinstance(value, str) else type(value).__name__
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text) if isinstance(value, str) else text


def decode_text(data: bytes, problems: Problems) -> str:
    """Decode ``data`` as UTF-8 or BOM-marked UTF-16/32; replace bad bytes as a last resort."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_or_replace(data[len(bom) :], encoding, problems)
    # UTF-16 without a BOM: every other byte of ASCII text is NUL (which UTF-8 text never has).
    if len(data) >= 4 and data[0] and data[2] and not data[1] and not data[3]:
        return _decode_or_replace(data, "utf-16-le", problems)
    if len(data) >= 4 and data[1] and data[3] and not data[0] and not data[2]:
        return _decode_or_replace(data, "utf-16-be", problems)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    problems.add("the file is not valid UTF-8; undecodable bytes were replaced")
    return data.decode("utf-8", errors="replace")


def _decode_or_replace(data: bytes, encoding: str, problems: Problems) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        problems.add(f"invalid {encoding} text; undecodable bytes were replaced")
        return data.decode(encoding, errors="replace")


def one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def looks_like_url(value: str) -> bool:
    """True for ``scheme://...`` strings."""
    return bool(_URL.match(value.strip()))


def add_external_ref(facts: FactList, ref_type: object, locator: object, where: str) -> None:
    """Add an external reference locator as PURL/CPE/SWID, else URL or TEXT."""
    if not isinstance(locator, str):
        facts.add(FieldKind.TEXT, locator, where)
        return
    kind = ""
    if isinstance(ref_type, str):  # a plain type, or a URI ending with it (RDF)
        kind = ref_type.strip().rsplit("/", 1)[-1].rsplit("#", 1)[-1].lower()
    value = locator.strip()
    if kind == "purl" or (not kind and value.startswith("pkg:")):
        field = FieldKind.PURL
    elif kind in {"cpe22type", "cpe23type", "cpe22", "cpe23"} or (
        not kind and value.lower().startswith("cpe:")
    ):
        field = FieldKind.CPE
    elif kind == "swid":
        field = FieldKind.SWID
    elif looks_like_url(value):
        field = FieldKind.URL
    else:
        field = FieldKind.TEXT
    facts.add(field, locator, where)


def add_creator(facts: FactList, creator: object, where: str) -> None:
    """An SPDX 2 creator: ``Tool:`` names become TEXT, people and organisations AUTHOR."""
    if isinstance(creator, dict) and len(creator) == 1:
        # Seen in the wild: {"Person": "Jane (jane@example.com)"}.
        ((key, value),) = creator.items()
        creator = f"{key}: {value}" if isinstance(key, str) and isinstance(value, str) else None
    if not is_assertion(creator):
        return
    assert isinstance(creator, str)
    match = _ACTOR_KIND.match(creator)
    if match and match.group(1).lower() == "tool":
        facts.add(FieldKind.TEXT, split_actor(creator)[0], where)
    else:
        facts.add_actor(FieldKind.AUTHOR, creator, where)


@functools.lru_cache(maxsize=256)
def _relationship_kind(rel_type: str) -> str:
    return re.sub(r"[\s\-]+", "_", _CAMEL.sub(r"\1_\2", rel_type.strip())).upper()


def relationship_edge(
    element: object, rel_type: object, related: object
) -> tuple[str, str, bool] | None:
    """``(parent, child, is_describes)`` for a kept relationship, else None."""
    if not (isinstance(element, str) and isinstance(related, str) and isinstance(rel_type, str)):
        return None
    element, related = element.strip(), related.strip()
    if not (is_assertion(element) and is_assertion(related)):
        return None
    # DEPENDS_ON, depends-on and RDF's dependsOn all name the same type.
    kind = _relationship_kind(rel_type)
    if kind in FORWARD_TYPES:
        return element, related, kind in _DESCRIBE_TYPES
    if kind in REVERSED_TYPES:
        return related, element, kind in _DESCRIBE_TYPES
    return None


class Graph:
    """Edges and roots, deduplicated in reading order."""

    __slots__ = ("_edge_set", "_root_set", "edges", "roots")

    def __init__(self) -> None:
        self.edges: list[tuple[str, str]] = []
        self.roots: list[str] = []
        self._edge_set: set[tuple[str, str]] = set()
        self._root_set: set[str] = set()

    def add_edge(self, parent: str, child: str) -> None:
        """Add one edge once."""
        if (parent, child) not in self._edge_set:
            self._edge_set.add((parent, child))
            self.edges.append((parent, child))

    def add_root(self, ref: str) -> None:
        """Add one root once (placeholders are ignored)."""
        ref = ref.strip()
        if is_assertion(ref) and ref not in self._root_set:
            self._root_set.add(ref)
            self.roots.append(ref)


def spec_version(raw: object, problems: Problems) -> str:
    """``"2.3"`` from ``"SPDX-2.3"``; unknown or missing versions are problems."""
    if not isinstance(raw, str):
        problems.add("spdxVersion is missing" if raw is None else "spdxVersion is not a string")
        return ""
    match = _VERSION.match(raw)
    if not match:
        problems.add(f"unknown spdxVersion {short(raw)}")
        return ""
    version = match.group(1)
    if version not in KNOWN_VERSIONS:
        problems.add(f"unknown spdxVersion {short(raw)}")
    return version


class Budget:
    """Bounds the facts read from one document (guards against YAML alias blow-up)."""

    __slots__ = ("left",)

    def __init__(self, data_size: int) -> None:
        # A fact needs at least one byte of input unless nodes are shared (YAML aliases).
        self.left = data_size + 10_000

    def spend(self, component: Component) -> bool:
        """Charge one component; False once the budget is exhausted."""
        self.left -= len(component.facts) + 1
        return self.left >= 0


# --------------------------------------------------------------------------- dict shape


class _Reader:
    """Turns the JSON-shaped SPDX 2 dictionary into components, edges and roots."""

    def __init__(self, problems: Problems, budget: Budget) -> None:
        self.problems = problems
        self.budget = budget
        self.exhausted = False
        self.has_files: list[tuple[str, str]] = []

    # -- typed field access ------------------------------------------------------------

    def string(self, record: dict[str, Any], key: str, where: str) -> object:
        """``record[key]`` if it is a string or number; other types are a problem."""
        value = record.get(key)
        if value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool)):
            return value
        self.problems.add(f"{where}/{key} should be a string, not {type(value).__name__}")
        return None

    def key(self, record: dict[str, Any], key: str, where: str) -> str:
        """``key``, or the non-standard alias the record uses instead (noted as a problem)."""
        alias = _ALIASES.get(key)
        if key not in record and alias is not None and alias in record:
            self.problems.repeated(f"non-standard key {alias!r} used for {key!r}", where)
            return alias
        return key

    def items(self, record: dict[str, Any], key: str, where: str) -> list[object]:
        """``record[key]`` as a list; a lone value is accepted (and noted)."""
        value = record.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.problems.add(f"{where}/{key} should be a list, not {type(value).__name__}")
        return [value]

    def objects(
        self, record: dict[str, Any], key: str, where: str
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """Index and value of each object in the list ``record[key]``; others are problems."""
        for index, item in enumerate(self.items(record, key, where)):
            if isinstance(item, dict):
                yield index, item
            else:
                self.problems.add(
                    f"{where}/{key}/{index} should be an object, not {type(item).__name__}"
                )

    # -- records -----------------------------------------------------------------------

    def checksums(self, facts: FactList, record: dict[str, Any], where: str) -> None:
        for index, checksum in self.objects(record, "checksums", where):
            algorithm, value = checksum.get("algorithm"), checksum.get("checksumValue")
            if isinstance(algorithm, str) and isinstance(value, str):
                facts.add_hash(algorithm, value, at(value, f"/checksums/{index}"))
            else:
                self.problems.add(f"{where}/checksums/{index} lacks algorithm or checksumValue")

    def texts(
        self, facts: FactList, field: FieldKind, record: dict[str, Any], key: str, where: str
    ) -> None:
        for index, value in enumerate(self.items(record, key, where)):
            facts.add(field, value, at(value, f"/{key}/{index}"))

    def scalar(
        self, facts: FactList, field: FieldKind, record: dict[str, Any], key: str, where: str
    ) -> None:
        key = self.key(record, key, where)
        value = self.string(record, key, where)
        facts.add(field, value, at(value, f"/{key}"))

    def ref(self, record: dict[str, Any], where: str, what: str) -> str:
        value = record.get("SPDXID", record.get("spdxId"))
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.problems.repeated(f"{what} has no SPDXID", where)
        return where

    def package(self, record: dict[str, Any], where: str, line: int | None) -> Component:
        facts = FactList()
        ref = self.ref(record, where, "package")
        name_key = self.key(record, "name", where)
        name = self.string(record, name_key, where)
        if not _str(name):
            self.problems.repeated("package has no name", where)
        if "downloadLocation" not in record and "packageDownloadLocation" not in record:
            self.problems.repeated("package has no downloadLocation", where)
        facts.add(FieldKind.NAME, name, at(name, f"/{name_key}"))
        version_key = self.key(record, "versionInfo", where)
        version = self.string(record, version_key, where)
        facts.add(FieldKind.VERSION, version, at(version, f"/{version_key}"))
        for key, field in (("supplier", FieldKind.SUPPLIER), ("originator", FieldKind.ORIGINATOR)):
            key = self.key(record, key, where)
            value = self.string(record, key, where)
            facts.add_actor(field, value, at(value, f"/{key}"))
        self.scalar(facts, FieldKind.URL, record, "downloadLocation", where)
        self.scalar(facts, FieldKind.URL, record, "homepage", where)
        self.scalar(facts, FieldKind.COPYRIGHT, record, "copyrightText", where)
        self.scalar(facts, FieldKind.DESCRIPTION, record, "summary", where)
        self.scalar(facts, FieldKind.DESCRIPTION, record, "description", where)
        self.scalar(facts, FieldKind.TEXT, record, "comment", where)
        self.texts(facts, FieldKind.TEXT, record, "attributionTexts", where)
        self.scalar(facts, FieldKind.TEXT, record, "sourceInfo", where)
        self.scalar(facts, FieldKind.FILENAME, record, "packageFileName", where)
        self.checksums(facts, record, where)
        for index, ext in self.objects(record, "externalRefs", where):
            locator = ext.get("referenceLocator")
            add_external_ref(
                facts,
                ext.get("referenceType"),
                locator,
                at(locator, f"/externalRefs/{index}/referenceLocator"),
            )
        for key in ("licenseConcluded", "licenseDeclared", "licenseComments"):
            self.scalar(facts, FieldKind.LICENSE, record, key, where)
        for item in self.items(record, "hasFiles", where):
            if isinstance(item, str) and item.strip():
                self.has_files.append((ref, item.strip()))
        return facts.build(
            ref=ref,
            kind=ComponentKind.PACKAGE,
            name=_str(name),
            version=_str(version),
            pointer=where,
            line=line,
        )

    def file(self, record: dict[str, Any], where: str, line: int | None) -> Component:
        facts = FactList()
        ref = self.ref(record, where, "file")
        name = self.string(record, "fileName", where)
        if not _str(name):
            self.problems.repeated("file has no fileName", where)
        facts.add(FieldKind.FILENAME, name, at(name, "/fileName"))
        self.checksums(facts, record, where)
        self.scalar(facts, FieldKind.COPYRIGHT, record, "copyrightText", where)
        self.scalar(facts, FieldKind.TEXT, record, "noticeText", where)
        self.texts(facts, FieldKind.AUTHOR, record, "fileContributors", where)
        self.scalar(facts, FieldKind.TEXT, record, "comment", where)
        self.scalar(facts, FieldKind.LICENSE, record, "licenseComments", where)
        self.texts(facts, FieldKind.TEXT, record, "attributionTexts", where)
        return facts.build(
            ref=ref,
            kind=ComponentKind.FILE,
            name=_str(name),
            version="",
            pointer=where,
            line=line,
        )

    def snippet(self, record: dict[str, Any], where: str, line: int | None) -> Component:
        facts = FactList()
        ref = self.ref(record, where, "snippet")
        name = self.string(record, "name", where)
        facts.add(FieldKind.NAME, name, at(name, "/name"))
        self.scalar(facts, FieldKind.COPYRIGHT, record, "copyrightText", where)
        self.scalar(facts, FieldKind.TEXT, record, "comment", where)
        self.texts(facts, FieldKind.TEXT, record, "attributionTexts", where)
        return facts.build(
            ref=ref,
            kind=ComponentKind.SNIPPET,
            name=_str(name),
            version="",
            pointer=where,
            line=line,
        )

    def document(self, doc: dict[str, Any], ref: str, name: str, line: int | None) -> Component:
        facts = FactList()
        info = doc.get("creationInfo")
        if isinstance(info, dict):
            for index, creator in enumerate(self.items(info, "creators", "/creationInfo")):
                add_creator(facts, creator, at(creator, f"/creationInfo/creators/{index}"))
            comment = self.string(info, "comment", "/creationInfo")
            facts.add(FieldKind.TEXT, comment, at(comment, "/creationInfo/comment"))
        elif info is None:
            self.problems.add("the document has no creationInfo")
        else:
            self.problems.add(f"creationInfo should be an object, not {type(info).__name__}")
        self.scalar(facts, FieldKind.TEXT, doc, "comment", "")
        for index, lic in self.objects(doc, "hasExtractedLicensingInfos", ""):
            base = f"/hasExtractedLicensingInfos/{index}"
            for key in ("extractedText", "name"):
                value = self.string(lic, key, base)
                facts.add(FieldKind.LICENSE, value, at(value, f"{base}/{key}"))
        return facts.build(
            ref=ref, kind=ComponentKind.DOCUMENT, name=name, version="", pointer="", line=line
        )

    def deferred(
        self,
        build: Callable[[dict[str, Any], str, int | None], Component],
        record: dict[str, Any],
        where: str,
        key: str,
    ) -> Component:
        """A record whose facts are extracted on demand; its shape problems are found now."""
        what = _WHAT[key]
        ref = self.ref(record, where, what)
        name_key = "fileName" if what == "file" else self.key(record, "name", where)
        name = self.string(record, name_key, where)
        if what == "package":
            if not _str(name):
                self.problems.repeated("package has no name", where)
            if "downloadLocation" not in record and "packageDownloadLocation" not in record:
                self.problems.repeated("package has no downloadLocation", where)
            for item in self.items(record, "hasFiles", where):
                if isinstance(item, str) and item.strip():
                    self.has_files.append((ref, item.strip()))
        elif what == "file" and not _str(name):
            self.problems.repeated("file has no fileName", where)
        # the common case, a well-formed scalar, is passed over without entering the loop
        odd = [(k, v) for k, v in record.items() if type(v) is not str or k in _LIST_KEYS]
        for field_key, value in odd:
            if field_key in _LIST_KEYS:
                if not isinstance(value, list):
                    self.problems.add(
                        f"{where}/{field_key} should be a list, not {type(value).__name__}"
                    )
                elif field_key in _OBJECT_LIST_KEYS:
                    for index, item in enumerate(value):
                        if not isinstance(item, dict):
                            self.problems.add(
                                f"{where}/{field_key}/{index} should be an object, "
                                f"not {type(item).__name__}"
                            )
            elif (
                field_key in _SCALAR_KEYS
                and value is not None
                and (not isinstance(value, (str, int, float)) or isinstance(value, bool))
            ):
                self.problems.add(
                    f"{where}/{field_key} should be a string, not {type(value).__name__}"
                )
        version: object = ""
        if what == "package":
            version_key = self.key(record, "versionInfo", where)
            version = self.string(record, version_key, where)
            if not _ALIAS_NAMES.isdisjoint(record):
                for standard, alias in _ALIASES.items():
                    if standard not in {"name", "versionInfo"} and alias in record:
                        self.key(record, standard, where)  # reports the non-standard key
        return Component(
            ref=ref,
            kind=_KINDS[what],
            name=_str(name),
            version=_str(version),
            pointer=where,
            facts=(),
            deferred=partial(_extract, build, record, where),
            prefilter=_json_bytes(record),
        )

    def elements(
        self, doc: dict[str, Any], lines: dict[str, list[int]], defer: bool = False
    ) -> Iterator[Component]:
        """Packages, files and snippets in document order, within the budget.

        With ``defer`` (JSON only: no shared nodes), each record's shape is checked now and its
        facts are extracted later, only if the matcher's prefilter selects it.
        """
        readers = (("packages", self.package), ("files", self.file), ("snippets", self.snippet))
        for key, build in readers:
            key_lines = lines.get(key, [])
            for index, record in self.objects(doc, key, ""):
                line = key_lines[index] if index < len(key_lines) else None
                where = f"/{key}/{index}"
                if defer:
                    component = self.deferred(build, record, where, key)
                else:
                    component = build(record, where, line)
                if not self.budget.spend(component):
                    self.problems.add(
                        "the document expands far beyond its size (shared YAML nodes?); "
                        "reading stopped"
                    )
                    self.exhausted = True
                    return
                yield component


_ALIAS_NAMES = frozenset(_ALIASES.values())
_WHAT = {"packages": "package", "files": "file", "snippets": "snippet"}
_KINDS = {
    "package": ComponentKind.PACKAGE,
    "file": ComponentKind.FILE,
    "snippet": ComponentKind.SNIPPET,
}
_LIST_KEYS = frozenset(
    {
        "checksums",
        "externalRefs",
        "attributionTexts",
        "hasFiles",
        "fileContributors",
        "fileTypes",
        "licenseInfoFromFiles",
        "licenseInfoInFiles",
        "ranges",
    }
)
_OBJECT_LIST_KEYS = frozenset({"checksums", "externalRefs", "ranges"})
_SCALAR_KEYS = frozenset(
    {
        "name",
        "versionInfo",
        "supplier",
        "originator",
        "downloadLocation",
        "homepage",
        "copyrightText",
        "summary",
        "description",
        "comment",
        "sourceInfo",
        "packageFileName",
        "licenseConcluded",
        "licenseDeclared",
        "licenseComments",
        "fileName",
        "noticeText",
    }
)


def _extract(
    build: Callable[[dict[str, Any], str, int | None], Component],
    record: dict[str, Any],
    where: str,
) -> tuple[Fact, ...]:
    """Facts of one record; problems were already reported when the record was first read."""
    scratch = _Reader(Problems(), Budget(1 << 62))
    return build.__func__(scratch, record, where, None).facts  # type: ignore[attr-defined,no-any-return]


def _json_bytes(record: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(record)
    except (TypeError, orjson.JSONEncodeError):
        return str(record).encode("utf-8", errors="replace")


def _plain(component: Component) -> Component:
    facts = tuple(Fact(f.field, str.__str__(f.value), f.where) for f in component.facts)
    return dataclasses.replace(component, facts=facts)


def _str(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def read_dict(
    path: str,
    fmt: SbomFormat,
    doc: object,
    problems: Problems,
    budget: Budget,
    lines: dict[str, list[int]] | None = None,
    root_line: int | None = None,
) -> SbomDocument:
    """Read a JSON-shaped SPDX 2 document (``lines`` gives XML source lines per list key)."""
    if not isinstance(doc, dict):
        raise UnreadableInput(f"the SPDX document is not an object but {type(doc).__name__}")
    reader = _Reader(problems, budget)
    version = spec_version(doc.get("spdxVersion"), problems)
    raw_ref = doc.get("SPDXID")
    if isinstance(raw_ref, str) and raw_ref.strip():
        doc_ref = raw_ref.strip()
    else:
        problems.add("the document has no SPDXID")
        doc_ref = DOCUMENT_REF
    raw_name = doc.get("name")
    doc_name = _str(raw_name)
    if not doc_name:
        problems.add("the document has no name")
    components = [reader.document(doc, doc_ref, doc_name, root_line)]
    components.extend(
        reader.elements(doc, lines or {}, defer=fmt is SbomFormat.SPDX_JSON and lines is None)
    )
    if lines is not None:  # XML: values are XmlText; facts must hold plain strings
        components = [_plain(component) for component in components]

    graph = Graph()
    for index, item in enumerate(reader.items(doc, "documentDescribes", "")):
        if isinstance(item, str):
            graph.add_root(item)
        else:
            problems.add(f"/documentDescribes/{index} should be a string")
    if not reader.exhausted:
        for index, rel in reader.objects(doc, "relationships", ""):
            edge = relationship_edge(
                rel.get("spdxElementId"), rel.get("relationshipType"), rel.get("relatedSpdxElement")
            )
            if edge is None:
                if not all(
                    isinstance(rel.get(k), str)
                    for k in ("spdxElementId", "relationshipType", "relatedSpdxElement")
                ):
                    problems.add(f"/relationships/{index} is incomplete")
                continue
            parent, child, describes = edge
            graph.add_edge(parent, child)
            if describes and parent == doc_ref:
                graph.add_root(child)
        for parent, child in reader.has_files:  # hasFiles is a CONTAINS relationship
            graph.add_edge(parent, child)
    return SbomDocument(
        path=path,
        format=fmt,
        spec_version=version,
        components=tuple(components),
        edges=tuple(graph.edges),
        roots=tuple(graph.roots),
        problems=problems.result(),
        name=doc_name,
    )


# --------------------------------------------------------------------------- XML


class XmlText(str):
    """A string read from an XML element, remembering the element's source line."""

    line: int | None = None


def at(value: object, where: str) -> str:
    """``line:N`` for a value read from XML, else the JSON-pointer suffix ``where``."""
    if isinstance(value, XmlText) and value.line:
        return f"line:{value.line}"
    return where


def _xml_value(element: Any, depth: int, problems: Problems) -> object:
    """An XML element as JSON-shaped data (bounded depth, no recursion beyond it)."""
    children = [child for child in element if isinstance(child.tag, str)]
    if not children:
        leaf = XmlText((element.text or "").strip())
        leaf.line = source_line(element)
        return leaf
    if depth >= _XML_MAX_DEPTH:
        problems.add(f"XML nested too deeply at line {source_line(element)}; ignored")
        return ""
    result: dict[str, Any] = {}
    repeated: set[str] = set()
    for child in children:
        key = local_name(child.tag)
        value = _xml_value(child, depth + 1, problems)
        if key in XML_LIST_KEYS:
            result.setdefault(key, []).append(value)
        elif key in repeated:
            result[key].append(value)
        elif key in result:
            result[key] = [result[key], value]
            repeated.add(key)
        else:
            result[key] = value
    return result


def _read_xml(path: str, data: bytes, fmt: SbomFormat, problems: Problems) -> SbomDocument:
    root: Any = parse_xml(data, "SPDX XML")
    root_name = local_name(root.tag)
    if root_name not in {"Document", "SpdxDocument", "SPDXDocument", "document"}:
        problems.add(f"unexpected XML root element <{root_name}>")
    doc = _xml_value(root, 0, problems)
    if not isinstance(doc, dict):
        doc = {}
    lines: dict[str, list[int]] = {"packages": [], "files": [], "snippets": []}
    for child in root:
        key = local_name(child.tag)
        if key in lines:
            lines[key].append(source_line(child) or 0)
    return read_dict(path, fmt, doc, problems, Budget(len(data)), lines, source_line(root))


# --------------------------------------------------------------------------- entry point


@guarded("SPDX")
def read(path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
    """Read an SPDX 2 JSON, YAML or XML document (other SPDX formats are delegated)."""
    return _read(path, data, fmt)


def _read(path: str, data: bytes, fmt: SbomFormat) -> SbomDocument:
    problems = Problems()
    if fmt is SbomFormat.SPDX_XML:
        return _read_xml(path, data, fmt, problems)
    if fmt is SbomFormat.SPDX_TAGVALUE:
        from auditor.ingest import spdx_tagvalue

        return spdx_tagvalue.read(path, data, fmt)
    if fmt is SbomFormat.SPDX_RDF:
        from auditor.ingest import spdx_rdf

        return spdx_rdf.read(path, data, fmt)
    if fmt is SbomFormat.SPDX3_JSONLD:
        from auditor.ingest import spdx3

        return spdx3.read(path, data, fmt)
    if fmt is SbomFormat.SPDX_JSON:
        try:
            utf8 = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
            decoded = jsondecode.decode(utf8, lambda: decode_text(data, problems))
        except orjson.JSONDecodeError as exc:
            raise UnreadableInput(f"invalid JSON: {one_line(str(exc))}") from None
        document = read_dict(path, fmt, decoded.value, problems, Budget(len(data)))
        return dataclasses.replace(document, duplicate_keys=decoded.duplicate_keys)
    text = decode_text(data, problems)
    doc: object
    if fmt is SbomFormat.SPDX_YAML:
        if TAG_VALUE_VERSION.search(text) and not YAML_VERSION.search(text):
            from auditor.ingest import spdx_tagvalue

            tag_value = spdx_tagvalue.read(path, data, SbomFormat.SPDX_TAGVALUE)
            note = "the content is SPDX tag-value, not YAML; it was read as tag-value"
            return dataclasses.replace(tag_value, problems=(note, *tag_value.problems))
        from auditor.ingest import yamlsafe

        try:
            doc, repeated = yamlsafe.load_checked(text)
        except yaml.YAMLError as exc:
            raise UnreadableInput(f"invalid YAML: {one_line(str(exc))}") from None
        if doc is None:
            raise UnreadableInput("the YAML document is empty")
        document = read_dict(path, fmt, doc, problems, Budget(len(data)))
        return dataclasses.replace(document, duplicate_keys=repeated)
    else:
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise UnreadableInput(f"invalid JSON: {one_line(str(exc))}") from None
    return read_dict(path, fmt, doc, problems, Budget(len(data)))
