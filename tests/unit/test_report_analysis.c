/* test_report_analysis.c — the analysis on a small hand-made dataset
 * (src/report/analysis.c, compare.c, caveats.c, verdict.c, margin.c): run-level metrics
 * use one value per run, per-call metrics pool the successful non-cold calls of the
 * phase, the comparisons and their Holm families, the bootstrap is the same on every run,
 * the summary says only what the comparisons found, and each difference is judged
 * against its equivalence margin (the five verdicts, in the summary too), with margins
 * set and refused as --margin does. */
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
    assert_null(strstr(an.recommendation, "simplest"));
    assert_non_null(strstr(an.recommendation, "did not differ significantly from tokio-default (no margin set"));
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

/* Both variants with the same five runs per configuration, spread around 90 by `spread`
 * times the pattern of build(), smol shifted by `shift`, and no offset between the
 * configurations: the pooled difference is exactly `shift`, its CI as narrow as spread
 * makes it. */
static void build_tight(tdm_rep_dataset *ds, double shift, double spread)
{
    static const double dev[] = {-0.36, 0.94, -0.76, 0.34, -0.16};
    const char *configs[] = {"c1", "c2"};
    const char *variants[] = {"smol", "tokio-default"};
    for (int v = 0; v < 2; v++)
        for (int c = 0; c < 2; c++) {
            add_dir(ds, variants[v], configs[c]);
            for (int k = 0; k < 5; k++)
                add_run(ds, k + 1, 90.0 + spread * dev[k] + (v == 0 ? shift : 0.0), 100.0 + 10 * k);
        }
    assert_int_equal(tdm_rep_group(ds, "tokio-default"), 0);
}

typedef struct equiv_case {
    double shift, spread;
    tdm_rep_equiv_verdict want;
    bool significant, equivalent;
    const char *summary; /* a phrase the summary must hold */
    double tost_p;       /* scipy 1.17.1's, or 0 when not checked */
} equiv_case;

