/* gpu.c — a run's GPU numbers over its phases (see gpu.h), and per cell their means with
 * the caveats they call for (see analysis.h, tdm_rep_gpu_analyze). */
#include "report/gpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gpu_samples.h"
#include "report/analysis.h"

void tdm_rep_gpu_spans(tdm_rep_gpu_run *g, const tdm_run_data *d)
{
    for (size_t a = 0; a < d->n_agents; a++) {
        /* sequential: the first agent's release to the last agent's end */
        const tdm_agent_timing *s = &d->seq[a];
        if (d->has_sequential && s->release_ns > 0 && s->end_ns > 0) {
            int64_t *sp = g->span_ns[TDM_REP_SEQ];
            if (sp[0] == 0 || s->release_ns < sp[0])
                sp[0] = s->release_ns;
            if (s->end_ns > sp[1])
                sp[1] = s->end_ns;
        }
        /* concurrent: the common release to the last agent's end */
        const tdm_agent_timing *c = &d->conc[a];
        if (d->has_concurrent && c->release_ns > 0 && c->end_ns > 0) {
            int64_t *sp = g->span_ns[TDM_REP_CONC];
            if (sp[0] == 0 || c->release_ns < sp[0])
                sp[0] = c->release_ns;
            if (c->end_ns > sp[1])
                sp[1] = c->end_ns;
        }
    }
    for (size_t i = 0; i < d->n_calls; i++) {
        const tdm_call_record *r = &d->calls[i];
        int ph = r->phase == TDM_PHASE_SEQUENTIAL ? TDM_REP_SEQ : r->phase == TDM_PHASE_CONCURRENT ? TDM_REP_CONC : -1;
        /* the server's own count: every call of the phase that got its final line */
        if (ph >= 0 && r->have_final && r->server.eval_count > 0)
            g->tokens[ph] += r->server.eval_count;
    }
}

int tdm_rep_gpu_read(tdm_rep_gpu_run *g, const char *path, char *err, size_t errlen)
{
    free(g->path);
    g->path = strdup(path);
    tdm_gpu_samples s;
    if (tdm_gpu_samples_load(path, &s, err, errlen) != 0)
        return -1;
    for (int ph = 0; ph < TDM_REP_NPHASE; ph++) {
        const int64_t *sp = g->span_ns[ph];
        if (sp[0] == 0 && sp[1] == 0)
            continue; /* the phase did not run */
        tdm_gpu_span span;
        if (tdm_gpu_span_compute(&s, sp[0], sp[1], &span) != 0) {
            tdm_gpu_samples_free(&s);
            snprintf(err, errlen, "%s: out of memory", path);
            return -1;
        }
        g->n_samples[ph] = span.n_samples;
        g->util_pct[ph] = span.util_pct;
        g->energy_j[ph] = span.energy_j;
        g->method[ph] = (int)span.method;
        g->reason[ph] = (int)span.reason;
        g->j_per_token[ph] = g->tokens[ph] > 0 ? span.energy_j / (double)g->tokens[ph] : NAN;
    }
    g->n_gpus = s.n_gpus;
    g->has_file = true;
    tdm_gpu_samples_free(&s);
    return 0;
}

/* Adds v to a sum when it is defined, counting it in *k. */
static void mean_add(double *sum, size_t *k, double v)
{
    if (isfinite(v)) {
        *sum += v;
        (*k)++;
    }
}

int tdm_rep_gpu_analyze(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    an->gpu = calloc(ds->n_cells ? ds->n_cells : 1, sizeof *an->gpu);
    if (!an->gpu)
        return -1;
    size_t unreadable = 0, uncovered = 0, first_reason = 0;
    for (size_t r = 0; r < ds->n_runs; r++) {
        const tdm_rep_gpu_run *g = &ds->runs[r].gpu;
        an->gpu_runs += g->has_file;
        unreadable += g->path && !g->has_file;
        for (int ph = 0; g->has_file && ph < TDM_REP_NPHASE; ph++)
            if (g->span_ns[ph][1] != 0 && isnan(g->energy_j[ph])) {
                if (uncovered++ == 0)
                    first_reason = (size_t)g->reason[ph];
            }
    }
    for (size_t c = 0; c < ds->n_cells; c++) {
        tdm_rep_gpu_cell *gc = &an->gpu[c];
        const tdm_rep_cell *cell = &ds->cells[c];
        double su[TDM_REP_NPHASE] = {0}, se[TDM_REP_NPHASE] = {0}, sj[TDM_REP_NPHASE] = {0};
        for (size_t k = 0; k < cell->n_runs; k++) {
            const tdm_rep_gpu_run *g = &ds->runs[cell->runs[k]].gpu;
            if (!g->has_file)
                continue;
            gc->n_runs++;
            for (int ph = 0; ph < TDM_REP_NPHASE; ph++) {
                mean_add(&su[ph], &gc->n_util[ph], g->util_pct[ph]);
                mean_add(&se[ph], &gc->n_energy[ph], g->energy_j[ph]);
                mean_add(&sj[ph], &gc->n_jpt[ph], g->j_per_token[ph]);
            }
        }
        for (int ph = 0; ph < TDM_REP_NPHASE; ph++) {
            gc->util_pct[ph] = gc->n_util[ph] ? su[ph] / (double)gc->n_util[ph] : NAN;
            gc->energy_j[ph] = gc->n_energy[ph] ? se[ph] / (double)gc->n_energy[ph] : NAN;
            gc->j_per_token[ph] = gc->n_jpt[ph] ? sj[ph] / (double)gc->n_jpt[ph] : NAN;
        }
    }
    if (unreadable)
        tdm_rep_caveat_add(an, "gpu_telemetry_unreadable",
                           "The gpu.csv of %zu run%s could not be read, so %s no GPU numbers (each file and its "
                           "problem are listed under Provenance, Skipped).",
                           unreadable, unreadable == 1 ? "" : "s",
                           unreadable == 1 ? "that run has" : "those runs have");
    if (uncovered)
        tdm_rep_caveat_add(an, "gpu_telemetry_uncovered",
                           "%zu phase%s of runs with GPU telemetry %s no energy: %s (for the first of them); the "
                           "cell means leave %s out.",
                           uncovered, uncovered == 1 ? "" : "s", uncovered == 1 ? "has" : "have",
                           tdm_gpu_reason_text((tdm_gpu_reason)first_reason), uncovered == 1 ? "it" : "them");
    return 0;
}
