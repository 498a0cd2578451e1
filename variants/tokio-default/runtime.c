/* runtime.c — tokio-default: the analog of tokio's multi-threaded runtime.
 *
 * W worker threads (default: the online CPUs; --threads W), each running its own libuv
 * loop with its own libcurl multi handle. Released agents wait in one shared queue; a
 * worker woken for it takes the next agent and, while agents remain, wakes the next
 * worker in turn — so agents spread over the workers as tokio's idle workers pick up
 * spawned tasks, and an agent then stays on the worker that took it. */
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "core/clock.h"
#include "core/runtime.h"
#include "curl/transfer.h"
#include "uvcurl/driver.h"

typedef struct worker {
    struct tdm_runtime *rt;
    int index;
    pthread_t thread;
    uv_loop_t loop;
    uv_async_t wake;
    tdm_uvcurl *driver;
    size_t jobs_taken; /* over the process's life, for describe() */
} worker;

struct tdm_runtime {
    int n_workers;
    worker *workers;
    long buffer_size;
    size_t n_agents;
    pthread_mutex_t mu;
    pthread_cond_t all_done;
    tdm_agent_job **queue; /* released agents not yet taken */
    size_t q_head, q_len;
    size_t outstanding;    /* released agents not yet finished */
    int next_worker;       /* round-robin start for the next wake-up */
    bool stopping;
};

static void on_job_done(tdm_agent_job *job, void *ud)
{
    (void)job;
    worker *w = ud;
    tdm_runtime *rt = w->rt;
    pthread_mutex_lock(&rt->mu);
    if (--rt->outstanding == 0)
        pthread_cond_signal(&rt->all_done);
    pthread_mutex_unlock(&rt->mu);
}

/* A wake-up: take one released agent, and pass the turn on while more wait. */
static void on_wake(uv_async_t *h)
{
    worker *w = h->data;
    tdm_runtime *rt = w->rt;
    pthread_mutex_lock(&rt->mu);
    if (rt->stopping) {
        pthread_mutex_unlock(&rt->mu);
        uv_stop(&w->loop);
        return;
    }
    tdm_agent_job *job = NULL;
    if (rt->q_head < rt->q_len)
        job = rt->queue[rt->q_head++];
    bool more = rt->q_head < rt->q_len;
    pthread_mutex_unlock(&rt->mu);
    if (more)
        uv_async_send(&rt->workers[(w->index + 1) % rt->n_workers].wake);
    if (job) {
        w->jobs_taken++;
        if (tdm_uvcurl_add_job(w->driver, job, tdm_now_ns()) != 0)
            on_job_done(job, w); /* cannot happen with a sized driver; never hang */
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT); /* until on_wake sees stopping */
    /* Close the wake-up handle first: the driver's clean-up runs the loop until no
     * handle is left, which an open async handle would prevent forever. */
    uv_close((uv_handle_t *)&w->wake, NULL);
    tdm_uvcurl_destroy(w->driver);
    uv_loop_close(&w->loop);
    return NULL;
}

static void destroy(tdm_runtime *rt);

static tdm_runtime *create(const tdm_runtime_config *cfg, char *err, size_t errlen)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init failed");
        return NULL;
    }
    tdm_runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return NULL;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    rt->n_workers = cfg->threads > 0 ? cfg->threads : (int)(cpus > 0 ? cpus : 1);
    rt->n_agents = cfg->scenario->n_agents;
    rt->buffer_size = cfg->read_buf ? (long)cfg->read_buf : TDM_CURL_DEFAULT_BUFFER;
    rt->workers = calloc((size_t)rt->n_workers, sizeof *rt->workers);
    rt->queue = calloc(rt->n_agents ? rt->n_agents : 1, sizeof *rt->queue);
    pthread_mutex_init(&rt->mu, NULL);
    pthread_cond_init(&rt->all_done, NULL);
    if (!rt->workers || !rt->queue) {
        destroy(rt);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (int i = 0; i < rt->n_workers; i++) {
        worker *w = &rt->workers[i];
        w->rt = rt;
        w->index = i;
        uv_loop_init(&w->loop);
        uv_async_init(&w->loop, &w->wake, on_wake);
        w->wake.data = w;
        w->driver = tdm_uvcurl_create(&w->loop, rt->buffer_size, rt->n_agents);
        if (!w->driver || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            snprintf(err, errlen, "cannot start worker thread %d", i);
            uv_close((uv_handle_t *)&w->wake, NULL);
            if (w->driver)
                tdm_uvcurl_destroy(w->driver);
            uv_run(&w->loop, UV_RUN_DEFAULT);
            uv_loop_close(&w->loop);
            rt->n_workers = i;
            destroy(rt);
            return NULL;
        }
        tdm_uvcurl_on_job_done(w->driver, on_job_done, w);
    }
    return rt;
}

static int run_jobs(tdm_runtime *rt, tdm_agent_job *jobs, size_t n, int64_t *t_release, char *err, size_t errlen)
{
    if (n > rt->n_agents) {
        snprintf(err, errlen, "more jobs than agents");
        return -1;
    }
    pthread_mutex_lock(&rt->mu);
    for (size_t i = 0; i < n; i++)
        rt->queue[i] = &jobs[i];
    rt->q_head = 0;
    rt->q_len = n;
    rt->outstanding = n;
    int first = rt->next_worker;
    rt->next_worker = (rt->next_worker + 1) % rt->n_workers;
    *t_release = tdm_now_ns();
    pthread_mutex_unlock(&rt->mu);
    uv_async_send(&rt->workers[first].wake);

    pthread_mutex_lock(&rt->mu);
    while (rt->outstanding > 0)
        pthread_cond_wait(&rt->all_done, &rt->mu);
    pthread_mutex_unlock(&rt->mu);
    return 0;
}

static json_t *describe(tdm_runtime *rt)
{
    json_t *taken = json_array();
    for (int i = 0; i < rt->n_workers; i++)
        json_array_append_new(taken, json_integer((json_int_t)rt->workers[i].jobs_taken));
    return json_pack("{s:s, s:i, s:s, s:s, s:o, s:o}", "runtime",
                     "worker threads, each with its own libuv loop and libcurl multi handle; shared agent queue",
                     "threads", rt->n_workers, "loop", "libuv (one per worker)", "libuv_version", uv_version_string(),
                     "agents_taken_per_worker", taken, "http", tdm_curl_describe(rt->buffer_size));
}

static void destroy(tdm_runtime *rt)
{
    if (!rt)
        return;
    pthread_mutex_lock(&rt->mu);
    rt->stopping = true;
    pthread_mutex_unlock(&rt->mu);
    for (int i = 0; i < rt->n_workers; i++) {
        uv_async_send(&rt->workers[i].wake);
        pthread_join(rt->workers[i].thread, NULL);
    }
    pthread_mutex_destroy(&rt->mu);
    pthread_cond_destroy(&rt->all_done);
    free(rt->workers);
    free(rt->queue);
    free(rt);
    curl_global_cleanup();
}

const tdm_runtime_ops tdm_variant_runtime = {
    .variant = "tokio-default",
    .summary = "worker threads (default: one per CPU), each a libuv loop with libcurl multi; agents from a shared queue",
    .create = create,
    .run_jobs = run_jobs,
    .fetch = tdm_curl_fetch_op,
    .describe = describe,
    .destroy = destroy,
};