static void test_equivalence_verdicts(void **state)
{
    (void)state;
    tdm_rep_settings s = SETTINGS;
    tdm_rep_margins_default(s.margin);
    const equiv_case cases[] = {
        /* real but small: the report must not let "significant" pass for "large" */
        {0.3, 0.1, TDM_REP_EQ_WITHIN, true, true,
         "smol differed significantly from tokio-default after Holm's correction (alpha = 0.05; smol 0.30 pp, "
         "p < 0.0001), but within the ±1 pp equivalence margin", 0},
        {5.0, 0.1, TDM_REP_EQ_BEYOND, true, false, "), by more than the ±1 pp equivalence margin", 0},
        /* the CI (about 0.95 to 1.05) reaches across the margin */
        {1.0, 0.1, TDM_REP_EQ_MAYBE_BEYOND, true, false, "), possibly by more than the ±1 pp equivalence margin", 0},
        {0.0, 0.1, TDM_REP_EQ_EQUIVALENT, false, true,
         "no variant differed significantly from tokio-default after Holm's correction (alpha = 0.05); smol was "
         "equivalent to tokio-default within the ±1 pp equivalence margin", 0},
        /* sd about 6 pp: neither a difference nor its absence can be shown */
        {0.0, 10.0, TDM_REP_EQ_INCONCLUSIVE, false, false,
         "; smol was not shown to be within the ±1 pp equivalence margin (inconclusive)", 0},
        /* either side of alpha: the two samples are equal (diff 0), so TOST p is
         * t.cdf(-1 / se, 18) with se = spread * sd(pattern) * sqrt(2 / 10); from scipy:
         *   a = np.tile(90 + spread * np.array([-0.36, 0.94, -0.76, 0.34, -0.16]), 2)
         *   se = (2 * a.var(ddof=1) / 10) ** 0.5; stats.t.cdf(-1 / se, 18) */
        {0.0, 2.0, TDM_REP_EQ_EQUIVALENT, false, true, "smol was equivalent to tokio-default within the ±1 pp",
         0.04414812231064312},
        {0.0, 2.4, TDM_REP_EQ_INCONCLUSIVE, false, false, "smol was not shown to be within the ±1 pp",
         0.07524687471138215},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const equiv_case *k = &cases[i];
        tdm_rep_dataset ds = {0};
        build_tight(&ds, k->shift, k->spread);
        tdm_rep_analysis an;
        assert_int_equal(tdm_rep_analyze(&ds, &s, NULL, 0, &an), 0);
        const tdm_rep_comparison *c = find(&an, TDM_REP_SCOPE_POOLED, TDM_M_EFFICIENCY, -1);
        assert_non_null(c);
        if (c->equiv != k->want || c->significant != k->significant || c->equivalent != k->equivalent)
            fail_msg("case %zu (shift %g, spread %g): verdict %d significant %d equivalent %d; diff %g, 90%% CI "
                     "[%g, %g], TOST p %g",
                     i, k->shift, k->spread, c->equiv, c->significant, c->equivalent, c->gap.diff, c->tost.lo,
                     c->tost.hi, c->tost.p);
        assert_true(c->margin == 1.0);
        if (k->tost_p > 0 && !(fabs(c->tost.p - k->tost_p) <= 1e-9 * k->tost_p))
            fail_msg("case %zu: TOST p %.17g, want %.17g", i, c->tost.p, k->tost_p);
        /* the decision is the CI's: equivalent exactly when the 90% CI lies inside the margin */
        assert_true(c->equivalent == (c->tost.lo > -1.0 && c->tost.hi < 1.0));
        if (!strstr(an.summary, k->summary))
            fail_msg("case %zu: the summary lacks \"%s\":\n%s", i, k->summary, an.summary);
        /* the same verdict in words for the tables */
        char w[128];
        const char *want_words[] = {[TDM_REP_EQ_WITHIN] = "different, but within ±1 pp",
                                    [TDM_REP_EQ_BEYOND] = "different by more than ±1 pp",
                                    [TDM_REP_EQ_MAYBE_BEYOND] = "different, possibly by more than ±1 pp",
                                    [TDM_REP_EQ_EQUIVALENT] = "equivalent within ±1 pp",
                                    [TDM_REP_EQ_INCONCLUSIVE] = "inconclusive at ±1 pp"};
        assert_string_equal(tdm_rep_equiv_text(w, sizeof w, &an, c), want_words[k->want]);
        /* metrics without a margin get no verdict at all */
        const tdm_rep_comparison *t = find(&an, TDM_REP_SCOPE_POOLED, TDM_M_T_SEQ, -1);
        assert_true(t == NULL || (t->equiv == TDM_REP_EQ_NONE && isnan(t->tost.p)));
        tdm_rep_analysis_free(&an);
        tdm_rep_dataset_free(&ds);
    }
}

static void test_equivalence_recommendation_and_no_margin(void **state)
{
    (void)state;
    tdm_rep_settings s = SETTINGS;
    tdm_rep_margins_default(s.margin);
    tdm_rep_dataset ds = {0};
    build_tight(&ds, -0.3, 0.1); /* smol 0.3 pp lower, significantly */
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &s, NULL, 0, &an), 0);
    assert_non_null(strstr(an.recommendation, "smol was significantly lower pooled over configurations, but within "
                                               "the ±1 pp equivalence margin"));
    assert_non_null(strstr(an.confidence, "its 90% CI lies inside it"));
    tdm_rep_analysis_free(&an);
    /* with the margin switched off, the old words and no judgement */
    char err[256];
    assert_int_equal(tdm_rep_margin_parse("efficiency_pct=none", s.margin, err, sizeof err), 0);
    assert_int_equal(tdm_rep_analyze(&ds, &s, NULL, 0, &an), 0);
    const tdm_rep_comparison *c = find(&an, TDM_REP_SCOPE_POOLED, TDM_M_EFFICIENCY, -1);
    assert_true(c->significant && c->equiv == TDM_REP_EQ_NONE && !c->equivalent && isnan(c->margin));
    /* no efficiency margin: no judgement on efficiency (other metrics keep theirs, and a
     * difference beyond one of those would lead the summary) */
    assert_null(strstr(an.summary, "pp margin"));
    assert_null(strstr(an.summary, "pp equivalence margin"));
    assert_non_null(strstr(an.recommendation, "prefer the others only if a difference of that size"));
    tdm_rep_analysis_free(&an);
    /* a relative margin is a percentage of the mean compared against (b) */
    assert_int_equal(tdm_rep_margin_parse("speedup=2%", s.margin, err, sizeof err), 0);
    assert_int_equal(tdm_rep_analyze(&ds, &s, NULL, 0, &an), 0);
    c = find(&an, TDM_REP_SCOPE_POOLED, TDM_M_SPEEDUP, -1);
    assert_true(fabs(c->margin - 0.02 * c->mean_b) < 1e-12);
    assert_int_equal(c->equiv, TDM_REP_EQ_WITHIN);
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

