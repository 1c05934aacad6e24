"""The result model shared by every layer: facts read from inputs, findings, outcomes.

All records are frozen, slotted dataclasses. Layers change them with ``dataclasses.replace``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.intel.load import Database


class OrderedEnum(str, enum.Enum):
    """A string enum whose members compare by their declaration order."""

    @property
    def rank(self) -> int:
        return list(type(self)).index(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.rank >= other.rank

    def __str__(self) -> str:
        return str(self.value)


class Level(OrderedEnum):
    """SARIF result level, lowest first."""

    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"


class Confidence(OrderedEnum):
    """How sure a finding is, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    def raised(self) -> Confidence:
        """One step higher, saturating at HIGH."""
        members = list(Confidence)
        return members[min(self.rank + 1, len(members) - 1)]

    def lowered(self) -> Confidence:
        """One step lower, saturating at LOW."""
        members = list(Confidence)
        return members[max(self.rank - 1, 0)]


class DetectionClass(str, enum.Enum):
    """What a finding means; one SARIF rule each (ids live in vendor_db/classes.yaml)."""

    PRODUCT = "product"
    EMBEDDED = "embedded"
    AUTHORED = "authored"
    SERVICE = "service"
    MENTION = "mention"

    def __str__(self) -> str:
        return self.value


class FieldKind(str, enum.Enum):
    """The meaning of one value read from an SBOM record."""

    NAME = "name"
    GROUP = "group"
    VERSION = "version"
    DESCRIPTION = "description"
    SUPPLIER = "supplier"
    MANUFACTURER = "manufacturer"
    PUBLISHER = "publisher"
    AUTHOR = "author"
    ORIGINATOR = "originator"
    COPYRIGHT = "copyright"
    PURL = "purl"
    CPE = "cpe"
    SWID = "swid"
    HASH = "hash"
    URL = "url"
    EMAIL = "email"
    LICENSE = "license"
    PROPERTY = "property"
    EVIDENCE = "evidence"
    PROVIDER = "provider"
    ENDPOINT = "endpoint"
    FILENAME = "filename"
    CERT_SUBJECT = "cert-subject"
    CERT_ISSUER = "cert-issuer"
    CERT_SERIAL = "cert-serial"
    TEXT = "text"

    def __str__(self) -> str:
        return self.value


class Tier(str, enum.Enum):
    """How much a value in a field says about who made a component."""

    IDENTITY = "identity"  # names, purl, CPE, SWID, hashes, file names
    ATTRIBUTION = "attribution"  # supplier, manufacturer, publisher, author, copyright
    LINK = "link"  # URLs, e-mail addresses, service endpoints
    TEXT = "text"  # descriptions, comments, properties, licence texts

    def __str__(self) -> str:
        return self.value


FIELD_TIER: dict[FieldKind, Tier] = {
    FieldKind.NAME: Tier.IDENTITY,
    FieldKind.GROUP: Tier.IDENTITY,
    FieldKind.VERSION: Tier.TEXT,
    FieldKind.PURL: Tier.IDENTITY,
    FieldKind.CPE: Tier.IDENTITY,
    FieldKind.SWID: Tier.IDENTITY,
    FieldKind.HASH: Tier.IDENTITY,
    FieldKind.FILENAME: Tier.IDENTITY,
    FieldKind.SUPPLIER: Tier.ATTRIBUTION,
    FieldKind.MANUFACTURER: Tier.ATTRIBUTION,
    FieldKind.PUBLISHER: Tier.ATTRIBUTION,
    FieldKind.AUTHOR: Tier.ATTRIBUTION,
    FieldKind.ORIGINATOR: Tier.ATTRIBUTION,
    FieldKind.COPYRIGHT: Tier.ATTRIBUTION,
    FieldKind.PROVIDER: Tier.ATTRIBUTION,
    FieldKind.CERT_SUBJECT: Tier.ATTRIBUTION,
    FieldKind.CERT_SERIAL: Tier.IDENTITY,
    FieldKind.CERT_ISSUER: Tier.TEXT,
    FieldKind.URL: Tier.LINK,
    FieldKind.EMAIL: Tier.LINK,
    FieldKind.ENDPOINT: Tier.LINK,
    FieldKind.DESCRIPTION: Tier.TEXT,
    FieldKind.LICENSE: Tier.TEXT,
    FieldKind.PROPERTY: Tier.TEXT,
    FieldKind.EVIDENCE: Tier.TEXT,
    FieldKind.TEXT: Tier.TEXT,
}


