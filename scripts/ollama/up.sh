#!/usr/bin/env bash
# Start tandem's two real Ollama servers (default 127.0.0.1:11434 and :11435) in one of two
# roles, and make the model available on both. Idempotent: servers this script already
# started in the same role are reused.
#
#   scripts/ollama/up.sh                 # GPU host if nvidia-smi lists a GPU, else the CPU fixture
#   scripts/ollama/up.sh --gpu           # the GPU role even where nvidia-smi lists none (= TANDEM_OLLAMA_GPU=1)
#   scripts/ollama/up.sh --cpu           # the CPU fixture even on a GPU host
#   scripts/ollama/up.sh --layout per-gpu   # GPU host: server i on GPU i (default: shared, both on one GPU)
#   scripts/ollama/down.sh               # stops them
#
# The CPU fixture (the test suite's server): Ollama built from its Go module
# (scripts/ollama/build.sh, CPU only, cached), every GPU hidden from it, and the generated
# tiny model (scripts/ollama/make-tiny-model.py) imported into each server.
#
# The GPU role (what the TR115 matrix is measured on): devices are never hidden. The Ollama
# is $TANDEM_OLLAMA_BIN, else `ollama` on PATH, else the flake's CUDA Ollama (only with
# TANDEM_OLLAMA_FROM_FLAKE=1: nixpkgs' ollama-cuda is unfree, not in the public binary cache
# and compiles for hours), else a CUDA build of the pinned version (scripts/ollama/build.sh,
# then build.sh --cuda). A CPU-only Ollama is refused there, before it starts (no CUDA
# backend beside it) and after (its log names no CUDA device), unless --cpu was asked for.
# The model is pulled (`ollama pull`, default gemma3:latest) or created from a local GGUF
# ($TANDEM_OLLAMA_MODEL_FILE) once, into a models folder both servers share; then it is
# loaded on each server and /api/ps says where it went (size_vram against size).
#
# Settings: see lib.sh. Two of them a sweep's server-side axes set (tandem-sweep's
# server_launcher, e.g. "scripts/ollama/down.sh && scripts/ollama/up.sh"):
#   TANDEM_OLLAMA_NUM_PARALLEL=k   OLLAMA_NUM_PARALLEL of every server (default 1); a server
#                                  already running with another value is refused, not reused
#   TANDEM_SERVERS=k               start only the first k ports of TANDEM_OLLAMA_PORTS
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

role="" layout="shared"
while (($#)); do
    case "$1" in
        --gpu) role=gpu ;;
        --cpu) role=cpu-fixture ;;
        --layout) layout="${2:-}"; shift ;;
        --layout=*) layout="${1#--layout=}" ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) ol_die "unknown argument '$1' (see scripts/ollama/up.sh --help)" ;;
    esac
    shift
done
case "$layout" in shared|per-gpu) ;; *) ol_die "--layout must be shared or per-gpu, not '$layout'" ;; esac

command -v curl >/dev/null 2>&1 || ol_die "curl is required"

gpus="$(ol_gpu_lines)"
if [[ -z "$role" ]]; then
    if [[ "${TANDEM_OLLAMA_GPU:-0}" == 1 || -n "$gpus" ]]; then role=gpu; else role=cpu-fixture; fi
