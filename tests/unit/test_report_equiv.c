/* test_report_equiv.c — Schuirmann's TOST on Welch's t (src/report/stats_equiv.c)
 * against scipy 1.17.1, cross-checked with statsmodels 0.15.0's ttost_ind (which agreed
 * to 1e-12 on every case below). To re-derive: python3 -m venv /tmp/v && /tmp/v/bin/pip
 * install scipy statsmodels, then with /tmp/v/bin/python:
 *
 *   import numpy as np
 *   from scipy import stats
 *   from statsmodels.stats.weightstats import ttost_ind
 *   def tost(x, y, low, upp, alpha=0.05):
 *       w = stats.ttest_ind(x, y, equal_var=False)
 *       se = (x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y)) ** 0.5
 *       diff = x.mean() - y.mean()
 *       p1 = stats.t.sf((diff - low) / se, w.df)     # H0: diff <= low
 *       p2 = stats.t.cdf((diff - upp) / se, w.df)    # H0: diff >= upp
 *       ci = w.confidence_interval(1 - 2 * alpha)
 *       assert np.isclose(ttost_ind(x, y, low, upp, usevar="unequal")[0], max(p1, p2), rtol=1e-12)
 *       return diff, se, w.df, p1, p2, max(p1, p2), ci.low, ci.high
 *
 * with the samples A, B, C, D, L1, L2 below (as in test_report_stats.c).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "report/stats.h"

static void near(double got, double want, double rel)
{
    double tol = rel * fmax(1e-300, fabs(want));
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

static const double A[] = {20.1, 22.4, 19.8, 21.7, 23.0, 20.9};
static const double B[] = {18.2, 19.9, 17.5, 20.3, 18.8, 19.1, 18.0};
static const double C[] = {1.0, 1.1, 0.9, 1.05, 0.95};
static const double D[] = {1.3, -2.0, 4.1, 0.2, 2.8, 1.9, -0.7, 3.3, 0.4};
static const double L1[] = {10.00246,  10.597491, 9.451724,  8.218816, 9.090658,  8.016707, 10.120287,
                            12.68043,  9.015587,  8.75905,   10.979684, 10.713774, 10.210828, 8.139064,
                            9.941496,  11.390606, 7.311571,  9.084768,  6.197555,  7.420925,  6.31653,
                            9.529818,  7.465107,  10.542529, 10.313502};
static const double L2[] = {11.126138, 6.466481,  10.422614, 11.402998, 11.726618, 8.439728,  10.544493,
                            9.542962,  9.882326,  13.621797, 9.884931,  11.434957, 13.26878,  10.332799,
                            11.276596, 11.720928, 11.627564, 9.049888,  11.65228,  14.217647, 8.405711,
                            13.218765, 11.738708, 10.217059, 15.500833, 13.024519, 9.101422,  11.649032,
                            12.653379, 11.122436};
#define N(x) (sizeof(x) / sizeof((x)[0]))

typedef struct golden {
    double low, upp, alpha;
    double p_lower, p_upper, ci_lo, ci_hi;
} golden;

static void check(const double *x, size_t nx, const double *y, size_t ny, const golden *g, double diff, double se,
                  double df)
{
    tdm_stats_tost_result r;
    assert_int_equal(tdm_stats_tost_welch(x, nx, y, ny, g->low, g->upp, g->alpha, &r), TDM_STATS_OK);
    near(r.diff, diff, 1e-13);
    near(r.se, se, 1e-13);
    near(r.df, df, 1e-12);
    near(r.t_lower, (diff - g->low) / se, 1e-12);
    near(r.t_upper, (diff - g->upp) / se, 1e-12);
    /* tails relative to themselves, down to 4e-23 */
    near(r.p_lower, g->p_lower, 1e-10);
    near(r.p_upper, g->p_upper, 1e-10);
    near(r.p, fmax(g->p_lower, g->p_upper), 1e-10);
    near(r.lo, g->ci_lo, 1e-12);
    near(r.hi, g->ci_hi, 1e-12);
}

