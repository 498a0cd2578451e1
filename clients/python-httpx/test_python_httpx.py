"""Tests of tandem-python-httpx: its command line (read by the core's plan), its errors,
and its runtime against tandem-sim.

    TANDEM_BIN=build/bin python3 -m pytest -q clients/python-httpx

The client asks tandem-report for its plan and its summary, so most tests need
tandem-report (and tandem-sim) in $TANDEM_BIN (default build/bin); tandemkit's own parts
are tested in clients/tandemkit. The conformance suite (tests/integration/test_engine.py)
covers the client end to end once the launcher is in $TANDEM_BIN beside the C binaries,
and tests/integration/test_records_check.py shows that its summary comes from the core.
"""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAUNCHER = os.path.join(HERE, "tandem-python-httpx")


def _bindir():
    d = os.environ.get("TANDEM_BIN", os.path.join(REPO, "build", "bin"))
    return d if os.path.isabs(d) else os.path.join(REPO, d)


REPORT = os.path.join(_bindir(), "tandem-report")
needs_report = pytest.mark.skipif(not os.access(REPORT, os.X_OK), reason="needs tandem-report in $TANDEM_BIN")


def run_launcher(*args, python=sys.executable, timeout=60, env=None):
    e = dict(os.environ, TANDEM_REPORT=REPORT)
    e.update(env or {})
    return subprocess.run([python, LAUNCHER] + list(args), capture_output=True, text=True, timeout=timeout, env=e)


# ---- the command line, read by the core ----------------------------------------------------

@needs_report
@pytest.mark.parametrize("args,code,msg", [
    (["--runs", "x"], 2, "--runs: 'x' is not a number; give an integer from 1 to 10000"),
    (["--runs", "100000"], 2, "--runs: '100000' is out of range (from 1 to 10000)"),
    (["--runs"], 2, "--runs needs a value; see --help"),
    (["--bogus"], 2, "unknown option '--bogus'"),
    (["extra"], 2, "unexpected argument 'extra'"),
    (["--scenario", "a", "--scenario-file", "b"], 2, "not both"),
    (["--phases", "none"], 2, "names no phase"),
    (["--chimera-num-gpu", "-2"], 2, "--chimera-num-gpu: '-2' is out of range (from -1 to 1000000000)"),
    (["--scenario", "chimera-hetero", "--chimera2-top-p", "2"], 1,
     "built-in scenario chimera-hetero: agents[1].options.top_p: 2 is out of range"),
    (["--scenario", "nope"], 2, "scenario 'nope' is not a built-in one"),
    (["--scenario-file", "/nonexistent.yaml"], 1, "cannot open the scenario file"),
])
def test_cli_errors(args, code, msg):
    p = run_launcher("run", *args)
    assert p.returncode == code, p.stderr
    assert p.stderr.startswith("tandem: ") and msg in p.stderr and "tandem-report" not in p.stderr


def test_no_report_tool_is_named_with_the_fix(tmp_path):
    p = run_launcher("run", "--scenario", "chimera-homo", env={"TANDEM_REPORT": str(tmp_path / "nothing")})
    assert p.returncode == 1 and "TANDEM_REPORT=" in p.stderr and "is not an executable file" in p.stderr


def test_help_version_and_usage():
    p = run_launcher("--help")
    assert p.returncode == 0 and "--scenario-file FILE" in p.stdout and "Exit status" in p.stdout
    p = run_launcher("run", "--help")
    assert p.returncode == 0 and "tandem-report plan" in p.stdout
    p = run_launcher("--version")
    assert p.returncode == 0 and p.stdout.startswith("tandem-python-httpx ")
    p = run_launcher()
    assert p.returncode == 2
    p = run_launcher("frobnicate")
    assert p.returncode == 2 and "unknown command 'frobnicate'" in p.stderr


