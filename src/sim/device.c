/* device.c — exact piecewise-linear sharing of a simulated device (see device.h). */
#include "sim/device.h"

#include <math.h>

void tdm_sim_dev_init(tdm_sim_dev *d, double alpha, int64_t t0)
{
    d->alpha = alpha;
    d->t_last = t0;
    d->active = 0;
    d->head = 0;
    d->next_seq = 1;
}

void tdm_sim_job_init(tdm_sim_job *j, tdm_sim_job_fn fn, void *ctx)
{
    *j = (tdm_sim_job){.state = TDM_SIM_JOB_IDLE, .fn = fn, .ctx = ctx};
}

double tdm_sim_dev_slowdown(const tdm_sim_dev *d)
{
    return d->active <= 1 ? 1.0 : 1.0 + d->alpha * (double)(d->active - 1);
}

/* Accounts the progress every active job made between t_last and t at the current k.
 * Callers guarantee no deadline lies strictly inside (t_last, t), except that of jobs
 * being fired at t, so the rate is constant over the interval. */
static void advance(tdm_sim_dev *d, int64_t t)
{
    if (t <= d->t_last)
        return;
    if (d->active > 0) {
        double done = (double)(t - d->t_last) / tdm_sim_dev_slowdown(d);
        for (tdm_sim_job *j = d->head; j; j = j->next)
            if (j->state == TDM_SIM_JOB_ACTIVE) {
                j->remaining -= done;
                if (j->remaining < 0)
                    j->remaining = 0;
            }
    }
    d->t_last = t;
}

static int64_t deadline_of(const tdm_sim_dev *d, double remaining)
{
    double ns = remaining * tdm_sim_dev_slowdown(d);
    if (ns > 9.0e18) /* a unit longer than ~285 years: treat as never */
        return INT64_MAX - 1;
    return d->t_last + (int64_t)llround(ns);
}

/* k changed: every active job's deadline follows from its remaining work. */
static void recompute(tdm_sim_dev *d)
{
    for (tdm_sim_job *j = d->head; j; j = j->next)
        if (j->state == TDM_SIM_JOB_ACTIVE)
            j->deadline = deadline_of(d, j->remaining);
}

static void link_job(tdm_sim_dev *d, tdm_sim_job *j)
{
    j->prev = 0;
    j->next = d->head;
    if (d->head)
        d->head->prev = j;
    d->head = j;
    j->seq = d->next_seq++;
}

static void unlink_job(tdm_sim_dev *d, tdm_sim_job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        d->head = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->prev = j->next = 0;
}

void tdm_sim_dev_start(tdm_sim_dev *d, tdm_sim_job *j, int64_t t, double work_ns)
{
    advance(d, t);
    j->changes++;
    if (!(work_ns >= 0))
        work_ns = 0;
    if (j->state == TDM_SIM_JOB_IDLE)
        link_job(d, j);
    if (j->state != TDM_SIM_JOB_ACTIVE) {
        j->state = TDM_SIM_JOB_ACTIVE;
        d->active++;
        j->remaining = work_ns;
        recompute(d);
    } else {
        /* k unchanged: only this job's deadline moves, the others stay bit-exact. */
        j->remaining = work_ns;
        j->deadline = deadline_of(d, work_ns);
    }
}

void tdm_sim_dev_wait(tdm_sim_dev *d, tdm_sim_job *j, int64_t t, int64_t deadline)
{
    advance(d, t);
    j->changes++;
    if (j->state == TDM_SIM_JOB_IDLE)
        link_job(d, j);
    bool was_active = j->state == TDM_SIM_JOB_ACTIVE;
    j->state = TDM_SIM_JOB_TIMED;
    j->deadline = deadline < d->t_last ? d->t_last : deadline;
    if (was_active) {
        d->active--;
        recompute(d);
    }
}

void tdm_sim_dev_remove(tdm_sim_dev *d, tdm_sim_job *j, int64_t t)
{
    if (j->state == TDM_SIM_JOB_IDLE)
        return;
    advance(d, t);
    j->changes++;
    bool was_active = j->state == TDM_SIM_JOB_ACTIVE;
    unlink_job(d, j);
    j->state = TDM_SIM_JOB_IDLE;
    if (was_active) {
        d->active--;
        recompute(d);
    }
}

static tdm_sim_job *earliest(const tdm_sim_dev *d)
{
    tdm_sim_job *best = 0;
    for (tdm_sim_job *j = d->head; j; j = j->next)
        if (!best || j->deadline < best->deadline ||
            (j->deadline == best->deadline && j->seq < best->seq))
            best = j;
    return best;
}

int64_t tdm_sim_dev_next_due(const tdm_sim_dev *d)
{
    const tdm_sim_job *j = earliest(d);
    return j ? j->deadline : INT64_MAX;
}

void tdm_sim_dev_run(tdm_sim_dev *d, int64_t now)
{
    for (;;) {
        tdm_sim_job *j = earliest(d);
        if (!j || j->deadline > now)
            break;
        int64_t due = j->deadline;
        advance(d, due);
        if (j->state == TDM_SIM_JOB_ACTIVE)
            j->remaining = 0; /* exactly done, whatever the rounding said */
        uint64_t before = j->changes;
        if (j->fn)
            j->fn(j->ctx, j, due);
        if (j->changes == before) /* the callback neither restarted nor removed it */
            tdm_sim_dev_remove(d, j, due);
    }
    advance(d, now > d->t_last ? now : d->t_last);
}
