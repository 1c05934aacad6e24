"""The vendor_db schema: every file in vendor_db/ is validated against these models at start-up.

Models are strict (unknown keys are errors) and frozen. ``vendor_db/schema.json`` is generated
from them (``python -m auditor.intel.schema``) and a test fails when it drifts.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ConfidenceName = Literal["high", "medium", "low"]
ClassName = Literal["product", "embedded", "authored", "service", "mention"]
LevelName = Literal["error", "warning", "note"]
FieldName = Literal[
    "name",
    "group",
    "version",
    "description",
    "supplier",
    "manufacturer",
    "publisher",
    "author",
    "originator",
    "copyright",
    "purl",
    "cpe",
    "swid",
    "hash",
    "url",
    "email",
    "license",
    "property",
    "evidence",
    "provider",
    "endpoint",
    "filename",
    "cert-subject",
    "cert-issuer",
    "cert-serial",
    "text",
]
SourceGrade = Literal["official", "vendor", "secondary", "dataset", "third-party"]

#: Every indicator kind the database may use. Each has exactly one matcher (see match/registry).
IndicatorKind = Literal[
    "entity-name",  # a legal or trading name of a Kaspersky entity
    "product-name",  # a product, SDK or engine name, matched as a phrase in text
    "package-name",  # an exact package / component / binary name
    "purl",  # a package-URL prefix: pkg:type/namespace[/name]
    "cpe",  # a CPE vendor (and optionally product)
    "domain",  # a DNS domain; matches it and all its subdomains
    "url-prefix",  # host/path prefix such as github.com/KasperskyLab
    "file-hash",  # algorithm:hex digest of a known file
    "path",  # a file-system path (prefix), matched segment-aligned in paths and text
    "namespace",  # a reverse-DNS namespace (bundle ids, Android packages, Java packages)
    "cert-subject",  # attribute=value pairs all present in a certificate subject DN
    "cert-serial",  # a certificate serial number (hex)
]

_ID = re.compile(r"^KL-[A-Z]{2,8}-\d{3,4}$")
#: Ids of indicators in overlay files (``--db-overlay``): looser, e.g. ``ACME-PKG-7``.
_OVERLAY_ID = re.compile(r"^[A-Z][A-Z0-9]{1,15}-[A-Z0-9-]{1,40}$")
_HASH = re.compile(r"^(md5|sha1|sha256|sha384|sha512):[0-9a-f]+$")
_HASH_LEN = {"md5": 32, "sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128}


class Strict(BaseModel):
    """Base: unknown keys are errors, instances are immutable."""

    # defer_build: validators are built on first use, so a cached database loads without them
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Source(Strict):
    """A public document that supports an entry."""

    url: str = Field(pattern=r"^https?://\S+$")
    title: str = Field(min_length=3)
    grade: SourceGrade


class Indicator(Strict):
    """One recognisable trace of Kaspersky software, with its provenance."""

    id: str
    kind: IndicatorKind
    value: str = Field(min_length=2)
    label: str = Field(min_length=2, description="What the indicator identifies, for reports")
    confidence: ConfidenceName
    implies: ClassName
    sources: tuple[Source, ...] = Field(min_length=1)
    added: dt.date
    fields: tuple[FieldName, ...] = Field(
        default=(), description="Restrict matching to these fields (empty: the kind's default)"
    )
    entity: str | None = Field(default=None, description="Id of the entity this name denotes")
    bis_covered: bool | None = Field(
        default=None,
        description="False for lines the BIS Final Determination expressly excludes",
    )
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    deprecated: str | None = None
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"indicator id {value!r} must look like KL-ABC-001")
        return value

    @model_validator(mode="after")
    def _value_shape(self) -> Indicator:
        value = self.value
        if self.kind == "file-hash":
            match = _HASH.match(value)
            if not match or len(value.split(":", 1)[1]) != _HASH_LEN[value.split(":", 1)[0]]:
                raise ValueError(f"{self.id}: file-hash must be '<alg>:<lowercase hex>'")
        elif self.kind == "purl":
            if not re.match(r"^pkg:[a-z0-9.+-]+/[^/\s]+(/[^/\s@?#]+)?$", value):
                raise ValueError(f"{self.id}: purl must be 'pkg:type/namespace[/name]'")
        elif self.kind == "cpe":
            if not re.match(r"^[a-z0-9_.\-]+(:[a-z0-9_.\-]+)?$", value):
                raise ValueError(f"{self.id}: cpe must be 'vendor' or 'vendor:product'")
        elif self.kind == "domain":
            if not re.match(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$", value):
                raise ValueError(f"{self.id}: domain must be a lowercase DNS name")
        elif self.kind == "url-prefix":
            if not re.match(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}/\S+$", value):
                raise ValueError(f"{self.id}: url-prefix must be 'host/path'")
        elif self.kind == "path":
            if not re.search(r"[/\\]", value):
                raise ValueError(f"{self.id}: path must contain a directory separator")
        elif self.kind == "namespace":
            if not re.match(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$", value):
                raise ValueError(f"{self.id}: namespace must be lowercase reverse-DNS")
        elif self.kind == "cert-subject":
            if not re.match(
                r"^[A-Za-z][A-Za-z0-9.]*=[^,]+(,\s*[A-Za-z][A-Za-z0-9.]*=[^,]+)*$", value
            ):
                raise ValueError(f"{self.id}: cert-subject must be 'attr=value[, attr=value]'")
        elif self.kind == "cert-serial":
            if not re.match(r"^[0-9a-f]{8,64}$", value):
                raise ValueError(f"{self.id}: cert-serial must be lowercase hex")
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise ValueError(f"{self.id}: valid_from is after valid_until")
        return self


class IndicatorFile(Strict):
    """One YAML file of indicators."""

    schema_version: Literal[1]
    description: str
    indicators: tuple[Indicator, ...]


class OverlaySource(Source):
    """A source of an overlay indicator: may also be internal (``file:`` or ``urn:``)."""

    url: str = Field(pattern=r"^(?:https?://|file:|urn:)\S+$")


class OverlayIndicator(Indicator):
    """An indicator from an overlay file (``--db-overlay``): a private addition to vendor_db.

    Same fields and rules as a built-in indicator, except the id (any ``PREFIX-REST`` in
    capitals, e.g. ``ACME-PKG-7``; it must not collide with a built-in id) and the sources
    (internal ``file:`` and ``urn:`` references are allowed).
    """

    sources: tuple[OverlaySource, ...] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _OVERLAY_ID.match(value):
            raise ValueError(f"overlay indicator id {value!r} must look like ACME-PKG-001")
        return value


class OverlayFile(Strict):
    """A YAML file given with ``--db-overlay``: indicators added to the database."""

    schema_version: Literal[1]
    description: str
    indicators: tuple[OverlayIndicator, ...]


class Entity(Strict):
    """A Kaspersky legal entity."""

    id: str = Field(pattern=r"^KL-ENTITY-\d{3}$")
    name: str
    aliases: tuple[str, ...] = ()
    jurisdiction: str
    entity_list: bool = Field(description="Listed on the BIS Entity List (15 CFR 744 Supp. 4)")
    fcc_covered_list: bool = False
    registration_numbers: tuple[str, ...] = ()
    notes: str | None = None
    sources: tuple[Source, ...] = Field(min_length=1)


class EntityFile(Strict):
    """vendor_db/kaspersky/entities.yaml."""

    schema_version: Literal[1]
    entities: tuple[Entity, ...]


class Regulation(Strict):
    """A rule that gives a finding its regulatory meaning."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str
    citation: str
    summary: str
    effective: tuple[str, ...] = ()
    sources: tuple[Source, ...] = Field(min_length=1)


