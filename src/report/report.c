/* report.c — one report from result directories: load and group the runs, load the
 * baselines, analyse, render the figures, and write every output into the report
 * directory (see report.h). The order of work is the only thing decided here. */
#include "report/report.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "report/analysis.h"
#include "report/group.h"
#include "report/load.h"
#include "report/output.h"

static int load_baselines(const tdm_report_options *o, tdm_rep_baseline **out, size_t *n, FILE *log, char *err,
                          size_t errlen)
{
    size_t total = o->n_baselines + o->n_baseline_dirs;
    *n = 0;
    *out = calloc(total ? total : 1, sizeof **out);
    if (!*out)
        return 1;
    for (size_t i = 0; i < o->n_baselines; i++) {
        if (tdm_rep_baseline_parse(o->baselines[i], &(*out)[*n], err, errlen) != 0)
            return 2;
        (*n)++;
    }
    for (size_t i = 0; i < o->n_baseline_dirs; i++) {
        const char *spec = o->baseline_dirs[i];
        const char *eq = strchr(spec, '=');
        if (!eq || eq == spec || !eq[1]) {
            snprintf(err, errlen, "--baseline-dir '%s': write NAME=DIR", spec);
            return 2;
        }
        tdm_rep_baseline *b = &(*out)[(*n)++];
        memset(b, 0, sizeof *b);
        b->value = NAN;
        b->name = strndup(spec, (size_t)(eq - spec));
        b->provenance = tdm_rep_strdup("");
        b->dir = tdm_rep_strdup(eq + 1);
        if (!b->name || !b->provenance || !b->dir)
            return 1;
        long runs = tdm_rep_load_tree(&b->set, b->dir, o->group_by, log);
        if (runs <= 0) {
            snprintf(err, errlen, "--baseline-dir %s: no runs found under %s", b->name, b->dir);
            return 1;
        }
    }
    return 0;
}

static int write_md(const char *out_dir, const char *name, const char *text, char *err, size_t errlen)
{
    char *path = tdm_path_join(out_dir, name);
    int rc = path && text ? tdm_write_file_atomic(path, text, strlen(text), err, errlen) : -1;
    free(path);
    return rc;
}

int tdm_report_generate(const tdm_report_options *o, FILE *log, char *err, size_t errlen)
{
    int metric = tdm_rep_metric_find(o->baseline_metric);
    if (metric < 0 || tdm_rep_metric(metric)->per_call) {
        snprintf(err, errlen, "--baseline-metric '%s' is not a run-level metric (efficiency_pct, speedup, "
                              "throughput_gain, legacy_efficiency_pct, t_seq_s, t_conc_s)",
                 o->baseline_metric);
        return 2;
    }
    /* margins before any data is read: a typo should not cost a long load */
    tdm_rep_margin margins[TDM_M_COUNT];
    tdm_rep_margins_default(margins);
    for (size_t i = 0; i < o->n_margins; i++)
        if (tdm_rep_margin_parse(o->margins[i], margins, err, errlen) != 0)
            return 2;
    tdm_rep_dataset ds = {0};
    tdm_rep_baseline *bl = NULL;
    size_t n_bl = 0;
    tdm_rep_analysis an;
    memset(&an, 0, sizeof an);
    tdm_rep_figures figs = {0};
    char *plots = NULL, *md = NULL;
    json_t *doc = NULL;
    int rc = 1;

    for (size_t i = 0; i < o->n_inputs; i++)
        if (tdm_rep_load_tree(&ds, o->inputs[i], o->group_by, log) < 0) {
            snprintf(err, errlen, "cannot read the results directory %s", o->inputs[i]);
            goto out;
        }
    if (ds.n_runs == 0) {
        snprintf(err, errlen, "no runs found (a run directory holds provenance.json and run_<k>/records.json; for "
                              "the seed harness's result trees, run `tandem-report import-chimera` first)");
        goto out;
    }
    if (tdm_rep_group(&ds, o->reference) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    rc = load_baselines(o, &bl, &n_bl, log, err, errlen);
    if (rc)
        goto out;
    rc = 1;
    if (tdm_mkdirs(o->out_dir, err, errlen) != 0)
        goto out;
    tdm_rep_settings s = {.alpha = o->alpha,
                          .resamples = o->resamples,
                          .seed = o->seed,
                          .reference = o->reference,
                          .baseline_metric = metric};
    memcpy(s.margin, margins, sizeof s.margin);
    if (tdm_rep_analyze(&ds, &s, bl, n_bl, &an) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (!o->no_plots) {
        plots = o->plots_dir ? tdm_rep_strdup(o->plots_dir) : tdm_rep_find_plots_dir(o->argv0);
        if (tdm_rep_figures_make(&an, o->out_dir, plots, &figs, log, err, errlen) != 0)
            goto out;
    }
    tdm_rep_meta meta = {.title = o->title,
                         .md_name = o->name,
                         .inputs = o->inputs,
                         .n_inputs = o->n_inputs,
                         .group_by = o->group_by,
                         .plots_dir = plots,
                         .no_plots = o->no_plots};
    if (tdm_rep_write_csvs(&an, o->out_dir, err, errlen) != 0)
        goto out;
    doc = tdm_rep_analysis_json(&an, &meta, &figs);
    char *jpath = tdm_path_join(o->out_dir, "analysis.json");
    int jrc = doc && jpath ? tdm_write_json_atomic(jpath, doc, err, errlen) : -1;
    free(jpath);
    if (jrc != 0)
        goto out;
    md = tdm_rep_markdown(&an, &meta, &figs);
    if (write_md(o->out_dir, o->name, md, err, errlen) != 0)
        goto out;
    if (log) {
        size_t rendered = 0;
        for (size_t i = 0; i < figs.n; i++)
            rendered += figs.f[i].rendered;
        fprintf(log, "tandem-report: %zu runs in %zu cells (%zu variant%s x %zu configuration%s); %zu skipped\n",
                ds.n_runs, ds.n_cells, ds.n_variants, ds.n_variants == 1 ? "" : "s", ds.n_configs,
                ds.n_configs == 1 ? "" : "s", ds.n_skipped);
        fprintf(log, "tandem-report: wrote %s/%s, analysis.json, cells.csv, runs.csv, calls.csv, comparisons.csv and "
                     "%zu of %zu figures (SVG and PNG)\n",
                o->out_dir, o->name, rendered, figs.n);
        fprintf(log, "summary: %s\n", an.summary);
    }
    rc = 0;
out:
    json_decref(doc);
    free(md);
    free(plots);
    tdm_rep_figures_free(&figs);
    tdm_rep_analysis_free(&an);
    for (size_t i = 0; bl && i < o->n_baselines + o->n_baseline_dirs; i++)
        tdm_rep_baseline_free(&bl[i]);
    free(bl);
    tdm_rep_dataset_free(&ds);
    return rc;
}
