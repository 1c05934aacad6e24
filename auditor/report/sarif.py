"""SARIF 2.1.0 output, shaped for GitHub code scanning. Byte-identical for identical input."""

from __future__ import annotations

import gzip
import json
import re
import shlex
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from auditor import __version__
from auditor.ingest.containers import SEPARATOR
from auditor.intel.load import Database
from auditor.messages import evidence_line
from auditor.models import (
    AuditResult,
    Disposition,
    Finding,
    Level,
    OemNote,
    Region,
    Skipped,
)
from auditor.report.context import RunContext

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "kaspersky-sbom-auditor"
INFORMATION_URI = "https://github.com/kaspersky-sbom-auditor/kaspersky-sbom-auditor"
FINGERPRINT_KEY = "kasperskyAuditor/v1"
EXIT_CODES_HELP = (
    "Inputs that could not be read are listed with their reason and make the run exit with "
    "code 3 (incomplete) unless findings already make it exit with 1."
)
_PRECISION = {"high": "high", "medium": "medium", "low": "low"}

#: Notification descriptors: ids are permanent, like rule ids.
NOTIFICATIONS = (
    ("KAS900", "InputNotInspected", "An input could not be read; the audit is incomplete."),
    ("KAS901", "InputNotAnSbom", "A file found in a scanned directory is not an SBOM."),
    (
        "KAS902",
        "SchemaProblems",
        "An SBOM breaks its schema; it was audited as far as it could be read.",
    ),
    (
        "KAS903",
        "ConfigurationNotice",
        "A note on the run's configuration: an expired or unused ignore entry, or the baseline.",
    ),
    (
        "KAS904",
        "ResultsLimited",
        "More results than GitHub code scanning accepts in one run: the most severe are kept.",
    ),
)


def _rule(db: Database, detection_class: str) -> dict[str, Any]:
    rule = db.classes[detection_class]
    regulations = [db.regulations[reg] for reg in rule.regulations]
    cites_text = " ".join(f"{reg.title} ({reg.citation}): {reg.summary}" for reg in regulations)
    cites_md = "\n".join(
        f"- **{reg.title}** ({reg.citation}). {reg.summary} [Source]({reg.sources[0].url})"
        for reg in regulations
    )
    help_text = f"{rule.full_description} What to do: {rule.remediation} Regulations: {cites_text}"
    help_md = (
        f"{rule.full_description}\n\n**What to do:** {rule.remediation}\n\n"
        f"**Regulations:**\n{cites_md}\n\n"
        "Each result lists the vendor_db indicators that fired and their public sources."
    )
    return {
        "id": rule.rule_id,
        "name": rule.name,
        "shortDescription": {"text": rule.short_description},
        "fullDescription": {"text": rule.full_description},
        "help": {"text": help_text, "markdown": help_md},
        "helpUri": f"{INFORMATION_URI}/blob/main/docs/rules.md#{rule.rule_id.lower()}",
        "defaultConfiguration": {"level": rule.level},
        "properties": {
            "tags": list(rule.tags),
            "precision": "high" if rule.level == "error" else "medium",
            "security-severity": f"{rule.security_severity:.1f}",
            "detectionClass": rule.detection_class,
        },
    }


def artifact_uri(path: str) -> str:
    """A URI for a displayed path: relative (percent-encoded) inside the working directory,
    ``file://`` for absolute paths."""
    if path.startswith("/") or (len(path) > 2 and path[1] == ":"):
        return PurePath(path).as_uri() if PurePath(path).is_absolute() else quote(path, safe="/")
    return quote(path, safe="/")


def _region(region: Region | None) -> dict[str, int]:
    if region is None:
        return {"startLine": 1}
    return {
        "startLine": region.start_line,
        "startColumn": region.start_column,
        "endLine": region.end_line,
        "endColumn": max(
            region.end_column, region.start_column if region.end_line == region.start_line else 1
        ),
    }


def _physical(uri: str, index: int, region: Region | None) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(uri), "index": index},
            "region": _region(region),
        }
    }


_OFFSET = re.compile(r"^/(strings|embedded-certificates)/0x([0-9a-f]+)")


