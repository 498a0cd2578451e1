/* driver.c — libcurl multi_socket on the tandem reactor (see driver.h). */
#include "reactorcurl/driver.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>

#include "core/clock.h"
#include "curl/transfer.h"

/* How often in-flight calls are checked for first-byte and idle timeouts: the same
 * 100 ms as the libuv driver, so the two loops differ in nothing but the loop. */
#define TIMEOUT_CHECK_NS (100 * 1000000LL)

struct tdm_reactorcurl {
    tdm_reactor *r;
    CURLM *multi;
    tdm_reactor_timer curl_timer;  /* curl's own timeouts (CURLMOPT_TIMERFUNCTION) */
    tdm_reactor_timer check_timer; /* our first-byte / idle timeouts */
    long buffer_size;
    tdm_curl_transfer *transfers;  /* one per agent index, reused across phases */
    size_t max_agents;
    size_t active;
};

static void check_done(tdm_reactorcurl *d);

static void on_fd(tdm_reactor *r, int fd, unsigned events, void *ud)
{
    (void)r;
    tdm_reactorcurl *d = ud;
    int flags = ((events & TDM_REACTOR_READ) ? CURL_CSELECT_IN : 0) |
                ((events & TDM_REACTOR_WRITE) ? CURL_CSELECT_OUT : 0) |
                ((events & TDM_REACTOR_ERROR) ? CURL_CSELECT_ERR : 0);
    int running;
    curl_multi_socket_action(d->multi, fd, flags, &running);
    check_done(d);
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
    int running;
    curl_multi_socket_action(d->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(d);
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

static void job_done(tdm_reactorcurl *d)
{
    if (--d->active == 0)
        tdm_reactor_timer_stop(d->r, &d->check_timer);
}

static void start_or_finish(tdm_reactorcurl *d, tdm_curl_transfer *t, int64_t now)
{
    if (tdm_curl_transfer_next(t, now)) {
        if (curl_multi_add_handle(d->multi, t->easy) == CURLM_OK)
            return;
        /* Cannot happen with a fresh easy handle; settle rather than hang. */
        tdm_call_fail(&t->call, TDM_ERR_INTERNAL, now, "curl_multi_add_handle failed");
        if (tdm_curl_transfer_done(t, CURLE_FAILED_INIT, now)) {
            start_or_finish(d, t, now);
            return;
        }
        job_done(d);
        return;
    }
    tdm_job_call_finished(t->job, now);
    job_done(d);
}

static void finish_transfer(tdm_reactorcurl *d, tdm_curl_transfer *t, CURLcode rc, int64_t now)
{
    curl_multi_remove_handle(d->multi, t->easy);
    if (tdm_curl_transfer_done(t, rc, now))
        start_or_finish(d, t, now);
    else
        job_done(d);
}

/* Drains every finished transfer after each action: curl reports a transfer's end only
 * here, and a message left unread would leave its agent waiting forever. */
static void check_done(tdm_reactorcurl *d)
{
    CURLMsg *msg;
    int pending;
    while ((msg = curl_multi_info_read(d->multi, &pending)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        tdm_curl_transfer *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        if (t)
            finish_transfer(d, t, msg->data.result, tdm_now_ns());
    }
}

static void on_check_timer(tdm_reactor *r, tdm_reactor_timer *tm, void *ud)
{
    (void)r;
    (void)tm;
    tdm_reactorcurl *d = ud;
    int64_t now = tdm_now_ns();
    for (size_t i = 0; i < d->max_agents; i++) {
        tdm_curl_transfer *t = &d->transfers[i];
        if (t->active && tdm_call_check_timeouts(&t->call, now))
            finish_transfer(d, t, CURLE_OPERATION_TIMEDOUT, now);
    }
}

tdm_reactorcurl *tdm_reactorcurl_create(tdm_reactor *r, long buffer_size, size_t max_agents)
{
    tdm_reactorcurl *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->transfers = calloc(max_agents ? max_agents : 1, sizeof *d->transfers);
    d->multi = curl_multi_init();
    if (!d->transfers || !d->multi) {
        free(d->transfers);
        if (d->multi)
            curl_multi_cleanup(d->multi);
        free(d);
        return NULL;
    }
    d->r = r;
    d->buffer_size = buffer_size;
    d->max_agents = max_agents;
    curl_multi_setopt(d->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(d->multi, CURLMOPT_SOCKETDATA, d);
    curl_multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, on_timer_request);
    curl_multi_setopt(d->multi, CURLMOPT_TIMERDATA, d);
    return d;
}

int tdm_reactorcurl_add_job(tdm_reactorcurl *d, tdm_agent_job *job, int64_t now)
{
    if (job->agent_index < 0 || (size_t)job->agent_index >= d->max_agents)
        return -1;
    tdm_curl_transfer *t = &d->transfers[job->agent_index];
    if (!t->easy && tdm_curl_transfer_init(t, job, d->buffer_size) != 0) {
        tdm_curl_transfer_cleanup(t);
        return -1;
    }
    t->job = job;
    if (d->active++ == 0 &&
        tdm_reactor_timer_start(d->r, &d->check_timer, TIMEOUT_CHECK_NS, TIMEOUT_CHECK_NS, on_check_timer, d) != 0) {
        d->active--;
        return -1;
    }
    start_or_finish(d, t, now);
    return 0;
}

size_t tdm_reactorcurl_active(const tdm_reactorcurl *d)
{
    return d->active;
}

int tdm_reactorcurl_run(tdm_reactorcurl *d)
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

void tdm_reactorcurl_destroy(tdm_reactorcurl *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->max_agents; i++) {
        tdm_curl_transfer *t = &d->transfers[i];
        if (t->active)
            curl_multi_remove_handle(d->multi, t->easy);
        tdm_curl_transfer_cleanup(t);
    }
    /* May call on_socket(REMOVE) for cached connections and the timer callback: the
     * reactor is still there for both. */
    curl_multi_cleanup(d->multi);
    tdm_reactor_timer_stop(d->r, &d->curl_timer);
    tdm_reactor_timer_stop(d->r, &d->check_timer);
    free(d->transfers);
    free(d);
}
