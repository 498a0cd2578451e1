"""The official SDKs as measured clients (clients/ollama-python: the ollama package's
AsyncClient; clients/openai-python: the openai package's AsyncOpenAI) against tandem-sim,
beside a C variant on the same scenario:
- a run writes records that tandem-report check accepts, a summary of the C variant's
  shape, one token event per generated token with the server's counters, and names the
  SDK and its version in provenance;
- every fault the simulator injects ends as the same error kind as in the C variant
  (the SDK's own words in the message), a stalled stream as the kit's timeout;
- stream: false gives one token event for the whole reply;
- workflows (outputs, chat history) run through the SDKs too.

The clients run from the source tree (tandem-report from $TANDEM_BIN), so no
`make SDK_CLIENTS=1` is needed; a client whose package is missing is skipped, and so is
openai-python while the core or the simulator lacks api: openai."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from engine import bindir, variants
from simproc import REPO, start_sim

REPORT = os.path.join(bindir(), "tandem-report")
TOKENS = 8
C_VARIANT = next((v for v in ("smol", "tokio-default", "blocking") if v in variants()), None)
CLIENTS = {"ollama-python": ("ollama", "chat"), "openai-python": ("openai", "openai")}

pytestmark = pytest.mark.skipif(not os.access(REPORT, os.X_OK), reason="needs tandem-report in $TANDEM_BIN")


def launcher(client):
    return os.path.join(REPO, "clients", client, "tandem-" + client)


def need(client):
    """Skips unless the client's SDK is installed (and, for api: openai, the core plans it)."""
    package, api = CLIENTS[client]
    if importlib.util.find_spec(package) is None:
        pytest.skip("the Python package %s is not installed (scripts/install-deps.sh)" % package)
    if api == "openai":
        p = subprocess.run([REPORT, "plan", "--scenario-file", "/dev/stdin"], capture_output=True, text=True,
                           input="name: p\ndefaults: {url: http://127.0.0.1:9, model: m, api: openai}\n"
                                 "agents:\n  - {name: a, prompt: p}\n")
        if p.returncode != 0:
            pytest.skip("this tandem-report has no api: openai yet")
    return api


FAULTS = ["404", "500", "error-line:3", "error-event:3", "disconnect:3", "stall:3", "drop-reused", "refuse",
          "malformed:2", "oversized:300000"]


@pytest.fixture(scope="module")
def sim():
    args = ["--decode-tps", "200", "--prefill-tps", "100000000", "--load-ms", "0", "--alpha", "0"]
    args += ["--port", "0"] * (2 + len(FAULTS))
    for i, f in enumerate(FAULTS):
        args += ["--fault", "#%d:%s" % (2 + i, f)]
    with start_sim(args) as s:
        if importlib.util.find_spec("urllib") is not None:
            import urllib.request
            try:
                urllib.request.urlopen(s.url(0) + "/v1/models", timeout=5).read()
                s.has_v1 = True
            except Exception:
                s.has_v1 = False
        yield s


def scenario(urls, api, steps=1, extra="", stream=True, runs=1, phases=None, timeouts=None):
    lines = ["name: sdk", "runs: %d" % runs, "seed: 3", "warmup: true"]
    if phases:
        lines.append("phases: [%s]" % ", ".join(phases))
    if timeouts:
        lines.append("timeouts: {%s}" % ", ".join("%s: %d" % kv for kv in timeouts.items()))
    lines += ["defaults: {model: gemma3:latest, api: %s, stream: %s, options: {num_predict: %d, temperature: 0}}"
              % (api, "true" if stream else "false", TOKENS), "agents:"]
    for i, u in enumerate(urls):
        lines.append("  - {name: a%d, url: %s, steps: [%s]}" % (i, u, ", ".join(
            "{name: s%d, prompt: \"Step %d%s\"}" % (k, k, ": {previous}" if k else "") for k in range(steps))))
    return "\n".join(lines) + "\n" + extra


def run(tmp_path, who, text, *args):
    """(process, run directory) of `run` by a client (from the tree) or a C variant."""
    scen = tmp_path / ("%s.yaml" % who)
    scen.write_text(text)
    out = str(tmp_path / ("out-" + who))
    cmd = [sys.executable, launcher(who)] if who in CLIENTS else [os.path.join(bindir(), "tandem-" + who)]
    p = subprocess.run(cmd + ["run", "--scenario-file", str(scen), "--output-dir", out, "--quiet"] + list(args),
                       capture_output=True, text=True, timeout=120, env=dict(os.environ, TANDEM_REPORT=REPORT))
    return p, out


