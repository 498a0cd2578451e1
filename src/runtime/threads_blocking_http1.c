/* threads_blocking_http1.c — one OS thread per agent, blocking sockets, tandem's own
 * HTTP/1.1 client (variant blocking): the control without any event loop.
 *
 * One OS thread per agent (pthread), each running its agent's calls one after another
 * with blocking sockets and tandem's own HTTP/1.1 client in blocking mode (the same
 * client, parser and 1 KB-per-read() discipline as smol-1kb, minus the reactor). The
 * threads are created before the release and wait at a gate; once all of them wait,
 * t_release is taken and they are let go together. Concurrency is the kernel's
 * scheduling of blocked threads: what a runtime adds on top of that is what the other
 * variants measure against this one.
 *
 * Timeouts: no timer watches a blocked thread, so the socket itself bounds each wait
 * with the scenario's limit for that stage — connect_ms for the connect, first_byte_ms
 * for each read before the first response byte, idle_ms for every later read (as
 * SO_RCVTIMEO, measured from the start of the read, which is what idle means) — and a
 * deadline at total_ms bounds the call; a stalled server ends a call, it cannot hang the
 * run. The socket timeouts change with the stage, so setsockopt runs a few times per
 * call, never per read. */
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/runtime.h"
#include "reactorhttp/transfer.h"
#include "runtime/variant.h"

#define THREAD_STACK (1024u * 1024u)

typedef struct agent_thread {
    struct tdm_runtime *rt;
    tdm_h1call xfer;      /* the agent's connection lives here across phases */
    bool initialised;
    tdm_agent_job *job;
    pthread_t thread;
} agent_thread;

struct tdm_runtime {
    size_t n_agents;
    size_t read_buf;
    tdm_timeouts timeouts;
    agent_thread *agents;
    pthread_mutex_t mu;
    pthread_cond_t all_waiting; /* the main thread waits for every agent thread */
    pthread_cond_t gate;        /* agent threads wait for the release */
    size_t waiting;
    bool go;
    bool cancel;
    uint64_t threads_started;   /* over the process's life, for describe() */
};

/* A scenario limit as a socket timeout; 0 (none) only for an empty scenario (the info
 * command). */
static int limit_ms(int64_t ms)
{
    return ms <= 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

static tdm_runtime *create(const tdm_runtime_config *cfg, char *err, size_t errlen)
{
    tdm_runtime *rt = calloc(1, sizeof *rt);
    if (!rt) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rt->n_agents = cfg->scenario->n_agents;
    rt->read_buf = cfg->read_buf ? cfg->read_buf : (size_t)TDM_READ_SIZE;
    rt->timeouts = cfg->scenario->timeouts;
    rt->agents = calloc(rt->n_agents ? rt->n_agents : 1, sizeof *rt->agents);
    if (!rt->agents) {
        free(rt);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&rt->mu, NULL);
    pthread_cond_init(&rt->all_waiting, NULL);
    pthread_cond_init(&rt->gate, NULL);
    return rt;
}

static void *agent_main(void *arg)
{
    agent_thread *a = arg;
    tdm_runtime *rt = a->rt;
    pthread_mutex_lock(&rt->mu);
    rt->waiting++;
    pthread_cond_signal(&rt->all_waiting);
    while (!rt->go && !rt->cancel)
        pthread_cond_wait(&rt->gate, &rt->mu);
    bool cancelled = rt->cancel;
    pthread_mutex_unlock(&rt->mu);
    if (!cancelled)
        tdm_h1call_run_blocking(&a->xfer, a->job);
    return NULL;
}

static int run_jobs(tdm_runtime *rt, tdm_agent_job *jobs, size_t n, int64_t *t_release, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].agent_index < 0 || (size_t)jobs[i].agent_index >= rt->n_agents) {
            snprintf(err, errlen, "job for an unknown agent %d", jobs[i].agent_index);
            return -1;
        }
    }
    pthread_mutex_lock(&rt->mu);
    rt->waiting = 0;
    rt->go = false;
    rt->cancel = false;
    pthread_mutex_unlock(&rt->mu);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    size_t started = 0;
    int rc = 0;
    for (; started < n; started++) {
        agent_thread *a = &rt->agents[jobs[started].agent_index];
        if (!a->initialised) {
            tdm_http1_conn_opts opts = {.read_buf = rt->read_buf,
                                        .io_timeout_ms = limit_ms(rt->timeouts.idle_ms),
                                        .connect_timeout_ms = limit_ms(rt->timeouts.connect_ms),
                                        .first_byte_timeout_ms = limit_ms(rt->timeouts.first_byte_ms),
                                        .blocking = true};
            tdm_h1call_init(&a->xfer, &opts, NULL, NULL);
            a->rt = rt;
            a->initialised = true;
        }
        a->job = &jobs[started];
        int e = pthread_create(&a->thread, &attr, agent_main, a);
        if (e != 0) {
            snprintf(err, errlen, "cannot start a thread for agent %d: %s; lower the number of agents or raise "
                     "the process's thread limit (ulimit -u)", jobs[started].agent_index, strerror(e));
            rc = -1;
            break;
        }
    }
    pthread_attr_destroy(&attr);
    rt->threads_started += started;

    pthread_mutex_lock(&rt->mu);
    if (rc != 0) {
        rt->cancel = true; /* the threads already made leave without running anything */
    } else {
        while (rt->waiting < n)
            pthread_cond_wait(&rt->all_waiting, &rt->mu);
        /* Taken before any thread can move: every t_begin is at or after it. */
        *t_release = tdm_now_ns();
        tdm_jobs_released(jobs, n, *t_release);
        rt->go = true;
    }
    pthread_cond_broadcast(&rt->gate);
    pthread_mutex_unlock(&rt->mu);

    for (size_t i = 0; i < started; i++)
        pthread_join(rt->agents[jobs[i].agent_index].thread, NULL);
    return rc;
}

