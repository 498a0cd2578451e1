"""tandem-sim against the real Ollama 0.11.4: the same requests to both, compared.

Values that cannot agree (times, generated text, token counts, digests) are compared by
type; everything else must be identical (the OpenAI-compatible /v1 API too, through
tests/integration/oaiwire.py): status lines, header names and their order,
header values (but Date), chunked framing (one JSON line per chunk), the key order of
every kind of line, error bodies byte for byte, Go's own protocol-error answers byte for
byte, redirects, the Host check, HTTP/1.0 and Connection: close handling, and keep_alive
bookkeeping as /api/ps shows it.

Uses the first real server (TANDEM_OLLAMA_PORTS, default 11434). It leaves it as it found
it: model loaded, keep_alive 24h.
"""

import json
import time

import pytest

from conftest import SKIP_REASON, skip_requested

if skip_requested():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from oaiwire import same_wire  # noqa: E402
from rawhttp import exchange, key_shape  # noqa: E402
from simproc import start_sim  # noqa: E402

GO_BUFFER = 2048  # net/http: bodies above this go out chunked


@pytest.fixture(scope="module")
def sim():
    # Mirror the real servers' set-up (up.sh): model tiny, OLLAMA_KEEP_ALIVE=24h, a cold
    # load of about a quarter second; fast enough that nothing here waits on decoding.
    s = start_sim(["--model", "tiny", "--load-ms", "250", "--decode-tps", "2000",
                   "--prefill-tps", "100000", "--keep-alive", "24h"], ports=1)
    yield s
    assert s.stop() == 0
    s.cleanup()


@pytest.fixture(scope="module")
def ports(ollama, sim):
    return ollama.ports[0], sim.ports[0]


def both(ports, *args, **kw):
    return exchange(ports[0], *args, **kw), exchange(ports[1], *args, **kw)


def where(real, sim):
    return "\nreal: %r\nsim:  %r" % (real.raw[:1500], sim.raw[:1500])


def same_head(real, sim, compare_length=True):
    """Status line, header names in order, and values but Date (and Content-Length when
    the bodies may differ in length)."""
    assert real.status_line == sim.status_line, where(real, sim)
    assert real.header_names == sim.header_names, where(real, sim)
    # A body holding "created_at" varies in length by itself: Go drops trailing zeros of
    # the nanoseconds, so the same reply is 1 to 9 bytes longer or shorter.
    if b'"created_at"' in real.body or b'"created_at"' in sim.body:
        compare_length = False
    skip = {"date"} | (set() if compare_length else {"content-length"})
    rv = [(k, v) for k, v in real.headers if k.lower() not in skip]
    sv = [(k, v) for k, v in sim.headers if k.lower() not in skip]
    assert rv == sv, where(real, sim)
    assert real.chunked == sim.chunked, where(real, sim)


def same_exact(real, sim):
    same_head(real, sim)
    assert real.body == sim.body, where(real, sim)
    assert real.closed == sim.closed, where(real, sim)


def lines_by_kind(resp):
    """The NDJSON lines of a stream: token lines and the final line, each one chunk."""
    assert resp.complete and resp.chunked, resp.raw[:500]
    for c in resp.chunks:
        assert c.endswith(b"\n") and c.count(b"\n") == 1, c  # one object per chunk
    lines = [json.loads(c) for c in resp.chunks]
    assert lines[-1]["done"] is True and all(not x["done"] for x in lines[:-1])
    return lines[:-1], lines[-1]


def same_stream(real, sim):
    same_head(real, sim, compare_length=False)
    rt, rf = lines_by_kind(real)
    st, sf = lines_by_kind(sim)
    assert rt and st
    for t in rt + st:
        assert key_shape(t) == key_shape(rt[0]), t
    assert key_shape(rf) == key_shape(sf), where(real, sim)
    return rt, rf, st, sf


def gen(n=8, **kw):
    b = {"model": "tiny", "prompt": "hello", "options": {"num_predict": n, "temperature": 0}}
    b.update(kw)
    return b


