/* analysis.c — descriptive statistics per cell and per variant, the reference and
 * primary metric of each source, and the order in which the other parts of the
 * analysis run (see analysis.h). */
#include "report/analysis.h"

#include <jansson.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "report/values.h"

void tdm_rep_summarize(const double *x, size_t n, size_t n_undefined, const tdm_rep_settings *s, const char *key,
                       tdm_rep_sample *out)
{
    out->n_undefined = n_undefined;
    tdm_stats_describe(x, n, &out->desc);
    double level = 1.0 - s->alpha;
    tdm_stats_ci_mean_t(x, n, level, &out->ci_t);
    /* each sample has its own stream, so adding a cell never moves another's interval */
    uint64_t seed = s->seed ^ tdm_rep_hash(0, key);
    if (tdm_stats_ci_mean_boot(x, n, level, s->resamples, seed, &out->ci_boot) != TDM_STATS_OK)
        out->ci_boot.lo = out->ci_boot.hi = NAN;
}

static void sample_of(const tdm_rep_analysis *an, int variant, int config, int metric, int phase, const char *scope,
                      tdm_rep_sample *out)
{
    const tdm_rep_dataset *ds = an->ds;
    size_t n, und;
    double *v = tdm_rep_values(ds, variant, config, -1, metric, phase, &n, &und);
    tdm_buf key = {0};
    tdm_buf_printf(&key, "%s|%s|%s|%s|%s|%s", scope, ds->variants[variant].name, ds->variants[variant].source,
                   config >= 0 ? ds->configs[config] : "*", tdm_rep_metric(metric)->key, tdm_rep_phase_key(phase));
    tdm_rep_summarize(v, n, und, &an->settings, tdm_buf_str(&key), out);
    tdm_buf_free(&key);
    free(v);
}

static void call_counts(const tdm_rep_dataset *ds, int variant, int config, tdm_rep_callcounts *out)
{
    for (size_t c = 0; c < ds->n_cells; c++) {
        const tdm_rep_cell *cell = &ds->cells[c];
        if (cell->variant != variant || (config >= 0 && cell->config != config))
            continue;
        for (size_t k = 0; k < cell->n_runs; k++) {
            const tdm_rep_run *r = &ds->runs[cell->runs[k]];
            for (size_t i = r->first_call; i < r->first_call + r->n_calls; i++) {
                const tdm_rep_call *call = &ds->calls[i];
                if (call->phase == TDM_PHASE_WARMUP)
                    continue;
                tdm_rep_callcounts *cc = &out[call->phase == TDM_PHASE_SEQUENTIAL ? TDM_REP_SEQ : TDM_REP_CONC];
                if (!call->ok) {
                    cc->failed++;
                    continue;
                }
                cc->ok++;
                cc->cold_excluded += call->m.cold_load;
                cc->token_mismatches += call->m.token_mismatch;
            }
        }
    }
}

static void stats_for(const tdm_rep_analysis *an, int variant, int config, tdm_rep_cell_stats *out)
{
    const char *scope = config >= 0 ? "cell" : "variant";
    for (int m = 0; m < TDM_M_COUNT; m++) {
        if (!tdm_rep_metric(m)->per_call) {
            sample_of(an, variant, config, m, 0, scope, &out->m[m][0]);
            out->m[m][1] = out->m[m][0];
            continue;
        }
        for (int ph = 0; ph < TDM_REP_NPHASE; ph++)
            sample_of(an, variant, config, m, ph, scope, &out->m[m][ph]);
    }
    call_counts(an->ds, variant, config, out->counts);
}

/* Whether any run of the variant group (legacy or not) has a finite value of metric. */
static bool group_has(const tdm_rep_dataset *ds, bool legacy, int metric)
{
    for (size_t r = 0; r < ds->n_runs; r++) {
        const tdm_rep_dir *d = &ds->dirs[ds->runs[r].dir];
        if (d->legacy == legacy && isfinite(ds->runs[r].v[metric]))
            return true;
    }
    return false;
}

