/* test_report_stats.c — unit tests of the report's statistics module (src/report/stats*.c).
 *
 * Golden values come from scipy 1.17.1 / numpy 2.4.6 / statsmodels 0.15.0 (for Holm).
 * To re-derive them: python3 -m venv /tmp/statsvenv && /tmp/statsvenv/bin/pip install
 * scipy statsmodels, then run this with /tmp/statsvenv/bin/python:
 *
 *   import numpy as np
 *   from scipy import stats, special
 *   from statsmodels.stats.multitest import multipletests
 *   r = lambda v: repr(float(v))
 *   x8 = np.array([12.1, 9.8, 11.4, 10.0, 13.7, 8.9, 10.6, 12.9])
 *   x7 = np.array([3.2, 1.5, 4.8, 2.2, 9.1, 2.2, 5.0])
 *   for x in (x8, x7):
 *       m, sd = x.mean(), x.std(ddof=1)
 *       print("desc", r(m), r(np.median(x)), r(sd), r(sd / m),
 *             r(np.percentile(x, 5)), r(np.percentile(x, 95)))
 *       for level in (0.95, 0.90):
 *           ci = stats.t.interval(level, len(x) - 1, loc=m, scale=stats.sem(x))
 *           print("ci_t", level, [r(v) for v in ci])
 *   print("q", [r(np.quantile(x8, p)) for p in (0.0, 0.1, 0.25, 0.5, 0.9, 1.0)])
 *   print("t_ppf", [r(stats.t.ppf(p, df)) for p, df in
 *                   [(0.995, 3), (0.05, 7.5), (1e-8, 4), (0.6, 1e6), (0.3, 0.5)]])
 *   print("t_cdf", [r(stats.t.cdf(t, df)) for t, df in
 *                   [(2.0, 5), (-1.5, 3), (0.3, 1), (4.0, 30), (-10.0, 2.5), (1e-3, 100),
 *                    (-40.0, 7)]])
 *   print("t_cdf_far", [r(stats.t.cdf(t, df)) for t, df in
 *                       [(-10.0, 50), (-50.0, 1000), (-2.0, 1e5), (-2.0, 1e8), (-3.0, 1e15),
 *                        (-10.0, 1e9)]])
 *   print("norm_cdf", [r(special.ndtr(z)) for z in (-1.96, 0.5, -8.0, 3.0)])
 *   print("norm_ppf", [r(special.ndtri(p)) for p in (0.975, 1e-10, 0.999, 0.3, 0.49999)])
 *   print("ibeta", [r(special.betainc(a, b, x)) for a, b, x in
 *                   [(2, 3, 0.4), (0.5, 0.5, 0.1), (10, 20, 0.3), (1, 1, 0.77), (50, 0.5, 0.98),
 *                    (0.3, 7, 0.05), (200, 300, 0.41), (5e5, 0.5, 0.999999)]])
 *   a = np.array([20.1, 22.4, 19.8, 21.7, 23.0, 20.9])
 *   b = np.array([18.2, 19.9, 17.5, 20.3, 18.8, 19.1, 18.0])
 *   w = stats.ttest_ind(a, b, equal_var=False)
 *   print("welch", r(w.statistic), r(w.df), r(w.pvalue))
 *   c = np.array([1.0, 1.1, 0.9, 1.05, 0.95])
 *   d = np.array([1.3, -2.0, 4.1, 0.2, 2.8, 1.9, -0.7, 3.3, 0.4])
 *   w = stats.ttest_ind(c, d, equal_var=False)
 *   print("welch2", r(w.statistic), r(w.df), r(w.pvalue))
 *   u = stats.mannwhitneyu(a, b, method="exact")
 *   print("mw_exact", r(u.statistic), r(u.pvalue))
 *   u = stats.mannwhitneyu([1.0, 5.0, 9.0], [2.0, 3.0, 4.0, 6.0], method="exact")
 *   print("mw_exact_small", r(u.statistic), r(u.pvalue))
 *   t1 = np.array([1, 2, 2, 3, 3, 3, 4, 5], float)
 *   t2 = np.array([2, 3, 4, 4, 5, 5, 6, 6, 7], float)
 *   u = stats.mannwhitneyu(t1, t2, method="asymptotic")
 *   print("mw_ties", r(u.statistic), r(u.pvalue))
 *   # l1, l2: once drawn with np.random.default_rng(7).normal, rounded to 6 places
 *   l1 = np.array([
 *       10.00246, 10.597491, 9.451724, 8.218816, 9.090658, 8.016707, 10.120287,
 *       12.68043, 9.015587, 8.75905, 10.979684, 10.713774, 10.210828, 8.139064,
 *       9.941496, 11.390606, 7.311571, 9.084768, 6.197555, 7.420925, 6.31653,
 *       9.529818, 7.465107, 10.542529, 10.313502
 *   ])
 *   l2 = np.array([
 *       11.126138, 6.466481, 10.422614, 11.402998, 11.726618, 8.439728, 10.544493,
 *       9.542962, 9.882326, 13.621797, 9.884931, 11.434957, 13.26878, 10.332799,
 *       11.276596, 11.720928, 11.627564, 9.049888, 11.65228, 14.217647, 8.405711,
 *       13.218765, 11.738708, 10.217059, 15.500833, 13.024519, 9.101422, 11.649032,
 *       12.653379, 11.122436
 *   ])
 *   u = stats.mannwhitneyu(l1, l2, method="asymptotic")
 *   print("mw_large", r(u.statistic), r(u.pvalue))
 *   fam = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04]
 *   print("holm", [r(v) for v in multipletests(fam, method="holm")[1]])
 *   print("holm_sub", [r(v) for v in multipletests([0.01, 0.04], method="holm")[1]])
 *   def hedges_g(x, y):
 *       n1, n2 = len(x), len(y); df = n1 + n2 - 2
 *       sp = np.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / df)
 *       j = np.exp(special.gammaln(df / 2) - special.gammaln((df - 1) / 2)) / np.sqrt(df / 2)
 *       return j * (x.mean() - y.mean()) / sp
 *   def cliffs_delta(x, y):
 *       return np.sign(x[:, None] - y[None, :]).mean()
 *   print("hedges", r(hedges_g(a, b)), r(hedges_g(c, d)))
 *   print("cliff", r(cliffs_delta(a, b)), r(cliffs_delta(t1, t2)))
 *   print("t975", [r(stats.t.ppf(0.975, df)) for df in (1, 2, 5, 10, 30, 100)])
 *   u = stats.mannwhitneyu(l1[:20], l2[:20], method="exact")
 *   print("mw_exact20", r(u.statistic), r(u.pvalue))
 *
 * Hedges' g has no scipy function; hedges_g above is the textbook formula on
 * scipy.special.gammaln. Cliff's delta is plain pair counting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/stats.h"
#include "report/stats_internal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* |actual - expected| <= tol * max(1, |expected|): relative for large values,
 * absolute near zero. Prints both on failure (cmocka 1.1 has no double asserts). */
