#!/usr/bin/env bash
# Build the CUDA backend (libggml-cuda.so + the libggml-base.so it links) of an Ollama module
# version with CMake and nvcc, for this machine's GPU architecture only, and install it where
# that version's Go-built `ollama` binary loads GPU backends at run time.
#
#   scripts/ollama/build-cuda.sh [options] [VERSION]        (also: build.sh --cuda [VERSION])
#
#   VERSION              Ollama tag (default $TANDEM_OLLAMA_VERSION or v0.11.4)
#   --ollama PATH        install next to this binary: <dir of PATH>/../lib/ollama
#   --prefix DIR         install into DIR/lib/ollama (what `cmake --install --prefix` means)
#                        (neither: next to build.sh's binary, $TANDEM_CACHE/ollama/VERSION/bin/ollama)
#   --src ARCHIVE|DIR    the module source: a Go module zip (`go mod download -json
#                        github.com/ollama/ollama@VERSION` prints its "Zip"), or an unpacked
#                        module tree; default: the Go module cache, downloading it if go exists
#   --arch NN            CUDA architecture (default $TANDEM_CUDA_ARCH, else nvidia-smi's compute_cap)
#   --build-dir DIR      work dir (default $TANDEM_CACHE/ollama-cuda/VERSION-smNN-cudaMM)
#   --jobs N             parallel compile jobs (default $TANDEM_BUILD_JOBS or nproc)
#   --dry-run            print the commands of each step and the install dir, run nothing
#   --configure-only     stop after `cmake` configured the build (checks toolchain and source)
#   --force              install even over libraries of another Ollama version
#
# Why: the Go binary compiles ggml's base and CPU backend in through cgo, but GPU backends are
# shared libraries it dlopen()s from <exe dir>/../lib/ollama (ml/backend/ggml/ggml/src/ggml.go,
# discover/path.go). The binary does not export its ggml symbols (Go's linker exports only
# //export'ed cgo symbols), so libggml-cuda.so needs its own libggml-base.so of the SAME
# version beside it; both get RUNPATH $ORIGIN. The CPU variants (libggml-cpu-*.so) are not
# built: the binary's built-in CPU backend serves. From v0.12.0 on the CUDA backend goes to a
# per-CUDA-major subdirectory (lib/ollama/cuda_v12, cuda_v13), as Ollama's own builds do.
#
# Each step prints its time; a step whose output exists is skipped (rerun to resume).
# Progress goes to stderr; the last stdout line is the directory the backend went to.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${TANDEM_CACHE:-$root/.cache}"
module=github.com/ollama/ollama

log() { printf '[ollama-cuda] %s\n' "$*" >&2; }
die() { printf '[ollama-cuda] error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; }

version="" version_given=0 ollama_bin="" prefix="" src="" arch="${TANDEM_CUDA_ARCH:-}" build_dir="" dry=0 force=0 configure_only=0
jobs="${TANDEM_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"
while (( $# )); do
    case "$1" in
        --ollama) ollama_bin="${2:?--ollama needs a path}"; shift 2 ;;
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --src) src="${2:?--src needs a module zip or directory}"; shift 2 ;;
        --arch) arch="${2:?--arch needs a value such as 90}"; shift 2 ;;
        --build-dir) build_dir="${2:?--build-dir needs a directory}"; shift 2 ;;
        --jobs|-j) jobs="${2:?--jobs needs a number}"; shift 2 ;;
        --dry-run) dry=1; shift ;;
        --force) force=1; shift ;;
        --configure-only) configure_only=1; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) usage; die "unknown option '$1' (see --help)" ;;
        *) [[ -z "$version" ]] || die "two versions given ('$version', '$1'): give one"
           version="$1" version_given=1; shift ;;
    esac
done
version="${version:-${TANDEM_OLLAMA_VERSION:-v0.11.4}}"
case "$version" in v*) ;; *) version="v$version" ;; esac
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs '$jobs' is not a positive number"
[[ -z "$ollama_bin" || -z "$prefix" ]] || die "give --ollama or --prefix, not both"

