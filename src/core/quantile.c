/* quantile.c — percentiles, mean and sd (see quantile.h). */
#include "core/quantile.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static bool is_sorted(const double *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (v[i] < v[i - 1])
            return false;
    return true;
}

double tdm_quantile_inplace(double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    /* Callers ask for several quantiles of one array in a row (p50, p90, p99 of a
     * call's 10^4..10^5 gaps): only the first needs to sort. */
    if (!is_sorted(v, n))
        qsort(v, n, sizeof *v, cmp_double);
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (h - (double)lo) * (v[hi] - v[lo]);
}

double tdm_mean(const double *v, size_t n)
{
    if (n == 0)
        return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s / (double)n;
}

double tdm_sd(const double *v, size_t n)
{
    if (n < 2)
        return NAN;
    double m = tdm_mean(v, n), s = 0;
    for (size_t i = 0; i < n; i++)
        s += (v[i] - m) * (v[i] - m);
    return sqrt(s / (double)(n - 1));
}
