/* write_json_workflows.c — analysis.json's "workflows" (workflows.c): per workflow (a
 * configuration) its ideal speedup over every variant's runs, whether it is a chain, and
 * per variant the means with their CIs; every workflow run's own numbers, the core's as
 * summary.json gives them; and the definitions. The key is absent when no run is a
 * workflow, so other files keep their shape. Undefined numbers are null. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report/output.h"

/* The shared value writers (json_values.c) under the short names every line here uses. */
static json_t *num(double v)
{
    return tdm_rep_json_num(v);
}

static json_t *str(const char *s)
{
    return tdm_rep_json_str(s);
}

static json_t *value_json(const tdm_rep_curve_value *v, const char *ci)
{
    return tdm_rep_json_curve_value(v, ci);
}

static json_t *cell_json(const tdm_rep_analysis *an, const tdm_rep_wf_cell *c)
{
    const tdm_rep_variant *var = &an->ds->variants[c->variant];
    json_t *o = json_pack("{s:o, s:o, s:o, s:I, s:I}", "variant", str(var->name), "source", str(var->source), "label",
                          str(var->label), "runs", (json_int_t)c->n_runs, "incomplete_runs",
                          (json_int_t)c->n_incomplete);
    for (int v = 0; v < TDM_REP_WF_NVAL; v++)
        json_object_set_new(o, tdm_rep_wf_key(v),
                            value_json(&c->v[v], v == TDM_REP_WF_EFFICIENCY ? "bootstrap" : "t"));
    return o;
}

static json_t *run_json(const tdm_rep_dataset *ds, size_t r)
{
    const tdm_rep_run *run = &ds->runs[r];
    const tdm_rep_variant *var = &ds->variants[ds->cells[run->cell].variant];
    json_t *o = json_pack("{s:o, s:i, s:o, s:o, s:o, s:b}", "dir", str(ds->dirs[run->dir].path), "run", run->run,
                          "variant", str(var->name), "source", str(var->source), "configuration",
                          str(ds->configs[ds->cells[run->cell].config]), "complete", run->complete);
    for (int v = 0; v < TDM_REP_WF_NVAL; v++)
        json_object_set_new(o, tdm_rep_wf_key(v), num(tdm_rep_wf_run_value(run, v)));
    return o;
}

json_t *tdm_rep_workflows_json(const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    const tdm_rep_workflows *wf = &an->workflows;
    json_t *list = json_array();
    for (size_t i = 0; i < wf->n_configs; i++) {
        const tdm_rep_wf_config *g = &wf->configs[i];
        json_t *cells = json_array();
        size_t runs = 0;
        for (size_t k = g->first; k < g->first + g->n_cells; k++) {
            json_array_append_new(cells, cell_json(an, &wf->cells[k]));
            runs += wf->cells[k].n_runs;
        }
        const tdm_rep_wf_cell *closest = g->closest >= 0 ? &wf->cells[g->closest] : NULL;
        json_array_append_new(
            list, json_pack("{s:o, s:I, s:o, s:b, s:o, s:o}", "configuration", str(ds->configs[g->config]), "runs",
                            (json_int_t)runs, "ideal_speedup", value_json(&g->ideal, "t"), "chain", g->chain,
                            "closest_variant", closest ? str(ds->variants[closest->variant].name) : json_null(),
                            "variants", cells));
    }
    json_t *runs = json_array();
    for (size_t i = 0; i < wf->n_runs; i++)
        json_array_append_new(runs, run_json(ds, wf->runs[i]));
    char chain[200], close[200];
    snprintf(chain, sizeof chain,
             "the workflow's mean ideal_speedup over every variant's runs is below %.2f: its steps form a chain",
             TDM_REP_WF_CHAIN_SPEEDUP);
    snprintf(close, sizeof close,
             "the variant with the highest mean workflow_efficiency_pct (the Markdown says when all lie within "
             "%.0f pp of one another)",
             TDM_REP_WF_CLOSE_PP);
    json_t *defs = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "t_seq_s",
        "the sequential phase's span: every step one at a time, in an order the dependencies allow",
        "critical_path_s",
        "the longest chain of dependent steps, each weighed by its own time in the sequential phase (think time "
        "included)",
        "makespan_s", "the concurrent phase: release to the last step done (t_conc_s)", "ideal_speedup",
        "t_seq_s / critical_path_s: what the dependencies allow", "achieved_speedup", "t_seq_s / makespan_s",
        "workflow_efficiency_pct",
        "100 * critical_path_s / makespan_s: the share of the ideal reached (100: every step ran as soon as its "
        "inputs existed, and no slower than alone)",
        "chain", chain, "closest_variant", close, "ci",
        "per workflow and variant, means over runs with Student t CIs; workflow_efficiency_pct a percentile "
        "bootstrap CI; per-run values are the core's (summary.json's workflow); a run with a failed call has no "
        "speedups and no efficiency (null)");
    return json_pack("{s:o, s:o, s:o}", "definitions", defs, "workflows", list, "runs", runs);
}