def chat(n=8, **kw):
    b = {"model": "tiny", "messages": [{"role": "user", "content": "hello"}],
         "options": {"num_predict": n, "temperature": 0}}
    b.update(kw)
    return b


def ps_models(port):
    return exchange(port, "GET", "/api/ps").json()["models"]


# ---- plain endpoints --------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [("GET", "/"), ("HEAD", "/"), ("GET", "/api/version"),
                                         ("HEAD", "/api/version")])
def test_fixed_answers(ports, method, path):
    same_exact(*both(ports, method, path))


def test_tags(ports):
    real, sim = both(ports, "GET", "/api/tags")
    same_head(real, sim, compare_length=False)
    assert key_shape(real.json()) == key_shape(sim.json()), where(real, sim)
    for m in real.json()["models"] + sim.json()["models"]:
        assert len(m["digest"]) == 64 and m["name"] == "tiny:latest"
    real, sim = both(ports, "HEAD", "/api/tags")
    same_head(real, sim, compare_length=False)


def test_show(ports):
    real, sim = both(ports, "POST", "/api/show", {"model": "tiny"})
    assert real.status == sim.status == 200
    for r in (real, sim):  # Content-Length up to Go's buffer, chunked (one chunk) above it
        assert r.chunked == (len(r.body) > GO_BUFFER) and len(r.chunks) <= 1, r.raw[:300]
    rk = [k for k in real.json() if k != "license"]  # omitempty: the tiny GGUF has none
    sk = [k for k in sim.json() if k != "license"]
    assert rk == sk
    assert key_shape(real.json()["details"]) == key_shape(sim.json()["details"])
    assert key_shape(real.json()["tensors"][0]) == key_shape(sim.json()["tensors"][0])
    # What the real CLI's `ollama show` reads from model_info, with the tiny model's values.
    ri, si = real.json()["model_info"], sim.json()["model_info"]
    arch = ri["general.architecture"]
    for k in ("general.architecture", "general.parameter_count", arch + ".context_length",
              arch + ".embedding_length", arch + ".block_count", arch + ".attention.head_count",
              arch + ".attention.head_count_kv"):
        assert si.get(k) == ri[k], (k, si.get(k), ri[k])


# ---- loading, unloading, /api/ps ---------------------------------------------------------

