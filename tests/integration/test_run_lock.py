"""One measurement per server for plain runs too: `tandem-<variant> run` (and a Python
client, through `tandem-report hold-servers`) locks its servers host-wide before it
touches them (src/core/run_lock.c), waits for a busy one and says for whom, or stops
with exit 4 under --no-wait; --no-lock measures beside it. provenance.json's
server_lock says which locks the run held, how long it waited and for whom, or that it
held none."""
import json
import os
import subprocess
import time

import pytest

from engine import bindir, scenario_yaml
from simproc import start_sim
from test_sweep_endpoint_lock import hold

CLIENTS = ["smol", "python-httpx"]


def start_run(variant, tmp_path, sim, lock_dir, name, extra=()):
    scen = tmp_path / ("%s.yaml" % name)
    scen.write_text(scenario_yaml([sim.url(0), sim.url(1)], num_predict=20, steps=1))
    cmd = [os.path.join(bindir(), "tandem-" + variant), "run", "--scenario-file", str(scen),
           "--output-dir", str(tmp_path / name), "--quiet"] + list(extra)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, TANDEM_LOCK_DIR=lock_dir))


@pytest.mark.parametrize("variant", CLIENTS)
def test_a_run_waits_for_its_server_and_says_for_whom(variant, tmp_path):
    lock_dir = str(tmp_path / "locks")
    with start_sim(["--decode-tps", "400"], ports=2) as sim:
        held = hold(lock_dir, sim.ports[1])
        busy = start_run(variant, tmp_path, sim, lock_dir, "busy", ["--no-wait"])
        out, err = busy.communicate(timeout=60)
        assert busy.returncode == 4, out + err
        assert "a test holding the server" in err and "--no-lock" in err
        assert not os.path.exists(tmp_path / "busy" / "provenance.json")

        waiting = start_run(variant, tmp_path, sim, lock_dir, "waiting")
        time.sleep(1.5)
        assert waiting.poll() is None, waiting.communicate()
        assert not os.path.exists(tmp_path / "waiting" / "provenance.json")  # nothing touched yet
        held.close()
        out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, out + err
        assert "waits for its server" in err and "a test holding the server" in err
        assert os.path.exists(tmp_path / "waiting" / "run_1" / "records.json")
        lock = load_lock(tmp_path / "waiting")
        assert lock["taken_by"].startswith("tandem-%s run" % variant) and lock["folder"] == lock_dir
        assert lock["files"] == sorted("127.0.0.1_%d.lock" % p for p in sim.ports), lock
        assert lock["waited_s"] >= 1.5 and "a test holding the server" in lock["waited_for"], lock
        assert "unlocked_servers" not in caveats(tmp_path, "waiting")
        md = (tmp_path / "waiting" / "report.md").read_text()
        assert "The servers were locked for the whole measurement (2 lock file(s), by tandem-%s run" % variant in md
        assert "it first waited" in md and "a test holding the server" in md


def load_lock(run_dir):
    with open(run_dir / "provenance.json") as f:
        return json.load(f)["server_lock"]


@pytest.mark.parametrize("variant", CLIENTS)
def test_two_runs_on_one_server_take_turns(variant, tmp_path):
    """The second run's measuring starts after the first one's ends, and both complete."""
    lock_dir = str(tmp_path / "locks")
    with start_sim(["--decode-tps", "200"], ports=2) as sim:
        first = start_run(variant, tmp_path, sim, lock_dir, "first")
        time.sleep(0.3)
        second = start_run(variant, tmp_path, sim, lock_dir, "second")
        for p in (first, second):
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, out + err
        spans = []
        for name in ("first", "second"):
            with open(tmp_path / name / "run_1" / "records.json") as f:
                calls = json.load(f)["calls"]
            spans.append((min(c["t_start_ns"] for c in calls), max(c["t_done_ns"] for c in calls)))
        spans.sort()
        assert spans[1][0] >= spans[0][1], spans
        locks = [load_lock(tmp_path / name) for name in ("first", "second")]
        assert locks[0]["waited_s"] == 0 and locks[0]["waited_for"] is None, locks
        assert locks[1]["waited_s"] > 0 and "tandem-%s run" % variant in locks[1]["waited_for"], locks
        # the first run let go with its release instant: the second saw the servers idle since
        assert 0 <= locks[1]["idle_before_s"] < locks[1]["waited_s"], locks


def test_no_lock_measures_beside_a_holder(tmp_path):
    lock_dir = str(tmp_path / "locks")
    with start_sim(["--decode-tps", "400"], ports=2) as sim:
        held = hold(lock_dir, sim.ports[0])
        p = start_run("smol", tmp_path, sim, lock_dir, "beside", ["--no-lock", "--no-wait"])
        out, err = p.communicate(timeout=60)
        held.close()
        assert p.returncode == 0, out + err
        assert "waits" not in err
        lock = load_lock(tmp_path / "beside")
        assert lock["taken_by"] is None and "--no-lock" in lock["why_not"], lock
        assert "The servers were not locked by this run (`--no-lock`)" in (tmp_path / "beside" / "report.md").read_text()
    # the Technical Report says so; a run that held its locks gets no such caveat
    assert "1 of 1 run directories were measured with --no-lock" in caveats(tmp_path, "beside")["unlocked_servers"]


def caveats(tmp_path, name):
    out = tmp_path / ("report-" + name)
    q = subprocess.run([os.path.join(bindir(), "tandem-report"), str(tmp_path / name), "--out", str(out),
                        "--no-plots"], capture_output=True, text=True, timeout=120)
    assert q.returncode == 0, q.stderr
    with open(out / "analysis.json") as f:
        return {c["kind"]: c["text"] for c in json.load(f)["caveats"]}
