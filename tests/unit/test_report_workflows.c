/* test_report_workflows.c — makespan against critical path (src/report/workflows.c,
 * write_md_workflows.c) on small hand-made datasets: workflow runs grouped per
 * configuration and variant with the core's numbers carried unchanged, their means and
 * CIs, each workflow's ideal speedup over every variant's runs, a chain told by an ideal
 * speedup near 1, the variant that came closest, runs with a failed call counted and
 * left out of the means; other runs kept out (and workflow runs kept out of the gain
 * curve); nothing at all, and no Markdown section, without a workflow run. */
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
#include "report/output.h"
#include "report/workflows.h"

/* cmocka 1.1 (Debian) has no assert_double_equal */
#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

static const tdm_rep_settings SETTINGS = {.alpha = 0.05, .resamples = 200, .seed = 7, .reference = "a",
                                          .baseline_metric = TDM_M_EFFICIENCY};

/* A run directory of one run with n agents on one server. */
static tdm_rep_run *add_run(tdm_rep_dataset *ds, const char *variant, const char *config, size_t n)
{
    tdm_rep_dir *d = tdm_rep_add_dir(ds);
    assert_non_null(d);
    char path[160];
    snprintf(path, sizeof path, "results/%s/%s/%zu", variant, config, ds->n_dirs);
    d->path = strdup(path);
    json_t *agents = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(agents, json_pack("{s:s}", "url", "http://127.0.0.1:11434"));
    d->prov = json_pack("{s:s, s:{s:s, s:o}}", "variant", variant, "scenario", "name", config, "agents", agents);
    d->variant = strdup(variant);
    d->source = strdup("tandem");
    d->configuration = strdup(config);
    d->scenario = strdup(config);
    d->repetition = -1;
    tdm_rep_run *r = tdm_rep_add_run(ds);
    assert_non_null(r);
    r->dir = ds->n_dirs - 1;
    r->run = 1;
    r->n_agents = n;
    r->has_sequential = r->has_concurrent = true;
    r->complete = true;
    for (int m = 0; m < TDM_M_N_RUN; m++)
        r->v[m] = NAN;
    r->tokens_agent_ratio = r->reported_legacy_eff = NAN;
    r->client_cpu_seq_ms = r->client_cpu_conc_ms = NAN;
    r->first_call = ds->n_calls;
    return r;
}

/* A workflow run as the core would compute it: T_seq, critical path and makespan given,
 * the ratios from them. */
static tdm_rep_run *add_wf(tdm_rep_dataset *ds, const char *variant, const char *config, size_t n, double t_seq,
                           double cp, double makespan)
{
    tdm_rep_run *r = add_run(ds, variant, config, n);
    r->workflow = true;
    r->v[TDM_M_T_SEQ] = t_seq;
    r->v[TDM_M_T_CONC] = makespan;
    r->v[TDM_M_SPEEDUP] = t_seq / makespan;
    r->v[TDM_M_EFFICIENCY] = 100.0 * t_seq / makespan / (double)n;
    r->critical_path_s = cp;
    r->makespan_s = makespan;
    r->ideal_speedup = t_seq / cp;
    r->achieved_speedup = t_seq / makespan;
    r->workflow_efficiency_pct = 100.0 * cp / makespan;
    r->tokens_conc = 100;
    return r;
}

static const tdm_rep_wf_cell *wf_cell(const tdm_rep_analysis *an, const char *config, const char *variant)
{
    const tdm_rep_workflows *wf = &an->workflows;
    for (size_t i = 0; i < wf->n_cells; i++)
        if (strcmp(an->ds->configs[wf->cells[i].config], config) == 0 &&
            strcmp(an->ds->variants[wf->cells[i].variant].name, variant) == 0)
            return &wf->cells[i];
    fail_msg("no workflow cell %s / %s", config, variant);
    return NULL;
}

static const tdm_rep_wf_config *wf_config(const tdm_rep_analysis *an, const char *config)
{
    for (size_t i = 0; i < an->workflows.n_configs; i++)
        if (strcmp(an->ds->configs[an->workflows.configs[i].config], config) == 0)
            return &an->workflows.configs[i];
    fail_msg("no workflow %s", config);
    return NULL;
}

/* Two workflows, two variants: the means are the core's numbers averaged, the ideal is
 * over both variants' runs, the closest is the highest mean efficiency; a plain run and
 * its configuration stay out. */
