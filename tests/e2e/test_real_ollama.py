"""Every tandem variant against two REAL Ollama 0.11.4 servers (CPU, the tiny model).

What must hold against the real thing, not just the simulator:
- cpu-smoke (experiments/cpu-smoke.yaml) and the seed's three built-in scenarios run to
  the end (exit 0) with every call recorded;
- the server's counters arrive on every call: eval_count == num_predict, eval_duration > 0;
- the client's TTFT is never shorter than what the server itself spent before the first
  token (load_duration + prompt_eval_duration): both are on one machine, and the server's
  part is contained in the client's;
- the client saw exactly eval_count token lines. This holds for the tiny model because
  it never emits EOS and has no byte tokens that could be held back as partial UTF-8,
  and no stop sequence is set: with options.stop the real server counts the matched stop
  text in eval_count but does not send it (tests/e2e/captures/generate-stop.txt: 8 token
  lines, eval_count 9), so then the two legitimately differ;
- summary.json is written, efficiency and legacy efficiency are numbers;
- the real error paths give the tool's clear messages: a model the servers do not have
  (preflight names it and lists `tiny`; with --no-preflight the real 404 is recorded as
  model_not_found, for /api/generate and /api/chat, whose wording differs), and a server
  that is not running ("cannot reach Ollama at ...").
"""

import json
import math
import os
import socket
import subprocess

import pytest

from conftest import OLLAMA_VERSION, REPO, ROWS, SKIP_REASON, skip_requested

if skip_requested():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from engine import bindir, variants  # noqa: E402

VARIANTS = variants()
SEED_SCENARIOS = ["baseline-vs-chimera", "chimera-hetero", "chimera-homo"]
CPU_SMOKE = os.path.join(REPO, "experiments", "cpu-smoke.yaml")
TIMEOUT_S = 300


def run(variant, args, outdir, timeout=TIMEOUT_S):
    cmd = [os.path.join(bindir(), "tandem-" + variant), "run", "--output-dir", str(outdir),
           "--quiet"] + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return proc


def seed_args(ollama, scenario, model="tiny", num_predict=16):
    # The chimera options (num_gpu 80, num_ctx 512) go to a CPU-only server as they are:
    # Ollama ignores GPU layers it cannot place and runs the runner with --ctx-size 512,
    # which the seed prompts (~300-350 tokens plus 16 of {previous}) fit in.
    return ["--scenario", scenario, "--model", model, "--num-predict", str(num_predict),
            "--num-thread", "1", "--seed", "7",
            "--collector-ollama-url", ollama.url(0), "--insight-ollama-url", ollama.url(1)]


def load(outdir, name):
    with open(os.path.join(str(outdir), name)) as f:
        return json.load(f)


