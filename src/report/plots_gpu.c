/* plots_gpu.c — the data of the GPU timeline figure (plots/gpu_timeline.gp): one run's
 * utilisation and power over time, one block per GPU, with its phases placed on the same
 * time axis (seconds from the run's first GPU sample). The run is the first run, in cell
 * order, whose gpu.csv was read. plots.c renders it like every other figure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/gpu_samples.h"
#include "report/output.h"

static void num(tdm_buf *b, double v)
{
    if (isfinite(v))
        tdm_buf_printf(b, " %.10g", v == 0.0 ? 0.0 : v);
    else
        tdm_buf_append_str(b, " NaN");
}

long tdm_rep_gpu_timeline_data(const tdm_rep_analysis *an, const char *out_dir, const char *name,
                               double spans_s[TDM_REP_NPHASE][2], size_t *n_gpus, char *err, size_t errlen)
{
    const tdm_rep_dataset *ds = an->ds;
    const tdm_rep_run *run = NULL;
    long idx = -1;
    for (size_t c = 0; c < ds->n_cells && !run; c++)
        for (size_t k = 0; k < ds->cells[c].n_runs && !run; k++)
            if (ds->runs[ds->cells[c].runs[k]].gpu.has_file) {
                idx = (long)ds->cells[c].runs[k];
                run = &ds->runs[idx];
            }
    if (!run)
        return -1;
    tdm_gpu_samples s;
    /* read again (the file was read once already, so a failure now is unusual) */
    if (tdm_gpu_samples_load(run->gpu.path, &s, err, errlen) != 0 || s.n == 0) {
        tdm_gpu_samples_free(&s);
        return -2;
    }
    int64_t origin = s.s[0].t_ns;
    tdm_buf b = {0};
    for (size_t g = 0; g < s.n_gpus; g++) {
        if (g)
            tdm_buf_append_str(&b, "\n\n");
        tdm_buf_printf(&b, "\"t\" \"GPU %d utilisation (%%)\" \"GPU %d power (W)\"\n", s.gpus[g], s.gpus[g]);
        for (size_t i = 0; i < s.n; i++) {
            const tdm_gpu_reading *x = &s.s[i];
            if (x->gpu != s.gpus[g])
                continue;
            tdm_buf_printf(&b, "%.9f", (double)(x->t_ns - origin) / 1e9);
            num(&b, x->util_pct);
            num(&b, x->power_w);
            tdm_buf_append_str(&b, "\n");
        }
    }
    for (int ph = 0; ph < TDM_REP_NPHASE; ph++) {
        const int64_t *sp = run->gpu.span_ns[ph];
        bool ran = sp[1] != 0;
        spans_s[ph][0] = ran ? (double)(sp[0] - origin) / 1e9 : NAN;
        spans_s[ph][1] = ran ? (double)(sp[1] - origin) / 1e9 : NAN;
    }
    *n_gpus = s.n_gpus;
    tdm_gpu_samples_free(&s);
    char fname[256];
    snprintf(fname, sizeof fname, "%s.dat", name);
    char *path = tdm_path_join(out_dir, fname);
    int rc = path ? tdm_write_file_atomic(path, tdm_buf_str(&b), b.len, err, errlen) : -1;
    free(path);
    tdm_buf_free(&b);
    return rc == 0 ? idx : -3;
}
