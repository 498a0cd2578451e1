/* plan.c — cells, their order, directories and child command lines (see plan.h). */
#include "sweep/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/prng.h"

uint64_t tdm_sweep_block_seed(uint64_t seed, int block)
{
    uint64_t st = seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(block > 0 ? block : 0));
    return tdm_splitmix64(&st);
}

/* The seed of block b of server group g: group 0 keeps the seeds of a sweep without axes. */
static uint64_t group_block_seed(uint64_t seed, size_t g, int b)
{
    if (g == 0)
        return tdm_sweep_block_seed(seed, b);
    uint64_t st = seed ^ (0xD1B54A32D192ED03ULL * (uint64_t)g);
    return tdm_sweep_block_seed(tdm_splitmix64(&st), b);
}

int tdm_sweep_plan(const tdm_experiment *e, tdm_sweep_order order, uint64_t seed, tdm_sweep_cell **cells, size_t *n)
{
    *cells = NULL;
    *n = 0;
    size_t ncp = e->n_client_points ? e->n_client_points : 1;
    size_t groups = (e->n_points ? e->n_points : 1) / ncp;
    size_t units = e->n_variants * e->n_configs * ncp; /* per group and block */
    size_t total = tdm_experiment_cell_count(e);
    if (total == 0 || units == 0)
        return 0;
    tdm_sweep_cell *v = calloc(total, sizeof *v);
    int *perm = calloc(units, sizeof *perm);
    if (!v || !perm || units > (size_t)INT32_MAX) {
        free(v);
        free(perm);
        return -1;
    }
    size_t k = 0;
    for (size_t g = 0; g < groups; g++) {
        if (order == TDM_SWEEP_ORDER_SEQUENTIAL) {
            for (size_t vi = 0; vi < e->n_variants; vi++)
                for (size_t ci = 0; ci < e->n_configs; ci++)
                    for (size_t q = 0; q < ncp; q++)
                        for (int r = 1; r <= e->repetitions; r++) {
                            v[k] = (tdm_sweep_cell){vi, ci, r, r, k, g * ncp + q, g};
                            k++;
                        }
            continue;
        }
        for (int b = 1; b <= e->repetitions; b++) {
            for (size_t p = 0; p < units; p++)
                perm[p] = (int)p;
            tdm_shuffle_ints(perm, units, group_block_seed(seed, g, b));
            for (size_t p = 0; p < units; p++) {
                size_t u = (size_t)perm[p], pair = u / ncp, q = u % ncp;
                v[k] = (tdm_sweep_cell){pair / e->n_configs, pair % e->n_configs, b, b, k, g * ncp + q, g};
                k++;
            }
        }
    }
    free(perm);
    *cells = v;
    *n = total;
    return 0;
}

char *tdm_sweep_cell_config_part(const tdm_experiment *e, const tdm_sweep_cell *c)
{
    tdm_buf b = {0};
    tdm_buf_append_str(&b, e->configs[c->config].name);
    for (int a = 0; a < TDM_AXIS_COUNT; a++) {
        int64_t val;
        char t[48];
        if (tdm_sweep_point_value(e, c->point, (tdm_sweep_axis_id)a, &val))
            tdm_buf_printf(&b, ".%s%s", tdm_sweep_axis_label((tdm_sweep_axis_id)a),
                           tdm_sweep_axis_value_text((tdm_sweep_axis_id)a, val, true, t, sizeof t));
    }
    return tdm_buf_steal(&b);
}

char *tdm_sweep_cell_id(const tdm_experiment *e, const tdm_sweep_cell *c)
{
    char *cp = tdm_sweep_cell_config_part(e, c);
    if (!cp)
        return NULL;
    tdm_buf b = {0};
    tdm_buf_printf(&b, "%s/%s/rep%d", cp, e->variants[c->variant], c->repetition);
    free(cp);
    return tdm_buf_steal(&b);
}

char *tdm_sweep_cell_dir(const char *out, const tdm_experiment *e, const tdm_sweep_cell *c, tdm_sweep_dir_kind kind)
{
    char *cp = tdm_sweep_cell_config_part(e, c);
    if (!cp)
        return NULL;
    tdm_buf b = {0};
    const char *pre = kind == TDM_SWEEP_DIR_FINAL ? "" : ".";
    const char *post = kind == TDM_SWEEP_DIR_TMP ? ".tmp" : kind == TDM_SWEEP_DIR_FAILED ? ".failed" : "";
    tdm_buf_printf(&b, "%s/%s/%s/%srep%d%s", out, cp, e->variants[c->variant], pre, c->repetition, post);
    free(cp);
    return tdm_buf_steal(&b);
}

