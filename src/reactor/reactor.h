/* reactor.h — tandem's own minimal event loop: epoll + one timerfd, one thread.
 *
 * Why hand-written: this reactor is the experimental treatment standing for Rust's `smol`
 * (async-io's single epoll reactor) in the smol, smol-1kb, smol-8kb and curl-1kb variants.
 * It has to be small enough to read in one sitting and entirely ours, so that no other
 * runtime (libuv, libevent) hides behind the numbers. The design follows redis's ae.c
 * (file events + timers, run/stop) and curl's ephiperfifo.c (epoll + timerfd, and
 * EPOLL_CTL_MOD rather than delete + add when interest changes). The timerfd gives
 * nanosecond timer resolution where epoll_wait's timeout only has milliseconds.
 *
 * Fds are level-triggered. Every callback may add, modify or remove fds and start or stop
 * timers (its own included) re-entrantly; an event already fetched for an fd that was
 * removed (or removed and re-added under the same number) is dropped, never delivered to
 * the new owner.
 *
 * Driving libcurl's multi_socket API with it (the glue lives in src/curl/, not here):
 *   CURLMOPT_SOCKETFUNCTION (s, what):
 *       what == CURL_POLL_REMOVE -> tdm_reactor_remove_fd(r, s)
 *       otherwise                -> tdm_reactor_watch_fd(r, s,
 *                                      (what & CURL_POLL_IN  ? TDM_REACTOR_READ  : 0) |
 *                                      (what & CURL_POLL_OUT ? TDM_REACTOR_WRITE : 0), on_fd, m)
 *   CURLMOPT_TIMERFUNCTION (ms):
 *       ms < 0 -> tdm_reactor_timer_stop(r, &t)
 *       else   -> tdm_reactor_timer_start(r, &t, ms * 1000000, 0, on_timeout, m)
 *                 (a delay of 0 means "as soon as possible": on the next loop iteration)
 *   on_fd(r, fd, ev, m): curl_multi_socket_action(m, fd,
 *       (ev & TDM_REACTOR_READ ? CURL_CSELECT_IN : 0) | (ev & TDM_REACTOR_WRITE ?
 *       CURL_CSELECT_OUT : 0) | (ev & TDM_REACTOR_ERROR ? CURL_CSELECT_ERR : 0), &running)
 *   on_timeout: curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running)
 *   and drain curl_multi_info_read after each. */
#ifndef TDM_REACTOR_H
#define TDM_REACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tdm_reactor tdm_reactor;

/* Interest and readiness bits. TDM_REACTOR_ERROR is only ever reported (EPOLLERR or
 * EPOLLHUP); it comes together with whichever of READ/WRITE the fd is interested in, so a
 * reader finds the EOF or error with its next read(). */
enum {
    TDM_REACTOR_READ = 1u,
    TDM_REACTOR_WRITE = 2u,
    TDM_REACTOR_ERROR = 4u,
};

typedef void (*tdm_reactor_fd_fn)(tdm_reactor *r, int fd, unsigned events, void *ud);

typedef struct tdm_reactor_timer tdm_reactor_timer;
typedef void (*tdm_reactor_timer_fn)(tdm_reactor *r, tdm_reactor_timer *t, void *ud);

/* A timer lives in storage the caller owns (zero-initialised = inactive). The fields are
 * the reactor's: read-only for callers (deadline_ns is the one that fired, inside its
 * callback). Stop a timer before freeing its storage. */
struct tdm_reactor_timer {
    int64_t deadline_ns;  /* CLOCK_MONOTONIC (tdm_now_ns) */
    int64_t interval_ns;  /* 0: one-shot */
    uint64_t seq;         /* insertion order: ties fire first-in first-out */
    size_t slot;          /* heap index + 1; 0 when inactive */
    tdm_reactor_timer_fn fn;
    void *ud;
};

/* Calibration counters: what the loop itself cost. */
typedef struct tdm_reactor_stats {
    uint64_t wakeups;      /* epoll_wait returns (EINTR excluded), with or without events */
    uint64_t fd_events;    /* fd callbacks invoked */
    uint64_t timer_fires;  /* timer callbacks invoked */
    uint64_t epoll_ctls;   /* epoll_ctl calls (ADD/MOD/DEL) */
    uint64_t timerfd_sets; /* timerfd_settime calls */
} tdm_reactor_stats;

/* NULL with errno set when epoll or the timerfd could not be created. */
tdm_reactor *tdm_reactor_create(void);
/* Closes the reactor's own fds (never the caller's) and leaves every still-active timer
 * inactive. Must not be called from inside a callback. */
void tdm_reactor_destroy(tdm_reactor *r);

/* Each returns 0, or -1 with errno set:
 * add    — fd must not be registered yet (EEXIST); events may be 0 (registered, idle).
 * modify — changes interest with EPOLL_CTL_MOD (no syscall when unchanged); ENOENT if the
 *          fd is not registered.
 * watch  — add or modify, replacing the callback and user pointer: the shape of curl's
 *          socket callback.
 * remove — forgets the fd; succeeds even if the fd was closed first (but remove before
 *          close, or a new fd reusing the number may confuse the kernel's view). */
int tdm_reactor_add_fd(tdm_reactor *r, int fd, unsigned events, tdm_reactor_fd_fn fn, void *ud);
int tdm_reactor_modify_fd(tdm_reactor *r, int fd, unsigned events);
int tdm_reactor_watch_fd(tdm_reactor *r, int fd, unsigned events, tdm_reactor_fd_fn fn, void *ud);
int tdm_reactor_remove_fd(tdm_reactor *r, int fd);
bool tdm_reactor_has_fd(const tdm_reactor *r, int fd);

/* Starts (or restarts, if active) t: fires delay_ns from now (<= 0: on the next loop
 * iteration), then every interval_ns if interval_ns > 0. A timer started from inside a
 * timer callback never fires within the same round, so a timer re-arming itself with 0
 * cannot starve fds. Returns 0, or -1 (ENOMEM). */
int tdm_reactor_timer_start(tdm_reactor *r, tdm_reactor_timer *t, int64_t delay_ns,
                            int64_t interval_ns, tdm_reactor_timer_fn fn, void *ud);
/* Cancels t; a no-op when inactive. A timer stopped before its callback ran never fires. */
void tdm_reactor_timer_stop(tdm_reactor *r, tdm_reactor_timer *t);
bool tdm_reactor_timer_active(const tdm_reactor_timer *t);

/* Waits and dispatches until tdm_reactor_stop is called or no fd is registered and no
 * timer is active. Returns 0 then, or -1 with errno when epoll_wait failed. */
int tdm_reactor_run(tdm_reactor *r);
/* One wait (blocking, or not at all when block is false) and its dispatch. Returns 1 if
 * something is left to wait for, 0 if not, -1 with errno on failure. */
int tdm_reactor_run_once(tdm_reactor *r, bool block);
/* Makes run return after the callback in progress (or before its next wait). A stop
 * requested while run is not running is forgotten when run starts. */
void tdm_reactor_stop(tdm_reactor *r);

size_t tdm_reactor_fd_count(const tdm_reactor *r);
size_t tdm_reactor_timer_count(const tdm_reactor *r);
const tdm_reactor_stats *tdm_reactor_get_stats(const tdm_reactor *r);
/* The same counts as a JSON object (reactor_json.c). */
struct json_t *tdm_reactor_stats_json(const tdm_reactor *r);
/* Shorthand for tdm_reactor_get_stats(r)->wakeups. */
uint64_t tdm_reactor_wakeups(const tdm_reactor *r);

#endif
