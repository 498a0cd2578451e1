/* workflows.c — makespan against critical path (see workflows.h, and
 * tdm_rep_workflows_analyze in analysis.h): the workflow runs grouped by configuration and
 * variant, their numbers summarised per cell with the means and CIs every curve of the
 * report uses (tdm_rep_curve_value_of), and per workflow the ideal speedup over all its
 * runs and the variant that came closest to it. A part of the analysis like open_loop.c:
 * it reads the grouped dataset and writes only its own fields.
 *
 * Nothing here is computed from the records: each run's numbers are the core's
 * (tdm_run_metrics, carried by load.c), so the report cannot disagree with summary.json. */
#include "report/workflows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "report/analysis.h"

const char *tdm_rep_wf_key(int value)
{
    static const char *const keys[TDM_REP_WF_NVAL] = {"t_seq_s",          "critical_path_s",  "makespan_s",
                                                      "ideal_speedup",    "achieved_speedup", "workflow_efficiency_pct"};
    return value >= 0 && value < TDM_REP_WF_NVAL ? keys[value] : "";
}

double tdm_rep_wf_run_value(const tdm_rep_run *r, int value)
{
    switch (value) {
    case TDM_REP_WF_T_SEQ:
        return r->v[TDM_M_T_SEQ];
    case TDM_REP_WF_CRITICAL:
        return r->critical_path_s;
    case TDM_REP_WF_MAKESPAN:
        return r->makespan_s;
    case TDM_REP_WF_IDEAL:
        return r->ideal_speedup;
    case TDM_REP_WF_ACHIEVED:
        return r->achieved_speedup;
    case TDM_REP_WF_EFFICIENCY:
        return r->workflow_efficiency_pct;
    default:
        return NAN;
    }
}

bool tdm_rep_wf_is_chain(double ideal_speedup)
{
    return isfinite(ideal_speedup) && ideal_speedup < TDM_REP_WF_CHAIN_SPEEDUP;
}

long tdm_rep_wf_closest(const tdm_rep_wf_cell *cells, size_t n)
{
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        double e = cells[i].v[TDM_REP_WF_EFFICIENCY].mean;
        if (isfinite(e) && (best < 0 || e > cells[best].v[TDM_REP_WF_EFFICIENCY].mean))
            best = (long)i;
    }
    return best;
}

void tdm_rep_workflows_free(tdm_rep_workflows *wf)
{
    free(wf->configs);
    free(wf->cells);
    free(wf->runs);
    memset(wf, 0, sizeof *wf);
}

static bool is_workflow(const tdm_rep_dataset *ds, size_t r)
{
    return ds->runs[r].cell >= 0 && ds->runs[r].workflow;
}

/* The key of a summarised sample, which seeds its bootstrap stream; variant NULL: every
 * variant's runs of the configuration. */
static void value_of(const tdm_rep_analysis *an, double *x, size_t n, int value, int variant, int config,
                     tdm_rep_curve_value *out)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf key = {0};
    tdm_buf_printf(&key, "workflow|%s|%s|%s|%s", variant >= 0 ? ds->variants[variant].name : "*",
                   variant >= 0 ? ds->variants[variant].source : "*", ds->configs[config], tdm_rep_wf_key(value));
    tdm_rep_curve_value_of(an, x, n, value == TDM_REP_WF_EFFICIENCY, tdm_buf_str(&key), out);
    tdm_buf_free(&key);
}

/* Fills c from the workflow runs of dataset cell dc; x has room for every run. */
static void cell_of(const tdm_rep_analysis *an, const tdm_rep_cell *dc, double *x, tdm_rep_wf_cell *c)
{
    const tdm_rep_dataset *ds = an->ds;
    c->variant = dc->variant;
    c->config = dc->config;
    for (int v = 0; v < TDM_REP_WF_NVAL; v++) {
        size_t n = 0;
        for (size_t k = 0; k < dc->n_runs; k++)
            if (is_workflow(ds, dc->runs[k]))
                x[n++] = tdm_rep_wf_run_value(&ds->runs[dc->runs[k]], v);
        c->n_runs = n;
        value_of(an, x, n, v, dc->variant, dc->config, &c->v[v]);
    }
    for (size_t k = 0; k < dc->n_runs; k++)
        c->n_incomplete += is_workflow(ds, dc->runs[k]) && !ds->runs[dc->runs[k]].complete;
}

static size_t cell_workflow_runs(const tdm_rep_dataset *ds, const tdm_rep_cell *dc)
{
    size_t n = 0;
    for (size_t k = 0; k < dc->n_runs; k++)
        n += is_workflow(ds, dc->runs[k]);
    return n;
}

int tdm_rep_workflows_analyze(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_rep_workflows *wf = &an->workflows;
    size_t n = 0;
    for (size_t r = 0; r < ds->n_runs; r++)
        n += is_workflow(ds, r);
    if (n == 0)
        return 0;
    wf->runs = malloc(n * sizeof *wf->runs);
    wf->cells = calloc(ds->n_cells ? ds->n_cells : 1, sizeof *wf->cells);
    wf->configs = calloc(ds->n_configs ? ds->n_configs : 1, sizeof *wf->configs);
    double *x = malloc(n * sizeof *x);
    if (!wf->runs || !wf->cells || !wf->configs || !x) {
        free(x);
        return -1;
    }
    for (size_t r = 0; r < ds->n_runs; r++)
        if (is_workflow(ds, r))
            wf->runs[wf->n_runs++] = r;
    for (size_t cf = 0; cf < ds->n_configs; cf++) {
        tdm_rep_wf_config *g = &wf->configs[wf->n_configs];
        g->config = (int)cf;
        g->first = wf->n_cells;
        /* variant order within the configuration, whatever order the cells are in */
        for (size_t v = 0; v < ds->n_variants; v++)
            for (size_t c = 0; c < ds->n_cells; c++) {
                const tdm_rep_cell *dc = &ds->cells[c];
                if (dc->config != (int)cf || dc->variant != (int)v || cell_workflow_runs(ds, dc) == 0)
                    continue;
                cell_of(an, dc, x, &wf->cells[wf->n_cells++]);
            }
        g->n_cells = wf->n_cells - g->first;
        if (g->n_cells == 0)
            continue;
        size_t k = 0;
        for (size_t i = 0; i < wf->n_runs; i++)
            if (ds->cells[ds->runs[wf->runs[i]].cell].config == (int)cf)
                x[k++] = ds->runs[wf->runs[i]].ideal_speedup;
        value_of(an, x, k, TDM_REP_WF_IDEAL, -1, (int)cf, &g->ideal);
        g->chain = tdm_rep_wf_is_chain(g->ideal.mean);
        long c = tdm_rep_wf_closest(&wf->cells[g->first], g->n_cells);
        g->closest = c >= 0 ? (long)g->first + c : -1;
        wf->n_configs++;
    }
    free(x);
    return 0;
}
