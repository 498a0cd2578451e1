/* gain_curve.c — the gain curve (see gain_curve.h, and tdm_rep_curve_analyze in
 * analysis.h): runs grouped by variant, line and agent count, the per-run numbers
 * summarised per point, and each line's knee and best operating point. A part of the
 * analysis like tails.c: it reads the grouped dataset and writes only its own fields.
 *
 * A line is what stays fixed while N varies: the configuration's "key=value" parts other
 * than the agent count (num_parallel=2, servers_per_gpu=1, ...) and the server layout the
 * provenance shows (one shared server, a server per agent). A run with one agent has no
 * layout of its own, so it joins every line of its variant and configuration parts. */
#include "report/gain_curve.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/quantile.h"
#include "report/analysis.h"
#include "report/open_loop.h"
#include "report/values.h"

const char *tdm_rep_knee_key(int reason)
{
    switch (reason) {
    case TDM_REP_KNEE_EFFICIENCY:
        return "efficiency_below_75pct";
    case TDM_REP_KNEE_TOKENS:
        return "tokens_growth_below_5pct_per_doubling";
    default:
        return "none";
    }
}

void tdm_rep_curve_free(tdm_rep_curve *c)
{
    for (size_t i = 0; i < c->n_lines; i++) {
        free(c->lines[i].layout);
        free(c->lines[i].label);
        free(c->lines[i].points);
    }
    free(c->lines);
    memset(c, 0, sizeof *c);
}

void tdm_rep_curve_judge(tdm_rep_curve_line *l)
{
    l->knee = l->best = -1;
    l->knee_reason = TDM_REP_KNEE_NONE;
    for (size_t i = 0; i < l->n_points; i++) {
        tdm_rep_curve_point *p = &l->points[i];
        p->growth_pct = NAN;
        if (i == 0)
            continue;
        const tdm_rep_curve_point *q = &l->points[i - 1];
        double a = q->tokens_s.mean, b = p->tokens_s.mean;
        if (isfinite(a) && isfinite(b) && a > 0 && b >= 0 && p->n_agents > q->n_agents)
            p->growth_pct = 100.0 * (pow(b / a, 1.0 / log2((double)p->n_agents / (double)q->n_agents)) - 1.0);
    }
    for (size_t i = 0; i < l->n_points && l->knee < 0; i++) {
        const tdm_rep_curve_point *p = &l->points[i];
        if (isfinite(p->efficiency.mean) && p->efficiency.mean < TDM_REP_KNEE_EFF_PCT) {
            l->knee = (long)i;
            l->knee_reason = TDM_REP_KNEE_EFFICIENCY;
        } else if (isfinite(p->growth_pct) && p->growth_pct < TDM_REP_KNEE_GROWTH_PCT) {
            l->knee = (long)i;
            l->knee_reason = TDM_REP_KNEE_TOKENS;
        }
    }
    /* increasing N and a strict ">": a tie goes to the smaller N */
    for (size_t i = 0; i < l->n_points; i++) {
        const tdm_rep_curve_point *p = &l->points[i];
        if (!isfinite(p->tokens_s.mean) || !(p->efficiency.mean >= TDM_REP_KNEE_EFF_PCT))
            continue;
        if (l->best < 0 || p->tokens_s.mean > l->points[l->best].tokens_s.mean)
            l->best = (long)i;
    }
}

/* ---- which line a run is on ------------------------------------------------------ */

typedef struct run_line {
    bool used;                 /* a tandem run with a concurrent phase */
    char *parts;               /* the configuration's parts other than N ("" when none) */
    char *layout;              /* the server layout; NULL with one agent (it fits every layout) */
} run_line;

/* The keys that say a run's agent count: the gain curve's x axis. */
static const char *const COUNT_KEYS[] = {"agents", "n_agents", "num_agents", "n", NULL};