static void test_tost_golden_small(void **state)
{
    (void)state;
    const double diff = 2.488095238095241, se = 0.6470804833461116, df = 9.589698115634762;
    /* the CI [1.31, 3.67] reaches past 3.5: not equivalent at alpha = 0.05 */
    const golden g1 = {-3.5, 3.5, 0.05, 2.174698286331908e-06, 0.07511538368446227, 1.3101744885084363,
                       3.6660159876820444};
    /* nowhere near: the upper test fails outright */
    const golden g2 = {-1.0, 1.0, 0.05, 0.00017641583191494218, 0.9773349755385848, 1.3101744885084363,
                       3.6660159876820444};
    /* asymmetric bounds, alpha = 0.10 (an 80% CI): the lower test is the larger p */
    const golden g3 = {1.0, 4.0, 0.10, 0.022665024461415117, 0.021308656966936165, 1.5974921155201645,
                       3.378698360670317};
    check(A, N(A), B, N(B), &g1, diff, se, df);
    check(A, N(A), B, N(B), &g2, diff, se, df);
    check(A, N(A), B, N(B), &g3, diff, se, df);
    /* unequal variances and sizes */
    const double diff2 = -0.25555555555555554, se2 = 0.6607258447913995, df2 = 8.045877691065032;
    const golden g4 = {-2.0, 2.0, 0.05, 0.014779411304961515, 0.004546950401542332, -1.4832993942482904,
                       0.9721882831371789};
    const golden g5 = {-1.0, 0.5, 0.05, 0.14617295192278426, 0.14285088864855566, -1.4832993942482904,
                       0.9721882831371789};
    check(C, N(C), D, N(D), &g4, diff2, se2, df2);
    check(C, N(C), D, N(D), &g5, diff2, se2, df2);
}

static void test_tost_golden_tails(void **state)
{
    (void)state;
    const double diff = -1.8820409533333304, se = 0.47154429706916157, df = 52.99007894370803;
    const golden g1 = {-1.5, 1.5, 0.05, 0.7892729775568521, 1.192093192236278e-09, -2.6714635466498526,
                       -1.0926183600168085};
    /* both tails far out: p_upper ~ 4e-23 must keep its relative accuracy */
    const golden g2 = {-6.0, 6.0, 0.05, 3.853083922038938e-12, 4.4085311873459486e-23, -2.6714635466498526,
                       -1.0926183600168085};
    const golden g3 = {-0.3, 0.3, 0.05, 0.999263691319013, 1.2137938883516786e-05, -2.6714635466498526,
                       -1.0926183600168085};
    check(L1, N(L1), L2, N(L2), &g1, diff, se, df);
    check(L1, N(L1), L2, N(L2), &g2, diff, se, df);
    check(L1, N(L1), L2, N(L2), &g3, diff, se, df);
}

/* The decision the report relies on: p < alpha exactly when the (1 - 2 alpha) CI lies
 * inside the bounds. The 90% CI of A - B is [1.31017, 3.66602]. */
static void test_tost_matches_the_ci(void **state)
{
    (void)state;
    tdm_stats_tost_result r;
    assert_int_equal(tdm_stats_tost_welch(A, N(A), B, N(B), 1.31, 3.67, 0.05, &r), TDM_STATS_OK);
    assert_true(r.lo > 1.31 && r.hi < 3.67);
    assert_true(r.p < 0.05);
    /* move either bound past the CI's end and equivalence is lost */
    assert_int_equal(tdm_stats_tost_welch(A, N(A), B, N(B), 1.32, 3.67, 0.05, &r), TDM_STATS_OK);
    assert_true(r.p > 0.05 && r.p == r.p_lower);
    assert_int_equal(tdm_stats_tost_welch(A, N(A), B, N(B), 1.31, 3.66, 0.05, &r), TDM_STATS_OK);
    assert_true(r.p > 0.05 && r.p == r.p_upper);
    /* on the CI's end, the one-sided p is alpha itself */
    assert_int_equal(tdm_stats_tost_welch(A, N(A), B, N(B), 1.3101744885084363, 10.0, 0.05, &r), TDM_STATS_OK);
    near(r.p_lower, 0.05, 1e-9);
}

