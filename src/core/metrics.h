/* metrics.h — every derived number of METRICS (ARTIFACT.md), computed from raw records.
 *
 * Per call: TTFB, TTFT (client and server), client gap, ITL percentiles, TPOT, e2e,
 * decode rates, token counts. Per run: the sequential and concurrent wall times and
 * speedup, efficiency, throughput gain, slowdowns, decode drops, imbalance, and the
 * seed harness's legacy efficiency beside them. Undefined values are NaN (a failed
 * call has no TTFT; a run without a sequential phase has no speedup) and are written
 * as JSON null, never as 0. */
#ifndef TDM_METRICS_H
#define TDM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record.h"
#include "core/rundata.h"

/* A cold load is flagged when the server spent longer than this loading the model. */
#define TDM_COLD_LOAD_NS 1000000000LL

typedef struct tdm_call_metrics {
    bool ok;
    bool cold_load;           /* load_duration > 1 s */
    bool token_mismatch;      /* eval_count != client token events */
    bool no_server_timings;   /* the server gave counts but no durations (an OpenAI-compatible server
                               * other than llama-server): server TTFT, client gap, decode rate are NaN */
    double connect_ms;
    double ttfb_ms;           /* t_start -> first response byte */
    double ttft_ms;           /* t_start -> first token of any kind (content or thinking) */
    double ttft_content_ms;   /* t_start -> first content token */
    double server_ttft_ms;    /* (load + prompt_eval) / 1e6 */
    double client_gap_ms;     /* ttft_ms - server_ttft_ms */
    double itl_p50_ms, itl_p90_ms, itl_p99_ms;
    double itl_max_ms;        /* the longest gap between token events (a stall shows here) */
    size_t itl_max_at;        /* the event that ended it (0-based; 0 when there is no gap) */
    double tpot_ms;           /* (t_last - t_first) / (events - 1) */
    double e2e_ms;            /* t_start -> final line */
    double decode_tps;        /* server: eval_count / eval_duration */
    double decode_tps_client; /* (events - 1) / (t_last - t_first) */
    int64_t tokens;           /* eval_count, or events when the server sent none */
    int64_t events;           /* token-bearing lines the client saw */
} tdm_call_metrics;

void tdm_call_metrics_compute(const tdm_call_record *r, tdm_call_metrics *m);
/* True when the call's final line (or usage event) came with any server duration. */
bool tdm_record_has_server_timings(const tdm_call_record *r);

typedef struct tdm_agent_run_metrics {
    double t_seq_s;           /* alone: end - release (a workflow: the time its own calls took) */
    double t_conc_s;          /* together: end - begin */
    double slowdown;          /* t_conc / t_seq */
    double decode_tps_seq;    /* sum eval_count / sum eval_duration, per phase */
    double decode_tps_conc;
    double decode_drop_pct;   /* 100 * (1 - conc / seq) */
    double ttft_seq_ms;       /* median over the agent's calls in the phase */
    double ttft_conc_ms;
    int64_t tokens_seq;
    int64_t tokens_conc;
} tdm_agent_run_metrics;

typedef struct tdm_run_metrics {
    size_t n_agents;
    double t_seq_s;           /* sum of the agents' time alone (a workflow: the sequential phase's span) */
    double t_conc_s;          /* barrier -> last agent done */
    double speedup;           /* t_seq / t_conc */
    double efficiency_pct;    /* 100 * speedup / N */
    double throughput_gain;   /* (tokens_conc / t_conc) / (tokens_seq / t_seq) */
    double imbalance;         /* max t_conc_i / mean t_conc_i */
    double legacy_speedup;    /* sum t_conc_i / t_conc (the seed's "speedup") */
    double legacy_efficiency_pct; /* 100 * legacy_speedup / N */
    bool contention_detected; /* any decode drop above the threshold */
    bool legacy_contention;   /* legacy_speedup < 0.75 N (1.5 for two agents) */
    size_t calls;             /* measured calls (warm-up excluded) */
    size_t failed_calls;
    size_t cold_loads;
    size_t token_mismatches;
    bool complete;            /* every measured call succeeded; if not, the gains are NaN */
    /* A workflow (calls that waited for other agents' steps or paused to think): */
    bool workflow;
    double critical_path_s;   /* the longest chain of dependent steps, each weighed by its own
                               * sequential-phase time (think + t_begin -> t_done) */
    double makespan_s;        /* the concurrent phase: release -> last step done (= t_conc_s) */
    double ideal_speedup;     /* t_seq / critical path: what the dependencies allow */
    double achieved_speedup;  /* t_seq / makespan */
    double workflow_efficiency_pct; /* 100 * critical path / makespan: the share of the ideal reached */
    tdm_agent_run_metrics *agents; /* n_agents entries */
} tdm_run_metrics;

/* Computes a run's metrics; threshold_pct is the contention threshold. Returns 0 or -1
 * (out of memory). */
int tdm_run_metrics_compute(const tdm_run_data *d, double threshold_pct, tdm_run_metrics *m);
void tdm_run_metrics_free(tdm_run_metrics *m);

#endif
