"""tandem-sweep with axes, end to end against tandem-sim.

An experiment with a client-side axis (agents: [1, 2, 4], which sets a template
scenario's agent_count) and a server-side axis (num_parallel: [1, 2]) whose
server_launcher is a small script here that (re)starts tandem-sim with the group's
OLLAMA_NUM_PARALLEL. What must hold:
- the servers are restarted once per server group, before its first cell, never in the
  middle of a group (the launcher logs how many cells were finished when it ran);
- every cell ran once, ok and pinned, with the agent count its id names and the group's
  num_parallel in its cell.json;
- --dry-run lists the groups, the restarts and the estimate without running anything.
"""

import hashlib
import json
import os
import socket
import subprocess
import textwrap

import pytest

from engine import bindir, variants
from simproc import sim_binary

SWEEP = os.path.join(bindir(), "tandem-sweep")
if not os.access(SWEEP, os.X_OK):
    pytest.skip("no tandem-sweep at %s (build it, or set TANDEM_BIN)" % SWEEP, allow_module_level=True)
VARIANT = [v for v in ("smol", "tokio-localset", "tokio-default") if v in variants()][:1]
if not VARIANT:
    pytest.skip("the axes test needs a variant binary built", allow_module_level=True)

DIGEST = hashlib.sha256(b"gemma3:latest").hexdigest()  # what tandem-sim reports

# The launcher: stop the simulator it started last, start one with the group's slots on
# the experiment's port, wait for its ready file (never a sleep), and log the restart
# with the number of cells finished so far.
LAUNCHER = textwrap.dedent("""\
    #!/bin/sh
    set -eu
    state="$1"; port="$2"; out="$3"
    if [ -f "$state/sim.pid" ]; then
        kill "$(cat "$state/sim.pid")" 2>/dev/null || true
        while kill -0 "$(cat "$state/sim.pid")" 2>/dev/null; do :; done
    fi
    rm -f "$state/ready"
    done_cells=$(find "$out" -name cell.json -not -path '*/.*' 2>/dev/null | wc -l)
    setsid "%s" --port "$port" --num-parallel "${OLLAMA_NUM_PARALLEL:-0}" --decode-tps 2000 \\
        --prefill-tps 100000 --ready-file "$state/ready" </dev/null >"$state/sim.log" 2>&1 &
    echo $! > "$state/sim.pid"
    while [ ! -s "$state/ready" ]; do
        kill -0 "$(cat "$state/sim.pid")" || { echo "tandem-sim died" >&2; exit 1; }
    done
    echo "group=${TANDEM_SWEEP_GROUP} np=${OLLAMA_NUM_PARALLEL} done=$done_cells" >> "$state/restarts.log"
    """) % sim_binary()

SCENARIO = textwrap.dedent("""\
    name: gain
    warmup: false
    defaults: {model: gemma3:latest, options: {num_predict: 5}}
    agent_template: {name: w, prompt: "count to three"}
    agent_count: 1
    endpoints: [%s]
    """)


def free_port():
    # The launcher restarts the simulator on the port the experiment names, so the
    # port is fixed for the sweep: the OS picks a free one first.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def setup(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    out = tmp_path / "out"
    port = free_port()
    launcher = tmp_path / "launch.sh"
    launcher.write_text(LAUNCHER)
    launcher.chmod(0o755)
    (tmp_path / "gain.yaml").write_text(SCENARIO % ("http://127.0.0.1:%d" % port))
    exp = tmp_path / "axes.yaml"
    exp.write_text(textwrap.dedent("""\
        name: axes
        seed: 3
        repetitions: 2
        pins: {ollama_version: '0.11.4', model: gemma3:latest, model_digest: 'sha256:%s'}
        variants: [%s]
        axes: {agents: [1, 2, 4], num_parallel: [1, 2]}
        server_launcher: "%s %s %d %s"
        server_ready_timeout_ms: 30000
        run: {warmup: false, num_predict: 5, cooldown_ms: 0, retries: 1, retry_backoff_ms: 50, http_timeout_ms: 3000,
              cell_timeout_ms: 60000, expected_decode_tps: 2000}
        configurations:
          - {name: gain, scenario: gain.yaml}
        """) % (DIGEST, VARIANT[0], launcher, state, port, out))
    yield str(exp), str(out), state
    pid = state / "sim.pid"
    if pid.exists():
        subprocess.run(["kill", pid.read_text().strip()], check=False)


