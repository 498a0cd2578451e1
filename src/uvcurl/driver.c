/* driver.c — libcurl multi_socket on libuv (see driver.h): only the loop glue. Starting
 * jobs, completions, timeouts and the connection cache are src/curl/multi.c's, the same
 * code the tandem-reactor driver runs. */
#include "uvcurl/driver.h"

#include <curl/curl.h>
#include <stdlib.h>

#include "core/clock.h"
#include "curl/multi.h"

/* How often in-flight calls are checked for first-byte and idle timeouts. A timer that
 * wakes 10 times a second costs nothing measurable and keeps those checks in the core. */
#define TIMEOUT_CHECK_MS 100

struct tdm_uvcurl {
    uv_loop_t *loop;
    tdm_curl_multi m;
    uv_timer_t curl_timer;     /* curl's own timeouts */
    uv_timer_t check_timer;    /* our first-byte / idle timeouts */
    uv_timer_t hold_timer;     /* the next held call's due instant (open-loop arrivals) */
    uv_async_t wake;           /* a workflow step finished, maybe on another loop's thread */
    tdm_uvcurl_job_done_fn on_done;
    void *on_done_ud;
};

typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    tdm_uvcurl *d;
} sock_ctx;

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
    tdm_curl_multi_action(&ctx->d->m, ctx->fd, flags);
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
            curl_multi_assign(d->m.multi, s, NULL);
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
        curl_multi_assign(d->m.multi, s, ctx);
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
    tdm_curl_multi_action(&d->m, CURL_SOCKET_TIMEOUT, 0);
}

static int on_timer_request(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    tdm_uvcurl *d = userp;
    if (timeout_ms < 0) {
        uv_timer_stop(&d->curl_timer);
    } else {
        /* 0 means "as soon as possible". libuv (1.44) runs a 0 ms timer that re-arms itself
         * with 0 again within the same pass, so 1 ms, as curl's multi-uv example does. New
         * calls never wait for it: tdm_curl_multi runs curl for them at once. */
        uv_timer_start(&d->curl_timer, on_curl_timer, timeout_ms ? (uint64_t)timeout_ms : 1, 0);
    }
    return 0;
}

static void on_hold_timer(uv_timer_t *h)
{
    tdm_uvcurl *d = h->data;
    tdm_curl_multi_release_due(&d->m, tdm_now_ns());
}

/* libuv counts whole milliseconds from its cached loop time: rounded up here, and a
 * timer that still fires early finds its call not due and is armed again. */
static void on_hold_request(int64_t due, void *ud)
{
    tdm_uvcurl *d = ud;
    if (due == 0) {
        uv_timer_stop(&d->hold_timer);
        return;
    }
    int64_t wait = due - tdm_now_ns();
    uint64_t ms = wait <= 0 ? 0 : (uint64_t)((wait + 999999) / 1000000);
    uv_timer_start(&d->hold_timer, on_hold_timer, ms, 0);
}

static void on_wake(uv_async_t *h)
{
    tdm_uvcurl *d = h->data;
    if (d->m.held > 0)
        tdm_curl_multi_release_due(&d->m, tdm_now_ns());
}

void tdm_uvcurl_wake(tdm_uvcurl *d)
{
    uv_async_send(&d->wake);
}

static void on_job_done(tdm_agent_job *job, void *ud)
{
    tdm_uvcurl *d = ud;
    if (d->m.active == 0)
        uv_timer_stop(&d->check_timer);
    if (d->on_done)
        d->on_done(job, d->on_done_ud);
}

static void on_check_timer(uv_timer_t *h)
{
    tdm_uvcurl *d = h->data;
    tdm_curl_multi_check_timeouts(&d->m, tdm_now_ns());
}

tdm_uvcurl *tdm_uvcurl_create(uv_loop_t *loop, long buffer_size, size_t max_agents)
{
    tdm_uvcurl *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    if (tdm_curl_multi_init(&d->m, buffer_size, max_agents, on_job_done, d) != 0) {
        free(d);
        return NULL;
    }
    d->loop = loop;
    uv_timer_init(loop, &d->curl_timer);
    uv_timer_init(loop, &d->check_timer);
    uv_timer_init(loop, &d->hold_timer);
    uv_async_init(loop, &d->wake, on_wake);
    d->curl_timer.data = d->check_timer.data = d->hold_timer.data = d->wake.data = d;
    tdm_curl_multi_on_hold(&d->m, on_hold_request, d);
    curl_multi_setopt(d->m.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(d->m.multi, CURLMOPT_SOCKETDATA, d);
    curl_multi_setopt(d->m.multi, CURLMOPT_TIMERFUNCTION, on_timer_request);
    curl_multi_setopt(d->m.multi, CURLMOPT_TIMERDATA, d);
    return d;
}

int tdm_uvcurl_add_job(tdm_uvcurl *d, tdm_agent_job *job, int64_t now)
{
    if (d->m.active == 0)
        uv_timer_start(&d->check_timer, on_check_timer, TIMEOUT_CHECK_MS, TIMEOUT_CHECK_MS);
    int rc = tdm_curl_multi_add_job(&d->m, job, now);
    if (rc != 0 && d->m.active == 0)
        uv_timer_stop(&d->check_timer);
    return rc;
}

void tdm_uvcurl_kick(tdm_uvcurl *d)
{
    tdm_curl_multi_kick(&d->m);
}

void tdm_uvcurl_on_job_done(tdm_uvcurl *d, tdm_uvcurl_job_done_fn fn, void *ud)
{
    d->on_done = fn;
    d->on_done_ud = ud;
}

size_t tdm_uvcurl_active(const tdm_uvcurl *d)
{
    return d->m.active;
}

void tdm_uvcurl_run(tdm_uvcurl *d)
{
    tdm_curl_multi_kick(&d->m);
    while (d->m.active > 0)
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
    tdm_curl_multi_cleanup(&d->m);
    uv_close((uv_handle_t *)&d->curl_timer, NULL);
    uv_close((uv_handle_t *)&d->check_timer, NULL);
    uv_close((uv_handle_t *)&d->hold_timer, NULL);
    uv_close((uv_handle_t *)&d->wake, NULL);
    uv_run(d->loop, UV_RUN_DEFAULT);
    free(d);
}
