/* driver.c — libcurl multi_socket on the tandem reactor (see driver.h): only the loop
 * glue. Starting jobs, completions, timeouts and the connection cache are
 * src/curl/multi.c's, the same code the libuv driver runs. */
#include "reactorcurl/driver.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>

#include "core/clock.h"
#include "curl/multi.h"

/* How often in-flight calls are checked for first-byte and idle timeouts: the same
 * 100 ms as the libuv driver, so the two loops differ in nothing but the loop. */
#define TIMEOUT_CHECK_NS (100 * 1000000LL)

struct tdm_reactorcurl {
    tdm_reactor *r;
    tdm_curl_multi m;
    tdm_reactor_timer curl_timer;  /* curl's own timeouts (CURLMOPT_TIMERFUNCTION) */
    tdm_reactor_timer check_timer; /* our first-byte / idle timeouts */
    tdm_reactor_timer hold_timer;  /* the next held call's due instant (open-loop arrivals) */
    tdm_reactor_timer wake_timer;  /* a workflow step finished: ask the held calls again */
};

static void on_fd(tdm_reactor *r, int fd, unsigned events, void *ud)
{
    (void)r;
    tdm_reactorcurl *d = ud;
    int flags = ((events & TDM_REACTOR_READ) ? CURL_CSELECT_IN : 0) |
                ((events & TDM_REACTOR_WRITE) ? CURL_CSELECT_OUT : 0) |
                ((events & TDM_REACTOR_ERROR) ? CURL_CSELECT_ERR : 0);
    tdm_curl_multi_action(&d->m, fd, flags);
}

/* CURLMOPT_SOCKETFUNCTION. The reactor keeps the callback and user pointer per fd, so
 * no per-socket context (curl_multi_assign) is needed; watch_fd is EPOLL_CTL_MOD when
 * the fd is already registered. */
static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)e;
    (void)socketp;
    tdm_reactorcurl *d = userp;
    if (what == CURL_POLL_REMOVE) {
        if (tdm_reactor_has_fd(d->r, s))
            tdm_reactor_remove_fd(d->r, s);
        return 0;
    }
    unsigned events = ((what & CURL_POLL_IN) ? TDM_REACTOR_READ : 0u) | ((what & CURL_POLL_OUT) ? TDM_REACTOR_WRITE : 0u);
    /* -1 makes curl fail the transfers on this socket rather than wait forever. */
    return tdm_reactor_watch_fd(d->r, s, events, on_fd, d) == 0 ? 0 : -1;
}

static void on_curl_timer(tdm_reactor *r, tdm_reactor_timer *t, void *ud)
{
    (void)r;
    (void)t;
    tdm_reactorcurl *d = ud;
    tdm_curl_multi_action(&d->m, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: one timer per multi handle. A delay of 0 means "as soon as
 * possible", which the reactor runs on its next iteration — never from inside this call
 * chain, which curl forbids. */
static int on_timer_request(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    tdm_reactorcurl *d = userp;
    if (timeout_ms < 0) {
        tdm_reactor_timer_stop(d->r, &d->curl_timer);
        return 0;
    }
    return tdm_reactor_timer_start(d->r, &d->curl_timer, (int64_t)timeout_ms * 1000000LL, 0, on_curl_timer, d) == 0
               ? 0
               : -1;
}

static void on_hold_timer(tdm_reactor *r, tdm_reactor_timer *tm, void *ud)
{
    (void)r;
    (void)tm;
    tdm_reactorcurl *d = ud;
    tdm_curl_multi_release_due(&d->m, tdm_now_ns());
}

/* If the timer cannot be armed (the timerfd failed), the call is released on the next
 * timeout check instead: late, and its record shows how late, but never lost. */
static void on_hold_request(int64_t due, void *ud)
{
    tdm_reactorcurl *d = ud;
    if (due == 0) {
        tdm_reactor_timer_stop(d->r, &d->hold_timer);
        return;
    }
    int64_t wait = due - tdm_now_ns();
    tdm_reactor_timer_start(d->r, &d->hold_timer, wait > 0 ? wait : 0, 0, on_hold_timer, d);
}

/* Called from inside the loop's own callbacks (a call just ended), so it only schedules:
 * a timer due at once runs the release on the next loop iteration. */
void tdm_reactorcurl_wake(tdm_reactorcurl *d)
{
    if (d->m.held > 0 && !tdm_reactor_timer_active(&d->wake_timer))
        tdm_reactor_timer_start(d->r, &d->wake_timer, 0, 0, on_hold_timer, d);
}

static void on_job_done(tdm_agent_job *job, void *ud)
{
    (void)job;
    tdm_reactorcurl *d = ud;
    if (d->m.active == 0)
        tdm_reactor_timer_stop(d->r, &d->check_timer);
}

static void on_check_timer(tdm_reactor *r, tdm_reactor_timer *tm, void *ud)
{
    (void)r;
    (void)tm;
    tdm_reactorcurl *d = ud;
    tdm_curl_multi_check_timeouts(&d->m, tdm_now_ns());
}

tdm_reactorcurl *tdm_reactorcurl_create(tdm_reactor *r, long buffer_size, size_t max_agents)
{
    tdm_reactorcurl *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    if (tdm_curl_multi_init(&d->m, buffer_size, max_agents, on_job_done, d) != 0) {
        free(d);
        return NULL;
    }
    d->r = r;
    tdm_curl_multi_on_hold(&d->m, on_hold_request, d);
    curl_multi_setopt(d->m.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(d->m.multi, CURLMOPT_SOCKETDATA, d);
    curl_multi_setopt(d->m.multi, CURLMOPT_TIMERFUNCTION, on_timer_request);
    curl_multi_setopt(d->m.multi, CURLMOPT_TIMERDATA, d);
    return d;
}

int tdm_reactorcurl_add_job(tdm_reactorcurl *d, tdm_agent_job *job, int64_t now)
{
    if (d->m.active == 0 &&
        tdm_reactor_timer_start(d->r, &d->check_timer, TIMEOUT_CHECK_NS, TIMEOUT_CHECK_NS, on_check_timer, d) != 0)
        return -1;
    int rc = tdm_curl_multi_add_job(&d->m, job, now);
    if (rc != 0 && d->m.active == 0)
        tdm_reactor_timer_stop(d->r, &d->check_timer);
    return rc;
}

void tdm_reactorcurl_kick(tdm_reactorcurl *d)
{
    tdm_curl_multi_kick(&d->m);
}

size_t tdm_reactorcurl_active(const tdm_reactorcurl *d)
{
    return d->m.active;
}

int tdm_reactorcurl_run(tdm_reactorcurl *d)
{
    tdm_curl_multi_kick(&d->m);
    while (d->m.active > 0) {
        int rc = tdm_reactor_run_once(d->r, true);
        if (rc < 0)
            return -1;
        if (rc == 0 && d->m.active > 0) {
            /* Nothing left to wait for yet a job is unfinished: never spin or hang. */
            errno = EDEADLK;
            return -1;
        }
    }
    return 0;
}

void tdm_reactorcurl_destroy(tdm_reactorcurl *d)
{
    if (!d)
        return;
    /* May call on_socket(REMOVE) for cached connections and the timer callback: the
     * reactor is still there for both. */
    tdm_curl_multi_cleanup(&d->m);
    tdm_reactor_timer_stop(d->r, &d->curl_timer);
    tdm_reactor_timer_stop(d->r, &d->check_timer);
    tdm_reactor_timer_stop(d->r, &d->hold_timer);
    tdm_reactor_timer_stop(d->r, &d->wake_timer);
    free(d);
}