#define assert_close(actual, expected, tol) \
    assert_close_at((actual), (expected), (tol), #actual, __FILE__, __LINE__)
static void assert_close_at(double actual, double expected, double tol, const char *what,
                            const char *file, int line)
{
    double scale = fabs(expected) > 1.0 ? fabs(expected) : 1.0;
    if (!(fabs(actual - expected) <= tol * scale)) {
        print_error("%s:%d: %s = %.17g, expected %.17g (tol %g)\n", file, line, what, actual,
                    expected, tol);
        _fail(file, line);
    }
}
#define assert_nan(v) assert_true(isnan(v))

static const double x8[] = {12.1, 9.8, 11.4, 10.0, 13.7, 8.9, 10.6, 12.9};
static const double x7[] = {3.2, 1.5, 4.8, 2.2, 9.1, 2.2, 5.0};
static const double wa[] = {20.1, 22.4, 19.8, 21.7, 23.0, 20.9};
static const double wb[] = {18.2, 19.9, 17.5, 20.3, 18.8, 19.1, 18.0};
static const double wc[] = {1.0, 1.1, 0.9, 1.05, 0.95};
static const double wd[] = {1.3, -2.0, 4.1, 0.2, 2.8, 1.9, -0.7, 3.3, 0.4};
static const double t1[] = {1, 2, 2, 3, 3, 3, 4, 5};
static const double t2[] = {2, 3, 4, 4, 5, 5, 6, 6, 7};
static const double L1[] = {10.00246, 10.597491, 9.451724, 8.218816,  9.090658,
                            8.016707, 10.120287, 12.68043, 9.015587,  8.75905,
                            10.979684, 10.713774, 10.210828, 8.139064, 9.941496,
                            11.390606, 7.311571, 9.084768,  6.197555,  7.420925,
                            6.31653,  9.529818,  7.465107,  10.542529, 10.313502};
static const double L2[] = {11.126138, 6.466481,  10.422614, 11.402998, 11.726618,
                            8.439728,  10.544493, 9.542962,  9.882326,  13.621797,
                            9.884931,  11.434957, 13.26878,  10.332799, 11.276596,
                            11.720928, 11.627564, 9.049888,  11.65228,  14.217647,
                            8.405711,  13.218765, 11.738708, 10.217059, 15.500833,
                            13.024519, 9.101422,  11.649032, 12.653379, 11.122436};

/* ---- descriptive ------------------------------------------------------------- */

static void test_describe_even_n(void **state)
{
    (void)state;
    double copy[N(x8)];
    memcpy(copy, x8, sizeof copy);
    tdm_stats_desc d;
    assert_int_equal(tdm_stats_describe(copy, N(copy), &d), TDM_STATS_OK);
    assert_memory_equal(copy, x8, sizeof copy); /* the caller's order is kept */
    assert_int_equal(d.n, 8);
    assert_close(d.mean, 11.175, 1e-14);
    assert_close(d.median, 11.0, 1e-15); /* midpoint of 10.6 and 11.4 */
    assert_close(d.sd, 1.6490256863632275, 1e-14);
    assert_close(d.cv, 0.14756381980878994, 1e-14);
    assert_true(d.min == 8.9 && d.max == 13.7);
    assert_close(d.p5, 9.215, 1e-14);
    assert_close(d.p95, 13.42, 1e-14);
}

static void test_describe_odd_n_with_ties(void **state)
{
    (void)state;
    tdm_stats_desc d;
    assert_int_equal(tdm_stats_describe(x7, N(x7), &d), TDM_STATS_OK);
    assert_close(d.mean, 3.9999999999999996, 1e-14);
    assert_true(d.median == 3.2);
    assert_close(d.sd, 2.614702022538451, 1e-14);
    assert_close(d.cv, 0.6536755056346129, 1e-14);
    assert_close(d.p5, 1.71, 1e-14);
    assert_close(d.p95, 7.8699999999999966, 1e-14);
}

static void test_quantile_type7(void **state)
{
    (void)state;
    const double p[] = {0.0, 0.1, 0.25, 0.5, 0.9, 1.0};
    const double want[] = {8.9, 9.530000000000001, 9.95, 11.0, 13.14, 13.7};
    for (size_t i = 0; i < N(p); i++) {
        double q;
        assert_int_equal(tdm_stats_quantile(x8, N(x8), p[i], &q), TDM_STATS_OK);
        assert_close(q, want[i], 1e-15);
    }
    double q = 0.0;
    assert_int_equal(tdm_stats_quantile(x8, N(x8), 1.5, &q), TDM_STATS_EINVAL);
    assert_nan(q);
    assert_int_equal(tdm_stats_quantile(x8, N(x8), NAN, &q), TDM_STATS_EINVAL);
    assert_int_equal(tdm_stats_quantile(NULL, 0, 0.5, &q), TDM_STATS_OK);
    assert_nan(q);
    const double one = 4.25;
    assert_int_equal(tdm_stats_quantile(&one, 1, 0.05, &q), TDM_STATS_OK);
    assert_true(q == 4.25);
}

static void test_describe_edge_cases(void **state)
{
    (void)state;
    tdm_stats_desc d;
    /* n = 0: OK, everything NaN. */
    assert_int_equal(tdm_stats_describe(NULL, 0, &d), TDM_STATS_OK);
    assert_int_equal(d.n, 0);
    assert_nan(d.mean);
    assert_nan(d.median);
    assert_nan(d.sd);
    assert_nan(d.min);
    assert_nan(d.p95);
    /* n = 1: location defined, spread not. */
    const double one = 7.5;
    assert_int_equal(tdm_stats_describe(&one, 1, &d), TDM_STATS_OK);
    assert_true(d.n == 1 && d.mean == 7.5 && d.median == 7.5 && d.min == 7.5 && d.max == 7.5);
    assert_true(d.p5 == 7.5 && d.p95 == 7.5);
    assert_nan(d.sd);
    assert_nan(d.cv);
    assert_nan(tdm_stats_var(&one, 1));
    /* Identical values: the mean is the value and sd is exactly 0 (0.1 * 3 != 0.3). */
    const double same[] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    assert_int_equal(tdm_stats_describe(same, N(same), &d), TDM_STATS_OK);
    assert_true(d.mean == 0.1 && d.sd == 0.0 && d.cv == 0.0 && d.median == 0.1);
    /* Mean 0: CV undefined. */
    const double sym[] = {-1.0, 1.0};
    assert_int_equal(tdm_stats_describe(sym, N(sym), &d), TDM_STATS_OK);
    assert_true(d.mean == 0.0);
    assert_nan(d.cv);
    assert_close(d.median, 0.0, 0.0);
    /* Non-finite input is rejected and the result is all-NaN. */
    const double bad[] = {1.0, NAN, 3.0};
    assert_int_equal(tdm_stats_describe(bad, N(bad), &d), TDM_STATS_EINVAL);
    assert_int_equal(d.n, 0);
    assert_nan(d.mean);
    const double inf[] = {1.0, INFINITY};
    assert_int_equal(tdm_stats_describe(inf, N(inf), &d), TDM_STATS_EINVAL);
    assert_int_equal(tdm_stats_describe(NULL, 3, &d), TDM_STATS_EINVAL);
    assert_int_equal(tdm_stats_describe(x8, N(x8), NULL), TDM_STATS_EINVAL);
    assert_nan(tdm_stats_mean(bad, N(bad)));
    assert_nan(tdm_stats_mean(NULL, 0));
    /* ... and dropped explicitly by the caller when that is what it means. */
    const double mixed[] = {NAN, 1.0, INFINITY, 2.0, -INFINITY, 3.0};
    double kept[N(mixed)];
    assert_int_equal(tdm_stats_drop_nonfinite(mixed, N(mixed), kept), 3);
    assert_true(kept[0] == 1.0 && kept[1] == 2.0 && kept[2] == 3.0);
}

/* ---- distributions ----------------------------------------------------------- */

static void test_t_quantile_golden(void **state)
{
    (void)state;
    const double df[] = {1, 2, 5, 10, 30, 100};
    /* The brief's table (to 1e-6) and scipy's full values (to 1e-12 relative). */
    const double table[] = {12.7062047, 4.3026527, 2.5705818, 2.2281389, 2.0422725, 1.9839715};
    const double scipy[] = {12.706204736174694, 4.302652729749462, 2.5705818356363146,
                            2.228138851986274,  2.0422724563012378, 1.9839715185235518};
    for (size_t i = 0; i < N(df); i++) {
        double t = tdm_stats_t_quantile(0.975, df[i]);
        assert_true(fabs(t - table[i]) <= 1e-6);
        assert_close(t, scipy[i], 1e-12);
        assert_close(tdm_stats_t_quantile(0.025, df[i]), -scipy[i], 1e-12);
    }
    const double p[] = {0.995, 0.05, 1e-8, 0.6, 0.3};
    const double pdf[] = {3, 7.5, 4, 1e6, 0.5};
    const double want[] = {5.840909309733355, -1.8757474792112883, -131.59473694062356,
                           0.25334717053784184, -1.0095258786071655};
    for (size_t i = 0; i < N(p); i++)
        assert_close(tdm_stats_t_quantile(p[i], pdf[i]), want[i], 1e-11);
    /* Closed forms: Cauchy (df = 1) and df = 2, from the far tail to next to 0.5. */
    const double cp[] = {1e-300, 1e-100, 1e-10, 1e-4, 0.01, 0.2, 0.4999999999, 0.5000001,
                         0.7, 0.99, 1.0 - 1e-12};
    for (size_t i = 0; i < N(cp); i++) {
        double pp = cp[i], q = pp < 0.5 ? pp : 1.0 - pp, sign = pp < 0.5 ? -1.0 : 1.0;
        const double pi = 3.14159265358979323846;
        /* tan(pi (p - 1/2)), written so that the argument of tan is not near pi/2 */
        double cauchy = q > 0.25 ? tan(pi * (pp - 0.5)) : sign / tan(pi * q);
        double two = (2.0 * pp - 1.0) / sqrt(2.0 * pp * (1.0 - pp));
        if (pp > 1e-200) /* (2p - 1) / sqrt(2 p (1-p)) underflows before that */
            assert_close(tdm_stats_t_quantile(pp, 2.0), two, 1e-13);
        double t1q = tdm_stats_t_quantile(pp, 1.0);
        assert_true(fabs(t1q - cauchy) <= 1e-13 * fabs(cauchy));
    }
    assert_true(tdm_stats_t_quantile(0.5, 3.0) == 0.0);
    assert_close(tdm_stats_t_quantile(0.975, INFINITY), 1.959963984540054, 1e-14);
    assert_nan(tdm_stats_t_quantile(0.0, 5.0));
    assert_nan(tdm_stats_t_quantile(1.0, 5.0));
    assert_nan(tdm_stats_t_quantile(0.5, 0.0));
    assert_nan(tdm_stats_t_quantile(NAN, 5.0));
}

static void test_t_cdf_golden(void **state)
{
    (void)state;
    const double t[] = {2.0, -1.5, 0.3, 4.0, -10.0, 1e-3, -40.0};
    const double df[] = {5, 3, 1, 30, 2.5, 100, 7};
    const double want[] = {0.9490302605850708,    0.11529193262241147, 0.5927735790777423,
                           0.9998090771819581,    0.0022207478836537117, 0.5003979461199483,
                           7.951089992425182e-10};
    for (size_t i = 0; i < N(t); i++) {
        double c = tdm_stats_t_cdf(t[i], df[i]);
        /* relative to the smaller tail, so the far tails are checked too */
        double tail = c < 0.5 ? c : 1.0 - c, want_tail = want[i] < 0.5 ? want[i] : 1.0 - want[i];
        assert_true(fabs(tail - want_tail) <= 1e-12 * want_tail);
        assert_close(tdm_stats_t_p2(t[i], df[i]), 2.0 * want_tail, 1e-12);
    }
    /* Far tails where GSL is 1e-10 off (tests/oracle); 50-digit mpmath agrees with
     * scipy here. Then large df, where the t tail switches from the incomplete beta
     * to Hill's transformation (df >= 2e4). */
    const double ft[] = {-10.0, -50.0, -2.0, -2.0, -3.0, -10.0};
    const double fdf[] = {50, 1000, 1e5, 1e8, 1e15, 1e9};
    const double fwant[] = {8.038667344167724e-14, 1.379336206162586e-274, 0.022751481728753256,
                            0.022750133297953345,  0.0013498980316301262,  7.619872453045552e-24};
    for (size_t i = 0; i < N(ft); i++)
        assert_true(fabs(tdm_stats_t_cdf(ft[i], fdf[i]) - fwant[i]) <= 1e-13 * fwant[i]);
    assert_true(tdm_stats_t_cdf(0.0, 4.0) == 0.5);
    assert_true(tdm_stats_t_cdf(INFINITY, 4.0) == 1.0);
    assert_true(tdm_stats_t_cdf(-INFINITY, 4.0) == 0.0);
    assert_true(tdm_stats_t_p2(0.0, 4.0) == 1.0);
    assert_nan(tdm_stats_t_cdf(1.0, -1.0));
    assert_nan(tdm_stats_t_cdf(NAN, 3.0));
    /* quantile and cdf invert each other across the range a report uses */
    const double dfs[] = {0.7, 1, 1.5, 2, 3, 4.5, 9, 29, 120, 1e4};
    const double ps[] = {1e-12, 1e-6, 0.001, 0.025, 0.1, 0.3, 0.49, 0.51, 0.8, 0.975, 0.999999};
    for (size_t i = 0; i < N(dfs); i++)
        for (size_t j = 0; j < N(ps); j++) {
            double q = tdm_stats_t_quantile(ps[j], dfs[i]);
            double back = tdm_stats_t_cdf(q, dfs[i]);
            double tail = ps[j] < 0.5 ? ps[j] : 1.0 - ps[j];
            double got = ps[j] < 0.5 ? back : 1.0 - back;
            assert_true(fabs(got - tail) <= 1e-10 * tail);
        }
}

static void test_normal_golden(void **state)
{
    (void)state;
    const double z[] = {-1.96, 0.5, -8.0, 3.0};
    const double cdf[] = {0.024997895148220435, 0.6914624612740131, 6.22096057427174e-16,
                          0.9986501019683699};
    /* Relative 1e-13: at z = -8 rounding z / sqrt 2 alone moves erfc by ~z^2 * 1e-16,
     * and scipy's ndtr and ours round it differently (each ~6e-15 off the true value). */
    for (size_t i = 0; i < N(z); i++)
        assert_true(fabs(tdm_stats_norm_cdf(z[i]) - cdf[i]) <= 1e-13 * cdf[i]);
    const double p[] = {0.975, 1e-10, 0.999, 0.3, 0.49999};
    const double q[] = {1.959963984540054, -6.361340902404056, 3.090232306167813,
                        -0.5244005127080409, -2.5066282748960008e-05};
    for (size_t i = 0; i < N(p); i++)
        assert_true(fabs(tdm_stats_norm_quantile(p[i]) - q[i]) <= 1e-14 * fabs(q[i]));
    assert_true(tdm_stats_norm_quantile(0.5) == 0.0);
    assert_close(tdm_stats_norm_quantile(1e-300), -37.0470962993612, 1e-14);
    assert_nan(tdm_stats_norm_quantile(0.0));
    assert_nan(tdm_stats_norm_quantile(1.0));
    assert_nan(tdm_stats_norm_cdf(NAN));
}

static void test_ibeta_golden(void **state)
{
    (void)state;
    const double a[] = {2, 0.5, 10, 1, 50, 0.3, 200, 5e5};
    const double b[] = {3, 0.5, 20, 1, 0.5, 7, 300, 0.5};
    const double x[] = {0.4, 0.1, 0.3, 0.77, 0.98, 0.05, 0.41, 0.999999};
    const double want[] = {0.5247999999999999, 0.20483276469913345, 0.3640040810719437, 0.77,
                           0.1562435078668179, 0.7492802822437519,  0.677628164772179,
                           0.3173105078558957};
    for (size_t i = 0; i < N(a); i++)
        assert_close(tdm_stats_ibeta(a[i], b[i], x[i]), want[i], 1e-12);
    assert_true(tdm_stats_ibeta(2.0, 3.0, 0.0) == 0.0);
    assert_true(tdm_stats_ibeta(2.0, 3.0, 1.0) == 1.0);
    assert_nan(tdm_stats_ibeta(0.0, 3.0, 0.5));
    assert_nan(tdm_stats_ibeta(2.0, -1.0, 0.5));
    assert_nan(tdm_stats_ibeta(2.0, 3.0, 1.5));
    assert_nan(tdm_stats_ibeta(2.0, 3.0, NAN));
    assert_close(tdm_stats_lgamma(5.0), log(24.0), 1e-15);
    assert_nan(tdm_stats_lgamma(0.0));
}

/* ---- confidence intervals ------------------------------------------------------ */

static void test_ci_t_golden(void **state)
{
    (void)state;
    tdm_stats_ci ci;
    assert_int_equal(tdm_stats_ci_mean_t(x8, N(x8), 0.95, &ci), TDM_STATS_OK);
    assert_close(ci.lo, 9.796380025895548, 1e-13);
    assert_close(ci.hi, 12.553619974104453, 1e-13);
    assert_true(ci.level == 0.95);
    assert_int_equal(tdm_stats_ci_mean_t(x8, N(x8), 0.90, &ci), TDM_STATS_OK);
    assert_close(ci.lo, 10.07042539127361, 1e-13);
    assert_close(ci.hi, 12.279574608726392, 1e-13);
    assert_int_equal(tdm_stats_ci_mean_t(x7, N(x7), 0.95, &ci), TDM_STATS_OK);
    assert_close(ci.lo, 1.5818039513367212, 1e-13);
    assert_close(ci.hi, 6.418196048663278, 1e-13);
    assert_int_equal(tdm_stats_ci_mean_t(x7, N(x7), 0.90, &ci), TDM_STATS_OK);
    assert_close(ci.lo, 2.0796239660273317, 1e-13);
    assert_close(ci.hi, 5.920376033972666, 1e-13);
}

static void test_ci_edge_cases(void **state)
{
    (void)state;
    tdm_stats_ci ci;
    const double one = 3.0, same[] = {2.5, 2.5, 2.5};
    for (int boot = 0; boot < 2; boot++) {
        int rc = boot ? tdm_stats_ci_mean_boot(NULL, 0, 0.95, 100, 1, &ci)
                      : tdm_stats_ci_mean_t(NULL, 0, 0.95, &ci);
        assert_int_equal(rc, TDM_STATS_OK);
        assert_nan(ci.lo);
        assert_nan(ci.hi);
        rc = boot ? tdm_stats_ci_mean_boot(&one, 1, 0.95, 100, 1, &ci)
                  : tdm_stats_ci_mean_t(&one, 1, 0.95, &ci);
        assert_int_equal(rc, TDM_STATS_OK);
        assert_nan(ci.lo);
        assert_nan(ci.hi);
        rc = boot ? tdm_stats_ci_mean_boot(same, N(same), 0.95, 100, 1, &ci)
                  : tdm_stats_ci_mean_t(same, N(same), 0.95, &ci);
        assert_int_equal(rc, TDM_STATS_OK);
        assert_true(ci.lo == 2.5 && ci.hi == 2.5);
        const double levels[] = {0.0, 1.0, -0.5, NAN};
        for (size_t i = 0; i < N(levels); i++) {
            rc = boot ? tdm_stats_ci_mean_boot(x8, N(x8), levels[i], 100, 1, &ci)
                      : tdm_stats_ci_mean_t(x8, N(x8), levels[i], &ci);
            assert_int_equal(rc, TDM_STATS_EINVAL);
            assert_nan(ci.lo);
        }
        const double bad[] = {1.0, NAN};
        rc = boot ? tdm_stats_ci_mean_boot(bad, N(bad), 0.95, 100, 1, &ci)
                  : tdm_stats_ci_mean_t(bad, N(bad), 0.95, &ci);
        assert_int_equal(rc, TDM_STATS_EINVAL);
    }
}

static void test_rng_known_answers(void **state)
{
    (void)state;
    /* splitmix64 from 0: the reference implementation's first outputs. */
    uint64_t s = 0;
    assert_true(tdm_stats_priv_splitmix64(&s) == UINT64_C(0xe220a8397b1dcdaf));
    assert_true(tdm_stats_priv_splitmix64(&s) == UINT64_C(0x6e789e6aa1b965f4));
    assert_true(tdm_stats_priv_splitmix64(&s) == UINT64_C(0x06c45d188009454f));
    /* xoshiro256** seeded with splitmix64(42), as published elsewhere for the same
     * seeding: pins the generator behind every bootstrap interval. */
    tdm_stats_priv_rng r;
    tdm_stats_priv_rng_seed(&r, 42);
    assert_true(tdm_stats_priv_rng_next(&r) == UINT64_C(0x15780b2e0c2ec716));
    assert_true(tdm_stats_priv_rng_next(&r) == UINT64_C(0x6104d9866d113a7e));
    assert_true(tdm_stats_priv_rng_next(&r) == UINT64_C(0xae17533239e499a1));
    /* Bounded draws stay in range and reach every value. */
    unsigned seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        size_t k = tdm_stats_priv_rng_below(&r, 7);
        assert_true(k < 7);
        seen[k]++;
    }
    for (int k = 0; k < 7; k++)
        assert_true(seen[k] > 800 && seen[k] < 1200);
    assert_int_equal(tdm_stats_priv_rng_below(&r, 1), 0);
}

