/* experiment_yaml.c — reads an experiment file with libcyaml (see experiment.h for the
 * shape), then hands it to tdm_experiment_resolve for the checks that need more than
 * one field or the file system.
 *
 * As in the core's scenario loader, libcyaml reads every scalar as a string and this
 * file converts it, so "1.5" for an integer or "maybe" for a boolean is an error naming
 * its field on Debian's libcyaml 1.3 and nixpkgs' 1.4 alike. libcyaml does the structure:
 * unknown keys (named, with the keys allowed there), duplicates, a list where a value
 * belongs; core/yaml_load.c loads the file with the scenario loader's settings and turns
 * libcyaml's log into the message. Conversion problems are collected, not returned at
 * the first one, so one look at the message shows everything to fix. */
#include <cyaml/cyaml.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/scalar.h"
#include "core/scenario.h"
#include <stddef.h>
#include "core/yaml_load.h"
#include "sweep/experiment.h"
#include "sweep/experiment_int.h"
#include "core/sha256.h"

#define MAX_FILE_BYTES (4u << 20)

/* ---- what libcyaml fills: every scalar a string, NULL when absent ---------------- */

/* The per-agent options the seed's --chimera-* / --chimera2-* flags can set. */
static const tdm_option_id agent_option_ids[] = {
    TDM_OPT_NUM_GPU, TDM_OPT_NUM_CTX, TDM_OPT_TEMPERATURE, TDM_OPT_TOP_P, TDM_OPT_TOP_K, TDM_OPT_REPEAT_PENALTY,
};
#define N_AGENT_OPTS (sizeof agent_option_ids / sizeof agent_option_ids[0])

typedef struct y_opts {
    char *v[N_AGENT_OPTS]; /* in agent_option_ids order */
} y_opts;

typedef struct y_endpoints {
    char *collector, *insight;
} y_endpoints;

typedef struct y_pins {
    char *ollama_version, *model, *model_digest, *gpu, *model_in_vram;
} y_pins;

typedef struct y_run {
    char *runs_per_cell, *warmup, *num_predict, *seed, *num_thread, *calls_per_agent, *keep_alive;
    char *cooldown_ms, *unload_between_cells, *cell_timeout_ms, *http_timeout_ms, *retries, *retry_backoff_ms;
    char *expected_decode_tps, *estimate_cell_s, *gpu_telemetry;
} y_run;

typedef struct y_config {
    char *name, *description, *scenario;
    y_opts *chimera, *chimera2;
    y_endpoints *endpoints;
} y_config;

/* axes: one list per axis, in tdm_sweep_axis_id order. */
typedef struct y_axes {
    char **agents, **num_predict, **arrival_rate, **num_parallel, **servers_per_gpu;
    unsigned agents_count, num_predict_count, arrival_rate_count, num_parallel_count, servers_per_gpu_count;
} y_axes;

typedef struct y_exp {
    char *name, *description, *output, *seed, *order, *repetitions;
    char *server_launcher, *server_ready_timeout_ms;
    y_axes *axes;
    y_pins *pins;
    y_endpoints *endpoints;
    char **variants;
    unsigned variants_count;
    y_config *configurations;
    unsigned configurations_count;
    y_run *run;
} y_exp;

/* ---- the schema ----------------------------------------------------------------------- */

#define OPT (CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL)
#define OPT_MAP (CYAML_FLAG_POINTER_NULL | CYAML_FLAG_OPTIONAL)
#define STR(key, type, member) CYAML_FIELD_STRING_PTR(key, OPT, type, member, 0, CYAML_UNLIMITED)

_Static_assert(N_AGENT_OPTS == 6, "opts_fields below lists one key per agent option");

