/* reactor.c — epoll + timerfd event loop (see reactor.h for what and why).
 *
 * Fds live in a table indexed by fd number. Each registration gets a generation number
 * that travels in epoll_event.data next to the fd, so an event fetched before a callback
 * removed (and perhaps re-added) that fd is recognised as stale and dropped.
 * Timers live in a binary min-heap ordered by (deadline, insertion sequence); the single
 * timerfd is armed (absolute, CLOCK_MONOTONIC) to the earliest deadline only when that
 * deadline changes. */
#include "reactor/reactor.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/clock.h"

#define MAX_EVENTS 64
#define TIMERFD_TAG UINT64_MAX

typedef struct fd_entry {
    tdm_reactor_fd_fn fn;
    void *ud;
    unsigned events; /* current interest: TDM_REACTOR_READ | TDM_REACTOR_WRITE */
    uint32_t gen;    /* bumped on every add; 0 never used */
    bool used;
} fd_entry;

struct tdm_reactor {
    int epfd;
    int tfd;
    int64_t armed_ns; /* deadline the timerfd is armed to; 0 = disarmed or already fired */
    fd_entry *fds;
    size_t nfds_cap;
    size_t nfds_used;
    tdm_reactor_timer **heap;
    size_t nheap;
    size_t heap_cap;
    uint64_t next_seq;
    bool stop;
    tdm_reactor_stats stats;
};

/* ---- timer heap -------------------------------------------------------------------- */

static bool earlier(const tdm_reactor_timer *a, const tdm_reactor_timer *b)
{
    return a->deadline_ns < b->deadline_ns || (a->deadline_ns == b->deadline_ns && a->seq < b->seq);
}

static void heap_place(tdm_reactor *r, size_t i, tdm_reactor_timer *t)
{
    r->heap[i] = t;
    t->slot = i + 1;
}

static void sift_up(tdm_reactor *r, size_t i)
{
    tdm_reactor_timer *t = r->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(t, r->heap[parent]))
            break;
        heap_place(r, i, r->heap[parent]);
        i = parent;
    }
    heap_place(r, i, t);
}

static void sift_down(tdm_reactor *r, size_t i)
{
    tdm_reactor_timer *t = r->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= r->nheap)
            break;
        if (child + 1 < r->nheap && earlier(r->heap[child + 1], r->heap[child]))
            child++;
        if (!earlier(r->heap[child], t))
            break;
        heap_place(r, i, r->heap[child]);
        i = child;
    }
    heap_place(r, i, t);
}

static void heap_remove(tdm_reactor *r, tdm_reactor_timer *t)
{
    size_t i = t->slot - 1;
    t->slot = 0;
    r->nheap--;
    if (i == r->nheap)
        return;
    heap_place(r, i, r->heap[r->nheap]);
    if (i > 0 && earlier(r->heap[i], r->heap[(i - 1) / 2]))
        sift_up(r, i);
    else
        sift_down(r, i);
}

/* Inserts an inactive timer; the caller made sure there is room. */
static void heap_insert(tdm_reactor *r, tdm_reactor_timer *t, int64_t deadline)
{
    t->deadline_ns = deadline;
    t->seq = r->next_seq++;
    r->heap[r->nheap] = t;
    t->slot = ++r->nheap;
    sift_up(r, r->nheap - 1);
}

int tdm_reactor_timer_start(tdm_reactor *r, tdm_reactor_timer *t, int64_t delay_ns,
                            int64_t interval_ns, tdm_reactor_timer_fn fn, void *ud)
{
    if (!fn) {
        errno = EINVAL;
        return -1;
    }
    tdm_reactor_timer_stop(r, t);
    if (r->nheap == r->heap_cap) {
        size_t cap = r->heap_cap ? r->heap_cap * 2 : 16;
        tdm_reactor_timer **h = realloc(r->heap, cap * sizeof *h);
        if (!h) {
            errno = ENOMEM;
            return -1;
        }
        r->heap = h;
        r->heap_cap = cap;
    }
    int64_t now = tdm_now_ns();
    if (delay_ns < 0)
        delay_ns = 0;
    t->interval_ns = interval_ns > 0 ? interval_ns : 0;
    t->fn = fn;
    t->ud = ud;
    heap_insert(r, t, delay_ns > INT64_MAX - now ? INT64_MAX : now + delay_ns);
    return 0;
}

void tdm_reactor_timer_stop(tdm_reactor *r, tdm_reactor_timer *t)
{
    if (t->slot != 0 && t->slot <= r->nheap && r->heap[t->slot - 1] == t)
        heap_remove(r, t);
}

bool tdm_reactor_timer_active(const tdm_reactor_timer *t)
{
    return t->slot != 0;
}

