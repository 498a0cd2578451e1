"""A sweep's emitted Slurm array on a real single-node Slurm (tests/slurm/cluster.sh:
Debian's slurmctld, slurmd and munge, started and stopped here). Tasks run 4 at once on the
one node; every cell must be done exactly once, no two cells may measure on the node's
servers at the same time (the host-wide server lock), and the merged results must render."""
import os
import subprocess
import time

import pytest

from engine import bindir
from simproc import REPO, start_sim
from test_sweep import SWEEP, VARIANTS, cell_dirs, sim_digest, write_experiment
from test_sweep_endpoint_lock import overlapping, windows

CLUSTER = os.path.join(REPO, "tests", "slurm", "cluster.sh")


@pytest.fixture
def slurm(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("slurm"))
    r = subprocess.run([CLUSTER, "start", d], capture_output=True, text=True, timeout=60)
    if r.returncode == 3:
        pytest.skip(r.stderr.strip())
    assert r.returncode == 0, r.stdout + r.stderr
    env = dict(os.environ, SLURM_CONF=os.path.join(d, "slurm.conf"))
    try:
        yield env
    finally:
        subprocess.run([CLUSTER, "stop", d], capture_output=True, timeout=60)


def test_array_on_a_real_slurm(slurm, tmp_path):
    t0 = time.monotonic()
    out = str(tmp_path / "out")
    jobs = str(tmp_path / "jobs")
    env = dict(slurm, TANDEM_LOCK_DIR=str(tmp_path / "locks"))
    with start_sim(["--decode-tps", "300", "--prefill-tps", "100000"], ports=2) as sim:
        exp = write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1),
                               ["{name: homo, scenario: chimera-homo}", "{name: het, scenario: chimera-hetero}"],
                               sim_digest(sim), reps=2, run={"num_predict": 20})
        emit = subprocess.run([SWEEP, exp, "--out", out, "--bin-dir", bindir(), "--emit-jobs", jobs,
                               "--slurm-shared", "--slurm-max-parallel", "4", "--slurm-time", "10"],
                              capture_output=True, text=True, timeout=60)
        assert emit.returncode == 0, emit.stderr
        with open(os.path.join(jobs, "slurm-array.sh")) as f:
            script = f.read()
        n = 2 * 2 * len(VARIANTS)
        assert "#SBATCH --array=1-%d%%4" % n in script and "--exclusive" not in script
        sub = subprocess.run(["sbatch", "--wait", os.path.join(jobs, "slurm-array.sh")], capture_output=True,
                             text=True, timeout=600, env=env, cwd=str(tmp_path))
        logs = "".join(open(os.path.join(tmp_path, f)).read() for f in sorted(os.listdir(tmp_path))
                       if f.startswith("slurm-") and f.endswith(".out"))
        assert sub.returncode == 0, sub.stdout + sub.stderr + logs
    done = cell_dirs(out)  # asserts that no cell exists twice
    assert len(done) == n, logs
    w = windows(out)
    assert overlapping(w) == 0
    # 4 tasks at once on one node: some of them had to wait for the servers.
    assert "waits for its server" in logs
    report = subprocess.run([os.path.join(bindir(), "tandem-report"), out, "--out", str(tmp_path / "report")],
                            capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stderr
    assert os.path.exists(tmp_path / "report" / "TR115.md") and os.path.exists(tmp_path / "report" / "cells.csv")
    print("slurm array: %d cells submitted, %d done, 0 overlapping, %.1f s" % (n, len(done), time.monotonic() - t0))


def test_default_array_asks_for_the_whole_node(tmp_path):
    jobs = str(tmp_path / "jobs")
    with start_sim(["--decode-tps", "2000"], ports=2) as sim:
        exp = write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1),
                               ["{name: homo, scenario: chimera-homo}"], sim_digest(sim), reps=1)
        emit = subprocess.run([SWEEP, exp, "--out", str(tmp_path / "out"), "--bin-dir", bindir(), "--emit-jobs", jobs,
                               "--slurm-gres", "gpu:1", "--slurm-partition", "gpu", "--slurm-teardown", "echo bye"],
                              capture_output=True, text=True, timeout=60)
        assert emit.returncode == 0, emit.stderr
        with open(os.path.join(jobs, "slurm-array.sh")) as f:
            script = f.read()
        for line in ("#SBATCH --exclusive", "#SBATCH --gres=gpu:1", "#SBATCH --partition=gpu", "#SBATCH --time="):
            assert line in script
        assert "#SBATCH --array=1-%d\n" % len(VARIANTS) in script  # no cap unless asked
        # Run as a task would, outside Slurm: the cell, then the teardown; the cell's status.
        r = subprocess.run(["sh", os.path.join(jobs, "slurm-array.sh")], capture_output=True, text=True,
                           timeout=120, env=dict(os.environ, SLURM_ARRAY_TASK_ID="1",
                                                 TANDEM_LOCK_DIR=str(tmp_path / "locks")))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.rstrip().endswith("bye")
    assert len(cell_dirs(str(tmp_path / "out"))) == 1


def test_slurm_options_need_emit_jobs(tmp_path):
    r = subprocess.run([SWEEP, "e.yaml", "--slurm-gres", "gpu:1"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--emit-jobs" in r.stderr
    r = subprocess.run([SWEEP, "e.yaml", "--emit-jobs", "j", "--slurm-max-parallel", "0"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2 and "1 to" in r.stderr