/* a - b within (low, upp) is b - a within (-upp, -low): the same two tests, swapped. */
static void test_tost_symmetry(void **state)
{
    (void)state;
    tdm_stats_tost_result ab, ba;
    assert_int_equal(tdm_stats_tost_welch(C, N(C), D, N(D), -1.0, 0.5, 0.05, &ab), TDM_STATS_OK);
    assert_int_equal(tdm_stats_tost_welch(D, N(D), C, N(C), -0.5, 1.0, 0.05, &ba), TDM_STATS_OK);
    near(ab.p_lower, ba.p_upper, 1e-13);
    near(ab.p_upper, ba.p_lower, 1e-13);
    near(ab.lo, -ba.hi, 1e-13);
    near(ab.hi, -ba.lo, 1e-13);
}

static void test_tost_edges(void **state)
{
    (void)state;
    tdm_stats_tost_result r;
    /* one value: a difference, but no test */
    assert_int_equal(tdm_stats_tost_welch(A, 1, B, N(B), -1.0, 1.0, 0.05, &r), TDM_STATS_OK);
    near(r.diff, 20.1 - 18.828571428571429, 1e-12);
    assert_true(isnan(r.p) && isnan(r.p_lower) && isnan(r.lo) && isnan(r.se));
    /* empty */
    assert_int_equal(tdm_stats_tost_welch(NULL, 0, B, N(B), -1.0, 1.0, 0.05, &r), TDM_STATS_OK);
    assert_true(isnan(r.diff) && isnan(r.p));
    /* zero variance in both: the limits (inside 0, on the bound 0.5, beyond 1) */
    const double x[] = {5.0, 5.0, 5.0}, y[] = {4.5, 4.5};
    assert_int_equal(tdm_stats_tost_welch(x, 3, y, 2, -1.0, 1.0, 0.05, &r), TDM_STATS_OK);
    assert_true(r.se == 0.0 && r.lo == 0.5 && r.hi == 0.5);
    assert_true(r.p_lower == 0.0 && r.p_upper == 0.0 && r.p == 0.0);
    assert_int_equal(tdm_stats_tost_welch(x, 3, y, 2, -1.0, 0.5, 0.05, &r), TDM_STATS_OK);
    assert_true(r.p_lower == 0.0 && r.p_upper == 0.5 && r.p == 0.5);
    assert_int_equal(tdm_stats_tost_welch(x, 3, y, 2, -0.2, 0.2, 0.05, &r), TDM_STATS_OK);
    assert_true(r.p_lower == 0.0 && r.p_upper == 1.0 && r.p == 1.0);
    /* refused: bounds the wrong way round or empty, alpha out of range, NaN, no result */
    assert_int_equal(tdm_stats_tost_welch(A, N(A), B, N(B), 1.0, 1.0, 0.05, &r), TDM_STATS_EINVAL);
    assert_true(isnan(r.p) && isnan(r.diff));
    assert_int_equal(tdm_stats_tost_welch(A, N(A), B, N(B), 1.0, -1.0, 0.05, &r), TDM_STATS_EINVAL);
    assert_int_equal(tdm_stats_tost_welch(A, N(A), B, N(B), -1.0, 1.0, 0.5, &r), TDM_STATS_EINVAL);
    assert_int_equal(tdm_stats_tost_welch(A, N(A), B, N(B), -1.0, 1.0, 0.0, &r), TDM_STATS_EINVAL);
    assert_int_equal(tdm_stats_tost_welch(A, N(A), B, N(B), -INFINITY, 1.0, 0.05, &r), TDM_STATS_EINVAL);
    const double bad[] = {1.0, NAN, 2.0};
    assert_int_equal(tdm_stats_tost_welch(bad, 3, B, N(B), -1.0, 1.0, 0.05, &r), TDM_STATS_EINVAL);
    assert_int_equal(tdm_stats_tost_welch(A, N(A), B, N(B), -1.0, 1.0, 0.05, NULL), TDM_STATS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tost_golden_small),  cmocka_unit_test(test_tost_golden_tails),
        cmocka_unit_test(test_tost_matches_the_ci), cmocka_unit_test(test_tost_symmetry),
        cmocka_unit_test(test_tost_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
