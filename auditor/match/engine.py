"""Match: facts x compiled intel -> indicator hits. Pure functions, no I/O.

A document is matched in two steps. A prefilter squeezes every record's values into one string
and searches it once for the anchors of all indicators (the longest word of each name, the
package names, domains' main labels, hashes). Only records containing an anchor are matched
precisely, field by field, by the matcher of each indicator kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import unquote, unquote_to_bytes

from auditor.intel.compile import (
    CompiledIntel,
    cpe_parts,
    dn_pairs,
    name_key,
    path_key,
    purl_segments,
)
from auditor.intel.load import is_overlay
from auditor.intel.schema import Indicator
from auditor.match.normalize import is_compound, squeeze, squeeze_ascii, words
from auditor.models import (
    Component,
    Confidence,
    DetectionClass,
    Fact,
    FieldKind,
    IndicatorHit,
    SbomDocument,
)

_HOST = re.compile(r"(?<![\w.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})(?![\w-])")
_CONTEXT_BEFORE = 4
_CONTEXT_AFTER = 3

Matcher = Callable[[CompiledIntel, Fact], Iterator[tuple[Indicator, str, str]]]


def _hit(indicator: Indicator, fact: Fact, matched: str, context: str = "") -> IndicatorHit:
    return IndicatorHit(
        indicator_id=indicator.id,
        kind=indicator.kind,
        label=indicator.label,
        field=fact.field,
        value=fact.value if len(fact.value) <= 300 else fact.value[:297] + "...",
        where=fact.where,
        confidence=Confidence(indicator.confidence),
        implies=DetectionClass(indicator.implies),
        sources=tuple(source.url for source in indicator.sources),
        benign_context=context,
        qualifier=fact.qualifier,
        overlay=is_overlay(indicator),
    )


def _applies(intel: CompiledIntel, indicator: Indicator, fact: Fact) -> bool:
    return fact.field in intel.fields[indicator.id]


def _benign_context(intel: CompiledIntel, tokens: list[str], start: int, end: int) -> str:
    """A benign-context phrase near tokens[start:end], if any."""
    by_length: dict[int, frozenset[tuple[str, ...]]] | None = intel.cache.get("benign")
    if by_length is None:
        grouped: dict[int, set[tuple[str, ...]]] = {}
        for phrase in intel.benign_context:
            grouped.setdefault(len(phrase), set()).add(phrase)
        by_length = {size: frozenset(group) for size, group in grouped.items()}
        intel.cache["benign"] = by_length
    windows = (
        tokens[max(0, start - _CONTEXT_BEFORE - 2) : start],
        tokens[end : end + _CONTEXT_AFTER],
    )
    for size in sorted(by_length, reverse=True):
        phrases = by_length[size]
        for window in windows:
            for index in range(len(window) - size + 1):
                candidate = tuple(window[index : index + size])
                if candidate in phrases:
                    return " ".join(candidate)
    return ""


def match_phrases(intel: CompiledIntel, fact: Fact) -> Iterator[tuple[Indicator, str, str]]:
    """Entity and product names, on word boundaries after normalisation.

    Multi-word names are matched on camelCase-split words ("KasperskyAntiVirus" matches
    "Kaspersky Anti-Virus"); one-word brands with inner capitals ("SafeStream") only as that
    word. Matches of the same indicator in one value are reported once.
    """
    reported: set[str] = set()
    for regex, table, camel in (
        (intel.phrase_regex, intel.phrases, True),
        (intel.compound_regex, intel.compounds, False),
    ):
        if regex is None:
            continue
        tokens = intel.normalizer.tokens(fact.value, camel=camel)
        if not tokens:
            continue
        normalized = " " + " ".join(tokens) + " "
        raw_words = words(fact.value, camel=camel)
        for found in regex.finditer(normalized):
            phrase = found.group(0)
            candidates = [i for i in table[phrase] if _applies(intel, i, fact)]
            if not candidates:
                continue
            indicator = _best_named(candidates, raw_words)
            if indicator.id in reported:
                continue
            reported.add(indicator.id)
            start = normalized.count(" ", 0, found.start()) - 1
            end = start + len(phrase.split())
            yield indicator, phrase, _benign_context(intel, tokens, start, end)


def _best_named(candidates: list[Indicator], raw_words: list[str]) -> Indicator:
    """The indicator whose exact wording (legal form included) the text uses, else the
    shortest, most generic one."""
    text = " " + " ".join(raw_words) + " "
    exact = [
        i
        for i in candidates
        if " " + " ".join(words(i.value, camel=not is_compound(i.value))) + " " in text
    ]
    pool = exact or candidates
    if exact:
        return max(pool, key=lambda i: (len(i.value), i.id))
    return min(pool, key=lambda i: (len(i.value), i.id))


def match_package_names(intel: CompiledIntel, fact: Fact) -> Iterator[tuple[Indicator, str, str]]:
    """Exact package, component or file names (a file path matches on its base name)."""
    value = fact.value.strip().casefold()
    keys = {value}
    if fact.field is FieldKind.FILENAME:
        base = re.split(r"[/\\]", value)[-1]
        keys |= {base, base.rsplit(".", 1)[0]}
    for key in sorted(keys):
        for indicator in intel.package_names.get(key, ()):
            if _applies(intel, indicator, fact):
                yield indicator, key, ""


def match_purls(intel: CompiledIntel, fact: Fact) -> Iterator[tuple[Indicator, str, str]]:
    """Package URLs whose type and leading segments match a pattern (reverse-DNS aware)."""
    parsed = purl_segments(fact.value)
    if parsed is None:
        return
    ptype, segments = parsed
    for pattern in intel.purls:
        if pattern.type != ptype or len(segments) < len(pattern.segments):
            continue
        if all(
            seg == want or seg.startswith(want + ".")
            for seg, want in zip(segments, pattern.segments, strict=False)
        ) and _applies(intel, pattern.indicator, fact):
            yield pattern.indicator, pattern.indicator.value, ""


def match_cpes(intel: CompiledIntel, fact: Fact) -> Iterator[tuple[Indicator, str, str]]:
    """CPE 2.2 / 2.3 identifiers by vendor (and product where the indicator names one)."""
    parts = cpe_parts(fact.value)
    if parts is None:
        return
    vendor, product = parts
    for pattern in intel.cpes.get(vendor, ()):
        if (pattern.product is None or pattern.product == product) and _applies(
            intel, pattern.indicator, fact
        ):
            yield pattern.indicator, f"{vendor}:{product}" if product else vendor, ""


def match_domains(intel: CompiledIntel, fact: Fact) -> Iterator[tuple[Indicator, str, str]]:
    """Host names in URLs, e-mail addresses and text, matched with all their parent domains."""
    value = fact.value.lower()
    if "%" in value:
        value = unquote(value)
    seen: set[str] = set()
    for found in _HOST.finditer(value):
        host = found.group(1)
        labels = host.split(".")
        for index in range(len(labels) - 1):
            domain = ".".join(labels[index:])
            matching = [
                i
                for i in intel.domains.get(domain, ())
                if i.id not in seen and _applies(intel, i, fact)
            ]
            if matching:  # the most specific listed domain speaks for the host
                for indicator in matching:
                    seen.add(indicator.id)
                    yield indicator, host, ""
                break


def match_url_prefixes(intel: CompiledIntel, fact: Fact) -> Iterator[tuple[Indicator, str, str]]:
    """Repository and organisation URLs (https, git+https and scp-like git@host:org forms)."""
    value = unquote(fact.value) if "%" in fact.value else fact.value
    for pattern, indicator in intel.url_prefixes:
        if pattern.search(value) and _applies(intel, indicator, fact):
            yield indicator, indicator.value, ""


def match_hashes(intel: CompiledIntel, fact: Fact) -> Iterator[tuple[Indicator, str, str]]:
    """Known file digests."""
    for indicator in intel.hashes.get(fact.value, ()):
        if _applies(intel, indicator, fact):
            yield indicator, fact.value, ""


def match_paths(intel: CompiledIntel, fact: Fact) -> Iterator[tuple[Indicator, str, str]]:
    """File-system paths (either separator, any case), aligned on path segments."""
    if "/" not in fact.value and "\\" not in fact.value:
        return
    key = path_key(fact.value)
    for pattern, indicator in intel.paths:
        if pattern.search(key) and _applies(intel, indicator, fact):
            yield indicator, indicator.value, ""


def match_namespaces(intel: CompiledIntel, fact: Fact) -> Iterator[tuple[Indicator, str, str]]:
    """Reverse-DNS names (bundle ids, Android and Java packages) in or under a namespace;
    a purl's namespace counts with '/' read as '.'."""
    value = fact.value
    if fact.field is FieldKind.PURL:
        parsed = purl_segments(value)
        if parsed is None:
            return
        value = ".".join(parsed[1])
    if "." not in value:
        return
    for pattern, indicator in intel.namespaces:
        if pattern.search(value) and _applies(intel, indicator, fact):
            yield indicator, indicator.value, ""


