"""The real `ollama` 0.11.4 CLI as a client of tandem-sim: a fidelity check by a client
nobody here wrote. `list`, `ps`, `show` (which reads model_info's <arch>.context_length,
<arch>.embedding_length and general.parameter_count, and panics when one is missing) and
`run --verbose` must work against the simulator as they do against the real server."""
import os
import subprocess

import pytest

from conftest import REPO, SKIP_REASON, skip_requested
from simproc import start_sim


@pytest.fixture(scope="module")
def cli(ollama):
    """The ollama binary the servers run (built and cached by scripts/ollama/build.sh)."""
    b = os.environ.get("TANDEM_OLLAMA_BIN")
    if not b:
        p = subprocess.run([os.path.join(REPO, "scripts", "ollama", "build.sh")], capture_output=True, text=True,
                           timeout=2700)
        assert p.returncode == 0, p.stderr
        b = p.stdout.strip().splitlines()[-1]
    assert os.access(b, os.X_OK), b
    return b


def ollama_cli(binary, port, *args):
    env = dict(os.environ, OLLAMA_HOST="127.0.0.1:%d" % port, NO_COLOR="1", TERM="dumb")
    return subprocess.run([binary] + list(args), capture_output=True, text=True, timeout=60, env=env,
                          stdin=subprocess.DEVNULL)


def test_real_cli_against_the_simulator(cli):
    if skip_requested():
        pytest.skip(SKIP_REASON)
    with start_sim(["--decode-tps", "2000", "--prefill-tps", "100000"], ports=1) as sim:
        port = sim.ports[0]
        r = ollama_cli(cli, port, "list")
        assert r.returncode == 0 and "gemma3:latest" in r.stdout, r.stdout + r.stderr
        r = ollama_cli(cli, port, "show", "gemma3:latest")
        assert r.returncode == 0, r.stdout + r.stderr
        for row in ("architecture", "gemma3", "parameters", "context length", "embedding length", "quantization"):
            assert row in r.stdout, (row, r.stdout)
        assert "panic" not in r.stderr
        r = ollama_cli(cli, port, "run", "gemma3:latest", "Say hi.", "--verbose")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "eval count" in r.stderr and "eval rate" in r.stderr, r.stderr
        r = ollama_cli(cli, port, "ps")
        assert r.returncode == 0 and "gemma3:latest" in r.stdout, r.stdout + r.stderr
