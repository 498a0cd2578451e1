/* check_records.c — one records.json judged field by field against "tandem.run/1"
 * (docs/records.md): every problem located by file, run, call index and field, with
 * what the field holds and what it should hold (see check.h). */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/record.h"
#include "report/check.h"
#include "report/load.h"


typedef struct ctx {
    tdm_rep_problems *p;
    const char *file;
    int run;
    char where[160]; /* ", calls[3] (sequential, agent 1, step 0)" or "" */
    size_t found;
} ctx;

static void bad(ctx *c, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void bad(ctx *c, const char *field, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->found++;
    tdm_rep_problem(c->p, "%s: run %d%s: field '%s' %s", c->file, c->run, c->where, field, msg);
}

/* An integer field in [lo, hi]; `what` says what it is, for the message. */
static bool want_int(ctx *c, json_t *o, const char *key, const char *field, json_int_t lo, json_int_t hi,
                     const char *what, json_int_t *out)
{
    json_t *v = json_object_get(o, key);
    char d[64];
    if (!json_is_integer(v)) {
        bad(c, field, "is %s; expected %s (an integer from %lld to %lld)", tdm_rep_json_describe(v, d, sizeof d), what,
            (long long)lo, (long long)hi);
        return false;
    }
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi) {
        bad(c, field, "is %lld; expected %s (an integer from %lld to %lld)", (long long)x, what, (long long)lo,
            (long long)hi);
        return false;
    }
    if (out)
        *out = x;
    return true;
}

static bool want_bool(ctx *c, json_t *o, const char *key, bool *out)
{
    json_t *v = json_object_get(o, key);
    char d[64];
    if (!json_is_boolean(v)) {
        bad(c, key, "is %s; expected true or false", tdm_rep_json_describe(v, d, sizeof d));
        return false;
    }
    if (out)
        *out = json_is_true(v);
    return true;
}

/* A string, or null when null_ok. */
static void want_string(ctx *c, json_t *o, const char *key, bool null_ok)
{
    json_t *v = json_object_get(o, key);
    char d[64];
    if (!json_is_string(v) && !(null_ok && json_is_null(v)))
        bad(c, key, "is %s; expected a string%s", tdm_rep_json_describe(v, d, sizeof d), null_ok ? " or null" : "");
}

/* "api": absent for Ollama's APIs (the url names them), "openai" on every call of an
 * agent that speaks the OpenAI API (sa, when the scenario names the agent). */
static void check_api(ctx *c, json_t *call, const tdm_agent *sa)
{
    json_t *v = json_object_get(call, "api");
    char d[64];
    tdm_api api = TDM_API_GENERATE;
    if (v && (!json_is_string(v) || tdm_api_from_name(json_string_value(v), &api) != 0)) {
        bad(c, "api", "is %s; expected \"openai\" (or leave it out for Ollama's APIs)",
            tdm_rep_json_describe(v, d, sizeof d));
        return;
    }
    bool openai = v && api == TDM_API_OPENAI;
    if (sa && (sa->api == TDM_API_OPENAI) != openai)
        bad(c, "api", "is %s, but the scenario's agent speaks api %s; expected %s", v ? json_string_value(v) : "missing",
            tdm_api_name(sa->api), sa->api == TDM_API_OPENAI ? "\"openai\"" : "no api key (or its own api)");
}

static void check_error(ctx *c, json_t *call, bool ok)
{
    json_t *e = json_object_get(call, "error");
    char d[64];
    if (ok) {
        if (!json_is_null(e))
            bad(c, "error", "is %s; expected null, since 'ok' is true", tdm_rep_json_describe(e, d, sizeof d));
        return;
    }
    if (!json_is_object(e)) {
        bad(c, "error", "is %s; expected an object {\"kind\", \"message\"}, since 'ok' is false",
            tdm_rep_json_describe(e, d, sizeof d));
        return;
    }
    const char *kind = json_string_value(json_object_get(e, "kind"));
    tdm_error_kind k;
    if (!kind || tdm_error_kind_from_name(kind, &k) != 0 || k == TDM_ERR_NONE) {
        tdm_buf names = {0};
        for (int i = 1; i < TDM_ERR_KIND_COUNT; i++)
            tdm_buf_printf(&names, "%s%s", i > 1 ? ", " : "", tdm_error_kind_name((tdm_error_kind)i));
        bad(c, "error.kind", "is %s%s%s; expected one of: %s", kind ? "'" : "",
            kind ? kind : tdm_rep_json_describe(json_object_get(e, "kind"), d, sizeof d), kind ? "'" : "",
            tdm_buf_str(&names));
        tdm_buf_free(&names);
    }
    if (!json_is_string(json_object_get(e, "message")))
        bad(c, "error.message", "is %s; expected a string",
            tdm_rep_json_describe(json_object_get(e, "message"), d, sizeof d));
}

