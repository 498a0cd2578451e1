/* test_report_open_loop.c — latency against offered load (src/report/open_loop.c) on small
 * hand-made datasets: each open-loop run's offered and achieved rates from the due and
 * completion instants, the latencies from the due instant split into the client wait and
 * the time after the send, failed and warm-up calls kept out of the latencies, points per
 * nominal rate with their means, lines told apart by the arrival process and by the
 * configuration's parts (the rate left out); the knee (achieved below 95 % of offered, or
 * p99 TTFT from due above twice the lowest rate's) and the best operating point on
 * made-up points; and open-loop runs kept out of the agent-count gain curve. */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/analysis.h"
#include "report/group.h"
#include "report/model.h"
#include "report/open_loop.h"

/* cmocka 1.1 (Debian) has no assert_double_equal */
#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

#define MS 1000000LL /* ns */

static const tdm_rep_settings SETTINGS = {.alpha = 0.05, .resamples = 200, .seed = 7, .reference = "a",
                                          .baseline_metric = TDM_M_EFFICIENCY};

/* A run directory of n agents on one URL; open-loop at `rate` with `process` unless rate
 * is 0 (a closed-loop run of n agents). */
static void add_dir(tdm_rep_dataset *ds, const char *variant, const char *config, size_t n, double rate,
                    const char *process)
{
    tdm_rep_dir *d = tdm_rep_add_dir(ds);
    assert_non_null(d);
    char path[160];
    snprintf(path, sizeof path, "results/%s/%s/%zu/%g", variant, config, n, rate);
    d->path = strdup(path);
    json_t *agents = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(agents, json_pack("{s:s}", "url", "http://127.0.0.1:11434"));
    json_t *scen = json_pack("{s:s, s:o}", "name", config, "agents", agents);
    if (rate > 0)
        json_object_set_new(scen, "arrivals",
                            json_pack("{s:s, s:f, s:f, s:I}", "process", process, "rate", rate, "duration_s", 4.0,
                                      "count", (json_int_t)n));
    d->prov = json_pack("{s:s, s:o}", "variant", variant, "scenario", scen);
    d->variant = strdup(variant);
    d->source = strdup("tandem");
    d->configuration = strdup(config);
    d->scenario = strdup(config);
    d->repetition = -1;
}

static tdm_rep_run *add_run(tdm_rep_dataset *ds, size_t n)
{
    tdm_rep_run *r = tdm_rep_add_run(ds);
    assert_non_null(r);
    r->dir = ds->n_dirs - 1;
    r->run = (int)ds->n_runs;
    r->n_agents = n;
    r->has_concurrent = true;
    for (int m = 0; m < TDM_M_N_RUN; m++)
        r->v[m] = NAN;
    r->tokens_agent_ratio = r->reported_legacy_eff = NAN;
    r->client_cpu_seq_ms = r->client_cpu_conc_ms = NAN;
    r->first_call = ds->n_calls;
    return r;
}

/* A call of the last run: due at due_ms, sent wait_ms later, first token ttft_ms after the
 * send, done e2e_ms after the send (times from an arbitrary origin of 1 s). */
static tdm_rep_call *add_call(tdm_rep_dataset *ds, int agent, tdm_phase phase, bool ok, double due_ms,
                              double wait_ms, double ttft_ms, double e2e_ms)
{
    tdm_rep_call *c = tdm_rep_add_call(ds);
    assert_non_null(c);
    c->run = ds->n_runs - 1;
    c->agent = agent;
    c->phase = phase;
    c->ok = c->m.ok = ok;
    int64_t t0 = 1000 * MS;
    c->t_due = phase == TDM_PHASE_CONCURRENT ? t0 + (int64_t)(due_ms * MS) : 0;
    c->t_start = t0 + (int64_t)((due_ms + wait_ms) * MS);
    c->t_done = c->t_start + (int64_t)(e2e_ms * MS);
    c->m.ttft_ms = ok ? ttft_ms : NAN;
    c->m.e2e_ms = ok ? e2e_ms : NAN;
    c->m.itl_p50_ms = c->m.decode_tps = c->m.client_gap_ms = NAN;
    ds->runs[c->run].n_calls = ds->n_calls - ds->runs[c->run].first_call;
    return c;
}

/* One open-loop run at `rate` (constant arrivals, k / rate s): calls of 500 ms, the first
 * token 100 ms after the send, sent 1 ms after due; calls wait in a queue of 2 slots. */
