/* stats.h — the statistics the report stage computes across runs (METRICS.md,
 * "Across runs"): descriptive summaries, Student t and normal distributions,
 * confidence intervals of the mean (t and seeded percentile bootstrap), Welch's
 * t-test, Mann-Whitney U, Holm's correction, Hedges' g and Cliff's delta; the gap
 * of a sample to a quoted value (one-sample t) or to another sample (Welch), with its CI;
 * and Schuirmann's two one-sided tests (TOST) of equivalence within a margin.
 *
 * Hand-written on libm (a few hundred lines) so the shipped binary carries no
 * heavy numerical dependency; every formula is checked against golden values from
 * scipy (tests/unit/test_report_stats.c) and against GSL (tests/oracle/).
 *
 * Conventions shared by every function below:
 * - Input arrays are never modified; functions that sort work on a copy.
 * - Non-finite inputs (NaN, +-inf) are REJECTED, not skipped: a function that fills
 *   a result returns TDM_STATS_EINVAL and leaves the result all-NaN. Skipping would
 *   quietly compute a statistic on fewer values than the caller believes it passed;
 *   the report decides what a missing measurement means and drops it explicitly
 *   (tdm_stats_drop_nonfinite), so the n it prints is the n that was used.
 * - A statistic that is mathematically undefined for valid input (sd of one value,
 *   a CI from one value, Welch with a sample of size < 2) is NaN in the result and
 *   the function still returns TDM_STATS_OK; each such case is listed at its field.
 *   A JSON writer must map non-finite numbers to null (jansson refuses them).
 * - Sample sizes are size_t; x may be NULL when n == 0.
 * - Nothing here keeps state: results depend only on the arguments (the bootstrap
 *   also on its seed). The bootstrap interval uses no libm function, only integer
 *   arithmetic and +, -, / in a fixed order, so it is the same bytes on any IEEE-754
 *   machine (-std=c17 turns floating-point contraction off: no FMA changes a sum).
 *   Whatever calls lgamma, erfc, log or exp may differ between libms in the last
 *   bits, far below the accuracy stated for it.
 */
#ifndef TDM_STATS_H
#define TDM_STATS_H

#include <stddef.h>
#include <stdint.h>

enum {
    TDM_STATS_OK = 0,
    TDM_STATS_EINVAL = -1, /* non-finite input, NULL pointer, level or p out of range */
    TDM_STATS_ENOMEM = -2, /* a working copy could not be allocated */
};

/* ---- descriptive (stats_desc.c) ------------------------------------------------- */

/* Quantiles use R's type 7 (numpy's default "linear"): with the values sorted
 * x[0] <= ... <= x[n-1], h = (n-1)p, and Q(p) = x[floor h] + (h - floor h) *
 * (x[floor h + 1] - x[floor h]). The median is the midpoint of the two middle
 * values for even n (type 7 at p = 0.5 gives the same). */
typedef struct tdm_stats_desc {
    size_t n;      /* values summarised */
    double mean;   /* arithmetic mean; NaN when n == 0 */
    double median; /* NaN when n == 0 */
    double sd;     /* sample standard deviation (divisor n-1); NaN when n < 2; exactly 0
                      when all values are equal */
    double cv;     /* sd / mean (signed, unitless); NaN when sd is NaN or mean == 0 */
    double min;    /* NaN when n == 0 */
    double max;    /* NaN when n == 0 */
    double p5;     /* type-7 quantile at 0.05; NaN when n == 0 */
    double p95;    /* type-7 quantile at 0.95; NaN when n == 0 */
} tdm_stats_desc;

/* Fills *out (all-NaN with n = 0 for n == 0). TDM_STATS_EINVAL on non-finite input. */
int tdm_stats_describe(const double *x, size_t n, tdm_stats_desc *out);

/* Mean and sample variance (n-1) in two passes; NaN where undefined (mean: n == 0,
 * var: n < 2) or when the input holds a non-finite value. */
double tdm_stats_mean(const double *x, size_t n);
double tdm_stats_var(const double *x, size_t n);

