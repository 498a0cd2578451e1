"""scripts/ollama/build-cuda.sh without a GPU or a CUDA toolkit.

The script's refusals (no nvcc, no architecture, too-old CMake, CUDA 13 on a pre-Turing GPU,
a module zip of another version, libraries of another version in the install dir) and the
build it would run (--dry-run: the cmake command lines and the install dir) are checked with
fake nvidia-smi, nvcc and cmake commands on PATH and a minimal module tree, so nothing is
compiled and nothing is downloaded.
"""
import os
import pathlib
import stat
import subprocess
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ollama" / "build-cuda.sh"
BUILD = ROOT / "scripts" / "ollama" / "build.sh"
MODULE = "github.com/ollama/ollama"


def write_exe(path, body):
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def path_without(names, shadow):
    """PATH with every directory that holds one of NAMES replaced by a copy of links that lacks them."""
    dirs = []
    for i, d in enumerate(os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)):
        if not d or not os.path.isdir(d):
            continue
        if not any(os.path.exists(os.path.join(d, n)) for n in names):
            dirs.append(d)
            continue
        copy = shadow / str(i)
        copy.mkdir(parents=True)
        for entry in os.listdir(d):
            if entry not in names:
                (copy / entry).symlink_to(os.path.join(d, entry))
        dirs.append(str(copy))
    return os.pathsep.join(dirs)


def make_module(base, runner_dir=False, cmake_min="3.21", cuda13_preset=False):
    """The parts of an Ollama module tree that build-cuda.sh reads."""
    (base / "ml/backend/ggml/ggml/src/ggml-cuda").mkdir(parents=True)
    lists = f"cmake_minimum_required(VERSION {cmake_min})\nproject(Ollama C CXX)\n"
    if runner_dir:
        lists += "set(OLLAMA_INSTALL_DIR ${CMAKE_INSTALL_PREFIX}/lib/ollama/${OLLAMA_RUNNER_DIR})\n"
    (base / "CMakeLists.txt").write_text(lists)
    presets = '{"configurePresets": [{"name": "CUDA 12"}' + (', {"name": "CUDA 13"}' if cuda13_preset else "") + "]}\n"
    (base / "CMakePresets.json").write_text(presets)
    return base


@pytest.fixture
def env(tmp_path):
    """An environment with no nvcc, nvidia-smi or cmake anywhere the script looks."""
    fakes = tmp_path / "fakebin"
    fakes.mkdir()
    e = {k: v for k, v in os.environ.items()
         if k not in ("CUDACXX", "CUDAHOSTCXX", "TANDEM_CUDA_ARCH", "TANDEM_OLLAMA_VERSION")}
    e["PATH"] = str(fakes) + os.pathsep + path_without({"nvcc", "nvidia-smi", "cmake"}, tmp_path / "shadow")
    e["CUDA_HOME"] = str(tmp_path / "no-cuda")
    e["TANDEM_CACHE"] = str(tmp_path / "cache")
    e["FAKES"] = str(fakes)
    return e


def fake_smi(env, caps):
    write_exe(pathlib.Path(env["FAKES"]) / "nvidia-smi",
              'case "$*" in *compute_cap*) printf "%s\\n" ' + " ".join(f'"{c}"' for c in caps) + ' ;; '
              '*) echo "GPU 0: NVIDIA H100 (UUID: GPU-0)" ;; esac\n')


def fake_nvcc(env, release):
    write_exe(pathlib.Path(env["FAKES"]) / "nvcc",
              f'echo "Cuda compilation tools, release {release}, V{release}.0"\n')


def fake_cmake(env, version):
    write_exe(pathlib.Path(env["FAKES"]) / "cmake", f'echo "cmake version {version}"\n')


