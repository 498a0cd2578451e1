/* uv_workers_curl.c — worker threads, each with its own libuv loop and libcurl multi
 * handle (variant tokio-default): the analog of tokio's multi-threaded runtime.
 *
 * W worker threads (default: the online CPUs; --threads W), each running its own libuv
 * loop with its own libcurl multi handle. Released agents wait in one shared queue. The
 * release wakes min(agents, W) idle workers at once, and each woken worker takes its
 * share of the queue — what is left divided by the woken workers that have not yet taken
 * theirs, as tokio's workers take a batch from the injection queue — adds all of them to
 * its multi handle and starts them in one pass. So agents spread over the workers as
 * tokio's idle workers pick up spawned tasks, and an agent then stays on the worker that
 * took it for the rest of its calls.
 *
 * Waking the workers one after another (each woken worker waking the next, one agent per
 * wake-up) cost one cross-thread wake-up per agent: at 32 agents on 2 CPUs the last agent
 * began 5 ms after the release.
 *
 * Connections: tokio's HTTP clients keep one pool for all workers, so an agent's next
 * call reuses its connection whichever worker runs it. Here a connection lives in the
 * multi handle of the worker that made it, so a worker fills its share with the agents
 * whose connection it holds first, and an agent released alone is woken on that worker:
 * without that, an agent landing on another worker than last time opened a new
 * connection after the barrier (12 of 32 in one concurrent phase). */
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
#include "runtime/variant.h"

typedef struct worker {
    struct tdm_runtime *rt;
    int index;
    pthread_t thread;
    uv_loop_t loop;
    uv_async_t wake;
    tdm_uvcurl *driver;
    tdm_agent_job **mine;  /* the share being started (room for every agent) */
    /* Agents this worker took over the process's life: in every release, and in releases
     * of more than one agent (the concurrent phases). Written under rt->mu. */
    size_t taken, taken_together;
} worker;

