"""tandemkit — what every Python client of tandem shares, so that a client is only its runtime.

A tandem client runs the phases of a plan and writes raw records; everything else comes
from the C core (docs/own-client.md):
  - `tandem-report plan` turns the command line (the flags of every variant's `run`) into
    the plan: the validated scenario, each run's sequential order and every request body.
    No Python client parses YAML or validates a scenario.
  - this module runs the plan with asyncio: the warm-up, then per run the sequential
    phase (agents alone, in the plan's order) and the concurrent phase (all released
    together); a workflow's steps (after:, {output:AGENT.STEP}, think_ms, history) wait
    for each other as src/core/job.c and workflow_board.c make them, its sequential
    phase one step at a time in one batch; it times every call the way src/core/call.c
    does (NDJSON framing, Ollama's lines, failures by kind, timeouts), writes
    run_<k>/records.json and provenance.json atomically after every run
    (docs/records.md), samples the GPU when asked (tandem-gpu-telemetry) and snapshots
    /api/ps around each phase;
  - `tandem-report finalize` derives summary.json, report.md and the table with the core's
    own code.

A runtime is an object with (see clients/python-httpx/tandem-python-httpx):
  describe() -> dict               what runs, for provenance.json "runtime"
  libraries() -> dict              package versions, for provenance.json "libraries"
  async fetch(url, timeout_ms)     a GET for preflight and /api/ps: (status, body bytes)
  async call(agent_index, call, url, body)
                                   one streamed POST, reported to call: request_started(),
                                   status(), body() per read, end() or fail(); the kit
                                   enforces the scenario's timeouts around it
  async close()
  bind(plan_agents)                optional: called before anything is measured
and a client's main() is `tandemkit.main(sys.argv, VARIANT, SUMMARY, version, make_runtime,
usage, check_plan)` (check_plan: optional, refuses a plan the client cannot run).
A client on an official SDK subclasses SdkRuntime (section "SDK clients"), which reads
the transport under the SDK and takes the SDK's chunks (see clients/ollama-python,
clients/openai-python).

The sections below follow the C files they name; where the C code is the specification,
read it there. Python 3.11-compatible, standard library only.
"""

import asyncio
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_BUSY = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130

# SIGINT/SIGTERM during run (src/core/interrupt.h): how many arrived, and when the calls
# still in flight are cut (monotonic ns; 0 = no interrupt). Set by the loop's signal
# handler, read by AgentJob (no new call) and Call (the extra deadline).
INTERRUPT_GRACE_NS = 2000 * 1000000
INTERRUPT = {"count": 0, "deadline": 0}
PLAN_SCHEMA = "tandem.plan/1"
REPORT_TOOL = "tandem-report"
CLIENT_SCRIPT = [sys.argv[0]]  # the client's own path (main() sets it): tools are looked for beside it

monotonic_ns = time.monotonic_ns


class TandemError(Exception):
    """A message for stderr and the exit status to leave with."""

    def __init__(self, message, code=EXIT_ERROR):
        super().__init__(message)
        self.code = code


def tandem_version(stamped, script):
    """The version the build stamped into the client, else the repository's VERSION file
    above the script (a copy made by hand)."""
    if not stamped.startswith("@"):
        return stamped
    d = os.path.dirname(os.path.realpath(script))
    for _ in range(5):
        if os.path.isfile(os.path.join(d, "VERSION")) and os.path.isdir(os.path.join(d, "src", "core")):
            with open(os.path.join(d, "VERSION")) as f:
                return f.read().strip() or "0.0.0"
        d = os.path.dirname(d)
    return "0.0.0"


def _executable_file(p):
    return os.path.isfile(p) and os.access(p, os.X_OK)


def find_tool(name, env, script):
    """(path, None) or (None, why): $env, beside the client's script, on PATH."""
    given = os.environ.get(env)
    if given:
        if _executable_file(given):
            return given, None
        return None, "%s=%s is not an executable file; point it at %s or unset it" % (env, given, name)
    here = os.path.join(os.path.dirname(os.path.abspath(script)), name)
    if _executable_file(here):
        return here, None
    found = shutil.which(name)
    if found:
        return found, None
    return None, "%s is neither beside %s nor on PATH; build it with 'make' or set %s" % (name, script, env)


# ---- the plan (src/core/plan.c) ---------------------------------------------------------------

class PlanAgent:
    """One agent of the plan: its server (url), model, API, POST URL, request bodies, how
    long after the concurrent phase's release its first call is due (start_ns), and its
    workflow keys (history, and per step the after: names, think_ms and think_dist);
    the steps' after: names are resolved into (agent, step) pairs by resolve_workflow."""
    __slots__ = ("index", "name", "url", "model", "api", "post_url", "steps", "warmup", "start_ns", "history",
                 "step_names", "after", "deps", "think_ns", "think_exp")

    def __init__(self, index, doc, scen):
        self.index, self.name, self.url, self.post_url = index, doc["name"], doc["server"], doc["url"]
        self.model = scen["model"]
        self.api = doc.get("api") or scen.get("api") or "generate"
        self.steps, self.warmup = doc["steps"], doc.get("warmup")
        # The core validated start_ms (a number >= 0). It is there only with open-loop
        # arrivals (the first arrival's is 0); absent: no due time, released with the rest.
        start = scen.get("start_ms")
        self.start_ns = None if start is None else round(start * 1e6)
        self.history = scen.get("history") is True
        steps = scen.get("steps") or [{} for _ in self.steps]
        self.step_names = [st.get("name") or "" for st in steps]
        self.after = [list(st.get("after") or []) for st in steps]
        self.deps = [[] for _ in steps]
        # The scenario carries think_ms as think_ns / 1e6 (scenario_json.c); this gives the
        # core's integer back (src/core/scenario_yaml.c rounds the YAML's milliseconds once).
        self.think_ns = [_llround(st["think_ms"] * 1e6) if st.get("think_ms") else 0 for st in steps]
        self.think_exp = [st.get("think_dist") == "exponential" for st in steps]

    def step_name(self, k):
        return self.step_names[k] if k < len(self.step_names) else str(k)


def _llround(x):
    """C's llround: the nearest integer, halves away from zero."""
    r = math.floor(x)
    if x - r >= 0.5:
        r += 1
    return int(r) if x >= 0 else -_llround(-x)


def _find_step(agents, step_names, ref):
    """tdm_workflow_find_step (src/core/scenario_workflow.c): the (agent, step) that
    "AGENT.STEP" names, or None. Agent and step names may both hold '.', so every agent
    whose name starts ref is tried."""
    for a, names in zip(agents, step_names):
        if a.name and ref.startswith(a.name + ".") and len(ref) > len(a.name) + 1:
            rest = ref[len(a.name) + 1:]
            if rest in names:
                return a.index, names.index(rest)
    return None


def resolve_workflow(agents):
    """Each step's after: as (agent, step) pairs, as tdm_scenario_resolve_workflow resolved
    them when the core validated the scenario (the plan gives the names only); TandemError
    when a name finds no step (a tandem-report of another version)."""
    step_names = [a.step_names for a in agents]
    for a in agents:
        for k, refs in enumerate(a.after):
            deps = []
            for ref in refs:
                hit = _find_step(agents, step_names, ref)
                if hit is None:
                    raise TandemError("the plan's agent '%s' step %d waits for '%s', which names no step; use the "
                                      "tandem-report of the same tandem version" % (a.name, k, ref))
                deps.append(hit)
            a.deps[k] = deps


def workflow_order(agents, agent_order):
    """tdm_workflow_order (src/core/scenario_workflow.c): every step once, in a topological
    order; among the steps ready, the one whose agent comes first in agent_order, so a
    workflow without dependencies runs agent by agent as the sequential phase always has."""
    nxt = [0] * len(agents)
    out = []
    total = sum(len(a.steps) for a in agents)
    while len(out) < total:
        best = None
        for i in agent_order:
            a = agents[i]
            if nxt[i] >= len(a.steps):
                continue
            if all(nxt[d[0]] > d[1] for d in a.deps[nxt[i]]):
                best = i
                break
        if best is None:
            break  # a cycle: the core's validation refuses those
        out.append((best, nxt[best]))
        nxt[best] += 1
    return out


def load_plan(variant, args, script):
    """The plan of `run ARGS` from the core (`tandem-report plan`); TandemError with the
    core's message and exit status when the command line or the scenario is wrong."""
    tool, why = find_tool(REPORT_TOOL, "TANDEM_REPORT", script)
    if not tool:
        raise TandemError(why)
    try:
        p = subprocess.run([tool, "plan", "--variant", variant] + list(args), stdin=subprocess.DEVNULL,
                           capture_output=True)
    except OSError as e:
        raise TandemError("cannot start %s: %s" % (tool, e.strerror or e))
    if p.returncode != 0:
        msg = p.stderr.decode("utf-8", "replace").strip()
        prefix = "tandem-report plan: "
        raise TandemError(msg[len(prefix):] if msg.startswith(prefix) else msg or "%s plan failed" % tool,
                          p.returncode if p.returncode in (EXIT_ERROR, EXIT_USAGE) else EXIT_ERROR)
    try:
        plan = json.loads(p.stdout.decode("utf-8"))
    except ValueError as e:
        raise TandemError("%s plan printed no JSON (%s); is it the same tandem version?" % (tool, e))
    if not isinstance(plan, dict) or plan.get("schema") != PLAN_SCHEMA:
        raise TandemError("%s plan printed schema '%s', this client reads '%s'; use the tandem-report of the same "
                          "tandem version" % (tool, plan.get("schema") if isinstance(plan, dict) else None,
                                              PLAN_SCHEMA))
    plan["_tool"] = tool
    return plan


