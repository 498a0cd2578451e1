"""Tests of tandem-python-httpx's own code: that each part mirrors the C core it claims to.

    python3 -m pytest -q clients/python-httpx                      # unit tests
    TANDEM_BIN=build/bin python3 -m pytest -q clients/python-httpx # + parity with a C variant

The unit tests need no server. The parity tests (skipped unless $TANDEM_BIN, default
build/bin, holds tandem-sim and a C variant) run a C variant against tandem-sim and
rebuild its summary.json / report.md / table with this client's port of metrics.c,
summary.c and summary_text.c: they must come out the same. The conformance suite
(tests/integration/test_engine.py) covers the client end to end once the launcher is in
$TANDEM_BIN beside the C binaries.
"""

import importlib.machinery
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAUNCHER = os.path.join(HERE, "tandem-python-httpx")


def _load():
    loader = importlib.machinery.SourceFileLoader("tandem_python_httpx", LAUNCHER)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


T = _load()


def run_launcher(*args, python=sys.executable, timeout=60):
    return subprocess.run([python, LAUNCHER] + list(args), capture_output=True, text=True, timeout=timeout)


# ---- prng.c: the sequential order must be the C variants' order ---------------------------

# (seed, n, order) from tdm_shuffle_ints (src/core/prng.c) compiled and run.
C_SHUFFLES = [
    (0, 2, [0, 1]), (0, 3, [2, 0, 1]), (0, 5, [2, 3, 1, 4, 0]), (0, 8, [2, 5, 0, 3, 4, 6, 1, 7]),
    (8, 2, [1, 0]), (8, 3, [0, 2, 1]), (8, 5, [4, 0, 3, 1, 2]), (8, 8, [3, 5, 0, 2, 4, 1, 7, 6]),
    (42, 2, [0, 1]), (42, 3, [0, 2, 1]), (42, 5, [1, 2, 0, 4, 3]), (42, 8, [3, 1, 6, 2, 4, 0, 7, 5]),
    (43, 2, [1, 0]), (43, 3, [0, 2, 1]), (43, 5, [2, 1, 4, 3, 0]), (43, 8, [4, 7, 2, 6, 1, 3, 5, 0]),
    (44, 2, [0, 1]), (44, 3, [1, 2, 0]), (44, 5, [4, 3, 0, 2, 1]), (44, 8, [6, 0, 5, 4, 2, 7, 1, 3]),
    (9007199254740992, 5, [4, 3, 1, 0, 2]), (9007199254740992, 8, [0, 5, 2, 6, 3, 4, 1, 7]),
    (18446744073709551615, 5, [2, 0, 3, 4, 1]), (18446744073709551615, 8, [7, 3, 5, 4, 2, 6, 1, 0]),
]


@pytest.mark.parametrize("seed,n,order", C_SHUFFLES)
def test_shuffle_matches_c(seed, n, order):
    assert T.shuffle_ints(list(range(n)), seed) == order


def test_splitmix64_matches_c():
    a, st = T.splitmix64(42)
    b, st = T.splitmix64(st)
    assert (a, b) == (13679457532755275413, 2949826092126892291)


# ---- request.c: the body's bytes are jansson's --------------------------------------------

@pytest.mark.parametrize("v,text", [(1.0, "1.0"), (0.9, "0.90000000000000002"), (80.0, "80.0"), (1e20, "1e20"),
                                    (1e-5, "1.0000000000000001e-5"), (0.5, "0.5"), (1.1, "1.1000000000000001")])
def test_real_text_is_janssons(v, text):
    assert T.jansson_real_text(v) == text