fi
read -r -a ports <<<"$OL_PORTS"
if [[ -n "${TANDEM_SERVERS:-}" ]]; then
    [[ "$TANDEM_SERVERS" =~ ^[1-9][0-9]*$ ]] && (( TANDEM_SERVERS <= ${#ports[@]} )) \
        || ol_die "TANDEM_SERVERS=$TANDEM_SERVERS must be a whole number from 1 to ${#ports[@]} (the ports in TANDEM_OLLAMA_PORTS: $OL_PORTS)"
    ports=("${ports[@]:0:$TANDEM_SERVERS}")
fi
num_parallel="${TANDEM_OLLAMA_NUM_PARALLEL:-1}"
[[ "$num_parallel" =~ ^[1-9][0-9]*$ ]] \
    || ol_die "TANDEM_OLLAMA_NUM_PARALLEL=$num_parallel must be a whole number >= 1 (requests one server runs at once)"

# ---- binary and model -----------------------------------------------------------------------
if [[ "$role" == cpu-fixture ]]; then
    [[ -n "$gpus" ]] && ol_log "GPU host, but --cpu: starting the CPU fixture with every GPU hidden"
    if [[ -n "${TANDEM_OLLAMA_BIN:-}" ]]; then
        bin="$TANDEM_OLLAMA_BIN"
        [[ -x "$bin" ]] || ol_die "TANDEM_OLLAMA_BIN=$bin is not executable"
    else
        bin="$("$OL_SCRIPTS/build.sh" "$OL_VERSION" | tail -n1)"
    fi
    models="$OL_CACHE/models"
    mkdir -p "$models"
    if [[ -n "${TANDEM_OLLAMA_MODEL_FILE:-}" ]]; then
        gguf="$TANDEM_OLLAMA_MODEL_FILE"
        [[ -f "$gguf" ]] || ol_die "TANDEM_OLLAMA_MODEL_FILE=$gguf does not exist"
        modelfile="$models/Modelfile.$OL_MODEL"
        printf 'FROM %s\nPARAMETER num_thread 1\n' "$(readlink -f "$gguf")" > "$modelfile"
    else
        gguf="$(python3 "$OL_SCRIPTS/make-tiny-model.py" --out "$models/tiny.gguf" | tail -n1)"
        modelfile="$models/Modelfile.tiny"
        cmp -s "$OL_SCRIPTS/Modelfile.tiny" "$modelfile" 2>/dev/null || cp "$OL_SCRIPTS/Modelfile.tiny" "$modelfile"
    fi
    stamp_want="$( { sha256sum "$gguf" "$modelfile" | cut -d' ' -f1; echo "$OL_VERSION $OL_MODEL"; } | sha256sum | cut -d' ' -f1)"
else
    OL_MODEL="${TANDEM_OLLAMA_MODEL:-gemma3:latest}"
    ngpus=0
    [[ -n "$gpus" ]] && ngpus="$(wc -l <<<"$gpus")"
    if [[ "$ngpus" == 0 ]]; then
        ol_log "GPU role asked for (--gpu or TANDEM_OLLAMA_GPU=1), but nvidia-smi lists no GPU here; going on"
    else
        ol_log "GPU host: $ngpus GPU(s): $(sed 's/ (UUID.*//' <<<"$gpus" | paste -sd ';' -)"
    fi
    if [[ "$layout" == per-gpu ]] && (( ngpus < ${#ports[@]} )); then
        ol_die "--layout per-gpu puts each of the ${#ports[@]} servers on its own GPU, but nvidia-smi lists $ngpus; use --layout shared (both on one GPU, the seed's set-up) or fewer TANDEM_OLLAMA_PORTS"
    fi
    if [[ -n "${TANDEM_OLLAMA_BIN:-}" ]]; then
        bin="$TANDEM_OLLAMA_BIN"; from="TANDEM_OLLAMA_BIN"
        [[ -x "$bin" ]] || ol_die "TANDEM_OLLAMA_BIN=$bin is not executable"
    elif command -v ollama >/dev/null 2>&1; then
        bin="$(command -v ollama)"; from="PATH"
    elif [[ "${TANDEM_OLLAMA_FROM_FLAKE:-0}" == 1 ]] && command -v nix >/dev/null 2>&1; then
        ol_log "building the flake's ollama-cuda (unfree: the flake allows its CUDA packages by name; not in the public binary cache: compiles for hours)"
        out="$(nix build --no-link --print-out-paths "$OL_ROOT#ollama-cuda")" \
            || ol_die "nix build $OL_ROOT#ollama-cuda failed; set TANDEM_OLLAMA_BIN to a CUDA-enabled ollama instead"
        bin="$out/bin/ollama"; from="the flake's ollama-cuda"
    else
        bin="$("$OL_SCRIPTS/build.sh" "$OL_VERSION" | tail -n1)"; from="scripts/ollama/build.sh"
        if [[ -z "$(ol_cuda_backend "$bin")" ]]; then
            ol_log "no CUDA backend beside $bin yet: building it (scripts/ollama/build.sh --cuda)"
            "$OL_SCRIPTS/build.sh" --cuda "$OL_VERSION" --ollama "$bin" >&2 \
                || ol_die "building the CUDA backend failed (see above); or set TANDEM_OLLAMA_BIN to a CUDA-enabled ollama"
        fi
    fi
    backend="$(ol_cuda_backend "$bin")"
    if [[ -z "$backend" ]]; then
        ol_die "$bin (from $from) is a CPU-only Ollama: no libggml-cuda.so in $(realpath -m "$(dirname "$(readlink -f "$bin")")/../lib/ollama"), so on this GPU host it would measure the CPU. Fix: build its CUDA backend (scripts/ollama/build.sh --cuda --ollama $bin), use 'nix develop .#gpu', or set TANDEM_OLLAMA_BIN to a CUDA-enabled ollama; to start the CPU fixture on purpose: just ollama-up --cpu"
    fi
    ol_log "Ollama: $bin (from $from), CUDA backend $backend"
    models="${TANDEM_OLLAMA_MODELS:-$OL_STATE/gpu-models}"
    stamp_want=""
fi

mkdir -p "$OL_STATE" "$OL_RUN"

# The device a server sees: on the GPU host nothing is hidden; with several GPUs, the
# shared layout puts every server on the first one (the seed's set-up: two instances on one
# GPU) and per-gpu puts server i on GPU i. UUIDs, because CUDA numbers devices fastest
# first unless CUDA_DEVICE_ORDER=PCI_BUS_ID, and nvidia-smi numbers them by bus.
device_env() {  # index of the port in $OL_PORTS
    local i="$1" uuid
    if [[ "$role" == cpu-fixture ]]; then
        echo "CUDA_VISIBLE_DEVICES= HIP_VISIBLE_DEVICES="
        return
    fi
    [[ -n "$gpus" && "$(wc -l <<<"$gpus")" -gt 1 ]] || return 0
    [[ "$layout" == shared ]] && i=0
    uuid="$(sed -n "$((i + 1))p" <<<"$gpus" | grep -o 'GPU-[0-9a-fA-F-]*' || true)"
    [[ -n "$uuid" ]] && echo "CUDA_VISIBLE_DEVICES=$uuid"
    return 0
}

# ---- start --------------------------------------------------------------------------------
declare -A started=()
for i in "${!ports[@]}"; do
    port="${ports[$i]}"
    dir="$OL_STATE/$port"
    mkdir -p "$dir/models" "$dir/home"
    pid="$(ol_running_pid "$port")"
    if [[ -n "$pid" ]]; then
        was="$(cat "$(ol_rolefile "$port")" 2>/dev/null || echo cpu-fixture)"
        [[ "$was" == "$role" ]] || ol_die "127.0.0.1:$port runs as the $was (pid $pid), not as the $role asked for; stop it first: just ollama-down"
        had="$(cat "$dir/num_parallel" 2>/dev/null || echo 1)"
        [[ "$had" == "$num_parallel" ]] || ol_die "127.0.0.1:$port runs with OLLAMA_NUM_PARALLEL=$had (pid $pid), not $num_parallel; stop it first: just ollama-down (a sweep's server_launcher: scripts/ollama/down.sh && scripts/ollama/up.sh)"
        ol_log "127.0.0.1:$port already started by up.sh as the $role (pid $pid)"
        continue
    fi
    rm -f "$(ol_pidfile "$port")"
    if [[ -n "$(ol_probe "$port")" ]] || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        ol_die "127.0.0.1:$port is already in use by a process up.sh did not start; stop it or set TANDEM_OLLAMA_PORTS"
    fi
    log="$OL_RUN/ollama-$port.log"
    : >"$log"
    if [[ "$role" == cpu-fixture ]]; then srv_models="$dir/models"; else srv_models="$models"; fi
    mkdir -p "$srv_models"
    # shellcheck disable=SC2207
    devs=($(device_env "$i"))
    ol_log "starting $bin serve on 127.0.0.1:$port as the $role (models $srv_models, log $log${devs[*]:+, ${devs[*]}})"
    (
        cd "$dir"
        # OLLAMA_NUM_PARALLEL=1 unless TANDEM_OLLAMA_NUM_PARALLEL says otherwise: one request
        #   at a time per server, queued in order (the 0.11.4 default, made explicit):
        #   concurrent agents queue at the server, which is what the benchmark measures and
        #   what the simulator models. (CPU fixture: with num_thread 1 each server uses one
        #   core, so the two servers fill two cores.)
        # OLLAMA_KEEP_ALIVE=24h: the model stays loaded across a run (default 5m would unload
        #   between runs and turn the next first token into a load).
        # OLLAMA_MAX_LOADED_MODELS=1, OLLAMA_NOPRUNE=1 (no blob pruning at start-up: on the
        #   GPU host two servers share one models folder),
        # HOME: the server's key pair goes to the state dir, not ~/.ollama.
        # The CPU fixture hides every GPU (CUDA_VISIBLE_DEVICES= HIP_VISIBLE_DEVICES=) so a
        #   test run is the same on any machine; the GPU role hides nothing.
        exec setsid env \
            HOME="$dir/home" \
            OLLAMA_HOST="127.0.0.1:$port" \
            OLLAMA_MODELS="$srv_models" \
            OLLAMA_NUM_PARALLEL="$num_parallel" \
            OLLAMA_MAX_LOADED_MODELS=1 \
            OLLAMA_KEEP_ALIVE="${TANDEM_OLLAMA_KEEP_ALIVE:-24h}" \
            OLLAMA_NOPRUNE=1 \
            OLLAMA_FLASH_ATTENTION=0 \
            "${devs[@]}" \
            "$bin" serve
    ) </dev/null >"$log" 2>&1 &
    pid=$!
    echo "$pid" > "$(ol_pidfile "$port")"
    echo "$role" > "$(ol_rolefile "$port")"
    echo "$num_parallel" > "$dir/num_parallel"
    started[$port]=$pid
done

# ---- wait for readiness -------------------------------------------------------------------
stop_started() {
    local p pid
    for p in "${!started[@]}"; do
        pid="${started[$p]}"
        if ol_is_our_serve "$pid"; then kill "$pid" 2>/dev/null || true; fi
        rm -f "$(ol_pidfile "$p")" "$(ol_rolefile "$p")"
    done
}
fail() {
    local port="$1" why="$2"
    ol_log "127.0.0.1:$port: $why; last lines of $OL_RUN/ollama-$port.log:"
    tail -n 30 "$OL_RUN/ollama-$port.log" >&2 2>/dev/null || true
    stop_started
    exit 1
}
for port in "${ports[@]}"; do
    t0=$SECONDS
    until [[ "$(ol_probe "$port")" == "Ollama is running" ]]; do
        pid="$(cat "$(ol_pidfile "$port")" 2>/dev/null || true)"
        ol_is_our_serve "$pid" || fail "$port" "server exited before it was ready"
        (( SECONDS - t0 < OL_TIMEOUT )) || fail "$port" "not ready after ${OL_TIMEOUT}s (GET / did not say 'Ollama is running')"
        sleep 0.2
    done
    ol_log "127.0.0.1:$port ready after $((SECONDS - t0))s"
done

# ---- GPU role: did the server find the GPU? -------------------------------------------------
# Ollama logs one 'msg="inference compute"' line per device it will use once discovery is
# done; "library=cpu" alone means it found no usable GPU (driver, backend or device hidden).
if [[ "$role" == gpu ]]; then
    for port in "${!started[@]}"; do
        log="$OL_RUN/ollama-$port.log"
        t0=$SECONDS
        until grep -q 'inference compute' "$log" 2>/dev/null || (( SECONDS - t0 >= 15 )); do sleep 0.2; done
        lines="$(grep 'inference compute' "$log" 2>/dev/null || true)"
        if [[ -z "$lines" ]]; then
            ol_log "127.0.0.1:$port: its log names no inference device yet; the model's place is checked below"
        elif ! grep -Eqi 'library=(cuda|rocm)' <<<"$lines"; then
            ol_log "127.0.0.1:$port found no GPU: $(head -n1 <<<"$lines")"
            stop_started
            ol_die "$bin runs on the CPU on this GPU host (its log says library=cpu). Check the driver (nvidia-smi), the CUDA backend ($backend: ldd it for missing libraries) and CUDA_VISIBLE_DEVICES; to start the CPU fixture on purpose: just ollama-up --cpu"
        else
            ol_log "127.0.0.1:$port uses: $(sed -n 's/.*\(library=[^ ]*\).*\(name="[^"]*"\).*/\1 \2/p' <<<"$lines" | paste -sd ';' -)"
        fi
    done
fi

# ---- the model ----------------------------------------------------------------------------
has_model() { [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$1/api/show" -d "{\"model\":\"$OL_MODEL\"}" || true)" == 200 ]]; }
if [[ "$role" == cpu-fixture ]]; then
    for port in "${ports[@]}"; do
        stampf="$OL_STATE/$port/$OL_MODEL.stamp"
        if has_model "$port" && [[ -f "$stampf" && "$(cat "$stampf")" == "$stamp_want" ]]; then
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
else
    # One models folder for both servers: the model is fetched or created once, through the
    # first server; the others read the same manifests.
    first="${ports[0]}"
    if has_model "$first"; then
        ol_log "$models has $OL_MODEL"
    elif [[ -n "${TANDEM_OLLAMA_MODEL_FILE:-}" ]]; then
        gguf="$(readlink -f "$TANDEM_OLLAMA_MODEL_FILE" 2>/dev/null || true)"
        [[ -f "$gguf" ]] || { stop_started; ol_die "TANDEM_OLLAMA_MODEL_FILE=$TANDEM_OLLAMA_MODEL_FILE does not exist"; }
        modelfile="$OL_STATE/Modelfile.gpu"
        printf 'FROM %s\n' "$gguf" > "$modelfile"
        ol_log "ollama create $OL_MODEL from $gguf ($(du -h "$gguf" | cut -f1))"
        OLLAMA_HOST="127.0.0.1:$first" "$bin" create "$OL_MODEL" -f "$modelfile" >"$OL_RUN/create.log" 2>&1 \
            || { cat "$OL_RUN/create.log" >&2; ol_die "ollama create $OL_MODEL from $gguf failed on 127.0.0.1:$first"; }
    else
        ol_log "ollama pull $OL_MODEL (set TANDEM_OLLAMA_MODEL_FILE=PATH.gguf where this host cannot reach the Ollama library)"
        OLLAMA_HOST="127.0.0.1:$first" "$bin" pull "$OL_MODEL" >&2 \
            || ol_die "ollama pull $OL_MODEL failed; without access to the Ollama library, import a local GGUF: TANDEM_OLLAMA_MODEL_FILE=PATH.gguf just ollama-up"
    fi
    # Load it on every server and log where it went: a model partly in system memory is
    # measured as partly a CPU model.
    for port in "${ports[@]}"; do
        has_model "$port" || ol_die "127.0.0.1:$port does not see $OL_MODEL in $models"
        curl -s -o /dev/null --max-time "${TANDEM_OLLAMA_LOAD_TIMEOUT:-600}" "http://127.0.0.1:$port/api/generate" \
            -d "{\"model\":\"$OL_MODEL\",\"prompt\":\"\"}" || ol_die "loading $OL_MODEL on 127.0.0.1:$port failed; see $OL_RUN/ollama-$port.log"
        ps_json="$(curl -s --max-time 10 "http://127.0.0.1:$port/api/ps" || true)"
        placed="$(python3 - "$OL_MODEL" "$ps_json" <<'EOF'
import json, sys
want, doc = sys.argv[1], sys.argv[2]
try:
    models = json.loads(doc).get("models") or []
except ValueError:
    models = []
for m in models:
    if m.get("name") in (want, want + ":latest") or m.get("model") in (want, want + ":latest"):
        size, vram = int(m.get("size") or 0), int(m.get("size_vram") or 0)
        pct = 100.0 * vram / size if size else 0.0
        print("%s %.1f %d %d" % ("full" if size and vram == size else "partial", pct, vram, size))
        break
else:
    print("absent 0 0 0")
EOF
)"
        read -r where pct vram size <<<"$placed"
        gib() { awk -v b="$1" 'BEGIN { printf "%.2f GiB", b / 1073741824 }'; }
        case "$where" in
            full) ol_log "127.0.0.1:$port: $OL_MODEL 100% in VRAM (size_vram $(gib "$vram") of $(gib "$size"))" ;;
            partial) ol_log "127.0.0.1:$port: WARNING: $OL_MODEL only ${pct}% in VRAM (size_vram $(gib "$vram") of $(gib "$size")); the rest runs on the CPU. Free GPU memory, use a smaller model or num_ctx, or --layout per-gpu" ;;
            *) ol_log "127.0.0.1:$port: WARNING: /api/ps does not list $OL_MODEL after loading it" ;;
        esac
    done
fi

for port in "${ports[@]}"; do
    ol_log "up: http://127.0.0.1:$port pid $(cat "$(ol_pidfile "$port")") $role model $OL_MODEL log $OL_RUN/ollama-$port.log"
done