def hold_servers(plan, variant, args):
    """The servers' host-wide locks (src/core/run_lock.c), held by `tandem-report
    hold-servers` until release_servers closes its stdin, or this process dies (under
    --no-lock it holds nothing). What it says of the locks becomes plan["_server_lock"],
    for provenance "server_lock". TandemError with the core's exit status when a server is
    busy under --no-wait or a lock cannot be taken; the core said why."""
    try:
        p = subprocess.Popen([plan["_tool"], "hold-servers", "--variant", variant] + list(args),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    except OSError as e:
        raise TandemError("cannot start %s: %s" % (plan["_tool"], e.strerror or e))
    try:
        line = p.stdout.readline()
    except KeyboardInterrupt:
        p.kill()
        p.wait()
        raise
    if line.startswith(b"held "):
        try:
            plan["_server_lock"] = json.loads(line[5:])
        except ValueError:
            release_servers(p)
            raise TandemError("%s hold-servers said %r, not 'held' and a JSON object: is it the tandem-report "
                              "of this build?" % (plan["_tool"], line[:200]))
        return p
    p.stdin.close()
    rc = p.wait()
    if rc < 0 or rc == EXIT_INTERRUPTED:  # ^C while it waited: the signal reached us too
        raise KeyboardInterrupt
    raise TandemError("nothing measured (%s hold-servers exit %d, said above)" % (plan["_tool"], rc),
                      rc if rc in (EXIT_ERROR, EXIT_USAGE, EXIT_BUSY) else EXIT_ERROR)


def release_servers(holder):
    if holder is not None:
        holder.stdin.close()
        holder.wait()


# ---- the raw per-call record (src/core/record.c) -------------------------------------------

COUNTER_NAMES = ("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count",
                 "eval_duration")


class Record:
    __slots__ = ("run", "phase", "agent", "step", "t_due", "t_begin", "t_start", "t_first_byte", "t_done", "connect_ns",
                 "reused_connection", "ev_t", "ev_content", "ev_thinking", "bytes", "reads", "frames",
                 "http_status", "text", "thinking_bytes_total", "have_final", "done_reason", "server", "ok",
                 "error_kind", "error_message", "request_url", "request_bytes", "first_error", "after", "think_ns",
                 "prompt_sent", "api")

    def __init__(self, run, phase, agent, step):
        self.run, self.phase, self.agent, self.step = run, phase, agent, step
        self.t_begin = self.t_start = self.t_first_byte = self.t_done = self.connect_ns = 0
        self.t_due = 0  # when the call was due to start; 0 = no due time of its own
        self.reused_connection = False
        self.first_error = None  # set when the call was resent once after a stale kept-alive connection
        self.ev_t, self.ev_content, self.ev_thinking = [], [], []
        self.bytes = self.reads = self.frames = self.http_status = self.thinking_bytes_total = 0
        self.text = []
        self.have_final = False
        self.done_reason = ""
        self.server = {}
        self.ok = False
        self.error_kind = "none"
        self.error_message = None
        self.request_url = None
        self.request_bytes = 0
        self.api = None  # the agent's api: "openai" is written (docs/records.md), Ollama's are named by the url
        self.after = None  # a workflow step: the (agent, step) pairs it waited for
        self.think_ns = 0  # a workflow step: its pause in this run (0: none)
        self.prompt_sent = None  # with history: the prompt as sent, for the agent's later turns

    def add_event(self, t, content, thinking):
        """tdm_record_add_event: a token event at t with its text (either may be empty)."""
        self.ev_t.append(t)
        self.ev_content.append(_utf8_len(content) if content else 0)
        tl = _utf8_len(thinking) if thinking else 0
        self.ev_thinking.append(tl)
        if content:
            self.text.append(content)
        self.thinking_bytes_total += tl

    def fail(self, kind, now, msg):
        """tdm_record_fail: the first failure wins."""
        if self.error_kind != "none":
            return
        self.ok = False
        self.error_kind = kind
        if self.t_done == 0:
            self.t_done = now
        self.error_message = msg[:1023]

    def text_str(self):
        return "".join(self.text)

    def to_json(self):
        """tdm_record_to_json (src/core/rundata_json.c): the same members in the same order."""
        tb = self.t_begin
        o = {
            "run": self.run, "phase": self.phase, "agent": self.agent, "step": self.step,
            "url": self.request_url}
        if self.api == "openai":  # optional: only a call of the OpenAI API says so
            o["api"] = self.api
        o.update({
            "request_bytes": self.request_bytes, "ok": self.ok,
            "error": None if self.ok else {"kind": self.error_kind, "message": self.error_message or ""},
            "http_status": self.http_status, "t_due_ns": self.t_due, "t_begin_ns": self.t_begin,
            "t_start_ns": self.t_start, "t_first_byte_ns": self.t_first_byte, "t_done_ns": self.t_done,
            "connect_ns": self.connect_ns, "reused_connection": self.reused_connection})
        if self.after:  # optional keys, only on a workflow step (docs/records.md)
            o["after"] = [[a, k] for a, k in self.after]
        if self.think_ns:
            o["think_ns"] = self.think_ns
        if self.first_error is not None:  # optional keys, only after a retry (docs/records.md)
            o["retried_stale_connection"] = True
            o["first_error"] = self.first_error
        o.update({
            "bytes": self.bytes, "reads": self.reads, "frames": self.frames,
            "events": {"dt_ns": [t - tb for t in self.ev_t], "content_bytes": list(self.ev_content),
                       "thinking_bytes": list(self.ev_thinking)},
        })
        if self.have_final:
            o["server"] = {k: self.server[k] for k in COUNTER_NAMES if k in self.server}
            o["done_reason"] = self.done_reason
        else:
            o["server"] = None
            o["done_reason"] = None
        o["text"] = self.text_str()
        return o


# ---- one Ollama response line (src/core/ollama_proto.c) -----------------------------------

class LineError(Exception):
    pass


def _utf8_char_len(b, i):
    c = b[i]
    if c < 0x80:
        return 1
    if c & 0xE0 == 0xC0:
        n, cp = 2, c & 0x1F
    elif c & 0xF0 == 0xE0:
        n, cp = 3, c & 0x0F
    elif c & 0xF8 == 0xF0:
        n, cp = 4, c & 0x07
    else:
        return 0
    if i + n > len(b):
        return 0
    for k in range(1, n):
        if b[i + k] & 0xC0 != 0x80:
            return 0
        cp = (cp << 6) | (b[i + k] & 0x3F)
    if cp < (0, 0, 0x80, 0x800, 0x10000)[n] or cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
        return 0
    return n


ERROR_QUOTE_MAX = 200
_WHITE = b" \t\r\n"


def excerpt(text, limit, fold_space):
    """tdm_utf8_excerpt (src/core/utf8.c): at most `limit` bytes of text, never cutting a
    character, control bytes and invalid UTF-8 as '?', "..." when something was left out;
    with fold_space, leading white space dropped and each white-space run one space."""
    out = bytearray()
    i, n = 0, len(text)
    while fold_space and i < n and text[i] in _WHITE:
        i += 1
    while i < n:
        if fold_space and text[i] in _WHITE:
            while i < n and text[i] in _WHITE:
                i += 1
            if i == n or len(out) + 1 > limit:
                break
            out += b" "
            continue
        k = _utf8_char_len(text, i)
        if len(out) + (k or 1) > limit:
            break
        if k == 0 or (k == 1 and (text[i] < 0x20 or text[i] == 0x7F)):
            out += b"?"
            i += 1
            continue
        out += text[i:i + k]
        i += k
    if i < n:
        out += b"..."
    return out.decode("utf-8", "replace")


def quote_line(line, limit=80):
    """A protocol line in an error message (src/core/ollama_proto.c)."""
    return excerpt(line, limit, False)


def server_excerpt(text):
    """A server's error body in a message, on one line (src/core/call.c)."""
    return excerpt(text, ERROR_QUOTE_MAX, True)


def _type_name(v):
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, str):
        return "a string"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a real number"
    return "null"


def _reject_constant(name):
    raise ValueError("invalid token '%s'" % name)


def _utf8_len(s):
    return len(s) if s.isascii() else len(s.encode("utf-8", "surrogatepass"))


def _json_object(data, what):
    """One reply object by src/core/json_member.c's rules: the object, and wrong(key,
    value, expected), the LineError for a member of the wrong type. Raises LineError
    ("<why>; <what>: <quote>") when data is not a JSON object."""
    def fail(msg):
        return LineError("%s; %s: %s" % (msg, what, quote_line(data)))

    try:
        obj = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as e:
        raise fail("not valid JSON (at byte %d: unable to decode byte 0x%02x)" % (e.start, data[e.start]))
    except json.JSONDecodeError as e:
        raise fail("not valid JSON (at byte %d: %s)" % (e.pos, e.msg))
    except (ValueError, RecursionError) as e:
        raise fail("not valid JSON (%s)" % e)
    if not isinstance(obj, dict):
        raise fail("expected a JSON object, got %s" % _type_name(obj))
    return obj, lambda key, v, expected: fail('"%s" is %s, expected %s' % (key, _type_name(v), expected))


def parse_line(line):
    """tdm_ollama_parse_line: returns (done, content, thinking, error, done_reason, counters)
    or raises LineError("<why>; line: <quote>")."""
    obj, wrong = _json_object(line, "line")

    def string_member(o, key, shown=None):
        v = o.get(key)
        if v is None or isinstance(v, str):
            return v
        raise wrong(shown or key, v, "a string")

    error = string_member(obj, "error")
    string_member(obj, "model")
    done_reason = string_member(obj, "done_reason") or ""
    done = obj.get("done")
    if done is not None and not isinstance(done, bool):
        raise wrong("done", done, "true or false")
    content = string_member(obj, "response")
    thinking = string_member(obj, "thinking")
    msg = obj.get("message")
    if isinstance(msg, dict):
        c = string_member(msg, "content", "message.content")
        t = string_member(msg, "thinking", "message.thinking")
        if content is None:
            content = c
        if thinking is None:
            thinking = t
    elif msg is not None:
        raise wrong("message", msg, "an object")
    counters = {}
    for key in COUNTER_NAMES:
        v = obj.get(key)
        if v is None:
            continue
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise wrong(key, v, "a non-negative integer")
        counters[key] = v
    return done is True, content or "", thinking or "", error, done_reason, counters


# ---- NDJSON framing (src/core/ndjson.c) ------------------------------------------------------

NDJSON_OK, NDJSON_ERR_TOO_LONG = 0, -1


class Framer:
    """tdm_ndjson: complete lines, without '\\n' (a trailing '\\r' dropped), empty ones skipped;
    a line longer than max_line is an error as soon as that is known."""
    __slots__ = ("pending", "max_line", "lines", "error")

    def __init__(self, max_line):
        self.pending = bytearray()
        self.max_line = max_line
        self.lines = 0
        self.error = 0

    def _too_long(self, raw, last_is_cr):
        return raw - (1 if last_is_cr else 0) > self.max_line

    def _fail(self, code):
        self.pending = bytearray()
        self.error = code
        return code

    def _hold(self, data, start):
        n = len(data) - start
        if self._too_long(len(self.pending) + n, data[-1] == 13):
            return self._fail(NDJSON_ERR_TOO_LONG)
        self.pending += data[start:]
        return NDJSON_OK

    def feed(self, data, fn):
        if self.error:
            return self.error
        if not data:
            return NDJSON_OK
        start = 0
        nl = data.find(b"\n")
        if self.pending:
            if nl < 0:
                return self._hold(data, 0)
            last_is_cr = (data[nl - 1] == 13) if nl else (self.pending[-1] == 13)
            if self._too_long(len(self.pending) + nl, last_is_cr):
                return self._fail(NDJSON_ERR_TOO_LONG)
            self.pending += data[:nl]
            line = bytes(self.pending)
            self.pending = bytearray()
            if line.endswith(b"\r"):
                line = line[:-1]
            rc = 0
            if line:
                self.lines += 1
                rc = fn(line)
            if rc:
                return rc
            start = nl + 1
            nl = data.find(b"\n", start)
        max_line = self.max_line
        while nl >= 0:
            end = nl
            if end > start and data[end - 1] == 13:
                end -= 1
            if end > start:
                if end - start > max_line:
                    return self._fail(NDJSON_ERR_TOO_LONG)
                self.lines += 1
                rc = fn(data[start:end])
                if rc:
                    return rc
            start = nl + 1
            nl = data.find(b"\n", start)
        if start < len(data):
            return self._hold(data, start)
        return NDJSON_OK


# ---- OpenAI's streamed chat completion (src/core/sse.c, openai_proto.c) ---------------------

SSE_OK, SSE_ERR_TOO_LONG = 0, -1
SSE_LINE_SLACK = 8  # a line may exceed max_event by its field name ("data: ")


class SseFramer:
    """tdm_sse: Server-Sent Events from a byte stream, whatever the split. Lines end in
    "\r\n", "\n" or "\r"; "data:VALUE" / "data: VALUE" lines add VALUE (joined by "\n"),
    ':' starts a comment, other fields are ignored, an empty line ends an event that has
    data. An event or line longer than max_event is an error."""
    __slots__ = ("line", "data", "has_data", "after_cr", "max_event", "events", "error")

    def __init__(self, max_event):
        self.line = bytearray()
        self.data = bytearray()
        self.has_data = False
        self.after_cr = False
        self.max_event = max_event
        self.events = 0
        self.error = 0

    def pending(self):
        return len(self.line) + len(self.data)

    def _fail(self, code):
        self.line, self.data, self.has_data, self.error = bytearray(), bytearray(), False, code
        return code

    def _take(self, line, fn):
        if not line:
            if not self.has_data:
                return SSE_OK
            self.events += 1
            data = bytes(self.data)
            self.data = bytearray()
            self.has_data = False
            return fn(data)
        if line[0] == 58:  # ':' a comment
            return SSE_OK
        colon = line.find(b":")
        name = line if colon < 0 else line[:colon]
        if name != b"data":
            return SSE_OK
        v = b"" if colon < 0 else line[colon + 1:]
        if v[:1] == b" ":
            v = v[1:]
        if len(v) + (1 if self.has_data else 0) > self.max_event - len(self.data):
            return self._fail(SSE_ERR_TOO_LONG)
        if self.has_data:
            self.data += b"\n"
        self.data += v
        self.has_data = True
        return SSE_OK

    def feed(self, data, fn):
        """Returns SSE_OK, SSE_ERR_TOO_LONG, or fn's non-zero return (the rest is dropped)."""
        if self.error:
            return self.error
        i, n = 0, len(data)
        if n and self.after_cr:
            self.after_cr = False
            if data[0] == 10:
                i = 1
        line_max = self.max_event + SSE_LINE_SLACK
        while i < n:
            nl = data.find(b"\n", i)
            cr = data.find(b"\r", i, nl if nl >= 0 else n)
            eol = cr if cr >= 0 else nl
            if eol < 0:
                if n - i > line_max - len(self.line):
                    return self._fail(SSE_ERR_TOO_LONG)
                self.line += data[i:]
                break
            if eol - i > line_max - len(self.line):
                return self._fail(SSE_ERR_TOO_LONG)
            if self.line:
                self.line += data[i:eol]
                line = bytes(self.line)
                self.line = bytearray()
            else:
                line = bytes(data[i:eol])
            rc = self._take(line, fn)
            if rc < 0:
                return rc
            i = eol + 1
            if data[eol] == 13:
                if i < n and data[i] == 10:
                    i += 1
                elif i == n:
                    self.after_cr = True
            if rc > 0:
                self.line, self.data, self.has_data, self.after_cr = bytearray(), bytearray(), False, False
                return rc
        return SSE_OK


