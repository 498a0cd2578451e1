/* driver.c — tandem's HTTP/1.1 client on the tandem reactor (see driver.h). */
#include "reactorhttp/driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/interrupt.h"
#include "reactorhttp/transfer.h"

/* How often in-flight calls are checked for timeouts: the same 100 ms as the curl
 * drivers, so the variants' loops wake for the same reasons. */
#define TIMEOUT_CHECK_NS (100 * 1000000LL)

typedef struct slot {
    tdm_h1call xfer;
    tdm_reactorhttp *d;
    bool initialised;
    int watch_errno;        /* the reactor refused the connection's fd (0: fine) */
    bool held;              /* the agent's next call is not due yet: hold_timer runs, or */
    bool awaits_step;       /* it waits for another agent's step (tdm_reactorhttp_wake) */
    tdm_reactor_timer hold_timer;
} slot;

struct tdm_reactorhttp {
    tdm_reactor *r;
    size_t read_buf;
    slot *slots;            /* one per agent index, reused across phases */
    size_t max_agents;
    size_t active;
    tdm_reactor_timer check_timer;
    tdm_reactor_timer wake_timer;  /* a workflow step finished: ask the held calls again */
};

static void on_fd(tdm_reactor *r, int fd, unsigned events, void *ud)
{
    (void)r;
    slot *s = ud;
    tdm_h1call_ready(&s->xfer, fd, events);
}

/* The connection's interest changed: the shape of curl's socket callback. */
static void on_watch(void *ud, int fd, unsigned want)
{
    slot *s = ud;
    tdm_reactor *r = s->d->r;
    if (want & TDM_HTTP1_WANT_REMOVE) {
        if (tdm_reactor_has_fd(r, fd))
            tdm_reactor_remove_fd(r, fd);
        return;
    }
    /* Failing here cannot be reported from inside the conn; the timeout timer aborts the
     * call on its next tick instead of letting it wait for events that never come. */
    if (tdm_reactor_watch_fd(r, fd, want & (TDM_REACTOR_READ | TDM_REACTOR_WRITE), on_fd, s) != 0)
        s->watch_errno = errno ? errno : EIO;
}

static void on_hold_timer(tdm_reactor *r, tdm_reactor_timer *tm, void *ud)
{
    (void)r;
    (void)tm;
    slot *s = ud;
    s->held = false;
    tdm_h1call_resume(&s->xfer, tdm_now_ns());
}

/* If the timer cannot be armed (the timerfd failed), the call is released on the next
 * timeout check instead: late, and its record shows how late, but never lost. A call
 * waiting for another agent's step needs no timer: tdm_reactorhttp_wake comes. */
static void on_hold(tdm_h1call *t, int64_t due, void *ud)
{
    slot *s = t->owner;
    tdm_reactorhttp *d = ud;
    s->held = true;
    s->awaits_step = due == TDM_JOB_WAIT;
    tdm_reactor_timer_stop(d->r, &s->hold_timer);
    if (s->awaits_step)
        return;
    int64_t wait = due - tdm_now_ns();
    tdm_reactor_timer_start(d->r, &s->hold_timer, wait > 0 ? wait : 0, 0, on_hold_timer, s);
}

static void on_wake_timer(tdm_reactor *r, tdm_reactor_timer *tm, void *ud)
{
    (void)r;
    (void)tm;
    tdm_reactorhttp *d = ud;
    int64_t now = tdm_now_ns();
    for (size_t i = 0; i < d->max_agents; i++) {
        slot *s = &d->slots[i];
        if (s->initialised && s->held && s->awaits_step) {
            s->held = false;
            tdm_h1call_resume(&s->xfer, now); /* held again at once if still not due */
        }
    }
}

/* Called from inside the connections' callbacks (a call just ended), so it only
 * schedules: a timer due at once asks the held calls on the next loop iteration. */
void tdm_reactorhttp_wake(tdm_reactorhttp *d)
{
    if (!tdm_reactor_timer_active(&d->wake_timer))
        tdm_reactor_timer_start(d->r, &d->wake_timer, 0, 0, on_wake_timer, d);
}

