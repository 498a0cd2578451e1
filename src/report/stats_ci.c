/* stats_ci.c — confidence intervals of a sample's mean: Student t, and a seeded
 * percentile bootstrap whose resamples come from our own generator (stats_rng.c),
 * so a report recomputed anywhere from the same results and seed prints the same
 * interval, byte for byte.
 *
 * Hand-written on libm for the same reasons as the rest of stats_*.c: no numerical
 * library in the report binary, and the t interval is checked against scipy in
 * tests/unit/test_report_stats.c. */
#include "report/stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "report/stats_internal.h"

static int level_ok(double level)
{
    return level > 0.0 && level < 1.0;
}

static void ci_nan(tdm_stats_ci *ci, double level)
{
    ci->lo = ci->hi = NAN;
    ci->level = level;
}

int tdm_stats_ci_mean_t(const double *x, size_t n, double level, tdm_stats_ci *out)
{
    if (!out)
        return TDM_STATS_EINVAL;
    ci_nan(out, level);
    if (!level_ok(level) || (n > 0 && !x) || !tdm_stats_priv_all_finite(x, n))
        return TDM_STATS_EINVAL;
    if (n < 2)
        return TDM_STATS_OK;
    double m = tdm_stats_mean(x, n), sd = sqrt(tdm_stats_var(x, n));
    double t = tdm_stats_t_quantile(0.5 + 0.5 * level, (double)(n - 1));
    double half = t * sd / sqrt((double)n);
    out->lo = m - half;
    out->hi = m + half;
    return TDM_STATS_OK;
}

int tdm_stats_ci_mean_boot(const double *x, size_t n, double level, unsigned resamples,
                           uint64_t seed, tdm_stats_ci *out)
{
    if (!out)
        return TDM_STATS_EINVAL;
    ci_nan(out, level);
    if (!level_ok(level) || (n > 0 && !x) || !tdm_stats_priv_all_finite(x, n))
        return TDM_STATS_EINVAL;
    if (n < 2)
        return TDM_STATS_OK;
    size_t b = resamples ? resamples : TDM_STATS_BOOT_DEFAULT_RESAMPLES;
    double *means = b <= SIZE_MAX / sizeof *means ? malloc(b * sizeof *means) : NULL;
    if (!means)
        return TDM_STATS_ENOMEM;
    tdm_stats_priv_rng r;
    tdm_stats_priv_rng_seed(&r, seed);
    /* Each resample's mean is the sample mean plus the mean deviation, summed in
     * draw order: deterministic, accurate, and exactly m when every value is m.
     * Adding 0.0 turns a -0.0 into +0.0, so the sort below (whose order among equal
     * keys is the libc's business) cannot put differently-signed zeros in the output. */
    double m = tdm_stats_mean(x, n);
    for (size_t i = 0; i < b; i++) {
        double dev = 0.0;
        for (size_t j = 0; j < n; j++)
            dev += x[tdm_stats_priv_rng_below(&r, n)] - m;
        means[i] = (m + dev / (double)n) + 0.0;
    }
    qsort(means, b, sizeof *means, tdm_stats_priv_cmp_double);
    out->lo = tdm_stats_quantile_sorted(means, b, 0.5 - 0.5 * level);
    out->hi = tdm_stats_quantile_sorted(means, b, 0.5 + 0.5 * level);
    free(means);
    return TDM_STATS_OK;
}
