/* compare.c — differences between variants: within each configuration every pair of
 * variants of the same source, and pooled over configurations each variant against its
 * source's reference (over the configurations both ran). Each comparison gets Welch's
 * test with the CI of the difference, Mann-Whitney U, Hedges' g and Cliff's delta; the
 * p-values are Holm-adjusted within their family: one family per (scope, metric,
 * phase), across all configurations. Where the metric has an equivalence margin, TOST
 * then says whether the difference is shown to lie inside it, and the two tests together
 * give the verdict on practical size. Run-level metrics compare runs; per-call metrics
 * compare the calls of the concurrent phase. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/analysis.h"
#include "report/values.h"

static tdm_rep_comparison *add_cmp(tdm_rep_analysis *an)
{
    if (an->n_cmp == an->cap_cmp) {
        size_t cap = an->cap_cmp ? an->cap_cmp * 2 : 64;
        tdm_rep_comparison *p = realloc(an->cmp, cap * sizeof *p);
        if (!p)
            return NULL;
        an->cmp = p;
        an->cap_cmp = cap;
    }
    tdm_rep_comparison *c = &an->cmp[an->n_cmp++];
    memset(c, 0, sizeof *c);
    return c;
}

static bool has_cell(const tdm_rep_dataset *ds, int variant, int config)
{
    for (size_t i = 0; i < ds->n_cells; i++)
        if (ds->cells[i].variant == variant && ds->cells[i].config == config)
            return true;
    return false;
}

/* The comparison's margin in the metric's unit: a relative margin is a percentage of the
 * mean of b, the variant compared against. NaN without one. */
static double resolve_margin(const tdm_rep_margin *m, double mean_b)
{
    if (!(m->value > 0.0))
        return NAN;
    if (!m->relative)
        return m->value;
    double v = m->value / 100.0 * fabs(mean_b);
    return isfinite(v) && v > 0.0 ? v : NAN;
}

/* Runs the tests on two samples; fills everything but the Holm-adjusted values and the
 * verdicts. */
static void test_pair(const double *xa, size_t na, const double *xb, size_t nb, const tdm_rep_settings *s,
                      int metric, tdm_rep_comparison *c)
{
    double level = 1.0 - s->alpha;
    c->n_a = na;
    c->n_b = nb;
    c->mean_a = tdm_stats_mean(xa, na);
    c->mean_b = tdm_stats_mean(xb, nb);
    tdm_stats_welch_gap(xa, na, xb, nb, level, &c->gap);
    if (tdm_stats_mann_whitney(xa, na, xb, nb, &c->mw) != TDM_STATS_OK)
        c->mw.p = c->mw.u1 = c->mw.u2 = c->mw.z = NAN;
    tdm_stats_hedges_g(xa, na, xb, nb, &c->hedges_g);
    tdm_stats_cliffs_delta(xa, na, xb, nb, &c->cliffs_delta);
    c->p_welch_holm = c->p_mw_holm = NAN;
    c->mw_reachable = true; /* until its family says otherwise (mark_reachable) */
    c->margin = resolve_margin(&s->margin[metric], c->mean_b);
    if (isnan(c->margin) || tdm_stats_tost_welch(xa, na, xb, nb, -c->margin, c->margin, s->alpha, &c->tost) !=
                                TDM_STATS_OK) {
        tdm_stats_tost_result none = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
        c->tost = none;
    }
}

/* Significance and equivalence together (see tdm_rep_equiv_verdict). A difference can
 * be both significant and equivalent: real, yet smaller than the margin. */
static tdm_rep_equiv_verdict judge(const tdm_rep_analysis *an, const tdm_rep_comparison *c)
{
    const tdm_rep_margin *m = &an->settings.margin[c->metric];
    if (!(m->value > 0.0))
        return TDM_REP_EQ_NONE;
    if (isnan(c->margin) || isnan(c->tost.p) || isnan(c->p_welch_holm))
        return TDM_REP_EQ_UNTESTABLE;
    if (c->significant) {
        if (c->equivalent)
            return TDM_REP_EQ_WITHIN;
        if (c->tost.lo > c->margin || c->tost.hi < -c->margin)
            return TDM_REP_EQ_BEYOND;
        return TDM_REP_EQ_MAYBE_BEYOND;
    }
    return c->equivalent ? TDM_REP_EQ_EQUIVALENT : TDM_REP_EQ_INCONCLUSIVE;
}

static int compare_one(tdm_rep_analysis *an, int scope, int config, int metric, int phase, int a, int b)
{
    const tdm_rep_dataset *ds = an->ds;
    size_t na, nb;
    /* pooled: only the configurations both variants ran */
    double *xa = tdm_rep_values(ds, a, config, scope == TDM_REP_SCOPE_POOLED ? b : -1, metric, phase, &na, NULL);
    double *xb = tdm_rep_values(ds, b, config, scope == TDM_REP_SCOPE_POOLED ? a : -1, metric, phase, &nb, NULL);
    int rc = 0;
    if (na > 0 && nb > 0) {
        tdm_rep_comparison *c = add_cmp(an);
        if (!c) {
            rc = -1;
        } else {
            c->scope = scope;
            c->config = config;
            c->metric = metric;
            c->phase = phase;
            c->a = a;
            c->b = b;
            test_pair(xa, na, xb, nb, &an->settings, metric, c);
        }
    }
    free(xa);
    free(xb);
    return rc;
}

