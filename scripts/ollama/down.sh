#!/usr/bin/env bash
# Stop the Ollama servers that scripts/ollama/up.sh started: exactly the PIDs in its pid
# files under $TANDEM_OLLAMA_STATE (plus their `ollama runner` children, if a server has to
# be killed). With TANDEM_OLLAMA_PORTS set, only the servers on those ports: a private
# server started on another port must not take the shared ones down with it. Idempotent:
# nothing to stop is not an error. Keeps models and logs.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

children_of() {  # direct children of PID $1 (the model runners)
    local parent="$1" p s state ppid
    for p in /proc/[0-9]*; do
        s="$(cat "$p/stat" 2>/dev/null)" || continue
        s="${s##*) }"  # drop "pid (comm) "; comm may hold spaces
        read -r state ppid _ <<<"$s"
        [[ "$ppid" == "$parent" ]] && echo "${p#/proc/}"
    done
    return 0
}

shopt -s nullglob
stopped=0
for f in "$OL_STATE"/*/ollama.pid; do
    port="$(basename "$(dirname "$f")")"
    if [[ -n "${TANDEM_OLLAMA_PORTS:-}" && " $TANDEM_OLLAMA_PORTS " != *" $port "* ]]; then
        continue
    fi
    pid="$(cat "$f" 2>/dev/null || true)"
    if ! ol_is_our_serve "$pid"; then
        ol_log "127.0.0.1:$port: pid ${pid:-?} is not running; removing stale $f"
        rm -f "$f" "$(ol_rolefile "$port")"
        continue
    fi
    kids="$(children_of "$pid" | tr '\n' ' ')"; kids="${kids% }"
    ol_log "stopping 127.0.0.1:$port (pid $pid${kids:+, runners $kids})"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        ol_is_our_serve "$pid" || break
        sleep 0.2
    done
    if ol_is_our_serve "$pid"; then
        ol_log "127.0.0.1:$port: pid $pid ignored SIGTERM for 10s; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    for k in $kids; do
        if [[ -r "/proc/$k/cmdline" ]] && tr '\0' ' ' < "/proc/$k/cmdline" | grep -q 'ollama.* runner'; then
            kill -KILL "$k" 2>/dev/null || true
        fi
    done
    rm -f "$f" "$(ol_rolefile "$port")"
    stopped=$((stopped + 1))
done
ol_log "down: stopped $stopped server(s)"
