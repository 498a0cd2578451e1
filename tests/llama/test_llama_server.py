"""Every C variant, and the openai SDK client, speaking OpenAI's API to a second real
server: llama.cpp's llama-server (tests/llama/conftest.py). It sends what Ollama's /v1
does not: durations (`timings`), so the server's side of TTFT and its decode rate are
measured here too. llama-server serves only OpenAI's API (and its own), not Ollama's
/api/generate and /api/chat, so those are tested against real Ollama (tests/e2e).

What must hold: every call ok and recorded as api openai; one token event per token the
server counted (usage.completion_tokens = max_tokens: the tiny model never stops early);
prompt and decode durations from `timings`; server TTFT and decode rate in the summary;
the records pass tandem-report check."""
import importlib.util
import json
import os
import subprocess

import pytest

from conftest import REPO
from engine import bindir, variants

C_VARIANTS = [v for v in variants() if os.path.exists(os.path.join(REPO, "variants", v, "variant.mk"))]
NUM_PREDICT = 12

YAML = """\
name: e2e-llama-server
runs: 1
seed: 42
warmup: true
timeouts: {connect_ms: 2000, first_byte_ms: 30000, idle_ms: 10000, total_ms: 60000}
defaults:
  model: tiny
  api: openai
  options: {num_predict: %(n)d, temperature: 0, seed: 7}
agents:
  - name: collector
    url: %(url)s
    history: true
    steps:
      - {name: analysis, prompt: "List three facts about benchmarks.", system: "Be brief."}
      - {name: report, prompt: "Summarise: {previous}"}
  - name: insight
    url: %(url)s
    prompt: "Give two recommendations."
"""


def run(cmd, scen, out):
    return subprocess.run(cmd + ["run", "--scenario-file", str(scen), "--output-dir", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, TANDEM_REPORT=os.path.join(bindir(), "tandem-report")))


def check(out):
    summary = json.load(open(os.path.join(str(out), "summary.json")))
    assert summary["complete"] is True and summary["failed_calls"] == 0, summary
    calls = json.load(open(os.path.join(str(out), "run_1", "records.json")))["calls"]
    assert len([c for c in calls if c["phase"] != "warmup"]) == 2 * 3
    for c in calls:
        where = "%s agent %d step %d" % (c["phase"], c["agent"], c["step"])
        assert c["ok"] and c["api"] == "openai", (where, c["error"])
        srv = c["server"]
        want = 1 if c["phase"] == "warmup" else NUM_PREDICT
        assert srv["eval_count"] == want and srv["prompt_eval_count"] > 0, (where, srv)
        assert len(c["events"]["dt_ns"]) == srv["eval_count"], (where, srv)
        assert srv["eval_duration"] > 0 and srv["prompt_eval_duration"] > 0, (where, srv)  # llama-server's timings
    with open(os.path.join(str(out), "report.md")) as f:
        assert "server gives no timings" not in f.read()
    r = subprocess.run([os.path.join(bindir(), "tandem-report"), "check", str(out)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("variant", C_VARIANTS)
def test_c_variant_against_llama_server(variant, llama, tmp_path):
    scen = tmp_path / "s.yaml"
    scen.write_text(YAML % {"n": NUM_PREDICT, "url": llama.url})
    out = tmp_path / "out"
    p = run([os.path.join(bindir(), "tandem-" + variant)], scen, out)
    assert p.returncode == 0, p.stderr
    check(out)


def test_openai_sdk_against_llama_server(llama, tmp_path):
    if importlib.util.find_spec("openai") is None:
        pytest.skip("the openai package is not installed (scripts/install-deps.sh)")
    scen = tmp_path / "s.yaml"
    scen.write_text(YAML % {"n": NUM_PREDICT, "url": llama.url})
    out = tmp_path / "out"
    launcher = os.path.join(REPO, "clients", "openai-python", "tandem-openai-python")
    p = run([launcher], scen, out)
    assert p.returncode == 0, p.stderr
    check(out)