static bool is_axis_key(const char *k, size_t len, const char *const *keys)
{
    const char *dot = memchr(k, '.', len);
    while (dot) { /* the last dotted component: "scenario.agents" is "agents" */
        len -= (size_t)(dot + 1 - k);
        k = dot + 1;
        dot = memchr(k, '.', len);
    }
    for (size_t i = 0; keys[i]; i++)
        if (strlen(keys[i]) == len && strncmp(k, keys[i], len) == 0)
            return true;
    return false;
}

/* Whether the configuration names one of the axis keys ("..., agents=4": a sweep point). */
bool tdm_rep_config_names(const char *config, const char *const *axis_keys)
{
    for (const char *p = config; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        const char *eq = memchr(p, '=', len);
        if (eq && eq > p && is_axis_key(p, (size_t)(eq - p), axis_keys))
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

/* "agents=4, num_parallel=2, chimera" -> "num_parallel=2": the "key=value" parts other
 * than the axis. A bare name (a scenario's) usually says the axis's value itself, so it is
 * left out rather than split one curve into one line per point; for a sweep point (one
 * that names its axis) the bare name is kept ("shared, agents=4" and "shared, agents=8"
 * are one line "shared"). */
char *tdm_rep_line_parts(const char *config, const char *const *axis_keys)
{
    tdm_buf b = {0};
    bool sweep_point = tdm_rep_config_names(config, axis_keys);
    const char *p = config;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        const char *eq = memchr(p, '=', len);
        if ((eq && eq > p && !is_axis_key(p, (size_t)(eq - p), axis_keys)) || (!eq && len && sweep_point)) {
            if (b.len)
                tdm_buf_append_str(&b, ", ");
            tdm_buf_append(&b, p, len);
        }
        p = end ? end + 1 : NULL;
    }
    return tdm_buf_steal(&b);
}

/* How the run's agents were spread over servers, from the provenance's scenario. */
static char *layout_of(const tdm_rep_dir *d, size_t n_agents)
{
    json_t *agents = json_object_get(json_object_get(d->prov, "scenario"), "agents");
    size_t n = json_array_size(agents), distinct = 0;
    if (n_agents < 2 || n != n_agents)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *u = json_string_value(json_object_get(json_array_get(agents, i), "url"));
        if (!u)
            return NULL;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *w = json_string_value(json_object_get(json_array_get(agents, j), "url"));
            seen = w && strcmp(u, w) == 0;
        }
        distinct += !seen;
    }
    tdm_buf b = {0};
    if (distinct == 1)
        tdm_buf_append_str(&b, "one shared server");
    else if (distinct == n)
        tdm_buf_append_str(&b, "a server per agent");
    else if (n % distinct == 0)
        tdm_buf_printf(&b, "%zu agents per server", n / distinct);
    else
        tdm_buf_printf(&b, "%zu servers", distinct);
    return tdm_buf_steal(&b);
}

static bool on_line(const run_line *r, const char *parts, const char *layout)
{
    return r->used && strcmp(r->parts, parts) == 0 && (!r->layout || strcmp(r->layout, layout) == 0);
}

/* ---- one point ----------------------------------------------------------------- */

/* The mean of x's finite values and its CI, as tdm_rep_summarize computes them (the same
 * stats calls and the same per-sample bootstrap stream from the key) without calling back
 * into analysis.c, which calls this file. */
void tdm_rep_curve_value_of(const tdm_rep_analysis *an, double *x, size_t n, bool boot, const char *key,
                            tdm_rep_curve_value *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            x[k++] = x[i];
    tdm_stats_desc d;
    tdm_stats_ci ci = {.lo = NAN, .hi = NAN};
    tdm_stats_describe(x, k, &d);
    double level = 1.0 - an->settings.alpha;
    if (boot) {
        uint64_t seed = an->settings.seed ^ tdm_rep_hash(0, key);
        if (tdm_stats_ci_mean_boot(x, k, level, an->settings.resamples, seed, &ci) != TDM_STATS_OK)
            ci.lo = ci.hi = NAN;
    } else {
        tdm_stats_ci_mean_t(x, k, level, &ci);
    }
    out->n = d.n;
    out->mean = d.mean;
    out->sd = d.sd;
    out->lo = ci.lo;
    out->hi = ci.hi;
}

