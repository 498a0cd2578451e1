"""tandem-gpu-telemetry against a fake NVML library and a fake nvidia-smi (no GPU needed).

- `info` gives the GPUs and versions from NVML; from nvidia-smi (on PATH) when NVML
  cannot be loaded; and {"source": null, "reason": ...} with exit 3 when neither works;
- `sample` until SIGTERM/SIGINT writes gpu.csv with the exact header, every GPU's rows,
  CLOCK_MONOTONIC timestamps inside the sampler's lifetime and never going back, and no
  FILE.partial left; a failing or missing NVML call leaves that column empty;
- SIGKILL leaves FILE.partial made of whole lines (except possibly the last);
- no GPU: "no GPU telemetry:" on stderr, exit 3, no file.
The fake NVML is built by make beside the binaries: $TANDEM_BIN/../tests/fake-nvml/.
"""

import json
import os
import signal
import subprocess
import time

import pytest

from engine import REPO, bindir

TOOL = os.path.join(bindir(), "tandem-gpu-telemetry")
FAKE_NVML = os.path.join(bindir(), "..", "tests", "fake-nvml", "libnvidia-ml.so.1")
FAKE_NVML_OLD = os.path.join(bindir(), "..", "tests", "fake-nvml-old", "libnvidia-ml.so.1")
FAKE_SMI = os.path.join(REPO, "tests", "gpu", "fake-nvidia-smi")
HEADER = "t_mono_ns,gpu,util_pct,mem_used_mib,power_w,sm_clock_mhz,temp_c,energy_mj"
NOWHERE = "/nonexistent/tandem-test"

pytestmark = [
    pytest.mark.skipif(not os.access(TOOL, os.X_OK), reason="not built: tandem-gpu-telemetry (make)"),
    pytest.mark.skipif(not os.path.exists(FAKE_NVML),
                       reason="not built: the fake NVML (make %s)" % os.path.normpath(FAKE_NVML)),
]


def env(nvml=FAKE_NVML, smi=NOWHERE, path_smi_dir=None, **extra):
    """The tool's environment: which NVML library and nvidia-smi it finds, plus FAKE_* settings."""
    e = {k: v for k, v in os.environ.items() if not k.startswith(("FAKE_", "TANDEM_N"))}
    e["TANDEM_NVML_LIB"] = nvml
    if smi:
        e["TANDEM_NVIDIA_SMI"] = smi
    if path_smi_dir:
        e["PATH"] = path_smi_dir + os.pathsep + e.get("PATH", "")
    e.update({k: str(v) for k, v in extra.items()})
    return e


def info(*args, **kw):
    res = subprocess.run([TOOL, "info", *args], env=env(**kw), capture_output=True, text=True, timeout=60)
    return res.returncode, json.loads(res.stdout) if res.stdout.strip() else None, res.stderr


@pytest.fixture
def smi_on_path(tmp_path):
    d = tmp_path / "smi-bin"
    d.mkdir()
    os.symlink(FAKE_SMI, d / "nvidia-smi")
    return str(d)


def read_rows(path):
    with open(path) as f:
        text = f.read()
    lines = text.split("\n")
    assert lines[0] == HEADER
    return text, lines


def parse(lines):
    rows = []
    for ln in lines[1:]:
        if ln == "":
            continue
        f = ln.split(",")
        assert len(f) == 8, ln
        rows.append(f)
    return rows


