"""Agent workflows (after:, {output:AGENT.STEP}, think_ms, history; src/core/scenario_workflow.c,
workflow_board.c, job.c): on tandem-sim with known step times, every C variant's concurrent
phase runs each step as soon as its inputs exist, so the makespan is the analytic critical
path within 1 %, and the reported critical path is that path; the sequential phase runs one
step at a time in a topological order; outputs and the chat history reach the requests; a
failed input skips the steps that wait for it, naming it; bad workflows are refused with
the field and the fix; the Python kit says it does not run workflows."""

import json
import os
import subprocess

import pytest

from engine import bindir, run_variant, variants
from simproc import start_sim

REPORT = os.path.join(bindir(), "tandem-report")
C_VARIANTS = [v for v in variants() if "python" not in v]
# Every client that speaks Ollama's API: the Python ones run workflows through the kit.
OLLAMA_CLIENTS = [v for v in variants() if v != "openai-python"]


def tolerance(variant, result):
    """How far makespan may stray from the critical path: a Python client spends a few ms
    of its own per call (16 ms seen over a 0.70 s path of 4 calls), a C variant under 1 %,
    and one built with AddressSanitizer (its provenance names the flag) up to 4 % (12.5 ms
    seen on 2 busy cores)."""
    sanitized = "-fsanitize" in (result.provenance.get("build") or {}).get("flags", "")
    return 0.04 if "python" in variant or sanitized else 0.01

TOKENS, TPS = 20, 100  # D = 0.2 s per call alone
D = TOKENS / TPS
THINK_MS = 100


def fanout_yaml(url, dead_url=None):
    r1 = dead_url or url
    return "\n".join([
        "name: fanout", "runs: 1", "seed: 5", "warmup: true",
        "timeouts: {connect_ms: 2000, first_byte_ms: 10000, idle_ms: 5000, total_ms: 30000}",
        "defaults: {url: %s, model: gemma3:latest, options: {num_predict: %d, temperature: 0}}" % (url, TOKENS),
        "agents:",
        "  - {name: r1, url: %s, prompt: \"Research one.\"}" % r1,
        "  - {name: r2, prompt: \"Research two.\"}",
        "  - {name: r3, prompt: \"Research three.\"}",
        "  - name: writer",
        "    steps:",
        "      - {name: draft, after: [r1.main, r2.main, r3.main],",
        "         prompt: \"Merge: {output:r1.main} / {output:r2.main} / {output:r3.main}\"}",
        "      - {name: polish, think_ms: %d, prompt: \"Polish: {previous}\"}" % THINK_MS,
    ]) + "\n"


@pytest.fixture(scope="module")
def sim():
    with start_sim(["--decode-tps", str(TPS), "--prefill-tps", "100000000", "--load-ms", "0", "--sched-ms", "0",
                    "--alpha", "0", "--port", "0"]) as s:
        yield s


@pytest.mark.parametrize("variant", OLLAMA_CLIENTS)
def test_fanout_makespan_is_the_critical_path(sim, variant, tmp_path):
    r = run_variant(variant, fanout_yaml(sim.url(0)), tmp_path)
    assert r.returncode == 0, r.stderr
    w = r.summary["runs"][0]["workflow"]
    cp = D + D + THINK_MS / 1000 + D  # a researcher, the draft, the pause, the polish
    t_seq = 3 * D + D + THINK_MS / 1000 + D
    tol = tolerance(variant, r)
    assert abs(w["critical_path_s"] - cp) / cp < tol, w
    assert abs(w["makespan_s"] - cp) / cp < tol, w
    assert abs(r.summary["runs"][0]["t_seq_s"] - t_seq) / t_seq < tol
    # efficiency is the measured path over the makespan, each within tol of the nominal path
    assert abs(w["ideal_speedup"] - t_seq / cp) < 0.03 and abs(w["workflow_efficiency_pct"] - 100) < 200 * tol, w
    # each step waited for its inputs, and only for them
    calls = {(c["phase"], c["agent"], c["step"]): c for c in r.calls()}
    draft = calls[("concurrent", 3, 0)]
    assert draft["after"] == [[0, 0], [1, 0], [2, 0]]
    assert draft["t_due_ns"] == max(calls[("concurrent", a, 0)]["t_done_ns"] for a in range(3))
    assert draft["t_begin_ns"] >= draft["t_due_ns"]
    polish = calls[("concurrent", 3, 1)]
    assert polish["think_ns"] == THINK_MS * 1000000
    assert polish["t_due_ns"] == draft["t_done_ns"] + THINK_MS * 1000000 <= polish["t_begin_ns"]


def test_sequential_phase_runs_one_step_at_a_time_in_topological_order(sim, tmp_path):
    r = run_variant(C_VARIANTS[0], fanout_yaml(sim.url(0)), tmp_path)
    assert r.returncode == 0, r.stderr
    rec = r.records(1)
    assert rec["sequential"]["one_batch"] is True
    seq = sorted((c for c in rec["calls"] if c["phase"] == "sequential"), key=lambda c: c["t_begin_ns"])
    assert len(seq) == 5
    for a, b in zip(seq, seq[1:]):
        assert b["t_begin_ns"] >= a["t_done_ns"]  # never two at once
    pos = {(c["agent"], c["step"]): i for i, c in enumerate(seq)}
    for c in seq:
        for dep in c.get("after", []):
            assert pos[tuple(dep)] < pos[(c["agent"], c["step"])]
    assert pos[(3, 0)] < pos[(3, 1)]
    # researchers in the run's shuffled agent order, then the writer
    order = rec["sequential"]["order"]
    assert [c["agent"] for c in seq[:3]] == [a for a in order if a != 3]