def skip_if_stale(p):
    """A C variant built before api: openai (a $TANDEM_BIN of mixed ages) cannot be compared."""
    if p.returncode != 0 and "is not an API tandem speaks" in p.stderr:
        pytest.skip("the C variant in $TANDEM_BIN predates api: openai; rebuild it")


def records(out, run_k=1):
    with open(os.path.join(out, "run_%d" % run_k, "records.json")) as f:
        return json.load(f)


# Lists whose length depends on what was measured (a run on a loaded machine may be
# flagged as an anomaly in one client's run and not in the other's).
MEASURED_LISTS = {"anomalies", "flagged_runs"}


def shape(x):
    """The summary's keys, recursively (a list by its first element); values of any kind
    alike, as a statistic of one run may be null where another client's is a number."""
    if isinstance(x, dict):
        return {k: "list" if k in MEASURED_LISTS else shape(v) for k, v in x.items()}
    if isinstance(x, list):
        return [shape(v) for v in x[:1]]
    return "value"


def check(out):
    q = subprocess.run([REPORT, "check", out], capture_output=True, text=True)
    assert q.returncode == 0, q.stdout + q.stderr


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_a_run_is_recorded_as_a_c_variants(sim, client, tmp_path):
    api = need(client)
    if api == "openai" and not sim.has_v1:
        pytest.skip("this tandem-sim serves no /v1")
    text = scenario([sim.url(0), sim.url(1)], api, steps=2, runs=2)
    p, out = run(tmp_path, client, text)
    assert p.returncode == 0, p.stderr
    check(out)
    prov = json.load(open(os.path.join(out, "provenance.json")))
    package = CLIENTS[client][0]
    from importlib.metadata import version
    assert prov["variant"] == client and prov["runtime"]["sdk"] == {"name": package, "version": version(package)}
    assert prov["libraries"][package] == version(package)
    for c in records(out)["calls"]:
        n = 1 if c["phase"] == "warmup" else TOKENS
        assert c["ok"] and len(c["events"]["dt_ns"]) == n and sum(c["events"]["content_bytes"]) == len(
            c["text"].encode()), c
        assert c["server"]["eval_count"] == n and c["done_reason"] == "length" and c["reads"] >= 1
        assert c["t_begin_ns"] <= c["t_start_ns"] <= c["t_first_byte_ns"] <= c["t_done_ns"]
        assert c["url"].endswith("/v1/chat/completions" if api == "openai" else "/api/chat")
        assert c.get("api") == ("openai" if api == "openai" else None)
    steps = [c for c in records(out)["calls"] if c["phase"] == "sequential"]
    assert any(c["reused_connection"] for c in steps)  # one kept-alive connection per agent
    if C_VARIANT is None:
        pytest.skip("no C variant in $TANDEM_BIN to compare with")
    q, c_out = run(tmp_path, C_VARIANT, text)
    skip_if_stale(q)
    assert q.returncode == 0, q.stderr
    assert shape(json.load(open(os.path.join(out, "summary.json")))) == shape(
        json.load(open(os.path.join(c_out, "summary.json"))))
    c_prov = json.load(open(os.path.join(c_out, "provenance.json")))
    assert prov["servers"] == c_prov["servers"]  # the core's preflight (GET /v1/models for api: openai)
    assert [{k: v for k, v in e.items() if k != "models"} for e in prov["server_memory"]] == [
        {k: v for k, v in e.items() if k != "models"} for e in c_prov["server_memory"]]
    frames = lambda d: sorted((c["phase"], c["agent"], c["step"], c["frames"]) for c in records(d)["calls"])
    if api == "openai":  # chunks the SDK yields, and the [DONE] it swallows: the core's frames
        assert frames(out) == frames(c_out)


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_every_fault_ends_as_in_a_c_variant(sim, client, tmp_path):
    api = need(client)
    if api == "openai" and not sim.has_v1:
        pytest.skip("this tandem-sim serves no /v1")
    if C_VARIANT is None:
        pytest.skip("no C variant in $TANDEM_BIN to compare with")
    urls = [sim.url(2 + i) for i in range(len(FAULTS))]
    text = scenario(urls, api, steps=2, phases=["sequential"],
                    timeouts={"connect_ms": 2000, "first_byte_ms": 5000, "idle_ms": 400, "total_ms": 10000})
    text = text.replace("warmup: true", "warmup: false\nmax_line_bytes: 65536")
    got = {}
    for who in (client, C_VARIANT):
        p, out = run(tmp_path, who, text, "--no-preflight")
        skip_if_stale(p)
        assert p.returncode == 3, p.stderr
        check(out)
        got[who] = {(c["agent"], c["step"]): c for c in records(out)["calls"]}
    kinds = {k: (c["error"] or {}).get("kind") for k, c in got[client].items()}
    assert kinds == {k: (c["error"] or {}).get("kind") for k, c in got[C_VARIANT].items()}
    want = {"404": "model_not_found", "500": "http_status", "error-line:3": "server_error" if api != "openai"
            else "disconnected", "error-event:3": "server_error", "disconnect:3": "disconnected",
            "stall:3": "timeout_idle", "drop-reused": None, "refuse": "connect", "malformed:2": "protocol",
            "oversized:300000": "line_too_long"}
    for i, f in enumerate(FAULTS):
        assert kinds[(i, 0)] == want[f], (f, got[client][(i, 0)]["error"])
    stale = got[client][(FAULTS.index("drop-reused"), 1)]
    assert stale["ok"] and stale["retried_stale_connection"] is True and "reused connection" in stale["first_error"]
    msg = got[client][(FAULTS.index("404"), 0)]["error"]["message"]
    assert msg.startswith("HTTP 404: ") and "not found" in msg
    msg = got[client][(FAULTS.index("malformed:2"), 0)]["error"]["message"]
    assert msg.startswith("malformed ") and "SDK cannot read it (JSONDecodeError" in msg
    assert "raise max_line_bytes" in got[client][(FAULTS.index("oversized:300000"), 0)]["error"]["message"]


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_an_unstreamed_reply_is_one_token_event(sim, client, tmp_path):
    api = need(client)
    if api == "openai" and not sim.has_v1:
        pytest.skip("this tandem-sim serves no /v1")
    p, out = run(tmp_path, client, scenario([sim.url(0)], api, stream=False), "--phases", "seq")
    assert p.returncode == 0, p.stderr
    check(out)
    for c in records(out)["calls"]:
        assert c["ok"] and len(c["events"]["dt_ns"]) == 1 and c["events"]["content_bytes"][0] == len(c["text"].encode())
        assert c["server"]["eval_count"] == (1 if c["phase"] == "warmup" else TOKENS)


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_a_workflow_with_history_runs_through_the_sdk(sim, client, tmp_path):
    api = need(client)
    if api == "openai" and not sim.has_v1:
        pytest.skip("this tandem-sim serves no /v1")
    with open(os.path.join(REPO, "experiments", "scenarios", "workflow-debate.yaml")) as f:
        text = f.read().replace("http://127.0.0.1:11434", sim.url(0)).replace("api: chat", "api: " + api)
    p, out = run(tmp_path, client, text, "--runs", "1", "--num-predict", str(TOKENS))
    assert p.returncode == 0, p.stderr
    check(out)
    rec = records(out)
    assert rec["sequential"]["one_batch"] is True
    calls = {(c["phase"], c["agent"], c["step"]): c for c in rec["calls"]}
    for phase in ("sequential", "concurrent"):
        rebut, close = calls[(phase, 0, 1)], calls[(phase, 1, 1)]
        assert rebut["after"] == [[1, 0]] and close["after"] == [[0, 1]]
        assert rebut["t_begin_ns"] >= rebut["t_due_ns"] >= calls[(phase, 1, 0)]["t_done_ns"]
        # the SDK's own encoding of the body: it holds pro's first turn and con's opening
        assert rebut["request_bytes"] > len(calls[(phase, 0, 0)]["text"].encode()) + len(
            calls[(phase, 1, 0)]["text"].encode())
    summary = json.load(open(os.path.join(out, "summary.json")))
    assert summary["runs"][0]["workflow"]["critical_path_s"] > 0
