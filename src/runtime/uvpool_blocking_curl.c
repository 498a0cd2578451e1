/* uvpool_blocking_curl.c — libuv's threadpool running blocking libcurl transfers
 * (variant async-std): the analog of a runtime with one global task queue and a pool
 * of blocking threads.
 *
 * Every agent is one work item on libuv's threadpool (uv_queue_work: a single global
 * FIFO queue served by UV_THREADPOOL_SIZE threads); a pool thread runs the agent's
 * calls as blocking libcurl easy transfers. The pool is sized to the agent count before
 * libuv first uses it, so agents are never serialised by libuv's default of 4 threads
 * (--threads overrides, e.g. to show that serialisation on purpose). */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "core/clock.h"
#include "core/runtime.h"
#include "curl/transfer.h"
#include "runtime/variant.h"

/* libuv's own upper limit on UV_THREADPOOL_SIZE. */
#define POOL_MAX 1024

/* An agent's calls as blocking libcurl easy transfers, one after another on the pool
 * thread. First-byte and idle timeouts are checked from curl's progress callback, which
 * curl calls at least once a second while a transfer waits, so they fire within about a
 * second of their limit. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    tdm_curl_transfer *t = ud;
    return tdm_call_check_timeouts(&t->call, tdm_now_ns()) ? 1 : 0; /* non-zero aborts */
}

static void run_job_blocking(tdm_curl_transfer *t)
{
    /* An open-loop arrival holds its pool thread until it is due: pool threads are as
     * many as agents (up to POOL_MAX), so a held arrival delays no other. */
    for (tdm_job_wait_due(t->job); tdm_curl_transfer_next(t, tdm_now_ns()); tdm_job_wait_due(t->job)) {
        curl_easy_setopt(t->easy, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(t->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(t->easy, CURLOPT_XFERINFODATA, t);
        CURLcode rc = curl_easy_perform(t->easy);
        if (tdm_curl_transfer_retry_stale(t, rc)) /* once, on a fresh connection */
            rc = curl_easy_perform(t->easy);
        if (!tdm_curl_transfer_done(t, rc, tdm_now_ns()))
            break;
    }
    tdm_job_call_finished(t->job, tdm_now_ns());
}

typedef struct agent_work {
    uv_work_t req;
    tdm_curl_transfer *transfer;
} agent_work;

struct tdm_runtime {
    uv_loop_t loop;
    long buffer_size;
    int pool_size;
    tdm_curl_transfer *transfers; /* one per agent: its easy handle keeps its connection */
    size_t n_agents;
};

static tdm_runtime *create(const tdm_runtime_config *cfg, char *err, size_t errlen)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init failed");
        return NULL;
    }
    tdm_runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return NULL;
    rt->n_agents = cfg->scenario->n_agents;
    rt->transfers = calloc(rt->n_agents ? rt->n_agents : 1, sizeof *rt->transfers);
    rt->buffer_size = cfg->read_buf ? (long)cfg->read_buf : (long)TDM_READ_SIZE;
    int want = cfg->threads > 0 ? cfg->threads : (int)(rt->n_agents > 4 ? rt->n_agents : 4);
    rt->pool_size = want > POOL_MAX ? POOL_MAX : want;
    /* libuv reads this once, when the pool first starts: before any uv_queue_work. */
    char v[16];
    snprintf(v, sizeof v, "%d", rt->pool_size);
    setenv("UV_THREADPOOL_SIZE", v, 1);
    if (!rt->transfers || uv_loop_init(&rt->loop) != 0) {
        free(rt->transfers);
        free(rt);
        snprintf(err, errlen, "cannot create the libuv loop");
        return NULL;
    }
    return rt;
}

static void work(uv_work_t *req)
{
    agent_work *w = req->data;
    run_job_blocking(w->transfer);
}

static void after_work(uv_work_t *req, int status)
{
    (void)req;
    (void)status;
}

static int run_jobs(tdm_runtime *rt, tdm_agent_job *jobs, size_t n, int64_t *t_release, char *err, size_t errlen)
{
    /* A workflow's agents wait for each other on their pool threads: one left queued
     * behind the pool could be the one the others wait for. */
    if (n > 0 && jobs[0].board && n > (size_t)rt->pool_size) {
        snprintf(err, errlen,
                 "a workflow of %zu agents needs a pool thread for each, but the pool has %d (at most %d); run it "
                 "with fewer agents or another variant",
                 n, rt->pool_size, POOL_MAX);
        return -1;
    }
    agent_work *w = calloc(n, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        tdm_curl_transfer *t = &rt->transfers[jobs[i].agent_index];
        if (!t->easy && tdm_curl_transfer_init(t, &jobs[i], rt->buffer_size) != 0) {
            free(w);
            snprintf(err, errlen, "cannot create a libcurl handle");
            return -1;
        }
        t->job = &jobs[i];
        w[i].transfer = t;
        w[i].req.data = &w[i];
    }
    *t_release = tdm_now_ns();
    tdm_jobs_released(jobs, n, *t_release);
    for (size_t i = 0; i < n; i++)
        uv_queue_work(&rt->loop, &w[i].req, work, after_work);
    uv_run(&rt->loop, UV_RUN_DEFAULT); /* returns once every after_work has run */
    free(w);
    return 0;
}

static json_t *describe(tdm_runtime *rt)
{
    return json_pack("{s:s, s:i, s:s, s:s, s:o}", "runtime",
                     "libuv threadpool (global FIFO queue), one blocking libcurl transfer per agent at a time",
                     "threads", rt->pool_size, "loop", "libuv (uv_queue_work)", "libuv_version", uv_version_string(),
                     "http", tdm_curl_describe(rt->buffer_size));
}

static void destroy(tdm_runtime *rt)
{
    if (!rt)
        return;
    for (size_t i = 0; i < rt->n_agents; i++)
        tdm_curl_transfer_cleanup(&rt->transfers[i]);
    free(rt->transfers);
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