class RegulationFile(Strict):
    """vendor_db/regulations.yaml."""

    schema_version: Literal[1]
    regulations: tuple[Regulation, ...]


class DetectionClassRule(Strict):
    """A detection class and the SARIF rule that reports it. Ids are never renamed."""

    detection_class: ClassName
    rule_id: str = Field(pattern=r"^KAS\d{3}$")
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9]+$")
    level: LevelName
    security_severity: float = Field(gt=0.0, le=10.0)
    short_description: str = Field(max_length=1024)
    full_description: str = Field(max_length=1024)
    remediation: str
    regulations: tuple[str, ...]
    tags: tuple[str, ...] = Field(max_length=10)


class ClassFile(Strict):
    """vendor_db/classes.yaml."""

    schema_version: Literal[1]
    classes: tuple[DetectionClassRule, ...]


class Normalization(Strict):
    """Name-normalisation data: legal-form words ignored when comparing names, and phrases
    that, next to a hit in free text, say the text is about Kaspersky rather than from it."""

    schema_version: Literal[1]
    legal_forms: tuple[str, ...]
    benign_context: tuple[str, ...]


#: How well an OEM / white-label relationship is established.
OemStatus = Literal["documented", "third-party", "unverified", "refuted"]


class OemRelationship(Strict):
    """A company that licensed, embedded or white-labelled Kaspersky technology, or is claimed
    to have. Context for findings only: a relationship never creates a finding on its own."""

    id: str = Field(pattern=r"^KL-OEM-\d{3}$")
    vendor: str = Field(min_length=2, description="The licensee company")
    vendor_aliases: tuple[str, ...] = Field(default=(), description="Other spellings")
    product_line: str = Field(min_length=2)
    period: str = Field(min_length=1, description="Free text, e.g. 'From JUNOS 9.5 (c. 2008)'")
    licensed: str = Field(min_length=2, description="What was licensed: engine, signatures, SDK")
    status: OemStatus = Field(
        description="documented (vendor or official document), third-party (reported by others "
        "only), unverified (a claim no source confirms), refuted (sources contradict the claim)"
    )
    confidence: ConfidenceName
    evidence: str = Field(min_length=3)
    sources: tuple[Source, ...] = Field(min_length=1)
    related_indicators: tuple[str, ...] = Field(
        default=(), description="Ids of indicators that mark this relationship's technology"
    )
    notes: str | None = None

    @model_validator(mode="after")
    def _status_confidence(self) -> OemRelationship:
        if self.status != "documented" and self.confidence == "high":
            raise ValueError(f"{self.id}: only a documented relationship may be high confidence")
        return self


