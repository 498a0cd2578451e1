"""Integration tests of tandem-sim against the real running binary.

Endpoint shapes, chunked streaming with one NDJSON line per chunk, "stream": false,
error shapes, keep-alive and pipelining, the contention model across ports and devices,
the emission log against client arrival times, and every fault mode's observable
behaviour. Timing assertions are ratios with wide margins, never tight absolute times.
"""

import hashlib
import http.client
import json
import os
import socket
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simproc import start_sim  # noqa: E402

# ---------------------------------------------------------------- helpers


class Raw:
    """A response read off a raw socket, keeping the chunk boundaries http.client hides."""

    def __init__(self):
        self.status = None
        self.headers = {}
        self.chunks = []        # each chunk's data, in order (chunked responses)
        self.chunk_times = []   # time.monotonic_ns() when each chunk was complete
        self.body = b""
        self.complete = False   # terminating chunk / full Content-Length seen
        self.t_headers = None

    def lines(self):
        return [json.loads(l) for l in self.body.split(b"\n") if l.strip()]


def _readline(f):
    line = f.readline(65536)
    if not line:
        raise EOFError("connection closed")
    return line


def read_response(f, head_only=False):
    """Reads one response from the socket file f."""
    r = Raw()
    status = _readline(f)
    r.t_headers = time.monotonic_ns()
    r.status = int(status.split()[1])
    while True:
        line = _readline(f)
        if line in (b"\r\n", b"\n"):
            break
        k, v = line.decode().split(":", 1)
        r.headers[k.strip().lower()] = v.strip()
    if head_only or r.status == 100:
        r.complete = True
        return r
    try:
        if r.headers.get("transfer-encoding") == "chunked":
            while True:
                size = int(_readline(f).strip(), 16)
                if size == 0:
                    _readline(f)
                    r.complete = True
                    break
                data = f.read(size)
                if len(data) < size:
                    raise EOFError("short chunk")
                assert f.read(2) == b"\r\n"
                r.chunk_times.append(time.monotonic_ns())
                r.chunks.append(data)
                r.body += data
        elif "content-length" in r.headers:
            n = int(r.headers["content-length"])
            r.body = f.read(n)
            r.complete = len(r.body) == n
        else:
            r.body = f.read()
            r.complete = True
    except (EOFError, ConnectionError, socket.timeout):
        pass
    return r


def raw_request(port, method, path, body=None, headers=None, timeout=15.0, version="1.1",
                sock=None):
    """Sends one request on a new (or the given) socket and reads the response."""
    own = sock is None
    if own:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else (body or b"")
    if isinstance(data, str):
        data = data.encode()
    h = {"Host": "127.0.0.1:%d" % port}
    if data or method == "POST":
        h["Content-Type"] = "application/json"
        h["Content-Length"] = str(len(data))
    h.update(headers or {})
    req = "%s %s HTTP/%s\r\n" % (method, path, version)
    req += "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
    t0 = time.monotonic_ns()
    sock.sendall(req.encode() + data)
    f = sock.makefile("rb")
    try:
        r = read_response(f, head_only=(method == "HEAD"))
    finally:
        f.close()
        if own:
            sock.close()
    r.t0 = t0
    return r


