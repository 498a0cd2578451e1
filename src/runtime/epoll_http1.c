/* epoll_http1.c — one thread, the tandem reactor (epoll + timerfd) driving tandem's own
 * HTTP/1.1 client: the design standing for the seed's smol runtime with its custom HTTP
 * client, done right (variants smol-1kb and smol-8kb, which differ only in READ_SIZE).
 * Every readable event is exactly one read() of at most the read size, and every byte
 * read goes straight to the parser. Every agent is one keep-alive connection on the one
 * loop, so concurrency comes only from overlapping I/O, as in smol; nothing but our
 * reactor and our client stands between the socket and the core. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/runtime.h"
#include "reactor/reactor.h"
#include "reactorhttp/driver.h"
#include "reactorhttp/transfer.h"
#include "runtime/variant.h"

struct tdm_runtime {
    tdm_reactor *reactor;
    tdm_reactorhttp *driver;
    size_t read_buf;
};

static tdm_runtime *create(const tdm_runtime_config *cfg, char *err, size_t errlen)
{
    tdm_runtime *rt = calloc(1, sizeof *rt);
    if (!rt) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rt->read_buf = cfg->read_buf ? cfg->read_buf : (size_t)TDM_READ_SIZE;
    rt->reactor = tdm_reactor_create();
    if (!rt->reactor) {
        snprintf(err, errlen, "cannot create the epoll reactor: %s", strerror(errno));
        free(rt);
        return NULL;
    }
    rt->driver = tdm_reactorhttp_create(rt->reactor, rt->read_buf, cfg->scenario->n_agents);
    if (!rt->driver) {
        snprintf(err, errlen, "out of memory");
        tdm_reactor_destroy(rt->reactor);
        free(rt);
        return NULL;
    }
    return rt;
}

/* A workflow step finished (core/job.h): the driver asks its held calls again. */
static void wake(void *ud)
{
    tdm_reactorhttp_wake((tdm_reactorhttp *)ud);
}

static int run_jobs(tdm_runtime *rt, tdm_agent_job *jobs, size_t n, int64_t *t_release, char *err, size_t errlen)
{
    /* Every agent's first request is issued before the reactor turns once, so all are
     * released in the same loop iteration. */
    int64_t now = tdm_now_ns();
    *t_release = now;
    tdm_jobs_released(jobs, n, now);
    tdm_jobs_on_change(jobs, n, wake, rt->driver);
    for (size_t i = 0; i < n; i++) {
        if (tdm_reactorhttp_add_job(rt->driver, &jobs[i], now) != 0) {
            snprintf(err, errlen, "cannot start agent %d's calls", jobs[i].agent_index);
            tdm_reactorhttp_run(rt->driver); /* let the ones already started finish */
            return -1;
        }
    }
    if (tdm_reactorhttp_run(rt->driver) != 0) {
        snprintf(err, errlen, "the reactor failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static json_t *describe(tdm_runtime *rt)
{
    return json_pack("{s:s, s:i, s:s, s:s, s:I, s:{s:s, s:I, s:s, s:s}, s:s}", "runtime",
                     "one thread, the tandem reactor driving tandem's own HTTP/1.1 client (smol analog)", "threads", 1,
                     "loop", "tdm_reactor (epoll+timerfd)", "http_client", "tandem http1", "buffer_size",
                     (json_int_t)rt->read_buf, "http", "client", "tandem http1", "buffer_size", (json_int_t)rt->read_buf,
                     "reads", "one read() of at most buffer_size bytes per readable event, all bytes parsed at once",
                     "connections", "one keep-alive connection per agent, kept across calls and phases", "wakeups",
                     "counted: the reactor counts every epoll_wait return (wakeups), fd callback, timer fire, "
                     "epoll_ctl and timerfd_settime; provenance runtime_stats has the counts once the runs are over");
}

static json_t *run_stats(tdm_runtime *rt)
{
    tdm_http1_conn_stats st;
    tdm_reactorhttp_stats(rt->driver, &st);
    return json_pack("{s:o, s:o}", "reactor_stats", tdm_reactor_stats_json(rt->reactor), "http_stats",
                     tdm_h1call_stats_json(&st));
}

static void destroy(tdm_runtime *rt)
{
    if (!rt)
        return;
    tdm_reactorhttp_destroy(rt->driver);
    tdm_reactor_destroy(rt->reactor);
    free(rt);
}

const tdm_runtime_ops tdm_variant_runtime = {
    .variant = TDM_VARIANT_NAME,
    .summary = TDM_VARIANT_SUMMARY,
    .create = create,
    .run_jobs = run_jobs,
    .fetch = tdm_h1call_fetch_op,
    .describe = describe,
    .run_stats = run_stats,
    .destroy = destroy,
};
