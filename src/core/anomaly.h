/* anomaly.h — runs whose numbers cannot be taken at face value, flagged with the
 * evidence instead of being averaged in silence.
 *
 * Three rules (ARTIFACT.md, Metrics):
 *  - efficiency_above_100: efficiency_pct above 100 % by more than a noise bound. The
 *    agents cannot be more than N times faster together than one after another; when
 *    they seem to be, the sequential phase was slowed by something else (a server
 *    frozen for seconds, a model reload, a throttled device).
 *  - token_stall: a gap between two token events of one call far above that call's
 *    median inter-token latency (and above an absolute floor): the stream stalled.
 *  - slow_phase: a run's T_seq or T_conc far above the median of its peer runs (the runs
 *    averaged with it; at least three), by a robust bound (scaled MAD).
 *
 * The rules are pure functions of numbers both the run's own summary (summary.c) and
 * the Technical Report (report/caveats.c) hold, so the two find the same flags and say
 * them in the same words. Nothing is removed: callers give means with and without the
 * flagged runs. */
#ifndef TDM_ANOMALY_H
#define TDM_ANOMALY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/metrics.h"
#include "core/record.h"

/* Efficiency is flagged above 100 % plus this many percentage points: run-to-run noise
 * on a truly parallel pair of servers reaches ~1 pp. */
#define TDM_ANOMALY_EFFICIENCY_NOISE_PP 2.0
/* A token gap is a stall above this multiple of the call's median ITL ... */
#define TDM_ANOMALY_STALL_ITL_FACTOR 10.0
/* ... and above this absolute floor (short calls have a noisy median). */
#define TDM_ANOMALY_STALL_MIN_MS 1000.0
/* A phase is compared with its peers only when there are at least this many. */
#define TDM_ANOMALY_PEER_MIN_RUNS 3
/* A phase is slow above median + this many scaled MADs ... */
#define TDM_ANOMALY_PEER_MADS 3.0
/* ... but never below this multiple of the median (tight peers make a tiny MAD) ... */
#define TDM_ANOMALY_PEER_MIN_RATIO 1.25
/* ... and always above this multiple of the median, whatever the MAD. */
#define TDM_ANOMALY_PEER_MAX_RATIO 2.0

typedef enum tdm_anomaly_kind {
    TDM_ANOMALY_EFFICIENCY_ABOVE_100 = 0,
    TDM_ANOMALY_TOKEN_STALL,
    TDM_ANOMALY_SLOW_PHASE,
    TDM_ANOMALY_KIND_COUNT
} tdm_anomaly_kind;

/* The stable key written into summary.json and analysis.json ("efficiency_above_100",
 * "token_stall", "slow_phase"). */
const char *tdm_anomaly_kind_name(tdm_anomaly_kind k);

/* One flag and its evidence. Which fields are set depends on the kind. */
typedef struct tdm_anomaly {
    tdm_anomaly_kind kind;
    size_t run_index;   /* the caller's index of the run */
    int run;            /* the run's number (run_<k>) */
    tdm_phase phase;    /* the phase it concerns (efficiency: sequential, the one slowed) */
    int agent;          /* token_stall: the agent; else -1 (the whole run) */
    int step;           /* token_stall: the step (0-based); else -1 */
    double value;       /* efficiency %, gap ms, or phase s */
    double bound;       /* the bound it broke, same unit */
    double median;      /* token_stall: the call's median ITL (ms); slow_phase: the peers' (s) */
    double mad;         /* slow_phase: the peers' scaled MAD (s) */
    double t_seq_s, t_conc_s; /* efficiency_above_100: the two wall times */
    size_t n;           /* efficiency: agents; token_stall: token event after the gap (1-based); slow_phase: peers */
} tdm_anomaly;

/* A run as the rules see it: what the core summary and the report both hold. */
typedef struct tdm_anomaly_run {
    int run;
    size_t n_agents;
    double efficiency_pct, t_seq_s, t_conc_s; /* NaN when undefined */
} tdm_anomaly_run;

typedef struct tdm_anomaly_list {
    tdm_anomaly *v;
    size_t n, cap;
} tdm_anomaly_list;

/* The rules one by one; each returns true and fills *a when the value breaks its bound
 * (undefined values never do). */
bool tdm_anomaly_check_efficiency(const tdm_anomaly_run *r, tdm_anomaly *a);
bool tdm_anomaly_check_call(const tdm_call_metrics *m, tdm_anomaly *a);
/* The peer rule over v[0..n) (one phase's time in each peer run): sets flagged[i] for the
 * slow ones and *median, *mad (scaled) and *bound (NaN when fewer than
 * TDM_ANOMALY_PEER_MIN_RUNS values are finite). Returns how many were flagged, or -1
 * when memory ran out. */
int tdm_anomaly_slow_values(const double *v, size_t n, bool *flagged, double *median, double *mad, double *bound);

/* Every run-level flag of a set of peer runs (efficiency per run, slow phases across
 * them), run_index being the position in runs[]. Returns 0 or -1 (out of memory). */
int tdm_anomaly_find_runs(const tdm_anomaly_run *runs, size_t n, tdm_anomaly_list *out);
/* The stall rule on one measured call; pushes a flag when it fires. Returns 0 or -1. */
int tdm_anomaly_find_call(const tdm_call_metrics *m, size_t run_index, int run, tdm_phase phase, int agent, int step,
                          tdm_anomaly_list *out);

int tdm_anomaly_list_push(tdm_anomaly_list *l, const tdm_anomaly *a);
/* Orders the flags by run, kind, phase, agent and step: the same set always reads the
 * same, whatever order it was found in. */
void tdm_anomaly_list_sort(tdm_anomaly_list *l);
/* Whether any flag concerns the run at run_index. */
bool tdm_anomaly_list_has_run(const tdm_anomaly_list *l, size_t run_index);
void tdm_anomaly_list_free(tdm_anomaly_list *l);

/* The evidence in words, one sentence (agent_name: the agent of a token stall, or NULL). */
void tdm_anomaly_describe(const tdm_anomaly *a, const char *agent_name, tdm_buf *b);

#endif
