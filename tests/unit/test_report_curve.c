/* test_report_curve.c — the gain curve (src/report/gain_curve.c) on small hand-made
 * datasets: points per agent count N with their means, the per-agent slowdown and TTFT
 * from the calls, lines told apart by the server layout of the provenance and by the
 * configuration's "key=value" parts (the agent count left out), one-agent runs joining
 * every line of their variant, the knee (efficiency below 75 %, or tokens/s growing by
 * less than 5 % per doubling) and the best operating point; and no curve at all when
 * every run has the same N. */
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

/* cmocka 1.1 (Debian) has no assert_double_equal */
#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

/* A run directory of n agents: on one shared URL, one URL each, or no URLs recorded. */
enum { SHARED, PER_AGENT, NO_URLS };

static void add_dir(tdm_rep_dataset *ds, const char *variant, const char *config, size_t n, int layout)
{
    tdm_rep_dir *d = tdm_rep_add_dir(ds);
    assert_non_null(d);
    char path[128];
    snprintf(path, sizeof path, "results/%s/%s/%zu/%d", variant, config, n, layout);
    d->path = strdup(path);
    json_t *agents = json_array();
    for (size_t i = 0; i < n; i++) {
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%zu", layout == SHARED ? 11434 : 11434 + i);
        json_array_append_new(agents, layout == NO_URLS ? json_object() : json_pack("{s:s}", "url", url));
    }
    d->prov = json_pack("{s:s, s:{s:s, s:o}}", "variant", variant, "scenario", "name", config, "agents", agents);
    d->variant = strdup(variant);
    d->source = strdup("tandem");
    d->configuration = strdup(config);
    d->scenario = strdup(config);
    d->repetition = -1;
}

/* A run of the last directory: efficiency eff, T_conc 1 s and tps output tokens in it;
 * each agent makes one sequential call (e2e 100 ms, TTFT 10 ms) and one concurrent call
 * slowed by `slow` (e2e 100 * slow, TTFT 10 * slow). */
static void add_run(tdm_rep_dataset *ds, size_t n, double eff, double tps, double slow)
{
    tdm_rep_run *r = tdm_rep_add_run(ds);
    assert_non_null(r);
    r->dir = ds->n_dirs - 1;
    r->run = (int)ds->n_runs;
    r->n_agents = n;
    r->has_sequential = r->has_concurrent = true;
    for (int m = 0; m < TDM_M_N_RUN; m++)
        r->v[m] = NAN;
    r->v[TDM_M_EFFICIENCY] = eff;
    r->v[TDM_M_T_CONC] = 1.0;
    r->tokens_conc = (int64_t)tps;
    r->tokens_agent_ratio = r->reported_legacy_eff = NAN;
    r->client_cpu_seq_ms = r->client_cpu_conc_ms = NAN;
    r->first_call = ds->n_calls;
    size_t run_idx = ds->n_runs - 1;
    for (size_t a = 0; a < n; a++)
        for (int ph = 0; ph < 2; ph++) {
            tdm_rep_call *c = tdm_rep_add_call(ds);
            assert_non_null(c);
            c->run = run_idx;
            c->agent = (int)a;
            c->phase = ph ? TDM_PHASE_CONCURRENT : TDM_PHASE_SEQUENTIAL;
            c->ok = c->m.ok = true;
            c->m.e2e_ms = ph ? 100.0 * slow : 100.0;
            c->m.ttft_ms = ph ? 10.0 * slow : 10.0;
            c->m.itl_p50_ms = c->m.decode_tps = c->m.client_gap_ms = NAN;
        }
    ds->runs[run_idx].n_calls = ds->n_calls - ds->runs[run_idx].first_call;
}

static const tdm_rep_settings SETTINGS = {.alpha = 0.05, .resamples = 200, .seed = 7, .reference = "a",
                                          .baseline_metric = TDM_M_EFFICIENCY};

static const size_t NS[] = {1, 2, 4, 8};
static const double EFF[] = {100.0, 95.0, 80.0, 60.0};