def test_request_body_layout():
    a = T.Agent()
    a.model, a.url, a.keep_alive = "m", "http://h:1/", "-1"
    a.options = {T.OPT_TEMPERATURE: 1.0, T.OPT_NUM_CTX: 512.0}
    step = T.Step("s", 'say "{previous}"', "sys\n")
    body = T.request_body(a, step, "é", {T.OPT_NUM_PREDICT: 1.0})
    assert body == ('{"model":"m","prompt":"say \\"é\\"","system":"sys\\n","stream":true,'
                    '"options":{"num_ctx":512,"num_predict":1,"temperature":1.0},"keep_alive":-1}').encode()
    a.api, a.keep_alive = "chat", "5m"
    body = T.request_body(a, T.Step("s", "p"), None, None)
    assert body == ('{"model":"m","messages":[{"role":"user","content":"p"}],"stream":true,'
                    '"options":{"num_ctx":512,"temperature":1.0},"keep_alive":"5m"}').encode()
    assert T.request_url(a) == "http://h:1/api/chat"


# ---- ndjson.c: lines whatever the split ----------------------------------------------------

def _frame(chunks, max_line=1 << 20):
    f = T.Framer(max_line)
    lines = []
    rc = 0
    for c in chunks:
        rc = f.feed(c, lambda line: lines.append(bytes(line)) or 0)
        if rc:
            break
    return lines, rc, bytes(f.pending)


def test_framer_every_split():
    data = b'{"a":1}\n\r\n{"b":"\xc3\xa9"}\r\n\n{"c":3}\n{"tail"'
    want = [b'{"a":1}', b'{"b":"\xc3\xa9"}', b'{"c":3}']
    for i in range(len(data) + 1):
        for j in range(i, len(data) + 1):
            lines, rc, pending = _frame([data[:i], data[i:j], data[j:]])
            assert (lines, rc, pending) == (want, 0, b'{"tail"'), (i, j)


def test_framer_too_long_as_soon_as_known():
    lines, rc, _ = _frame([b"x" * 1025], max_line=1024)
    assert rc == T.NDJSON_ERR_TOO_LONG and lines == []
    lines, rc, _ = _frame([b"x" * 1024 + b"\r\n"], max_line=1024)  # the \r belongs to the line end
    assert rc == 0 and lines == [b"x" * 1024]
    lines, rc, _ = _frame([b"x" * 600, b"x" * 600 + b"\n"], max_line=1024)
    assert rc == T.NDJSON_ERR_TOO_LONG


def test_framer_stops_when_told():
    f = T.Framer(1024)
    seen = []
    assert f.feed(b"a\nb\nc", lambda line: seen.append(line) or 7) == 7
    assert seen == [b"a"] and not f.pending


# ---- ollama_proto.c ------------------------------------------------------------------------

def test_parse_line_generate_chat_and_final():
    assert T.parse_line(b'{"response":"hi","done":false}')[:4] == (False, "hi", "", None)
    assert T.parse_line(b'{"message":{"content":"c","thinking":"t"}}')[1:3] == ("c", "t")
    done, _, _, _, reason, counters = T.parse_line(
        b'{"done":true,"done_reason":"length","eval_count":5,"eval_duration":10,"load_duration":null}')
    assert done and reason == "length" and counters == {"eval_count": 5, "eval_duration": 10}


@pytest.mark.parametrize("line,msg", [
    (b'{"response":5}', '"response" is an integer, expected a string'),
    (b'{"done":"yes"}', '"done" is a string, expected true or false'),
    (b'{"eval_count":-1}', '"eval_count" is an integer, expected a non-negative integer'),
    (b'{"eval_count":true}', '"eval_count" is true, expected a non-negative integer'),
    (b'{"message":[]}', '"message" is an array, expected an object'),
    (b'[1]', 'expected a JSON object, got an array'),
    (b'{"response": NaN}', 'not valid JSON'),
    (b'{"resp', 'not valid JSON'),
    (b'\xff', 'not valid JSON'),
])
def test_parse_line_errors_name_the_member(line, msg):
    with pytest.raises(T.LineError) as e:
        T.parse_line(line)
    assert msg in str(e.value) and "; line: " in str(e.value)


def test_quote_line_keeps_utf8_valid():
    assert T.quote_line(b"a\x01\xffb") == "a??b"
    q = T.quote_line(("é" * 50).encode())
    assert q.endswith("...") and len(q.encode()) <= 83


