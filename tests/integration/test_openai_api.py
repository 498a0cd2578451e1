"""api: openai (POST /v1/chat/completions, Server-Sent Events) in every C variant and
python-httpx (whose SSE framing and chunk parsing are tandemkit's), against tandem-sim,
which sends Ollama 0.11.4's /v1 wire.

One run per variant covers the whole contract, each agent on a port of its own:
- a healthy agent (two steps, history) and one with "stream": false: every call ok, one
  token event per content chunk, as many as the usage block's completion_tokens, the
  records marked "api": "openai", the url /v1/chat/completions, no server durations (and
  report.md says the server gives none);
- the faults a server commits on that API, each recorded with its kind and the server's
  message: an error event mid-stream (vLLM, llama-server), Ollama's own way of losing
  one (an empty chunk and no [DONE]), a 404 in OpenAI's shape, a connection cut
  mid-stream, an event over max_line_bytes;
- preflight asked GET /v1/models instead of Ollama's probes, and /api/ps was not asked;
- `tandem-report check` accepts the directory, and the JSON schema does.
Then preflight refuses a model /v1/models does not list, naming model and server, and a
server that does not answer.
"""

import json
import os
import subprocess

import pytest

from engine import bindir, run_variant, variants
from simproc import REPO, start_sim

# The C variants (a variants/<v>/variant.mk each) and python-httpx, which frames the bytes
# itself; the SDK clients (the SDK frames) have tests of their own.
C_VARIANTS = [v for v in variants() if os.path.exists(os.path.join(REPO, "variants", v, "variant.mk"))]
CLIENTS = C_VARIANTS + [v for v in variants() if v == "python-httpx"]
if not C_VARIANTS:
    pytest.skip("no variant binaries built (run make)", allow_module_level=True)

FAST = ["--decode-tps", "1000", "--prefill-tps", "100000"]
# port index -> (agent name, fault or None)
PORTS = [("ok", None), ("whole", None), ("event", "error-event:3"), ("ollama_cut", "error-line:3"),
         ("missing", "404"), ("cut", "disconnect:3"), ("huge", "oversized:40000")]


def scenario(sim, model="gemma3:latest"):
    lines = ["name: openai-conformance", "seed: 7", "max_line_bytes: 16384",
             "timeouts: {connect_ms: 2000, first_byte_ms: 5000, idle_ms: 5000, total_ms: 20000}",
             "defaults:", "  model: %s" % model, "  api: openai",
             "  options: {num_predict: 10, temperature: 0}", "agents:"]
    for i, (name, _) in enumerate(PORTS):
        lines += ["  - name: %s" % name, "    url: %s" % sim.url(i)]
        if name == "ok":
            lines += ["    history: true", "    steps:", "      - {prompt: \"Describe the data.\", system: be brief}",
                      "      - {prompt: \"Summarise: {previous}\"}"]
        else:
            lines.append("    prompt: \"Describe the data.\"")
        if name == "whole":
            lines.append("    stream: false")
    return "\n".join(lines) + "\n"


def sim_args():
    args = list(FAST)
    for i, (_, fault) in enumerate(PORTS):
        args += ["--port", "0"]
        if fault:
            args += ["--fault", "#%d:%s" % (i, fault)]
    return args


def by_agent(res):
    names = [n for n, _ in PORTS]
    out = {n: [] for n in names}
    for c in res.calls():
        out[names[c["agent"]]].append(c)
    return out


def first_measured(calls):
    return [c for c in calls if c["phase"] != "warmup" and c["step"] == 0]


