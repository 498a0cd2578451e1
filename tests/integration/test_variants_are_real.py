"""Each variant really is the concurrency architecture it claims to be.

The seed harness's async-std, smol and smol-1kb builds secretly ran on one hidden
runtime, its async-std was serialised by a mutex and its "1 KB client" only held chunks
back. These tests look at what the processes actually do, against tandem-sim:

- async-std runs N transfers at once on N pool threads: 8 agents on 8 independent
  simulated devices reach ~100% efficiency, and with --threads 2 the same run drops to
  ~25% (8 agents through 2 threads = 4 waves) — the pool size, nothing else, limits it;
- tokio-default really runs W worker threads (counted in /proc/<pid>/task while it
  runs, and each of them drives transfers), and says so in its provenance, with how
  many agents each worker took (counted during the runs, recorded after them);
- the read size is real: on a long stream whose tokens pile up between reads, the
  1 KB variants (smol-1kb, curl-1kb) make >= 4x the read() calls of their 8 KB twins
  (smol-8kb, smol) and never get more than 1 KB per read, while the 8 KB ones do.
"""

import json
import os
import subprocess
import time

import pytest

from engine import bindir, run_variant, scenario_yaml, variants
from simproc import start_sim

VARIANTS = set(variants())


def need(*names):
    missing = [n for n in names if n not in VARIANTS]
    if missing:
        pytest.skip("not built: " + ", ".join("tandem-" + n for n in missing))


def efficiency(res):
    assert res.returncode == 0, res.stderr
    runs = res.summary["runs"]
    assert len(runs) == 1
    return runs[0]["efficiency_pct"]


def threads_of(pid):
    """{tid: voluntary context switches} of a live process, {} once it is gone."""
    out = {}
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        out[int(tid)] = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def run_watching_threads(variant, yaml_text, tmp_path, args=()):
    """Runs the variant while sampling its threads every few ms. Returns (provenance,
    the most threads seen at once, the last voluntary switch count per thread, pid)."""
    os.makedirs(str(tmp_path), exist_ok=True)
    scen = os.path.join(str(tmp_path), "scenario.yaml")
    with open(scen, "w") as f:
        f.write(yaml_text)
    outdir = os.path.join(str(tmp_path), "out-" + variant)
    cmd = [os.path.join(bindir(), "tandem-" + variant), "run", "--scenario-file", scen, "--output-dir", outdir,
           "--quiet"] + list(args)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    most, last = 0, {}
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        seen = threads_of(proc.pid)
        if seen:
            most = max(most, len(seen))
            for tid, sw in seen.items():
                last[tid] = max(sw, last.get(tid, 0))
        time.sleep(0.005)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    with open(os.path.join(outdir, "provenance.json")) as f:
        prov = json.load(f)
    return prov, most, last, proc.pid


# --- async-std: the pool runs N blocking transfers at once ----------------------------

# 100 tokens/s and 30 tokens: a call takes 0.3 s alone, so 8 agents serialised would
# take 2.4 s and any real overlap is unmistakable.
SLOW_DEVICES = ["--decode-tps", "100", "--prefill-tps", "100000"]


@pytest.mark.timing
def test_async_std_runs_all_transfers_at_once(tmp_path):
    need("async-std")
    with start_sim(SLOW_DEVICES + ["--alpha", "1"], ports=8) as sim:
        urls = [sim.url(i) for i in range(8)]
        res = run_variant("async-std", scenario_yaml(urls, num_predict=30, steps=1), tmp_path)
    assert efficiency(res) >= 90.0, res.summary["runs"][0]
    assert res.provenance["runtime"]["threads"] == 8  # sized to the agents, not libuv's 4


