/* output.h — the report's files, all written from one computed analysis: tidy CSV
 * tables (runs, cells, calls, comparisons), analysis.json, the Technical Report in
 * Markdown, and the gnuplot data files and figures. Text that comes from results
 * (names, prompts, messages) is escaped for each format where it is embedded. */
#ifndef TDM_REPORT_OUTPUT_H
#define TDM_REPORT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/buf.h"
#include "report/analysis.h"
#include "report/format.h"

/* What the report was asked for, as the outputs print it. */
typedef struct tdm_rep_meta {
    const char *title;
    const char *md_name;             /* "TR115.md" */
    const char *const *inputs;       /* the RESULTS_DIR arguments */
    size_t n_inputs;
    const char *group_by;            /* NULL: the default */
    const char *plots_dir;           /* where the .gp scripts were found, NULL if not */
    bool no_plots;                   /* --no-plots: no figures were asked for */
} tdm_rep_meta;

/* One figure: its name, what it shows, and whether it was rendered. */
typedef struct tdm_rep_figure {
    char *name;                      /* "fig_efficiency" -> .svg and .png */
    char *caption;
    bool caption_from_results;       /* the caption names runs: escaped where embedded in Markdown */
    char *script;                    /* plots/<script>.gp */
    char *data;                      /* the data files it reads, comma-separated */
    char *vars;                      /* the gnuplot -e assignments it was rendered with (no dir) */
    bool rendered;
    char *problem;                   /* why not, NULL when rendered */
} tdm_rep_figure;

typedef struct tdm_rep_figures {
    tdm_rep_figure *f;
    size_t n;
    char *gnuplot;                   /* "gnuplot 5.4 patchlevel 4", or NULL when missing */
} tdm_rep_figures;

/* ---- CSV (write_csv.c) ---- */
/* Appends one CSV field (RFC 4180): quoted when it holds a comma, quote, CR, LF or
 * leading/trailing space, with inner quotes doubled. NULL is an empty field. */
void tdm_rep_csv_field(tdm_buf *b, const char *s);
/* A number field: empty for NaN/inf, else the shortest of %.15g and %.17g that reads
 * back as the same double. */
void tdm_rep_csv_num(tdm_buf *b, double v);
int tdm_rep_write_csvs(const tdm_rep_analysis *an, const char *out_dir, char *err, size_t errlen);

/* ---- analysis.json (write_json.c) ---- */
struct json_t *tdm_rep_analysis_json(const tdm_rep_analysis *an, const tdm_rep_meta *meta,
                                     const tdm_rep_figures *figs);
/* write_json_workflows.c: the "workflows" block (per workflow and variant, each workflow
 * run, the definitions); called only when some run is a workflow. */
struct json_t *tdm_rep_workflows_json(const tdm_rep_analysis *an);
/* analysis.json's values, shared by its writers (write_json.c): a finite number (-0 as 0)
 * or null; a string (invalid UTF-8 cleaned, NULL as null); a mean with its CI and the
 * kind of interval ("t", "bootstrap"). */
struct json_t *tdm_rep_json_num(double v);
struct json_t *tdm_rep_json_str(const char *s);
struct json_t *tdm_rep_json_curve_value(const tdm_rep_curve_value *v, const char *ci);

/* ---- Markdown (write_md.c) ---- */
/* Text from results is escaped with tdm_rep_md_text (format.h). */
char *tdm_rep_markdown(const tdm_rep_analysis *an, const tdm_rep_meta *meta, const tdm_rep_figures *figs);
/* write_md_gpu.c: the "GPU" section (one sentence when no run has telemetry), and the
 * provenance's GPU lines (nothing when no run directory records a GPU). */
void tdm_rep_md_gpu_section(tdm_buf *b, const tdm_rep_analysis *an);
void tdm_rep_md_gpu_provenance(tdm_buf *b, const tdm_rep_analysis *an);
/* write_md_tails.c: the "Tails, contention and outliers" section (latency p50/p90/p99 per
 * cell and phase, the contention rate with its definition, the runs flagged as outliers). */
void tdm_rep_md_tails_section(tdm_buf *b, const tdm_rep_analysis *an);
/* write_md_curve.c: the "Gain curve" section (efficiency, tokens/s, TTFT and slowdown
 * against N per line, the knee and the best operating point); nothing with one N. */
void tdm_rep_md_curve_section(tdm_buf *b, const tdm_rep_analysis *an);
/* A curve's mean over runs as "mean [lo – hi]", or the mean alone without an interval. */
void tdm_rep_md_mean_ci(tdm_buf *b, const tdm_rep_curve_value *v, int decimals);
/* write_md_open_loop.c: the "Latency against offered load" section (offered and achieved
 * rates, latencies from the due instant, the knee and the sustainable rate per line);
 * nothing when no run is open-loop. */
void tdm_rep_md_open_loop_section(tdm_buf *b, const tdm_rep_analysis *an);
/* The Summary's lead for open-loop runs: why efficiency cannot rank them, then each line's
 * knee and best operating point as the section words them; nothing when none is open-loop. */
void tdm_rep_md_open_loop_summary(tdm_buf *b, const tdm_rep_analysis *an);
/* write_md_workflows.c: the "Workflows: makespan against critical path" section (per
 * workflow and variant the critical path, makespan, ideal and achieved speedups and the
 * workflow efficiency; what the dependencies allow and how close each variant came);
 * nothing when no run is a workflow. */
void tdm_rep_md_workflows_section(tdm_buf *b, const tdm_rep_analysis *an);
/* write_md_hosts.c: the machines and the host-effect check; nothing with one host. */
void tdm_rep_md_hosts_section(tdm_buf *b, const tdm_rep_analysis *an);
/* The Summary's lead for workflows: what bounds their efficiency, then each workflow's
 * sentence as the section words it; nothing when no run is a workflow. */
void tdm_rep_md_workflows_summary(tdm_buf *b, const tdm_rep_analysis *an);

/* ---- figures (plots.c) ---- */
/* Writes every figure's data files into out_dir and, when gnuplot and the scripts are
 * found, renders SVG and PNG. Never fails the report: problems are recorded per
 * figure. Returns -1 only when memory ran out or a data file could not be written. */
int tdm_rep_figures_make(const tdm_rep_analysis *an, const char *out_dir, const char *plots_dir,
                         tdm_rep_figures *figs, FILE *log, char *err, size_t errlen);
void tdm_rep_figures_free(tdm_rep_figures *figs);
/* plots_gpu.c: writes <name>.dat (per GPU: "t_s util_pct power_w", t from the run's first
 * sample) for the first run, in cell order, with GPU telemetry, and each phase's span on
 * that axis (NaN when the phase did not run). Returns the run's index; -1 when no run has
 * telemetry, -2 when its file cannot be read again, -3 when the data file cannot be
 * written (err says why). */
long tdm_rep_gpu_timeline_data(const tdm_rep_analysis *an, const char *out_dir, const char *name,
                               double spans_s[TDM_REP_NPHASE][2], size_t *n_gpus, char *err, size_t errlen);
/* The committed scripts' directory: $TANDEM_PLOTS_DIR, then plots/ beside the build
 * output (<exe>/../../plots), the installed share/tandem/plots, ./plots. NULL if none
 * holds the scripts. Heap string. */
char *tdm_rep_find_plots_dir(const char *argv0);

#endif
