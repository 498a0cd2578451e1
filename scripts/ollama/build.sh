#!/usr/bin/env bash
# Build a real Ollama server (CPU-only, cgo) from its Go module and cache it by version.
#
#   scripts/ollama/build.sh [VERSION]     default v0.11.4
#   scripts/ollama/build.sh --cuda [OPTIONS] [VERSION]   the CUDA backend instead (build-cuda.sh)
#
# Result: $TANDEM_CACHE/ollama/<VERSION>/bin/ollama  (TANDEM_CACHE defaults to <repo>/.cache).
# Only the Go module proxy is used: tags v0.6.0..v0.11.4 carry their llama.cpp/ggml sources
# inside the module, so `go install github.com/ollama/ollama@VERSION` builds offline-ish.
# Rebuilds only when the cached binary is missing (or TANDEM_OLLAMA_REBUILD=1).
# Prints the binary's path on stdout as its last line; progress goes to stderr.
set -euo pipefail

if [[ "${1:-}" == --cuda ]]; then
    shift
    exec "$(dirname "${BASH_SOURCE[0]}")/build-cuda.sh" "$@"
fi

VERSION="${1:-${TANDEM_OLLAMA_VERSION:-v0.11.4}}"
case "$VERSION" in v*) ;; *) VERSION="v$VERSION" ;; esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${TANDEM_CACHE:-$root/.cache}"
dest="$cache/ollama/$VERSION"
# bin/ beneath the version: the binary loads GPU backends from <its dir>/../lib/ollama,
# which is then this version's own (build.sh --cuda puts them there).
bin="$dest/bin/ollama"

log() { printf '[ollama-build] %s\n' "$*" >&2; }
die() { printf '[ollama-build] error: %s\n' "$*" >&2; exit 1; }
# The module zip this version builds from; build-cuda.sh --src takes it on another machine.
log_module_zip() {
    local z
    command -v go >/dev/null 2>&1 || return 0
    z="$(go env GOMODCACHE 2>/dev/null)/cache/download/github.com/ollama/ollama/@v/$VERSION.zip"
    if [[ -f "$z" ]]; then log "module source archive: $z"; fi
}

if [[ -x "$bin" && "${TANDEM_OLLAMA_REBUILD:-0}" != 1 ]]; then
    log "cached: $bin (version $("$bin" --version 2>/dev/null | grep -o "[0-9][0-9.]*[^ ]*$" | tail -n1))"
    log_module_zip
    echo "$bin"
    exit 0
fi

# The machine image has Go in /usr/local/go; a non-login shell (CI, sudo) may lack it on PATH.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    export PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || die "go is not installed or not on PATH: building Ollama $VERSION needs Go >= 1.24 with cgo (Debian 12's golang-go is 1.19, too old)"
command -v gcc >/dev/null 2>&1 || die "gcc is not installed (cgo needs a C compiler: apt-get install build-essential)"
command -v g++ >/dev/null 2>&1 || die "g++ is not installed (ggml needs a C++17 compiler: apt-get install g++)"

jobs="${TANDEM_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"
mkdir -p "$dest"
tmp="$dest/.build.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

log "go: $(go version)"
log "building github.com/ollama/ollama@$VERSION (cgo, CPU only, -p $jobs); about 6 min on 2 cores the first time (3 s with a warm Go build cache)"
start=$(date +%s)

# CPU only: cgo on; no CUDA/ROCm/Metal paths exist in a plain `go install`.
# GOFLAGS=-buildvcs=false: no VCS stamping (the module zip has no .git anyway).
# -trimpath keeps the binary independent of the cache path. -X ...version.Version: a plain
# `go install` leaves it at "0.0.0" (Ollama's own builds stamp it the same way), which would
# make /api/version and `ollama --version` say 0.0.0.
# The Go toolchain must be new enough for the module's `go` line; GOTOOLCHAIN=local makes an
# old Go fail clearly instead of trying to download a toolchain.
if ! nice -n "${TANDEM_NICE:-10}" env \
        CGO_ENABLED=1 GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOFLAGS=-buildvcs=false \
        GOBIN="$tmp" \
        CGO_CFLAGS="${CGO_CFLAGS:--O3}" CGO_CXXFLAGS="${CGO_CXXFLAGS:--O3}" \
        go install -p "$jobs" -trimpath -ldflags "-s -w -X=github.com/ollama/ollama/version.Version=${VERSION#v}" \
        "github.com/ollama/ollama@$VERSION" 2> >(tee "$dest/build.log" >&2); then
    die "go install github.com/ollama/ollama@$VERSION failed after $(( $(date +%s) - start ))s; log: $dest/build.log"
fi

[[ -x "$tmp/ollama" ]] || die "go install succeeded but produced no ollama binary in $tmp"
mkdir -p "$dest/bin"
mv -f "$tmp/ollama" "$bin"
secs=$(( $(date +%s) - start ))
log "built $bin in ${secs}s ($(du -h "$bin" | cut -f1))"
log "version: $("$bin" --version 2>&1 | grep -o "[0-9][0-9.]*[^ ]*$" | tail -n1)"
log_module_zip
echo "$bin"