def _binary_place(entry: dict[str, Any], where: str, value: str) -> None:
    """Evidence inside a binary: its byte range where known, and its structural path
    (signature index, resource path, section, offset) as a logical location."""
    if not where.startswith(
        (
            "/strings/",
            "/signatures/",
            "/version-info/",
            "/embedded-",
            "/classes/",
            "/manifest/",
            "/dynamic/",
            "/sections/",
            "/imports/",
            "/debug/",
            "/load-commands/",
            "/META-INF/",
        )
    ):
        return
    found = _OFFSET.match(where)
    if found and found.group(1) == "strings":
        entry["physicalLocation"]["region"] = {
            "startLine": 1,
            "byteOffset": int(found.group(2), 16),
            "byteLength": max(len(value), 1),
        }
    entry["logicalLocations"] = [{"fullyQualifiedName": where, "kind": "member"}]


def _oem(note: OemNote) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": note.id, "vendor": note.vendor, "status": note.status}
    if note.corroborated:
        entry["corroborated"] = True
    return entry


def outer_file(artifact: str) -> str:
    """The real file a location chain starts from (``fw.bin!/rootfs!/x.so`` -> ``fw.bin``)."""
    return artifact.split(SEPARATOR, 1)[0]


def _result(finding: Finding, rule_index: int, artifact_index: int) -> dict[str, Any]:
    """One SARIF result. A finding inside a container is located on the real file the chain
    starts from (a path GitHub can show and that exists in the repository), with the chain as a
    logical location and in the message."""
    component = finding.component
    nested = SEPARATOR in finding.artifact
    uri = outer_file(finding.artifact)
    location = _physical(uri, artifact_index, None if nested else finding.region)
    location["logicalLocations"] = [
        {
            "name": component.display,
            "fullyQualifiedName": component.pointer or component.ref,
            "kind": "element",
        }
    ]
    if nested:
        location["logicalLocations"].insert(
            0,
            {
                "name": finding.artifact.rsplit(SEPARATOR, 1)[-1],
                "fullyQualifiedName": finding.artifact,
                "kind": "resource",
            },
        )
    related = []
    regions = finding.evidence_regions or (None,) * len(finding.hits)
    for number, (hit, region) in enumerate(zip(finding.hits, regions, strict=False), start=1):
        entry = _physical(uri, artifact_index, None if nested else region)
        if not nested:  # offsets and lines inside a member mean nothing on the outer file
            _binary_place(entry, hit.where, hit.value)
        entry["id"] = number
        entry["message"] = {"text": f"Evidence: {evidence_line(hit)}. Source: {hit.sources[0]}"}
        related.append(entry)
    if len(finding.dependency_path) > 1:
        entry = _physical(uri, artifact_index, None if nested else finding.region)
        entry["id"] = len(related) + 1
        entry["message"] = {"text": "Dependency path: " + " > ".join(finding.dependency_path)}
        related.append(entry)
    message = finding.message + (f" Found at {finding.artifact}." if nested else "")
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": finding.level.value,
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {
            FINGERPRINT_KEY: finding.fingerprint,
            # code scanning matches alerts by this key; ours survives unrelated edits
            "primaryLocationLineHash": f"{finding.fingerprint}:1",
        },
        "properties": {
            "confidence": finding.confidence.value,
            "detectionClass": finding.detection_class.value,
            "component": {
                "ref": component.ref,
                "kind": component.kind.value,
                "name": component.name,
                "version": component.version,
                "pointer": component.pointer,
            },
            "dependencyPath": list(finding.dependency_path),
            "otherVendors": list(finding.other_vendors),
            "regulations": list(finding.covered_by),
            **(
                {"oemRelationships": [_oem(note) for note in finding.oem_notes]}
                if finding.oem_notes
                else {}
            ),
            "indicators": [
                {
                    "id": hit.indicator_id,
                    "kind": hit.kind,
                    "label": hit.label,
                    "field": hit.field.value,
                    "value": hit.value,
                    "confidence": hit.confidence.value,
                    "implies": hit.implies.value,
                    "sources": list(hit.sources),
                    **({"benignContext": hit.benign_context} if hit.benign_context else {}),
                    **({"overlay": True} if hit.overlay else {}),
                }
                for hit in finding.hits
            ],
        },
    }
    if related:
        result["relatedLocations"] = related[:1000]
    if finding.suppression is not None:
        suppression = finding.suppression
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": suppression.reason,
                "properties": {
                    "source": suppression.source,
                    **({"expires": suppression.expires} if suppression.expires else {}),
                },
            }
        ]
    if finding.baseline_state:
        result["baselineState"] = finding.baseline_state
    return result