def openai_is_done(data):
    """tdm_openai_is_done: the "[DONE]" sentinel (blanks around it forgiven)."""
    return data.strip(b" \t") == b"[DONE]"


def parse_openai(data):
    """tdm_openai_parse: one chat completion object, a streamed chunk or a whole reply.
    Returns (content, reasoning, error, finish_reason, counters, whole) or raises
    LineError("<why>; event: <quote>"). Unknown members are ignored; null counts as absent."""
    obj, wrong = _json_object(data, "event")

    def member(o, key, kind, path, expected):
        v = o.get(key)
        if v is None:
            return None
        if not isinstance(v, kind) or isinstance(v, bool):
            raise wrong(path, v, expected)
        return v

    error = None
    e = obj.get("error")
    if isinstance(e, str):
        error = e
    elif isinstance(e, dict):
        error = member(e, "message", str, "error.message", "a string")
        if error is None:
            error = "(the server's error had no message)"
    elif e is not None:
        raise wrong("error", e, "an object with a message")
    member(obj, "model", str, "model", "a string")
    content = reasoning = finish = None
    whole = False
    choices = member(obj, "choices", list, "choices", "an array")
    if choices:
        ch = choices[0]
        if not isinstance(ch, dict):
            raise wrong("choices[0]", ch, "an object")
        finish = member(ch, "finish_reason", str, "choices[0].finish_reason", "a string or null")
        which, m = "delta", member(ch, "delta", dict, "choices[0].delta", "an object")
        if m is None:
            which, m = "message", member(ch, "message", dict, "choices[0].message", "an object")
            whole = m is not None
        if m is not None:
            content = member(m, "content", str, "choices[0].%s.content" % which, "a string or null")
            for k in ("reasoning", "reasoning_content"):
                if reasoning is None:
                    reasoning = member(m, k, str, "choices[0].%s.%s" % (which, k), "a string or null")
    counters = {}

    def count(o, key, path, dst):
        v = o.get(key)
        if v is None:
            return
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise wrong(path, v, "a non-negative integer")
        counters[dst] = v

    def millis(o, key, path, dst):
        v = o.get(key)
        if v is None:
            return
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 1e11:
            raise wrong(path, v, "a number of milliseconds >= 0")
        counters[dst] = int(round(v * 1e6))

    timings = member(obj, "timings", dict, "timings", "an object")
    if timings is not None:  # llama-server's
        count(timings, "prompt_n", "timings.prompt_n", "prompt_eval_count")
        count(timings, "predicted_n", "timings.predicted_n", "eval_count")
        millis(timings, "prompt_ms", "timings.prompt_ms", "prompt_eval_duration")
        millis(timings, "predicted_ms", "timings.predicted_ms", "eval_duration")
    usage = member(obj, "usage", dict, "usage", "an object")
    if usage is not None:  # its counts win over timings' (they count the whole prompt)
        count(usage, "prompt_tokens", "usage.prompt_tokens", "prompt_eval_count")
        count(usage, "completion_tokens", "usage.completion_tokens", "eval_count")
    return content or "", reasoning or "", error, finish or "", counters, whole


# ---- the per-call stream consumer (src/core/call.c) ---------------------------------------

CALL_MORE, CALL_DONE, CALL_FAILED = 0, 1, -1
ERROR_BODY_MAX = 65536


