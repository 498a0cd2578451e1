/* legacy_parse.c — one seed run (metrics.json) rebuilt as tandem records, and the
 * provenance of an imported run directory (see legacy.h for the reconstruction). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "report/legacy.h"
#include "report/model.h"

#define MAX_SECONDS 1e7 /* longer than any run could be: a value beyond is malformed */
/* Imported records use a clock of their own, as tandem's monotonic clock has its own
 * origin: the barrier is at 1 s. Its wall-clock time goes into provenance.started_at. */
#define ORIGIN_NS 1000000000LL
#define MAX_AGENTS 16

int tdm_legacy_parse_time(const char *s, int64_t *ns)
{
    if (!s)
        return -1;
    int Y, M, D, h, m, sec, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &n) != 6 || n != 19)
        return -1;
    if (Y < 1970 || Y > 2200 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60 || h < 0 ||
        m < 0 || sec < 0)
        return -1;
    const char *p = s + n;
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (digits < 9) {
                frac = frac * 10 + (*p - '0');
                digits++;
            }
            p++;
        }
        if (digits == 0)
            return -1;
        while (digits++ < 9)
            frac *= 10;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5 || oh > 23 || om > 59)
            return -1;
        offset = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    *ns = ((int64_t)t - offset) * 1000000000LL + frac;
    return 0;
}

static void format_time(int64_t ns, char *out, size_t len)
{
    time_t t = (time_t)(ns / 1000000000LL);
    int64_t frac = ns % 1000000000LL;
    if (frac < 0) {
        frac += 1000000000LL;
        t -= 1;
    }
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, len, "%s", "");
        return;
    }
    char base[24];
    if (strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        base[0] = '\0';
    snprintf(out, len, "%.19s.%09lldZ", base, (long long)frac);
}

/* seconds or milliseconds to ns, -1 when absent or not a sane duration */
static int64_t to_ns(json_t *v, double scale)
{
    if (!json_is_number(v))
        return -1;
    double x = json_number_value(v) * scale;
    if (!isfinite(x) || x < 0 || x > MAX_SECONDS * 1e9)
        return -1;
    return llround(x);
}

/* The agents of a metrics.json: "collector" and "insight" first, then any other member
 * that holds a "result" object, by name. */
static size_t agent_keys(json_t *metrics, const char **keys, size_t max)
{
    size_t n = 0;
    static const char *const first[] = {"collector", "insight"};
    for (size_t i = 0; i < 2; i++)
        if (json_is_object(json_object_get(json_object_get(metrics, first[i]), "result")) && n < max)
            keys[n++] = first[i];
    const char *others[64];
    size_t no = 0;
    const char *k;
    json_t *v;
    json_object_foreach(metrics, k, v)
    {
        if (strcmp(k, "collector") == 0 || strcmp(k, "insight") == 0 || !json_is_object(json_object_get(v, "result")))
            continue;
        if (no < 64)
            others[no++] = k;
    }
    for (size_t i = 1; i < no; i++)
        for (size_t j = i; j > 0 && strcmp(others[j - 1], others[j]) > 0; j--) {
            const char *t = others[j];
            others[j] = others[j - 1];
            others[j - 1] = t;
        }
    for (size_t i = 0; i < no && n < max; i++)
        keys[n++] = others[i];
    return n;
}

/* The calls of an agent: llm_calls (second generation) or individual_runs (first). */
static json_t *agent_calls(json_t *result, bool *staged)
{
    json_t *llm = json_object_get(result, "llm_calls");
    *staged = json_is_array(llm) && json_array_size(llm) > 0;
    return *staged ? llm : json_object_get(result, "individual_runs");
}