# ---- call.c --------------------------------------------------------------------------------

def _call(max_line=1 << 20):
    rec = T.Record(1, "sequential", 0, 0)
    c = T.Call(rec, {"connect_ms": 5000, "first_byte_ms": 300000, "idle_ms": 60000, "total_ms": 1800000}, max_line)
    c.begin(100)
    c.request_started(200, 0, False)
    return rec, c


def test_call_events_get_the_time_of_the_read_that_completed_them():
    rec, c = _call()
    c.status(200, 300)
    assert c.body(b'{"response":"a"}\n{"resp', 400) == T.CALL_MORE
    assert c.body(b'onse":"\xc3', 500) == T.CALL_MORE
    assert c.body(b'\xa9"}\n{"done":true,"eval_count":2,"done_reason":"stop"}\n', 600) == T.CALL_DONE
    assert rec.ev_t == [400, 600] and rec.ev_content == [1, 2] and rec.text_str() == "aé"
    assert rec.ok and rec.t_done == 600 and rec.reads == 3 and rec.frames == 3 and rec.done_reason == "stop"
    j = rec.to_json()
    assert j["events"]["dt_ns"] == [300, 500] and j["server"] == {"eval_count": 2} and j["error"] is None


def test_call_http_errors():
    rec, c = _call()
    c.status(404, 300)
    c.body(b'{"error":"model \'x\' not found"}', 400)
    assert c.end(500) == T.CALL_FAILED
    assert rec.error_kind == "model_not_found" and rec.error_message == "HTTP 404: model 'x' not found"
    rec, c = _call()
    c.status(500, 300)
    c.end(400)
    assert rec.error_kind == "http_status" and rec.error_message == "HTTP 500: (empty body)"


def test_call_endings():
    rec, c = _call()
    c.status(200, 300)
    c.body(b'{"response":"a"}\n{"respo', 400)
    assert c.end(500) == T.CALL_FAILED and rec.error_kind == "disconnected"
    assert "middle of a line (7 bytes unfinished)" in rec.error_message
    rec, c = _call()  # a non-streamed reply: one object, no newline
    c.status(200, 300)
    c.body(b'{"response":"whole","done":true}', 400)
    assert c.end(500) == T.CALL_DONE and rec.ok and rec.ev_content == [5]
    rec, c = _call()
    c.status(200, 300)
    c.body(b'{"response":"a"}\n{"error":"boom"}\n', 400)
    assert rec.error_kind == "server_error" and rec.error_message.endswith("mid-stream: boom")
    rec, c = _call(max_line=1024)
    c.status(200, 300)
    assert c.body(b"x" * 2000, 400) == T.CALL_FAILED and rec.error_kind == "line_too_long"


def test_call_timeouts_in_order():
    rec, c = _call()
    assert c.deadline() == 200 + 300000 * 10 ** 6
    assert not c.check_timeouts(200 + 300000 * 10 ** 6 - 1)
    assert c.check_timeouts(200 + 300000 * 10 ** 6) and rec.error_kind == "timeout_first_byte"
    rec, c = _call()
    c.status(200, 300)
    c.body(b'{"response":"a"}\n', 1000)
    assert c.deadline() == 1000 + 60000 * 10 ** 6
    assert c.check_timeouts(c.deadline()) and "idle_ms = 60000" in rec.error_message


# ---- job.c -----------------------------------------------------------------------------------

def test_job_previous_and_skip():
    s = T.Scenario()
    a = T.Agent()
    a.name, a.url, a.model = "a", "http://h:1", "m"
    a.steps = [T.Step("one", "p"), T.Step("two", "q {previous}"), T.Step("three", "r")]
    s.agents = [a]
    recs = [T.Record(1, "sequential", 0, k) for k in range(3)]
    j = T.AgentJob(s, 0, False, recs)
    r, url, body = j.next_call(10)
    r.text, r.ok = ["out"], True
    r, url, body = j.next_call(20)
    assert b'"prompt":"q out"' in body and j.t_begin == 10
    r.fail("timeout_idle", 30, "x")
    assert j.call_finished(40) and j.t_end == 40
    assert recs[2].error_kind == "skipped" and recs[2].error_message == "not run: step 2 of agent 'a' failed before it"


