#!/usr/bin/env bash
# Installs what tandem needs on Debian/Ubuntu and is missing: the C toolchain and
# libraries (libcurl, libuv, libcyaml, jansson, cmocka), gnuplot, valgrind, pytest for
# the integration tests, clang with libFuzzer for the fuzz targets (tests/fuzz), Slurm and
# munge for the single-node Slurm the sweep's job-array test starts (tests/slurm), and
# `just` (from npm's rust-just, pinned). Safe to re-run: it
# installs nothing that is already there. Nix users need none of this (see ARTIFACT.md).
set -euo pipefail

JUST_VERSION=1.57.0
APT_PACKAGES=(build-essential pkg-config libcurl4-openssl-dev libuv1-dev libcyaml-dev libyaml-dev
              libjansson-dev libcmocka-dev gnuplot-nox valgrind python3 curl clang
              slurmctld slurmd slurm-client munge)

say() { printf 'install-deps: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v apt-get >/dev/null; then
    say "no apt-get here: install these by hand (or use Nix): ${APT_PACKAGES[*]}, and just"
    exit 1
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# nix-bin: the offline check of flake.nix's wiring (tests/nix/check.sh).
command -v nix >/dev/null || missing+=(nix-bin)
python3 -c 'import pytest' 2>/dev/null || missing+=(python3-pytest)
python3 -c 'import httpx' 2>/dev/null || missing+=(python3-httpx)   # the python-httpx control
python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
command -v just >/dev/null || command -v npm >/dev/null || missing+=(npm)

updated=0
apt_install() {
    [ $updated = 1 ] || as_root apt-get update -qq
    updated=1
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ ${#missing[@]} -gt 0 ]; then
    say "installing: ${missing[*]}"
    apt_install "${missing[@]}"
fi

# libFuzzer: clang alone may not link -fsanitize=fuzzer; its runtime comes in a package
# named after clang's major version (Debian 12: clang 14 needs libclang-rt-14-dev).
fuzz_links() {
    printf '%s\n' 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);' \
        'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' |
        clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null
}
if ! fuzz_links; then
    rt="libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
    say "installing $rt (libFuzzer for $(clang -dumpversion | head -n 1))"
    apt_install "$rt" || true
    fuzz_links || say "clang still cannot link -fsanitize=fuzzer: make check will skip the fuzz targets; install the libclang-rt package matching clang --version"
fi

# A python3 other than Debian's (pyenv, conda) does not see Debian's python3-* packages.
for mod in pytest:pytest httpx:httpx yaml:pyyaml; do
    if ! python3 -c "import ${mod%%:*}" 2>/dev/null; then
        say "installing ${mod#*:} for $(command -v python3) with pip"
        python3 -m pip install --quiet "${mod#*:}"
    fi
done

# The official SDKs that clients/ollama-python and clients/openai-python measure, pinned:
# an SDK client's numbers are its SDK's, so every machine runs the version tested (and
# provenance records it). Debian has neither; its python3 refuses a plain pip install
# (PEP 668), so they go to the user's site-packages there. Optional: a failure is said.
PY_SDKS=(ollama==0.6.3 openai==3.63.0)
for pkg in "${PY_SDKS[@]}"; do
    have=$(python3 -c "from importlib.metadata import version; print(version('${pkg%%==*}'))" 2>/dev/null || true)
    [ "$have" = "${pkg#*==}" ] && continue
    say "installing $pkg for $(command -v python3) with pip${have:+ (it has $have)}"
    python3 -m pip install --quiet "$pkg" 2>/dev/null ||
        python3 -m pip install --quiet --user --break-system-packages "$pkg" ||
        say "could not install $pkg: the SDK clients (make SDK_CLIENTS=1) need it; install it by hand"
done

if ! command -v just >/dev/null; then
    say "installing just $JUST_VERSION (npm package rust-just)"
    as_root npm install -g --silent "rust-just@$JUST_VERSION"
fi
say "ready: $(just --version), $(pkg-config --modversion libcurl libuv libcyaml jansson | paste -sd' ')"
