/* test_core_metrics.c — METRICS on hand-computed records (src/core/metrics.c): every
 * expected value below was worked out by hand from the record's timestamps. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/metrics.h"

#define MS 1000000LL

/* A call that starts at t0, gets its first byte 5 ms later, and events at the given
 * ms offsets from t_start; eval_count tokens decoded in eval_ms. */
static void make_call(tdm_call_record *r, int agent, tdm_phase phase, int64_t t0, const int *ev_ms, size_t n,
                      int64_t eval_count, int64_t eval_ms, int64_t load_ms, int64_t prompt_ms)
{
    tdm_record_init(r, 1, phase, agent, 0);
    r->t_begin = t0;
    r->t_start = t0 + 1 * MS;
    r->t_first_byte = r->t_start + 5 * MS;
    for (size_t i = 0; i < n; i++)
        tdm_record_add_event(r, r->t_start + ev_ms[i] * MS, 3, 0);
    r->t_done = r->t_start + (ev_ms[n - 1] + 1) * MS;
    r->ok = true;
    r->have_final = true;
    r->server.eval_count = eval_count;
    r->server.eval_duration_ns = eval_ms * MS;
    r->server.load_duration_ns = load_ms * MS;
    r->server.prompt_eval_duration_ns = prompt_ms * MS;
}

static void test_call_metrics(void **state)
{
    (void)state;
    tdm_call_record r;
    const int ev[] = {20, 30, 40, 60, 70};
    make_call(&r, 0, TDM_PHASE_SEQUENTIAL, 1000 * MS, ev, 5, 5, 50, 2, 13);
    tdm_call_metrics m;
    tdm_call_metrics_compute(&r, &m);
    assert_true(m.ok);
    assert_float_equal(m.ttfb_ms, 5.0, 1e-9);
    assert_float_equal(m.ttft_ms, 20.0, 1e-9);
    assert_float_equal(m.ttft_content_ms, 20.0, 1e-9);
    assert_float_equal(m.server_ttft_ms, 15.0, 1e-9);
    assert_float_equal(m.client_gap_ms, 5.0, 1e-9);
    /* gaps 10, 10, 20, 10 -> sorted 10,10,10,20: p50 = 10, p90 = 10 + 0.7*10 = 17 */
    assert_float_equal(m.itl_p50_ms, 10.0, 1e-9);
    assert_float_equal(m.itl_p90_ms, 17.0, 1e-9);
    assert_float_equal(m.tpot_ms, 12.5, 1e-9);         /* 50 ms / 4 */
    assert_float_equal(m.decode_tps_client, 80.0, 1e-9); /* 4 / 0.05 s */
    assert_float_equal(m.decode_tps, 100.0, 1e-9);     /* 5 / 0.05 s */
    assert_float_equal(m.e2e_ms, 71.0, 1e-9);
    assert_int_equal(m.tokens, 5);
    assert_int_equal(m.events, 5);
    assert_false(m.token_mismatch);
    assert_false(m.cold_load);
    tdm_record_free(&r);

    /* eval_count differs from events: flagged, server count kept */
    make_call(&r, 0, TDM_PHASE_SEQUENTIAL, 0, ev, 5, 7, 50, 1500, 0);
    tdm_call_metrics_compute(&r, &m);
    assert_int_equal(m.tokens, 7);
    assert_true(m.token_mismatch);
    assert_true(m.cold_load);
    tdm_record_free(&r);
}

static void test_failed_call_is_undefined_not_zero(void **state)
{
    (void)state;
    tdm_call_record r;
    tdm_record_init(&r, 1, TDM_PHASE_CONCURRENT, 0, 0);
    r.t_begin = 10;
    tdm_record_fail(&r, TDM_ERR_CONNECT, 20, "refused");
    tdm_call_metrics m;
    tdm_call_metrics_compute(&r, &m);
    assert_false(m.ok);
    assert_true(isnan(m.ttft_ms));
    assert_true(isnan(m.e2e_ms));
    assert_true(isnan(m.decode_tps));
    assert_true(isnan(m.client_gap_ms));
    assert_int_equal(m.tokens, 0);
    tdm_record_free(&r);
}

/* Two agents: alone each takes 1.0 s and 1.2 s; together both start at the barrier and
 * end at 1.1 s and 1.6 s. */
