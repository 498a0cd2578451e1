/* check_provenance.c — provenance.json's required keys, and the scenario as run rebuilt
 * from its "scenario" object (the shape core/scenario_json.c writes) so that
 * `finalize` derives summary.json and report.md from exactly what the run recorded
 * (see check.h and docs/records.md). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/check.h"

typedef struct pctx {
    tdm_rep_problems *p;
    const char *file;
    size_t found;
} pctx;

static void bad(pctx *c, const char *field, const char *what, json_t *v)
{
    char d[64];
    c->found++;
    tdm_rep_problem(c->p, "%s: field '%s' is %s; expected %s", c->file, field, tdm_rep_json_describe(v, d, sizeof d),
                    what);
}

/* A copy of string field key into *dst: absent (and optional) keeps *dst; null keeps it
 * NULL when null_ok. */
static void str_field(pctx *c, json_t *o, const char *key, const char *field, bool required, bool null_ok,
                      char **dst)
{
    json_t *v = json_object_get(o, key);
    if (!v && !required)
        return;
    if (json_is_null(v) && null_ok)
        return;
    if (!json_is_string(v)) {
        bad(c, field, null_ok ? "a string or null" : "a string", v);
        return;
    }
    free(*dst);
    *dst = strdup(json_string_value(v));
}

static bool int_field(pctx *c, json_t *o, const char *key, const char *field, bool required, json_int_t *dst)
{
    json_t *v = json_object_get(o, key);
    if (!v && !required)
        return false;
    if (!json_is_integer(v)) {
        bad(c, field, "an integer", v);
        return false;
    }
    *dst = json_integer_value(v);
    return true;
}

static void bool_field(pctx *c, json_t *o, const char *key, const char *field, bool *dst)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return;
    if (!json_is_boolean(v))
        bad(c, field, "true or false", v);
    else
        *dst = json_is_true(v);
}

/* A workflow step's keys (core/scenario_json.c writes them only when set). */
static void step_workflow_from_json(pctx *c, json_t *st, const char *f, tdm_step *dst)
{
    char g[160];
    json_t *after = json_object_get(st, "after");
    snprintf(g, sizeof g, "%s.after", f);
    if (after && !json_is_array(after))
        bad(c, g, "an array of \"AGENT.STEP\" strings", after);
    else if (after && json_array_size(after) > 0 && (dst->after = calloc(json_array_size(after), sizeof *dst->after)))
        for (size_t j = 0; j < json_array_size(after); j++) {
            const char *ref = json_string_value(json_array_get(after, j));
            if (!ref) {
                bad(c, g, "an array of \"AGENT.STEP\" strings", after);
                break;
            }
            if (!(dst->after[j] = strdup(ref)))
                break;
            dst->n_after = j + 1;
        }
    json_t *think = json_object_get(st, "think_ms");
    snprintf(g, sizeof g, "%s.think_ms", f);
    if (think && !(json_is_number(think) && json_number_value(think) >= 0))
        bad(c, g, "a number of milliseconds >= 0", think);
    else if (think)
        dst->think_ns = (int64_t)(json_number_value(think) * 1e6 + 0.5);
    json_t *dist = json_object_get(st, "think_dist");
    snprintf(g, sizeof g, "%s.think_dist", f);
    if (dist && !(json_is_string(dist) && strcmp(json_string_value(dist), "exponential") == 0))
        bad(c, g, "\"exponential\" (fixed is written as no key)", dist);
    else if (dist)
        dst->think_dist = TDM_THINK_EXPONENTIAL;
}

