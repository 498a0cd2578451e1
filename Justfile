# tandem — porcelain over the Makefile (the build truth) and the scripts.
# `just` alone lists the recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]

bin := env_var_or_default("TANDEM_BIN", "build/bin")

# list the recipes
default:
    @just --list

# build every variant, the tools and the unit tests (or one variant: just build smol-1kb)
build variant="":
    make -j2 {{ if variant == "" { "" } else { "VARIANT=" + variant } }}

# the whole test suite: unit, integration (simulator), ASan+UBSan, valgrind, real Ollama (e2e)
test:
    make -j2 all
    make check

# unit tests only (fast)
unit:
    make -j2 unit

# Seeds come from tests/fuzz/corpus/<target>/, which is only read: the inputs libFuzzer
# finds go to the scratch corpus build/fuzz/work/<target>/new (kept, so the next run
# starts from them; not committed), a crashing input to build/fuzz/work/<target>/crashes/.
# fuzz the parsers of network bytes, each for `seconds` (target: all, ndjson_ollama, chunked, response or url)
fuzz target="all" seconds="60":
    #!/usr/bin/env bash
    set -euo pipefail
    all=$(cd tests/fuzz && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//' | paste -sd' ')
    if [ "{{target}}" = all ]; then
        targets=$all
    elif [[ " $all " == *" {{target}} "* ]]; then
        targets="{{target}}"
    else
        echo "just fuzz: no target '{{target}}'; choose all or one of: $all" >&2
        exit 2
    fi
    nice -n 10 make -s -j2 fuzz-build
    status=0
    nice -n 10 tests/fuzz/run.sh build/fuzz build/fuzz/work {{seconds}} $targets || status=$?
    echo "crashing inputs (if any): build/fuzz/work/<target>/crashes/; to keep one as a regression test, see tests/fuzz/README.md"
    exit $status

# the embedded default: simulated dual-Ollama, every built variant, one and two devices
demo *args: build
    scripts/demo.sh {{args}}

# run the Ollama simulator in the foreground (two ports on one shared device by default)
sim *args="--port 11434@gpu0 --port 11435@gpu0 --decode-tps 50 --alpha 1":
    make -s build/bin/tandem-sim
    {{bin}}/tandem-sim {{args}}

# tandem-sweep builds what is missing first; re-run the same command to resume after a
# stop; e.g. `just sweep experiments/tr115.yaml --dry-run`. The default, tr115.yaml (150
# cells, hours), needs its model digest filled in on the GPU host.
# run an experiment (default experiments/tr115.yaml: needs the GPU host, pinned Ollama up: just ollama-up)
sweep experiment="experiments/tr115.yaml" *args:
    {{ if bin == "build/bin" { "make -s -j2 build/bin/tandem-sweep $(make -s list-variants | sed 's|[^ ]*|build/bin/tandem-&|g')" } else { "true" } }}
    {{bin}}/tandem-sweep {{experiment}} --bin-dir {{bin}} {{args}}

# Starts tandem-sim on 11434 and 11435 (one shared device, 400 tokens/s), runs the sweep,
# stops the simulator.
# the TR115 matrix against tandem-sim (experiments/sim.yaml; minutes on 2 cores)
sweep-sim *args:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ "{{bin}}" = build/bin ]; then
        make -s -j2 build/bin/tandem-sim build/bin/tandem-sweep $(make -s list-variants | sed 's|[^ ]*|build/bin/tandem-&|g')
    fi
    tmp=$(mktemp -d)
    {{bin}}/tandem-sim --port 11434@gpu0 --port 11435@gpu0 --decode-tps 400 --ready-file "$tmp/ready" 2>"$tmp/sim.log" &
    sim=$!
    trap 'kill $sim 2>/dev/null || true; wait $sim 2>/dev/null || true; rm -rf "$tmp"' EXIT
    until [ -e "$tmp/ready" ]; do
        if ! kill -0 $sim 2>/dev/null; then
            cat "$tmp/sim.log" >&2
            echo "tandem-sim did not start; is something else listening on 11434 or 11435?" >&2
            exit 1
        fi
        sleep 0.05
    done
    {{bin}}/tandem-sweep experiments/sim.yaml --bin-dir {{bin}} {{args}}

# what the client itself costs: every built variant (python-httpx too, when built) and a
# raw reader against tandem-sim — events per CPU-second, reads per 1,000 tokens, TTFT
# error, efficiency at N = 2, 8, 32, 128 (table on stdout, JSON in the work directory)
calibrate *args: build
    {{bin}}/tandem-calibrate --bin {{bin}} {{args}}

# start two real Ollama servers (:11434, :11435): on a GPU host on the GPU (--layout per-gpu: one each), elsewhere the CPU fixture with the tiny model (--cpu forces it)
ollama-up *args:
    scripts/ollama/up.sh {{args}}

# stop the servers ollama-up started
ollama-down:
    scripts/ollama/down.sh

# one folder (< 60 MB) that takes tandem to a GPU host without Go or internet: Ollama, its source, tandem, wheels, gpu-check.sh
gpu-kit out="build/gpu-kit":
    scripts/gpu/kit.sh {{out}}

# on the GPU host: build Ollama's CUDA backend, a random-weight model, two servers on one GPU, a reduced TR115 matrix, the report (~10 min on an H100; resumable)
gpu-check kit="build/gpu-kit/tandem-gpu-kit" *args:
    {{kit}}/gpu-check.sh {{args}}

# every variant against real dual Ollama, and tandem-sim compared with it
e2e: build
    TANDEM_BIN={{bin}} tests/e2e/run.sh

# every C variant and the openai SDK client against llama.cpp's llama-server (OpenAI API, with timings); builds it first (~12 min on 2 cores, cached in .cache/llama-server)
e2e-llama: build
    TANDEM_BIN={{bin}} python3 -m pytest -q -p no:cacheprovider tests/llama

# the flake's wiring against a stub nixpkgs (offline; --full also builds everything with it)
nix-check *args:
    tests/nix/check.sh {{args}}

# the Technical Report from result directories (e.g. just report results/sim --out report/sim), tested against the seed's baselines (experiments/baselines.yaml)
report *args:
    {{ if bin == "build/bin" { "make -s build/bin/tandem-report" } else { "true" } }}
    {{bin}}/tandem-report --baselines experiments/baselines.yaml {{args}}

# show what this machine has: compiler, libraries, variants, tools
env:
    @echo "compiler:  $(cc --version | head -1)"
    @echo "libraries: curl $(pkg-config --modversion libcurl), libuv $(pkg-config --modversion libuv), libcyaml $(pkg-config --modversion libcyaml), jansson $(pkg-config --modversion jansson), cmocka $(pkg-config --modversion cmocka)"
    @echo "gnuplot:   $(gnuplot --version 2>/dev/null || echo missing)"
    @echo "just:      $(just --version)"
    @echo "variants:  $(make -s list-variants)"
    @echo "cpus:      $(nproc)"

# remove build outputs
clean:
    make clean