def _notification(skipped: Skipped, index: int | None) -> dict[str, Any]:
    inspected = skipped.disposition is Disposition.NOT_INSPECTED
    descriptor = "KAS900" if inspected else "KAS901"
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": artifact_uri(outer_file(skipped.path))}}
    }
    if index is not None:
        location["physicalLocation"]["artifactLocation"]["index"] = index
    return {
        "descriptor": {"id": descriptor},
        "level": "error" if inspected else "note",
        "message": {"text": f"{skipped.path}: {skipped.reason}"},
        "locations": [location],
    }


#: GitHub code scanning accepts 25,000 results per run and shows the top 5,000.
MAX_RESULTS = 5_000
#: Files found while walking that are not SBOMs: listed one by one up to this many per input,
#: then summarised (a root file system holds thousands).
MAX_IGNORED_LISTED = 100


def limit_results(ordered: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """At most :data:`MAX_RESULTS`, the most severe first, in the original order."""
    if len(ordered) <= MAX_RESULTS:
        return ordered, []
    rank = sorted(range(len(ordered)), key=lambda i: (-ordered[i].level.rank, i))
    keep = set(rank[:MAX_RESULTS])
    return (
        [f for i, f in enumerate(ordered) if i in keep],
        [f for i, f in enumerate(ordered) if i not in keep],
    )


def _ignored_group(path: str) -> str:
    """Where an ignored file is counted: its container file, or its directory."""
    return outer_file(path) if SEPARATOR in path else path.rsplit("/", 1)[0] if "/" in path else "."


def _notifications(result: AuditResult, artifact_index: dict[str, int]) -> list[dict[str, Any]]:
    """One notification per input not inspected; files that are merely not SBOMs are listed
    up to :data:`MAX_IGNORED_LISTED` per top-level input, then counted."""
    notes: list[dict[str, Any]] = []
    ignored: dict[str, list[Skipped]] = {}
    for skipped in sorted(result.skipped, key=lambda s: s.path):
        if skipped.disposition is Disposition.NOT_INSPECTED:
            notes.append(_notification(skipped, artifact_index.get(outer_file(skipped.path))))
        else:
            ignored.setdefault(_ignored_group(skipped.path), []).append(skipped)
    for top, items in sorted(ignored.items()):
        notes.extend(
            _notification(s, artifact_index.get(outer_file(s.path)))
            for s in items[:MAX_IGNORED_LISTED]
        )
        if len(items) > MAX_IGNORED_LISTED:
            notes.append(
                {
                    "descriptor": {"id": "KAS901"},
                    "level": "note",
                    "message": {
                        "text": f"{top}: {len(items) - MAX_IGNORED_LISTED} more files are not "
                        "SBOMs, binaries or package records (not listed one by one)"
                    },
                }
            )
    return notes


def sort_findings(findings: tuple[Finding, ...]) -> list[Finding]:
    """Deterministic order: by file, position, rule, fingerprint."""
    return sorted(
        findings,
        key=lambda f: (
            f.artifact,
            f.region.start_line if f.region else 0,
            f.region.start_column if f.region else 0,
            f.rule_id,
            f.fingerprint,
        ),
    )


def build_sarif(result: AuditResult, context: RunContext | None = None) -> dict[str, Any]:
    """The SARIF log as plain data; ``context`` adds the command line, times, category and
    version-control provenance (left out by default, so output stays byte-identical)."""
    db = result.database
    if db is None:
        raise ValueError("SARIF needs the database the audit ran with")
    classes = list(db.classes)
    rules = [_rule(db, cls) for cls in classes]
    rule_index = {db.classes[cls].rule_id: index for index, cls in enumerate(classes)}
    artifacts: list[dict[str, Any]] = []
    artifact_index: dict[str, int] = {}
    for document in sorted(result.documents, key=lambda d: d.path):
        artifact_index[document.path] = len(artifacts)
        artifact: dict[str, Any] = {
            "location": {"uri": artifact_uri(document.path)},
            "properties": {
                "format": document.format.value,
                "specVersion": document.spec_version,
                "records": document.records,
            },
        }
        if document.sha256:
            artifact["hashes"] = {"sha-256": document.sha256}
        artifacts.append(artifact)
    listed: dict[str, int] = {}
    for skipped in sorted(result.skipped, key=lambda s: s.path):
        if skipped.disposition is not Disposition.NOT_INSPECTED:
            top = _ignored_group(skipped.path)
            listed[top] = listed.get(top, 0) + 1
            if listed[top] > MAX_IGNORED_LISTED:
                continue
        if skipped.path not in artifact_index:
            artifact_index[skipped.path] = len(artifacts)
            artifacts.append(
                {
                    "location": {"uri": artifact_uri(skipped.path)},
                    "properties": {"status": skipped.disposition.value},
                }
            )
    ordered = sort_findings(result.findings)
    kept, dropped = limit_results(ordered)
    for shown, index in artifact_index.items():  # a file inside a container names it, and
        parent, _, member = shown.rpartition(SEPARATOR)  # its URI is relative to it (SARIF
        if parent in artifact_index:  # 3.24.2/3.24.3)
            artifacts[index]["parentIndex"] = artifact_index[parent]
            artifacts[index]["location"] = {"uri": quote(member, safe="/")}
            artifacts[index].setdefault("properties", {})["path"] = shown
    results = [
        _result(f, rule_index[f.rule_id], artifact_index[outer_file(f.artifact)]) for f in kept
    ]
    notifications = _notifications(result, artifact_index)
    if dropped:
        notifications.append(
            {
                "descriptor": {"id": "KAS904"},
                "level": "warning",
                "message": {
                    "text": f"{len(dropped)} of {len(ordered)} results were left out to stay "
                    f"within GitHub code scanning's limit of {MAX_RESULTS} results per run "
                    "(the most severe are kept); the JSON report (--format json) lists all."
                },
            }
        )
    for path in sorted(result.problems):
        problems = result.problems[path]
        shown = "; ".join(problems[:10]) + (
            f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        )
        notifications.append(
            {
                "descriptor": {"id": "KAS902"},
                "level": "warning",
                "message": {"text": f"{path}: {len(problems)} schema problem(s): {shown}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": artifact_uri(outer_file(path)),
                                **(
                                    {"index": artifact_index[outer_file(path)]}
                                    if outer_file(path) in artifact_index
                                    else {}
                                ),
                            }
                        }
                    }
                ],
            }
        )
    levels = {level.value: 0 for level in Level}
    for finding in result.active_findings:
        levels[finding.level.value] += 1
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
                "notifications": [
                    {
                        "id": nid,
                        "name": name,
                        "shortDescription": {"text": text},
                        "fullDescription": {"text": text},
                        "help": {"text": f"{text} {EXIT_CODES_HELP}"},
                        "helpUri": f"{INFORMATION_URI}#exit-codes",
                    }
                    for nid, name, text in NOTIFICATIONS
                ],
                "properties": {"vendorDb": {"version": db.version, "digest": db.digest}},
            }
        },
        "invocations": [
            {
                "executionSuccessful": result.complete,
                "toolExecutionNotifications": notifications,
                **(
                    {
                        "toolConfigurationNotifications": [
                            {
                                "descriptor": {"id": "KAS903"},
                                "level": "warning" if "expired" in notice else "note",
                                "message": {"text": notice},
                            }
                            for notice in result.notices
                        ]
                    }
                    if result.notices
                    else {}
                ),
            }
        ],
        "columnKind": "unicodeCodePoints",
        "artifacts": artifacts,
        "results": results,
        "properties": {
            "vendorDb": {"version": db.version, "digest": db.digest},
            "coverage": _coverage(result),
            "resultsByLevel": levels,
        },
    }
    if context is not None:
        _apply_context(run, context)
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


