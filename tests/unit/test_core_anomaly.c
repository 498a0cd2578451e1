/* test_core_anomaly.c — the anomaly rules (src/core/anomaly.c) on hand-made numbers:
 * each rule fires just beyond its bound and not at it, undefined values never fire,
 * the peer rule needs three runs and is robust to the outlier itself, and the flags
 * come out in one order whatever order they were found in. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/anomaly.h"

#define MS 1000000LL

static tdm_anomaly_run run_of(int no, double eff, double t_seq, double t_conc)
{
    return (tdm_anomaly_run){no, 2, eff, t_seq, t_conc};
}

static void test_kind_names_are_stable(void **state)
{
    (void)state;
    assert_string_equal(tdm_anomaly_kind_name(TDM_ANOMALY_EFFICIENCY_ABOVE_100), "efficiency_above_100");
    assert_string_equal(tdm_anomaly_kind_name(TDM_ANOMALY_TOKEN_STALL), "token_stall");
    assert_string_equal(tdm_anomaly_kind_name(TDM_ANOMALY_SLOW_PHASE), "slow_phase");
    assert_string_equal(tdm_anomaly_kind_name(TDM_ANOMALY_KIND_COUNT), "unknown");
}

static void test_efficiency_bound(void **state)
{
    (void)state;
    tdm_anomaly a;
    tdm_anomaly_run r = run_of(3, 102.0, 20.4, 10.0);
    assert_false(tdm_anomaly_check_efficiency(&r, &a)); /* at the bound: noise */
    r.efficiency_pct = 101.5;
    assert_false(tdm_anomaly_check_efficiency(&r, &a));
    r.efficiency_pct = NAN; /* incomplete run: undefined, never flagged */
    assert_false(tdm_anomaly_check_efficiency(&r, &a));
    r = run_of(3, 310.0, 31.0, 5.0);
    assert_true(tdm_anomaly_check_efficiency(&r, &a));
    assert_int_equal(a.kind, TDM_ANOMALY_EFFICIENCY_ABOVE_100);
    assert_int_equal(a.run, 3);
    assert_int_equal(a.phase, TDM_PHASE_SEQUENTIAL);
    assert_int_equal(a.agent, -1);
    assert_int_equal(a.step, -1);
    assert_true(a.value == 310.0 && a.bound == 100.0 + TDM_ANOMALY_EFFICIENCY_NOISE_PP);
    assert_true(a.t_seq_s == 31.0 && a.t_conc_s == 5.0 && a.n == 2);
    tdm_buf b = {0};
    tdm_anomaly_describe(&a, NULL, &b);
    assert_non_null(strstr(tdm_buf_str(&b), "run 3: efficiency 310.0 % is above 102.0 %"));
    assert_non_null(strstr(tdm_buf_str(&b), "N x T_conc = 2 x 5.000 s = 10.000 s"));
    tdm_buf_free(&b);
}

/* A call with events every gap_ms, except one gap of stall_ms before event `at`. */
static void stalled_call(tdm_call_record *r, size_t n, int64_t gap_ms, size_t at, int64_t stall_ms)
{
    tdm_record_init(r, 1, TDM_PHASE_SEQUENTIAL, 1, 0);
    r->t_begin = 1000 * MS;
    r->t_start = r->t_begin;
    r->t_first_byte = r->t_start + 5 * MS;
    int64_t t = r->t_start + 10 * MS;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            t += (i == at ? stall_ms : gap_ms) * MS;
        tdm_record_add_event(r, t, 3, 0);
    }
    r->t_done = t + MS;
    r->ok = true;
}