static void agent_from_json(pctx *c, json_t *o, size_t i, tdm_agent *a)
{
    char f[96];
    tdm_agent_init(a);
    if (!json_is_object(o)) {
        snprintf(f, sizeof f, "scenario.agents[%zu]", i);
        bad(c, f, "an object describing the agent", o);
        return;
    }
#define FIELD(k) (snprintf(f, sizeof f, "scenario.agents[%zu].%s", i, k), f)
    str_field(c, o, "name", FIELD("name"), true, false, &a->name);
    str_field(c, o, "label", FIELD("label"), false, true, &a->label);
    str_field(c, o, "url", FIELD("url"), true, false, &a->url);
    str_field(c, o, "model", FIELD("model"), true, false, &a->model);
    str_field(c, o, "keep_alive", FIELD("keep_alive"), false, true, &a->keep_alive);
    bool_field(c, o, "stream", FIELD("stream"), &a->stream);
    bool_field(c, o, "history", FIELD("history"), &a->history);
    json_t *api = json_object_get(o, "api");
    if (api && (!json_is_string(api) || tdm_api_from_name(json_string_value(api), &a->api) != 0))
        bad(c, FIELD("api"), "\"generate\", \"chat\" or \"openai\"", api);
    json_t *opts = json_object_get(o, "options");
    const char *k;
    json_t *v;
    if (opts && !json_is_object(opts))
        bad(c, FIELD("options"), "an object of Ollama options", opts);
    json_object_foreach(json_is_object(opts) ? opts : NULL, k, v)
    {
        tdm_option_id id = tdm_option_by_name(k);
        snprintf(f, sizeof f, "scenario.agents[%zu].options.%.40s", i, k);
        if (id == TDM_OPT_COUNT)
            bad(c, f, "one of the options tandem knows (num_gpu, num_ctx, num_predict, num_thread, top_k, seed, "
                      "temperature, top_p, repeat_penalty, presence_penalty, frequency_penalty)",
                v);
        else if (!json_is_number(v))
            bad(c, f, "a number", v);
        else
            tdm_options_set(&a->options, id, json_number_value(v));
    }
    json_t *steps = json_object_get(o, "steps");
    if (!json_is_array(steps) || json_array_size(steps) == 0) {
        bad(c, FIELD("steps"), "a non-empty array of {name, prompt, system}", steps);
        return;
    }
#undef FIELD
    a->steps = calloc(json_array_size(steps), sizeof *a->steps);
    if (!a->steps)
        return;
    for (size_t s = 0; s < json_array_size(steps); s++) {
        json_t *st = json_array_get(steps, s);
        tdm_step *dst = &a->steps[a->n_steps++];
        snprintf(f, sizeof f, "scenario.agents[%zu].steps[%zu]", i, s);
        if (!json_is_object(st)) {
            bad(c, f, "an object {name, prompt, system}", st);
            continue;
        }
        char g[128];
        snprintf(g, sizeof g, "%s.name", f);
        str_field(c, st, "name", g, false, true, &dst->name);
        snprintf(g, sizeof g, "%s.prompt", f);
        str_field(c, st, "prompt", g, true, false, &dst->prompt);
        snprintf(g, sizeof g, "%s.system", f);
        str_field(c, st, "system", g, false, true, &dst->system);
        step_workflow_from_json(c, st, f, dst);
    }
}

