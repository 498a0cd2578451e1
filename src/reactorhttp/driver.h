/* driver.h — tandem's own HTTP/1.1 client (src/http1) driven by tandem's own reactor
 * (tdm_reactor: epoll + timerfd) on one thread: the loop of the smol-1kb and smol-8kb
 * variants, the treatment standing for Rust's smol with the seed's hand-written
 * client. No libcurl and no libuv are involved, so what a run measures is this loop,
 * the client's parser and the size of each read().
 *
 * Each agent keeps one connection across calls and phases. Every readiness event of a
 * receiving connection is exactly one read() of read_buf bytes, counted and stamped
 * before it happens; first-byte, idle, connect and total timeouts are checked by a
 * periodic reactor timer while calls are in flight. */
#ifndef TDM_REACTORHTTP_DRIVER_H
#define TDM_REACTORHTTP_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/job.h"
#include "http1/http1.h"
#include "reactor/reactor.h"

typedef struct tdm_reactorhttp tdm_reactorhttp;

/* The driver does not own the reactor, which must outlive it. read_buf: bytes asked of
 * every read() (0: the client's default, 1,024); max_agents bounds job->agent_index.
 * NULL when out of memory. */
tdm_reactorhttp *tdm_reactorhttp_create(tdm_reactor *r, size_t read_buf, size_t max_agents);
/* Starts a job's first call (or settles the job at once if it has none). Returns 0, or
 * -1 when the job's agent index is out of range or the timeout timer cannot start. */
int tdm_reactorhttp_add_job(tdm_reactorhttp *d, tdm_agent_job *job, int64_t now);
/* Number of jobs started and not finished. */
size_t tdm_reactorhttp_active(const tdm_reactorhttp *d);
/* A workflow step finished: the held calls are asked again on the next loop iteration.
 * On the reactor's thread only; fine from inside callbacks. */
void tdm_reactorhttp_wake(tdm_reactorhttp *d);
/* Turns the reactor until every added job is finished. Returns 0, or -1 with errno when
 * epoll_wait failed. */
int tdm_reactorhttp_run(tdm_reactorhttp *d);
/* The client's counters summed over every agent's connections (read() calls, empty
 * reads, connects, reuses, retries...). */
void tdm_reactorhttp_stats(const tdm_reactorhttp *d, tdm_http1_conn_stats *out);
/* Closes every connection; the reactor is left with none of the driver's fds or
 * timers. */
void tdm_reactorhttp_destroy(tdm_reactorhttp *d);

#endif
