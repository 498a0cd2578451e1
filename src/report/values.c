/* values.c — the values of one metric picked out of the dataset (see values.h). A leaf:
 * the analysis, the comparisons, the baselines and the figures all read their samples
 * here, and nothing here calls back into them. */
#include "report/values.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

static bool cell_has(const tdm_rep_dataset *ds, int variant, int config)
{
    for (size_t i = 0; i < ds->n_cells; i++)
        if (ds->cells[i].variant == variant && ds->cells[i].config == config)
            return true;
    return false;
}

static double call_value(const tdm_call_metrics *m, int metric)
{
    switch (metric) {
    case TDM_M_TTFT:
        return m->ttft_ms;
    case TDM_M_ITL_P50:
        return m->itl_p50_ms;
    case TDM_M_DECODE_TPS:
        return m->decode_tps;
    case TDM_M_CLIENT_GAP:
        return m->client_gap_ms;
    default:
        return NAN;
    }
}

bool tdm_rep_call_counts(const tdm_rep_call *c, int phase)
{
    tdm_phase want = phase == TDM_REP_SEQ ? TDM_PHASE_SEQUENTIAL : TDM_PHASE_CONCURRENT;
    return c->phase == want && c->ok && !c->m.cold_load;
}

double *tdm_rep_values(const tdm_rep_dataset *ds, int variant, int config, int also, int metric, int phase,
                       size_t *n, size_t *n_undefined)
{
    *n = 0;
    if (n_undefined)
        *n_undefined = 0;
    const tdm_rep_metric_def *def = tdm_rep_metric(metric);
    if (!def)
        return NULL;
    size_t cap = 0;
    for (size_t c = 0; c < ds->n_cells; c++) {
        const tdm_rep_cell *cell = &ds->cells[c];
        if (cell->variant != variant || (config >= 0 && cell->config != config))
            continue;
        for (size_t k = 0; k < cell->n_runs; k++)
            cap += def->per_call ? ds->runs[cell->runs[k]].n_calls : 1;
    }
    double *v = malloc((cap ? cap : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t c = 0; c < ds->n_cells; c++) {
        const tdm_rep_cell *cell = &ds->cells[c];
        if (cell->variant != variant || (config >= 0 && cell->config != config))
            continue;
        if (config < 0 && also >= 0 && !cell_has(ds, also, cell->config))
            continue;
        for (size_t k = 0; k < cell->n_runs; k++) {
            const tdm_rep_run *r = &ds->runs[cell->runs[k]];
            if (!def->per_call) {
                double x = r->v[metric];
                if (isfinite(x))
                    v[(*n)++] = x;
                else if (n_undefined)
                    (*n_undefined)++;
                continue;
            }
            for (size_t i = r->first_call; i < r->first_call + r->n_calls; i++) {
                const tdm_rep_call *call = &ds->calls[i];
                if (!tdm_rep_call_counts(call, phase))
                    continue;
                double x = call_value(&call->m, metric);
                if (isfinite(x))
                    v[(*n)++] = x;
                else if (n_undefined)
                    (*n_undefined)++;
            }
        }
    }
    if (*n == 0) {
        free(v);
        return NULL;
    }
    return v;
}