def post(port, path, body, timeout=30.0):
    """POST with http.client; returns (status, headers, body bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        resp = c.getresponse()
        return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), resp.read()
    finally:
        c.close()


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        resp = c.getresponse()
        return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), resp.read()
    finally:
        c.close()


def gen_body(n=5, prompt="Why is the sky blue?", **kw):
    b = {"model": "gemma3", "prompt": prompt, "options": {"num_predict": n}}
    b.update(kw)
    return b


def chat_body(n=5, **kw):
    b = {"model": "gemma3:latest", "messages": [{"role": "user", "content": "Hello there"}],
         "options": {"num_predict": n}}
    b.update(kw)
    return b


def ordered_keys(line_bytes):
    return [k for k, _ in json.loads(line_bytes, object_pairs_hook=lambda kv: kv)]


@pytest.fixture(scope="module")
def sim():
    s = start_sim(["--decode-tps", "400", "--prefill-tps", "20000"])
    yield s
    assert s.stop() == 0
    s.cleanup()


# ---------------------------------------------------------------- endpoints


def test_root_get_and_head(sim):
    r = raw_request(sim.ports[0], "GET", "/")
    assert r.status == 200 and r.body == b"Ollama is running"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    h = raw_request(sim.ports[0], "HEAD", "/")
    assert h.status == 200 and h.headers["content-length"] == "17"


def test_version(sim):
    status, headers, body = get(sim.ports[0], "/api/version")
    assert status == 200
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(body) == {"version": "0.11.4"}
    with start_sim(["--version-string", "0.12.3"]) as other:
        assert json.loads(get(other.ports[0], "/api/version")[2]) == {"version": "0.12.3"}


def test_tags_shape(sim):
    status, _, body = get(sim.ports[0], "/api/tags")
    assert status == 200
    models = json.loads(body)["models"]
    assert [m["name"] for m in models] == ["gemma3:latest", "tiny:latest"]
    for m in models:
        assert list(m.keys()) == ["name", "model", "modified_at", "size", "digest", "details"]
        assert m["model"] == m["name"]
        assert m["digest"] == hashlib.sha256(m["name"].encode()).hexdigest()
        assert isinstance(m["size"], int) and m["size"] > 0
        assert list(m["details"].keys()) == ["parent_model", "format", "family", "families",
                                             "parameter_size", "quantization_level"]
    with start_sim(["--model", "llama3.2", "--model", "qwen2.5:7b"]) as other:
        names = [m["name"] for m in json.loads(get(other.ports[0], "/api/tags")[2])["models"]]
        assert names == ["llama3.2:latest", "qwen2.5:7b"]


def test_show(sim):
    status, _, body = post(sim.ports[0], "/api/show", {"model": "gemma3"})
    assert status == 200
    j = json.loads(body)
    assert j["details"]["family"] == "gemma3"
    assert "template" in j and "model_info" in j and "capabilities" in j
    status, _, body = post(sim.ports[0], "/api/show", {"model": "nope"})
    assert status == 404 and json.loads(body) == {"error": "model 'nope' not found"}
    status, _, body = post(sim.ports[0], "/api/show", {})
    assert status == 400 and json.loads(body) == {"error": "model is required"}


def test_ps_lists_loaded_models():
    with start_sim(["--decode-tps", "1000"]) as s:
        assert json.loads(get(s.ports[0], "/api/ps")[2]) == {"models": []}
        post(s.ports[0], "/api/generate", gen_body(2, stream=False))
        ps = json.loads(get(s.ports[0], "/api/ps")[2])["models"]
        assert [m["name"] for m in ps] == ["gemma3:latest"]
        m = ps[0]
        assert m["size_vram"] == m["size"] > 0
        assert m["expires_at"].endswith("Z") and "T" in m["expires_at"]
        # keep_alive 0 with an empty prompt unloads it.
        status, headers, body = post(s.ports[0], "/api/generate", {"model": "gemma3", "keep_alive": 0})
        assert status == 200 and json.loads(body)["done_reason"] == "unload"
        assert json.loads(get(s.ports[0], "/api/ps")[2]) == {"models": []}


# ---------------------------------------------------------------- streaming


def test_generate_stream_one_line_per_chunk(sim):
    r = raw_request(sim.ports[0], "POST", "/api/generate", gen_body(8))
    assert r.status == 200 and r.complete
    assert r.headers["content-type"] == "application/x-ndjson"
    assert r.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in r.headers
    assert len(r.chunks) == 9                       # 8 tokens + the final line
    for c in r.chunks:
        assert c.endswith(b"\n") and c.count(b"\n") == 1
        json.loads(c)
    tokens = [json.loads(c) for c in r.chunks[:-1]]
    for t in tokens:
        assert list(t.keys()) == ["model", "created_at", "response", "done"]
        assert t["model"] == "gemma3" and t["done"] is False and t["response"]
    assert not tokens[0]["response"].startswith(" ")
    assert all(t["response"].startswith(" ") for t in tokens[1:])


def test_generate_final_line(sim):
    r = raw_request(sim.ports[0], "POST", "/api/generate", gen_body(6))
    final = r.chunks[-1]
    keys = ordered_keys(final)
    # The real 0.11.4 server's order (tests/e2e/captures/generate-stream.txt); a warm
    # model still reports load_duration: Ollama's scheduling time, --sched-ms (1 ms).
    assert keys == ["model", "created_at", "response", "done", "done_reason", "context",
                    "total_duration", "load_duration", "prompt_eval_count",
                    "prompt_eval_duration", "eval_count", "eval_duration"]
    f = json.loads(final)
    assert abs(f["load_duration"] - 1_000_000) < 50_000
    assert f["done"] is True and f["response"] == "" and f["done_reason"] == "length"
    assert f["eval_count"] == 6
    assert f["prompt_eval_count"] == 6              # "Why is the sky blue?"
    assert all(isinstance(x, int) for x in f["context"]) and len(f["context"]) == 6 + 6
    assert f["total_duration"] >= f["load_duration"] + f["prompt_eval_duration"] + f["eval_duration"]
    # 6 tokens at 400/s: eval_duration is 15 ms (exact in the model).
    assert abs(f["eval_duration"] - 15_000_000) < 50_000
    assert abs(f["prompt_eval_duration"] - 6 * 1e9 / 20000) < 50_000
    # Without num_predict the length is drawn and done_reason is "stop".
    body = {"model": "gemma3", "prompt": "hi"}
    r = raw_request(sim.ports[0], "POST", "/api/generate", body)
    f = json.loads(r.chunks[-1])
    assert f["done_reason"] == "stop" and f["eval_count"] == len(r.chunks) - 1 >= 1


def test_chat_stream(sim):
    r = raw_request(sim.ports[0], "POST", "/api/chat", chat_body(4))
    assert r.status == 200 and len(r.chunks) == 5
    for c in r.chunks[:-1]:
        j = json.loads(c)
        assert ordered_keys(c) == ["model", "created_at", "message", "done"]
        assert j["message"]["role"] == "assistant" and j["message"]["content"]
        assert j["model"] == "gemma3:latest"
    f = json.loads(r.chunks[-1])
    # Chat puts done_reason BEFORE done (api.ChatResponse; captures/chat-stream.txt).
    assert ordered_keys(r.chunks[-1])[:5] == ["model", "created_at", "message", "done_reason", "done"]
    assert f["message"] == {"role": "assistant", "content": ""}
    assert "context" not in f
    assert f["eval_count"] == 4 and f["prompt_eval_count"] == 4 + 4  # template + "Hello there"


def test_stream_false(sim):
    status, headers, body = post(sim.ports[0], "/api/generate", gen_body(7, stream=False))
    assert status == 200
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert "content-length" in headers
    j = json.loads(body)
    assert j["done"] is True and j["eval_count"] == 7 and j["done_reason"] == "length"
    assert len(j["response"].split()) == 7
    # Same seed, same prompt, same options.seed: the same text as the streamed tokens.
    b = gen_body(7, options={"num_predict": 7, "seed": 3})
    r = raw_request(sim.ports[0], "POST", "/api/generate", b)
    streamed = "".join(json.loads(c)["response"] for c in r.chunks[:-1])
    b["stream"] = False
    assert json.loads(post(sim.ports[0], "/api/generate", b)[2])["response"] == streamed
    status, headers, body = post(sim.ports[0], "/api/chat", chat_body(3, stream=False))
    j = json.loads(body)
    assert j["message"]["role"] == "assistant" and len(j["message"]["content"].split()) == 3


def test_load_only_requests(sim):
    status, headers, body = post(sim.ports[0], "/api/generate", {"model": "tiny"})
    assert status == 200 and headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(body) == {"model": "tiny", "created_at": json.loads(body)["created_at"],
                                "response": "", "done": True, "done_reason": "load"}
    status, _, body = post(sim.ports[0], "/api/chat", {"model": "tiny", "messages": []})
    j = json.loads(body)
    assert j["done_reason"] == "load" and j["message"] == {"role": "assistant", "content": ""}
    status, _, body = post(sim.ports[0], "/api/generate", {"model": "tiny", "keep_alive": 0})
    assert json.loads(body)["done_reason"] == "unload"


def test_cold_load_and_keep_alive():
    with start_sim(["--load-ms", "300", "--decode-tps", "1000"]) as s:
        first = json.loads(post(s.ports[0], "/api/generate", gen_body(2, stream=False))[2])
        second = json.loads(post(s.ports[0], "/api/generate", gen_body(2, stream=False))[2])
        # load + the scheduler's 1 ms (--sched-ms), which a warm request reports alone
        assert abs(first["load_duration"] - 301_000_000) < 1_000_000
        assert abs(second["load_duration"] - 1_000_000) < 100_000
        # keep_alive 0: the model unloads after the request, so the next one loads again.
        post(s.ports[0], "/api/generate", gen_body(2, stream=False, keep_alive=0))
        third = json.loads(post(s.ports[0], "/api/generate", gen_body(2, stream=False))[2])
        assert abs(third["load_duration"] - 301_000_000) < 1_000_000
    with start_sim(["--sched-ms", "0", "--decode-tps", "1000"]) as s:
        warm = json.loads(post(s.ports[0], "/api/generate", gen_body(2, stream=False))[2])
        assert "load_duration" not in warm             # zero, so omitted (Go's omitempty)


def test_keep_alive_sticks_while_loaded():
    """Ollama 0.11.4 keeps a loaded model's keep_alive for requests that send none; a
    model loaded afresh gets the server's default; forever reads now + MaxInt64 ns."""
    def expires(port):
        (m,) = json.loads(get(port, "/api/ps")[2])["models"]
        return m["expires_at"]

    def seconds_left(when):
        return time.mktime(time.strptime(when[:19], "%Y-%m-%dT%H:%M:%S")) - time.mktime(time.gmtime())

    with start_sim(["--keep-alive", "24h", "--decode-tps", "1000"]) as s:
        p = s.ports[0]
        post(p, "/api/generate", gen_body(1, stream=False))
        assert 86000 < seconds_left(expires(p)) < 86500       # the default
        post(p, "/api/generate", gen_body(1, stream=False, keep_alive="5m"))
        post(p, "/api/generate", gen_body(1, stream=False))     # none: 5m stays
        assert 250 < seconds_left(expires(p)) < 330
        post(p, "/api/generate", gen_body(1, stream=False, keep_alive=-1))
        assert expires(p) >= "2300"
        post(p, "/api/generate", {"model": "gemma3", "keep_alive": 0})  # unload
        post(p, "/api/generate", gen_body(1, stream=False))     # loads afresh: default
        assert 86000 < seconds_left(expires(p)) < 86500
        # Another port is another Ollama server: it loads its own copy.


