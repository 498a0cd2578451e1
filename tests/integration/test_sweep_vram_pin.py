"""The sweep's GPU pins: pins.model_in_vram holds the model to VRAM (/api/ps size_vram
against size), pins.gpu to the GPU nvidia-smi names (a substring or a glob). tandem-sim's
--vram-pct plays a server that put part (or none) of the model in VRAM; a fake nvidia-smi
plays the GPU host."""
import json
import os
import shutil
import subprocess

from simproc import REPO, start_sim
from test_sweep import FAST, cell_dirs, sim_digest, sweep, write_experiment

FAKE_SMI = os.path.join(REPO, "tests", "gpu", "fake-nvidia-smi")  # one H100 with FAKE_SMI_GPUS=1


def with_pins(path, extra):
    """Adds keys to the experiment's pins flow mapping."""
    text = open(path).read()
    text = text.replace("pins: {", "pins: {%s, " % extra, 1)
    open(path, "w").write(text)
    return path


def fake_smi_path(tmp_path):
    d = tmp_path / "smi"
    d.mkdir()
    shutil.copy(FAKE_SMI, d / "nvidia-smi")
    return "%s:%s" % (d, os.environ["PATH"])


def run_sweep(exp, out, *args, path=None):
    env = dict(os.environ, FAKE_SMI_GPUS="1")
    if path:
        env["PATH"] = path
    from test_sweep import SWEEP, bindir
    return subprocess.run([SWEEP, exp, "--out", out, "--bin-dir", bindir()] + list(args),
                          capture_output=True, text=True, timeout=300, env=env)


def test_partly_offloaded_model_is_refused_with_the_fix(tmp_path):
    with start_sim(FAST + ["--vram-pct", "60"], ports=2) as sim:
        exp = with_pins(write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1),
                                         ["{name: homo, scenario: chimera-homo}"], sim_digest(sim), reps=1),
                        "model_in_vram: full")
        res = sweep(exp, str(tmp_path / "out"), "--validate")
        assert res.returncode != 0
        assert "holds only 60.0% of gemma3:latest in VRAM" in res.stdout + res.stderr
        assert "--layout per-gpu" in res.stdout + res.stderr
        res = sweep(exp, str(tmp_path / "out"))
        assert res.returncode == 1 and "refusing to measure" in res.stderr
        assert cell_dirs(str(tmp_path / "out")) == {}


def test_model_on_the_cpu_is_refused_even_when_only_some_is_asked(tmp_path):
    with start_sim(FAST + ["--vram-pct", "0"], ports=2) as sim:
        exp = with_pins(write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1),
                                         ["{name: homo, scenario: chimera-homo}"], sim_digest(sim), reps=1),
                        "model_in_vram: some")
        res = sweep(exp, str(tmp_path / "out"), "--validate")
        assert res.returncode != 0
        assert "runs gemma3:latest on the CPU (/api/ps size_vram 0" in res.stdout + res.stderr


def test_model_fully_in_vram_measures_and_every_cell_checks_it(tmp_path):
    out = str(tmp_path / "out")
    with start_sim(FAST, ports=2) as sim:
        exp = with_pins(write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1),
                                         ["{name: homo, scenario: chimera-homo}"], sim_digest(sim), reps=1),
                        "model_in_vram: full")
        res = sweep(exp, out)
        assert res.returncode == 0, res.stderr
        assert "pins hold (in VRAM)" in res.stderr
    for d in cell_dirs(out).values():
        cj = json.load(open(os.path.join(d, "cell.json")))
        assert cj["status"] == "ok" and cj["pins_ok"] is True


def test_bad_model_in_vram_value_names_the_choices(tmp_path):
    exp = with_pins(write_experiment(str(tmp_path / "e.yaml"), "http://127.0.0.1:1", "http://127.0.0.1:2",
                                     ["{name: homo, scenario: chimera-homo}"], "ab" * 32, reps=1),
                    "model_in_vram: most")
    res = sweep(exp, str(tmp_path / "out"), "--dry-run")
    assert res.returncode != 0
    assert "pins.model_in_vram" in res.stderr and "full" in res.stderr and "some" in res.stderr


def test_gpu_pin_is_a_glob_checked_against_nvidia_smi(tmp_path):
    path = fake_smi_path(tmp_path)
    with start_sim(FAST, ports=2) as sim:
        exp = write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1),
                               ["{name: homo, scenario: chimera-homo}"], sim_digest(sim), reps=1)
        ok = with_pins(exp, "gpu: '*h100*'")
        res = run_sweep(ok, str(tmp_path / "out"), "--validate", path=path)
        assert res.returncode == 0, res.stdout + res.stderr
        exp2 = write_experiment(str(tmp_path / "e2.yaml"), sim.url(0), sim.url(1),
                                ["{name: homo, scenario: chimera-homo}"], sim_digest(sim), reps=1)
        bad = with_pins(exp2, "gpu: '*A100*'")
        res = run_sweep(bad, str(tmp_path / "out2"), "--validate", path=path)
        assert res.returncode != 0
        assert "pins GPU '*A100*', but this host has: NVIDIA H100 80GB HBM3" in res.stdout + res.stderr


def test_gpu_pin_without_a_gpu_says_so(tmp_path):
    empty = tmp_path / "nogpu"
    empty.mkdir()
    with start_sim(FAST, ports=2) as sim:
        exp = with_pins(write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1),
                                         ["{name: homo, scenario: chimera-homo}"], sim_digest(sim), reps=1),
                        "gpu: 'NVIDIA*'")
        res = run_sweep(exp, str(tmp_path / "out"), "--validate", path="%s:/usr/bin:/bin" % empty)
        assert res.returncode != 0
        assert "this host lists no GPU" in res.stdout + res.stderr
