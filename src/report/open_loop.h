/* open_loop.h — latency against offered load, for runs whose calls arrive on their own
 * clock (a scenario's arrivals:, one call per arrival, each due at release + start_ms).
 * Per run, over its concurrent calls with a due time: the offered rate (nominal, and
 * realised from the due instants), the achieved rate (from the successful calls'
 * completions), the share of calls that succeeded, and p50/p90/p99 of what a user waits
 * (TTFT and end-to-end from the due instant), split into the client's own lag before the
 * request went out and the time after it. Per line (a variant, the arrival process, the
 * configuration's parts but the rate, the servers) and offered rate: the runs' means with
 * CIs and the latencies pooled over their calls; on each line the knee and the best
 * operating point. The types only; the analysis fills them (tdm_rep_open_loop_analyze,
 * declared in analysis.h beside the other parts) and every output prints them. Empty
 * when no run is open-loop, so other reports read as before. */
#ifndef TDM_REPORT_OPEN_LOOP_H
#define TDM_REPORT_OPEN_LOOP_H

#include <stdbool.h>
#include <stddef.h>

#include "report/gain_curve.h"
#include "report/model.h"
#include "report/tails.h"

/* The knee: the first offered rate, in increasing order past the line's lowest, where the
 * mean achieved rate is below TDM_REP_OL_KEEP_UP_PCT % of the mean realised offered rate
 * (calls then arrive faster than they finish: the backlog, and every wait behind it,
 * grows for as long as arrivals last; 5 % leaves room for the completions' own jitter
 * over a short run), or, failing that, where the p99 TTFT from the due instant is more
 * than TDM_REP_OL_P99_FACTOR times its value at the lowest rate (below capacity a
 * queue's waits stay bounded, so a p99 that doubles is a queue the arrivals outpace
 * before the rates show it). */
#define TDM_REP_OL_KEEP_UP_PCT 95.0
#define TDM_REP_OL_P99_FACTOR 2.0

typedef enum tdm_rep_ol_knee_reason {
    TDM_REP_OL_KNEE_NONE = 0,  /* no rate meets either rule */
    TDM_REP_OL_KNEE_THROUGHPUT, /* achieved fell below the bar (checked first) */
    TDM_REP_OL_KNEE_LATENCY,   /* p99 TTFT from due grew past the factor */
} tdm_rep_ol_knee_reason;

/* The latencies measured from the instant a call was due, in ms. */
enum {
    TDM_REP_OL_TTFT_DUE = 0,   /* first token - t_due: what the user waits */
    TDM_REP_OL_WAIT,           /* t_start - t_due: the client's own lag before the first request byte */
    TDM_REP_OL_TTFT_SEND,      /* first token - t_start: server and network (the client TTFT, ttft_ms) */
    TDM_REP_OL_E2E_DUE,        /* t_done - t_due */
    TDM_REP_OL_NLAT
};

/* "ttft_from_due_ms", "client_wait_ms", "ttft_from_send_ms", "e2e_from_due_ms". */
const char *tdm_rep_ol_lat_key(int lat);
/* For people: "TTFT from due", "client wait", "TTFT from send", "e2e from due". */
const char *tdm_rep_ol_lat_label(int lat);

/* One open-loop run. */
typedef struct tdm_rep_ol_run {
    size_t run;                /* index into ds->runs */
    size_t line;               /* index into lines */
    double rate;               /* nominal offered rate, calls/s (arrivals.rate) */
    size_t n_due;              /* concurrent calls with a due time */
    size_t n_ok;               /* of those, successful */
    double offered_s;          /* realised: (n_due - 1) / (last t_due - first t_due); NaN when undefined */
    double achieved_s;         /* (n_ok - 1) / (last t_done - first t_done) over the successful calls */
    double ok_pct;             /* 100 * n_ok / n_due */
    tdm_rep_tail q[TDM_REP_OL_NLAT]; /* over the successful non-cold calls */
} tdm_rep_ol_run;

/* The runs of one line at one nominal rate. */
typedef struct tdm_rep_ol_point {
    double rate;               /* nominal offered rate, calls/s */
    size_t n_runs;
    size_t n_due, n_ok;        /* summed over the runs */
    tdm_rep_curve_value offered; /* realised offered rate per run, Student t CI */
    tdm_rep_curve_value achieved; /* achieved rate per run, Student t CI */
    tdm_rep_curve_value ok_pct;  /* per run, percentile bootstrap CI (it stays inside 0-100 %) */
    tdm_rep_tail q[TDM_REP_OL_NLAT]; /* pooled over the runs' successful non-cold calls */
} tdm_rep_ol_point;

typedef struct tdm_rep_ol_line {
    int variant;               /* index into ds->variants */
    char *process;             /* "constant", "poisson" */
    char *layout;              /* "open, constant arrivals, one server": what stays fixed while the rate varies */
    char *label;               /* the variant's label, then the layout in parentheses */
    tdm_rep_ol_point *points;  /* increasing rate */
    size_t n_points;
    long knee;                 /* index into points; -1: none */
    int knee_reason;           /* tdm_rep_ol_knee_reason */
    long best;                 /* the highest rate below the knee that keeps up; -1: none */
} tdm_rep_ol_line;

typedef struct tdm_rep_open_loop {
    tdm_rep_ol_line *lines;    /* by variant, then layout */
    size_t n_lines;
    tdm_rep_ol_run *runs;      /* in dataset order */
    size_t n_runs;
} tdm_rep_open_loop;

/* Whether a point keeps up: its mean achieved rate is at least TDM_REP_OL_KEEP_UP_PCT % of
 * its mean realised offered rate (the nominal rate where no realised one is defined). */
bool tdm_rep_ol_keeps_up(const tdm_rep_ol_point *p);
/* Finds the knee and the best point of a line from its points' means (the rules above).
 * Its own function so it can be checked on made-up points. */
void tdm_rep_ol_judge(tdm_rep_ol_line *line);
/* "achieved_below_95pct_of_offered", "p99_ttft_from_due_above_2x_lowest_rate", "none". */
const char *tdm_rep_ol_knee_key(int reason);
void tdm_rep_open_loop_free(tdm_rep_open_loop *ol);

#endif
