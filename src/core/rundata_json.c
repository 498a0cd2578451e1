/* rundata_json.c — records.json: writing a run's raw data and reading it back.
 *
 * The format is the artifact's raw-data contract (schema "tandem.run/1"): absolute
 * client-clock nanoseconds for phase boundaries and call milestones, token-event
 * arrival offsets relative to the call's t_begin, and the server's counters exactly as
 * sent. Reading it back gives the same in-memory records, so the report stage computes
 * metrics with the very code the run used. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rundata.h"
#include "core/utf8.h"

#define SCHEMA "tandem.run/1"

static const char *const counter_names[] = {"total_duration", "load_duration", "prompt_eval_count",
                                            "prompt_eval_duration", "eval_count", "eval_duration"};

static int64_t *counter_slot(tdm_server_counters *c, int i)
{
    int64_t *slots[] = {&c->total_duration_ns, &c->load_duration_ns, &c->prompt_eval_count,
                        &c->prompt_eval_duration_ns, &c->eval_count, &c->eval_duration_ns};
    return slots[i];
}

json_t *tdm_record_to_json(const tdm_call_record *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "run", json_integer(r->run));
    json_object_set_new(o, "phase", json_string(tdm_phase_name(r->phase)));
    json_object_set_new(o, "agent", json_integer(r->agent));
    json_object_set_new(o, "step", json_integer(r->step));
    json_object_set_new(o, "url", r->request_url ? json_string(r->request_url) : json_null());
    /* Optional: only a call of the OpenAI API says so; Ollama's APIs are named by the url
     * alone, as they were before the key existed (docs/records.md). */
    if (r->api == TDM_API_OPENAI)
        json_object_set_new(o, "api", json_string(tdm_api_name(r->api)));
    json_object_set_new(o, "request_bytes", json_integer((json_int_t)r->request_bytes));
    json_object_set_new(o, "ok", json_boolean(r->ok));
    if (r->ok)
        json_object_set_new(o, "error", json_null());
    else
        json_object_set_new(o, "error", json_pack("{s:s, s:s}", "kind", tdm_error_kind_name(r->error_kind),
                                                  "message", r->error_message ? r->error_message : ""));
    json_object_set_new(o, "http_status", json_integer(r->http_status));
    json_object_set_new(o, "t_due_ns", json_integer(r->t_due));
    json_object_set_new(o, "t_begin_ns", json_integer(r->t_begin));
    json_object_set_new(o, "t_start_ns", json_integer(r->t_start));
    json_object_set_new(o, "t_first_byte_ns", json_integer(r->t_first_byte));
    json_object_set_new(o, "t_done_ns", json_integer(r->t_done));
    json_object_set_new(o, "connect_ns", json_integer(r->connect_ns));
    json_object_set_new(o, "reused_connection", json_boolean(r->reused_connection));
    /* Optional: only a workflow step has them (docs/records.md). */
    if (r->n_after) {
        json_t *after = json_array();
        for (size_t i = 0; i < r->n_after; i++)
            json_array_append_new(after, json_pack("[I, I]", (json_int_t)r->after[i].agent,
                                                   (json_int_t)r->after[i].step));
        json_object_set_new(o, "after", after);
    }
    if (r->think_ns)
        json_object_set_new(o, "think_ns", json_integer(r->think_ns));
    if (r->retried_stale_connection) { /* only then: the key is optional (docs/records.md) */
        json_object_set_new(o, "retried_stale_connection", json_true());
        json_object_set_new(o, "first_error", json_string(r->first_error ? r->first_error : ""));
    }
    json_object_set_new(o, "bytes", json_integer((json_int_t)r->bytes));
    json_object_set_new(o, "reads", json_integer((json_int_t)r->reads));
    json_object_set_new(o, "frames", json_integer((json_int_t)r->frames));

    json_t *dt = json_array(), *cb = json_array(), *tb = json_array();
    for (size_t i = 0; i < r->n_events; i++) {
        json_array_append_new(dt, json_integer(r->events[i].t_ns - r->t_begin));
        json_array_append_new(cb, json_integer(r->events[i].content_bytes));
        json_array_append_new(tb, json_integer(r->events[i].thinking_bytes));
    }
    json_object_set_new(o, "events", json_pack("{s:o, s:o, s:o}", "dt_ns", dt, "content_bytes", cb,
                                               "thinking_bytes", tb));
    if (r->have_final) {
        json_t *srv = json_object();
        tdm_server_counters c = r->server;
        for (int i = 0; i < 6; i++)
            if (*counter_slot(&c, i) >= 0)
                json_object_set_new(srv, counter_names[i], json_integer(*counter_slot(&c, i)));
        json_object_set_new(o, "server", srv);
        json_object_set_new(o, "done_reason", json_string(r->done_reason));
    } else {
        json_object_set_new(o, "server", json_null());
        json_object_set_new(o, "done_reason", json_null());
    }
    /* jansson refuses to write a document holding invalid UTF-8, which would lose the
     * whole run; text that is not valid is written repaired (U+FFFD), and said so. */
    if (tdm_utf8_valid(tdm_buf_str(&r->text), r->text.len)) {
        json_object_set_new(o, "text", json_stringn(tdm_buf_str(&r->text), r->text.len));
    } else {
        size_t n = 0;
        char *fixed = tdm_utf8_sanitize(tdm_buf_str(&r->text), r->text.len, &n);
        json_object_set_new(o, "text", fixed ? json_stringn(fixed, n) : json_string(""));
        json_object_set_new(o, "text_repaired", json_true());
        free(fixed);
    }
    return o;
}

