/* slots.c — request slots and their FIFO queue (see slots.h). */
#include "sim/slots.h"

void tdm_sim_slots_init(tdm_sim_slots *s, int limit)
{
    *s = (tdm_sim_slots){.limit = limit > 0 ? limit : 0};
}

void tdm_sim_slot_wait_init(tdm_sim_slot_wait *w, void *owner)
{
    *w = (tdm_sim_slot_wait){.owner = owner};
}

bool tdm_sim_slots_acquire(tdm_sim_slots *s, tdm_sim_slot_wait *w, int64_t t)
{
    if (w->queued)
        return false; /* already waiting: asking twice must not queue it twice */
    if (s->limit == 0 || (s->busy < s->limit && !s->head)) {
        s->busy++;
        return true;
    }
    w->queued = true;
    w->t_queued = t;
    w->next = 0;
    w->prev = s->tail;
    if (s->tail)
        s->tail->next = w;
    else
        s->head = w;
    s->tail = w;
    s->waiting++;
    return false;
}

static void unlink_wait(tdm_sim_slots *s, tdm_sim_slot_wait *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        s->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        s->tail = w->prev;
    w->prev = w->next = 0;
    w->queued = false;
    s->waiting--;
}

tdm_sim_slot_wait *tdm_sim_slots_release(tdm_sim_slots *s)
{
    tdm_sim_slot_wait *w = s->head;
    if (w) {
        unlink_wait(s, w); /* the slot passes to it: busy stays as it is */
        return w;
    }
    if (s->busy > 0)
        s->busy--;
    return 0;
}

void tdm_sim_slots_cancel(tdm_sim_slots *s, tdm_sim_slot_wait *w)
{
    if (w->queued)
        unlink_wait(s, w);
}
