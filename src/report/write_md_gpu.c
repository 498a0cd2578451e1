/* write_md_gpu.c — the Technical Report's GPU parts: the "GPU" section (per cell, the mean
 * utilisation and J per output token of the sequential and the concurrent phase, and how
 * the energy per token changed when the agents ran together) and the GPU lines of the
 * provenance. Kept apart from write_md.c because the telemetry is optional: without it
 * the section is one sentence and the provenance gains nothing. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/output.h"

/* Four significant digits: J per token spans orders of magnitude between models. */
static void sig(tdm_buf *b, double v)
{
    if (isfinite(v))
        tdm_buf_printf(b, "%.4g", v);
    else
        tdm_buf_append_str(b, "n/a");
}

static void pct(tdm_buf *b, double v)
{
    char x[64];
    tdm_buf_append_str(b, tdm_rep_fmt(x, sizeof x, v, 1));
}

/* The relative change of the concurrent phase's J per token against the sequential one. */
static double change_pct(const tdm_rep_gpu_cell *gc)
{
    double s = gc->j_per_token[TDM_REP_SEQ], c = gc->j_per_token[TDM_REP_CONC];
    return isfinite(s) && isfinite(c) && s > 0 ? 100.0 * (c / s - 1.0) : NAN;
}

void tdm_rep_md_gpu_section(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf_append_str(b, "## GPU\n\n");
    if (an->gpu_runs == 0) {
        tdm_buf_append_str(b, "This report has no GPU telemetry: no run has a run_<k>/gpu.csv beside its "
                              "records.json.\n\n");
        return;
    }
    tdm_buf_printf(b, "From each run's gpu.csv (%zu of %zu runs have one). Each phase is a span on the clock of the "
                      "records: the sequential phase from the first agent's release to the last agent's end, the "
                      "concurrent phase from the common release to the last agent's end. Utilisation is the "
                      "time-weighted mean over the span (the mean over the GPUs when there are several); energy is "
                      "summed over the GPUs (the driver's energy counter when every sample has it, else the "
                      "integral of the power samples); J/token divides it by the output tokens the server counted "
                      "(eval_count) in that phase. Each cell shows the mean over its runs with telemetry; per run "
                      "values are in runs.csv and analysis.json.\n\n",
                   an->gpu_runs, ds->n_runs);
    tdm_buf_append_str(b, "| variant | configuration | runs | utilisation, sequential (%) | utilisation, concurrent "
                          "(%) | J/token, sequential | J/token, concurrent | J/token, concurrent vs sequential |\n"
                          "|---|---|---|---|---|---|---|---|\n");
    size_t lower = 0, higher = 0, same = 0, both = 0;
    for (size_t c = 0; c < ds->n_cells; c++) {
        const tdm_rep_gpu_cell *gc = &an->gpu[c];
        if (gc->n_runs == 0)
            continue;
        tdm_buf_append_str(b, "| ");
        tdm_rep_md_text(b, ds->variants[ds->cells[c].variant].label);
        tdm_buf_append_str(b, " | ");
        tdm_rep_md_text(b, ds->configs[ds->cells[c].config]);
        tdm_buf_printf(b, " | %zu | ", gc->n_runs);
        pct(b, gc->util_pct[TDM_REP_SEQ]);
        tdm_buf_append_str(b, " | ");
        pct(b, gc->util_pct[TDM_REP_CONC]);
        tdm_buf_append_str(b, " | ");
        sig(b, gc->j_per_token[TDM_REP_SEQ]);
        tdm_buf_append_str(b, " | ");
        sig(b, gc->j_per_token[TDM_REP_CONC]);
        tdm_buf_append_str(b, " | ");
        double ch = change_pct(gc);
        if (isnan(ch)) {
            tdm_buf_append_str(b, "n/a");
        } else {
            both++;
            /* the sign as printed with one decimal decides the words, so they cannot disagree */
            double shown = round(ch * 10.0) / 10.0;
            if (shown < 0) {
                lower++;
                tdm_buf_printf(b, "%.1f%% lower", -shown);
            } else if (shown > 0) {
                higher++;
                tdm_buf_printf(b, "%.1f%% higher", shown);
            } else {
                same++;
                tdm_buf_append_str(b, "the same (to 0.1%)");
            }
        }
        tdm_buf_append_str(b, " |\n");
    }
    tdm_buf_append_str(b, "\n");
    if (both == 0) {
        tdm_buf_append_str(b, "No cell has J/token for both phases, so this report cannot say how running the "
                              "agents together changed the energy per token.\n\n");
        return;
    }
    tdm_buf_printf(b, "Energy per output token with the agents running together, against each running alone "
                      "(cell means), in the %zu cell%s with both: lower in %zu, higher in %zu, the same to 0.1%% in "
                      "%zu. These are means over runs, without confidence intervals; the GPU's power and "
                      "utilisation are the whole device's, including anything else that ran on it.\n\n",
                   both, both == 1 ? "" : "s", lower, higher, same);
}

