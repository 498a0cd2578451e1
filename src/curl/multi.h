/* multi.h — the part of driving libcurl's multi_socket API that does not depend on the
 * event loop, shared by the libuv driver (src/uvcurl: tokio-localset, tokio-default) and
 * the tandem-reactor driver (src/reactorcurl: smol, curl-1kb).
 *
 * It owns the multi handle and one transfer (easy handle) per agent index, starts jobs,
 * drains curl's completion messages, settles each finished call and starts the agent's
 * next one, applies the core's first-byte / idle timeouts, and keeps one cached
 * connection per agent. A driver adds only its loop glue: it installs its own
 * CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION on `multi`, turns socket readiness and
 * curl's timer into tdm_curl_multi_action, and calls tdm_curl_multi_check_timeouts from a
 * periodic timer while jobs are active.
 *
 * Starting calls: a call's easy handle is added without waiting for curl's timer
 * callback. Every function below that may start calls (tdm_curl_multi_kick, _action,
 * _check_timeouts) ends by running curl once for all handles added so far, outside any
 * curl callback, so every released agent's request is written in that one pass instead of
 * one loop round trip (and, on libuv, at least a 1 ms timer) later.
 *
 * Held calls: a call that is not due yet (tdm_job_due: an open-loop arrival) is not
 * added; the multi asks the driver, through its hold callback, for one timer at the
 * earliest due instant, and the driver calls tdm_curl_multi_release_due when it fires.
 * An interrupt releases every held call at the next timeout check, and the core then
 * records it as not run. */
#ifndef TDM_CURL_MULTI_H
#define TDM_CURL_MULTI_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "core/job.h"
#include "curl/transfer.h"

/* Called each time a job has finished all its calls (active already decremented). */
typedef void (*tdm_curl_multi_done_fn)(tdm_agent_job *job, void *ud);
/* Asks the driver for its hold timer at the client-clock instant due; 0: stop it. */
typedef void (*tdm_curl_multi_hold_fn)(int64_t due, void *ud);

typedef struct tdm_curl_multi {
    CURLM *multi;
    tdm_curl_transfer *transfers; /* one per agent index, reused across phases */
    size_t max_agents;
    size_t active;                /* jobs started and not finished */
    size_t added;                 /* easy handles added since curl last ran */
    long buffer_size;             /* CURLOPT_BUFFERSIZE */
    tdm_curl_multi_done_fn on_done;
    void *on_done_ud;
    size_t held;                  /* transfers waiting for their call's due instant */
    tdm_curl_multi_hold_fn on_hold;
    void *on_hold_ud;
} tdm_curl_multi;

/* Creates the multi handle and room for max_agents transfers; on_done may be NULL.
 * Returns 0, or -1 (out of memory, curl_multi_init failed) with nothing to clean up. */
int tdm_curl_multi_init(tdm_curl_multi *m, long buffer_size, size_t max_agents, tdm_curl_multi_done_fn on_done,
                        void *ud);
/* Removes every transfer and frees the multi handle; curl may call the driver's socket
 * and timer callbacks from here, so the loop must still be there. */
void tdm_curl_multi_cleanup(tdm_curl_multi *m);

/* Takes a job's first call and adds its easy handle (or settles the job at once if it
 * has none). The request is written by the next tdm_curl_multi_kick or _action. Returns
 * 0, or -1 when the agent index is out of range or its easy handle cannot be made. */
int tdm_curl_multi_add_job(tdm_curl_multi *m, tdm_agent_job *job, int64_t now);
/* Runs curl now for every handle added since it last ran, then settles what finished.
 * Must not be called from inside a curl callback. */
void tdm_curl_multi_kick(tdm_curl_multi *m);
/* curl_multi_socket_action(s, flags) — s is a socket curl asked to watch, or
 * CURL_SOCKET_TIMEOUT when curl's timer fired — then settles what finished. */
void tdm_curl_multi_action(tdm_curl_multi *m, curl_socket_t s, int flags);
/* Fails every in-flight call whose first-byte or idle timeout has passed, and releases
 * held calls already due (after an interrupt every held call, which then ends as not run). */
void tdm_curl_multi_check_timeouts(tdm_curl_multi *m, int64_t now);

/* Installs the driver's hold timer; without one, no call is ever held (calls start when
 * the job hands them out). */
void tdm_curl_multi_on_hold(tdm_curl_multi *m, tdm_curl_multi_hold_fn fn, void *ud);
/* The hold timer fired, or a workflow step finished: starts every held call now due,
 * runs curl for them, and re-arms the timer for the next one. Not from inside a curl
 * callback. */
void tdm_curl_multi_release_due(tdm_curl_multi *m, int64_t now);

#endif