class Call:
    __slots__ = ("rec", "t_connect", "t_first", "t_idle", "t_total", "timeouts", "framer", "t_read", "t_last_read",
                 "finished", "error_body", "_on_line", "watchdog")

    def __init__(self, rec, timeouts, max_line):
        self.rec = rec
        self.timeouts = timeouts
        self.t_connect = timeouts["connect_ms"] * 1000000
        self.t_first = timeouts["first_byte_ms"] * 1000000
        self.t_idle = timeouts["idle_ms"] * 1000000
        self.t_total = timeouts["total_ms"] * 1000000
        self.framer = Framer(max_line)
        self.t_read = 0
        self.t_last_read = 0
        self.finished = False
        self.error_body = bytearray()
        self._on_line = self.on_line
        self.watchdog = None  # the runner's timer: an earlier deadline re-arms it

    def begin(self, now):
        self.rec.t_begin = now
        self.t_last_read = now

    def request_started(self, now, connect_ns, reused):
        r = self.rec
        r.t_start = now
        r.connect_ns = connect_ns
        r.reused_connection = reused
        self.t_last_read = now
        if self.watchdog:
            self.watchdog.tighten()  # now first_byte_ms counts

    def status(self, status, now):
        r = self.rec
        r.http_status = status
        if r.t_first_byte == 0:
            r.t_first_byte = now
        self.t_last_read = now
        if self.watchdog:
            self.watchdog.tighten()  # now idle_ms counts

    def _fail(self, kind, msg):
        self.rec.fail(kind, self.t_read, msg)
        self.finished = True

    def on_line(self, line):
        r = self.rec
        if self.finished:
            return 0
        r.frames += 1
        try:
            done, content, thinking, error, done_reason, counters = parse_line(line)
        except LineError as e:
            self._fail("protocol", "malformed line from server: %s" % e)
            return 1
        if error is not None:
            self._fail("server_error", "server reported an error mid-stream: %s" % error)
            return 1
        if content or thinking:
            r.add_event(self.t_read, content, thinking)
        if done:
            r.have_final = True
            r.server = counters
            r.done_reason = done_reason.encode("utf-8", "surrogatepass")[:31].decode("utf-8", "ignore")
            r.ok = True
            r.t_done = self.t_read
            self.finished = True
            return 1
        return 0

    def status_is_error(self):
        s = self.rec.http_status
        return s != 0 and (s < 200 or s > 299)

    def read(self, now):
        r = self.rec
        if r.t_first_byte == 0:
            r.t_first_byte = now
        r.reads += 1
        self.t_last_read = now
        if not self.finished:
            self.t_read = now

    def body(self, data, now):
        """tdm_call_body: one transport read of len(data) body bytes at time now."""
        self.read(now)
        return self.slice(data)

    def slice(self, data):
        r = self.rec
        r.bytes += len(data)
        if self.finished:
            return CALL_DONE if r.ok else CALL_FAILED
        if self.status_is_error():
            room = ERROR_BODY_MAX - len(self.error_body)
            self.error_body += data[:room]
            return CALL_MORE
        self.frame(data)
        if self.finished:
            return CALL_DONE if r.ok else CALL_FAILED
        return CALL_MORE

    def frame(self, data):
        """The body's bytes into the API's frames (here NDJSON lines), each taken as it ends."""
        if self.framer.feed(data, self._on_line) == NDJSON_ERR_TOO_LONG:
            self._fail("line_too_long", "a response line exceeded %d bytes; raise max_line_bytes in the scenario if "
                                        "the server really sends such lines" % self.framer.max_line)

    @staticmethod
    def error_of(body):
        """The message an error body gives in this API's shape ({"error": "..."}), or None."""
        try:
            return parse_line(body)[3]
        except LineError:
            return None

    def _fail_from_status(self):
        r = self.rec
        body = bytes(self.error_body)
        err = self.error_of(body) if body else None
        msg = server_excerpt(err.encode("utf-8", "surrogatepass") if err is not None else body)
        if r.http_status == 404 and "not found" in msg:
            r.fail("model_not_found", self.t_read, "HTTP 404: %s" % msg)
        else:
            r.fail("http_status", self.t_read, "HTTP %d: %s" % (r.http_status, msg if msg else "(empty body)"))
        self.finished = True

    def end(self, now):
        """tdm_call_end: the response ended; settles the outcome."""
        if not self.finished:
            self.t_read = now
            if self.status_is_error():
                self._fail_from_status()
            elif self.framer.pending:
                tail = bytes(self.framer.pending)
                self.framer.pending = bytearray()
                try:
                    parse_line(tail)
                    whole = True
                except LineError:
                    whole = False
                if whole:
                    self.on_line(tail)
                else:
                    self._fail("disconnected", "the response ended in the middle of a line (%d bytes unfinished)"
                               % len(tail))
            if not self.finished:
                self._fail("disconnected", "the connection closed before any response" if self.rec.http_status == 0
                           else "the response ended before its final (done) line")
        return CALL_DONE if self.rec.ok else CALL_FAILED

    def fail(self, kind, now, msg):
        if self.finished:
            return
        self.rec.fail(kind, now, msg)
        self.finished = True

    # An SDK parses the stream itself and hands out objects, not bytes: its client
    # (SdkRuntime) reports the reads of the HTTP client underneath (bytes, reads, the idle
    # clock) with sdk_read, and each chunk the SDK yields with sdk_chunk when it yields it.

    def sdk_read(self, n, now):
        """A read of n body bytes by the HTTP client under the SDK: counted, and it
        restarts idle_ms; the SDK's parsing of it is reported by sdk_chunk."""
        r = self.rec
        if r.t_first_byte == 0:
            r.t_first_byte = now
        r.reads += 1
        r.bytes += n
        self.t_last_read = now

    def sdk_chunk(self, content, thinking, now):
        """A chunk (an NDJSON line, an SSE event) the SDK handed over at now: one frame, and
        a token event when it carries content or reasoning text (the C core's rule)."""
        if self.finished:
            return
        r = self.rec
        r.frames += 1
        if content or thinking:
            r.add_event(now, content, thinking)

    def sdk_final(self, done_reason, counters, now):
        """The response's final chunk (Ollama's done line, OpenAI's usage): the call succeeded."""
        if self.finished:
            return
        r = self.rec
        r.have_final = True
        r.server = {k: v for k, v in counters.items() if k in COUNTER_NAMES and type(v) is int and v >= 0}
        r.done_reason = (done_reason or "").encode("utf-8", "surrogatepass")[:31].decode("utf-8", "ignore")
        r.ok = True
        r.t_done = now
        self.finished = True

    def deadline(self):
        """tdm_call_deadline: the earliest instant a timeout fires (0 when finished)."""
        if self.finished:
            return 0
        r = self.rec
        d = r.t_begin + self.t_total
        if r.t_start == 0:
            other = r.t_begin + self.t_connect
        elif r.t_first_byte == 0:
            other = r.t_start + self.t_first
        else:
            other = self.t_last_read + self.t_idle
        d = min(other, d)
        stop = INTERRUPT["deadline"]
        return stop if stop and stop < d else d

    def check_timeouts(self, now):
        """tdm_call_check_timeouts: records a timeout that has passed; True when it did."""
        if self.finished:
            return False
        r, t = self.rec, self.timeouts
        if now >= r.t_begin + self.t_total:
            kind, msg = "timeout_total", "the call took longer than timeouts.total_ms = %d ms" % t["total_ms"]
        elif r.t_start == 0 and now >= r.t_begin + self.t_connect:
            kind, msg = "timeout_connect", "no connection within timeouts.connect_ms = %d ms" % t["connect_ms"]
        elif r.t_start != 0 and r.t_first_byte == 0 and now >= r.t_start + self.t_first:
            kind, msg = ("timeout_first_byte",
                         "no response byte within timeouts.first_byte_ms = %d ms" % t["first_byte_ms"])
        elif r.t_first_byte != 0 and now >= self.t_last_read + self.t_idle:
            kind, msg = ("timeout_idle",
                         "the stream stalled: nothing for timeouts.idle_ms = %d ms" % t["idle_ms"])
        elif INTERRUPT["deadline"] and now >= INTERRUPT["deadline"]:
            kind, msg = ("timeout_total", "cut: the run was interrupted (SIGINT/SIGTERM) and the call was still going "
                         "%d ms later" % (INTERRUPT_GRACE_NS // 1000000))
        else:
            return False
        self.fail(kind, now, msg)
        return True



class OpenAICall(Call):
    """tdm_call for an api: openai agent (src/core/call_openai.c): the body is Server-Sent
    Events, or one JSON object when the server did not stream; one token event per event
    whose delta carries content or reasoning; "data: [DONE]" completes the call; usage and
    timings are the server counters, finish_reason the done_reason."""
    __slots__ = ("sse", "form", "whole", "oa_counters", "oa_finish", "_on_event")

    def __init__(self, rec, timeouts, max_line):
        super().__init__(rec, timeouts, max_line)
        self.sse = SseFramer(max_line)
        self.form = None  # "whole" or "events" once the first non-blank byte says
        self.whole = bytearray()
        self.oa_counters = {}
        self.oa_finish = ""
        self._on_event = self.on_event

    @staticmethod
    def error_of(body):
        try:
            return parse_openai(body)[2]
        except LineError:
            return None

    def _finish(self):
        self.sdk_final(self.oa_finish, self.oa_counters, self.t_read)

    def _take(self, parsed, error_fmt):
        content, reasoning, error, finish, counters, _ = parsed
        if error is not None:
            self._fail("server_error", error_fmt % error)
            return 1
        if content or reasoning:
            self.rec.add_event(self.t_read, content, reasoning)
        if finish:
            self.oa_finish = finish
        self.oa_counters.update(counters)
        return 0

    def on_event(self, data):
        if self.finished:
            return 1
        self.rec.frames += 1
        if openai_is_done(data):
            self._finish()
            return 1
        try:
            parsed = parse_openai(data)
        except LineError as e:
            self._fail("protocol", "malformed event from server: %s" % e)
            return 1
        return self._take(parsed, "server reported an error mid-stream: %s")

    def frame(self, data):
        if self.form is None:
            rest = bytes(data).lstrip(b" \t\r\n")
            if not rest:
                return  # blanks change nothing in either form
            self.form = "whole" if rest[:1] == b"{" else "events"
            data = rest
        limit = self.sse.max_event
        if self.form == "whole":
            if len(data) > limit - len(self.whole):
                self._fail("line_too_long", "the (non-streamed) reply exceeded %d bytes; raise max_line_bytes in the "
                                            "scenario if the server really sends such replies" % limit)
            else:
                self.whole += data
        elif self.sse.feed(data, self._on_event) == SSE_ERR_TOO_LONG:
            self._fail("line_too_long", "a Server-Sent Event exceeded %d bytes; raise max_line_bytes in the scenario "
                                        "if the server really sends such events" % limit)

    def _end_whole(self):
        self.rec.frames += 1
        try:
            parsed = parse_openai(bytes(self.whole))
        except LineError as e:
            self._fail("protocol", "malformed reply from server: %s" % e)
            return
        if self._take(parsed, "server reported an error: %s") == 0:
            if parsed[5]:
                self._finish()
            else:
                self._fail("protocol", "the reply is JSON but not a chat completion (no choices[0].message); is the "
                                       "url an OpenAI-compatible server?")

    def end(self, now):
        if not self.finished:
            self.t_read = now
            if self.status_is_error():
                self._fail_from_status()
            elif self.form == "whole":
                self._end_whole()
            elif self.sse.pending():
                self._fail("disconnected", "the response ended in the middle of a Server-Sent Event (%d bytes "
                                           "unfinished)" % self.sse.pending())
            else:
                self._fail("disconnected", "the connection closed before any response" if self.rec.http_status == 0
                           else "the response ended before its final event (data: [DONE])")
        return CALL_DONE if self.rec.ok else CALL_FAILED


def new_call(rec, timeouts, max_line):
    """The consumer of a call's body for its API."""
    return (OpenAICall if rec.api == "openai" else Call)(rec, timeouts, max_line)


class _Watchdog:
    """The call's timeouts (src/core/call.c's deadline and check) on the event loop: one
    timer per call at the current deadline; when it fires it checks the call and either
    records the timeout and cancels the agent's task, or re-arms at the new deadline (so
    a read costs no timer work, only the attribute t_last_read). A deadline moves later
    with every read, but may move earlier when the call changes state (request written:
    first_byte_ms; status line: idle_ms), so those two moments call tighten(). After the final line it
    only bounds draining the rest of the response by total_ms, as libcurl's
    CURLOPT_TIMEOUT_MS does in the C variants, without touching the record."""
    __slots__ = ("loop", "task", "call", "handle", "fired")

    def __init__(self, loop, task, call):
        self.loop, self.task, self.call = loop, task, call
        self.handle = None
        self.fired = False

    def arm(self):
        self._at(self.call.deadline())

    def _at(self, t_ns):
        self.handle = self.loop.call_at(t_ns / 1e9, self._fire)

    def tighten(self):
        """Re-arms when the call's deadline is now earlier than the timer."""
        d = self.call.deadline()
        if d and self.handle is not None and d / 1e9 < self.handle.when():
            self.handle.cancel()
            self._at(d)

    def _fire(self):
        self.handle = None
        now = monotonic_ns()
        c = self.call
        if c.finished:
            end = c.rec.t_begin + c.t_total
            if now >= end:
                self.fired = True
                self.task.cancel()
            else:
                self._at(end)
            return
        if c.check_timeouts(now):
            self.fired = True
            self.task.cancel()
            return
        self._at(c.deadline())

    def disarm(self):
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None




def _why(e):
    text = str(e)
    return "%s: %s" % (type(e).__name__, text) if text else type(e).__name__




# ---- SDK clients: an official SDK measured as an application uses it -----------------------------
# clients/ollama-python and clients/openai-python call an SDK (ollama's AsyncClient, openai's
# AsyncOpenAI), which builds the request, parses the stream and hands out objects. What
# they measure is what an application on that SDK sees: a token event is timed when the SDK
# hands its chunk over, after the SDK's own framing, JSON parsing and model building. The
# transport facts the SDK hides (when the request was written, the connect, the status
# line, each read of the body) come from the httpx-style client it sends with, as for
# python-httpx: httpcore's trace extension and a counting wrapper around the response
# stream, installed through the client's event hooks. SdkRuntime holds that and the
# call's life (the stale-connection resend, errors by kind); a client adds only its SDK.

def _counting_stream_class(http):
    """A response stream of module http (httpx or httpx2) that reports every read."""
    class CountingStream(http.AsyncByteStream):
        def __init__(self, inner, watch):
            self.inner, self.watch = inner, watch

        async def __aiter__(self):
            async for data in self.inner:
                if self.watch.read(data) == CALL_FAILED:
                    raise LineTooLong()  # the call is recorded failed: the SDK stops here
                yield data

        async def aclose(self):
            await self.inner.aclose()
    return CountingStream


_SSE_DONE = b"data: [DONE]"


class LineTooLong(Exception):
    """Raised into an SDK from the response stream once a line passed max_line_bytes (the
    call already says so); an SDK reads lines of any length itself."""


class HttpWatch:
    """One agent's HTTP client, watched: the call in flight (one at a time per agent) gets
    the request's URL and size as sent, t_start (the request headers about to be written),
    the connect, the status line (t_first_byte) and each body read. It also notes whether
    the body held an SSE stream's end, "data: [DONE]", which an SDK swallows: the OpenAI
    API's stream is complete only there (src/core/call_openai.c)."""

    def __init__(self, http, line_word="a response line"):
        self.call = None
        self.conn = [0, 0, False]  # connect started, connect ns, a connection was made
        self.done_seen = False
        self._tail = b""
        self._line = 0  # bytes of the line being read (since the last newline)
        self.line_word = line_word  # what the limit is on, in its message
        self._stream = _counting_stream_class(http)

    def hooks(self):
        return {"request": [self._on_request], "response": [self._on_response]}

    def begin(self, call):
        self.call = call
        self.conn = [0, 0, False]
        self.done_seen = False
        self._tail = b""
        self._line = 0

    def settle(self):
        """Connection facts known only now (as src/curl/transfer.c settles them)."""
        call, self.call = self.call, None
        if call is not None:
            rec, conn = call.rec, self.conn
            rec.reused_connection = not conn[2] and rec.t_start != 0
            rec.connect_ns = conn[1] if conn[2] else 0

    async def _on_request(self, request):
        request.extensions = dict(request.extensions, trace=self._trace)
        if self.call is not None:
            rec = self.call.rec
            rec.request_url = str(request.url)
            try:
                rec.request_bytes = len(request.content)
            except Exception:  # a streamed body: the size the plan's body had stays
                pass

    async def _on_response(self, response):
        if self.call is not None:
            response.stream = self._stream(response.stream, self)

    async def _trace(self, name, info):
        call = self.call
        if call is None:
            return
        if name == "connection.connect_tcp.started":
            self.conn[0] = monotonic_ns()
        elif name == "connection.connect_tcp.complete":
            self.conn[1] = monotonic_ns() - self.conn[0]
            self.conn[2] = True
        elif name == "http11.send_request_headers.started":
            call.request_started(monotonic_ns(), 0, False)
        elif name == "http11.receive_response_headers.complete":
            call.status(info["return_value"][1], monotonic_ns())

    def read(self, data):
        """Counts a read; CALL_FAILED once a line is longer than the scenario's max_line_bytes
        (the kit's rule for every client: a server's line is bounded)."""
        call = self.call
        if call is None:
            return CALL_MORE
        call.sdk_read(len(data), monotonic_ns())
        if not self.done_seen:  # the mark may be split across two reads
            seen = self._tail + data
            self.done_seen = _SSE_DONE in seen
            self._tail = seen[-len(_SSE_DONE):]
        limit, before = call.framer.max_line, self._line
        nl = data.rfind(b"\n")
        self._line = len(data) - nl - 1 if nl >= 0 else before + len(data)
        if before + len(data) <= limit:  # no line in here can be too long: the common case
            return CALL_MORE
        parts = data.split(b"\n")
        longest = max([before + len(parts[0])] + [len(x) for x in parts[1:]])
        if longest > limit and not call.status_is_error():
            call.fail("line_too_long", monotonic_ns(), "%s exceeded %d bytes; raise max_line_bytes in the scenario "
                                                       "if the server really sends such lines"
                      % (self.line_word, call.framer.max_line))
            return CALL_FAILED
        return CALL_MORE


def package_version(dist):
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return None


def need_module(name, dist, variant):
    """The SDK's module, or TandemError naming what to install for this interpreter."""
    import importlib
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise TandemError("the Python package %s is missing for %s (Python %d.%d; %s); install it with %s -m pip "
                          "install %s (scripts/install-deps.sh pins the tested version), or run this scenario with "
                          "another client" % (dist, variant, sys.version_info[0], sys.version_info[1], e,
                                              sys.executable, dist))


def check_apis(plan, variant, apis, fix):
    """A client refuses an agent whose api it does not speak (exit 2): fix(agent name, api) says
    what to change."""
    for a, sa in zip(plan["agents"], plan["scenario"]["agents"]):
        api = a.get("api") or sa.get("api") or "generate"
        if api not in apis:
            raise TandemError("agent '%s' uses api: %s, which %s does not speak (it speaks %s); %s"
                              % (a["name"], api, variant, " and ".join("api: " + x for x in apis), fix(a["name"], api)),
                              EXIT_USAGE)


class SdkRuntime:
    """The runtime tandemkit drives (see the header) for a client on an SDK. A subclass sets
    VARIANT, SDK (the package), HTTP_NAME / HTTPCORE_NAME (the HTTP client the SDK sends
    with) and defines:
      new_client(agent, watch, http_kwargs)        the SDK's client for one plan agent
      async close_client(client)
      async stream(agent_index, call, url, request) one call: report chunks to call
      classify(exc, url, call) -> (kind, message) or None (None: the kit's generic wording)
      request_of(body) -> what stream() takes (built from the plan's body; TandemError if it cannot)
    """
    VARIANT = SDK = HTTP_NAME = HTTPCORE_NAME = None
    READ_NUM_BYTES_DEFAULT = 65536
    FRAME = "a response line"  # the unit max_line_bytes bounds, in messages
    MALFORMED = "malformed line"
    EXTRA_LIBRARIES = ()  # packages the SDK needs beyond the HTTP stack, for provenance "libraries"

    def __init__(self, n_agents, read_buf=0, threads=0):
        self.sdk = need_module(self.SDK, self.SDK, "tandem-" + self.VARIANT)
        self.http = need_module(self.HTTP_NAME, self.HTTP_NAME, "tandem-" + self.VARIANT)
        self.httpcore = need_module(self.HTTPCORE_NAME, self.HTTPCORE_NAME, "tandem-" + self.VARIANT)
        self.read_buf = read_buf or self.READ_NUM_BYTES_DEFAULT
        # --read-buf sets what httpcore asks of each socket recv(), as for python-httpx;
        # --threads is accepted and ignored: one thread.
        self.httpcore._async.http11.AsyncHTTP11Connection.READ_NUM_BYTES = self.read_buf
        try:  # what the first measured call would otherwise pay (see python-httpx)
            import anyio._backends._asyncio  # noqa: F401
        except ImportError:
            pass
        import ssl
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # tandem speaks http:// only: never used
        self.watches = [HttpWatch(self.http, self.FRAME) for _ in range(n_agents)]
        self.clients = []

    def bind(self, agents):
        """Every agent's SDK client, built before anything is measured: the SDKs take their
        server when the client is made (the plan's agents: name, server, url)."""
        self.clients = [self.new_client(a, self.watches[i], self.http_kwargs(self.watches[i]))
                        for i, a in enumerate(agents)]

    def http_kwargs(self, watch):
        """The HTTP client every SDK client gets: one keep-alive connection per agent kept
        however long it idles (as every tandem client keeps its own), no proxies or
        timeouts of its own (the kit enforces the scenario's), the watch's hooks."""
        http = self.http
        return dict(trust_env=False, verify=self.tls, timeout=http.Timeout(None), event_hooks=watch.hooks(),
                    limits=http.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=None))

    def libraries(self):
        names = (self.SDK, self.HTTP_NAME, self.HTTPCORE_NAME, "h11", "anyio", "pydantic") + self.EXTRA_LIBRARIES
        return {n: v for n, v in ((n, package_version(n)) for n in names) if v}

    def sdk_doc(self):
        return {"name": self.SDK, "version": package_version(self.SDK)}

    def http_doc(self):
        return {"client": self.HTTP_NAME, "version": package_version(self.HTTP_NAME),
                self.HTTPCORE_NAME: package_version(self.HTTPCORE_NAME), "h11": package_version("h11"),
                "anyio": package_version("anyio"), "buffer_size": self.read_buf, "connections_per_agent": 1,
                "trust_env": False}

    async def fetch(self, url, timeout_ms):
        """GET for preflight and /api/ps (not measured): the HTTP client the SDK uses."""
        async with self.http.AsyncClient(trust_env=False, verify=self.tls, timeout=timeout_ms / 1000.0) as c:
            r = await c.get(url)
            return r.status_code, r.content

    async def call(self, agent_index, call, url, body):
        """One call through the SDK. A request that meets a closed kept-alive connection
        before any response byte (the server closed it while idle: legal) is resent once
        and recorded as retried, as every tandem client does; the SDK's own retries are off."""
        rec, watch = call.rec, self.watches[agent_index]
        try:
            request = self.request_of(body)
        except TandemError as e:
            call.fail("internal", monotonic_ns(), str(e))
            return
        for attempt in (1, 2):
            error = None
            watch.begin(call)
            try:
                await self.stream(agent_index, call, url, request)
            except Exception as e:  # CancelledError (a timeout, an interrupt) goes through
                error = e
            finally:
                watch.settle()
            stale = (error is not None and rec.reused_connection and rec.t_first_byte == 0 and
                     rec.http_status == 0 and rec.bytes == 0 and not call.finished)
            if not stale or attempt == 2:
                break
            rec.first_error = "%s on a reused connection before any response byte" % self.why(error).rstrip(".")
        if error is not None:
            self.settle_error(call, url, error)

    @staticmethod
    def why(e):
        """The SDK's error text, with what caused it (an SDK often wraps the HTTP error)."""
        text = _why(e)
        cause = e.__cause__ or (None if e.__suppress_context__ else e.__context__)
        if cause is not None and str(cause) and str(cause) not in text:
            text += " (%s)" % _why(cause)
        return text

    def settle_error(self, call, url, e):
        """Records what the SDK raised: the client's classify() first, then what every
        httpx-based SDK lets through (or wraps: the HTTP error is then its cause) in the
        C clients' kinds, with the SDK's own words."""
        now = monotonic_ns()
        url = call.rec.request_url or url  # what the SDK really asked for
        got = self.classify(e, url, call)
        if got is not None:
            call.fail(got[0], now, got[1])
            return
        http, server = self.http, server_of(url)
        t = e if isinstance(e, http.HTTPError) or not isinstance(e.__cause__, http.HTTPError) else e.__cause__
        text = str(t)
        if isinstance(t, http.ConnectError):
            call.fail("connect", now, "cannot connect to %s (%s); is Ollama running there? Start it with 'ollama "
                                      "serve' (or 'just sim' for the simulator), or fix the agent's url"
                      % (server, self.why(e)))
        elif isinstance(t, http.RemoteProtocolError) and "status line" in text:
            call.fail("protocol", now, "malformed status line from %s (%s); is this an Ollama server?"
                      % (server, self.why(e)))
        elif isinstance(t, (http.ReadError, http.WriteError, http.CloseError)) or (
                isinstance(t, http.RemoteProtocolError) and (
                    "peer closed connection" in text or "Server disconnected" in text or "without sending" in text)):
            call.fail("disconnected", now, "the connection to %s dropped %s (%s)" % (
                server, "mid-response" if call.rec.http_status else "before any response", self.why(e)))
        elif isinstance(t, ValueError):  # json's or pydantic's: what the server sent is not what the SDK reads
            call.fail("protocol", now, "%s from server: the %s SDK cannot read it (%s)"
                      % (self.MALFORMED, self.SDK, self.why(e)))
        else:
            call.fail("protocol", now, "the %s SDK failed: %s" % (self.SDK, self.why(e)))

    async def close(self):
        for c in self.clients:
            try:
                await self.close_client(c)
            except Exception:
                pass


def server_of(url):
    """The server part of a request URL (scheme://host:port), for messages."""
    for mark in ("/api/", "/v1/"):
        if mark in url:
            return url.split(mark, 1)[0]
    return url.rstrip("/")


def ollama_counters(obj):
    """The final chunk's server counters (src/core/ollama_proto.c's names) from an SDK object."""
    out = {}
    for k in COUNTER_NAMES:
        v = getattr(obj, k, None)
        if type(v) is int and v >= 0:
            out[k] = v
    return out


# ---- preflight (src/core/preflight.c) --------------------------------------------------------

PREFLIGHT_TIMEOUT_MS = 5000


def _same_model(want, have):
    if want == have:
        return True
    return ":" not in want and have == want + ":latest"


# How preflight names a server (src/core/preflight.c's server_kind): who cannot be
# reached, what it should be, and how to start one.
OLLAMA_KIND = ("Ollama", "an Ollama server", "'ollama serve', or 'just sim' for the simulator")
OPENAI_KIND = ("the OpenAI-compatible server", "an OpenAI-compatible server (api: openai)",
               "'ollama serve', 'llama-server' or 'vllm serve', or 'just sim' for the simulator")
# Why an OpenAI-only server has no version or digests in provenance: not a failure.
OPENAI_NOTE = ("spoken to through the OpenAI API only (api: openai): its model list comes from GET /v1/models; "
               "/api/version and /api/tags are Ollama's own, so no server version or model digest is recorded")


def _apis_on(agents, base):
    """(any agent on base speaks Ollama's APIs, any speaks the OpenAI API)."""
    on = [a for a in agents if a.url.rstrip("/") == base]
    return any(a.api != "openai" for a in on), any(a.api == "openai" for a in on)


async def preflight(rt, agents):
    """[{url, version, models, reachable}] (with openai_models, and a note for a server
    only openai agents use) or TandemError listing every problem."""
    servers, probs = [], []

    async def get_json(base, path, kind):
        who, what, start = kind
        url = base + path
        try:
            status, body = await rt.fetch(url, PREFLIGHT_TIMEOUT_MS)
        except Exception as e:
            probs.append("  - cannot reach %s at %s (%s). Start it there (%s) or fix the agent's url.\n"
                         % (who, base, _why(e), start))
            return None
        if status != 200:
            probs.append("  - %s answered HTTP %d; is this %s?\n" % (url, status, what))
            return None
        try:
            return json.loads(body)
        except ValueError as e:
            probs.append("  - %s did not answer JSON (%s); is this %s?\n" % (url, e, what))
            return None

    async def probe_ollama(base, entry):
        ver = await get_json(base, "/api/version", OLLAMA_KIND)
        tags = await get_json(base, "/api/tags", OLLAMA_KIND) if ver is not None else None
        for m in (tags.get("models") if isinstance(tags, dict) else None) or []:
            if isinstance(m, dict) and isinstance(m.get("name"), str):
                d = m.get("digest")
                entry["models"][m["name"]] = d if isinstance(d, str) else ""
        version = ver.get("version") if isinstance(ver, dict) else None
        if isinstance(version, str):
            entry["version"] = version
        return ver is not None and tags is not None

    async def probe_openai(base, also_ollama, entry):
        doc = await get_json(base, "/v1/models", OPENAI_KIND)
        data = doc.get("data") if isinstance(doc, dict) else None
        if doc is not None and not isinstance(data, list):
            probs.append("  - %s/v1/models did not answer a model list ({\"data\": [...]}); is this %s?\n"
                         % (base, OPENAI_KIND[1]))
            return False
        ids = [m["id"] for m in data or [] if isinstance(m, dict) and isinstance(m.get("id"), str)]
        entry["openai_models"] = ids
        if not also_ollama:
            for i in ids:
                entry["models"][i] = None
            entry["note"] = OPENAI_NOTE
        return doc is not None

    for a in agents:
        base = a.url.rstrip("/")
        entry = next((e for e in servers if e["url"] == base), None)
        if entry is None:
            ollama, openai = _apis_on(agents, base)
            entry = {"url": base, "version": None, "models": {}}
            ok = not ollama or await probe_ollama(base, entry)
            if ok and openai:
                ok = await probe_openai(base, ollama, entry)
            entry["reachable"] = ok
            servers.append(entry)
        if not entry["reachable"]:
            continue
        names = entry.get("openai_models", []) if a.api == "openai" else list(entry["models"])
        if not any(_same_model(a.model, n) for n in names):
            have = ", ".join(names) or "no models"
            if a.api == "openai":
                probs.append("  - agent '%s': model '%s' is not served by %s (GET /v1/models lists: %s). Load it "
                             "there (Ollama: 'ollama pull %s'; llama-server and vLLM serve the model they were "
                             "started with) or change the agent's model to one listed.\n"
                             % (a.name, a.model, base, have, a.model))
            else:
                probs.append("  - agent '%s': model '%s' is not on %s (it has: %s). Pull it there ('ollama pull "
                             "%s') or change the agent's model.\n" % (a.name, a.model, base, have, a.model))
    if probs:
        raise TandemError("the servers are not ready for this scenario:\n" + "".join(probs))
    return servers


# ---- result files (src/core/fileio.c) -----------------------------------------------------

def mkdirs(path):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise TandemError("cannot create directory %s: %s" % (e.filename or path, e.strerror or e))


def _has_results(path):
    """tdm_outdir_has_results: the first entry of an earlier run's results, or None."""
    if os.path.lexists(os.path.join(path, "provenance.json")):
        return "provenance.json"
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return None
    return next((n for n in names if n.startswith("run_")), None)


def prepare_output_dir(path, is_default, force):
    """tdm_outdir_prepare (src/core/outdir.c): the folder the run writes into, never one
    that holds another run's results."""
    if is_default:
        mkdirs(os.path.dirname(path) or ".")
        for k in range(1, 1000):
            p = path if k == 1 else "%s-%d" % (path, k)
            try:
                os.mkdir(p)
                return p
            except FileExistsError:
                continue
            except OSError as e:
                raise TandemError("cannot create %s: %s; choose a folder with --output-dir" % (path, e.strerror))
        raise TandemError("%s and 998 numbered folders beside it exist already; choose one with --output-dir" % path)
    what = _has_results(path)
    if what:
        if not force:
            raise TandemError("--output-dir %s already holds the results of an earlier run (%s); results of two runs "
                              "in one folder would be read as one experiment. Choose another folder, or pass --force "
                              "to delete the old results (provenance.json, summary.json, report.md, run_*) first"
                              % (path, what), EXIT_USAGE)
        for name in sorted(os.listdir(path)):
            p = os.path.join(path, name)
            if name in ("provenance.json", "summary.json", "report.md") or name.startswith("run_"):
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p)
                else:
                    os.unlink(p)
    try:
        mkdirs(path)
    except TandemError as e:
        raise TandemError("%s; choose another --output-dir" % e)
    return path


