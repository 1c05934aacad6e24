"""Load vendor_db from disk, validate every file, and fingerprint the whole database."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from auditor import __version__
from auditor.errors import DatabaseError
from auditor.intel.schema import (
    ClassFile,
    DatabaseMeta,
    DetectionClassRule,
    Entity,
    EntityFile,
    Indicator,
    IndicatorFile,
    Lookalike,
    LookalikeFile,
    Normalization,
    OemFile,
    OemRelationship,
    OverlayFile,
    OverlayIndicator,
    Regulation,
    RegulationFile,
)

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Database:
    """The validated content of vendor_db."""

    root: Path
    meta: DatabaseMeta
    indicators: tuple[Indicator, ...]
    entities: tuple[Entity, ...]
    regulations: dict[str, Regulation]
    classes: dict[str, DetectionClassRule]
    normalization: Normalization
    digest: str
    #: Overlay files (``--db-overlay``) whose indicators were added, in the order given.
    overlays: tuple[Path, ...] = ()
    #: OEM / white-label relationships (context for findings, never evidence on their own).
    oem: tuple[OemRelationship, ...] = ()
    #: Known non-Kaspersky names that collide with Kaspersky names.
    lookalikes: tuple[Lookalike, ...] = ()

    @property
    def version(self) -> str:
        return self.meta.version


def is_overlay(indicator: Indicator) -> bool:
    """True for an indicator that came from an overlay file rather than vendor_db itself."""
    return isinstance(indicator, OverlayIndicator)


def default_root() -> Path:
    """vendor_db shipped in the wheel, or the repository's vendor_db in a source checkout."""
    package = Path(__file__).resolve().parent.parent
    bundled = package / "_vendor_db"
    if bundled.is_dir():
        return bundled
    return package.parent / "vendor_db"


def _load(path: Path, model: type[Model], hasher: Any) -> Model:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatabaseError(f"vendor_db: cannot read {path}: {exc.strerror}") from None
    hasher.update(path.name.encode() + b"\0" + raw + b"\0")
    import yaml  # only on a cache miss: start-up with a cached database never parses YAML

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(raw, Loader=loader)  # noqa: S506 - safe loader
    except yaml.YAMLError as exc:
        raise DatabaseError(f"vendor_db: {path}: invalid YAML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise DatabaseError(
            f"vendor_db: {path}: {where}: {first['msg']} ({exc.error_count()} error(s))"
        ) from None


def _cache_home() -> Path | None:
    """Where the validated database is cached (None: caching is off)."""
    if os.environ.get("KASPERSKY_AUDIT_NO_DB_CACHE"):
        return None
    base = os.environ.get("KASPERSKY_AUDIT_CACHE_HOME") or os.environ.get("XDG_CACHE_HOME")
    home = Path(base) if base else Path.home() / ".cache"
    return home / "kaspersky-audit" / "vendor_db"


def _source_key(root: Path, overlays: Sequence[Path]) -> str:
    """A hash of every YAML file of the database and of the overlays, with their names."""
    hasher = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*.yaml")):
        hasher.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    for path in overlays:
        hasher.update(str(Path(path).resolve()).encode() + b"\0" + Path(path).read_bytes())
    return hasher.hexdigest()


def load_database(root: Path | None = None, overlays: Sequence[Path] = ()) -> Database:
    """Load and validate vendor_db at ``root`` (default: the bundled database), then add the
    indicators of each overlay file. The digest covers the overlays' bytes too.

    The validated database is cached (signed, keyed by the bytes of every file and the tool
    version) so that start-up skips YAML parsing and validation when nothing changed."""
    root = (root or default_root()).resolve()
    home = _cache_home()
    if home is None:
        return _load_database(root, overlays)
    try:
        from auditor.cache import ResultCache

        key = _source_key(root, overlays)
        cache = ResultCache(home, __version__)
        cached = cache.get(str(root), key)
    except OSError:  # unreadable files are reported by the real load; no cache directory
        return _load_database(root, overlays)
    if isinstance(cached, Database):
        return cached
    database = _load_database(root, overlays)
    cache.put(str(root), key, database)
    return database


def _load_database(root: Path, overlays: Sequence[Path]) -> Database:
    if not (root / "db.yaml").is_file():
        raise DatabaseError(f"vendor_db: no db.yaml in {root}")
    hasher = hashlib.sha256()
    meta = _load(root / "db.yaml", DatabaseMeta, hasher)
    classes = _load(root / "classes.yaml", ClassFile, hasher)
    regulations = _load(root / "regulations.yaml", RegulationFile, hasher)
    normalization = _load(root / "normalization.yaml", Normalization, hasher)
    entities = _load(root / "kaspersky" / "entities.yaml", EntityFile, hasher)
    indicators: list[Indicator] = []
    for name in meta.indicator_files:
        indicators.extend(_load(root / name, IndicatorFile, hasher).indicators)
    oem = _load(root / meta.oem_file, OemFile, hasher).relationships if meta.oem_file else ()
    lookalikes = (
        _load(root / meta.lookalike_file, LookalikeFile, hasher).lookalikes
        if meta.lookalike_file
        else ()
    )
    _check_extras(indicators, oem, lookalikes)
    overlay_paths = tuple(Path(path).resolve() for path in overlays)
    indicators.extend(_load_overlays(overlay_paths, indicators, hasher))
    _check_references(indicators, entities.entities, classes, regulations)
    return Database(
        root=root,
        meta=meta,
        indicators=tuple(indicators),
        entities=entities.entities,
        regulations={reg.id: reg for reg in regulations.regulations},
        classes={rule.detection_class: rule for rule in classes.classes},
        normalization=normalization,
        digest=hasher.hexdigest(),
        overlays=overlay_paths,
        oem=oem,
        lookalikes=lookalikes,
    )


