/* scenario_yaml.c — loads a scenario from YAML with libcyaml, then completes it with
 * defaults and validates it (scenario_defaults.c, scenario_validate.c).
 *
 * The shape (experiments/scenarios/ holds worked examples):
 *
 *   name, description, runs, seed, warmup, warmup_num_predict, warmup_prompt,
 *   phases: [sequential, concurrent], contention_threshold_pct, max_line_bytes,
 *   timeouts: {connect_ms, first_byte_ms, idle_ms, total_ms},
 *   defaults: {url, model, api, stream, keep_alive, options}   merged into every agent
 *              (api: generate | chat | openai; scenario.h)
 *   agents: - {name, label, url, model, api, stream, keep_alive, options, history,
 *              steps: [{name, prompt, system, after, think_ms, think_dist}]  or the shorthand
 *              prompt: "..."}   after: [AGENT.STEP, ...] and {output:AGENT.STEP} in a prompt
 *              make a workflow (scenario_workflow.c)
 *   agent_template: {an agent without url}, agent_count: N,
 *   endpoints: [URL or {url, api}, ...], placement: round_robin|packed, placement_list: [index, ...]
 *              N agents from one template, appended to agents: (scenario_template.c)
 *   arrivals: {process: poisson|constant, rate, duration_s}   with agent_template: instead
 *              of agent_count: open-loop calls, one agent per arrival (arrivals.c)
 *
 * Every scalar is read by libcyaml as a string and converted here. libcyaml 1.3.1
 * (Debian) parses numbers and booleans loosely: "1.5" and "12abc" load as the integer
 * 1 and 12, "010" as 8, "-1" as an unsigned 2^64-1, "maybe" as true. Converting
 * ourselves makes every such value an error that names its field, and makes Debian's
 * and nixpkgs' (1.4) builds read a file identically. libcyaml still does the
 * structure: unknown keys, duplicate keys, a list where a value belongs.
 *
 * libcyaml's log goes into a buffer, never to stderr; on failure its text is turned
 * into one message with the file, line, field path and fix, and kept at the end
 * (core/yaml_load.c, shared with the experiment loader). */
#include "core/scenario.h"

#include <cyaml/cyaml.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/scalar.h"
#include "core/yaml_endpoints.h"
#include "core/yaml_load.h"

#define MAX_FILE_BYTES (16u << 20)
#define PHASE_SEQUENTIAL 1u
#define PHASE_CONCURRENT 2u

/* ---- what libcyaml fills: every scalar a string, NULL when absent ---------------- */

typedef struct y_options {
    char *v[TDM_OPT_COUNT]; /* indexed by tdm_option_id */
} y_options;

typedef struct y_step {
    char *name;
    char *prompt;
    char *system;
    char **after;
    unsigned after_count;
    char *think_ms, *think_dist;
} y_step;

typedef struct y_agent {
    char *name, *label, *url, *model, *api, *stream, *keep_alive, *prompt, *history;
    y_options *options;
    y_step *steps;
    unsigned steps_count;
} y_agent;

typedef struct y_defaults {
    char *url, *model, *api, *stream, *keep_alive;
    y_options *options;
} y_defaults;

typedef struct y_timeouts {
    char *connect_ms, *first_byte_ms, *idle_ms, *total_ms;
} y_timeouts;

/* An endpoints: entry; a plain URL is read as {url: URL} (yaml_endpoints.h). */
typedef struct y_endpoint {
    char *url, *api;
} y_endpoint;

typedef struct y_arrivals {
    char *process, *rate, *duration_s;
} y_arrivals;

typedef struct y_scenario {
    char *name, *description, *runs, *seed, *warmup, *warmup_num_predict, *warmup_prompt;
    char *contention_threshold_pct, *max_line_bytes;
    unsigned *phases; /* PHASE_* bits; a pointer so that "phases: []" differs from absent */
    y_timeouts *timeouts;
    y_defaults *defaults;
    y_agent *agents;
    unsigned agents_count;
    y_agent *agent_template;
    char *agent_count, *placement;
    y_endpoint *endpoints;
    unsigned endpoints_count;
    char **placement_list;
    unsigned placement_list_count;
    y_arrivals *arrivals;
} y_scenario;

/* ---- the schema ----------------------------------------------------------------------- */

#define OPT (CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL)
/* A mapping that may be left empty ("options:" with every line commented out). */
#define OPT_MAP (CYAML_FLAG_POINTER_NULL | CYAML_FLAG_OPTIONAL)
#define STR(key, type, member) CYAML_FIELD_STRING_PTR(key, OPT, type, member, 0, CYAML_UNLIMITED)

_Static_assert(TDM_OPT_COUNT == 11, "a new option in options.h needs its line in options_fields below");