class Sampler:
    """A running `sample`, started and stopped by the test; the CLOCK_MONOTONIC readings
    taken before it started and after it ended bound every timestamp it may write."""

    def __init__(self, out, extra_args=(), **kw):
        self.out = str(out)
        self.ready = self.out + ".ready"
        self.t_before = time.monotonic_ns()
        self.proc = subprocess.Popen([TOOL, "sample", "--out", self.out, "--interval-ms", "20", "--ready-file",
                                      self.ready, *extra_args], env=env(**kw), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.t_after = None

    def wait_for_lines(self, n):
        """Waits (for readiness and content, never a fixed time) until FILE.partial holds
        at least n data lines."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.communicate()
            if os.path.exists(self.ready) and os.path.exists(self.out + ".partial"):
                with open(self.out + ".partial") as f:
                    if f.read().count("\n") >= n + 1:
                        return
            time.sleep(0.01)
        pytest.fail("no %d lines in %s.partial within 60 s" % (n, self.out))

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=60)
        self.t_after = time.monotonic_ns()
        return self.proc.returncode, err


def check_csv(path, t_before, t_after, gpus):
    text, lines = read_rows(path)
    assert text.endswith("\n")
    rows = parse(lines)
    assert {int(r[1]) for r in rows} == set(range(gpus))
    ts = [int(r[0]) for r in rows]
    assert ts == sorted(ts)
    assert t_before <= ts[0] and ts[-1] <= t_after
    for r in rows:
        if r[2]:
            assert 0 <= int(r[2]) <= 100
    return rows


# ---------------------------------------------------------------------------- info

def test_info_from_nvml():
    rc, doc, _ = info()
    assert rc == 0
    assert doc["source"] == "nvml"
    assert doc["driver_version"] == "550.54.15"
    assert doc["cuda_driver_version"] == "12.4"
    assert [g["index"] for g in doc["gpus"]] == [0, 1]
    g = doc["gpus"][0]
    assert g["name"] == "NVIDIA H100 80GB HBM3"
    assert g["uuid"].startswith("GPU-")
    assert g["memory_total_mib"] == 81559
    assert g["compute_cap"] == "9.0"
    assert g["power_limit_w"] == 700.0
    assert list(doc) == ["source", "driver_version", "cuda_driver_version", "gpus"]


def test_info_nvml_failing_calls_are_null():
    rc, doc, _ = info("--source", "nvml", FAKE_NVML_GPUS=3, FAKE_NVML_FAIL="cc,power_limit,driver,uuid")
    assert rc == 0
    assert len(doc["gpus"]) == 3
    assert doc["driver_version"] is None
    assert all(g["compute_cap"] is None and g["power_limit_w"] is None and g["uuid"] is None for g in doc["gpus"])
    assert all(g["memory_total_mib"] == 81559 for g in doc["gpus"])


def test_info_old_nvml_falls_back_to_the_old_cuda_version_call():
    rc, doc, _ = info(nvml=FAKE_NVML_OLD)
    assert rc == 0
    assert doc["cuda_driver_version"] == "12.4"


def test_info_from_nvidia_smi_on_path(smi_on_path):
    rc, doc, _ = info(nvml=NOWHERE, smi=None, path_smi_dir=smi_on_path)
    assert rc == 0
    assert doc["source"] == "nvidia-smi"
    assert doc["driver_version"] == "550.54.15"
    assert doc["cuda_driver_version"] == "12.4"
    assert [g["index"] for g in doc["gpus"]] == [0, 1]
    assert doc["gpus"][1]["name"] == "NVIDIA H100 80GB HBM3"
    assert doc["gpus"][1]["compute_cap"] == "9.0"
    assert doc["gpus"][1]["memory_total_mib"] == 81559
    assert doc["gpus"][1]["power_limit_w"] == 700.0


def test_info_nvidia_smi_without_cuda_in_banner(smi_on_path):
    rc, doc, _ = info("--source", "nvidia-smi", smi=None, path_smi_dir=smi_on_path, FAKE_SMI_CUDA="",
                      FAKE_SMI_NA="compute_cap")
    assert rc == 0
    assert doc["cuda_driver_version"] is None
    assert doc["gpus"][0]["compute_cap"] is None


def test_info_without_any_source():
    rc, doc, _ = info(nvml=NOWHERE, smi=NOWHERE)
    assert rc == 3
    assert doc["source"] is None and doc["gpus"] == []
    assert "TANDEM_NVML_LIB" in doc["reason"] and "TANDEM_NVIDIA_SMI" in doc["reason"]


@pytest.mark.parametrize("extra,words", [({"FAKE_NVML_INIT_FAIL": 1}, "Driver Not Loaded"),
                                         ({"FAKE_NVML_GPUS": 0}, "no GPU")])
def test_info_nvml_without_gpu(extra, words):
    rc, doc, _ = info("--source", "nvml", **extra)
    assert rc == 3
    assert doc["source"] is None and words in doc["reason"]


def test_info_nvidia_smi_failing(smi_on_path):
    rc, doc, _ = info(nvml=NOWHERE, smi=FAKE_SMI, FAKE_SMI_FAIL=1)
    assert rc == 3
    assert "couldn't communicate with the NVIDIA driver" in doc["reason"]


# ---------------------------------------------------------------------------- sample

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sample_nvml_until_signal(tmp_path, sig):
    s = Sampler(tmp_path / "gpu.csv")
    s.wait_for_lines(6)
    rc, err = s.stop(sig)
    assert rc == 0, err
    assert not os.path.exists(s.out + ".partial")
    rows = check_csv(s.out, s.t_before, s.t_after, gpus=2)
    assert all(all(r[2:]) for r in rows)  # every value present, energy included
    energy0 = [int(r[7]) for r in rows if r[1] == "0"]
    assert energy0 == sorted(energy0) and energy0[-1] > energy0[0]
    assert float(rows[0][4]) > 0 and len(rows[0][4].split(".")[1]) == 3
    with open(s.ready) as f:
        assert f.read() == "nvml\n"


def test_sample_failing_nvml_call_leaves_the_column_empty(tmp_path):
    s = Sampler(tmp_path / "gpu.csv", FAKE_NVML_FAIL="power", FAKE_NVML_GPUS=3)
    s.wait_for_lines(6)
    rc, err = s.stop()
    assert rc == 0, err
    rows = check_csv(s.out, s.t_before, s.t_after, gpus=3)
    assert all(r[4] == "" for r in rows)
    assert all(r[2] and r[3] and r[5] and r[6] and r[7] for r in rows)


def test_sample_missing_nvml_function_leaves_energy_empty(tmp_path):
    s = Sampler(tmp_path / "gpu.csv", nvml=FAKE_NVML_OLD)
    s.wait_for_lines(4)
    rc, err = s.stop()
    assert rc == 0, err
    rows = check_csv(s.out, s.t_before, s.t_after, gpus=2)
    assert all(r[7] == "" and r[4] for r in rows)


def test_sample_from_nvidia_smi(tmp_path, smi_on_path):
    s = Sampler(tmp_path / "gpu.csv", ["--source", "nvidia-smi"], smi=None, path_smi_dir=smi_on_path,
                FAKE_SMI_NA="power.draw")
    s.wait_for_lines(4)
    rc, err = s.stop()
    assert rc == 0, err
    assert not os.path.exists(s.out + ".partial")
    rows = check_csv(s.out, s.t_before, s.t_after, gpus=2)
    assert all(r[4] == "" and r[7] == "" for r in rows)  # [N/A] power; nvidia-smi has no energy
    assert all(r[2] and r[3] and r[5] and r[6] for r in rows)


def test_sample_nvidia_smi_that_stops_keeps_what_it_read(tmp_path):
    out = str(tmp_path / "gpu.csv")
    res = subprocess.run([TOOL, "sample", "--out", out, "--interval-ms", "20"],
                         env=env(nvml=NOWHERE, smi=FAKE_SMI, FAKE_SMI_SAMPLES=3), capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 1
    assert "stopped while sampling" in res.stderr
    _, lines = read_rows(out)
    assert len(parse(lines)) == 6


def test_sigkill_leaves_whole_lines_in_partial(tmp_path):
    s = Sampler(tmp_path / "gpu.csv")
    s.wait_for_lines(4)
    s.stop(signal.SIGKILL)
    assert not os.path.exists(s.out)
    text, lines = read_rows(s.out + ".partial")
    complete = lines[1:-1]  # the text after the last newline may be a torn line
    assert len(complete) >= 4
    parse([HEADER] + complete)


def test_sample_without_gpu(tmp_path):
    out = str(tmp_path / "gpu.csv")
    res = subprocess.run([TOOL, "sample", "--out", out], env=env(nvml=NOWHERE, smi=NOWHERE), capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 3
    assert res.stderr.startswith("no GPU telemetry:")
    assert os.listdir(str(tmp_path)) == []


def test_sample_into_missing_directory(tmp_path):
    res = subprocess.run([TOOL, "sample", "--out", str(tmp_path / "no" / "gpu.csv")], env=env(),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 1
    assert "cannot create" in res.stderr and "--out" in res.stderr


# ---------------------------------------------------------------------------- usage

def test_help_has_examples():
    res = subprocess.run([TOOL, "--help"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0
    assert "Examples:" in res.stdout and "sample --out" in res.stdout


@pytest.mark.parametrize("args", [[], ["bogus"], ["sample"], ["sample", "--out", "x", "--interval-ms", "0"],
                                  ["info", "--source", "cuda"], ["info", "extra"]])
def test_bad_usage(args):
    res = subprocess.run([TOOL, *args], env=env(), capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert "tandem-gpu-telemetry" in res.stderr
