"""The GPU experiment's pins against the CPU fixture (real Ollama 0.11.4, no GPU): the TR115
matrix must refuse to measure there, naming the missing GPU and where the model sits.

- experiments/tr115.yaml as shipped: refused for the missing GPU and the missing gemma3;
- the same experiment pinned to the fixture's own model (so only the GPU pins can fail):
  refused because the host lists no GPU and Ollama holds the model in system memory
  (/api/ps size_vram 0)."""
import os
import re
import subprocess

from conftest import REPO

TINY_DIGEST = "sha256:2d80c502fb2d140dab1e6510f4468ed3651923b41467955eeb2d2cc57ee322ff"


def sweep_bin():
    return os.path.join(os.environ.get("TANDEM_BIN", os.path.join(REPO, "build", "bin")), "tandem-sweep")


def validate(exp, tmp_path):
    # No nvidia-smi on PATH, as on the fixture's machines; the binaries' own directory only.
    env = dict(os.environ, PATH="/usr/bin:/bin")
    return subprocess.run([sweep_bin(), str(exp), "--validate", "--out", str(tmp_path / "out"),
                           "--bin-dir", os.path.dirname(sweep_bin())],
                          capture_output=True, text=True, timeout=300, env=env)


def tr115_on(ollama, tmp_path, model=None, digest=None):
    text = open(os.path.join(REPO, "experiments", "tr115.yaml")).read()
    text = text.replace("http://127.0.0.1:11434", ollama.url(0)).replace("http://127.0.0.1:11435", ollama.url(1))
    if model:
        text = re.sub(r"(?m)^  model: gemma3:latest$", "  model: %s" % model, text)
        text = re.sub(r"(?m)^  model_digest: .*$", "  model_digest: %s" % digest, text)
    exp = tmp_path / "tr115.yaml"
    exp.write_text(text)
    return exp


def test_tr115_as_shipped_is_refused_on_the_cpu_fixture(ollama, tmp_path):
    res = validate(tr115_on(ollama, tmp_path), tmp_path)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert "this host lists no GPU" in out
    assert "does not have the pinned model gemma3:latest" in out


def test_tr115_pinned_to_the_fixture_model_names_its_place_in_memory(ollama, tmp_path):
    res = validate(tr115_on(ollama, tmp_path, model="tiny", digest=TINY_DIGEST), tmp_path)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert "this host lists no GPU" in out
    for i in range(2):
        assert "%s runs tiny on the CPU (/api/ps size_vram 0 of" % ollama.url(i) in out
    assert "pins.model_digest" not in out and "pins.ollama_version" not in out  # the others hold