# Shell-quoted command line, for logs and --dry-run.
show() { local a out=""; for a in "$@"; do out+="$(printf '%q' "$a") "; done; printf '%s\n' "${out% }"; }
# Runs a step's command, or prints it under --dry-run.
# Tools' own output goes to stderr too: stdout carries only the result (or the dry-run commands).
run() { if (( dry )); then show "$@"; else log "+ $(show "$@")"; "$@" >&2; fi; }
step_start=0
step() { step_start=$(date +%s); log "step: $*"; }
step_done() { log "  done in $(( $(date +%s) - step_start ))s"; }

# ---- GPU architecture -------------------------------------------------------------------
# Normalises "9.0", "90", "sm_90", "compute_90", "90a" to CMake's form (90, 90a).
norm_arch() {
    local a="${1// /}"
    a="${a#sm_}"; a="${a#compute_}"
    if [[ "$a" =~ ^([0-9]+)\.([0-9])([a-z]?)$ ]]; then a="${BASH_REMATCH[1]}${BASH_REMATCH[2]}${BASH_REMATCH[3]}"; fi
    [[ "$a" =~ ^[1-9][0-9]+[a-z]?$ ]] || return 1
    printf '%s\n' "$a"
}
if [[ -n "$arch" ]]; then
    arch_in="$arch"
    arch="$(norm_arch "$arch_in")" || die "CUDA architecture '$arch_in' (TANDEM_CUDA_ARCH/--arch) is not of the form 90, 9.0 or sm_90"
    arch_from="TANDEM_CUDA_ARCH/--arch"
else
    command -v nvidia-smi >/dev/null 2>&1 || die "no nvidia-smi on PATH and TANDEM_CUDA_ARCH is not set: set TANDEM_CUDA_ARCH to the GPU's compute capability (H100/H200: 90, A100: 80, L4/RTX 40xx: 89), or install the NVIDIA driver utilities"
    caps="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>&1)" || die "nvidia-smi --query-gpu=compute_cap failed ($caps): set TANDEM_CUDA_ARCH (e.g. 90) or fix the driver"
    arch=""
    while read -r c; do
        [[ -n "$c" ]] || continue
        n="$(norm_arch "$c")" || die "nvidia-smi printed compute_cap '$c', not of the form 9.0: set TANDEM_CUDA_ARCH (e.g. 90)"
        [[ ";$arch;" == *";$n;"* ]] || arch="${arch:+$arch;}$n"
    done <<< "$caps"
    [[ -n "$arch" ]] || die "nvidia-smi lists no GPU: set TANDEM_CUDA_ARCH (e.g. 90) to build for a GPU that is not here"
    arch_from="nvidia-smi"
fi
log "CUDA architecture: $arch (from $arch_from)"

# ---- toolchain --------------------------------------------------------------------------
nvcc_hint="install the CUDA toolkit (12.x or 13.x; NVIDIA's installers or the distribution's nvidia-cuda-toolkit package) and put its bin/ on PATH, or set CUDACXX=/path/to/nvcc or CUDA_HOME; on the GPU host \`nix develop .#gpu\` gives a ready CUDA build of the pinned Ollama instead"
nvcc="${CUDACXX:-}"
if [[ -z "$nvcc" ]]; then
    nvcc="$(command -v nvcc 2>/dev/null || true)"
    cuda_home="${CUDA_HOME:-${CUDA_PATH:-/usr/local/cuda}}"
    [[ -n "$nvcc" || ! -x "$cuda_home/bin/nvcc" ]] || nvcc="$cuda_home/bin/nvcc"
fi
cuda_ver="" cuda_major=""
if [[ -z "$nvcc" || ! -x "$nvcc" ]]; then
    (( dry )) || die "nvcc not found (CUDA toolkit missing${CUDACXX:+: CUDACXX=$CUDACXX is not executable}): $nvcc_hint"
    log "dry run: nvcc not found; a real run stops here ($nvcc_hint)"
    nvcc="${nvcc:-nvcc}"
