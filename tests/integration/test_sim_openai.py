"""tandem-sim's OpenAI-compatible API (/v1/chat/completions, /v1/models), as Ollama
0.11.4 serves it: the real server's captured answers (tests/e2e/captures/openai-*) sent
again to the simulator and compared (oaiwire.same_wire), then its behaviour: SSE events
one per HTTP chunk, the finish/usage/[DONE] chunk, stream: false, the same text and token
counts as /api/chat, the errors of each layer, every fault mode, slots and the emission
log. Raw sockets and http.client only; no timing assertions.
"""

import json
import socket

import pytest

from oaiwire import capture, capture_names, chunk_shape, events, fetch, same_wire
from simproc import start_sim

FAST = ["--model", "tiny", "--decode-tps", "5000", "--prefill-tps", "1e6", "--sched-ms", "0"]
V1 = "/v1/chat/completions"


def body(n=4, stream=True, usage=True, **kw):
    b = {"model": "tiny", "messages": [{"role": "user", "content": "hello"}], "max_tokens": n}
    if stream:
        b["stream"] = True
        if usage:
            b["stream_options"] = {"include_usage": True}
    b.update(kw)
    return b


def chunk_json(c):
    (e,) = events(c)
    return json.loads(e)


def text_of(resp):
    return "".join(chunk_json(c)["choices"][0]["delta"]["content"] for c in resp.chunks[:-1])


@pytest.fixture(scope="module")
def sim():
    s = start_sim(FAST)
    yield s
    assert s.stop() == 0
    s.cleanup()


# ---- the real server's captures, sent again ---------------------------------------------

# The runner-kill capture is compared with the error-line fault below.
REPLAYED = [n for n in capture_names() if n != "openai-error-midstream"]


@pytest.mark.parametrize("name", REPLAYED)
def test_capture_replayed(sim, name):
    real = capture(name)
    sent = real.body
    stop = b'"stop"' in sent
    if stop:
        # The tiny model stops at a stop sequence (stop: [" for"]), which the simulator
        # does not model: it stops by itself when no max_tokens is given, after a drawn
        # number of tokens, so only the number of token chunks differs.
        b = json.loads(sent)
        del b["stop"], b["max_tokens"]
        sent = json.dumps(b).encode()
    got = fetch(sim.ports[0], real.method, real.path, sent)
    same_wire(real.resp, got, exact_chunks=not stop)


def test_capture_midstream_failure_is_the_error_line_fault():
    real = capture("openai-error-midstream")
    with start_sim(FAST + ["--fault", "#0:error-line:3"]) as s:
        got = fetch(s.ports[0], real.method, real.path, real.body)
    same_wire(real.resp, got, exact_chunks=False)
    assert len(got.chunks) == 4 and b"[DONE]" not in got.body and got.complete
    last = chunk_json(got.chunks[-1])
    assert last["model"] == "" and last["choices"][0] == {
        "index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}


# ---- streams --------------------------------------------------------------------------------

def test_stream_with_usage(sim):
    r = fetch(sim.ports[0], "POST", V1, body(5))
    assert r.status == 200 and r.complete and r.chunked
    assert [k for k, _ in r.headers] == ["Content-Type", "Date", "Transfer-Encoding"]
    assert r.header("Content-Type") == "text/event-stream"
    assert len(r.chunks) == 6                     # one event per token, then the end
    tokens = [chunk_json(c) for c in r.chunks[:-1]]
    ids = {t["id"] for t in tokens}
    assert len(ids) == 1 and ids.pop().startswith("chatcmpl-")
    for t in tokens:
        assert list(t) == ["id", "object", "created", "model", "system_fingerprint", "choices"]
        assert t["object"] == "chat.completion.chunk" and t["system_fingerprint"] == "fp_ollama"
        assert t["model"] == "tiny" and isinstance(t["created"], int)
        (ch,) = t["choices"]
        assert list(ch) == ["index", "delta", "finish_reason"] and ch["finish_reason"] is None
        assert list(ch["delta"]) == ["role", "content"] and ch["delta"]["role"] == "assistant"
        assert ch["delta"]["content"]                # no role-only first chunk
    end = events(r.chunks[-1])                     # finish, usage and [DONE]: one HTTP chunk
    assert len(end) == 3 and end[2] == b"[DONE]"
    finish, usage = json.loads(end[0]), json.loads(end[1])
    assert finish["choices"] == [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                  "finish_reason": "length"}]
    assert list(usage) == ["id", "object", "created", "model", "system_fingerprint", "choices", "usage"]
    assert usage["choices"] == [] and usage["created"] == finish["created"]
    assert usage["usage"]["completion_tokens"] == 5
    u = usage["usage"]
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]