# ---- scenarios ---------------------------------------------------------------------------------

def test_builtin_option_precedence():
    b = T.BuiltinArgs()
    b.scenario = "chimera_hetero"
    b.common = {T.OPT_NUM_PREDICT: 8.0, T.OPT_NUM_CTX: 99.0}
    b.chimera = {T.OPT_NUM_CTX: 256.0}
    b.chimera2 = {T.OPT_NUM_GPU: 100.0}
    s = T.scenario_builtin(b)
    assert s.name == "chimera-hetero"
    assert s.agents[0].options == {T.OPT_NUM_GPU: 80.0, T.OPT_NUM_CTX: 256.0, T.OPT_TEMPERATURE: 1.0,
                                   T.OPT_NUM_PREDICT: 8.0}
    assert s.agents[1].options[T.OPT_NUM_GPU] == 100.0 and s.agents[1].options[T.OPT_NUM_CTX] == 256.0
    assert [st.name for st in s.agents[0].steps] == ["analysis", "report"]
    b.scenario = "baseline-vs-chimera"
    assert T.scenario_builtin(b).agents[0].options == b.common
    b.scenario = "nope"
    with pytest.raises(T.TandemError, match="not a built-in one"):
        T.scenario_builtin(b)


OK_AGENT = 'agents:\n  - {name: a, url: "http://127.0.0.1:1", model: m, prompt: p}\n'


@pytest.mark.parametrize("text,msg", [
    ("runs: 1.5\n" + OK_AGENT, "src.yaml: runs: '1.5' is not a whole number; write an integer from 1 to 10000"),
    ("warmup: maybe\n" + OK_AGENT, "warmup: 'maybe' is not a boolean; write true or false"),
    ("foo: 1\n" + OK_AGENT, "(top level): unknown key 'foo'; the keys allowed here are name, description"),
    ("runs: 1\nruns: 2\n" + OK_AGENT, "runs: 'runs' is given twice; keep one"),
    ("phases: [sequential, parallel]\n" + OK_AGENT, "'parallel' is not a phase"),
    ("phases: []\n" + OK_AGENT, "phases: none selected"),
    ("d: &x 1\n", "unknown key 'd'"),
    ('agents:\n  - {name: a, url: "http://127.0.0.1:1", model: &m m, prompt: *m}\n',
     "agents[0].prompt: YAML aliases (*name) are not supported"),
    (OK_AGENT + "---\nname: y\n", "holds more than one YAML document"),
    ("", "empty; a scenario needs at least an agents: list"),
    ("- a\n", "a scenario file is a mapping of key: value pairs"),
    ("name: x\nagents:\n  - {name: a, url: localhost:1, model: m, prompt: p}\n",
     "agents[0].url: 'localhost:1' is not an http:// URL; write it as http://HOST:PORT"),
    ('agents:\n  - {name: a, url: "http://127.0.0.1:1", model: m, prompt: "x {previous}"}\n',
     "agents[0].steps[0].prompt: uses {previous} but this is the agent's first step"),
    ('agents:\n  - {name: a, url: "http://127.0.0.1:1", model: m, prompt: p, options: {top_p: 1.5}}\n',
     "agents[0].options.top_p: 1.5 is out of range; use a value from 0 to 1"),
    ("timeouts: {idle_ms: 5s}\n" + OK_AGENT, "timeouts.idle_ms: '5s' is not a whole number of milliseconds"),
])
def test_yaml_errors_name_the_field(text, msg):
    pytest.importorskip("yaml")
    with pytest.raises(T.TandemError) as e:
        T.scenario_load_string(text, "src.yaml")
    assert msg in str(e.value)


