/* stats_effect.c — effect sizes for a difference between two samples: Hedges' g
 * (standardised mean difference with the small-sample correction) and Cliff's delta
 * (dominance, rank based: the companion of Mann-Whitney). A p-value says whether a
 * difference is detectable; these say how large it is.
 *
 * Hand-written on libm for the same reasons as the rest of stats_*.c; golden values
 * (scipy.special for the correction, plain counting for delta) are in
 * tests/unit/test_report_stats.c. */
#include "report/stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "report/stats_internal.h"

int tdm_stats_hedges_g(const double *x1, size_t n1, const double *x2, size_t n2,
                       double *out)
{
    if (!out)
        return TDM_STATS_EINVAL;
    *out = NAN;
    if (!tdm_stats_priv_samples_ok(x1, n1, x2, n2))
        return TDM_STATS_EINVAL;
    if (n1 < 2 || n2 < 2)
        return TDM_STATS_OK;
    double df = (double)(n1 + n2 - 2);
    double m1 = tdm_stats_mean(x1, n1), m2 = tdm_stats_mean(x2, n2);
    double v1 = tdm_stats_var(x1, n1), v2 = tdm_stats_var(x2, n2);
    /* A constant sample, or sds too far apart for one pooled sd: g undefined (stats.h). */
    double s1 = sqrt(v1), s2 = sqrt(v2);
    if (!(s1 > TDM_STATS_G_MIN_CV * fabs(m1)) || !(s2 > TDM_STATS_G_MIN_CV * fabs(m2)) ||
        fmax(s1, s2) > TDM_STATS_G_MAX_SD_RATIO * fmin(s1, s2))
        return TDM_STATS_OK;
    double diff = m1 - m2;
    double pooled = ((double)(n1 - 1) * v1 + (double)(n2 - 1) * v2) / df;
    /* Hedges (1981) exact factor, the bias of Cohen's d; df >= 2 here. */
    double j = exp(lgamma(0.5 * df) - lgamma(0.5 * (df - 1.0))) / sqrt(0.5 * df);
    *out = j * diff / sqrt(pooled);
    return TDM_STATS_OK;
}

/* Number of elements of sorted[0..n) below v (strictly, or <= v when or_equal). */
static size_t count_below(const double *sorted, size_t n, double v, int or_equal)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < v || (or_equal && sorted[mid] == v))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int tdm_stats_cliffs_delta(const double *x1, size_t n1, const double *x2, size_t n2,
                           double *out)
{
    if (!out)
        return TDM_STATS_EINVAL;
    *out = NAN;
    if (!tdm_stats_priv_samples_ok(x1, n1, x2, n2))
        return TDM_STATS_EINVAL;
    if (n1 == 0 || n2 == 0)
        return TDM_STATS_OK;
    double *s = tdm_stats_priv_sorted_copy(x2, n2);
    if (!s)
        return TDM_STATS_ENOMEM;
    /* Exact integer counts of pairs with x1 above / below x2. */
    uint64_t above = 0, below = 0;
    for (size_t i = 0; i < n1; i++) {
        above += count_below(s, n2, x1[i], 0);
        below += n2 - count_below(s, n2, x1[i], 1);
    }
    free(s);
    double net = above >= below ? (double)(above - below) : -(double)(below - above);
    *out = net / ((double)n1 * (double)n2);
    return TDM_STATS_OK;
}