def test_stream_without_usage_and_stop(sim):
    r = fetch(sim.ports[0], "POST", V1, body(3, usage=False))
    end = events(r.chunks[-1])
    assert len(end) == 2 and end[1] == b"[DONE]"
    assert json.loads(end[0])["choices"][0]["finish_reason"] == "length"
    # Without max_tokens the length is drawn: finish_reason "stop".
    b = body()
    del b["max_tokens"]
    r = fetch(sim.ports[0], "POST", V1, b)
    end = events(r.chunks[-1])
    assert json.loads(end[0])["choices"][0]["finish_reason"] == "stop"
    assert json.loads(end[1])["usage"]["completion_tokens"] == len(r.chunks) - 1 >= 1


def test_same_text_and_counts_as_api_chat(sim):
    """A /v1 request is a chat: same seed, same messages, same text and prompt count."""
    msgs = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "Why is the sky blue?"}]
    r = fetch(sim.ports[0], "POST", V1, body(6, messages=msgs, seed=7))
    native = fetch(sim.ports[0], "POST", "/api/chat",
                   {"model": "tiny", "messages": msgs, "options": {"num_predict": 6, "seed": 7}})
    lines = [json.loads(c) for c in native.chunks]
    assert text_of(r) == "".join(l["message"]["content"] for l in lines[:-1])
    usage = json.loads(events(r.chunks[-1])[1])["usage"]
    assert usage["prompt_tokens"] == lines[-1]["prompt_eval_count"]
    assert usage["completion_tokens"] == lines[-1]["eval_count"] == 6
    # Text parts of an array content are messages of their own, as Ollama splits them.
    parts = [{"role": "system", "content": [{"type": "text", "text": "be brief"}]}, msgs[1]]
    again = fetch(sim.ports[0], "POST", V1, body(6, messages=parts, seed=7))
    assert text_of(again) == text_of(r)


def test_whole_answer(sim):
    r = fetch(sim.ports[0], "POST", V1, body(4, stream=False, seed=3))
    assert r.status == 200 and not r.chunked and r.header("Content-Type") == "application/json"
    assert r.body.endswith(b"}\n")                 # json.Encoder's newline
    j = r.json()
    assert list(j) == ["id", "object", "created", "model", "system_fingerprint", "choices", "usage"]
    assert j["object"] == "chat.completion"
    assert j["choices"][0]["finish_reason"] == "length"
    assert list(j["choices"][0]["message"]) == ["role", "content"]
    assert j["usage"]["completion_tokens"] == 4
    streamed = fetch(sim.ports[0], "POST", V1, body(4, seed=3))
    assert j["choices"][0]["message"]["content"] == text_of(streamed)
    # "stream" is false unless sent: stream_options alone does not stream.
    r = fetch(sim.ports[0], "POST", V1, {"model": "tiny", "messages": [{"role": "user", "content": "x"}],
                                         "max_tokens": 1, "stream_options": {"include_usage": True}})
    assert r.header("Content-Type") == "application/json"


# ---- /v1/models -----------------------------------------------------------------------------