static void build_run(tdm_run_data *d, bool shared_device)
{
    char *names[] = {"a", "b"};
    assert_int_equal(tdm_run_data_init(d, 1, 2, names), 0);
    d->has_sequential = d->has_concurrent = true;
    d->seq[0] = (tdm_agent_timing){10000 * MS, 10000 * MS, 11000 * MS};
    d->seq[1] = (tdm_agent_timing){11000 * MS, 11000 * MS, 12200 * MS};
    d->conc[0] = (tdm_agent_timing){20000 * MS, 20000 * MS, 21100 * MS};
    d->conc[1] = (tdm_agent_timing){20000 * MS, 20000 * MS, 21600 * MS};
    const int ev[] = {10, 20, 30};
    tdm_call_record c[4];
    make_call(&c[0], 0, TDM_PHASE_SEQUENTIAL, 10000 * MS, ev, 3, 100, 1000, 0, 0);
    make_call(&c[1], 1, TDM_PHASE_SEQUENTIAL, 11000 * MS, ev, 3, 100, 1000, 0, 0);
    make_call(&c[2], 0, TDM_PHASE_CONCURRENT, 20000 * MS, ev, 3, 100, shared_device ? 2000 : 1000, 0, 0);
    make_call(&c[3], 1, TDM_PHASE_CONCURRENT, 20000 * MS, ev, 3, 100, 1050, 0, 0);
    assert_int_equal(tdm_run_data_take_calls(d, c, 4), 0);
}

static void test_run_metrics(void **state)
{
    (void)state;
    tdm_run_data d;
    build_run(&d, true);
    tdm_run_metrics m;
    assert_int_equal(tdm_run_metrics_compute(&d, 10.0, &m), 0);
    assert_float_equal(m.t_seq_s, 2.2, 1e-9);
    assert_float_equal(m.t_conc_s, 1.6, 1e-9);
    assert_float_equal(m.speedup, 2.2 / 1.6, 1e-9);
    assert_float_equal(m.efficiency_pct, 100.0 * 2.2 / 1.6 / 2, 1e-9);
    assert_float_equal(m.legacy_speedup, 2.7 / 1.6, 1e-9);
    assert_float_equal(m.legacy_efficiency_pct, 100.0 * 2.7 / 3.2, 1e-9);
    assert_float_equal(m.imbalance, 1.6 / 1.35, 1e-9);
    /* same tokens in both phases: throughput gain equals speedup */
    assert_float_equal(m.throughput_gain, m.speedup, 1e-9);
    assert_float_equal(m.agents[0].slowdown, 1.1, 1e-9);
    assert_float_equal(m.agents[1].slowdown, 1.6 / 1.2, 1e-9);
    assert_float_equal(m.agents[0].decode_drop_pct, 50.0, 1e-9);
    assert_float_equal(m.agents[1].decode_drop_pct, 100.0 * (1 - 1.0 / 1.05), 1e-9);
    assert_true(m.contention_detected);
    assert_false(m.legacy_contention); /* 1.69 >= 1.5: the seed would have seen none */
    assert_int_equal(m.calls, 4);
    assert_true(m.complete);
    tdm_run_metrics_free(&m);
    tdm_run_data_free(&d);

    build_run(&d, false);
    assert_int_equal(tdm_run_metrics_compute(&d, 10.0, &m), 0);
    assert_false(m.contention_detected); /* drops of 0% and 4.8% stay under 10% */
    tdm_run_metrics_free(&m);
    tdm_run_data_free(&d);
}

static void test_run_without_sequential_phase(void **state)
{
    (void)state;
    tdm_run_data d;
    build_run(&d, false);
    d.has_sequential = false;
    tdm_run_metrics m;
    assert_int_equal(tdm_run_metrics_compute(&d, 10.0, &m), 0);
    assert_true(isnan(m.speedup));
    assert_true(isnan(m.efficiency_pct));
    assert_false(isnan(m.legacy_efficiency_pct));
    tdm_run_metrics_free(&m);
    tdm_run_data_free(&d);
}

static void test_failed_call_makes_run_incomplete(void **state)
{
    (void)state;
    tdm_run_data d;
    build_run(&d, false);
    tdm_record_fail(&d.calls[3], TDM_ERR_SERVER, 1, "boom");
    d.calls[3].ok = false;
    tdm_run_metrics m;
    assert_int_equal(tdm_run_metrics_compute(&d, 10.0, &m), 0);
    assert_false(m.complete);
    assert_int_equal(m.failed_calls, 1);
    assert_int_equal(m.agents[1].tokens_conc, 0); /* failed calls' tokens do not count */
    assert_true(isnan(m.speedup));
    assert_true(isnan(m.efficiency_pct));
    assert_true(isnan(m.legacy_efficiency_pct));
    assert_false(isnan(m.t_conc_s)); /* the raw wall times stay */
    tdm_run_metrics_free(&m);
    tdm_run_data_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_metrics),
        cmocka_unit_test(test_failed_call_is_undefined_not_zero),
        cmocka_unit_test(test_run_metrics),
        cmocka_unit_test(test_run_without_sequential_phase),
        cmocka_unit_test(test_failed_call_makes_run_incomplete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