class ComponentKind(str, enum.Enum):
    """What an SBOM record describes."""

    DOCUMENT = "document"  # the SBOM's own metadata (authors, tools' supplier, ...)
    COMPONENT = "component"  # CycloneDX component, SPDX 3 software element
    SERVICE = "service"  # CycloneDX service
    PACKAGE = "package"  # SPDX package
    FILE = "file"  # SPDX file
    SNIPPET = "snippet"  # SPDX snippet
    BINARY = "binary"  # an executable, library or driver read from its bytes

    def __str__(self) -> str:
        return self.value


class SbomFormat(str, enum.Enum):
    """A concrete SBOM serialisation, as identified by content sniffing."""

    CYCLONEDX_JSON = "cyclonedx-json"
    CYCLONEDX_XML = "cyclonedx-xml"
    SPDX_JSON = "spdx-json"
    SPDX_YAML = "spdx-yaml"
    SPDX_XML = "spdx-xml"
    SPDX_TAGVALUE = "spdx-tag-value"
    SPDX_RDF = "spdx-rdf-xml"
    SPDX3_JSONLD = "spdx3-json-ld"
    PE = "pe"
    ELF = "elf"
    MACHO = "mach-o"
    JAVA_ARCHIVE = "java-archive"  # JAR, WAR, EAR, AAR, APK
    DPKG = "dpkg-control"  # Debian control file or dpkg status database
    PYTHON_METADATA = "python-metadata"  # dist-info METADATA / egg-info PKG-INFO
    ARCHIVE = "archive"  # a container file itself (its name and digest)
    RPM = "rpm"  # an RPM package's header
    APK_INSTALLED = "apk-installed"  # Alpine lib/apk/db/installed
    NPM_PACKAGE = "npm-package"  # node_modules/<name>/package.json
    DOTNET_DEPS = "dotnet-deps"  # <app>.deps.json
    PACKAGE_FILE_LIST = "package-file-list"  # dpkg/opkg info/<package>.list
    MSI = "msi"  # a Windows Installer package's summary information
    JAVA_MANIFEST = "java-manifest"  # META-INF/MANIFEST.MF or Maven pom.properties, unpacked
    RPM_DATABASE = "rpm-database"  # var/lib/rpm/rpmdb.sqlite (Packages: recognised, not read)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Fact:
    """One value a record states, with the field it came from.

    ``where`` is a pointer relative to the record (a JSON pointer suffix such as
    ``/supplier/name``, an XML path suffix, or empty) so evidence can be located precisely.
    """

    field: FieldKind
    value: str
    where: str = ""
    #: Set by readers when the value's provenance is doubtful, e.g. "unverified-signature".
    qualifier: str = ""


@dataclass(frozen=True, slots=True)
class Component:
    """One record of an SBOM (component, service, package, file, snippet or the metadata)."""

    ref: str
    kind: ComponentKind
    name: str
    version: str
    pointer: str
    facts: tuple[Fact, ...]
    line: int | None = None
    parent: str | None = None
    #: Readers may defer fact extraction: ``deferred()`` returns the facts, and ``prefilter``
    #: holds every string of the record (any encoding of them that keeps their letters), so the
    #: matcher only extracts facts for records that can match.
    deferred: Callable[[], tuple[Fact, ...]] | None = field(default=None, compare=False, repr=False)
    prefilter: bytes | None = field(default=None, compare=False, repr=False)

    def realized(self) -> Component:
        """This record with its facts extracted."""
        if self.deferred is None:
            return self
        return replace(self, facts=self.deferred(), deferred=None, prefilter=None)

    @property
    def display(self) -> str:
        """Name and version for humans."""
        name = self.name or self.ref
        return f"{name}@{self.version}" if self.version else name


@dataclass(frozen=True, slots=True)
class SbomDocument:
    """Everything one SBOM says that the matchers need, in reading order."""

    path: str
    format: SbomFormat
    spec_version: str
    components: tuple[Component, ...]
    edges: tuple[tuple[str, str], ...] = ()
    roots: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    name: str = ""
    sha256: str = ""
    #: Whether an object repeats a key: False when the parser proved none does, True when one
    #: does, None when unknown (not JSON, or the fast parser could not read it).
    duplicate_keys: bool | None = None
    #: How many records were read, once :meth:`without_records` has let them go.
    record_count: int | None = None

    def realized(self) -> SbomDocument:
        """This document with every record's facts extracted (readers may defer them)."""
        return replace(self, components=tuple(c.realized() for c in self.components))

    @property
    def records(self) -> int:
        """How many records the document has (or had, before they were let go)."""
        return len(self.components) if self.record_count is None else self.record_count

    def without_records(self) -> SbomDocument:
        """This document's summary (path, format, name, digest, problems, record count) with
        its records, edges and roots let go: what a report needs once findings are built."""
        return replace(self, components=(), edges=(), roots=(), record_count=self.records)