static void test_bootstrap_seeded(void **state)
{
    (void)state;
    tdm_stats_ci a, b, c, d, t;
    assert_int_equal(tdm_stats_ci_mean_boot(x8, N(x8), 0.95, 0, 42, &a), TDM_STATS_OK);
    assert_int_equal(tdm_stats_ci_mean_boot(x8, N(x8), 0.95, 0, 42, &b), TDM_STATS_OK);
    assert_int_equal(tdm_stats_ci_mean_boot(x8, N(x8), 0.95, 0, 43, &c), TDM_STATS_OK);
    assert_int_equal(tdm_stats_ci_mean_boot(x8, N(x8), 0.95, 10000, 42, &d), TDM_STATS_OK);
    /* Same seed: the same bytes. Another seed: another interval. 0 = the default. */
    assert_memory_equal(&a, &b, sizeof a);
    assert_false(a.lo == c.lo && a.hi == c.hi);
    assert_memory_equal(&a, &d, sizeof a);
    /* Pinned so that a change to the generator, the index draw or the summation
     * order (which would stop old reports reproducing) fails here. */
    assert_true(a.lo == 0x1.4466666666666p+3 && a.hi == 0x1.879999999999ap+3);
    /* It holds the mean, and sits inside the t interval (a percentile bootstrap of
     * 8 values is known to be narrower), but not absurdly so. */
    double m = tdm_stats_mean(x8, N(x8));
    assert_int_equal(tdm_stats_ci_mean_t(x8, N(x8), 0.95, &t), TDM_STATS_OK);
    assert_true(a.lo < m && m < a.hi);
    assert_true(c.lo < m && m < c.hi);
    assert_true(a.lo > t.lo && a.hi < t.hi);
    assert_true(a.hi - a.lo > 0.6 * (t.hi - t.lo));
    /* A larger sample: bootstrap and t intervals agree closely. */
    tdm_stats_ci bl, tl;
    assert_int_equal(tdm_stats_ci_mean_boot(L2, N(L2), 0.95, 0, 7, &bl), TDM_STATS_OK);
    assert_int_equal(tdm_stats_ci_mean_t(L2, N(L2), 0.95, &tl), TDM_STATS_OK);
    assert_true(fabs(bl.lo - tl.lo) < 0.15 && fabs(bl.hi - tl.hi) < 0.15);
}