static json_t *describe(tdm_runtime *rt)
{
    tdm_http1_conn_stats st;
    memset(&st, 0, sizeof st);
    for (size_t i = 0; i < rt->n_agents; i++)
        if (rt->agents[i].initialised)
            tdm_h1call_add_stats(&rt->agents[i].xfer, &st);
    json_t *http = json_pack("{s:s, s:I, s:s, s:s, s:{s:I, s:I, s:I, s:I}}", "client", "tandem http1", "buffer_size",
                             (json_int_t)rt->read_buf, "mode",
                             "blocking sockets, one read() of at most buffer_size bytes per step", "connections",
                             "one keep-alive connection per agent, kept across phases", "socket_timeouts_ms",
                             "connect", (json_int_t)rt->timeouts.connect_ms, "first_byte",
                             (json_int_t)rt->timeouts.first_byte_ms, "per_read_after_first_byte",
                             (json_int_t)rt->timeouts.idle_ms, "call_deadline", (json_int_t)rt->timeouts.total_ms);
    return json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:o, s:I, s:o}", "runtime",
                     "one OS thread per agent (pthread), blocking sockets, released together from a gate", "threads",
                     (json_int_t)rt->n_agents, "threads_note",
                     "one per agent, created before each phase's release and joined after it", "loop",
                     "none: blocking threads", "http_client", "tandem http1", "buffer_size", (json_int_t)rt->read_buf,
                     "http", http, "threads_started", (json_int_t)rt->threads_started, "http_stats",
                     tdm_h1call_stats_json(&st));
}

static void destroy(tdm_runtime *rt)
{
    if (!rt)
        return;
    for (size_t i = 0; i < rt->n_agents; i++)
        if (rt->agents[i].initialised)
            tdm_h1call_cleanup(&rt->agents[i].xfer);
    pthread_mutex_destroy(&rt->mu);
    pthread_cond_destroy(&rt->all_waiting);
    pthread_cond_destroy(&rt->gate);
    free(rt->agents);
    free(rt);
}

const tdm_runtime_ops tdm_variant_runtime = {
    .variant = TDM_VARIANT_NAME,
    .summary = TDM_VARIANT_SUMMARY,
    .create = create,
    .run_jobs = run_jobs,
    .fetch = tdm_h1call_fetch_op,
    .describe = describe,
    .destroy = destroy,
};
