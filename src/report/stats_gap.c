/* stats_gap.c — how far a sample is from a value, or from another sample, with a CI
 * of that gap: the one-sample t-test (a cell against a baseline quoted from another
 * report) and the confidence interval of Welch's mean difference (what the report
 * prints beside each comparison). See stats.h; golden values from scipy are in
 * tests/unit/test_report_gap.c. */
#include "report/stats.h"

#include <math.h>

#include "report/stats_internal.h"

static void gap_nan(tdm_stats_gap_result *g)
{
    g->diff = g->lo = g->hi = g->se = g->t = g->df = g->p = NAN;
}

/* Fills t, p and the CI from diff, se and df (se == 0: the test's limit). */
static void finish(tdm_stats_gap_result *g, double level)
{
    if (g->se == 0.0) {
        g->lo = g->hi = g->diff;
        g->t = g->diff == 0.0 ? 0.0 : copysign(INFINITY, g->diff);
        g->p = g->diff == 0.0 ? 1.0 : 0.0;
        return;
    }
    double q = tdm_stats_t_quantile(0.5 + 0.5 * level, g->df);
    g->lo = g->diff - q * g->se;
    g->hi = g->diff + q * g->se;
    g->t = g->diff / g->se;
    g->p = tdm_stats_t_p2(g->t, g->df);
}

int tdm_stats_one_sample_t(const double *x, size_t n, double mu, double level, tdm_stats_gap_result *out)
{
    if (!out)
        return TDM_STATS_EINVAL;
    gap_nan(out);
    if (!(level > 0.0 && level < 1.0) || !isfinite(mu) || (n > 0 && !x) || !tdm_stats_priv_all_finite(x, n))
        return TDM_STATS_EINVAL;
    if (n == 0)
        return TDM_STATS_OK;
    out->diff = tdm_stats_mean(x, n) - mu;
    if (n < 2)
        return TDM_STATS_OK;
    out->df = (double)(n - 1);
    out->se = sqrt(tdm_stats_var(x, n) / (double)n);
    finish(out, level);
    return TDM_STATS_OK;
}

int tdm_stats_welch_gap(const double *x1, size_t n1, const double *x2, size_t n2, double level,
                        tdm_stats_gap_result *out)
{
    if (!out)
        return TDM_STATS_EINVAL;
    gap_nan(out);
    if (!(level > 0.0 && level < 1.0) || !tdm_stats_priv_samples_ok(x1, n1, x2, n2))
        return TDM_STATS_EINVAL;
    tdm_stats_welch_result w;
    int rc = tdm_stats_welch(x1, n1, x2, n2, &w);
    if (rc != TDM_STATS_OK)
        return rc;
    out->diff = w.mean_diff;
    if (n1 < 2 || n2 < 2)
        return TDM_STATS_OK;
    out->se = sqrt(tdm_stats_var(x1, n1) / (double)n1 + tdm_stats_var(x2, n2) / (double)n2);
    out->df = w.df;
    finish(out, level);
    if (out->se != 0.0) {
        /* the same t and p as tdm_stats_welch, to the bit */
        out->t = w.t;
        out->p = w.p;
    }
    return TDM_STATS_OK;
}