/* ---- tests between samples ----------------------------------------------------- */

static void test_welch_golden(void **state)
{
    (void)state;
    tdm_stats_welch_result w, s;
    assert_int_equal(tdm_stats_welch(wa, N(wa), wb, N(wb), &w), TDM_STATS_OK);
    assert_close(w.t, 3.84510938303853, 1e-12);
    assert_close(w.df, 9.589698115634762, 1e-12);
    assert_close(w.p, 0.003497836981161575, 1e-12);
    assert_close(w.mean_diff, tdm_stats_mean(wa, N(wa)) - tdm_stats_mean(wb, N(wb)), 0.0);
    /* Swapping the samples flips t only. */
    assert_int_equal(tdm_stats_welch(wb, N(wb), wa, N(wa), &s), TDM_STATS_OK);
    assert_true(s.t == -w.t && s.df == w.df && s.p == w.p);
    assert_int_equal(tdm_stats_welch(wc, N(wc), wd, N(wd), &w), TDM_STATS_OK);
    assert_close(w.t, -0.38678002014018087, 1e-12);
    assert_close(w.df, 8.045877691065032, 1e-12);
    assert_close(w.p, 0.708947909850403, 1e-12);
}

static void test_welch_edge_cases(void **state)
{
    (void)state;
    tdm_stats_welch_result w;
    const double one = 5.0, five[] = {5, 5, 5}, six[] = {6, 6, 6, 6};
    /* A sample of one: no variance, no test; the difference is still reported. */
    assert_int_equal(tdm_stats_welch(&one, 1, wb, N(wb), &w), TDM_STATS_OK);
    assert_nan(w.t);
    assert_nan(w.df);
    assert_nan(w.p);
    assert_close(w.mean_diff, 5.0 - tdm_stats_mean(wb, N(wb)), 0.0);
    assert_int_equal(tdm_stats_welch(NULL, 0, wb, N(wb), &w), TDM_STATS_OK);
    assert_nan(w.mean_diff);
    /* Both constant, equal: t = 0, p = 1. */
    assert_int_equal(tdm_stats_welch(five, N(five), five, N(five), &w), TDM_STATS_OK);
    assert_true(w.t == 0.0 && w.p == 1.0 && w.df == 4.0 && w.mean_diff == 0.0);
    /* Both constant, different: t = -inf, p = 0 (scipy's limit too). */
    assert_int_equal(tdm_stats_welch(five, N(five), six, N(six), &w), TDM_STATS_OK);
    assert_true(isinf(w.t) && w.t < 0 && w.p == 0.0 && w.df == 5.0 && w.mean_diff == -1.0);
    /* One constant sample is fine: df = n - 1 of the other. */
    assert_int_equal(tdm_stats_welch(five, N(five), wb, N(wb), &w), TDM_STATS_OK);
    assert_close(w.df, 6.0, 1e-12);
    assert_true(isfinite(w.t) && w.p > 0.0 && w.p < 1.0);
    const double bad[] = {1.0, NAN, 2.0};
    assert_int_equal(tdm_stats_welch(bad, N(bad), wb, N(wb), &w), TDM_STATS_EINVAL);
    assert_nan(w.p);
    assert_int_equal(tdm_stats_welch(wa, N(wa), NULL, 2, &w), TDM_STATS_EINVAL);
}