/* The client timeline: each milestone a non-negative time, 0 meaning not reached, and
 * those reached in order t_begin <= t_start <= t_first_byte <= t_done. */
static void check_times(ctx *c, json_t *call, json_int_t *t_begin, json_int_t *t_start)
{
    static const char *const keys[] = {"t_begin_ns", "t_start_ns", "t_first_byte_ns", "t_done_ns"};
    json_int_t t[4] = {0};
    bool have[4];
    for (int i = 0; i < 4; i++)
        have[i] = want_int(c, call, keys[i], keys[i], 0, TDM_REP_MAX_ABS_INT, "client-clock nanoseconds, 0 if never reached",
                           &t[i]);
    for (int i = 1; i < 4; i++) {
        int j = i - 1;
        while (j > 0 && have[j] && t[j] == 0)
            j--;
        if (have[i] && have[j] && t[i] != 0 && t[j] != 0 && t[i] < t[j])
            bad(c, keys[i], "is %lld, before '%s' (%lld); expected the milestones in order t_begin_ns <= t_start_ns "
                            "<= t_first_byte_ns <= t_done_ns",
                (long long)t[i], keys[j], (long long)t[j]);
    }
    *t_begin = have[0] ? t[0] : -1;
    *t_start = have[1] ? t[1] : -1;
    /* Optional: records written before open-loop arrivals existed have no due time. */
    json_int_t due = 0;
    if (json_object_get(call, "t_due_ns") &&
        want_int(c, call, "t_due_ns", "t_due_ns", 0, TDM_REP_MAX_ABS_INT,
                 "client-clock nanoseconds the call was due (an open-loop arrival), 0 if it had no due time", &due) &&
        due != 0 && have[0] && t[0] != 0 && t[0] < due)
        bad(c, "t_begin_ns", "is %lld, before 't_due_ns' (%lld); a held call is handed to the transport only once it "
                             "is due",
            (long long)t[0], (long long)due);
}

static void check_events(ctx *c, json_t *call, json_int_t t_begin, json_int_t t_start)
{
    json_t *ev = json_object_get(call, "events");
    char d[64];
    if (!json_is_object(ev)) {
        bad(c, "events", "is %s; expected an object of three arrays: dt_ns, content_bytes, thinking_bytes",
            tdm_rep_json_describe(ev, d, sizeof d));
        return;
    }
    static const char *const keys[] = {"dt_ns", "content_bytes", "thinking_bytes"};
    json_t *arr[3];
    for (int i = 0; i < 3; i++) {
        arr[i] = json_object_get(ev, keys[i]);
        if (!json_is_array(arr[i])) {
            char f[40];
            snprintf(f, sizeof f, "events.%s", keys[i]);
            bad(c, f, "is %s; expected an array of integers, one per token event",
                tdm_rep_json_describe(arr[i], d, sizeof d));
            return;
        }
    }
    size_t n = json_array_size(arr[0]);
    for (int i = 1; i < 3; i++)
        if (json_array_size(arr[i]) != n) {
            char f[40];
            snprintf(f, sizeof f, "events.%s", keys[i]);
            bad(c, f, "has %zu entries; expected %zu, one per entry of events.dt_ns", json_array_size(arr[i]), n);
            return;
        }
    json_int_t prev = 0;
    for (size_t k = 0; k < n; k++) {
        char f[64];
        snprintf(f, sizeof f, "events.dt_ns[%zu]", k);
        json_t *v = json_array_get(arr[0], k);
        if (!json_is_integer(v) || json_integer_value(v) > TDM_REP_MAX_ABS_INT) {
            bad(c, f, "is %s; expected nanoseconds since t_begin_ns (an integer >= 0)",
                tdm_rep_json_describe(v, d, sizeof d));
            continue;
        }
        json_int_t dt = json_integer_value(v);
        if (dt < 0)
            bad(c, f, "is %lld: the token event is before the call began; expected nanoseconds since t_begin_ns "
                      "(>= 0), not an absolute time or a time before the call",
                (long long)dt);
        else if (t_begin > 0 && t_start > 0 && t_begin + dt < t_start)
            bad(c, f, "is %lld: the token event is before the request was sent (t_start_ns - t_begin_ns = %lld); "
                      "expected an arrival time after t_start_ns",
                (long long)dt, (long long)(t_start - t_begin));
        else if (dt < prev)
            bad(c, f, "is %lld, before the event ahead of it (%lld); expected events in arrival order",
                (long long)dt, (long long)prev);
        prev = dt >= 0 ? dt : prev;
        for (int i = 1; i < 3; i++) {
            snprintf(f, sizeof f, "events.%s[%zu]", keys[i], k);
            json_t *b = json_array_get(arr[i], k);
            if (!json_is_integer(b) || json_integer_value(b) < 0 || json_integer_value(b) > (json_int_t)UINT32_MAX)
                bad(c, f, "is %s; expected the bytes of text in that event (an integer from 0 to %lu)",
                    tdm_rep_json_describe(b, d, sizeof d), (unsigned long)UINT32_MAX);
        }
    }
}

