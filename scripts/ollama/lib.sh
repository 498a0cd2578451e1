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
#   TANDEM_OLLAMA_MODEL      model name to import            (default tiny)

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

ol_log() { printf '[ollama] %s\n' "$*" >&2; }
ol_die() { printf '[ollama] error: %s\n' "$*" >&2; exit 1; }

ol_pidfile() { echo "$OL_STATE/$1/ollama.pid"; }

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
