/* test_report_analysis.c — the analysis on a small hand-made dataset
 * (src/report/analysis.c, compare.c, caveats.c, verdict.c): run-level metrics use one
 * value per run, per-call metrics pool the successful non-cold calls of the phase, the
 * comparisons and their Holm families, the bootstrap is the same on every run, and the
 * summary says only what the comparisons found. */
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

static void add_dir(tdm_rep_dataset *ds, const char *variant, const char *config)
{
    tdm_rep_dir *d = tdm_rep_add_dir(ds);
    assert_non_null(d);
    char path[128];
    snprintf(path, sizeof path, "results/%s/%s", variant, config);
    d->path = strdup(path);
    d->prov = json_pack("{s:s, s:{s:s, s:[{s:s, s:{s:i}}]}, s:[{s:s, s:s, s:{s:s}}]}", "variant", variant,
                        "scenario", "name", config, "agents", "name", "a", "options", "num_predict", 20, "servers",
                        "url", "u", "version", "0.12.6", "models", "m", "sha256:x");
    d->variant = strdup(variant);
    d->source = strdup("tandem");
    d->configuration = strdup(config);
    d->scenario = strdup(config);
    d->repetition = -1;
}

/* A run of the last directory with efficiency e and two concurrent calls whose TTFTs
 * are t and t + 1, plus a warm-up call, a failed call and a cold call that must not
 * count. */
static void add_run(tdm_rep_dataset *ds, int k, double e, double t)
{
    tdm_rep_run *r = tdm_rep_add_run(ds);
    assert_non_null(r);
    r->dir = ds->n_dirs - 1;
    r->run = k;
    r->n_agents = 2;
    r->has_sequential = r->has_concurrent = true;
    for (int m = 0; m < TDM_M_N_RUN; m++)
        r->v[m] = NAN;
    r->v[TDM_M_EFFICIENCY] = e;
    r->v[TDM_M_SPEEDUP] = e / 50.0;
    r->tokens_agent_ratio = NAN;
    r->reported_legacy_eff = NAN;
    r->first_call = ds->n_calls;
    size_t run_idx = ds->n_runs - 1;
    struct {
        tdm_phase ph;
        bool ok, cold;
        double ttft;
    } calls[] = {{TDM_PHASE_WARMUP, true, false, 1000.0},
                 {TDM_PHASE_CONCURRENT, true, false, t},
                 {TDM_PHASE_CONCURRENT, true, false, t + 1},
                 {TDM_PHASE_CONCURRENT, false, false, 5000.0},
                 {TDM_PHASE_CONCURRENT, true, true, 9000.0},
                 {TDM_PHASE_SEQUENTIAL, true, false, t / 2}};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        tdm_rep_call *c = tdm_rep_add_call(ds);
        assert_non_null(c);
        c->run = run_idx;
        c->phase = calls[i].ph;
        c->ok = calls[i].ok;
        c->error_kind = calls[i].ok ? TDM_ERR_NONE : TDM_ERR_TIMEOUT_IDLE;
        c->m.ok = calls[i].ok;
        c->m.cold_load = calls[i].cold;
        c->m.ttft_ms = calls[i].ttft;
        c->m.itl_p50_ms = c->m.decode_tps = c->m.client_gap_ms = NAN;
    }
    ds->runs[run_idx].n_calls = ds->n_calls - ds->runs[run_idx].first_call;
    ds->runs[run_idx].calls = 4;
    ds->runs[run_idx].failed_calls = 1;
    ds->runs[run_idx].cold_loads = 1;
}

static void build(tdm_rep_dataset *ds, double shift)
{
    static const double eff[] = {90.1, 91.4, 89.7, 90.8, 90.3};
    const char *configs[] = {"c1", "c2"};
    const char *variants[] = {"smol", "tokio-default"};
    for (int v = 0; v < 2; v++)
        for (int c = 0; c < 2; c++) {
            add_dir(ds, variants[v], configs[c]);
            for (int k = 0; k < 5; k++)
                add_run(ds, k + 1, eff[k] + (v == 0 ? shift : 0.0) + c, 100.0 + 10 * k);
        }
    assert_int_equal(tdm_rep_group(ds, "tokio-default"), 0);
}

static const tdm_rep_settings SETTINGS = {.alpha = 0.05, .resamples = 2000, .seed = 7, .reference = "tokio-default",
                                          .baseline_metric = TDM_M_EFFICIENCY};

static const tdm_rep_comparison *find(const tdm_rep_analysis *an, int scope, int metric, int config)
{
    for (size_t i = 0; i < an->n_cmp; i++)
        if (an->cmp[i].scope == scope && an->cmp[i].metric == metric && an->cmp[i].config == config)
            return &an->cmp[i];
    return NULL;
}

