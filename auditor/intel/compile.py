"""Compile the validated database into lookup structures the matchers use.

Compiled once per run. Everything here is derived from vendor_db data; nothing is hard-coded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from auditor.errors import UnreadableInput
from auditor.intel.load import Database
from auditor.intel.schema import Indicator, Lookalike, OemRelationship
from auditor.match.normalize import Normalizer, is_compound, squeeze, words
from auditor.models import FieldKind

#: Fields each kind looks at when an indicator does not restrict them.
DEFAULT_FIELDS: dict[str, frozenset[FieldKind]] = {
    "entity-name": frozenset(
        {
            FieldKind.NAME,
            FieldKind.GROUP,
            FieldKind.DESCRIPTION,
            FieldKind.SUPPLIER,
            FieldKind.MANUFACTURER,
            FieldKind.PUBLISHER,
            FieldKind.AUTHOR,
            FieldKind.ORIGINATOR,
            FieldKind.COPYRIGHT,
            FieldKind.LICENSE,
            FieldKind.PROPERTY,
            FieldKind.EVIDENCE,
            FieldKind.PROVIDER,
            FieldKind.TEXT,
            FieldKind.SWID,
            FieldKind.CERT_SUBJECT,
            FieldKind.CERT_ISSUER,
        }
    ),
    "package-name": frozenset({FieldKind.NAME, FieldKind.FILENAME}),
    "purl": frozenset({FieldKind.PURL}),
    "cpe": frozenset({FieldKind.CPE}),
    "domain": frozenset(
        {
            FieldKind.URL,
            FieldKind.EMAIL,
            FieldKind.ENDPOINT,
            FieldKind.PROPERTY,
            FieldKind.DESCRIPTION,
            FieldKind.TEXT,
            FieldKind.EVIDENCE,
            FieldKind.SUPPLIER,
            FieldKind.AUTHOR,
            FieldKind.PUBLISHER,
            FieldKind.COPYRIGHT,
            FieldKind.PROVIDER,
        }
    ),
    "url-prefix": frozenset(
        {
            FieldKind.URL,
            FieldKind.PROPERTY,
            FieldKind.DESCRIPTION,
            FieldKind.TEXT,
            FieldKind.EVIDENCE,
            FieldKind.ENDPOINT,
        }
    ),
    "file-hash": frozenset({FieldKind.HASH}),
    "path": frozenset(
        {
            FieldKind.FILENAME,
            FieldKind.PROPERTY,
            FieldKind.DESCRIPTION,
            FieldKind.TEXT,
            FieldKind.EVIDENCE,
            FieldKind.URL,
        }
    ),
    "cert-subject": frozenset({FieldKind.CERT_SUBJECT}),
    "cert-serial": frozenset({FieldKind.CERT_SERIAL}),
    "namespace": frozenset(
        {
            FieldKind.NAME,
            FieldKind.GROUP,
            FieldKind.PURL,
            FieldKind.FILENAME,
            FieldKind.PROPERTY,
            FieldKind.EVIDENCE,
            FieldKind.TEXT,
            FieldKind.DESCRIPTION,
            FieldKind.SWID,
        }
    ),
}
DEFAULT_FIELDS["product-name"] = DEFAULT_FIELDS["entity-name"]


def indicator_fields(indicator: Indicator) -> frozenset[FieldKind]:
    """The fields an indicator is matched against."""
    if indicator.fields:
        return frozenset(FieldKind(name) for name in indicator.fields)
    return DEFAULT_FIELDS[indicator.kind]


@dataclass(frozen=True, slots=True)
class PurlPattern:
    """``pkg:type/seg[/seg]``: a purl matches when its type and leading segments match."""

    type: str
    segments: tuple[str, ...]
    indicator: Indicator


@dataclass(frozen=True, slots=True)
class CpePattern:
    vendor: str
    product: str | None
    indicator: Indicator


@dataclass(frozen=True, slots=True)
class LookalikeRule:
    """A compiled look-alike: the record name it rules out and, when it belongs to one
    ecosystem, the package URL (type and path segments) that names the same package."""

    lookalike: Lookalike
    name: str  # the name a record's name is compared with (see name_key)
    ptype: str | None  # the purl type the look-alike belongs to; None: any ecosystem
    segments: tuple[str, ...]  # purl path segments of the same package (empty without a type)


def name_key(name: str, ecosystem: str | None = None) -> str:
    """A package name as registries compare it: case-folded; PyPI also folds runs of '-', '_'
    and '.' (PEP 503). ``ecosystem`` None gives the loosest key (the index key)."""
    folded = name.strip().casefold()
    if ecosystem in (None, "pypi"):
        return re.sub(r"[-_.]+", "-", folded)
    return folded


def compile_lookalike(lookalike: Lookalike) -> LookalikeRule:
    """The comparison data of one look-alike."""
    if lookalike.kind == "purl":
        parsed = purl_segments(lookalike.value)
        if parsed is None or not parsed[1]:  # pragma: no cover - the schema rejects these
            raise ValueError(f"{lookalike.id}: unparsable purl {lookalike.value!r}")
        ptype, segments = parsed
        return LookalikeRule(lookalike, name_key(segments[-1], ptype), ptype, segments)
    ecosystem = lookalike.ecosystem
    if ecosystem is None:
        return LookalikeRule(lookalike, name_key(lookalike.value, "exact"), None, ())
    parts = tuple(name_key(part, ecosystem) for part in lookalike.value.split("/") if part)
    return LookalikeRule(lookalike, name_key(lookalike.value, ecosystem), ecosystem, parts)


@dataclass
class CompiledIntel:
    """Lookup tables built from the database."""

    db: Database
    normalizer: Normalizer
    phrases: dict[str, list[Indicator]] = field(default_factory=dict)
    compounds: dict[str, list[Indicator]] = field(default_factory=dict)
    package_names: dict[str, list[Indicator]] = field(default_factory=dict)
    purls: list[PurlPattern] = field(default_factory=list)
    cpes: dict[str, list[CpePattern]] = field(default_factory=dict)
    domains: dict[str, list[Indicator]] = field(default_factory=dict)
    url_prefixes: list[tuple[re.Pattern[str], Indicator]] = field(default_factory=list)
    hashes: dict[str, list[Indicator]] = field(default_factory=dict)
    paths: list[tuple[re.Pattern[str], Indicator]] = field(default_factory=list)
    namespaces: list[tuple[re.Pattern[str], Indicator]] = field(default_factory=list)
    subjects: list[tuple[frozenset[tuple[str, str]], Indicator]] = field(default_factory=list)
    serials: dict[str, list[Indicator]] = field(default_factory=dict)
    anchors: frozenset[str] = frozenset()
    #: Words of every entity name: a name's prefilter anchor is one of these when it has one.
    brand: frozenset[str] = frozenset()
    anchor_scanner: AnchorScanner | None = None
    benign_context: tuple[tuple[str, ...], ...] = ()
    fields: dict[str, frozenset[FieldKind]] = field(default_factory=dict)
    #: Look-alikes by the loose key of the name they rule out (see name_key).
    lookalikes: dict[str, list[LookalikeRule]] = field(default_factory=dict)
    #: OEM relationships by the normalised phrase of the vendor name or an alias.
    oem: dict[str, list[OemRelationship]] = field(default_factory=dict)
    #: Derived lookups other layers build once per run (e.g. matchers by field).
    cache: dict[str, Any] = field(default_factory=dict)

    # The two name regexes are built on first use: a document in which the prefilter finds no
    # anchor never needs them, and compiling them is a visible share of start-up.
    @cached_property
    def phrase_regex(self) -> re.Pattern[str] | None:
        """Every multi-word and plain entity/product phrase, longest first."""
        return _phrase_regex(self.phrases)

    @cached_property
    def compound_regex(self) -> re.Pattern[str] | None:
        """Every one-word brand with inner capitals, matched only as that word."""
        return _phrase_regex(self.compounds)


class AnchorScanner:
    """All anchors compiled into one YARA-X rule: a single pass over a document's squeezed text
    reports the offset of every anchor occurrence.

    Each scan makes its own YARA-X scanner (36 us) and drops it: a scanner reserves about
    80 MB of address space (its WebAssembly store), so under ``--max-memory`` (an
    address-space cap) only the scans running at that moment hold one."""

    #: Occurrences reported per anchor; past this the caller treats every record as a candidate.
    MAX_MATCHES = 1_000_000
    #: Occurrences reported per binary-string pattern.
    RAW_MAX_MATCHES = 10_000

    def __init__(self, anchors: list[str]) -> None:
        import yara_x

        strings = "\n".join(
            f"    $a{index} = {{ {anchor.encode('utf-8').hex(' ')} }}"
            for index, anchor in enumerate(anchors)
        )
        textual = [
            a
            for a in anchors
            if a.isascii()
            and a.isalnum()
            and len(a) >= 4
            and not (len(a) >= 32 and all(c in "0123456789abcdef" for c in a))
        ]
        raw = "\n".join(f'    $r{i} = "{a}" ascii wide nocase' for i, a in enumerate(textual))
        self._raw_source = (
            f"rule raw {{\n  strings:\n{raw}\n  condition:\n    any of them\n}}\n"
            if textual
            else ""
        )
        self._rules = yara_x.compile(
            f"rule anchors {{\n  strings:\n{strings}\n  condition:\n    any of them\n}}\n"
        )

    @cached_property
    def _raw_rules(self) -> Any:
        """The binary-string rule, compiled when the first binary is scanned."""
        import yara_x

        return yara_x.compile(self._raw_source)

    def _scanner(self, rules: Any, cap: int) -> Any:
        import yara_x

        scanner = _yara(yara_x.Scanner, rules)
        scanner.max_matches_per_pattern(cap)
        return scanner

    def raw_offsets(self, data: bytes) -> list[int]:
        """Offsets of anchors in raw bytes (binaries): ASCII and UTF-16LE, any case."""
        if not self._raw_source:
            return []
        scanner = self._scanner(self._raw_rules, self.RAW_MAX_MATCHES)
        found = [
            match.offset
            for rule in _yara(scanner.scan, data).matching_rules
            for pattern in rule.patterns
            for match in pattern.matches
        ]
        return sorted(found)

    def offsets(self, data: bytes) -> tuple[list[int], bool]:
        """Sorted start offsets of all anchor occurrences, and whether the cap was reached."""
        scanner = self._scanner(self._rules, self.MAX_MATCHES)
        found: list[int] = []
        capped = False
        for rule in _yara(scanner.scan, data).matching_rules:
            for pattern in rule.patterns:
                matches = pattern.matches
                capped = capped or len(matches) >= self.MAX_MATCHES
                found.extend(match.offset for match in matches)
        found.sort()
        return found, capped


#: How YARA-X (Rust) says it could not get memory, in the text of its panic.
_RESERVATION_FAILED = ("Cannot allocate memory", "mmap failed", "memory allocation")


def _yara(call: Callable[..., Any], *args: Any) -> Any:
    """``call(*args)``. YARA-X reports failures as Rust panics, raised in Python as pyo3's
    ``PanicException`` (a BaseException: ``except Exception`` does not stop it). One that
    could not get memory (under ``--max-memory``) becomes :class:`MemoryError`, any other
    :class:`UnreadableInput`: either costs the input or member being read, not the run."""
    try:
        return call(*args)
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        message = _first_line(str(exc))
        if any(marker in str(exc) for marker in _RESERVATION_FAILED):
            raise MemoryError(f"YARA-X could not get memory: {message}") from None
        raise UnreadableInput(f"YARA-X failed on it: {message}") from None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _anchor(tokens: list[str], brand: AbstractSet[str]) -> str:
    """The token a prefilter looks for: a brand word if the phrase has one, else the longest."""
    pool = [token for token in tokens if token in brand] or tokens
    return max(pool, key=len) if pool else ""


def _phrase_regex(phrases: dict[str, list[Indicator]]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=lambda p: (-len(p), p)))
    return re.compile(f"(?<= )(?:{alternatives})(?= )")


def purl_segments(text: str) -> tuple[str, tuple[str, ...]] | None:
    """Type and decoded, case-folded path segments of a purl (version etc. dropped)."""
    from urllib.parse import unquote

    value = text.strip()
    if not value.lower().startswith("pkg:"):
        return None
    rest = value[4:].lstrip("/")
    for sep in ("#", "?"):
        rest = rest.split(sep, 1)[0]
    if "/" not in rest:
        return None
    ptype, path = rest.split("/", 1)
    last_slash = path.rfind("/")
    at = path.rfind("@")
    if at > last_slash:
        path = path[:at]
    segments = tuple(unquote(seg).strip().casefold() for seg in path.split("/") if seg)
    ptype = ptype.strip().lower()
    if ptype == "pypi":
        segments = tuple(re.sub(r"[-_.]+", "-", seg) for seg in segments)
    return ptype, segments


def cpe_parts(text: str) -> tuple[str, str] | None:
    """Vendor and product of a CPE 2.2 URI or 2.3 formatted string, lower-cased."""
    value = text.strip().lower()
    parts = re.split(r"(?<!\\):", value)
    if value.startswith("cpe:2.3:") and len(parts) >= 5:
        return parts[3].replace("\\", ""), parts[4].replace("\\", "")
    if value.startswith("cpe:/") and len(parts) >= 3:
        return parts[2], parts[3] if len(parts) > 3 else ""
    return None


def name_phrase(indicator: Indicator, normalizer: Normalizer) -> str:
    """The normalised phrase an entity or product name is matched as ("" for other kinds)."""
    if indicator.kind not in ("entity-name", "product-name"):
        return ""
    return " ".join(normalizer.tokens(indicator.value, camel=not is_compound(indicator.value)))


def indicator_anchor(indicator: Indicator, normalizer: Normalizer, brand: frozenset[str]) -> str:
    """The squeezed text the prefilter looks for before matching ``indicator`` precisely
    ("" when it has none). ``brand`` is the words of all entity names (``CompiledIntel.brand``)."""
    kind = indicator.kind
    value = indicator.value
    if kind in ("entity-name", "product-name"):
        return _anchor(normalizer.tokens(value, camel=not is_compound(value)), brand)
    if kind == "package-name":
        return squeeze(value.strip().casefold())
    if kind == "purl":
        parsed = purl_segments(value)
        return squeeze(parsed[1][0]) if parsed else ""
    if kind == "cpe":
        return squeeze(value.partition(":")[0])
    if kind == "domain":
        return max((squeeze(label) for label in value.split(".")), key=len)
    if kind == "url-prefix":
        return max((squeeze(w) for w in re.split(r"[/.]", value)), key=len)
    if kind == "file-hash":
        return value.split(":", 1)[1]
    if kind == "path":
        return max((squeeze(part) for part in re.split(r"[/\\]", value)), key=len)
    if kind == "namespace":
        return max((squeeze(part) for part in value.split(".")), key=len)
    if kind == "cert-subject":
        return max((squeeze(v) for _, v in dn_pairs(value)), key=len)
    if kind == "cert-serial":
        return value.lstrip("0")
    return ""


_DN_SPLIT = re.compile(r"\s*[,;/+]\s*(?=[A-Za-z0-9][A-Za-z0-9.]*\s*=)")
#: Attribute spellings and OIDs that name the same subject attribute.
_DN_ALIASES = {
    "2.5.4.5": "serialnumber",
    "serial": "serialnumber",
    "2.5.4.3": "cn",
    "2.5.4.10": "o",
    "2.5.4.11": "ou",
    "2.5.4.6": "c",
    "2.5.4.7": "l",
    "2.5.4.8": "st",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionc",
    "jurisdictioncountryname": "jurisdictionc",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionst",
    "commonname": "cn",
    "organizationname": "o",
    "countryname": "c",
    "oid.2.5.4.5": "serialnumber",
}


def dn_pairs(text: str) -> list[tuple[str, str]]:
    """(attribute, value) pairs of a distinguished name in RFC 4514, OpenSSL or Windows
    style; attribute names case-folded and OIDs mapped to names, values case-folded."""
    pairs = []
    for part in _DN_SPLIT.split(text.strip().lstrip("/")):
        attr, sep, value = part.partition("=")
        if not sep:
            continue
        key = attr.strip().casefold()
        key = _DN_ALIASES.get(key, key)
        pairs.append((key, value.strip().strip('"').casefold()))
    return pairs


def path_key(text: str) -> str:
    """A path for comparison: forward slashes, case-folded, variables like %ProgramFiles(x86)%
    and drive letters kept as written."""
    return text.replace("\\", "/").casefold()


def path_pattern(value: str) -> re.Pattern[str]:
    """Matches the path ``value`` at a segment boundary inside longer paths or text."""
    key = path_key(value).rstrip("/")
    return re.compile(
        r"(?:^|(?<=[/\s'\"=:(]))"
        + re.escape(key.lstrip("/")).join(["/?" if key.startswith("/") else "", ""])
        + r"(?=$|[/\s'\";,)])"
    )


def namespace_pattern(value: str) -> re.Pattern[str]:
    """Matches the reverse-DNS namespace ``value`` or any child of it as a dotted name."""
    return re.compile(r"(?<![\w.-])" + re.escape(value) + r"(?=$|\.|[^\w.-])", re.IGNORECASE)


def compile_intel(db: Database) -> CompiledIntel:
    """Build every lookup table from ``db``; indicators marked deprecated are left out."""
    normalizer = Normalizer(db.normalization.legal_forms)
    intel = CompiledIntel(db=db, normalizer=normalizer)
    anchors: set[str] = set()
    brand = {
        token
        for indicator in db.indicators
        if indicator.kind == "entity-name" and not indicator.deprecated
        for token in normalizer.tokens(indicator.value, camel=not is_compound(indicator.value))
    }
    intel.brand = frozenset(brand)
    for indicator in db.indicators:
        if indicator.deprecated:
            continue
        intel.fields[indicator.id] = indicator_fields(indicator)
        kind = indicator.kind
        if kind in ("entity-name", "product-name"):
            compound = is_compound(indicator.value)
            tokens = normalizer.tokens(indicator.value, camel=not compound)
            if not tokens:
                continue
            table = intel.compounds if compound else intel.phrases
            table.setdefault(" ".join(tokens), []).append(indicator)
        elif kind == "package-name":
            key = indicator.value.strip().casefold()
            intel.package_names.setdefault(key, []).append(indicator)
        elif kind == "purl":
            parsed = purl_segments(indicator.value)
            if parsed:
                intel.purls.append(PurlPattern(parsed[0], parsed[1], indicator))
        elif kind == "cpe":
            vendor, _, product = indicator.value.partition(":")
            intel.cpes.setdefault(vendor, []).append(CpePattern(vendor, product or None, indicator))
        elif kind == "domain":
            intel.domains.setdefault(indicator.value, []).append(indicator)
        elif kind == "url-prefix":
            host, _, path = indicator.value.partition("/")
            pattern = re.compile(
                r"(?:^|[/@.]|\s)"
                + re.escape(host)
                + r"[/:]"
                + re.escape(path.rstrip("/"))
                + r"(?:[/.#?@\s]|$)",
                re.IGNORECASE,
            )
            intel.url_prefixes.append((pattern, indicator))
        elif kind == "file-hash":
            intel.hashes.setdefault(indicator.value, []).append(indicator)
        elif kind == "path":
            intel.paths.append((path_pattern(indicator.value), indicator))
        elif kind == "namespace":
            intel.namespaces.append((namespace_pattern(indicator.value), indicator))
        elif kind == "cert-subject":
            intel.subjects.append((frozenset(dn_pairs(indicator.value)), indicator))
        elif kind == "cert-serial":
            intel.serials.setdefault(indicator.value.lstrip("0"), []).append(indicator)
        anchors.add(indicator_anchor(indicator, normalizer, intel.brand))
    anchors.discard("")
    intel.anchors = frozenset(anchors)
    if anchors:
        intel.anchor_scanner = AnchorScanner(sorted(anchors))
    intel.benign_context = tuple(
        tuple(words(phrase)) for phrase in db.normalization.benign_context if words(phrase)
    )
    for lookalike in db.lookalikes:
        rule = compile_lookalike(lookalike)
        intel.lookalikes.setdefault(name_key(rule.name), []).append(rule)
    for relationship in db.oem:
        for name in (relationship.vendor, *relationship.vendor_aliases):
            phrase = vendor_phrase(name, normalizer)
            if phrase:
                listed = intel.oem.setdefault(phrase, [])
                if relationship not in listed:
                    listed.append(relationship)
    return intel


def vendor_phrase(name: str, normalizer: Normalizer) -> str:
    """A company name as OEM vendors are compared: normalised words without legal forms and
    without camelCase splitting ("ZyXEL Communications Corp." -> "zyxel communications")."""
    return " ".join(normalizer.tokens(name, camel=False))