def test_outputs_and_history_reach_the_requests(sim, tmp_path):
    debate = open(os.path.join(os.path.dirname(__file__), "..", "..", "experiments", "scenarios",
                               "workflow-debate.yaml")).read().replace("http://127.0.0.1:11434", sim.url(0))
    r = run_variant(C_VARIANTS[0], debate, tmp_path, args=["--runs", "1", "--num-predict", str(TOKENS)])
    assert r.returncode == 0, r.stderr
    calls = {(c["agent"], c["step"]): c for c in r.calls("concurrent")}
    text = {k: c["text"] for k, c in calls.items()}
    # con.open embeds pro.open; pro.rebut sends pro's first turn (prompt and reply) and con.open
    assert calls[(1, 0)]["request_bytes"] > len(text[(0, 0)])
    assert calls[(0, 1)]["request_bytes"] > len(text[(0, 0)]) + len(text[(1, 0)])
    # con.close: its own first turn (which held pro.open) and pro.rebut
    assert calls[(1, 1)]["request_bytes"] > len(text[(0, 0)]) + len(text[(1, 0)]) + len(text[(0, 1)])
    # every turn waits for the one before it: the critical path is the whole workflow
    w = r.summary["runs"][0]["workflow"]
    assert abs(w["ideal_speedup"] - 1) < 0.02, w


def test_a_failed_input_skips_the_steps_waiting_for_it(sim, tmp_path):
    r = run_variant(C_VARIANTS[0], fanout_yaml(sim.url(0), dead_url="http://127.0.0.1:9"), tmp_path,
                    args=["--no-preflight"])
    assert r.returncode != 0 or r.summary["runs"][0]["complete"] is False
    for phase in ("sequential", "concurrent"):
        calls = {(c["agent"], c["step"]): c for c in r.calls(phase)}
        assert calls[(0, 0)]["error"]["kind"] == "connect"
        assert calls[(1, 0)]["ok"] and calls[(2, 0)]["ok"]
        for k in (0, 1):
            e = calls[(3, k)]["error"]
            assert e["kind"] == "skipped" and "'main' of agent 'r1'" in e["message"], e
    w = r.summary["runs"][0]["workflow"]
    assert w["workflow_efficiency_pct"] is None


def plan(tmp_path, text):
    path = os.path.join(str(tmp_path), "wf.yaml")
    with open(path, "w") as f:
        f.write(text)
    return subprocess.run([REPORT, "plan", "--scenario-file", path], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("change, field, fix", [
    (lambda t: t.replace("after: [r1.main,", "after: [r9.main,"), "agents[3].steps[0].after[0]", "names no step"),
    (lambda t: t.replace("{output:r3.main}", "{output:r2.main}{output:writer.polish}"), "agents[3].steps[0].prompt",
     "add 'writer.polish' to after:"),
    (lambda t: t.replace("after: [r1.main, r2.main, r3.main]", "after: [r1.main, r2.main, r3.main, writer.polish]"),
     "agents[3].steps[0].after[3]", "this same agent"),
    (lambda t: t.replace("{name: r2, prompt:", "{name: r2, steps: [{name: main, after: [writer.draft], prompt:")
     .replace("\"Research two.\"}", "\"Research two.\"}]}"), "after", "circle"),
    (lambda t: t.replace("  - name: writer\n", "  - name: writer\n    history: true\n"), "agents[3].history",
     "api: chat"),
    (lambda t: t.replace("think_ms: %d" % THINK_MS, "think_ms: soon"), "think_ms", "milliseconds"),
])
def test_a_bad_workflow_names_the_field_and_the_fix(tmp_path, change, field, fix):
    p = plan(tmp_path, change(fanout_yaml("http://127.0.0.1:1")))
    assert p.returncode != 0
    assert field in p.stderr and fix in p.stderr, p.stderr


def test_the_plan_marks_a_workflow(tmp_path):
    p = plan(tmp_path, fanout_yaml("http://127.0.0.1:1"))
    assert p.returncode == 0, p.stderr
    scen = json.loads(p.stdout)["scenario"]
    assert scen["workflow"] is True
    assert scen["agents"][3]["steps"][1]["think_ms"] == THINK_MS


@pytest.mark.parametrize("variant", C_VARIANTS)
def test_an_interrupt_ends_a_step_waiting_for_another(sim, variant, tmp_path):
    """b waits for a's long call; SIGINT: a is cut after the grace, b never starts and is
    recorded as not run because of the interrupt (not because a failed)."""
    import signal
    import time
    from test_interrupt import Running
    text = "\n".join([
        "name: wait", "runs: 1", "warmup: false", "phases: [concurrent]",
        "defaults: {url: %s, model: gemma3:latest, options: {temperature: 0}}" % sim.url(0),
        "agents:",
        "  - {name: a, options: {num_predict: 6000}, prompt: \"Talk for a minute.\"}",
        "  - {name: b, steps: [{name: s, after: [a.main], prompt: \"Answer {output:a.main}\"}]}",
    ]) + "\n"
    r = Running(variant, text, tmp_path)
    r.wait_for("concurrent phase")
    time.sleep(1.0)
    r.proc.send_signal(signal.SIGINT)
    rc, _, err = r.finish(timeout=30)
    assert rc == 130, err
    calls = {c["agent"]: c for c in r.load("run_1", "records.json")["calls"]}
    assert calls[1]["t_begin_ns"] == 0
    assert calls[1]["error"]["kind"] == "skipped" and "interrupted" in calls[1]["error"]["message"], calls[1]
