/* gain_curve.h — what running agents together gains as their number N grows: per line
 * (a variant, and the server layout or num_parallel when the data tells them apart) and
 * per N, the efficiency with its bootstrap CI, the aggregate output tokens/s of the
 * concurrent phase, the per-agent slowdown and the TTFT p50/p99; and on each line the
 * knee and the best operating point. The types only; the analysis fills them
 * (tdm_rep_curve_analyze, declared in analysis.h beside the other parts) and every
 * output prints them. Empty when every run has the same N: a curve needs two points. */
#ifndef TDM_REPORT_GAIN_CURVE_H
#define TDM_REPORT_GAIN_CURVE_H

#include <stdbool.h>
#include <stddef.h>

#include "report/tails.h"

/* The knee: the first N (in increasing order, past the line's first point) where the
 * mean efficiency is below TDM_REP_KNEE_EFF_PCT, or where the mean aggregate tokens/s
 * grew by less than TDM_REP_KNEE_GROWTH_PCT per doubling of N since the previous point
 * ((tps_b / tps_a)^(1 / log2(N_b / N_a)) - 1). The efficiency bar is the contention rule
 * of tails.h, so "contended" and "past the knee" mean the same thing. */
#define TDM_REP_KNEE_EFF_PCT TDM_REP_CONTENTION_PCT
#define TDM_REP_KNEE_GROWTH_PCT 5.0

typedef enum tdm_rep_knee_reason {
    TDM_REP_KNEE_NONE = 0,     /* no point meets either rule */
    TDM_REP_KNEE_EFFICIENCY,   /* efficiency fell below the bar (checked first) */
    TDM_REP_KNEE_TOKENS,       /* tokens/s stopped growing by the bar per doubling */
} tdm_rep_knee_reason;

/* A mean over runs with its 1 - alpha CI: percentile bootstrap for the efficiency (it
 * stays inside 0-100 %), Student t for the others. */
typedef struct tdm_rep_curve_value {
    size_t n;                  /* runs with a defined value */
    double mean, sd, lo, hi;   /* NaN when n == 0 (lo, hi also when n < 2) */
} tdm_rep_curve_value;

/* The runs of one line with one agent count. */
typedef struct tdm_rep_curve_point {
    size_t n_agents;
    size_t n_runs;
    tdm_rep_curve_value efficiency; /* efficiency_pct per run */
    tdm_rep_curve_value tokens_s;  /* per run: server-counted output tokens of the concurrent phase / T_conc */
    tdm_rep_curve_value slowdown; /* per run: the mean over its agents of T_conc_i / T_seq_i, each the sum
                                  of the agent's call times (e2e) in that phase */
    tdm_rep_tail ttft;         /* concurrent phase, pooled over the runs' successful non-cold calls */
    double growth_pct;         /* tokens/s growth per doubling since the previous point; NaN at the first */
} tdm_rep_curve_point;

typedef struct tdm_rep_curve_line {
    int variant;               /* index into ds->variants */
    char *layout;              /* "num_parallel=2, a server per agent", or "" when nothing tells lines apart */
    char *label;               /* the variant's label, then the layout in parentheses */
    tdm_rep_curve_point *points; /* increasing N */
    size_t n_points;
    long knee;                 /* index into points; -1: none */
    int knee_reason;           /* tdm_rep_knee_reason */
    long best;                 /* highest mean tokens/s with mean efficiency >= the bar; -1: none */
} tdm_rep_curve_line;

typedef struct tdm_rep_curve {
    tdm_rep_curve_line *lines; /* by variant, then layout */
    size_t n_lines;
} tdm_rep_curve;

struct tdm_rep_analysis;

/* The mean of x's finite values and its 1 - alpha CI (x is compacted in place): the
 * percentile bootstrap when boot, its stream seeded from the settings' seed and key, as
 * tdm_rep_summarize seeds each sample's; else Student t. Every curve of the report
 * (this one, open_loop.h) summarises its per-run values with it. */
void tdm_rep_curve_value_of(const struct tdm_rep_analysis *an, double *x, size_t n, bool boot, const char *key,
                            tdm_rep_curve_value *out);
/* A curve's line is what stays fixed while its x axis varies. axis_keys (NULL-ended) name
 * the axis ("agents", "arrival_rate"; a dotted key matches on its last component).
 * tdm_rep_config_names: whether the configuration names one ("shared, agents=4": a sweep
 * point). tdm_rep_line_parts: the configuration's "key=value" parts other than the axis,
 * and for a sweep point its bare name too; heap string ("" when none), NULL when memory
 * ran out. */
bool tdm_rep_config_names(const char *config, const char *const *axis_keys);
char *tdm_rep_line_parts(const char *config, const char *const *axis_keys);

/* Finds each point's growth, the knee and the best point of a line from its points'
 * means (the rules above). Its own function so it can be checked on made-up points. */
void tdm_rep_curve_judge(tdm_rep_curve_line *line);
/* "efficiency_below_75pct", "tokens_growth_below_5pct_per_doubling", "none". */
const char *tdm_rep_knee_key(int reason);
void tdm_rep_curve_free(tdm_rep_curve *c);

#endif