@pytest.mark.timing
def test_async_std_pool_size_is_what_limits_it(tmp_path):
    need("async-std")
    with start_sim(SLOW_DEVICES + ["--alpha", "1"], ports=8) as sim:
        urls = [sim.url(i) for i in range(8)]
        res = run_variant("async-std", scenario_yaml(urls, num_predict=30, steps=1), tmp_path,
                          args=["--threads", "2"])
    eff = efficiency(res)
    # 2 pool threads for 8 independent agents: 4 waves, so 25% (not 100%, not 12.5%)
    assert 20.0 <= eff <= 30.0, res.summary["runs"][0]
    assert res.provenance["runtime"]["threads"] == 2


def test_async_std_pool_threads_exist(tmp_path):
    need("async-std")
    with start_sim(["--decode-tps", "20", "--prefill-tps", "100000"], ports=8) as sim:
        urls = [sim.url(i) for i in range(8)]
        prov, most, last, pid = run_watching_threads("async-std", scenario_yaml(urls, num_predict=10, steps=1,
                                                                                 warmup=False), tmp_path)
    assert most >= 1 + 8, "expected the main thread and 8 pool threads, saw %d threads" % most


# --- tokio-default: W worker threads, each driving transfers ----------------------------

def agent_jobs(outdir):
    """{phase: agent jobs} of a run directory: one job per agent per phase and run."""
    jobs = {}
    for name in sorted(os.listdir(outdir)):
        path = os.path.join(outdir, name, "records.json")
        if name.startswith("run_") and os.path.exists(path):
            with open(path) as f:
                calls = json.load(f)["calls"]
            for phase in {c["phase"] for c in calls}:
                jobs[phase] = jobs.get(phase, 0) + len({c["agent"] for c in calls if c["phase"] == phase})
    return jobs


def test_tokio_default_uses_w_threads(tmp_path):
    need("tokio-default")
    # 20 tokens/s, 10 tokens: each call streams for 0.5 s, long enough to watch.
    with start_sim(["--decode-tps", "20", "--prefill-tps", "100000"], ports=3) as sim:
        urls = [sim.url(i) for i in range(3)]
        yaml_text = scenario_yaml(urls, num_predict=10, steps=1, warmup=False)
        prov, most, last, pid = run_watching_threads("tokio-default", yaml_text, tmp_path / "w3", ["--threads", "3"])
        prov1, most1, _, _ = run_watching_threads("tokio-default", yaml_text, tmp_path / "w1", ["--threads", "1"])
    assert prov["runtime"]["threads"] == 3 and prov1["runtime"]["threads"] == 1
    # What each worker took is counted while the runs run and recorded after them: the
    # counts add up to the agent jobs the run made (an agent's calls in one phase), and
    # the concurrent release was shared out rather than taken by one worker.
    for p, w, outdir in ((prov, 3, tmp_path / "w3"), (prov1, 1, tmp_path / "w1")):
        jobs = agent_jobs(str(outdir / "out-tokio-default"))
        stats = p["runtime_stats"]
        taken, together = stats["agents_taken_per_worker"], stats["concurrent_agents_taken_per_worker"]
        assert len(taken) == w and len(together) == w, stats
        assert sum(taken) == sum(jobs.values()), (stats, jobs)
        assert sum(together) == jobs["concurrent"], (stats, jobs)
    assert sum(1 for k in prov["runtime_stats"]["concurrent_agents_taken_per_worker"] if k > 0) > 1, prov
    assert "agents_taken_per_worker" not in prov["runtime"]  # counts before the run would all be 0
    assert most >= 4, "main + 3 workers expected, saw %d threads" % most
    assert most - most1 >= 2, "--threads 3 should add 2 threads to --threads 1 (%d vs %d)" % (most, most1)
    # Every worker (not the main thread) woke for streamed tokens: agents were spread
    # over all three, as idle tokio workers pick up spawned tasks.
    busy = [tid for tid, sw in last.items() if tid != pid and sw >= 10]
    assert len(busy) >= 3, "workers that drove transfers: %s" % last


# --- the read size is real ---------------------------------------------------------------