@pytest.mark.parametrize("variant", CLIENTS)
def test_openai_conformance(variant, tmp_path):
    with start_sim(sim_args()) as sim:
        res = run_variant(variant, scenario(sim), tmp_path)
        sim.stop()  # then the emission log holds every request
        events = sim.emit_log()
    assert res.returncode == 3, (res.returncode, res.stderr)  # the faults make it incomplete
    calls = by_agent(res)

    # every call spoke the OpenAI API, at its URL
    for c in res.calls():
        assert c["api"] == "openai", c
        assert c["url"].endswith("/v1/chat/completions"), c["url"]

    # healthy agents: ok calls, one token event per content chunk, as usage counts them
    for name in ("ok", "whole"):
        for c in calls[name]:
            assert c["ok"], c["error"]
            assert c["server"]["eval_count"] == (1 if c["phase"] == "warmup" else 10), c["server"]
            assert c["server"]["prompt_eval_count"] > 0
            assert not any(k in c["server"] for k in ("eval_duration", "prompt_eval_duration", "total_duration"))
            assert c["done_reason"] == "length"
            assert c["text"]
    for c in calls["ok"]:
        assert len(c["events"]["dt_ns"]) == c["server"]["eval_count"]
        assert sum(c["events"]["content_bytes"]) == len(c["text"].encode())
        # chunks, the finish chunk, the usage chunk and [DONE]
        assert c["frames"] == c["server"]["eval_count"] + 3
    for c in calls["whole"]:
        assert len(c["events"]["dt_ns"]) == 1  # a whole reply is one event, as for Ollama's stream: false
    ok_seq = [c for c in calls["ok"] if c["phase"] == "sequential"]
    assert len(ok_seq) == 2 and ok_seq[1]["request_bytes"] > ok_seq[0]["request_bytes"]  # the history

    # the faults, each with its kind and the server's own words
    def failed(name, kind, words):
        for c in first_measured(calls[name]):
            assert not c["ok"]
            assert c["error"]["kind"] == kind, c["error"]
            assert words in c["error"]["message"], c["error"]["message"]
    failed("event", "server_error", "simulated failure after 3 tokens")
    failed("ollama_cut", "disconnected", "data: [DONE]")
    failed("missing", "model_not_found", "not found")
    failed("cut", "disconnected", "")
    failed("huge", "line_too_long", "raise max_line_bytes")
    for c in first_measured(calls["event"]) + first_measured(calls["ollama_cut"]):
        assert len(c["events"]["dt_ns"]) == 3  # the events before the failure are kept

    # the summary and report.md say that the server gives no timings
    s = res.summary
    assert s["calls"]["sequential"]["no_server_timings"] >= 3
    with open(os.path.join(res.outdir, "report.md")) as f:
        assert "server gives no timings" in f.read()

    # preflight asked /v1/models, never Ollama's own endpoints; /api/ps was skipped, saying why
    paths = {e.get("path") for e in events if e.get("ev") == "start"}
    assert "/v1/models" in paths and "/v1/chat/completions" in paths
    assert not paths & {"/api/version", "/api/tags", "/api/ps", "/api/generate", "/api/chat"}, paths
    prov = res.provenance
    for srv in prov["servers"]:
        assert "gemma3:latest" in srv["openai_models"] and "OpenAI API" in srv["note"]
    assert prov["server_memory"] and all("api: openai" in m["skipped"] for m in prov["server_memory"])

    # what validates records accepts these
    check = subprocess.run([os.path.join(bindir(), "tandem-report"), "check", res.outdir], capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    try:
        import jsonschema
    except ImportError:
        return
    with open(os.path.join(REPO, "docs", "records.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator(schema).validate(res.records(1))
    jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/provenance"}).validate(prov)


@pytest.mark.parametrize("variant", CLIENTS)
def test_preflight_names_a_missing_model_and_a_dead_server(variant, tmp_path):
    with start_sim(FAST + ["--port", "0", "--port", "0", "--fault", "#1:refuse"]) as sim:
        yaml = ("name: nomodel\ndefaults: {model: nosuch:7b, api: openai}\n"
                "agents:\n  - {name: a, url: %s, prompt: hi}\n  - {name: b, url: %s, prompt: hi}\n"
                % (sim.url(0), sim.url(1)))
        res = run_variant(variant, yaml, tmp_path)
    assert res.returncode == 1, res.stderr
    assert "model 'nosuch:7b' is not served by %s" % sim.url(0) in res.stderr, res.stderr
    assert "GET /v1/models lists: gemma3:latest" in res.stderr, res.stderr
    assert "cannot reach the OpenAI-compatible server at %s" % sim.url(1) in res.stderr, res.stderr
    assert not os.path.exists(os.path.join(res.outdir, "run_1"))