def sweep(exp, out, *args):
    return subprocess.run([SWEEP, exp, "--out", out, "--bin-dir", bindir()] + list(args),
                          capture_output=True, text=True, timeout=300)


def test_dry_run_lists_groups_and_restarts(setup):
    exp, out, state = setup
    res = sweep(exp, out, "--dry-run")
    assert res.returncode == 0, res.stderr
    assert "cells: 12 (1 variants x 1 configurations x 6 points of the axes x 2 repetitions)" in res.stdout
    assert "axis agents: 1 2 4" in res.stdout and "axis num_parallel: 1 2  (server side)" in res.stdout
    assert "server groups: 2, so 2 restarts" in res.stdout
    assert "group 1: num_parallel=1  env: TANDEM_SWEEP_GROUP=1 OLLAMA_NUM_PARALLEL=1" in res.stdout
    assert "group 2: num_parallel=2  env: TANDEM_SWEEP_GROUP=2 OLLAMA_NUM_PARALLEL=2" in res.stdout
    assert "estimated duration:" in res.stdout and "unknown" not in res.stdout.split("estimated duration:")[1][:20]
    # the group headers come before their cells, once each
    assert res.stdout.count("== server group 1/2") == 1 and res.stdout.count("== server group 2/2") == 1
    assert res.stdout.index("== server group 1/2") < res.stdout.index("== server group 2/2")
    assert "gain.agents4.np2/%s/rep2" % VARIANT[0] in res.stdout
    # nothing ran, nothing was written
    assert not (state / "restarts.log").exists() and not os.path.exists(out)


