"""`run --gpu-telemetry` end to end: a C variant and the Python client against tandem-sim,
with tandem-gpu-telemetry reading a fake NVML library (no GPU needed).

- with a GPU: run_<k>/gpu.csv for every run, its samples on the records' clock, from
  before the run's first phase to the end of its concurrent phase; provenance "gpu" has
  the GPU and driver; "server_memory" has /api/ps of each server before and after each
  phase;
- without one (auto): one "no GPU telemetry (...)" line, no gpu.csv, and records and
  summary of the same shape as with telemetry off;
- `--gpu-telemetry=on` without one: refused with the fix, nothing measured;
- a sampler that dies mid-run costs its samples (recorded), never the records.
The fake NVML is built by make beside the binaries: $TANDEM_BIN/../tests/fake-nvml/.
"""

import csv
import json
import os
import shutil
import subprocess

import pytest

from engine import bindir, scenario_yaml
from simproc import start_sim

TOOL = os.path.join(bindir(), "tandem-gpu-telemetry")
FAKE_NVML = os.path.join(bindir(), "..", "tests", "fake-nvml", "libnvidia-ml.so.1")
HEADER = ["t_mono_ns", "gpu", "util_pct", "mem_used_mib", "power_w", "sm_clock_mhz", "temp_c", "energy_mj"]
NOWHERE = "/nonexistent/tandem-test"
INTERVAL_NS = 100 * 10 ** 6
# Calls of 0.4 s (40 tokens at 100 tokens/s): each phase lasts several sampling intervals.
SIM = ["--decode-tps", "100", "--prefill-tps", "100000"]
FAST_SIM = ["--decode-tps", "1000", "--prefill-tps", "100000"]


def _variants():
    c = [v for v in ("smol", "blocking", "tokio-localset", "smol-1kb", "curl-1kb", "tokio-default", "async-std",
                     "smol-8kb") if os.access(os.path.join(bindir(), "tandem-" + v), os.X_OK)]
    py = ["python-httpx"] if os.access(os.path.join(bindir(), "tandem-python-httpx"), os.X_OK) else []
    return c[:1] + py


VARIANTS = _variants()

pytestmark = [
    pytest.mark.skipif(not os.access(TOOL, os.X_OK), reason="not built: tandem-gpu-telemetry (make)"),
    pytest.mark.skipif(not os.path.exists(FAKE_NVML), reason="not built: the fake NVML (make)"),
    pytest.mark.skipif(not VARIANTS, reason="no variant built"),
]


def gpu_env(nvml=FAKE_NVML, **extra):
    """The environment of the run: which NVML the sampler loads; never a real nvidia-smi."""
    e = {k: v for k, v in os.environ.items() if not k.startswith(("FAKE_", "TANDEM_N", "TANDEM_GPU"))}
    e["TANDEM_NVML_LIB"] = nvml
    e["TANDEM_NVIDIA_SMI"] = NOWHERE
    e.update(extra)
    return e


class Run:
    def __init__(self, proc, outdir):
        self.returncode, self.stdout, self.stderr, self.outdir = proc.returncode, proc.stdout, proc.stderr, outdir

    def load(self, *name):
        with open(os.path.join(self.outdir, *name)) as f:
            return json.load(f)

    def runs(self):
        k = 1
        while os.path.exists(os.path.join(self.outdir, "run_%d" % k, "records.json")):
            k += 1
        return k - 1


def run(variant, sim, tmp_path, args, env, name="out", runs=2, quiet=False):
    scen = os.path.join(str(tmp_path), "scenario.yaml")
    with open(scen, "w") as f:
        f.write(scenario_yaml([sim.url(0), sim.url(1)], num_predict=40, steps=2, runs=runs))
    outdir = os.path.join(str(tmp_path), name)
    cmd = [os.path.join(bindir(), "tandem-" + variant), "run", "--scenario-file", scen, "--output-dir", outdir]
    cmd += ["--quiet"] if quiet else []
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=180, env=env)
    return Run(proc, outdir)