def test_models():
    with start_sim(["--model", "tiny", "--model", "someone/custom:7b"]) as s:
        r = fetch(s.ports[0], "GET", "/v1/models")
        assert r.status == 200 and r.header("Content-Type") == "application/json"
        assert r.body.endswith(b"]}\n")
        data = r.json()["data"]
        assert [(m["id"], m["owned_by"]) for m in data] == [("tiny:latest", "library"),
                                                            ("someone/custom:7b", "someone")]
        assert all(list(m) == ["id", "object", "created", "owned_by"] and m["object"] == "model" for m in data)
        one = fetch(s.ports[0], "GET", "/v1/models/TINY").json()  # the name as asked for
        assert one == {"id": "TINY", "object": "model", "created": data[0]["created"], "owned_by": "library"}
        r = fetch(s.ports[0], "GET", "/v1/models/nope")
        assert r.status == 404 and r.body == (b'{"error":{"message":"model \'nope\' not found",'
                                              b'"type":"api_error","param":null,"code":null}}\n')
        assert fetch(s.ports[0], "GET", "/v1/models/a/b").status == 404
        r = fetch(s.ports[0], "GET", "/v1/models/")
        assert r.status == 301 and r.header("Location") == "/v1/models"
        for method, path, allow in (("HEAD", "/v1/models", "GET"), ("POST", "/v1/models", "GET"),
                                    ("GET", V1, "POST"), ("DELETE", "/v1/models/tiny", "GET")):
            r = fetch(s.ports[0], method, path)
            assert r.status == 405 and r.header("Allow") == allow, (method, path)


# ---- errors ---------------------------------------------------------------------------------

