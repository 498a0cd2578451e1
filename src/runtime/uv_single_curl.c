/* uv_single_curl.c — one thread, one libuv loop, one libcurl multi handle: the design
 * standing for tokio's single-threaded LocalSet (variant tokio-localset).
 *
 * One thread runs one libuv loop that drives one libcurl multi handle through
 * multi_socket (uv_poll per socket, one uv_timer for curl). Every agent is a set of
 * transfers on that loop, so all agents share one thread and nothing runs in parallel
 * on the client: concurrency comes only from overlapping I/O. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "core/clock.h"
#include "core/runtime.h"
#include "curl/transfer.h"
#include "uvcurl/driver.h"
#include "runtime/variant.h"

struct tdm_runtime {
    uv_loop_t loop;
    tdm_uvcurl *driver;
    long buffer_size;
};

static tdm_runtime *create(const tdm_runtime_config *cfg, char *err, size_t errlen)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init failed");
        return NULL;
    }
    tdm_runtime *rt = calloc(1, sizeof *rt);
    if (!rt || uv_loop_init(&rt->loop) != 0) {
        free(rt);
        snprintf(err, errlen, "cannot create the libuv loop");
        return NULL;
    }
    rt->buffer_size = cfg->read_buf ? (long)cfg->read_buf : (long)TDM_READ_SIZE;
    rt->driver = tdm_uvcurl_create(&rt->loop, rt->buffer_size, cfg->scenario->n_agents);
    if (!rt->driver) {
        uv_loop_close(&rt->loop);
        free(rt);
        snprintf(err, errlen, "cannot create the libcurl multi handle");
        return NULL;
    }
    return rt;
}

/* A workflow step finished (core/job.h): the driver asks its held calls again. */
static void wake(void *ud)
{
    tdm_uvcurl_wake((tdm_uvcurl *)ud);
}

static int run_jobs(tdm_runtime *rt, tdm_agent_job *jobs, size_t n, int64_t *t_release, char *err, size_t errlen)
{
    /* Every agent's first call is added, then tdm_uvcurl_run runs curl once for all of
     * them: every request is written in that one pass, before the loop waits. */
    int64_t now = tdm_now_ns();
    *t_release = now;
    tdm_jobs_released(jobs, n, now);
    tdm_jobs_on_change(jobs, n, wake, rt->driver);
    for (size_t i = 0; i < n; i++) {
        if (tdm_uvcurl_add_job(rt->driver, &jobs[i], now) != 0) {
            snprintf(err, errlen, "cannot start agent %d's transfer", jobs[i].agent_index);
            return -1;
        }
    }
    tdm_uvcurl_run(rt->driver);
    return 0;
}

static json_t *describe(tdm_runtime *rt)
{
    return json_pack("{s:s, s:i, s:s, s:s, s:o}", "runtime", "one thread, one libuv loop, libcurl multi_socket",
                     "threads", 1, "loop", "libuv", "libuv_version", uv_version_string(), "http",
                     tdm_curl_describe(rt->buffer_size));
}

static void destroy(tdm_runtime *rt)
{
    if (!rt)
        return;
    tdm_uvcurl_destroy(rt->driver);
    uv_loop_close(&rt->loop);
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
    .destroy = destroy,
};