static void check_server(ctx *c, json_t *call)
{
    static const char *const counters[] = {"total_duration",       "load_duration", "prompt_eval_count",
                                           "prompt_eval_duration", "eval_count",    "eval_duration"};
    json_t *srv = json_object_get(call, "server");
    char d[64];
    if (json_is_null(srv)) {
        json_t *dr = json_object_get(call, "done_reason");
        if (!json_is_null(dr))
            bad(c, "done_reason", "is %s; expected null, since 'server' is null (no final line)",
                tdm_rep_json_describe(dr, d, sizeof d));
        return;
    }
    if (!json_is_object(srv)) {
        bad(c, "server", "is %s; expected the final line's counters as an object, or null when none arrived",
            tdm_rep_json_describe(srv, d, sizeof d));
        return;
    }
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
        if (!json_object_get(srv, counters[i]))
            continue; /* a counter the server did not send is left out */
        char f[48];
        snprintf(f, sizeof f, "server.%s", counters[i]);
        want_int(c, srv, counters[i], f, 0, TDM_REP_MAX_COUNTER, "the server's value, exactly as sent", NULL);
    }
    json_t *dr = json_object_get(call, "done_reason");
    if (!json_is_string(dr) || json_string_length(dr) >= 32)
        bad(c, "done_reason", "is %s; expected the final line's done_reason as a string (under 32 bytes)",
            tdm_rep_json_describe(dr, d, sizeof d));
}

static const tdm_agent *agent_of(const tdm_scenario *s, json_int_t a)
{
    return s && a >= 0 && (size_t)a < s->n_agents ? &s->agents[a] : NULL;
}

