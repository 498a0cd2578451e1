/* tails.h — what the means hide, per cell: the p50/p90/p99 of TTFT, ITL and end-to-end
 * latency in each phase (pooled over the calls of the cell's runs), the share of runs
 * that met contention (the seed harness's rule, generalised to N agents), and the runs
 * that lie far from their cell's median (flagged, never dropped). The types only; the
 * analysis fills them (tdm_rep_tails_analyze, declared in analysis.h beside the other
 * parts of the analysis) and every output prints them. */
#ifndef TDM_REPORT_TAILS_H
#define TDM_REPORT_TAILS_H

#include <stdbool.h>
#include <stddef.h>

#include "report/model.h"

/* The per-call latencies whose tails are reported. */
enum { TDM_REP_TAIL_TTFT = 0, TDM_REP_TAIL_ITL, TDM_REP_TAIL_E2E, TDM_REP_NTAIL };

/* A run is contended when its efficiency is below this: at N = 2 it is the seed's rule,
 * speedup below 1.5 (efficiency = 100 * speedup / N). */
#define TDM_REP_CONTENTION_PCT 75.0
/* A run is an outlier when it lies more than this many scaled MADs from its cell's median. */
#define TDM_REP_OUTLIER_MADS 3.0
/* MAD * this estimates the sd of normal data, so "3 MADs" reads like "3 sd". */
#define TDM_REP_MAD_SCALE 1.4826

/* Quantiles (R type 7, as everywhere in the report) of one latency in one phase. */
typedef struct tdm_rep_tail {
    size_t n;                  /* calls pooled: successful, non-cold calls with a defined value */
    double p50, p90, p99;      /* ms; NaN when n == 0 */
} tdm_rep_tail;

typedef struct tdm_rep_tails_cell {
    tdm_rep_tail q[TDM_REP_NTAIL][TDM_REP_NPHASE];
    /* The run-level metric contention and outliers are judged on: efficiency_pct, or
     * legacy_efficiency_pct where none of the cell's runs has the former; -1: neither. */
    int metric;
    size_t n_judged;           /* runs with a defined value of metric */
    size_t n_contended;        /* of those, runs below TDM_REP_CONTENTION_PCT */
    double contention_rate;    /* n_contended / n_judged; NaN when nothing was judged */
    double median, mad_scaled; /* of metric over the judged runs; NaN when fewer than 3 */
    bool outliers_judged;      /* at least 3 judged runs and a scaled MAD above 0 */
    size_t n_outliers;
} tdm_rep_tails_cell;

typedef struct tdm_rep_tails_run {
    bool judged;               /* the run has a value of its cell's metric */
    bool contended;            /* judged, and below TDM_REP_CONTENTION_PCT */
    bool outlier;              /* more than TDM_REP_OUTLIER_MADS scaled MADs from the cell's median */
    double mads;               /* (value - median) / scaled MAD, signed; NaN when not judged */
} tdm_rep_tails_run;

/* "ttft_ms", "itl_p50_ms", "e2e_ms": the key in tails.csv and analysis.json (ITL is the
 * per-call median gap, the sample of itl_p50_ms everywhere else in the report). */
const char *tdm_rep_tail_key(int tail);
/* For people: "TTFT", "ITL (median per call)", "e2e". */
const char *tdm_rep_tail_label(int tail);

#endif