/* Variant "a": N = 1, 2, 4, 8 with one URL per agent, efficiencies EFF (two runs each, at
 * EFF +- 1), tokens/s N * EFF and slowdown 100 / EFF. */
static void build_per_agent(tdm_rep_dataset *ds)
{
    for (size_t i = 0; i < 4; i++) {
        add_dir(ds, "a", "c1", NS[i], PER_AGENT);
        for (int k = -1; k <= 1; k += 2)
            add_run(ds, NS[i], EFF[i] + k, (double)NS[i] * EFF[i], 100.0 / EFF[i]);
    }
}

static const tdm_rep_curve_line *line_of(const tdm_rep_analysis *an, const char *variant, const char *layout)
{
    for (size_t i = 0; i < an->curve.n_lines; i++) {
        const tdm_rep_curve_line *l = &an->curve.lines[i];
        if (strcmp(an->ds->variants[l->variant].name, variant) == 0 && strcmp(l->layout, layout) == 0)
            return l;
    }
    fail_msg("no line %s / %s", variant, layout);
    return NULL;
}

static void test_points_knee_and_best(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    build_per_agent(&ds);
    assert_int_equal(tdm_rep_group(&ds, "a"), 0);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    assert_int_equal(an.curve.n_lines, 1);
    const tdm_rep_curve_line *l = line_of(&an, "a", "a server per agent");
    assert_string_equal(l->label, "a (a server per agent)");
    assert_int_equal(l->n_points, 4);
    for (size_t i = 0; i < 4; i++) {
        const tdm_rep_curve_point *p = &l->points[i];
        assert_int_equal(p->n_agents, NS[i]);
        assert_int_equal(p->n_runs, 2);
        assert_near(p->efficiency.mean, EFF[i], 1e-9);
        /* the bootstrap interval of {EFF - 1, EFF + 1} lies within them */
        assert_true(p->efficiency.lo >= EFF[i] - 1 - 1e-9 && p->efficiency.hi <= EFF[i] + 1 + 1e-9);
        assert_near(p->tokens_s.mean, (double)(int64_t)((double)NS[i] * EFF[i]), 1e-9);
        assert_near(p->slowdown.mean, 100.0 / EFF[i], 1e-9);
        assert_int_equal(p->ttft.n, NS[i] * 2);
        assert_near(p->ttft.p50, 1000.0 / EFF[i], 1e-9);
    }
    /* tokens/s 100 -> 190: +90 % per doubling */
    assert_true(isnan(l->points[0].growth_pct));
    assert_near(l->points[1].growth_pct, 90.0, 1e-9);
    /* efficiency 60 % at N = 8 is the first below 75 %; 80 % at N = 4 is the best kept */
    assert_int_equal(l->knee, 3);
    assert_int_equal(l->knee_reason, TDM_REP_KNEE_EFFICIENCY);
    assert_int_equal(l->best, 2);
    assert_string_equal(tdm_rep_knee_key(l->knee_reason), "efficiency_below_75pct");
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

/* The knee by the tokens/s rule, on made-up points: the growth per doubling is
 * normalised by how many doublings lie between two points. */
static void test_knee_by_tokens_growth(void **state)
{
    (void)state;
    tdm_rep_curve_point pts[4] = {0};
    static const size_t n[] = {1, 2, 8, 16};
    static const double eff[] = {100.0, 95.0, 90.0, 85.0};
    static const double tps[] = {100.0, 190.0, 200.0, 300.0};
    for (int i = 0; i < 4; i++) {
        pts[i].n_agents = n[i];
        pts[i].efficiency.mean = eff[i];
        pts[i].tokens_s.mean = tps[i];
    }
    tdm_rep_curve_line l = {.points = pts, .n_points = 4};
    tdm_rep_curve_judge(&l);
    /* 190 -> 200 over two doublings: sqrt(200 / 190) - 1 = 2.6 % */
    assert_near(pts[2].growth_pct, 100.0 * (sqrt(200.0 / 190.0) - 1.0), 1e-9);
    assert_int_equal(l.knee, 2);
    assert_int_equal(l.knee_reason, TDM_REP_KNEE_TOKENS);
    assert_int_equal(l.best, 3); /* 300 tokens/s at 85 % */
    /* no point at or above 75 %: no best point; a NaN efficiency is not "below" */
    for (int i = 0; i < 4; i++)
        pts[i].efficiency.mean = i == 0 ? NAN : 50.0;
    tdm_rep_curve_judge(&l);
    assert_int_equal(l.best, -1);
    assert_int_equal(l.knee, 1);
    assert_int_equal(l.knee_reason, TDM_REP_KNEE_EFFICIENCY);
    /* and nothing to judge */
    tdm_rep_curve_line empty = {0};
    tdm_rep_curve_judge(&empty);
    assert_int_equal(empty.knee, -1);
    assert_int_equal(empty.best, -1);
}

/* Two layouts of one variant and a one-agent run that joins both; a second variant whose
 * configurations name the agent count and num_parallel (no URLs recorded). */
static void test_lines_by_layout_and_config(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    add_dir(&ds, "a", "c1", 1, PER_AGENT);
    add_run(&ds, 1, 100.0, 100.0, 1.0);
    add_dir(&ds, "a", "c1", 2, SHARED);
    add_run(&ds, 2, 50.0, 100.0, 2.0);
    add_dir(&ds, "a", "c1", 2, PER_AGENT);
    add_run(&ds, 2, 99.0, 198.0, 1.0);
    add_dir(&ds, "b", "agents=1, num_parallel=2", 1, NO_URLS);
    add_run(&ds, 1, 100.0, 100.0, 1.0);
    add_dir(&ds, "b", "agents=4, num_parallel=2", 4, NO_URLS);
    add_run(&ds, 4, 90.0, 360.0, 1.1);
    add_dir(&ds, "b", "num_parallel=1,agents=4", 4, NO_URLS);
    add_run(&ds, 4, 25.0, 100.0, 4.0);
    assert_int_equal(tdm_rep_group(&ds, "a"), 0);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    assert_int_equal(an.curve.n_lines, 4);
    const tdm_rep_curve_line *sh = line_of(&an, "a", "one shared server");
    const tdm_rep_curve_line *pa = line_of(&an, "a", "a server per agent");
    assert_int_equal(sh->n_points, 2);
    assert_int_equal(pa->n_points, 2);
    assert_int_equal(sh->points[0].n_agents, 1); /* the one-agent run is on both lines */
    assert_near(sh->points[1].efficiency.mean, 50.0, 1e-9);
    assert_near(pa->points[1].efficiency.mean, 99.0, 1e-9);
    assert_int_equal(sh->knee, 1);
    assert_int_equal(sh->best, 0);
    assert_int_equal(pa->knee, -1);
    assert_int_equal(pa->best, 1);
    const tdm_rep_curve_line *np2 = line_of(&an, "b", "num_parallel=2");
    assert_int_equal(np2->n_points, 2);
    assert_int_equal(np2->points[1].n_agents, 4);
    assert_string_equal(np2->label, "b (num_parallel=2)");
    const tdm_rep_curve_line *np1 = line_of(&an, "b", "num_parallel=1");
    assert_int_equal(np1->n_points, 1);
    assert_near(np1->points[0].efficiency.mean, 25.0, 1e-9);
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

static void test_one_agent_count_has_no_curve(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    add_dir(&ds, "a", "c1", 2, SHARED);
    add_run(&ds, 2, 50.0, 100.0, 2.0);
    add_dir(&ds, "b", "c1", 2, PER_AGENT);
    add_run(&ds, 2, 99.0, 198.0, 1.0);
    assert_int_equal(tdm_rep_group(&ds, "a"), 0);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    assert_int_equal(an.curve.n_lines, 0);
    assert_null(an.curve.lines);
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_points_knee_and_best),
        cmocka_unit_test(test_knee_by_tokens_growth),
        cmocka_unit_test(test_lines_by_layout_and_config),
        cmocka_unit_test(test_one_agent_count_has_no_curve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