class OemFile(Strict):
    """vendor_db/kaspersky/oem.yaml."""

    schema_version: Literal[1]
    description: str
    relationships: tuple[OemRelationship, ...]


#: What a look-alike value is compared with: a record's name, its package URL, or a name token.
LookalikeKind = Literal["package-name", "purl", "token"]


class Lookalike(Strict):
    """A known non-Kaspersky name that collides with Kaspersky names. A record named exactly
    this is ruled out for name-derived hits on that name (other facts still count)."""

    id: str = Field(pattern=r"^KL-LOOK-\d{3}$")
    value: str = Field(min_length=2)
    kind: LookalikeKind
    ecosystem: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9.+-]+$",
        description="Package-URL type the value belongs to (pypi, npm...); none: any",
    )
    reason: str = Field(min_length=3, description="Why it is not Kaspersky")
    sources: tuple[Source, ...] = Field(min_length=1)
    added: dt.date
    notes: str | None = None

    @model_validator(mode="after")
    def _value_shape(self) -> Lookalike:
        if self.kind == "purl":
            if not re.match(r"^pkg:[a-z0-9.+-]+/[^\s@?#]+$", self.value):
                raise ValueError(f"{self.id}: purl must be 'pkg:type/[namespace/]name'")
            ptype = self.value[4:].split("/", 1)[0]
            if self.ecosystem is not None and self.ecosystem != ptype:
                raise ValueError(f"{self.id}: ecosystem {self.ecosystem!r} is not the purl type")
        elif self.value != self.value.strip() or not self.value.strip():
            raise ValueError(f"{self.id}: value must not have surrounding spaces")
        return self


class LookalikeFile(Strict):
    """vendor_db/kaspersky/lookalikes.yaml."""

    schema_version: Literal[1]
    description: str
    lookalikes: tuple[Lookalike, ...]


class DatabaseMeta(Strict):
    """vendor_db/db.yaml."""

    schema_version: Literal[1]
    name: str
    vendor: str
    version: str = Field(pattern=r"^\d{4}\.\d{2}\.\d{2}(\.\d+)?$")
    description: str
    indicator_files: tuple[str, ...] = Field(min_length=1)
    oem_file: str | None = Field(default=None, description="OEM / white-label relationships")
    lookalike_file: str | None = Field(default=None, description="Known non-Kaspersky names")


def json_schema() -> dict[str, object]:
    """The JSON Schema of every vendor_db file type, keyed by file role."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "kaspersky-sbom-auditor vendor_db",
        "$defs": {
            "db": DatabaseMeta.model_json_schema(),
            "indicators": IndicatorFile.model_json_schema(),
            "overlay": OverlayFile.model_json_schema(),
            "entities": EntityFile.model_json_schema(),
            "regulations": RegulationFile.model_json_schema(),
            "classes": ClassFile.model_json_schema(),
            "normalization": Normalization.model_json_schema(),
            "oem": OemFile.model_json_schema(),
            "lookalikes": LookalikeFile.model_json_schema(),
        },
    }


def render_json_schema() -> str:
    """The schema as the text committed to vendor_db/schema.json."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # pragma: no cover - developer tool
    sys.stdout.write(render_json_schema())