else
    cuda_ver="$("$nvcc" --version 2>/dev/null | sed -n 's/.*release \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n1)"
    [[ -n "$cuda_ver" ]] || die "$nvcc --version printed no 'release X.Y' line: is it a CUDA nvcc? set CUDACXX to the toolkit's bin/nvcc"
    cuda_major="${cuda_ver%%.*}"
    log "nvcc: $nvcc (CUDA $cuda_ver)"
    (( cuda_major >= 12 )) || die "CUDA $cuda_ver is too old for this build (Ollama ships CUDA 12 and 13 backends): install CUDA 12.x or 13.x"
    if (( cuda_major >= 13 )); then
        IFS=';' read -ra archs <<< "$arch"
        for a in "${archs[@]}"; do
            (( ${a%%[a-z]*} >= 75 )) || die "CUDA $cuda_ver cannot compile for sm_$a (CUDA 13 dropped Maxwell, Pascal and Volta, < 7.5): use CUDA 12.x for this GPU"
        done
    fi
fi

cmake_ver=""
if command -v cmake >/dev/null 2>&1; then
    cmake_ver="$(cmake --version | sed -n 's/^cmake version \([0-9][0-9.]*\).*/\1/p' | head -n1)"
elif (( ! dry )); then
    die "cmake not found: install CMake >= 3.21 (apt-get install cmake, or pip install cmake)"
fi

