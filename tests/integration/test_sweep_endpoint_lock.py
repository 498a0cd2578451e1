"""One measurement per server: every sweep cell locks its servers host-wide before it
touches them (src/sweep/endpoint_lock.c), so emitted jobs run side by side (xargs -P,
Slurm tasks on one node) take turns instead of measuring each other's load."""
import fcntl
import json
import os
import signal
import subprocess
import time

from engine import bindir
from simproc import start_sim
from test_sweep import SWEEP, VARIANTS, cell_dirs, sim_digest, write_experiment

SLOW = ["--decode-tps", "300", "--prefill-tps", "100000"]


def emit(tmp_path, sim, reps=8):
    exp = write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1),
                           ["{name: homo, scenario: chimera-homo}"], sim_digest(sim), reps=reps,
                           run={"num_predict": 30}, variants_=VARIANTS[:1])
    jobs = str(tmp_path / "jobs")
    out = str(tmp_path / "out")
    res = subprocess.run([SWEEP, exp, "--out", out, "--bin-dir", bindir(), "--emit-jobs", jobs],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return exp, out, os.path.join(jobs, "jobs.sh")


def windows(out):
    """Each cell's measuring window [first request, last reply] on the host's monotonic clock."""
    w = {}
    for cid, d in cell_dirs(out).items():
        with open(os.path.join(d, "run_1", "records.json")) as f:
            calls = json.load(f)["calls"]
        w[cid] = (min(c["t_start_ns"] for c in calls), max(c["t_done_ns"] for c in calls))
    return w


def overlapping(w):
    spans = sorted(w.values())
    return sum(1 for a, b in zip(spans, spans[1:]) if b[0] < a[1])


def run_jobs(jobs, lock_dir_of_job):
    """Runs jobs.sh's lines 4 at a time, as `xargs -P 4` would; each with its lock folder."""
    with open(jobs) as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    procs, results = [], []
    for k, line in enumerate(lines):
        while len([p for p in procs if p.poll() is None]) >= 4:
            time.sleep(0.02)
        env = dict(os.environ, TANDEM_LOCK_DIR=lock_dir_of_job(k))
        procs.append(subprocess.Popen(["sh", "-c", line], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env=env))
    for p in procs:
        out, err = p.communicate(timeout=180)
        results.append((p.returncode, out, err))
    return results


def test_parallel_jobs_take_turns_on_a_server(tmp_path):
    with start_sim(SLOW, ports=2) as sim:
        # Without a shared lock folder (each job its own): the cells measure at the same time.
        os.makedirs(tmp_path / "a")
        _, out, jobs = emit(tmp_path / "a", sim)
        res = run_jobs(jobs, lambda k: str(tmp_path / ("own-%d" % k)))
        assert all(rc == 0 for rc, _, _ in res), res
        loose = windows(out)
        # With the one folder of the host: never two at once, and whoever waited said why.
        os.makedirs(tmp_path / "b")
        _, out, jobs = emit(tmp_path / "b", sim)
        shared = str(tmp_path / "locks")
        res = run_jobs(jobs, lambda k: shared)
        assert all(rc == 0 for rc, _, _ in res), res
        locked = windows(out)
    assert len(loose) == len(locked) == 8
    assert overlapping(loose) > 0
    assert overlapping(locked) == 0
    assert any("waits for its server" in err for _, _, err in res)
    # The lock files name the server (loopback folded) and say the last holder let go.
    names = sorted(os.listdir(shared))
    assert names == ["127.0.0.1_%d.lock" % p for p in sorted(sim.ports)]
    for n in names:
        with open(os.path.join(shared, n)) as f:
            assert json.load(f)["released_boot_ns"] > 0


def hold(lock_dir, port):
    os.makedirs(lock_dir, exist_ok=True)
    f = open(os.path.join(lock_dir, "127.0.0.1_%d.lock" % port), "a+")
    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    f.seek(0)
    f.truncate()
    f.write(json.dumps({"pid": os.getpid(), "what": "a test holding the server", "since": "now"}))
    f.flush()
    return f


def test_no_wait_names_the_holder_and_loses_nothing(tmp_path):
    lock_dir = str(tmp_path / "locks")
    with start_sim(SLOW, ports=2) as sim:
        exp, out, jobs = emit(tmp_path, sim, reps=1)
        with open(jobs) as f:
            line = [l.strip() for l in f if l.strip() and not l.startswith("#")][0]
        env = dict(os.environ, TANDEM_LOCK_DIR=lock_dir)
        held = hold(lock_dir, sim.ports[1])
        busy = subprocess.run(["sh", "-c", line + " --no-wait"], capture_output=True, text=True, env=env,
                              timeout=60)
        assert busy.returncode == 4, busy.stdout + busy.stderr
        assert "a test holding the server" in busy.stderr and "--no-wait" in busy.stderr
        assert cell_dirs(out) == {}
        # Waiting: it says for whom, and measures once the holder lets go.
        waiting = subprocess.Popen(["sh", "-c", line], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=env)
        time.sleep(1.0)
        assert waiting.poll() is None
        held.close()
        stdout, stderr = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, stdout + stderr
        assert "waits for its server" in stderr and "a test holding the server" in stderr
        assert len(cell_dirs(out)) == 1
        # The cell's variant ran with --no-lock; its provenance says the sweep held the
        # servers for it, after waiting for whom.
        (cid, d), = cell_dirs(out).items()
        with open(os.path.join(d, "provenance.json")) as f:
            lock = json.load(f)["server_lock"]
        assert lock["taken_by"].startswith("tandem-sweep ") and cid in lock["taken_by"], lock
        assert lock["waited_s"] >= 1.0 and "a test holding the server" in lock["waited_for"], lock


def test_a_killed_sweep_lets_its_servers_go(tmp_path):
    lock_dir = str(tmp_path / "locks")
    with start_sim(["--decode-tps", "20", "--prefill-tps", "100000"], ports=2) as sim:
        exp, out, jobs = emit(tmp_path, sim, reps=1)
        with open(jobs) as f:
            line = [l.strip() for l in f if l.strip() and not l.startswith("#")][0]
        p = subprocess.Popen(line, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, TANDEM_LOCK_DIR=lock_dir), start_new_session=True)
        path = os.path.join(lock_dir, "127.0.0.1_%d.lock" % sim.ports[0])
        deadline = time.monotonic() + 30
        taken = False
        while time.monotonic() < deadline and not taken:
            try:
                with open(path) as f:
                    taken = "what" in json.load(f)
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        assert taken
        with open(path) as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                assert False, "the lock was free while the cell ran"
            except BlockingIOError:
                pass
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=10)
        deadline = time.monotonic() + 10
        while True:
            with open(path) as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    # the variant child may outlive the sweep by a moment; it holds no lock
                    assert time.monotonic() < deadline, "the lock outlived the killed sweep"
                    time.sleep(0.05)