/* Three variants, each judged differently against the same reference: the summary
 * names each verdict with its variants instead of one word for all. */
static void test_equivalence_mixed_summary(void **state)
{
    (void)state;
    static const double dev[] = {-0.36, 0.94, -0.76, 0.34, -0.16};
    const char *variants[] = {"async-std", "smol", "tokio-localset", "tokio-default"};
    const double shift[] = {5.0, 0.3, 0.0, 0.0};
    tdm_rep_dataset ds = {0};
    for (int v = 0; v < 4; v++)
        for (int c = 0; c < 2; c++) {
            add_dir(&ds, variants[v], c ? "c2" : "c1");
            for (int k = 0; k < 5; k++)
                add_run(&ds, k + 1, 90.0 + 0.1 * dev[k] + shift[v], 100.0);
        }
    assert_int_equal(tdm_rep_group(&ds, "tokio-default"), 0);
    tdm_rep_settings s = SETTINGS;
    tdm_rep_margins_default(s.margin);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &s, NULL, 0, &an), 0);
    if (!strstr(an.summary, "p < 0.0001): smol within the ±1 pp equivalence margin, async-std by more than it; "
                            "tokio-localset did not differ significantly and was equivalent to tokio-default "
                            "within the margin"))
        fail_msg("summary:\n%s", an.summary);
    /* within configurations the significant pairs differ in kind too: counted, not "all" */
    if (!strstr(an.summary, "pairwise differences were significant (") || !strstr(an.summary, " by more than it)"))
        fail_msg("summary:\n%s", an.summary);
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