/* Whether Mann-Whitney could have reached alpha in its Holm family of k comparisons at
 * all: a comparison's adjusted p is at least its own smallest attainable p
 * (tdm_stats_mw_min_p) and at least k times the family's smallest attainable p. When
 * either is alpha or more, its "not significant" says nothing: the report then says "too
 * few runs", not "does not". */
static void mark_reachable(tdm_rep_analysis *an, const size_t *idx, size_t k)
{
    double fam_min = INFINITY;
    for (size_t j = 0; j < k; j++) {
        const tdm_rep_comparison *c = &an->cmp[idx[j]];
        double m = tdm_stats_mw_min_p(c->n_a, c->n_b);
        if (isfinite(m))
            fam_min = fmin(fam_min, m);
    }
    double alpha = an->settings.alpha;
    for (size_t j = 0; j < k; j++) {
        tdm_rep_comparison *c = &an->cmp[idx[j]];
        double m = tdm_stats_mw_min_p(c->n_a, c->n_b);
        c->mw_reachable = isfinite(m) && m < alpha && (double)k * fam_min < alpha;
    }
}

/* Holm over each family; then the verdicts. TOST p is left unadjusted: each
 * equivalence judgement is Schuirmann's test at alpha, the (1 - 2 alpha) CI against the
 * margin, which is what the report states beside it. */
static int adjust(tdm_rep_analysis *an)
{
    double *p = malloc((an->n_cmp ? an->n_cmp : 1) * sizeof *p);
    double *adj = malloc((an->n_cmp ? an->n_cmp : 1) * sizeof *adj);
    size_t *idx = malloc((an->n_cmp ? an->n_cmp : 1) * sizeof *idx);
    if (!p || !adj || !idx) {
        free(p);
        free(adj);
        free(idx);
        return -1;
    }
    for (int scope = 0; scope < 2; scope++)
        for (int m = 0; m < TDM_M_COUNT; m++)
            for (int ph = 0; ph < TDM_REP_NPHASE; ph++)
                for (int which = 0; which < 2; which++) {
                    size_t k = 0;
                    for (size_t i = 0; i < an->n_cmp; i++) {
                        const tdm_rep_comparison *c = &an->cmp[i];
                        if (c->scope != scope || c->metric != m || c->phase != ph)
                            continue;
                        double pv = which == 0 ? c->gap.p : c->mw.p;
                        idx[k] = i;
                        p[k++] = isfinite(pv) && pv >= 0.0 && pv <= 1.0 ? pv : NAN;
                    }
                    if (k == 0)
                        continue;
                    if (which == 1)
                        mark_reachable(an, idx, k);
                    if (tdm_stats_holm(p, k, adj) != TDM_STATS_OK)
                        continue;
                    for (size_t j = 0; j < k; j++) {
                        if (which == 0)
                            an->cmp[idx[j]].p_welch_holm = adj[j];
                        else
                            an->cmp[idx[j]].p_mw_holm = adj[j];
                    }
                }
    for (size_t i = 0; i < an->n_cmp; i++) {
        tdm_rep_comparison *c = &an->cmp[i];
        c->significant = !isnan(c->p_welch_holm) && c->p_welch_holm < an->settings.alpha;
        c->mw_significant = !isnan(c->p_mw_holm) && c->p_mw_holm < an->settings.alpha;
        c->equivalent = !isnan(c->tost.p) && c->tost.p < an->settings.alpha;
        c->equiv = judge(an, c);
    }
    free(p);
    free(adj);
    free(idx);
    return 0;
}

int tdm_rep_compare_all(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    for (int m = 0; m < TDM_M_COUNT; m++) {
        int phase = tdm_rep_metric(m)->per_call ? TDM_REP_CONC : 0;
        for (size_t c = 0; c < ds->n_configs; c++)
            for (size_t i = 0; i < ds->n_variants; i++)
                for (size_t j = i + 1; j < ds->n_variants; j++) {
                    if (ds->variants[i].legacy != ds->variants[j].legacy || !has_cell(ds, (int)i, (int)c) ||
                        !has_cell(ds, (int)j, (int)c))
                        continue;
                    if (compare_one(an, TDM_REP_SCOPE_CONFIG, (int)c, m, phase, (int)j, (int)i))
                        return -1;
                }
        for (size_t v = 0; v < ds->n_variants; v++) {
            int ref = an->reference[v];
            if (ref == (int)v)
                continue;
            if (compare_one(an, TDM_REP_SCOPE_POOLED, -1, m, phase, (int)v, ref))
                return -1;
        }
    }
    return adjust(an);
}
