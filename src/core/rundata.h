/* rundata.h — the raw data of one run (one repetition of a scenario): the phase
 * timeline of every agent and every call's record. It is what records.json holds, and
 * what metrics are computed from — in the run itself and, later, by the report stage,
 * which reads the same files back through tdm_run_data_from_json. */
#ifndef TDM_RUNDATA_H
#define TDM_RUNDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpuusage.h"
#include "core/record.h"

struct json_t;

/* One agent's timeline in one phase (client clock, ns; 0 = did not run). */
typedef struct tdm_agent_timing {
    int64_t release_ns;  /* the instant the agent (or, concurrently, all agents) was let go */
    int64_t begin_ns;    /* its first call was handed out */
    int64_t end_ns;      /* its last call finished */
} tdm_agent_timing;

typedef struct tdm_run_data {
    int run;                   /* 1-based */
    size_t n_agents;
    char **agent_names;        /* for readers of the file */
    bool has_sequential;
    bool has_concurrent;
    int *seq_order;            /* agent indices in the order they ran alone */
    bool seq_one_batch;        /* a workflow: the sequential phase ran every agent in one batch, one
                                * step at a time, so T_seq is its span, not the sum over agents */
    tdm_agent_timing *seq;     /* per agent */
    tdm_agent_timing *conc;    /* per agent; release_ns is the common barrier */
    bool conc_open_loop;       /* the concurrent phase's calls arrived on their own clock (arrivals:) */
    /* The client's CPU during each phase (all threads). Files written before it was
     * recorded lack it: has_*_cpu is then false. */
    bool has_seq_cpu, has_conc_cpu;
    tdm_cpu_usage seq_cpu, conc_cpu;
    bool interrupted;          /* the run was cut short by SIGINT/SIGTERM (records.json "interrupted") */
    tdm_call_record *calls;    /* warm-up, sequential and concurrent calls */
    size_t n_calls;
    size_t cap_calls;
} tdm_run_data;

/* Allocates the per-agent arrays; returns 0 or -1. */
int tdm_run_data_init(tdm_run_data *d, int run, size_t n_agents, char *const *agent_names);
void tdm_run_data_free(tdm_run_data *d);
/* Appends n records by moving them in (the source array's records are zeroed). */
int tdm_run_data_take_calls(tdm_run_data *d, tdm_call_record *recs, size_t n);

/* The records.json document of this run. */
struct json_t *tdm_run_data_to_json(const tdm_run_data *d);
/* Reads one back; returns 0, or -1 with err naming what is missing or wrong. */
int tdm_run_data_from_json(struct json_t *doc, tdm_run_data *d, char *err, size_t errlen);

struct json_t *tdm_record_to_json(const tdm_call_record *r);
int tdm_record_from_json(struct json_t *o, tdm_call_record *r, char *err, size_t errlen);

#endif
