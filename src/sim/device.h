/* device.h — the simulated accelerator: exact piecewise-linear progress of the streams
 * that share it. Pure arithmetic, no event loop, so it is unit-tested directly.
 *
 * Work is measured in "full-rate nanoseconds": the time a unit (a whole prompt's prefill,
 * or one output token) would take if its stream had the device to itself. With k ACTIVE
 * jobs every one of them progresses at 1 / (1 + alpha*(k-1)) full-rate ns per wall ns
 * (alpha = 1: time-slicing, no gain from concurrency; alpha = 0: perfect parallelism).
 * Whenever k changes, every active job's deadline is recomputed from its remaining work,
 * so deadlines are exact at any join/leave time rather than quantised to a tick.
 * A TIMED job waits for a fixed wall-clock deadline (a model load) and does not count
 * towards k.
 *
 * Events are processed in deadline order (ties: the job that joined first) by
 * tdm_sim_dev_run, which calls each due job's callback with the job's ideal due time.
 * The callback must restart the job (tdm_sim_dev_start / _wait) or remove it; a job it
 * leaves untouched is removed. All times passed in must be >= the device's t_last. */
#ifndef TDM_SIM_DEVICE_H
#define TDM_SIM_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct tdm_sim_job tdm_sim_job;
typedef void (*tdm_sim_job_fn)(void *ctx, tdm_sim_job *job, int64_t due_ns);

enum { TDM_SIM_JOB_IDLE = 0, TDM_SIM_JOB_TIMED, TDM_SIM_JOB_ACTIVE };

struct tdm_sim_job {
    tdm_sim_job *prev, *next; /* device's job list (TIMED and ACTIVE jobs) */
    int state;
    double remaining;  /* ACTIVE: full-rate ns left in the current unit */
    int64_t deadline;  /* absolute CLOCK_MONOTONIC ns when the current unit completes */
    uint64_t seq;      /* order of joining: the tie-breaker between equal deadlines */
    uint64_t changes;  /* bumped on every start/wait/remove (detects untouched jobs) */
    tdm_sim_job_fn fn;
    void *ctx;
};

typedef struct tdm_sim_dev {
    double alpha;
    int64_t t_last;    /* progress of all active jobs is accounted up to here */
    int active;        /* k: ACTIVE jobs */
    tdm_sim_job *head;
    uint64_t next_seq;
} tdm_sim_dev;

void tdm_sim_dev_init(tdm_sim_dev *d, double alpha, int64_t t0);
/* Sets a job's callback; the job starts IDLE. */
void tdm_sim_job_init(tdm_sim_job *j, tdm_sim_job_fn fn, void *ctx);

/* The slowdown 1 + alpha*(k-1) every active job currently suffers (1 when k <= 1). */
double tdm_sim_dev_slowdown(const tdm_sim_dev *d);
/* Makes j ACTIVE at time t with a new unit of work_ns full-rate ns (from IDLE, TIMED or
 * ACTIVE: an active job that just completed a unit starts its next one). */
void tdm_sim_dev_start(tdm_sim_dev *d, tdm_sim_job *j, int64_t t, double work_ns);
/* Makes j TIMED: due at the absolute time deadline (>= t), not using the device. */
void tdm_sim_dev_wait(tdm_sim_dev *d, tdm_sim_job *j, int64_t t, int64_t deadline);
/* Takes j off the device at time t (no-op when IDLE). */
void tdm_sim_dev_remove(tdm_sim_dev *d, tdm_sim_job *j, int64_t t);
/* Fires, in order, every job due at or before now. */
void tdm_sim_dev_run(tdm_sim_dev *d, int64_t now);
/* The earliest deadline, or INT64_MAX when no job is waiting. */
int64_t tdm_sim_dev_next_due(const tdm_sim_dev *d);

#endif
