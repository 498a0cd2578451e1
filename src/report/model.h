/* model.h — what the report stage reads: run directories, the runs in them (run-level
 * metrics recomputed from records.json with the core's own metrics code) and every
 * call's metrics; the variants, configurations and cells they are grouped into; and
 * the table of metrics the report summarises. The analysis (analysis.h) and every
 * output are computed from this one structure. */
#ifndef TDM_REPORT_MODEL_H
#define TDM_REPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/metrics.h"
#include "core/record.h"

struct json_t;

/* ---- metrics the report summarises ----------------------------------------------- */

typedef enum tdm_rep_metric_id {
    /* run-level: one value per run (the run is the unit) */
    TDM_M_EFFICIENCY = 0,
    TDM_M_SPEEDUP,
    TDM_M_THROUGHPUT_GAIN,
    TDM_M_LEGACY_EFFICIENCY,
    TDM_M_T_SEQ,
    TDM_M_T_CONC,
    TDM_M_CLIENT_CPU,
    /* per-call: pooled per cell and phase (cold loads and failed calls excluded) */
    TDM_M_TTFT,
    TDM_M_ITL_P50,
    TDM_M_DECODE_TPS,
    TDM_M_CLIENT_GAP,
    TDM_M_COUNT
} tdm_rep_metric_id;

#define TDM_M_N_RUN 7
#define TDM_M_N_CALL (TDM_M_COUNT - TDM_M_N_RUN)

typedef struct tdm_rep_metric_def {
    const char *key;        /* as in summary.json / analysis.json */
    const char *label;      /* for people */
    const char *unit;       /* "%", "s", "ms", "tokens/s", "" */
    int decimals;           /* for tables */
    bool higher_is_better;
    bool per_call;
} tdm_rep_metric_def;

const tdm_rep_metric_def *tdm_rep_metric(int id);
/* The id of a metric key, or -1. */
int tdm_rep_metric_find(const char *key);

/* The two phases whose calls are pooled (warm-up calls are never pooled). */
enum { TDM_REP_SEQ = 0, TDM_REP_CONC = 1, TDM_REP_NPHASE = 2 };
const char *tdm_rep_phase_key(int ph);

/* ---- what was read --------------------------------------------------------------- */

/* One run directory (provenance.json beside run_<k>/records.json). */
typedef struct tdm_rep_dir {
    char *path;                /* as found under the input argument */
    struct json_t *prov;       /* provenance.json (owned) */
    char *variant;             /* cell.json, else provenance "variant" */
    char *source;              /* "tandem", or provenance "source" ("chimera-legacy") */
    bool legacy;               /* imported from the seed harness */
    char *configuration;       /* the grouping key (group.c) */
    char *scenario;            /* provenance scenario.name ("" when absent) */
    long repetition;           /* cell.json repetition, else -1 */
    char *unpinned;            /* why the servers are not pinned, NULL when they are */
    int variant_idx;           /* after grouping */
} tdm_rep_dir;

/* A run's GPU numbers (gpu.c), from run_<k>/gpu.csv over each phase's span on
 * CLOCK_MONOTONIC: the sequential phase from the first agent's release to the last
 * agent's end, the concurrent phase from the common release to the last agent's end. */
typedef struct tdm_rep_gpu_run {
    int64_t span_ns[TDM_REP_NPHASE][2]; /* [t0, t1]; both 0 when the phase did not run */
    int64_t tokens[TDM_REP_NPHASE];     /* server-counted output tokens (eval_count) of the phase */
    bool has_file;                      /* gpu.csv was read */
    char *path;                         /* that file (owned), NULL without one */
    size_t n_gpus;
    double util_pct[TDM_REP_NPHASE];    /* time-weighted mean (mean over GPUs); NaN: none */
    double energy_j[TDM_REP_NPHASE];    /* summed over GPUs; NaN: none */
    double j_per_token[TDM_REP_NPHASE]; /* energy_j / tokens; NaN: none */
    size_t n_samples[TDM_REP_NPHASE];
    int method[TDM_REP_NPHASE];         /* tdm_gpu_energy_method */
    int reason[TDM_REP_NPHASE];         /* tdm_gpu_reason: why energy_j is NaN */
} tdm_rep_gpu_run;

