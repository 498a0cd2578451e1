"""SIGINT/SIGTERM during a run ends it cleanly: no new call starts, the calls in flight
finish or are cut after a short grace, the partial run's records.json is written and
marked "interrupted": true, summary.json and report.md cover the finished runs (and say
that the interrupted one is left out), the last console lines name the folder, and the
exit status is 130. A second signal ends the process at once. Every built variant,
python-httpx included, against tandem-sim."""

import json
import os
import signal
import subprocess
import threading

import pytest

from engine import bindir, scenario_yaml, variants
from simproc import start_sim


@pytest.fixture(scope="module")
def sim():
    # slow enough that a call lasts long past the grace period at 1000 tokens
    with start_sim(["--decode-tps", "200", "--prefill-tps", "100000", "--alpha", "0",
                    "--port", "0", "--port", "0"]) as s:
        yield s


class Running:
    """A `tandem-<variant> run` whose stderr is read line by line as it comes."""

    def __init__(self, variant, yaml_text, tmp_path, args=()):
        scen = os.path.join(str(tmp_path), "scenario.yaml")
        with open(scen, "w") as f:
            f.write(yaml_text)
        self.outdir = os.path.join(str(tmp_path), "out")
        cmd = [os.path.join(bindir(), "tandem-" + variant), "run", "--scenario-file", scen,
               "--output-dir", self.outdir] + list(args)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)  # end of stream
            self.cond.notify_all()

    def wait_for(self, text, timeout=60):
        """Blocks until a stderr line contains text (fails when the stream ends first)."""
        with self.cond:
            self.cond.wait_for(lambda: any(l is None or text in l for l in self.lines), timeout)
            assert any(l and text in l for l in self.lines), \
                "never saw %r; stderr:\n%s" % (text, "".join(l for l in self.lines if l))

    def finish(self, timeout=60):
        self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        out = self.proc.stdout.read()
        return self.proc.returncode, out, "".join(l for l in self.lines if l)

    def load(self, *names):
        with open(os.path.join(self.outdir, *names)) as f:
            return json.load(f)


@pytest.mark.parametrize("variant", variants())
def test_sigint_in_run_2_keeps_run_1_marks_run_2_and_summarises(sim, variant, tmp_path):
    r = Running(variant, scenario_yaml([sim.url(0), sim.url(1)], num_predict=60, steps=2, runs=3), tmp_path)
    r.wait_for("[run 2/3] sequential phase")
    r.proc.send_signal(signal.SIGINT)
    rc, _, err = r.finish()
    assert rc == 130, err

    run1 = r.load("run_1", "records.json")
    assert "interrupted" not in run1
    assert run1["calls"] and all(c["ok"] for c in run1["calls"])
    run2 = r.load("run_2", "records.json")
    assert run2["interrupted"] is True
    # every call the run planned is accounted for: ran, cut, or recorded as not run
    for c in run2["calls"]:
        if not c["ok"]:
            assert "interrupted" in c["error"]["message"], c["error"]
    assert not os.path.exists(os.path.join(r.outdir, "run_3"))

    summary = r.load("summary.json")
    assert summary["runs_recorded"] == 1 and summary["interrupted"] is True and summary["interrupted_run"] == 2
    with open(os.path.join(r.outdir, "report.md")) as f:
        assert "Interrupted" in f.read()
    assert os.path.exists(os.path.join(r.outdir, "provenance.json"))

    tail = err.strip().splitlines()[-3:]
    assert any(r.outdir in line for line in tail), err
    assert "interrupted" in err

    q = subprocess.run([os.path.join(bindir(), "tandem-report"), "check", r.outdir], capture_output=True, text=True)
    assert q.returncode == 0, q.stdout + q.stderr


@pytest.mark.parametrize("variant", variants())
def test_a_call_in_flight_is_cut_after_the_grace(sim, variant, tmp_path):
    # 1000 tokens at 200/s: the call is still streaming when the 2 s grace ends
    r = Running(variant, scenario_yaml([sim.url(0)], num_predict=1000, steps=2, runs=1, warmup=False), tmp_path)
    r.wait_for("[run 1/1] sequential phase")
    r.proc.send_signal(signal.SIGTERM)
    rc, _, err = r.finish()
    assert rc == 130, err
    run1 = r.load("run_1", "records.json")
    assert run1["interrupted"] is True
    first, second = run1["calls"][0], run1["calls"][1]
    assert not first["ok"] and "interrupted" in first["error"]["message"], first["error"]
    assert second["error"]["kind"] == "skipped" and "interrupted" in second["error"]["message"]
    summary = r.load("summary.json")
    assert summary["runs_recorded"] == 0 and summary["interrupted_run"] == 1


@pytest.mark.parametrize("variant", variants())
def test_a_second_signal_exits_at_once(sim, variant, tmp_path):
    r = Running(variant, scenario_yaml([sim.url(0)], num_predict=1000, steps=1, runs=1, warmup=False), tmp_path)
    r.wait_for("[run 1/1] sequential phase")
    r.proc.send_signal(signal.SIGINT)
    r.wait_for("interrupted")
    r.proc.send_signal(signal.SIGINT)
    rc, _, err = r.finish()
    assert rc == 130, err
    assert "interrupted again" in err
    # gone before the grace ended: nothing of the cut run was written
    assert not os.path.exists(os.path.join(r.outdir, "summary.json"))