static void check_call(ctx *c, json_t *call, size_t i, size_t n_agents, const tdm_scenario *s)
{
    char d[64];
    json_t *ph = json_object_get(call, "phase"), *ag = json_object_get(call, "agent"),
           *st = json_object_get(call, "step");
    snprintf(c->where, sizeof c->where, ", calls[%zu]", i);
    if (!json_is_object(call)) {
        bad(c, "calls", "entry is %s; expected an object, one per call", tdm_rep_json_describe(call, d, sizeof d));
        return;
    }
    if (json_is_string(ph) && json_is_integer(ag) && json_is_integer(st))
        snprintf(c->where, sizeof c->where, ", calls[%zu] (%.20s, agent %lld, step %lld)", i, json_string_value(ph),
                 (long long)json_integer_value(ag), (long long)json_integer_value(st));
    want_int(c, call, "run", "run", c->run, c->run, "the run this file holds", NULL);
    tdm_phase phase = TDM_PHASE_WARMUP;
    if (!json_is_string(ph) || tdm_phase_from_name(json_string_value(ph), &phase) != 0)
        bad(c, "phase", "is %s%s%s; expected \"warmup\", \"sequential\" or \"concurrent\"",
            json_is_string(ph) ? "'" : "",
            json_is_string(ph) ? json_string_value(ph) : tdm_rep_json_describe(ph, d, sizeof d),
            json_is_string(ph) ? "'" : "");
    json_int_t a = -1, step = -1;
    want_int(c, call, "agent", "agent", 0, n_agents ? (json_int_t)n_agents - 1 : 0,
             "an index into the file's 'agents'", &a);
    const tdm_agent *sa = agent_of(s, a);
    json_int_t max_step = sa ? (phase == TDM_PHASE_WARMUP ? 0 : (json_int_t)sa->n_steps - 1) : INT32_MAX;
    want_int(c, call, "step", "step", 0, max_step, "an index into the agent's steps (0 for a warm-up)", &step);
    want_string(c, call, "url", true);
    check_api(c, call, sa);
    want_int(c, call, "request_bytes", "request_bytes", 0, TDM_REP_MAX_COUNTER, "the request body's size in bytes", NULL);
    bool ok = true;
    if (want_bool(c, call, "ok", &ok))
        check_error(c, call, ok);
    want_int(c, call, "http_status", "http_status", 0, 999, "the response's status code, 0 if none arrived", NULL);
    json_int_t t_begin, t_start;
    check_times(c, call, &t_begin, &t_start);
    want_int(c, call, "connect_ns", "connect_ns", 0, TDM_REP_MAX_ABS_INT, "the TCP connect time, 0 on a reused connection", NULL);
    want_bool(c, call, "reused_connection", NULL);
    want_int(c, call, "bytes", "bytes", 0, TDM_REP_MAX_COUNTER, "response body bytes received", NULL);
    want_int(c, call, "reads", "reads", 0, TDM_REP_MAX_COUNTER, "the transport's reads", NULL);
    want_int(c, call, "frames", "frames", 0, TDM_REP_MAX_COUNTER, "complete NDJSON lines (SSE events for api openai)", NULL);
    check_events(c, call, t_begin, t_start);
    check_server(c, call);
    want_string(c, call, "text", false);
    json_t *rep = json_object_get(call, "text_repaired");
    if (rep && !json_is_boolean(rep))
        bad(c, "text_repaired", "is %s; expected true (or leave it out)", tdm_rep_json_describe(rep, d, sizeof d));
}

/* A phase's timeline: one {release_ns, begin_ns, end_ns} per agent, optional client_cpu. */
static void check_phase(ctx *c, json_t *doc, const char *name, size_t n_agents)
{
    json_t *ph = json_object_get(doc, name);
    char d[64], f[96];
    c->where[0] = '\0';
    if (!ph) {
        bad(c, name, "is missing; expected an object, or null when the phase did not run");
        return;
    }
    if (json_is_null(ph))
        return;
    if (!json_is_object(ph)) {
        bad(c, name, "is %s; expected an object, or null when the phase did not run",
            tdm_rep_json_describe(ph, d, sizeof d));
        return;
    }
    if (strcmp(name, "sequential") == 0) {
        json_t *order = json_object_get(ph, "order");
        if (!json_is_array(order) || json_array_size(order) != n_agents) {
            bad(c, "sequential.order", "is %s with %zu entries; expected an array listing each of the %zu agents once",
                tdm_rep_json_describe(order, d, sizeof d), json_array_size(order), n_agents);
        } else {
            bool seen[256] = {false};
            for (size_t i = 0; i < n_agents; i++) {
                json_t *v = json_array_get(order, i);
                snprintf(f, sizeof f, "sequential.order[%zu]", i);
                json_int_t x = json_is_integer(v) ? json_integer_value(v) : -1;
                if (x < 0 || (size_t)x >= n_agents || (x < 256 && seen[x]))
                    bad(c, f, "is %s; expected an agent index from 0 to %zu not listed before",
                        tdm_rep_json_describe(v, d, sizeof d), n_agents - 1);
                else if (x < 256)
                    seen[x] = true;
            }
        }
    }
    json_t *ag = json_object_get(ph, "agents");
    if (!json_is_array(ag) || json_array_size(ag) != n_agents) {
        snprintf(f, sizeof f, "%s.agents", name);
        bad(c, f, "is %s with %zu entries; expected one {release_ns, begin_ns, end_ns} per agent (%zu)",
            tdm_rep_json_describe(ag, d, sizeof d), json_array_size(ag), n_agents);
    } else {
        static const char *const keys[] = {"release_ns", "begin_ns", "end_ns"};
        for (size_t i = 0; i < n_agents; i++)
            for (int k = 0; k < 3; k++) {
                snprintf(f, sizeof f, "%s.agents[%zu].%s", name, i, keys[k]);
                want_int(c, json_array_get(ag, i), keys[k], f, 0, TDM_REP_MAX_ABS_INT,
                         "client-clock nanoseconds, 0 if the agent did not run", NULL);
            }
    }
    json_t *cpu = json_object_get(ph, "client_cpu");
    if (cpu && !json_is_null(cpu)) {
        static const char *const keys[] = {"user_ns", "sys_ns"};
        for (int k = 0; k < 2; k++) {
            snprintf(f, sizeof f, "%s.client_cpu.%s", name, keys[k]);
            want_int(c, cpu, keys[k], f, 0, TDM_REP_MAX_ABS_INT, "the client's CPU time in the phase, nanoseconds", NULL);
        }
    }
}

