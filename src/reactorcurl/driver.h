/* driver.h — libcurl's multi_socket API driven by tandem's own reactor (tdm_reactor:
 * epoll + timerfd), the pattern of curl's ephiperfifo.c: curl names the sockets to watch
 * (tdm_reactor_watch_fd / remove_fd) and when to wake it (one reactor timer); every
 * transfer shares one multi handle and so one connection cache.
 *
 * This is the loop of the smol and curl-1kb variants, the treatment standing for Rust's
 * smol (one small reactor, nothing else hiding behind it). It plays the role
 * src/uvcurl/driver.c plays on libuv for the tokio variants; the per-call glue
 * (src/curl/transfer.c) and the job, completion and timeout handling (src/curl/multi.c)
 * are the same for both, so the loop is the only difference. Each agent keeps its own
 * easy handle (and so its connection) across calls and phases. */
#ifndef TDM_REACTORCURL_DRIVER_H
#define TDM_REACTORCURL_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/job.h"
#include "reactor/reactor.h"

typedef struct tdm_reactorcurl tdm_reactorcurl;

/* The driver does not own the reactor, which must outlive it. buffer_size is
 * CURLOPT_BUFFERSIZE; max_agents bounds job->agent_index. NULL when out of memory or
 * when curl_multi_init failed. curl_global_init is the caller's business. */
tdm_reactorcurl *tdm_reactorcurl_create(tdm_reactor *r, long buffer_size, size_t max_agents);
/* Takes a job's first call (or settles the job at once if it has none); its request is
 * written by the next tdm_reactorcurl_kick or tdm_reactorcurl_run, so jobs released
 * together are added first and then started in one pass. Returns 0, or -1 when the
 * job's agent index is out of range or its easy handle cannot be made. */
int tdm_reactorcurl_add_job(tdm_reactorcurl *d, tdm_agent_job *job, int64_t now);
/* Writes the requests of every job added since; never from inside a curl callback. */
void tdm_reactorcurl_kick(tdm_reactorcurl *d);
/* Number of jobs started and not finished. */
size_t tdm_reactorcurl_active(const tdm_reactorcurl *d);
/* A workflow step finished: the held calls are asked again on the next loop iteration.
 * On the reactor's thread only; fine from inside callbacks. */
void tdm_reactorcurl_wake(tdm_reactorcurl *d);
/* Kicks, then turns the reactor until every added job is finished. Returns 0, or -1
 * with errno when epoll_wait failed. */
int tdm_reactorcurl_run(tdm_reactorcurl *d);
/* Removes every transfer and closes every socket curl kept; the reactor is left with
 * none of the driver's fds or timers. */
void tdm_reactorcurl_destroy(tdm_reactorcurl *d);

#endif