/* Type-7 quantile of x at p in [0,1]. TDM_STATS_EINVAL for p outside [0,1] or
 * non-finite input; *out is NaN for n == 0. */
int tdm_stats_quantile(const double *x, size_t n, double p, double *out);
/* The same on an array the caller has already sorted ascending (no copy, no checks
 * beyond n == 0 -> NaN). */
double tdm_stats_quantile_sorted(const double *sorted, size_t n, double p);

/* Copies the finite values of x to out (which may be x itself) in order and returns
 * how many were copied. */
size_t tdm_stats_drop_nonfinite(const double *x, size_t n, double *out);

/* ---- distributions (stats_dist.c) ---------------------------------------------- */
/* Domain errors (a <= 0, df <= 0, p outside (0,1), NaN) return NaN, as libm does.
 * Accuracy, relative to the smaller tail min(P, 1 - P): about 1e-13 for the t
 * quantile (60-digit mpmath over df 0.5..1e9, p 1e-25..1-1e-15) and 1e-12 or better
 * for the t tails and the incomplete beta (scipy, mpmath and GSL grids; see the tests). */

/* log Gamma(x) for x > 0 (libm lgamma). */
double tdm_stats_lgamma(double x);
/* Regularized incomplete beta I_x(a, b), a, b > 0, x in [0,1]: continued fraction
 * evaluated with the modified Lentz method. */
double tdm_stats_ibeta(double a, double b, double x);
/* Student t with df > 0 degrees of freedom (df = +inf gives the normal). Below
 * df = 2e4 through the incomplete beta, from there on through Hill's normalising
 * transformation (CACM Algorithm 395), which is the more accurate there. */
double tdm_stats_t_cdf(double t, double df);
/* Two-sided tail P(|T| >= |t|), computed directly (no 1 - cdf cancellation). */
double tdm_stats_t_p2(double t, double df);
/* Inverse of tdm_stats_t_cdf for p in (0,1): Newton's method (on the log tail far
 * out, on the central probability near p = 0.5) inside a bisection bracket. +-inf
 * when the quantile is beyond the doubles (df < 1 with tiny p). */
double tdm_stats_t_quantile(double p, double df);
/* Standard normal: 0.5 erfc(-z / sqrt 2), and its inverse by Halley's method. */
double tdm_stats_norm_cdf(double z);
double tdm_stats_norm_quantile(double p);

/* ---- confidence intervals of the mean (stats_ci.c) --------------------------- */

typedef struct tdm_stats_ci {
    double lo, hi; /* NaN, NaN when undefined (n < 2) */
    double level;  /* the level asked for, e.g. 0.95 */
} tdm_stats_ci;

#define TDM_STATS_BOOT_DEFAULT_RESAMPLES 10000u

/* mean +- t_{(1+level)/2, n-1} * sd / sqrt(n); level in (0,1). [mean, mean] when
 * every value is equal. */
int tdm_stats_ci_mean_t(const double *x, size_t n, double level, tdm_stats_ci *out);

/* Percentile bootstrap: `resamples` resamples of size n drawn with replacement
 * (0 means TDM_STATS_BOOT_DEFAULT_RESAMPLES), the CI is the type-7 quantiles
 * (1-level)/2 and (1+level)/2 of the resampled means. The generator is xoshiro256**
 * seeded through splitmix64 from `seed`; indices are drawn without modulo bias.
 * The same (x, n, level, resamples, seed) gives the same bytes on every machine.
 * Undefined (NaN) for n < 2: one value says nothing about spread. Cost: resamples * n
 * draws (10,000 x 1,000 values takes about 0.1 s). */
int tdm_stats_ci_mean_boot(const double *x, size_t n, double level, unsigned resamples,
                           uint64_t seed, tdm_stats_ci *out);

/* ---- tests between two samples (stats_tests.c) ------------------------------ */

typedef struct tdm_stats_welch_result {
    double t;         /* (mean1 - mean2) / sqrt(s1^2/n1 + s2^2/n2) */
    double df;        /* Welch-Satterthwaite degrees of freedom */
    double p;         /* two-sided */
    double mean_diff; /* mean1 - mean2 */
} tdm_stats_welch_result;

