/* test_report_gap.c — the one-sample t-test and Welch's CI of a difference
 * (src/report/stats_gap.c) against scipy 1.17.1:
 *
 *   x = np.array([96.1, 97.4, 95.2, 98.8, 94.9, 97.0])
 *   res = stats.ttest_1samp(x, 99.25); ci = res.confidence_interval(0.95)   # minus 99.25
 *   a = np.array([20.1, 22.4, 19.8, 21.7, 23.0, 20.9])
 *   b = np.array([18.2, 19.9, 17.5, 20.3, 18.8, 19.1, 18.0])
 *   w = stats.ttest_ind(a, b, equal_var=False); w.confidence_interval(0.95)
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
    double tol = rel * fmax(1.0, fabs(want));
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

static const double X[] = {96.1, 97.4, 95.2, 98.8, 94.9, 97.0};
static const double A[] = {20.1, 22.4, 19.8, 21.7, 23.0, 20.9};
static const double B[] = {18.2, 19.9, 17.5, 20.3, 18.8, 19.1, 18.0};

static void test_one_sample(void **state)
{
    (void)state;
    tdm_stats_gap_result g;
    assert_int_equal(tdm_stats_one_sample_t(X, 6, 99.25, 0.95, &g), TDM_STATS_OK);
    near(g.t, -4.486089611231602, 1e-12);
    near(g.df, 5.0, 0);
    near(g.p, 0.006482152497717213, 1e-10);
    near(g.lo, -4.220914729022496, 1e-12);
    near(g.hi, -1.145751937644178, 1e-12);
    near(g.diff, 96.56666666666666 - 99.25, 1e-12);
    assert_int_equal(tdm_stats_one_sample_t(X, 6, 99.25, 0.90, &g), TDM_STATS_OK);
    near(g.lo, -3.8886250098317845, 1e-12);
    near(g.hi, -1.4780416568348897, 1e-12);
}

static void test_one_sample_edges(void **state)
{
    (void)state;
    tdm_stats_gap_result g;
    /* one value: a gap, but no test */
    assert_int_equal(tdm_stats_one_sample_t(X, 1, 99.25, 0.95, &g), TDM_STATS_OK);
    near(g.diff, 96.1 - 99.25, 1e-15);
    assert_true(isnan(g.p) && isnan(g.lo) && isnan(g.t));
    /* empty */
    assert_int_equal(tdm_stats_one_sample_t(NULL, 0, 1.0, 0.95, &g), TDM_STATS_OK);
    assert_true(isnan(g.diff));
    /* zero variance: the limit */
    const double c[] = {50.0, 50.0, 50.0};
    assert_int_equal(tdm_stats_one_sample_t(c, 3, 50.0, 0.95, &g), TDM_STATS_OK);
    assert_true(g.p == 1.0 && g.t == 0.0 && g.lo == 0.0 && g.hi == 0.0);
    assert_int_equal(tdm_stats_one_sample_t(c, 3, 99.25, 0.95, &g), TDM_STATS_OK);
    assert_true(g.p == 0.0 && isinf(g.t) && g.t < 0 && g.lo == g.diff && g.hi == g.diff);
    /* rejected input */
    const double bad[] = {1.0, NAN};
    assert_int_equal(tdm_stats_one_sample_t(bad, 2, 1.0, 0.95, &g), TDM_STATS_EINVAL);
    assert_int_equal(tdm_stats_one_sample_t(X, 6, NAN, 0.95, &g), TDM_STATS_EINVAL);
    assert_int_equal(tdm_stats_one_sample_t(X, 6, 1.0, 1.0, &g), TDM_STATS_EINVAL);
    assert_int_equal(tdm_stats_one_sample_t(X, 6, 1.0, 0.95, NULL), TDM_STATS_EINVAL);
}

static void test_welch_gap(void **state)
{
    (void)state;
    tdm_stats_gap_result g;
    assert_int_equal(tdm_stats_welch_gap(A, 6, B, 7, 0.95, &g), TDM_STATS_OK);
    near(g.t, 3.84510938303853, 1e-12);
    near(g.df, 9.589698115634762, 1e-12);
    near(g.p, 0.003497836981161575, 1e-10);
    near(g.lo, 1.0379044770156296, 1e-12);
    near(g.hi, 3.938285999174852, 1e-12);
    /* the same t and p as tdm_stats_welch, to the bit */
    tdm_stats_welch_result w;
    tdm_stats_welch(A, 6, B, 7, &w);
    assert_true(w.t == g.t && w.p == g.p && w.df == g.df);
    /* swapping the samples mirrors the interval */
    tdm_stats_gap_result h;
    tdm_stats_welch_gap(B, 7, A, 6, 0.95, &h);
    near(h.lo, -g.hi, 1e-12);
    near(h.hi, -g.lo, 1e-12);
}

static void test_welch_gap_edges(void **state)
{
    (void)state;
    tdm_stats_gap_result g;
    assert_int_equal(tdm_stats_welch_gap(A, 1, B, 7, 0.95, &g), TDM_STATS_OK);
    assert_false(isnan(g.diff));
    assert_true(isnan(g.lo) && isnan(g.p));
    const double c1[] = {2.0, 2.0}, c2[] = {3.0, 3.0, 3.0};
    assert_int_equal(tdm_stats_welch_gap(c1, 2, c2, 3, 0.95, &g), TDM_STATS_OK);
    assert_true(g.se == 0.0 && g.lo == -1.0 && g.hi == -1.0 && g.p == 0.0 && g.df == 3.0);
    const double bad[] = {INFINITY, 1.0};
    assert_int_equal(tdm_stats_welch_gap(bad, 2, c2, 3, 0.95, &g), TDM_STATS_EINVAL);
    assert_int_equal(tdm_stats_welch_gap(A, 6, B, 7, 0.0, &g), TDM_STATS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_sample),
        cmocka_unit_test(test_one_sample_edges),
        cmocka_unit_test(test_welch_gap),
        cmocka_unit_test(test_welch_gap_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