def match_cert_subjects(intel: CompiledIntel, fact: Fact) -> Iterator[tuple[Indicator, str, str]]:
    """Certificate subjects (or issuers) holding every attribute=value pair of an indicator,
    whatever the DN syntax (RFC 4514, OpenSSL /-separated, Windows, OIDs)."""
    if "=" not in fact.value:
        return
    pairs = set(dn_pairs(fact.value))
    for wanted, indicator in intel.subjects:
        if wanted <= pairs and _applies(intel, indicator, fact):
            yield indicator, indicator.value, ""


def match_cert_serials(intel: CompiledIntel, fact: Fact) -> Iterator[tuple[Indicator, str, str]]:
    """Certificate serial numbers, compared as hex without separators or leading zeros."""
    key = re.sub(r"[\s:-]", "", fact.value).casefold().lstrip("0")
    for indicator in intel.serials.get(key, ()):
        if _applies(intel, indicator, fact):
            yield indicator, indicator.value, ""


#: One matcher per indicator kind; a test checks this covers the schema's closed set.
MATCHERS: dict[str, Matcher] = {
    "entity-name": match_phrases,
    "product-name": match_phrases,
    "package-name": match_package_names,
    "purl": match_purls,
    "cpe": match_cpes,
    "domain": match_domains,
    "url-prefix": match_url_prefixes,
    "file-hash": match_hashes,
    "path": match_paths,
    "namespace": match_namespaces,
    "cert-subject": match_cert_subjects,
    "cert-serial": match_cert_serials,
}


