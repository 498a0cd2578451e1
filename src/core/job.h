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
    bool timed;                  /* the first call has a due time: an open-loop arrival, in the
                                  * concurrent phase (never in the warm-up or sequential phase) */
    int64_t start_ns;            /* timed: the first call is due this long after the release */
    int64_t t_release;           /* the phase's release (tdm_jobs_released); 0 until then */
    struct tdm_board *board;     /* a workflow's shared state in this phase (core/workflow_board.h),
                                  * set by the runner after tdm_job_init; NULL otherwise */
    size_t reported;             /* records already told to the board */
    char *first_url, *first_body; /* the first call's request, built before the release (heap) */
} tdm_agent_job;

/* Prepares a job whose records array (n_calls = steps, or 1 for warm-up) is already
 * initialised with run, phase, agent and step. */
void tdm_job_init(tdm_agent_job *j, const tdm_scenario *s, int agent_index, bool warmup,
                  tdm_call_record *records, size_t n_calls);

/* The warm-up call's step: the agent's first step with the warm-up prompt (warm shares
 * first's strings), and in extra the options it overrides (num_predict). */
void tdm_job_warmup_step(const tdm_scenario *s, const tdm_step *first, tdm_step *warm, tdm_options *extra);

/* Builds the first call's URL and body before the release, so that a release of many
 * agents sends requests rather than builds them one after another (the last agent's
 * request would otherwise wait for every body before it). A workflow step that embeds
 * other agents' outputs is left to tdm_job_next. Returns 0, or -1 when out of memory
 * (tdm_job_next then builds it, and fails it as it would have). The runner calls it;
 * tdm_job_drop_prepared frees what was not handed out. */
int tdm_job_prepare(tdm_agent_job *j);
void tdm_job_drop_prepared(tdm_agent_job *j);

/* Every runtime calls this at the instant it takes as the phase's release (the
 * t_release run_jobs returns), before handing out any call: held calls are due
 * relative to it. */
void tdm_jobs_released(tdm_agent_job *jobs, size_t n, int64_t t_release);

/* The client-clock instant the job's next call is due, 0 when it may be handed out at
 * once (it has no due time, or the job has nothing left), or TDM_JOB_WAIT (INT64_MAX)
 * while it waits for another agent's step (a workflow). A runtime must not call
 * tdm_job_next for this job before that instant: it arms a timer for it (event loops)
 * or sleeps until it (blocking threads), and on TDM_JOB_WAIT asks again when the
 * function it gave tdm_jobs_on_change is called. Open-loop arrivals and workflows use
 * it; a closed-loop scenario never holds a call. */
#define TDM_JOB_WAIT INT64_MAX
int64_t tdm_job_due(const tdm_agent_job *j);

/* Event-loop runtimes: fn(ud) is called, from any thread and possibly inside the
 * runtime's own callbacks (it must only schedule work), each time a workflow step
 * finishes, so held jobs can be asked again. No-op for jobs without a workflow. */
void tdm_jobs_on_change(tdm_agent_job *jobs, size_t n, void (*fn)(void *ud), void *ud);

/* For runtimes whose threads block: sleeps until the job's next call is due, or until an
 * interrupt (then tdm_job_next records the rest as not run). Returns at once when
 * nothing is held. */
void tdm_job_wait_due(const tdm_agent_job *j);

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
