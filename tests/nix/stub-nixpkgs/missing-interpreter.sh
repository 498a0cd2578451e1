#!/bin/sh
# The stub sandbox's stand-in for an interpreter that a Nix build sandbox does not have.
# A sandbox holds the store and /bin/sh, not the host's /usr/bin/env or /bin/bash, so a
# script of the source tree whose `#!` still names one fails when the build runs it ("bad
# interpreter: No such file or directory"). The stub's sandbox shows the host's /usr (for
# its compiler and libraries), so stdenv-builder.sh puts this script in front of such a
# `#!` line after the patch phase, and running the script fails here as it would there.
# The kernel passes: $1 the rest of the original `#!` line (one argument), $2 the script.
echo "stub sandbox: $2: bad interpreter: ${1%% *}: no such file in a Nix build sandbox (its '#!$1' was not patched: patchShebangs its directory in postPatch)" >&2
exit 127