int tdm_rep_analyze(const tdm_rep_dataset *ds, const tdm_rep_settings *s, tdm_rep_baseline *baselines,
                    size_t n_baselines, tdm_rep_analysis *an)
{
    memset(an, 0, sizeof *an);
    an->ds = ds;
    an->settings = *s;
    an->baselines = baselines;
    an->n_baselines = n_baselines;
    an->cells = calloc(ds->n_cells ? ds->n_cells : 1, sizeof *an->cells);
    an->variants = calloc(ds->n_variants ? ds->n_variants : 1, sizeof *an->variants);
    an->reference = calloc(ds->n_variants ? ds->n_variants : 1, sizeof *an->reference);
    if (!an->cells || !an->variants || !an->reference)
        return -1;
    for (size_t c = 0; c < ds->n_cells; c++)
        stats_for(an, ds->cells[c].variant, ds->cells[c].config, &an->cells[c]);
    for (size_t v = 0; v < ds->n_variants; v++) {
        tdm_rep_variant_stats *vs = &an->variants[v];
        stats_for(an, (int)v, -1, &vs->pooled);
        /* the means of the variant's cells, one per configuration */
        double *means = malloc((ds->n_configs ? ds->n_configs : 1) * sizeof *means);
        if (!means)
            return -1;
        for (int m = 0; m < TDM_M_N_RUN; m++) {
            size_t nm = 0;
            for (size_t c = 0; c < ds->n_cells; c++) {
                if (ds->cells[c].variant != (int)v)
                    continue;
                double mean = an->cells[c].m[m][0].desc.mean;
                if (isfinite(mean))
                    means[nm++] = mean;
            }
            tdm_stats_describe(means, nm, &vs->config_means[m]);
        }
        free(means);
        for (size_t c = 0; c < ds->n_cells; c++)
            if (ds->cells[c].variant == (int)v) {
                vs->n_configs++;
                vs->n_runs += ds->cells[c].n_runs;
            }
        /* The reference of a source group is the first variant of that group: the
         * grouping put the named reference first when it exists. */
        an->reference[v] = (int)v;
        for (size_t w = 0; w < v; w++)
            if (ds->variants[w].legacy == ds->variants[v].legacy) {
                an->reference[v] = (int)w;
                break;
            }
    }
    for (int g = 0; g < 2; g++) {
        if (group_has(ds, g == 1, TDM_M_EFFICIENCY))
            an->primary[g] = TDM_M_EFFICIENCY;
        else if (group_has(ds, g == 1, TDM_M_LEGACY_EFFICIENCY))
            an->primary[g] = TDM_M_LEGACY_EFFICIENCY;
        else
            an->primary[g] = -1;
    }
    if (tdm_rep_compare_all(an) || tdm_rep_compare_baselines(an) || tdm_rep_find_caveats(an) ||
        tdm_rep_gpu_analyze(an) || tdm_rep_tails_analyze(an) || tdm_rep_curve_analyze(an) ||
        tdm_rep_open_loop_analyze(an) || tdm_rep_workflows_analyze(an) || tdm_rep_write_verdict(an))
        return -1;
    return 0;
}

void tdm_rep_analysis_free(tdm_rep_analysis *an)
{
    free(an->cells);
    free(an->variants);
    free(an->reference);
    free(an->cmp);
    free(an->base);
    for (size_t i = 0; i < an->n_caveats; i++) {
        free(an->caveats[i].kind);
        free(an->caveats[i].text);
    }
    free(an->caveats);
    free(an->summary);
    free(an->recommendation);
    free(an->confidence);
    free(an->legacy_note);
    free(an->verdict_grid);
    json_decref(an->decision);
    free(an->gpu);
    free(an->tails);
    free(an->tails_runs);
    tdm_rep_curve_free(&an->curve);
    tdm_rep_open_loop_free(&an->open_loop);
    tdm_rep_workflows_free(&an->workflows);
    tdm_rep_hosts_free(&an->hosts);
    memset(an, 0, sizeof *an);
}