/* The mean over the run's agents of T_conc_i / T_seq_i (each the sum of the agent's
 * successful call times in the phase; an agent with a failed call has none). */
static double run_slowdown(const tdm_rep_dataset *ds, const tdm_rep_run *r, double *t)
{
    size_t na = r->n_agents;
    for (size_t a = 0; a < 2 * na; a++)
        t[a] = 0.0;
    for (size_t i = r->first_call; i < r->first_call + r->n_calls; i++) {
        const tdm_rep_call *c = &ds->calls[i];
        if (c->agent < 0 || (size_t)c->agent >= na || c->phase == TDM_PHASE_WARMUP)
            continue;
        double *slot = &t[2 * (size_t)c->agent + (c->phase == TDM_PHASE_CONCURRENT)];
        *slot = c->ok && isfinite(c->m.e2e_ms) ? *slot + c->m.e2e_ms : NAN;
    }
    double sum = 0.0;
    size_t n = 0;
    for (size_t a = 0; a < na; a++)
        if (isfinite(t[2 * a]) && isfinite(t[2 * a + 1]) && t[2 * a] > 0 && t[2 * a + 1] > 0) {
            sum += t[2 * a + 1] / t[2 * a];
            n++;
        }
    return n ? sum / (double)n : NAN;
}

/* Fills p from the runs of the line with p->n_agents agents. Returns 0 or -1 (memory). */
static int point_of(const tdm_rep_analysis *an, const run_line *rl, const tdm_rep_curve_line *l, const char *parts,
                    const char *layout, tdm_rep_curve_point *p)
{
    const tdm_rep_dataset *ds = an->ds;
    size_t nr = 0, ncalls = 0, nt = 0;
    for (size_t r = 0; r < ds->n_runs; r++)
        if (on_line(&rl[r], parts, layout) && ds->cells[ds->runs[r].cell].variant == l->variant &&
            ds->runs[r].n_agents == p->n_agents) {
            nr++;
            ncalls += ds->runs[r].n_calls;
        }
    double *x = malloc(3 * (nr ? nr : 1) * sizeof *x);
    double *ttft = malloc((ncalls ? ncalls : 1) * sizeof *ttft);
    double *t = malloc(2 * (p->n_agents ? p->n_agents : 1) * sizeof *t);
    if (!x || !ttft || !t) {
        free(x);
        free(ttft);
        free(t);
        return -1;
    }
    double *eff = x, *tps = x + nr, *slow = x + 2 * nr;
    size_t k = 0;
    for (size_t r = 0; r < ds->n_runs; r++) {
        const tdm_rep_run *run = &ds->runs[r];
        if (!on_line(&rl[r], parts, layout) || ds->cells[run->cell].variant != l->variant ||
            run->n_agents != p->n_agents)
            continue;
        eff[k] = run->v[TDM_M_EFFICIENCY];
        double tc = run->v[TDM_M_T_CONC];
        tps[k] = isfinite(tc) && tc > 0 ? (double)run->tokens_conc / tc : NAN;
        slow[k] = run_slowdown(ds, run, t);
        k++;
        for (size_t i = run->first_call; i < run->first_call + run->n_calls; i++) {
            const tdm_rep_call *c = &ds->calls[i];
            if (tdm_rep_call_counts(c, TDM_REP_CONC) && isfinite(c->m.ttft_ms))
                ttft[nt++] = c->m.ttft_ms;
        }
    }
    p->n_runs = nr;
    static const char *const metric[] = {"efficiency_pct", "tokens_per_s", "slowdown"};
    for (int m = 0; m < 3; m++) {
        tdm_buf key = {0};
        tdm_buf_printf(&key, "curve|%s|%s|%s|%zu|%s", ds->variants[l->variant].name, ds->variants[l->variant].source,
                       l->layout, p->n_agents, metric[m]);
        tdm_rep_curve_value *out = m == 0 ? &p->efficiency : m == 1 ? &p->tokens_s : &p->slowdown;
        tdm_rep_curve_value_of(an, x + (size_t)m * nr, nr, m == 0, tdm_buf_str(&key), out);
        tdm_buf_free(&key);
    }
    p->ttft.n = nt;
    p->ttft.p50 = tdm_quantile_inplace(ttft, nt, 0.50);
    p->ttft.p90 = tdm_quantile_inplace(ttft, nt, 0.90);
    p->ttft.p99 = tdm_quantile_inplace(ttft, nt, 0.99);
    free(x);
    free(ttft);
    free(t);
    return 0;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The points of a line: one per agent count among its runs. Returns 0 or -1. */
static int line_points(const tdm_rep_analysis *an, const run_line *rl, tdm_rep_curve_line *l, const char *parts,
                       const char *layout)
{
    const tdm_rep_dataset *ds = an->ds;
    size_t *ns = malloc((ds->n_runs ? ds->n_runs : 1) * sizeof *ns), n = 0;
    if (!ns)
        return -1;
    for (size_t r = 0; r < ds->n_runs; r++) {
        if (!on_line(&rl[r], parts, layout) || ds->cells[ds->runs[r].cell].variant != l->variant)
            continue;
        bool seen = false;
        for (size_t i = 0; i < n && !seen; i++)
            seen = ns[i] == ds->runs[r].n_agents;
        if (!seen)
            ns[n++] = ds->runs[r].n_agents;
    }
    qsort(ns, n, sizeof *ns, cmp_size);
    l->points = calloc(n ? n : 1, sizeof *l->points);
    if (!l->points) {
        free(ns);
        return -1;
    }
    l->n_points = n;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        l->points[i].n_agents = ns[i];
        rc = point_of(an, rl, l, parts, layout, &l->points[i]);
    }
    free(ns);
    if (rc == 0)
        tdm_rep_curve_judge(l);
    return rc;
}

