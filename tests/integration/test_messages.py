"""Messages that say what is wrong and exit statuses that mean what README's table says,
for every built variant (python-httpx included, its flags come from the same core):
user info in a URL is named as unsupported, an out-of-range number is "out of range (from
A to B)" with plain integers, --scenario NAME that names nothing is a bad flag value (2),
a non-Ollama server's HTML error page is quoted on one short line, a garbage status line
is "malformed status line ... is this an Ollama server?" on every HTTP client, and a run
whose every call fails exits 3 with its records kept."""

import json
import os
import socket
import subprocess
import threading

import pytest

from engine import bindir, run_variant, scenario_yaml, variants


def run(variant, *args, timeout=60):
    cmd = [os.path.join(bindir(), "tandem-" + variant), "run"] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def yaml_file(tmp_path, text):
    p = os.path.join(str(tmp_path), "s.yaml")
    with open(p, "w") as f:
        f.write(text)
    return p


@pytest.mark.parametrize("variant", variants())
def test_user_info_in_a_url_is_named(variant, tmp_path):
    scen = yaml_file(tmp_path, scenario_yaml(["http://user:pw@127.0.0.1:11434"], steps=1))
    p = run(variant, "--scenario-file", scen, "--output-dir", str(tmp_path / "out"))
    assert p.returncode == 1, p.stderr
    assert "user info" in p.stderr and "not supported" in p.stderr and "needs a port" not in p.stderr
    assert "pw@" not in p.stderr  # a password is never echoed


@pytest.mark.parametrize("variant", variants())
@pytest.mark.parametrize("args,msg", [
    (["--runs", "100000"], "--runs: '100000' is out of range (from 1 to 10000)"),
    (["--runs", "1.5"], "--runs: '1.5' is not a whole number; give an integer from 1 to 10000"),
    (["--runs", "x"], "--runs: 'x' is not a number; give an integer from 1 to 10000"),
    (["--num-predict", "2000000000"], "--num-predict: '2000000000' is out of range (from -2 to 1000000000)"),
    (["--read-buf", "99999999"], "--read-buf: '99999999' is out of range (from 1 to 16777216)"),
    (["--scenario", "nope"], "scenario 'nope' is not a built-in one"),
])
def test_bad_flag_values_exit_2_with_plain_numbers(variant, args, msg):
    p = run(variant, *args)
    assert p.returncode == 2, p.stderr
    assert msg in p.stderr
    assert "e+0" not in p.stderr


def test_an_out_of_range_option_in_a_file_names_its_range(tmp_path):
    variant = variants()[0]
    scen = yaml_file(tmp_path, scenario_yaml(["http://127.0.0.1:11434"], steps=1).replace(
        "options: {", "options: {num_ctx: 0, "))
    p = run(variant, "--scenario-file", scen, "--output-dir", str(tmp_path / "out"))
    assert p.returncode == 1, p.stderr
    assert "num_ctx: 0 is out of range (from 1 to 9007199254740992)" in p.stderr


@pytest.mark.parametrize("variant", variants())
def test_help_lists_every_exit_status(variant):
    p = subprocess.run([os.path.join(bindir(), "tandem-" + variant), "run", "--help"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0
    for code in ("0 ", "1 ", "2 ", "3 ", "130 "):
        assert "\n  " + code in p.stdout, code
    assert "--force" in p.stdout


class OneShotServer:
    """A TCP server that answers every request with the same bytes and closes."""

    def __init__(self, reply):
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                c.settimeout(5)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = c.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    head, _, rest = data.partition(b"\r\n\r\n")
                    n = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            n = int(line.split(b":")[1])
                    while len(rest) < n:
                        chunk = c.recv(65536)
                        if not chunk:
                            break
                        rest += chunk
                    c.sendall(self.reply)
                    c.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

    def close(self):
        self.stop = True
        self.sock.close()

    def url(self):
        return "http://127.0.0.1:%d" % self.port


HTML = ("<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n" +
        "<p>The proxy could not reach the upstream server.</p>\n" * 200 + "</body>\n</html>\n").encode()


@pytest.fixture(scope="module")
def html_server():
    s = OneShotServer(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
                      b"Connection: close\r\n\r\n%s" % (len(HTML), HTML))
    yield s
    s.close()


@pytest.fixture(scope="module")
def garbage_server():
    s = OneShotServer(b"SSH-2.0-OpenSSH_9.2\r\nProtocol mismatch.\r\n\r\n")
    yield s
    s.close()


@pytest.mark.parametrize("variant", variants())
def test_an_html_error_page_is_quoted_short_on_one_line(html_server, variant, tmp_path):
    scen = yaml_file(tmp_path, scenario_yaml([html_server.url()], steps=2, warmup=False))
    p = run(variant, "--scenario-file", scen, "--output-dir", str(tmp_path / "out"), "--no-preflight")
    # every call failed, records were written: 3, as README's table says
    assert p.returncode == 3, p.stderr
    assert "The proxy could not reach" in p.stderr
    assert all(len(line) < 400 for line in p.stderr.splitlines()), p.stderr
    assert len(p.stderr) < 4000, p.stderr
    res = run_variant(variant, scenario_yaml([html_server.url()], steps=2, warmup=False), tmp_path,
                      args=["--no-preflight"])
    assert res.returncode == 3, res.stderr
    first = res.calls()[0]
    msg = first["error"]["message"]
    assert first["error"]["kind"] == "http_status" and msg.startswith("HTTP 502: ")
    assert "\n" not in msg and len(msg.encode()) <= len("HTTP 502: ") + 200 + 3 and msg.endswith("...")
    assert all(not c["ok"] for c in res.calls())


@pytest.mark.parametrize("variant", variants())
def test_a_garbage_status_line_is_named(garbage_server, variant, tmp_path):
    res = run_variant(variant, scenario_yaml([garbage_server.url()], steps=1, warmup=False), tmp_path,
                      args=["--no-preflight"])
    assert res.returncode == 3, res.stderr
    msg = res.calls()[0]["error"]["message"]
    assert "Unsupported protocol" not in msg.split("libcurl:")[0], msg
    if variant != "python-httpx":  # httpx words it its own way (its own HTTP client)
        assert "malformed" in msg and "status line" in msg and "is this an Ollama server?" in msg, msg
    with open(os.path.join(res.outdir, "summary.json")) as f:
        assert json.load(f)["failed_calls"] >= 1