static void add_open_run(tdm_rep_dataset *ds, const char *variant, const char *config, double rate, size_t n,
                         const char *process)
{
    add_dir(ds, variant, config, n, rate, process);
    add_run(ds, n);
    add_call(ds, 0, TDM_PHASE_WARMUP, true, 0, 0, 100, 500); /* a warm-up call: no due time */
    double free_at[2] = {0, 0};
    for (size_t k = 0; k < n; k++) {
        double due = 1000.0 * (double)k / rate;
        int s = free_at[0] <= free_at[1] ? 0 : 1;
        double start = fmax(due + 1.0, free_at[s]); /* the slot's queue: the server holds the call */
        free_at[s] = start + 500.0;
        /* the client sends at due + 1; the server's queue adds to the time after the send */
        double queued = start - (due + 1.0);
        add_call(ds, (int)k, TDM_PHASE_CONCURRENT, true, due, 1.0, queued + 100.0, queued + 500.0);
    }
}

static const tdm_rep_ol_line *ol_line(const tdm_rep_analysis *an, const char *layout)
{
    for (size_t i = 0; i < an->open_loop.n_lines; i++)
        if (strcmp(an->open_loop.lines[i].layout, layout) == 0)
            return &an->open_loop.lines[i];
    fail_msg("no open-loop line %s", layout);
    return NULL;
}

