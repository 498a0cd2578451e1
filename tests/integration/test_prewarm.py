"""At the concurrent phase's release every agent's connection is already open, so the
release sends requests, not TCP handshakes: the warm-up (or, without one, the sequential
phase) opens one connection per agent, and every runtime keeps it until the concurrent
phase (docs/variants.md, "Connections at the release"). 32 agents on 32 simulated
devices: every concurrent-phase call has reused_connection true and connect_ns 0, in
every built variant, with and without the warm-up. And a soft limit on open files below
what the agents need is raised to the hard limit; a hard limit below it is refused
before anything runs, with a message naming the fix."""

import os
import resource

import pytest

from engine import run_variant, scenario_yaml, variants
from simproc import start_sim

N = 32


@pytest.fixture(scope="module")
def sim():
    with start_sim(["--decode-tps", "2000", "--prefill-tps", "100000"], ports=N) as s:
        yield s


def urls(sim):
    return [sim.url(i) for i in range(N)]


@pytest.mark.parametrize("warmup", [True, False], ids=["warmup", "no-warmup"])
@pytest.mark.parametrize("variant", variants())
def test_concurrent_phase_reuses_every_connection(sim, variant, warmup, tmp_path):
    res = run_variant(variant, scenario_yaml(urls(sim), num_predict=4, steps=2, runs=2, warmup=warmup), tmp_path)
    assert res.returncode == 0, res.stderr
    conc = res.calls("concurrent")
    assert len(conc) == N * 2 * 2 and all(c["ok"] for c in conc)
    opened = [(c["agent"], c["step"], c["connect_ns"]) for c in conc
              if not c["reused_connection"] or c["connect_ns"] != 0]
    assert opened == [], "concurrent-phase calls that opened a connection: %r" % opened[:8]


def _limit_files(soft, hard):
    def apply():
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return apply


def _run_limited(variant, sim, tmp_path, soft, hard):
    import subprocess
    from engine import bindir
    scen = os.path.join(str(tmp_path), "scenario.yaml")
    with open(scen, "w") as f:
        f.write(scenario_yaml(urls(sim), num_predict=2, steps=1, runs=1))
    out = os.path.join(str(tmp_path), "out")
    return subprocess.run([os.path.join(bindir(), "tandem-" + variant), "run", "--scenario-file", scen,
                           "--output-dir", out, "--quiet"], capture_output=True, text=True, timeout=120,
                          preexec_fn=_limit_files(soft, hard))


C_VARIANTS = [v for v in variants() if not v.startswith("python")]


@pytest.mark.parametrize("variant", C_VARIANTS[:1] + (["blocking"] if "blocking" in C_VARIANTS[1:] else []))
def test_low_soft_file_limit_is_raised(sim, variant, tmp_path):
    # 32 agents need 32 + 64 descriptors; 40 would run out at the release
    res = _run_limited(variant, sim, tmp_path, 40, 4096)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("variant", C_VARIANTS[:1])
def test_too_low_hard_file_limit_is_refused(sim, variant, tmp_path):
    res = _run_limited(variant, sim, tmp_path, 40, 50)
    assert res.returncode == 1
    assert "RLIMIT_NOFILE" in res.stderr and "ulimit -Hn" in res.stderr and "32 agents" in res.stderr
    assert not os.path.exists(os.path.join(str(tmp_path), "out", "run_1"))
