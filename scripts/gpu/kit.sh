#!/usr/bin/env bash
# gpu-kit: one folder (under 60 MB) that takes tandem to a GPU host with CUDA's compiler,
# CMake and Python but no Go, no internet and none of tandem's libraries:
#
#   scripts/gpu/kit.sh [OUT]          (just gpu-kit [OUT]; default build/gpu-kit)
#   # copy OUT/tandem-gpu-kit to the GPU host, then there:
#   tandem-gpu-kit/gpu-check.sh       (just gpu-check KIT from a checkout)
#
# What it holds:
#   bin/ollama            the pinned Ollama, built from its Go module here (CPU part only;
#                         gpu-check builds its CUDA backend on the host, for that GPU)
#   src/ollama-<v>.zip    the Ollama module's source archive, for that CUDA build
#   bin/tandem-*          every variant, tandem-sweep, tandem-report, tandem-sim and
#                         tandem-gpu-telemetry, debug info stripped
#   lib/                  the shared libraries those binaries need beyond glibc (libcurl,
#                         libuv, libcyaml, jansson and theirs), found with ldd
#   wheels/               the GGUF writer (gguf, tqdm); numpy only where asked
#                         (TANDEM_KIT_NUMPY_PY="3.10 3.11": 16 MB each), since most GPU
#                         hosts' Pythons have it
#   scripts/ plots/       up.sh/down.sh/build-cuda.sh and the model writer; gnuplot scripts
#   gpu-check.sh          the check (scripts/gpu/check.sh), MANIFEST.sha256, README.txt
# Built on glibc 2.36 (Debian 12): the host needs glibc >= the version `kit.sh` prints.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
case "${1:-}" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
out="${1:-$root/build/gpu-kit}"
kit="$out/tandem-gpu-kit"
limit_mb="${TANDEM_KIT_LIMIT_MB:-60}"
. "$root/scripts/ollama/lib.sh"

log() { printf '[gpu-kit] %s\n' "$*" >&2; }
die() { printf '[gpu-kit] error: %s\n' "$*" >&2; exit 1; }
t0=$SECONDS

rm -rf "$kit"
mkdir -p "$kit"/{bin,lib/ollama,src,wheels,scripts/ollama,plots}

# ---- tandem -------------------------------------------------------------------------------
log "building tandem (make programs)"
make -s -C "$root" -j"$(nproc)" programs >&2
variants="$(make -s -C "$root" list-variants)"
for v in $variants; do cp "$root/build/bin/tandem-$v" "$kit/bin/"; done
for t in sweep report sim gpu-telemetry; do
    [[ -x "$root/build/bin/tandem-$t" ]] || die "build/bin/tandem-$t was not built"
    cp "$root/build/bin/tandem-$t" "$kit/bin/"
done
strip --strip-debug "$kit"/bin/tandem-*
cp "$root"/plots/*.gp "$kit/plots/"

# Every library the binaries load, except glibc's own (the host has those, and mixing
# two glibcs in one process does not work).
ldd "$kit"/bin/tandem-* | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u | while read -r so; do
    case "$(basename "$so")" in
        libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|ld-linux*|libgcc_s.so.*|libstdc++.so.*) continue ;;
    esac
    cp -L "$so" "$kit/lib/"
done
glibc="$(objdump -T "$kit"/bin/tandem-* "$kit"/lib/*.so* 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -t. -k2,2n -k3,3n -u | tail -n1)"

# ---- Ollama -------------------------------------------------------------------------------
log "Ollama $OL_VERSION (scripts/ollama/build.sh; cached after the first build)"
ollama="$("$root/scripts/ollama/build.sh" "$OL_VERSION" | tail -n1)"
cp "$ollama" "$kit/bin/ollama"
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then export PATH="/usr/local/go/bin:$PATH"; fi
zip="$(go env GOMODCACHE)/cache/download/github.com/ollama/ollama/@v/$OL_VERSION.zip"
if [[ ! -f "$zip" ]]; then
    GOFLAGS=-mod=mod go mod download "github.com/ollama/ollama@$OL_VERSION" >&2 || true
fi
[[ -f "$zip" ]] || die "the Ollama module archive $zip is missing (go mod download github.com/ollama/ollama@$OL_VERSION)"
cp "$zip" "$kit/src/ollama-$OL_VERSION.zip"

# ---- Python wheels --------------------------------------------------------------------------
log "wheels: gguf, tqdm${TANDEM_KIT_NUMPY_PY:+, numpy for Python $TANDEM_KIT_NUMPY_PY}"
pipd() { python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$kit/wheels" "$@" >&2; }
pipd gguf==0.19.0 tqdm==4.67.1
for py in ${TANDEM_KIT_NUMPY_PY:-}; do
    pipd --python-version "$py" --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 numpy==2.2.6
done

# ---- scripts ------------------------------------------------------------------------------
for f in up.sh down.sh lib.sh build.sh build-cuda.sh make-tiny-model.py Modelfile.tiny; do
    cp "$root/scripts/ollama/$f" "$kit/scripts/ollama/"
done
cp "$root/scripts/gpu/check.sh" "$kit/gpu-check.sh"
mkdir -p "$kit/scripts/gpu"
cp "$root/scripts/gpu/experiments.sh" "$kit/scripts/gpu/"
cat > "$kit/README.txt" <<EOF
tandem GPU kit ($(cat "$root/VERSION"), Ollama $OL_VERSION), made $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -m) with glibc $(ldd --version | head -n1 | grep -o '[0-9.]*$').
On the GPU host (CUDA toolkit with nvcc, CMake >= 3.21, Python 3.9+ with numpy, glibc >= ${glibc#GLIBC_}):

    ./gpu-check.sh              # about 10 minutes on one H100; --help for the options
    ./gpu-check.sh --quick      # smaller; a second call resumes where the first stopped

Results, telemetry and the report land in ./gpu-check-results (or --out DIR).
EOF
(cd "$kit" && find . -type f ! -name MANIFEST.sha256 -printf '%P\n' | LC_ALL=C sort | xargs sha256sum > MANIFEST.sha256)

size_b="$(du -sb "$kit" | cut -f1)"
size_mb=$(( (size_b + 1048575) / 1048576 ))
log "contents:"
(cd "$kit" && du -sh bin/ollama src lib wheels bin scripts plots | sed 's/^/[gpu-kit]   /' >&2)
log "wrote $kit: $size_mb MB, $(find "$kit" -type f | wc -l) files, in $((SECONDS - t0)) s; the host needs glibc >= ${glibc#GLIBC_}"
(( size_mb <= limit_mb )) || die "the kit is $size_mb MB, over the $limit_mb MB limit (TANDEM_KIT_LIMIT_MB)"
echo "$kit"
