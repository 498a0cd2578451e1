"""Tests of tandemkit: that each part behaves as the C core it mirrors (src/core/ndjson.c,
ollama_proto.c, call.c, sse.c, openai_proto.c, call_openai.c, job.c), and that request bodies built from the core's plan are the
bodies the C variants send.

    python3 -m pytest -q clients/tandemkit                      # needs no server
    TANDEM_BIN=build/bin python3 -m pytest -q clients/tandemkit # + the plan of tandem-report
"""

import asyncio
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import tandemkit as T  # noqa: E402


def _bindir():
    d = os.environ.get("TANDEM_BIN", os.path.join(REPO, "build", "bin"))
    return d if os.path.isabs(d) else os.path.join(REPO, d)


REPORT = os.path.join(_bindir(), "tandem-report")
needs_report = pytest.mark.skipif(not os.access(REPORT, os.X_OK), reason="needs tandem-report in $TANDEM_BIN")


# ---- ndjson.c ------------------------------------------------------------------------------

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


# ---- sse.c, openai_proto.c, call_openai.c ------------------------------------------------------

def _sse(chunks, max_event=1 << 20):
    f = T.SseFramer(max_event)
    events, rc = [], 0
    for c in chunks:
        rc = f.feed(c, lambda d: events.append(d) or 0)
        if rc:
            break
    return events, rc, f.pending()


def test_sse_framer_every_split():
    data = (b'data: {"a":1}\r\n\r\n: ping\n\nevent: x\nid: 7\ndata:{"b":2}\n\n'
            b'data: one\rdata: two\r\rretry: 5\ndata\n\ndata: [DONE]\n\ndata: tail')
    want = [b'{"a":1}', b'{"b":2}', b"one\ntwo", b"", b"[DONE]"]
    for i in range(len(data) + 1):
        for j in range(i, len(data) + 1):
            assert _sse([data[:i], data[i:j], data[j:]]) == (want, 0, 10), (i, j)


def test_sse_framer_too_long_and_stop():
    events, rc, _ = _sse([b"data: " + b"x" * 100 + b"\n\n"], max_event=64)
    assert rc == T.SSE_ERR_TOO_LONG and events == []
    events, rc, _ = _sse([b"data: " + b"x" * 64 + b"\n\n"], max_event=64)  # exactly the limit
    assert rc == 0 and events == [b"x" * 64]
    events, rc, _ = _sse([b"data: " + b"x" * 40 + b"\n", b"data: " + b"x" * 40 + b"\n\n"], max_event=64)
    assert rc == T.SSE_ERR_TOO_LONG
    f = T.SseFramer(1024)
    seen = []
    assert f.feed(b"data: a\n\ndata: b\n\n", lambda d: seen.append(d) or 7) == 7
    assert seen == [b"a"] and f.pending() == 0


OAI_CHUNK = (b'{"id":"chatcmpl-661","object":"chat.completion.chunk","created":1796652116,"model":"tiny",'
             b'"system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":" ru"},'
             b'"finish_reason":null}]}')


def test_parse_openai_chunks_usage_timings_and_errors():
    assert T.parse_openai(OAI_CHUNK) == (" ru", "", None, "", {}, False)
    whole = b'{"choices":[{"message":{"content":"hi","reasoning_content":"r"},"finish_reason":"stop"}]}'
    assert T.parse_openai(whole) == ("hi", "r", None, "stop", {}, True)
    last = (b'{"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":9},'
            b'"timings":{"prompt_n":1,"predicted_n":8,"prompt_ms":1.5,"predicted_ms":20}}')
    assert T.parse_openai(last)[4] == {"prompt_eval_count": 2, "eval_count": 9, "prompt_eval_duration": 1500000,
                                       "eval_duration": 20000000}
    assert T.parse_openai(b'{"error":{"message":"boom","type":"x"}}')[2] == "boom"
    assert T.parse_openai(b'{"error":"bare"}')[2] == "bare"
    assert T.parse_openai(b'{"error":{}}')[2] == "(the server\'s error had no message)"


