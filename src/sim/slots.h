/* slots.h — a server's request slots (Ollama's OLLAMA_NUM_PARALLEL) and the FIFO queue of
 * requests waiting for one. Pure bookkeeping, no device and no event loop, so the order
 * in which waiting requests get their slot is unit-tested directly.
 *
 * A request that is ready to run (model loaded, scheduled) asks for a slot; with k slots
 * taken it waits at the tail of the queue. A slot given back goes straight to the queue's
 * head, so a freed slot is never idle while someone waits and the order is first come,
 * first served. A limit of 0 means no limit: every request gets a slot at once. */
#ifndef TDM_SIM_SLOTS_H
#define TDM_SIM_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One request's place in the queue; embedded in whatever owns the request. */
typedef struct tdm_sim_slot_wait {
    struct tdm_sim_slot_wait *prev, *next;
    bool queued;        /* in the queue now */
    int64_t t_queued;   /* when it joined the queue */
    void *owner;        /* the request, for whoever is handed this entry */
} tdm_sim_slot_wait;

typedef struct tdm_sim_slots {
    int limit;          /* k; 0: unlimited */
    int busy;           /* slots held */
    size_t waiting;     /* entries in the queue */
    tdm_sim_slot_wait *head, *tail;
} tdm_sim_slots;

void tdm_sim_slots_init(tdm_sim_slots *s, int limit);
/* Clears w and records its owner; w is then neither queued nor holding a slot. */
void tdm_sim_slot_wait_init(tdm_sim_slot_wait *w, void *owner);
/* Asks for a slot at time t. true: w holds one now. false: w waits at the queue's tail
 * (s->waiting - 1 entries ahead of it). */
bool tdm_sim_slots_acquire(tdm_sim_slots *s, tdm_sim_slot_wait *w, int64_t t);
/* Gives back a slot held. Returns the entry that now holds it (taken off the queue's
 * head), or NULL when nobody waited and the slot is free. */
tdm_sim_slot_wait *tdm_sim_slots_release(tdm_sim_slots *s);
/* Takes w out of the queue (its client went away); a no-op when w is not queued. */
void tdm_sim_slots_cancel(tdm_sim_slots *s, tdm_sim_slot_wait *w);

#endif
