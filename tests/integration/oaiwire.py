"""oaiwire — Ollama's OpenAI-compatible wire (/v1/chat/completions, /v1/models) read at
the byte level, and compared with what the real server sent (tests/e2e/captures/openai-*)
or sends (tests/e2e/test_sim_parity.py).

    real = capture("openai-chat-stream")          # the request and the captured answer
    sim = fetch(port, real.method, real.path, real.body)
    same_wire(real.resp, sim)

Two answers are the same wire when the status line, the header names in order and their
values (but Date, and Content-Length where a body holds generated text) are equal, the
HTTP chunks frame the same SSE events, and every JSON object has the same keys in the
same order with the same values, except those that cannot agree: ids ("chatcmpl-N"),
"created", generated text and token counts. Error bodies must be equal byte for byte.
Standard library only; the bytes are read and parsed by tests/e2e/rawhttp.py.
"""

import json
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CAPTURES = os.path.join(REPO, "tests", "e2e", "captures")
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from rawhttp import exchange, parse_response  # noqa: E402  (one HTTP reader for both suites)


def fetch(port, method, path, body=b"", timeout=20.0, headers=()):
    """Sends one request (Content-Length framed, as curl does) and reads one response:
    until it is complete, or the server closes, or timeout."""
    return exchange(port, method, path, body=body, headers=list(headers), timeout=timeout, linger=0)


class Capture:
    def __init__(self, name):
        with open(os.path.join(CAPTURES, name + ".req"), "rb") as f:
            req = f.read().decode()
        first, _, body = req.partition("\n")
        self.method, self.path = first.split(" ", 1)
        body = body.rstrip("\n")
        # A note after the body says how the capture was made (the runner was killed).
        note = body.find("  (")
        self.body = (body[:note] if note >= 0 else body).encode()
        with open(os.path.join(CAPTURES, name + ".txt"), "rb") as f:
            self.resp = parse_response(f.read(), self.method)
        self.name = name


def capture(name):
    return Capture(name)


def capture_names():
    return sorted(n[:-4] for n in os.listdir(CAPTURES) if n.startswith("openai-") and n.endswith(".txt"))


# ---- normalising what cannot agree --------------------------------------------------------

def normalize(v, key=None):
    """A JSON value with ids, times, generated text and counts replaced by placeholders
    (keys and their order kept)."""
    if isinstance(v, dict):
        return {k: normalize(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [normalize(x, key) for x in v]
    if key == "id" and isinstance(v, str):
        return re.sub(r"^chatcmpl-\d{1,3}$", "chatcmpl-N", v)
    if key == "created" and isinstance(v, int):
        return "<unix>"
    if key == "content" and isinstance(v, str) and v:
        return "<text>"
    if key in ("prompt_tokens", "completion_tokens", "total_tokens") and isinstance(v, int):
        return "<count>"
    return v


def ordered(data):
    return json.loads(data, object_pairs_hook=lambda kv: {k: v for k, v in kv})


def events(chunk):
    """The SSE events of one HTTP chunk: each `data: X\\n\\n`, X returned."""
    assert chunk.endswith(b"\n\n"), chunk[-200:]
    parts = chunk[:-2].split(b"\n\n")
    for p in parts:
        assert p.startswith(b"data: ") and b"\n" not in p, p[:200]
    return [p[6:] for p in parts]


def chunk_shape(chunk):
    """One HTTP chunk of a stream as a comparable string: its events, normalised."""
    out = []
    for e in events(chunk):
        out.append("[DONE]" if e == b"[DONE]" else json.dumps(normalize(ordered(e))))
    return " | ".join(out)


def stream_shape(resp, collapse=True):
    """The chunks' shapes; collapse merges runs of equal shapes (token chunks differ only
    in number between two answers of different lengths)."""
    shapes = [chunk_shape(c) for c in resp.chunks]
    if not collapse:
        return shapes
    out = []
    for s in shapes:
        if not out or out[-1] != s:
            out.append(s)
    return out


def same_wire(real, sim, exact_chunks=True):
    """Asserts that sim's answer is real's wire (see the module's docstring)."""
    where = "\nreal: %r\nsim:  %r" % (real.raw[:1200], sim.raw[:1200])
    assert real.complete == sim.complete, where
    assert real.status_line == sim.status_line, where
    assert [k for k, _ in real.headers] == [k for k, _ in sim.headers], where
    ctype = real.header("Content-Type") or ""
    generated = (real.status == 200 and ctype.startswith(("text/event-stream", "application/json"))) \
        or b'"created"' in real.body
    skip = {"date"} | ({"content-length"} if generated else set())
    assert [(k, v) for k, v in real.headers if k.lower() not in skip] == \
        [(k, v) for k, v in sim.headers if k.lower() not in skip], where
    assert real.chunked == sim.chunked, where
    if ctype.startswith("text/event-stream"):
        assert stream_shape(real) == stream_shape(sim), where
        if exact_chunks:
            assert len(real.chunks) == len(sim.chunks), where
    elif generated:
        assert real.body.endswith(b"\n") == sim.body.endswith(b"\n"), where
        assert json.dumps(normalize(ordered(real.body))) == json.dumps(normalize(ordered(sim.body))), where
    else:
        assert real.body == sim.body, where
