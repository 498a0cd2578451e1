/* transfer.h — one agent's Ollama calls over tandem's own HTTP/1.1 client (src/http1),
 * wired to the core's call consumer: the counterpart of src/curl/transfer.h for the
 * smol-1kb, smol-8kb and blocking variants.
 *
 * It keeps one tdm_http1 connection per agent across calls and phases (keep-alive
 * reuse), reports the request start (t_start, connect time, reuse), counts every
 * socket read() of a call as one read, hands each de-chunked slice of it to the core
 * (tdm_call_read + tdm_call_slice), and maps the client's error kinds to the core's
 * tdm_error_kind with messages that name the URL and the fix. How the connection waits —
 * the tandem reactor (driver.h) or blocking sockets in a thread of its own
 * (tdm_h1call_run_blocking) — is the caller's business, so the blocking control links
 * this file without the reactor. */
#ifndef TDM_REACTORHTTP_TRANSFER_H
#define TDM_REACTORHTTP_TRANSFER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/call.h"
#include "core/job.h"
#include "core/runtime.h"
#include "http1/http1.h"

typedef struct tdm_h1call tdm_h1call;

/* Called when the agent has finished all its calls (possibly from inside
 * tdm_h1call_start_job when the job has nothing to do or fails at once). */
typedef void (*tdm_h1call_done_fn)(tdm_h1call *t, void *ud);
/* Reactor use: asks the driver to call tdm_h1call_resume at the client-clock instant due,
 * when the agent's next call is not due yet (an open-loop arrival). */
typedef void (*tdm_h1call_hold_fn)(tdm_h1call *t, int64_t due, void *ud);

struct tdm_h1call {
    tdm_http1_conn *conn;          /* the agent's connection, kept across calls and phases */
    tdm_http1_url origin;          /* where conn goes */
    tdm_http1_url target;          /* the current call's URL */
    tdm_http1_conn_opts opts;      /* how conns are made (read_buf, blocking, watch) */
    tdm_agent_job *job;
    tdm_call call;
    bool active;                   /* a call is in flight */
    char *url;
    char *body;
    uint64_t seq;                  /* calls started so far */
    uint64_t reads_seen;           /* the conn's read() count already given to the core */
    uint64_t bytes_at_start;       /* the conn's bytes_read when the call's request began */
    int64_t ready_ns;              /* reactor use: the last readiness instant (0: none yet) */
    uint64_t reuses_at_start;      /* the conn's counters when the call's request began */
    uint64_t retries_at_start;
    tdm_http1_conn_stats retired;  /* counters of connections already freed */
    tdm_h1call_done_fn on_done;
    tdm_h1call_hold_fn on_hold;    /* reactor use; blocking use sleeps instead (tdm_job_wait_due) */
    void *ud;
    void *owner;                   /* the driver's own data */
};

/* opts->read_buf is the size of every read(); opts->blocking selects blocking mode. The
 * watch callback of opts (reactor use) gets watch_ud as given. */
void tdm_h1call_init(tdm_h1call *t, const tdm_http1_conn_opts *opts, tdm_h1call_done_fn on_done, void *ud);
/* Frees the connection (its watcher hears REMOVE) and any call in flight, whose record
 * is left as it was. */
void tdm_h1call_cleanup(tdm_h1call *t);

/* Reactor use: installs the driver's hold timer. Without one a call is never held. */
void tdm_h1call_on_hold(tdm_h1call *t, tdm_h1call_hold_fn fn);
/* Reactor use: the hold timer fired; starts the agent's next call if it is due by now
 * (else asks for the timer again), or every held call after an interrupt. */
void tdm_h1call_resume(tdm_h1call *t, int64_t now);

/* Starts job's first call; the rest follow from the connection's callbacks. When the
 * job has nothing to run, or every call fails before any I/O, on_done is called before
 * this returns. */
void tdm_h1call_start_job(tdm_h1call *t, tdm_agent_job *job, int64_t now);

/* Reactor use: the connection's fd is ready with events (TDM_REACTOR_* bits). Takes the
 * readiness instant (the arrival time of what the read brings), then lets the
 * connection do its one read() (or connect / send step); the core hears of the read
 * (tdm_call_read) before any of its bytes. */
void tdm_h1call_ready(tdm_h1call *t, int fd, unsigned events);
/* Reactor use: records a passed timeout of the call in flight and aborts its request
 * (the abort settles the call and the agent moves on). Returns true when it fired. */
bool tdm_h1call_check_timeouts(tdm_h1call *t, int64_t now);
/* Fails the call in flight as TDM_ERR_INTERNAL with message and aborts its request
 * (e.g. the reactor could not watch the socket). */
void tdm_h1call_abort(tdm_h1call *t, const char *message);

/* Blocking mode (opts->blocking): runs all of job's calls on the calling thread. The
 * conn's stage timeouts (opts: connect_timeout_ms, first_byte_timeout_ms, io_timeout_ms
 * for every later read) and a deadline at the call's total limit bound every wait, so a
 * stalled server cannot hang the thread; the core's limits are also checked at every
 * delivery. */
void tdm_h1call_run_blocking(tdm_h1call *t, tdm_agent_job *job);

/* Adds the counters of every connection this transfer has used to *acc. */
void tdm_h1call_add_stats(const tdm_h1call *t, tdm_http1_conn_stats *acc);

/* ---- fetch.c: shared by the variants on tandem's own client ---------------------------- */

/* The runtime's fetch op (see runtime.h) with tdm_http1_fetch: a blocking request on a
 * fresh connection, GET when body is NULL, else POST. Never libcurl. Variants name it
 * directly as their .fetch (the runtime is not used). */
int tdm_h1call_fetch_op(tdm_runtime *rt, const char *url, const char *body, long timeout_ms, long *status,
                        tdm_buf *out, char *err, size_t errlen);
/* The client's counters as a JSON object, for describe(). */
struct json_t *tdm_h1call_stats_json(const tdm_http1_conn_stats *s);

#endif