static void test_token_stall(void **state)
{
    (void)state;
    tdm_call_record r;
    tdm_call_metrics m;
    tdm_anomaly a;
    /* 20 ms ITL, one 1.5 s gap before event 7: 75 x the median and over 1 s */
    stalled_call(&r, 12, 20, 7, 1500);
    tdm_call_metrics_compute(&r, &m);
    assert_true(fabs(m.itl_max_ms - 1500.0) < 1e-9);
    assert_int_equal(m.itl_max_at, 7);
    assert_true(tdm_anomaly_check_call(&m, &a));
    assert_int_equal(a.kind, TDM_ANOMALY_TOKEN_STALL);
    assert_true(fabs(a.value - 1500.0) < 1e-9 && fabs(a.median - 20.0) < 1e-9 && a.bound == 1000.0);
    assert_int_equal(a.n, 8); /* 1-based: the 8th token event ended the gap */
    tdm_record_free(&r);

    /* 200 ms ITL, a 1.5 s gap: over 1 s but only 7.5 x the median */
    stalled_call(&r, 12, 200, 7, 1500);
    tdm_call_metrics_compute(&r, &m);
    assert_false(tdm_anomaly_check_call(&m, &a));
    tdm_record_free(&r);

    /* 5 ms ITL, a 900 ms gap: 180 x the median but under the 1 s floor */
    stalled_call(&r, 12, 5, 3, 900);
    tdm_call_metrics_compute(&r, &m);
    assert_false(tdm_anomaly_check_call(&m, &a));
    tdm_record_free(&r);

    /* one token: no gap at all */
    stalled_call(&r, 1, 5, 0, 0);
    tdm_call_metrics_compute(&r, &m);
    assert_true(isnan(m.itl_max_ms));
    assert_false(tdm_anomaly_check_call(&m, &a));
    tdm_record_free(&r);
}