@pytest.mark.parametrize("data,msg", [
    (b'{"choices":[{"delta":{"content":7}}]}', '"choices[0].delta.content" is an integer, expected a string or null'),
    (b'{"choices":{}}', '"choices" is an object, expected an array'),
    (b'{"choices":[1]}', '"choices[0]" is an integer, expected an object'),
    (b'{"usage":{"completion_tokens":-1}}', '"usage.completion_tokens" is an integer, expected a non-negative'),
    (b'{"timings":{"predicted_ms":"1"}}', '"timings.predicted_ms" is a string, expected a number of milliseconds'),
    (b'{"error":5}', '"error" is an integer, expected an object with a message'),
    (b'[]', "expected a JSON object, got an array"),
    (b'{"a":', "not valid JSON"),
])
def test_parse_openai_errors_name_the_member(data, msg):
    with pytest.raises(T.LineError) as e:
        T.parse_openai(data)
    assert msg in str(e.value) and "; event: " in str(e.value)


def _oai_call(max_line=1 << 20):
    rec = T.Record(1, "sequential", 0, 0)
    rec.api = "openai"
    c = T.new_call(rec, {"connect_ms": 5000, "first_byte_ms": 300000, "idle_ms": 60000, "total_ms": 1800000},
                   max_line)
    assert isinstance(c, T.OpenAICall)
    c.begin(100)
    c.request_started(200, 0, False)
    c.status(200, 300)
    return rec, c


def test_openai_call_events_usage_and_done():
    rec, c = _oai_call()
    assert c.body(b"data: " + OAI_CHUNK + b"\n\ndata: " + OAI_CHUNK[:40], 400) == T.CALL_MORE
    tail = (OAI_CHUNK[40:] + b'\n\ndata: {"choices":[{"delta":{},"finish_reason":"length"}]}\n\n'
            b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}\n\ndata: [DONE]\n\n')
    assert c.body(tail, 500) == T.CALL_DONE
    assert rec.ev_t == [400, 500] and rec.text_str() == " ru ru" and rec.frames == 5
    assert rec.ok and rec.t_done == 500 and rec.done_reason == "length"
    assert rec.server == {"prompt_eval_count": 3, "eval_count": 2}


def test_openai_call_endings_and_faults():
    rec, c = _oai_call()  # a whole reply
    c.body(b'  {"choices":[{"message":{"content":"whole"},"finish_reason":"stop"}]}', 400)
    assert c.end(500) == T.CALL_DONE and rec.ev_content == [5] and rec.done_reason == "stop"
    rec, c = _oai_call()  # JSON, but not a chat completion
    c.body(b'{"object":"list"}', 400)
    assert c.end(500) == T.CALL_FAILED and "not a chat completion" in rec.error_message
    rec, c = _oai_call()  # Ollama loses a mid-stream error: no [DONE]
    c.body(b"data: " + OAI_CHUNK + b"\n\n", 400)
    assert c.end(500) == T.CALL_FAILED and rec.error_kind == "disconnected"
    assert rec.error_message.endswith("before its final event (data: [DONE])")
    rec, c = _oai_call()
    c.body(b"data: " + OAI_CHUNK[:30], 400)
    assert c.end(500) == T.CALL_FAILED and "middle of a Server-Sent Event" in rec.error_message
    rec, c = _oai_call()
    c.body(b'data: {"error":{"message":"oops"}}\n\n', 400)
    assert rec.error_kind == "server_error" and rec.error_message.endswith("mid-stream: oops")
    rec, c = _oai_call()
    c.body(b"data: not json\n\n", 400)
    assert rec.error_kind == "protocol" and rec.error_message.startswith("malformed event from server: not valid")
    rec, c = _oai_call(max_line=1024)
    assert c.body(b"data: " + b"x" * 2000, 400) == T.CALL_FAILED and rec.error_kind == "line_too_long"
    rec, c = _oai_call()
    c.status(404, 300)
    c.body(b'{"error":{"message":"model \\"x\\" not found","type":"api_error"}}', 400)
    assert c.end(500) == T.CALL_FAILED
    assert rec.error_kind == "model_not_found" and rec.error_message == 'HTTP 404: model "x" not found'


