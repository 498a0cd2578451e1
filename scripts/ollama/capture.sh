#!/usr/bin/env bash
# Capture the real Ollama server's wire format into tests/e2e/captures/*.txt.
#
#   scripts/ollama/up.sh && scripts/ollama/capture.sh [OUTDIR]
#
# Each NAME.txt is the verbatim output of `curl -si --raw` (status line, headers, and the body
# exactly as sent: chunk-size lines and CRLFs kept, nothing de-chunked); the request that made
# it is in NAME.req (method, path, body). Uses the first port of TANDEM_OLLAMA_PORTS.
# The sequence unloads the model first so that cold load (done_reason "load"), warm requests
# and /api/ps in both states are all captured.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out="${1:-$OL_ROOT/tests/e2e/captures}"
mkdir -p "$out"
port="${OL_PORTS%% *}"
base="http://127.0.0.1:$port"
m="$OL_MODEL"

[[ "$(ol_probe "$port")" == "Ollama is running" ]] || ol_die "no Ollama on $base (run scripts/ollama/up.sh)"

# cap NAME METHOD PATH [BODY]
cap() {
    local name="$1" method="$2" path="$3" body="${4-}"
    local args=(-si --raw -N -X "$method")
    [[ "$method" == HEAD ]] && args=(-sI --raw)
    if [[ -n "$body" ]]; then
        printf '%s %s\n%s\n' "$method" "$path" "$body" > "$out/$name.req"
        curl "${args[@]}" "$base$path" -d "$body" > "$out/$name.txt"
    else
        printf '%s %s\n' "$method" "$path" > "$out/$name.req"
        curl "${args[@]}" "$base$path" > "$out/$name.txt"
    fi
    ol_log "captured $name ($(head -n1 "$out/$name.txt" | tr -d '\r'))"
}

opts='"options":{"num_predict":16,"num_thread":1,"temperature":0}'

