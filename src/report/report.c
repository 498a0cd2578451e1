/* report.c — one report from result directories: load and group the runs, load the
 * baselines, analyse, render the figures, and write every output into the report
 * directory (see report.h). The order of work is the only thing decided here. */
#include "report/report.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
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

/* The --reference the user gave, as a variant name of the loaded runs: exact, or the
 * label the report prints ("smol-1kb (seed)"). An unknown name would silently make
 * another variant the reference and rewrite the summary around it, so it is refused.
 * Returns 0, 1 (out of memory) or 2 (unknown; err lists the variants). */
static int check_reference(const tdm_rep_dataset *ds, const char *given, const char **name, char *err,
                           size_t errlen)
{
    *name = tdm_rep_reference_resolve(ds, given);
    if (*name)
        return 0;
    char *labels = tdm_rep_variant_labels(ds);
    if (!labels) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    snprintf(err, errlen, "--reference '%s' is not a variant of these runs; the variants are: %s. Name one of "
                          "them (an imported variant with or without ' (seed)'), e.g. --reference %s, or leave "
                          "--reference out for the default (%s)",
             given, labels, ds->n_dirs ? ds->dirs[0].variant : "NAME", TDM_REPORT_DEFAULT_REFERENCE);
    free(labels);
    return 2;
}

/* cell.json of a run directory, NULL when it has none or it cannot be read (loading
 * already warned about it). */
static json_t *read_cell(const char *dir)
{
    char *path = tdm_path_join(dir, "cell.json");
    char err[256];
    json_t *cell = path ? tdm_read_json_file(path, err, sizeof err) : NULL;
    free(path);
    if (cell && !json_is_object(cell)) {
        json_decref(cell);
        cell = NULL;
    }
    return cell;
}

/* Every --group-by key must be held by at least one run: a key none holds gives every
 * run the same value and silently merges all configurations into one. Returns 0, 1 (out
 * of memory) or 2 (err names the key, keys the first run holds, and the fix). */
static int check_group_by(const tdm_rep_dataset *ds, const char *group_by, char *err, size_t errlen)
{
    if (!group_by || !*group_by || ds->n_dirs == 0)
        return 0;
    char *copy = strdup(group_by);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    const char *unknown = NULL;
    char *save = NULL;
    for (char *key = strtok_r(copy, ",", &save); key && !unknown; key = strtok_r(NULL, ",", &save)) {
        while (*key == ' ') /* as tdm_rep_config_key reads the list */
            key++;
        if (!*key)
            continue;
        bool in_cell = strncmp(key, "cell.", 5) == 0, held = false;
        for (size_t i = 0; i < ds->n_dirs && !held; i++) {
            json_t *cell = in_cell ? read_cell(ds->dirs[i].path) : NULL;
            held = tdm_rep_group_key_held(ds->dirs[i].prov, cell, key);
            json_decref(cell);
        }
        if (!held)
            unknown = key;
    }
    int rc = 0;
    if (unknown) {
        json_t *cell = read_cell(ds->dirs[0].path);
        char *examples = tdm_rep_group_key_examples(ds->dirs[0].prov, cell, 16);
        json_decref(cell);
        if (!examples) {
            snprintf(err, errlen, "out of memory");
            rc = 1;
        } else {
            snprintf(err, errlen, "--group-by key '%s' is held by none of the %zu run directories ('cell.FIELD' reads "
                                  "cell.json, any other dotted path provenance.json), so every run would fall into "
                                  "one configuration. Keys %s holds include: %s%sconfiguration, scenario, variant. "
                                  "Name one of them, e.g. --group-by configuration",
                     unknown, ds->n_dirs, ds->dirs[0].path, examples, *examples ? ", " : "");
            rc = 2;
        }
        free(examples);
    }
    free(copy);
    return rc;
}

/* Why a figure was not rendered, as plots.c recorded it. */
static const char *why_not(const tdm_rep_figure *f)
{
    return f->problem ? f->problem : "no reason recorded";
}