def reads_per_1k(variant, tmp_path):
    """A long stream whose tokens pile up between reads: 4 agents, instant tokens, the
    simulator and the client pinned to one CPU, so each runs for a time slice while the
    other's bytes wait in the socket. Returns (reads per 1,000 tokens, body bytes per read)."""
    os.makedirs(str(tmp_path), exist_ok=True)
    with start_sim(["--decode-tps", "1000000", "--prefill-tps", "100000000"], ports=4, emit_log=False) as sim:
        os.sched_setaffinity(sim.proc.pid, {0})
        yaml_text = scenario_yaml([sim.url(i) for i in range(4)], num_predict=4000, steps=1, warmup=False)
        scen = os.path.join(str(tmp_path), "scenario.yaml")
        with open(scen, "w") as f:
            f.write(yaml_text)
        outdir = os.path.join(str(tmp_path), "out-" + variant)
        proc = subprocess.run([os.path.join(bindir(), "tandem-" + variant), "run", "--scenario-file", scen,
                               "--output-dir", outdir, "--quiet", "--phases", "concurrent"],
                              capture_output=True, text=True, timeout=120,
                              preexec_fn=lambda: os.sched_setaffinity(0, {0}))
    assert proc.returncode == 0, proc.stderr
    with open(os.path.join(outdir, "run_1", "records.json")) as f:
        calls = [c for c in json.load(f)["calls"] if c["phase"] == "concurrent"]
    reads = sum(c["reads"] for c in calls)
    tokens = sum(c["server"]["eval_count"] for c in calls)
    body = sum(c["bytes"] for c in calls)
    assert tokens == 4 * 4000
    return 1000.0 * reads / tokens, body / reads


@pytest.mark.parametrize("small,big", [("smol-1kb", "smol-8kb"), ("curl-1kb", "smol")])
def test_1kb_reads_are_really_1kb(small, big, tmp_path):
    need(small, big)
    r_small, per_read_small = reads_per_1k(small, tmp_path / small)
    r_big, per_read_big = reads_per_1k(big, tmp_path / big)
    # A read() of at most 1,024 bytes cannot deliver more than 1,024 body bytes.
    assert per_read_small <= 1024, (small, per_read_small)
    assert per_read_big > 2048, "%s got only %.0f bytes per read: it is not reading 8 KB" % (big, per_read_big)
    assert r_small >= 4 * r_big, "%s %.1f vs %s %.1f reads per 1,000 tokens" % (small, r_small, big, r_big)


@pytest.mark.parametrize("variant", ["smol", "curl-1kb", "smol-1kb", "smol-8kb"])
def test_reactor_counts_are_taken_after_the_runs(variant, tmp_path):
    """The reactor variants' wake-up counts describe the runs, not the moment before them."""
    need(variant)
    with start_sim(["--decode-tps", "2000"], ports=2, emit_log=False) as sim:
        res = run_variant(variant, scenario_yaml([sim.url(0), sim.url(1)], num_predict=20, steps=1), tmp_path)
    assert res.returncode == 0, res.stderr
    prov = res.provenance
    assert "reactor_stats" not in prov["runtime"]
    st = prov["runtime_stats"]["reactor_stats"]
    # 2 agents x (warm-up + sequential + concurrent) streams of 20 tokens woke it often
    assert st["wakeups"] >= 20 and st["fd_events"] >= 20, st
    if variant.startswith("smol-"):
        assert "http_stats" in prov["runtime_stats"], prov["runtime_stats"]


def test_info_reports_the_runtime_a_run_would_create():
    """`info --threads N` describes the runtime `run --threads N` creates; a bad flag is refused."""
    exe = os.path.join(bindir(), "tandem-tokio-default")
    if not os.access(exe, os.X_OK):
        pytest.skip("tandem-tokio-default not built")
    out = subprocess.run([exe, "info", "--threads", "3"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["runtime"]["threads"] == 3
    bad = subprocess.run([exe, "info", "--threads", "zero"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "--threads" in bad.stderr
