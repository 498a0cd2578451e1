# Shared settings for scripts/ollama/{up,down,status}.sh. Sourced, not run.
#
# Environment (all optional):
#   TANDEM_CACHE             cache root                     (default <repo>/.cache)
#   TANDEM_OLLAMA_VERSION    Ollama tag to build/use         (default v0.11.4)
#   TANDEM_OLLAMA_BIN        use this ollama binary instead of building one
#   TANDEM_OLLAMA_PORTS      ports on 127.0.0.1              (default "11434 11435")
#   TANDEM_OLLAMA_STATE      state dir: models, pid files    (default $TANDEM_CACHE/ollama-state)
#   TANDEM_OLLAMA_RUN_DIR    where server logs go            (default $TANDEM_OLLAMA_STATE/run)
#   TANDEM_OLLAMA_TIMEOUT    readiness timeout, seconds      (default 60)
#   TANDEM_OLLAMA_NUM_PARALLEL  OLLAMA_NUM_PARALLEL per server (default 1)
#   TANDEM_OLLAMA_KEEP_ALIVE    OLLAMA_KEEP_ALIVE per server   (default -1: never unload)
#   TANDEM_OLLAMA_MODEL      model name to import            (default: tiny on the CPU fixture,
#                            gemma3:latest on a GPU host)
#   TANDEM_OLLAMA_MODEL_FILE a local GGUF to import as that model with `ollama create`
#                            (GPU host: instead of `ollama pull`; CPU fixture: instead of the
#                            generated tiny.gguf)
#   TANDEM_OLLAMA_GPU        1: the GPU role even where nvidia-smi lists no GPU (= --gpu)
#   TANDEM_OLLAMA_MODELS     GPU host: the models folder both servers share
#                            (default $TANDEM_OLLAMA_STATE/gpu-models; ~/.ollama/models reuses
#                            what `ollama pull` already fetched on this host)
#   TANDEM_NVIDIA_SMI        the nvidia-smi command (default: nvidia-smi on PATH)

_ol_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OL_ROOT="$(cd "$_ol_here/../.." && pwd)"
OL_SCRIPTS="$_ol_here"
OL_CACHE="${TANDEM_CACHE:-$OL_ROOT/.cache}"
OL_VERSION="${TANDEM_OLLAMA_VERSION:-v0.11.4}"
OL_PORTS="${TANDEM_OLLAMA_PORTS:-11434 11435}"
OL_STATE="${TANDEM_OLLAMA_STATE:-$OL_CACHE/ollama-state}"
OL_RUN="${TANDEM_OLLAMA_RUN_DIR:-$OL_STATE/run}"
OL_TIMEOUT="${TANDEM_OLLAMA_TIMEOUT:-60}"
OL_MODEL="${TANDEM_OLLAMA_MODEL:-tiny}"
OL_SMI="${TANDEM_NVIDIA_SMI:-nvidia-smi}"

ol_log() { printf '[ollama] %s\n' "$*" >&2; }
ol_die() { printf '[ollama] error: %s\n' "$*" >&2; exit 1; }

ol_pidfile() { echo "$OL_STATE/$1/ollama.pid"; }
# What a running server was started as ("cpu-fixture" or "gpu"), so a second up.sh with
# the other role does not silently reuse it.
ol_rolefile() { echo "$OL_STATE/$1/role"; }

# The GPUs nvidia-smi lists, one "GPU i: NAME (UUID: GPU-...)" line each; empty when
# there is no nvidia-smi or no GPU.
ol_gpu_lines() {
    command -v "$OL_SMI" >/dev/null 2>&1 || return 0
    "$OL_SMI" -L 2>/dev/null | grep '^GPU [0-9]' || true
}

# The CUDA backend an Ollama binary would load, or nothing. On Linux, Ollama's Go binary
# loads its ggml backends at run time from the first of <dir of ollama>/../lib/ollama,
# <dir>/build/lib/ollama, ./build/lib/ollama (Ollama's own builds from 0.12 put them one
# level deeper, in cuda_v12/ or cuda_v13/), else <dir> itself (discover/path.go). Its
# serve hands that folder to the model runner, whatever OLLAMA_LIBRARY_PATH says, so a
# binary with no backend there runs on the CPU whatever the host has.
ol_cuda_backend() {
    local bin="$1" dir d f depth
    bin="$(readlink -f "$bin" 2>/dev/null || echo "$bin")"
    dir="$(dirname "$bin")"
    for d in "$dir/../lib/ollama" "$dir/build/lib/ollama" "$PWD/build/lib/ollama" "$dir"; do
        [[ -d "$d" ]] || continue
        depth=2
        [[ "$d" == "$dir" ]] && depth=1
        f="$(find "$d" -maxdepth "$depth" -name 'libggml-cuda*.so*' 2>/dev/null | head -n1)"
        if [[ -n "$f" ]]; then
            readlink -f "$f"
            return 0
        fi
    done
    # Packagers that link the backend in (or wrap the binary, as nixpkgs' wrapProgram does
    # with .ollama-wrapped) leave no file beside it: look inside the binary instead.
    for f in "$dir/.$(basename "$bin")-wrapped" "$bin"; do
        [[ -f "$f" ]] || continue
        if ldd "$f" 2>/dev/null | grep -q 'libggml-cuda'; then
            ldd "$f" | sed -n 's/.*\(libggml-cuda[^ ]*\) => \([^ ]*\).*/\2/p' | head -n1
            return 0
        fi
        if grep -qa 'ggml_backend_cuda_reg' "$f" 2>/dev/null; then
            echo "$f (linked in)"
            return 0
        fi
    done
    return 0
}

# True when PID is alive and is an `ollama serve` process.
ol_is_our_serve() {
    local pid="$1" cmd
    [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
    cmd="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" || return 1
    [[ "$cmd" == *ollama*" serve"* ]]
}

# PID recorded for PORT if that process is still our ollama serve; empty otherwise.
ol_running_pid() {
    local f pid
    f="$(ol_pidfile "$1")"
    [[ -f "$f" ]] || return 0
    pid="$(cat "$f" 2>/dev/null || true)"
    if ol_is_our_serve "$pid"; then echo "$pid"; fi
}

# Body of GET / on PORT ("Ollama is running" when ready), empty on failure.
ol_probe() { curl -s --max-time 2 "http://127.0.0.1:$1/" 2>/dev/null || true; }