static void test_units(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    build(&ds, 0.0);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    assert_string_equal(ds.variants[0].name, "tokio-default");
    assert_int_equal(ds.n_cells, 4);
    /* run-level: one value per run */
    const tdm_rep_sample *s = &an.cells[0].m[TDM_M_EFFICIENCY][0];
    assert_int_equal(s->desc.n, 5);
    assert_true(fabs(s->desc.mean - 90.46) < 1e-9);
    assert_true(s->ci_t.lo < s->desc.mean && s->desc.mean < s->ci_t.hi);
    assert_true(s->ci_boot.lo < s->desc.mean && s->desc.mean < s->ci_boot.hi);
    /* undefined metrics are counted, not averaged */
    assert_int_equal(an.cells[0].m[TDM_M_T_SEQ][0].desc.n, 0);
    assert_int_equal(an.cells[0].m[TDM_M_T_SEQ][0].n_undefined, 5);
    /* per-call: the two good concurrent calls of each run, nothing else */
    const tdm_rep_sample *t = &an.cells[0].m[TDM_M_TTFT][TDM_REP_CONC];
    assert_int_equal(t->desc.n, 10);
    assert_true(t->desc.max == 141.0);
    assert_int_equal(an.cells[0].m[TDM_M_TTFT][TDM_REP_SEQ].desc.n, 5);
    assert_int_equal(an.cells[0].counts[TDM_REP_CONC].failed, 5);
    assert_int_equal(an.cells[0].counts[TDM_REP_CONC].cold_excluded, 5);
    /* pooled variant: both configurations; means over configuration means */
    assert_int_equal(an.variants[0].pooled.m[TDM_M_EFFICIENCY][0].desc.n, 10);
    assert_int_equal(an.variants[0].config_means[TDM_M_EFFICIENCY].n, 2);
    assert_true(fabs(an.variants[0].config_means[TDM_M_EFFICIENCY].max - 91.46) < 1e-9);

    /* comparisons: runs, never calls, for a run-level metric */
    const tdm_rep_comparison *pooled = find(&an, TDM_REP_SCOPE_POOLED, TDM_M_EFFICIENCY, -1);
    assert_non_null(pooled);
    assert_int_equal(pooled->n_a, 10);
    assert_int_equal(pooled->n_b, 10);
    assert_int_equal(pooled->a, 1);
    assert_int_equal(pooled->b, 0);
    assert_true(fabs(pooled->gap.diff) < 1e-9);
    assert_false(pooled->significant);
    const tdm_rep_comparison *ttft = find(&an, TDM_REP_SCOPE_POOLED, TDM_M_TTFT, -1);
    assert_int_equal(ttft->n_a, 20);
    assert_int_equal(ttft->phase, TDM_REP_CONC);
    /* within configurations: one pair per configuration, Holm over both */
    const tdm_rep_comparison *c1 = find(&an, TDM_REP_SCOPE_CONFIG, TDM_M_EFFICIENCY, 0);
    const tdm_rep_comparison *c2 = find(&an, TDM_REP_SCOPE_CONFIG, TDM_M_EFFICIENCY, 1);
    assert_non_null(c1);
    assert_non_null(c2);
    assert_int_equal(c1->n_a, 5);
    assert_true(c1->p_welch_holm >= c1->gap.p && c1->p_welch_holm <= 1.0);
    /* the verdict says what was found, and no more */
    assert_non_null(strstr(an.summary, "no variant differed significantly from tokio-default"));
    assert_non_null(strstr(an.recommendation, "choose the simplest"));
    /* caveats found in the data */
    bool failed = false, cold = false;
    for (size_t i = 0; i < an.n_caveats; i++) {
        failed |= strcmp(an.caveats[i].kind, "failed_calls") == 0;
        cold |= strcmp(an.caveats[i].kind, "cold_loads") == 0;
    }
    assert_true(failed && cold);

    /* the same inputs give the same intervals, bit for bit */
    tdm_rep_analysis again;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &again), 0);
    assert_memory_equal(&an.cells[2].m[TDM_M_EFFICIENCY][0], &again.cells[2].m[TDM_M_EFFICIENCY][0],
                        sizeof(tdm_rep_sample));
    assert_string_equal(an.summary, again.summary);
    tdm_rep_analysis_free(&again);
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

static void test_significant(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    build(&ds, 5.0); /* smol 5 pp higher everywhere */
    tdm_rep_baseline bl;
    char err[128];
    assert_int_equal(tdm_rep_baseline_parse("TR110 Python=99.25 (mean of 5 runs)", &bl, err, sizeof err), 0);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, &bl, 1, &an), 0);
    const tdm_rep_comparison *pooled = find(&an, TDM_REP_SCOPE_POOLED, TDM_M_EFFICIENCY, -1);
    assert_true(pooled->significant);
    assert_true(fabs(pooled->gap.diff - 5.0) < 1e-9);
    assert_true(pooled->gap.lo > 0);
    assert_non_null(strstr(an.summary, "smol differed significantly from tokio-default"));
    assert_non_null(strstr(an.recommendation, "Recommendation: smol"));
    /* the baseline: every cell and every variant, below 99.25 */
    assert_int_equal(an.n_base, 4 + 2);
    for (size_t i = 0; i < an.n_base; i++) {
        assert_true(an.base[i].gap.diff < 0);
        assert_true(an.base[i].p_holm >= an.base[i].gap.p);
    }
    tdm_rep_analysis_free(&an);
    tdm_rep_baseline_free(&bl);
    tdm_rep_dataset_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_significant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