/* One run (one repetition of a scenario) and its run-level metrics. */
typedef struct tdm_rep_run {
    size_t dir;                /* index into dirs */
    int run;                   /* k of run_<k> */
    size_t first_call, n_calls; /* its calls: calls[first_call .. first_call + n_calls) */
    int cell;                  /* after grouping; -1 before */
    size_t n_agents;
    char **agents;             /* agent names (owned) */
    bool has_sequential, has_concurrent;
    double v[TDM_M_N_RUN];     /* NaN when undefined */
    double imbalance, legacy_speedup;
    size_t calls, failed_calls, cold_loads, token_mismatches;
    bool complete;
    int64_t tokens_seq, tokens_conc;
    double tokens_agent_ratio; /* concurrent phase: max / min tokens over agents (NaN when a total is 0) */
    double reported_legacy_eff; /* legacy imports: the seed's efficiency_percent, else NaN */
    /* The client's own CPU (user + sys, all threads) in each phase, as its records give
     * it; NaN for records written without it (older runs, imports). */
    double client_cpu_seq_ms, client_cpu_conc_ms;
    tdm_rep_gpu_run gpu;
    /* A workflow's numbers, carried as the core computed them (tdm_run_metrics, the same
     * numbers as summary.json's "workflow"): false and NaN for other runs. */
    bool workflow;
    double critical_path_s, makespan_s, ideal_speedup, achieved_speedup, workflow_efficiency_pct;
} tdm_rep_run;

/* One call. */
typedef struct tdm_rep_call {
    size_t run;                /* index into runs */
    int agent, step;
    tdm_phase phase;
    bool ok;
    tdm_error_kind error_kind;
    tdm_call_metrics m;
    uint64_t bytes, reads, frames;
    /* The client timeline, kept for what is measured from the instant a call was due
     * (open_loop.c): monotonic ns, 0 = not reached; t_due 0 for calls with no due time. */
    int64_t t_due, t_start, t_done;
} tdm_rep_call;

/* A result file or directory that could not be used, and why. */
typedef struct tdm_rep_skip {
    char *path;
    char *reason;
} tdm_rep_skip;

/* A variant as the report shows it: its name and where its runs came from. Runs of the
 * seed harness (source "chimera-legacy") are kept apart from tandem's own runs of the
 * variant with the same name: they measure different programs. */
typedef struct tdm_rep_variant {
    char *name;
    char *source;
    char *label;               /* name, or "name (seed)" for legacy imports */
    bool legacy;
} tdm_rep_variant;

typedef struct tdm_rep_cell {
    int variant;               /* index into variants */
    int config;                /* index into configs */
    size_t *runs;              /* indices into runs, in run order */
    size_t n_runs;
} tdm_rep_cell;

typedef struct tdm_rep_dataset {
    tdm_rep_dir *dirs;
    size_t n_dirs, cap_dirs;
    tdm_rep_run *runs;
    size_t n_runs, cap_runs;
    tdm_rep_call *calls;
    size_t n_calls, cap_calls;
    tdm_rep_skip *skipped;
    size_t n_skipped, cap_skipped;
    /* filled by tdm_rep_group */
    tdm_rep_variant *variants;
    size_t n_variants;
    char **configs;
    size_t n_configs;
    tdm_rep_cell *cells;       /* ordered by configuration, then variant */
    size_t n_cells;
} tdm_rep_dataset;

void tdm_rep_dataset_free(tdm_rep_dataset *ds);
/* Each returns a pointer to the new zeroed slot, or NULL when memory ran out. */
tdm_rep_dir *tdm_rep_add_dir(tdm_rep_dataset *ds);
tdm_rep_run *tdm_rep_add_run(tdm_rep_dataset *ds);
tdm_rep_call *tdm_rep_add_call(tdm_rep_dataset *ds);
/* Records a skipped file (copies both strings). */
void tdm_rep_add_skip(tdm_rep_dataset *ds, const char *path, const char *reason);

/* The name of an agent of a run ("agent<i>" when unknown) and of a step ("" when the
 * provenance does not name it). */
/* The client's CPU per token of the concurrent phase, in microseconds (NaN when the
 * records lack the CPU or the phase made no tokens): what driving the agents cost. */
double tdm_rep_client_us_per_token(const tdm_rep_run *r);
const char *tdm_rep_agent_name(const tdm_rep_dataset *ds, const tdm_rep_run *r, int agent);
const char *tdm_rep_step_name(const tdm_rep_dataset *ds, const tdm_rep_run *r, int agent, int step);

/* strdup that never returns NULL for a NULL input ("" instead); NULL only when out of memory. */
char *tdm_rep_strdup(const char *s);
/* A copy of s that is valid UTF-8: each byte of an invalid sequence becomes U+FFFD. */
char *tdm_rep_utf8_clean(const char *s);
/* FNV-1a over a string, continuing from h (start with 0). */
uint64_t tdm_rep_hash(uint64_t h, const char *s);

/* Whether the run directory's scenario has open-loop arrivals (provenance scenario.arrivals),
 * and its nominal rate and process (borrowed from the provenance) when it has. */
bool tdm_rep_dir_open_loop(const tdm_rep_dir *d, double *rate, const char **process);

#endif