class Disposition(str, enum.Enum):
    """Why an input produced no document."""

    NOT_INSPECTED = "not-inspected"  # could not be read: the audit is incomplete
    NOT_AN_SBOM = "not-an-sbom"  # found while walking a directory, holds no SBOM: ignored

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input that was not audited, and why. Never silent: every report lists these."""

    path: str
    reason: str
    disposition: Disposition = Disposition.NOT_INSPECTED


@dataclass(frozen=True, slots=True)
class IndicatorHit:
    """One vendor_db indicator that fired on one value of one record."""

    indicator_id: str
    kind: str
    label: str
    field: FieldKind
    value: str
    where: str
    confidence: Confidence
    implies: DetectionClass
    sources: tuple[str, ...]
    benign_context: str = ""
    qualifier: str = ""
    #: The indicator came from an overlay file (``--db-overlay``), not from vendor_db itself.
    overlay: bool = False

    @property
    def tier(self) -> Tier:
        return FIELD_TIER[self.field]


@dataclass(frozen=True, slots=True)
class Region:
    """A text region in an input file: 1-based lines and Unicode code-point columns."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class OemNote:
    """An OEM / white-label relationship of a company named on a finding's record: context,
    never evidence on its own. ``corroborated``: a documented relationship whose related
    indicators fired on the record (it raised the finding's confidence by one step)."""

    id: str
    vendor: str
    status: str
    product_line: str
    corroborated: bool = False


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding is accepted: an ignore entry of the configuration file."""

    reason: str
    source: str  # "<config file>: ignore[<index>]"
    expires: str = ""  # ISO date, empty when the entry never expires


@dataclass(frozen=True, slots=True)
class Finding:
    """A conclusion about one record: what it is, how sure, and every piece of evidence."""

    rule_id: str
    detection_class: DetectionClass
    level: Level
    confidence: Confidence
    artifact: str
    component: Component
    hits: tuple[IndicatorHit, ...]
    message: str
    fingerprint: str
    dependency_path: tuple[str, ...] = ()
    other_vendors: tuple[str, ...] = ()
    covered_by: tuple[str, ...] = ()
    region: Region | None = None
    evidence_regions: tuple[Region | None, ...] = ()
    #: Ids of OEM relationships of the companies named on the record (vendor_db oem.yaml).
    oem: tuple[str, ...] = ()
    #: The same relationships, with what reports show of them.
    oem_notes: tuple[OemNote, ...] = ()
    #: Set when a configured ignore entry accepts this finding (kept in reports, never counted).
    suppression: Suppression | None = None
    #: "new" or "unchanged" when the run compares with a baseline (``--baseline``); else "".
    baseline_state: str = ""

    @property
    def active(self) -> bool:
        """True when the finding counts towards the verdict: not suppressed, not in the
        accepted baseline."""
        return self.suppression is None and self.baseline_state != "unchanged"


@dataclass(frozen=True, slots=True)
class AuditResult:
    """The outcome of one audit run: findings, documents read, inputs not audited."""

    findings: tuple[Finding, ...]
    documents: tuple[SbomDocument, ...]
    skipped: tuple[Skipped, ...]
    db_version: str
    db_digest: str
    tool_version: str
    problems: dict[str, tuple[str, ...]] = field(default_factory=dict)
    database: Database | None = None
    #: Notes about the run's configuration (expired ignores, unused ignores, the baseline).
    notices: tuple[str, ...] = ()

    @property
    def active_findings(self) -> tuple[Finding, ...]:
        """Findings that count: neither suppressed nor unchanged since the baseline."""
        return tuple(f for f in self.findings if f.active)

    @property
    def not_inspected(self) -> tuple[Skipped, ...]:
        """Inputs that could not be read; any of these makes the audit incomplete."""
        return tuple(s for s in self.skipped if s.disposition is Disposition.NOT_INSPECTED)

    @property
    def complete(self) -> bool:
        return not self.not_inspected