static void test_mann_whitney_exact(void **state)
{
    (void)state;
    tdm_stats_mw_result u, s;
    assert_int_equal(tdm_stats_mann_whitney(wa, N(wa), wb, N(wb), &u), TDM_STATS_OK);
    assert_int_equal(u.method, TDM_STATS_MW_EXACT);
    assert_true(u.u1 == 39.0 && u.u2 == 3.0);
    assert_close(u.p, 0.008158508158508158, 1e-13);
    assert_nan(u.z);
    assert_int_equal(tdm_stats_mann_whitney(wb, N(wb), wa, N(wa), &s), TDM_STATS_OK);
    assert_true(s.u1 == 3.0 && s.p == u.p);
    const double s1[] = {1, 5, 9}, s2[] = {2, 3, 4, 6};
    assert_int_equal(tdm_stats_mann_whitney(s1, N(s1), s2, N(s2), &u), TDM_STATS_OK);
    assert_true(u.u1 == 7.0 && u.method == TDM_STATS_MW_EXACT);
    assert_close(u.p, 0.8571428571428571, 1e-13);
    /* The largest exact case, 20 x 20. */
    assert_int_equal(tdm_stats_mann_whitney(L1, 20, L2, 20, &u), TDM_STATS_OK);
    assert_true(u.u1 == 97.0 && u.method == TDM_STATS_MW_EXACT);
    assert_close(u.p, 0.004681198543944589, 1e-12);
    /* One value each: U is 0 or 1, p = 1. */
    const double lo = 1.0, hi = 2.0;
    assert_int_equal(tdm_stats_mann_whitney(&lo, 1, &hi, 1, &u), TDM_STATS_OK);
    assert_true(u.u1 == 0.0 && u.p == 1.0);
}