/* What the console says of the figures, to follow the list of files written: how many
 * were rendered and, for the others, why (each reason once, with the figures it
 * stopped), so a reader need not open the report to learn that gnuplot is missing. */
static void figures_line(tdm_buf *b, const tdm_rep_figures *figs, bool no_plots)
{
    if (no_plots) {
        tdm_buf_append_str(b, "; figures: none (--no-plots)");
        return;
    }
    size_t rendered = 0;
    for (size_t i = 0; i < figs->n; i++)
        rendered += figs->f[i].rendered;
    tdm_buf_printf(b, " and %zu of %zu figures (SVG and PNG)", rendered, figs->n);
    const char *sep = "; not rendered: ";
    for (size_t i = 0; i < figs->n; i++) {
        if (figs->f[i].rendered)
            continue;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = !figs->f[k].rendered && strcmp(why_not(&figs->f[k]), why_not(&figs->f[i])) == 0;
        if (seen)
            continue;
        tdm_buf_append_str(b, sep);
        sep = "; ";
        for (size_t k = i, listed = 0; k < figs->n; k++)
            if (!figs->f[k].rendered && strcmp(why_not(&figs->f[k]), why_not(&figs->f[i])) == 0)
                tdm_buf_printf(b, "%s%s", listed++ ? ", " : "", figs->f[k].name);
        tdm_buf_printf(b, " (%s)", why_not(&figs->f[i]));
    }
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
    tdm_rep_hosts hosts = {0};
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
    /* Machines that differ are not pooled unless asked: their difference would be read as
     * the variants'. */
    rc = tdm_rep_hosts_find(&ds, o->pool_hosts, &hosts, err, errlen);
    if (rc < 0)
        snprintf(err, errlen, "out of memory");
    if (rc != 0) {
        rc = 1;
        goto out;
    }
    /* NULL: the default, which the data need not hold (a caveat then says which
     * variant stands in); a name the user gave must be one of the loaded variants. */
    const char *reference = TDM_REPORT_DEFAULT_REFERENCE;
    if (o->reference && (rc = check_reference(&ds, o->reference, &reference, err, errlen)) != 0)
        goto out;
    if ((rc = check_group_by(&ds, o->group_by, err, errlen)) != 0)
        goto out;
    rc = 1;
    if (tdm_rep_group(&ds, reference) != 0) {
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
                          .reference = reference,
                          .baseline_metric = metric};
    memcpy(s.margin, margins, sizeof s.margin);
    if (tdm_rep_analyze(&ds, &s, bl, n_bl, &an) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    an.hosts = hosts;
    memset(&hosts, 0, sizeof hosts);
    tdm_rep_hosts_effect(&ds, an.primary[0], &an.hosts);
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
        tdm_buf fl = {0};
        figures_line(&fl, &figs, o->no_plots);
        fprintf(log, "tandem-report: %zu runs in %zu cells (%zu variant%s x %zu configuration%s); %zu skipped\n",
                ds.n_runs, ds.n_cells, ds.n_variants, ds.n_variants == 1 ? "" : "s", ds.n_configs,
                ds.n_configs == 1 ? "" : "s", ds.n_skipped);
        fprintf(log, "tandem-report: wrote %s/%s, analysis.json, cells.csv, runs.csv, calls.csv, comparisons.csv, tails.csv, contention.csv%s\n",
                o->out_dir, o->name, tdm_buf_str(&fl));
        tdm_buf_free(&fl);
        fprintf(log, "summary: %s\n", an.summary);
    }
    rc = 0;
out:
    json_decref(doc);
    free(md);
    free(plots);
    tdm_rep_figures_free(&figs);
    tdm_rep_analysis_free(&an);
    tdm_rep_hosts_free(&hosts);
    for (size_t i = 0; bl && i < o->n_baselines + o->n_baseline_dirs; i++)
        tdm_rep_baseline_free(&bl[i]);
    free(bl);
    tdm_rep_dataset_free(&ds);
    return rc;
}
