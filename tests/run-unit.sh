#!/usr/bin/env bash
# Runs each cmocka unit-test binary given as an argument (optionally under $TDM_WRAP,
# e.g. valgrind), then prints one closing line "N passed, N failed" over all of them.
set -u
passed=0 failed=0
for t in "$@"; do
    if ${TDM_WRAP:-} "$t"; then
        passed=$((passed + 1))
    else
        echo "FAILED: $t" >&2
        failed=$((failed + 1))
    fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