static void test_mann_whitney_normal(void **state)
{
    (void)state;
    tdm_stats_mw_result u;
    /* Ties: normal approximation with tie correction and continuity correction. */
    assert_int_equal(tdm_stats_mann_whitney(t1, N(t1), t2, N(t2), &u), TDM_STATS_OK);
    assert_int_equal(u.method, TDM_STATS_MW_NORMAL);
    assert_true(u.u1 == 13.5 && u.u2 == 58.5);
    assert_close(u.p, 0.03175895714806371, 1e-12);
    assert_true(u.z > 0.0);
    /* No ties but a sample above 20: normal approximation. */
    assert_int_equal(tdm_stats_mann_whitney(L1, N(L1), L2, N(L2), &u), TDM_STATS_OK);
    assert_int_equal(u.method, TDM_STATS_MW_NORMAL);
    assert_true(u.u1 == 157.0);
    assert_close(u.p, 0.0002365290503952816, 1e-12);
    /* Every value tied: no evidence, p = 1. */
    const double c1[] = {4, 4, 4}, c2[] = {4, 4, 4, 4};
    assert_int_equal(tdm_stats_mann_whitney(c1, N(c1), c2, N(c2), &u), TDM_STATS_OK);
    assert_true(u.method == TDM_STATS_MW_NORMAL && u.u1 == 6.0 && u.z == 0.0 && u.p == 1.0);
    /* Empty sample, bad input. */
    assert_int_equal(tdm_stats_mann_whitney(NULL, 0, c2, N(c2), &u), TDM_STATS_OK);
    assert_nan(u.u1);
    assert_nan(u.p);
    assert_int_equal(u.method, 0);
    const double bad[] = {1.0, INFINITY};
    assert_int_equal(tdm_stats_mann_whitney(bad, N(bad), c2, N(c2), &u), TDM_STATS_EINVAL);
    assert_nan(u.p);
}

