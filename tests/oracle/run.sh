#!/usr/bin/env bash
# Builds and runs the GSL oracle test (test_stats_gsl.c) when pkg-config finds GSL,
# and otherwise says it was skipped. GSL is a test-only dependency: Debian's
# libgsl-dev. Output goes to $BUILD/oracle (BUILD defaults to build, as in the Makefile).
set -eu
cd "$(dirname "$0")/../.."
if ! pkg-config --exists gsl; then
    echo "oracle: skipped (GSL not found by pkg-config; install libgsl-dev to run it)"
    exit 0
fi
out="${BUILD:-build}/oracle"
mkdir -p "$out"
# shellcheck disable=SC2046 # pkg-config's flags are meant to be split
${CC:-cc} -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
    -Wmissing-prototypes -Isrc tests/oracle/test_stats_gsl.c src/report/stats_*.c \
    $(pkg-config --cflags --libs gsl) -lm -o "$out/test_stats_gsl"
"$out/test_stats_gsl"