static const cyaml_schema_field_t opts_fields[] = {
    CYAML_FIELD_STRING_PTR("num_gpu", OPT, y_opts, v[0], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("num_ctx", OPT, y_opts, v[1], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("temperature", OPT, y_opts, v[2], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("top_p", OPT, y_opts, v[3], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("top_k", OPT, y_opts, v[4], 0, CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("repeat_penalty", OPT, y_opts, v[5], 0, CYAML_UNLIMITED),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t endpoints_fields[] = {
    STR("collector", y_endpoints, collector),
    STR("insight", y_endpoints, insight),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t pins_fields[] = {
    STR("ollama_version", y_pins, ollama_version),
    STR("model", y_pins, model),
    STR("model_digest", y_pins, model_digest),
    STR("gpu", y_pins, gpu),
    STR("model_in_vram", y_pins, model_in_vram),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t run_fields[] = {
    STR("runs_per_cell", y_run, runs_per_cell),
    STR("warmup", y_run, warmup),
    STR("num_predict", y_run, num_predict),
    STR("seed", y_run, seed),
    STR("num_thread", y_run, num_thread),
    STR("calls_per_agent", y_run, calls_per_agent),
    STR("keep_alive", y_run, keep_alive),
    STR("cooldown_ms", y_run, cooldown_ms),
    STR("unload_between_cells", y_run, unload_between_cells),
    STR("cell_timeout_ms", y_run, cell_timeout_ms),
    STR("http_timeout_ms", y_run, http_timeout_ms),
    STR("retries", y_run, retries),
    STR("retry_backoff_ms", y_run, retry_backoff_ms),
    STR("expected_decode_tps", y_run, expected_decode_tps),
    STR("estimate_cell_s", y_run, estimate_cell_s),
    STR("gpu_telemetry", y_run, gpu_telemetry),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t config_fields[] = {
    STR("name", y_config, name),
    STR("description", y_config, description),
    STR("scenario", y_config, scenario),
    CYAML_FIELD_MAPPING_PTR("chimera", OPT_MAP, y_config, chimera, opts_fields),
    CYAML_FIELD_MAPPING_PTR("chimera2", OPT_MAP, y_config, chimera2, opts_fields),
    CYAML_FIELD_MAPPING_PTR("endpoints", OPT_MAP, y_config, endpoints, endpoints_fields),
    CYAML_FIELD_END,
};
static const cyaml_schema_value_t config_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, y_config, config_fields),
};

static const cyaml_schema_value_t variant_schema = {
    CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

static const cyaml_schema_value_t axis_value_schema = {
    CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};
_Static_assert(TDM_AXIS_COUNT == 5, "a new axis needs its member in y_axes and its line in axes_fields below");
static const cyaml_schema_field_t axes_fields[] = {
    CYAML_FIELD_SEQUENCE("agents", OPT, y_axes, agents, &axis_value_schema, 1, CYAML_UNLIMITED),
    CYAML_FIELD_SEQUENCE("num_predict", OPT, y_axes, num_predict, &axis_value_schema, 1, CYAML_UNLIMITED),
    CYAML_FIELD_SEQUENCE("arrival_rate", OPT, y_axes, arrival_rate, &axis_value_schema, 1, CYAML_UNLIMITED),
    CYAML_FIELD_SEQUENCE("num_parallel", OPT, y_axes, num_parallel, &axis_value_schema, 1, CYAML_UNLIMITED),
    CYAML_FIELD_SEQUENCE("servers_per_gpu", OPT, y_axes, servers_per_gpu, &axis_value_schema, 1, CYAML_UNLIMITED),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t exp_fields[] = {
    STR("name", y_exp, name),
    STR("description", y_exp, description),
    STR("output", y_exp, output),
    STR("seed", y_exp, seed),
    STR("order", y_exp, order),
    STR("repetitions", y_exp, repetitions),
    CYAML_FIELD_MAPPING_PTR("pins", OPT_MAP, y_exp, pins, pins_fields),
    CYAML_FIELD_MAPPING_PTR("endpoints", OPT_MAP, y_exp, endpoints, endpoints_fields),
    CYAML_FIELD_SEQUENCE("variants", OPT, y_exp, variants, &variant_schema, 0, CYAML_UNLIMITED),
    CYAML_FIELD_SEQUENCE("configurations", OPT, y_exp, configurations, &config_schema, 0, CYAML_UNLIMITED),
    CYAML_FIELD_MAPPING_PTR("run", OPT_MAP, y_exp, run, run_fields),
    CYAML_FIELD_MAPPING_PTR("axes", OPT_MAP, y_exp, axes, axes_fields),
    STR("server_launcher", y_exp, server_launcher),
    STR("server_ready_timeout_ms", y_exp, server_ready_timeout_ms),
    CYAML_FIELD_END,
};
static const cyaml_schema_value_t exp_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, y_exp, exp_fields),
};
static const tdm_yaml_kind exp_yaml = {
    &exp_schema,
    "an experiment file is a mapping of key: value pairs (name:, pins:, variants:, configurations:, ...)",
    "or give each configuration its own values",
};

/* ---- strict scalar conversion, problems collected ---------------------------------- */

typedef struct ctx {
    const char *src;
    tdm_buf *problems;
    int n;      /* problems added */
    bool oom;
} ctx;

__attribute__((format(printf, 3, 4))) static void problem(ctx *c, const char *field, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->n++;
    if (c->problems)
        tdm_buf_printf(c->problems, "%s: %s: %s\n", c->src, field, msg);
}

static void conv_int(ctx *c, const char *field, const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t v;
    if (!s)
        return;
    if (!tdm_scalar_i64(s, &v))
        problem(c, field, "'%s' is not a whole number; write an integer from %lld to %lld", s, (long long)lo,
                (long long)hi);
    else if (v < lo || v > hi)
        problem(c, field, "%s is out of range; use %lld to %lld", s, (long long)lo, (long long)hi);
    else
        *out = v;
}

static void conv_int32(ctx *c, const char *field, const char *s, int lo, int hi, int *out)
{
    int64_t v = *out;
    conv_int(c, field, s, lo, hi, &v);
    *out = (int)v;
}

static void conv_ms(ctx *c, const char *field, const char *s, int64_t lo, int64_t *out)
{
    int64_t v;
    if (!s)
        return;
    if (!tdm_scalar_i64(s, &v))
        problem(c, field, "'%s' is not a whole number of milliseconds; write e.g. 5000 (no unit)", s);
    else if (v < lo || v > INT64_C(31536000000))
        problem(c, field, "%s is out of range; use %lld to 31536000000 (a year)", s, (long long)lo);
    else
        *out = v;
}

static void conv_bool(ctx *c, const char *field, const char *s, bool *out)
{
    if (!s)
        return;
    if (!tdm_scalar_bool(s, out))
        problem(c, field, "'%s' is not a boolean; write true or false", s);
}

static void conv_nonneg_double(ctx *c, const char *field, const char *s, double *out)
{
    double v;
    if (!s)
        return;
    if (!tdm_scalar_double(s, &v) || v < 0)
        problem(c, field, "'%s' is not a number >= 0; write a decimal such as 40", s);
    else
        *out = v;
}

static char *dup(ctx *c, const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        c->oom = true;
    return d;
}

static void conv_opts(ctx *c, const char *field, const y_opts *y, tdm_options *o)
{
    if (!y)
        return;
    char f[160];
    for (size_t i = 0; i < N_AGENT_OPTS; i++) {
        tdm_option_id id = agent_option_ids[i];
        const char *s = y->v[i];
        if (!s)
            continue;
        snprintf(f, sizeof f, "%s.%s", field, tdm_option_name(id));
        double lo = id == TDM_OPT_NUM_GPU ? -1 : 0;
        if (tdm_option_is_int(id)) {
            int64_t v;
            if (!tdm_scalar_i64(s, &v) || v < lo || v > 1000000000) {
                problem(c, f, "'%s' is not a whole number from %g to 1000000000; Ollama takes an integer here", s,
                        lo);
                continue;
            }
            tdm_options_set(o, id, (double)v);
        } else {
            double v;
            if (!tdm_scalar_double(s, &v) || v < 0 || v > 1e9) {
                problem(c, f, "'%s' is not a number >= 0; write a decimal such as 0.9", s);
                continue;
            }
            tdm_options_set(o, id, v);
        }
    }
}

static void conv_run(ctx *c, const y_run *y, tdm_sweep_run *r)
{
    if (!y)
        return;
    int64_t v;
    conv_int32(c, "run.runs_per_cell", y->runs_per_cell, 1, 10000, &r->runs_per_cell);
    conv_bool(c, "run.warmup", y->warmup, &r->warmup);
    if (y->num_predict) {
        v = 0;
        conv_int(c, "run.num_predict", y->num_predict, 1, 1000000000, &v);
        r->has_num_predict = v > 0;
        r->num_predict = v;
    }
    if (y->seed) {
        v = INT64_MIN;
        conv_int(c, "run.seed", y->seed, INT32_MIN, INT32_MAX, &v);
        r->has_seed = v != INT64_MIN;
        r->seed = r->has_seed ? v : 0;
    }
    if (y->num_thread) {
        v = 0;
        conv_int(c, "run.num_thread", y->num_thread, 1, 4096, &v);
        r->has_num_thread = v > 0;
        r->num_thread = v;
    }
    conv_int32(c, "run.calls_per_agent", y->calls_per_agent, 1, 2, &r->calls_per_agent);
    if (y->keep_alive) {
        if (!*y->keep_alive || strpbrk(y->keep_alive, " \t\n\"'"))
            problem(c, "run.keep_alive", "'%s' is not a duration Ollama takes; write e.g. 5m, 0 or -1",
                    y->keep_alive);
        else
            r->keep_alive = dup(c, y->keep_alive);
    }
    conv_ms(c, "run.cooldown_ms", y->cooldown_ms, 0, &r->cooldown_ms);
    conv_bool(c, "run.unload_between_cells", y->unload_between_cells, &r->unload_between_cells);
    conv_ms(c, "run.cell_timeout_ms", y->cell_timeout_ms, 1000, &r->cell_timeout_ms);
    conv_ms(c, "run.http_timeout_ms", y->http_timeout_ms, 100, &r->http_timeout_ms);
    conv_int32(c, "run.retries", y->retries, 0, 100, &r->retries);
    conv_ms(c, "run.retry_backoff_ms", y->retry_backoff_ms, 0, &r->retry_backoff_ms);
    conv_nonneg_double(c, "run.expected_decode_tps", y->expected_decode_tps, &r->expected_decode_tps);
    conv_nonneg_double(c, "run.estimate_cell_s", y->estimate_cell_s, &r->estimate_cell_s);
    if (y->gpu_telemetry && tdm_gpu_mode_parse(y->gpu_telemetry, &r->gpu_telemetry) != 0)
        problem(c, "run.gpu_telemetry", "'%s' is not auto, on or off; write auto (samples where a GPU can be read)",
                y->gpu_telemetry);
}

/* Largest value per axis: agents as scenario.h allows, the rest generous but finite. */
static const int64_t axis_max[TDM_AXIS_COUNT] = {TDM_TEMPLATE_MAX_AGENTS, 1000000000, 1000000000, 4096, 64};

/* arrival_rate: calls per second with at most three decimals, held in thousandths. */
static void conv_rate(ctx *c, const char *f, const char *s, int64_t *out)
{
    double r;
    *out = 0;
    if (!tdm_scalar_double(s, &r) || !(r > 0) || r > 1e6) {
        problem(c, f, "'%s' is not a rate; write calls per second above 0 (e.g. 0.5 or 4)", s);
        return;
    }
    double milli = r * 1000.0;
    if (fabs(milli - nearbyint(milli)) > 1e-6 * milli) {
        problem(c, f, "%s has more than three decimals; round it to 0.001 calls/s", s);
        return;
    }
    *out = (int64_t)llround(milli);
}

static void conv_axes(ctx *c, const y_axes *y, tdm_experiment *e)
{
    if (!y)
        return;
    char **const *vals[TDM_AXIS_COUNT] = {&y->agents, &y->num_predict, &y->arrival_rate, &y->num_parallel,
                                          &y->servers_per_gpu};
    const unsigned counts[TDM_AXIS_COUNT] = {y->agents_count, y->num_predict_count, y->arrival_rate_count,
                                             y->num_parallel_count,
                                             y->servers_per_gpu_count};
    for (int a = 0; a < TDM_AXIS_COUNT; a++) {
        if (!counts[a])
            continue;
        if (!(e->axes[a].values = calloc(counts[a], sizeof *e->axes[a].values))) {
            c->oom = true;
            return;
        }
        size_t k = 0;
        for (size_t i = 0; i < counts[a]; i++) {
            char f[64];
            snprintf(f, sizeof f, "axes.%s[%zu]", tdm_sweep_axis_name((tdm_sweep_axis_id)a), i);
            int64_t v = 0;
            if (a == TDM_AXIS_ARRIVAL_RATE)
                conv_rate(c, f, (*vals[a])[i], &v);
            else
                conv_int(c, f, (*vals[a])[i], 1, axis_max[a], &v);
            if (v < 1)
                continue;
            bool dup_v = false;
            for (size_t j = 0; j < k; j++)
                dup_v = dup_v || e->axes[a].values[j] == v;
            if (dup_v)
                problem(c, f, "%s is listed twice; list each value once (repetitions: sets the count)",
                        (*vals[a])[i]);
            else
                e->axes[a].values[k++] = v;
        }
        e->axes[a].n = k;
    }
}

static void convert(ctx *c, const y_exp *y, tdm_experiment *e)
{
    e->name = dup(c, y->name);
    e->description = dup(c, y->description);
    e->output = dup(c, y->output);
    if (y->seed) {
        uint64_t v;
        if (*y->seed == '+' || !tdm_scalar_u64(y->seed, &v) || v > INT64_MAX)
            problem(c, "seed", "'%s' is not a whole number from 0 to 9223372036854775807", y->seed);
        else {
            e->seed = v;
            e->has_seed = true;
        }
    }
    if (y->order) {
        if (strcmp(y->order, "blocks") == 0)
            e->order = TDM_SWEEP_ORDER_BLOCKS;
        else if (strcmp(y->order, "sequential") == 0)
            e->order = TDM_SWEEP_ORDER_SEQUENTIAL;
        else
            problem(c, "order", "'%s' is not an order; write blocks (randomised, the default) or sequential",
                    y->order);
    }
    conv_int32(c, "repetitions", y->repetitions, 1, 10000, &e->repetitions);
    if (y->pins) {
        e->pins.ollama_version = dup(c, y->pins->ollama_version);
        e->pins.model = dup(c, y->pins->model);
        e->pins.model_digest = dup(c, y->pins->model_digest);
        e->pins.gpu = dup(c, y->pins->gpu);
        const char *v = y->pins->model_in_vram;
        e->pins.vram = e->pins.gpu ? TDM_VRAM_SOME : TDM_VRAM_UNCHECKED;
        if (v && strcmp(v, "full") == 0)
            e->pins.vram = TDM_VRAM_FULL;
        else if (v && strcmp(v, "some") == 0)
            e->pins.vram = TDM_VRAM_SOME;
        else if (v && strcmp(v, "any") == 0)
            e->pins.vram = TDM_VRAM_UNCHECKED;
        else if (v)
            problem(c, "pins.model_in_vram",
                    "'%s' is not a choice; write full (size_vram == size on every server), some (size_vram > 0) "
                    "or any (not checked)",
                    v);
    }
    if (y->endpoints) {
        e->collector_url = dup(c, y->endpoints->collector);
        e->insight_url = dup(c, y->endpoints->insight);
    }
    if (y->variants_count) {
        e->variants = calloc(y->variants_count, sizeof *e->variants);
        if (!e->variants) {
            c->oom = true;
            return;
        }
        e->n_variants = y->variants_count;
        for (size_t i = 0; i < e->n_variants; i++)
            e->variants[i] = dup(c, y->variants[i]);
    }
    if (y->configurations_count) {
        e->configs = calloc(y->configurations_count, sizeof *e->configs);
        if (!e->configs) {
            c->oom = true;
            return;
        }
        e->n_configs = y->configurations_count;
        for (size_t i = 0; i < e->n_configs; i++) {
            const y_config *yc = &y->configurations[i];
            tdm_sweep_config *cf = &e->configs[i];
            char f[64];
            cf->name = dup(c, yc->name);
            cf->description = dup(c, yc->description);
            cf->scenario = dup(c, yc->scenario);
            snprintf(f, sizeof f, "configurations[%zu].chimera", i);
            conv_opts(c, f, yc->chimera, &cf->chimera);
            snprintf(f, sizeof f, "configurations[%zu].chimera2", i);
            conv_opts(c, f, yc->chimera2, &cf->chimera2);
            /* Marked so resolve can tell "chimera2: given" from "not given". */
            cf->has_chimera = yc->chimera != NULL;
            cf->has_chimera2 = yc->chimera2 != NULL;
            if (yc->endpoints) {
                cf->collector_url = dup(c, yc->endpoints->collector);
                cf->insight_url = dup(c, yc->endpoints->insight);
                cf->has_endpoints = true;
            }
        }
    }
    conv_run(c, y->run, &e->run);
    conv_axes(c, y->axes, e);
    if (y->server_launcher) {
        if (!*y->server_launcher)
            problem(c, "server_launcher", "empty; write the command that (re)starts the servers, e.g. just ollama-up");
        else
            e->server_launcher = dup(c, y->server_launcher);
    }
    conv_ms(c, "server_ready_timeout_ms", y->server_ready_timeout_ms, 1000, &e->server_ready_timeout_ms);
}

/* ---- public ---------------------------------------------------------------------- */

int tdm_experiment_load_string(const char *yaml, size_t len, const char *source, const char *base_dir,
                               tdm_experiment *e, tdm_buf *problems)
{
    ctx c = {source ? source : "<experiment>", problems, 0, false};
    tdm_experiment_init(e);
    void *data;
    tdm_yaml_warning warn;
    char err[2048];
    if (tdm_yaml_load(yaml, len, &exp_yaml, c.src, &data, &warn, err, sizeof err) != 0) {
        if (problems)
            tdm_buf_printf(problems, "%s\n", err);
        tdm_experiment_free(e);
        return -1;
    }
    if (warn.text[0])
        problem(&c, "(file)",
                warn.more_documents ? "holds more than one YAML document; keep one experiment per file (libcyaml: %s)"
                                    : "libcyaml warned: %s; change the file so it loads without warnings",
                warn.text);
    if (!data) {
        problem(&c, "(file)", "empty; an experiment needs pins:, variants: and configurations: "
                              "(see experiments/tr115.yaml)");
        tdm_experiment_free(e);
        return -1;
    }
    convert(&c, data, e);
    tdm_yaml_free(&exp_yaml, data);
    if (!c.oom && base_dir && !(e->dir = strdup(base_dir)))
        c.oom = true;
    if (!c.oom && !(e->path = strdup(c.src)))
        c.oom = true;
    tdm_sha256_hex(yaml, len, e->sha256);
    if (c.oom) {
        if (problems)
            tdm_buf_printf(problems, "%s: out of memory\n", c.src);
        tdm_experiment_free(e);
        return -1;
    }
    int resolved = tdm_experiment_resolve(e, c.src, problems);
    if (c.n > 0 || resolved != 0) {
        tdm_experiment_free(e);
        return -1;
    }
    return 0;
}

int tdm_experiment_load_file(const char *path, tdm_experiment *e, tdm_buf *problems)
{
    tdm_experiment_init(e);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (problems)
            tdm_buf_printf(problems,
                           "%s: cannot open the experiment file: %s; check the path (e.g. experiments/tr115.yaml)\n",
                           path, strerror(errno));
        return -1;
    }
    tdm_buf b = {0};
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > MAX_FILE_BYTES || tdm_buf_append(&b, chunk, n) != 0) {
            if (problems)
                tdm_buf_printf(problems, "%s: larger than %u MiB (or out of memory); is this an experiment file?\n",
                               path, MAX_FILE_BYTES >> 20);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        if (problems)
            tdm_buf_printf(problems, "%s: read error: %s\n", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    if (rc == 0) {
        char *copy = strdup(path);
        char *slash = copy ? strrchr(copy, '/') : NULL;
        const char *dir = ".";
        if (slash == copy)
            dir = "/";
        else if (slash) {
            *slash = '\0';
            dir = copy;
        }
        rc = copy ? tdm_experiment_load_string(tdm_buf_str(&b), b.len, path, dir, e, problems) : -1;
        free(copy);
    }
    tdm_buf_free(&b);
    return rc;
}