static void test_holm(void **state)
{
    (void)state;
    const double p[] = {0.01, 0.04, 0.03, 0.005, 0.2, 0.04};
    const double want[] = {0.05, 0.12, 0.12, 0.03, 0.2, 0.12};
    double adj[N(p)];
    assert_int_equal(tdm_stats_holm(p, N(p), adj), TDM_STATS_OK);
    for (size_t i = 0; i < N(p); i++)
        assert_close(adj[i], want[i], 1e-15);
    /* Monotone: a larger raw p never gets a smaller adjusted p, and adj >= p. */
    for (size_t i = 0; i < N(p); i++) {
        assert_true(adj[i] >= p[i]);
        for (size_t j = 0; j < N(p); j++)
            if (p[i] < p[j])
                assert_true(adj[i] <= adj[j]);
    }
    /* In place, capped at 1: 0.3 * 3, then max(0.5 * 2, .) = 1, then max(0.9, 1). */
    double q[] = {0.5, 0.3, 0.9};
    assert_int_equal(tdm_stats_holm(q, N(q), q), TDM_STATS_OK);
    assert_true(q[0] == 1.0 && q[2] == 1.0);
    assert_close(q[1], 0.9, 1e-15);
    double big[] = {0.6, 0.7};
    assert_int_equal(tdm_stats_holm(big, N(big), big), TDM_STATS_OK);
    assert_true(big[0] == 1.0 && big[1] == 1.0);
    /* NaN = not performed: stays NaN, not counted in the family. */
    const double withnan[] = {0.01, NAN, 0.04};
    double out[3];
    assert_int_equal(tdm_stats_holm(withnan, 3, out), TDM_STATS_OK);
    assert_close(out[0], 0.02, 1e-15);
    assert_nan(out[1]);
    assert_close(out[2], 0.04, 1e-15);
    assert_int_equal(tdm_stats_holm(NULL, 0, NULL), TDM_STATS_OK);
    const double single = 0.03;
    assert_int_equal(tdm_stats_holm(&single, 1, out), TDM_STATS_OK);
    assert_true(out[0] == 0.03);
    const double bad[] = {0.01, 1.5};
    assert_int_equal(tdm_stats_holm(bad, N(bad), out), TDM_STATS_EINVAL);
    const double neg[] = {-0.1};
    assert_int_equal(tdm_stats_holm(neg, 1, out), TDM_STATS_EINVAL);
}

/* ---- effect sizes ---------------------------------------------------------- */