/* Fires every timer due now that was scheduled before this round began. */
static void run_timers(tdm_reactor *r)
{
    if (r->nheap == 0)
        return;
    int64_t now = tdm_now_ns();
    uint64_t round = r->next_seq;
    while (r->nheap > 0 && !r->stop) {
        tdm_reactor_timer *t = r->heap[0];
        if (t->deadline_ns > now || t->seq >= round)
            break;
        heap_remove(r, t);
        if (t->interval_ns > 0) {
            /* Re-armed before the callback so the callback may stop it; a loop that fell
             * behind skips the missed ticks rather than firing a burst. */
            int64_t next = t->deadline_ns + t->interval_ns;
            if (next <= now)
                next = now + t->interval_ns;
            heap_insert(r, t, next); /* cannot grow: t's own slot was just freed */
        }
        r->stats.timer_fires++;
        t->fn(r, t, t->ud);
    }
}

/* ---- fds -------------------------------------------------------------------------------- */

static uint32_t to_epoll(unsigned events)
{
    return ((events & TDM_REACTOR_READ) ? EPOLLIN : 0u) | ((events & TDM_REACTOR_WRITE) ? EPOLLOUT : 0u);
}

static int ctl(tdm_reactor *r, int op, int fd, const fd_entry *e)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = to_epoll(e->events);
    ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)e->gen << 32);
    r->stats.epoll_ctls++;
    return epoll_ctl(r->epfd, op, fd, &ev);
}

static fd_entry *entry(const tdm_reactor *r, int fd)
{
    if (fd < 0 || (size_t)fd >= r->nfds_cap || !r->fds[fd].used)
        return NULL;
    return &r->fds[fd];
}

int tdm_reactor_add_fd(tdm_reactor *r, int fd, unsigned events, tdm_reactor_fd_fn fn, void *ud)
{
    if (fd < 0 || !fn) {
        errno = EINVAL;
        return -1;
    }
    if (entry(r, fd)) {
        errno = EEXIST;
        return -1;
    }
    if ((size_t)fd >= r->nfds_cap) {
        size_t cap = r->nfds_cap ? r->nfds_cap : 64;
        while (cap <= (size_t)fd)
            cap *= 2;
        fd_entry *t = realloc(r->fds, cap * sizeof *t);
        if (!t) {
            errno = ENOMEM;
            return -1;
        }
        memset(t + r->nfds_cap, 0, (cap - r->nfds_cap) * sizeof *t);
        r->fds = t;
        r->nfds_cap = cap;
    }
    fd_entry *e = &r->fds[fd];
    uint32_t gen = e->gen + 1u;
    fd_entry next = {.fn = fn, .ud = ud, .events = events & (TDM_REACTOR_READ | TDM_REACTOR_WRITE),
                     .gen = gen ? gen : 1u, .used = true};
    if (ctl(r, EPOLL_CTL_ADD, fd, &next) != 0)
        return -1;
    *e = next;
    r->nfds_used++;
    return 0;
}

int tdm_reactor_modify_fd(tdm_reactor *r, int fd, unsigned events)
{
    fd_entry *e = entry(r, fd);
    if (!e) {
        errno = ENOENT;
        return -1;
    }
    events &= TDM_REACTOR_READ | TDM_REACTOR_WRITE;
    if (events == e->events)
        return 0;
    fd_entry next = *e;
    next.events = events;
    if (ctl(r, EPOLL_CTL_MOD, fd, &next) != 0)
        return -1;
    e->events = events;
    return 0;
}

int tdm_reactor_watch_fd(tdm_reactor *r, int fd, unsigned events, tdm_reactor_fd_fn fn, void *ud)
{
    fd_entry *e = entry(r, fd);
    if (!e)
        return tdm_reactor_add_fd(r, fd, events, fn, ud);
    if (!fn) {
        errno = EINVAL;
        return -1;
    }
    if (tdm_reactor_modify_fd(r, fd, events) != 0)
        return -1;
    e->fn = fn;
    e->ud = ud;
    return 0;
}

int tdm_reactor_remove_fd(tdm_reactor *r, int fd)
{
    fd_entry *e = entry(r, fd);
    if (!e) {
        errno = ENOENT;
        return -1;
    }
    r->stats.epoll_ctls++;
    /* EBADF/ENOENT: the fd was closed first and epoll already forgot it. */
    if (epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL) != 0 && errno != EBADF && errno != ENOENT)
        return -1;
    e->used = false;
    e->fn = NULL;
    e->ud = NULL;
    e->events = 0;
    r->nfds_used--;
    return 0;
}

bool tdm_reactor_has_fd(const tdm_reactor *r, int fd)
{
    return entry(r, fd) != NULL;
}

/* ---- the loop ------------------------------------------------------------------------------ */