static void test_stall_in_warmup_is_not_measured(void **state)
{
    (void)state;
    tdm_call_record r;
    tdm_call_metrics m;
    tdm_anomaly_list l = {0};
    stalled_call(&r, 12, 20, 7, 5000);
    tdm_call_metrics_compute(&r, &m);
    assert_int_equal(tdm_anomaly_find_call(&m, 0, 1, TDM_PHASE_WARMUP, 1, 0, &l), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(tdm_anomaly_find_call(&m, 4, 5, TDM_PHASE_CONCURRENT, 1, 2, &l), 0);
    assert_int_equal(l.n, 1);
    assert_true(l.v[0].run_index == 4 && l.v[0].run == 5 && l.v[0].agent == 1 && l.v[0].step == 2);
    assert_int_equal(l.v[0].phase, TDM_PHASE_CONCURRENT);
    tdm_buf b = {0};
    tdm_anomaly_describe(&l.v[0], "collector", &b);
    assert_non_null(strstr(tdm_buf_str(&b), "run 5: agent collector, step 3 (concurrent phase): a gap of 5.000 s"));
    tdm_buf_free(&b);
    tdm_anomaly_list_free(&l);
    tdm_record_free(&r);
}

static void test_slow_values(void **state)
{
    (void)state;
    bool f[6];
    double med, mad, bound;
    /* two runs are not enough peers */
    const double two[] = {10, 30};
    assert_int_equal(tdm_anomaly_slow_values(two, 2, f, &med, &mad, &bound), 0);
    assert_true(isnan(med) && isnan(bound) && !f[0] && !f[1]);
    /* tight peers: the bound is 1.25 x the median (MAD ~ 0), the outlier does not move it */
    const double v[] = {10.0, 10.1, 31.0, 9.9, NAN};
    assert_int_equal(tdm_anomaly_slow_values(v, 5, f, &med, &mad, &bound), 1);
    assert_true(fabs(med - 10.05) < 1e-9);
    assert_true(fabs(bound - 1.25 * 10.05) < 1e-9);
    assert_true(f[2] && !f[0] && !f[1] && !f[3] && !f[4]);
    /* wide peers: median + 3 scaled MADs, capped at 2 x the median */
    const double w[] = {10, 14, 6, 10, 19};
    /* median 10, |dev| = 0 4 4 0 9 -> MAD 4, scaled 5.9304: bound min(20, 27.79) = 20 */
    assert_int_equal(tdm_anomaly_slow_values(w, 5, f, &med, &mad, &bound), 0);
    assert_true(fabs(mad - 1.4826 * 4) < 1e-9 && bound == 20.0);
    const double w2[] = {10, 11, 9, 10, 10.5, 13.5};
    /* median 10.25, |dev| sorted .25 .25 .25 .75 1.25 3.25 -> MAD .5, scaled .7413; bound 12.8125 */
    assert_int_equal(tdm_anomaly_slow_values(w2, 6, f, &med, &mad, &bound), 1);
    assert_true(f[5] && fabs(bound - 1.25 * 10.25) < 1e-9);
    /* shorter is never flagged: a stall makes a phase longer */
    const double s[] = {10, 10, 10, 1};
    assert_int_equal(tdm_anomaly_slow_values(s, 4, f, &med, &mad, &bound), 0);
    /* phases that took no time have nothing to be slow against */
    const double z[] = {0, 0, 0, 1};
    assert_int_equal(tdm_anomaly_slow_values(z, 4, f, &med, &mad, &bound), 0);
    assert_true(isnan(bound));
}

static void test_find_runs_and_order(void **state)
{
    (void)state;
    /* run 2's sequential phase stalled: efficiency 300 %, T_seq 3 x its peers' */
    tdm_anomaly_run runs[] = {run_of(1, 99.5, 10.0, 5.03), run_of(2, 300.0, 30.0, 5.0), run_of(3, 99.0, 10.1, 5.1),
                              run_of(4, 98.8, 10.2, 5.16)};
    tdm_anomaly_list l = {0};
    /* a stall found first, in a later run, to see the sort put it in place */
    tdm_anomaly st = {.kind = TDM_ANOMALY_TOKEN_STALL, .run_index = 1, .run = 2, .phase = TDM_PHASE_SEQUENTIAL,
                      .agent = 0, .step = 1};
    assert_int_equal(tdm_anomaly_list_push(&l, &st), 0);
    assert_int_equal(tdm_anomaly_find_runs(runs, 4, &l), 0);
    tdm_anomaly_list_sort(&l);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.v[0].kind, TDM_ANOMALY_EFFICIENCY_ABOVE_100);
    assert_int_equal(l.v[1].kind, TDM_ANOMALY_TOKEN_STALL);
    assert_int_equal(l.v[2].kind, TDM_ANOMALY_SLOW_PHASE);
    assert_int_equal(l.v[2].phase, TDM_PHASE_SEQUENTIAL);
    assert_true(l.v[2].n == 4 && fabs(l.v[2].median - 10.15) < 1e-9);
    for (size_t i = 0; i < l.n; i++)
        assert_true(l.v[i].run_index == 1 && l.v[i].run == 2);
    assert_true(tdm_anomaly_list_has_run(&l, 1));
    assert_false(tdm_anomaly_list_has_run(&l, 0));
    tdm_buf b = {0};
    tdm_anomaly_describe(&l.v[2], NULL, &b);
    assert_non_null(strstr(tdm_buf_str(&b), "run 2: T_seq 30.000 s is above the bound 12.68"));
    tdm_buf_free(&b);
    tdm_anomaly_list_free(&l);

    /* no flags on clean runs; none at all without runs */
    tdm_anomaly_run clean[] = {run_of(1, 99.5, 10.0, 5.03), run_of(2, 99.1, 10.1, 5.1)};
    assert_int_equal(tdm_anomaly_find_runs(clean, 2, &l), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(tdm_anomaly_find_runs(NULL, 0, &l), 0);
    assert_int_equal(l.n, 0);
    tdm_anomaly_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names_are_stable),
        cmocka_unit_test(test_efficiency_bound),
        cmocka_unit_test(test_token_stall),
        cmocka_unit_test(test_stall_in_warmup_is_not_measured),
        cmocka_unit_test(test_slow_values),
        cmocka_unit_test(test_find_runs_and_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