def write_file_atomic(path, data):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise TandemError("cannot write %s: %s" % (path, e.strerror or e))
    try:
        dfd = os.open(os.path.dirname(path) or ".", os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def json_text(doc):
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_json_atomic(path, doc):
    write_file_atomic(path, json_text(doc).encode("utf-8", "surrogatepass"))


# ---- a run's raw data, records.json (src/core/rundata_json.c) -------------------------------

class RunData:
    def __init__(self, run, agent_names):
        self.run = run
        self.agent_names = list(agent_names)
        n = len(agent_names)
        self.has_sequential = False
        self.has_concurrent = False
        self.seq_order = list(range(n))
        self.seq = [(0, 0, 0)] * n
        self.conc = [(0, 0, 0)] * n
        self.seq_one_batch = False  # a workflow: every agent in one batch, one step at a time
        self.seq_cpu = None  # (user_ns, sys_ns) of the phase, src/core/cpuusage.c
        self.conc_cpu = None
        self.conc_open_loop = False  # the concurrent calls arrived on their own clock (arrivals)
        self.interrupted = False  # cut short by SIGINT/SIGTERM
        self.calls = []
        self.doc = None  # records.json as written

    def to_json(self):
        def timing(t):
            return {"release_ns": t[0], "begin_ns": t[1], "end_ns": t[2]}

        def phase(doc, cpu):
            if cpu is not None:
                doc["client_cpu"] = {"user_ns": cpu[0], "sys_ns": cpu[1]}
            return doc
        doc = {
            "schema": "tandem.run/1",
            "run": self.run,
            "agents": list(self.agent_names),
        }
        if self.interrupted:
            doc["interrupted"] = True
        doc.update({
            "sequential": phase(dict({"order": list(self.seq_order), "agents": [timing(t) for t in self.seq]},
                                     **({"one_batch": True} if self.seq_one_batch else {})), self.seq_cpu)
            if self.has_sequential else None,
            "concurrent": phase(dict({"agents": [timing(t) for t in self.conc]},
                                     **({"open_loop": True} if self.conc_open_loop else {})), self.conc_cpu)
            if self.has_concurrent else None,
            "calls": [c.to_json() for c in self.calls],
        })
        return doc


# The process's CPU time (all threads), read around each phase (src/core/cpuusage.c).
def cpu_now():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return (round(ru.ru_utime * 1e9), round(ru.ru_stime * 1e9))


def cpu_since(start):
    now = cpu_now()
    return (max(0, now[0] - start[0]), max(0, now[1] - start[1]))




# ---- GPU telemetry (src/core/gpu_telemetry.c, gpu_sampler.c, subproc.c) -------------------------
# The same separate program as the C variants' (tandem-gpu-telemetry), found the same way and
# run as a child: this process loads no GPU library either.

GPU_TOOL = "tandem-gpu-telemetry"
GPU_INTERVAL_MS = 100
GPU_INFO_TIMEOUT_S = 20.0
GPU_READY_TIMEOUT_MS = 15000
GPU_STOP_GRACE_S = 5.0
GPU_EXIT_NO_GPU = 3


def gpu_tool_find():
    """(path, None) or (None, why): $TANDEM_GPU_TELEMETRY, beside the client, on PATH."""
    return find_tool(GPU_TOOL, "TANDEM_GPU_TELEMETRY", CLIENT_SCRIPT[0])


def _first_line(text):
    return text.split("\n", 1)[0]


def _describe_status(code):
    return "was killed by signal %d" % -code if code < 0 else "exited with status %d" % code


def _gpu_ask_info(tool):
    """(info dict or None, available, reason)."""
    import subprocess
    try:
        p = subprocess.run([tool, "info"], stdin=subprocess.DEVNULL, capture_output=True, timeout=GPU_INFO_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, False, "%s did not finish within %d ms (stopped)" % (tool, GPU_INFO_TIMEOUT_S * 1000)
    except OSError as e:
        return None, False, "cannot start %s: %s" % (tool, e.strerror or e)
    try:
        info = json.loads(p.stdout.decode("utf-8"))
    except ValueError:
        info = None
    if not isinstance(info, dict):
        info = None
    errout = p.stderr.decode("utf-8", "replace")
    if p.returncode == 0 and info is not None:
        return info, True, None
    if p.returncode == GPU_EXIT_NO_GPU:
        why = info.get("reason") if info is not None else None
        return info, False, _first_line(why if isinstance(why, str) else errout or "no GPU found")
    line = _first_line(errout if errout else "its output is not a JSON object" if p.returncode == 0 else "")
    return None, False, "'%s info' %s%s" % (tool, _describe_status(p.returncode), ": " + line if line else "")


class GpuTelemetry:
    """tdm_gpu_telemetry: the mode, the tool when runs are sampled, provenance "gpu"."""

    def __init__(self, mode):
        self.mode, self.tool, self.reason = mode, None, None
        if mode == "off":
            self.doc = {"telemetry": "off"}
            return
        tool, self.reason = gpu_tool_find()
        info, available = None, False
        if tool:
            info, available, self.reason = _gpu_ask_info(tool)
        self.doc = info if info is not None else {"source": None, "gpus": []}
        self.doc["telemetry"] = "on" if available else "unavailable"
        self.doc["interval_ms"] = GPU_INTERVAL_MS
        if available:
            self.doc.pop("reason", None)
            self.tool = tool
            return
        self.doc["reason"] = self.reason
        if mode == "on":
            raise TandemError("--gpu-telemetry=on, but no GPU can be read: %s. Fix that, or run with "
                              "--gpu-telemetry=auto to measure without GPU samples" % self.reason)

    def add_error(self, msg):
        self.doc.setdefault("errors", []).append(msg)


class GpuSampler:
    """One run's `sample` child (tdm_gpu_sampler)."""

    def __init__(self, tool, out_csv):
        import subprocess
        d = os.path.dirname(out_csv) or "."
        self.out, self.ready = out_csv, os.path.join(d, ".gpu-telemetry.ready")
        self.log = os.path.join(d, ".gpu-telemetry.log")
        self.proc = None
        try:
            os.unlink(self.ready)
        except OSError:
            pass
        try:
            logf = open(self.log, "wb")
        except OSError as e:
            raise TandemError("cannot create %s: %s; is the run directory writable?" % (self.log, e.strerror or e))
        try:
            self.proc = subprocess.Popen(
                [tool, "sample", "--out", out_csv, "--interval-ms", str(GPU_INTERVAL_MS), "--ready-file", self.ready],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=logf, close_fds=True)
        except OSError as e:
            self._release()
            raise TandemError("cannot start %s: %s" % (tool, e.strerror or e))
        finally:
            logf.close()
        # Polled with short sleeps: this is before the run's first phase, outside every span.
        deadline = time.monotonic() + GPU_READY_TIMEOUT_MS / 1000.0
        while True:
            if os.path.exists(self.ready):
                os.unlink(self.ready)
                return
            code = self.proc.poll()
            if code is not None:
                msg = self._failure("sample ended before its first sample", code)
                self.proc = None
                self._release()
                raise TandemError(msg)
            if time.monotonic() >= deadline:
                break
            time.sleep(0.002)
        code = self._stop_proc()
        self.proc = None
        self._release()
        raise TandemError("tandem-gpu-telemetry sample wrote no first sample within %d ms (stopped; it %s)"
                          % (GPU_READY_TIMEOUT_MS, _describe_status(code)))

    def _failure(self, what, code):
        line = ""
        try:
            with open(self.log, "rb") as f:
                line = _first_line(f.read(4096).decode("utf-8", "replace"))
        except OSError:
            pass
        return "tandem-gpu-telemetry %s: it %s%s" % (what, _describe_status(code), ": " + line if line else "")

    def _stop_proc(self):
        import subprocess
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=GPU_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def _release(self):
        for p in (self.ready, self.log):
            try:
                os.unlink(p)
            except OSError:
                pass

    def stop(self):
        """None when it ended cleanly with gpu.csv written, else why not."""
        if self.proc is None:
            return None
        code = self._stop_proc()
        msg = None
        if code != 0:
            msg = self._failure("sample failed during the run", code)
        elif not os.path.exists(self.out):
            msg = "tandem-gpu-telemetry sample ended cleanly but left no %s" % self.out
        self.proc = None
        self._release()
        return msg


# ---- /api/ps snapshots (src/core/server_memory.c) ------------------------------------------------

PS_TIMEOUT_MS = 3000
PS_OPENAI_SKIP = ("not asked: the server is spoken to through the OpenAI API only (api: openai), and /api/ps is "
                  "Ollama's own")


def server_memory_parse(body):
    """The models of one /api/ps answer, or ValueError saying why not."""
    try:
        doc = json.loads(body)
    except ValueError as e:
        raise ValueError("the answer is not JSON (%s)" % e)
    lst = doc.get("models") if isinstance(doc, dict) else None
    if not isinstance(lst, list):
        raise ValueError("the answer has no \"models\" list")

    def num(v):
        return v if isinstance(v, int) and not isinstance(v, bool) else None
    out = []
    for m in lst:
        m = m if isinstance(m, dict) else {}
        name = m.get("name")
        out.append({"name": name if isinstance(name, str) else None, "size": num(m.get("size")),
                    "size_vram": num(m.get("size_vram"))})
    return out


async def server_memory_snapshot(rt, agents, run, phase, after, arr):
    seen = []
    for a in agents:
        base = a.url.rstrip("/")
        if base in seen:
            continue
        seen.append(base)
        entry = {"run": run, "phase": phase, "when": "after" if after else "before", "url": base}
        if _apis_on(agents, base) == (False, True):  # maybe not Ollama (llama-server, vLLM): said, not asked
            entry["skipped"] = PS_OPENAI_SKIP
            arr.append(entry)
            continue
        url = base + "/api/ps"
        try:
            status, body = await rt.fetch(url, PS_TIMEOUT_MS)
            if status != 200:
                raise ValueError("HTTP %d" % status)
            entry["models"] = server_memory_parse(body)
        except Exception as e:
            entry["error"] = "GET %s: %s" % (url, str(e) if isinstance(e, ValueError) else _why(e))
        arr.append(entry)



# ---- a workflow's shared state during one phase (src/core/workflow_board.c) ----------------------

JOB_WAIT = (1 << 63) - 1  # TDM_JOB_WAIT / TDM_DUE_WAIT: the step waits for another step
_M64 = (1 << 64) - 1


class Board:
    """tdm_board: which steps have finished (and when, and with what text), so a step that
    waits for others knows when it is due and what to embed. With an order (the sequential
    phase) one step runs at a time, each in its turn. One event loop, so no lock: a step
    that settles wakes the agents waiting for a change."""
    __slots__ = ("agents", "done_at", "rec", "order", "turn", "turn_at", "waiters")

    def __init__(self, agents, order=None):
        self.agents = agents  # the PlanAgents, to name a failed input
        self.done_at = {}  # (agent, step): t_done once finished ok, -1 failed or skipped; absent: not yet
        self.rec = {}
        self.order = list(order) if order is not None else None
        self.turn = 0
        self.turn_at = 0  # serial: when the step before the turn finished (0: none yet)
        self.waiters = set()

    def inputs_at(self, agent, step, deps):
        """tdm_board_inputs_at: (at, failed): the instant the step's inputs all exist (0:
        it waits for none), JOB_WAIT while one is unfinished (or, serial, while it is not
        the step's turn); failed names an input that failed, which settles it (at 0)."""
        at, failed = 0, None
        if self.order is not None:
            if self.turn >= len(self.order) or self.order[self.turn] != (agent, step):
                at = JOB_WAIT
            else:
                at = self.turn_at  # its turn came when the step before it finished
        for dep in deps:
            if at == JOB_WAIT:
                break
            d = self.done_at.get(dep, 0)
            if d < 0:
                failed = dep
            elif d == 0:
                at = JOB_WAIT
            elif d > at:
                at = d
        return (0, failed) if failed is not None else (at, None)

    def step_done(self, agent, step, rec):
        """tdm_board_step_done: a finished call's t_done is never 0; a failed one's input is unusable."""
        self.done_at[(agent, step)] = (rec.t_done if rec.t_done > 0 else 1) if rec.ok else -1
        self.rec[(agent, step)] = rec
        order = self.order
        while order is not None and self.turn < len(order) and self.done_at.get(order[self.turn], 0) != 0:
            done = self.rec.get(order[self.turn])
            if done is not None and done.t_done > self.turn_at:
                self.turn_at = done.t_done
            self.turn += 1
        for f in list(self.waiters):
            if not f.done():
                f.set_result(None)

    def text(self, agent, step):
        r = self.rec.get((agent, step))
        return r.text_str() if r is not None else ""


def _splitmix64(state):
    """tdm_splitmix64 (src/core/prng.c): (next output, next state)."""
    state = (state + 0x9E3779B97F4A7C15) & _M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31), state


def think_draw(seed, run, agent, step, mean_ns, exponential):
    """job.c think_ns: the step's pause in this run, fixed or an exponential draw from the
    scenario's seed, the run, the agent and the step (so both phases of a run pause the
    same, and every client draws what the C variants draw)."""
    if mean_ns <= 0 or not exponential:
        return mean_ns if mean_ns > 0 else 0
    state = ((seed & _M64) ^ 0x7468696e6b ^ ((run << 40) & _M64) ^ ((agent << 20) & _M64) ^ step) & _M64
    z, _ = _splitmix64(state)
    u = (z >> 11) * 2.0 ** -53
    return _llround(-math.log1p(-u) * float(mean_ns))


OUTPUT_MARK = "{output:"


def fill_prompt(prompt, mark, previous, after, outputs):
    """tdm_request_prompt_in (src/core/request.c): the prompt with each `mark` ("{previous}")
    replaced by the previous step's text and each {output:AGENT.STEP} by that step's output
    (after[j] -> outputs[j]), in one pass: text put in is never searched again."""
    out, p = [], 0
    while True:
        prev, outp = prompt.find(mark, p), prompt.find(OUTPUT_MARK, p)
        m = prev if prev >= 0 and (outp < 0 or prev < outp) else outp
        if m < 0:
            break
        out.append(prompt[p:m])
        if m == prev:
            out.append(previous or "")
            p = m + len(mark)
            continue
        name = m + len(OUTPUT_MARK)
        end = prompt.find("}", name)
        if end < 0:
            out.append(prompt[m:])
            p = len(prompt)
            break
        ref = prompt[name:end]
        if ref in after:  # validation made it one of after:; the C code drops any other
            out.append(outputs[after.index(ref)] if outputs is not None else "")
        p = end + 1
    out.append(prompt[p:])
    return "".join(out)


# The last message of an api: chat body as src/core/request.c writes it (jansson, compact,
# keys in order); history turns go before it.
_USER_OPEN = '{"role":"user","content":'


def _turn_json(prompt, reply):
    return '%s%s},{"role":"assistant","content":%s},' % (
        _USER_OPEN, json.dumps(prompt, ensure_ascii=False), json.dumps(reply, ensure_ascii=False))


# ---- one agent's calls in one phase (src/core/job.c) ---------------------------------------------

class AgentJob:
    """The agent's calls one after another: the next request body from the plan, with
    "{previous}" replaced by the text the previous call generated; after a failed call the
    rest are recorded as skipped. With a board (a workflow's sequential or concurrent
    phase) a step is due once the steps it waits for have finished and its think time has
    passed, embeds their outputs ({output:AGENT.STEP}) and, with history, sends the
    agent's earlier turns; a step whose input failed is skipped, naming it."""
    __slots__ = ("agent", "agent_index", "warmup", "records", "next", "t_begin", "t_end", "mark", "start_ns",
                 "t_release", "board", "seed", "reported")

    def __init__(self, agent, warmup, records, mark, board=None, seed=0):
        self.agent, self.agent_index, self.warmup, self.records, self.mark = agent, agent.index, warmup, records, mark
        self.next = self.t_begin = self.t_end = 0
        # Only the concurrent phase has arrivals; the sequential one runs calls back to back.
        conc = not warmup and records and records[0].phase == "concurrent"
        self.start_ns = agent.start_ns if conc else None  # None: no due time (not timed)
        self.t_release = 0  # the phase's release (run_jobs); 0 until then
        self.board = None if warmup else board
        self.seed = seed
        self.reported = 0  # records told to the board so far
        for r in records:  # every record, skipped ones too, says which API its call spoke
            r.api = agent.api

    def _report_settled(self):
        """Tells the board about every record settled since the last time (finished, failed
        or skipped), so the steps waiting for them can go on or be skipped in turn."""
        b = self.board
        while b is not None and self.reported < self.next:
            r = self.records[self.reported]
            b.step_done(self.agent_index, r.step, r)
            self.reported += 1

    def _think_ns(self, r):
        a = self.agent
        return think_draw(self.seed, r.run, self.agent_index, r.step, a.think_ns[r.step], a.think_exp[r.step])

    def _workflow_due(self):
        r = self.records[self.next]
        at, failed = self.board.inputs_at(self.agent_index, r.step, self.agent.deps[r.step])
        if failed is not None:
            return 0  # handed out at once, and recorded as skipped by next_call
        if at == JOB_WAIT:
            return JOB_WAIT
        prev = self.records[self.next - 1].t_done if self.next > 0 else self.t_release
        return max(prev, at) + self._think_ns(r)

    def due(self):
        """tdm_job_due: the instant the next call is due, 0 when it may be handed out at
        once, or JOB_WAIT while it waits for another agent's step. next_call must not be
        asked before it."""
        if self.next >= len(self.records) or self.t_release <= 0:
            return 0
        if self.board is not None:
            return self._workflow_due()
        if self.start_ns is None or self.next != 0:
            return 0
        return self.t_release + self.start_ns

    def _skip_rest(self, now):
        for r in self.records[self.next:]:
            r.fail("skipped", now, "not run: step %d of agent '%s' failed before it" % (self.next, self.agent.name))
        self.next = len(self.records)
        self._report_settled()

    def _skip_for_input(self, failed, now):
        """A workflow step whose input failed cannot run: it and the agent's later steps
        are recorded as not run, naming the input."""
        fa = self.board.agents[failed[0]]
        msg = "not run: step '%s' of agent '%s', which step '%s' of agent '%s' waits for, failed" % (
            fa.step_name(failed[1]), fa.name, self.agent.step_name(self.records[self.next].step), self.agent.name)
        for r in self.records[self.next:]:
            r.fail("skipped", now, msg)
        self.next = len(self.records)
        self._report_settled()

    def stop_rest(self, now):
        """tdm_job_cancel: after an interrupt, what is left is recorded as not run."""
        for r in self.records[self.next:]:
            r.fail("skipped", now, "not run: the run was interrupted (SIGINT/SIGTERM) before this call started")
        self.next = len(self.records)
        self._report_settled()

    def _body(self, r):
        """build_body (job.c): the step's prompt filled from the previous text and the outputs
        it waits for, with history the agent's earlier turns before it."""
        a = self.agent
        t = a.warmup if self.warmup else a.steps[r.step]
        prev = self.records[self.next - 1].text_str() if self.next > 0 else None
        after = a.after[r.step] if self.board is not None else []
        outputs = [self.board.text(*d) for d in a.deps[r.step]] if after else None
        prompt = fill_prompt(t["prompt"], self.mark, prev, after, outputs)
        before = t["body_before"]
        if a.history and not self.warmup:
            r.prompt_sent = prompt
            if self.next > 0:
                if not before.endswith(_USER_OPEN):
                    raise TandemError("agent '%s': the plan's request body has no chat message to put the history "
                                      "before; use the tandem-report of the same tandem version" % a.name)
                turns = "".join(_turn_json(p.prompt_sent or "", p.text_str()) for p in self.records[:self.next])
                before = before[:-len(_USER_OPEN)] + turns + _USER_OPEN
        return (before + json.dumps(prompt, ensure_ascii=False) + t["body_after"]).encode("utf-8", "surrogatepass")

    def next_call(self, now):
        """tdm_job_next: (record, url, body) of the next call, or None."""
        if self.next == 0 and self.t_begin == 0:
            self.t_begin = now
        if self.next >= len(self.records):
            return None
        if INTERRUPT["count"]:  # first: a call the interrupt cut is not the reason for the rest
            self.stop_rest(now)
            return None
        if self.next > 0 and not self.records[self.next - 1].ok:
            self._skip_rest(now)
            return None
        r = self.records[self.next]
        if self.board is not None:
            _, failed = self.board.inputs_at(self.agent_index, r.step, self.agent.deps[r.step])
            if failed is not None:
                self._skip_for_input(failed, now)
                return None
        r.t_due = self.due()
        if self.board is not None:
            # What the step waited for, as raw material of the critical path.
            r.think_ns = self._think_ns(r)
            deps = self.agent.deps[r.step]
            r.after = list(deps) if deps else None
        try:
            body = self._body(r)
        except TandemError as e:
            r.fail("internal", now, str(e))
            self.next += 1
            self._skip_rest(now)
            return None
        r.request_url = self.agent.post_url
        r.request_bytes = len(body)
        self.next += 1
        return r, self.agent.post_url, body

    def call_finished(self, now):
        """tdm_job_call_finished: True when the job is done (t_end recorded)."""
        self._report_settled()
        last_failed = self.next > 0 and not self.records[self.next - 1].ok
        stopped = INTERRUPT["count"] > 0
        if self.next >= len(self.records) or last_failed or stopped:
            if stopped:
                self.stop_rest(now)
            elif last_failed:
                self._skip_rest(now)
            if self.t_end == 0:
                self.t_end = now
            return True
        return False


# ---- provenance.json (src/core/provenance.c) ---------------------------------------------------

def _wall_rfc3339():
    ns = time.time_ns()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1000000000)) + ".%09dZ" % (ns % 1000000000)


