#!/usr/bin/env bash
# Run every fuzz target for SECONDS each (default 300), JOBS at a time (default 1).
#   fuzz/run_all.sh 600            # ten minutes per target, one after another
#   JOBS=2 fuzz/run_all.sh 300     # two at a time (each target is single-threaded)
#   fuzz/run_all.sh 300 spdx2 rpm  # only these targets
# Logs go to fuzz/logs/<target>.log, crash/timeout/oom inputs to fuzz/crashes/<target>-*, new
# corpus units to fuzz/work/<target>/. A target that crashes stops early; the summary says so.
set -u
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-300}
shift || true
JOBS=${JOBS:-1}
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    TARGETS=()
    for f in fuzz/fuzz_*.py; do t=${f#fuzz/fuzz_}; TARGETS+=("${t%.py}"); done
fi
mkdir -p fuzz/logs
run_one() {
    local t=$1 secs=$2
    python "fuzz/fuzz_$t.py" -max_total_time="$secs" >"fuzz/logs/$t.log" 2>&1
    local rc=$?
    local runs
    runs=$(grep -a 'stat::number_of_executed_units' "fuzz/logs/$t.log" | tail -1 | awk '{print $2}')
    [ -n "$runs" ] || runs=$(grep -aoE '^#[0-9]+' "fuzz/logs/$t.log" | tail -1 | tr -d '#')
    printf '%-16s exit=%-3s executions=%s\n' "$t" "$rc" "${runs:-?}"
}
export -f run_one
printf '%s\n' "${TARGETS[@]}" | xargs -P "$JOBS" -I{} bash -c "run_one {} $SECONDS_EACH"
ls fuzz/crashes 2>/dev/null | sed 's/^/crash file: fuzz\/crashes\//'
