"""Open-loop arrivals (scenario arrivals:, src/core/arrivals.c, the holds in every runtime):
the arrival instants come from the seed alone and are what the plan shows; every variant,
python-httpx included, hands each arrival's call out no earlier than it is due, records
the due instant (t_due_ns) exactly as release + start_ms, and gives calls without one 0;
an interrupt during the holds ends the run at once with every planned call accounted for;
a bad arrivals: block is refused with the field and the fix."""

import json
import os
import signal
import subprocess
import time

import pytest

from engine import bindir, run_variant, variants
from simproc import start_sim
from test_interrupt import Running

REPORT = os.path.join(bindir(), "tandem-report")


def open_loop_yaml(url, process="constant", rate=20, duration_s=0.5, seed=7, phases="[sequential, concurrent]",
                   num_predict=5, extra=""):
    return "\n".join([
        "name: open-loop", "runs: 1", "seed: %d" % seed, "warmup: true", "phases: %s" % phases,
        "arrivals: {process: %s, rate: %s, duration_s: %s}" % (process, rate, duration_s),
        "agent_template:",
        "  name: call",
        "  model: gemma3:latest",
        "  options: {num_predict: %d, temperature: 0}" % num_predict,
        "  steps:",
        "    - {name: q1, prompt: \"Tell me about rivers.\"}",
        "    - {name: q2, prompt: \"Tell me about lakes.\"}",
        "    - {name: q3, prompt: \"Tell me about seas.\"}",
        "endpoints: [%s]" % url,
    ]) + "\n" + extra


def plan(tmp_path, text, name="scenario.yaml"):
    path = os.path.join(str(tmp_path), name)
    with open(path, "w") as f:
        f.write(text)
    p = subprocess.run([REPORT, "plan", "--scenario-file", path], capture_output=True, text=True, timeout=30)
    return p


def starts(p):
    assert p.returncode == 0, p.stderr
    scen = json.loads(p.stdout)["scenario"]
    return scen["arrivals"], [a["start_ms"] for a in scen["agents"]], scen["agents"]


def test_constant_arrivals_are_k_over_rate_with_the_prompts_in_turn(tmp_path):
    arr, ms, agents = starts(plan(tmp_path, open_loop_yaml("http://127.0.0.1:1", rate=4, duration_s=3)))
    assert arr == {"process": "constant", "rate": 4.0, "duration_s": 3.0, "count": 12}
    assert ms == [k * 250.0 for k in range(12)]
    assert [a["name"] for a in agents[:2]] == ["call-1", "call-2"]
    # one call per arrival, its prompt the template's steps in turn
    assert [[s["name"] for s in a["steps"]] for a in agents[:4]] == [["q1"], ["q2"], ["q3"], ["q1"]]


def test_poisson_arrivals_come_from_the_seed_alone(tmp_path):
    text = open_loop_yaml("http://127.0.0.1:1", process="poisson", rate=5, duration_s=20)
    arr1, ms1, _ = starts(plan(tmp_path, text, "a.yaml"))
    arr2, ms2, _ = starts(plan(tmp_path, text, "b.yaml"))
    assert ms1 == ms2 and arr1 == arr2
    assert arr1["count"] == len(ms1)
    assert all(0 <= a < b for a, b in zip(ms1, ms1[1:])) and ms1[-1] < 20000
    # 100 expected; a Poisson count stays within 5 standard deviations of it
    assert 50 <= len(ms1) <= 150
    gaps = [b - a for a, b in zip(ms1, ms1[1:])]
    assert 150 < sum(gaps) / len(gaps) < 250  # mean gap 1/rate = 200 ms
    _, ms3, _ = starts(plan(tmp_path, open_loop_yaml("http://127.0.0.1:1", process="poisson", rate=5, duration_s=20,
                                                     seed=8), "c.yaml"))
    assert ms3 != ms1


