/* analysis.h — every number the report prints, computed once from the grouped
 * dataset: descriptive statistics with t and bootstrap CIs per cell and per variant,
 * comparisons between variants (Welch, Mann-Whitney, Holm, Hedges' g, Cliff's delta,
 * and equivalence within a margin by TOST), baselines, caveats found in the data, and
 * the summary sentences. Markdown, CSV, JSON and the figures are all written from this
 * structure, so they cannot disagree.
 *
 * The run is the unit of every run-level metric; per-call metrics are pooled over the
 * calls of a cell and phase (failed calls and cold loads excluded). */
#ifndef TDM_REPORT_ANALYSIS_H
#define TDM_REPORT_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/gain_curve.h"
#include "report/hosts.h"
#include "report/model.h"
#include "report/open_loop.h"
#include "report/stats.h"
#include "report/tails.h"
#include "report/workflows.h"

/* The equivalence margin of one metric: a difference inside +-margin is too small to
 * matter (margin.c). Zeroed means no margin, so settings written without margins make
 * no equivalence judgement. */
typedef struct tdm_rep_margin {
    double value;              /* > 0: the margin; 0: none for this metric */
    bool relative;             /* value is a percentage of the mean of the variant compared against (b) */
} tdm_rep_margin;

typedef struct tdm_rep_settings {
    double alpha;              /* significance level; CIs are at 1 - alpha */
    unsigned resamples;        /* bootstrap resamples */
    uint64_t seed;             /* bootstrap seed (each sample's stream derives from it and its name) */
    const char *reference;     /* reference variant name */
    int baseline_metric;       /* metric id the baselines are compared on */
    tdm_rep_margin margin[TDM_M_COUNT]; /* equivalence margins by metric id (tdm_rep_margins_default) */
} tdm_rep_settings;

/* One sample's summary. */
typedef struct tdm_rep_sample {
    size_t n_undefined;        /* runs/calls whose value is undefined (NaN), left out */
    tdm_stats_desc desc;
    tdm_stats_ci ci_t, ci_boot;
} tdm_rep_sample;

typedef struct tdm_rep_callcounts {
    size_t ok, failed, cold_excluded, token_mismatches;
} tdm_rep_callcounts;

typedef struct tdm_rep_cell_stats {
    tdm_rep_sample m[TDM_M_COUNT][TDM_REP_NPHASE]; /* run-level metrics use phase 0 only */
    tdm_rep_callcounts counts[TDM_REP_NPHASE];
} tdm_rep_cell_stats;

/* A variant over all its configurations. */
typedef struct tdm_rep_variant_stats {
    tdm_rep_cell_stats pooled;  /* runs (calls) of every configuration pooled */
    tdm_stats_desc config_means[TDM_M_N_RUN]; /* over the per-configuration means */
    size_t n_configs;
    size_t n_runs;
} tdm_rep_variant_stats;

enum { TDM_REP_SCOPE_CONFIG = 0, TDM_REP_SCOPE_POOLED = 1 };

/* What a comparison says about practical size, from the Holm-adjusted Welch test
 * ("significant") and TOST against +-margin at alpha ("equivalent": the (1 - 2 alpha)
 * CI of the difference lies inside +-margin). */
typedef enum tdm_rep_equiv_verdict {
    TDM_REP_EQ_NONE = 0,       /* the metric has no margin: no judgement is made */
    TDM_REP_EQ_UNTESTABLE,     /* fewer than 2 values on a side, or a relative margin of a zero mean */
    TDM_REP_EQ_EQUIVALENT,     /* not significant, and equivalent */
    TDM_REP_EQ_WITHIN,         /* significant, yet equivalent: real, but smaller than the margin */
    TDM_REP_EQ_BEYOND,         /* significant, and the (1 - 2 alpha) CI lies entirely outside +-margin */
    TDM_REP_EQ_MAYBE_BEYOND,   /* significant, and the CI reaches across the margin */
    TDM_REP_EQ_INCONCLUSIVE,   /* neither significant nor equivalent */
} tdm_rep_equiv_verdict;