def wait_ps_empty(port, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ps_models(port) == []:
            return True
        time.sleep(0.05)
    return False


def test_unload_ps_cold_load_and_load_lines(ports):
    real, sim = both(ports, "POST", "/api/generate", {"model": "tiny", "keep_alive": 0})
    same_head(real, sim)
    assert key_shape(real.json()) == key_shape(sim.json())
    assert real.json()["done_reason"] == sim.json()["done_reason"] == "unload"
    assert wait_ps_empty(ports[0]) and wait_ps_empty(ports[1])
    same_exact(*both(ports, "GET", "/api/ps"))
    # The first request after the unload loads the model: load_duration is large.
    real, sim = both(ports, "POST", "/api/generate", gen(keep_alive="24h"))
    _, rf, _, sf = same_stream(real, sim)
    assert rf["load_duration"] > 50e6 and sf["load_duration"] > 50e6
    real, sim = both(ports, "GET", "/api/ps")
    same_head(real, sim, compare_length=False)
    assert key_shape(real.json()) == key_shape(sim.json())
    # Load-only requests answer one JSON object, not NDJSON, even unasked.
    for path, body in (("/api/generate", {"model": "tiny"}),
                       ("/api/chat", {"model": "tiny", "messages": []})):
        real, sim = both(ports, "POST", path, body)
        same_head(real, sim)
        assert list(real.json()) == list(sim.json()), where(real, sim)
        assert real.json()["done_reason"] == sim.json()["done_reason"] == "load"


def expires_in_s(port):
    m = ps_models(port)
    assert len(m) == 1, m
    when = m[0]["expires_at"]
    return when, time.mktime(time.strptime(when[:19], "%Y-%m-%dT%H:%M:%S")) - time.mktime(time.gmtime())


def test_keep_alive_sticks_while_loaded(ports):
    try:
        for p in ports:
            exchange(p, "POST", "/api/generate", gen(2, keep_alive="5m"))
            exchange(p, "POST", "/api/generate", gen(2))  # no keep_alive: 5m stays
            when, left = expires_in_s(p)
            assert 240 < left < 330, (p, when)
            exchange(p, "POST", "/api/generate", gen(2, keep_alive=-1))
            when, _ = expires_in_s(p)
            assert when >= "2300", (p, when)  # now + MaxInt64 ns (~292 years)
    finally:
        for p in ports:
            exchange(p, "POST", "/api/generate", gen(1, keep_alive="24h"))


# ---- streams and whole answers -------------------------------------------------------------

def test_generate_stream(ports):
    rt, rf, st, sf = same_stream(*both(ports, "POST", "/api/generate", gen(8)))
    assert list(rt[0]) == ["model", "created_at", "response", "done"]
    assert list(rf) == ["model", "created_at", "response", "done", "done_reason", "context",
                        "total_duration", "load_duration", "prompt_eval_count",
                        "prompt_eval_duration", "eval_count", "eval_duration"]
    assert rf["eval_count"] == sf["eval_count"] == 8 == len(rt) == len(st)


def test_chat_stream(ports):
    rt, rf, st, sf = same_stream(*both(ports, "POST", "/api/chat", chat(8)))
    assert list(rt[0]) == ["model", "created_at", "message", "done"]
    assert list(rf) == ["model", "created_at", "message", "done_reason", "done",
                        "total_duration", "load_duration", "prompt_eval_count",
                        "prompt_eval_duration", "eval_count", "eval_duration"]


@pytest.mark.parametrize("path,body", [("/api/generate", gen(8, stream=False)),
                                       ("/api/chat", chat(8, stream=False))])
def test_whole_answers(ports, path, body):
    real, sim = both(ports, "POST", path, body)
    same_head(real, sim, compare_length=False)
    assert key_shape(real.json()) == key_shape(sim.json()), where(real, sim)


def test_large_whole_answer_is_chunked(ports):
    real, sim = both(ports, "POST", "/api/generate", gen(800, stream=False))
    same_head(real, sim, compare_length=False)
    assert real.chunked and len(real.chunks) == 1 and len(sim.chunks) == 1
    assert key_shape(real.json()) == key_shape(sim.json())


def test_created_at_is_rfc3339nano(ports):
    import re
    rx = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z$")
    for resp in both(ports, "POST", "/api/generate", gen(30)):
        stamps = [x["created_at"] for x in resp.json_lines()]
        assert all(rx.match(s) for s in stamps), stamps


def test_request_bodies_read_as_go_does(ports):
    # Field names match case-insensitively, model names too; bytes after the first JSON
    # value are never read.
    real, sim = both(ports, "POST", "/api/generate",
                     b'{"Model":"Tiny","Prompt":"hi","options":{"num_predict":2},"stream":false}')
    same_head(real, sim, compare_length=False)
    assert real.json()["model"] == sim.json()["model"] == "Tiny"
    real, sim = both(ports, "POST", "/api/generate",
                     b'{"model":"tiny","prompt":"hi","options":{"num_predict":2}} trailing')
    same_stream(real, sim)


# ---- errors ---------------------------------------------------------------------------------

ERRORS = [
    ("POST", "/api/generate", {"model": "nosuchmodel", "prompt": "hello"}),
    ("POST", "/api/chat", {"model": "nosuchmodel", "messages": [{"role": "user", "content": "hi"}]}),
    ("POST", "/api/show", {"model": "nosuchmodel"}),
    ("POST", "/api/generate", {"prompt": "hello"}),
    ("POST", "/api/chat", {"messages": [{"role": "user", "content": "hi"}]}),
    ("POST", "/api/show", {}),
    ("POST", "/api/generate", b""),
    ("POST", "/api/chat", b"  \n"),
    ("POST", "/api/generate", b'{"model":'),
    ("POST", "/api/generate", b"{not json"),
    ("POST", "/api/generate", b'{"model":"tiny","prompt":"hi",}'),
    ("POST", "/api/generate", b'{"model":"tiny" "prompt":"hi"}'),
    ("POST", "/api/generate", b'{"model":tiny}'),
    ("POST", "/api/generate", b'{"model":"tiny","prompt":"\\u00zz"}'),
    ("POST", "/api/generate", b"[1,2]"),
    ("POST", "/api/generate", b'"str"'),
    ("POST", "/api/generate", b"null"),
    ("POST", "/api/chat", b"null"),
    ("POST", "/api/generate", {"model": "tiny", "prompt": 5}),
    ("POST", "/api/generate", {"model": 5}),
    ("POST", "/api/generate", {"model": "tiny", "prompt": "x", "stream": "yes"}),
    ("POST", "/api/generate", {"model": "tiny", "prompt": "x", "keep_alive": "bogus"}),
    ("POST", "/api/generate", {"model": "tiny", "prompt": "x", "keep_alive": True}),
    ("POST", "/api/generate", {"model": "tiny", "prompt": "x", "stream": "x", "keep_alive": "bogus"}),
    ("POST", "/api/generate", {"model": "tiny", "options": []}),
    ("POST", "/api/generate", {"model": "tiny", "context": ["a"]}),
    ("POST", "/api/generate", {"model": "tiny", "prompt": "hi", "options": {"num_predict": "x"}}),
    ("POST", "/api/generate", {"model": "tiny", "prompt": "hi", "options": {"temperature": "hot"}}),
    ("POST", "/api/generate", {"model": "nosuch", "prompt": "x", "options": {"num_predict": "x"}}),
    ("POST", "/api/chat", {"model": "tiny", "messages": [{"role": "user", "content": "hi"}],
                           "options": {"num_predict": "x"}}),
    ("POST", "/api/chat", {"model": "tiny", "messages": "x"}),
    ("POST", "/api/chat", {"model": "tiny", "messages": [1]}),
    ("POST", "/api/chat", {"model": "tiny", "messages": [{"content": 1}]}),
    ("POST", "/api/show", {"model": 5}),
    ("GET", "/api/nosuchpath", b""),
    ("POST", "/api/nosuchpath", b"{}"),
    ("GET", "/api/generate", b""),
    ("GET", "/api/chat", b""),
    ("GET", "/api/show", b""),
    ("DELETE", "/api/tags", b""),
    ("POST", "/api/tags", b""),
    ("POST", "/", b""),
    ("PUT", "/api/version", b""),
    ("POST", "/api/ps", b""),
    ("HEAD", "/api/ps", b""),
    ("GET", "/api/generate/", b""),
]


@pytest.mark.parametrize("method,path,body", ERRORS,
                         ids=["%s %s %s" % (m, p, (b if isinstance(b, bytes) else json.dumps(b))[:40])
                              for m, p, b in ERRORS])
def test_error_answers(ports, method, path, body):
    same_exact(*both(ports, method, path, body))


@pytest.mark.parametrize("method,path", [("GET", "/api/tags/"), ("HEAD", "/api/tags/"),
                                         ("POST", "/api/generate/"), ("GET", "//api/tags"),
                                         ("GET", "/api//tags"), ("GET", "/./api/tags"),
                                         ("GET", "/api/../api/version"), ("POST", "//api/generate")])
def test_redirects(ports, method, path):
    same_exact(*both(ports, method, path, b"{}" if method == "POST" else b""))


@pytest.mark.parametrize("method,path", [("GET", "/"), ("GET", "/api/tags"), ("DELETE", "/api/tags"),
                                         ("GET", "/api/nosuchpath"), ("POST", "/api/generate")])
def test_foreign_host_is_forbidden(ports, method, path):
    hdr = [("Host", "evil.example")]
    raw = ("%s %s HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 0\r\n\r\n" % (method, path)).encode()
    real, sim = exchange(ports[0], method, path, raw_request=raw), exchange(ports[1], method, path, raw_request=raw)
    same_exact(real, sim)
    assert real.status == 403 and hdr
    for host in (b"localhost:1", b"127.0.0.1", b"[::1]:11434", b"x.localhost", b"10.1.2.3"):
        raw = b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"
        real, sim = exchange(ports[0], "GET", "/", raw_request=raw), exchange(ports[1], "GET", "/", raw_request=raw)
        assert real.status == sim.status == 200, (host, where(real, sim))


@pytest.mark.parametrize("raw", [b"GET / HTTP/1.1\r\n\r\n",
                                 b"GET / HTTP/2.0\r\nHost: localhost\r\n\r\n",
                                 b"\x16\x03\x01garbage\r\n\r\n",
                                 b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 1100000 + b"\r\n\r\n"],
                         ids=["no-host", "http2", "tls-garbage", "head-too-large"])
def test_protocol_errors_byte_for_byte(ports, raw):
    real = exchange(ports[0], "GET", "/", raw_request=raw)
    sim = exchange(ports[1], "GET", "/", raw_request=raw)
    assert real.raw == sim.raw, where(real, sim)
    assert real.closed and sim.closed


def test_http10_and_connection_close(ports):
    real, sim = both(ports, "POST", "/api/generate", gen(3), version="1.0")
    same_head(real, sim, compare_length=False)
    assert real.status_line.startswith("HTTP/1.0 ") and real.closed and sim.closed
    assert len(real.json_lines()) == len(sim.json_lines()) == 4
    for extra in ([], [("Connection", "keep-alive")]):
        real, sim = both(ports, "GET", "/api/version", version="1.0", headers=extra)
        same_exact(real, sim)
    real, sim = both(ports, "POST", "/api/generate", gen(3), headers=[("Connection", "close")])
    same_head(real, sim, compare_length=False)
    assert real.closed and sim.closed
    real, sim = both(ports, "GET", "/api/version", headers=[("Connection", "close")])
    same_exact(real, sim)


# ---- the OpenAI-compatible API (/v1) -------------------------------------------------------

V1 = "/v1/chat/completions"
V1_MSGS = [{"role": "user", "content": "hello"}]


def v1(n=8, **kw):
    b = {"model": "tiny", "messages": V1_MSGS, "max_tokens": n, "temperature": 0}
    b.update(kw)
    return b


V1_ANSWERS = [v1(stream=True, stream_options={"include_usage": True}), v1(stream=True), v1(),
              v1(stream=False, seed=1, stream_options={"include_usage": True}),
              v1(3, stream=True, stream_options=None, messages=[{"role": "system", "content": "be brief"}] + V1_MSGS),
              v1(2, stream=True, messages=[{"role": "user", "content": [{"type": "text", "text": "hi"}]}])]


@pytest.mark.parametrize("body", V1_ANSWERS, ids=[json.dumps(b)[-60:] for b in V1_ANSWERS])
def test_v1_answers(ports, body):
    real, sim = both(ports, "POST", V1, body)
    same_wire(real, sim)
    for r in (real, sim):
        if body.get("stream") and body.get("stream_options"):
            usage = json.loads(r.chunks[-1].split(b"\n\n")[1][6:])["usage"]
            assert usage["completion_tokens"] == body["max_tokens"] == len(r.chunks) - 1
        elif not body.get("stream"):
            assert r.json()["usage"]["completion_tokens"] == body["max_tokens"]


@pytest.mark.parametrize("path", ["/v1/models", "/v1/models/tiny", "/v1/models/tiny:latest",
                                  "/v1/models/Tiny"])
def test_v1_models(ports, path):
    same_wire(*both(ports, "GET", path))


V1_ERRORS = [
    ("POST", V1, b'{"model":'),
    ("POST", V1, b""),
    ("POST", V1, b"[1]"),
    ("POST", V1, b"null"),
    ("POST", V1, b"{not json"),
    ("POST", V1, {"model": "tiny"}),
    ("POST", V1, {"model": "tiny", "messages": []}),
    ("POST", V1, {"model": "tiny", "messages": [{"role": "user"}]}),
    ("POST", V1, {"model": "tiny", "messages": [None]}),
    ("POST", V1, {"model": "tiny", "messages": [{"role": "user", "content": 5}]}),
    ("POST", V1, {"model": "tiny", "messages": [{"role": "user", "content": {"a": 1}}]}),
    ("POST", V1, {"model": "tiny", "messages": [{"role": "user", "content": True}]}),
    ("POST", V1, {"model": "tiny", "messages": [{"role": "user", "content": [{"type": "x"}]}]}),
    ("POST", V1, {"model": "tiny", "messages": [{"role": "user", "content": [1]}]}),
    ("POST", V1, {"model": "tiny", "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}),
    ("POST", V1, {"model": "tiny", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": "http://x"}]}]}),
    ("POST", V1, {"model": "tiny", "messages": "x"}),
    ("POST", V1, {"model": "tiny", "messages": [1]}),
    ("POST", V1, {"model": "tiny", "messages": [{"role": 5, "content": "x"}]}),
    ("POST", V1, {"model": 5, "messages": V1_MSGS}),
    ("POST", V1, {"model": "tiny", "messages": V1_MSGS, "max_tokens": "3", "stream": "x"}),
    ("POST", V1, {"model": "tiny", "stream": "x", "messages": V1_MSGS, "max_tokens": "3"}),
    ("POST", V1, {"model": "tiny", "messages": V1_MSGS, "max_tokens": 2.5}),
    ("POST", V1, {"model": "tiny", "messages": V1_MSGS, "seed": 1.5}),
    ("POST", V1, {"model": "tiny", "messages": V1_MSGS, "temperature": "hot"}),
    ("POST", V1, {"model": "tiny", "messages": V1_MSGS, "top_p": []}),
    ("POST", V1, {"model": "tiny", "messages": V1_MSGS, "stream_options": 5}),
    ("POST", V1, {"model": "tiny", "messages": V1_MSGS, "stream_options": {"include_usage": 1}}),
    ("POST", V1, {"model": "tiny", "messages": V1_MSGS, "tools": 5}),
    ("POST", V1, {"model": "tiny", "messages": V1_MSGS, "response_format": 5}),
    ("POST", V1, {"messages": V1_MSGS}),
    ("POST", V1, {"model": "bad name!", "messages": V1_MSGS}),
    ("POST", V1, {"model": "nosuchmodel", "messages": V1_MSGS}),
    ("POST", V1, {"model": "nosuchmodel", "messages": V1_MSGS, "stream": True}),
    ("GET", V1, b""),
    ("DELETE", V1, b""),
    ("POST", V1 + "/", b"{}"),
    ("GET", V1 + "/", b""),
    ("HEAD", "/v1/models", b""),
    ("POST", "/v1/models", b""),
    ("GET", "/v1/models/", b""),
    ("GET", "/v1/models/nosuchmodel", b""),
    ("GET", "/v1/models/a/b", b""),
    ("GET", "/v1/models/tiny/", b""),
    ("HEAD", "/v1/models/tiny", b""),
    ("GET", "/v1/nosuchpath", b""),
]


@pytest.mark.parametrize("method,path,body", V1_ERRORS,
                         ids=["%s %s %s" % (m, p, (b if isinstance(b, bytes) else json.dumps(b))[:60])
                              for m, p, b in V1_ERRORS])
def test_v1_error_answers(ports, method, path, body):
    same_exact(*both(ports, method, path, body))


def test_v1_large_whole_answer_and_http10(ports):
    real, sim = both(ports, "POST", V1, v1(1200))  # above Go's 2048-byte buffer: one chunk
    same_wire(real, sim)
    assert real.chunked and len(real.chunks) == len(sim.chunks) == 1
    real, sim = both(ports, "POST", V1, v1(3, stream=True), version="1.0")
    same_head(real, sim, compare_length=False)
    assert real.status_line.startswith("HTTP/1.0 ") and real.closed and sim.closed
    for r in (real, sim):  # no chunked framing: the events end with the connection
        assert r.body.count(b"data: ") == 5 and r.body.endswith(b"data: [DONE]\n\n")