def gin_error(msg):
    """ChatMiddleware's own 400: gin's AbortWithStatusJSON."""
    return json.dumps({"error": {"message": msg, "type": "invalid_request_error", "param": None,
                                 "code": None}}, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e").encode()


@pytest.mark.parametrize("raw,msg", [
    (b'{"model":', "unexpected EOF"),
    (b"", "EOF"),
    (b"[1]", "json: cannot unmarshal array into Go value of type openai.ChatCompletionRequest"),
    (b'{"model":"tiny"}', "[] is too short - 'messages'"),
    (b'{"model":"tiny","messages":[]}', "[] is too short - 'messages'"),
    (b"null", "[] is too short - 'messages'"),
    (b'{"model":"tiny","messages":[{"role":"user"}]}', "invalid message content type: <nil>"),
    (b'{"model":"tiny","messages":[{"role":"user","content":5}]}', "invalid message content type: float64"),
    (b'{"model":"tiny","messages":[{"role":"user","content":[{"type":"x"}]}]}', "invalid message format"),
    (b'{"model":"tiny","messages":[{"role":"user","content":[{"type":"image_url","image_url":"http://x"}]}]}',
     "invalid image input"),
    (b'{"model":"tiny","messages":"x"}',
     "json: cannot unmarshal string into Go struct field ChatCompletionRequest.messages of type []openai.Message"),
    (b'{"model":"tiny","messages":[1]}',
     "json: cannot unmarshal number into Go struct field ChatCompletionRequest.messages of type openai.Message"),
    (b'{"model":"tiny","messages":[{"role":5,"content":"x"}]}',
     "json: cannot unmarshal number into Go struct field Message.messages.role of type string"),
    # The first mismatch in the document wins, as in Go.
    (b'{"model":"tiny","messages":[{"role":"user","content":"x"}],"max_tokens":"3","stream":"x"}',
     "json: cannot unmarshal string into Go struct field ChatCompletionRequest.max_tokens of type int"),
    (b'{"model":"tiny","stream":"x","messages":[{"role":"user","content":"x"}],"max_tokens":"3"}',
     "json: cannot unmarshal string into Go struct field ChatCompletionRequest.stream of type bool"),
    (b'{"model":"tiny","messages":[{"role":"user","content":"x"}],"max_tokens":2.5}',
     "json: cannot unmarshal number 2.5 into Go struct field ChatCompletionRequest.max_tokens of type int"),
    (b'{"model":"tiny","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":1}}',
     "json: cannot unmarshal number into Go struct field StreamOptions.stream_options.include_usage of type bool"),
    (b'{"model":"tiny","messages":[{"role":"user","content":"x"}],"temperature":"hot"}',
     "json: cannot unmarshal string into Go struct field ChatCompletionRequest.temperature of type float64"),
])
def test_middleware_errors(sim, raw, msg):
    r = fetch(sim.ports[0], "POST", V1, raw)
    assert r.status == 400 and r.header("Content-Type") == "application/json; charset=utf-8"
    assert r.body == gin_error(msg)


def test_handler_errors(sim):
    """Errors of the chat handler behind the middleware pass through writeError: type
    api_error whatever the status, application/json, a newline."""
    def oai(msg):
        return json.dumps({"error": {"message": msg, "type": "api_error", "param": None, "code": None}},
                          separators=(",", ":")).encode() + b"\n"
    msgs = [{"role": "user", "content": "x"}]
    for b, status, msg in (({"messages": msgs}, 400, "model is required"),
                           ({"model": "bad name!", "messages": msgs}, 400, "model is required"),
                           ({"model": "nope", "messages": msgs, "stream": True}, 404,
                            'model "nope" not found, try pulling it first')):
        r = fetch(sim.ports[0], "POST", V1, b)
        assert (r.status, r.header("Content-Type"), r.body) == (status, "application/json", oai(msg))
    # Field names match case-insensitively; the model is echoed as sent.
    r = fetch(sim.ports[0], "POST", V1, b'{"MODEL":"Tiny","Messages":[{"Role":"user","Content":"x"}],"Max_Tokens":1}')
    assert r.status == 200 and r.json()["model"] == "Tiny" and r.json()["usage"]["completion_tokens"] == 1


# ---- faults ---------------------------------------------------------------------------------

def test_faults_404_500():
    with start_sim(FAST + ["--port", "0", "--port", "0", "--fault", "#0:404", "--fault", "#1:500"]) as s:
        r = fetch(s.ports[0], "POST", V1, body(2))
        assert r.status == 404 and r.json()["error"] == {
            "message": 'model "tiny" not found, try pulling it first', "type": "api_error",
            "param": None, "code": None}
        r = fetch(s.ports[1], "POST", V1, body(2))
        assert r.status == 500 and r.json()["error"]["message"] == "simulated server error"
        assert r.header("Content-Type") == "application/json"


def test_fault_error_line_and_event():
    with start_sim(FAST + ["--port", "0", "--port", "0", "--fault", "#0:error-line:2",
                           "--fault", "#1:error-event:2"]) as s:
        line = fetch(s.ports[0], "POST", V1, body(9))
        assert line.complete and len(line.chunks) == 3 and b"[DONE]" not in line.body
        assert chunk_json(line.chunks[-1])["model"] == ""       # what Ollama sends: no message
        ev = fetch(s.ports[1], "POST", V1, body(9))
        assert ev.complete and len(ev.chunks) == 3 and b"[DONE]" not in ev.body
        assert chunk_json(ev.chunks[-1]) == {"error": {"message": "simulated failure after 2 tokens",
                                                       "type": "api_error", "param": None, "code": None}}
        for port in s.ports:                                    # a whole answer: a 500
            r = fetch(port, "POST", V1, body(9, stream=False))
            assert r.status == 500 and r.header("Content-Type") == "application/json"
            assert r.json()["error"]["message"] == "simulated failure after 2 tokens"
        # On the native API error-event is error-line.
        r = fetch(s.ports[1], "POST", "/api/chat", {"model": "tiny", "messages": [{"role": "user", "content": "x"}],
                                                     "options": {"num_predict": 9}})
        assert json.loads(r.chunks[-1]) == {"error": "simulated failure after 2 tokens"}
        s.stop()
        reasons = [e["reason"] for e in s.emit_log() if e.get("ev") == "end"]
        assert reasons.count("error-event") == 3 and reasons.count("error-line") == 2


def test_fault_disconnect_and_stall():
    with start_sim(FAST + ["--port", "0", "--port", "0", "--fault", "#0:disconnect:2",
                           "--fault", "#1:stall:2"]) as s:
        r = fetch(s.ports[0], "POST", V1, body(9))
        assert r.status == 200 and not r.complete and len(r.chunks) == 2
        r = fetch(s.ports[1], "POST", V1, body(9), timeout=0.5)
        assert r.status == 200 and not r.complete and len(r.chunks) == 2


def test_fault_malformed_oversized_utf8_split():
    size = 1 << 16
    with start_sim(FAST + ["--port", "0", "--port", "0", "--port", "0", "--fault", "#0:malformed:1",
                           "--fault", "#1:oversized:64KiB", "--fault", "#2:utf8-split"]) as s:
        r = fetch(s.ports[0], "POST", V1, body(3))
        assert r.complete and len(r.chunks) == 5            # token, bad event, 2 tokens, end
        (bad,) = events(r.chunks[1])
        with pytest.raises(ValueError):
            json.loads(bad)
        r = fetch(s.ports[0], "POST", V1, body(3, stream=False))
        assert r.status == 200
        with pytest.raises(ValueError):
            r.json()
        r = fetch(s.ports[1], "POST", V1, body(3))
        assert r.complete and len(r.chunks) == 4 and len(r.chunks[0]) == size
        assert len(chunk_json(r.chunks[0])["choices"][0]["delta"]["content"]) > size - 300
        r = fetch(s.ports[2], "POST", V1, body(3))
        assert r.complete and len(r.chunks) == 2 * 3 + 1
        for a, b in zip(r.chunks[0:6:2], r.chunks[1:6:2]):
            with pytest.raises(UnicodeDecodeError):
                a.decode("utf-8")
            assert any(ord(ch) > 127 for ch in chunk_json(a + b)["choices"][0]["delta"]["content"])


def test_fault_drop_reused_and_slow_headers():
    with start_sim(FAST + ["--port", "0", "--port", "0", "--fault", "#0:drop-reused",
                           "--fault", "#1:slow-headers:50"]) as s:
        with socket.create_connection(("127.0.0.1", s.ports[0]), timeout=5) as c:
            req = json.dumps(body(1, stream=False)).encode()
            head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % (V1, len(req))).encode()
            c.sendall(head + req)
            first = c.recv(65536)
            assert first.startswith(b"HTTP/1.1 200")
            c.sendall(head + req)
            assert c.recv(65536) == b""                      # closed, unanswered
        r = fetch(s.ports[1], "POST", V1, body(2))
        assert r.complete and len(r.chunks) == 3


