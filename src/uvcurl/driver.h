/* driver.h — libcurl's multi_socket API on one libuv loop (curl's multi-uv pattern):
 * curl tells us which sockets to watch (uv_poll) and when to wake it (uv_timer); every
 * transfer of the loop shares one multi handle and so one connection cache. This file is
 * only that loop glue: jobs, completions and timeouts are src/curl/multi.c's, shared with
 * the tandem-reactor driver (src/reactorcurl).
 *
 * tokio-localset runs one driver on its only thread; tokio-default runs one driver per
 * worker thread. Each agent keeps its own easy handle across calls and phases. */
#ifndef TDM_UVCURL_DRIVER_H
#define TDM_UVCURL_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/job.h"

typedef struct tdm_uvcurl tdm_uvcurl;

/* The driver does not own the loop. buffer_size is CURLOPT_BUFFERSIZE. */
tdm_uvcurl *tdm_uvcurl_create(uv_loop_t *loop, long buffer_size, size_t max_agents);
/* Called on the loop's thread each time a job has finished all its calls. */
typedef void (*tdm_uvcurl_job_done_fn)(tdm_agent_job *job, void *ud);
void tdm_uvcurl_on_job_done(tdm_uvcurl *d, tdm_uvcurl_job_done_fn fn, void *ud);
/* Takes a job's first call (or settles it at once if it has none). Its request is
 * written by the next tdm_uvcurl_kick or tdm_uvcurl_run, so jobs released together are
 * added first and then started in one pass. Returns 0 or -1. */
int tdm_uvcurl_add_job(tdm_uvcurl *d, tdm_agent_job *job, int64_t now);
/* Writes the requests of every job added since. On the loop's thread, never from inside
 * a curl callback (a uv callback such as a wake-up is fine). */
void tdm_uvcurl_kick(tdm_uvcurl *d);
/* A workflow step finished: the driver asks its held calls again on its loop. Safe from
 * any thread and from inside callbacks (uv_async_send). */
void tdm_uvcurl_wake(tdm_uvcurl *d);
/* Number of jobs started and not finished. */
size_t tdm_uvcurl_active(const tdm_uvcurl *d);
/* Kicks, then runs the loop until every added job is finished. */
void tdm_uvcurl_run(tdm_uvcurl *d);
/* Runs one loop iteration (for runtimes that also wait for other events). */
void tdm_uvcurl_run_once(tdm_uvcurl *d);
/* Closes every handle the driver made (runs the loop until they are closed). */
void tdm_uvcurl_destroy(tdm_uvcurl *d);

#endif
