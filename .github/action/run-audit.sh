#!/usr/bin/env bash
# The Audit step of action.yml. Every input arrives in an environment variable (never
# interpolated into the script); the exit code and counts become step outputs, the Markdown
# report goes to the job summary. The step itself always succeeds: the Verdict step fails the job.
set -uo pipefail

AUDITOR="$RUNNER_TEMP/kaspersky-audit-venv/bin/kaspersky-audit"
PYTHON="$RUNNER_TEMP/kaspersky-audit-venv/bin/python"
summary="$RUNNER_TEMP/kaspersky-audit-summary.md"
data="$RUNNER_TEMP/kaspersky-audit-result.json"

args=(scan)
while IFS= read -r path; do
    [[ -n "$path" ]] && args+=("$path")
done < <(printf '%s\n' "$AUDIT_PATHS" | tr ' \t' '\n\n')
args+=(--fail-on "$AUDIT_FAIL_ON" -f sarif -o "$AUDIT_SARIF" -f markdown -o "$summary" -f json -o "$data")
while IFS= read -r pair; do
    [[ -z "$pair" ]] && continue
    if [[ "$pair" != *=* ]]; then
        echo "::error::formats: expected format=path, got '$pair'"
        echo "exit-code=2" >> "$GITHUB_OUTPUT"
        exit 0
    fi
    args+=(-f "${pair%%=*}" -o "${pair#*=}")
done <<< "$AUDIT_FORMATS"
[[ -n "$AUDIT_DB" ]] && args+=(--db "$AUDIT_DB")
[[ -n "$AUDIT_CONFIG" ]] && args+=(--config "$AUDIT_CONFIG")
[[ -n "$AUDIT_BASELINE" ]] && args+=(--baseline "$AUDIT_BASELINE")
while IFS= read -r overlay; do
    [[ -n "$overlay" ]] && args+=(--db-overlay "$overlay")
done <<< "$AUDIT_DB_OVERLAY"

"$AUDITOR" "${args[@]}"
code=$?
echo "exit-code=$code" >> "$GITHUB_OUTPUT"
if [[ -f "$summary" ]]; then
    cat "$summary" >> "$GITHUB_STEP_SUMMARY"
fi
if [[ -f "$data" ]]; then
    echo "sarif-file=$AUDIT_SARIF" >> "$GITHUB_OUTPUT"
    "$PYTHON" - "$data" >> "$GITHUB_OUTPUT" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
counts = report["summary"]["findings"]
print(f"verdict={report['verdict']}")
print(f"errors={counts['error']}")
print(f"warnings={counts['warning']}")
print(f"notes={counts['note']}")
print(f"not-inspected={report['summary']['notInspected']}")
PY
else
    echo "verdict=error" >> "$GITHUB_OUTPUT"
fi
exit 0
