/* timer.h — a one-shot timer at an absolute CLOCK_MONOTONIC nanosecond, for the device
 * deadlines. libuv's timers have millisecond resolution and round up, which would make
 * every token up to 1 ms late; on Linux a timerfd polled by the loop fires within tens
 * of microseconds of the deadline instead. Elsewhere (or if timerfd is unavailable) a
 * uv_timer is the fallback. Callers re-check the clock when it fires: it may fire early
 * by the fallback's rounding, never meaningfully late. */
#ifndef TDM_SIM_TIMER_H
#define TDM_SIM_TIMER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct tdm_sim_timer tdm_sim_timer;
typedef void (*tdm_sim_timer_fn)(tdm_sim_timer *t);

struct tdm_sim_timer {
    uv_poll_t poll;   /* timerfd mode */
    uv_timer_t timer; /* fallback mode */
    int fd;           /* the timerfd, or -1 in fallback mode */
    int64_t armed;    /* the deadline armed, INT64_MAX when disarmed */
    tdm_sim_timer_fn fn;
    void *data;
    void (*closed)(tdm_sim_timer *t);
};

int tdm_sim_timer_init(uv_loop_t *loop, tdm_sim_timer *t, tdm_sim_timer_fn fn);
/* Arms for the absolute time at_ns (INT64_MAX disarms). Re-arming to the same time is
 * free, so callers may call it after every change. */
void tdm_sim_timer_arm(tdm_sim_timer *t, int64_t at_ns);
/* Closes the timer; closed(t) runs once its handle is gone (may be NULL). */
void tdm_sim_timer_close(tdm_sim_timer *t, void (*closed)(tdm_sim_timer *t));

#endif
