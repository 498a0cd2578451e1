/* baseline.c — comparisons against baselines. A baseline is either a value quoted from
 * elsewhere with its provenance ("TR110 Python=99.25 (mean of 5 runs)"), tested with a
 * one-sample t-test of each cell's runs (the gap mean - value with its CI), or another
 * results set, tested with the same two-sample tests as the variants (Welch with the CI
 * of the gap, Mann-Whitney, Hedges' g, Cliff's delta) against the set's runs of the
 * same configuration, or all its runs when it has none of that configuration. Every
 * cell and every variant pooled over its configurations is tested; p-values are
 * Holm-adjusted within each (baseline, scope) family. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/analysis.h"
#include "report/values.h"

static char *trimmed(const char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

int tdm_rep_baseline_parse(const char *spec, tdm_rep_baseline *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    b->value = NAN;
    const char *eq = spec ? strchr(spec, '=') : NULL;
    if (!eq) {
        snprintf(err, errlen, "baseline '%s' has no '=': write NAME=VALUE (provenance), e.g. \"TR110 Python=99.25 "
                              "(mean of 5 runs)\"", spec ? spec : "");
        return -1;
    }
    b->name = trimmed(spec, (size_t)(eq - spec));
    if (!b->name || !*b->name) {
        snprintf(err, errlen, "baseline '%s' has an empty name", spec);
        tdm_rep_baseline_free(b);
        return -1;
    }
    char *end;
    double v = strtod(eq + 1, &end);
    if (end == eq + 1 || !isfinite(v)) {
        snprintf(err, errlen, "baseline '%s': '%s' is not a number", spec, eq + 1);
        tdm_rep_baseline_free(b);
        return -1;
    }
    b->value = v;
    while (isspace((unsigned char)*end))
        end++;
    if (*end == '%')
        end++;
    size_t len = strlen(end);
    /* "(words)" loses its parentheses; anything else is kept as the provenance */
    const char *close = len ? strrchr(end, ')') : NULL;
    while (isspace((unsigned char)*end))
        end++;
    if (*end == '(' && close && close > end)
        b->provenance = trimmed(end + 1, (size_t)(close - end - 1));
    else
        b->provenance = trimmed(end, strlen(end));
    if (!b->provenance) {
        tdm_rep_baseline_free(b);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void tdm_rep_baseline_free(tdm_rep_baseline *b)
{
    free(b->name);
    free(b->provenance);
    free(b->dir);
    tdm_rep_dataset_free(&b->set);
    memset(b, 0, sizeof *b);
    b->value = NAN;
}

const char *tdm_rep_baseline_metric_note(int metric)
{
    /* METRICS.md, legacy_efficiency_pct: a value quoted from the seed's reports can only
     * be compared on the seed's own definition, and that definition hides contention. */
    if (metric == TDM_M_LEGACY_EFFICIENCY)
        return "legacy_efficiency_pct is the seed harness's \"parallel efficiency\", 100 × the sum of the agents' "
               "concurrent times / (N × the concurrent wall time): it shows how evenly the agents' runs overlapped, "
               "and a quoted seed value compares like with like only on it. It cannot show whether running "
               "together was faster than running one after another: agents sharing one device at half speed each "
               "still score about 100 %; efficiency_pct, from a sequential phase, shows that.";
    return NULL;
}

static tdm_rep_baseline_result *add_res(tdm_rep_analysis *an)
{
    if (an->n_base == an->cap_base) {
        size_t cap = an->cap_base ? an->cap_base * 2 : 32;
        tdm_rep_baseline_result *p = realloc(an->base, cap * sizeof *p);
        if (!p)
            return NULL;
        an->base = p;
        an->cap_base = cap;
    }
    tdm_rep_baseline_result *r = &an->base[an->n_base++];
    memset(r, 0, sizeof *r);
    return r;
}

/* A results set's runs of one configuration (all runs when config is NULL). */
static double *set_values(const tdm_rep_dataset *set, const char *config, int metric, size_t *n)
{
    *n = 0;
    double *v = malloc((set->n_runs ? set->n_runs : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < set->n_runs; i++) {
        const tdm_rep_run *r = &set->runs[i];
        if (config && strcmp(set->dirs[r->dir].configuration, config) != 0)
            continue;
        if (isfinite(r->v[metric]))
            v[(*n)++] = r->v[metric];
    }
    return v;
}

static int one(tdm_rep_analysis *an, int bi, int variant, int config)
{
    const tdm_rep_dataset *ds = an->ds;
    const tdm_rep_baseline *b = &an->baselines[bi];
    int metric = an->settings.baseline_metric;
    double level = 1.0 - an->settings.alpha;
    size_t n;
    double *x = tdm_rep_values(ds, variant, config, -1, metric, 0, &n, NULL);
    if (n == 0) {
        free(x);
        return 0;
    }
    tdm_rep_baseline_result *r = add_res(an);
    if (!r) {
        free(x);
        return -1;
    }
    r->baseline = bi;
    r->variant = variant;
    r->config = config;
    r->metric = metric;
    r->n = n;
    r->mean = tdm_stats_mean(x, n);
    r->p_holm = r->p_mw_holm = r->hedges_g = r->cliffs_delta = r->mean_base = NAN;
    r->mw.p = r->mw.u1 = r->mw.u2 = r->mw.z = NAN;
    if (!b->dir) {
        tdm_stats_one_sample_t(x, n, b->value, level, &r->gap);
        r->n_base = 0;
        r->mean_base = b->value;
    } else {
        size_t nb = 0;
        double *y = NULL;
        if (config >= 0) {
            y = set_values(&b->set, ds->configs[config], metric, &nb);
            r->matched_config = nb > 0;
        }
        if (nb == 0) {
            free(y);
            y = set_values(&b->set, NULL, metric, &nb);
        }
        r->n_base = nb;
        if (nb > 0) {
            r->mean_base = tdm_stats_mean(y, nb);
            tdm_stats_welch_gap(x, n, y, nb, level, &r->gap);
            if (tdm_stats_mann_whitney(x, n, y, nb, &r->mw) != TDM_STATS_OK)
                r->mw.p = NAN;
            tdm_stats_hedges_g(x, n, y, nb, &r->hedges_g);
            tdm_stats_cliffs_delta(x, n, y, nb, &r->cliffs_delta);
        } else {
            r->gap.diff = r->gap.lo = r->gap.hi = r->gap.p = r->gap.t = r->gap.df = r->gap.se = NAN;
        }
        free(y);
    }
    free(x);
    return 0;
}

static int holm_family(tdm_rep_analysis *an, int bi, bool pooled, int which)
{
    size_t k = 0;
    double *p = malloc((an->n_base ? an->n_base : 1) * sizeof *p);
    size_t *idx = malloc((an->n_base ? an->n_base : 1) * sizeof *idx);
    if (!p || !idx) {
        free(p);
        free(idx);
        return -1;
    }
    for (size_t i = 0; i < an->n_base; i++) {
        const tdm_rep_baseline_result *r = &an->base[i];
        if (r->baseline != bi || (r->config < 0) != pooled)
            continue;
        double pv = which == 0 ? r->gap.p : r->mw.p;
        idx[k] = i;
        p[k++] = isfinite(pv) && pv >= 0 && pv <= 1 ? pv : NAN;
    }
    if (k > 0 && tdm_stats_holm(p, k, p) == TDM_STATS_OK)
        for (size_t j = 0; j < k; j++) {
            tdm_rep_baseline_result *r = &an->base[idx[j]];
            if (which == 0) {
                r->p_holm = p[j];
                r->significant = !isnan(p[j]) && p[j] < an->settings.alpha;
            } else {
                r->p_mw_holm = p[j];
            }
        }
    free(p);
    free(idx);
    return 0;
}

int tdm_rep_compare_baselines(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    for (size_t bi = 0; bi < an->n_baselines; bi++) {
        for (size_t c = 0; c < ds->n_cells; c++)
            if (one(an, (int)bi, ds->cells[c].variant, ds->cells[c].config))
                return -1;
        for (size_t v = 0; v < ds->n_variants; v++)
            if (one(an, (int)bi, (int)v, -1))
                return -1;
        for (int which = 0; which < 2; which++)
            if (holm_family(an, (int)bi, false, which) || holm_family(an, (int)bi, true, which))
                return -1;
    }
    return 0;
}