/* a - b for one metric between two variants of the same source. */
typedef struct tdm_rep_comparison {
    int scope;                 /* within one configuration, or pooled over configurations */
    int config;                /* configuration index, -1 when pooled */
    int metric, phase;         /* phase: TDM_REP_CONC for per-call metrics, 0 for run-level */
    int a, b;                  /* variant indices */
    size_t n_a, n_b;
    double mean_a, mean_b;
    tdm_stats_gap_result gap;  /* mean_a - mean_b, Welch CI, t, df, p */
    tdm_stats_mw_result mw;
    double p_welch_holm, p_mw_holm;
    double hedges_g, cliffs_delta;
    bool significant;          /* Holm-adjusted Welch p < alpha */
    bool mw_significant;       /* Holm-adjusted Mann-Whitney p < alpha */
    bool mw_reachable;         /* false: at these sizes and this family's Holm factor no outcome could make
                                  Mann-Whitney significant (tdm_stats_mw_min_p), so "not significant" says
                                  nothing about the data */
    /* Practical equivalence. Not Holm-adjusted: each judgement is TOST at alpha, i.e. the
     * (1 - 2 alpha) CI against the margin, as Schuirmann defined it. */
    double margin;             /* in the metric's unit (a relative margin resolved on mean_b); NaN: none */
    tdm_stats_tost_result tost; /* against -+margin; all NaN without a margin */
    bool equivalent;           /* tost.p < alpha */
    tdm_rep_equiv_verdict equiv;
} tdm_rep_comparison;

/* A baseline: a value quoted with its provenance, or another results set. */
typedef struct tdm_rep_baseline {
    char *name;
    char *provenance;          /* words, e.g. "mean of 5 runs"; "" when not given */
    double value;              /* NaN for a results set */
    char *dir;                 /* a results set's directory, else NULL */
    tdm_rep_dataset set;       /* that set's runs */
} tdm_rep_baseline;

typedef struct tdm_rep_baseline_result {
    int baseline;
    int variant, config;       /* config -1: the variant's runs pooled over configurations */
    int metric;
    size_t n;
    double mean;
    /* against a value: one-sample t (gap = mean - value) */
    /* against a set: Welch (gap = mean - set mean) and the rest of the two-sample tests */
    tdm_stats_gap_result gap;
    size_t n_base;
    double mean_base;
    bool matched_config;       /* a set: its runs of the same configuration were used (else all) */
    tdm_stats_mw_result mw;
    double hedges_g, cliffs_delta;
    double p_holm, p_mw_holm;
    bool significant;
} tdm_rep_baseline_result;

typedef struct tdm_rep_caveat {
    char *kind;                /* stable key: "cold_loads", "failed_calls", ... */
    char *text;                /* a sentence for people (plain text; escaped when embedded) */
} tdm_rep_caveat;

/* A cell's GPU numbers (gpu.c): means over its runs with telemetry, per phase. */
typedef struct tdm_rep_gpu_cell {
    size_t n_runs;                          /* runs with a readable gpu.csv */
    double util_pct[TDM_REP_NPHASE];        /* mean of the runs' time-weighted utilisation */
    double energy_j[TDM_REP_NPHASE];        /* mean of the runs' energy */
    double j_per_token[TDM_REP_NPHASE];     /* mean of the runs' J per output token */
    size_t n_util[TDM_REP_NPHASE], n_energy[TDM_REP_NPHASE], n_jpt[TDM_REP_NPHASE]; /* runs in each mean */
} tdm_rep_gpu_cell;

typedef struct tdm_rep_analysis {
    const tdm_rep_dataset *ds;
    tdm_rep_settings settings;
    tdm_rep_cell_stats *cells;          /* ds->n_cells */
    tdm_rep_variant_stats *variants;    /* ds->n_variants */
    int *reference;                     /* per variant: its source's reference variant index */
    tdm_rep_comparison *cmp;
    size_t n_cmp, cap_cmp;
    tdm_rep_baseline *baselines;        /* borrowed */
    size_t n_baselines;
    tdm_rep_baseline_result *base;
    size_t n_base, cap_base;
    tdm_rep_caveat *caveats;
    size_t n_caveats, cap_caveats;
    size_t legacy_checked;              /* imported runs whose reported efficiency was recomputed */
    double legacy_max_abs_diff;         /* largest |recomputed - reported| legacy efficiency (pp) */
    int primary[2];                     /* primary metric for tandem (0) and legacy (1) variants; -1 none */
    char *summary;                      /* two sentences */
    char *recommendation;
    char *confidence;                   /* how sure, in words */
    char *legacy_note;                  /* the findings on imported seed runs, or NULL */
    char *verdict_grid;                 /* Markdown table: every metric with a margin, per variant (may be "") */
    struct json_t *decision;            /* the main group's verdict as data (verdict_json.c), or NULL */
    tdm_rep_gpu_cell *gpu;              /* ds->n_cells */
    size_t gpu_runs;                    /* runs with a readable gpu.csv; 0: no GPU telemetry */
    tdm_rep_tails_cell *tails;          /* ds->n_cells: latency tails, contention, outliers (tails.c) */
    tdm_rep_tails_run *tails_runs;      /* ds->n_runs: each run's contention and outlier flags */
    tdm_rep_curve curve;                /* efficiency and tokens/s against N (gain_curve.c); no lines: one N */
    tdm_rep_open_loop open_loop;        /* latency against offered rate (open_loop.c); empty: no open-loop run */
    tdm_rep_workflows workflows;        /* makespan against critical path (workflows.c); empty: no workflow run */
    tdm_rep_hosts hosts;                /* the machines (hosts.c), set by the caller after tdm_rep_analyze */
} tdm_rep_analysis;

