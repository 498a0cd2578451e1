#!/usr/bin/env bash
# Integration tests: every built variant against tandem-sim on 127.0.0.1 (ports chosen
# by the OS). TANDEM_BIN names the directory holding the binaries under test.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TANDEM_BIN="${TANDEM_BIN:-build/bin}"
exec python3 -m pytest -q -p no:cacheprovider tests/integration "$@"
