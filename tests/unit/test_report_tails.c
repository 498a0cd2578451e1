/* test_report_tails.c — the latency tails, contention rate and outlier flags of each cell
 * (src/report/tails.c) on a small hand-made dataset: quantiles pooled over the good
 * calls of a cell's runs and phase, the share of runs below 75 % efficiency, and a
 * planted run far from its cell's median flagged while the others are not; a cell with
 * only the legacy efficiency is judged on it, and one of 2 runs is not judged. */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/analysis.h"
#include "report/group.h"
#include "report/model.h"

/* cmocka 1.1 (Debian) has no assert_double_equal */
#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

static void add_dir(tdm_rep_dataset *ds, const char *variant, const char *config)
{
    tdm_rep_dir *d = tdm_rep_add_dir(ds);
    assert_non_null(d);
    char path[128];
    snprintf(path, sizeof path, "results/%s/%s", variant, config);
    d->path = strdup(path);
    d->prov = json_pack("{s:s}", "variant", variant);
    d->variant = strdup(variant);
    d->source = strdup("tandem");
    d->configuration = strdup(config);
    d->scenario = strdup(config);
    d->repetition = -1;
}

/* A run of the last directory with efficiency e (legacy efficiency when legacy) and, in
 * the concurrent phase, ten good calls with TTFT base + i, ITL 1 + i / 10 and e2e
 * 10 * (base + i) (i = 0..9), plus a failed and a cold call that must not count. */
static void add_run(tdm_rep_dataset *ds, int k, double e, bool legacy, double base)
{
    tdm_rep_run *r = tdm_rep_add_run(ds);
    assert_non_null(r);
    r->dir = ds->n_dirs - 1;
    r->run = k;
    r->n_agents = 2;
    r->has_sequential = !legacy;
    r->has_concurrent = true;
    for (int m = 0; m < TDM_M_N_RUN; m++)
        r->v[m] = NAN;
    r->v[legacy ? TDM_M_LEGACY_EFFICIENCY : TDM_M_EFFICIENCY] = e;
    r->tokens_agent_ratio = r->reported_legacy_eff = NAN;
    r->first_call = ds->n_calls;
    size_t run_idx = ds->n_runs - 1;
    for (int i = 0; i < 12; i++) {
        tdm_rep_call *c = tdm_rep_add_call(ds);
        assert_non_null(c);
        c->run = run_idx;
        c->phase = TDM_PHASE_CONCURRENT;
        c->ok = c->m.ok = i != 10;
        c->m.cold_load = i == 11;
        c->m.ttft_ms = i < 10 ? base + i : 1e6;
        c->m.itl_p50_ms = i < 10 ? 1.0 + i / 10.0 : 1e6;
        c->m.e2e_ms = i < 10 ? 10.0 * (base + i) : 1e6;
        c->m.decode_tps = c->m.client_gap_ms = NAN;
    }
    ds->runs[run_idx].n_calls = ds->n_calls - ds->runs[run_idx].first_call;
}

/* cell "a" (c1): 5 runs, one planted far below the rest (and below 75 %);
 * cell "b" (c1): legacy efficiency only, 4 runs, 2 below 75 %;
 * cell "c" (c1): 2 runs, too few to judge outliers. */
static void build(tdm_rep_dataset *ds)
{
    static const double a[] = {90.0, 91.0, 89.0, 90.5, 60.0};
    add_dir(ds, "a", "c1");
    for (int k = 0; k < 5; k++)
        add_run(ds, k + 1, a[k], false, 100.0 * k);
    static const double b[] = {70.0, 80.0, 74.9, 90.0};
    add_dir(ds, "b", "c1");
    for (int k = 0; k < 4; k++)
        add_run(ds, k + 1, b[k], true, 0.0);
    add_dir(ds, "c", "c1");
    add_run(ds, 1, 50.0, false, 0.0);
    add_run(ds, 2, 95.0, false, 0.0);
    assert_int_equal(tdm_rep_group(ds, "a"), 0);
}

static const tdm_rep_settings SETTINGS = {.alpha = 0.05, .resamples = 200, .seed = 7, .reference = "a",
                                          .baseline_metric = TDM_M_EFFICIENCY};

static int cell_of(const tdm_rep_dataset *ds, const char *variant)
{
    for (size_t c = 0; c < ds->n_cells; c++)
        if (strcmp(ds->variants[ds->cells[c].variant].name, variant) == 0)
            return (int)c;
    fail_msg("no cell of %s", variant);
    return -1;
}

