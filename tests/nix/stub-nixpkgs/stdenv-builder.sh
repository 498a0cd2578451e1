#!/bin/bash
# The stub stdenv's builder (default.nix, mkDerivation): nixpkgs' generic build, cut down
# to what tandem's derivations use, with nixpkgs' defaults (pkgs/stdenv/generic/setup.sh):
#   unpack (copy $src), patch (postPatch), build (make $makeFlags $buildFlags), check when
#   doCheck (make $makeFlags ${checkFlags:-VERBOSE=y} ${checkTarget:-check}), install
#   (make $makeFlags $installFlags install); a phase given as a string replaces the
#   default; pre/post hooks run; buildCommand replaces everything (runCommand).
#   After the patch phase, the sandbox's missing interpreters: a script of the tree whose
#   `#!` names an interpreter outside the store (other than /bin/sh), such as
#   /usr/bin/env, fails when run, as in a Nix sandbox (missing-interpreter.sh). Fixup
#   runs patchShebangs over $out, as nixpkgs' patch-shebangs hook does.
# Inputs: $dep/bin goes on PATH and $dep/nix-support/setup-hook is sourced, for
# nativeBuildInputs and buildInputs (checkInputs are in buildInputs only when doCheck).
# Tools and libraries are the host's, but PATH holds only stdenv's tools (coreutils,
# make, the compiler, ...; default.nix, stdenvTools) and the inputs' bin/.
set -eu -o pipefail

export PATH=$stubStdenvPath
export SHELL=/bin/bash
export HOME=/homeless-shelter
NIX_BUILD_CORES=${NIX_BUILD_CORES:-1}
if [ "$NIX_BUILD_CORES" -le 0 ]; then NIX_BUILD_CORES=$(nproc); fi
export NIX_BUILD_CORES

runHook() {
    local hook=$1
    if [ -n "${!hook:-}" ]; then eval "${!hook}"; fi
}

# nixpkgs' patchShebangs, for scripts run during the build: `#!/usr/bin/env prog` and
# `#!/some/dir/prog` become the prog found on PATH, in the files under the paths given
# and nowhere else. (A line the stub sandbox marked unrunnable counts as its original.)
patchShebangs() {
    local f first interp rest prog new
    echo "patching script interpreter paths in $*"
    while IFS= read -r -d '' f; do
        IFS= read -r first < "$f" || true
        case "$first" in '#!'*) ;; *) continue ;; esac
        first=${first/#"#!${stubMissingInterpreter:-/no-marker} "/"#!"}
        read -r interp rest <<< "${first#\#!}"
        case "$interp" in "$NIX_STORE"/*) continue ;; esac
        if [ "$(basename "$interp")" = env ]; then
            read -r prog rest <<< "$rest"
        else
            prog=$(basename "$interp")
        fi
        new=$(command -v "$prog") || continue
        sed -i "1s|.*|#!$new${rest:+ $rest}|" "$f"
    done < <(find "$@" -type f -perm -0100 -print0)
}

for dep in ${nativeBuildInputs:-} ${buildInputs:-}; do
    if [ -d "$dep/bin" ]; then PATH="$dep/bin:$PATH"; fi
    if [ -f "$dep/nix-support/setup-hook" ]; then
        # shellcheck disable=SC1091
        . "$dep/nix-support/setup-hook"
    fi
done
export PATH

cd "${TMPDIR:-/tmp}"

if [ -n "${buildCommand:-}" ]; then
    eval "$buildCommand"
    exit 0
fi

# ---- unpack ---------------------------------------------------------------------------
if [ -d "$src" ]; then
    cp -pr -- "$src" source
else
    echo "stub stdenv: src must be a directory here ($src)" >&2
    exit 1
fi
chmod -R u+w source
cd source

# ---- patch ----------------------------------------------------------------------------
if [ -n "${patches:-}" ]; then echo "stub stdenv: patches are not supported" >&2; exit 1; fi
runHook prePatch
runHook postPatch

# ---- the sandbox's missing interpreters (stub) ------------------------------------------
# What a Nix sandbox does to a script whose `#!` names an interpreter it lacks: running it
# fails. Marked here, after the patch phase, so that only what the derivation patched
# (patchShebangs over the paths it names) runs; the rest fails if, and when, it is run.
while IFS= read -r -d '' f; do
    IFS= read -r first < "$f" || true
    case "$first" in '#!'*) ;; *) continue ;; esac
    read -r interp _ <<< "${first#\#!}"
    case "$interp" in "$NIX_STORE"/*|/bin/sh) continue ;; esac
    sed -i "1s|^#! *|#!$stubMissingInterpreter |" "$f"
done < <(find . -type f -perm -0100 -print0)

# ---- configure ------------------------------------------------------------------------
if [ -n "${configurePhase:-}" ]; then
    eval "$configurePhase"
elif [ -z "${dontConfigure:-}" ] && [ -x ./configure ]; then
    echo "stub stdenv: ./configure is not supported" >&2
    exit 1
fi

# ---- build ----------------------------------------------------------------------------
if [ -n "${dontBuild:-}" ]; then
    :
elif [ -n "${buildPhase:-}" ]; then
    eval "$buildPhase"
else
    runHook preBuild
    # shellcheck disable=SC2086
    make ${enableParallelBuilding:+-j$NIX_BUILD_CORES} SHELL="$SHELL" ${makeFlags:-} ${buildFlags:-}
    runHook postBuild
fi

# ---- check ----------------------------------------------------------------------------
if [ -n "${doCheck:-}" ]; then
    if [ -n "${checkPhase:-}" ]; then
        eval "$checkPhase"
    else
        runHook preCheck
        target=${checkTarget:-}
        if [ -z "$target" ]; then
            # shellcheck disable=SC2086
            if make -n ${makeFlags:-} check > /dev/null 2>&1; then target=check
            elif make -n ${makeFlags:-} test > /dev/null 2>&1; then target=test
            fi
        fi
        if [ -n "$target" ]; then
            # shellcheck disable=SC2086
            make ${enableParallelChecking:+-j$NIX_BUILD_CORES} SHELL="$SHELL" ${makeFlags:-} ${checkFlags:-VERBOSE=y} "$target"
        else
            echo "no check/test target in Makefile, doing nothing"
        fi
        runHook postCheck
    fi
fi

# ---- install --------------------------------------------------------------------------
if [ -n "${installPhase:-}" ]; then
    eval "$installPhase"
else
    runHook preInstall
    mkdir -p "$out"
    # shellcheck disable=SC2086
    make ${enableParallelInstalling:+-j$NIX_BUILD_CORES} SHELL="$SHELL" ${makeFlags:-} ${installFlags:-} ${installTargets:-install}
    runHook postInstall
fi

if [ ! -e "$out" ]; then
    echo "stub stdenv: the build did not create \$out ($out)" >&2
    exit 1
fi

# ---- fixup (only its patchShebangs) ------------------------------------------------------
if [ -z "${dontPatchShebangs:-}" ] && [ -d "$out" ]; then
    patchShebangs "$out"
fi