def test_restarts_between_groups_only(setup):
    exp, out, state = setup
    res = sweep(exp, out)
    assert res.returncode == 0, res.stderr + res.stdout
    restarts = (state / "restarts.log").read_text().split("\n")[:-1]
    # one launch per group, the second once the first group's 6 cells were all done
    assert restarts == ["group=1 np=1 done=0", "group=2 np=2 done=6"], restarts
    with open(os.path.join(out, "manifest.json")) as f:
        m = json.load(f)
    ids = [c["id"] for c in m["cells"]]
    assert len(ids) == 12 and len(set(ids)) == 12
    assert all(c["state"] == "ok" for c in m["cells"]), m["cells"]
    # the servers as the last group's launch checked them (none are known before a launcher ran)
    assert m["experiment"]["servers"] and all(sv["reachable"] and sv["version"] for sv in m["experiment"]["servers"])
    groups = []
    for cid in ids:
        with open(os.path.join(out, cid, "cell.json")) as f:
            cj = json.load(f)
        assert cj["status"] == "ok" and cj["pins_ok"] is True and cj["pin_mismatches"] == [], cj
        n = cj["axes"]["agents"]
        assert cid.startswith("gain.agents%d.np%d/" % (n, cj["axes"]["num_parallel"]))
        assert cj["agents"] == n and cj["server_group"] == cj["axes"]["num_parallel"]
        groups.append(cj["server_group"])
        # the run itself had that many agents, from the rewritten scenario
        with open(os.path.join(out, cid, "run_1", "records.json")) as f:
            recs = json.load(f)
        want = ["w-%d" % k for k in range(1, n + 1)]
        assert recs["agents"] == want and {c["agent"] for c in recs["calls"]} == set(range(n))
    assert groups == sorted(groups)  # a group's cells run together
    # within a group, both repetitions' blocks hold every agent count once
    for g in (0, 6):
        for b in (0, 3):
            block = ids[g + b:g + b + 3]
            assert sorted(i.split(".")[1] for i in block) == ["agents1", "agents2", "agents4"], block
    assert os.path.exists(os.path.join(out, "gain.agents4.np1", ".scenario", "gain.yaml"))

    # the same command again: nothing to run, so no restart either
    again = sweep(exp, out)
    assert again.returncode == 0, again.stderr
    assert (state / "restarts.log").read_text().count("\n") == 2

    # the report: one configuration per point, one gain-curve line per num_parallel group
    # (not one per agents-to-servers ratio), each over agents 1, 2, 4
    rep = os.path.join(str(state), "..", "report")
    p = subprocess.run([os.path.join(bindir(), "tandem-report"), out, "--out", rep, "--no-plots"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    with open(os.path.join(rep, "analysis.json")) as f:
        an = json.load(f)
    assert len(an["configurations"]) == 6, an["configurations"]
    ns = {line["layout"]: sorted(pt["n_agents"] for pt in line["points"]) for line in an["gain_curve"]["lines"]}
    assert ns == {"gain, num_parallel=1": [1, 2, 4], "gain, num_parallel=2": [1, 2, 4]}, ns


OPEN_SCENARIO = textwrap.dedent("""\
    name: open
    warmup: false
    phases: [concurrent]
    arrivals: {process: constant, rate: 1, duration_s: 1}
    defaults: {model: gemma3:latest, options: {num_predict: 5}}
    agent_template: {name: call, prompt: "count to three"}
    endpoints: [%s]
    """)


def test_arrival_rate_axis_rewrites_the_open_loop_rate(tmp_path):
    """axes.arrival_rate (calls/s, up to three decimals) sets the open-loop scenario's
    arrivals.rate at each point: cell ids say rate2 and rate4p5, cell.json records the
    rate as a number, and each cell made rate x duration_s calls."""
    from simproc import start_sim
    with start_sim(["--decode-tps", "2000", "--prefill-tps", "100000", "--alpha", "0", "--port", "0"]) as sim:
        (tmp_path / "open.yaml").write_text(OPEN_SCENARIO % sim.url(0))
        exp = tmp_path / "rates.yaml"
        exp.write_text(textwrap.dedent("""\
            name: rates
            seed: 3
            repetitions: 1
            pins: {ollama_version: '0.11.4', model: gemma3:latest, model_digest: 'sha256:%s'}
            variants: [%s]
            axes: {arrival_rate: [2, 4.5]}
            run: {warmup: false, num_predict: 5, cooldown_ms: 0, retries: 1, http_timeout_ms: 3000,
                  cell_timeout_ms: 60000, expected_decode_tps: 2000}
            configurations:
              - {name: open, scenario: open.yaml}
            """) % (DIGEST, VARIANT[0]))
        out = str(tmp_path / "out")
        dry = sweep(str(exp), out, "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "axis arrival_rate: 2 4.5" in dry.stdout, dry.stdout
        res = sweep(str(exp), out)
        assert res.returncode == 0, res.stderr + res.stdout
    for rate, label in ((2, "rate2"), (4.5, "rate4p5")):
        cell = os.path.join(out, "open.%s" % label, VARIANT[0], "rep1")
        with open(os.path.join(cell, "cell.json")) as f:
            cj = json.load(f)
        assert cj["status"] == "ok" and cj["axes"] == {"arrival_rate": rate}, cj
        with open(os.path.join(cell, "run_1", "records.json")) as f:
            recs = json.load(f)
        conc = [c for c in recs["calls"] if c["phase"] == "concurrent"]
        assert len(conc) == int(rate) + (rate % 1 > 0) and all(c["ok"] and c["t_due_ns"] > 0 for c in conc)


@pytest.mark.parametrize("value, fix", [("0", "above 0"), ("1.0005", "three decimals"), ("fast", "above 0")])
def test_a_bad_arrival_rate_names_the_fix(tmp_path, value, fix):
    (tmp_path / "open.yaml").write_text(OPEN_SCENARIO % "http://127.0.0.1:1")
    exp = tmp_path / "rates.yaml"
    exp.write_text("name: r\nvariants: [%s]\naxes: {arrival_rate: [%s]}\nconfigurations:\n"
                   "  - {name: open, scenario: open.yaml}\n" % (VARIANT[0], value))
    res = sweep(str(exp), str(tmp_path / "out"), "--dry-run")
    assert res.returncode != 0 and "axes.arrival_rate[0]" in res.stderr and fix in res.stderr, res.stderr