/* Client timestamps and offsets stay far below this (2^62 ns is 146 years), so sums
 * of two of them can never overflow; a file holding more is damaged. */
#define TIME_LIMIT (INT64_C(1) << 62)

static int get_int(json_t *o, const char *key, int64_t *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) >= TIME_LIMIT || json_integer_value(v) <= -TIME_LIMIT) {
        snprintf(err, errlen, "'%s' is missing, not an integer or out of range", key);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

static bool in_range(json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) < TIME_LIMIT && json_integer_value(v) > -TIME_LIMIT;
}

int tdm_record_from_json(json_t *o, tdm_call_record *r, char *err, size_t errlen)
{
    int64_t run, agent, step, v;
    tdm_phase phase;
    tdm_record_init(r, 0, TDM_PHASE_WARMUP, 0, 0); /* safe to free whatever happens */
    const char *ph = json_string_value(json_object_get(o, "phase"));
    if (!json_is_object(o) || get_int(o, "run", &run, err, errlen) || get_int(o, "agent", &agent, err, errlen) ||
        get_int(o, "step", &step, err, errlen))
        return -1;
    if (!ph || tdm_phase_from_name(ph, &phase) != 0) {
        snprintf(err, errlen, "'phase' is missing or unknown");
        return -1;
    }
    tdm_record_init(r, (int)run, phase, (int)agent, (int)step);
    struct {
        const char *key;
        int64_t *dst;
    } ints[] = {{"t_begin_ns", &r->t_begin}, {"t_start_ns", &r->t_start}, {"t_first_byte_ns", &r->t_first_byte},
                {"t_done_ns", &r->t_done},   {"connect_ns", &r->connect_ns}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (get_int(o, ints[i].key, ints[i].dst, err, errlen))
            return -1;
    if (get_int(o, "http_status", &v, err, errlen))
        return -1;
    r->http_status = (int)v;
    /* Absent in records written before open-loop arrivals existed: no due time. */
    r->t_due = json_integer_value(json_object_get(o, "t_due_ns"));
    r->think_ns = json_integer_value(json_object_get(o, "think_ns"));
    json_t *after = json_object_get(o, "after");
    if (json_is_array(after) && json_array_size(after) > 0) {
        if (!(r->after = calloc(json_array_size(after), sizeof *r->after))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (size_t i = 0; i < json_array_size(after); i++) {
            json_t *ref = json_array_get(after, i);
            json_int_t a = json_integer_value(json_array_get(ref, 0)), k = json_integer_value(json_array_get(ref, 1));
            if (!json_is_array(ref) || a < 0 || k < 0) {
                snprintf(err, errlen, "'after[%zu]' must be [agent, step], two integers >= 0", i);
                return -1;
            }
            r->after[i] = (tdm_step_ref){(size_t)a, (size_t)k};
            r->n_after = i + 1;
        }
    }
    r->bytes = (uint64_t)json_integer_value(json_object_get(o, "bytes"));
    r->reads = (uint64_t)json_integer_value(json_object_get(o, "reads"));
    r->frames = (uint64_t)json_integer_value(json_object_get(o, "frames"));
    r->request_bytes = (uint64_t)json_integer_value(json_object_get(o, "request_bytes"));
    r->reused_connection = json_is_true(json_object_get(o, "reused_connection"));
    r->retried_stale_connection = json_is_true(json_object_get(o, "retried_stale_connection"));
    const char *first = json_string_value(json_object_get(o, "first_error"));
    if (r->retried_stale_connection && first)
        r->first_error = strdup(first);
    r->ok = json_is_true(json_object_get(o, "ok"));
    const char *url = json_string_value(json_object_get(o, "url"));
    if (url)
        r->request_url = strdup(url);
    const char *api = json_string_value(json_object_get(o, "api"));
    if (!api || tdm_api_from_name(api, &r->api) != 0) {
        size_t n = url ? strlen(url) : 0, k = strlen("/api/chat");
        r->api = n >= k && strcmp(url + n - k, "/api/chat") == 0 ? TDM_API_CHAT : TDM_API_GENERATE;
    }
    json_t *e = json_object_get(o, "error");
    if (json_is_object(e)) {
        const char *kind = json_string_value(json_object_get(e, "kind"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        if (!kind || tdm_error_kind_from_name(kind, &r->error_kind) != 0)
            r->error_kind = TDM_ERR_INTERNAL;
        r->error_message = strdup(msg ? msg : "");
    }
    json_t *ev = json_object_get(o, "events");
    json_t *dt = json_object_get(ev, "dt_ns"), *cb = json_object_get(ev, "content_bytes"),
           *tb = json_object_get(ev, "thinking_bytes");
    if (!json_is_array(dt) || !json_is_array(cb) || !json_is_array(tb) || json_array_size(cb) != json_array_size(dt) ||
        json_array_size(tb) != json_array_size(dt)) {
        snprintf(err, errlen, "'events' must hold dt_ns, content_bytes and thinking_bytes arrays of equal length");
        return -1;
    }
    for (size_t i = 0; i < json_array_size(dt); i++) {
        if (!in_range(json_array_get(dt, i))) {
            snprintf(err, errlen, "'events.dt_ns[%zu]' is not an integer in range", i);
            return -1;
        }
        if (tdm_record_add_event(r, r->t_begin + json_integer_value(json_array_get(dt, i)),
                                 (uint32_t)json_integer_value(json_array_get(cb, i)),
                                 (uint32_t)json_integer_value(json_array_get(tb, i))) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        r->thinking_bytes_total += (uint32_t)json_integer_value(json_array_get(tb, i));
    }
    json_t *srv = json_object_get(o, "server");
    if (json_is_object(srv)) {
        r->have_final = true;
        for (int i = 0; i < 6; i++) {
            json_t *c = json_object_get(srv, counter_names[i]);
            if (json_is_integer(c))
                *counter_slot(&r->server, i) = json_integer_value(c);
        }
        const char *dr = json_string_value(json_object_get(o, "done_reason"));
        snprintf(r->done_reason, sizeof r->done_reason, "%s", dr ? dr : "");
    }
    json_t *text = json_object_get(o, "text");
    if (json_is_string(text))
        tdm_buf_append(&r->text, json_string_value(text), json_string_length(text));
    return 0;
}

static json_t *timing_json(const tdm_agent_timing *t)
{
    return json_pack("{s:I, s:I, s:I}", "release_ns", (json_int_t)t->release_ns, "begin_ns",
                     (json_int_t)t->begin_ns, "end_ns", (json_int_t)t->end_ns);
}

static json_t *cpu_json(const tdm_cpu_usage *c)
{
    return json_pack("{s:I, s:I}", "user_ns", (json_int_t)c->user_ns, "sys_ns", (json_int_t)c->sys_ns);
}

/* A phase's optional "client_cpu"; returns 0 (absent: *has stays false) or -1. */
static int cpu_from_json(json_t *phase, bool *has, tdm_cpu_usage *out, char *err, size_t errlen)
{
    json_t *c = json_object_get(phase, "client_cpu");
    if (!c || json_is_null(c))
        return 0;
    if (get_int(c, "user_ns", &out->user_ns, err, errlen) || get_int(c, "sys_ns", &out->sys_ns, err, errlen) ||
        out->user_ns < 0 || out->sys_ns < 0) {
        snprintf(err, errlen, "'client_cpu' needs non-negative integers 'user_ns' and 'sys_ns'");
        return -1;
    }
    *has = true;
    return 0;
}

json_t *tdm_run_data_to_json(const tdm_run_data *d)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "schema", json_string(SCHEMA));
    json_object_set_new(doc, "run", json_integer(d->run));
    json_t *names = json_array();
    for (size_t i = 0; i < d->n_agents; i++)
        json_array_append_new(names, json_string(d->agent_names[i]));
    json_object_set_new(doc, "agents", names);
    /* Optional: present only on a run cut short by SIGINT/SIGTERM (docs/records.md). */
    if (d->interrupted)
        json_object_set_new(doc, "interrupted", json_true());
    if (d->has_sequential) {
        json_t *order = json_array(), *ag = json_array();
        for (size_t i = 0; i < d->n_agents; i++) {
            json_array_append_new(order, json_integer(d->seq_order[i]));
            json_array_append_new(ag, timing_json(&d->seq[i]));
        }
        json_t *seq = json_pack("{s:o, s:o}", "order", order, "agents", ag);
        if (d->seq_one_batch) /* optional: a workflow's (docs/records.md) */
            json_object_set_new(seq, "one_batch", json_true());
        if (d->has_seq_cpu)
            json_object_set_new(seq, "client_cpu", cpu_json(&d->seq_cpu));
        json_object_set_new(doc, "sequential", seq);
    } else {
        json_object_set_new(doc, "sequential", json_null());
    }
    if (d->has_concurrent) {
        json_t *ag = json_array();
        for (size_t i = 0; i < d->n_agents; i++)
            json_array_append_new(ag, timing_json(&d->conc[i]));
        json_t *conc = json_pack("{s:o}", "agents", ag);
        if (d->conc_open_loop) /* optional: open-loop arrivals (docs/records.md) */
            json_object_set_new(conc, "open_loop", json_true());
        if (d->has_conc_cpu)
            json_object_set_new(conc, "client_cpu", cpu_json(&d->conc_cpu));
        json_object_set_new(doc, "concurrent", conc);
    } else {
        json_object_set_new(doc, "concurrent", json_null());
    }
    json_t *calls = json_array();
    for (size_t i = 0; i < d->n_calls; i++)
        json_array_append_new(calls, tdm_record_to_json(&d->calls[i]));
    json_object_set_new(doc, "calls", calls);
    return doc;
}

static int timing_from_json(json_t *agents, size_t n, tdm_agent_timing *out, char *err, size_t errlen)
{
    if (!json_is_array(agents) || json_array_size(agents) != n) {
        snprintf(err, errlen, "a phase's 'agents' array does not have one entry per agent");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_array_get(agents, i);
        if (get_int(a, "release_ns", &out[i].release_ns, err, errlen) ||
            get_int(a, "begin_ns", &out[i].begin_ns, err, errlen) || get_int(a, "end_ns", &out[i].end_ns, err, errlen))
            return -1;
    }
    return 0;
}

int tdm_run_data_from_json(json_t *doc, tdm_run_data *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    const char *schema = json_string_value(json_object_get(doc, "schema"));
    if (!schema || strcmp(schema, SCHEMA) != 0) {
        snprintf(err, errlen, "not a tandem run file (schema '%s', expected '%s')", schema ? schema : "none", SCHEMA);
        return -1;
    }
    json_t *names = json_object_get(doc, "agents");
    int64_t run;
    if (get_int(doc, "run", &run, err, errlen))
        return -1;
    if (!json_is_array(names) || json_array_size(names) == 0) {
        snprintf(err, errlen, "'agents' must be a non-empty array of names");
        return -1;
    }
    size_t n = json_array_size(names);
    char **tmp = calloc(n, sizeof *tmp);
    if (!tmp)
        return -1;
    for (size_t i = 0; i < n; i++)
        tmp[i] = (char *)json_string_value(json_array_get(names, i));
    int rc = tdm_run_data_init(d, (int)run, n, tmp);
    free(tmp);
    if (rc != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    d->interrupted = json_is_true(json_object_get(doc, "interrupted"));
    json_t *seq = json_object_get(doc, "sequential");
    if (json_is_object(seq)) {
        d->has_sequential = true;
        json_t *order = json_object_get(seq, "order");
        if (!json_is_array(order) || json_array_size(order) != n) {
            snprintf(err, errlen, "'sequential.order' must list every agent once");
            goto fail;
        }
        for (size_t i = 0; i < n; i++) {
            json_int_t a = json_integer_value(json_array_get(order, i));
            if (a < 0 || (size_t)a >= n) {
                snprintf(err, errlen, "'sequential.order' names agent %lld, which does not exist", (long long)a);
                goto fail;
            }
            d->seq_order[i] = (int)a;
        }
        d->seq_one_batch = json_is_true(json_object_get(seq, "one_batch"));
        if (timing_from_json(json_object_get(seq, "agents"), n, d->seq, err, errlen) ||
            cpu_from_json(seq, &d->has_seq_cpu, &d->seq_cpu, err, errlen))
            goto fail;
    }
    json_t *conc = json_object_get(doc, "concurrent");
    if (json_is_object(conc)) {
        d->has_concurrent = true;
        d->conc_open_loop = json_is_true(json_object_get(conc, "open_loop"));
        if (timing_from_json(json_object_get(conc, "agents"), n, d->conc, err, errlen) ||
            cpu_from_json(conc, &d->has_conc_cpu, &d->conc_cpu, err, errlen))
            goto fail;
    }
    json_t *calls = json_object_get(doc, "calls");
    if (!json_is_array(calls)) {
        snprintf(err, errlen, "'calls' must be an array");
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(calls); i++) {
        tdm_call_record r;
        char e2[200];
        if (tdm_record_from_json(json_array_get(calls, i), &r, e2, sizeof e2) != 0) {
            tdm_record_free(&r);
            snprintf(err, errlen, "calls[%zu]: %s", i, e2);
            goto fail;
        }
        if (r.agent < 0 || (size_t)r.agent >= n) {
            tdm_record_free(&r);
            snprintf(err, errlen, "calls[%zu]: agent %d does not exist", i, r.agent);
            goto fail;
        }
        if (tdm_run_data_take_calls(d, &r, 1) != 0) {
            tdm_record_free(&r);
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    return 0;
fail:
    tdm_run_data_free(d);
    return -1;
}
