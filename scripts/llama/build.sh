#!/usr/bin/env bash
# Build llama.cpp's llama-server (CPU) from the llama.cpp source that npm's node-llama-cpp
# package carries (a git bundle of llama.cpp at the release it binds), and cache it by that
# package's version: a second real server for the OpenAI-API tests, from a source this
# machine can reach (npm), pinned by the package version.
#
#   scripts/llama/build.sh             prints the binary's path as its last line
#
# Result: $TANDEM_CACHE/llama-server/<version>/bin/llama-server (TANDEM_CACHE defaults to
# <repo>/.cache), with llama.cpp's commit in ../llama.cpp.commit. About 12 minutes on 2
# cores the first time; rebuilt only when missing (or TANDEM_LLAMA_REBUILD=1).
# TANDEM_NODE_LLAMA_CPP_VERSION picks another package version.
set -euo pipefail

VERSION="${TANDEM_NODE_LLAMA_CPP_VERSION:-3.22.1}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${TANDEM_CACHE:-$root/.cache}"
dest="$cache/llama-server/$VERSION"
bin="$dest/bin/llama-server"

log() { printf '[llama-build] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -x "$bin" && "${TANDEM_LLAMA_REBUILD:-0}" != 1 ]]; then
    echo "$bin"
    exit 0
fi
for t in npm git cmake c++; do
    command -v "$t" >/dev/null || die "$t is missing (scripts/install-deps.sh installs the build tools; npm comes with nodejs)"
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log "fetching node-llama-cpp@$VERSION from npm (its llama.cpp source)"
(cd "$work" && npm pack --silent "node-llama-cpp@$VERSION" >/dev/null) ||
    die "npm pack node-llama-cpp@$VERSION failed: is the npm registry reachable?"
tar xzf "$work/node-llama-cpp-$VERSION.tgz" -C "$work" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json ||
    die "node-llama-cpp@$VERSION carries no llama.cpp bundle (package/llama/gitRelease.bundle)"
git clone -q "$work/package/llama/gitRelease.bundle" "$work/llama.cpp"
commit="$(git -C "$work/llama.cpp" rev-parse HEAD)"
log "llama.cpp $commit ($(tr -d '\n ' < "$work/package/llama/llama.cpp.info.json")); building llama-server, about 12 min on 2 cores"
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S "$work/llama.cpp" -B "$work/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON >&2
cmake --build "$work/build" --target llama-server -j "$(nproc)" >&2
mkdir -p "$dest/bin"
install -m 0755 "$work/build/bin/llama-server" "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "$commit" > "$dest/llama.cpp.commit"
log "built $bin"
echo "$bin"