tdm_reactor *tdm_reactor_create(void)
{
    tdm_reactor *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->epfd = epoll_create1(EPOLL_CLOEXEC);
    r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TIMERFD_TAG};
    if (r->epfd < 0 || r->tfd < 0 || epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->tfd, &ev) != 0) {
        int saved = errno;
        if (r->epfd >= 0)
            close(r->epfd);
        if (r->tfd >= 0)
            close(r->tfd);
        free(r);
        errno = saved;
        return NULL;
    }
    r->next_seq = 1;
    return r;
}

void tdm_reactor_destroy(tdm_reactor *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nheap; i++)
        r->heap[i]->slot = 0;
    close(r->tfd);
    close(r->epfd);
    free(r->heap);
    free(r->fds);
    free(r);
}

/* Points the timerfd at the earliest deadline; returns the epoll_wait timeout to use
 * (0 when a timer is already due, so no timerfd round trip is spent on it). */
static int prepare_wait(tdm_reactor *r, bool block)
{
    if (!block)
        return 0;
    int64_t want = 0;
    if (r->nheap > 0) {
        want = r->heap[0]->deadline_ns;
        if (want <= tdm_now_ns())
            return 0;
    }
    if (want != r->armed_ns) {
        struct itimerspec its;
        memset(&its, 0, sizeof its);
        its.it_value.tv_sec = want / 1000000000LL;
        its.it_value.tv_nsec = want % 1000000000LL;
        r->stats.timerfd_sets++;
        if (timerfd_settime(r->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0) {
            r->armed_ns = want;
        } else if (want) {
            /* Cannot happen with sane deadlines; never sleep past a timer if it does. */
            int64_t ms = (want - tdm_now_ns()) / 1000000 + 1;
            return ms > INT_MAX ? INT_MAX : (int)ms;
        }
    }
    return -1;
}

static void dispatch(tdm_reactor *r, const struct epoll_event *ev)
{
    if (ev->data.u64 == TIMERFD_TAG) {
        uint64_t expirations;
        if (read(r->tfd, &expirations, sizeof expirations) < 0) {
            /* EAGAIN: already drained; nothing else can fail on a timerfd we own. */
        }
        r->armed_ns = 0;
        return;
    }
    int fd = (int)(uint32_t)ev->data.u64;
    fd_entry *e = entry(r, fd);
    if (!e || e->gen != (uint32_t)(ev->data.u64 >> 32))
        return; /* removed (or replaced) by an earlier callback in this batch */
    unsigned got = 0;
    if (ev->events & EPOLLIN)
        got |= TDM_REACTOR_READ;
    if (ev->events & EPOLLOUT)
        got |= TDM_REACTOR_WRITE;
    if (ev->events & (EPOLLERR | EPOLLHUP))
        got |= TDM_REACTOR_ERROR | e->events;
    got &= e->events | TDM_REACTOR_ERROR;
    if (!got)
        return;
    r->stats.fd_events++;
    e->fn(r, fd, got, e->ud);
}

static bool has_work(const tdm_reactor *r)
{
    return r->nfds_used > 0 || r->nheap > 0;
}

/* One wait and its dispatch; leaves r->stop for the caller to look at. */
static int once(tdm_reactor *r, bool block)
{
    if (!has_work(r))
        return 0;
    struct epoll_event evs[MAX_EVENTS];
    int timeout = prepare_wait(r, block);
    int n = epoll_wait(r->epfd, evs, MAX_EVENTS, timeout);
    if (n < 0) {
        if (errno != EINTR)
            return -1;
        n = 0;
    } else {
        r->stats.wakeups++;
    }
    for (int i = 0; i < n && !r->stop; i++)
        dispatch(r, &evs[i]);
    if (!r->stop)
        run_timers(r);
    return has_work(r) ? 1 : 0;
}

int tdm_reactor_run_once(tdm_reactor *r, bool block)
{
    r->stop = false;
    int rc = once(r, block);
    r->stop = false;
    return rc;
}

int tdm_reactor_run(tdm_reactor *r)
{
    r->stop = false;
    int rc;
    while ((rc = once(r, true)) > 0 && !r->stop)
        ;
    r->stop = false;
    return rc < 0 ? -1 : 0;
}

void tdm_reactor_stop(tdm_reactor *r)
{
    r->stop = true;
}

size_t tdm_reactor_fd_count(const tdm_reactor *r)
{
    return r->nfds_used;
}

size_t tdm_reactor_timer_count(const tdm_reactor *r)
{
    return r->nheap;
}

const tdm_reactor_stats *tdm_reactor_get_stats(const tdm_reactor *r)
{
    return &r->stats;
}

uint64_t tdm_reactor_wakeups(const tdm_reactor *r)
{
    return r->stats.wakeups;
}