def test_utf8_option():
    with start_sim(["--utf8", "--decode-tps", "2000"]) as s:
        status, _, body = post(s.ports[0], "/api/generate", gen_body(200, stream=False))
        text = json.loads(body)["response"]
        assert any(ord(ch) > 127 for ch in text)
        assert any(len(ch.encode()) == 4 for ch in text)


def test_deterministic_text_with_seed():
    def text(extra_args, seed):
        with start_sim(extra_args + ["--decode-tps", "2000"]) as s:
            b = gen_body(20, stream=False, options={"num_predict": 20, "seed": seed})
            return json.loads(post(s.ports[0], "/api/generate", b)[2])["response"]
    a = text(["--seed", "5"], 1)
    assert a == text(["--seed", "5"], 1)
    assert a != text(["--seed", "6"], 1)
    assert a != text(["--seed", "5"], 2)


# ---------------------------------------------------------------- errors


def test_error_shapes(sim):
    """Ollama 0.11.4's answers, as the real server gives them (tests/e2e/captures/ and
    tests/e2e/test_sim_parity.py, which compares them live)."""
    p = sim.ports[0]
    status, headers, body = post(p, "/api/generate", {"model": "nope", "prompt": "x"})
    assert status == 404 and headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(body) == {"error": "model 'nope' not found"}
    status, _, body = post(p, "/api/chat", {"model": "nope:1b", "messages": []})
    assert status == 404 and json.loads(body) == {"error": 'model "nope:1b" not found, try pulling it first'}
    status, _, body = post(p, "/api/generate", {"prompt": "x"})  # generate: 404, not 400
    assert status == 404 and json.loads(body) == {"error": "model '' not found"}
    status, _, body = post(p, "/api/chat", {"messages": []})
    assert status == 400 and json.loads(body) == {"error": "model is required"}
    r = raw_request(p, "POST", "/api/generate", b"{not json")
    assert r.status == 400
    assert json.loads(r.body) == {"error": "invalid character 'n' looking for beginning of object key string"}
    r = raw_request(p, "POST", "/api/generate", b'{"model":')
    assert r.status == 400 and json.loads(r.body) == {"error": "unexpected EOF"}
    r = raw_request(p, "POST", "/api/generate", b"")
    assert r.status == 400 and json.loads(r.body) == {"error": "missing request body"}
    # A wrong option type is a 500, checked after the model (an unknown one is a 404).
    status, _, body = post(p, "/api/generate", {"model": "gemma3", "prompt": "x",
                                                "options": {"num_predict": "x"}})
    assert status == 500 and json.loads(body) == {"error": 'option "num_predict" must be of type integer'}
    assert post(p, "/api/generate", {"model": "nope", "options": {"num_predict": "x"}})[0] == 404
    # gin's own 404 and 405: text/plain without charset; 405 says what is allowed.
    r = raw_request(p, "GET", "/api/nothing")
    assert r.status == 404 and r.headers["content-type"] == "text/plain" and r.body == b"404 page not found"
    r = raw_request(p, "GET", "/api/generate")
    assert r.status == 405 and r.headers["allow"] == "POST" and r.headers["content-type"] == "text/plain"
    r = raw_request(p, "DELETE", "/api/tags")
    assert r.status == 405 and r.headers["allow"] == "HEAD, GET"
    assert raw_request(p, "HEAD", "/api/ps").status == 405


