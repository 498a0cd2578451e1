"""scripts/ollama/up.sh's two roles, tried without a GPU: a fake nvidia-smi makes this a
"GPU host" and a fake ollama (tests/gpu/fake-ollama) plays the server, so what is checked is
the script's choices: which Ollama it accepts, what the server process's environment hides,
where the model goes, and that the CPU fixture stays what it was."""
import os
import shutil
import socket
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UP = os.path.join(REPO, "scripts", "ollama", "up.sh")
DOWN = os.path.join(REPO, "scripts", "ollama", "down.sh")
FAKE_OLLAMA = os.path.join(REPO, "tests", "gpu", "fake-ollama")
FAKE_SMI = os.path.join(REPO, "tests", "gpu", "fake-nvidia-smi")
UUID = "GPU-fa4e5111-0000-4000-8000-00000000000%d"  # what the fake nvidia-smi -L names GPU i


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def host(tmp_path):
    """A scratch state folder, two free ports, a PATH with a fake nvidia-smi and no ollama,
    and two fake Ollama installs: one with a CUDA backend beside it, one without."""
    fakebin = tmp_path / "bin"
    fakebin.mkdir()
    smi = fakebin / "nvidia-smi"
    shutil.copy(FAKE_SMI, smi)
    installs = {}
    for kind in ("cuda", "cpu"):
        d = tmp_path / ("ollama-" + kind)
        (d / "bin").mkdir(parents=True)
        shutil.copy(FAKE_OLLAMA, d / "bin" / "ollama")
        if kind == "cuda":
            (d / "lib" / "ollama" / "cuda_v12").mkdir(parents=True)
            (d / "lib" / "ollama" / "cuda_v12" / "libggml-cuda.so").write_bytes(b"")
        installs[kind] = str(d / "bin" / "ollama")
    # Only what up.sh needs from the host: no ollama, no go, no real nvidia-smi.
    path = ":".join([str(fakebin), os.path.dirname(shutil.which("curl")), os.path.dirname(shutil.which("python3")),
                     "/usr/bin", "/bin"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TANDEM_", "CUDA_", "OLLAMA_"))}
    env.update(PATH=path, TANDEM_CACHE=str(tmp_path / "cache"), TANDEM_OLLAMA_STATE=str(tmp_path / "state"),
               TANDEM_OLLAMA_PORTS="%d %d" % (free_port(), free_port()), TANDEM_OLLAMA_TIMEOUT="20",
               TANDEM_NVIDIA_SMI=str(smi), FAKE_SMI_GPUS="1", HOME=str(tmp_path))
    h = type("Host", (), {})()
    h.env, h.installs, h.tmp, h.fakebin = env, installs, tmp_path, fakebin
    h.ports = env["TANDEM_OLLAMA_PORTS"].split()
    yield h
    subprocess.run([DOWN], env=env, capture_output=True, timeout=60)


def up(h, *args, **extra):
    env = dict(h.env, **extra)
    return subprocess.run([UP, *args], env=env, capture_output=True, text=True, timeout=120)


def server_environ(h, port):
    pid = open(os.path.join(h.env["TANDEM_OLLAMA_STATE"], port, "ollama.pid")).read().strip()
    raw = open("/proc/%s/environ" % pid, "rb").read().split(b"\0")
    return dict(kv.decode().split("=", 1) for kv in raw if b"=" in kv)


def test_gpu_host_refuses_a_cpu_only_ollama_naming_the_fix(host):
    p = up(host, TANDEM_OLLAMA_BIN=host.installs["cpu"])
    assert p.returncode != 0
    assert "CPU-only Ollama" in p.stderr
    assert "build.sh --cuda" in p.stderr and "nix develop .#gpu" in p.stderr and "--cpu" in p.stderr
    assert not os.path.exists(os.path.join(host.env["TANDEM_OLLAMA_STATE"], host.ports[0], "ollama.pid"))


def test_gpu_host_refuses_a_server_whose_log_says_cpu(host):
    p = up(host, TANDEM_OLLAMA_BIN=host.installs["cuda"], FAKE_OLLAMA_LIBRARY="cpu", TANDEM_OLLAMA_MODEL="m")
    assert p.returncode != 0
    assert "runs on the CPU on this GPU host" in p.stderr
    for port in host.ports:  # the servers it started are stopped again
        assert not os.path.exists(os.path.join(host.env["TANDEM_OLLAMA_STATE"], port, "ollama.pid"))


def test_gpu_host_starts_servers_without_hiding_devices_and_logs_vram(host):
    p = up(host, TANDEM_OLLAMA_BIN=host.installs["cuda"], TANDEM_OLLAMA_MODEL="m", FAKE_OLLAMA_VRAM_PCT="100")
    assert p.returncode == 0, p.stderr
    for port in host.ports:
        env = server_environ(host, port)
        # one GPU: nothing set, nothing emptied
        assert env.get("CUDA_VISIBLE_DEVICES", "unset") == "unset"
        assert env.get("HIP_VISIBLE_DEVICES", "unset") == "unset"
        # both servers share one models folder: the model is fetched once
        assert env["OLLAMA_MODELS"].endswith("gpu-models")
        assert "127.0.0.1:%s: m 100%% in VRAM" % port in p.stderr
    assert p.stderr.count("ollama pull m") == 1
    assert "uses: library=cuda" in p.stderr


def test_gpu_host_warns_when_the_model_is_partly_on_the_cpu(host):
    p = up(host, TANDEM_OLLAMA_BIN=host.installs["cuda"], TANDEM_OLLAMA_MODEL="m", FAKE_OLLAMA_VRAM_PCT="60")
    assert p.returncode == 0, p.stderr
    assert "only 60.0% in VRAM" in p.stderr


def test_gpu_host_imports_a_local_gguf_instead_of_pulling(host):
    gguf = host.tmp / "model.gguf"
    gguf.write_bytes(b"GGUF")
    p = up(host, TANDEM_OLLAMA_BIN=host.installs["cuda"], TANDEM_OLLAMA_MODEL="rand1b",
           TANDEM_OLLAMA_MODEL_FILE=str(gguf))
    assert p.returncode == 0, p.stderr
    assert "ollama create rand1b from %s" % gguf in p.stderr
    assert "ollama pull" not in p.stderr.replace("set TANDEM_OLLAMA_MODEL_FILE", "")


def test_an_ollama_on_path_is_used_on_the_gpu_host(host):
    shutil.copy(host.installs["cuda"], host.fakebin / "ollama")
    lib = host.tmp / "lib" / "ollama"  # <dir of ollama>/../lib/ollama
    lib.mkdir(parents=True)
    (lib / "libggml-cuda.so").write_bytes(b"")
    p = up(host, TANDEM_OLLAMA_MODEL="m")
    assert p.returncode == 0, p.stderr
    assert "(from PATH)" in p.stderr


def test_per_gpu_layout_gives_each_server_its_own_gpu(host):
    p = up(host, "--layout", "per-gpu", TANDEM_OLLAMA_BIN=host.installs["cuda"], TANDEM_OLLAMA_MODEL="m",
           FAKE_SMI_GPUS="2")
    assert p.returncode == 0, p.stderr
    devs = [server_environ(host, port)["CUDA_VISIBLE_DEVICES"] for port in host.ports]
    assert devs == [UUID % 0, UUID % 1]


def test_shared_layout_on_two_gpus_puts_both_servers_on_the_first(host):
    p = up(host, TANDEM_OLLAMA_BIN=host.installs["cuda"], TANDEM_OLLAMA_MODEL="m", FAKE_SMI_GPUS="2")
    assert p.returncode == 0, p.stderr
    devs = {server_environ(host, port)["CUDA_VISIBLE_DEVICES"] for port in host.ports}
    assert devs == {UUID % 0}


def test_per_gpu_layout_needs_a_gpu_per_server(host):
    p = up(host, "--layout", "per-gpu", TANDEM_OLLAMA_BIN=host.installs["cuda"], FAKE_SMI_GPUS="1")
    assert p.returncode != 0
    assert "--layout shared" in p.stderr


def test_cpu_flag_on_a_gpu_host_is_todays_fixture(host):
    gguf = host.tmp / "tiny.gguf"
    gguf.write_bytes(b"GGUF")
    p = up(host, "--cpu", TANDEM_OLLAMA_BIN=host.installs["cpu"], TANDEM_OLLAMA_MODEL_FILE=str(gguf))
    assert p.returncode == 0, p.stderr
    for port in host.ports:
        env = server_environ(host, port)
        assert env["CUDA_VISIBLE_DEVICES"] == "" and env["HIP_VISIBLE_DEVICES"] == ""
        assert env["OLLAMA_MODELS"] == os.path.join(host.env["TANDEM_OLLAMA_STATE"], port, "models")
    # a second call in the other role does not silently reuse the fixture
    p2 = up(host, TANDEM_OLLAMA_BIN=host.installs["cuda"], TANDEM_OLLAMA_MODEL="m")
    assert p2.returncode != 0
    assert "runs as the cpu-fixture" in p2.stderr and "ollama-down" in p2.stderr


def test_without_a_gpu_the_fixture_hides_devices(host):
    os.remove(host.fakebin / "nvidia-smi")
    gguf = host.tmp / "tiny.gguf"
    gguf.write_bytes(b"GGUF")
    p = up(host, TANDEM_OLLAMA_BIN=host.installs["cpu"], TANDEM_OLLAMA_MODEL_FILE=str(gguf))
    assert p.returncode == 0, p.stderr
    assert "GPU host" not in p.stderr
    assert server_environ(host, host.ports[0])["CUDA_VISIBLE_DEVICES"] == ""
