#!/usr/bin/env bash
# The experiments gpu-check runs, written for what the host has (its GPU name, Ollama's
# version, the model's digest), so their pins hold there and nowhere else:
#
#   scripts/gpu/experiments.sh DIR VERSION MODEL DIGEST GPU_NAME PORT1 PORT2 REPS NUM_PREDICT
#
# DIR/matrix.yaml    the reduced TR115 matrix: 5 variants x 2 configurations x REPS
# DIR/servers.yaml   one server against two on the same GPU (tokio-default)
# DIR/agents.yaml    1, 2, 4 and 8 agents over the two servers (tokio-default), with their
#                    scenarios in DIR/scenarios/agents-N.yaml
# Every experiment pins the GPU by name and the model fully in VRAM.
set -euo pipefail
(( $# == 9 )) || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
EXP="$1" VERSION="$2" MODEL="$3" DIGEST="$4" GPU_NAME="$5" P1="$6" P2="$7" REPS="$8" NPRED="$9"
mkdir -p "$EXP/scenarios"
# The pins are what this host has (GPU name, version, digest), and the model fully in VRAM.
pins() {
    cat <<EOF
pins: {ollama_version: "$VERSION", model: "$MODEL", model_digest: "$DIGEST", gpu: "$GPU_NAME", model_in_vram: full}
EOF
}
run_block() {  # $1 cooldown ms
    cat <<EOF
run: {runs_per_cell: 1, warmup: true, num_predict: $NPRED, seed: 7, cooldown_ms: $1, unload_between_cells: false,
      cell_timeout_ms: 600000, http_timeout_ms: 30000, retries: 2, retry_backoff_ms: 1000, expected_decode_tps: 200}
EOF
}
{
    echo "# reduced TR115 matrix of gpu-check: 5 variants x 2 configurations x $REPS repetitions"
    echo "name: gpu-check-matrix"
    echo "seed: 115"
    echo "repetitions: $REPS"
    pins
    echo "endpoints: {collector: 'http://127.0.0.1:$P1', insight: 'http://127.0.0.1:$P2'}"
    echo "variants: [tokio-default, tokio-localset, async-std, smol, smol-1kb]"
    run_block 500
    echo "configurations:"
    echo "  - {name: chimera_homo_gpu80_ctx512, scenario: chimera-homo, chimera: {num_gpu: 80, num_ctx: 512, temperature: 1.0}}"
    echo "  - {name: baseline_vs_chimera, scenario: baseline-vs-chimera, chimera: {num_gpu: 80, num_ctx: 512, temperature: 1.0}}"
} > "$EXP/matrix.yaml"
{
    echo "# one server against two on the same GPU: the same two agents, tokio-default"
    echo "name: gpu-check-servers"
    echo "seed: 116"
    echo "repetitions: $REPS"
    pins
    echo "endpoints: {collector: 'http://127.0.0.1:$P1', insight: 'http://127.0.0.1:$P2'}"
    echo "variants: [tokio-default]"
    run_block 500
    echo "configurations:"
    echo "  - {name: two_servers, scenario: chimera-homo, chimera: {num_gpu: 80, num_ctx: 512, temperature: 1.0}}"
    echo "  - {name: one_server, scenario: chimera-homo, chimera: {num_gpu: 80, num_ctx: 512, temperature: 1.0}, endpoints: {collector: 'http://127.0.0.1:$P1', insight: 'http://127.0.0.1:$P1'}}"
} > "$EXP/servers.yaml"
PROMPTS=("Summarise the trade-offs of running several model servers on one GPU."
         "List three ways to measure decoding throughput fairly."
         "Explain what a sequential baseline adds to a concurrency benchmark."
         "Describe how queueing at a server shows in time to first token.")
for n in 1 2 4 8; do
    {
        echo "# $n agent(s), one call each, spread round robin over the two servers"
        echo "name: agents-$n"
        echo "runs: 1"
        echo "seed: 42"
        echo "warmup: true"
        echo "phases: [sequential, concurrent]"
        echo "defaults: {model: \"$MODEL\", options: {num_predict: $NPRED, temperature: 0.0, seed: 7, num_ctx: 512}}"
        echo "agents:"
        for ((i = 0; i < n; i++)); do
            port=$P1; (( i % 2 )) && port=$P2
            echo "  - {name: agent$((i + 1)), url: 'http://127.0.0.1:$port', prompt: \"${PROMPTS[$((i % 4))]}\"}"
        done
    } > "$EXP/scenarios/agents-$n.yaml"
done
{
    echo "# 1, 2, 4 and 8 agents over the two servers on one GPU, tokio-default"
    echo "name: gpu-check-agents"
    echo "seed: 117"
    echo "repetitions: $(( REPS > 2 ? 2 : REPS ))"
    pins
    echo "variants: [tokio-default]"
    run_block 500
    echo "configurations:"
    for n in 1 2 4 8; do echo "  - {name: agents_$n, scenario: scenarios/agents-$n.yaml}"; done
} > "$EXP/agents.yaml"