static void test_effect_sizes(void **state)
{
    (void)state;
    double g, d;
    assert_int_equal(tdm_stats_hedges_g(wa, N(wa), wb, N(wb), &g), TDM_STATS_OK);
    assert_close(g, 2.0263445423803663, 1e-12);
    assert_int_equal(tdm_stats_hedges_g(wc, N(wc), wd, N(wd), &g), TDM_STATS_OK);
    assert_close(g, -0.14794039487521124, 1e-12);
    assert_int_equal(tdm_stats_cliffs_delta(wa, N(wa), wb, N(wb), &d), TDM_STATS_OK);
    assert_close(d, 0.8571428571428571, 1e-15);
    assert_int_equal(tdm_stats_cliffs_delta(t1, N(t1), t2, N(t2), &d), TDM_STATS_OK);
    assert_close(d, -0.625, 1e-15);
    /* delta = 2 U1 / (n1 n2) - 1, ties included. */
    tdm_stats_mw_result u;
    assert_int_equal(tdm_stats_mann_whitney(t1, N(t1), t2, N(t2), &u), TDM_STATS_OK);
    assert_close(d, 2.0 * u.u1 / (double)(N(t1) * N(t2)) - 1.0, 1e-15);
    assert_int_equal(tdm_stats_cliffs_delta(L1, N(L1), L2, N(L2), &d), TDM_STATS_OK);
    assert_int_equal(tdm_stats_mann_whitney(L1, N(L1), L2, N(L2), &u), TDM_STATS_OK);
    assert_close(d, 2.0 * u.u1 / (double)(N(L1) * N(L2)) - 1.0, 1e-15);
}

/* The smallest p Mann-Whitney can return: 2 / C(10, 5) = 2/252 for 5 vs 5 without ties,
 * the fully tied separation on the normal path when that is smaller, and what
 * tdm_stats_mann_whitney really returns for those arrangements. */
static void test_mw_min_p(void **state)
{
    (void)state;
    const double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10}, ta[] = {1, 1, 1, 1, 1}, tb[] = {2, 2, 2, 2, 2};
    tdm_stats_mw_result u, t;
    assert_int_equal(tdm_stats_mann_whitney(a, 5, b, 5, &u), TDM_STATS_OK);
    assert_int_equal(tdm_stats_mann_whitney(ta, 5, tb, 5, &t), TDM_STATS_OK);
    assert_close(u.p, 2.0 / 252.0, 1e-12);
    double m = tdm_stats_mw_min_p(5, 5);
    assert_close(m, fmin(u.p, t.p), 1e-12);
    assert_true(m <= u.p && m <= t.p);
    /* 5 vs 5 with Holm over 60 tests cannot reach 0.05 */
    assert_true(60.0 * m > 0.05);
    assert_true(tdm_stats_mw_min_p(1, 1) == 1.0);
    assert_nan(tdm_stats_mw_min_p(0, 5));
    /* large samples can reach anything */
    assert_true(tdm_stats_mw_min_p(30, 30) < 1e-10);
}

static void test_effect_size_edge_cases(void **state)
{
    (void)state;
    double g, d;
    const double one = 1.0, five[] = {5, 5, 5}, six[] = {6, 6};
    assert_int_equal(tdm_stats_hedges_g(&one, 1, wb, N(wb), &g), TDM_STATS_OK);
    assert_nan(g);
    /* a constant side, or sds 100x apart: undefined, never 0, inf or a huge number */
    assert_int_equal(tdm_stats_hedges_g(five, N(five), five, N(five), &g), TDM_STATS_OK);
    assert_nan(g);
    assert_int_equal(tdm_stats_hedges_g(six, N(six), five, N(five), &g), TDM_STATS_OK);
    assert_nan(g);
    const double pinned[] = {49.99, 49.991, 49.992, 49.989, 49.99}, spread[] = {90.1, 92.5, 91.0, 93.2, 89.7};
    assert_int_equal(tdm_stats_hedges_g(spread, N(spread), pinned, N(pinned), &g), TDM_STATS_OK);
    assert_nan(g);
    const double zero_sd[] = {0, 0, 0};
    assert_int_equal(tdm_stats_hedges_g(zero_sd, N(zero_sd), wc, N(wc), &g), TDM_STATS_OK);
    assert_nan(g);
    assert_int_equal(tdm_stats_cliffs_delta(five, N(five), five, N(five), &d), TDM_STATS_OK);
    assert_true(d == 0.0);
    assert_int_equal(tdm_stats_cliffs_delta(six, N(six), five, N(five), &d), TDM_STATS_OK);
    assert_true(d == 1.0);
    assert_int_equal(tdm_stats_cliffs_delta(five, N(five), six, N(six), &d), TDM_STATS_OK);
    assert_true(d == -1.0);
    assert_int_equal(tdm_stats_cliffs_delta(&one, 1, &one, 1, &d), TDM_STATS_OK);
    assert_true(d == 0.0);
    assert_int_equal(tdm_stats_cliffs_delta(NULL, 0, five, N(five), &d), TDM_STATS_OK);
    assert_nan(d);
    const double bad[] = {NAN};
    assert_int_equal(tdm_stats_cliffs_delta(bad, 1, five, N(five), &d), TDM_STATS_EINVAL);
    assert_int_equal(tdm_stats_hedges_g(five, N(five), bad, 1, &g), TDM_STATS_EINVAL);
    assert_nan(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe_even_n),
        cmocka_unit_test(test_describe_odd_n_with_ties),
        cmocka_unit_test(test_quantile_type7),
        cmocka_unit_test(test_describe_edge_cases),
        cmocka_unit_test(test_t_quantile_golden),
        cmocka_unit_test(test_t_cdf_golden),
        cmocka_unit_test(test_normal_golden),
        cmocka_unit_test(test_ibeta_golden),
        cmocka_unit_test(test_ci_t_golden),
        cmocka_unit_test(test_ci_edge_cases),
        cmocka_unit_test(test_rng_known_answers),
        cmocka_unit_test(test_bootstrap_seeded),
        cmocka_unit_test(test_welch_golden),
        cmocka_unit_test(test_welch_edge_cases),
        cmocka_unit_test(test_mann_whitney_exact),
        cmocka_unit_test(test_mann_whitney_normal),
        cmocka_unit_test(test_holm),
        cmocka_unit_test(test_effect_sizes),
        cmocka_unit_test(test_effect_size_edge_cases),
        cmocka_unit_test(test_mw_min_p),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