size_t tdm_rep_check_records(json_t *doc, const char *file, int run_no, const tdm_scenario *s, tdm_rep_problems *p)
{
    ctx c = {.p = p, .file = file, .run = run_no};
    char d[64];
    if (!json_is_object(doc)) {
        bad(&c, "(document)", "is %s; expected a JSON object", tdm_rep_json_describe(doc, d, sizeof d));
        return c.found;
    }
    const char *schema = json_string_value(json_object_get(doc, "schema"));
    if (!schema || strcmp(schema, "tandem.run/1") != 0) {
        bad(&c, "schema", "is %s%s%s; expected \"tandem.run/1\"", schema ? "'" : "",
            schema ? schema : tdm_rep_json_describe(json_object_get(doc, "schema"), d, sizeof d), schema ? "'" : "");
        return c.found; /* another format: field checks would only add noise */
    }
    want_int(&c, doc, "run", "run", run_no, run_no, "the k of the run_<k> directory the file is in", NULL);
    json_t *names = json_object_get(doc, "agents");
    size_t n = json_array_size(names);
    if (!json_is_array(names) || n == 0) {
        bad(&c, "agents", "is %s; expected a non-empty array of the agents' names, in the scenario's order",
            tdm_rep_json_describe(names, d, sizeof d));
    } else {
        if (s && n != s->n_agents)
            bad(&c, "agents", "lists %zu agents; expected the scenario's %zu (provenance.json: scenario.agents)", n,
                s->n_agents);
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_array_get(names, i);
            char f[40];
            snprintf(f, sizeof f, "agents[%zu]", i);
            if (!json_is_string(v))
                bad(&c, f, "is %s; expected the agent's name", tdm_rep_json_describe(v, d, sizeof d));
            else if (s && i < s->n_agents && strcmp(json_string_value(v), s->agents[i].name) != 0)
                bad(&c, f, "is '%.100s'; expected '%.100s', the name of scenario agent %zu", json_string_value(v),
                    s->agents[i].name, i);
        }
    }
    /* Optional: only a run cut short by SIGINT/SIGTERM carries it (docs/records.md). */
    if (json_object_get(doc, "interrupted"))
        want_bool(&c, doc, "interrupted", NULL);
    check_phase(&c, doc, "sequential", n);
    check_phase(&c, doc, "concurrent", n);
    json_t *calls = json_object_get(doc, "calls");
    if (!json_is_array(calls)) {
        c.where[0] = '\0';
        bad(&c, "calls", "is %s; expected an array with one object per call",
            tdm_rep_json_describe(calls, d, sizeof d));
        return c.found;
    }
    for (size_t i = 0; i < json_array_size(calls); i++)
        check_call(&c, json_array_get(calls, i), i, n, s);
    return c.found;
}