def spans(records):
    """(first phase start, sequential start, concurrent end) on CLOCK_MONOTONIC ns."""
    seq = records["sequential"]["agents"]
    conc = records["concurrent"]["agents"]
    seq_start = min(a["release_ns"] for a in seq)
    warm = [c["t_begin_ns"] for c in records["calls"] if c["phase"] == "warmup"]
    return min(warm + [seq_start]), seq_start, max(a["end_ns"] for a in conc)


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


@pytest.mark.parametrize("variant", VARIANTS)
def test_samples_cover_every_run(variant, tmp_path):
    with start_sim(SIM, ports=2) as sim:
        res = run(variant, sim, tmp_path, ["--gpu-telemetry"], gpu_env())
    assert res.returncode == 0, res.stderr
    assert "no GPU telemetry" not in res.stderr
    assert res.runs() == 2
    for k in (1, 2):
        first_start, seq_start, conc_end = spans(res.load("run_%d" % k, "records.json"))
        header, rows = read_csv(os.path.join(res.outdir, "run_%d" % k, "gpu.csv"))
        assert header == HEADER
        assert {r[1] for r in rows} == {"0", "1"}  # the fake NVML's two GPUs
        t = sorted(int(r[0]) for r in rows)
        # on the records' clock: nothing long before the run or long after it
        margin = 5 * 10 ** 9
        assert first_start - margin <= t[0] and t[-1] <= conc_end + margin, (t[0], t[-1], first_start, conc_end)
        # covering both phases: a sample before the first phase began, and one within a few
        # intervals of the concurrent phase's end (the sampler is stopped after it)
        assert t[0] <= first_start <= seq_start
        assert t[-1] >= conc_end - 5 * INTERVAL_NS, (t[-1], conc_end)
        assert not os.path.exists(os.path.join(res.outdir, "run_%d" % k, "gpu.csv.partial"))
        leftovers = [n for n in os.listdir(os.path.join(res.outdir, "run_%d" % k)) if n.startswith(".gpu")]
        assert leftovers == []
    prov = res.load("provenance.json")
    gpu = prov["gpu"]
    assert gpu["telemetry"] == "on" and gpu["interval_ms"] == 100 and gpu["source"] == "nvml"
    assert gpu["driver_version"] == "550.54.15" and gpu["cuda_driver_version"] == "12.4"
    assert [g["name"] for g in gpu["gpus"]] == ["NVIDIA H100 80GB HBM3"] * 2
    assert "errors" not in gpu and "reason" not in gpu
    urls = {sim.url(0), sim.url(1)}
    mem = prov["server_memory"]
    for k, phases in ((1, ("warmup", "sequential", "concurrent")), (2, ("sequential", "concurrent"))):
        for ph in phases:
            for when in ("before", "after"):
                got = [e for e in mem if e["run"] == k and e["phase"] == ph and e["when"] == when]
                assert {e["url"] for e in got} == urls and len(got) == 2, (k, ph, when)
                assert all(isinstance(e["models"], list) for e in got)
    # after the warm-up each server holds the model, with its VRAM part
    after_warm = [e for e in mem if e["phase"] == "warmup" and e["when"] == "after"]
    for e in after_warm:
        assert [m["name"] for m in e["models"]] == ["gemma3:latest"]
        assert e["models"][0]["size"] > 0 and e["models"][0]["size_vram"] >= 0
    assert not any(e["run"] == 2 and e["phase"] == "warmup" for e in mem)


# Lists whose length depends on what was measured, not on the telemetry setting: a run
# on a loaded machine may be flagged as an anomaly in one of the two runs and not the other.
MEASURED_LISTS = {"anomalies", "flagged_runs"}