# ---- slots and the emission log ----------------------------------------------------------

def test_slots_and_emission_log():
    """Two /v1 streams on one slot: the second waits (nothing sent) until the first ends,
    and the emission log has the same lines as for /api/chat."""
    import threading
    with start_sim(["--model", "tiny", "--decode-tps", "400", "--num-parallel", "1",
                    "--sched-ms", "0"]) as s:
        out = {}

        def run(k):
            out[k] = fetch(s.ports[0], "POST", V1, body(8))
        threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(out[k].complete and len(out[k].chunks) == 9 for k in out)
        s.stop()
        log = s.emit_log()
    starts = [e for e in log if e.get("ev") == "start"]
    assert [e["path"] for e in starts] == [V1, V1]
    assert sum(1 for e in log if e.get("ev") == "queued") == 1
    slots = [e for e in log if e.get("ev") == "slot"]
    assert len(slots) == 2 and sorted(e["wait_ns"] > 0 for e in slots) == [False, True]
    for st in starts:
        mine = [e for e in log if e.get("conn") == st["conn"] and e.get("req") == st["req"]]
        assert [e["i"] for e in mine if "i" in e] == list(range(8))
        end = [e for e in mine if e.get("ev") == "end"]
        assert end[0]["tokens"] == 8 and end[0]["reason"] == "length" and end[0]["status"] == 200
    # The queued stream's first token came after the other's last.
    first = {}
    last = {}
    for e in log:
        if "i" in e:
            first.setdefault(e["conn"], e["due_ns"])
            last[e["conn"]] = e["due_ns"]
    a, b = sorted(first, key=first.get)
    assert first[b] >= last[a]


def test_chunk_shape_helpers_see_a_bad_frame():
    with pytest.raises(AssertionError):
        chunk_shape(b"data: {}\n")
    with pytest.raises(AssertionError):
        events(b"event: x\n\n")