def matchers_by_field(intel: CompiledIntel) -> dict[FieldKind, tuple[Matcher, ...]]:
    """For each field, only the matchers of kinds some indicator applies to that field."""
    cached = intel.cache.get("matchers_by_field")
    if cached is None:
        wanted: dict[FieldKind, list[Matcher]] = {field: [] for field in FieldKind}
        for indicator in intel.db.indicators:
            if indicator.id not in intel.fields:
                continue
            matcher = MATCHERS[indicator.kind]
            for field in intel.fields[indicator.id]:
                if matcher not in wanted[field]:
                    wanted[field].append(matcher)
        cached = {field: tuple(found) for field, found in wanted.items()}
        intel.cache["matchers_by_field"] = cached
    result: dict[FieldKind, tuple[Matcher, ...]] = cached
    return result


def _prefilter_text(fact: Fact) -> str:
    value = fact.value
    if "\x02" in value:  # the record separator must not come from the input
        value = value.replace("\x02", " ")
    if "%" in value and fact.field in (FieldKind.PURL, FieldKind.URL):
        return unquote(value)
    return value


def _prefilter_bytes(component: Component) -> bytes:
    """Every letter of a record's values, as UTF-8 (percent-encoding undone)."""
    raw = component.prefilter
    if raw is None:
        raw = " ".join(_prefilter_text(fact) for fact in component.facts).encode("utf-8")
    elif b"%" in raw:
        raw = unquote_to_bytes(raw)
    return raw.replace(b"\x02", b" ") if b"\x02" in raw else raw