char *tdm_sweep_point_scenario_path(const tdm_experiment *e, const tdm_sweep_cell *c, const char *cell_dir)
{
    const tdm_sweep_config *cf = &e->configs[c->config];
    if (!cf->points || !cf->points[c->point].yaml || !cf->scenario_path)
        return NULL;
    /* cell_dir is <out>/<configuration part>/<variant>/<rep dir>: two levels up. */
    char *d = strdup(cell_dir);
    for (int up = 0; d && up < 2; up++) {
        char *slash = strrchr(d, '/');
        if (slash && slash != d)
            *slash = '\0';
    }
    const char *base = strrchr(cf->scenario_path, '/');
    base = base ? base + 1 : cf->scenario_path;
    tdm_buf b = {0};
    if (d)
        tdm_buf_printf(&b, "%s/.scenario/%s", d, base);
    free(d);
    return tdm_buf_steal(&b);
}

/* ---- argv ------------------------------------------------------------------------ */

typedef struct argv_b {
    char **v;
    size_t n, cap;
    bool oom;
} argv_b;

static void push(argv_b *a, const char *s)
{
    if (a->oom)
        return;
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        char **v = realloc(a->v, cap * sizeof *v);
        if (!v) {
            a->oom = true;
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    if (!(a->v[a->n] = strdup(s))) {
        a->oom = true;
        return;
    }
    a->n++;
    a->v[a->n] = NULL;
}

static void push_num(argv_b *a, const char *flag, double v, bool integer)
{
    char s[64];
    if (integer)
        snprintf(s, sizeof s, "%lld", (long long)v);
    else
        snprintf(s, sizeof s, "%.17g", v);
    /* Shortest form that reads back the same: 1.0 -> "1", 0.9 -> "0.9". */
    if (!integer) {
        for (int prec = 1; prec <= 17; prec++) {
            char t[64];
            snprintf(t, sizeof t, "%.*g", prec, v);
            if (strtod(t, NULL) == v) {
                snprintf(s, sizeof s, "%s", t);
                break;
            }
        }
    }
    push(a, flag);
    push(a, s);
}

/* The seed's flag suffixes, in its naming. */
static const struct {
    const char *flag;
    tdm_option_id id;
} agent_flags[] = {
    {"num-gpu", TDM_OPT_NUM_GPU}, {"num-ctx", TDM_OPT_NUM_CTX}, {"temperature", TDM_OPT_TEMPERATURE},
    {"top-p", TDM_OPT_TOP_P},     {"top-k", TDM_OPT_TOP_K},     {"repeat-penalty", TDM_OPT_REPEAT_PENALTY},
};

static void push_agent_opts(argv_b *a, const char *prefix, const tdm_options *o)
{
    for (size_t i = 0; i < sizeof agent_flags / sizeof agent_flags[0]; i++) {
        if (!tdm_options_has(o, agent_flags[i].id))
            continue;
        char flag[64];
        snprintf(flag, sizeof flag, "--%s-%s", prefix, agent_flags[i].flag);
        push_num(a, flag, o->value[agent_flags[i].id], tdm_option_is_int(agent_flags[i].id));
    }
}

char **tdm_sweep_child_argv(const tdm_experiment *e, const tdm_sweep_cell *c, const char *binary,
                            const char *outdir)
{
    argv_b a = {0};
    const tdm_sweep_config *cf = &e->configs[c->config];
    const tdm_sweep_run *r = &e->run;
    push(&a, binary);
    push(&a, "run");
    if (cf->builtin) {
        push(&a, "--scenario");
        push(&a, cf->builtin);
        push(&a, "--model");
        push(&a, e->pins.model);
        push(&a, "--collector-ollama-url");
        push(&a, cf->collector_url);
        push(&a, "--insight-ollama-url");
        push(&a, cf->insight_url);
        push_agent_opts(&a, "chimera", &cf->chimera);
        push_agent_opts(&a, "chimera2", &cf->chimera2);
        if (r->calls_per_agent)
            push_num(&a, "--calls-per-agent", r->calls_per_agent, true);
    } else {
        char *rewritten = tdm_sweep_point_scenario_path(e, c, outdir);
        push(&a, "--scenario-file");
        push(&a, rewritten ? rewritten : cf->scenario_path);
        free(rewritten);
    }
    push_num(&a, "--runs", r->runs_per_cell, true);
    int64_t np;
    if (tdm_sweep_point_value(e, c->point, TDM_AXIS_NUM_PREDICT, &np))
        push_num(&a, "--num-predict", (double)np, true);
    else if (r->has_num_predict)
        push_num(&a, "--num-predict", (double)r->num_predict, true);
    if (r->has_seed)
        push_num(&a, "--seed", (double)r->seed, true);
    if (r->has_num_thread)
        push_num(&a, "--num-thread", (double)r->num_thread, true);
    if (r->keep_alive) {
        push(&a, "--keep-alive");
        push(&a, r->keep_alive);
    }
    if (!r->warmup)
        push(&a, "--no-warmup");
    char gpu[32];
    snprintf(gpu, sizeof gpu, "--gpu-telemetry=%s", tdm_gpu_mode_name(r->gpu_telemetry));
    push(&a, gpu);
    push(&a, "--output-dir");
    push(&a, outdir);
    push(&a, "--quiet");
    push(&a, "--no-lock"); /* the cell holds its servers' locks (run_endpoints.c) */
    if (a.oom) {
        tdm_sweep_argv_free(a.v);
        return NULL;
    }
    return a.v;
}

void tdm_sweep_argv_free(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

int tdm_sweep_shell_quote(tdm_buf *b, const char *w)
{
    bool plain = *w != '\0';
    for (const char *p = w; *p && plain; p++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=@+%", *p) != NULL;
    if (plain)
        return tdm_buf_append_str(b, w);
    int rc = tdm_buf_append_str(b, "'");
    for (const char *p = w; *p && !rc; p++)
        rc = *p == '\'' ? tdm_buf_append_str(b, "'\\''") : tdm_buf_append(b, p, 1);
    return rc ? rc : tdm_buf_append_str(b, "'");
}

char *tdm_sweep_shell_join(char *const *argv)
{
    tdm_buf b = {0};
    int rc = 0;
    for (size_t i = 0; argv[i] && !rc; i++) {
        if (i)
            rc = tdm_buf_append_str(&b, " ");
        rc = rc ? rc : tdm_sweep_shell_quote(&b, argv[i]);
    }
    if (rc) {
        tdm_buf_free(&b);
        return NULL;
    }
    return tdm_buf_steal(&b);
}

/* ---- estimate --------------------------------------------------------------------- */

double tdm_sweep_estimate_cell_s(const tdm_experiment *e, size_t k)
{
    return tdm_sweep_estimate_point_s(e, k, 0);
}

double tdm_sweep_estimate_point_s(const tdm_experiment *e, size_t k, size_t p)
{
    const tdm_sweep_run *r = &e->run;
    if (r->estimate_cell_s > 0)
        return r->estimate_cell_s;
    int64_t num_predict = r->num_predict;
    bool has = r->has_num_predict || tdm_sweep_point_value(e, p, TDM_AXIS_NUM_PREDICT, &num_predict);
    if (r->expected_decode_tps <= 0 || !has)
        return -1;
    const tdm_sweep_config *cf = &e->configs[k];
    size_t calls = cf->points ? cf->points[p].calls_per_run : cf->calls_per_run;
    size_t agents = cf->points ? cf->points[p].n_agents : cf->n_agents;
    double call_s = (double)num_predict / r->expected_decode_tps;
    double phase_s = (double)calls * call_s;
    double warm_s = r->warmup ? (double)agents * (1.0 / r->expected_decode_tps + 0.5) : 0;
    /* one sequential and one concurrent phase per run; ~1 s to start and check servers */
    return (double)r->runs_per_cell * 2.0 * phase_s + warm_s + 1.0;
}

void tdm_sweep_format_duration(double s, char *out, size_t outlen)
{
    if (s < 0) {
        snprintf(out, outlen, "unknown");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, outlen, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
    else if (t >= 60)
        snprintf(out, outlen, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(out, outlen, "%lds", t);
}