#: GitHub rejects SARIF files over 10 MB once gzip-compressed.
MAX_GZIP_BYTES = 10_000_000


def _dump(log: dict[str, Any]) -> str:
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _too_big(text: str) -> bool:
    """Over (95% of) GitHub's upload limit once gzipped; cheap for small files."""
    if len(text) <= MAX_GZIP_BYTES * 0.95:
        return False
    return len(gzip.compress(text.encode("utf-8"), 6)) > MAX_GZIP_BYTES * 0.95


def render_sarif(result: AuditResult, context: RunContext | None = None) -> str:
    """SARIF text: sorted keys, two-space indent, UTF-8, trailing newline. Shrunk, and says so,
    when it would exceed GitHub's 10 MB (gzip) upload limit."""
    log = build_sarif(result, context)
    text = _dump(log)
    if not _too_big(text):
        return text
    run = log["runs"][0]
    notice: dict[str, Any] = {"descriptor": {"id": "KAS904"}, "level": "warning", "message": {}}
    run["invocations"][0]["toolExecutionNotifications"].append(notice)
    total = len(run["results"])

    def say() -> None:
        notice["message"]["text"] = (
            "The report was shrunk to stay under GitHub's 10 MB (gzip) SARIF limit: evidence "
            f"cut to ten pieces per result, {total - len(run['results'])} of {total} results "
            "left out (the least severe); the JSON report lists everything."
        )

    for item in run["results"]:  # first: evidence beyond the ten strongest pieces
        item["relatedLocations"] = item.get("relatedLocations", [])[:10]
        item["properties"]["indicators"] = item["properties"]["indicators"][:10]
    say()
    text = _dump(log)
    while _too_big(text) and run["results"]:  # then: the least severe results
        keep = int(len(run["results"]) * 0.8)
        ranked = sorted(
            range(len(run["results"])),
            key=lambda i: (-Level(run["results"][i]["level"]).rank, i),
        )[:keep]
        run["results"] = [run["results"][i] for i in sorted(ranked)]
        say()
        text = _dump(log)
    return text


