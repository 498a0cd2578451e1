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
