"""Every C variant speaking the OpenAI API (api: openai, POST /v1/chat/completions with
Server-Sent Events) to the two REAL Ollama 0.11.4 servers (CPU, the tiny model).

What must hold against the real thing:
- a scenario of two agents on the two servers (history on one, "stream": false on a
  third) runs to the end (exit 0) with every call recorded as "api": "openai";
- the client saw exactly as many token events as the server's usage block counts
  (completion_tokens, recorded as eval_count), and that is max_tokens (num_predict): the
  tiny model never emits EOS and no stop sequence is set (see test_real_ollama.py);
- Ollama's OpenAI API sends no durations, so the records hold counts only and report.md
  says the server gives no timings;
- preflight asked GET /v1/models (its model list is in provenance, without digests, and
  says why), and the servers' /api/ps was not asked;
- the real error paths: a model /v1/models does not list is named before measuring; with
  --no-preflight the real 404 in OpenAI's shape is recorded as model_not_found with the
  server's message.
"""

import os
import subprocess

import pytest

from conftest import REPO, SKIP_REASON, skip_requested

if skip_requested():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from engine import bindir, variants  # noqa: E402
from test_real_ollama import all_calls, load, run  # noqa: E402

# The C variants (a variants/<v>/variant.mk each); the Python clients are their own tests' business.
C_VARIANTS = [v for v in variants() if os.path.exists(os.path.join(REPO, "variants", v, "variant.mk"))]
NUM_PREDICT = 12

YAML = """\
name: e2e-openai
runs: 1
seed: 42
warmup: true
timeouts: {connect_ms: 2000, first_byte_ms: 30000, idle_ms: 10000, total_ms: 60000}
defaults:
  model: %(model)s
  api: openai
  options: {num_predict: %(n)d, temperature: 0, seed: 7}
agents:
  - name: collector
    url: %(url0)s
    history: true
    steps:
      - {name: analysis, prompt: "List three facts about benchmarks.", system: "Be brief."}
      - {name: report, prompt: "Summarise: {previous}"}
  - name: insight
    url: %(url1)s
    steps:
      - {name: analysis, prompt: "Give two recommendations."}
      - {name: report, prompt: "Number these: {previous}"}
  - name: whole
    url: %(url1)s
    stream: false
    prompt: "Name one benchmark."
"""


def run_file(variant, scen, outdir, args=()):
    return run(variant, ["--scenario-file", str(scen)] + list(args), outdir)


def scenario(tmp_path, ollama, model="tiny"):
    scen = tmp_path / "openai.yaml"
    scen.write_text(YAML % {"model": model, "n": NUM_PREDICT, "url0": ollama.url(0), "url1": ollama.url(1)})
    return scen


@pytest.mark.parametrize("variant", C_VARIANTS)
def test_openai_api_token_counts_match_usage(variant, ollama, tmp_path):
    out = tmp_path / "out"
    proc = run_file(variant, scenario(tmp_path, ollama), out)
    assert proc.returncode == 0, "exit %d\n%s" % (proc.returncode, proc.stderr)
    summary = load(out, "summary.json")
    assert summary["complete"] is True and summary["failed_calls"] == 0, summary
    calls = all_calls(out)
    assert len([c for c in calls if c["phase"] != "warmup"]) == 2 * (2 + 2 + 1)
    for c in calls:
        where = "%s agent %d step %d" % (c["phase"], c["agent"], c["step"])
        assert c["ok"] and c["http_status"] == 200, (where, c["error"])
        assert c["api"] == "openai" and c["url"].endswith("/v1/chat/completions"), where
        srv = c["server"]
        want = 1 if c["phase"] == "warmup" else NUM_PREDICT
        assert srv["eval_count"] == want, (where, srv)  # usage.completion_tokens
        assert srv["prompt_eval_count"] > 0, (where, srv)
        assert set(srv) == {"prompt_eval_count", "eval_count"}, (where, srv)  # no timings from Ollama's /v1
        assert c["done_reason"] == "length", where
        events = c["events"]["dt_ns"]
        if c["agent"] == 2:
            assert len(events) == 1, where  # a whole reply: one event
        else:
            # one token event per content chunk, exactly as many as the server counted
            assert len(events) == srv["eval_count"], (where, len(events), srv)
            assert c["frames"] == srv["eval_count"] + 3, where  # + finish chunk, usage, [DONE]
        assert sum(c["events"]["content_bytes"]) == len(c["text"].encode()), where
    for run_ in summary["runs"]:
        # the whole reply only (one per phase), as for Ollama's stream: false
        assert run_["token_mismatches"] == 2, run_
    with open(os.path.join(str(out), "report.md")) as f:
        assert "server gives no timings" in f.read()
    prov = load(out, "provenance.json")
    for server in prov["servers"]:
        assert server["reachable"] and "tiny:latest" in server["openai_models"], server
        assert server["models"]["tiny:latest"] is None and "no server version" in server["note"], server
    assert all("skipped" in m for m in prov["server_memory"])
    check = subprocess.run([os.path.join(bindir(), "tandem-report"), "check", str(out)], capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("variant", C_VARIANTS)
def test_openai_missing_model(variant, ollama, tmp_path):
    scen = scenario(tmp_path, ollama, model="nosuch:7b")
    out = tmp_path / "pre"
    proc = run_file(variant, scen, out)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    for i in (0, 1):
        assert "model 'nosuch:7b' is not served by %s" % ollama.url(i) in proc.stderr, proc.stderr
    assert "tiny:latest" in proc.stderr
    assert not os.path.exists(os.path.join(str(out), "run_1"))
    out = tmp_path / "real404"
    proc = run_file(variant, scen, out, ["--no-preflight", "--no-warmup"])
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    first = [c for c in all_calls(out) if c["step"] == 0]
    assert first
    for c in first:
        assert c["http_status"] == 404
        assert c["error"]["kind"] == "model_not_found", c["error"]
        # Ollama's chat wording, in OpenAI's error shape: model "x" not found, try pulling it first
        assert 'model "nosuch:7b" not found' in c["error"]["message"], c["error"]
