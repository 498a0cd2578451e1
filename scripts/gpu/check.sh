#!/usr/bin/env bash
# gpu-check: the first real GPU numbers from a kit (just gpu-kit), in about 10 minutes on one
# H100 with 16 cores, build included. Runs on the GPU host from the unpacked kit:
#
#   ./gpu-check.sh [--out DIR] [--size 1b|3b|8b|tiny] [--reps N] [--num-predict N]
#                  [--budget-s S] [--quick] [--no-extras] [--keep-servers]
#   just gpu-check KIT [args]          (the same, from a checkout)
#
# Steps, each timed, each skipped when its output is already there (a second call resumes):
#   kit      the kit's files match its MANIFEST.sha256
#   python   a venv with the GGUF writer (the kit's wheels; numpy from the host or the kit)
#   model    a llama-architecture model with random weights (--size, default 1b: 1.1 B
#            parameters in F16, big enough that decoding is GPU-bound; its text means nothing,
#            its cost per token is a real model's; the report says the weights are random)
#   cuda     Ollama's CUDA backend for this GPU's architecture only (CMake + nvcc), beside
#            the kit's Go-built ollama
#   gpu      nvidia-smi lists a GPU (name, driver, compute capability)
#   servers  two Ollama servers on the one GPU (the seed's set-up), the model created in
#            both, its place checked: every byte in VRAM
#   matrix   a reduced TR115 matrix: 5 variants x 2 configurations x --reps repetitions,
#            fixed --num-predict, GPU telemetry in every run
#   servers-1v2   one server against two on the same GPU (tokio-default)  } as the budget
#   agents   1, 2, 4 and 8 agents over the two servers (tokio-default)    } allows
#   report   tandem-report over everything: the Technical Report with the GPU figures
# Everything lands in one results folder (--out, default ./gpu-check-results): raw records,
# gpu.csv telemetry, the servers' logs, steps.tsv (each step's time) and report/.
# Exit status: 0 done; 3 stopped before a GPU step because this host cannot take it (no
# nvcc, no GPU), with what was skipped and why; 1 a step failed; 2 usage.
set -euo pipefail

KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$PWD/gpu-check-results"
SIZE=1b REPS=3 NPRED=128 BUDGET=600 EXTRAS=1 KEEP=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while (($#)); do
    case "$1" in
        --out) OUT="$2"; shift ;;
        --size) SIZE="$2"; shift ;;
        --reps) REPS="$2"; shift ;;
        --num-predict) NPRED="$2"; shift ;;
        --budget-s) BUDGET="$2"; shift ;;
        --quick) REPS=2; NPRED=64; EXTRAS=0 ;;
        --no-extras) EXTRAS=0 ;;
        --keep-servers) KEEP=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "gpu-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$SIZE" in tiny|1b|3b|8b) ;; *) echo "gpu-check: --size must be tiny, 1b, 3b or 8b" >&2; exit 2 ;; esac
[[ "$REPS" =~ ^[1-9][0-9]*$ && "$NPRED" =~ ^[1-9][0-9]*$ && "$BUDGET" =~ ^[1-9][0-9]*$ ]] \
    || { echo "gpu-check: --reps, --num-predict and --budget-s take positive whole numbers" >&2; exit 2; }
mkdir -p "$OUT/.done" "$OUT/logs"
OUT="$(cd "$OUT" && pwd)"
STEPS="$OUT/steps.tsv"
[[ -f "$STEPS" ]] || printf 'step\tstatus\tseconds\tnote\n' > "$STEPS"
T0=$SECONDS