def _apply_context(run: dict[str, Any], context: RunContext) -> None:
    invocation = run["invocations"][0]
    if context.arguments:
        invocation["arguments"] = list(context.arguments)
        invocation["commandLine"] = " ".join(shlex.quote(a) for a in context.arguments)
    if context.start_utc:
        invocation["startTimeUtc"] = context.start_utc
    if context.end_utc:
        invocation["endTimeUtc"] = context.end_utc
    if context.category:
        run["automationDetails"] = {"id": context.category.rstrip("/") + "/"}
    if context.provenance is not None:
        entry: dict[str, Any] = {
            "repositoryUri": context.provenance.repository_uri,
            "revisionId": context.provenance.revision_id,
        }
        if context.provenance.branch:
            entry["branch"] = context.provenance.branch
        if context.provenance.root_uri and context.provenance.root_uri == context.base_uri:
            # relative paths are relative to the checkout's root: say so everywhere
            entry["mappedTo"] = {"uriBaseId": "SRCROOT"}
            run["originalUriBaseIds"] = {"SRCROOT": {"uri": context.provenance.root_uri}}
            _mark_relative(run)
        run["versionControlProvenance"] = [entry]


def _mark_relative(node: Any) -> None:
    """Give every relative artifactLocation the SRCROOT base."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            location = item.get("artifactLocation")
            if isinstance(location, dict):
                uri = str(location.get("uri", ""))
                if uri and "://" not in uri and not uri.startswith("/"):
                    location["uriBaseId"] = "SRCROOT"
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _coverage(result: AuditResult) -> dict[str, Any]:
    """What was seen, read and not read, by format and by reason."""
    by_format: dict[str, int] = {}
    for document in result.documents:
        by_format[document.format.value] = by_format.get(document.format.value, 0) + 1
    reasons: dict[str, int] = {}
    for skipped in result.not_inspected:
        reason = skipped.reason.split(":", 1)[0][:80]
        reasons[reason] = reasons.get(reason, 0) + 1
    return {
        "inputs": len(result.documents) + len(result.skipped),
        "inspected": len(result.documents),
        "notInspected": len(result.not_inspected),
        "notAnSbom": len(result.skipped) - len(result.not_inspected),
        "records": sum(d.records for d in result.documents),
        "inspectedByFormat": by_format,
        "notInspectedByReason": reasons,
        "suppressed": sum(1 for f in result.findings if f.suppression is not None),
    }