def provenance(plan, version, rt, servers):
    import platform
    return {
        "schema": "tandem.provenance/1",
        "tandem_version": version,
        "variant": plan["variant"],
        "started_at": _wall_rfc3339(),
        "command": plan["command"],
        "runtime": rt.describe(),
        "build": {"interpreter": "%s %s" % (platform.python_implementation(), platform.python_version()),
                  "executable": sys.executable, "python_build": " ".join(platform.python_build()),
                  "compiler": platform.python_compiler()},
        "libraries": rt.libraries(),
        "host": plan["host"],
        "servers": servers,
        "server_lock": plan.get("_server_lock"),
        "scenario": plan["scenario"],
    }


# ---- phases, repetitions, result files (src/core/runner.c) ---------------------------------------

PHASE_NAMES = {"warmup": "warm-up", "sequential": "sequential phase", "concurrent": "concurrent phase"}


class Runner:
    def __init__(self, rt, plan, version):
        self.rt, self.plan, self.version = rt, plan, version
        self.set = plan["settings"]
        self.out = plan["output_dir"]
        scen = plan["scenario"]
        self.agents = [PlanAgent(i, a, scen["agents"][i]) for i, a in enumerate(plan["agents"])]
        self.workflow = scen.get("workflow") is True
        if self.workflow:
            resolve_workflow(self.agents)
        self.seed = scen.get("seed") or 0
        self.timeouts, self.max_line = scen["timeouts"], scen["max_line_bytes"]
        self.watchdogs = set()  # of the calls in flight: an interrupt moves their deadline
        self.held = set()  # futures of the agents waiting for a due instant or another agent's step

    def on_interrupt(self):
        """The loop's SIGINT/SIGTERM handler (src/core/main.c on_interrupt)."""
        INTERRUPT["count"] += 1
        if INTERRUPT["count"] > 1:
            os.write(2, b"\ntandem: interrupted again; exiting at once (results may be incomplete)\n")
            os._exit(EXIT_INTERRUPTED)
        INTERRUPT["deadline"] = monotonic_ns() + INTERRUPT_GRACE_NS
        sys.stderr.write("\ntandem: interrupted; no new calls start, calls in flight get 2 s to finish, then the "
                         "partial run and the summary are written. Interrupt again to quit at once.\n")
        sys.stderr.flush()
        for wd in list(self.watchdogs):
            wd.tighten()
        for f in list(self.held):  # a held agent starts nothing now: wake it to record its calls as not run
            if not f.done():
                f.set_result(None)

    def interrupted_note(self, interrupted_run, done_runs):
        """The last lines after an interrupt (src/core/runner.c interrupted_note)."""
        out, finished = self.out, interrupted_run - 1 if interrupted_run else done_runs
        text = "tandem: interrupted. %d of %d run(s) finished" % (finished, self.plan["runs"])
        if interrupted_run:
            text += ("; run %d's partial records: %s/run_%d/records.json (marked \"interrupted\": true, left out of "
                     "the summary)" % (interrupted_run, out, interrupted_run))
        text += (".\ntandem: summary over the finished runs: %s/summary.json and %s/report.md; provenance: "
                 "%s/provenance.json\ntandem: results in %s (exit status %d: interrupted)\n"
                 % (out, out, out, out, EXIT_INTERRUPTED))
        sys.stderr.write(text)

    def progress(self, text):
        if not self.set["quiet"]:
            sys.stderr.write(text)
            sys.stderr.flush()

    def make_jobs(self, run, phase, agents, board=None):
        jobs = []
        for a in agents:
            n = 1 if phase == "warmup" else len(self.agents[a].steps)
            recs = [Record(run, phase, a, k) for k in range(n)]
            jobs.append(AgentJob(self.agents[a], phase == "warmup", recs, self.plan["previous_mark"], board,
                                 self.seed))
        return jobs

    async def run_jobs(self, jobs):
        """All jobs released together; returns t_release. As in the C variants, every
        agent's first call is handed out at the release instant, or, with start_ms,
        not before t_release + start_ms."""
        now = monotonic_ns()
        for j in jobs:  # tdm_jobs_released: held calls are due relative to this instant
            j.t_release = now
        await asyncio.gather(*(self._run_agent(j, now) for j in jobs))
        self.report_failures(jobs)
        return now

    async def _hold_until(self, t_due, board=None):
        """Sleeps until monotonic_ns() >= t_due (JOB_WAIT: no time), until a step settles on
        the board, or until an interrupt; returns at once after an interrupt. The loop's
        timers may fire a little early, hence the check before leaving."""
        loop = asyncio.get_running_loop()
        while not INTERRUPT["count"]:
            left = t_due - monotonic_ns()
            if left <= 0:
                return
            f = loop.create_future()
            timer = None if t_due == JOB_WAIT else loop.call_later(left / 1e9, lambda: f.done() or f.set_result(None))
            self.held.add(f)
            if board is not None:
                board.waiters.add(f)
            try:
                await f
            finally:
                if timer is not None:
                    timer.cancel()
                self.held.discard(f)
                if board is not None:
                    board.waiters.discard(f)
            if t_due == JOB_WAIT:
                return

    async def _wait_due(self, job, now):
        """tdm_job_wait_due: until the job's next call is due (a first call held by start_ms;
        a workflow step until its inputs exist and its think time has passed). Returns
        the instant to hand it out: `now` when it was due already."""
        while not INTERRUPT["count"]:
            t_due = job.due()
            if t_due <= now:
                return now
            # An interrupt ends the hold early; next_call then records the calls as not run.
            await self._hold_until(t_due, job.board if t_due == JOB_WAIT else None)
            now = monotonic_ns()
        return now

    async def _run_agent(self, job, now):
        while True:
            now = await self._wait_due(job, now)
            nxt = job.next_call(now)
            if nxt is None:
                job.call_finished(now)
                return
            rec, url, body = nxt
            call = new_call(rec, self.timeouts, self.max_line)
            call.begin(now)
            await self._call(job, call, url, body)
            now = monotonic_ns()
            if job.call_finished(now):
                return

    async def _call(self, job, call, url, body):
        """The runtime's call under the scenario's timeouts: a timeout is recorded and
        cancels the call (not the run); anything else the runtime raises is a recorded
        failure, never a lost run."""
        task = asyncio.current_task()
        wd = call.watchdog = _Watchdog(asyncio.get_running_loop(), task, call)
        wd.arm()
        self.watchdogs.add(wd)
        try:
            await self.rt.call(job.agent_index, call, url, body)
        except asyncio.CancelledError:
            if not wd.fired:
                raise
            if hasattr(task, "uncancel"):
                task.uncancel()
        except Exception as e:
            call.fail("internal", monotonic_ns(), "the %s client failed: %s" % (self.plan["variant"], _why(e)))
        finally:
            wd.disarm()
            self.watchdogs.discard(wd)

    def report_failures(self, jobs):
        for j in jobs:
            for k, c in enumerate(j.records):
                if not c.ok and c.error_kind != "skipped":
                    self.progress("  agent %s, %s call %d failed (%s): %s\n" % (j.agent.name, c.phase, k + 1,
                                                                               c.error_kind, c.error_message or ""))

    @staticmethod
    def settle(d, jobs):
        """The jobs' records into the run; returns how many failed."""
        for j in jobs:
            d.calls.extend(j.records)
        return sum(1 for j in jobs for r in j.records if not r.ok)

    async def warmup(self, d):
        for a in range(len(self.agents)):
            if INTERRUPT["count"]:
                break
            jobs = self.make_jobs(d.run, "warmup", [a])
            try:
                await self.run_jobs(jobs)
            finally:
                self.settle(d, jobs)
        return 0

    async def sequential_workflow(self, d):
        """A workflow's sequential phase (runner.c sequential_workflow): every agent's job in
        one batch, the board letting one step run at a time in a topological order (the
        run's agent order among the steps ready), so each step can use what the steps
        before it produced."""
        board = Board(self.agents, workflow_order(self.agents, d.seq_order))
        jobs = self.make_jobs(d.run, "sequential", list(range(len(self.agents))), board)
        d.seq_one_batch = True
        t_release = 0
        try:
            if INTERRUPT["count"]:
                for j in jobs:
                    j.stop_rest(monotonic_ns())
            else:
                t_release = await self.run_jobs(jobs)
        finally:
            for j in jobs:
                d.seq[j.agent_index] = (t_release, j.t_begin, j.t_end)
            failed = self.settle(d, jobs)
        return failed

    async def sequential(self, d):
        d.seq_order = list(self.plan["sequential_orders"][d.run - 1])
        d.has_sequential = True
        failed = 0
        cpu0 = cpu_now()
        if self.workflow:
            failed = await self.sequential_workflow(d)
            d.seq_cpu = cpu_since(cpu0)
            return failed
        for a in d.seq_order:
            jobs = self.make_jobs(d.run, "sequential", [a])
            if INTERRUPT["count"]:
                # interrupted: the agents still to run alone are recorded as not run
                jobs[0].stop_rest(monotonic_ns())
                failed += self.settle(d, jobs)
                continue
            try:
                t_release = await self.run_jobs(jobs)
                d.seq[a] = (t_release, jobs[0].t_begin, jobs[0].t_end)
            finally:
                failed += self.settle(d, jobs)
        d.seq_cpu = cpu_since(cpu0)
        return failed

    async def concurrent(self, d):
        # A workflow's steps wait for their inputs, and nothing else: each runs as soon as they exist.
        board = Board(self.agents) if self.workflow else None
        jobs = self.make_jobs(d.run, "concurrent", list(range(len(self.agents))), board)
        d.has_concurrent = True
        d.conc_open_loop = bool(self.plan["scenario"].get("arrivals"))
        cpu0 = cpu_now()
        failed = 0
        try:
            t_release = await self.run_jobs(jobs)
            d.conc_cpu = cpu_since(cpu0)
            for j in jobs:
                d.conc[j.agent_index] = (t_release, j.t_begin, j.t_end)
        finally:
            failed = self.settle(d, jobs)
        return failed

    async def phase(self, d, phase):
        self.progress("[run %d/%d] %s\n" % (d.run, self.plan["runs"], PHASE_NAMES[phase]))
        mem = self.prov["server_memory"]
        await server_memory_snapshot(self.rt, self.agents, d.run, phase, False, mem)
        try:
            return await getattr(self, phase)(d)
        finally:
            await server_memory_snapshot(self.rt, self.agents, d.run, phase, True, mem)

    def gpu_problem(self, run, msg):
        line = "run %d: %s" % (run, msg)
        self.gpu.add_error(line)
        self.progress("tandem: no GPU samples for %s\n" % line)

    async def run_once(self, d):
        """One repetition, the GPU sampler (when on) around its phases; stopped on every
        path. Returns the number of failed calls."""
        sampler, failed = None, 0
        if self.gpu.tool:
            try:
                path = os.path.join(self.out, "run_%d" % d.run)
                mkdirs(path)
                sampler = GpuSampler(self.gpu.tool, os.path.join(path, "gpu.csv"))
            except TandemError as e:
                self.gpu_problem(d.run, str(e))
        try:
            if d.run == 1 and self.plan["warmup"]:
                await self.phase(d, "warmup")
            for phase in ("sequential", "concurrent"):
                if self.plan[phase] and not INTERRUPT["count"]:
                    failed += await self.phase(d, phase)
            d.interrupted = INTERRUPT["count"] > 0
        finally:
            if sampler is not None:
                msg = sampler.stop()
                if msg:
                    self.gpu_problem(d.run, msg)
        return failed

    def write_run(self, d):
        path = os.path.join(self.out, "run_%d" % d.run)
        mkdirs(path)
        write_json_atomic(os.path.join(path, "records.json"), d.to_json())
        write_json_atomic(os.path.join(self.out, "provenance.json"), self.prov)

    def finalize(self):
        """summary.json, report.md and the table (or summary.json on stdout) from the core."""
        sys.stdout.flush()
        cmd = [self.plan["_tool"], "finalize", self.out] + (["--json"] if self.set["json"] else [])
        try:
            rc = subprocess.run(cmd, stdin=subprocess.DEVNULL).returncode
        except OSError as e:
            raise TandemError("cannot start %s: %s" % (cmd[0], e.strerror or e))
        if rc != 0:
            raise TandemError("'%s' failed (exit %d); the records are kept in %s" % (" ".join(cmd), rc, self.out))

    async def execute(self):
        self.gpu = GpuTelemetry(self.set["gpu_telemetry"])  # "on" without a GPU refuses before anything exists
        if self.gpu.mode == "auto" and not self.gpu.tool:
            self.progress("tandem: no GPU telemetry (%s)\n" % self.gpu.reason)
        self.out = prepare_output_dir(self.out, self.set.get("output_dir_default", False), self.set.get("force", False))
        servers = None
        if self.set["preflight"]:
            servers = await preflight(self.rt, self.agents)
        self.prov = provenance(self.plan, self.version, self.rt, servers)
        self.prov["gpu"] = self.gpu.doc
        self.prov["server_memory"] = []
        write_json_atomic(os.path.join(self.out, "provenance.json"), self.prov)

        status, failed, done_runs, interrupted_run = EXIT_OK, 0, 0, 0
        self.progress("tandem %s: scenario '%s', %d agents, %d run(s) -> %s\n" % (
            self.plan["variant"], self.plan["scenario"]["name"], len(self.agents), self.plan["runs"], self.out))
        for k in range(1, self.plan["runs"] + 1):
            if INTERRUPT["count"]:
                break
            d = RunData(k, [a.name for a in self.agents])
            done_runs = k
            err = None
            try:
                failed += await self.run_once(d)
            except Exception as e:  # the runtime itself broke: keep what was measured
                err = _why(e)
            self.write_run(d)
            if err is not None:
                sys.stderr.write("tandem: the %s runtime failed: %s\n" % (self.plan["variant"], err))
                status = EXIT_ERROR
                break
            if d.interrupted:
                interrupted_run = k
                break
        self.finalize()  # the core leaves a last run marked interrupted out of the summary
        if status == EXIT_OK and INTERRUPT["count"]:
            status = EXIT_INTERRUPTED
        if status == EXIT_OK and failed > 0:
            status = EXIT_INCOMPLETE
        if status == EXIT_INTERRUPTED:
            self.interrupted_note(interrupted_run, done_runs)
        elif failed > 0:
            sys.stderr.write("tandem: %d call(s) failed; their records say why (results kept in %s). Exit status %d: "
                             "incomplete.\n" % (failed, self.out, EXIT_INCOMPLETE))
        return status


