#!/usr/bin/env bash
# Runs built fuzz targets (make fuzz-build) and says, per target, how far each got.
#
#   tests/fuzz/run.sh [--regress] BIN_DIR WORK_DIR SECONDS TARGET...
#
# --regress first runs every input of the committed corpus once (a regression test),
# starting the scratch corpus afresh. Then each target fuzzes for SECONDS, seeded with
# tests/fuzz/corpus/<target>/, which is only read: new inputs go to WORK_DIR/<target>/new,
# crashing ones to WORK_DIR/<target>/crashes/, the output to WORK_DIR/<target>/fuzz.log.
# Exits 1 when any target crashed, leaked, hung or broke a check; 2 on misuse.
set -euo pipefail

regress=0
if [ "${1:-}" = --regress ]; then
    regress=1
    shift
fi
if [ $# -lt 4 ]; then
    echo "usage: $0 [--regress] BIN_DIR WORK_DIR SECONDS TARGET..." >&2
    exit 2
fi
bin_dir=$1 work=$2 seconds=$3
shift 3
case $seconds in
    '' | *[!0-9]*) echo "fuzz: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;;
esac

here=$(dirname "$0")
status=0

# The last statistics line libFuzzer printed, e.g. "#52613 DONE cov: 301 ft: 1190 ...".
stats_of() {
    grep -aE '^#[0-9]+[[:space:]]+(INITED|DONE|pulse|NEW|REDUCE)' "$1" | tail -n 1 |
        sed -E 's/^#([0-9]+)[[:space:]]+[A-Z]+[[:space:]]+/\1 execs, /' || true
}

# Says why a run failed and where its input is; never fails itself.
report_failure() {
    local t=$1 rc=$2 log=$3
    echo "fuzz $t: FAILED (exit $rc); log: $log" >&2
    grep -aE 'ERROR: |fuzz check failed|runtime error|SUMMARY: ' "$log" | head -n 5 >&2 || true
    grep -aE '^(artifact_prefix|Test unit written to)' "$log" | tail -n 1 >&2 || true
    echo "fuzz $t: reproduce with: $bin_dir/fuzz_$t <that file>" >&2
}

for t in "$@"; do
    exe=$bin_dir/fuzz_$t
    corpus=$here/corpus/$t
    if [ ! -x "$exe" ]; then
        echo "fuzz: $exe is not built; run make fuzz-build" >&2
        exit 2
    fi
    if [ ! -d "$corpus" ]; then
        echo "fuzz: no seed corpus $corpus; add one (tests/fuzz/README.md)" >&2
        exit 2
    fi
    opts=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
    [ -f "$here/$t.dict" ] && opts+=("-dict=$here/$t.dict")
    mkdir -p "$work/$t"

    if [ $regress = 1 ]; then
        log=$work/$t/regress.log
        rm -rf "$work/$t/new"
        if "$exe" "${opts[@]}" -runs=0 "$corpus" >"$log" 2>&1; then
            echo "fuzz $t: corpus of $(find "$corpus" -type f | wc -l) inputs passes"
        else
            report_failure "$t" $? "$log"
            status=1
            continue
        fi
    fi

    mkdir -p "$work/$t/new" "$work/$t/crashes"
    log=$work/$t/fuzz.log
    if "$exe" "${opts[@]}" -max_total_time="$seconds" -artifact_prefix="$work/$t/crashes/" \
        "$work/$t/new" "$corpus" >"$log" 2>&1; then
        echo "fuzz $t: ${seconds}s: $(stats_of "$log")"
    else
        report_failure "$t" $? "$log"
        status=1
    fi
done
exit $status