def all_calls(outdir):
    calls, k = [], 1
    while os.path.exists(os.path.join(str(outdir), "run_%d" % k, "records.json")):
        calls += load(outdir, os.path.join("run_%d" % k, "records.json"))["calls"]
        k += 1
    return calls


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_run(proc, outdir, num_predict, n_agents=2, steps=2):
    """The assertions every successful run against the real servers must pass."""
    assert proc.returncode == 0, "exit %d\n%s" % (proc.returncode, proc.stderr)
    summary = load(outdir, "summary.json")
    assert summary["complete"] is True and summary["failed_calls"] == 0, summary
    assert summary["runs_recorded"] == summary["runs_planned"] >= 1
    for run_ in summary["runs"]:
        assert is_number(run_["efficiency_pct"]) and run_["efficiency_pct"] > 0, run_
        assert is_number(run_["legacy_efficiency_pct"]), run_
        assert run_["token_mismatches"] == 0, run_
    for key in ("efficiency_pct", "legacy_efficiency_pct", "speedup"):
        assert is_number(summary["aggregate"][key]["mean"]), key
    prov = load(outdir, "provenance.json")
    for server in prov["servers"]:
        assert server["reachable"] and server["version"] == OLLAMA_VERSION, server
        digest = server["models"]["tiny:latest"]
        assert len(digest) == 64 and int(digest, 16) >= 0  # a manifest digest: shape only

    calls = all_calls(outdir)
    measured = [c for c in calls if c["phase"] != "warmup"]
    assert len(measured) == summary["runs_recorded"] * 2 * n_agents * steps
    for c in calls:
        where = "%s agent %d step %d" % (c["phase"], c["agent"], c["step"])
        assert c["ok"] and c["error"] is None and c["http_status"] == 200, (where, c["error"])
        srv = c["server"]
        want = 1 if c["phase"] == "warmup" else num_predict
        assert srv["eval_count"] == want, (where, srv)
        assert srv["eval_duration"] > 0 and srv["prompt_eval_count"] > 0, (where, srv)
        # Ollama reports load_duration even for a loaded model (scheduling, ~1-3 ms).
        assert srv["load_duration"] > 0 and srv["total_duration"] > 0, (where, srv)
        assert c["done_reason"] == "length", where
        events = c["events"]["dt_ns"]
        assert len(events) == srv["eval_count"], (where, len(events), srv["eval_count"])
        server_before_first = srv["load_duration"] + srv["prompt_eval_duration"]
        assert events[0] >= server_before_first, (
            "%s: client TTFT %.3f ms < server load+prompt_eval %.3f ms"
            % (where, events[0] / 1e6, server_before_first / 1e6))
        assert c["t_done_ns"] - c["t_begin_ns"] >= srv["total_duration"] - 1_000_000, where
    return summary


def record(variant, scenario, summary):
    agg = summary["aggregate"]
    seq, conc = summary["calls"]["sequential"], summary["calls"]["concurrent"]

    def med(block, key):
        v = block.get(key) or {}
        return v.get("median")

    ROWS.append({"variant": variant, "scenario": scenario,
                 "eff": agg["efficiency_pct"]["mean"], "legacy": agg["legacy_efficiency_pct"]["mean"],
                 "speedup": agg["speedup"]["mean"],
                 "ttft_seq": med(seq, "ttft_ms"), "ttft_conc": med(conc, "ttft_ms"),
                 "tps_seq": med(seq, "decode_tps"), "tps_conc": med(conc, "decode_tps")})


def out_dir(tmp_path, variant, scenario):
    base = os.environ.get("TANDEM_E2E_OUT")
    return os.path.join(base, variant, scenario) if base else str(tmp_path / "out")


# ---- the scenarios ------------------------------------------------------------------

def test_variants_are_built():
    assert VARIANTS, "no tandem-<variant> binaries in %s (run make, or set TANDEM_BIN)" % bindir()


@pytest.mark.parametrize("variant", VARIANTS)
def test_cpu_smoke(variant, ollama, tmp_path):
    out = out_dir(tmp_path, variant, "cpu-smoke")
    proc = run(variant, ["--scenario-file", CPU_SMOKE], out)
    summary = check_run(proc, out, num_predict=24)
    record(variant, "cpu-smoke", summary)


