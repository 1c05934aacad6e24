"""The project configuration: ``.kaspersky-audit.toml``, or ``[tool.kaspersky-audit]`` in
``pyproject.toml``. Strict: an unknown key is an error, every ignore entry needs a reason.

    fail-on = "warning"

    [[ignore]]
    rule = "KAS005"                 # or class = "mention"; or indicator = "KL-NAME-002"
    subject = "acme-uninstaller*"   # glob on the component's name, name@version or ref
    artifact = "vendor/**"          # glob on where it was found
    reason = "Competitor uninstaller: lists avp.exe, ships no Kaspersky code (ticket SEC-42)"
    expires = 2027-06-30            # after this date the entry stops suppressing, and says so
"""

from __future__ import annotations

import datetime
import fnmatch
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from auditor.errors import UsageError
from auditor.models import AuditResult, Finding, Suppression
from auditor.outcome import FailOn

CONFIG_FILE = ".kaspersky-audit.toml"


class IgnoreEntry(BaseModel):
    """One accepted finding pattern. Every selector given must match; at least one is needed."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    rule: str | None = Field(None, pattern=r"^KAS\d{3}$", description="Rule id, e.g. KAS005")
    detection_class: str | None = Field(
        None,
        alias="class",
        pattern=r"^(product|embedded|authored|service|mention)$",
        description="Detection class",
    )
    indicator: str | None = Field(None, description="A vendor_db indicator id among the evidence")
    subject: str | None = Field(None, description="Glob on the component name, name@version, ref")
    artifact: str | None = Field(None, description="Glob on the artifact path")
    fingerprint: str | None = Field(None, description="The finding's exact fingerprint")
    reason: str = Field(min_length=3, description="Why this is accepted (mandatory)")
    expires: datetime.date | None = Field(None, description="Stops suppressing after this date")

    @model_validator(mode="after")
    def _needs_a_selector(self) -> IgnoreEntry:
        selectors = (
            self.rule,
            self.detection_class,
            self.indicator,
            self.subject,
            self.artifact,
            self.fingerprint,
        )
        if not any(selectors):
            raise ValueError(
                "an ignore entry needs at least one of rule, class, indicator, subject, "
                "artifact, fingerprint"
            )
        return self

    def matches(self, finding: Finding) -> bool:
        """True when every selector of this entry matches ``finding``."""
        component = finding.component
        subjects = {component.name, component.ref, f"{component.name}@{component.version}"}
        return (
            (self.rule is None or self.rule == finding.rule_id)
            and (
                self.detection_class is None
                or self.detection_class == finding.detection_class.value
            )
            and (
                self.indicator is None
                or any(hit.indicator_id == self.indicator for hit in finding.hits)
            )
            and (
                self.subject is None
                or any(fnmatch.fnmatchcase(s, self.subject) for s in subjects if s)
            )
            and (self.artifact is None or fnmatch.fnmatchcase(finding.artifact, self.artifact))
            and (self.fingerprint is None or self.fingerprint == finding.fingerprint)
        )


class Config(BaseModel):
    """The whole configuration file."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    fail_on: FailOn | None = Field(None, alias="fail-on")
    ignore: tuple[IgnoreEntry, ...] = ()


def _toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except OSError as exc:
        raise UsageError(f"{path}: cannot read configuration: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None


def load_config(explicit: Path | None = None, directory: Path | None = None) -> tuple[Config, str]:
    """The configuration and where it came from ('' when there is none).

    ``explicit`` (``--config``) must exist; otherwise ``.kaspersky-audit.toml`` and then
    ``pyproject.toml``'s ``[tool.kaspersky-audit]`` in ``directory`` (default: the working
    directory) are used when present.
    """
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"{explicit}: no such configuration file")
        candidates = [explicit]
    else:
        base = directory or Path.cwd()
        candidates = [p for p in (base / CONFIG_FILE, base / "pyproject.toml") if p.is_file()]
    for path in candidates:
        data = _toml(path)
        if path.name == "pyproject.toml" and path != explicit:
            section = data.get("tool", {}).get("kaspersky-audit")
            if section is None:
                continue
            data, source = section, f"{path.name} [tool.kaspersky-audit]"
        elif path.name == "pyproject.toml":
            data, source = data.get("tool", {}).get("kaspersky-audit", {}), str(path)
        else:
            source = str(path) if explicit else path.name
        try:
            return Config.model_validate(data), source
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or '(top)'}: {error['msg']}"
                for error in exc.errors()
            )
            raise UsageError(f"{source}: invalid configuration: {problems}") from None
    return Config.model_construct(), ""  # no file: defaults, without building validators


def apply_ignores(
    result: AuditResult, config: Config, source: str, today: datetime.date | None = None
) -> AuditResult:
    """Mark the findings accepted by an ignore entry; expired and unused entries become
    notices (an expired entry suppresses nothing)."""
    if not config.ignore:
        return result
    today = today or datetime.date.today()
    used: set[int] = set()
    notices = list(result.notices)
    findings: list[Finding] = []
    for finding in result.findings:
        for index, entry in enumerate(config.ignore):
            if entry.matches(finding):
                used.add(index)
                if entry.expires is not None and entry.expires < today:
                    continue
                suppression = Suppression(
                    reason=entry.reason,
                    source=f"{source}: ignore[{index}]",
                    expires=entry.expires.isoformat() if entry.expires else "",
                )
                finding = replace(finding, suppression=suppression)
                break
        findings.append(finding)
    for index, entry in enumerate(config.ignore):
        where = f"{source}: ignore[{index}]"
        if entry.expires is not None and entry.expires < today:
            notices.append(
                f"{where} expired on {entry.expires.isoformat()} and no longer suppresses "
                f"anything (reason was: {entry.reason})"
            )
        elif index not in used:
            notices.append(f"{where} matched no finding; remove it if it is obsolete")
    return replace(result, findings=tuple(findings), notices=tuple(notices))