say() { printf '[gpu-check %4ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$STEPS"; }
# step NAME NOTE FUNCTION: runs FUNCTION unless NAME finished before; times it.
step() {
    local name="$1" note="$2" fn="$3" t rc=0
    if [[ -e "$OUT/.done/$name" ]]; then
        say "$name: done before ($(cat "$OUT/.done/$name")), skipped"
        return 0
    fi
    say "$name: $note"
    t=$SECONDS
    "$fn" || rc=$?
    if (( rc == 0 )); then
        echo "$((SECONDS - t)) s" > "$OUT/.done/$name"
        record "$name" ok "$((SECONDS - t))" "$note"
        say "$name: done in $((SECONDS - t)) s"
    else
        record "$name" "failed($rc)" "$((SECONDS - t))" "$note"
        return "$rc"
    fi
}
# Stops before a step this host cannot take, saying what was skipped and why.
cannot() {
    local at="$1" why="$2" rest
    record "$at" skipped 0 "$why"
    rest="$(echo "$REMAINING" | sed "s/.*\b$at\b//")"
    say "stopped at '$at': $why"
    say "skipped: $at$rest (each needs the step before it); everything before '$at' passed"
    say "results so far: $OUT (steps.tsv)"
    exit 3
}
REMAINING="kit python model cuda gpu servers matrix servers-1v2 agents report"

# tandem's binaries find their shared libraries in the kit; Ollama never gets that path.
tdm() { LD_LIBRARY_PATH="$KIT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }

# ---- kit --------------------------------------------------------------------------------
do_kit() {
    [[ -f "$KIT/MANIFEST.sha256" ]] || { say "no MANIFEST.sha256 in $KIT: is this a kit from 'just gpu-kit'?"; return 1; }
    (cd "$KIT" && sha256sum --quiet -c MANIFEST.sha256) || { say "the kit's files differ from its MANIFEST: copy it again"; return 1; }
    local missing
    missing="$(tdm ldd "$KIT"/bin/tandem-* 2>/dev/null | grep 'not found' | sort -u || true)"
    [[ -z "$missing" ]] || { say "libraries the tandem binaries need are missing here: $missing"; return 1; }
}
step kit "check the kit's files" do_kit

# ---- python -----------------------------------------------------------------------------
VENV="$OUT/venv"
do_python() {
    command -v python3 >/dev/null || { say "python3 is required"; return 1; }
    local sys=""
    python3 -c 'import numpy' 2>/dev/null && sys=--system-site-packages
    rm -rf "$VENV"
    python3 -m venv $sys "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
        --find-links "$KIT/wheels" --no-deps gguf tqdm \
        || { say "installing the GGUF writer from $KIT/wheels failed"; return 1; }
    # gguf imports yaml for model cards only (gguf/metadata.py), which the writer never
    # reads: without PyYAML on the host, a module that refuses to be used stands in.
    if ! "$VENV/bin/python" -c 'import yaml' 2>/dev/null; then
        local site
        site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
        printf '%s\n' '"""Stand-in for PyYAML: gguf imports it, the GGUF writer never uses it."""' \
            'def _absent(*args, **kwargs):' \
            '    raise ImportError("PyYAML is not installed (gpu-check needs only the GGUF writer)")' \
            'safe_load = load = dump = safe_dump = _absent' > "$site/yaml.py"
    fi
    "$VENV/bin/python" -c 'import numpy' 2>/dev/null \
        || "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --no-deps --find-links "$KIT/wheels" numpy \
        || { say "numpy is neither on this host's Python nor in the kit for $(python3 -V): pip install numpy, or build the kit with TANDEM_KIT_NUMPY_PY=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"; return 1; }
    "$VENV/bin/python" -c 'import gguf, numpy; print("gguf", gguf.__file__, "numpy", numpy.__version__)' >&2
}
step python "a venv with numpy and the GGUF writer" do_python

# ---- model ------------------------------------------------------------------------------
GGUF="$OUT/model/random-$SIZE.gguf"
MODEL="tandem-random-$SIZE"
do_model() {
    # make-tiny-model.py re-executes itself in $TANDEM_CACHE/venv when that is not where it
    # runs: point it at ours.
    TANDEM_CACHE="$OUT" TANDEM_MODEL_REBUILD=0 "$VENV/bin/python" "$KIT/scripts/ollama/make-tiny-model.py" \
        --size "$SIZE" --out "$GGUF" >/dev/null
    [[ -s "$GGUF" ]]
}
step model "random-weight model, size $SIZE -> $GGUF" do_model

# ---- cuda -------------------------------------------------------------------------------
OLLAMA="$KIT/bin/ollama"
do_cuda() {
    local src
    src="$(ls "$KIT"/src/ollama-*.zip 2>/dev/null | head -n1)"
    [[ -n "$src" ]] || { say "no Ollama source archive in $KIT/src"; return 1; }
    "$KIT/scripts/ollama/build-cuda.sh" --src "$src" --ollama "$OLLAMA" --build-dir "$OUT/cuda-build" \
        > "$OUT/logs/build-cuda.out" 2> >(tee "$OUT/logs/build-cuda.log" >&2)
}
if [[ ! -e "$OUT/.done/cuda" ]]; then
    command -v nvcc >/dev/null 2>&1 || [[ -x /usr/local/cuda/bin/nvcc ]] \
        || cannot cuda "no CUDA compiler here (nvcc not on PATH, no /usr/local/cuda): install the CUDA toolkit (12.x or 13.x), or run on the GPU host"
    command -v cmake >/dev/null 2>&1 || cannot cuda "no cmake here: install CMake >= 3.21"
fi
step cuda "Ollama's CUDA backend for this GPU" do_cuda

# ---- gpu --------------------------------------------------------------------------------
SMI="${TANDEM_NVIDIA_SMI:-nvidia-smi}"
GPU_LINES="$("$SMI" -L 2>/dev/null | grep '^GPU [0-9]' || true)"
[[ -n "$GPU_LINES" ]] || cannot gpu "no GPU here (nvidia-smi lists none)"
GPU_NAME="$("$SMI" --query-gpu=name --format=csv,noheader 2>/dev/null | head -n1)"
do_gpu() {
    "$SMI" --query-gpu=index,name,uuid,driver_version,compute_cap,memory.total,power.limit --format=csv \
        | tee "$OUT/gpu.csv.txt" >&2
    "$SMI" -q > "$OUT/nvidia-smi-q.txt" 2>&1 || true
    tdm "$KIT/bin/tandem-gpu-telemetry" info > "$OUT/gpu-info.json" || true
}
step gpu "the GPU: $GPU_NAME" do_gpu

# ---- servers ----------------------------------------------------------------------------
export TANDEM_OLLAMA_STATE="$OUT/ollama-state" TANDEM_CACHE="$OUT"
export TANDEM_OLLAMA_BIN="$OLLAMA" TANDEM_OLLAMA_MODEL="$MODEL" TANDEM_OLLAMA_MODEL_FILE="$GGUF"
PORTS="${TANDEM_OLLAMA_PORTS:-11434 11435}"
read -r P1 P2 <<<"$PORTS"
stop_servers() { [[ "$KEEP" == 1 ]] || "$KIT/scripts/ollama/down.sh" >/dev/null 2>&1 || true; }
trap stop_servers EXIT
do_servers() {
    "$KIT/scripts/ollama/up.sh" --gpu 2>&1 | tee "$OUT/logs/ollama-up.log" >&2
    ! grep -q 'WARNING' "$OUT/logs/ollama-up.log" || { say "the model is not fully in VRAM (see above)"; return 1; }
}
# Servers are started on every call (a second call resumes with fresh servers); the step's
# marker only says they came up once.
rm -f "$OUT/.done/servers"
step servers "two Ollama servers on one GPU ($P1, $P2), $MODEL in VRAM on both" do_servers
DIGEST="$(curl -s "http://127.0.0.1:$P1/api/tags" | "$VENV/bin/python" -c '
import json, sys
want = sys.argv[1]
for m in json.load(sys.stdin).get("models", []):
    if m.get("name") in (want, want + ":latest"):
        print(m["digest"]); break' "$MODEL")"
VERSION="$(curl -s "http://127.0.0.1:$P1/api/version" | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["version"])')"
[[ -n "$DIGEST" && -n "$VERSION" ]] || { say "cannot read the model digest or the server version from 127.0.0.1:$P1"; exit 1; }

# ---- experiments ------------------------------------------------------------------------
EXP="$OUT/experiments"
"$KIT/scripts/gpu/experiments.sh" "$EXP" "$VERSION" "$MODEL" "$DIGEST" "$GPU_NAME" "$P1" "$P2" "$REPS" "$NPRED"

sweep() {  # experiment-name
    tdm "$KIT/bin/tandem-sweep" "$EXP/$1.yaml" --out "$OUT/results/$1" --bin-dir "$KIT/bin" \
        2> >(tee -a "$OUT/logs/sweep-$1.log" >&2)
}
do_matrix() { sweep matrix; }
do_servers_1v2() { sweep servers; }
do_agents() { sweep agents; }
step matrix "reduced TR115 matrix: 5 variants x 2 configurations x $REPS, num_predict $NPRED" do_matrix

# The extras run while the budget allows: each is estimated from the matrix's own pace.
per_cell="$(awk -v s="$(grep -P '^matrix\tok\t' "$STEPS" | tail -n1 | cut -f3)" -v n=$((10 * REPS)) \
    'BEGIN { if (s == "" || n == 0) print 10; else printf "%d", (s / n) + 1 }')"
extra() {  # name cells fn note
    local need=$(( $2 * per_cell + 20 ))
    if [[ "$EXTRAS" == 0 ]]; then
        record "$1" skipped 0 "--no-extras"; say "$1: skipped (--no-extras)"; return 0
    fi
    if [[ ! -e "$OUT/.done/$1" ]] && (( SECONDS - T0 + need > BUDGET )); then
        record "$1" skipped 0 "budget: needs ~${need} s, $((BUDGET - SECONDS + T0)) s left"
        say "$1: skipped: needs about $need s, $((BUDGET - SECONDS + T0)) s of the ${BUDGET} s budget left (--budget-s)"
        return 0
    fi
    step "$1" "$4" "$3"
}
extra servers-1v2 $((2 * REPS)) do_servers_1v2 "one server vs two on the same GPU, $REPS repetitions"
extra agents $((4 * (REPS > 2 ? 2 : REPS))) do_agents "1/2/4/8 agents over two servers"

# ---- report -----------------------------------------------------------------------------
do_report() {
    local dirs=()
    for d in matrix servers agents; do [[ -d "$OUT/results/$d" ]] && dirs+=("$OUT/results/$d"); done
    tdm "$KIT/bin/tandem-report" "${dirs[@]}" --out "$OUT/report" 2> >(tee "$OUT/logs/report.log" >&2)
    {
        echo "# gpu-check on $GPU_NAME"
        echo
        echo "The model has random weights ($MODEL, $(du -h "$GGUF" | cut -f1), llama architecture,"
        echo "F16): its text means nothing; its cost per token is that of a real model of its size."
        echo "Steps and their times: ../steps.tsv. Ollama $VERSION, digest $DIGEST."
    } > "$OUT/report/README.md"
}
rm -f "$OUT/.done/report"
step report "the Technical Report with the GPU figures -> $OUT/report" do_report
say "done in $((SECONDS - T0)) s: $OUT/report (TR115.md), steps in $STEPS"
column -t -s $'\t' "$STEPS" >&2 || cat "$STEPS" >&2
