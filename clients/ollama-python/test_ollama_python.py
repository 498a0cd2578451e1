"""Tests of tandem-ollama-python that need no server: its command line, its description
of itself, the SDK call it makes of a plan's body, and what it refuses.

    TANDEM_BIN=build/bin python3 -m pytest -q clients/ollama-python

Runs against tandem-sim (records, faults, workflows, beside a C variant) are in
tests/integration/test_sdk_clients.py.
"""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tandemkit"))
import launcher_testing  # noqa: E402
from launcher_testing import REPORT  # noqa: E402

LAUNCHER = os.path.join(HERE, "tandem-ollama-python")
needs_report = pytest.mark.skipif(not os.access(REPORT, os.X_OK), reason="needs tandem-report in $TANDEM_BIN")


def client_module():
    return launcher_testing.load_launcher(LAUNCHER, "tandem_ollama_python")


def run_launcher(*args, python=sys.executable):
    return launcher_testing.run_launcher(LAUNCHER, *args, python=python)


def test_help_version_and_usage():
    p = run_launcher("--help")
    assert p.returncode == 0 and "Examples:" in p.stdout and "tandem-ollama-python run --scenario" in p.stdout
    assert "api: openai is refused" in p.stdout and "Exit status" in p.stdout
    p = run_launcher("--version")
    assert p.returncode == 0 and p.stdout.startswith("tandem-ollama-python ")
    assert run_launcher().returncode == 2
    p = run_launcher("frobnicate")
    assert p.returncode == 2 and "unknown command 'frobnicate'" in p.stderr


def test_info_names_the_sdk_and_its_version():
    pytest.importorskip("ollama")
    from importlib.metadata import version
    p = run_launcher("info")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["variant"] == "ollama-python" and d["runtime"]["threads"] == 1
    assert d["runtime"]["sdk"] == {"name": "ollama", "version": version("ollama")}
    assert d["runtime"]["http"]["client"] == "httpx" and d["runtime"]["apis"] == ["generate", "chat"]


def test_a_missing_sdk_is_named_with_the_fix():
    p = subprocess.run([sys.executable, "-S", LAUNCHER, "info"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "the Python package ollama is missing" in p.stderr and "pip install" in p.stderr


def test_the_sdk_call_of_a_plan_body():
    m = client_module()
    chat = b'{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"options":{"num_predict":3},' \
           b'"keep_alive":"5m"}'
    assert m.request_of(chat) == ("chat", json.loads(chat))
    gen = b'{"model":"m","prompt":"p","system":"s","stream":false}'
    assert m.request_of(gen) == ("generate", json.loads(gen))
    with pytest.raises(m.kit.TandemError) as e:
        m.request_of(b'{"model":"m","prompt":"p","stream":true,"stream_options":{}}')
    assert "'stream_options'" in str(e.value) and "tandem-python-httpx" in str(e.value)


def _plan(tmp_path, api):
    scen = tmp_path / "s.yaml"
    scen.write_text("name: s\ndefaults: {url: http://127.0.0.1:9, model: m, api: %s}\n"
                    "agents:\n  - {name: one, prompt: p}\n" % api)
    return scen, subprocess.run([REPORT, "plan", "--scenario-file", str(scen)], capture_output=True, text=True)


@needs_report
def test_an_openai_agent_is_refused_with_the_fix(tmp_path):
    scen, plan = _plan(tmp_path, "openai")
    if plan.returncode != 0:
        pytest.skip("this tandem-report has no api: openai yet: " + plan.stderr.strip())
    p = run_launcher("run", "--scenario-file", str(scen), "--output-dir", str(tmp_path / "out"))
    assert p.returncode == 2, p.stderr
    assert "agent 'one' uses api: openai, which tandem-ollama-python does not speak" in p.stderr
    assert "tandem-openai-python" in p.stderr and not os.path.exists(str(tmp_path / "out"))


@needs_report
def test_plans_of_both_native_apis_pass_its_check(tmp_path):
    m = client_module()
    for api in ("generate", "chat"):
        _, plan = _plan(tmp_path, api)
        assert plan.returncode == 0, plan.stderr
        m.check_plan(json.loads(plan.stdout))
