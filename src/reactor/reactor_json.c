/* reactor_json.c — the reactor's counters as JSON, for the provenance of the variants
 * that run on it (their runtime_stats, taken once the runs are over). */
#include <jansson.h>

#include "reactor/reactor.h"

json_t *tdm_reactor_stats_json(const tdm_reactor *r)
{
    const tdm_reactor_stats *s = tdm_reactor_get_stats(r);
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "wakeups", (json_int_t)s->wakeups, "fd_events",
                     (json_int_t)s->fd_events, "timer_fires", (json_int_t)s->timer_fires, "epoll_ctls",
                     (json_int_t)s->epoll_ctls, "timerfd_sets", (json_int_t)s->timerfd_sets);
}