# Dotted-version comparison: ver_ge A B is true when A >= B.
ver_ge() { [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" == "$2" ]]; }

# A tiny kernel through nvcc and its host compiler: nvcc refuses host compilers newer than
# the toolkit knows, and that is clearer here than 100 files into the build.
if [[ -n "$cuda_ver" && "$dry" == 0 ]]; then
    probe_dir="$(mktemp -d)"
    printf '__global__ void k(float *x) { x[threadIdx.x] += 1.0f; }\n' > "$probe_dir/probe.cu"
    host_args=()
    [[ -z "${CUDAHOSTCXX:-}" ]] || host_args=(-ccbin "$CUDAHOSTCXX")
    if ! out="$("$nvcc" "${host_args[@]}" -arch="sm_${arch%%;*}" -c "$probe_dir/probe.cu" -o "$probe_dir/probe.o" 2>&1)"; then
        rm -rf "$probe_dir"
        hostcxx="${CUDAHOSTCXX:-$(command -v g++ || echo g++)}"
        if grep -qi "unsupported .* version" <<< "$out"; then
            die "nvcc (CUDA $cuda_ver) does not support the host compiler $hostcxx ($("$hostcxx" --version 2>/dev/null | head -n1)): install a g++ this CUDA release supports and set CUDAHOSTCXX=/usr/bin/g++-N, or use a newer CUDA; nvcc said: $(grep -i unsupported <<< "$out" | head -n1)"
        fi
        die "nvcc cannot compile a trivial kernel for sm_${arch%%;*} (CUDA $cuda_ver): $(head -n5 <<< "$out")"
    fi
    rm -rf "$probe_dir"
    log "host compiler accepted by nvcc: ${CUDAHOSTCXX:-$(command -v g++ || echo c++)}"
fi

# ---- module source ----------------------------------------------------------------------
# The CMake build needs only CMakeLists.txt, CMakePresets.json and ml/backend/ggml/ggml.
gomodcache=""
if [[ -z "$src" ]]; then
    if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then export PATH="/usr/local/go/bin:$PATH"; fi
    command -v go >/dev/null 2>&1 || die "no --src given and go is not installed: copy the module zip from the machine that built ollama (scripts/ollama/build.sh prints its path) and pass --src ZIP, or install Go"
    gomodcache="$(go env GOMODCACHE)"
    src="$gomodcache/$module@$version"
    if [[ ! -f "$src/CMakeLists.txt" ]]; then
        step "download $module@$version from the Go module proxy"
        if (( dry )); then show go mod download -json "$module@$version"
        else
            (cd / && GOFLAGS=-mod=mod go mod download -json "$module@$version" >&2) || die "go mod download $module@$version failed: check the version tag and network, or pass --src ZIP"
            step_done
        fi
    fi
fi

if [[ -f "$src" ]]; then
    case "$src" in *.zip) ;; *) die "--src $src is a file but not a .zip: give a Go module zip or a module directory" ;; esac
    src="$(cd "$(dirname "$src")" && pwd)/$(basename "$src")"
    # The zip's entries are under <module>@<version>/; that names its version, which is the
    # version built when none was given.
    zip_list() { if command -v unzip >/dev/null 2>&1; then unzip -Z1 "$1"; else python3 -c 'import sys,zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"; fi; }
    zip_ver="$(zip_list "$src" | sed -n "s|^$module@\([^/]*\)/CMakeLists.txt$|\1|p" | head -n1)"
    [[ -n "$zip_ver" ]] || die "$src is not a Go module zip of $module (no $module@VERSION/CMakeLists.txt inside)"
    if (( ! version_given )) && [[ -z "${TANDEM_OLLAMA_VERSION:-}" ]]; then version="$zip_ver"; fi
    [[ "$zip_ver" == "$version" ]] || die "$src holds $module@$zip_ver but version $version was asked for: pass $zip_ver as VERSION, or the zip of $version"
fi
work="${build_dir:-$cache/ollama-cuda/$version-sm${arch//;/_}-cuda${cuda_major:-X}}"
if [[ -f "$src" ]]; then
    unpacked="$work/src"
    step "unpack $src"
    if [[ -f "$unpacked/.unpacked" ]]; then
        log "  skipped: $unpacked exists"
    else
        sel=("$module@$version/CMakeLists.txt" "$module@$version/CMakePresets.json" "$module@$version/ml/backend/ggml/ggml/*")
        if (( dry )); then show unzip -q -o "$src" "${sel[@]}" -d "$unpacked.tmp"
        else
            rm -rf "$unpacked.tmp"; mkdir -p "$unpacked.tmp"
            if command -v unzip >/dev/null 2>&1; then
                unzip -q -o "$src" "${sel[@]}" -d "$unpacked.tmp" || die "unzip $src failed"
            else
                python3 - "$src" "$unpacked.tmp" "$module@$version/" <<'PY' || die "unpacking $src with python3 failed"
import sys, zipfile
z, dest, top = zipfile.ZipFile(sys.argv[1]), sys.argv[2], sys.argv[3]
z.extractall(dest, [n for n in z.namelist() if n.startswith(top + "ml/backend/ggml/ggml/") or n in (top + "CMakeLists.txt", top + "CMakePresets.json")])
PY
            fi
            rm -rf "$unpacked"; mv "$unpacked.tmp/$module@$version" "$unpacked"; rm -rf "$unpacked.tmp"
            touch "$unpacked/.unpacked"
            step_done
        fi
    fi
    src="$unpacked"
elif [[ -d "$src" ]]; then
    src="$(cd "$src" && pwd)"
elif (( ! dry )); then
    die "--src $src does not exist: give a Go module zip or an unpacked $module@$version directory"
fi
if (( ! dry )) || [[ -f "$src/CMakeLists.txt" ]]; then
    [[ -f "$src/CMakeLists.txt" && -d "$src/ml/backend/ggml/ggml/src/ggml-cuda" ]] \
        || die "$src is not an Ollama module tree with a CUDA backend (no CMakeLists.txt or ml/backend/ggml/ggml/src/ggml-cuda): Ollama before v0.6 has none; give another --src or VERSION"
fi
log "source: $src"

# Too-old CMake: the module's own floor (3.21 for v0.6..v0.12: install(RUNTIME_DEPENDENCIES)).
if [[ -f "$src/CMakeLists.txt" ]]; then
    need_cmake="$(sed -n 's/^ *cmake_minimum_required *( *VERSION *\([0-9][0-9.]*\).*/\1/p' "$src/CMakeLists.txt" | head -n1)"
    need_cmake="${need_cmake:-3.21}"
    if [[ -n "$cmake_ver" ]] && ! ver_ge "$cmake_ver" "$need_cmake"; then
        die "cmake $cmake_ver is older than the $need_cmake that Ollama $version's CMakeLists.txt requires: install a newer CMake (pip install cmake, or Kitware's release tarball)"
    fi
fi

# v0.12.0 on: CMakeLists.txt installs into lib/ollama/${OLLAMA_RUNNER_DIR}, which Ollama's
# release builds set to cuda_v12 / cuda_v13; earlier versions install flat into lib/ollama.
runner_dir=""
if [[ -f "$src/CMakeLists.txt" ]] && grep -q OLLAMA_RUNNER_DIR "$src/CMakeLists.txt"; then
    runner_dir="cuda_v${cuda_major:-12}"
fi
if [[ -n "$cuda_major" && "$cuda_major" -ge 13 && -f "$src/CMakePresets.json" ]] && ! grep -q '"CUDA 13"' "$src/CMakePresets.json"; then
    log "warning: Ollama $version predates Ollama's CUDA 13 support (v0.12.0 added it); its backend is built here with CUDA $cuda_ver as is"
fi

# ---- install location -------------------------------------------------------------------
if [[ -n "$ollama_bin" ]]; then
    # Ollama resolves its own path (/proc/self/exe), so a symlinked binary looks beside its target.
    [[ ! -L "$ollama_bin" ]] || ollama_bin="$(readlink -f "$ollama_bin")"
    base="$(cd "$(dirname "$ollama_bin")" 2>/dev/null && pwd)" || die "--ollama $ollama_bin: its directory does not exist"
    prefix="$(dirname "$base")"
elif [[ -n "$prefix" ]]; then
    (( dry )) || mkdir -p "$prefix" 2>/dev/null || die "cannot create --prefix $prefix"
    prefix="$(cd "$prefix" 2>/dev/null && pwd || echo "$prefix")"
else
    ollama_bin="$cache/ollama/$version/bin/ollama"
    prefix="$cache/ollama/$version"
    log "no --ollama/--prefix: installing for $ollama_bin (scripts/ollama/build.sh's binary)"
fi
libdir="$prefix/lib/ollama"
dest="$libdir${runner_dir:+/$runner_dir}"
if [[ -n "$ollama_bin" && -x "$ollama_bin" ]]; then
    have="$("$ollama_bin" --version 2>&1 | grep -o '[0-9][0-9.]*[^ ]*$' | tail -n1 || true)"
    if [[ -n "$have" && "v$have" != "$version" && "$have" != 0.0.0 ]]; then
        (( force )) || die "$ollama_bin is Ollama $have but this backend is $version: ggml's ABI is per version, so build the backend of v$have (pass v$have) or use --force"
    fi
fi
stamp="$libdir/.ggml-version"
if [[ -f "$stamp" && "$(cat "$stamp")" != "$version" ]]; then
    (( force )) || die "$libdir holds the ggml libraries of Ollama $(cat "$stamp"), not $version: mixing versions breaks ggml's ABI; give another --ollama/--prefix, remove $libdir, or use --force"
fi
log "install dir: $dest"

# ---- configure, build, install ----------------------------------------------------------
bld="$work/build"
# RUNPATH of the installed backend: its own directory (cudart, cublas), and the one above when
# it sits in cuda_vNN/ (libggml-base.so stays in lib/ollama, as in Ollama's own layout).
rpath='$ORIGIN'
[[ -z "$runner_dir" ]] || rpath='$ORIGIN;$ORIGIN/..'
gen=(-G "Unix Makefiles")
if command -v ninja >/dev/null 2>&1; then gen=(-G Ninja); fi
# The prefix goes in at configure time: Ollama's CMakeLists.txt bakes
# ${CMAKE_INSTALL_PREFIX}/lib/ollama into absolute install destinations, which
# `cmake --install --prefix` does not move.
cfg=(cmake -S "$src" -B "$bld" "${gen[@]}"
     -DCMAKE_BUILD_TYPE=Release
     "-DCMAKE_CUDA_ARCHITECTURES=$arch"
     "-DCMAKE_CUDA_COMPILER=$nvcc"
     "-DCMAKE_INSTALL_PREFIX=$prefix"
     "-DCMAKE_INSTALL_RPATH=$rpath"
     -DCMAKE_INSTALL_RPATH_USE_LINK_PATH=OFF)
[[ -z "${CUDAHOSTCXX:-}" ]] || cfg+=("-DCMAKE_CUDA_HOST_COMPILER=$CUDAHOSTCXX")
# Ollama's CMakeLists.txt calls find_package(CUDAToolkit) before CUDA is enabled, so
# FindCUDAToolkit looks for nvcc on PATH, not at CMAKE_CUDA_COMPILER: point it at this one.
nvcc_dir="$(dirname "$nvcc")"
if [[ "$nvcc_dir" != . ]]; then
    export PATH="$nvcc_dir:$PATH"
    [[ ! -f "$nvcc_dir/../include/cuda_runtime.h" ]] || cfg+=("-DCUDAToolkit_ROOT=$(cd "$nvcc_dir/.." && pwd)")
fi
[[ -z "$runner_dir" ]] || cfg+=("-DOLLAMA_RUNNER_DIR=$runner_dir")
cfg_key="$(show "${cfg[@]}")"

step "configure ($work)"
if [[ -f "$bld/CMakeCache.txt" && -f "$bld/.tandem-configured" && "$(cat "$bld/.tandem-configured")" == "$cfg_key" ]]; then
    log "  skipped: $bld is configured with the same options"
else
    (( dry )) || { rm -f "$bld/.tandem-configured" "$bld/.tandem-built"; mkdir -p "$bld"; }
    run "${cfg[@]}" || die "cmake configure failed; see the output above and $bld/CMakeFiles/CMakeError.log"
    (( dry )) || { printf '%s' "$cfg_key" > "$bld/.tandem-configured"; step_done; }
fi

if (( configure_only )); then
    log "configured: $bld (--configure-only; build with: cmake --build $bld --target ggml-cuda)"
    echo "$bld"
    exit 0
fi

step "build ggml-cuda for sm_$arch with $jobs jobs (about 100 CUDA files; tens of minutes on few cores)"
if [[ -f "$bld/.tandem-built" && -f "$bld/lib/ollama/libggml-cuda.so" ]]; then
    log "  skipped: $bld/lib/ollama/libggml-cuda.so is built"
else
    run nice -n "${TANDEM_NICE:-10}" cmake --build "$bld" --target ggml-cuda --parallel "$jobs" \
        || die "building ggml-cuda failed; the first error above names the file (rerun resumes)"
    (( dry )) || { touch "$bld/.tandem-built"; step_done; }
fi

step "install into $dest"
# What is installed is named by the checksums of the two built libraries.
built_key=""
if (( ! dry )); then
    built_key="$version $(cat "$bld/lib/ollama/libggml-cuda.so" "$bld/lib/ollama/libggml-base.so" | sha256sum | cut -d' ' -f1)"
fi
if (( ! dry )) && [[ -f "$dest/libggml-cuda.so" && -f "$libdir/libggml-base.so" \
        && "$(cat "$libdir/.ggml-installed" 2>/dev/null)" == "$built_key" ]]; then
    log "  skipped: $dest holds this build"
else
    # CMake's CUDA component: libggml-cuda.so plus the libcudart/libcublas/libcublasLt it
    # links (install(RUNTIME_DEPENDENCIES) in Ollama's CMakeLists.txt), with RUNPATH $ORIGIN.
    run cmake --install "$bld" --component CUDA --strip \
        || die "cmake --install of the CUDA component failed"
    # libggml-base.so belongs to CMake's CPU component, whose install also wants every CPU
    # variant built; copy it alone.
    run mkdir -p "$libdir"
    run install -m 0755 "$bld/lib/ollama/libggml-base.so" "$libdir/libggml-base.so"
    run strip --strip-unneeded "$libdir/libggml-base.so"
    if (( dry )); then
        printf 'echo %s > %s\n' "$version" "$(printf '%q' "$stamp")"
    else
        printf '%s\n' "$version" > "$stamp"
        printf '%s\n' "$built_key" > "$libdir/.ggml-installed"
        step_done
    fi
fi
if (( ! dry )); then
    [[ -f "$dest/libggml-cuda.so" ]] || die "install finished but $dest/libggml-cuda.so is missing"
    log "installed: $(cd "$dest" && ls lib*.so* | tr '\n' ' ')"
    log "check on the GPU host: OLLAMA_DEBUG=1 $prefix/bin/ollama serve (or your binary) logs 'load_backend: loaded CUDA backend'"
fi
echo "$dest"