static void on_job_done(tdm_h1call *t, void *ud)
{
    (void)t;
    tdm_reactorhttp *d = ud;
    if (--d->active == 0)
        tdm_reactor_timer_stop(d->r, &d->check_timer);
}

static void on_check_timer(tdm_reactor *r, tdm_reactor_timer *tm, void *ud)
{
    (void)r;
    (void)tm;
    tdm_reactorhttp *d = ud;
    int64_t now = tdm_now_ns();
    bool stopping = tdm_interrupt_requested();
    for (size_t i = 0; i < d->max_agents; i++) {
        slot *s = &d->slots[i];
        if (s->initialised && s->held &&
            (stopping || (!s->awaits_step && !tdm_reactor_timer_active(&s->hold_timer)))) {
            /* After an interrupt a held call ends now, as not run; and a hold whose timer
             * could not be armed is not left waiting. */
            tdm_reactor_timer_stop(d->r, &s->hold_timer);
            s->held = false;
            tdm_h1call_resume(&s->xfer, now);
        }
        if (!s->initialised || !s->xfer.active)
            continue;
        if (s->watch_errno) {
            char msg[160];
            snprintf(msg, sizeof msg, "the reactor cannot watch the connection's socket: %s", strerror(s->watch_errno));
            s->watch_errno = 0;
            tdm_h1call_abort(&s->xfer, msg);
            continue;
        }
        tdm_h1call_check_timeouts(&s->xfer, now);
    }
}

tdm_reactorhttp *tdm_reactorhttp_create(tdm_reactor *r, size_t read_buf, size_t max_agents)
{
    tdm_reactorhttp *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->slots = calloc(max_agents ? max_agents : 1, sizeof *d->slots);
    if (!d->slots) {
        free(d);
        return NULL;
    }
    d->r = r;
    d->read_buf = read_buf ? read_buf : TDM_HTTP1_DEFAULT_READ_BUF;
    d->max_agents = max_agents;
    return d;
}

int tdm_reactorhttp_add_job(tdm_reactorhttp *d, tdm_agent_job *job, int64_t now)
{
    if (job->agent_index < 0 || (size_t)job->agent_index >= d->max_agents)
        return -1;
    slot *s = &d->slots[job->agent_index];
    if (!s->initialised) {
        tdm_http1_conn_opts opts = {.read_buf = d->read_buf, .watch = on_watch, .watch_ud = s};
        tdm_h1call_init(&s->xfer, &opts, on_job_done, d);
        tdm_h1call_on_hold(&s->xfer, on_hold);
        s->xfer.owner = s;
        s->d = d;
        s->initialised = true;
    }
    if (d->active++ == 0 &&
        tdm_reactor_timer_start(d->r, &d->check_timer, TIMEOUT_CHECK_NS, TIMEOUT_CHECK_NS, on_check_timer, d) != 0) {
        d->active--;
        return -1;
    }
    tdm_h1call_start_job(&s->xfer, job, now);
    return 0;
}

size_t tdm_reactorhttp_active(const tdm_reactorhttp *d)
{
    return d->active;
}

int tdm_reactorhttp_run(tdm_reactorhttp *d)
{
    while (d->active > 0) {
        int rc = tdm_reactor_run_once(d->r, true);
        if (rc < 0)
            return -1;
        if (rc == 0 && d->active > 0) {
            /* Nothing left to wait for yet a job is unfinished: never spin or hang. */
            errno = EDEADLK;
            return -1;
        }
    }
    return 0;
}

void tdm_reactorhttp_stats(const tdm_reactorhttp *d, tdm_http1_conn_stats *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < d->max_agents; i++)
        if (d->slots[i].initialised)
            tdm_h1call_add_stats(&d->slots[i].xfer, out);
}

void tdm_reactorhttp_destroy(tdm_reactorhttp *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->max_agents; i++)
        if (d->slots[i].initialised) {
            tdm_reactor_timer_stop(d->r, &d->slots[i].hold_timer);
            tdm_h1call_cleanup(&d->slots[i].xfer); /* its watcher removes the fd */
        }
    tdm_reactor_timer_stop(d->r, &d->check_timer);
    tdm_reactor_timer_stop(d->r, &d->wake_timer);
    free(d->slots);
    free(d);
}