@pytest.mark.parametrize("scenario", SEED_SCENARIOS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_seed_scenario(variant, scenario, ollama, tmp_path):
    out = out_dir(tmp_path, variant, scenario)
    proc = run(variant, seed_args(ollama, scenario), out)
    summary = check_run(proc, out, num_predict=16)
    prov = load(out, "provenance.json")
    for agent in prov["scenario"]["agents"]:
        assert agent["model"] in ("tiny", "tiny:latest")
        assert agent["options"]["num_predict"] == 16 and agent["options"]["num_thread"] == 1
    record(variant, scenario, summary)


CHAT_YAML = """\
name: e2e-chat
runs: 1
seed: 42
warmup: true
timeouts: {connect_ms: 2000, first_byte_ms: 30000, idle_ms: 10000, total_ms: 60000}
defaults:
  model: %(model)s
  api: chat
  options: {num_thread: 1, num_predict: 12, temperature: 0, seed: 7}
agents:
  - name: collector
    url: %(url0)s
    steps:
      - {name: analysis, prompt: "List three facts about benchmarks."}
      - {name: report, prompt: "Summarise: {previous}"}
  - name: insight
    url: %(url1)s
    steps:
      - {name: analysis, prompt: "Give two recommendations."}
      - {name: report, prompt: "Number these: {previous}"}
"""


@pytest.mark.parametrize("variant", VARIANTS)
def test_chat_api(variant, ollama, tmp_path):
    """/api/chat's real final line puts done_reason before done; every variant reads it."""
    scen = tmp_path / "chat.yaml"
    scen.write_text(CHAT_YAML % {"model": "tiny", "url0": ollama.url(0), "url1": ollama.url(1)})
    out = str(tmp_path / "out")
    proc = run(variant, ["--scenario-file", str(scen)], out)
    check_run(proc, out, num_predict=12)
    assert all(c["url"].endswith("/api/chat") for c in all_calls(out))


# ---- the real error paths ---------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
def test_missing_model_is_named_before_measuring(variant, ollama, tmp_path):
    out = str(tmp_path / "out")
    proc = run(variant, seed_args(ollama, "chimera-homo", model="nosuch:7b", num_predict=4), out)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    for i in (0, 1):
        assert "model 'nosuch:7b' is not on %s" % ollama.url(i) in proc.stderr, proc.stderr
    assert "tiny:latest" in proc.stderr, proc.stderr  # what the servers do have
    assert not os.path.exists(os.path.join(out, "run_1"))


@pytest.mark.parametrize("variant", VARIANTS)
def test_missing_model_real_404_recorded(variant, ollama, tmp_path):
    """Told to skip the preflight, the servers' own 404s are recorded as model_not_found:
    /api/generate says model 'x' not found, /api/chat says model "x" not found, try
    pulling it first."""
    scen = tmp_path / "chat.yaml"
    scen.write_text(CHAT_YAML % {"model": "nosuch:7b", "url0": ollama.url(0), "url1": ollama.url(1)})
    out = str(tmp_path / "chat")
    proc = run(variant, ["--scenario-file", str(scen), "--no-preflight", "--no-warmup"], out)
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    first = [c for c in all_calls(out) if c["step"] == 0]
    assert first
    for c in first:
        assert c["http_status"] == 404
        assert c["error"]["kind"] == "model_not_found", c["error"]
        assert 'model "nosuch:7b" not found, try pulling it first' in c["error"]["message"]
    out = str(tmp_path / "generate")
    proc = run(variant, seed_args(ollama, "chimera-homo", model="nosuch:7b", num_predict=4)
               + ["--no-preflight", "--no-warmup"], out)
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    calls = all_calls(out)
    for c in calls:
        if c["step"] == 0:
            assert c["http_status"] == 404
            assert c["error"]["kind"] == "model_not_found", c["error"]
            assert "model 'nosuch:7b' not found" in c["error"]["message"]
        else:
            assert c["error"]["kind"] == "skipped"
    assert load(out, "summary.json")["complete"] is False


def free_port():
    """A port on 127.0.0.1 with nothing listening (bound, released, not listened on)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("variant", VARIANTS)
def test_stopped_server_is_named(variant, ollama, tmp_path):
    dead = "http://127.0.0.1:%d" % free_port()
    out = str(tmp_path / "out")
    args = seed_args(ollama, "chimera-homo", num_predict=4)
    args[args.index("--insight-ollama-url") + 1] = dead
    proc = run(variant, args, out, timeout=60)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert "cannot reach Ollama at %s" % dead in proc.stderr, proc.stderr
    assert "ollama serve" in proc.stderr
    assert not os.path.exists(os.path.join(out, "run_1"))