def candidates(intel: CompiledIntel, components: tuple[Component, ...]) -> list[int]:
    """Indices of records whose squeezed values contain any anchor (a superset of matches).

    ASCII text is squeezed with one byte-translation of the whole document, other records go
    through Unicode folding; one compiled multi-pattern scan then finds every anchor.
    """
    scanner = intel.anchor_scanner
    if scanner is None or not components:
        return []
    blobs = [_prefilter_bytes(component) for component in components]
    joined = b"\x02".join(blobs)
    if joined.isascii():
        squeezed = squeeze_ascii(joined)
    else:
        squeezed = b"\x02".join(
            squeeze_ascii(blob)
            if blob.isascii()
            else squeeze(blob.decode("utf-8", errors="replace")).encode("utf-8")
            for blob in blobs
        )
    offsets, capped = scanner.offsets(squeezed)
    if capped:  # a hostile flood of anchors: match every record rather than miss one
        return list(range(len(components)))
    found: list[int] = []
    index = 0
    position = 0
    for offset in offsets:
        index += squeezed.count(b"\x02", position, offset)
        position = offset
        if not found or found[-1] != index:
            found.append(index)
    return found


#: Indicator kinds whose hits on a look-alike name are ruled out.
NAME_DERIVED_KINDS = frozenset({"entity-name", "product-name", "package-name"})


def _fact_key(field: FieldKind, where: str, value: str) -> tuple[FieldKind, str, str]:
    return field, where, value


def ruled_out(intel: CompiledIntel, component: Component) -> dict[tuple[FieldKind, str, str], str]:
    """The record's name and purl facts that equal a known look-alike, each with the id of the
    look-alike that rules it out. A look-alike of one ecosystem does not apply to a record whose
    package URLs are all of another ecosystem."""
    if not intel.lookalikes:
        return {}
    purls = [
        parsed
        for fact in component.facts
        if fact.field is FieldKind.PURL and not fact.where.startswith("/pedigree")
        for parsed in (purl_segments(fact.value),)
        if parsed is not None and parsed[1]
    ]
    types = {ptype for ptype, _ in purls}
    found: dict[tuple[FieldKind, str, str], str] = {}
    for fact in component.facts:
        if fact.field is FieldKind.NAME:
            for rule in intel.lookalikes.get(name_key(fact.value), ()):
                if name_key(fact.value, rule.ptype or "exact") != rule.name:
                    continue
                if rule.ptype is None or not types or rule.ptype in types:
                    found[_fact_key(fact.field, fact.where, fact.value)] = rule.lookalike.id
                    break
        elif fact.field is FieldKind.PURL:
            parsed = purl_segments(fact.value)
            if parsed is None or not parsed[1]:
                continue
            for rule in intel.lookalikes.get(name_key(parsed[1][-1]), ()):
                if rule.ptype == parsed[0] and rule.segments == parsed[1]:
                    found[_fact_key(fact.field, fact.where, fact.value)] = rule.lookalike.id
                    break
    return found


def match_component(
    intel: CompiledIntel, component: Component, lookalikes: bool = True
) -> list[IndicatorHit]:
    """Every indicator hit on one record, in fact order, without duplicates.

    Hits of name-derived kinds on a name or purl that is a known look-alike are dropped
    (``lookalikes=False`` keeps them, to show what a look-alike rules out).
    """
    component = component.realized()
    hits: list[IndicatorHit] = []
    seen: set[tuple[str, str]] = set()
    by_field = matchers_by_field(intel)
    for fact in component.facts:
        for matcher in by_field[fact.field]:
            for indicator, matched, context in matcher(intel, fact):
                key = (indicator.id, fact.where + "\0" + fact.value)
                if key in seen:
                    continue
                seen.add(key)
                hits.append(_hit(indicator, fact, matched, context))
    # a look-alike name is short, so a hit's (possibly shortened) value identifies its fact
    if lookalikes and intel.lookalikes and any(h.kind in NAME_DERIVED_KINDS for h in hits):
        excluded = ruled_out(intel, component)
        if excluded:
            hits = [
                hit
                for hit in hits
                if hit.kind not in NAME_DERIVED_KINDS
                or _fact_key(hit.field, hit.where, hit.value) not in excluded
            ]
    return hits


def match_document(
    intel: CompiledIntel, document: SbomDocument
) -> list[tuple[Component, list[IndicatorHit]]]:
    """Records of ``document`` with at least one hit (facts extracted), in document order."""
    result = []
    for index in candidates(intel, document.components):
        component = document.components[index].realized()
        hits = match_component(intel, component)
        if hits:
            result.append((component, hits))
    return result
