"""gpu-check (scripts/gpu/check.sh) without a GPU: it must pass every step this host can
take, then stop before the first step it cannot, saying what it skipped and why (exit 3);
and the experiments it writes for the GPU host (scripts/gpu/experiments.sh) must be valid
and, against tandem-sim with a fake nvidia-smi and a fake NVML, run with their pins holding
and GPU telemetry in every run."""
import glob
import hashlib
import json
import os
import shutil
import subprocess

from engine import bindir
from simproc import REPO, start_sim

CHECK = os.path.join(REPO, "scripts", "gpu", "check.sh")
EXPERIMENTS = os.path.join(REPO, "scripts", "gpu", "experiments.sh")
FAKE_SMI = os.path.join(REPO, "tests", "gpu", "fake-nvidia-smi")
SWEEP = os.path.join(bindir(), "tandem-sweep")


def fake_kit(tmp_path):
    """The parts of a kit the first steps read: gpu-check.sh, the tandem binaries, a MANIFEST."""
    kit = tmp_path / "kit"
    (kit / "bin").mkdir(parents=True)
    shutil.copy(CHECK, kit / "gpu-check.sh")
    for name in ("tandem-sweep", "tandem-report"):
        shutil.copy(os.path.join(bindir(), name), kit / "bin" / name)
    lines = []
    for p in sorted(kit.rglob("*")):
        if p.is_file():
            lines.append("%s  %s\n" % (hashlib.sha256(p.read_bytes()).hexdigest(), p.relative_to(kit)))
    (kit / "MANIFEST.sha256").write_text("".join(lines))
    return kit


def gpu_check(kit, out, path, *done):
    os.makedirs(os.path.join(out, ".done"), exist_ok=True)
    for step in done:  # steps taken before: gpu-check resumes after them
        with open(os.path.join(out, ".done", step), "w") as f:
            f.write("0 s\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TANDEM_", "CUDA"))}
    env["PATH"] = path
    return subprocess.run([str(kit / "gpu-check.sh"), "--out", out], capture_output=True, text=True,
                          timeout=120, env=env)


def steps(out):
    with open(os.path.join(out, "steps.tsv")) as f:
        return [line.rstrip("\n").split("\t") for line in f][1:]


def test_without_nvcc_it_stops_at_the_cuda_build_and_says_why(tmp_path):
    out = str(tmp_path / "out")
    res = gpu_check(fake_kit(tmp_path), out, "/usr/bin:/bin", "python", "model")
    assert res.returncode == 3, res.stderr
    assert "stopped at 'cuda': no CUDA compiler here" in res.stderr
    assert "skipped: cuda gpu servers matrix servers-1v2 agents report" in res.stderr
    assert "everything before 'cuda' passed" in res.stderr
    assert [s[:2] for s in steps(out)] == [["kit", "ok"], ["cuda", "skipped"]]


def test_a_damaged_kit_is_refused(tmp_path):
    kit = fake_kit(tmp_path)
    with open(kit / "bin" / "tandem-report", "ab") as f:
        f.write(b"x")
    res = gpu_check(kit, str(tmp_path / "out"), "/usr/bin:/bin")
    assert res.returncode == 1
    assert "differ from its MANIFEST" in res.stderr


def test_without_a_gpu_it_stops_at_the_gpu_step(tmp_path):
    out = str(tmp_path / "out")
    res = gpu_check(fake_kit(tmp_path), out, "/usr/bin:/bin", "python", "model", "cuda")
    assert res.returncode == 3, res.stderr
    assert "stopped at 'gpu': no GPU here (nvidia-smi lists none)" in res.stderr
    assert "cuda: done before" in res.stderr
    assert steps(out)[-1][:2] == ["gpu", "skipped"]


def write_experiments(tmp_path, sim, reps="1"):
    conn_digest = subprocess.run(["curl", "-s", sim.url(0) + "/api/tags"], capture_output=True, text=True).stdout
    digest = json.loads(conn_digest)["models"][0]["digest"]
    exp = tmp_path / "experiments"
    subprocess.run([EXPERIMENTS, str(exp), "0.11.4", "gemma3:latest", digest, "NVIDIA H100 80GB HBM3",
                    str(sim.ports[0]), str(sim.ports[1]), reps, "16"], check=True)
    return exp


def fake_gpu_env(tmp_path):
    d = tmp_path / "fakebin"
    d.mkdir()
    shutil.copy(FAKE_SMI, d / "nvidia-smi")
    env = dict(os.environ, PATH="%s:%s" % (d, os.environ["PATH"]), FAKE_SMI_GPUS="1", FAKE_NVML_GPUS="1",
               TANDEM_NVML_LIB=os.path.join(bindir(), "..", "tests", "fake-nvml", "libnvidia-ml.so.1"))
    return env


def test_its_experiments_are_valid_and_run_with_telemetry(tmp_path):
    with start_sim(["--decode-tps", "2000", "--port", "0@gpu0", "--port", "0@gpu0"]) as sim:
        exp = write_experiments(tmp_path, sim)
        env = fake_gpu_env(tmp_path)
        for name, cells in (("matrix", 10), ("servers", 2), ("agents", 4)):
            res = subprocess.run([SWEEP, str(exp / (name + ".yaml")), "--dry-run", "--bin-dir", bindir()],
                                 capture_output=True, text=True, timeout=60, env=env)
            assert res.returncode == 0, res.stderr
            assert "cells: %d " % cells in res.stdout, res.stdout
        out = str(tmp_path / "servers")
        res = subprocess.run([SWEEP, str(exp / "servers.yaml"), "--out", out, "--bin-dir", bindir()],
                             capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr
    cells = glob.glob(os.path.join(out, "*", "*", "rep*", "cell.json"))
    assert len(cells) == 2
    for cj in cells:
        d = os.path.dirname(cj)
        assert json.load(open(cj))["pins_ok"] is True
        assert os.path.getsize(os.path.join(d, "run_1", "gpu.csv")) > 0
        prov = json.load(open(os.path.join(d, "provenance.json")))
        assert prov["gpu"]["telemetry"] == "on"
    one = [c for c in cells if "/one_server/" in c][0]
    agents = json.load(open(os.path.join(os.path.dirname(one), "provenance.json")))["scenario"]["agents"]
    assert len({a["url"] for a in agents}) == 1  # one server: both agents on the first port
