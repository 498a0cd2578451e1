/* scenario_json.c — the scenario as run, in JSON, for every result's provenance. It
 * mirrors the YAML shape after defaults, so a reader can see exactly what was sent:
 * options appear only when set (an option not set was not sent), integers are JSON
 * integers. */
#include "core/scenario.h"

#include <jansson.h>
#include <math.h>

/* Each helper returns false when jansson ran out of memory; the caller stops then. */
static bool put(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) == 0;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* An integer option as a JSON integer; a value no integer can hold (only possible
 * before validation) stays a real rather than overflowing the conversion. */
static json_t *int_option_json(double v)
{
    if (isfinite(v) && v == floor(v) && fabs(v) < 9.2e18)
        return json_integer((json_int_t)v);
    return json_real(v);
}

static json_t *options_json(const tdm_options *o)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    for (int i = 0; i < TDM_OPT_COUNT; i++) {
        tdm_option_id id = (tdm_option_id)i;
        if (!tdm_options_has(o, id))
            continue;
        json_t *v = tdm_option_is_int(id) ? int_option_json(o->value[i]) : json_real(o->value[i]);
        if (!put(obj, tdm_option_name(id), v)) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

/* The workflow keys only when a step has them: other scenarios keep their JSON as it was. */
static bool step_workflow_json(json_t *o, const tdm_step *st)
{
    if (st->n_after) {
        json_t *after = json_array();
        if (!put(o, "after", after))
            return false;
        for (size_t i = 0; i < st->n_after; i++)
            if (json_array_append_new(after, json_string(st->after[i])) != 0)
                return false;
    }
    if (st->think_ns && !put(o, "think_ms", json_real((double)st->think_ns / 1e6)))
        return false;
    if (st->think_dist == TDM_THINK_EXPONENTIAL && !put(o, "think_dist", json_string("exponential")))
        return false;
    return true;
}

static json_t *step_json(const tdm_step *st)
{
    json_t *o = json_object();
    if (o && put(o, "name", str_or_null(st->name)) && put(o, "prompt", str_or_null(st->prompt)) &&
        put(o, "system", str_or_null(st->system)) && step_workflow_json(o, st))
        return o;
    json_decref(o);
    return NULL;
}

static json_t *agent_json(const tdm_agent *a, bool timed)
{
    json_t *o = json_object();
    json_t *steps = json_array();
    bool ok = o && steps && put(o, "name", str_or_null(a->name)) && put(o, "label", str_or_null(a->label)) &&
              put(o, "url", str_or_null(a->url)) && put(o, "model", str_or_null(a->model)) &&
              put(o, "api", json_string(tdm_api_name(a->api))) &&
              put(o, "stream", json_boolean(a->stream)) && put(o, "keep_alive", str_or_null(a->keep_alive)) &&
              put(o, "options", options_json(&a->options)) && (!a->history || put(o, "history", json_true()));
    for (size_t k = 0; ok && k < a->n_steps; k++) {
        json_t *st = step_json(&a->steps[k]);
        ok = st && json_array_append_new(steps, st) == 0;
    }
    if (!ok) {
        json_decref(steps);
        json_decref(o);
        return NULL;
    }
    /* put() owns steps from here, whatever it returns. start_ms only with open-loop
     * arrivals (the first arrival's is 0): closed-loop scenarios keep their JSON as it was. */
    if (put(o, "steps", steps) && (!timed || put(o, "start_ms", json_real((double)a->start_ns / 1e6))))
        return o;
    json_decref(o);
    return NULL;
}

static json_t *timeouts_json(const tdm_timeouts *t)
{
    json_t *o = json_object();
    if (o && put(o, "connect_ms", json_integer(t->connect_ms)) &&
        put(o, "first_byte_ms", json_integer(t->first_byte_ms)) && put(o, "idle_ms", json_integer(t->idle_ms)) &&
        put(o, "total_ms", json_integer(t->total_ms)))
        return o;
    json_decref(o);
    return NULL;
}

static json_t *phases_json(const tdm_scenario *s)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    if ((s->sequential && json_array_append_new(a, json_string("sequential")) != 0) ||
        (s->concurrent && json_array_append_new(a, json_string("concurrent")) != 0)) {
        json_decref(a);
        return NULL;
    }
    return a;
}

json_t *tdm_scenario_to_json(const tdm_scenario *s)
{
    json_t *o = json_object();
    json_t *agents = json_array();
    /* The seed is unsigned; validation caps it at INT64_MAX so it fits a JSON integer. */
    bool ok = o && agents && put(o, "name", str_or_null(s->name)) &&
              put(o, "description", str_or_null(s->description)) && put(o, "runs", json_integer(s->runs)) &&
              put(o, "seed", json_integer((json_int_t)s->seed)) && put(o, "warmup", json_boolean(s->warmup)) &&
              put(o, "warmup_num_predict", json_integer(s->warmup_num_predict)) &&
              put(o, "warmup_prompt", json_string(s->warmup_prompt ? s->warmup_prompt : TDM_WARMUP_PROMPT)) &&
              put(o, "phases", phases_json(s)) &&
              put(o, "contention_threshold_pct", json_real(s->contention_threshold_pct)) &&
              put(o, "max_line_bytes", json_integer((json_int_t)s->max_line_bytes)) &&
              put(o, "timeouts", timeouts_json(&s->timeouts));
    for (size_t i = 0; ok && i < s->n_agents; i++) {
        json_t *a = agent_json(&s->agents[i], s->arrivals.process != TDM_ARRIVALS_NONE);
        ok = a && json_array_append_new(agents, a) == 0;
    }
    if (ok && s->workflow) /* only then: other scenarios keep their JSON as it was */
        ok = put(o, "workflow", json_true());
    if (ok && s->arrivals.process != TDM_ARRIVALS_NONE)
        ok = put(o, "arrivals",
                 json_pack("{s:s, s:f, s:f, s:I}", "process", tdm_arrival_process_name(s->arrivals.process), "rate",
                           s->arrivals.rate, "duration_s", s->arrivals.duration_s, "count",
                           (json_int_t)s->arrivals.count));
    if (ok && put(o, "agents", agents))
        return o;
    if (!ok)
        json_decref(agents);
    json_decref(o);
    return NULL;
}
