"""Tests of tandem-openai-python that need no server: its command line, its description
of itself, the chat.completions call it makes of a plan's body, and what it refuses.

    TANDEM_BIN=build/bin python3 -m pytest -q clients/openai-python

Runs against tandem-sim's /v1 (records, faults, workflows, beside a C variant) are in
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

LAUNCHER = os.path.join(HERE, "tandem-openai-python")
needs_report = pytest.mark.skipif(not os.access(REPORT, os.X_OK), reason="needs tandem-report in $TANDEM_BIN")


def client_module():
    return launcher_testing.load_launcher(LAUNCHER, "tandem_openai_python")


def run_launcher(*args, python=sys.executable):
    return launcher_testing.run_launcher(LAUNCHER, *args, python=python)


def test_help_version_and_usage():
    p = run_launcher("--help")
    assert p.returncode == 0 and "Examples:" in p.stdout and "tandem-openai-python run --scenario-file" in p.stdout
    assert "api: openai" in p.stdout and "Exit status" in p.stdout
    p = run_launcher("--version")
    assert p.returncode == 0 and p.stdout.startswith("tandem-openai-python ")
    assert run_launcher().returncode == 2


def test_info_names_the_sdk_and_its_version():
    pytest.importorskip("openai")
    from importlib.metadata import version
    p = run_launcher("info")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    rt = d["runtime"]
    assert d["variant"] == "openai-python" and rt["sdk"] == {"name": "openai", "version": version("openai")}
    assert rt["http"]["client"] == "httpx2" and rt["sdk_retries"] == 0 and rt["stream_options"]["include_usage"]


def test_a_missing_sdk_is_named_with_the_fix():
    p = subprocess.run([sys.executable, "-S", LAUNCHER, "info"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "the Python package openai is missing" in p.stderr and "pip install" in p.stderr


def test_the_call_of_a_plan_body():
    m = client_module()
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True,
            "stream_options": {"include_usage": True}, "max_tokens": 5, "temperature": 0.0, "seed": 7}
    assert m.request_of(json.dumps(body).encode()) == body  # the core's api: openai body, as it is
    # a body in Ollama's form is mapped as the core maps an openai agent's
    got = m.request_of(b'{"model":"m","prompt":"p","system":"s","stream":true,'
                       b'"options":{"num_predict":9,"top_p":0.5,"stop":["x"]}}')
    assert got == {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "p"}],
                   "max_tokens": 9, "top_p": 0.5, "stop": ["x"], "model": "m", "stream": True,
                   "stream_options": {"include_usage": True}}
    assert m.request_of(b'{"model":"m","messages":[],"stream":false}') == {"messages": [], "model": "m",
                                                                           "stream": False}
    with pytest.raises(m.kit.TandemError) as e:
        m.request_of(b'{"model":"m","prompt":"p","options":{"num_ctx":4096,"mirostat":1}}')
    assert "options mirostat, num_ctx have no OpenAI equivalent" in str(e.value) and "api: chat" in str(e.value)
    with pytest.raises(m.kit.TandemError) as e:
        m.request_of(b'{"model":"m","prompt":"p","keep_alive":"5m"}')
    assert "'keep_alive'" in str(e.value)


def test_base_url_from_the_plan():
    m = client_module()
    assert m.base_url({"server": "http://h:1", "url": "http://h:1/v1/chat/completions"}) == "http://h:1/v1"
    assert m.base_url({"server": "http://h:1/", "url": "http://h:1/api/chat"}) == "http://h:1/v1"


@needs_report
def test_an_ollama_agent_is_refused_with_the_fix(tmp_path):
    scen = tmp_path / "s.yaml"
    scen.write_text("name: s\ndefaults: {url: http://127.0.0.1:9, model: m, api: chat}\n"
                    "agents:\n  - {name: one, prompt: p}\n")
    p = run_launcher("run", "--scenario-file", str(scen), "--output-dir", str(tmp_path / "out"))
    assert p.returncode == 2, p.stderr
    assert "agent 'one' uses api: chat, which tandem-openai-python does not speak (it speaks api: openai)" in p.stderr
    assert "give the agent api: openai" in p.stderr and not os.path.exists(str(tmp_path / "out"))