def test_yaml_defaults_and_shorthand():
    pytest.importorskip("yaml")
    s = T.scenario_load_string(
        "phases: [concurrent]\ndefaults: {model: m, url: 'http://h:2', api: chat, options: {num_ctx: 64, top_p: 0.5}}\n"
        "agents:\n  - {name: a, prompt: p, options: {num_ctx: 128}}\n  - name: b\n    steps: [{prompt: x}, {prompt: y}]\n",
        "dir/my-scen.yml")
    assert s.name == "my-scen" and not s.sequential and s.concurrent
    assert s.agents[0].options == {T.OPT_NUM_CTX: 128.0, T.OPT_TOP_P: 0.5} and s.agents[0].api == "chat"
    assert [st.name for st in s.agents[0].steps] == ["main"] and [st.name for st in s.agents[1].steps] == ["step1", "step2"]
    j = T.scenario_to_json(s)
    assert j["agents"][0]["options"] == {"num_ctx": 128, "top_p": 0.5} and j["phases"] == ["concurrent"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:11434", "http://[::1]:1/", "http://a-b.c:65535/p/x"])
def test_valid_urls(url):
    T._check_url("u", url)


@pytest.mark.parametrize("url,why", [("http://h", "needs a port"), ("http://h:0", "needs a port"),
                                     ("http://h:70000", "needs a port"), ("https://h:1", "https"),
                                     ("http://h:1/?q", "query"), ("http://:1", "no valid host")])
def test_invalid_urls(url, why):
    with pytest.raises(ValueError, match=why):
        T._check_url("u", url)


@pytest.mark.parametrize("v,ok", [("5m", True), ("1h30m", True), ("-1", True), ("0", True), ("300ms", True),
                                  ("1.5h", True), ("5 m", False), ("m", False), ("", False), ("5x", False)])
def test_keep_alive(v, ok):
    assert T._valid_keep_alive(v) == ok


# ---- the command line ----------------------------------------------------------------------

@pytest.mark.parametrize("args,code,msg", [
    (["--runs", "x"], 2, "--runs: 'x' is not an integer between 1 and 10000"),
    (["--runs"], 2, "--runs needs a value; see --help"),
    (["--bogus"], 2, "unknown option '--bogus'"),
    (["extra"], 2, "unexpected argument 'extra'"),
    (["--scenario", "a", "--scenario-file", "b"], 2, "not both"),
    (["--phases", "none"], 2, "names no phase"),
    (["--chimera-num-gpu", "-2"], 2, "--chimera-num-gpu: '-2' is not an integer between -1 and 1e+09"),
    (["--scenario", "chimera-hetero", "--chimera2-top-p", "2"], 1,
     "built-in scenario chimera-hetero: agents[1].options.top_p: 2 is out of range"),
    (["--scenario", "nope"], 1, "scenario 'nope' is not a built-in one"),
    (["--scenario-file", "/nonexistent.yaml"], 1, "cannot open the scenario file"),
])
def test_cli_errors(args, code, msg):
    p = run_launcher("run", *args)
    assert p.returncode == code, p.stderr
    assert p.stderr.startswith("tandem: ") and msg in p.stderr


def test_cli_merges_like_c():
    c = T.cli_parse(["--scenario", "chimera-homo", "--num-predict", "8", "--seed", "3", "--runs", "2",
                     "--no-warmup", "--order-seed", "9", "--phases", "conc", "--output-dir", "/tmp/x"])
    s = c.scenario
    assert s.runs == 2 and not s.warmup and s.seed == 9 and not s.sequential and s.concurrent
    assert s.agents[0].options[T.OPT_NUM_PREDICT] == 8.0 and s.agents[1].options[T.OPT_SEED] == 3.0
    assert c.settings.argv[0] == "run" and c.settings.output_dir == "/tmp/x"


def test_help_version_and_usage():
    p = run_launcher("--help")
    assert p.returncode == 0 and "--scenario-file FILE" in p.stdout and "Exit status" in p.stdout
    p = run_launcher("run", "--help")
    assert p.returncode == 0 and "--chimera2-*" in p.stdout
    p = run_launcher("--version")
    assert p.returncode == 0 and p.stdout.startswith("tandem-python-httpx ")
    p = run_launcher()
    assert p.returncode == 2
    p = run_launcher("frobnicate")
    assert p.returncode == 2 and "unknown command 'frobnicate'" in p.stderr


def test_missing_httpx_is_named_with_the_fix():
    # -S: no site-packages, so neither httpx nor PyYAML can be imported
    p = subprocess.run([sys.executable, "-S", LAUNCHER, "run", "--scenario", "chimera-homo"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 1
    assert "install python3-httpx or pip install httpx" in p.stderr
    p = subprocess.run([sys.executable, "-S", LAUNCHER, "info"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "httpx is missing" in p.stderr


def test_info_describes_the_runtime():
    pytest.importorskip("httpx")
    p = run_launcher("info")
    d = json.loads(p.stdout)
    assert d["variant"] == "python-httpx" and d["runtime"]["threads"] == 1
    assert d["runtime"]["http"]["client"] == "httpx" and d["runtime"]["http"]["buffer_size"] == 65536


# ---- metrics.c / summary.c on hand-made records -------------------------------------------

def _rec(phase, agent, t_begin, t_start, dts, eval_count=None, eval_ns=None, ok=True):
    server = None
    if ok:
        server = {"eval_count": eval_count if eval_count is not None else len(dts), "eval_duration": eval_ns or 10 ** 9,
                  "prompt_eval_duration": 2 * 10 ** 6}
    return {"run": 1, "phase": phase, "agent": agent, "step": 0, "ok": ok, "t_begin_ns": t_begin,
            "t_start_ns": t_start, "t_first_byte_ns": t_start + 10 ** 6, "t_done_ns": t_begin + dts[-1] if dts else 0,
            "connect_ns": 0, "events": {"dt_ns": dts, "content_bytes": [1] * len(dts), "thinking_bytes": [0] * len(dts)},
            "server": server, "error": None if ok else {"kind": "disconnected", "message": "x"}}


def test_call_metrics():
    m = T.call_metrics_compute(_rec("sequential", 0, 1000, 2000, [5 * 10 ** 6, 7 * 10 ** 6, 12 * 10 ** 6]))
    assert m["ttft_ms"] == pytest.approx((1000 + 5e6 - 2000) / 1e6)
    assert m["server_ttft_ms"] == 2.0 and m["itl_p50_ms"] == pytest.approx(3.5) and m["tpot_ms"] == pytest.approx(3.5)
    assert m["decode_tps"] == 3.0 and not m["token_mismatch"]
    m = T.call_metrics_compute(_rec("sequential", 0, 0, 0, [1], eval_count=2))
    assert math.isnan(m["ttft_ms"]) and m["token_mismatch"] and math.isnan(m["itl_p50_ms"])


def test_run_metrics_efficiency():
    s = 10 ** 9
    d = {"run": 1, "agents": ["a", "b"],
         "sequential": {"order": [1, 0], "agents": [{"release_ns": 0, "begin_ns": 0, "end_ns": 1 * s},
                                                    {"release_ns": 2 * s, "begin_ns": 2 * s, "end_ns": 3 * s}]},
         "concurrent": {"agents": [{"release_ns": 4 * s, "begin_ns": 4 * s, "end_ns": 6 * s},
                                   {"release_ns": 4 * s, "begin_ns": 4 * s, "end_ns": 6 * s}]},
         "calls": [_rec("sequential", 0, 0, 0, [1, 2], eval_ns=s), _rec("sequential", 1, 0, 0, [1, 2], eval_ns=s),
                   _rec("concurrent", 0, 0, 0, [1, 2], eval_ns=2 * s), _rec("concurrent", 1, 0, 0, [1, 2], eval_ns=2 * s)]}
    m = T.run_metrics_compute(d, 10.0)
    assert m["t_seq_s"] == 2.0 and m["t_conc_s"] == 2.0 and m["efficiency_pct"] == 50.0
    assert m["legacy_efficiency_pct"] == 100.0 and m["contention_detected"]
    assert m["agents"][0]["decode_drop_pct"] == 50.0 and m["agents"][0]["slowdown"] == 2.0
    d["sequential"] = None
    m = T.run_metrics_compute(d, 10.0)
    assert math.isnan(m["efficiency_pct"]) and math.isnan(m["agents"][0]["slowdown"])
    doc = T.summary_for_file(T.summary_json({"name": "x", "runs": 1, "agents": [{}, {}], "phases": ["concurrent"]},
                                            {"variant": "v"}, [d]))
    assert doc["runs"][0]["efficiency_pct"] is None and doc["complete"] is True
    json.dumps(doc, allow_nan=False)  # no NaN reaches the file


def test_quantile_and_sums_are_cs():
    assert T.quantile_inplace([3.0, 1.0, 2.0, 4.0], 0.9) == pytest.approx(3.7)
    assert math.isnan(T.quantile_inplace([], 0.5)) and math.isnan(T.sd([1.0]))
    assert T.fdiv(1.0, 0.0) == math.inf and math.isnan(T.fdiv(0.0, 0.0)) and math.isnan(T.fdiv(math.nan, 0.0))


# ---- parity with the C core on real records -----------------------------------------------

def _bindir():
    d = os.environ.get("TANDEM_BIN", os.path.join(REPO, "build", "bin"))
    return d if os.path.isabs(d) else os.path.join(REPO, d)


def _c_variant():
    d = _bindir()
    for v in ("tokio-localset", "smol", "tokio-default", "async-std", "blocking", "smol-1kb", "curl-1kb", "smol-8kb"):
        if os.access(os.path.join(d, "tandem-" + v), os.X_OK):
            return v
    return None


needs_c = pytest.mark.skipif(not (_c_variant() and os.access(os.path.join(_bindir(), "tandem-sim"), os.X_OK)),
                             reason="needs tandem-sim and a C variant in $TANDEM_BIN (default build/bin)")


def _close(a, b, path=""):
    if isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            _close(a[k], b[k], path + "." + k)
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, "%s[%d]" % (path, i))
    elif isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(a)), (path, a, b)
    else:
        assert a == b, (path, a, b)


@needs_c
@pytest.mark.parametrize("fault", [None, "error-line:3"])
def test_summary_port_reproduces_the_c_summary(tmp_path, fault):
    """A C variant's run directory, summarised again by this client's port of metrics.c,
    summary.c and summary_text.c: summary.json, report.md and the table are the C ones."""
    sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
    from simproc import start_sim
    from engine import scenario_yaml
    variant = _c_variant()
    args = ["--decode-tps", "1000", "--prefill-tps", "100000", "--port", "0", "--port", "0"]
    if fault:
        args += ["--fault", "#1:" + fault]
    with start_sim(args) as sim:
        scen = tmp_path / "s.yaml"
        scen.write_text(scenario_yaml([sim.url(0), sim.url(1)], num_predict=25, steps=2, runs=3))
        out = str(tmp_path / "c")
        p = subprocess.run([os.path.join(_bindir(), "tandem-" + variant), "run", "--scenario-file", str(scen),
                            "--output-dir", out], capture_output=True, text=True, timeout=120)
    assert p.returncode == (3 if fault else 0), p.stderr
    copy = str(tmp_path / "copy")
    shutil.copytree(out, copy)
    for name in ("summary.json", "report.md"):
        os.unlink(os.path.join(copy, name))
    q = run_launcher("summarize", copy)
    assert q.returncode == 0, q.stderr
    with open(os.path.join(out, "summary.json")) as f, open(os.path.join(copy, "summary.json")) as g:
        _close(json.load(f), json.load(g))
    with open(os.path.join(out, "report.md")) as f, open(os.path.join(copy, "report.md")) as g:
        assert f.read() == g.read()
    assert q.stdout.replace(copy, out) in p.stdout