def test_go_request_reading(sim):
    """Bodies are read as Go's json.Decoder reads them."""
    p = sim.ports[0]
    status, _, body = post(p, "/api/generate", {"Model": "GEMMA3", "Prompt": "x", "stream": False,
                                                "options": {"num_predict": 2}})
    assert status == 200 and json.loads(body)["model"] == "GEMMA3"
    r = raw_request(p, "POST", "/api/generate", b'{"model":"gemma3","prompt":"x","options":{"num_predict":2}} junk')
    assert r.status == 200 and len(r.chunks) == 3
    r = raw_request(p, "POST", "/api/generate", b"null")
    assert r.status == 404 and json.loads(r.body) == {"error": "model '' not found"}


def test_large_whole_answer_is_chunked(sim):
    """Go sends a body that outgrows its 2048-byte buffer chunked (one chunk here)."""
    r = raw_request(sim.ports[0], "POST", "/api/generate", gen_body(600, stream=False))
    assert r.status == 200 and r.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in r.headers and len(r.chunks) == 1 and len(r.body) > 2048
    assert json.loads(r.body)["eval_count"] == 600
    r = raw_request(sim.ports[0], "POST", "/api/generate", gen_body(600, stream=False), version="1.0")
    assert r.status == 200 and "content-length" not in r.headers and "transfer-encoding" not in r.headers
    assert json.loads(r.body)["eval_count"] == 600    # delimited by the close