static int build_call(tdm_run_data *d, int run_no, size_t agent, size_t step, json_t *call, bool staged,
                      const char *url, int64_t t_start, int64_t t_done, char *err, size_t errlen)
{
    json_t *m = staged ? json_object_get(call, "metrics") : call;
    if (!json_is_object(m)) {
        snprintf(err, errlen, "call %zu of agent %zu has no metrics object", step + 1, agent + 1);
        return -1;
    }
    tdm_call_record r;
    tdm_record_init(&r, run_no, TDM_PHASE_CONCURRENT, (int)agent, (int)step);
    r.t_begin = r.t_start = t_start;
    r.t_done = t_done;
    r.ok = true;
    r.http_status = 200; /* the seed kept only calls that completed */
    r.have_final = true;
    r.server.total_duration_ns = to_ns(json_object_get(m, "total_duration_ms"), 1e6);
    r.server.load_duration_ns = to_ns(json_object_get(m, "load_duration_ms"), 1e6);
    r.server.prompt_eval_duration_ns = to_ns(json_object_get(m, "prompt_eval_duration_ms"), 1e6);
    r.server.eval_duration_ns = to_ns(json_object_get(m, "eval_duration_ms"), 1e6);
    json_t *tok = json_object_get(m, "tokens_generated");
    r.server.eval_count = json_is_integer(tok) && json_integer_value(tok) >= 0 && json_integer_value(tok) < (1LL << 40)
                              ? json_integer_value(tok)
                              : -1;
    const char *text = staged ? json_string_value(json_object_get(call, "response")) : NULL;
    if (text)
        tdm_buf_append(&r.text, text, strlen(text));
    int64_t ttft = to_ns(json_object_get(m, "ttft_ms"), 1e6);
    /* A call that generated no token has no first token: the seed stored its elapsed
     * time as ttft_ms, which would enter the TTFT statistics as a token arrival. */
    if (ttft >= 0 && r.server.eval_count != 0) {
        /* the seed's TTFT: first non-empty "response" line, i.e. content */
        size_t bytes = text && *text ? strlen(text) : 1;
        if (bytes > UINT32_MAX)
            bytes = UINT32_MAX;
        if (tdm_record_add_event(&r, t_start + ttft, (uint32_t)bytes, 0) != 0) {
            tdm_record_free(&r);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    tdm_buf u = {0};
    tdm_buf_printf(&u, "%s/api/generate", url ? url : "");
    r.request_url = tdm_buf_steal(&u);
    if (tdm_run_data_take_calls(d, &r, 1) != 0) {
        tdm_record_free(&r);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static json_t *agent_scenario(const char *name, json_t *agent, json_t *calls, bool staged)
{
    json_t *cfg = json_object_get(agent, "config");
    json_t *steps = json_array();
    size_t k;
    json_t *c;
    json_array_foreach(calls, k, c)
    {
        char def[32];
        snprintf(def, sizeof def, "step%zu", k + 1);
        const char *stage = staged ? json_string_value(json_object_get(c, "stage")) : NULL;
        const char *prompt = json_string_value(json_object_get(staged ? c : cfg, "prompt"));
        json_array_append_new(steps, json_pack("{s:s, s:o, s:n}", "name", stage && *stage ? stage : def, "prompt",
                                               prompt ? json_string(prompt) : json_null(), "system"));
    }
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    const char *label = json_string_value(json_object_get(cfg, "label"));
    json_object_set_new(o, "label", json_string(label ? label : name));
    json_t *id = json_object_get(cfg, "id");
    if (json_is_string(id))
        json_object_set_new(o, "seed_id", json_deep_copy(id));
    const char *url = json_string_value(json_object_get(cfg, "base_url"));
    json_object_set_new(o, "url", url ? json_string(url) : json_null());
    const char *model = json_string_value(json_object_get(cfg, "model"));
    json_object_set_new(o, "model", model ? json_string(model) : json_null());
    json_object_set_new(o, "api", json_string("generate"));
    json_object_set_new(o, "stream", json_true());
    json_object_set_new(o, "keep_alive", json_null());
    json_t *opts = json_object_get(cfg, "options");
    json_object_set_new(o, "options", json_is_object(opts) ? json_deep_copy(opts) : json_object());
    json_object_set_new(o, "steps", steps);
    return o;
}

int tdm_legacy_parse_run(json_t *metrics, int run_no, tdm_legacy_run *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->run = run_no;
    out->reported_efficiency = NAN;
    if (!json_is_object(metrics)) {
        snprintf(err, errlen, "not a JSON object");
        return -1;
    }
    const char *keys[MAX_AGENTS + 1];
    size_t n = agent_keys(metrics, keys, MAX_AGENTS + 1);
    if (n == 0 || n > MAX_AGENTS) {
        snprintf(err, errlen, n ? "more than %d agents" : "no agent (an object with a 'result' member, e.g. "
                                                          "'collector')",
                 MAX_AGENTS);
        return -1;
    }
    json_t *summary = json_object_get(metrics, "summary");
    int64_t wall = to_ns(json_object_get(summary, "concurrent_wall_time_s"), 1e9);
    if (wall <= 0) {
        snprintf(err, errlen, "'summary.concurrent_wall_time_s' is missing or not a positive duration");
        return -1;
    }
    json_t *eff = json_object_get(summary, "efficiency_percent");
    out->reported_efficiency = json_is_number(eff) ? json_number_value(eff) : NAN;
    int64_t exec[MAX_AGENTS], end[MAX_AGENTS];
    bool all_ts = true;
    bool any_staged = false;
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_object_get(metrics, keys[i]);
        exec[i] = to_ns(json_object_get(a, "execution_time_s"), 1e9);
        if (exec[i] < 0) {
            snprintf(err, errlen, "'%s.execution_time_s' is missing or not a duration", keys[i]);
            return -1;
        }
        json_t *result = json_object_get(a, "result");
        bool staged;
        json_t *calls = agent_calls(result, &staged);
        if (!json_is_array(calls) || json_array_size(calls) == 0) {
            snprintf(err, errlen, "'%s.result' has neither llm_calls nor individual_runs", keys[i]);
            return -1;
        }
        any_staged |= staged;
        if (tdm_legacy_parse_time(json_string_value(json_object_get(result, "timestamp")), &end[i]) != 0)
            all_ts = false;
    }
    out->generation = tdm_rep_strdup(any_staged ? "v2" : "v1");
    /* The timeline (see legacy.h): T_conc is the seed's wall time, ending at the last end. */
    int64_t release, begin[MAX_AGENTS];
    if (all_ts) {
        int64_t last = end[0];
        for (size_t i = 1; i < n; i++)
            if (end[i] > last)
                last = end[i];
        format_time(last - wall, out->started_at, sizeof out->started_at);
        int64_t shift = ORIGIN_NS - (last - wall);
        release = ORIGIN_NS;
        for (size_t i = 0; i < n; i++) {
            end[i] += shift;
            begin[i] = end[i] - exec[i];
        }
    } else {
        int64_t longest = 0;
        for (size_t i = 0; i < n; i++)
            if (exec[i] > longest)
                longest = exec[i];
        release = ORIGIN_NS;
        int64_t offset = wall > longest ? wall - longest : 0;
        for (size_t i = 0; i < n; i++) {
            begin[i] = release + offset;
            end[i] = begin[i] + exec[i];
        }
        out->synthetic_timeline = true;
    }
    char *names[MAX_AGENTS];
    for (size_t i = 0; i < n; i++)
        names[i] = (char *)keys[i];
    if (tdm_run_data_init(&out->data, run_no, n, names) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    out->data.has_concurrent = true;
    json_t *agents = json_array();
    json_t *servers = json_array();
    for (size_t i = 0; i < n; i++) {
        out->data.conc[i].release_ns = release;
        out->data.conc[i].begin_ns = begin[i];
        out->data.conc[i].end_ns = end[i];
        json_t *a = json_object_get(metrics, keys[i]);
        json_t *result = json_object_get(a, "result");
        const char *url = json_string_value(json_object_get(json_object_get(a, "config"), "base_url"));
        bool staged;
        json_t *calls = agent_calls(result, &staged);
        json_t *wf = json_object_get(result, "workflow");
        int64_t ingest = to_ns(json_object_get(wf, "ingest_seconds"), 1e9);
        int64_t cursor = begin[i] + (ingest > 0 ? ingest : 0);
        size_t nc = json_array_size(calls);
        for (size_t k = 0; k < nc; k++) {
            json_t *c = json_array_get(calls, k);
            json_t *m = staged ? json_object_get(c, "metrics") : c;
            int64_t dur = -1;
            const char *stage = staged ? json_string_value(json_object_get(c, "stage")) : NULL;
            if (stage) {
                char key[96];
                snprintf(key, sizeof key, "%s_seconds", stage);
                dur = to_ns(json_object_get(wf, key), 1e9);
            }
            if (dur < 0 && nc == 1)
                dur = end[i] - cursor;
            if (dur < 0)
                dur = to_ns(json_object_get(m, "total_duration_ms"), 1e6);
            if (dur < 0)
                dur = 0;
            if (build_call(&out->data, run_no, i, k, c, staged, url, cursor, cursor + dur, err, errlen) != 0) {
                json_decref(agents);
                json_decref(servers);
                return -1;
            }
            cursor += dur;
        }
        json_array_append_new(agents, agent_scenario(keys[i], a, calls, staged));
        /* one server entry per URL; the seed recorded neither versions nor digests */
        bool have = false;
        size_t s;
        json_t *sv;
        json_array_foreach(servers, s, sv)
        have |= url && json_string_value(json_object_get(sv, "url")) &&
                strcmp(json_string_value(json_object_get(sv, "url")), url) == 0;
        if (!have) {
            const char *model = json_string_value(json_object_get(json_object_get(a, "config"), "model"));
            json_t *models = json_object();
            if (model)
                json_object_set_new(models, model, json_null());
            json_array_append_new(servers, json_pack("{s:o, s:n, s:o, s:n}", "url",
                                                     url ? json_string(url) : json_null(), "version", "models", models,
                                                     "reachable"));
        }
        if (!out->host) {
            json_t *si = json_object_get(result, "system_info");
            if (json_is_object(si)) {
                out->host = json_deep_copy(si);
                const char *rv = json_string_value(json_object_get(si, "rust_version"));
                out->rust_version = tdm_rep_strdup(rv);
                json_object_del(out->host, "rust_version");
            }
        }
    }
    if (!out->rust_version)
        out->rust_version = tdm_rep_strdup("");
    const char *scen = json_string_value(json_object_get(metrics, "scenario"));
    tdm_buf desc = {0};
    tdm_buf_printf(&desc, "imported from the seed harness (Chimeraforge TR115, generation %s)", out->generation);
    out->scenario = json_pack("{s:s, s:s, s:i, s:n, s:n, s:[s], s:f, s:o}", "name", scen ? scen : "unknown",
                              "description", tdm_buf_str(&desc), "runs", 1, "seed", "warmup", "phases", "concurrent",
                              "contention_threshold_pct", 10.0, "agents", agents);
    tdm_buf_free(&desc);
    out->servers = servers;
    out->summary = json_is_object(summary) ? json_deep_copy(summary) : json_object();
    if (!out->scenario || !out->summary || !out->generation) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void tdm_legacy_run_free(tdm_legacy_run *r)
{
    tdm_run_data_free(&r->data);
    json_decref(r->scenario);
    json_decref(r->servers);
    json_decref(r->host);
    json_decref(r->summary);
    free(r->rust_version);
    free(r->generation);
    memset(r, 0, sizeof *r);
}

json_t *tdm_legacy_provenance(const char *variant, const char *original, const tdm_legacy_run *runs, size_t n)
{
    const tdm_legacy_run *f = &runs[0];
    bool synthetic = false;
    for (size_t i = 0; i < n; i++)
        synthetic |= runs[i].synthetic_timeline;
    json_t *missing = json_pack(
        "[s, s, s, s, s, s, s]",
        "sequential phase: efficiency_pct, speedup and throughput_gain are unknown (null); only "
        "legacy_efficiency_pct exists",
        "client token events after the first: only each call's TTFT was kept, so ITL, TPOT and the client decode "
        "rate are unknown and the client token count does not match eval_count",
        "time to first byte, connect time, bytes and reads",
        "server versions and model digests (not pinned)", "library versions, compiler and build of the seed harness",
        "warm-up: the first call of a cell may include a model load",
        "num_predict: output length was not fixed, and prompt_eval_count");
    json_t *lruns = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(lruns, json_pack("{s:i, s:s, s:O}", "run", runs[i].run, "generation",
                                               runs[i].generation, "summary", runs[i].summary));
    json_t *scenario = json_deep_copy(f->scenario);
    json_object_set_new(scenario, "runs", json_integer((json_int_t)n));
    json_t *legacy = json_pack(
        "{s:s, s:s, s:s, s:o, s:o}", "generation", f->generation, "original", original, "timeline",
        synthetic ? "synthetic: no end timestamps, agents placed as if released together"
                  : "rebuilt: each agent ends at its end timestamp after its execution_time_s; the barrier is "
                    "concurrent_wall_time_s before the last end",
        "missing", missing, "runs", lruns);
    tdm_buf rt = {0};
    tdm_buf_printf(&rt, "the seed harness's %s runtime (Rust)", variant);
    json_t *runtime = json_pack("{s:s, s:s, s:s}", "runtime", tdm_buf_str(&rt), "language", "Rust", "rust_version",
                                f->rust_version ? f->rust_version : "");
    tdm_buf_free(&rt);
    tdm_buf cmd = {0};
    tdm_buf_printf(&cmd, "tandem-report import-chimera (from %s)", original);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:n, s:n, s:o, s:o, s:o, s:o}", "schema",
                            "tandem.provenance/1", "source", "chimera-legacy", "tandem_version", TDM_VERSION, "variant",
                            variant, "started_at", f->started_at[0] ? json_string(f->started_at) : json_null(),
                            "command", tdm_buf_str(&cmd), "runtime", runtime, "build", "libraries", "host",
                            f->host ? json_deep_copy(f->host) : json_null(), "servers", json_deep_copy(f->servers),
                            "scenario", scenario, "legacy", legacy);
    tdm_buf_free(&cmd);
    return doc;
}
