/* stats_desc.c — descriptive statistics of one sample: n, mean, median, sample sd,
 * CV, min, max and type-7 quantiles (see stats.h).
 *
 * Hand-written rather than borrowed: it is a few dozen lines on libm, keeps the
 * report binary free of a numerical library, and every value is checked against
 * numpy/scipy golden values in tests/unit/test_report_stats.c. */
#include "report/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/stats_internal.h"

int tdm_stats_priv_all_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

int tdm_stats_priv_samples_ok(const double *x1, size_t n1, const double *x2, size_t n2)
{
    return (n1 == 0 || x1) && (n2 == 0 || x2) && tdm_stats_priv_all_finite(x1, n1) &&
           tdm_stats_priv_all_finite(x2, n2);
}

int tdm_stats_priv_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double *tdm_stats_priv_sorted_copy(const double *x, size_t n)
{
    double *s = malloc(n * sizeof *s);
    if (!s)
        return NULL;
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, tdm_stats_priv_cmp_double);
    return s;
}

/* Two-pass mean: the second pass adds back the rounding error of the first. When
 * every value is equal the mean is that value exactly, so sd comes out exactly 0
 * (the zero-variance cases of Welch and Hedges' g depend on it). */
static double mean_of(const double *x, size_t n, int *all_equal)
{
    double sum = 0.0;
    int equal = 1;
    for (size_t i = 0; i < n; i++) {
        sum += x[i];
        equal &= x[i] == x[0];
    }
    if (all_equal)
        *all_equal = equal;
    if (equal)
        return x[0];
    double m = sum / (double)n, corr = 0.0;
    for (size_t i = 0; i < n; i++)
        corr += x[i] - m;
    return m + corr / (double)n;
}

double tdm_stats_mean(const double *x, size_t n)
{
    if (n == 0 || !tdm_stats_priv_all_finite(x, n))
        return NAN;
    return mean_of(x, n, NULL);
}

double tdm_stats_var(const double *x, size_t n)
{
    if (n < 2 || !tdm_stats_priv_all_finite(x, n))
        return NAN;
    int equal;
    double m = mean_of(x, n, &equal);
    if (equal)
        return 0.0;
    /* Corrected two-pass sum of squares (Chan, Golub & LeVeque 1983). */
    double ss = 0.0, s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - m;
        ss += d * d;
        s += d;
    }
    double v = (ss - s * s / (double)n) / (double)(n - 1);
    return v > 0.0 ? v : 0.0;
}

double tdm_stats_quantile_sorted(const double *sorted, size_t n, double p)
{
    if (n == 0 || !(p >= 0.0 && p <= 1.0))
        return NAN;
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1)
        return sorted[n - 1];
    double t = h - (double)lo, a = sorted[lo], b = sorted[lo + 1];
    /* numpy's lerp: anchored at the nearer end, so Q is exact at the order
     * statistics and monotone in p. */
    double d = b - a;
    return t < 0.5 ? a + d * t : b - d * (1.0 - t);
}

int tdm_stats_quantile(const double *x, size_t n, double p, double *out)
{
    if (!out)
        return TDM_STATS_EINVAL;
    *out = NAN;
    if (!(p >= 0.0 && p <= 1.0) || (n > 0 && !x) || !tdm_stats_priv_all_finite(x, n))
        return TDM_STATS_EINVAL;
    if (n == 0)
        return TDM_STATS_OK;
    double *s = tdm_stats_priv_sorted_copy(x, n);
    if (!s)
        return TDM_STATS_ENOMEM;
    *out = tdm_stats_quantile_sorted(s, n, p);
    free(s);
    return TDM_STATS_OK;
}

size_t tdm_stats_drop_nonfinite(const double *x, size_t n, double *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            out[k++] = x[i];
    return k;
}

static void desc_nan(tdm_stats_desc *d, size_t n)
{
    d->n = n;
    d->mean = d->median = d->sd = d->cv = NAN;
    d->min = d->max = d->p5 = d->p95 = NAN;
}

int tdm_stats_describe(const double *x, size_t n, tdm_stats_desc *out)
{
    if (!out)
        return TDM_STATS_EINVAL;
    desc_nan(out, 0);
    if ((n > 0 && !x) || !tdm_stats_priv_all_finite(x, n))
        return TDM_STATS_EINVAL;
    if (n == 0)
        return TDM_STATS_OK;
    double *s = tdm_stats_priv_sorted_copy(x, n);
    if (!s)
        return TDM_STATS_ENOMEM;
    desc_nan(out, n);
    out->mean = mean_of(x, n, NULL);
    out->sd = n >= 2 ? sqrt(tdm_stats_var(x, n)) : NAN;
    out->cv = out->mean != 0.0 ? out->sd / out->mean : NAN;
    out->min = s[0];
    out->max = s[n - 1];
    /* Midpoint of the two middle values; halving each first cannot overflow. */
    out->median = n % 2 ? s[n / 2] : 0.5 * s[n / 2 - 1] + 0.5 * s[n / 2];
    out->p5 = tdm_stats_quantile_sorted(s, n, 0.05);
    out->p95 = tdm_stats_quantile_sorted(s, n, 0.95);
    free(s);
    return TDM_STATS_OK;
}
