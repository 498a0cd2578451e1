/* stats_equiv.c — Schuirmann's two one-sided tests (TOST) of equivalence on Welch's t:
 * whether the difference between two samples is shown to lie inside a margin, which a
 * significance test cannot say (with many runs, a difference far too small to matter is
 * still "significant"). The report judges each comparison with both. See stats.h;
 * golden values from scipy and statsmodels are in tests/unit/test_report_equiv.c. */
#include "report/stats.h"

#include <math.h>

#include "report/stats_internal.h"

static void tost_nan(tdm_stats_tost_result *r)
{
    r->diff = r->se = r->df = r->t_lower = r->t_upper = NAN;
    r->p_lower = r->p_upper = r->p = r->lo = r->hi = NAN;
}

/* (diff - bound) / se, with se == 0 read as the limit of a shrinking se: +-inf off the
 * bound, 0 on it (0/0 would be NaN, yet a sample sitting exactly on the bound is as
 * likely above it as below). */
static double t_of(double diff, double bound, double se)
{
    double d = diff - bound;
    if (se == 0.0)
        return d == 0.0 ? 0.0 : copysign(INFINITY, d);
    return d / se;
}

/* P(T <= t) for t possibly infinite (the t CDF is only specified for finite t). */
static double cdf(double t, double df)
{
    if (isinf(t))
        return t > 0 ? 1.0 : 0.0;
    return tdm_stats_t_cdf(t, df);
}

int tdm_stats_tost_welch(const double *x1, size_t n1, const double *x2, size_t n2, double low, double upp,
                         double alpha, tdm_stats_tost_result *out)
{
    if (!out)
        return TDM_STATS_EINVAL;
    tost_nan(out);
    if (!(alpha > 0.0 && alpha < 0.5) || !isfinite(low) || !isfinite(upp) || !(low < upp) ||
        !tdm_stats_priv_samples_ok(x1, n1, x2, n2))
        return TDM_STATS_EINVAL;
    /* The (1 - 2 alpha) CI is the interval both one-sided tests at alpha agree with:
     * p < alpha exactly when it lies inside (low, upp). */
    tdm_stats_gap_result g;
    int rc = tdm_stats_welch_gap(x1, n1, x2, n2, 1.0 - 2.0 * alpha, &g);
    if (rc != TDM_STATS_OK)
        return rc;
    out->diff = g.diff;
    if (n1 < 2 || n2 < 2)
        return TDM_STATS_OK;
    out->se = g.se;
    out->df = g.df;
    out->lo = g.lo;
    out->hi = g.hi;
    out->t_lower = t_of(g.diff, low, g.se);
    out->t_upper = t_of(g.diff, upp, g.se);
    /* upper tail by symmetry, P(T >= t) = P(T <= -t): no 1 - cdf cancellation */
    out->p_lower = cdf(-out->t_lower, g.df);
    out->p_upper = cdf(out->t_upper, g.df);
    out->p = fmax(out->p_lower, out->p_upper);
    return TDM_STATS_OK;
}