/* Keys are Ollama's option names, as tdm_option_name() spells them. */
static const cyaml_schema_field_t options_fields[] = {
    CYAML_FIELD_STRING_PTR("num_gpu", OPT, y_options, v[TDM_OPT_NUM_GPU], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("num_ctx", OPT, y_options, v[TDM_OPT_NUM_CTX], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("num_predict", OPT, y_options, v[TDM_OPT_NUM_PREDICT], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("num_thread", OPT, y_options, v[TDM_OPT_NUM_THREAD], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("top_k", OPT, y_options, v[TDM_OPT_TOP_K], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("seed", OPT, y_options, v[TDM_OPT_SEED], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("temperature", OPT, y_options, v[TDM_OPT_TEMPERATURE], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("top_p", OPT, y_options, v[TDM_OPT_TOP_P], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("repeat_penalty", OPT, y_options, v[TDM_OPT_REPEAT_PENALTY], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("presence_penalty", OPT, y_options, v[TDM_OPT_PRESENCE_PENALTY], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("frequency_penalty", OPT, y_options, v[TDM_OPT_FREQUENCY_PENALTY], 0, CYAML_UNLIMITED),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t step_after_schema = {
    CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t step_fields[] = {
    STR("name", y_step, name),
    STR("prompt", y_step, prompt),
    STR("system", y_step, system),
    CYAML_FIELD_SEQUENCE("after", OPT, y_step, after, &step_after_schema, 0, CYAML_UNLIMITED),
    STR("think_ms", y_step, think_ms),
    STR("think_dist", y_step, think_dist),
    CYAML_FIELD_END,
};
static const cyaml_schema_value_t step_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, y_step, step_fields),
};

static const cyaml_schema_field_t agent_fields[] = {
    STR("name", y_agent, name),
    STR("label", y_agent, label),
    STR("url", y_agent, url),
    STR("model", y_agent, model),
    STR("api", y_agent, api),
    STR("stream", y_agent, stream),
    STR("keep_alive", y_agent, keep_alive),
    STR("history", y_agent, history),
    CYAML_FIELD_MAPPING_PTR("options", OPT_MAP, y_agent, options, options_fields),
    CYAML_FIELD_SEQUENCE("steps", OPT, y_agent, steps, &step_schema, 0, CYAML_UNLIMITED),
    STR("prompt", y_agent, prompt),
    CYAML_FIELD_END,
};
static const cyaml_schema_value_t agent_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, y_agent, agent_fields),
};

static const cyaml_schema_field_t defaults_fields[] = {
    STR("url", y_defaults, url),
    STR("model", y_defaults, model),
    STR("api", y_defaults, api),
    STR("stream", y_defaults, stream),
    STR("keep_alive", y_defaults, keep_alive),
    CYAML_FIELD_MAPPING_PTR("options", OPT_MAP, y_defaults, options, options_fields),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t timeouts_fields[] = {
    STR("connect_ms", y_timeouts, connect_ms),
    STR("first_byte_ms", y_timeouts, first_byte_ms),
    STR("idle_ms", y_timeouts, idle_ms),
    STR("total_ms", y_timeouts, total_ms),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t arrivals_fields[] = {
    STR("process", y_arrivals, process),
    STR("rate", y_arrivals, rate),
    STR("duration_s", y_arrivals, duration_s),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t endpoint_fields[] = {
    STR("url", y_endpoint, url),
    STR("api", y_endpoint, api),
    CYAML_FIELD_END,
};
static const cyaml_schema_value_t endpoint_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, y_endpoint, endpoint_fields),
};

static const cyaml_schema_value_t string_schema = {
    CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

static const cyaml_strval_t phase_names[] = {
    {"sequential", PHASE_SEQUENTIAL},
    {"concurrent", PHASE_CONCURRENT},
};

static const cyaml_schema_field_t scenario_fields[] = {
    STR("name", y_scenario, name),
    STR("description", y_scenario, description),
    STR("runs", y_scenario, runs),
    STR("seed", y_scenario, seed),
    STR("warmup", y_scenario, warmup),
    STR("warmup_num_predict", y_scenario, warmup_num_predict),
    STR("warmup_prompt", y_scenario, warmup_prompt),
    /* STRICT: only the names, not numbers standing for bits. */
    CYAML_FIELD_FLAGS_PTR("phases", OPT | CYAML_FLAG_STRICT, y_scenario, phases, phase_names,
                          CYAML_ARRAY_LEN(phase_names)),
    STR("contention_threshold_pct", y_scenario, contention_threshold_pct),
    STR("max_line_bytes", y_scenario, max_line_bytes),
    CYAML_FIELD_MAPPING_PTR("timeouts", OPT_MAP, y_scenario, timeouts, timeouts_fields),
    CYAML_FIELD_MAPPING_PTR("defaults", OPT_MAP, y_scenario, defaults, defaults_fields),
    CYAML_FIELD_SEQUENCE("agents", OPT, y_scenario, agents, &agent_schema, 0, CYAML_UNLIMITED),
    CYAML_FIELD_MAPPING_PTR("agent_template", OPT, y_scenario, agent_template, agent_fields),
    STR("agent_count", y_scenario, agent_count),
    CYAML_FIELD_SEQUENCE("endpoints", OPT, y_scenario, endpoints, &endpoint_schema, 0, CYAML_UNLIMITED),
    STR("placement", y_scenario, placement),
    CYAML_FIELD_SEQUENCE("placement_list", OPT, y_scenario, placement_list, &string_schema, 0, CYAML_UNLIMITED),
    CYAML_FIELD_MAPPING_PTR("arrivals", OPT, y_scenario, arrivals, arrivals_fields),
    CYAML_FIELD_END,
};
static const cyaml_schema_value_t scenario_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, y_scenario, scenario_fields),
};
static const tdm_yaml_kind scenario_yaml = {
    &scenario_schema,
    "a scenario file is a mapping of key: value pairs (name:, agents:, ...)",
    "or put shared agent settings under defaults:",
};

/* ---- errors ------------------------------------------------------------------------- */

typedef struct ctx {
    const char *src;   /* file name or the caller's source name, first in every message */
    bool named_source; /* src came from the caller, so a missing name: can derive from it */
    char *err;
    size_t errlen;
} ctx;

__attribute__((format(printf, 3, 4))) static int fail(ctx *c, const char *field, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->err && c->errlen)
        snprintf(c->err, c->errlen, "%s: %s: %s", c->src, field, msg);
    return -1;
}

/* ---- strict scalar conversion (core/scalar.h), with messages naming the field ---- */

/* Digits with an optional sign: a whole number, even when too large for 64 bits (so the
 * message can say "out of range" rather than "not a whole number"). */
static bool looks_whole(const char *s)
{
    s += (*s == '-' || *s == '+');
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static int conv_int(ctx *c, const char *field, const char *s, int lo, int hi, int *out)
{
    int64_t v;
    if (!tdm_scalar_i64(s, &v) && looks_whole(s))
        return fail(c, field, "'%s' is out of range (from %d to %d)", s, lo, hi);
    if (!tdm_scalar_i64(s, &v))
        return fail(c, field, "'%s' is not a whole number; write an integer from %d to %d", s, lo, hi);
    if (v < INT_MIN || v > INT_MAX)
        return fail(c, field, "%s is out of range (from %d to %d)", s, lo, hi);
    *out = (int)v;
    return 0;
}

static int conv_ms(ctx *c, const char *field, const char *s, int64_t *out)
{
    if (!tdm_scalar_i64(s, out) && looks_whole(s))
        return fail(c, field, "'%s' is out of range (from 0 to %lld milliseconds)", s, (long long)INT64_MAX);
    if (!tdm_scalar_i64(s, out))
        return fail(c, field, "'%s' is not a whole number of milliseconds; write e.g. 5000 (no unit)", s);
    return 0;
}

static int conv_bool(ctx *c, const char *field, const char *s, bool *out)
{
    if (!tdm_scalar_bool(s, out))
        return fail(c, field, "'%s' is not a boolean; write true or false", s);
    return 0;
}

static int conv_api(ctx *c, const char *field, const char *s, tdm_api *out)
{
    if (tdm_api_from_name(s, out) != 0)
        return fail(c, field,
                    "'%s' is not an API tandem speaks; write generate (/api/generate), chat (/api/chat) or openai "
                    "(/v1/chat/completions)",
                    s);
    return 0;
}

static int conv_options(ctx *c, const char *field, const y_options *y, tdm_options *o)
{
    if (!y)
        return 0;
    char f[160];
    for (int i = 0; i < TDM_OPT_COUNT; i++) {
        tdm_option_id id = (tdm_option_id)i;
        const char *s = y->v[i];
        if (!s)
            continue;
        snprintf(f, sizeof f, "%s.%s", field, tdm_option_name(id));
        if (tdm_option_is_int(id)) {
            int64_t v;
            /* Options are held as doubles, exact up to 2^53. */
            if ((!tdm_scalar_i64(s, &v) && looks_whole(s)) ||
                (tdm_scalar_i64(s, &v) && (v > (INT64_C(1) << 53) || v < -(INT64_C(1) << 53))))
                return fail(c, f, "'%s' is out of range (from -9007199254740992 to 9007199254740992)", s);
            if (!tdm_scalar_i64(s, &v))
                return fail(c, f, "'%s' is not a whole number; Ollama takes an integer here", s);
            tdm_options_set(o, id, (double)v);
        } else {
            double v;
            if (!tdm_scalar_double(s, &v))
                return fail(c, f, "'%s' is not a number; write a decimal such as 0.9", s);
            tdm_options_set(o, id, v);
        }
    }
    return 0;
}

/* Replaces *dst with a copy of s (when s is given). */
static int set_str(ctx *c, char **dst, const char *s)
{
    if (!s)
        return 0;
    char *d = strdup(s);
    if (!d)
        return fail(c, "(load)", "out of memory");
    free(*dst);
    *dst = d;
    return 0;
}

/* The fields an agent shares with the defaults: block; called for defaults, then for
 * the agent itself, so the agent's own values win. */
static int apply_common(ctx *c, const char *field, tdm_agent *a, const char *url, const char *model,
                        const char *api, const char *stream, const char *keep_alive, const y_options *options)
{
    char f[96];
    if (set_str(c, &a->url, url) || set_str(c, &a->model, model) || set_str(c, &a->keep_alive, keep_alive))
        return -1;
    snprintf(f, sizeof f, "%s.api", field);
    if (api && conv_api(c, f, api, &a->api))
        return -1;
    snprintf(f, sizeof f, "%s.stream", field);
    if (stream && conv_bool(c, f, stream, &a->stream))
        return -1;
    snprintf(f, sizeof f, "%s.options", field);
    return conv_options(c, f, options, &a->options);
}

/* field: "agents[3]" or "agent_template", first in every message about this agent. */

/* A step's workflow keys: after: (names resolved later, scenario_workflow.c), think_ms
 * and think_dist. */
static int conv_workflow_step(ctx *c, const char *agent_field, size_t k, const y_step *ys, tdm_step *st)
{
    char f[160];
    if (ys->after_count > 0) {
        if (!(st->after = calloc(ys->after_count, sizeof *st->after)))
            return fail(c, agent_field, "out of memory");
        for (size_t i = 0; i < ys->after_count; i++) {
            st->n_after = i + 1; /* freed with the scenario however far this got */
            if (set_str(c, &st->after[i], ys->after[i]))
                return -1;
        }
    }
    if (ys->think_ms) {
        double ms;
        snprintf(f, sizeof f, "%s.steps[%zu].think_ms", agent_field, k);
        if (!tdm_scalar_double(ys->think_ms, &ms) || !(ms >= 0) || ms > 86400000.0)
            return fail(c, f, "'%s' is not a pause in milliseconds; write a number from 0 to 86400000 (e.g. 250)",
                        ys->think_ms);
        st->think_ns = (int64_t)llround(ms * 1e6);
    }
    if (ys->think_dist) {
        snprintf(f, sizeof f, "%s.steps[%zu].think_dist", agent_field, k);
        if (strcmp(ys->think_dist, "fixed") == 0)
            st->think_dist = TDM_THINK_FIXED;
        else if (strcmp(ys->think_dist, "exponential") == 0)
            st->think_dist = TDM_THINK_EXPONENTIAL;
        else
            return fail(c, f, "'%s' is not a distribution; write fixed (exactly think_ms, the default) or "
                              "exponential (mean think_ms, drawn from the seed)",
                        ys->think_dist);
    }
    return 0;
}

static int conv_agent(ctx *c, const char *f, const y_agent *y, const y_defaults *d, tdm_agent *a)
{
    tdm_agent_init(a);
    if (d && apply_common(c, "defaults", a, d->url, d->model, d->api, d->stream, d->keep_alive, d->options))
        return -1;
    if (apply_common(c, f, a, y->url, y->model, y->api, y->stream, y->keep_alive, y->options))
        return -1;
    if (set_str(c, &a->name, y->name) || set_str(c, &a->label, y->label))
        return -1;
    if (y->history) {
        char hf[160];
        snprintf(hf, sizeof hf, "%s.history", f);
        if (conv_bool(c, hf, y->history, &a->history))
            return -1;
    }
    if (y->prompt && y->steps_count > 0)
        return fail(c, f, "has both prompt: and steps:; use prompt: for a single step, or put it into steps:");
    if (y->prompt) {
        if (!(a->steps = calloc(1, sizeof *a->steps)))
            return fail(c, f, "out of memory");
        a->n_steps = 1;
        if (set_str(c, &a->steps[0].name, "main") || set_str(c, &a->steps[0].prompt, y->prompt))
            return -1;
        return 0;
    }
    if (y->steps_count == 0)
        return 0; /* validation names what is missing */
    if (!(a->steps = calloc(y->steps_count, sizeof *a->steps)))
        return fail(c, f, "out of memory");
    a->n_steps = y->steps_count;
    for (size_t k = 0; k < a->n_steps; k++) {
        const y_step *ys = &y->steps[k];
        tdm_step *st = &a->steps[k];
        if (set_str(c, &st->name, ys->name) || set_str(c, &st->prompt, ys->prompt) ||
            set_str(c, &st->system, ys->system) || conv_workflow_step(c, f, k, ys, st))
            return -1;
    }
    return 0;
}

/* "experiments/scenarios/chimera-homo.yaml" -> "chimera-homo": the name a file gets
 * when it does not give one. Returns 0 (*out NULL when nothing is left), -1 on OOM. */
static int name_from_source(const char *src, char **out)
{
    const char *base = strrchr(src, '/');
    base = base ? base + 1 : src;
    size_t n = strlen(base);
    const char *exts[] = {".yaml", ".yml"};
    for (size_t i = 0; i < 2; i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcmp(base + n - e, exts[i]) == 0) {
            n -= e;
            break;
        }
    }
    *out = n ? strndup(base, n) : NULL;
    return n && !*out ? -1 : 0;
}

static int convert(ctx *c, const y_scenario *y, tdm_scenario *s)
{
    tdm_scenario_init(s);
    if (y->name) {
        if (set_str(c, &s->name, y->name))
            return -1;
    } else if (c->named_source && name_from_source(c->src, &s->name) != 0) {
        return fail(c, "name", "out of memory");
    }
    if (set_str(c, &s->description, y->description))
        return -1;
    if (y->runs && conv_int(c, "runs", y->runs, 1, 10000, &s->runs))
        return -1;
    if (y->seed && !tdm_scalar_u64(y->seed, &s->seed))
        return fail(c, "seed", "'%s' is not a whole number from 0 to %lld", y->seed, (long long)INT64_MAX);
    if (y->warmup && conv_bool(c, "warmup", y->warmup, &s->warmup))
        return -1;
    if (y->warmup_num_predict && conv_int(c, "warmup_num_predict", y->warmup_num_predict, 1, INT_MAX,
                                          &s->warmup_num_predict))
        return -1;
    if (set_str(c, &s->warmup_prompt, y->warmup_prompt))
        return -1;
    if (y->phases) {
        s->sequential = (*y->phases & PHASE_SEQUENTIAL) != 0;
        s->concurrent = (*y->phases & PHASE_CONCURRENT) != 0;
    }
    if (y->contention_threshold_pct && !tdm_scalar_double(y->contention_threshold_pct, &s->contention_threshold_pct))
        return fail(c, "contention_threshold_pct", "'%s' is not a number; write a percentage such as 10",
                    y->contention_threshold_pct);
    if (y->max_line_bytes && !tdm_scalar_u64(y->max_line_bytes, &s->max_line_bytes))
        return fail(c, "max_line_bytes", "'%s' is not a whole number of bytes; write e.g. 8388608 (no unit)",
                    y->max_line_bytes);
    if (y->timeouts) {
        const y_timeouts *t = y->timeouts;
        if ((t->connect_ms && conv_ms(c, "timeouts.connect_ms", t->connect_ms, &s->timeouts.connect_ms)) ||
            (t->first_byte_ms &&
             conv_ms(c, "timeouts.first_byte_ms", t->first_byte_ms, &s->timeouts.first_byte_ms)) ||
            (t->idle_ms && conv_ms(c, "timeouts.idle_ms", t->idle_ms, &s->timeouts.idle_ms)) ||
            (t->total_ms && conv_ms(c, "timeouts.total_ms", t->total_ms, &s->timeouts.total_ms)))
            return -1;
    }
    if (y->agents_count == 0)
        return 0;
    if (!(s->agents = calloc(y->agents_count, sizeof *s->agents)))
        return fail(c, "agents", "out of memory");
    s->n_agents = y->agents_count; /* zeroed entries free cleanly if a later one fails */
    for (size_t i = 0; i < s->n_agents; i++) {
        char f[48];
        snprintf(f, sizeof f, "agents[%zu]", i);
        if (conv_agent(c, f, &y->agents[i], y->defaults, &s->agents[i]))
            return -1;
    }
    return 0;
}

/* arrivals: {process, rate, duration_s}: the process and its numbers; the instants are
 * drawn by conv_template, which generates one agent per arrival. */
static int conv_arrivals(ctx *c, const y_arrivals *y, tdm_arrivals *a)
{
    *a = (tdm_arrivals){.process = TDM_ARRIVALS_POISSON};
    if (y->process && strcmp(y->process, "constant") == 0)
        a->process = TDM_ARRIVALS_CONSTANT;
    else if (y->process && strcmp(y->process, "poisson") != 0)
        return fail(c, "arrivals.process",
                    "'%s' is not an arrival process; write poisson (exponential gaps, the default) or constant "
                    "(one call every 1/rate s)",
                    y->process);
    if (!y->rate)
        return fail(c, "arrivals.rate", "missing; give the offered load in calls per second (rate: 2.5)");
    if (!tdm_scalar_double(y->rate, &a->rate) || !(a->rate > 0) || !isfinite(a->rate))
        return fail(c, "arrivals.rate", "'%s' is not a positive number of calls per second; write e.g. 2.5",
                    y->rate);
    if (!y->duration_s)
        return fail(c, "arrivals.duration_s", "missing; say for how many seconds calls arrive (duration_s: 60)");
    if (!tdm_scalar_double(y->duration_s, &a->duration_s) || !(a->duration_s > 0) || !isfinite(a->duration_s))
        return fail(c, "arrivals.duration_s", "'%s' is not a positive number of seconds; write e.g. 60",
                    y->duration_s);
    return 0;
}

/* endpoints: into the URLs and the apis they give (TDM_API_COUNT: none); the URLs are
 * y's own strings. */
static int conv_endpoints(ctx *c, const y_scenario *y, char ***urls, tdm_api **apis)
{
    size_t n = y->endpoints_count;
    if (n == 0)
        return 0;
    if (!(*urls = calloc(n, sizeof **urls)) || !(*apis = calloc(n, sizeof **apis)))
        return fail(c, "endpoints", "out of memory");
    for (size_t i = 0; i < n; i++) {
        char f[48];
        const y_endpoint *e = &y->endpoints[i];
        snprintf(f, sizeof f, "endpoints[%zu].url", i);
        if (!e->url)
            return fail(c, f, "missing; write the server's base URL, as a plain entry (http://127.0.0.1:11434) or "
                              "as {url: http://127.0.0.1:8080, api: openai}");
        (*urls)[i] = e->url;
        (*apis)[i] = TDM_API_COUNT;
        snprintf(f, sizeof f, "endpoints[%zu].api", i);
        if (e->api && conv_api(c, f, e->api, &(*apis)[i]) != 0)
            return -1;
    }
    return 0;
}

/* The template's agents, count of them (one per arrival with arrivals:), on the endpoints. */
static int expand(ctx *c, const y_scenario *y, tdm_scenario *s, int count, char **urls, const tdm_api *apis)
{
    tdm_agent_template t = {.count = count,
                            .endpoints = urls,
                            .n_endpoints = y->endpoints_count,
                            .endpoint_apis = apis,
                            .agent_api_set = y->agent_template->api != NULL};
    if (y->placement && strcmp(y->placement, "round_robin") == 0)
        t.placement = TDM_PLACE_ROUND_ROBIN;
    else if (y->placement && strcmp(y->placement, "packed") == 0)
        t.placement = TDM_PLACE_PACKED;
    else if (y->placement)
        return fail(c, "placement",
                    "'%s' is not a placement; write round_robin (agent k on endpoints[(k-1) mod E], the default) "
                    "or packed (contiguous runs), or give placement_list: [0, 1, ...]",
                    y->placement);
    size_t *list = NULL;
    if (y->placement_list) {
        if (y->placement)
            return fail(c, "placement_list", "given together with placement: %s; keep one of them", y->placement);
        if (!(list = calloc(y->placement_list_count ? y->placement_list_count : 1, sizeof *list)))
            return fail(c, "placement_list", "out of memory");
        for (size_t i = 0; i < y->placement_list_count; i++) {
            int v;
            char f[48];
            snprintf(f, sizeof f, "placement_list[%zu]", i);
            if (conv_int(c, f, y->placement_list[i], 0, INT_MAX, &v)) {
                free(list);
                return -1;
            }
            if (v < 0) {
                free(list);
                return fail(c, f, "%d is negative; write an index into endpoints: (0 for the first)", v);
            }
            list[i] = (size_t)v;
        }
        t.placement = TDM_PLACE_LIST;
        t.list = list;
        t.n_list = y->placement_list_count;
    }
    /* The template on the heap, inside a scenario of its own, so one free releases it
     * however far its conversion got; it is not an agent of the scenario itself. */
    tdm_scenario one;
    memset(&one, 0, sizeof one);
    int rc = -1;
    if (!(one.agents = calloc(1, sizeof *one.agents))) {
        fail(c, "agent_template", "out of memory");
    } else {
        one.n_agents = 1;
        rc = conv_agent(c, "agent_template", y->agent_template, y->defaults, &one.agents[0]);
    }
    /* Arrivals: one generated agent per arrival, started at its instant. */
    int64_t *starts = NULL;
    char msg[900];
    if (rc == 0 && y->arrivals) {
        size_t n;
        if ((rc = tdm_arrivals_offsets(&s->arrivals, s->seed, &starts, &n, msg, sizeof msg)) == 0) {
            s->arrivals.count = n;
            t.count = (long)n; /* at most TDM_TEMPLATE_MAX_AGENTS */
            t.start_ns = starts;
        } else if (c->err && c->errlen) {
            snprintf(c->err, c->errlen, "%s: %s", c->src, msg);
        }
    }
    if (rc == 0) {
        t.agent = &one.agents[0];
        if ((rc = tdm_scenario_expand_template(s, &t, msg, sizeof msg)) != 0 && c->err && c->errlen)
            snprintf(c->err, c->errlen, "%s: %s", c->src, msg);
    }
    free(starts);
    tdm_scenario_free(&one);
    free(list);
    return rc;
}

/* agent_template: and its companions, expanded into agents (scenario_template.c). */
static int conv_template(ctx *c, const y_scenario *y, tdm_scenario *s)
{
    if (y->arrivals && !y->agent_template)
        return fail(c, "arrivals",
                    "needs agent_template: (the calls' server, model and pool of prompts: one call per arrival, "
                    "its prompt the template's steps in turn); add one");
    if (y->arrivals && y->agent_count)
        return fail(c, "agent_count",
                    "given together with arrivals:, which decide how many calls arrive (about rate x duration_s); "
                    "remove agent_count:");
    if (!y->agent_template) {
        const char *stray = y->agent_count      ? "agent_count"
                            : y->endpoints      ? "endpoints"
                            : y->placement      ? "placement"
                            : y->placement_list ? "placement_list"
                                                : NULL;
        if (stray)
            return fail(c, stray,
                        "applies to agent_template: only; add agent_template: {model, prompt, ...} (the agents "
                        "it generates), or remove %s:",
                        stray);
        return 0;
    }
    if (!y->arrivals && !y->agent_count)
        return fail(c, "agent_count", "missing; say how many agents agent_template: generates (agent_count: 4)");
    if (y->agent_template->url)
        return fail(c, "agent_template.url",
                    "the generated agents take their server from endpoints: (round robin), so the template has "
                    "no url; move it into endpoints: [%s]",
                    y->agent_template->url);
    int count = 1; /* with arrivals:, set once they are drawn (below) */
    if (y->arrivals && conv_arrivals(c, y->arrivals, &s->arrivals) != 0)
        return -1;
    if (!y->arrivals) {
        if (conv_int(c, "agent_count", y->agent_count, 1, TDM_TEMPLATE_MAX_AGENTS, &count))
            return -1;
        if (count < 1 || count > TDM_TEMPLATE_MAX_AGENTS)
            return fail(c, "agent_count", "%d is out of range; use 1 to %d", count, TDM_TEMPLATE_MAX_AGENTS);
    }
    char **urls = NULL;
    tdm_api *apis = NULL;
    int rc = conv_endpoints(c, y, &urls, &apis);
    if (rc == 0)
        rc = expand(c, y, s, count, urls, apis);
    free(urls);
    free(apis);
    return rc;
}

/* ---- public ---------------------------------------------------------------------- */

/* tdm_yaml_load on the text with endpoints:' URL entries as mappings (yaml_endpoints.h). */
static int load_yaml(const char *yaml, size_t len, const char *src, void **data, tdm_yaml_warning *warn, char *err,
                     size_t errlen)
{
    char *maps = NULL;
    size_t n = 0;
    if (tdm_yaml_endpoint_maps(yaml, len, &maps, &n) != 0) {
        snprintf(err, errlen, "%s: out of memory reading the file", src);
        *data = NULL;
        return -1;
    }
    int rc = tdm_yaml_load(maps ? maps : yaml, maps ? n : len, &scenario_yaml, src, data, warn, err, errlen);
    free(maps);
    return rc;
}

int tdm_scenario_load_string(const char *yaml, size_t len, const char *source_name, tdm_scenario *out, char *err,
                             size_t errlen)
{
    char dummy[1];
    if (!err) {
        err = dummy;
        errlen = sizeof dummy;
    }
    ctx c = {source_name ? source_name : "<scenario>", source_name != NULL, err, errlen};
    memset(out, 0, sizeof *out);
    void *data = NULL;
    tdm_yaml_warning warn;
    int rc = -1;
    if (load_yaml(yaml, len, c.src, &data, &warn, err, errlen) != 0)
        goto done;
    const y_scenario *y = data;
    if (warn.text[0]) {
        /* A warning means libcyaml skipped something (a second document) we would
         * otherwise silently ignore. */
        if (warn.more_documents)
            snprintf(err, errlen,
                     "%s: holds more than one YAML document; keep one scenario per file and remove everything from "
                     "the second '---' on (libcyaml: %s)",
                     c.src, warn.text);
        else
            snprintf(err, errlen, "%s: libcyaml warned: %s; change the file so it loads without warnings", c.src,
                     warn.text);
        goto done;
    }
    if (!y) {
        snprintf(err, errlen,
                 "%s: empty; a scenario needs at least an agents: list (see experiments/scenarios/*.yaml)", c.src);
        goto done;
    }
    tdm_scenario s;
    if (convert(&c, y, &s) != 0 || conv_template(&c, y, &s) != 0) {
        tdm_scenario_free(&s);
        goto done;
    }
    if (tdm_scenario_complete(&s, err, errlen) != 0) {
        /* Prefix the validator's "field: problem" with the source. */
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s", err);
        snprintf(err, errlen, "%s: %s", c.src, tmp);
        tdm_scenario_free(&s);
        goto done;
    }
    *out = s;
    rc = 0;
done:
    tdm_yaml_free(&scenario_yaml, data);
    return rc;
}

int tdm_scenario_load_file(const char *path, tdm_scenario *out, char *err, size_t errlen)
{
    char dummy[1];
    if (!err) {
        err = dummy;
        errlen = sizeof dummy;
    }
    memset(out, 0, sizeof *out);
    /* Read it ourselves: libcyaml's file error says only "Failed to open file". */
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen,
                 "%s: cannot open the scenario file: %s; check the path (a relative path starts at the current "
                 "directory)",
                 path, strerror(errno));
        return -1;
    }
    tdm_buf b = {0};
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > MAX_FILE_BYTES) {
            snprintf(err, errlen, "%s: larger than %u MiB; is this really a scenario file?", path,
                     MAX_FILE_BYTES >> 20);
            rc = -1;
            break;
        }
        if (tdm_buf_append(&b, chunk, n) != 0) {
            snprintf(err, errlen, "%s: out of memory reading the file", path);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    if (rc == 0)
        rc = tdm_scenario_load_string(tdm_buf_str(&b), b.len, path, out, err, errlen);
    tdm_buf_free(&b);
    return rc;
}

/* ---- a sweep's rewrite of a scenario file (scenario.h) ------------------------------ */

/* libcyaml's saver logs nothing useful to a user (its failures are ours: out of memory). */
static void quiet_log(cyaml_log_t level, void *log_ctx, const char *fmt, va_list args)
{
    (void)level;
    (void)log_ctx;
    (void)fmt;
    (void)args;
}

int tdm_scenario_yaml_override(const char *yaml, size_t len, const char *source_name, const tdm_scenario_override *ov,
                               char **out, size_t *outlen, char *err, size_t errlen)
{
    char dummy[1];
    if (!err) {
        err = dummy;
        errlen = sizeof dummy;
    }
    const char *src = source_name ? source_name : "<scenario>";
    ctx c = {src, source_name != NULL, err, errlen};
    *out = NULL;
    *outlen = 0;
    void *data = NULL;
    tdm_yaml_warning warn;
    if (load_yaml(yaml, len, src, &data, &warn, err, errlen) != 0)
        return -1;
    y_scenario *y = data;
    int rc = -1;
    if (!y) {
        fail(&c, "(file)", "empty; a scenario needs agents: or agent_template:");
        goto done;
    }
    /* Our values are swapped in for the save and the file's swapped back before the free:
     * libcyaml owns its allocations. */
    char *old_count = y->agent_count, *old_name = y->name;
    unsigned old_endpoints = y->endpoints_count;
    char *old_rate = y->arrivals ? y->arrivals->rate : NULL;
    char count[32], rate[32];
    char *derived = NULL;
    if (ov->agent_count > 0) {
        if (!y->agent_template) {
            fail(&c, "agent_template",
                 "missing, but the sweep sets the agent count (axis agents:); generate the agents from one "
                 "template: agent_template: {model, prompt, ...}, agent_count: 1, endpoints: [...]");
            goto done;
        }
        snprintf(count, sizeof count, "%ld", ov->agent_count);
        y->agent_count = count;
    }
    if (ov->arrival_rate > 0) {
        if (!y->arrivals) {
            fail(&c, "arrivals",
                 "missing, but the sweep sets the arrival rate (axis arrival_rate:); give the calls an open-loop "
                 "process: arrivals: {process: poisson, rate: 1, duration_s: 60} beside agent_template:");
            goto restore;
        }
        snprintf(rate, sizeof rate, "%.17g", ov->arrival_rate);
        y->arrivals->rate = rate;
    }
    if (ov->endpoints_limit > 0) {
        if (y->endpoints_count < ov->endpoints_limit) {
            fail(&c, "endpoints",
                 "lists %u server%s, but the sweep starts %zu (axis servers_per_gpu:); list at least %zu, in the "
                 "order the launcher starts them",
                 y->endpoints_count, y->endpoints_count == 1 ? "" : "s", ov->endpoints_limit, ov->endpoints_limit);
            goto restore;
        }
        y->endpoints_count = (unsigned)ov->endpoints_limit;
    }
    if (!y->name && c.named_source && name_from_source(src, &derived) != 0) {
        fail(&c, "name", "out of memory");
        goto restore;
    }
    if (derived)
        y->name = derived;
    cyaml_config_t cfg = {
        .log_fn = quiet_log,
        .mem_fn = cyaml_mem,
        .log_level = CYAML_LOG_ERROR,
        .flags = CYAML_CFG_STYLE_BLOCK,
    };
    char *saved = NULL;
    size_t n = 0;
    cyaml_err_t e = cyaml_save_data(&saved, &n, &cfg, &scenario_schema, y, 0);
    if (e != CYAML_OK) {
        fail(&c, "(rewrite)", "libcyaml could not write the scenario back (%s); check the file loads on its own",
             cyaml_strerror(e));
        goto restore;
    }
    if (!(*out = malloc(n + 1))) {
        fail(&c, "(rewrite)", "out of memory");
    } else {
        memcpy(*out, saved, n);
        (*out)[n] = '\0';
        *outlen = n;
        rc = 0;
    }
    cyaml_mem(NULL, saved, 0);
restore:
    if (y->arrivals)
        y->arrivals->rate = old_rate;
    y->agent_count = old_count;
    y->name = old_name;
    y->endpoints_count = old_endpoints;
    free(derived);
done:
    tdm_yaml_free(&scenario_yaml, data);
    return rc;
}