static void test_rates_latencies_knee_and_best(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    static const double rates[] = {2, 3, 5, 6};
    for (int i = 3; i >= 0; i--) { /* out of order: the points come sorted */
        char cfg[64];
        snprintf(cfg, sizeof cfg, "open, arrival_rate=%g", rates[i]);
        add_open_run(&ds, "a", cfg, rates[i], (size_t)(rates[i] * 4), "constant");
    }
    assert_int_equal(tdm_rep_group(&ds, "a"), 0);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    assert_int_equal(an.curve.n_lines, 0); /* arrival counts are no agent counts */
    assert_int_equal(an.open_loop.n_runs, 4);
    assert_int_equal(an.open_loop.n_lines, 1);
    const tdm_rep_ol_line *l = ol_line(&an, "open, constant arrivals, one server");
    assert_string_equal(l->label, "a (open, constant arrivals, one server)");
    assert_string_equal(l->process, "constant");
    assert_int_equal(l->n_points, 4);
    for (size_t i = 0; i < 4; i++) {
        const tdm_rep_ol_point *p = &l->points[i];
        assert_near(p->rate, rates[i], 0);
        assert_int_equal(p->n_runs, 1);
        assert_int_equal(p->n_due, (size_t)(rates[i] * 4)); /* the warm-up call does not count */
        assert_int_equal(p->n_ok, p->n_due);
        assert_near(p->offered.mean, rates[i], 1e-6);
        assert_near(p->ok_pct.mean, 100.0, 1e-9);
        assert_near(p->q[TDM_REP_OL_WAIT].p99, 1.0, 1e-5);
        assert_int_equal(p->q[TDM_REP_OL_TTFT_DUE].n, p->n_due);
    }
    /* below 4 calls/s (2 slots of 500 ms) nothing queues: every call's first token comes
     * 101 ms after it was due, and it is done 501 ms after */
    for (size_t i = 0; i < 2; i++) {
        const tdm_rep_ol_point *p = &l->points[i];
        assert_near(p->achieved.mean, rates[i], 1e-6);
        assert_near(p->q[TDM_REP_OL_TTFT_DUE].p50, 101.0, 1e-5);
        assert_near(p->q[TDM_REP_OL_TTFT_SEND].p99, 100.0, 1e-5);
        assert_near(p->q[TDM_REP_OL_E2E_DUE].p50, 501.0, 1e-5);
        assert_true(tdm_rep_ol_keeps_up(p));
    }
    /* above it the completions come at about 4 per s (a little more: the two slots finish
     * in pairs, and (n - 1) / span counts the last pair's offset), and the queue is the
     * server's */
    for (size_t i = 2; i < 4; i++) {
        const tdm_rep_ol_point *p = &l->points[i];
        assert_true(p->achieved.mean < 4.1 && p->achieved.mean > 3.9);
        assert_true(p->q[TDM_REP_OL_TTFT_DUE].p99 > 500.0);
        assert_near(p->q[TDM_REP_OL_TTFT_DUE].p99 - p->q[TDM_REP_OL_TTFT_SEND].p99, 1.0, 1e-5);
        assert_false(tdm_rep_ol_keeps_up(p));
    }
    assert_int_equal(l->knee, 2);
    assert_int_equal(l->knee_reason, TDM_REP_OL_KNEE_THROUGHPUT);
    assert_int_equal(l->best, 1);
    assert_string_equal(tdm_rep_ol_knee_key(l->knee_reason), "achieved_below_95pct_of_offered");
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

/* A failed call counts in the offered rate and the share of calls that succeeded, not in
 * the achieved rate or the latencies. */
static void test_failed_calls(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    add_dir(&ds, "a", "open", 4, 2.0, "poisson");
    add_run(&ds, 4);
    add_call(&ds, 0, TDM_PHASE_CONCURRENT, true, 0, 2, 100, 500);
    add_call(&ds, 1, TDM_PHASE_CONCURRENT, true, 500, 2, 100, 500);
    add_call(&ds, 2, TDM_PHASE_CONCURRENT, false, 1000, 2, NAN, 30);
    add_call(&ds, 3, TDM_PHASE_CONCURRENT, true, 1500, 4, 300, 700);
    assert_int_equal(tdm_rep_group(&ds, "a"), 0);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    const tdm_rep_ol_run *o = &an.open_loop.runs[0];
    assert_int_equal(o->n_due, 4);
    assert_int_equal(o->n_ok, 3);
    assert_near(o->offered_s, 3.0 / 1.5, 1e-9);
    /* completions at 502, 1002 and 2204 ms */
    assert_near(o->achieved_s, 2.0 / 1.702, 1e-9);
    assert_near(o->ok_pct, 75.0, 1e-9);
    assert_int_equal(o->q[TDM_REP_OL_TTFT_DUE].n, 3);
    assert_near(o->q[TDM_REP_OL_TTFT_DUE].p50, 102.0, 1e-6);
    assert_near(o->q[TDM_REP_OL_WAIT].p50, 2.0, 1e-6);
    assert_near(o->q[TDM_REP_OL_E2E_DUE].p50, 502.0, 1e-6);
    const tdm_rep_ol_line *l = ol_line(&an, "Poisson arrivals, one server");
    assert_int_equal(l->n_points, 1);
    assert_int_equal(l->knee, -1);
    assert_int_equal(l->best, -1); /* 1.18 of 2 calls/s: not kept up */
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

/* Lines: the arrival process and the configuration's other parts tell them apart; a
 * closed-loop curve beside them keeps its own points and no open-loop run. */
static void test_lines_and_the_gain_curve_beside(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    add_open_run(&ds, "a", "open, arrival_rate=2, num_parallel=1", 2, 8, "constant");
    add_open_run(&ds, "a", "open, arrival_rate=3, num_parallel=1", 3, 12, "constant");
    add_open_run(&ds, "a", "open, arrival_rate=2, num_parallel=2", 2, 8, "constant");
    add_open_run(&ds, "a", "pois", 2, 8, "poisson");
    for (size_t n = 1; n <= 2; n++) { /* closed loop, N = 1 and 2 */
        add_dir(&ds, "a", "closed", n, 0, NULL);
        tdm_rep_run *r = add_run(&ds, n);
        r->has_sequential = true;
        r->v[TDM_M_EFFICIENCY] = 100.0;
        r->v[TDM_M_T_CONC] = 1.0;
        r->tokens_conc = 100 * (int64_t)n;
    }
    assert_int_equal(tdm_rep_group(&ds, "a"), 0);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    assert_int_equal(an.open_loop.n_lines, 3);
    /* sorted by layout */
    assert_string_equal(an.open_loop.lines[0].layout, "Poisson arrivals, one server");
    assert_string_equal(an.open_loop.lines[1].layout, "open, num_parallel=1, constant arrivals, one server");
    assert_string_equal(an.open_loop.lines[2].layout, "open, num_parallel=2, constant arrivals, one server");
    assert_int_equal(an.open_loop.lines[1].n_points, 2);
    for (size_t i = 0; i < an.open_loop.n_runs; i++) /* each run points at its own line */
        assert_true(an.open_loop.lines[an.open_loop.runs[i].line].points[0].n_runs >= 1);
    assert_int_equal(an.open_loop.lines[an.open_loop.runs[0].line].n_points, 2);
    assert_int_equal(an.open_loop.lines[an.open_loop.runs[3].line].n_points, 1);
    assert_string_equal(an.open_loop.lines[an.open_loop.runs[3].line].process, "poisson");
    /* the gain curve: the closed-loop runs alone, N = 1 and 2 (an open-loop run of 8 or
     * 12 arrivals is no point on it) */
    assert_int_equal(an.curve.n_lines, 1);
    assert_int_equal(an.curve.lines[0].n_points, 2);
    assert_int_equal(an.curve.lines[0].points[1].n_agents, 2);
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

static void set_point(tdm_rep_ol_point *p, double rate, double achieved, double p99)
{
    memset(p, 0, sizeof *p);
    p->rate = rate;
    p->offered.mean = rate;
    p->achieved.mean = achieved;
    p->q[TDM_REP_OL_TTFT_DUE].p99 = p99;
}

/* The rules on made-up points. */
static void test_judge(void **state)
{
    (void)state;
    tdm_rep_ol_point pts[4];
    tdm_rep_ol_line l = {.points = pts, .n_points = 4};
    /* the throughput rule: 4.7 of 5 is 94 % */
    set_point(&pts[0], 1, 1, 100);
    set_point(&pts[1], 2, 2, 150);
    set_point(&pts[2], 5, 4.7, 190);
    set_point(&pts[3], 6, 4.0, 900);
    tdm_rep_ol_judge(&l);
    assert_int_equal(l.knee, 2);
    assert_int_equal(l.knee_reason, TDM_REP_OL_KNEE_THROUGHPUT);
    assert_int_equal(l.best, 1);
    /* the latency rule, checked after the throughput one: 201 ms > 2 x 100 ms */
    set_point(&pts[2], 5, 4.8, 201);
    tdm_rep_ol_judge(&l);
    assert_int_equal(l.knee, 2);
    assert_int_equal(l.knee_reason, TDM_REP_OL_KNEE_LATENCY);
    assert_string_equal(tdm_rep_ol_knee_key(l.knee_reason), "p99_ttft_from_due_above_2x_lowest_rate");
    /* no knee: the best is the highest rate */
    set_point(&pts[2], 5, 4.9, 200);
    set_point(&pts[3], 6, 5.8, 120);
    tdm_rep_ol_judge(&l);
    assert_int_equal(l.knee, -1);
    assert_int_equal(l.best, 3);
    /* the lowest rate not kept up: no knee rule looks at it, and no best point */
    set_point(&pts[0], 1, 0.5, 100);
    set_point(&pts[1], 2, 0.6, 150);
    tdm_rep_ol_judge(&l);
    assert_int_equal(l.knee, 1);
    assert_int_equal(l.best, -1);
    /* an undefined achieved rate does not keep up; a realised offered rate wins over the
     * nominal one */
    set_point(&pts[0], 1, NAN, 100);
    assert_false(tdm_rep_ol_keeps_up(&pts[0]));
    set_point(&pts[0], 1, 0.9, 100);
    pts[0].offered.mean = 0.9;
    assert_true(tdm_rep_ol_keeps_up(&pts[0]));
    pts[0].offered.mean = NAN;
    assert_false(tdm_rep_ol_keeps_up(&pts[0]));
    tdm_rep_ol_line empty = {0};
    tdm_rep_ol_judge(&empty);
    assert_int_equal(empty.knee, -1);
    assert_int_equal(empty.best, -1);
}

/* The line keys: the rate left out of a sweep point's configuration, its bare name kept. */
static void test_line_parts(void **state)
{
    (void)state;
    static const char *const rate[] = {"arrival_rate", NULL};
    static const char *const count[] = {"agents", NULL};
    char *s = tdm_rep_line_parts("open, arrival_rate=2.5, num_parallel=2", rate);
    assert_string_equal(s, "open, num_parallel=2");
    free(s);
    s = tdm_rep_line_parts("open-fast", rate); /* a bare name alone may say the rate */
    assert_string_equal(s, "");
    free(s);
    s = tdm_rep_line_parts("shared, agents=4", count);
    assert_string_equal(s, "shared");
    free(s);
    assert_true(tdm_rep_config_names("x, cell.arrival_rate=3", rate));
    assert_false(tdm_rep_config_names("x, agents=3", rate));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rates_latencies_knee_and_best),
        cmocka_unit_test(test_failed_calls),
        cmocka_unit_test(test_lines_and_the_gain_curve_beside),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_line_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
