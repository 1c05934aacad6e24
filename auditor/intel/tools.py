"""The vendor_db tools behind ``kaspersky-audit db``: summarise, list, explain and verify.

Every function returns plain, JSON-ready data; the ``render_*`` functions turn it into text.
The example values an indicator must fire on (and the look-alikes it must not fire on) are
defined here once, for ``db show``, ``db verify`` and the database tests alike.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import DatabaseError, UsageError
from auditor.intel.compile import (
    CompiledIntel,
    compile_intel,
    indicator_anchor,
    indicator_fields,
    name_phrase,
)
from auditor.intel.load import Database, is_overlay, load_database, lookalike_collision
from auditor.intel.schema import (
    ConfidenceName,
    Indicator,
    IndicatorKind,
    Lookalike,
    LookalikeKind,
    OemRelationship,
    OemStatus,
    Source,
    SourceGrade,
)
from auditor.match.engine import NAME_DERIVED_KINDS, match_component, ruled_out
from auditor.models import Component, ComponentKind, Fact, FieldKind

KINDS: tuple[str, ...] = typing.get_args(IndicatorKind)
CONFIDENCES: tuple[str, ...] = typing.get_args(ConfidenceName)
GRADES: tuple[str, ...] = typing.get_args(SourceGrade)
OEM_STATUSES: tuple[str, ...] = typing.get_args(OemStatus)
LOOKALIKE_KINDS: tuple[str, ...] = typing.get_args(LookalikeKind)

#: "test" as a word of its own (not inside "attestation" or "kasperskytest").
_TEST_WORD = re.compile(r"(?<![0-9a-z])test(?![0-9a-z])", re.IGNORECASE)
_BUILTIN_URL = re.compile(r"^https?://\S+$")
_OVERLAY_URL = re.compile(r"^(?:https?://|file:|urn:)\S+$")


# --- examples: what an indicator must fire on, and a look-alike it must not -------------------


def example_match(indicator: Indicator) -> str:
    """A realistic value that must fire the indicator."""
    value = indicator.value
    if indicator.kind == "purl":
        return value + (
            "/some-package@1.0.0" if value.count("/") == 1 and "pypi" not in value else "@1.0.0"
        )
    if indicator.kind == "cpe":
        vendor, _, product = value.partition(":")
        return f"cpe:2.3:a:{vendor}:{product or 'some_product'}:1.0:*:*:*:*:*:*:*"
    if indicator.kind == "domain":
        return f"https://{value}/path"
    if indicator.kind == "url-prefix":
        return f"https://{value}/repo"
    if indicator.kind in ("entity-name", "product-name"):
        return f"Copyright 2024 {value}. All rights reserved."
    if indicator.kind == "path":
        separator = "\\" if "\\" in value else "/"
        return value.rstrip("/\\") + separator + "bin" + separator + "tool"
    if indicator.kind == "namespace":
        return value + ".app.Main"
    return value


def example_lookalike(indicator: Indicator) -> str:
    """A value that resembles the indicator but must not fire it."""
    value = indicator.value
    if indicator.kind == "purl":
        return value + "x/some-package@1.0.0"
    if indicator.kind == "cpe":
        vendor, _, product = value.partition(":")
        return f"cpe:2.3:a:{vendor}x:{product or 'p'}:1.0:*:*:*:*:*:*:*"
    if indicator.kind == "domain":
        return f"https://{value}.evil-example.net/ https://x{value}/"
    if indicator.kind == "url-prefix":
        return f"https://{value}x/repo"
    if indicator.kind == "file-hash":
        alg, digest = value.split(":", 1)
        return f"{alg}:{digest[:-1]}{'0' if digest[-1] != '0' else '1'}"
    if indicator.kind == "package-name":
        return value + "x"
    if indicator.kind == "path":
        trimmed = value.rstrip("/\\")
        separator = "\\" if "\\" in value else "/"
        return trimmed + "-fans" + separator + "bin"
    if indicator.kind == "namespace":
        return value + "fans.app.Main"
    # glue letters onto the most distinctive word: no longer the same name
    parts = value.split()
    if not parts:
        return value + "zq"
    longest = max(range(len(parts)), key=lambda i: sum(ch.isalnum() for ch in parts[i]))
    parts[longest] += "zq"
    return " ".join(parts)


def example_field(indicator: Indicator) -> FieldKind:
    """The SBOM field the examples are placed in: the most telling one the indicator reads."""
    fields = indicator_fields(indicator)
    for preferred in (
        FieldKind.SUPPLIER,
        FieldKind.NAME,
        FieldKind.PURL,
        FieldKind.CPE,
        FieldKind.CERT_SUBJECT,
        FieldKind.CERT_SERIAL,
        FieldKind.FILENAME,
        FieldKind.URL,
        FieldKind.HASH,
        FieldKind.COPYRIGHT,
    ):
        if preferred in fields:
            return preferred
    return sorted(fields, key=lambda f: f.value)[0]


@dataclass(frozen=True, slots=True)
class Probe:
    """The matcher run on one example value."""

    field: FieldKind
    value: str
    fired: tuple[str, ...]  # ids of every indicator that fired, sorted
    fires: bool  # the indicator itself, or one that speaks for it, fired

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field.value,
            "value": self.value,
            "fires": self.fires,
            "fired": list(self.fired),
        }


def probe(intel: CompiledIntel, indicator: Indicator, value: str) -> Probe:
    """Run the matchers on a synthetic record holding ``value`` in the indicator's example field.

    ``fires`` is true when the indicator fired, or an indicator whose value contains this one's
    (a more specific name speaks for the same words: "Kaspersky Lab" over the bare brand).
    """
    where = example_field(indicator)
    record = Component(
        ref="example",
        kind=ComponentKind.COMPONENT,
        name="example",
        version="1.0",
        pointer="/components/example",
        facts=(Fact(where, value, f"/{where.value}/0"),),
    )
    fired = sorted({hit.indicator_id for hit in match_component(intel, record)})
    by_id = {i.id: i for i in intel.db.indicators}
    fires = indicator.id in fired or any(
        indicator.value.lower() in by_id[other].value.lower() for other in fired if other in by_id
    )
    return Probe(where, value, tuple(fired), fires)


# --- db info ----------------------------------------------------------------------------------


def _all_sources(db: Database) -> Iterable[Source]:
    for indicator in db.indicators:
        yield from indicator.sources
    for entity in db.entities:
        yield from entity.sources
    for regulation in db.regulations.values():
        yield from regulation.sources
    for relationship in db.oem:
        yield from relationship.sources
    for lookalike in db.lookalikes:
        yield from lookalike.sources


def db_info(db: Database) -> dict[str, Any]:
    """Name, version, digest, location, and counts of what the database holds."""
    table = {kind: dict.fromkeys(CONFIDENCES, 0) for kind in KINDS}
    for indicator in db.indicators:
        table[indicator.kind][indicator.confidence] += 1
    urls: set[str] = set()
    by_grade: dict[str, set[str]] = {grade: set() for grade in GRADES}
    for source in _all_sources(db):
        urls.add(source.url)
        by_grade[source.grade].add(source.url)
    return {
        "name": db.meta.name,
        "vendor": db.meta.vendor,
        "version": db.version,
        "digest": db.digest,
        "root": str(db.root),
        "overlays": [str(path) for path in db.overlays],
        "indicators": {
            "total": len(db.indicators),
            "deprecated": sum(1 for i in db.indicators if i.deprecated),
            "overlay": sum(1 for i in db.indicators if is_overlay(i)),
            "by_kind_and_confidence": table,
            "by_confidence": {c: sum(row[c] for row in table.values()) for c in CONFIDENCES},
        },
        "sources": {
            "distinct_urls": len(urls),
            "by_grade": {grade: len(found) for grade, found in by_grade.items()},
        },
        "entities": len(db.entities),
        "regulations": len(db.regulations),
        "oem_relationships": {
            "total": len(db.oem),
            "by_status": {
                status: sum(1 for r in db.oem if r.status == status) for status in OEM_STATUSES
            },
        },
        "lookalikes": {
            "total": len(db.lookalikes),
            "by_kind": {
                kind: sum(1 for item in db.lookalikes if item.kind == kind)
                for kind in LOOKALIKE_KINDS
            },
        },
    }


def render_info(info: dict[str, Any]) -> str:
    """``db info`` as text."""
    indicators = info["indicators"]
    overlays = info["overlays"] or ["none"]
    out = [
        f"database:    {info['name']} ({info['vendor']})",
        f"version:     {info['version']}",
        f"digest:      {info['digest']}",
        f"root:        {info['root']}",
        f"overlays:    {overlays[0]}",
        *(f"             {path}" for path in overlays[1:]),
        f"indicators:  {indicators['total']} ({indicators['deprecated']} deprecated, "
        f"{indicators['overlay']} from overlays)",
        f"entities:    {info['entities']}",
        f"regulations: {info['regulations']}",
        f"oem:         {info['oem_relationships']['total']} relationships ("
        + ", ".join(f"{n} {s}" for s, n in info["oem_relationships"]["by_status"].items())
        + ")",
        f"look-alikes: {info['lookalikes']['total']} ("
        + ", ".join(f"{n} {k}" for k, n in info["lookalikes"]["by_kind"].items())
        + ")",
        "",
    ]
    width = max(len("total"), *(len(kind) for kind in KINDS))
    header = f"{'kind':<{width}}" + "".join(f"{c:>8}" for c in CONFIDENCES) + f"{'total':>8}"
    out += [header, "-" * len(header)]
    table: dict[str, dict[str, int]] = indicators["by_kind_and_confidence"]
    for kind, row in table.items():
        cells = "".join(f"{row[c]:>8}" for c in CONFIDENCES)
        out.append(f"{kind:<{width}}{cells}{sum(row.values()):>8}")
    totals: dict[str, int] = indicators["by_confidence"]
    out.append("-" * len(header))
    cells = "".join(f"{totals[c]:>8}" for c in CONFIDENCES)
    out += [f"{'total':<{width}}{cells}{indicators['total']:>8}", ""]
    out.append(f"sources:     {info['sources']['distinct_urls']} distinct URLs, by grade:")
    for grade, count in info["sources"]["by_grade"].items():
        out.append(f"  {grade:<12} {count:>5}")
    return "\n".join(out) + "\n"


# --- db list ----------------------------------------------------------------------------------


def _choice(value: str | None, allowed: Sequence[str], what: str) -> str | None:
    if value is not None and value not in allowed:
        raise UsageError(f"unknown {what} {value!r}; choose from: {', '.join(allowed)}")
    return value


def list_indicators(
    db: Database, kind: str | None = None, confidence: str | None = None
) -> list[dict[str, Any]]:
    """Indicators in database order, optionally only one kind and/or confidence."""
    kind = _choice(kind, KINDS, "kind")
    confidence = _choice(confidence, CONFIDENCES, "confidence")
    return [
        {
            "id": i.id,
            "kind": i.kind,
            "confidence": i.confidence,
            "implies": i.implies,
            "value": i.value,
            "label": i.label,
            "deprecated": i.deprecated is not None,
            "overlay": is_overlay(i),
        }
        for i in db.indicators
        if (kind is None or i.kind == kind) and (confidence is None or i.confidence == confidence)
    ]


def render_list(rows: list[dict[str, Any]]) -> str:
    """``db list`` as text: one aligned line per indicator."""
    columns = ("id", "kind", "confidence", "implies", "value")
    widths = {c: max([len(c), *(len(str(row[c])) for row in rows)]) for c in columns}
    lines = []
    for row in rows:
        marks = (" [deprecated]" if row["deprecated"] else "") + (
            " [overlay]" if row["overlay"] else ""
        )
        cells = "  ".join(f"{row[c]:<{widths[c]}}" for c in columns)
        lines.append(f"{cells}  {row['label']}{marks}")
    return "\n".join(lines) + "\n" if lines else ""


# --- db show ----------------------------------------------------------------------------------


def find_indicator(db: Database, indicator_id: str) -> Indicator:
    """The indicator with this id; a usage error (naming near ids) when there is none."""
    for indicator in db.indicators:
        if indicator.id == indicator_id:
            return indicator
    ids = [i.id for i in db.indicators]
    near = [i for i in ids if i.casefold() == indicator_id.casefold()]
    near = near or difflib.get_close_matches(indicator_id.upper(), ids, n=3)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise UsageError(f"no indicator {indicator_id!r} in vendor_db{hint}")


def show_indicator(intel: CompiledIntel, indicator_id: str) -> dict[str, Any]:
    """Everything about one indicator, and what it would match (the matcher actually run on an
    example that must fire it and a look-alike that must not)."""
    db = intel.db
    indicator = find_indicator(db, indicator_id)
    entities = {entity.id: entity.name for entity in db.entities}
    phrase = name_phrase(indicator, intel.normalizer)
    return {
        "indicator": indicator.model_dump(mode="json"),
        "overlay": is_overlay(indicator),
        "entity_name": entities.get(indicator.entity) if indicator.entity else None,
        "match": {
            "compiled": indicator.id in intel.fields,
            "fields": sorted(f.value for f in indicator_fields(indicator)),
            "phrase": phrase or None,
            "anchor": indicator_anchor(indicator, intel.normalizer, intel.brand) or None,
            "example": probe(intel, indicator, example_match(indicator)).as_dict(),
            "lookalike": probe(intel, indicator, example_lookalike(indicator)).as_dict(),
        },
    }


def _probe_line(name: str, found: dict[str, Any], want: bool) -> str:
    fired = found["fired"]
    if found["fires"]:
        verdict = "fires" if not fired or fired == [name] else f"fires ({', '.join(fired)})"
    else:
        verdict = "does not fire" + (f" (fired: {', '.join(fired)})" if fired else "")
    ok = "ok" if found["fires"] == want else "UNEXPECTED"
    return f"{found['field']} {found['value']!r} -> {verdict} [{ok}]"


def render_show(shown: dict[str, Any]) -> str:
    """``db show`` as text."""
    ind = shown["indicator"]
    match = shown["match"]
    out = [f"{ind['id']}  {ind['kind']}  {ind['value']}"]
    rows = [
        ("label", ind["label"]),
        ("confidence", ind["confidence"]),
        ("implies", ind["implies"]),
        ("origin", "overlay" if shown["overlay"] else "vendor_db"),
        ("added", ind["added"]),
    ]
    if ind["entity"]:
        name = shown["entity_name"]
        rows.append(("entity", f"{ind['entity']} ({name})" if name else ind["entity"]))
    rows += [
        (key, str(ind[key]))
        for key in ("bis_covered", "valid_from", "valid_until", "deprecated")
        if ind[key] is not None
    ]
    if ind["fields"]:
        rows.append(("fields", ", ".join(ind["fields"])))
    out += [f"  {key + ':':<13}{value}" for key, value in rows]
    if ind["notes"]:
        out.append(f"  {'notes:':<13}{ind['notes']}")
    out.append("sources:")
    for source in ind["sources"]:
        out += [f"  [{source['grade']}] {source['title']}", f"    {source['url']}"]
    out.append("what it would match:")
    if not match["compiled"]:
        out.append("  nothing: the indicator is deprecated and not compiled")
    out.append(f"  {'fields:':<13}{', '.join(match['fields'])}")
    if match["phrase"]:
        out.append(f"  {'phrase:':<13}{match['phrase']!r} (normalised, on word boundaries)")
    if match["anchor"]:
        out.append(f"  {'anchor:':<13}{match['anchor']!r} (prefilter)")
    out.append(f"  {'example:':<13}{_probe_line(ind['id'], match['example'], True)}")
    out.append(f"  {'look-alike:':<13}{_probe_line(ind['id'], match['lookalike'], False)}")
    return "\n".join(out) + "\n"


# --- db show: OEM relationships and look-alikes -------------------------------------------------


def lookalike_record(lookalike: Lookalike) -> Component:
    """A synthetic record named like the look-alike (with its package URL when it belongs to
    one ecosystem): the record the look-alike must rule out."""
    if lookalike.kind == "purl":
        purl = lookalike.value
        name = purl.rsplit("/", 1)[-1]
    else:
        name = lookalike.value
        purl = f"pkg:{lookalike.ecosystem}/{name}" if lookalike.ecosystem else ""
    facts = [Fact(FieldKind.NAME, name, "/name")]
    if purl:
        facts.append(Fact(FieldKind.PURL, purl + "@1.0.0", "/purl"))
    return Component(
        ref="lookalike",
        kind=ComponentKind.COMPONENT,
        name=name,
        version="1.0.0",
        pointer="/components/lookalike",
        facts=tuple(facts),
    )


def lookalike_probe(intel: CompiledIntel, lookalike: Lookalike) -> dict[str, Any]:
    """The matcher run on the look-alike's record with and without look-alikes: which facts it
    rules out (and by which look-alike), and which indicators it keeps from firing."""
    record = lookalike_record(lookalike)
    excluded = ruled_out(intel, record)
    raw = sorted({hit.indicator_id for hit in match_component(intel, record, lookalikes=False)})
    kept = match_component(intel, record)
    kept_ids = sorted({hit.indicator_id for hit in kept})
    return {
        "facts": [
            {
                "field": fact.field.value,
                "value": fact.value,
                "ruled_out_by": excluded.get((fact.field, fact.where, fact.value)),
            }
            for fact in record.facts
        ],
        "fired_without_lookalikes": raw,
        "fired": kept_ids,
        "ruled_out": [indicator for indicator in raw if indicator not in kept_ids],
        "name_hits_left": sorted(
            {hit.indicator_id for hit in kept if hit.kind in NAME_DERIVED_KINDS}
        ),
    }


def _find(items: Sequence[OemRelationship] | Sequence[Lookalike], entry_id: str) -> Any:
    for item in items:
        if item.id.casefold() == entry_id.casefold():
            return item
    return None


def show_oem(intel: CompiledIntel, relationship: OemRelationship) -> dict[str, Any]:
    """Everything about one OEM relationship, with the labels of its related indicators."""
    labels = {indicator.id: indicator.label for indicator in intel.db.indicators}
    return {
        "oem": relationship.model_dump(mode="json"),
        "context_only": relationship.status != "documented",
        "related": [
            {"id": related, "label": labels.get(related)}
            for related in relationship.related_indicators
        ],
    }


def show_lookalike(intel: CompiledIntel, lookalike: Lookalike) -> dict[str, Any]:
    """Everything about one look-alike, and what it rules out on a record named like it."""
    return {
        "lookalike": lookalike.model_dump(mode="json"),
        "collides_with": lookalike_collision(lookalike, intel.db.indicators),
        "probe": lookalike_probe(intel, lookalike),
    }


def show(intel: CompiledIntel, entry_id: str) -> dict[str, Any]:
    """``db show ID``: an indicator, an OEM relationship (KL-OEM-...) or a look-alike
    (KL-LOOK-...)."""
    relationship = _find(intel.db.oem, entry_id)
    if relationship is not None:
        return show_oem(intel, relationship)
    lookalike = _find(intel.db.lookalikes, entry_id)
    if lookalike is not None:
        return show_lookalike(intel, lookalike)
    return show_indicator(intel, entry_id)


def _render_sources(sources: list[dict[str, Any]]) -> list[str]:
    out = ["sources:"]
    for source in sources:
        out += [f"  [{source['grade']}] {source['title']}", f"    {source['url']}"]
    return out


def render_oem(shown: dict[str, Any]) -> str:
    """``db show KL-OEM-...`` as text."""
    oem = shown["oem"]
    out = [f"{oem['id']}  OEM relationship  {oem['vendor']}"]
    rows = [
        ("aliases", ", ".join(oem["vendor_aliases"]) or "none"),
        ("product line", oem["product_line"]),
        ("period", oem["period"]),
        ("licensed", oem["licensed"]),
        (
            "status",
            oem["status"] + (" (context only, not evidence)" if shown["context_only"] else ""),
        ),
        ("confidence", oem["confidence"]),
        ("evidence", oem["evidence"]),
    ]
    out += [f"  {key + ':':<14}{value}" for key, value in rows]
    if shown["related"]:
        out.append("  related:")
        out += [f"    {item['id']}  {item['label'] or '(unknown)'}" for item in shown["related"]]
    if oem["notes"]:
        out.append(f"  {'notes:':<14}{oem['notes']}")
    return "\n".join(out + _render_sources(oem["sources"])) + "\n"


def render_lookalike(shown: dict[str, Any]) -> str:
    """``db show KL-LOOK-...`` as text."""
    item = shown["lookalike"]
    probe_data = shown["probe"]
    out = [f"{item['id']}  look-alike ({item['kind']})  {item['value']}"]
    rows = [
        ("ecosystem", item["ecosystem"] or "any"),
        ("reason", item["reason"]),
        ("added", item["added"]),
    ]
    out += [f"  {key + ':':<13}{value}" for key, value in rows]
    if item["notes"]:
        out.append(f"  {'notes:':<13}{item['notes']}")
    out += _render_sources(item["sources"])
    out.append("what it rules out (a record named like it):")
    for fact in probe_data["facts"]:
        by = fact["ruled_out_by"]
        verdict = f"ruled out by {by}" if by else "not ruled out"
        out.append(f"  {fact['field']} {fact['value']!r} -> {verdict}")
    without = ", ".join(probe_data["fired_without_lookalikes"]) or "nothing"
    out.append(f"  {'without it:':<13}{without} would fire")
    ruled = ", ".join(probe_data["ruled_out"]) or "nothing (no indicator fires on the name)"
    out.append(f"  {'ruled out:':<13}{ruled}")
    if shown["collides_with"]:
        out.append(f"  PROBLEM: equals the value of indicator {shown['collides_with']}")
    return "\n".join(out) + "\n"


def render_any(shown: dict[str, Any]) -> str:
    """``db show`` as text, whatever the entry is."""
    if "oem" in shown:
        return render_oem(shown)
    if "lookalike" in shown:
        return render_lookalike(shown)
    return render_show(shown)


# --- db verify --------------------------------------------------------------------------------


@dataclass
class Verification:
    """The outcome of ``db verify``: ``loaded`` is false when the database could not be
    loaded at all (``error`` says why); ``problems`` lists everything else found."""

    loaded: bool
    problems: list[str] = field(default_factory=list)
    error: str | None = None
    indicators: int = 0
    oem: int = 0
    lookalikes: int = 0
    version: str | None = None
    digest: str | None = None

    @property
    def exit_code(self) -> int:
        """0 clean, 1 problems found, 2 the database cannot be loaded."""
        if not self.loaded:
            return 2
        return 1 if self.problems else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.exit_code == 0,
            "loaded": self.loaded,
            "error": self.error,
            "version": self.version,
            "digest": self.digest,
            "indicators": self.indicators,
            "oem_relationships": self.oem,
            "lookalikes": self.lookalikes,
            "problems": list(self.problems),
        }


def _source_problems(where: str, sources: Sequence[Source], pattern: re.Pattern[str]) -> list[str]:
    if not sources:
        return [f"{where}: no sources"]
    return [
        f"{where}: source {source.url!r} is not an allowed URL"
        for source in sources
        if not pattern.match(source.url)
    ]


def check_database(db: Database) -> list[str]:
    """Every problem in a loaded database (empty when clean)."""
    problems: list[str] = []
    for label, ids in (
        ("indicator", [i.id for i in db.indicators]),
        ("entity", [e.id for e in db.entities]),
    ):
        seen: set[str] = set()
        for item in ids:
            if item in seen:
                problems.append(f"{item}: duplicate {label} id")
            seen.add(item)
    for indicator in db.indicators:
        pattern = _OVERLAY_URL if is_overlay(indicator) else _BUILTIN_URL
        problems += _source_problems(indicator.id, indicator.sources, pattern)
        if _TEST_WORD.search(indicator.value):
            problems.append(f"{indicator.id}: value {indicator.value!r} looks like a test identity")
    for entity in db.entities:
        problems += _source_problems(entity.id, entity.sources, _BUILTIN_URL)
        for name in (entity.name, *entity.aliases):
            if _TEST_WORD.search(name):
                problems.append(f"{entity.id}: name {name!r} looks like a test identity")
    for regulation in db.regulations.values():
        problems += _source_problems(regulation.id, regulation.sources, _BUILTIN_URL)
    problems += _extra_problems(db)
    try:
        intel = compile_intel(db)
    except Exception as exc:  # noqa: BLE001 - any failure here is a database problem to report
        problems.append(f"patterns do not compile: {type(exc).__name__}: {exc}")
        return problems
    for indicator in db.indicators:
        if indicator.deprecated:
            continue
        positive = probe(intel, indicator, example_match(indicator))
        if not positive.fires:
            problems.append(
                f"{indicator.id}: does not fire on its example {positive.value!r} "
                f"in {positive.field.value}"
            )
        negative = probe(intel, indicator, example_lookalike(indicator))
        if indicator.id in negative.fired:
            problems.append(
                f"{indicator.id}: fires on the look-alike {negative.value!r} "
                f"in {negative.field.value}"
            )
    for lookalike in db.lookalikes:
        left = lookalike_probe(intel, lookalike)["name_hits_left"]
        if left:
            problems.append(
                f"{lookalike.id}: a record named {lookalike.value!r} still has name hits: "
                + ", ".join(left)
            )
    return problems


def _extra_problems(db: Database) -> list[str]:
    """OEM relationships and look-alikes: unique ids, sourced, no test identities, related
    indicators that exist, no look-alike equal to an indicator's value."""
    problems: list[str] = []
    seen: set[str] = {i.id for i in db.indicators}
    indicator_ids = set(seen)
    items: list[OemRelationship | Lookalike] = [*db.oem, *db.lookalikes]
    for item in items:
        if item.id in seen:
            problems.append(f"{item.id}: duplicate id")
        seen.add(item.id)
        problems += _source_problems(item.id, item.sources, _BUILTIN_URL)
    for relationship in db.oem:
        texts = (relationship.vendor, *relationship.vendor_aliases, relationship.product_line)
        for text in texts:
            if _TEST_WORD.search(text):
                problems.append(f"{relationship.id}: {text!r} looks like a test identity")
        for related in relationship.related_indicators:
            if related not in indicator_ids:
                problems.append(f"{relationship.id}: names unknown indicator {related}")
    for lookalike in db.lookalikes:
        if _TEST_WORD.search(lookalike.value):
            problems.append(f"{lookalike.id}: value {lookalike.value!r} looks like a test identity")
        collision = lookalike_collision(lookalike, db.indicators)
        if collision:
            problems.append(
                f"{lookalike.id}: look-alike {lookalike.value!r} equals the value of {collision}"
            )
    return problems


def verify(root: Path | None = None, overlays: Sequence[Path] = ()) -> Verification:
    """Load (schema validation) and check the database at ``root`` with ``overlays``."""
    try:
        db = load_database(root, overlays)
    except DatabaseError as exc:
        return Verification(loaded=False, error=str(exc))
    return Verification(
        loaded=True,
        problems=check_database(db),
        indicators=len(db.indicators),
        oem=len(db.oem),
        lookalikes=len(db.lookalikes),
        version=db.version,
        digest=db.digest,
    )


def render_verify(result: dict[str, Any]) -> str:
    """``db verify`` as text."""
    if not result["loaded"]:
        return f"FAIL: the database cannot be loaded: {result['error']}\n"
    out = [f"problem: {problem}" for problem in result["problems"]]
    head = f"vendor_db {result['version']} ({result['digest'][:12]}), {result['indicators']} "
    if result["problems"]:
        out.append(f"FAIL: {head}indicators, {len(result['problems'])} problem(s)")
    else:
        out.append(
            f"OK: {head}indicators, {result['oem_relationships']} OEM relationships, "
            f"{result['lookalikes']} look-alikes: schema, ids, sources, no test identities, "
            "patterns, examples and look-alikes"
        )
    return "\n".join(out) + "\n"
