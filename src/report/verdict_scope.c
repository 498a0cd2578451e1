/* verdict_scope.c — the parts of the verdict that look beyond the primary metric's
 * significance (see verdict_decide.h): every pooled comparison with the reference whose
 * difference lies beyond its metric's margin, whatever the metric (a client TTFT 200 ms
 * higher must reach the summary even when efficiency decides the ranking); which of the
 * candidates were shown equivalent and which are inconclusive, with the runs per variant
 * a power calculation asks for to settle them; and, when a variant's agents never
 * overlapped, its runs as the sequential baseline the data otherwise lack, with the
 * speedup of every other variant against it. Data only: the words are elsewhere. */
#include "report/verdict_decide.h"

#include <math.h>
#include <stdlib.h>

#include "report/stats.h"

/* TOST at alpha with 80% power, for the observed difference d and spread s per run, to
 * show |difference| < margin: n per side = 2 s^2 (z_{1-alpha} + z_{0.8})^2 / (margin - |d|)^2.
 * Infinity when |d| >= margin (more runs would not show equivalence). */
static double runs_for_equivalence(const tdm_rep_comparison *c, double alpha)
{
    double room = c->margin - fabs(c->gap.diff);
    if (!(room > 0) || !isfinite(c->gap.se) || c->n_a < 2 || c->n_b < 2)
        return INFINITY;
    double s = c->gap.se / sqrt(1.0 / (double)c->n_a + 1.0 / (double)c->n_b);
    double z = tdm_stats_norm_quantile(1.0 - alpha) + tdm_stats_norm_quantile(0.8);
    double n = 2.0 * s * s * z * z / (room * room);
    return fmax(ceil(n), 2.0);
}

void tdm_rep_verdict_settle(const tdm_rep_analysis *an, tdm_rep_verdict *vd)
{
    for (size_t k = 0; k < vd->nc; k++) {
        int v = vd->cand[k];
        const tdm_rep_comparison *c = vd->cmp[v];
        if (v == vd->ref || (c && c->equiv == TDM_REP_EQ_EQUIVALENT)) {
            vd->shown[vd->nshown++] = v;
        } else if (c && c->equiv != TDM_REP_EQ_NONE) {
            vd->runs_needed[vd->ninc] = runs_for_equivalence(c, an->settings.alpha);
            vd->incon[vd->ninc++] = v;
        } else {
            vd->unjudged[vd->nunj++] = v; /* no margin, or no comparison: equivalence not asked */
        }
    }
}

void tdm_rep_verdict_beyond(const tdm_rep_analysis *an, int g, tdm_rep_verdict *vd)
{
    for (size_t i = 0; i < an->n_cmp && vd->nbeyond < vd->cap_beyond; i++) {
        const tdm_rep_comparison *c = &an->cmp[i];
        if (c->scope != TDM_REP_SCOPE_POOLED || an->ds->variants[c->a].legacy != g || c->b != vd->ref ||
            (c->equiv != TDM_REP_EQ_BEYOND && c->equiv != TDM_REP_EQ_MAYBE_BEYOND))
            continue;
        vd->beyond[vd->nbeyond++] = c;
    }
}

/* The cell of variant v in configuration cfg, or -1. */
static int cell_of(const tdm_rep_dataset *ds, int v, int cfg)
{
    for (size_t i = 0; i < ds->n_cells; i++)
        if (ds->cells[i].variant == v && ds->cells[i].config == cfg)
            return (int)i;
    return -1;
}

/* The speedup of v against the serial variant s: per configuration both ran, the ratio
 * of mean wall times T(s) / T(v) with the log-scale CI of a ratio of two means
 * (se^2 = sd_s^2 / (n_s m_s^2) + sd_v^2 / (n_v m_v^2)); pooled, the geometric mean of
 * those ratios with the CI of the mean of the logs. */
static void serial_gain(const tdm_rep_analysis *an, int s, int v, tdm_rep_serial_gain *out)
{
    const tdm_rep_dataset *ds = an->ds;
    double sum_log = 0, sum_var = 0, df = INFINITY;
    size_t k = 0;
    for (size_t cfg = 0; cfg < ds->n_configs; cfg++) {
        int cs = cell_of(ds, s, (int)cfg), cv = cell_of(ds, v, (int)cfg);
        if (cs < 0 || cv < 0)
            continue;
        const tdm_stats_desc *a = &an->cells[cs].m[TDM_M_T_CONC][0].desc;
        const tdm_stats_desc *b = &an->cells[cv].m[TDM_M_T_CONC][0].desc;
        if (a->n < 2 || b->n < 2 || !(a->mean > 0) || !(b->mean > 0))
            continue;
        sum_log += log(a->mean / b->mean);
        sum_var += a->sd * a->sd / ((double)a->n * a->mean * a->mean) +
                   b->sd * b->sd / ((double)b->n * b->mean * b->mean);
        df = fmin(df, (double)(a->n + b->n - 2));
        k++;
    }
    out->variant = v;
    out->configs = k;
    if (k == 0) {
        out->speedup = out->lo = out->hi = NAN;
        return;
    }
    double m = sum_log / (double)k, se = sqrt(sum_var) / (double)k;
    double t = tdm_stats_t_quantile(1.0 - an->settings.alpha / 2.0, df);
    out->speedup = exp(m);
    out->lo = exp(m - t * se);
    out->hi = exp(m + t * se);
}

void tdm_rep_verdict_serial_baseline(const tdm_rep_analysis *an, tdm_rep_verdict *vd)
{
    if (vd->nserial == 0)
        return;
    int s = vd->serial[0];
    for (int i = 0; i < vd->n; i++) {
        int v = vd->vs[i];
        bool serial = false;
        for (size_t j = 0; j < vd->nserial; j++)
            serial |= vd->serial[j] == v;
        if (serial)
            continue;
        tdm_rep_serial_gain *gn = &vd->gains[vd->ngains];
        serial_gain(an, s, v, gn);
        if (gn->configs > 0)
            vd->ngains++;
    }
}
