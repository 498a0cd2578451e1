/* report.h — the two things tandem-report does, as main.c calls them: make a report
 * from result directories, and import the seed harness's result trees. */
#ifndef TDM_REPORT_REPORT_H
#define TDM_REPORT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TDM_REPORT_DEFAULT_NAME "TR115.md"
#define TDM_REPORT_DEFAULT_TITLE "TR115: running LLM agents concurrently, runtime by runtime"
#define TDM_REPORT_DEFAULT_SEED 115u
#define TDM_REPORT_DEFAULT_REFERENCE "tokio-default"
#define TDM_REPORT_DEFAULT_BASELINE_METRIC "legacy_efficiency_pct"

typedef struct tdm_report_options {
    const char *const *inputs;        /* RESULTS_DIR arguments */
    size_t n_inputs;
    const char *out_dir;
    const char *name;                 /* the Markdown file's name */
    const char *title;
    uint64_t seed;
    double alpha;
    unsigned resamples;
    const char *reference;     /* NULL: TDM_REPORT_DEFAULT_REFERENCE, which the data need not hold (a caveat names
                                * the stand-in); a named one must be a loaded variant's name or label, else
                                * tdm_report_generate returns 2 */
    const char *group_by;             /* NULL: cell.json configuration, else scenario name */
    const char *const *baselines;     /* "NAME=VALUE (provenance)" */
    size_t n_baselines;
    const char *const *baseline_dirs; /* "NAME=DIR" */
    size_t n_baseline_dirs;
    const char *baseline_metric;      /* a run-level metric key */
    const char *const *margins;       /* "KEY=VALUE" equivalence margins over the defaults, in order */
    size_t n_margins;
    const char *plots_dir;            /* NULL: found (see tdm_rep_find_plots_dir) */
    bool no_plots;                    /* write no figure data and run no gnuplot */
    bool pool_hosts;                  /* pool results from hosts whose identity differs (hosts.h) */
    const char *argv0;
} tdm_report_options;

/* Makes the report; progress and skipped files go to log. Returns 0, 1 when nothing
 * could be reported (err says why), 2 for a bad option value (err). */
int tdm_report_generate(const tdm_report_options *o, FILE *log, char *err, size_t errlen);

#endif