def shape(x):
    if isinstance(x, dict):
        return {k: "list" if k in MEASURED_LISTS else shape(v) for k, v in x.items()}
    if isinstance(x, list):
        return [shape(v) for v in x]
    return "value"


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_gpu_measures_the_same(variant, tmp_path):
    env = gpu_env(nvml=NOWHERE)
    assert shutil.which("nvidia-smi", path=env.get("PATH")) is None or env["TANDEM_NVIDIA_SMI"] == NOWHERE
    with start_sim(FAST_SIM, ports=2) as sim:
        res = run(variant, sim, tmp_path, ["--gpu-telemetry"], env, name="auto", runs=1)
        off = run(variant, sim, tmp_path, [], env, name="off", runs=1)
    assert res.returncode == 0 and off.returncode == 0, res.stderr + off.stderr
    lines = [l for l in res.stderr.splitlines() if "GPU" in l]
    assert len(lines) == 1 and lines[0].startswith("tandem: no GPU telemetry (") and "TANDEM_NVML_LIB" in lines[0]
    assert "GPU" not in off.stderr
    assert not os.path.exists(os.path.join(res.outdir, "run_1", "gpu.csv"))
    gpu = res.load("provenance.json")["gpu"]
    assert gpu["telemetry"] == "unavailable" and gpu["gpus"] == [] and gpu["source"] is None
    assert "TANDEM_NVML_LIB" in gpu["reason"]
    assert off.load("provenance.json")["gpu"] == {"telemetry": "off"}
    assert shape(res.load("summary.json")) == shape(off.load("summary.json"))
    assert shape(res.load("run_1", "records.json")) == shape(off.load("run_1", "records.json"))
    # /api/ps is asked with telemetry off too
    assert len(off.load("provenance.json")["server_memory"]) == 2 * 2 * 3


@pytest.mark.parametrize("variant", VARIANTS)
def test_on_without_gpu_refuses(variant, tmp_path):
    with start_sim(SIM, ports=2) as sim:
        res = run(variant, sim, tmp_path, ["--gpu-telemetry=on"], gpu_env(nvml=NOWHERE))
        events = sim.emit_log()
    assert res.returncode == 1, res.stderr
    assert "--gpu-telemetry=on, but no GPU can be read" in res.stderr
    assert "TANDEM_NVML_LIB" in res.stderr and "--gpu-telemetry=auto" in res.stderr
    assert not os.path.exists(res.outdir)
    assert not any(e.get("path") in ("/api/generate", "/api/chat") for e in events)


@pytest.mark.parametrize("variant", VARIANTS)
def test_bad_mode_is_a_usage_error(variant, tmp_path):
    p = subprocess.run([os.path.join(bindir(), "tandem-" + variant), "run", "--gpu-telemetry=maybe"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert "--gpu-telemetry: 'maybe' is not auto, on or off" in p.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_sampler_dying_mid_run_keeps_the_records(variant, tmp_path):
    # Answers `info` like the real program; its sampler signals readiness, then is killed.
    dying = tmp_path / "dying-sampler"
    dying.write_text(
        "#!/bin/sh\n"
        "case \"$1\" in\n"
        "info) exec '%s' info ;;\n"
        "sample) shift\n"
        "  while [ $# -gt 1 ]; do\n"
        "    [ \"$1\" = --out ] && echo '%s' > \"$2.partial\"\n"
        "    [ \"$1\" = --ready-file ] && : > \"$2\"\n"
        "    shift 2\n"
        "  done\n"
        "  echo 'lost the device' >&2\n"
        "  kill -KILL $$ ;;\n"
        "esac\n" % (TOOL, ",".join(HEADER)))
    dying.chmod(0o755)
    with start_sim(FAST_SIM, ports=2) as sim:
        res = run(variant, sim, tmp_path, ["--gpu-telemetry=on"], gpu_env(TANDEM_GPU_TELEMETRY=str(dying)))
    assert res.returncode == 0, res.stderr
    assert res.runs() == 2
    for k in (1, 2):
        calls = res.load("run_%d" % k, "records.json")["calls"]
        assert calls and all(c["ok"] for c in calls)
        assert not os.path.exists(os.path.join(res.outdir, "run_%d" % k, "gpu.csv"))
    gpu = res.load("provenance.json")["gpu"]
    assert gpu["telemetry"] == "on"
    assert len(gpu["errors"]) == 2
    for k, e in enumerate(gpu["errors"], 1):
        assert e.startswith("run %d: " % k) and "killed by signal 9" in e and "lost the device" in e, e
    assert res.load("summary.json")["runs_recorded"] == 2
    assert "no GPU samples for run 1" in res.stderr