static void test_margin_parse(void **state)
{
    (void)state;
    tdm_rep_margin m[TDM_M_COUNT];
    char err[512], t[64];
    tdm_rep_margins_default(m);
    assert_true(m[TDM_M_EFFICIENCY].value == 1.0 && !m[TDM_M_EFFICIENCY].relative);
    assert_true(m[TDM_M_LEGACY_EFFICIENCY].value == 1.0);
    assert_true(m[TDM_M_SPEEDUP].value == 0.02 && m[TDM_M_THROUGHPUT_GAIN].value == 0.02);
    assert_true(m[TDM_M_TTFT].value == 5.0 && m[TDM_M_ITL_P50].value == 1.0 && m[TDM_M_CLIENT_GAP].value == 5.0);
    assert_true(m[TDM_M_DECODE_TPS].value == 2.0 && m[TDM_M_DECODE_TPS].relative);
    assert_true(m[TDM_M_T_SEQ].value == 0.0 && m[TDM_M_T_CONC].value == 0.0 && m[TDM_M_CLIENT_CPU].value == 0.0);
    assert_string_equal(tdm_rep_margin_text(t, sizeof t, TDM_M_EFFICIENCY, &m[TDM_M_EFFICIENCY]), "±1 pp");
    assert_string_equal(tdm_rep_margin_text(t, sizeof t, TDM_M_SPEEDUP, &m[TDM_M_SPEEDUP]), "±0.02");
    assert_string_equal(tdm_rep_margin_text(t, sizeof t, TDM_M_TTFT, &m[TDM_M_TTFT]), "±5 ms");
    assert_string_equal(tdm_rep_margin_text(t, sizeof t, TDM_M_DECODE_TPS, &m[TDM_M_DECODE_TPS]), "±2%");
    assert_string_equal(tdm_rep_margin_text(t, sizeof t, TDM_M_T_SEQ, &m[TDM_M_T_SEQ]), "");

    /* accepted: a number, with the unit or not; a relative margin; none */
    assert_int_equal(tdm_rep_margin_parse("efficiency_pct=0.5", m, err, sizeof err), 0);
    assert_true(m[TDM_M_EFFICIENCY].value == 0.5);
    assert_int_equal(tdm_rep_margin_parse(" legacy_efficiency_pct = 2 pp ", m, err, sizeof err), 0);
    assert_true(m[TDM_M_LEGACY_EFFICIENCY].value == 2.0);
    assert_int_equal(tdm_rep_margin_parse("ttft_ms=3ms", m, err, sizeof err), 0);
    assert_true(m[TDM_M_TTFT].value == 3.0 && !m[TDM_M_TTFT].relative);
    assert_int_equal(tdm_rep_margin_parse("t_conc_s=2.5%", m, err, sizeof err), 0);
    assert_true(m[TDM_M_T_CONC].value == 2.5 && m[TDM_M_T_CONC].relative);
    assert_int_equal(tdm_rep_margin_parse("decode_tps=1.5", m, err, sizeof err), 0);
    assert_true(m[TDM_M_DECODE_TPS].value == 1.5 && !m[TDM_M_DECODE_TPS].relative);
    assert_int_equal(tdm_rep_margin_parse("ttft_ms=none", m, err, sizeof err), 0);
    assert_true(m[TDM_M_TTFT].value == 0.0);

    /* refused, each with the fix in the message; the margins are left as they were */
    struct {
        const char *spec, *says;
    } bad[] = {
        {"efficiency_pct", "write KEY=VALUE, e.g. --margin efficiency_pct=0.5"},
        {"effciency_pct=1", "'effciency_pct' is not a metric; use one of efficiency_pct, speedup"},
        {"efficiency_pct=abc", "must be a positive number"},
        {"efficiency_pct=0", "must be a positive number"},
        {"efficiency_pct=-1", "must be a positive number"},
        {"efficiency_pct=inf", "must be a positive number"},
        {"efficiency_pct=0.5%", "is itself a percentage, so its margin is in percentage points; write "
                                "efficiency_pct=0.5"},
        {"ttft_ms=5s", "ttft_ms is in ms: write ttft_ms=5"},
        {"speedup=0.02x", "speedup has no unit: write speedup=0.02"},
        {"t_conc_s=100%", "below 100%"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tdm_rep_margin before[TDM_M_COUNT];
        memcpy(before, m, sizeof before);
        err[0] = '\0';
        assert_int_equal(tdm_rep_margin_parse(bad[i].spec, m, err, sizeof err), -1);
        if (!strstr(err, bad[i].says))
            fail_msg("--margin '%s': the error \"%s\" lacks \"%s\"", bad[i].spec, err, bad[i].says);
        assert_memory_equal(before, m, sizeof before);
    }
    /* the list the help prints */
    tdm_rep_margins_default(m);
    char list[512];
    assert_string_equal(tdm_rep_margins_list(list, sizeof list, m),
                        "efficiency_pct=1, speedup=0.02, throughput_gain=0.02, legacy_efficiency_pct=1, ttft_ms=5, "
                        "itl_p50_ms=1, decode_tps=2%, client_gap_ms=5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_significant),
        cmocka_unit_test(test_equivalence_verdicts),
        cmocka_unit_test(test_equivalence_recommendation_and_no_margin),
        cmocka_unit_test(test_equivalence_mixed_summary),
        cmocka_unit_test(test_margin_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