def _load_overlays(
    paths: tuple[Path, ...], builtin: list[Indicator], hasher: Any
) -> list[Indicator]:
    """Indicators of the overlay files; an id already used (built in or by an earlier overlay)
    is an error rather than a silent replacement."""
    taken = {indicator.id: "a built-in indicator" for indicator in builtin}
    added: list[Indicator] = []
    for path in paths:
        if not path.is_file():
            raise DatabaseError(f"vendor_db overlay: {path}: no such file")
        for indicator in _load(path, OverlayFile, hasher).indicators:
            if indicator.id in taken:
                raise DatabaseError(
                    f"vendor_db overlay: {path}: id {indicator.id} collides with "
                    f"{taken[indicator.id]}"
                )
            taken[indicator.id] = f"overlay {path.name}"
            added.append(indicator)
    return added


def _check_references(
    indicators: list[Indicator],
    entities: tuple[Entity, ...],
    classes: ClassFile,
    regulations: RegulationFile,
) -> None:
    """Cross-file rules the per-file schema cannot express."""
    seen: set[str] = set()
    for indicator in indicators:
        if indicator.id in seen:
            raise DatabaseError(f"vendor_db: duplicate indicator id {indicator.id}")
        seen.add(indicator.id)
    entity_ids = {entity.id for entity in entities}
    for indicator in indicators:
        if indicator.entity and indicator.entity not in entity_ids:
            raise DatabaseError(
                f"vendor_db: {indicator.id} names unknown entity {indicator.entity}"
            )
    wanted = {"product", "embedded", "authored", "service", "mention"}
    have = {rule.detection_class for rule in classes.classes}
    if have != wanted:
        raise DatabaseError(f"vendor_db: classes.yaml must define exactly {sorted(wanted)}")
    rule_ids = [rule.rule_id for rule in classes.classes]
    if len(set(rule_ids)) != len(rule_ids):
        raise DatabaseError("vendor_db: classes.yaml reuses a rule id")
    regulation_ids = {reg.id for reg in regulations.regulations}
    for rule in classes.classes:
        for reg in rule.regulations:
            if reg not in regulation_ids:
                raise DatabaseError(
                    f"vendor_db: class {rule.rule_id} cites unknown regulation {reg}"
                )


def lookalike_collision(lookalike: Lookalike, indicators: Sequence[Indicator]) -> str | None:
    """Id of an indicator whose value equals the look-alike's value (case-insensitive), if any:
    a name cannot be both a Kaspersky indicator and a known non-Kaspersky look-alike."""
    value = lookalike.value.casefold()
    bare = value.rsplit("/", 1)[-1] if lookalike.kind == "purl" else value
    for indicator in indicators:
        other = indicator.value.casefold()
        if other in (value, bare):
            return indicator.id
    return None


def _check_extras(
    indicators: list[Indicator],
    oem: tuple[OemRelationship, ...],
    lookalikes: tuple[Lookalike, ...],
) -> None:
    """OEM relationships and look-alikes: unique ids, known related indicators, and no
    look-alike that equals an indicator's value."""
    indicator_ids = {indicator.id for indicator in indicators}
    seen: set[str] = set()
    for relationship in oem:
        if relationship.id in seen:
            raise DatabaseError(f"vendor_db: duplicate OEM relationship id {relationship.id}")
        seen.add(relationship.id)
        for related in relationship.related_indicators:
            if related not in indicator_ids:
                raise DatabaseError(
                    f"vendor_db: {relationship.id} names unknown indicator {related}"
                )
    values: set[tuple[str, str]] = set()
    for lookalike in lookalikes:
        if lookalike.id in seen:
            raise DatabaseError(f"vendor_db: duplicate look-alike id {lookalike.id}")
        seen.add(lookalike.id)
        key = (lookalike.kind, lookalike.value.casefold())
        if key in values:
            raise DatabaseError(f"vendor_db: {lookalike.id} repeats look-alike {lookalike.value!r}")
        values.add(key)
        collision = lookalike_collision(lookalike, indicators)
        if collision:
            raise DatabaseError(
                f"vendor_db: look-alike {lookalike.id} ({lookalike.value!r}) equals the value of "
                f"indicator {collision}"
            )