def run(env, *args, script=SCRIPT):
    return subprocess.run(["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=60)


def test_refuses_without_nvcc_and_names_the_fix(env, tmp_path):
    env["TANDEM_CUDA_ARCH"] = "90"
    r = run(env, "--src", str(make_module(tmp_path / "mod")), "--ollama", str(tmp_path / "bin" / "ollama"))
    assert r.returncode != 0
    assert "nvcc not found" in r.stderr and "CUDA toolkit" in r.stderr
    assert "CUDACXX" in r.stderr and "nix develop .#gpu" in r.stderr
    assert r.stdout == ""


def test_refuses_without_nvidia_smi_or_arch(env, tmp_path):
    r = run(env, "--src", str(make_module(tmp_path / "mod")))
    assert r.returncode != 0
    assert "no nvidia-smi" in r.stderr and "TANDEM_CUDA_ARCH" in r.stderr


def test_dry_run_derives_arch_from_nvidia_smi(env, tmp_path):
    fake_smi(env, ["9.0"])
    (tmp_path / "bin").mkdir()
    r = run(env, "--dry-run", "--src", str(make_module(tmp_path / "mod")), "--ollama", str(tmp_path / "bin" / "ollama"))
    assert r.returncode == 0, r.stderr
    assert "-DCMAKE_CUDA_ARCHITECTURES=90" in r.stdout
    assert f"-DCMAKE_INSTALL_PREFIX={tmp_path} " in r.stdout
    assert "--target ggml-cuda" in r.stdout
    assert "--component CUDA" in r.stdout and "libggml-base.so" in r.stdout
    assert "from nvidia-smi" in r.stderr
    assert r.stdout.strip().splitlines()[-1] == str(tmp_path / "lib" / "ollama")


SHARED_FAKE_SMI = ROOT / "tests" / "gpu" / "fake-nvidia-smi"


@pytest.mark.skipif(not SHARED_FAKE_SMI.exists(), reason="tests/gpu/fake-nvidia-smi is not in this tree")
def test_arch_from_the_shared_fake_nvidia_smi(env, tmp_path):
    (pathlib.Path(env["FAKES"]) / "nvidia-smi").symlink_to(SHARED_FAKE_SMI)
    env["FAKE_SMI_CC"] = "8.0"
    r = run(env, "--dry-run", "--src", str(make_module(tmp_path / "mod")), "--prefix", str(tmp_path / "p"))
    assert r.returncode == 0, r.stderr
    assert "-DCMAKE_CUDA_ARCHITECTURES=80 " in r.stdout + " "


def test_symlinked_ollama_installs_beside_its_target(env, tmp_path):
    env["TANDEM_CUDA_ARCH"] = "90"
    real = tmp_path / "opt" / "bin"
    real.mkdir(parents=True)
    write_exe(real / "ollama", "echo 'client version is 0.11.4'\n")
    (tmp_path / "ollama").symlink_to(real / "ollama")
    r = run(env, "--dry-run", "--src", str(make_module(tmp_path / "mod")), "--ollama", str(tmp_path / "ollama"), "v0.11.4")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == str(tmp_path / "opt" / "lib" / "ollama")


def test_binary_of_another_version_is_refused(env, tmp_path):
    env["TANDEM_CUDA_ARCH"] = "90"
    (tmp_path / "bin").mkdir()
    write_exe(tmp_path / "bin" / "ollama", "echo 'Warning: client version is 0.12.3'\n")
    r = run(env, "--dry-run", "--src", str(make_module(tmp_path / "mod")), "--ollama", str(tmp_path / "bin" / "ollama"), "v0.11.4")
    assert r.returncode != 0 and "is Ollama 0.12.3 but this backend is v0.11.4" in r.stderr


def test_several_gpus_of_one_kind_build_one_arch(env, tmp_path):
    fake_smi(env, ["8.9", "8.9"])
    r = run(env, "--dry-run", "--src", str(make_module(tmp_path / "mod")), "--prefix", str(tmp_path / "p"))
    assert r.returncode == 0, r.stderr
    assert "-DCMAKE_CUDA_ARCHITECTURES=89 " in r.stdout + " "
    assert r.stdout.strip().splitlines()[-1] == str(tmp_path / "p" / "lib" / "ollama")


@pytest.mark.parametrize("given,want", [("9.0", "90"), ("sm_120", "120"), ("90a", "90a"), ("80", "80")])
def test_arch_override_forms(env, tmp_path, given, want):
    fake_smi(env, ["7.5"])   # overridden
    env["TANDEM_CUDA_ARCH"] = given
    r = run(env, "--dry-run", "--src", str(make_module(tmp_path / "mod")), "--prefix", str(tmp_path / "p"))
    assert r.returncode == 0, r.stderr
    assert f"-DCMAKE_CUDA_ARCHITECTURES={want} " in r.stdout + " "


def test_bad_arch_is_refused(env, tmp_path):
    env["TANDEM_CUDA_ARCH"] = "hopper"
    r = run(env, "--dry-run", "--src", str(make_module(tmp_path / "mod")))
    assert r.returncode != 0 and "not of the form" in r.stderr


def test_cuda13_on_a_0_12_tree_goes_to_cuda_v13(env, tmp_path):
    fake_smi(env, ["9.0"])
    fake_nvcc(env, "13.0")
    src = make_module(tmp_path / "mod", runner_dir=True, cuda13_preset=True)
    r = run(env, "--dry-run", "--src", str(src), "--prefix", str(tmp_path / "p"), "v0.12.0")
    assert r.returncode == 0, r.stderr
    assert "-DOLLAMA_RUNNER_DIR=cuda_v13" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == str(tmp_path / "p" / "lib" / "ollama" / "cuda_v13")


def test_cuda13_refuses_pre_turing_gpu(env, tmp_path):
    fake_smi(env, ["7.0"])
    fake_nvcc(env, "13.0")
    r = run(env, "--dry-run", "--src", str(make_module(tmp_path / "mod")))
    assert r.returncode != 0
    assert "sm_70" in r.stderr and "CUDA 12" in r.stderr


def test_host_compiler_unsupported_by_nvcc_is_named(env, tmp_path):
    env["TANDEM_CUDA_ARCH"] = "90"
    fake_cmake(env, "3.25.1")
    write_exe(pathlib.Path(env["FAKES"]) / "nvcc",
              'case "$*" in *--version*) echo "Cuda compilation tools, release 12.4, V12.4.131"; exit 0 ;; esac\n'
              'echo "crt/host_config.h:143:2: error: #error -- unsupported GNU version! gcc versions later than 13'
              ' are not supported!" >&2\nexit 1\n')
    r = run(env, "--src", str(make_module(tmp_path / "mod")), "--prefix", str(tmp_path / "p"))
    assert r.returncode != 0
    assert "does not support the host compiler" in r.stderr and "CUDAHOSTCXX" in r.stderr
    assert "unsupported GNU version" in r.stderr
    assert not (tmp_path / "p" / "lib").exists()


def test_refuses_without_cmake(env, tmp_path):
    env["TANDEM_CUDA_ARCH"] = "90"
    fake_nvcc(env, "12.8")
    r = run(env, "--src", str(make_module(tmp_path / "mod")), "--prefix", str(tmp_path / "p"))
    assert r.returncode != 0
    assert "cmake not found" in r.stderr and "3.21" in r.stderr


def test_too_old_cmake_is_refused(env, tmp_path):
    env["TANDEM_CUDA_ARCH"] = "90"
    fake_cmake(env, "3.18.4")
    r = run(env, "--dry-run", "--src", str(make_module(tmp_path / "mod", cmake_min="3.21")))
    assert r.returncode != 0
    assert "cmake 3.18.4 is older than the 3.21" in r.stderr


def test_module_zip_of_another_version_is_refused(env, tmp_path):
    env["TANDEM_CUDA_ARCH"] = "90"
    z = tmp_path / "v0.12.0.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr(f"{MODULE}@v0.12.0/CMakeLists.txt", "cmake_minimum_required(VERSION 3.21)\n")
    r = run(env, "--dry-run", "--src", str(z), "v0.11.4")
    assert r.returncode != 0
    assert "holds github.com/ollama/ollama@v0.12.0 but version v0.11.4" in r.stderr


def test_module_zip_names_the_version_when_none_is_given(env, tmp_path):
    env["TANDEM_CUDA_ARCH"] = "90"
    z = tmp_path / "v0.12.0.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr(f"{MODULE}@v0.12.0/CMakeLists.txt", "cmake_minimum_required(VERSION 3.21)\n")
    r = run(env, "--dry-run", "--src", str(z), "--prefix", str(tmp_path / "p"))
    assert r.returncode == 0, r.stderr
    assert "v0.12.0" in r.stdout and "unzip" in r.stdout


def test_libraries_of_another_version_are_not_overwritten(env, tmp_path):
    env["TANDEM_CUDA_ARCH"] = "90"
    lib = tmp_path / "p" / "lib" / "ollama"
    lib.mkdir(parents=True)
    (lib / ".ggml-version").write_text("v0.10.0\n")
    r = run(env, "--dry-run", "--src", str(make_module(tmp_path / "mod")), "--prefix", str(tmp_path / "p"), "v0.11.4")
    assert r.returncode != 0 and "holds the ggml libraries of Ollama v0.10.0" in r.stderr
    r = run(env, "--dry-run", "--force", "--src", str(make_module(tmp_path / "mod2")), "--prefix", str(tmp_path / "p"), "v0.11.4")
    assert r.returncode == 0, r.stderr


def test_build_sh_dispatches_cuda(env, tmp_path):
    fake_smi(env, ["9.0"])
    r = run(env, "--cuda", "--dry-run", "--src", str(make_module(tmp_path / "mod")), "--prefix", str(tmp_path / "p"),
            script=BUILD)
    assert r.returncode == 0, r.stderr
    assert "-DCMAKE_CUDA_ARCHITECTURES=90" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == str(tmp_path / "p" / "lib" / "ollama")