# ---- job.c, with the plan's request bodies ---------------------------------------------------

def _agent(steps):
    before, after = '{"model":"m","prompt":', ',"stream":true}'
    doc = {"name": "a", "server": "http://h:1", "url": "http://h:1/api/generate",
           "steps": [{"prompt": p, "body_before": before, "body_after": after} for p in steps]}
    return T.PlanAgent(0, doc, {"model": "m"})


def test_job_previous_and_skip():
    recs = [T.Record(1, "sequential", 0, k) for k in range(3)]
    j = T.AgentJob(_agent(["p", "q {previous}", "r"]), False, recs, "{previous}")
    r, url, body = j.next_call(10)
    assert url == "http://h:1/api/generate" and body == b'{"model":"m","prompt":"p","stream":true}'
    r.text, r.ok = ['out "quoted"\n'], True
    r, url, body = j.next_call(20)
    assert json.loads(body)["prompt"] == 'q out "quoted"\n' and j.t_begin == 10 and r.request_bytes == len(body)
    r.fail("timeout_idle", 30, "x")
    assert j.call_finished(40) and j.t_end == 40
    assert recs[2].error_kind == "skipped" and recs[2].error_message == "not run: step 2 of agent 'a' failed before it"


def _plan(*args):
    p = subprocess.run([REPORT, "plan", "--variant", "kit-test"] + list(args), capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@needs_report
def test_plan_bodies_are_the_c_bodies(tmp_path):
    """The chat API, a system prompt, options and keep_alive: the body the kit builds from
    the plan parses to what the scenario says, with the prompt where the core put it."""
    scen = tmp_path / "s.yaml"
    scen.write_text("""name: kit
agents:
  - name: one
    url: http://127.0.0.1:9
    model: m:1
    api: chat
    keep_alive: 5m
    options: {num_predict: 8, temperature: 0.5}
    steps:
      - {prompt: "first \\"é\\"", system: "be brief"}
      - {prompt: "then {previous} and {previous}"}
""")
    plan = _plan("--scenario-file", str(scen), "--runs", "3", "--order-seed", "8")
    assert plan["schema"] == T.PLAN_SCHEMA and plan["runs"] == 3 and plan["command"].startswith("run --scenario-file")
    assert len(plan["sequential_orders"]) == 3 and all(o == [0] for o in plan["sequential_orders"])
    a = T.PlanAgent(0, plan["agents"][0], plan["scenario"]["agents"][0])
    recs = [T.Record(1, "sequential", 0, k) for k in range(2)]
    j = T.AgentJob(a, False, recs, plan["previous_mark"])
    r, url, body = j.next_call(1)
    d = json.loads(body)
    assert url == "http://127.0.0.1:9/api/chat"
    assert d == {"model": "m:1", "messages": [{"role": "system", "content": "be brief"},
                                            {"role": "user", "content": 'first "é"'}],
                 "stream": True, "options": {"num_predict": 8, "temperature": 0.5}, "keep_alive": "5m"}
    r.text, r.ok = ["X"], True
    _, _, body = j.next_call(2)
    assert json.loads(body)["messages"][0]["content"] == "then X and X"
    w = T.AgentJob(a, True, [T.Record(1, "warmup", 0, 0)], plan["previous_mark"])
    _, _, body = w.next_call(3)
    d = json.loads(body)
    assert d["options"]["num_predict"] == 1 and d["messages"][1]["content"] == plan["scenario"]["warmup_prompt"]


@needs_report
def test_plan_orders_are_the_runners():
    """Each run's sequential order is tdm_shuffle_ints(seed + run), as the C runner shuffles."""
    plan = _plan("--scenario", "chimera-homo", "--runs", "4", "--order-seed", "42")
    assert plan["sequential_orders"] == [[1, 0], [0, 1], [1, 0], [0, 1]]
    assert not _plan("--scenario", "chimera-homo", "--phases", "conc")["sequential_orders"]


# ---- start_ms: an agent's first concurrent call held until it is due (runner.c, job.c) ----------

class _FakeRuntime:
    """Answers every call at once with one final line; remembers when each call began."""

    def __init__(self):
        self.begun = []

    async def call(self, agent_index, call, url, body):
        now = T.monotonic_ns()
        self.begun.append((agent_index, call.rec.t_begin))
        call.request_started(now, 0, False)
        call.status(200, now)
        call.body(b'{"response":"x","done":true}\n', now)
        call.end(now)


def _runner(start_ms, steps=1):
    """A Runner over agents whose scenario entries give start_ms (None: the key absent),
    with the scenario's arrivals object the kit must carry without reading."""
    scen_agents, agents = [], []
    for i, ms in enumerate(start_ms):
        sa = {"name": "a%d" % i, "model": "m"}
        if ms is not None:
            sa["start_ms"] = ms
        scen_agents.append(sa)
        step = {"prompt": "p", "body_before": '{"prompt":', "body_after": "}"}
        agents.append({"name": "a%d" % i, "server": "http://h:1", "url": "http://h:1/api/generate",
                       "steps": [step] * steps, "warmup": step})
    plan = {"settings": {"quiet": True}, "output_dir": "unused", "previous_mark": "{previous}", "variant": "kit-test",
            "sequential_orders": [list(range(len(agents)))], "agents": agents,
            "scenario": {"name": "s", "agents": scen_agents, "max_line_bytes": 1 << 20,
                         "arrivals": {"process": "poisson", "rate": 2.5, "duration_s": 10, "count": 3},
                         "timeouts": {"connect_ms": 5000, "first_byte_ms": 5000, "idle_ms": 5000, "total_ms": 5000}}}
    rt = _FakeRuntime()
    return T.Runner(rt, plan, "0"), rt


def _phase(runner, phase):
    d = T.RunData(1, [a.name for a in runner.agents])
    failed = asyncio.run(getattr(runner, phase)(d))
    return d, failed


@pytest.fixture
def no_interrupt():
    yield
    T.INTERRUPT.update(count=0, deadline=0)


def test_start_ms_holds_the_first_concurrent_call():
    runner, rt = _runner([None, 20, 0.5, 0], steps=2)
    d, failed = _phase(runner, "concurrent")
    assert failed == 0 and len(rt.begun) == 8
    by = {(c.agent, c.step): c for c in d.calls}
    t_release = d.conc[1][0]
    assert all(t[0] == t_release for t in d.conc)
    first = by[(1, 0)]
    assert first.t_due == t_release + 20 * 1000000 and first.t_begin >= first.t_due
    assert by[(2, 0)].t_due == t_release + 500000 and by[(2, 0)].t_begin >= by[(2, 0)].t_due
    assert d.conc[1][1] == first.t_begin  # the agent's phase begins with its first call
    # the first arrival (start_ms 0) is due at the release itself
    assert by[(3, 0)].t_due == t_release and by[(3, 0)].t_begin >= t_release
    # only an agent's first call with start_ms has a due time of its own
    assert all(by[k].t_due == 0 for k in [(0, 0), (0, 1), (1, 1), (2, 1), (3, 1)])
    assert by[(0, 0)].t_begin == t_release


def test_job_due_mirrors_tdm_job_due():
    a = _agent(["p", "q"])
    a.start_ns = 7
    c = T.AgentJob(a, False, [T.Record(1, "concurrent", 0, k) for k in range(2)], "{previous}")
    assert c.due() == 0  # not released yet
    c.t_release = 100
    assert c.due() == 107
    r, _, _ = c.next_call(107)
    assert r.t_due == 107 and c.due() == 0
    r.ok = True
    r, _, _ = c.next_call(200)
    assert r.t_due == 0
    s = T.AgentJob(a, False, [T.Record(1, "sequential", 0, 0)], "{previous}")
    w = T.AgentJob(a, True, [T.Record(1, "warmup", 0, 0)], "{previous}")
    s.t_release = w.t_release = 100
    assert s.due() == 0 and w.due() == 0


def test_start_ms_is_ignored_outside_the_concurrent_phase():
    runner, rt = _runner([60000, 60000])  # held, these would outlast the test run
    d, failed = _phase(runner, "sequential")
    assert failed == 0 and [c.t_due for c in d.calls] == [0, 0]
    assert all(c.t_begin == d.seq[c.agent][0] for c in d.calls)
    d, failed = _phase(runner, "warmup")
    assert failed == 0 and [c.t_due for c in d.calls] == [0, 0]


def test_interrupt_while_held_records_the_call_as_not_run(no_interrupt):
    runner, rt = _runner([None, 60000])

    async def go(d):
        asyncio.get_running_loop().call_later(0.01, runner.on_interrupt)
        return await runner.concurrent(d)
    d = T.RunData(1, ["a0", "a1"])
    asyncio.run(go(d))
    held = [c for c in d.calls if c.agent == 1][0]
    assert [a for a, _ in rt.begun] == [0]
    assert held.error_kind == "skipped" and "interrupted" in held.error_message and held.t_begin == 0
    assert held.t_due == 0  # as tdm_job_next: a due time only on a call handed out


def test_record_t_due_ns_just_before_t_begin_ns():
    r = T.Record(1, "concurrent", 0, 0)
    keys = list(r.to_json())
    assert keys.index("t_due_ns") + 1 == keys.index("t_begin_ns") and r.to_json()["t_due_ns"] == 0
    r.t_due, r.t_begin = 5, 7
    j = json.loads(T.json_text(r.to_json()))
    assert (j["t_due_ns"], j["t_begin_ns"]) == (5, 7)


# ---- workflows: scenario_workflow.c, workflow_board.c, job.c, request.c ------------------------

def _wf_agents(spec, history=False):
    """PlanAgents from [(name, [(step, after, think_ms, dist, prompt)...])], api: chat bodies."""
    agents = []
    for i, (name, steps) in enumerate(spec):
        before = '{"model":"m","messages":[{"role":"user","content":'
        doc = {"name": name, "server": "http://h:1", "url": "http://h:1/api/chat",
               "steps": [{"prompt": p, "body_before": before, "body_after": '}],"stream":true}'}
                         for (_, _, _, _, p) in steps]}
        scen = {"model": "m", "api": "chat", "history": history, "steps": [
            dict({"name": n, "prompt": p}, **({"after": aft} if aft else {}),
                 **({"think_ms": t} if t else {}), **({"think_dist": d} if d else {}))
            for (n, aft, t, d, p) in steps]}
        agents.append(T.PlanAgent(i, doc, scen))
    T.resolve_workflow(agents)
    return agents


def test_fill_prompt_is_one_pass():
    after = ["a.x", "b.y"]
    p = T.fill_prompt("{previous}|{output:b.y}|{output:a.x}|{output:zz}|{output:open", "{previous}",
                      "P{output:a.x}", after, ["X{previous}", "Y"])
    assert p == "P{output:a.x}|Y|X{previous}||{output:open"
    assert T.fill_prompt("no marks", "{previous}", None, [], None) == "no marks"


def test_resolve_and_order_as_the_core():
    # names with '.' in them: "a.b" + "c" and "a" + "b.c" are both tried
    agents = _wf_agents([("a.b", [("c", None, 0, None, "p")]), ("a", [("b.c", None, 0, None, "q")]),
                         ("w", [("s", ["a.b.c"], 0, None, "r"), ("t", ["a.b.c"], 0, None, "s")])])
    assert agents[2].deps == [[(0, 0)], [(0, 0)]]
    agents = _wf_agents([("r1", [("main", None, 0, None, "p")]), ("r2", [("main", None, 0, None, "p")]),
                         ("w", [("draft", ["r1.main", "r2.main"], 0, None, "d"), ("polish", None, 0, None, "q")])])
    assert T.workflow_order(agents, [2, 1, 0]) == [(1, 0), (0, 0), (2, 0), (2, 1)]
    with pytest.raises(T.TandemError) as e:
        _wf_agents([("a", [("s", ["nobody.main"], 0, None, "p")])])
    assert "names no step" in str(e.value)


def test_think_draw_fixed_and_exponential():
    assert T.think_draw(5, 1, 3, 1, 100000000, False) == 100000000
    assert T.think_draw(5, 1, 3, 1, 0, True) == 0
    # the value the C variants record for this seed, run, agent and step (job.c think_ns)
    assert T.think_draw(5, 1, 3, 1, 100000000, True) == 56144458
    draws = [T.think_draw(42, r, 0, 0, 1000000, True) for r in range(1, 2001)]
    assert len(set(draws)) > 1900 and 0.9e6 < sum(draws) / len(draws) < 1.1e6  # mean think_ms


def _settle(rec, ok, t_done, text=""):
    rec.ok, rec.t_done, rec.text = ok, t_done, [text]
    if not ok:
        rec.error_kind = "connect"


def test_board_due_outputs_and_think():
    agents = _wf_agents([("r1", [("main", None, 0, None, "p")]), ("r2", [("main", None, 0, None, "p")]),
                         ("w", [("draft", ["r1.main", "r2.main"], 0, None, "{output:r2.main}+{output:r1.main}"),
                                ("polish", None, 0.5, None, "again {previous}")])])
    board = T.Board(agents)
    jobs = [T.AgentJob(a, False, [T.Record(1, "concurrent", a.index, k) for k in range(len(a.steps))],
                       "{previous}", board, 5) for a in agents]
    for j in jobs:
        j.t_release = 100
    assert jobs[0].due() == 100 and jobs[2].due() == T.JOB_WAIT
    r1, _, _ = jobs[0].next_call(100)
    r2, _, _ = jobs[1].next_call(100)
    _settle(r2, True, 300, "TWO")
    jobs[1].call_finished(300)
    assert jobs[2].due() == T.JOB_WAIT  # r1 still going
    _settle(r1, True, 250, "ONE")
    jobs[0].call_finished(250)
    assert jobs[2].due() == 300
    d, url, body = jobs[2].next_call(300)
    assert d.t_due == 300 and d.after == [(0, 0), (1, 0)] and d.think_ns == 0
    assert json.loads(body)["messages"][0]["content"] == "TWO+ONE"
    _settle(d, True, 400, "DRAFT")
    assert not jobs[2].call_finished(400)
    assert jobs[2].due() == 400 + 500000
    p, _, body = jobs[2].next_call(400 + 500000)
    assert p.think_ns == 500000 and p.after is None and json.loads(body)["messages"][0]["content"] == "again DRAFT"
    j = p.to_json()
    assert "after" not in j and j["think_ns"] == 500000 and d.to_json()["after"] == [[0, 0], [1, 0]]


def test_a_failed_input_skips_the_waiting_steps_naming_it():
    agents = _wf_agents([("r1", [("main", None, 0, None, "p")]),
                         ("w", [("draft", ["r1.main"], 0, None, "{output:r1.main}"), ("polish", None, 0, None, "q")])])
    board = T.Board(agents)
    jobs = [T.AgentJob(a, False, [T.Record(1, "concurrent", a.index, k) for k in range(len(a.steps))],
                       "{previous}", board, 5) for a in agents]
    for j in jobs:
        j.t_release = 100
    r, _, _ = jobs[0].next_call(100)
    _settle(r, False, 200)
    assert jobs[0].call_finished(200)
    assert jobs[1].due() == 0  # handed out at once, to be skipped
    assert jobs[1].next_call(210) is None
    for rec in jobs[1].records:
        assert rec.error_kind == "skipped" and rec.t_begin == 0
        assert rec.error_message == ("not run: step 'main' of agent 'r1', which step 'draft' of agent 'w' waits "
                                     "for, failed")
    assert board.done_at[(1, 0)] == -1 and board.done_at[(1, 1)] == -1


def test_serial_board_runs_one_step_at_a_time_in_its_turn():
    agents = _wf_agents([("a", [("s", None, 0, None, "p"), ("t", None, 0, None, "q")]),
                         ("b", [("s", ["a.s"], 0, None, "{output:a.s}")])])
    order = T.workflow_order(agents, [1, 0])
    assert order == [(0, 0), (1, 0), (0, 1)]
    board = T.Board(agents, order)
    jobs = [T.AgentJob(a, False, [T.Record(1, "sequential", a.index, k) for k in range(len(a.steps))],
                       "{previous}", board, 5) for a in agents]
    for j in jobs:
        j.t_release = 100
    assert jobs[0].due() == 100 and jobs[1].due() == T.JOB_WAIT
    r, _, _ = jobs[0].next_call(100)
    _settle(r, True, 200, "A")
    jobs[0].call_finished(200)
    assert jobs[0].due() == T.JOB_WAIT and jobs[1].due() == 200  # b's turn, not a's second step
    r, _, _ = jobs[1].next_call(200)
    _settle(r, True, 300, "B")
    jobs[1].call_finished(300)
    assert jobs[0].due() == 300


def test_history_sends_the_agents_earlier_turns():
    agents = _wf_agents([("a", [("one", None, 0, None, "first"), ("two", None, 0, None, "then {previous}")])],
                        history=True)
    job = T.AgentJob(agents[0], False, [T.Record(1, "sequential", 0, k) for k in range(2)], "{previous}",
                     T.Board(agents), 5)
    job.t_release = 1
    r, _, body = job.next_call(1)
    assert json.loads(body)["messages"] == [{"role": "user", "content": "first"}]
    _settle(r, True, 2, 'said "é"')
    job.call_finished(2)
    _, _, body = job.next_call(3)
    assert body == ('{"model":"m","messages":[{"role":"user","content":"first"},{"role":"assistant","content":'
                    '"said \\"é\\""},{"role":"user","content":"then said \\"é\\""}],"stream":true}').encode()
    # the warm-up never sends history
    w = T.AgentJob(agents[0], True, [T.Record(1, "warmup", 0, 0)], "{previous}")
    assert w.board is None


def test_workflow_phases_in_the_runner():
    """The fake runtime answers at once: the sequential phase is one batch (one_batch) in a
    topological order, the concurrent one releases every agent and each step waits for
    its inputs; the records carry after and think_ns."""
    runner, rt = _runner([None, None, None], steps=1)
    scen_agents = runner.plan["scenario"]["agents"]
    for sa, name in zip(scen_agents, ("r1", "r2", "w")):
        sa["name"] = name
        sa["steps"] = [{"name": "main", "prompt": "p"}]
    scen_agents[2]["steps"] = [{"name": "main", "prompt": "p", "after": ["r1.main", "r2.main"], "think_ms": 1}]
    runner.plan["scenario"]["workflow"] = True
    runner.plan["sequential_orders"] = [[2, 1, 0]]
    runner = T.Runner(rt, dict(runner.plan, agents=[dict(a, name=n) for a, n in
                                                     zip(runner.plan["agents"], ("r1", "r2", "w"))]), "0")
    d, failed = _phase(runner, "sequential")
    assert failed == 0 and d.seq_one_batch and d.to_json()["sequential"]["one_batch"] is True
    assert [c.agent for c in sorted(d.calls, key=lambda c: c.t_begin)] == [1, 0, 2]
    d, failed = _phase(runner, "concurrent")
    w = [c for c in d.calls if c.agent == 2][0]
    assert failed == 0 and w.after == [(0, 0), (1, 0)] and w.think_ns == 1000000
    assert w.t_due == max(c.t_done for c in d.calls if c.agent != 2) + 1000000 <= w.t_begin
    assert "one_batch" not in (d.to_json()["sequential"] or {})


# ---- SDK clients: what the kit reports for an SDK's chunks (SdkRuntime, HttpWatch) ---------------

def test_sdk_chunks_become_records_as_lines_do():
    rec, c = _call()
    c.status(200, 300)
    c.sdk_read(100, 400)
    c.sdk_chunk("a", None, 410)
    c.sdk_chunk("", None, 420)  # a chunk without text: a frame, no token event
    c.sdk_chunk("é", "th", 430)
    c.sdk_final("stop", {"eval_count": 2, "prompt_eval_count": 3, "bogus": 1, "eval_duration": True}, 440)
    c.sdk_chunk("late", None, 450)  # after the final chunk: nothing more is recorded
    assert rec.ok and rec.t_done == 440 and rec.frames == 3 and rec.reads == 1 and rec.bytes == 100
    j = rec.to_json()
    assert j["events"] == {"dt_ns": [310, 330], "content_bytes": [1, 2], "thinking_bytes": [0, 2]}
    assert j["server"] == {"prompt_eval_count": 3, "eval_count": 2}
    assert j["done_reason"] == "stop" and j["text"] == "aé"


def test_http_watch_sees_the_sse_end_split_across_reads():
    httpx = pytest.importorskip("httpx")
    for cut in range(0, 16):
        data = b'data: {"x":1}\n\ndata: [DONE]\n\n'
        w = T.HttpWatch(httpx)
        rec, c = _call()
        w.begin(c)
        pieces = [data[:cut + 10], data[cut + 10:]]
        for piece in pieces:
            w.read(piece)
        assert w.done_seen, cut
        assert rec.bytes == len(data) and rec.reads == 2
    w.begin(c)
    w.read(b'data: {"x":1}\n\n')
    assert not w.done_seen


def test_an_openai_record_names_its_api():
    r = T.Record(1, "concurrent", 0, 0)
    r.api = "openai"
    keys = list(r.to_json())
    assert keys[keys.index("url") + 1] == "api" and r.to_json()["api"] == "openai"
    r.api = "chat"
    assert "api" not in r.to_json()


def _fake_tool(tmp_path, body):
    tool = tmp_path / "tandem-report"
    tool.write_text("#!/bin/sh\n" + body + "\n")
    tool.chmod(0o755)
    return {"_tool": str(tool), "settings": {}}


def test_hold_servers_keeps_what_the_core_says_of_the_locks(tmp_path):
    plan = _fake_tool(tmp_path, 'echo \'held {"taken_by": null, "why_not": "--no-lock"}\'; cat > /dev/null')
    holder = T.hold_servers(plan, "x", [])
    assert plan["_server_lock"] == {"taken_by": None, "why_not": "--no-lock"}
    T.release_servers(holder)
    assert holder.returncode == 0


@pytest.mark.parametrize("body,msg", [
    ("echo 'held not json'; cat > /dev/null", "not 'held' and a JSON object"),
    ("echo 'busy' >&2; exit 4", "hold-servers exit 4"),
])
def test_hold_servers_refusals_name_the_cause(tmp_path, body, msg):
    plan = _fake_tool(tmp_path, body)
    with pytest.raises(T.TandemError) as e:
        T.hold_servers(plan, "x", [])
    assert msg in str(e.value) and "_server_lock" not in plan