# ---- the command line (src/core/main.c) ----------------------------------------------------------

def _run(make_runtime, plan, version):
    async def go():
        s = plan["settings"]
        rt = make_runtime(len(plan["agents"]), s["read_buf"], s["threads"])
        if hasattr(rt, "bind"):  # an SDK client takes its server when it is made
            rt.bind(plan["agents"])
        runner = Runner(rt, plan, version)
        loop = asyncio.get_running_loop()
        import signal
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runner.on_interrupt)
        try:
            return await runner.execute()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            await rt.close()
    return asyncio.run(go())


def _info(make_runtime, variant, summary, version):
    async def go():
        rt = make_runtime(0, 0, 0)
        try:
            return rt.describe()
        finally:
            await rt.close()
    doc = {"variant": variant, "summary": summary, "tandem_version": version, "runtime": asyncio.run(go())}
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    return EXIT_OK


def main(argv, variant, summary, version, make_runtime, usage, check_plan=None):
    """The client's commands: run (flags as every variant's), info, summarize, --version,
    --help. make_runtime(n_agents, read_buf, threads) builds the runtime (read_buf and
    threads 0 when not given); usage(prog) is the --help text; check_plan(plan), when
    given, raises TandemError for a plan the client cannot run (an api it does not speak)."""
    prog = os.path.basename(argv[0]) if argv else "tandem-" + variant
    CLIENT_SCRIPT[0] = argv[0] if argv else CLIENT_SCRIPT[0]
    cmd, args = (argv[1], argv[2:]) if len(argv) > 1 else (None, [])
    try:
        if cmd in (None, "--help", "-h", "help"):
            (sys.stderr if cmd is None else sys.stdout).write(usage(prog))
            return EXIT_USAGE if cmd is None else EXIT_OK
        if cmd == "--version":
            sys.stdout.write("%s %s\n" % (prog, version))
            return EXIT_OK
        if cmd == "info":
            return _info(make_runtime, variant, summary, version)
        if cmd == "run":
            if "--help" in args or "-h" in args:
                sys.stdout.write(usage(prog))
                return EXIT_OK
            plan = load_plan(variant, args, argv[0])
            if check_plan is not None:
                check_plan(plan)
            holder = hold_servers(plan, variant, args)
            try:
                return _run(make_runtime, plan, version)
            finally:
                release_servers(holder)
        if cmd == "summarize":  # the core's finalize, kept under the client's old name
            tool, why = find_tool(REPORT_TOOL, "TANDEM_REPORT", argv[0])
            if not tool:
                raise TandemError(why)
            return subprocess.run([tool, "finalize"] + list(args)).returncode
        sys.stderr.write("tandem: unknown command '%s'; try '%s run --help'\n" % (cmd, prog))
        return EXIT_USAGE
    except TandemError as e:
        sys.stderr.write("tandem: %s\n" % str(e).rstrip("\n"))
        return e.code
    except KeyboardInterrupt:
        sys.stderr.write("tandem: interrupted\n")
        return 130