/* Welch's unequal-variance t-test. Needs n1 >= 2 and n2 >= 2, else every field but
 * mean_diff is NaN (mean_diff too when a sample is empty).
 * Both samples of zero variance (every value equal within each sample): the test
 * degenerates, and we report its limit: equal means -> t = 0, p = 1; different
 * means -> t = +-inf, p = 0 (scipy gives the same p); df = n1 + n2 - 2 there, since
 * the Welch-Satterthwaite formula is 0/0. */
int tdm_stats_welch(const double *x1, size_t n1, const double *x2, size_t n2,
                    tdm_stats_welch_result *out);

enum { TDM_STATS_MW_EXACT = 1, TDM_STATS_MW_NORMAL = 2 };
#define TDM_STATS_MW_EXACT_MAX 20u

typedef struct tdm_stats_mw_result {
    double u1;  /* U of sample 1: #(x1 > x2) + #(x1 == x2) / 2 (scipy's statistic) */
    double u2;  /* n1*n2 - u1 */
    double p;   /* two-sided */
    double z;   /* normal approximation: (max(u1,u2) - n1 n2/2 - 0.5) / sigma; NaN when
                   the exact method ran */
    int method; /* TDM_STATS_MW_EXACT or TDM_STATS_MW_NORMAL */
} tdm_stats_mw_result;

/* Mann-Whitney U, two-sided. Exact null distribution when there are no ties and
 * n1, n2 <= TDM_STATS_MW_EXACT_MAX (at most C(40,20) ~ 1.4e11 arrangements, so the
 * counts are exact integers in doubles): p = min(1, 2 P(U >= max(u1, u2))).
 * Otherwise the normal approximation with tie-corrected variance and a continuity
 * correction of 0.5 (scipy's "asymptotic"). Every value tied (zero variance): z = 0,
 * p = 1. Needs n1 >= 1 and n2 >= 1, else every field is NaN and method is 0. */
int tdm_stats_mann_whitney(const double *x1, size_t n1, const double *x2, size_t n2,
                           tdm_stats_mw_result *out);

/* The smallest two-sided p tdm_stats_mann_whitney can return for samples of n1 and n2
 * values, whatever they are: min(2 / C(n1 + n2, n1), the exact method's best, when both
 * n <= TDM_STATS_MW_EXACT_MAX; the normal approximation's p for complete separation
 * with each sample tied within itself, its smallest). A test whose p cannot go below
 * alpha (after its correction) cannot find a difference at these sizes, however large
 * the difference is. NaN when n1 or n2 is 0. */
double tdm_stats_mw_min_p(size_t n1, size_t n2);

/* Holm-Bonferroni step-down adjustment of m p-values: adj[i] is the adjusted p of
 * p[i] (original order), monotone in p, capped at 1. NaN entries are tests not
 * performed: they stay NaN and do not count in the family size. adj may equal p.
 * TDM_STATS_EINVAL for a p outside [0,1]. */
int tdm_stats_holm(const double *p, size_t m, double *adj);

/* ---- effect sizes (stats_effect.c) ---------------------------------------- */

/* Hedges' g = J(df) * (mean1 - mean2) / s_pooled, df = n1 + n2 - 2, with Hedges'
 * exact small-sample factor J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))
 * (1 - 3/(4 df - 1) is its usual approximation). *out is NaN when n1 < 2 or n2 < 2,
 * and undefined (NaN) too when g would describe neither sample: a sample is constant
 * (its sd at most TDM_STATS_G_MIN_CV of its |mean|, 0 included), or one sd is more than
 * TDM_STATS_G_MAX_SD_RATIO times the other. The pooled sd then rests on one sample
 * alone and g grows without bound (values like 111 for runs pinned at 50 % against runs
 * that vary); Cliff's delta still says how the samples are ordered. */
#define TDM_STATS_G_MIN_CV 1e-9
#define TDM_STATS_G_MAX_SD_RATIO 100.0
int tdm_stats_hedges_g(const double *x1, size_t n1, const double *x2, size_t n2,
                       double *out);