static void test_cells_means_ideal_and_closest(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    /* fanout: T_seq 4, critical path 2 (ideal 2); a reaches the ideal, b loses 0.5 s */
    add_wf(&ds, "a", "fanout", 4, 4.0, 2.0, 2.0);
    add_wf(&ds, "a", "fanout", 4, 4.0, 2.0, 2.0);
    add_wf(&ds, "b", "fanout", 4, 4.0, 2.0, 2.5);
    add_wf(&ds, "b", "fanout", 4, 4.0, 2.0, 2.5);
    /* chain: every step waits for the one before, ideal 1.01 */
    add_wf(&ds, "a", "chain", 2, 3.03, 3.0, 3.0);
    add_wf(&ds, "b", "chain", 2, 3.03, 3.0, 3.1);
    /* a plain run of two agents, no workflow */
    tdm_rep_run *plain = add_run(&ds, "a", "plain", 2);
    plain->v[TDM_M_T_SEQ] = 2.0;
    plain->v[TDM_M_T_CONC] = 1.0;
    assert_int_equal(tdm_rep_group(&ds, "a"), 0);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    const tdm_rep_workflows *wf = &an.workflows;
    assert_int_equal(wf->n_runs, 6);
    assert_int_equal(wf->n_configs, 2);
    assert_int_equal(wf->n_cells, 4);
    for (size_t i = 0; i < wf->n_runs; i++)
        assert_true(ds.runs[wf->runs[i]].workflow);

    const tdm_rep_wf_cell *fa = wf_cell(&an, "fanout", "a"), *fb = wf_cell(&an, "fanout", "b");
    assert_int_equal(fa->n_runs, 2);
    assert_int_equal(fa->n_incomplete, 0);
    assert_near(fa->v[TDM_REP_WF_CRITICAL].mean, 2.0, 1e-12);
    assert_near(fa->v[TDM_REP_WF_MAKESPAN].mean, 2.0, 1e-12);
    assert_near(fa->v[TDM_REP_WF_IDEAL].mean, 2.0, 1e-12);
    assert_near(fa->v[TDM_REP_WF_ACHIEVED].mean, 2.0, 1e-12);
    assert_near(fa->v[TDM_REP_WF_EFFICIENCY].mean, 100.0, 1e-9);
    assert_near(fb->v[TDM_REP_WF_MAKESPAN].mean, 2.5, 1e-12);
    assert_near(fb->v[TDM_REP_WF_ACHIEVED].mean, 1.6, 1e-12);
    assert_near(fb->v[TDM_REP_WF_EFFICIENCY].mean, 80.0, 1e-9);
    assert_near(fb->v[TDM_REP_WF_T_SEQ].mean, 4.0, 1e-12);
    /* equal values: a zero-width interval, present */
    assert_near(fb->v[TDM_REP_WF_EFFICIENCY].lo, 80.0, 1e-9);
    assert_near(fb->v[TDM_REP_WF_EFFICIENCY].hi, 80.0, 1e-9);

    const tdm_rep_wf_config *fan = wf_config(&an, "fanout"), *chain = wf_config(&an, "chain");
    assert_near(fan->ideal.mean, 2.0, 1e-12);
    assert_int_equal(fan->ideal.n, 4);
    assert_false(fan->chain);
    assert_ptr_equal(&wf->cells[fan->closest], fa);
    assert_true(chain->chain);
    assert_near(chain->ideal.mean, 1.01, 1e-12);
    assert_ptr_equal(&wf->cells[chain->closest], wf_cell(&an, "chain", "a"));
    /* one run per cell: a mean without an interval */
    assert_true(isnan(wf_cell(&an, "chain", "b")->v[TDM_REP_WF_MAKESPAN].lo));

    /* workflow runs make no gain curve (N = 2 and 4 here, yet no curve: only the plain
     * run, of one N, is left) */
    assert_int_equal(an.curve.n_lines, 0);
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

/* A run with a failed call keeps its makespan but has no speedups or efficiency: it is
 * counted, and the means are over the others. */
static void test_incomplete_runs(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    add_wf(&ds, "a", "wf", 3, 3.0, 2.0, 2.0);
    tdm_rep_run *bad = add_wf(&ds, "a", "wf", 3, 3.0, NAN, 0.5);
    bad->complete = false;
    bad->ideal_speedup = bad->achieved_speedup = bad->workflow_efficiency_pct = NAN;
    assert_int_equal(tdm_rep_group(&ds, "a"), 0);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    const tdm_rep_wf_cell *c = wf_cell(&an, "wf", "a");
    assert_int_equal(c->n_runs, 2);
    assert_int_equal(c->n_incomplete, 1);
    assert_int_equal(c->v[TDM_REP_WF_EFFICIENCY].n, 1);
    assert_near(c->v[TDM_REP_WF_EFFICIENCY].mean, 100.0, 1e-9);
    assert_int_equal(c->v[TDM_REP_WF_MAKESPAN].n, 2);
    assert_near(c->v[TDM_REP_WF_MAKESPAN].mean, 1.25, 1e-12);
    assert_int_equal(wf_config(&an, "wf")->ideal.n, 1);
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

/* Without a workflow run: nothing, and no section in the Markdown. With one: the section,
 * its table and the sentence. */
static void test_markdown_section(void **state)
{
    (void)state;
    tdm_rep_dataset ds = {0};
    tdm_rep_run *plain = add_run(&ds, "a", "plain", 2);
    plain->v[TDM_M_T_SEQ] = 2.0;
    plain->v[TDM_M_T_CONC] = 1.0;
    assert_int_equal(tdm_rep_group(&ds, "a"), 0);
    tdm_rep_analysis an;
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    assert_int_equal(an.workflows.n_runs, 0);
    assert_int_equal(an.workflows.n_configs, 0);
    assert_null(an.workflows.cells);
    tdm_buf b = {0};
    tdm_rep_md_workflows_section(&b, &an);
    assert_int_equal(b.len, 0);
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);

    memset(&ds, 0, sizeof ds);
    add_wf(&ds, "a", "pipe", 2, 4.0, 3.0, 3.0);
    add_wf(&ds, "a", "pipe", 2, 4.0, 3.0, 3.0);
    add_wf(&ds, "b", "pipe", 2, 4.0, 3.0, 4.0);
    add_wf(&ds, "b", "pipe", 2, 4.0, 3.0, 4.0);
    assert_int_equal(tdm_rep_group(&ds, "a"), 0);
    assert_int_equal(tdm_rep_analyze(&ds, &SETTINGS, NULL, 0, &an), 0);
    tdm_rep_md_workflows_section(&b, &an);
    const char *md = tdm_buf_str(&b);
    assert_non_null(strstr(md, "## Workflows: makespan against critical path\n"));
    assert_non_null(strstr(md, "### pipe\n"));
    assert_non_null(strstr(md, "| a | 2 | 4.000 [4.000 – 4.000] | 3.000 [3.000 – 3.000] | 3.000 [3.000 – 3.000] | "
                               "1.333 [1.333 – 1.333] | 1.333 [1.333 – 1.333] | 100.00 [100.00 – 100.00] |"));
    assert_non_null(strstr(md, "**pipe: the dependencies allow 1.33×**"));
    assert_non_null(strstr(md, "a 100.00 % (achieved 1.33×), the closest; b 75.00 % (achieved 1.00×)."));
    assert_null(strstr(md, "nothing to gain"));
    tdm_buf_free(&b);
    tdm_rep_analysis_free(&an);
    tdm_rep_dataset_free(&ds);
}

static void test_closest_and_chain(void **state)
{
    (void)state;
    tdm_rep_wf_cell c[3];
    memset(c, 0, sizeof c);
    c[0].v[TDM_REP_WF_EFFICIENCY].mean = NAN;
    c[1].v[TDM_REP_WF_EFFICIENCY].mean = 90.0;
    c[2].v[TDM_REP_WF_EFFICIENCY].mean = 90.0;
    assert_int_equal(tdm_rep_wf_closest(c, 3), 1); /* ties go to the first */
    c[2].v[TDM_REP_WF_EFFICIENCY].mean = 95.0;
    assert_int_equal(tdm_rep_wf_closest(c, 3), 2);
    assert_int_equal(tdm_rep_wf_closest(c, 1), -1); /* none defined */
    assert_true(tdm_rep_wf_is_chain(1.0));
    assert_true(tdm_rep_wf_is_chain(1.049));
    assert_false(tdm_rep_wf_is_chain(TDM_REP_WF_CHAIN_SPEEDUP));
    assert_false(tdm_rep_wf_is_chain(NAN));
    assert_string_equal(tdm_rep_wf_key(TDM_REP_WF_EFFICIENCY), "workflow_efficiency_pct");
    assert_string_equal(tdm_rep_wf_key(TDM_REP_WF_CRITICAL), "critical_path_s");
    assert_string_equal(tdm_rep_wf_key(TDM_REP_WF_NVAL), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells_means_ideal_and_closest),
        cmocka_unit_test(test_incomplete_runs),
        cmocka_unit_test(test_markdown_section),
        cmocka_unit_test(test_closest_and_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
