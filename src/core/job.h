/* job.h — one agent's work within a phase: its steps, run one after another.
 *
 * A variant's runtime takes jobs and runs them; it asks the job for the next call
 * (URL and body ready, record initialised) each time the previous one finished. The
 * step sequencing — "{previous}" substitution, skipping the rest after a failure, the
 * warm-up's short call — lives here once, not in every variant. */
#ifndef TDM_JOB_H
#define TDM_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record.h"
#include "core/scenario.h"

typedef struct tdm_agent_job {
    const tdm_scenario *scenario;
    const tdm_agent *agent;
    int agent_index;
    bool warmup;                 /* one short call (first step, num_predict overridden) */
    tdm_call_record *records;    /* one per call, owned by the caller */
    size_t n_calls;
    size_t next;                 /* index of the next call to hand out */
    int64_t t_begin;             /* the agent started (client clock) */
    int64_t t_end;               /* the agent's last call finished */
} tdm_agent_job;

/* Prepares a job whose records array (n_calls = steps, or 1 for warm-up) is already
 * initialised with run, phase, agent and step. */
void tdm_job_init(tdm_agent_job *j, const tdm_scenario *s, int agent_index, bool warmup,
                  tdm_call_record *records, size_t n_calls);

/* The warm-up call's step: the agent's first step with the warm-up prompt (warm shares
 * first's strings), and in extra the options it overrides (num_predict). */
void tdm_job_warmup_step(const tdm_scenario *s, const tdm_step *first, tdm_step *warm, tdm_options *extra);

/* Hands out the next call: fills *url and *body (heap strings the caller frees) and
 * returns its record, or returns NULL when the agent has no more calls. When an earlier
 * call failed, or once the run was interrupted (core/interrupt.h), the remaining
 * records are marked skipped and NULL is returned. */
tdm_call_record *tdm_job_next(tdm_agent_job *j, char **url, char **body, int64_t now);

/* Marks every call not yet handed out as not run because the run was interrupted
 * (core/interrupt.h): for agents the runner does not start after an interrupt. */
void tdm_job_cancel(tdm_agent_job *j, int64_t now);

/* Records the agent's end time when it has handed out its last call and that call is
 * finished; runtimes call it after each call ends. Returns true when the job is done. */
bool tdm_job_call_finished(tdm_agent_job *j, int64_t now);

#endif