/* ---- the lines ------------------------------------------------------------------ */

/* Adds the line (variant, parts, layout) unless it is there. Returns 0 or -1. */
static int add_line(const tdm_rep_dataset *ds, tdm_rep_curve *cv, char ***keys, int variant, const char *parts,
                    const char *layout)
{
    for (size_t i = 0; i < cv->n_lines; i++)
        if (cv->lines[i].variant == variant && strcmp((*keys)[2 * i], parts) == 0 &&
            strcmp((*keys)[2 * i + 1], layout) == 0)
            return 0;
    tdm_rep_curve_line *nl = realloc(cv->lines, (cv->n_lines + 1) * sizeof *nl);
    if (!nl)
        return -1;
    cv->lines = nl;
    char **nk = realloc(*keys, 2 * (cv->n_lines + 1) * sizeof *nk);
    if (!nk)
        return -1;
    *keys = nk;
    tdm_rep_curve_line *l = &cv->lines[cv->n_lines];
    memset(l, 0, sizeof *l);
    l->variant = variant;
    l->knee = l->best = -1;
    nk[2 * cv->n_lines] = tdm_rep_strdup(parts);
    nk[2 * cv->n_lines + 1] = tdm_rep_strdup(layout);
    cv->n_lines++;
    tdm_buf b = {0};
    tdm_buf_append_str(&b, parts);
    if (*parts && *layout)
        tdm_buf_append_str(&b, ", ");
    tdm_buf_append_str(&b, layout);
    l->layout = tdm_buf_steal(&b);
    if (!l->layout)
        return -1;
    tdm_buf_printf(&b, "%s", ds->variants[variant].label);
    if (*l->layout)
        tdm_buf_printf(&b, " (%s)", l->layout);
    l->label = tdm_buf_steal(&b);
    return l->layout && l->label && nk[2 * cv->n_lines - 2] && nk[2 * cv->n_lines - 1] ? 0 : -1;
}