static void scenario_from_json(pctx *c, json_t *o, tdm_scenario *s)
{
    json_int_t x;
    str_field(c, o, "name", "scenario.name", true, false, &s->name);
    str_field(c, o, "description", "scenario.description", false, true, &s->description);
    str_field(c, o, "warmup_prompt", "scenario.warmup_prompt", false, true, &s->warmup_prompt);
    if (int_field(c, o, "runs", "scenario.runs", true, &x))
        s->runs = x > 0 && x < 1000000 ? (int)x : 0;
    if (int_field(c, o, "seed", "scenario.seed", false, &x))
        s->seed = (uint64_t)x;
    if (int_field(c, o, "warmup_num_predict", "scenario.warmup_num_predict", false, &x))
        s->warmup_num_predict = x > -1000000 && x < 1000000 ? (int)x : 0;
    if (int_field(c, o, "max_line_bytes", "scenario.max_line_bytes", false, &x))
        s->max_line_bytes = x > 0 ? (uint64_t)x : 0;
    bool_field(c, o, "warmup", "scenario.warmup", &s->warmup);
    json_t *thr = json_object_get(o, "contention_threshold_pct");
    if (thr && !json_is_number(thr))
        bad(c, "scenario.contention_threshold_pct", "a number (percent)", thr);
    else if (thr)
        s->contention_threshold_pct = json_number_value(thr);
    json_t *phases = json_object_get(o, "phases");
    if (phases) {
        if (!json_is_array(phases)) {
            bad(c, "scenario.phases", "an array holding \"sequential\" and/or \"concurrent\"", phases);
        } else {
            s->sequential = s->concurrent = false;
            for (size_t i = 0; i < json_array_size(phases); i++) {
                const char *ph = json_string_value(json_array_get(phases, i));
                if (ph && strcmp(ph, "sequential") == 0)
                    s->sequential = true;
                else if (ph && strcmp(ph, "concurrent") == 0)
                    s->concurrent = true;
                else
                    bad(c, "scenario.phases", "an array holding only \"sequential\" and/or \"concurrent\"", phases);
            }
        }
    }
    json_t *to = json_object_get(o, "timeouts");
    if (to && !json_is_object(to))
        bad(c, "scenario.timeouts", "an object of *_ms integers", to);
    else if (to) {
        static const char *const keys[] = {"connect_ms", "first_byte_ms", "idle_ms", "total_ms"};
        int64_t *dst[] = {&s->timeouts.connect_ms, &s->timeouts.first_byte_ms, &s->timeouts.idle_ms,
                          &s->timeouts.total_ms};
        for (int i = 0; i < 4; i++) {
            char f[64];
            snprintf(f, sizeof f, "scenario.timeouts.%s", keys[i]);
            if (int_field(c, to, keys[i], f, false, &x))
                *dst[i] = (int64_t)x;
        }
    }
    json_t *agents = json_object_get(o, "agents");
    if (!json_is_array(agents) || json_array_size(agents) == 0) {
        bad(c, "scenario.agents", "a non-empty array of agents", agents);
        return;
    }
    s->agents = calloc(json_array_size(agents), sizeof *s->agents);
    if (!s->agents)
        return;
    for (size_t i = 0; i < json_array_size(agents); i++)
        agent_from_json(c, json_array_get(agents, i), i, &s->agents[s->n_agents++]);
}

size_t tdm_rep_check_provenance(json_t *prov, const char *file, tdm_scenario *out, tdm_rep_problems *p)
{
    pctx c = {.p = p, .file = file};
    memset(out, 0, sizeof *out);
    if (!json_is_object(prov)) {
        bad(&c, "(document)", "a JSON object", prov);
        return c.found;
    }
    const char *schema = json_string_value(json_object_get(prov, "schema"));
    if (!schema || strcmp(schema, "tandem.provenance/1") != 0)
        bad(&c, "schema", "\"tandem.provenance/1\"", json_object_get(prov, "schema"));
    json_t *variant = json_object_get(prov, "variant");
    if (!json_is_string(variant) || json_string_length(variant) == 0)
        bad(&c, "variant", "the client's name as a non-empty string (e.g. \"python-httpx\")", variant);
    if (!json_is_string(json_object_get(prov, "started_at")))
        bad(&c, "started_at", "the UTC start time as a string (e.g. \"2026-01-02T03:04:05Z\")",
            json_object_get(prov, "started_at"));
    json_t *rt = json_object_get(prov, "runtime");
    if (!json_is_object(rt) || !json_is_string(json_object_get(rt, "runtime")))
        bad(&c, "runtime.runtime", "a one-line description of the client's concurrency design",
            json_is_object(rt) ? json_object_get(rt, "runtime") : rt);
    json_t *sc = json_object_get(prov, "scenario");
    if (!json_is_object(sc)) {
        bad(&c, "scenario",
            "the scenario as run, after defaults (the object a C variant writes there; docs/records.md)", sc);
        return c.found;
    }
    tdm_scenario s;
    tdm_scenario_init(&s);
    scenario_from_json(&c, sc, &s);
    char err[512];
    if (c.found == 0 && tdm_scenario_complete(&s, err, sizeof err) != 0) {
        c.found++;
        tdm_rep_problem(p, "%s: field 'scenario' is not a valid scenario: %s", file, err);
    }
    if (c.found == 0)
        *out = s;
    else
        tdm_scenario_free(&s);
    return c.found;
}