/* "NVIDIA H100 80GB HBM3 (GPU 0), ..." from a provenance "gpu" object. */
static void gpu_names(tdm_buf *b, json_t *gpu)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(gpu, "gpus"), i, g)
    {
        tdm_buf_append_str(b, i ? ", " : "");
        const char *name = json_string_value(json_object_get(g, "name"));
        tdm_rep_md_text(b, name ? name : "unnamed GPU");
        json_t *idx = json_object_get(g, "index");
        if (json_is_integer(idx))
            tdm_buf_printf(b, " (GPU %lld)", (long long)json_integer_value(idx));
    }
}

void tdm_rep_md_gpu_provenance(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    /* one line per distinct GPU description, with the number of run directories */
    for (size_t i = 0; i < ds->n_dirs; i++) {
        json_t *gpu = json_object_get(ds->dirs[i].prov, "gpu");
        const char *tel = json_string_value(json_object_get(gpu, "telemetry"));
        if (!json_is_object(gpu) || (json_array_size(json_object_get(gpu, "gpus")) == 0 &&
                                     (!tel || strcmp(tel, "unavailable") != 0)))
            continue;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = json_equal(json_object_get(ds->dirs[k].prov, "gpu"), gpu);
        if (seen)
            continue;
        size_t n = 0;
        for (size_t k = i; k < ds->n_dirs; k++)
            n += json_equal(json_object_get(ds->dirs[k].prov, "gpu"), gpu);
        tdm_buf_append_str(b, "GPU (provenance.json, ");
        tdm_buf_printf(b, "%zu run director%s): ", n, n == 1 ? "y" : "ies");
        if (json_array_size(json_object_get(gpu, "gpus")) > 0) {
            gpu_names(b, gpu);
            const char *drv = json_string_value(json_object_get(gpu, "driver_version"));
            const char *cuda = json_string_value(json_object_get(gpu, "cuda_driver_version"));
            tdm_buf_append_str(b, "; driver ");
            tdm_rep_md_text(b, drv ? drv : "not recorded");
            tdm_buf_append_str(b, ", CUDA ");
            tdm_rep_md_text(b, cuda ? cuda : "not recorded");
        }
        tdm_buf_append_str(b, "; telemetry ");
        tdm_rep_md_text(b, tel ? tel : "not recorded");
        const char *src = json_string_value(json_object_get(gpu, "source"));
        if (src) {
            tdm_buf_append_str(b, " (");
            tdm_rep_md_text(b, src);
            json_t *iv = json_object_get(gpu, "interval_ms");
            if (json_is_integer(iv))
                tdm_buf_printf(b, ", every %lld ms", (long long)json_integer_value(iv));
            tdm_buf_append_str(b, ")");
        }
        const char *why = json_string_value(json_object_get(gpu, "reason"));
        if (why) {
            tdm_buf_append_str(b, ": ");
            tdm_rep_md_text(b, why);
        }
        tdm_buf_append_str(b, ".\n\n");
    }
}
