#!/usr/bin/env bash
# Start tandem's two real Ollama servers (default 127.0.0.1:11434 and :11435) and import the
# tiny model into each. Idempotent: servers already started by this script are reused, and
# the model is re-imported only when missing or when tiny.gguf/Modelfile.tiny changed.
#
#   scripts/ollama/up.sh            # then: scripts/ollama/down.sh
#
# Builds the binary (scripts/ollama/build.sh, cached) and the model
# (scripts/ollama/make-tiny-model.py, cached) on first use. Settings: see lib.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v curl >/dev/null 2>&1 || ol_die "curl is required"

# ---- binary and model -----------------------------------------------------------------------
if [[ -n "${TANDEM_OLLAMA_BIN:-}" ]]; then
    bin="$TANDEM_OLLAMA_BIN"
    [[ -x "$bin" ]] || ol_die "TANDEM_OLLAMA_BIN=$bin is not executable"
else
    bin="$("$OL_SCRIPTS/build.sh" "$OL_VERSION" | tail -n1)"
fi
models="$OL_CACHE/models"
gguf="$(python3 "$OL_SCRIPTS/make-tiny-model.py" --out "$models/tiny.gguf" | tail -n1)"
modelfile="$models/Modelfile.tiny"
cmp -s "$OL_SCRIPTS/Modelfile.tiny" "$modelfile" 2>/dev/null || cp "$OL_SCRIPTS/Modelfile.tiny" "$modelfile"
stamp_want="$( { sha256sum "$gguf" "$modelfile" | cut -d' ' -f1; echo "$OL_VERSION $OL_MODEL"; } | sha256sum | cut -d' ' -f1)"

mkdir -p "$OL_STATE" "$OL_RUN"

# ---- start --------------------------------------------------------------------------------
declare -A started=()
for port in $OL_PORTS; do
    dir="$OL_STATE/$port"
    mkdir -p "$dir/models" "$dir/home"
    pid="$(ol_running_pid "$port")"
    if [[ -n "$pid" ]]; then
        ol_log "127.0.0.1:$port already started by up.sh (pid $pid)"
        continue
    fi
    rm -f "$(ol_pidfile "$port")"
    if [[ -n "$(ol_probe "$port")" ]] || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        ol_die "127.0.0.1:$port is already in use by a process up.sh did not start; stop it or set TANDEM_OLLAMA_PORTS"
    fi
    log="$OL_RUN/ollama-$port.log"
    ol_log "starting $bin serve on 127.0.0.1:$port (models $dir/models, log $log)"
    (
        cd "$dir"
        # OLLAMA_NUM_PARALLEL=1: one request at a time per server, queued in order (the
        #   0.11.4 default, made explicit): with num_thread 1 each server uses one core, so the
        #   two servers fill the two cores; concurrent agents queue at the server, which is what
        #   the benchmark measures and what the simulator models.
        # OLLAMA_KEEP_ALIVE=24h: the model stays loaded across a run (default 5m would unload
        #   between runs and turn the next first token into a load).
        # OLLAMA_MAX_LOADED_MODELS=1, OLLAMA_NOPRUNE=1 (no blob pruning at start-up),
        # HOME: the server's key pair goes to the state dir, not ~/.ollama.
        exec setsid env \
            HOME="$dir/home" \
            OLLAMA_HOST="127.0.0.1:$port" \
            OLLAMA_MODELS="$dir/models" \
            OLLAMA_NUM_PARALLEL="${TANDEM_OLLAMA_NUM_PARALLEL:-1}" \
            OLLAMA_MAX_LOADED_MODELS=1 \
            OLLAMA_KEEP_ALIVE="${TANDEM_OLLAMA_KEEP_ALIVE:-24h}" \
            OLLAMA_NOPRUNE=1 \
            OLLAMA_FLASH_ATTENTION=0 \
            CUDA_VISIBLE_DEVICES= HIP_VISIBLE_DEVICES= \
            "$bin" serve
    ) </dev/null >"$log" 2>&1 &
    pid=$!
    echo "$pid" > "$(ol_pidfile "$port")"
    started[$port]=$pid
done

# ---- wait for readiness -------------------------------------------------------------------
fail() {
    local port="$1" why="$2" pid="${started[$1]:-}"
    ol_log "127.0.0.1:$port: $why; last lines of $OL_RUN/ollama-$port.log:"
    tail -n 30 "$OL_RUN/ollama-$port.log" >&2 2>/dev/null || true
    if [[ -n "$pid" ]] && ol_is_our_serve "$pid"; then kill "$pid" 2>/dev/null || true; fi
    rm -f "$(ol_pidfile "$port")"
    exit 1
}
for port in $OL_PORTS; do
    t0=$SECONDS
    until [[ "$(ol_probe "$port")" == "Ollama is running" ]]; do
        pid="$(cat "$(ol_pidfile "$port")" 2>/dev/null || true)"
        ol_is_our_serve "$pid" || fail "$port" "server exited before it was ready"
        (( SECONDS - t0 < OL_TIMEOUT )) || fail "$port" "not ready after ${OL_TIMEOUT}s (GET / did not say 'Ollama is running')"
        sleep 0.2
    done
    ol_log "127.0.0.1:$port ready after $((SECONDS - t0))s"
done

# ---- import the model ---------------------------------------------------------------------
for port in $OL_PORTS; do
    stampf="$OL_STATE/$port/$OL_MODEL.stamp"
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
            "http://127.0.0.1:$port/api/show" -d "{\"model\":\"$OL_MODEL\"}" || true)"
    if [[ "$code" == 200 && -f "$stampf" && "$(cat "$stampf")" == "$stamp_want" ]]; then
        ol_log "127.0.0.1:$port has $OL_MODEL"
        continue
    fi
    ol_log "127.0.0.1:$port: ollama create $OL_MODEL -f $modelfile"
    if ! OLLAMA_HOST="127.0.0.1:$port" "$bin" create "$OL_MODEL" -f "$modelfile" \
            >"$OL_RUN/create-$port.log" 2>&1; then
        cat "$OL_RUN/create-$port.log" >&2
        ol_die "ollama create $OL_MODEL failed on 127.0.0.1:$port"
    fi
    echo "$stamp_want" > "$stampf"
done

for port in $OL_PORTS; do
    ol_log "up: http://127.0.0.1:$port pid $(cat "$(ol_pidfile "$port")") model $OL_MODEL log $OL_RUN/ollama-$port.log"
done
