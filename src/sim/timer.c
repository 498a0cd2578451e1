/* timer.c — nanosecond-deadline timer over timerfd or uv_timer (see timer.h). */
#include "sim/timer.h"

#include <stddef.h>
#include <unistd.h>

#include "core/clock.h"

#ifdef __linux__
#include <sys/timerfd.h>
#endif

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    tdm_sim_timer *t = h->data;
#ifdef __linux__
    uint64_t expirations;
    if (read(t->fd, &expirations, sizeof expirations) < 0) {
        /* EAGAIN: a re-arm already cleared it; nothing is due. */
    }
#endif
    t->armed = INT64_MAX;
    t->fn(t);
}

static void on_timer(uv_timer_t *h)
{
    tdm_sim_timer *t = h->data;
    t->armed = INT64_MAX;
    t->fn(t);
}

int tdm_sim_timer_init(uv_loop_t *loop, tdm_sim_timer *t, tdm_sim_timer_fn fn)
{
    t->fn = fn;
    t->armed = INT64_MAX;
    t->fd = -1;
    t->closed = NULL;
#ifdef __linux__
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd >= 0) {
        if (uv_poll_init(loop, &t->poll, fd) == 0) {
            t->fd = fd;
            t->poll.data = t;
            uv_poll_start(&t->poll, UV_READABLE, on_poll);
            return 0;
        }
        close(fd);
    }
#endif
    t->timer.data = t;
    return uv_timer_init(loop, &t->timer);
}

void tdm_sim_timer_arm(tdm_sim_timer *t, int64_t at_ns)
{
    if (at_ns == t->armed)
        return;
    t->armed = at_ns;
#ifdef __linux__
    if (t->fd >= 0) {
        struct itimerspec its = {0};
        if (at_ns != INT64_MAX) {
            /* An all-zero it_value would disarm: a deadline at or before 0 is "now". */
            int64_t at = at_ns > 0 ? at_ns : 1;
            its.it_value.tv_sec = at / 1000000000LL;
            its.it_value.tv_nsec = at % 1000000000LL;
        }
        timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &its, NULL);
        return;
    }
#endif
    if (at_ns == INT64_MAX) {
        uv_timer_stop(&t->timer);
        return;
    }
    int64_t wait = at_ns - tdm_now_ns();
    uint64_t ms = wait <= 0 ? 0 : (uint64_t)((wait + 999999) / 1000000);
    uv_update_time(t->timer.loop);
    uv_timer_start(&t->timer, on_timer, ms, 0);
}

static void on_closed(uv_handle_t *h)
{
    tdm_sim_timer *t = h->data;
    if (t->fd >= 0) {
        close(t->fd); /* only now: libuv must not poll a closed descriptor */
        t->fd = -1;
    }
    if (t->closed)
        t->closed(t);
}

void tdm_sim_timer_close(tdm_sim_timer *t, void (*closed)(tdm_sim_timer *t))
{
    t->closed = closed;
    t->armed = INT64_MAX;
    if (t->fd >= 0)
        uv_close((uv_handle_t *)&t->poll, on_closed);
    else
        uv_close((uv_handle_t *)&t->timer, on_closed);
}