cap unload-generate      POST /api/generate "{\"model\":\"$m\",\"keep_alive\":0}"
sleep 1
cap ps-empty             GET  /api/ps
cap root-get             GET  /
cap root-head            HEAD /
cap version              GET  /api/version
cap tags                 GET  /api/tags
cap show                 POST /api/show "{\"model\":\"$m\"}"
cap generate-stream-cold POST /api/generate "{\"model\":\"$m\",\"prompt\":\"hello\",$opts}"
cap ps-loaded            GET  /api/ps
cap generate-stream      POST /api/generate "{\"model\":\"$m\",\"prompt\":\"hello\",$opts}"
cap generate-nostream    POST /api/generate "{\"model\":\"$m\",\"prompt\":\"hello\",\"stream\":false,$opts}"
cap generate-load        POST /api/generate "{\"model\":\"$m\"}"
cap generate-stop        POST /api/generate "{\"model\":\"$m\",\"prompt\":\"hello\",\"options\":{\"num_predict\":16,\"num_thread\":1,\"temperature\":0,\"stop\":[\" for\"]}}"
cap chat-stream          POST /api/chat "{\"model\":\"$m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],$opts}"
cap chat-nostream        POST /api/chat "{\"model\":\"$m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"stream\":false,$opts}"
cap chat-load            POST /api/chat "{\"model\":\"$m\",\"messages\":[]}"
cap error-404-generate   POST /api/generate "{\"model\":\"nosuchmodel\",\"prompt\":\"hello\"}"
cap error-404-chat       POST /api/chat "{\"model\":\"nosuchmodel\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}"
cap error-404-show       POST /api/show "{\"model\":\"nosuchmodel\"}"
cap error-404-no-model   POST /api/generate "{\"prompt\":\"hello\"}"
cap error-400-bad-json   POST /api/generate "{\"model\":"
cap error-400-bad-option POST /api/generate "{\"model\":\"$m\",\"prompt\":\"hello\",\"options\":{\"num_predict\":\"x\"}}"
cap error-404-path       GET  /api/nosuchpath
cap error-405-method     GET  /api/generate
cap openai-chat-stream   POST /v1/chat/completions "{\"model\":\"$m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":8,\"temperature\":0}"
cap openai-chat-nostream POST /v1/chat/completions "{\"model\":\"$m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":8,\"temperature\":0}"
cap openai-404           POST /v1/chat/completions "{\"model\":\"nosuchmodel\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"stream\":true}"
# The rest of the OpenAI-compatible API (openai/openai.go's middlewares): a stream without
# the usage chunk, finish_reason "stop" (a stop sequence: the tiny model never stops by
# itself), /v1/models, and the errors of each layer (the middleware's own 400s are gin's
# AbortWithStatusJSON: "application/json; charset=utf-8", no newline, invalid_request_error;
# the handler's errors pass through writeError: "application/json", a newline, api_error).
v1msgs='"messages":[{"role":"user","content":"hello"}]'
cap openai-chat-stream-nousage POST /v1/chat/completions "{\"model\":\"$m\",$v1msgs,\"stream\":true,\"max_tokens\":8,\"temperature\":0}"
cap openai-chat-stream-stop    POST /v1/chat/completions "{\"model\":\"$m\",$v1msgs,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":16,\"temperature\":0,\"stop\":[\" for\"]}"
cap openai-chat-nostream-stop  POST /v1/chat/completions "{\"model\":\"$m\",$v1msgs,\"stream\":false,\"max_tokens\":16,\"temperature\":0,\"stop\":\" for\"}"
cap openai-models              GET  /v1/models
cap openai-model               GET  /v1/models/$m
cap openai-404-model           GET  /v1/models/nosuchmodel
cap openai-400-bad-json        POST /v1/chat/completions "{\"model\":"
cap openai-400-empty-body      POST /v1/chat/completions
cap openai-400-no-messages     POST /v1/chat/completions "{\"model\":\"$m\"}"
cap openai-400-bad-content     POST /v1/chat/completions "{\"model\":\"$m\",\"messages\":[{\"role\":\"user\"}]}"
cap openai-400-bad-type        POST /v1/chat/completions "{\"model\":\"$m\",$v1msgs,\"max_tokens\":\"8\"}"
cap openai-400-no-model        POST /v1/chat/completions "{$v1msgs}"
cap openai-405-method          GET  /v1/chat/completions
# An error after streaming started: kill -9 this server's model runner (a child of the
# `ollama serve` that up.sh started) while a long generation streams.
serve_pid="$(ol_running_pid "$port")"
[[ -n "$serve_pid" ]] || ol_die "no pid file for 127.0.0.1:$port (start it with up.sh)"
# midstream NAME PATH BODY [SECONDS]: load the model, start the long stream, SIGKILL the
# runner SECONDS (default 0.3) later.
midstream() {
    local name="$1" path="$2" body="$3" after="${4:-0.3}" p s ppid curl_pid runners=()
    cap load-again POST /api/generate "{\"model\":\"$m\"}" >/dev/null
    rm -f "$out/load-again.txt" "$out/load-again.req"
    # The runner is found before the stream starts, so the kill comes on time.
    for p in /proc/[0-9]*; do
        s="$(cat "$p/stat" 2>/dev/null)" || continue
        s="${s##*) }"; read -r _ ppid _ <<<"$s"
        if [[ "$ppid" == "$serve_pid" ]] && tr '\0' ' ' < "$p/cmdline" | grep -q ' runner '; then
            runners+=("${p#/proc/}")
        fi
    done
    printf 'POST %s\n%s\n' "$path" "$body  (runner killed with SIGKILL after ~$after s)" > "$out/$name.req"
    curl -si --raw -N "$base$path" -d "$body" > "$out/$name.txt" &
    curl_pid=$!
    sleep "$after"
    kill -KILL "${runners[@]}" 2>/dev/null || true
    wait "$curl_pid" || true
}
midstream error-midstream-generate /api/generate \
    "{\"model\":\"$m\",\"prompt\":\"hello\",\"options\":{\"num_predict\":100000,\"num_thread\":1,\"temperature\":0}}"
ol_log "captured error-midstream-generate ($(grep -c '"done":false' "$out/error-midstream-generate.txt") tokens, then: $(grep -a '"error"' "$out/error-midstream-generate.txt"))"
# On /v1 the runner's error never reaches the client: ChatWriter decodes the handler's
# {"error":...} line as an api.ChatResponse, so the stream ends with one empty chunk
# ("model":"", finish_reason null) and no [DONE]. (Killed sooner: each chunk is ~220 bytes.)
midstream openai-error-midstream /v1/chat/completions \
    "{\"model\":\"$m\",$v1msgs,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":100000,\"temperature\":0}" 0.05
ol_log "captured openai-error-midstream ($(grep -c '"finish_reason":null' "$out/openai-error-midstream.txt") chunks with finish_reason null, $(grep -c 'DONE' "$out/openai-error-midstream.txt") [DONE])"

bin="${TANDEM_OLLAMA_BIN:-$OL_CACHE/ollama/$OL_VERSION/ollama}"
OLLAMA_HOST="127.0.0.1:$port" "$bin" --version > "$out/ollama--version.txt" 2>&1 || true
