"""The e2e suite's shared pieces: the two REAL Ollama servers, the variant list, and the
results table printed at the end.

Session fixture `ollama`: if both ports (TANDEM_OLLAMA_PORTS, default 11434 11435)
already answer as Ollama 0.11.4 with the `tiny` model, they are used as they are and left
running. Otherwise scripts/ollama/up.sh starts them (building Ollama with
scripts/ollama/build.sh and generating the model first when they are missing), and
scripts/ollama/down.sh stops them when the session ends, and only then.

TANDEM_SKIP_E2E=1 skips every test here (each module checks it); nothing else does: a
missing Ollama binary is built, because CI must run these tests for real.
Standard library and pytest only.
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))  # engine, simproc

SKIP_REASON = "TANDEM_SKIP_E2E=1: the real-Ollama e2e suite was asked not to run"
OLLAMA_VERSION = "0.11.4"
TINY_GGUF_SHA256 = "2d80c502fb2d140dab1e6510f4468ed3651923b41467955eeb2d2cc57ee322ff"
# Building Ollama from source takes ~6 min on 2 cores (cold Go caches); allow for slow CI.
UP_TIMEOUT_S = float(os.environ.get("TANDEM_E2E_UP_TIMEOUT", "2700"))


def skip_requested():
    return os.environ.get("TANDEM_SKIP_E2E") == "1"


def ports():
    return [int(p) for p in os.environ.get("TANDEM_OLLAMA_PORTS", "11434 11435").split()]


def http_get(url, timeout=3.0):
    """(status, body bytes), or (None, b"") when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, ValueError):
        return None, b""


def http_post_json(url, obj, timeout=30.0):
    req = urllib.request.Request(url, data=json.dumps(obj).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, ValueError):
        return None, b""


def ollama_ready(port):
    """True when PORT answers as Ollama OLLAMA_VERSION and has the tiny model."""
    base = "http://127.0.0.1:%d" % port
    status, body = http_get(base + "/")
    if status != 200 or body != b"Ollama is running":
        return False
    status, body = http_get(base + "/api/version")
    if status != 200 or json.loads(body).get("version") != OLLAMA_VERSION:
        return False
    status, _ = http_post_json(base + "/api/show", {"model": "tiny"})
    return status == 200


class Ollama:
    def __init__(self, ports_, started):
        self.ports = ports_
        self.started = started

    def url(self, i):
        return "http://127.0.0.1:%d" % self.ports[i]


@pytest.fixture(scope="session")
def ollama():
    if skip_requested():
        pytest.skip(SKIP_REASON)
    ps = ports()
    if all(ollama_ready(p) for p in ps):
        yield Ollama(ps, started=False)
        return
    up = os.path.join(REPO, "scripts", "ollama", "up.sh")
    down = os.path.join(REPO, "scripts", "ollama", "down.sh")
    # up.sh's progress (a first build takes minutes) goes to the terminal via stderr.
    proc = subprocess.run([up], stdout=subprocess.PIPE, stderr=None, text=True,
                          timeout=UP_TIMEOUT_S)
    if proc.returncode != 0:
        pytest.fail("scripts/ollama/up.sh failed (exit %d); see its messages above" % proc.returncode)
    missing = [p for p in ps if not ollama_ready(p)]
    if missing:
        subprocess.run([down])
        pytest.fail("up.sh finished but 127.0.0.1:%s does not answer as Ollama %s with model "
                    "tiny" % (missing, OLLAMA_VERSION))
    try:
        yield Ollama(ps, started=True)
    finally:
        subprocess.run([down])


# ---- the results table ------------------------------------------------------------

ROWS = []  # filled by test_real_ollama.py: one dict per (variant, scenario) run


def _fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def results_table():
    head = ("| variant | scenario | efficiency % | legacy eff % | speedup | TTFT seq ms | "
            "TTFT conc ms | decode tok/s seq | decode tok/s conc |")
    lines = [head, "|" + "---|" * 9]
    for r in sorted(ROWS, key=lambda r: (r["scenario"], r["variant"])):
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["variant"], r["scenario"], _fmt(r["eff"], ".1f"), _fmt(r["legacy"], ".1f"),
            _fmt(r["speedup"], ".3f"), _fmt(r["ttft_seq"], ".1f"), _fmt(r["ttft_conc"], ".1f"),
            _fmt(r["tps_seq"], ".0f"), _fmt(r["tps_conc"], ".0f")))
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter):
    if not ROWS:
        return
    table = results_table()
    terminalreporter.write_sep("=", "tandem e2e: every variant against real dual Ollama %s" % OLLAMA_VERSION)
    terminalreporter.write_line("(means over runs; TTFT = median client time to first token; "
                                "decode = median server-counted tokens/s per call)")
    for line in table.splitlines():
        terminalreporter.write_line(line)
    out = os.environ.get("TANDEM_E2E_REPORT")
    if out:
        with open(out, "w") as f:
            f.write(table + "\n")
        terminalreporter.write_line("table written to %s" % out)