/* Computes everything. Returns 0 or -1 when memory ran out. */
int tdm_rep_analyze(const tdm_rep_dataset *ds, const tdm_rep_settings *s, tdm_rep_baseline *baselines,
                    size_t n_baselines, tdm_rep_analysis *an);
void tdm_rep_analysis_free(tdm_rep_analysis *an);

/* Summarises a sample (NaNs are dropped and counted); key names the sample for the
 * bootstrap stream. */
void tdm_rep_summarize(const double *x, size_t n, size_t n_undefined, const tdm_rep_settings *s, const char *key,
                       tdm_rep_sample *out);

/* parts of tdm_rep_analyze, in their own files */
int tdm_rep_compare_all(tdm_rep_analysis *an);          /* compare.c */
int tdm_rep_compare_baselines(tdm_rep_analysis *an);    /* baseline.c */
int tdm_rep_find_caveats(tdm_rep_analysis *an);         /* caveats.c */
int tdm_rep_write_verdict(tdm_rep_analysis *an);        /* verdict.c */
int tdm_rep_gpu_analyze(tdm_rep_analysis *an);          /* gpu.c: per-cell GPU means and caveats */
int tdm_rep_tails_analyze(tdm_rep_analysis *an);        /* tails.c: per-cell tails, contention, outliers */
int tdm_rep_curve_analyze(tdm_rep_analysis *an);        /* gain_curve.c: the gain curve against N */
int tdm_rep_open_loop_analyze(tdm_rep_analysis *an);    /* open_loop.c: latency against offered rate */
int tdm_rep_workflows_analyze(tdm_rep_analysis *an);    /* workflows.c: makespan against critical path */
/* Appends a caveat (printf-style text); caveats.c, where the parts above add theirs. */
void tdm_rep_caveat_add(tdm_rep_analysis *an, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses "NAME=VALUE (provenance words)" into b (value baseline). Returns 0, or -1
 * with err. */
int tdm_rep_baseline_parse(const char *spec, tdm_rep_baseline *b, char *err, size_t errlen);
void tdm_rep_baseline_free(tdm_rep_baseline *b);
/* What comparing on this metric can and cannot show, a sentence or two for where the
 * baselines are written; NULL when the metric needs no such note. */
const char *tdm_rep_baseline_metric_note(int metric);

/* ---- equivalence margins (margin.c) ---- */
/* The defaults: efficiency_pct and legacy_efficiency_pct 1 pp, speedup and
 * throughput_gain 0.02, ttft_ms 5 ms, itl_p50_ms 1 ms, client_gap_ms 5 ms, decode_tps 2%
 * of the compared-with mean; none for the wall times and the client's CPU. */
void tdm_rep_margins_default(tdm_rep_margin m[TDM_M_COUNT]);
/* Applies one --margin "KEY=VALUE" (VALUE: a positive number in the metric's unit, with
 * an optional unit suffix; N% for a percentage of the compared-with mean, refused for
 * metrics that are percentages themselves; or "none"). Returns 0, or -1 with err naming
 * the fix. */
int tdm_rep_margin_parse(const char *spec, tdm_rep_margin m[TDM_M_COUNT], char *err, size_t errlen);
/* "±1 pp", "±0.02", "±5 ms", "±2%"; "" when the metric has no margin. */
const char *tdm_rep_margin_text(char *buf, size_t len, int metric, const tdm_rep_margin *m);
/* "efficiency_pct=1, ..., decode_tps=2%" over the metrics with a margin ("none" if none). */
const char *tdm_rep_margins_list(char *buf, size_t len, const tdm_rep_margin m[TDM_M_COUNT]);
/* A stable key for a verdict ("equivalent", "different_within_margin", ...; NULL for
 * TDM_REP_EQ_NONE) and the words for people ("different, but within ±1 pp"; "no margin
 * set" for TDM_REP_EQ_NONE). */
const char *tdm_rep_equiv_key(tdm_rep_equiv_verdict v);
const char *tdm_rep_equiv_text(char *buf, size_t len, const tdm_rep_analysis *an, const tdm_rep_comparison *c);

#endif
