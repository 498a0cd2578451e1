#!/usr/bin/env bash
# The e2e suite: every built variant against two REAL Ollama 0.11.4 servers on this
# machine (CPU, the project's tiny model), and tandem-sim compared with the real wire.
#
#   tests/e2e/run.sh [pytest args]          TANDEM_BIN=build/bin by default
#
# Starts the servers with scripts/ollama/up.sh unless both already answer (up.sh builds
# Ollama from its Go module, ~6 min the first time, and generates the model), and stops
# them at the end with scripts/ollama/down.sh only if it started them. Run artefacts go to
# $TANDEM_E2E_OUT (default results/e2e/<UTC time>), with the results table in table.md.
# TANDEM_SKIP_E2E=1 skips the suite (exit 0) with a message.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ "${TANDEM_SKIP_E2E:-0}" == 1 ]]; then
    echo "tests/e2e: skipped (TANDEM_SKIP_E2E=1)" >&2
    exit 0
fi

export TANDEM_BIN="${TANDEM_BIN:-build/bin}"
ports="${TANDEM_OLLAMA_PORTS:-11434 11435}"
t0=$SECONDS

ready() {  # Ollama 0.11.4 with the tiny model on port $1
    [[ "$(curl -s --max-time 2 "http://127.0.0.1:$1/" 2>/dev/null)" == "Ollama is running" ]] &&
        curl -s --max-time 2 "http://127.0.0.1:$1/api/version" 2>/dev/null | grep -q '"0.11.4"' &&
        curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$1/api/show" \
            -d '{"model":"tiny"}' 2>/dev/null | grep -q 200
}

started=0
all_ready=1
for p in $ports; do ready "$p" || all_ready=0; done
if [[ $all_ready == 1 ]]; then
    echo "tests/e2e: using the Ollama servers already running on $ports" >&2
else
    started=1
    trap 'scripts/ollama/down.sh || true' EXIT
    scripts/ollama/up.sh >/dev/null
    echo "tests/e2e: Ollama up after $((SECONDS - t0)) s" >&2
fi

export TANDEM_E2E_OUT="${TANDEM_E2E_OUT:-results/e2e/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$TANDEM_E2E_OUT"
export TANDEM_E2E_REPORT="${TANDEM_E2E_REPORT:-$TANDEM_E2E_OUT/table.md}"
rc=0
python3 -m pytest -q -p no:cacheprovider tests/e2e "$@" || rc=$?
echo "tests/e2e: finished in $((SECONDS - t0)) s (exit $rc; servers $([[ $started == 1 ]] && echo "started and stopped here" || echo "left running"))" >&2
exit $rc
