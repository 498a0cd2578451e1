"""The llama-server suite's fixture: llama.cpp's llama-server (scripts/llama/build.sh,
built from the source npm's node-llama-cpp carries and cached) serving the project's
tiny GGUF (scripts/ollama/make-tiny-model.py) on a free port, with two slots. Started
and stopped here. Opt-in (`just e2e-llama`): the first build takes about 12 minutes on
2 cores, more than the test suite can spend on it; see tests/llama/README.md."""
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))  # engine


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url, binary, commit):
        self.url, self.binary, self.commit = url, binary, commit


@pytest.fixture(scope="session")
def llama(tmp_path_factory):
    b = subprocess.run([os.path.join(REPO, "scripts", "llama", "build.sh")], stdout=subprocess.PIPE, text=True,
                       timeout=3600)
    assert b.returncode == 0, "scripts/llama/build.sh failed; see its messages above"
    binary = b.stdout.strip().splitlines()[-1]
    with open(os.path.join(os.path.dirname(os.path.dirname(binary)), "llama.cpp.commit")) as f:
        commit = f.read().strip()
    d = tmp_path_factory.mktemp("llama")
    m = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "ollama", "make-tiny-model.py"), "--out",
                        str(d / "tiny.gguf")], capture_output=True, text=True, timeout=120)
    assert m.returncode == 0, m.stderr
    port = _free_port()
    log = open(d / "llama-server.log", "w")
    proc = subprocess.Popen([binary, "-m", str(d / "tiny.gguf"), "--host", "127.0.0.1", "--port", str(port),
                             "--alias", "tiny", "-np", "2", "-c", "4096", "-t", "1"], stdout=log,
                            stderr=subprocess.STDOUT)
    url = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "llama-server did not start; see %s" % log.name
        time.sleep(0.2)
    try:
        yield Server(url, binary, commit)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
