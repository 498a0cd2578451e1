/* driver.c — libcurl multi_socket on libuv (see driver.h). */
#include "uvcurl/driver.h"

#include <curl/curl.h>
#include <stdlib.h>

#include "core/clock.h"
#include "curl/transfer.h"

/* How often in-flight calls are checked for first-byte and idle timeouts. A timer that
 * wakes 10 times a second costs nothing measurable and keeps those checks in the core. */
#define TIMEOUT_CHECK_MS 100

struct tdm_uvcurl {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t curl_timer;     /* curl's own timeouts */
    uv_timer_t check_timer;    /* our first-byte / idle timeouts */
    long buffer_size;
    tdm_curl_transfer *transfers; /* one per agent index, reused across phases */
    size_t max_agents;
    size_t active;
    tdm_uvcurl_job_done_fn on_done;
    void *on_done_ud;
};

typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    tdm_uvcurl *d;
} sock_ctx;

static void check_done(tdm_uvcurl *d);

static void on_close_free(uv_handle_t *h)
{
    free(h->data);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    sock_ctx *ctx = h->data;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(ctx->d->multi, ctx->fd, flags, &running);
    check_done(ctx->d);
}

static int on_socket(CURL *e, curl_socket_t s, int action, void *userp, void *socketp)
{
    (void)e;
    tdm_uvcurl *d = userp;
    sock_ctx *ctx = socketp;
    if (action == CURL_POLL_REMOVE) {
        if (ctx) {
            uv_poll_stop(&ctx->poll);
            uv_close((uv_handle_t *)&ctx->poll, on_close_free);
            curl_multi_assign(d->multi, s, NULL);
        }
        return 0;
    }
    if (!ctx) {
        ctx = calloc(1, sizeof *ctx);
        if (!ctx)
            return -1;
        ctx->fd = s;
        ctx->d = d;
        if (uv_poll_init_socket(d->loop, &ctx->poll, s) != 0) {
            free(ctx);
            return -1;
        }
        ctx->poll.data = ctx;
        curl_multi_assign(d->multi, s, ctx);
    }
    int events = 0;
    if (action == CURL_POLL_IN || action == CURL_POLL_INOUT)
        events |= UV_READABLE;
    if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT)
        events |= UV_WRITABLE;
    uv_poll_start(&ctx->poll, events, on_poll);
    return 0;
}

static void on_curl_timer(uv_timer_t *h)
{
    tdm_uvcurl *d = h->data;
    int running;
    curl_multi_socket_action(d->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(d);
}

static int on_timer_request(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    tdm_uvcurl *d = userp;
    if (timeout_ms < 0) {
        uv_timer_stop(&d->curl_timer);
    } else {
        /* 0 means "as soon as possible"; a 0 ms uv timer would run inside this very
         * call chain's loop iteration, 1 ms is the documented safe choice. */
        uv_timer_start(&d->curl_timer, on_curl_timer, timeout_ms ? (uint64_t)timeout_ms : 1, 0);
    }
    return 0;
}

static void job_done(tdm_uvcurl *d, tdm_curl_transfer *t)
{
    d->active--;
    if (d->active == 0)
        uv_timer_stop(&d->check_timer);
    if (d->on_done)
        d->on_done(t->job, d->on_done_ud);
}

static void start_or_finish(tdm_uvcurl *d, tdm_curl_transfer *t, int64_t now)
{
    if (tdm_curl_transfer_next(t, now)) {
        curl_multi_add_handle(d->multi, t->easy);
        return;
    }
    tdm_job_call_finished(t->job, now);
    job_done(d, t);
}

static void finish_transfer(tdm_uvcurl *d, tdm_curl_transfer *t, CURLcode rc, int64_t now)
{
    curl_multi_remove_handle(d->multi, t->easy);
    if (tdm_curl_transfer_done(t, rc, now))
        start_or_finish(d, t, now);
    else
        job_done(d, t);
}

static void check_done(tdm_uvcurl *d)
{
    CURLMsg *msg;
    int pending;
    while ((msg = curl_multi_info_read(d->multi, &pending)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        tdm_curl_transfer *t;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        finish_transfer(d, t, msg->data.result, tdm_now_ns());
    }
}

static void on_check_timer(uv_timer_t *h)
{
    tdm_uvcurl *d = h->data;
    int64_t now = tdm_now_ns();
    for (size_t i = 0; i < d->max_agents; i++) {
        tdm_curl_transfer *t = &d->transfers[i];
        if (t->active && tdm_call_check_timeouts(&t->call, now))
            finish_transfer(d, t, CURLE_OPERATION_TIMEDOUT, now);
    }
}

tdm_uvcurl *tdm_uvcurl_create(uv_loop_t *loop, long buffer_size, size_t max_agents)
{
    tdm_uvcurl *d = calloc(1, sizeof *d);
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
    d->loop = loop;
    d->buffer_size = buffer_size;
    d->max_agents = max_agents;
    uv_timer_init(loop, &d->curl_timer);
    uv_timer_init(loop, &d->check_timer);
    d->curl_timer.data = d->check_timer.data = d;
    curl_multi_setopt(d->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(d->multi, CURLMOPT_SOCKETDATA, d);
    curl_multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, on_timer_request);
    curl_multi_setopt(d->multi, CURLMOPT_TIMERDATA, d);
    return d;
}

int tdm_uvcurl_add_job(tdm_uvcurl *d, tdm_agent_job *job, int64_t now)
{
    if ((size_t)job->agent_index >= d->max_agents)
        return -1;
    tdm_curl_transfer *t = &d->transfers[job->agent_index];
    if (!t->easy && tdm_curl_transfer_init(t, job, d->buffer_size) != 0)
        return -1;
    t->job = job;
    if (d->active++ == 0)
        uv_timer_start(&d->check_timer, on_check_timer, TIMEOUT_CHECK_MS, TIMEOUT_CHECK_MS);
    start_or_finish(d, t, now);
    return 0;
}

void tdm_uvcurl_on_job_done(tdm_uvcurl *d, tdm_uvcurl_job_done_fn fn, void *ud)
{
    d->on_done = fn;
    d->on_done_ud = ud;
}

size_t tdm_uvcurl_active(const tdm_uvcurl *d)
{
    return d->active;
}

void tdm_uvcurl_run(tdm_uvcurl *d)
{
    while (d->active > 0)
        uv_run(d->loop, UV_RUN_ONCE);
}

void tdm_uvcurl_run_once(tdm_uvcurl *d)
{
    uv_run(d->loop, UV_RUN_ONCE);
}

void tdm_uvcurl_destroy(tdm_uvcurl *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->max_agents; i++) {
        tdm_curl_transfer *t = &d->transfers[i];
        if (t->active)
            curl_multi_remove_handle(d->multi, t->easy);
        tdm_curl_transfer_cleanup(t);
    }
    curl_multi_cleanup(d->multi); /* may call on_socket(REMOVE) for cached connections */
    uv_close((uv_handle_t *)&d->curl_timer, NULL);
    uv_close((uv_handle_t *)&d->check_timer, NULL);
    uv_run(d->loop, UV_RUN_DEFAULT);
    free(d->transfers);
    free(d);
}