/* Cliff's delta = (#(x1 > x2) - #(x1 < x2)) / (n1 n2), in [-1, 1]; equals
 * 2 u1 / (n1 n2) - 1. *out is NaN when a sample is empty. O((n1 + n2) log n2). */
int tdm_stats_cliffs_delta(const double *x1, size_t n1, const double *x2, size_t n2,
                           double *out);

/* ---- gaps: one sample against a value, and the CI of a difference (stats_gap.c) -- */

typedef struct tdm_stats_gap_result {
    double diff;   /* mean(x) - mu (one sample) or mean1 - mean2 (Welch) */
    double lo, hi; /* CI of diff at the level asked for: diff -+ t_{(1+level)/2, df} * se */
    double se;     /* standard error of diff */
    double t;      /* diff / se */
    double df;     /* n - 1 (one sample); Welch-Satterthwaite (two samples) */
    double p;      /* two-sided */
} tdm_stats_gap_result;

/* One-sample Student t-test of H0: mean = mu, with the CI of mean - mu (scipy's
 * ttest_1samp and its confidence_interval shifted by mu). Needs n >= 2, else every
 * field but diff is NaN (diff too for n == 0). Zero variance: se = 0, the CI is
 * [diff, diff], and t, p are the test's limit (t = 0, p = 1 when diff == 0; else
 * t = +-inf, p = 0). TDM_STATS_EINVAL for non-finite input or level outside (0,1). */
int tdm_stats_one_sample_t(const double *x, size_t n, double mu, double level,
                           tdm_stats_gap_result *out);

/* Welch's test as tdm_stats_welch, plus the CI of mean1 - mean2 at `level` with the
 * Welch-Satterthwaite df (scipy's ttest_ind(equal_var=False).confidence_interval).
 * Needs n1, n2 >= 2, else every field but diff is NaN. Both samples of zero variance:
 * se = 0, the CI is [diff, diff], df = n1 + n2 - 2, t and p as in tdm_stats_welch. */
int tdm_stats_welch_gap(const double *x1, size_t n1, const double *x2, size_t n2,
                        double level, tdm_stats_gap_result *out);

/* ---- equivalence: Schuirmann's TOST on Welch's t (stats_equiv.c) ------------------- */

/* A significance test asks "is the difference non-zero?"; with enough runs a difference
 * far too small to matter passes it. TOST asks the other question, "is the difference
 * inside (low, upp)?", by rejecting both H0: diff <= low and H0: diff >= upp, each one-
 * sided at alpha. Its p is the larger of the two, and p < alpha exactly when the
 * (1 - 2 alpha) CI of the difference lies inside (low, upp). */
typedef struct tdm_stats_tost_result {
    double diff;      /* mean1 - mean2 */
    double se, df;    /* Welch's standard error and Welch-Satterthwaite df */
    double t_lower;   /* (diff - low) / se */
    double t_upper;   /* (diff - upp) / se */
    double p_lower;   /* H0 diff <= low: P(T >= t_lower) */
    double p_upper;   /* H0 diff >= upp: P(T <= t_upper) */
    double p;         /* max(p_lower, p_upper): equivalent at alpha when p < alpha */
    double lo, hi;    /* the (1 - 2 alpha) CI of diff (Welch) */
} tdm_stats_tost_result;

/* TOST with Welch's unequal-variance t (statsmodels' ttost_ind(x1, x2, low, upp,
 * usevar="unequal")), and the (1 - 2 alpha) CI of the difference. Needs n1, n2 >= 2,
 * else every field but diff is NaN (diff too when a sample is empty). Both samples of
 * zero variance: se = 0, the CI is [diff, diff], t = +-inf (0/0 reads as 0) and the
 * one-sided p's are their limits: 0 strictly inside the bound, 0.5 on it, 1 beyond.
 * TDM_STATS_EINVAL for non-finite input or bounds, low >= upp, or alpha outside
 * (0, 0.5). */
int tdm_stats_tost_welch(const double *x1, size_t n1, const double *x2, size_t n2, double low,
                         double upp, double alpha, tdm_stats_tost_result *out);

#endif