@needs_report
def test_missing_httpx_is_named_with_the_fix():
    # -S: no site-packages, so httpx cannot be imported
    p = subprocess.run([sys.executable, "-S", LAUNCHER, "run", "--scenario", "chimera-homo"], capture_output=True,
                       text=True, timeout=60, env=dict(os.environ, TANDEM_REPORT=REPORT))
    assert p.returncode == 1
    assert "install python3-httpx or pip install httpx" in p.stderr
    p = subprocess.run([sys.executable, "-S", LAUNCHER, "info"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "httpx is missing" in p.stderr


def test_info_describes_the_runtime():
    pytest.importorskip("httpx")
    p = run_launcher("info")
    d = json.loads(p.stdout)
    assert d["variant"] == "python-httpx" and d["runtime"]["threads"] == 1
    assert d["runtime"]["http"]["client"] == "httpx" and d["runtime"]["http"]["buffer_size"] == 65536



@needs_report
def test_a_run_writes_raw_records_and_the_cores_summary(tmp_path):
    """Against tandem-sim: records.json and provenance.json from the client, summary.json
    and report.md from tandem-report finalize (its table on stdout); tandem-report check
    accepts the directory."""
    pytest.importorskip("httpx")
    sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
    from simproc import start_sim
    out = str(tmp_path / "out")
    with start_sim(["--decode-tps", "1000", "--port", "0", "--port", "0"]) as sim:
        p = run_launcher("run", "--scenario", "chimera-homo", "--collector-ollama-url", sim.url(0),
                         "--insight-ollama-url", sim.url(1), "--num-predict", "8", "--runs", "2", "--output-dir", out,
                         "--read-buf", "4096", timeout=120)
    assert p.returncode == 0, p.stderr
    assert "efficiency" in p.stdout and "results: " + out in p.stdout
    prov = json.load(open(os.path.join(out, "provenance.json")))
    assert prov["variant"] == "python-httpx" and prov["runtime"]["http"]["buffer_size"] == 4096
    assert prov["command"].startswith("run --scenario chimera-homo") and prov["servers"][0]["reachable"]
    summary = json.load(open(os.path.join(out, "summary.json")))
    assert summary["variant"] == "python-httpx" and summary["runs_recorded"] == 2
    q = subprocess.run([REPORT, "check", out], capture_output=True, text=True)
    assert q.returncode == 0, q.stderr


# ---- workflows (after:, {output:...}, think_ms, history): run as the C variants run them ----------

WF_TOKENS, WF_TPS = 10, 100  # 0.1 s per call alone on the simulator
C_VARIANT = next((v for v in ("smol", "tokio-default", "blocking") if os.access(os.path.join(_bindir(), "tandem-" + v),
                                                                                  os.X_OK)), None)


def fanout_yaml(url, dead_url=None, runs=1):
    return "\n".join([
        "name: fanout", "runs: %d" % runs, "seed: 5", "warmup: true",
        "timeouts: {connect_ms: 2000, first_byte_ms: 10000, idle_ms: 5000, total_ms: 30000}",
        "defaults: {url: %s, model: gemma3:latest, options: {num_predict: %d, temperature: 0}}" % (url, WF_TOKENS),
        "agents:",
        "  - {name: r1, url: %s, prompt: \"Research one.\"}" % (dead_url or url),
        "  - {name: r2, prompt: \"Research two.\"}",
        "  - {name: r3, prompt: \"Research three.\"}",
        "  - name: writer",
        "    steps:",
        "      - {name: draft, after: [r1.main, r2.main, r3.main],",
        "         prompt: \"Merge: {output:r1.main} / {output:r2.main} / {output:r3.main}\"}",
        "      - {name: polish, think_ms: 30, think_dist: exponential, prompt: \"Polish: {previous}\"}",
    ]) + "\n"


@pytest.fixture(scope="module")
def wf_sim():
    sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
    from simproc import start_sim
    with start_sim(["--decode-tps", str(WF_TPS), "--prefill-tps", "100000000", "--load-ms", "0", "--sched-ms", "0",
                    "--alpha", "0", "--port", "0"]) as s:
        yield s


def run_scenario(tmp_path, text, *args, launcher=None, name="out"):
    scen = tmp_path / (name + ".yaml")
    scen.write_text(text)
    out = str(tmp_path / name)
    cmd = [launcher] if launcher else [sys.executable, LAUNCHER]
    p = subprocess.run(cmd + ["run", "--scenario-file", str(scen), "--output-dir", out, "--quiet"] + list(args),
                       capture_output=True, text=True, timeout=120, env=dict(os.environ, TANDEM_REPORT=REPORT))
    return p, out


def load_records(out, run=1):
    with open(os.path.join(out, "run_%d" % run, "records.json")) as f:
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


@needs_report
def test_a_workflow_runs_as_in_the_c_variants(wf_sim, tmp_path):
    """Each step is due when its inputs exist plus its think time (drawn from the seed as
    the C variants draw it), the sequential phase runs one step at a time in a topological
    order in one batch, and the summary has a C variant's shape, workflow numbers included."""
    pytest.importorskip("httpx")
    p, out = run_scenario(tmp_path, fanout_yaml(wf_sim.url(0), runs=2))
    assert p.returncode == 0, p.stderr
    q = subprocess.run([REPORT, "check", out], capture_output=True, text=True)
    assert q.returncode == 0, q.stdout + q.stderr
    for run in (1, 2):
        rec = load_records(out, run)
        calls = {(c["phase"], c["agent"], c["step"]): c for c in rec["calls"]}
        for phase in ("sequential", "concurrent"):
            draft, polish = calls[(phase, 3, 0)], calls[(phase, 3, 1)]
            assert draft["after"] == [[0, 0], [1, 0], [2, 0]] and "think_ns" not in draft
            if phase == "concurrent":
                assert draft["t_due_ns"] == max(calls[(phase, a, 0)]["t_done_ns"] for a in range(3))
            assert draft["t_begin_ns"] >= draft["t_due_ns"] > 0
            assert polish["think_ns"] > 0 and "after" not in polish
            assert polish["t_due_ns"] == draft["t_done_ns"] + polish["think_ns"] <= polish["t_begin_ns"]
        # both phases of a run pause the same; the draw changes with the run
        assert calls[("sequential", 3, 1)]["think_ns"] == calls[("concurrent", 3, 1)]["think_ns"]
        assert rec["sequential"]["one_batch"] is True
        seq = sorted((c for c in rec["calls"] if c["phase"] == "sequential"), key=lambda c: c["t_begin_ns"])
        for a, b in zip(seq, seq[1:]):
            assert b["t_begin_ns"] >= a["t_done_ns"]  # never two at once
        assert [c["agent"] for c in seq[:3]] == [a for a in rec["sequential"]["order"] if a != 3]
    summary = json.load(open(os.path.join(out, "summary.json")))
    assert all(r["workflow"]["critical_path_s"] > 0 for r in summary["runs"])
    if C_VARIANT is None:
        pytest.skip("no C variant in $TANDEM_BIN to compare with")
    c = subprocess.run([os.path.join(_bindir(), "tandem-" + C_VARIANT), "run", "--scenario-file",
                        str(tmp_path / "out.yaml"), "--output-dir", str(tmp_path / "c"), "--quiet"],
                       capture_output=True, text=True, timeout=120)
    assert c.returncode == 0, c.stderr
    c_summary = json.load(open(str(tmp_path / "c" / "summary.json")))
    assert shape(summary) == shape(c_summary)
    for run in (1, 2):  # the same exponential draws as the C variant's
        think = lambda d: [c["think_ns"] for c in load_records(d, run)["calls"] if "think_ns" in c]
        assert think(out) == think(str(tmp_path / "c")) and len(think(out)) == 2


@needs_report
def test_a_workflow_sends_outputs_and_history(wf_sim, tmp_path):
    """workflow-debate: the bodies hold the other agent's output and the agent's own
    earlier turns, byte for byte as src/core/request.c builds them."""
    pytest.importorskip("httpx")
    with open(os.path.join(REPO, "experiments", "scenarios", "workflow-debate.yaml")) as f:
        text = f.read().replace("http://127.0.0.1:11434", wf_sim.url(0))
    p, out = run_scenario(tmp_path, text, "--runs", "1", "--num-predict", str(WF_TOKENS))
    assert p.returncode == 0, p.stderr
    calls = {(c["phase"], c["agent"], c["step"]): c for c in load_records(out)["calls"]}

    def size(messages):
        return len(json.dumps({"model": "gemma3:latest", "messages": messages, "stream": True,
                               "options": {"num_predict": WF_TOKENS, "seed": 7, "temperature": 0.0}},
                              separators=(",", ":"), ensure_ascii=False).encode())
    for phase in ("sequential", "concurrent"):
        t = {(a, k): calls[(phase, a, k)]["text"] for a in (0, 1) for k in (0, 1)}
        p_open, c_open = "Argue that local LLM agents should run concurrently.", "Object to this argument: " + t[0, 0]
        want = {(0, 0): [("user", p_open)], (1, 0): [("user", c_open)],
                (0, 1): [("user", p_open), ("assistant", t[0, 0]), ("user", "Answer this objection: " + t[1, 0])],
                (1, 1): [("user", c_open), ("assistant", t[1, 0]),
                         ("user", "Close the debate, answering: " + t[0, 1])]}
        for k, msgs in want.items():
            assert calls[(phase,) + k]["request_bytes"] == size([{"role": r, "content": c} for r, c in msgs]), k


@needs_report
def test_a_failed_input_skips_the_steps_that_wait_for_it(wf_sim, tmp_path):
    pytest.importorskip("httpx")
    p, out = run_scenario(tmp_path, fanout_yaml(wf_sim.url(0), dead_url="http://127.0.0.1:9"), "--no-preflight")
    assert p.returncode == 3, p.stderr
    for phase in ("sequential", "concurrent"):
        calls = {(c["agent"], c["step"]): c for c in load_records(out)["calls"] if c["phase"] == phase}
        assert calls[(0, 0)]["error"]["kind"] == "connect" and calls[(1, 0)]["ok"] and calls[(2, 0)]["ok"]
        for k in (0, 1):
            e = calls[(3, k)]["error"]
            assert e["kind"] == "skipped" and calls[(3, k)]["t_begin_ns"] == 0
            assert e["message"] == ("not run: step 'main' of agent 'r1', which step 'draft' of agent 'writer' "
                                    "waits for, failed")


@needs_report
def test_an_interrupt_ends_a_step_waiting_for_another(wf_sim, tmp_path):
    """b waits for a's long call; SIGINT: a is cut after the grace, b never starts and is
    recorded as not run because of the interrupt."""
    pytest.importorskip("httpx")
    import signal
    scen = tmp_path / "wait.yaml"
    scen.write_text("\n".join([
        "name: wait", "runs: 1", "warmup: false", "phases: [concurrent]",
        "defaults: {url: %s, model: gemma3:latest, options: {temperature: 0}}" % wf_sim.url(0),
        "agents:",
        "  - {name: a, options: {num_predict: 6000}, prompt: \"Talk for a minute.\"}",
        "  - {name: b, steps: [{name: s, after: [a.main], prompt: \"Answer {output:a.main}\"}]}"]) + "\n")
    out = str(tmp_path / "out")
    proc = subprocess.Popen([sys.executable, LAUNCHER, "run", "--scenario-file", str(scen), "--output-dir", out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, TANDEM_REPORT=REPORT))
    for line in proc.stderr:  # the phase has begun: a's call is on its way
        if "concurrent phase" in line:
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    calls = {c["agent"]: c for c in load_records(out)["calls"]}
    assert calls[1]["t_begin_ns"] == 0
    assert calls[1]["error"]["kind"] == "skipped" and "interrupted" in calls[1]["error"]["message"], calls[1]