static void test_quantiles(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    build(&ds);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    const tdm_rep_tails_cell *tc = &an.tails[cell_of(&ds, "a")];
    /* TTFT: 0..9, 100..109, ..., 400..409 (50 good calls); type 7: h = 49 q */
    const tdm_rep_tail *t = &tc->q[TDM_REP_TAIL_TTFT][TDM_REP_CONC];
    assert_int_equal(t->n, 50);
    assert_near(t->p50, 204.5, 1e-9);  /* h = 24.5: between 204 and 205 */
    assert_near(t->p90, 404.1, 1e-9);  /* h = 44.1: 404 + 0.1 */
    assert_near(t->p99, 408.51, 1e-9); /* h = 48.51: 408 + 0.51 */
    /* e2e is ten times the TTFT here; ITL 1.0..1.9 in each run */
    const tdm_rep_tail *e = &tc->q[TDM_REP_TAIL_E2E][TDM_REP_CONC];
    assert_int_equal(e->n, 50);
    assert_near(e->p90, 4041.0, 1e-9);
    const tdm_rep_tail *i = &tc->q[TDM_REP_TAIL_ITL][TDM_REP_CONC];
    assert_int_equal(i->n, 50);
    assert_near(i->p50, 1.45, 1e-9);
    assert_near(i->p99, 1.9, 1e-9);
    /* no sequential calls: nothing, and NaN rather than 0 */
    assert_int_equal(tc->q[TDM_REP_TAIL_TTFT][TDM_REP_SEQ].n, 0);
    assert_true(isnan(tc->q[TDM_REP_TAIL_TTFT][TDM_REP_SEQ].p99));
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

static void test_contention(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    build(&ds);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    const tdm_rep_tails_cell *a = &an.tails[cell_of(&ds, "a")];
    assert_int_equal(a->metric, TDM_M_EFFICIENCY);
    assert_int_equal(a->n_judged, 5);
    assert_int_equal(a->n_contended, 1);
    assert_near(a->contention_rate, 0.2, 1e-12);
    /* legacy only: judged on the legacy efficiency; 74.9 is below 75, 80 is not */
    const tdm_rep_tails_cell *b = &an.tails[cell_of(&ds, "b")];
    assert_int_equal(b->metric, TDM_M_LEGACY_EFFICIENCY);
    assert_int_equal(b->n_judged, 4);
    assert_int_equal(b->n_contended, 2);
    assert_near(b->contention_rate, 0.5, 1e-12);
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

static void test_outliers(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    build(&ds);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    int ca = cell_of(&ds, "a");
    const tdm_rep_tails_cell *a = &an.tails[ca];
    /* median 90; deviations 0, 1, 1, 0.5, 30 -> MAD 1 */
    assert_near(a->median, 90.0, 1e-12);
    assert_near(a->mad_scaled, TDM_REP_MAD_SCALE, 1e-12);
    assert_true(a->outliers_judged);
    assert_int_equal(a->n_outliers, 1);
    const tdm_rep_cell *cell = &ds.cells[ca];
    for (size_t k = 0; k < cell->n_runs; k++) {
        const tdm_rep_run *r = &ds.runs[cell->runs[k]];
        const tdm_rep_tails_run *tr = &an.tails_runs[cell->runs[k]];
        assert_true(tr->judged);
        /* the planted run (60) is flagged; 89 (0.67 scaled MADs away) is not */
        assert_int_equal(tr->outlier, r->v[TDM_M_EFFICIENCY] == 60.0);
        assert_int_equal(tr->contended, r->v[TDM_M_EFFICIENCY] < 75.0);
        if (r->v[TDM_M_EFFICIENCY] == 60.0)
            assert_near(tr->mads, -30.0 / TDM_REP_MAD_SCALE, 1e-9);
    }
    /* kept: the cell's statistics still count all five runs */
    assert_int_equal(an.cells[ca].m[TDM_M_EFFICIENCY][0].desc.n, 5);
    /* two runs are too few to judge */
    const tdm_rep_tails_cell *c = &an.tails[cell_of(&ds, "c")];
    assert_false(c->outliers_judged);
    assert_int_equal(c->n_outliers, 0);
    assert_true(isnan(c->median));
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_contention),
        cmocka_unit_test(test_outliers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
