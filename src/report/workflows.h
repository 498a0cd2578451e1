/* workflows.h — makespan against critical path, for runs whose agents form a workflow (a
 * step waits for other agents' steps, embeds their output or pauses to think). The core
 * computes each run's numbers (tdm_run_metrics: critical path, makespan, ideal and achieved
 * speedups, workflow efficiency; summary.json's "workflow"), the loader carries them into
 * the run (model.h), and this part only groups them: per workflow (a configuration) and
 * variant the means over runs with CIs, and per workflow what its dependencies allow (the
 * ideal speedup over every variant's runs). The types only; the analysis fills them
 * (tdm_rep_workflows_analyze, declared in analysis.h beside the other parts) and every
 * output prints them. Empty when no run is a workflow, so other reports read as before. */
#ifndef TDM_REPORT_WORKFLOWS_H
#define TDM_REPORT_WORKFLOWS_H

#include <stdbool.h>
#include <stddef.h>

#include "report/gain_curve.h"
#include "report/model.h"

/* A workflow whose mean ideal speedup is below this is a chain: each step waits for the
 * one before, so running its agents together cannot shorten it. Not exactly 1: T_seq is
 * the sequential phase's span, which holds the harness's own moments between steps that
 * no step's time does, so a pure chain measures a little above 1 (a few per cent at
 * most on calls of a second or more). */
#define TDM_REP_WF_CHAIN_SPEEDUP 1.05

/* Variants whose mean workflow efficiencies lie within this many percentage points of one
 * another are said to be so, whatever their intervals: the report's default equivalence
 * margin of the efficiency (margin.c), a difference too small to matter. */
#define TDM_REP_WF_CLOSE_PP 1.0

/* The per-run numbers summarised, in the order the outputs print them. */
enum {
    TDM_REP_WF_T_SEQ = 0,      /* T_seq: the sequential phase, one step at a time, s */
    TDM_REP_WF_CRITICAL,       /* critical path, s */
    TDM_REP_WF_MAKESPAN,       /* makespan (= T_conc), s */
    TDM_REP_WF_IDEAL,          /* T_seq / critical path */
    TDM_REP_WF_ACHIEVED,       /* T_seq / makespan */
    TDM_REP_WF_EFFICIENCY,     /* 100 * critical path / makespan, % */
    TDM_REP_WF_NVAL
};

/* "t_seq_s", "critical_path_s", "makespan_s", "ideal_speedup", "achieved_speedup",
 * "workflow_efficiency_pct": the keys of summary.json and analysis.json. */
const char *tdm_rep_wf_key(int value);

/* One workflow run's value, as the core computed it (NaN where it left it undefined). */
double tdm_rep_wf_run_value(const tdm_rep_run *r, int value);

/* The workflow runs of one cell: a variant in one configuration. */
typedef struct tdm_rep_wf_cell {
    int variant;               /* index into ds->variants */
    int config;                /* index into ds->configs */
    size_t n_runs;             /* workflow runs */
    size_t n_incomplete;       /* of those, with a failed call: no speedups, no efficiency */
    /* means over runs: Student t CIs, a percentile bootstrap for the efficiency (a share,
     * near 100 % where a t interval would reach past what any run measured) */
    tdm_rep_curve_value v[TDM_REP_WF_NVAL];
} tdm_rep_wf_cell;

/* One workflow (a configuration) and its cells, one per variant. */
typedef struct tdm_rep_wf_config {
    int config;                /* index into ds->configs */
    size_t first, n_cells;     /* its cells: cells[first .. first + n_cells), in variant order */
    tdm_rep_curve_value ideal; /* ideal speedup over every variant's runs: what the dependencies allow */
    bool chain;                /* ideal.mean < TDM_REP_WF_CHAIN_SPEEDUP */
    long closest;              /* index into cells: its highest mean efficiency; -1: none defined */
} tdm_rep_wf_config;

typedef struct tdm_rep_workflows {
    tdm_rep_wf_config *configs; /* in configuration order */
    size_t n_configs;
    tdm_rep_wf_cell *cells;    /* by configuration, then variant */
    size_t n_cells;
    size_t *runs;              /* the workflow runs, indices into ds->runs, in dataset order */
    size_t n_runs;
} tdm_rep_workflows;

/* Whether an ideal speedup (mean) says the workflow is a chain. */
bool tdm_rep_wf_is_chain(double ideal_speedup);
/* Finds the closest cell of a workflow: the highest mean efficiency; ties go to the
 * first. Its own function so it can be checked on made-up cells. */
long tdm_rep_wf_closest(const tdm_rep_wf_cell *cells, size_t n);
void tdm_rep_workflows_free(tdm_rep_workflows *wf);

#endif
