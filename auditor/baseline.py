"""Baselines: compare a run with an accepted earlier audit (its SARIF), by fingerprint, so only
what is new counts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import orjson

from auditor.errors import UsageError
from auditor.models import AuditResult
from auditor.report.sarif import FINGERPRINT_KEY


def load_baseline(path: Path) -> frozenset[str]:
    """The finding fingerprints of an earlier SARIF report of this tool."""
    try:
        log = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{path}: baseline is not JSON: {exc}") from None
    runs = log.get("runs") if isinstance(log, dict) else None
    if not isinstance(runs, list):
        raise UsageError(f"{path}: baseline is not a SARIF log (no 'runs')")
    fingerprints: set[str] = set()
    for run in runs:
        for result in (run or {}).get("results") or []:
            value = ((result or {}).get("partialFingerprints") or {}).get(FINGERPRINT_KEY)
            if isinstance(value, str):
                fingerprints.add(value)
    return frozenset(fingerprints)


def apply_baseline(result: AuditResult, accepted: frozenset[str], source: str) -> AuditResult:
    """Mark each finding new or unchanged; say how many accepted findings are gone."""
    findings = tuple(
        replace(f, baseline_state="unchanged" if f.fingerprint in accepted else "new")
        for f in result.findings
    )
    current = {f.fingerprint for f in findings}
    new = sum(1 for f in findings if f.baseline_state == "new")
    gone = len(accepted - current)
    notice = (
        f"baseline {source}: {new} new finding(s), {len(findings) - new} unchanged "
        f"(not counted), {gone} no longer present"
    )
    return replace(result, findings=findings, notices=(*result.notices, notice))