struct tdm_runtime {
    int n_workers;
    int n_started;         /* worker threads running */
    worker *workers;
    long buffer_size;
    size_t n_agents;
    pthread_mutex_t mu;
    pthread_cond_t all_done;
    tdm_agent_job **queue; /* the released agents; NULL once taken */
    size_t q_len, q_left;  /* released, and not yet taken */
    int *home;             /* per agent index: the worker holding its connection, or -1 */
    int shares_left;       /* woken workers that have not yet taken their share */
    size_t outstanding;    /* released agents not yet finished */
    int next_worker;       /* round-robin start when fewer agents than workers are released */
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

/* Moves this worker's share of the released agents into w->mine (under rt->mu): first
 * the agents whose connection it holds, then others in queue order. The last share takes
 * whatever is left, so every released agent is taken. */
static size_t take_share(tdm_runtime *rt, worker *w)
{
    if (rt->q_left == 0 || rt->shares_left == 0)
        return 0;
    size_t want = (rt->q_left + (size_t)rt->shares_left - 1) / (size_t)rt->shares_left, got = 0;
    rt->shares_left--;
    for (int pass = 0; pass < 2 && got < want; pass++)
        for (size_t i = 0; i < rt->q_len && got < want; i++) {
            tdm_agent_job *j = rt->queue[i];
            if (!j || (pass == 0 && rt->home[j->agent_index] != w->index))
                continue;
            rt->queue[i] = NULL;
            rt->home[j->agent_index] = w->index;
            w->mine[got++] = j;
        }
    rt->q_left -= got;
    w->taken += got;
    if (rt->q_len > 1)
        w->taken_together += got;
    return got;
}

/* A wake-up: take this worker's share of the release and start all of it at once. */
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
    size_t take = take_share(rt, w);
    pthread_mutex_unlock(&rt->mu);
    int64_t now = tdm_now_ns();
    for (size_t i = 0; i < take; i++)
        if (tdm_uvcurl_add_job(w->driver, w->mine[i], now) != 0)
            on_job_done(w->mine[i], w); /* cannot happen with a sized driver; never hang */
    tdm_uvcurl_kick(w->driver);
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
    if (!rt) {
        curl_global_cleanup();
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    rt->n_workers = cfg->threads > 0 ? cfg->threads : (int)(cpus > 0 ? cpus : 1);
    rt->n_agents = cfg->scenario->n_agents;
    size_t slots = rt->n_agents ? rt->n_agents : 1;
    rt->buffer_size = cfg->read_buf ? (long)cfg->read_buf : (long)TDM_READ_SIZE;
    rt->workers = calloc((size_t)rt->n_workers, sizeof *rt->workers);
    rt->queue = calloc(slots, sizeof *rt->queue);
    rt->home = malloc(slots * sizeof *rt->home);
    pthread_mutex_init(&rt->mu, NULL);
    pthread_cond_init(&rt->all_done, NULL);
    bool ok = rt->workers && rt->queue && rt->home;
    for (int i = 0; ok && i < rt->n_workers; i++)
        ok = (rt->workers[i].mine = calloc(slots, sizeof *rt->workers[i].mine)) != NULL;
    if (!ok) {
        destroy(rt);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t a = 0; a < rt->n_agents; a++)
        rt->home[a] = -1;
    for (int i = 0; i < rt->n_workers; i++) {
        worker *w = &rt->workers[i];
        w->rt = rt;
        w->index = i;
        uv_loop_init(&w->loop);
        uv_async_init(&w->loop, &w->wake, on_wake);
        w->wake.data = w;
        w->driver = tdm_uvcurl_create(&w->loop, rt->buffer_size, rt->n_agents);
        if (w->driver)
            tdm_uvcurl_on_job_done(w->driver, on_job_done, w);
        if (!w->driver || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            snprintf(err, errlen, "cannot start worker thread %d", i);
            uv_close((uv_handle_t *)&w->wake, NULL);
            if (w->driver)
                tdm_uvcurl_destroy(w->driver);
            uv_run(&w->loop, UV_RUN_DEFAULT);
            uv_loop_close(&w->loop);
            destroy(rt);
            return NULL;
        }
        rt->n_started = i + 1;
    }
    return rt;
}

/* A workflow step finished, on any worker: every worker asks its held calls again,
 * since the step waiting for it may be on another loop. */
static void wake_all(void *ud)
{
    tdm_runtime *rt = ud;
    for (int i = 0; i < rt->n_workers; i++)
        if (rt->workers[i].driver)
            tdm_uvcurl_wake(rt->workers[i].driver);
}

static int run_jobs(tdm_runtime *rt, tdm_agent_job *jobs, size_t n, int64_t *t_release, char *err, size_t errlen)
{
    if (n > rt->n_agents) {
        snprintf(err, errlen, "more jobs than agents");
        return -1;
    }
    int wake = n < (size_t)rt->n_workers ? (int)n : rt->n_workers;
    pthread_mutex_lock(&rt->mu);
    for (size_t i = 0; i < n; i++)
        rt->queue[i] = &jobs[i];
    rt->q_len = rt->q_left = n;
    rt->shares_left = wake;
    rt->outstanding = n;
    /* An agent released alone goes back to the worker holding its connection; other
     * releases wake workers in turn from where the last one stopped. */
    int first = rt->next_worker;
    if (n == 1 && rt->home[jobs[0].agent_index] >= 0)
        first = rt->home[jobs[0].agent_index];
    else
        rt->next_worker = (rt->next_worker + wake) % rt->n_workers;
    *t_release = tdm_now_ns();
    tdm_jobs_released(jobs, n, *t_release);
    tdm_jobs_on_change(jobs, n, wake_all, rt);
    pthread_mutex_unlock(&rt->mu);
    for (int i = 0; i < wake; i++)
        uv_async_send(&rt->workers[(first + i) % rt->n_workers].wake);

    pthread_mutex_lock(&rt->mu);
    while (rt->outstanding > 0)
        pthread_cond_wait(&rt->all_done, &rt->mu);
    pthread_mutex_unlock(&rt->mu);
    return 0;
}

static json_t *describe(tdm_runtime *rt)
{
    return json_pack("{s:s, s:i, s:s, s:s, s:o}", "runtime",
                     "worker threads, each with its own libuv loop and libcurl multi handle; shared agent queue",
                     "threads", rt->n_workers, "loop", "libuv (one per worker)", "libuv_version", uv_version_string(),
                     "http", tdm_curl_describe(rt->buffer_size));
}

/* How the agents spread over the workers, known only once the runs are over. */
static json_t *run_stats(tdm_runtime *rt)
{
    json_t *all = json_array(), *together = json_array();
    pthread_mutex_lock(&rt->mu);
    for (int i = 0; i < rt->n_workers; i++) {
        json_array_append_new(all, json_integer((json_int_t)rt->workers[i].taken));
        json_array_append_new(together, json_integer((json_int_t)rt->workers[i].taken_together));
    }
    pthread_mutex_unlock(&rt->mu);
    return json_pack("{s:o, s:o}", "agents_taken_per_worker", all, "concurrent_agents_taken_per_worker", together);
}

static void destroy(tdm_runtime *rt)
{
    if (!rt)
        return;
    pthread_mutex_lock(&rt->mu);
    rt->stopping = true;
    pthread_mutex_unlock(&rt->mu);
    for (int i = 0; i < rt->n_started; i++) {
        uv_async_send(&rt->workers[i].wake);
        pthread_join(rt->workers[i].thread, NULL);
    }
    pthread_mutex_destroy(&rt->mu);
    pthread_cond_destroy(&rt->all_done);
    for (int i = 0; rt->workers && i < rt->n_workers; i++)
        free(rt->workers[i].mine);
    free(rt->workers);
    free(rt->queue);
    free(rt->home);
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
