/* epoll_curl.c — one thread, the tandem reactor (epoll + timerfd) driving libcurl's
 * multi_socket API: the design standing for Rust's smol with its default HTTP stack
 * (variants smol and curl-1kb, which differ only in libcurl's receive buffer,
 * CURLOPT_BUFFERSIZE = READ_SIZE). Like uv_single_curl.c, every agent is a transfer on
 * the one loop, so concurrency comes only from overlapping I/O; unlike it, the loop is
 * our own few hundred lines of epoll + timerfd rather than libuv. `diff epoll_curl.c
 * epoll_http1.c` is the HTTP client as treatment. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/runtime.h"
#include "curl/transfer.h"
#include "reactor/reactor.h"
#include "reactorcurl/driver.h"
#include "runtime/variant.h"

struct tdm_runtime {
    tdm_reactor *reactor;
    tdm_reactorcurl *driver;
    long buffer_size;
};

static tdm_runtime *create(const tdm_runtime_config *cfg, char *err, size_t errlen)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init failed");
        return NULL;
    }
    tdm_runtime *rt = calloc(1, sizeof *rt);
    if (!rt) {
        curl_global_cleanup();
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rt->buffer_size = cfg->read_buf ? (long)cfg->read_buf : (long)TDM_READ_SIZE;
    /* libcurl quietly clamps CURLOPT_BUFFERSIZE to [1024, CURL_MAX_READ_SIZE]; clamp here
     * so describe() records the size that really runs. */
    if (rt->buffer_size < 1024)
        rt->buffer_size = 1024;
    if (rt->buffer_size > CURL_MAX_READ_SIZE)
        rt->buffer_size = CURL_MAX_READ_SIZE;
    rt->reactor = tdm_reactor_create();
    if (!rt->reactor) {
        snprintf(err, errlen, "cannot create the epoll reactor: %s", strerror(errno));
        free(rt);
        curl_global_cleanup();
        return NULL;
    }
    rt->driver = tdm_reactorcurl_create(rt->reactor, rt->buffer_size, cfg->scenario->n_agents);
    if (!rt->driver) {
        snprintf(err, errlen, "cannot create the libcurl multi handle");
        tdm_reactor_destroy(rt->reactor);
        free(rt);
        curl_global_cleanup();
        return NULL;
    }
    return rt;
}

/* A workflow step finished (core/job.h): the driver asks its held calls again. */
static void wake(void *ud)
{
    tdm_reactorcurl_wake((tdm_reactorcurl *)ud);
}

static int run_jobs(tdm_runtime *rt, tdm_agent_job *jobs, size_t n, int64_t *t_release, char *err, size_t errlen)
{
    /* Every agent's first transfer is added, then tdm_reactorcurl_run runs curl once for
     * all of them: every request is written in that one pass, before the reactor waits. */
    int64_t now = tdm_now_ns();
    *t_release = now;
    tdm_jobs_released(jobs, n, now);
    tdm_jobs_on_change(jobs, n, wake, rt->driver);
    for (size_t i = 0; i < n; i++) {
        if (tdm_reactorcurl_add_job(rt->driver, &jobs[i], now) != 0) {
            snprintf(err, errlen, "cannot start agent %d's transfer", jobs[i].agent_index);
            /* Let the ones already started finish: their records stay consistent. */
            tdm_reactorcurl_run(rt->driver);
            return -1;
        }
    }
    if (tdm_reactorcurl_run(rt->driver) != 0) {
        snprintf(err, errlen, "the reactor failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static json_t *describe(tdm_runtime *rt)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    char client[128];
    snprintf(client, sizeof client, "libcurl %s", v->version);
    return json_pack("{s:s, s:i, s:s, s:s, s:I, s:o, s:s}", "runtime",
                     "one thread, the tandem reactor driving libcurl multi_socket (smol analog)", "threads", 1,
                     "loop", "tdm_reactor (epoll+timerfd)", "http_client", client, "buffer_size",
                     (json_int_t)rt->buffer_size, "http", tdm_curl_describe(rt->buffer_size), "wakeups",
                     "counted: the reactor counts every epoll_wait return (wakeups), fd callback, timer fire, "
                     "epoll_ctl and timerfd_settime; provenance runtime_stats has the counts once the runs are over");
}

static json_t *run_stats(tdm_runtime *rt)
{
    return json_pack("{s:o}", "reactor_stats", tdm_reactor_stats_json(rt->reactor));
}

static void destroy(tdm_runtime *rt)
{
    if (!rt)
        return;
    tdm_reactorcurl_destroy(rt->driver);
    tdm_reactor_destroy(rt->reactor);
    free(rt);
    curl_global_cleanup();
}

const tdm_runtime_ops tdm_variant_runtime = {
    .variant = TDM_VARIANT_NAME,
    .summary = TDM_VARIANT_SUMMARY,
    .create = create,
    .run_jobs = run_jobs,
    .fetch = tdm_curl_fetch_op,
    .describe = describe,
    .run_stats = run_stats,
    .destroy = destroy,
};
