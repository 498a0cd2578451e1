/* tails.c — per cell, the latency tails, the contention rate and the outlier flags (see
 * tails.h and analysis.h, tdm_rep_tails_analyze). A part of the analysis like gpu.c: it
 * reads the grouped dataset and values.c's samples, and writes only its own fields. */
#include "report/tails.h"

#include <math.h>
#include <stdlib.h>

#include "core/quantile.h"
#include "report/analysis.h"
#include "report/values.h"

const char *tdm_rep_tail_key(int tail)
{
    switch (tail) {
    case TDM_REP_TAIL_TTFT:
        return "ttft_ms";
    case TDM_REP_TAIL_ITL:
        return "itl_p50_ms";
    case TDM_REP_TAIL_E2E:
        return "e2e_ms";
    default:
        return "";
    }
}

const char *tdm_rep_tail_label(int tail)
{
    switch (tail) {
    case TDM_REP_TAIL_TTFT:
        return "TTFT";
    case TDM_REP_TAIL_ITL:
        return "ITL (median per call)";
    case TDM_REP_TAIL_E2E:
        return "e2e";
    default:
        return "";
    }
}

/* The e2e latencies of a cell's calls in one phase. values.c has no metric id for e2e
 * (it is not summarised elsewhere), so this picks the calls by its rule
 * (tdm_rep_call_counts) with a finite value. NULL with *n = 0 when none or out of memory. */
static double *e2e_values(const tdm_rep_dataset *ds, const tdm_rep_cell *cell, int phase, size_t *n)
{
    size_t cap = 0;
    for (size_t k = 0; k < cell->n_runs; k++)
        cap += ds->runs[cell->runs[k]].n_calls;
    *n = 0;
    double *v = malloc((cap ? cap : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t k = 0; k < cell->n_runs; k++) {
        const tdm_rep_run *r = &ds->runs[cell->runs[k]];
        for (size_t i = r->first_call; i < r->first_call + r->n_calls; i++) {
            const tdm_rep_call *c = &ds->calls[i];
            if (tdm_rep_call_counts(c, phase) && isfinite(c->m.e2e_ms))
                v[(*n)++] = c->m.e2e_ms;
        }
    }
    if (*n == 0) {
        free(v);
        return NULL;
    }
    return v;
}

/* Fills t from v (sorted in place) and frees v. */
static void quantiles(double *v, size_t n, tdm_rep_tail *t)
{
    t->n = n;
    t->p50 = tdm_quantile_inplace(v, n, 0.50);
    t->p90 = tdm_quantile_inplace(v, n, 0.90);
    t->p99 = tdm_quantile_inplace(v, n, 0.99);
    free(v);
}

static void cell_tails(const tdm_rep_dataset *ds, const tdm_rep_cell *cell, tdm_rep_tails_cell *tc)
{
    for (int ph = 0; ph < TDM_REP_NPHASE; ph++) {
        size_t n;
        double *v = tdm_rep_values(ds, cell->variant, cell->config, -1, TDM_M_TTFT, ph, &n, NULL);
        quantiles(v, n, &tc->q[TDM_REP_TAIL_TTFT][ph]);
        v = tdm_rep_values(ds, cell->variant, cell->config, -1, TDM_M_ITL_P50, ph, &n, NULL);
        quantiles(v, n, &tc->q[TDM_REP_TAIL_ITL][ph]);
        v = e2e_values(ds, cell, ph, &n);
        quantiles(v, n, &tc->q[TDM_REP_TAIL_E2E][ph]);
    }
}

/* efficiency_pct when any run of the cell has it, else the legacy efficiency (imported
 * seed runs have no sequential phase), else -1. */
static int cell_metric(const tdm_rep_dataset *ds, const tdm_rep_cell *cell)
{
    static const int order[] = {TDM_M_EFFICIENCY, TDM_M_LEGACY_EFFICIENCY};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        for (size_t k = 0; k < cell->n_runs; k++)
            if (isfinite(ds->runs[cell->runs[k]].v[order[i]]))
                return order[i];
    return -1;
}

/* Contention and outliers of one cell; runs[] is indexed like ds->runs. Returns 0 or -1
 * when memory ran out. */
static int cell_runs(const tdm_rep_dataset *ds, const tdm_rep_cell *cell, tdm_rep_tails_cell *tc,
                     tdm_rep_tails_run *runs)
{
    tc->contention_rate = tc->median = tc->mad_scaled = NAN;
    tc->metric = cell_metric(ds, cell);
    if (tc->metric < 0)
        return 0;
    double *x = malloc((cell->n_runs ? cell->n_runs : 1) * sizeof *x);
    double *dev = malloc((cell->n_runs ? cell->n_runs : 1) * sizeof *dev);
    if (!x || !dev) {
        free(x);
        free(dev);
        return -1;
    }
    for (size_t k = 0; k < cell->n_runs; k++) {
        double v = ds->runs[cell->runs[k]].v[tc->metric];
        if (!isfinite(v))
            continue;
        tdm_rep_tails_run *tr = &runs[cell->runs[k]];
        tr->judged = true;
        tr->contended = v < TDM_REP_CONTENTION_PCT;
        tc->n_contended += tr->contended;
        x[tc->n_judged++] = v;
    }
    if (tc->n_judged)
        tc->contention_rate = (double)tc->n_contended / (double)tc->n_judged;
    /* Fewer than 3 runs have no "far from the others": with 2, both are equally far. */
    if (tc->n_judged >= 3) {
        size_t n = tc->n_judged;
        tc->median = tdm_quantile_inplace(x, n, 0.5);
        for (size_t i = 0; i < n; i++)
            dev[i] = fabs(x[i] - tc->median);
        tc->mad_scaled = TDM_REP_MAD_SCALE * tdm_quantile_inplace(dev, n, 0.5);
        /* A MAD of 0 (more than half the runs share one value) gives no scale to measure by. */
        tc->outliers_judged = tc->mad_scaled > 0;
    }
    for (size_t k = 0; tc->outliers_judged && k < cell->n_runs; k++) {
        tdm_rep_tails_run *tr = &runs[cell->runs[k]];
        if (!tr->judged)
            continue;
        tr->mads = (ds->runs[cell->runs[k]].v[tc->metric] - tc->median) / tc->mad_scaled;
        tr->outlier = fabs(tr->mads) > TDM_REP_OUTLIER_MADS;
        tc->n_outliers += tr->outlier;
    }
    free(x);
    free(dev);
    return 0;
}

int tdm_rep_tails_analyze(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    an->tails = calloc(ds->n_cells ? ds->n_cells : 1, sizeof *an->tails);
    an->tails_runs = calloc(ds->n_runs ? ds->n_runs : 1, sizeof *an->tails_runs);
    if (!an->tails || !an->tails_runs)
        return -1;
    for (size_t r = 0; r < ds->n_runs; r++)
        an->tails_runs[r].mads = NAN;
    for (size_t c = 0; c < ds->n_cells; c++) {
        cell_tails(ds, &ds->cells[c], &an->tails[c]);
        if (cell_runs(ds, &ds->cells[c], &an->tails[c], an->tails_runs) != 0)
            return -1;
    }
    return 0;
}