static int cmp_line(const void *a, const void *b)
{
    const tdm_rep_curve_line *x = a, *y = b;
    if (x->variant != y->variant)
        return x->variant < y->variant ? -1 : 1;
    return strcmp(x->layout, y->layout);
}

/* Which runs count, and their line keys; true when they span two agent counts or more. */
static bool runs_of_curve(const tdm_rep_dataset *ds, run_line *rl, bool *oom)
{
    size_t first = 0;
    bool several = false;
    for (size_t r = 0; r < ds->n_runs; r++) {
        const tdm_rep_run *run = &ds->runs[r];
        /* an open-loop run's agents are its arrivals, not N agents at once: it has a curve
         * of its own, against the offered rate (open_loop.c); a workflow's agents wait for
         * one another's steps, so what it can gain is set by its dependencies, not by N
         * (workflows.c sets its makespan against its critical path) */
        if (run->cell < 0 || !run->has_concurrent || run->n_agents == 0 || ds->dirs[run->dir].legacy ||
            run->workflow || tdm_rep_dir_open_loop(&ds->dirs[run->dir], NULL, NULL))
            continue;
        rl[r].used = true;
        rl[r].parts = tdm_rep_line_parts(ds->dirs[run->dir].configuration, COUNT_KEYS);
        /* a sweep point's configuration is its line; otherwise the servers tell layouts apart
         * (a fixed pool of servers would read as a different layout at every N) */
        rl[r].layout = tdm_rep_config_names(ds->dirs[run->dir].configuration, COUNT_KEYS)
                           ? NULL
                           : layout_of(&ds->dirs[run->dir], run->n_agents);
        if (!rl[r].parts)
            *oom = true;
        if (first && first != run->n_agents)
            several = true;
        first = run->n_agents;
    }
    return several;
}

static int build_lines(const tdm_rep_dataset *ds, const run_line *rl, tdm_rep_curve *cv, char ***keys)
{
    for (size_t r = 0; r < ds->n_runs; r++)
        if (rl[r].used && rl[r].layout &&
            add_line(ds, cv, keys, ds->cells[ds->runs[r].cell].variant, rl[r].parts, rl[r].layout) != 0)
            return -1;
    /* a one-agent run joins the lines of its variant and parts; only without any, its own */
    for (size_t r = 0; r < ds->n_runs; r++) {
        if (!rl[r].used || rl[r].layout)
            continue;
        int v = ds->cells[ds->runs[r].cell].variant;
        bool found = false;
        for (size_t i = 0; i < cv->n_lines && !found; i++)
            found = cv->lines[i].variant == v && strcmp((*keys)[2 * i], rl[r].parts) == 0;
        if (!found && add_line(ds, cv, keys, v, rl[r].parts, "") != 0)
            return -1;
    }
    return 0;
}

int tdm_rep_curve_analyze(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_rep_curve *cv = &an->curve;
    run_line *rl = calloc(ds->n_runs ? ds->n_runs : 1, sizeof *rl);
    if (!rl)
        return -1;
    bool oom = false;
    bool several = runs_of_curve(ds, rl, &oom);
    char **keys = NULL;
    int rc = oom ? -1 : 0;
    if (rc == 0 && several)
        rc = build_lines(ds, rl, cv, &keys);
    for (size_t i = 0; rc == 0 && i < cv->n_lines; i++)
        rc = line_points(an, rl, &cv->lines[i], keys[2 * i], keys[2 * i + 1]);
    for (size_t i = 0; i < 2 * cv->n_lines && keys; i++)
        free(keys[i]);
    free(keys);
    for (size_t r = 0; r < ds->n_runs; r++) {
        free(rl[r].parts);
        free(rl[r].layout);
    }
    free(rl);
    if (rc == 0 && cv->n_lines > 1)
        qsort(cv->lines, cv->n_lines, sizeof *cv->lines, cmp_line);
    return rc;
}
