#!/usr/bin/env bash
# Validate SARIF files with Microsoft's SARIF Multitool (npm @microsoft/sarif-multitool),
# running both the SARIF spec rules (SARIFxxxx, JSONxxxx) and the GitHub Advanced
# Security ingestion rules (GHxxxx):
#
#     Sarif.Multitool validate --rule-kind "Ghas;Sarif" --output OUT.sarif FILE.sarif
#
# Usage:   .ci/sarif-multitool-validate.sh FILE.sarif [FILE.sarif ...]
#
# Where the multitool comes from (first one set wins):
#   SARIF_MULTITOOL       path to the executable, e.g.
#                         /tmp/smt/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
#   SARIF_MULTITOOL_DIR   folder in which `npm install @microsoft/sarif-multitool` was run
#                         (or its node_modules folder); the tool is run there with
#                         `npx --no-install @microsoft/sarif-multitool`.
# Install it with:  mkdir -p /tmp/smt && cd /tmp/smt && npm install @microsoft/sarif-multitool@5.7.0
# (about 43 MB download, 104 MB unpacked, a few seconds; the Linux package is a .NET 8
# self-contained single-file x86_64 binary: no dotnet install and no other download.)
#
# Why the output is parsed instead of trusting the exit code: the multitool exits 0 even
# when it reports error-level results (with or without --rich-return-code true). It exits
# non-zero only when it could not run (bad arguments, no such file, output file already
# exists, engine crash). So each file gets its own output SARIF log, which is read here.
#
# Prints every error, warning and note, one per line:  FILE: LEVEL RULEID: [where] message
# Exit status: 0 = no error-level result (warnings/notes allowed),
#              1 = at least one error-level result, or the multitool failed on a file,
#              2 = usage or setup problem (no files, multitool not found).
#
# Notes:
# - The npm wrapper (bin.js) runs the binary through /bin/sh (spawnSync shell:true), so an
#   unquoted  Ghas;Sarif  would be cut at the ';'. Arguments are therefore shell-quoted
#   below on the npx path.
# - The binary uses the system ICU (Debian libicu72 here). DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
#   is set by default so it also runs where libicu is missing; validation results are the same.
# - Options of this CLI that take lists (--rule-kind, --log, --level) swallow following
#   arguments unless the value contains a ';', so the file name is passed last.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 FILE.sarif [FILE.sarif ...]" >&2
  exit 2
fi

export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="${DOTNET_SYSTEM_GLOBALIZATION_INVARIANT:-1}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1

# Quote one argument for /bin/sh.
sq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

run_multitool() {
  if [ -n "${SARIF_MULTITOOL:-}" ]; then
    "$SARIF_MULTITOOL" "$@"
  else
    local dir="$SARIF_MULTITOOL_DIR" quoted=() a
    [ "$(basename "$dir")" = node_modules ] && dir="$(dirname "$dir")"
    for a in "$@"; do quoted+=("$(sq "$a")"); done
    (cd "$dir" && npx --no-install @microsoft/sarif-multitool "${quoted[@]}")
  fi
}

if [ -n "${SARIF_MULTITOOL:-}" ]; then
  if [ ! -x "$SARIF_MULTITOOL" ]; then
    echo "SARIF_MULTITOOL=$SARIF_MULTITOOL is not an executable file (after npm install, try chmod u+x on it)" >&2
    exit 2
  fi
elif [ -n "${SARIF_MULTITOOL_DIR:-}" ]; then
  if [ ! -d "$SARIF_MULTITOOL_DIR" ]; then
    echo "SARIF_MULTITOOL_DIR=$SARIF_MULTITOOL_DIR is not a directory" >&2
    exit 2
  fi
else
  echo "set SARIF_MULTITOOL (path to Sarif.Multitool) or SARIF_MULTITOOL_DIR (where @microsoft/sarif-multitool is npm-installed)" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

status=0
n=0
for f in "$@"; do
  n=$((n + 1))
  out="$work/out-$n.sarif"
  console="$work/console-$n.txt"
  if [ ! -f "$f" ]; then
    echo "$f: error: no such file"
    status=1
    continue
  fi
  rc=0
  # Absolute path: the npx route runs from SARIF_MULTITOOL_DIR.
  abs="$(realpath -- "$f")"
  run_multitool validate --rule-kind "Ghas;Sarif" --output "$out" "$abs" >"$console" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] || [ ! -s "$out" ]; then
    echo "$f: error: the multitool failed (exit $rc); its console output:"
    sed 's/^/    /' "$console"
    status=1
    continue
  fi
  prc=0
  python3 - "$f" "$out" <<'PY' || prc=$?
import json
import re
import sys

name, path = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8-sig") as fh:
    log = json.load(fh)

errors = 0
for run in log.get("runs") or []:
    rules = ((run.get("tool") or {}).get("driver") or {}).get("rules") or []
    by_id = {r.get("id"): r for r in rules}
    for res in run.get("results") or []:
        rule = None
        if isinstance(res.get("ruleIndex"), int) and 0 <= res["ruleIndex"] < len(rules):
            rule = rules[res["ruleIndex"]]
        rule = rule or by_id.get(res.get("ruleId")) or {}
        # SARIF level resolution: result.level, else the rule's default, else "warning".
        level = res.get("level") or (rule.get("defaultConfiguration") or {}).get("level") or "warning"
        msg = res.get("message") or {}
        text = msg.get("text")
        if text is None:
            template = ((rule.get("messageStrings") or {}).get(msg.get("id")) or {}).get("text", msg.get("id", ""))
            args = msg.get("arguments") or []
            # .NET composite format: {N} is an argument, {{ and }} are literal braces.
            def sub(m):
                if m.group(1) is None:
                    return m.group(0)[0]
                i = int(m.group(1))
                return str(args[i]) if i < len(args) else m.group(0)
            text = re.sub(r"\{\{|\}\}|\{(\d+)\}", sub, template)
        where = ""
        for loc in res.get("locations") or []:
            region = (loc.get("physicalLocation") or {}).get("region") or {}
            if "startLine" in region:
                where = f"(line {region['startLine']}, col {region.get('startColumn', 1)}) "
            break
        print(f"{name}: {level} {res.get('ruleId', '?')}: {where}{text}")
        if level == "error":
            errors += 1
    for inv in run.get("invocations") or []:
        for note in inv.get("toolExecutionNotifications") or []:
            lvl = note.get("level") or "warning"
            print(f"{name}: {lvl} tool-notification: {(note.get('message') or {}).get('text', '')}")
            if lvl == "error":
                errors += 1
        if inv.get("executionSuccessful") is False:
            print(f"{name}: error: the multitool reports executionSuccessful=false")
            errors += 1
sys.exit(1 if errors else 0)
PY
  if [ "$prc" -ne 0 ]; then
    status=1
  fi
done

if [ "$status" -ne 0 ]; then
  echo "sarif-multitool-validate: FAILED (error-level results above)"
else
  echo "sarif-multitool-validate: OK ($n file(s), no error-level results)"
fi
exit "$status"