def test_redirects_and_host_check(sim):
    p = sim.ports[0]
    r = raw_request(p, "GET", "/api/tags/")
    assert r.status == 301 and r.headers["location"] == "/api/tags"
    assert r.body == b'<a href="/api/tags">Moved Permanently</a>.\n\n'
    r = raw_request(p, "POST", "/api/generate/", b"{}")
    assert r.status == 307 and r.headers["location"] == "/api/generate" and r.body == b""
    r = raw_request(p, "GET", "//api/./tags")
    assert r.status == 307 and r.headers["location"] == "/api/tags"
    # Ollama refuses a Host that is not this machine (DNS rebinding protection).
    r = raw_request(p, "GET", "/", headers={"Host": "evil.example"})
    assert r.status == 403 and r.body == b"" and r.headers["content-length"] == "0"
    for host in ("localhost:1", "127.0.0.1", "[::1]:80", "a.localhost", "192.168.0.9"):
        assert raw_request(p, "GET", "/", headers={"Host": host}).status == 200, host
    with start_sim([], host="0.0.0.0") as s:                    # not loopback: no check
        assert raw_request(s.ports[0], "GET", "/", headers={"Host": "evil.example"}).status == 200


def test_body_limit_and_protocol_errors():
    with start_sim(["--max-body-bytes", "2048"]) as s:
        p = s.ports[0]
        r = raw_request(p, "POST", "/api/generate", gen_body(1, prompt="x" * 5000))
        assert r.status == 413 and "too large" in json.loads(r.body)["error"]
        r = raw_request(p, "GET", "/", headers={"X-Big": "a" * 70000})
        assert r.status == 200                                   # Go allows 1 MiB of head
        r = raw_request(p, "GET", "/", headers={"X-Big": "a" * (1 << 20) + "a" * 4096})
        assert r.status == 431 and r.body == b"431 Request Header Fields Too Large"
        assert "date" not in r.headers and r.headers["connection"] == "close"  # Go's own
        r = raw_request(p, "POST", "/api/generate", b"{}", headers={"Transfer-Encoding": "chunked"})
        assert r.status == 501
        sock = socket.create_connection(("127.0.0.1", p), timeout=5)
        sock.sendall(b"\x16\x03\x01\x02\x00garbage\r\n\r\n")   # a TLS hello and junk
        f = sock.makefile("rb")
        assert read_response(f).status == 400
        sock.close()
        sock = socket.create_connection(("127.0.0.1", p), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\n\r\n")                 # no Host, as Go refuses
        f = sock.makefile("rb")
        assert f.readline() == b"HTTP/1.1 400 Bad Request: missing required Host header\r\n"
        sock.close()
        assert get(p, "/")[0] == 200                              # and it still serves
        assert s.alive()


def test_http10_client(sim):
    r = raw_request(sim.ports[0], "POST", "/api/generate", gen_body(3), version="1.0")
    assert r.status == 200
    assert "transfer-encoding" not in r.headers
    assert "connection" not in r.headers    # Go closes an HTTP/1.0 stream without saying so
    assert len(r.lines()) == 4


# ---------------------------------------------------------------- connections


def test_keep_alive_reuses_connection():
    with start_sim(["--decode-tps", "1000"]) as s:
        c = http.client.HTTPConnection("127.0.0.1", s.ports[0], timeout=10)
        for i in range(3):
            c.request("POST", "/api/generate", body=json.dumps(gen_body(3)))
            resp = c.getresponse()
            lines = [json.loads(l) for l in resp.read().splitlines() if l]
            assert len(lines) == 4 and lines[-1]["done"]
        c.request("GET", "/api/tags")
        assert c.getresponse().read()
        c.close()
        s.stop()
        starts = [e for e in s.emit_log() if e.get("ev") == "start"]
        assert len({e["conn"] for e in starts}) == 1
        assert [e["req"] for e in starts] == [1, 2, 3, 4]


def test_pipelined_and_partial_requests():
    with start_sim(["--decode-tps", "1000"]) as s:
        p = s.ports[0]
        sock = socket.create_connection(("127.0.0.1", p), timeout=10)
        body = json.dumps(gen_body(2)).encode()
        one = (b"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
        two = b"GET /api/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        sock.sendall(one + two + one)       # three requests in one write
        f = sock.makefile("rb")
        r1, r2, r3 = read_response(f), read_response(f), read_response(f)
        assert r1.status == r2.status == r3.status == 200
        assert len(r1.chunks) == 3 and json.loads(r2.body)["version"]
        assert len(r3.chunks) == 3
        # The same request trickled in a few bytes at a time.
        for i in range(0, len(one), 7):
            sock.sendall(one[i:i + 7])
        assert len(read_response(f).chunks) == 3
        sock.close()


def test_expect_100_continue(sim):
    sock = socket.create_connection(("127.0.0.1", sim.ports[0]), timeout=10)
    body = json.dumps(gen_body(2)).encode()
    sock.sendall(b"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body))
    f = sock.makefile("rb")
    cont = read_response(f)
    assert cont.status == 100
    sock.sendall(body)
    assert len(read_response(f).chunks) == 3
    sock.close()


@pytest.mark.timing
def test_client_disconnect_frees_the_device():
    """A client that goes away mid-stream is cancelled, as Ollama cancels it: the stream
    leaves the device and the other one speeds up."""
    with start_sim(["--port", "0@g", "--port", "0@g", "--decode-tps", "100", "--alpha", "1"]) as s:
        sock = socket.create_connection(("127.0.0.1", s.ports[0]), timeout=10)
        body = json.dumps(gen_body(1000)).encode()
        sock.sendall(b"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        sock.recv(1000)                      # it has started
        t0 = time.monotonic()
        threading.Timer(0.2, sock.close).start()
        post(s.ports[1], "/api/generate", gen_body(40, stream=False))
        elapsed = time.monotonic() - t0
        # 40 tokens at 100/s alone = 0.4 s; shared the whole time it would be 0.8 s.
        assert elapsed < 0.7
        s.stop()
        ends = [e for e in s.emit_log() if e.get("ev") == "end"]
        assert any(e["reason"] == "cancel" for e in ends)


# ---------------------------------------------------------------- timing model


def _timed_generate(port, n, out, key):
    t0 = time.monotonic()
    status, _, body = post(port, "/api/generate", gen_body(n, stream=False))
    out[key] = (time.monotonic() - t0, json.loads(body))


def _concurrent(ports, n):
    out = {}
    threads = [threading.Thread(target=_timed_generate, args=(p, n, out, i)) for i, p in enumerate(ports)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [out[i] for i in range(len(ports))]


@pytest.mark.timing
def test_shared_device_alpha1_halves_the_rate():
    with start_sim(["--port", "0@gpu0", "--port", "0@gpu0", "--decode-tps", "100",
                    "--alpha", "1"]) as s:
        assert s.devices == ["gpu0", "gpu0"]
        alone, _ = _concurrent(s.ports[:1], 50)[0]
        both = _concurrent(s.ports, 50)
        for wall, final in both:
            assert 1.7 < wall / alone < 2.3
            # The server's own counters show the halved decode rate too.
            tps = final["eval_count"] / (final["eval_duration"] / 1e9)
            assert 42 < tps < 58


@pytest.mark.timing
def test_alpha0_and_separate_devices_do_not_contend():
    with start_sim(["--port", "0@gpu0", "--port", "0@gpu0", "--decode-tps", "100",
                    "--alpha", "0"]) as s:
        alone, _ = _concurrent(s.ports[:1], 40)[0]
        for wall, _ in _concurrent(s.ports, 40):
            assert 0.85 < wall / alone < 1.15
    with start_sim(["--port", "0", "--port", "0", "--decode-tps", "100"]) as s:
        assert s.devices[0] != s.devices[1]
        alone, _ = _concurrent(s.ports[:1], 40)[0]
        for wall, _ in _concurrent(s.ports, 40):
            assert 0.85 < wall / alone < 1.15


@pytest.mark.timing
def test_emission_log_matches_client_arrivals():
    with start_sim(["--decode-tps", "50"]) as s:
        r = raw_request(s.ports[0], "POST", "/api/generate", gen_body(10))
        s.stop()
        events = s.emit_log()
    toks = [e for e in events if "i" in e]
    assert [e["i"] for e in toks] == list(range(10))
    assert all(e["port"] == s.ports[0] and e["req"] == 1 for e in toks)
    start = [e for e in events if e.get("ev") == "start"][0]
    end = [e for e in events if e.get("ev") == "end"][0]
    assert end["tokens"] == 10 and end["reason"] == "length" and end["status"] == 200
    assert start["t_ns"] < toks[0]["t_ns"] and toks[-1]["t_ns"] <= end["t_ns"]
    for e, arrived in zip(toks, r.chunk_times):
        assert e["t_ns"] >= e["due_ns"]                 # never early
        assert e["t_ns"] - e["due_ns"] < 20_000_000     # and not meaningfully late
        lag = arrived - e["t_ns"]                       # same machine, same clock
        assert 0 <= lag < 50_000_000
    gaps = [b["t_ns"] - a["t_ns"] for a, b in zip(toks, toks[1:])]
    assert all(15_000_000 < g < 25_000_000 for g in gaps)  # 20 ms per token


# ---------------------------------------------------------------- faults


def test_fault_refuse():
    with start_sim(["--port", "0", "--port", "0", "--fault", "#1:refuse"]) as s:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", s.ports[1]), timeout=5)
        assert get(s.ports[0], "/")[0] == 200


def test_fault_404_and_500():
    with start_sim(["--port", "0", "--port", "0", "--fault", "#0:404", "--fault", "#1:500"]) as s:
        status, _, body = post(s.ports[0], "/api/generate", gen_body(2))
        assert status == 404 and json.loads(body) == {"error": "model 'gemma3' not found"}
        status, _, body = post(s.ports[1], "/api/chat", chat_body(2))
        assert status == 500 and list(json.loads(body)) == ["error"]
        assert get(s.ports[1], "/api/tags")[0] == 200      # only generate/chat fail


def test_fault_error_line():
    with start_sim(["--fault", "#0:error-line:3", "--decode-tps", "1000"]) as s:
        r = raw_request(s.ports[0], "POST", "/api/generate", gen_body(10))
        assert r.status == 200 and r.complete                # ended properly
        lines = r.lines()
        assert len(lines) == 4 and all("response" in l for l in lines[:3])
        assert lines[3] == {"error": "simulated failure after 3 tokens"}
        # The connection stays usable.
        assert get(s.ports[0], "/")[0] == 200
        status, _, body = post(s.ports[0], "/api/generate", gen_body(10, stream=False))
        assert status == 500 and "simulated failure" in json.loads(body)["error"]


def test_fault_disconnect():
    with start_sim(["--fault", "#0:disconnect:3", "--decode-tps", "1000"]) as s:
        r = raw_request(s.ports[0], "POST", "/api/generate", gen_body(10))
        assert r.status == 200 and not r.complete
        assert len(r.chunks) == 3
        c = http.client.HTTPConnection("127.0.0.1", s.ports[0], timeout=10)
        c.request("POST", "/api/generate", body=json.dumps(gen_body(10)))
        with pytest.raises(http.client.IncompleteRead):
            c.getresponse().read()


def test_fault_stall():
    with start_sim(["--fault", "#0:stall:2", "--decode-tps", "1000"]) as s:
        r = raw_request(s.ports[0], "POST", "/api/generate", gen_body(10), timeout=0.5)
        assert r.status == 200 and not r.complete and len(r.chunks) == 2
        s.stop()
        assert any(e.get("reason") == "stall" for e in s.emit_log())


def test_fault_malformed():
    with start_sim(["--fault", "#0:malformed:2", "--decode-tps", "1000"]) as s:
        r = raw_request(s.ports[0], "POST", "/api/generate", gen_body(5))
        assert r.complete and len(r.chunks) == 7          # 5 tokens, 1 bad line, final
        json.loads(r.chunks[0])
        json.loads(r.chunks[1])
        with pytest.raises(ValueError):
            json.loads(r.chunks[2])
        assert r.chunks[2].endswith(b"\n")
        assert json.loads(r.chunks[-1])["eval_count"] == 5


def test_fault_oversized():
    size = 1 << 20
    with start_sim(["--fault", "#0:oversized:1MiB", "--decode-tps", "1000"]) as s:
        r = raw_request(s.ports[0], "POST", "/api/generate", gen_body(3))
        assert r.complete and len(r.chunks) == 4
        big = r.chunks[0]
        assert len(big) == size and big.index(b"\n") == size - 1
        assert len(json.loads(big)["response"]) > size - 200
        assert json.loads(r.chunks[-1])["eval_count"] == 3


def test_fault_utf8_split():
    with start_sim(["--fault", "#0:utf8-split", "--decode-tps", "1000"]) as s:
        r = raw_request(s.ports[0], "POST", "/api/generate", gen_body(5))
        assert r.complete
        assert len(r.chunks) == 2 * 5 + 1
        for a, b in zip(r.chunks[0:10:2], r.chunks[1:10:2]):
            with pytest.raises(UnicodeDecodeError):
                a.decode("utf-8")                          # cut inside a character
            line = json.loads((a + b).decode("utf-8"))
            assert any(ord(ch) > 127 for ch in line["response"])


@pytest.mark.timing
def test_fault_slow_headers():
    with start_sim(["--port", "0", "--port", "0", "--fault", "#0:slow-headers:400",
                    "--decode-tps", "1000"]) as s:
        slow = raw_request(s.ports[0], "POST", "/api/generate", gen_body(2))
        fast = raw_request(s.ports[1], "POST", "/api/generate", gen_body(2))
        assert slow.complete and fast.complete
        assert (slow.t_headers - slow.t0) / 1e9 >= 0.38
        assert (fast.t_headers - fast.t0) / 1e9 < 0.2


def test_sigterm_exits_cleanly_and_flushes_log():
    s = start_sim(["--decode-tps", "1000"])
    raw_request(s.ports[0], "POST", "/api/generate", gen_body(3))
    assert s.stop() == 0
    assert len([e for e in s.emit_log() if "i" in e]) == 3
    assert "listening on http://127.0.0.1:%d" % s.ports[0] in s.stderr()
    s.cleanup()


def test_bad_flag_exits_2_naming_the_flag():
    import subprocess
    from simproc import sim_binary
    p = subprocess.run([sim_binary(), "--alpha", "-3"], capture_output=True, text=True)
    assert p.returncode == 2 and "--alpha" in p.stderr
    p = subprocess.run([sim_binary(), "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and "--port 11434@gpu0 --port 11435@gpu0" in p.stdout