@pytest.mark.parametrize("change, field, fix", [
    (lambda t: t.replace("arrivals: {process: constant", "arrivals: {process: bursty"), "arrivals.process",
     "poisson"),
    (lambda t: t.replace("rate: 20,", "rate: 0,"), "arrivals.rate", "positive"),
    (lambda t: t.replace(", duration_s: 0.5", ""), "arrivals.duration_s", "missing"),
    (lambda t: t + "agent_count: 3\n", "agent_count", "remove agent_count"),
    (lambda t: t.replace("phases: [sequential, concurrent]", "phases: [sequential]"), "phases", "add concurrent"),
    (lambda t: t.replace("constant, rate: 20, duration_s: 0.5", "poisson, rate: 0.001, duration_s: 1"), "arrivals",
     "raise the rate"),
])
def test_a_bad_arrivals_block_names_the_field_and_the_fix(tmp_path, change, field, fix):
    p = plan(tmp_path, change(open_loop_yaml("http://127.0.0.1:1")))
    assert p.returncode != 0
    assert field + ":" in p.stderr and fix in p.stderr, p.stderr


def test_arrivals_need_a_template(tmp_path):
    text = "name: x\narrivals: {rate: 1, duration_s: 5}\nagents:\n  - {name: a, url: http://h:1, model: m, prompt: p}\n"
    p = plan(tmp_path, text)
    assert p.returncode != 0 and "arrivals:" in p.stderr and "agent_template" in p.stderr, p.stderr


@pytest.fixture(scope="module")
def sim():
    with start_sim(["--decode-tps", "1000", "--prefill-tps", "100000", "--alpha", "0", "--port", "0"]) as s:
        yield s


@pytest.mark.parametrize("variant", variants())
def test_every_variant_hands_out_each_arrival_once_it_is_due(sim, variant, tmp_path):
    r = run_variant(variant, open_loop_yaml(sim.url(0)), tmp_path)
    assert r.returncode == 0, r.stderr
    ms = [a["start_ms"] for a in r.provenance["scenario"]["agents"]]
    assert len(ms) == 10
    rec = r.records(1)
    release = {a["release_ns"] for a in rec["concurrent"]["agents"]}
    assert len(release) == 1
    t_release = release.pop()
    conc = [c for c in rec["calls"] if c["phase"] == "concurrent"]
    assert len(conc) == 10 and all(c["ok"] for c in conc)
    for c in conc:
        assert c["t_due_ns"] == t_release + round(ms[c["agent"]] * 1e6)
        assert c["t_begin_ns"] >= c["t_due_ns"] and c["t_start_ns"] >= c["t_begin_ns"]
    # open-loop: the seed's overlap numbers mean nothing, so they are undefined
    assert rec["concurrent"]["open_loop"] is True and "open_loop" not in rec["sequential"]
    assert r.summary["runs"][0]["legacy_efficiency_pct"] is None
    # the warm-up and the sequential phase run calls back to back: no due times
    assert all(c["t_due_ns"] == 0 for c in rec["calls"] if c["phase"] != "concurrent")
    assert any(c["phase"] == "sequential" for c in rec["calls"])
    chk = subprocess.run([REPORT, "check", r.outdir], capture_output=True, text=True, timeout=60)
    assert chk.returncode == 0, chk.stdout + chk.stderr


@pytest.mark.parametrize("variant", variants())
def test_an_interrupt_during_the_holds_ends_the_run_with_every_call_accounted_for(sim, variant, tmp_path):
    # one arrival a second for a minute: the run must not wait for the later ones
    text = open_loop_yaml(sim.url(0), rate=1, duration_s=60, phases="[concurrent]")
    r = Running(variant, text, tmp_path)
    r.wait_for("concurrent phase")
    time.sleep(1.5)  # a first arrival or two let go, the rest held (either way, all must be accounted for)
    r.proc.send_signal(signal.SIGINT)
    rc, _, err = r.finish(timeout=30)
    assert rc == 130, err
    rec = r.load("run_1", "records.json")
    assert rec.get("interrupted") is True
    conc = [c for c in rec["calls"] if c["phase"] == "concurrent"]
    assert len(conc) == 60
    held = [c for c in conc if c["t_begin_ns"] == 0]
    assert held and all(c["t_due_ns"] == 0 for c in held)  # never handed out, so never given a due time
    assert all(c["error"]["kind"] == "skipped" and "interrupted" in c["error"]["message"] for c in held)
